//! The e-file of a case for staff: each document's versions as files, a sealed
//! version's evidence record (RFC 4998 structure, JSON) to hand to a third party,
//! internal documents and new versions added, and the search across all documents
//! the member of staff may see.

use askama::Template;
use askama_web::WebTemplate;
use axum::Json;
use axum::extract::{FromRequest, Multipart, Path, Query, Request, State};
use axum::response::{IntoResponse, Redirect, Response};
use rathaus_core::documents::{self, evidence, export};
use rathaus_core::error::CoreError;
use rathaus_core::uploads::{self, Accept};
use rathaus_store::blob::Bytes;
use serde::Deserialize;

use super::StaffNav;
use super::cases::{INBOX, Outcome, german_day, refused, seen_case};
use super::session::StaffSession;
use crate::assistant::messages;
use crate::chrome::Chrome;
use crate::error::PageError;
use crate::request_origin::RequestOrigin;
use crate::routes::Access::Staff;
use crate::routes::Routes;
use crate::state::AppState;

/// Staff search across documents.
const SEARCH: &str = "/verwaltung/dokumente";

pub fn routes() -> Routes {
    Routes::default()
        .get(SEARCH, Staff, search)
        .post("/verwaltung/vorgaenge/{reference}/akte", Staff, add)
        .post(
            "/verwaltung/vorgaenge/{reference}/akte/{document}/fassung",
            Staff,
            new_version,
        )
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
        .get(
            "/verwaltung/vorgaenge/{reference}/aktenexport.zip",
            Staff,
            export,
        )
}

/// The whole file of a finished case as one package (documents, case data, evidence,
/// keys); audited. An open case is a conflict: it still changes.
pub async fn export(
    State(state): State<AppState>,
    chrome: Chrome,
    session: StaffSession,
    RequestOrigin(origin): RequestOrigin,
    Path(reference): Path<String>,
) -> Result<Response, PageError> {
    let case = seen_case(&state, &chrome, &session, &reference).await?;
    match export::package(&state.db, &state.blobs, &session.actor, &origin, &case).await? {
        Ok(zip) => {
            let disposition = format!("attachment; filename=\"akte-{}.zip\"", case.reference);
            Ok((
                [
                    (
                        axum::http::header::CONTENT_TYPE,
                        "application/zip".to_owned(),
                    ),
                    (axum::http::header::CONTENT_DISPOSITION, disposition),
                ],
                zip,
            )
                .into_response())
        }
        Err(export::NotYet::Open) => Err(PageError::Conflict(
            chrome.t.get("efile-export-open").to_owned(),
        )),
    }
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

/// What staff may file: documents and scans, up to 20 MB.
const MAX_BYTES: u64 = 20 * 1024 * 1024;

/// A form with a file (`datei`) and text fields, as sent.
#[derive(Default)]
struct Sent {
    fields: Vec<(String, String)>,
    file: Option<(String, Bytes)>,
}

impl Sent {
    fn field(&self, name: &str) -> &str {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map_or("", |(_, v)| v.as_str())
    }

    async fn read(state: &AppState, request: Request) -> Result<Self, PageError> {
        let bad =
            |e: axum::extract::multipart::MultipartError| PageError::BadRequest(e.body_text());
        let mut multipart = Multipart::from_request(request, state)
            .await
            .map_err(|e| PageError::BadRequest(e.body_text()))?;
        let mut sent = Self::default();
        while let Some(part) = multipart.next_field().await.map_err(bad)? {
            let name = part.name().unwrap_or("").to_owned();
            if name == "datei" {
                let file_name = part.file_name().unwrap_or("").to_owned();
                let bytes = part.bytes().await.map_err(bad)?;
                if !file_name.is_empty() || !bytes.is_empty() {
                    sent.file = Some((file_name, bytes));
                }
            } else {
                sent.fields.push((name, part.text().await.map_err(bad)?));
            }
        }
        Ok(sent)
    }
}

/// The file checked and stored, or the message why not (`None`: none was sent).
async fn stored_file(
    state: &AppState,
    chrome: &Chrome,
    file: Option<(String, Bytes)>,
) -> Result<Result<(String, &'static str, rathaus_store::BlobRef), String>, PageError> {
    let Some(file) = file else {
        return Ok(Err(chrome.t.get("efile-no-file").to_owned()));
    };
    let media_types = rathaus_core::postbox::reply_accepts();
    let accept = Accept {
        media_types: &media_types,
        max_bytes: MAX_BYTES,
    };
    let label = chrome.t.get("efile-file");
    Ok(
        match uploads::check_and_store(&state.blobs, vec![file], &accept, 1).await? {
            Ok(mut stored) => Ok(stored.remove(0)),
            Err((name, problem)) => Err(messages::upload(chrome.t, label, &name, &problem)),
        },
    )
}

fn back_to(reference: &str) -> Response {
    Redirect::to(&format!("{INBOX}/{reference}#akte")).into_response()
}

/// Files an internal document (`titel`, `datei`) in the case.
pub async fn add(
    State(state): State<AppState>,
    chrome: Chrome,
    session: StaffSession,
    RequestOrigin(origin): RequestOrigin,
    Path(reference): Path<String>,
    request: Request,
) -> Result<Response, PageError> {
    // Whom the case is hidden from learns nothing from the form.
    let case = seen_case(&state, &chrome, &session, &reference).await?;
    let sent = Sent::read(&state, request).await?;
    let title = sent.field("titel").trim().to_owned();
    let stored = if title.is_empty() {
        Err(("akte-titel", chrome.t.get("efile-no-title").to_owned()))
    } else {
        stored_file(&state, &chrome, sent.file)
            .await?
            .map_err(|message| ("akte-datei", message))
    };
    let (name, media_type, blob) = match stored {
        Ok(stored) => stored,
        Err(error) => {
            let outcome = Outcome {
                document_title: title,
                errors: vec![error],
                ..Outcome::default()
            };
            return refused(&state, chrome, (&session, &origin), case, outcome).await;
        }
    };
    let file = documents::Stored {
        sha256: &blob.sha256,
        size: blob.size as i64,
        media_type,
        file_name: &name,
        text: None,
    };
    documents::add_internal(&state.db, &session.actor, &origin, &case, &title, file).await?;
    Ok(back_to(&case.reference))
}

/// Adds a version (`datei`) to a document of the case; `fassungen` is how many it had
/// when the page was shown.
pub async fn new_version(
    State(state): State<AppState>,
    chrome: Chrome,
    session: StaffSession,
    RequestOrigin(origin): RequestOrigin,
    Path((reference, document)): Path<(String, String)>,
    request: Request,
) -> Result<Response, PageError> {
    let case = seen_case(&state, &chrome, &session, &reference).await?;
    let id = uuid::Uuid::parse_str(&document).map_err(|_| PageError::NotFound)?;
    let sent = Sent::read(&state, request).await?;
    let seen: i32 = sent.field("fassungen").trim().parse().unwrap_or(0);
    let refuse = |message: String| Outcome {
        errors: vec![("akte", message)],
        ..Outcome::default()
    };
    let (name, media_type, blob) = match stored_file(&state, &chrome, sent.file).await? {
        Ok(stored) => stored,
        Err(message) => {
            return refused(&state, chrome, (&session, &origin), case, refuse(message)).await;
        }
    };
    let file = documents::Stored {
        sha256: &blob.sha256,
        size: blob.size as i64,
        media_type,
        file_name: &name,
        text: None,
    };
    match documents::add_version(&state.db, &session.actor, &origin, &case, id, seen, file).await {
        Ok(_) => Ok(back_to(&case.reference)),
        Err(CoreError::Conflict(_)) => {
            let message = chrome.t.get("efile-version-conflict").to_owned();
            refused(&state, chrome, (&session, &origin), case, refuse(message)).await
        }
        Err(other) => Err(other.into()),
    }
}

/// A document as the search lists it.
pub struct FoundRow {
    pub reference: String,
    pub id: String,
    pub title: String,
    pub what: String,
    pub added: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/documents.html")]
pub struct SearchPage {
    chrome: Chrome,
    staff: Option<StaffNav>,
    words: String,
    searched: bool,
    found: Vec<FoundRow>,
    /// "50 Treffer, die neuesten zuerst" when the search found the most it shows.
    capped: bool,
}

#[derive(Deserialize)]
pub struct Words {
    q: Option<String>,
}

/// Documents containing the words, in the cases the member of staff may see.
pub async fn search(
    State(state): State<AppState>,
    chrome: Chrome,
    session: StaffSession,
    RequestOrigin(origin): RequestOrigin,
    Query(words): Query<Words>,
) -> Result<SearchPage, PageError> {
    let words = words.q.unwrap_or_default();
    let tenant = chrome.tenant.id;
    let found = documents::search(&state.db, &session.actor, &origin, tenant, &words).await?;
    let found: Vec<FoundRow> = found
        .into_iter()
        .map(|f| FoundRow {
            what: format!(
                "{} · {}",
                chrome.t.get(&format!("efile-kind-{}", f.document.kind)),
                chrome
                    .t
                    .get(&format!("efile-direction-{}", f.document.direction))
            ),
            added: german_day(f.document.created_at),
            id: f.document.id.to_string(),
            title: f.document.title,
            reference: f.reference,
        })
        .collect();
    Ok(SearchPage {
        staff: StaffNav::of(&session.actor, tenant),
        searched: !words.trim().is_empty(),
        capped: found.len() as u64 >= documents::FOUND_AT_MOST,
        words,
        found,
        chrome,
    })
}
