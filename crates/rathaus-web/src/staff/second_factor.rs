//! The second step of a staff login: the code from the authenticator app (or a recovery
//! code), and setting the app up at the first login.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use qrcode::QrCode;
use qrcode::render::svg;
use rathaus_core::login_guard::Attempt;
use rathaus_core::passkeys;
use rathaus_core::second_factor::{self, Enrolment};
use rathaus_core::staff::{self, Proof, StaffUser};
use serde::Deserialize;

use super::passkeys::relying_party;
use crate::chrome::Chrome;
use crate::error::PageError;
use crate::form::Field;
use crate::navigation::{ReturnTo, local_path};
use crate::request_origin::RequestOrigin;
use crate::session_cookie::STAFF;
use crate::state::AppState;
use crate::tenant::CurrentTenant;

/// A staff member who gave the right password and still owes the second factor.
/// Without such a session the request goes back to the password step.
pub struct PendingStaff {
    pub(super) user: StaffUser,
    pub(super) token: String,
}

impl FromRequestParts<AppState> for PendingStaff {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let tenant = CurrentTenant::of(parts).map_err(IntoResponse::into_response)?;
        if let Some(token) = STAFF.read(&parts.headers, state.config.behind_tls) {
            let found = staff::pending_user(&state.db, tenant.id, token)
                .await
                .map_err(|e| PageError::from(e).into_response())?;
            if let Some(user) = found {
                return Ok(Self {
                    user,
                    token: token.to_owned(),
                });
            }
        }
        Err(Redirect::to("/verwaltung/anmelden").into_response())
    }
}

fn code_field(chrome: &Chrome) -> Field {
    Field::new("code", chrome.t.get("staff-code-label"), "text")
        .hint(chrome.t.get("staff-code-hint"))
        .autocomplete("one-time-code")
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/enrol.html")]
struct EnrolPage {
    chrome: Chrome,
    errors: Vec<(&'static str, String)>,
    /// The QR code as inline SVG (no image request, nothing for the CSP to allow).
    qr_svg: String,
    /// The secret in groups of four, for typing.
    secret: String,
    fields: Vec<Field>,
    next: String,
}

fn enrol_page(chrome: Chrome, enrolment: &Enrolment, next: String) -> Result<EnrolPage, PageError> {
    let qr = QrCode::new(enrolment.uri.as_bytes())
        .map_err(|e| PageError::Internal(format!("QR code: {e}")))?;
    let qr_svg = qr.render::<svg::Color>().min_dimensions(220, 220).build();
    // The XML declaration is not allowed inside HTML.
    let qr_svg = qr_svg
        .split_once("?>")
        .map_or(qr_svg.clone(), |(_, rest)| rest.to_owned());
    let secret = enrolment
        .secret
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ");
    Ok(EnrolPage {
        fields: vec![code_field(&chrome).hint(chrome.t.get("staff-enrol-code-hint"))],
        chrome,
        errors: Vec::new(),
        qr_svg,
        secret,
        next,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/code.html")]
struct CodePage {
    chrome: Chrome,
    errors: Vec<(&'static str, String)>,
    fields: Vec<Field>,
    next: String,
    /// The person has a passkey and reached a host where it works.
    passkey: bool,
}

async fn code_page(
    state: &AppState,
    chrome: Chrome,
    pending: &PendingStaff,
    headers: &HeaderMap,
    next: String,
) -> Result<CodePage, PageError> {
    let passkey = relying_party(state, &chrome, headers).is_some()
        && passkeys::has_any(state.db.conn(), pending.user.id).await?;
    Ok(CodePage {
        fields: vec![code_field(&chrome)],
        chrome,
        errors: Vec::new(),
        next,
        passkey,
    })
}

/// The code form, or the enrolment page if the person has no second factor yet.
async fn second_step_page(
    state: &AppState,
    chrome: Chrome,
    pending: &PendingStaff,
    headers: &HeaderMap,
    next: String,
) -> Result<Response, PageError> {
    let conn = state.db.conn();
    if second_factor::is_enrolled(conn, pending.user.id).await? {
        return Ok(code_page(state, chrome, pending, headers, next)
            .await?
            .into_response());
    }
    let issuer = chrome.tenant.name.clone();
    let enrolment =
        second_factor::enrolment(conn, pending.user.id, &pending.user.email, &issuer).await?;
    Ok(enrol_page(chrome, &enrolment, next)?.into_response())
}

pub async fn code_form(
    State(state): State<AppState>,
    chrome: Chrome,
    pending: PendingStaff,
    headers: HeaderMap,
    Query(next): Query<ReturnTo>,
) -> Result<Response, PageError> {
    let next = local_path(next.weiter, "/verwaltung", "/verwaltung");
    second_step_page(&state, chrome, &pending, &headers, next).await
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
    weiter: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/recovery_codes.html")]
pub(super) struct RecoveryCodesPage {
    pub chrome: Chrome,
    /// Text key of the lead: codes of a new enrolment, or renewed ones.
    pub lead: &'static str,
    pub codes: Vec<String>,
    pub next: String,
}

pub async fn submit_code(
    State(state): State<AppState>,
    chrome: Chrome,
    pending: PendingStaff,
    headers: HeaderMap,
    RequestOrigin(origin): RequestOrigin,
    Form(form): Form<CodeForm>,
) -> Result<Response, PageError> {
    let next = local_path(form.weiter, "/verwaltung", "/verwaltung");
    let proof = Proof::Code(&form.code);
    let attempt =
        staff::complete_login(&state.db, &pending.user, &pending.token, proof, &origin).await?;
    let (status, message) = match attempt {
        Attempt::Succeeded(full) => {
            let cookie = STAFF.set(&full.login.token, state.config.behind_tls);
            let mut response = match full.recovery_codes {
                Some(codes) => RecoveryCodesPage {
                    chrome,
                    lead: "staff-recovery-lead",
                    codes,
                    next,
                }
                .into_response(),
                None => Redirect::to(&next).into_response(),
            };
            response.headers_mut().insert(header::SET_COOKIE, cookie);
            return Ok(response);
        }
        Attempt::Failed => (
            StatusCode::UNAUTHORIZED,
            chrome.t.get("staff-code-wrong").to_owned(),
        ),
        Attempt::Locked { until } => (
            StatusCode::TOO_MANY_REQUESTS,
            super::locked_message(&chrome, until),
        ),
    };
    let conn = state.db.conn();
    let page = if second_factor::is_enrolled(conn, pending.user.id).await? {
        let mut page = code_page(&state, chrome, &pending, &headers, next).await?;
        page.fields[0].error = Some(message.clone());
        page.errors.push(("code", message));
        page.into_response()
    } else {
        let issuer = chrome.tenant.name.clone();
        let enrolment =
            second_factor::enrolment(conn, pending.user.id, &pending.user.email, &issuer).await?;
        let mut page = enrol_page(chrome, &enrolment, next)?;
        page.fields[0].error = Some(message.clone());
        page.errors.push(("code", message));
        page.into_response()
    };
    Ok((status, page).into_response())
}
