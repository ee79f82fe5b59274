//! "Antrag absenden": the check page's button. A draft with every step complete
//! becomes a submission; a second press (or a retry after a lost answer) finds the one
//! made the first time and shows the same confirmation.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use rathaus_core::actor::Origin;
use rathaus_core::drafts::Owner;
use rathaus_core::payments;
use rathaus_core::submissions::{self, Application, Sent};
use uuid::Uuid;

use super::visitor::Visitor;
use super::{Filling, today};
use crate::account::link_base;
use crate::chrome::Chrome;
use crate::error::PageError;
use crate::request_origin::RequestOrigin;
use crate::state::AppState;

/// Where the applicant sees the application after sending.
pub(super) fn confirmation(sent: &Sent) -> String {
    match &sent.status_secret {
        Some(secret) => format!("/antragsstatus/{}/{secret}?gesendet=1", sent.reference),
        None => format!("/konto/antraege/{}?gesendet=1", sent.reference),
    }
}

pub async fn send(
    State(state): State<AppState>,
    chrome: Chrome,
    visitor: Visitor,
    RequestOrigin(origin): RequestOrigin,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
) -> Result<Response, PageError> {
    let owner: Owner = visitor.owner().ok_or(PageError::NotFound)?;
    let tenant = &chrome.tenant;
    if let Some(sent) = submissions::sent_before(state.db.conn(), tenant.id, id, &owner).await? {
        return Ok(Redirect::to(&confirmation(&sent)).into_response());
    }
    let filling = match Filling::load(&state, &chrome, &visitor, id).await {
        Ok(filling) => filling,
        Err(response) => return Ok(response),
    };
    send_filled(&state, chrome, &visitor, origin, &headers, filling).await
}

/// What sending needs from the visitor's session: the applicant's name (an
/// organisation with the person acting for it), e-mail, trust level and the addresses
/// for the notice and the receipt letter.
pub(super) fn sending_of(
    state: &AppState,
    chrome: &Chrome,
    visitor: &Visitor,
    headers: &HeaderMap,
) -> Result<payments::Sending, PageError> {
    let applicant_name = visitor.citizen.as_ref().map_or_else(
        || chrome.t.get("applications-anonymous").to_owned(),
        |c| {
            let name = [c.given_name.as_deref(), c.family_name.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ");
            if name.is_empty() {
                c.email.clone()
            } else {
                name
            }
        },
    );
    // Made for an organisation: it is the applicant, represented by the person.
    let applicant_name = match &visitor.acting_for {
        Some(organisation) => format!("{} ({applicant_name})", organisation.name),
        None => applicant_name,
    };
    Ok(payments::Sending {
        trust: visitor.trust.as_str().to_owned(),
        organisation_id: visitor.acting_for.as_ref().map(|o| o.id),
        applicant_name,
        email: visitor.citizen.as_ref().map(|c| c.email.clone()),
        status_url: format!("{}/konto/antraege", link_base(state, chrome, headers)?),
        verify_page: crate::portal::verify::address(state, chrome, headers)?,
    })
}

/// Sends a loaded draft: complete, and its fee paid where it is paid first.
pub(super) async fn send_filled(
    state: &AppState,
    chrome: Chrome,
    visitor: &Visitor,
    origin: Origin,
    headers: &HeaderMap,
    filling: Filling,
) -> Result<Response, PageError> {
    let owner: Owner = visitor.owner().ok_or(PageError::NotFound)?;
    let tenant = &chrome.tenant;
    let form = &filling.form;
    if !form
        .incomplete_steps(&filling.draft.answers, today())
        .is_empty()
    {
        // The check page lists what is missing.
        return Ok(Redirect::to(&format!("{}/pruefen", filling.base())).into_response());
    }
    if let Some((_, fee)) = super::pay::owed_before_sending(state, &filling)
        && payments::paid_for(state.db.conn(), filling.draft.id).await? < fee.cents
    {
        // The check page offers to pay first.
        return Ok(Redirect::to(&format!("{}/pruefen", filling.base())).into_response());
    }
    let sending = sending_of(state, &chrome, visitor, headers)?;
    let application = Application {
        draft: &filling.draft,
        owner: &owner,
        service: &filling.service,
        form,
        applicant_name: &sending.applicant_name,
        email: sending.email.as_deref(),
        trust: visitor.trust,
        organisation_id: sending.organisation_id,
        status_url: &sending.status_url,
        verify_page: &sending.verify_page,
    };
    let actor = visitor.actor(tenant.id);
    let sent = submissions::send(&state.db, tenant, application, &actor, &origin).await?;
    state.wake_worker();
    Ok(Redirect::to(&confirmation(&sent)).into_response())
}
