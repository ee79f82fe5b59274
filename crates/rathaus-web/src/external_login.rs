//! What logins through an OpenID provider share, for citizens (`/konto`) and staff
//! (`/verwaltung`): finding the provider of the right audience, the return address
//! registered at it, sending the person there, and reading the return.

use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use rathaus_core::identity::{self, Audience, ExternalIdentity, LoginProblem, Provider};
use serde::Deserialize;

use crate::account::link_base;
use crate::chrome::Chrome;
use crate::error::PageError;
use crate::session_cookie::LOGIN_BINDING;
use crate::state::AppState;

/// A provider of the tenant for one audience, with the address it sends people back to.
pub struct ProviderLogin {
    pub provider: Provider,
    redirect_uri: String,
}

impl ProviderLogin {
    /// The provider with `slug` serving `audience` (404 otherwise: a citizens' provider
    /// is no way into the staff area, nor the other way round).
    pub async fn of(
        state: &AppState,
        chrome: &Chrome,
        headers: &HeaderMap,
        audience: Audience,
        slug: &str,
    ) -> Result<Self, PageError> {
        let provider = identity::by_slug(state.db.conn(), chrome.tenant.id, audience, slug)
            .await?
            .ok_or(PageError::NotFound)?;
        let area = match audience {
            Audience::Citizens => "konto",
            Audience::Staff => "verwaltung",
        };
        let base = link_base(state, chrome, headers)?;
        let redirect_uri = format!("{base}/{area}/anmelden/extern/{slug}/rueckkehr");
        Ok(Self {
            provider,
            redirect_uri,
        })
    }

    /// Sends the person to the provider; afterwards they go on to `return_to`. The
    /// browser gets the cookie that the return must bring.
    pub async fn begin(&self, state: &AppState, return_to: &str) -> Result<Response, PageError> {
        let begun = identity::begin(
            &state.db,
            &state.sealer,
            &self.provider,
            &self.redirect_uri,
            return_to,
        )
        .await?;
        let mut response = Redirect::to(&begun.url).into_response();
        let cookie = LOGIN_BINDING.set(&begun.browser_key, state.config.behind_tls);
        response.headers_mut().insert(header::SET_COOKIE, cookie);
        Ok(response)
    }

    /// The identity the provider vouches for, or why its return is refused.
    pub async fn finish(
        &self,
        state: &AppState,
        headers: &HeaderMap,
        query: ReturnQuery,
    ) -> Result<Result<ExternalIdentity, LoginProblem>, PageError> {
        let browser_key = LOGIN_BINDING.read(headers, state.config.behind_tls);
        Ok(match (query.error, query.state, query.code) {
            (Some(error), _, _) => Err(LoginProblem::Refused(error)),
            (None, Some(login_state), Some(code)) => {
                let (provider, uri) = (&self.provider, &self.redirect_uri);
                identity::finish(
                    &state.db,
                    &state.sealer,
                    provider,
                    uri,
                    &login_state,
                    &code,
                    browser_key,
                )
                .await?
            }
            _ => Err(LoginProblem::BadState),
        })
    }
}

/// What the provider sends back: a code and our state, or an error.
#[derive(Deserialize)]
pub struct ReturnQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// The message for a refused return.
pub fn problem_key(problem: &LoginProblem) -> &'static str {
    match problem {
        LoginProblem::BadState => "external-bad-state",
        LoginProblem::OtherBrowser => "external-other-browser",
        LoginProblem::Refused(_) => "external-refused",
        LoginProblem::InvalidResponse(_) => "external-invalid",
        LoginProblem::UnknownAcr(_) => "external-unknown-level",
        LoginProblem::NoConfirmedEmail => "external-no-email",
        LoginProblem::EmailTaken => "external-email-taken",
    }
}
