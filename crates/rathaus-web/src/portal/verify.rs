//! The public verification page: anyone holding a document of the town (a permit shown
//! at a parking check, a certificate handed to an employer) checks it by its QR code or
//! short code, and may upload the PDF to learn whether it is exactly the one issued.
//! The page names issuer, date and kind of document, never the person it is about.

use askama::Template;
use askama_web::WebTemplate;
use axum::Json;
use axum::extract::{FromRequest, Multipart, Path, Query, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use rathaus_core::letters::{self, Kind, Verdict, codes, signing};
use serde::{Deserialize, Serialize};

use crate::chrome::Chrome;
use crate::error::PageError;
use crate::routes::{Access::Public, Routes};
use crate::state::AppState;

pub const PAGE: &str = "/verify";

/// The verification page as the applicant's browser reaches it (printed on letters).
pub(crate) fn address(
    state: &AppState,
    chrome: &Chrome,
    headers: &axum::http::HeaderMap,
) -> Result<String, PageError> {
    Ok(format!(
        "{}{PAGE}",
        crate::account::link_base(state, chrome, headers)?
    ))
}

pub fn routes() -> Routes {
    Routes::default()
        .get(PAGE, Public, start)
        .post(PAGE, Public, by_upload)
        .get("/verify/schluessel", Public, keys)
        .get("/verify/{code}", Public, by_code)
        .post("/verify/{code}", Public, compare)
}

/// What the page found out about one document.
pub struct Finding {
    pub code: String,
    pub kind: String,
    pub issued: String,
    pub valid: bool,
    pub signature_valid: bool,
    /// "widerrufen am 04.12.2026: Umzug in eine andere Zone".
    pub revoked: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "portal/verify.html")]
pub struct VerifyPage {
    chrome: Chrome,
    /// The document looked up, if one was.
    finding: Option<Finding>,
    /// What the page says about a code that names no document.
    unknown: Option<String>,
    /// "Dieses Dokument wurde von Musterstadt ausgestellt …".
    valid_text: String,
    /// The outcome of comparing an uploaded file: matches or not.
    upload: Option<bool>,
    errors: Vec<(&'static str, String)>,
}

impl VerifyPage {
    fn new(chrome: Chrome) -> Self {
        let valid_text = chrome
            .t
            .fmt("verify-valid", &[("town", chrome.tenant.name.as_str())]);
        Self {
            chrome,
            valid_text,
            finding: None,
            unknown: None,
            upload: None,
            errors: Vec::new(),
        }
    }
}

fn finding(chrome: &Chrome, verdict: &Verdict) -> Finding {
    let document = &verdict.document;
    let kind = Kind::from_key(&document.kind)
        .map(|k| {
            chrome
                .t
                .get(&format!("letters-kind-{}", k.key()))
                .to_owned()
        })
        .unwrap_or_else(|| document.kind.clone());
    Finding {
        code: document.code.clone(),
        kind,
        issued: crate::staff::german_day(document.issued_at),
        valid: verdict.valid(),
        signature_valid: verdict.signature_valid,
        revoked: document.revoked_at.map(|at| {
            chrome.t.fmt(
                "verify-revoked-on",
                &[
                    ("day", &crate::staff::german_day(at)),
                    ("reason", document.revoked_reason.as_deref().unwrap_or("")),
                ],
            )
        }),
    }
}

fn unknown(chrome: &Chrome, code: &str) -> String {
    chrome.t.fmt("verify-unknown", &[("code", code)])
}

#[derive(Deserialize)]
pub struct CodeQuery {
    code: Option<String>,
}

/// The form; with `?code=` (the form sent without JavaScript) the page of that code.
pub async fn start(chrome: Chrome, Query(query): Query<CodeQuery>) -> Response {
    match query
        .code
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        Some(typed) => match codes::normalise(typed) {
            Some(code) => Redirect::to(&format!("{PAGE}/{code}")).into_response(),
            None => {
                let mut page = VerifyPage::new(chrome);
                let message = page.chrome.t.get("verify-code-malformed").to_owned();
                page.errors.push(("code", message));
                (StatusCode::UNPROCESSABLE_ENTITY, page).into_response()
            }
        },
        None => VerifyPage::new(chrome).into_response(),
    }
}

/// The page of one document, as its QR code leads to it.
pub async fn by_code(
    State(state): State<AppState>,
    chrome: Chrome,
    Path(code): Path<String>,
) -> Result<Response, PageError> {
    let verdict = letters::by_code(state.db.conn(), &chrome.tenant, &code).await?;
    let mut page = VerifyPage::new(chrome);
    match verdict {
        Some(verdict) => {
            page.finding = Some(finding(&page.chrome, &verdict));
            Ok(page.into_response())
        }
        None => {
            page.unknown = Some(unknown(&page.chrome, &code));
            Ok((StatusCode::NOT_FOUND, page).into_response())
        }
    }
}

/// The uploaded PDF (field `datei`); `None` if none was sent.
async fn uploaded(state: &AppState, request: Request) -> Result<Option<Vec<u8>>, PageError> {
    let bad = |e: axum::extract::multipart::MultipartError| PageError::BadRequest(e.body_text());
    let mut multipart = Multipart::from_request(request, state)
        .await
        .map_err(|e| PageError::BadRequest(e.body_text()))?;
    let mut file = None;
    while let Some(part) = multipart.next_field().await.map_err(bad)? {
        if part.name() == Some("datei") {
            file = Some(part.bytes().await.map_err(bad)?.to_vec());
        }
    }
    Ok(file.filter(|bytes| !bytes.is_empty()))
}

fn no_file(mut page: VerifyPage) -> Response {
    let message = page.chrome.t.get("verify-no-file").to_owned();
    page.errors.push(("datei", message));
    (StatusCode::UNPROCESSABLE_ENTITY, page).into_response()
}

/// Whether the uploaded PDF is exactly the document with this code.
pub async fn compare(
    State(state): State<AppState>,
    chrome: Chrome,
    Path(code): Path<String>,
    request: Request,
) -> Result<Response, PageError> {
    let file = uploaded(&state, request).await?;
    let conn = state.db.conn();
    let Some(verdict) = letters::by_code(conn, &chrome.tenant, &code).await? else {
        let mut page = VerifyPage::new(chrome);
        page.unknown = Some(unknown(&page.chrome, &code));
        return Ok((StatusCode::NOT_FOUND, page).into_response());
    };
    let mut page = VerifyPage::new(chrome);
    page.finding = Some(finding(&page.chrome, &verdict));
    let Some(file) = file else {
        return Ok(no_file(page));
    };
    let same = letters::by_content(conn, &page.chrome.tenant, &file)
        .await?
        .is_some_and(|found| found.document.id == verdict.document.id);
    page.upload = Some(same);
    Ok(page.into_response())
}

/// Which document, if any, the uploaded PDF is.
pub async fn by_upload(
    State(state): State<AppState>,
    chrome: Chrome,
    request: Request,
) -> Result<Response, PageError> {
    let file = uploaded(&state, request).await?;
    let mut page = VerifyPage::new(chrome);
    let Some(file) = file else {
        return Ok(no_file(page));
    };
    let found = letters::by_content(state.db.conn(), &page.chrome.tenant, &file).await?;
    page.upload = Some(found.is_some());
    page.finding = found.map(|verdict| finding(&page.chrome, &verdict));
    Ok(page.into_response())
}

/// A public key of the town, for checking signatures without this server.
#[derive(Serialize)]
pub struct PublicKey {
    id: String,
    algorithm: &'static str,
    public_key: String,
    created_at: String,
    retired_at: Option<String>,
}

/// The town's signing keys, current and retired.
pub async fn keys(
    State(state): State<AppState>,
    chrome: Chrome,
) -> Result<Json<Vec<PublicKey>>, PageError> {
    let keys = signing::all(state.db.conn(), chrome.tenant.id).await?;
    Ok(Json(
        keys.into_iter()
            .map(|k| PublicKey {
                id: k.id.to_string(),
                algorithm: "Ed25519",
                public_key: k.public_key,
                created_at: k.created_at.to_rfc3339(),
                retired_at: k.retired_at.map(|at| at.to_rfc3339()),
            })
            .collect(),
    ))
}
