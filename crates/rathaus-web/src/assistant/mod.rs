//! The form assistant for citizens: a service's start page, one page per step with the
//! answers checked on the server when the page is sent, a check-your-answers page with
//! a "change" link per answer, a printable summary, and the list of saved drafts.
//!
//! Works without JavaScript: repeating groups add and remove entries with buttons,
//! files are sent with the page. Every page sent saves the draft, also with mistakes,
//! so nothing typed is lost.

pub(crate) mod messages;
mod pay;
mod review;
mod send;
mod start;
mod step;
mod visitor;
mod widgets;

pub(crate) use pay::{asked_on_return, note as payment_note, outcome_word};
pub(crate) use review::{Section, answer_sections, local_time};
pub(crate) use step::read_page;

use std::sync::Arc;

use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Duration, NaiveDate, Utc};
use rathaus_core::catalog::Service;
use rathaus_core::drafts::{self, Draft, DraftFile};
use rathaus_core::prefill;
use rathaus_forms::definition::Form;
use rathaus_forms::fill::Answer;
use uuid::Uuid;

use crate::chrome::Chrome;
use crate::error::PageError;
use crate::routes::Access::{Citizen, Public};
use crate::routes::Routes;
use crate::state::AppState;
use visitor::Visitor;

pub fn routes() -> Routes {
    Routes::default()
        .get("/antrag/{service}", Public, start::page)
        .post("/antrag/{service}", Public, start::begin)
        .get("/entwurf/{id}", Public, review::resume)
        .get("/entwurf/{id}/pruefen", Public, review::check)
        .get("/entwurf/{id}/zusammenfassung", Public, review::summary)
        .post("/entwurf/{id}/verwerfen", Public, review::discard)
        .post("/entwurf/{id}/absenden", Public, send::send)
        .post("/entwurf/{id}/bezahlen", Public, pay::start)
        .get("/entwurf/{id}/bezahlt/{payment}", Public, pay::back)
        .post("/zahlungen/benachrichtigung", Public, pay::notified)
        .get("/entwurf/{id}/schritt/{step}", Public, step::show)
        .post("/entwurf/{id}/schritt/{step}", Public, step::send)
        .post(
            "/entwurf/{id}/schritt/{step}/sichtbar",
            Public,
            step::visibility,
        )
        .get("/konto/entwuerfe", Citizen, review::drafts)
}

/// The date rules such as `today()` use: the town hall's day, not UTC's.
pub(crate) fn today() -> NaiveDate {
    Utc::now()
        .with_timezone(&chrono_tz::Europe::Berlin)
        .date_naive()
}

fn keep(state: &AppState) -> Duration {
    Duration::days(i64::from(state.config.draft_days))
}

/// The form a service is applied for with in this tenant: its assistant, or the
/// general contact form.
pub(crate) async fn form_of(
    state: &AppState,
    tenant_id: Uuid,
    service: &Service,
) -> Result<Arc<Form>, PageError> {
    let id = service
        .form
        .as_deref()
        .unwrap_or(rathaus_forms::builtin::CONTACT_FORM);
    state
        .forms
        .get(state.db.conn(), tenant_id, id)
        .await?
        .ok_or(PageError::NotFound)
}

/// A draft being filled in, with what belongs to it.
struct Filling {
    draft: Draft,
    form: Arc<Form>,
    service: Service,
    files: Vec<DraftFile>,
    /// Verified identity data of the account: (field id, answer), read-only.
    verified: Vec<(String, Answer)>,
}

impl Filling {
    /// The draft `id` if the visitor owns it; a login no longer sure enough for the
    /// service (e.g. logged in again with a password) goes back to the start page.
    async fn load(
        state: &AppState,
        chrome: &Chrome,
        visitor: &Visitor,
        id: Uuid,
    ) -> Result<Self, Response> {
        let refuse = |e: PageError| e.into_response();
        let owner = visitor.owner().ok_or_else(|| refuse(PageError::NotFound))?;
        let tenant = chrome.tenant.id;
        let draft = drafts::find(&state.db, tenant, id, &owner)
            .await
            .map_err(|e| refuse(e.into()))?
            .ok_or_else(|| refuse(PageError::NotFound))?;
        let service = state
            .offered(tenant)
            .await
            .map_err(|e| refuse(e.into()))?
            .service(&draft.service_key)
            .cloned()
            .ok_or_else(|| refuse(PageError::NotFound))?;
        // A login no longer sure enough, or a service that stopped allowing anonymous
        // use: the start page says what is needed.
        let anonymous = matches!(owner, drafts::Owner::Browser(_));
        if visitor.trust < service.min_trust() || (anonymous && !service.anonymous) {
            let start = format!("/antrag/{}", service.key);
            return Err(Redirect::to(&start).into_response());
        }
        let form = state
            .forms
            .get(state.db.conn(), tenant, &draft.form_id)
            .await
            .map_err(|e| refuse(e.into()))?
            .ok_or_else(|| refuse(PageError::NotFound))?;
        let files = drafts::files(&state.db, &draft)
            .await
            .map_err(|e| refuse(e.into()))?;
        let verified = prefill::verified(&form, visitor.citizen.as_ref());
        Ok(Self {
            draft,
            form,
            service,
            files,
            verified,
        })
    }

    fn base(&self) -> String {
        format!("/entwurf/{}", self.draft.id)
    }

    fn step_href(&self, step: &str) -> String {
        format!("{}/schritt/{step}", self.base())
    }

    /// Where to continue: the first step not yet complete, or the check page.
    fn next_open(&self) -> String {
        match self
            .form
            .incomplete_steps(&self.draft.answers, today())
            .first()
        {
            Some(step) => self.step_href(step),
            None => format!("{}/pruefen", self.base()),
        }
    }
}
