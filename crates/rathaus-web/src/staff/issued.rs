//! The documents a case issued (letters, permits): the draft of a step's letter before
//! it goes out, the issued PDF, and revoking one (a withdrawn permit).

use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use rathaus_core::audit::{self, Event};
use rathaus_core::letters::{self, Desk, Input, Kind, Missing};
use rathaus_core::workflow;
use serde::Deserialize;

use super::cases::{INBOX, Outcome, refused, seen_case};
use super::session::StaffSession;
use crate::chrome::Chrome;
use crate::error::PageError;
use crate::request_origin::RequestOrigin;
use crate::routes::Access::Staff;
use crate::routes::Routes;
use crate::state::AppState;

pub fn routes() -> Routes {
    Routes::default()
        .post(
            "/verwaltung/vorgaenge/{reference}/schreiben/vorschau",
            Staff,
            preview,
        )
        .get(
            "/verwaltung/vorgaenge/{reference}/schreiben/{document}",
            Staff,
            pdf,
        )
        .post(
            "/verwaltung/vorgaenge/{reference}/schreiben/{document}/widerrufen",
            Staff,
            revoke,
        )
}

pub(crate) fn desk<'a>(state: &'a AppState, verify_page: &'a str) -> Desk<'a> {
    Desk {
        renderer: &state.letters,
        blobs: &state.blobs,
        sealer: &state.sealer,
        verify_page,
    }
}

/// The field and message for what a letter lacks.
pub(super) fn missing_error(missing: Missing) -> (&'static str, &'static str) {
    match missing {
        Missing::Zone => ("zone", "letters-zone-missing"),
        Missing::Plate => ("schritt", "letters-plate-missing"),
        Missing::Amount => ("gebuehr", "letters-fee-missing"),
        Missing::Entries => ("nachricht", "letters-entries-missing"),
    }
}

#[derive(Deserialize)]
pub struct PreviewForm {
    schritt: Option<String>,
    #[serde(default)]
    nachricht: String,
    #[serde(default)]
    zone: String,
    #[serde(default)]
    gebuehr: String,
}

/// The letter the chosen step would issue, as a draft PDF (watermarked, no code), from
/// the text typed so far. Nothing is stored.
pub async fn preview(
    State(state): State<AppState>,
    chrome: Chrome,
    session: StaffSession,
    RequestOrigin(origin): RequestOrigin,
    Path(reference): Path<String>,
    Form(form): Form<PreviewForm>,
) -> Result<Response, PageError> {
    let case = seen_case(&state, &chrome, &session, &reference).await?;
    let chosen = form.schritt.clone().unwrap_or_default();
    let workflow = workflow::installed::of_case(state.db.conn(), &case).await?;
    let kind = workflow
        .from(&case.state)
        .find(|t| t.key == chosen)
        .and_then(|t| t.letter.as_deref())
        .and_then(Kind::from_key);
    let refuse = |field: &'static str, key: &str, chrome: &Chrome| Outcome {
        chosen: chosen.clone(),
        typed: form.nachricht.clone(),
        zone: form.zone.clone(),
        fee: form.gebuehr.clone(),
        errors: vec![(field, chrome.t.get(key).to_owned())],
        ..Outcome::default()
    };
    let Some(kind) = kind else {
        let outcome = refuse("schritt", "letters-step-issues-none", &chrome);
        return refused(&state, chrome, (&session, &origin), case, outcome).await;
    };
    let input = Input {
        text: form.nachricht.clone(),
        zone: Some(form.zone.clone()),
        fee_cents: rathaus_forms::values::amount(&form.gebuehr).ok(),
    };
    let conn = state.db.conn();
    let drafted = letters::preview(
        conn,
        &state.letters,
        &chrome.tenant,
        &case,
        &session.actor,
        kind,
        &input,
    )
    .await?;
    match drafted {
        Ok(pdf) => {
            let event = Event::new("document.preview", "case")
                .object(case.id)
                .details(serde_json::json!({ "kind": kind.key() }));
            audit::record_now(&state.db, &session.actor, &origin, event).await?;
            let name = format!("entwurf-{}.pdf", case.reference);
            Ok(super::cases::inline_file(
                &name,
                "application/pdf".into(),
                pdf.into(),
            ))
        }
        Err(missing) => {
            let (field, key) = missing_error(missing);
            let outcome = refuse(field, key, &chrome);
            refused(&state, chrome, (&session, &origin), case, outcome).await
        }
    }
}

fn document_id(typed: &str) -> Result<uuid::Uuid, PageError> {
    uuid::Uuid::parse_str(typed).map_err(|_| PageError::NotFound)
}

/// An issued document of the case as PDF; the access is audited.
pub async fn pdf(
    State(state): State<AppState>,
    chrome: Chrome,
    session: StaffSession,
    RequestOrigin(origin): RequestOrigin,
    Path((reference, document)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let case = seen_case(&state, &chrome, &session, &reference).await?;
    let id = document_id(&document)?;
    let found = letters::of_case(state.db.conn(), case.id)
        .await?
        .into_iter()
        .find(|d| d.id == id)
        .ok_or(PageError::NotFound)?;
    let event = Event::new("case.file_read", "case")
        .object(case.id)
        .details(serde_json::json!({ "document": id }));
    audit::record_now(&state.db, &session.actor, &origin, event).await?;
    let bytes = state.blobs.get(&found.sha256).await?;
    let name = format!("{}-{}.pdf", found.kind.replace('_', "-"), case.reference);
    Ok(super::cases::inline_file(
        &name,
        "application/pdf".into(),
        bytes,
    ))
}

#[derive(Deserialize)]
pub struct RevokeForm {
    #[serde(default)]
    grund: String,
}

/// Revokes an issued document with a reason; the verification page says so from now on.
pub async fn revoke(
    State(state): State<AppState>,
    chrome: Chrome,
    session: StaffSession,
    RequestOrigin(origin): RequestOrigin,
    Path((reference, document)): Path<(String, String)>,
    Form(form): Form<RevokeForm>,
) -> Result<Response, PageError> {
    let case = seen_case(&state, &chrome, &session, &reference).await?;
    let id = document_id(&document)?;
    if form.grund.trim().is_empty() {
        let outcome = Outcome {
            errors: vec![(
                "schreiben",
                chrome.t.get("letters-revoke-reason-missing").to_owned(),
            )],
            ..Outcome::default()
        };
        return refused(&state, chrome, (&session, &origin), case, outcome).await;
    }
    letters::revoke(&state.db, &session.actor, &origin, &case, id, &form.grund).await?;
    Ok(Redirect::to(&format!("{INBOX}/{}", case.reference)).into_response())
}
