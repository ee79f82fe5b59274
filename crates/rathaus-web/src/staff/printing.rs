//! Outgoing paper mail (Postausgang): the letters waiting to be printed, the print
//! batches with their PDF and CSV manifest, and marking a batch as posted.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use rathaus_core::error::CoreError;
use rathaus_core::letters::print;
use rathaus_core::policy;
use serde::Deserialize;
use uuid::Uuid;

use super::session::StaffSession;
use super::{StaffNav, german_day};
use crate::assistant::local_time;
use crate::chrome::Chrome;
use crate::error::PageError;
use crate::request_origin::RequestOrigin;
use crate::routes::{Access::StaffWith, Routes};
use crate::state::AppState;

const PAGE: &str = "/verwaltung/postausgang";
const ROUTE_MAIL: crate::routes::Access = StaffWith(policy::Permission::RouteMail);

pub fn routes() -> Routes {
    Routes::default()
        .get(PAGE, ROUTE_MAIL, overview)
        .post(PAGE, ROUTE_MAIL, collect)
        .get("/verwaltung/postausgang/{id}/stapel.pdf", ROUTE_MAIL, pdf)
        .get(
            "/verwaltung/postausgang/{id}/manifest.csv",
            ROUTE_MAIL,
            manifest,
        )
        .post("/verwaltung/postausgang/{id}/versandt", ROUTE_MAIL, posted)
}

/// A paper letter waiting for the next batch.
pub struct WaitingLetter {
    pub reference: String,
    pub title: String,
    pub issued: String,
}

pub struct BatchRow {
    pub id: String,
    pub created: String,
    /// "3 Schreiben, 5 Seiten".
    pub size: String,
    /// "versandt am 04.12.2026 (Paula Post)", if it was.
    pub posted: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/printing.html")]
pub struct PrintingPage {
    chrome: Chrome,
    staff: Option<StaffNav>,
    waiting: Vec<WaitingLetter>,
    batches: Vec<BatchRow>,
    /// Today as a German date, the default day of posting.
    today: String,
    done: Option<String>,
    errors: Vec<(&'static str, String)>,
}

#[derive(Deserialize)]
pub struct Done {
    erledigt: Option<String>,
}

async fn page(
    state: &AppState,
    chrome: Chrome,
    session: &StaffSession,
    done: Option<&str>,
) -> Result<PrintingPage, PageError> {
    let conn = state.db.conn();
    let tenant = chrome.tenant.id;
    let waiting = print::waiting(conn, &session.actor, tenant)
        .await?
        .into_iter()
        .map(|l| WaitingLetter {
            issued: local_time(l.issued_at),
            reference: l.reference,
            title: l.title,
        })
        .collect();
    let batches = print::batches(conn, &session.actor, tenant)
        .await?
        .into_iter()
        .map(|b| BatchRow {
            id: b.id.to_string(),
            created: local_time(b.created_at),
            size: chrome.t.fmt(
                "printing-size",
                &[
                    ("letters", &b.letters.to_string()),
                    ("pages", &b.pages.to_string()),
                ],
            ),
            posted: b.posted_on.map(|day| {
                chrome.t.fmt(
                    "printing-posted-on",
                    &[
                        ("day", &day.format("%d.%m.%Y").to_string()),
                        ("who", b.posted_by.as_deref().unwrap_or("")),
                    ],
                )
            }),
        })
        .collect();
    let done = done.map(|key| chrome.t.get(&format!("printing-done-{key}")).to_owned());
    Ok(PrintingPage {
        staff: StaffNav::of(&session.actor, tenant),
        waiting,
        batches,
        today: german_day(chrono::Utc::now()),
        done,
        errors: Vec::new(),
        chrome,
    })
}

pub async fn overview(
    State(state): State<AppState>,
    chrome: Chrome,
    session: StaffSession,
    Query(query): Query<Done>,
) -> Result<PrintingPage, PageError> {
    let done = query
        .erledigt
        .as_deref()
        .filter(|d| matches!(*d, "stapel" | "versandt" | "nichts"));
    page(&state, chrome, &session, done).await
}

/// Collects every waiting letter into a new batch.
pub async fn collect(
    State(state): State<AppState>,
    chrome: Chrome,
    session: StaffSession,
    RequestOrigin(origin): RequestOrigin,
) -> Result<Response, PageError> {
    let made = print::collect(
        &state.db,
        &state.blobs,
        &state.letters,
        &session.actor,
        &origin,
        chrome.tenant.id,
        None,
    )
    .await;
    let done = match made {
        Ok(Some(_)) => "stapel",
        Ok(None) => "nichts",
        // Someone else collected at the same moment: their batch has the letters.
        Err(CoreError::Conflict(_)) => "stapel",
        Err(other) => return Err(other.into()),
    };
    Ok(Redirect::to(&format!("{PAGE}?erledigt={done}")).into_response())
}

async fn the_batch(
    state: &AppState,
    chrome: &Chrome,
    session: &StaffSession,
    origin: &rathaus_core::actor::Origin,
    id: &str,
) -> Result<(print::Batch, Vec<rathaus_core::letters::Issued>), PageError> {
    let id = Uuid::parse_str(id).map_err(|_| PageError::NotFound)?;
    print::batch(&state.db, &session.actor, origin, chrome.tenant.id, id)
        .await?
        .ok_or(PageError::NotFound)
}

/// "druckstapel-20261204-071500.pdf": sorts by time in any download folder.
fn file_name(batch: &print::Batch, extension: &str) -> String {
    let made = batch.created_at.format("%Y%m%d-%H%M%S");
    format!("druckstapel-{made}.{extension}")
}

/// The batch as one PDF for the printer.
pub async fn pdf(
    State(state): State<AppState>,
    chrome: Chrome,
    session: StaffSession,
    RequestOrigin(origin): RequestOrigin,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let (batch, _) = the_batch(&state, &chrome, &session, &origin, &id).await?;
    let bytes = state.blobs.get(&batch.pdf_sha256).await?;
    let name = file_name(&batch, "pdf");
    Ok(super::inline_file(&name, "application/pdf".into(), bytes))
}

/// The manifest of the batch for a hybrid-mail provider.
pub async fn manifest(
    State(state): State<AppState>,
    chrome: Chrome,
    session: StaffSession,
    RequestOrigin(origin): RequestOrigin,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let (batch, letters) = the_batch(&state, &chrome, &session, &origin, &id).await?;
    let name = file_name(&batch, "csv");
    let headers = [
        (
            axum::http::header::CONTENT_TYPE,
            "text/csv; charset=utf-8".to_owned(),
        ),
        (
            axum::http::header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ),
        (
            axum::http::header::CACHE_CONTROL,
            "private, no-store".to_owned(),
        ),
    ];
    Ok((headers, print::manifest(&letters)).into_response())
}

#[derive(Deserialize)]
pub struct PostedForm {
    #[serde(default)]
    tag: String,
}

/// Marks the batch as handed to the post on the day given.
pub async fn posted(
    State(state): State<AppState>,
    chrome: Chrome,
    session: StaffSession,
    RequestOrigin(origin): RequestOrigin,
    Path(id): Path<String>,
    Form(form): Form<PostedForm>,
) -> Result<Response, PageError> {
    let id = Uuid::parse_str(&id).map_err(|_| PageError::NotFound)?;
    let today = rathaus_core::time::local_day(chrono::Utc::now());
    let day = match rathaus_forms::values::date(form.tag.trim()) {
        Ok(day) if day <= today && day > today - chrono::Duration::days(30) => day,
        _ => {
            let mut page = page(&state, chrome, &session, None).await?;
            let message = page.chrome.t.get("printing-day-invalid").to_owned();
            page.errors.push(("stapel", message));
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    let marked = print::mark_posted(
        &state.db,
        &session.actor,
        &origin,
        chrome.tenant.id,
        id,
        day,
    )
    .await;
    match marked {
        Ok(()) | Err(CoreError::Conflict(_)) => {
            Ok(Redirect::to(&format!("{PAGE}?erledigt=versandt")).into_response())
        }
        Err(other) => Err(other.into()),
    }
}
