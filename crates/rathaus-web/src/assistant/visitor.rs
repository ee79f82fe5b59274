//! Who is filling in a form: a logged-in citizen (with the trust level of the login) or
//! an anonymous visitor, whose drafts are bound to a random token in a cookie.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue};
use rathaus_core::citizens::{self, Citizen};
use rathaus_core::drafts::Owner;
use rathaus_core::sessions;
use rathaus_core::trust::TrustLevel;

use crate::error::PageError;
use crate::session_cookie::{CITIZEN, DRAFT_BROWSER};
use crate::state::AppState;
use crate::tenant::CurrentTenant;

pub struct Visitor {
    pub citizen: Option<Citizen>,
    /// Of the current login; `Basis` without one.
    pub trust: TrustLevel,
    /// The anonymous drafts' token, if the browser has one.
    pub browser: Option<String>,
    /// The organisation the logged-in person acts for, if they chose one.
    pub acting_for: Option<rathaus_core::organisations::Organisation>,
}

impl Visitor {
    /// The owner of drafts started now; anonymous visitors need a token first.
    pub fn owner(&self) -> Option<Owner> {
        match (&self.citizen, &self.browser) {
            (Some(citizen), _) => Some(Owner::Citizen(citizen.id)),
            (None, Some(token)) => Some(Owner::Browser(token.clone())),
            (None, None) => None,
        }
    }

    /// Who acts, for the audit log.
    pub fn actor(&self, tenant_id: uuid::Uuid) -> rathaus_core::actor::Actor {
        match &self.citizen {
            Some(citizen) => citizens::citizen_actor(citizen),
            None => rathaus_core::actor::Actor::anonymous(tenant_id),
        }
    }

    /// The owner for a new draft, with the cookie to set when a token was made for it.
    pub fn owner_or_new(&self, secure: bool) -> (Owner, Option<HeaderValue>) {
        match self.owner() {
            Some(owner) => (owner, None),
            None => {
                let token = rathaus_core::drafts::new_browser_token();
                let cookie = DRAFT_BROWSER.set(&token, secure);
                (Owner::Browser(token), Some(cookie))
            }
        }
    }
}

impl FromRequestParts<AppState> for Visitor {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, PageError> {
        let tenant = CurrentTenant::of(parts)?;
        let secure = state.config.behind_tls;
        let headers: &HeaderMap = &parts.headers;
        let mut citizen = None;
        let mut trust = TrustLevel::Basis;
        let mut acting_for = None;
        if let Some(token) = CITIZEN.read(headers, secure) {
            citizen = citizens::session_citizen(&state.db, tenant.id, token).await?;
            if let Some(account) = &citizen {
                trust = sessions::trust_level(state.db.conn(), token).await?;
                acting_for =
                    rathaus_core::organisations::acting_for(&state.db, account, token).await?;
            }
        }
        let browser = DRAFT_BROWSER
            .read(headers, secure)
            .filter(|t| !t.is_empty())
            .map(str::to_owned);
        // Began without an account, logged in since: the drafts come along.
        if let (Some(citizen), Some(token)) = (&citizen, &browser) {
            rathaus_core::drafts::adopt_browser_drafts(&state.db, tenant.id, token, citizen.id)
                .await?;
        }
        Ok(Self {
            citizen,
            trust,
            browser,
            acting_for,
        })
    }
}
