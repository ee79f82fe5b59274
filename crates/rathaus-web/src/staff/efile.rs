//! The e-file of a case for staff: each document's versions as files, and a sealed
//! version's evidence record (RFC 4998 structure, JSON) to hand to a third party.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use rathaus_core::documents::{self, evidence};
use serde::Deserialize;

use super::cases::seen_case;
use super::session::StaffSession;
use crate::chrome::Chrome;
use crate::error::PageError;
use crate::request_origin::RequestOrigin;
use crate::routes::Access::Staff;
use crate::routes::Routes;
use crate::state::AppState;

pub fn routes() -> Routes {
    Routes::default()
        .get(
            "/verwaltung/vorgaenge/{reference}/akte/{document}",
            Staff,
            file,
        )
        .get(
            "/verwaltung/vorgaenge/{reference}/akte/{document}/nachweis.json",
            Staff,
            record,
        )
}

/// Which version: `?fassung=2`; the latest without it.
#[derive(Deserialize)]
pub struct Which {
    fassung: Option<String>,
}

async fn version(
    state: &AppState,
    chrome: &Chrome,
    session: &StaffSession,
    origin: &rathaus_core::actor::Origin,
    reference: &str,
    document: &str,
    which: Option<&str>,
) -> Result<documents::Version, PageError> {
    let case = seen_case(state, chrome, session, reference).await?;
    let id = uuid::Uuid::parse_str(document).map_err(|_| PageError::NotFound)?;
    let number = match which {
        Some(typed) => Some(typed.trim().parse().map_err(|_| PageError::NotFound)?),
        None => None,
    };
    let found =
        documents::version_for_staff(&state.db, &session.actor, origin, &case, id, number).await?;
    found.map(|(_, v)| v).ok_or(PageError::NotFound)
}

/// A version of a document of the case; the access is audited.
pub async fn file(
    State(state): State<AppState>,
    chrome: Chrome,
    session: StaffSession,
    RequestOrigin(origin): RequestOrigin,
    Path((reference, document)): Path<(String, String)>,
    Query(which): Query<Which>,
) -> Result<Response, PageError> {
    let found = version(
        &state,
        &chrome,
        &session,
        &origin,
        &reference,
        &document,
        which.fassung.as_deref(),
    )
    .await?;
    let bytes = state.blobs.get(&found.sha256).await?;
    Ok(super::inline_file(
        &found.file_name,
        found.media_type,
        bytes,
    ))
}

/// The evidence record of the latest version (or `?fassung=`); a conflict until the
/// morning's sealing.
pub async fn record(
    State(state): State<AppState>,
    chrome: Chrome,
    session: StaffSession,
    RequestOrigin(origin): RequestOrigin,
    Path((reference, document)): Path<(String, String)>,
    Query(which): Query<Which>,
) -> Result<Response, PageError> {
    let found = version(
        &state,
        &chrome,
        &session,
        &origin,
        &reference,
        &document,
        which.fassung.as_deref(),
    )
    .await?;
    match evidence::record(&state.db, &state.blobs, &found).await? {
        Some(record) => {
            let name = format!("nachweis-{}-v{}.json", found.document_id, found.number);
            let disposition = format!("attachment; filename=\"{name}\"");
            Ok((
                [(axum::http::header::CONTENT_DISPOSITION, disposition)],
                Json(record),
            )
                .into_response())
        }
        None => Err(PageError::Conflict(
            chrome.t.get("efile-not-sealed").to_owned(),
        )),
    }
}
