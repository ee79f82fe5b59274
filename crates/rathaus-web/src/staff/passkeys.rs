//! The security page of a member of staff (passkeys, recovery codes, password) and the
//! passkey step of the login. The WebAuthn ceremonies need JavaScript
//! (`assets/passkey.js`), which talks JSON to the endpoints here; everything else on
//! these pages works without it.

use askama::Template;
use askama_web::WebTemplate;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono_tz::Europe::Berlin;
use rathaus_core::login_guard::Attempt;
use rathaus_core::passkeys::{self, Registration, RelyingParty};
use rathaus_core::second_factor;
use rathaus_core::staff::{self, Proof};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use super::StaffNav;
use super::second_factor::{PendingStaff, RecoveryCodesPage};
use super::session::{PASSWORD_PAGE, StaffSession};
use crate::chrome::Chrome;
use crate::error::PageError;
use crate::navigation::local_path;
use crate::request_origin::RequestOrigin;
use crate::session_cookie::STAFF;
use crate::state::AppState;
use crate::tenant::registered_origin;

pub const SECURITY_PAGE: &str = "/verwaltung/sicherheit";

/// The site as passkeys see it: only at one of the tenant's registered host names
/// (a passkey is bound to a domain; an IP address or a stranger's host has none).
pub(super) fn relying_party(
    state: &AppState,
    chrome: &Chrome,
    headers: &HeaderMap,
) -> Option<RelyingParty> {
    let origin = registered_origin(state, chrome.tenant.id, headers)?;
    RelyingParty::for_origin(&origin, &chrome.tenant.name)
}

/// The relying party for a ceremony, or the script's answer that this host has none.
fn ceremony_site(
    state: &AppState,
    chrome: &Chrome,
    headers: &HeaderMap,
) -> Result<RelyingParty, Box<Response>> {
    relying_party(state, chrome, headers).ok_or_else(|| {
        Box::new(refusal(
            StatusCode::BAD_REQUEST,
            chrome.t.get("staff-passkey-wrong-host"),
        ))
    })
}

/// A JSON answer for the script: `{"fehler": …}` with a status.
fn refusal(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "fehler": message }))).into_response()
}

fn go_on(to: &str) -> Json<serde_json::Value> {
    Json(json!({ "weiter": to }))
}

struct PasskeyRow {
    id: Uuid,
    name: String,
    created: String,
    last_used: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/security.html")]
pub struct SecurityPage {
    chrome: Chrome,
    staff: Option<StaffNav>,
    passkeys: Vec<PasskeyRow>,
    /// Passkeys can be added here (the request came to a registered host name).
    passkeys_possible: bool,
    /// Where passkeys work, when not here.
    passkey_hosts: String,
    recovery_codes_left: u64,
    password_page: &'static str,
    done: Option<String>,
}

fn date(at: chrono::DateTime<chrono::Utc>) -> String {
    at.with_timezone(&Berlin).format("%d.%m.%Y").to_string()
}

async fn security_page(
    state: &AppState,
    chrome: Chrome,
    session: &StaffSession,
    headers: &HeaderMap,
    done: Option<&str>,
) -> Result<SecurityPage, PageError> {
    let conn = state.db.conn();
    let passkeys = passkeys::list(conn, session.user.id)
        .await?
        .into_iter()
        .map(|p| PasskeyRow {
            id: p.id,
            name: p.name,
            created: date(p.created_at),
            last_used: p.last_used_at.map(date),
        })
        .collect();
    Ok(SecurityPage {
        staff: StaffNav::of(&session.actor, chrome.tenant.id),
        passkeys,
        passkeys_possible: relying_party(state, &chrome, headers).is_some(),
        passkey_hosts: state.tenants.hosts_of(chrome.tenant.id).join(", "),
        recovery_codes_left: second_factor::recovery_codes_left(conn, session.user.id).await?,
        password_page: PASSWORD_PAGE,
        done: done.map(|key| chrome.t.get(key).to_owned()),
        chrome,
    })
}

#[derive(Deserialize)]
pub struct Done {
    erledigt: Option<String>,
}

pub async fn page(
    State(state): State<AppState>,
    chrome: Chrome,
    session: StaffSession,
    headers: HeaderMap,
    Query(done): Query<Done>,
) -> Result<SecurityPage, PageError> {
    let key = match done.erledigt.as_deref() {
        Some("passkey-hinzugefuegt") => Some("staff-passkey-added"),
        Some("passkey-entfernt") => Some("staff-passkey-removed"),
        _ => None,
    };
    security_page(&state, chrome, &session, &headers, key).await
}

#[derive(Deserialize)]
pub struct PasskeyName {
    #[serde(default)]
    name: String,
}

/// The challenge for a new passkey. The name is checked first, so that the browser does
/// not create a key on the authenticator that the server would then refuse.
pub async fn registration_options(
    State(state): State<AppState>,
    chrome: Chrome,
    session: StaffSession,
    headers: HeaderMap,
    Json(named): Json<PasskeyName>,
) -> Result<Response, PageError> {
    let rp = match ceremony_site(&state, &chrome, &headers) {
        Ok(rp) => rp,
        Err(refused) => return Ok(*refused),
    };
    if named.name.trim().is_empty() {
        return Ok(refusal(
            StatusCode::UNPROCESSABLE_ENTITY,
            chrome.t.get("staff-passkey-name-missing"),
        ));
    }
    let options =
        passkeys::start_registration(&state.db, &rp, &session.user, &session.token).await?;
    Ok(Json(options).into_response())
}

#[derive(Deserialize)]
pub struct NewPasskey {
    #[serde(default)]
    name: String,
    credential: serde_json::Value,
}

pub async fn register(
    State(state): State<AppState>,
    chrome: Chrome,
    session: StaffSession,
    headers: HeaderMap,
    RequestOrigin(origin): RequestOrigin,
    Json(new): Json<NewPasskey>,
) -> Result<Response, PageError> {
    let rp = match ceremony_site(&state, &chrome, &headers) {
        Ok(rp) => rp,
        Err(refused) => return Ok(*refused),
    };
    let outcome = passkeys::finish_registration(
        &state.db,
        &rp,
        &session.user,
        &session.token,
        &new.name,
        &new.credential.to_string(),
        &origin,
    )
    .await?;
    Ok(match outcome {
        Registration::Added(_) => {
            go_on(&format!("{SECURITY_PAGE}?erledigt=passkey-hinzugefuegt")).into_response()
        }
        Registration::NameMissing => refusal(
            StatusCode::UNPROCESSABLE_ENTITY,
            chrome.t.get("staff-passkey-name-missing"),
        ),
        Registration::Refused => refusal(
            StatusCode::UNPROCESSABLE_ENTITY,
            chrome.t.get("staff-passkey-refused"),
        ),
    })
}

pub async fn remove(
    State(state): State<AppState>,
    session: StaffSession,
    RequestOrigin(origin): RequestOrigin,
    Path(id): Path<Uuid>,
) -> Result<Response, PageError> {
    if !passkeys::remove(&state.db, &session.user, id, &origin).await? {
        return Err(PageError::NotFound);
    }
    Ok(Redirect::to(&format!("{SECURITY_PAGE}?erledigt=passkey-entfernt")).into_response())
}

/// New recovery codes replace the old ones (all of them: a printed list may be lost).
pub async fn new_recovery_codes(
    State(state): State<AppState>,
    chrome: Chrome,
    session: StaffSession,
    RequestOrigin(origin): RequestOrigin,
) -> Result<RecoveryCodesPage, PageError> {
    let codes = staff::renew_recovery_codes(&state.db, &session.user, &origin).await?;
    Ok(RecoveryCodesPage {
        chrome,
        lead: "staff-recovery-renewed-lead",
        codes,
        next: SECURITY_PAGE.to_owned(),
    })
}

/// The second login step with a passkey: the challenge for the person's passkeys.
pub async fn login_options(
    State(state): State<AppState>,
    chrome: Chrome,
    pending: PendingStaff,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let rp = match ceremony_site(&state, &chrome, &headers) {
        Ok(rp) => rp,
        Err(refused) => return Ok(*refused),
    };
    let options = passkeys::start_login(&state.db, &rp, pending.user.id, &pending.token).await?;
    Ok(match options {
        Some(options) => Json(options).into_response(),
        None => refusal(StatusCode::NOT_FOUND, chrome.t.get("staff-passkey-none")),
    })
}

#[derive(Deserialize)]
pub struct PasskeyLogin {
    weiter: Option<String>,
    credential: serde_json::Value,
}

pub async fn login(
    State(state): State<AppState>,
    chrome: Chrome,
    pending: PendingStaff,
    headers: HeaderMap,
    RequestOrigin(origin): RequestOrigin,
    Json(answer): Json<PasskeyLogin>,
) -> Result<Response, PageError> {
    let rp = match ceremony_site(&state, &chrome, &headers) {
        Ok(rp) => rp,
        Err(refused) => return Ok(*refused),
    };
    let next = local_path(answer.weiter, "/verwaltung", "/verwaltung");
    let response = answer.credential.to_string();
    let proof = Proof::Passkey {
        rp: &rp,
        response: &response,
    };
    let attempt =
        staff::complete_login(&state.db, &pending.user, &pending.token, proof, &origin).await?;
    Ok(match attempt {
        Attempt::Succeeded(full) => {
            let cookie = STAFF.set(&full.login.token, state.config.behind_tls);
            let mut response = go_on(&next).into_response();
            response.headers_mut().insert(header::SET_COOKIE, cookie);
            response
        }
        Attempt::Failed => refusal(
            StatusCode::UNAUTHORIZED,
            chrome.t.get("staff-passkey-refused"),
        ),
        Attempt::Locked { until } => refusal(
            StatusCode::TOO_MANY_REQUESTS,
            &super::locked_message(&chrome, until),
        ),
    })
}
