//! Login through an external OpenID provider (BundID, state account): send the person
//! there, take the return, and explain clearly when it cannot be accepted.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use rathaus_core::citizens;
use rathaus_core::identity::{self, LoginProblem, Provider};
use serde::Deserialize;

use super::{link_base, message};
use crate::chrome::Chrome;
use crate::error::PageError;
use crate::navigation::{ReturnTo, local_path};
use crate::request_origin::RequestOrigin;
use crate::session_cookie::CITIZEN;
use crate::state::AppState;

async fn provider(state: &AppState, chrome: &Chrome, slug: &str) -> Result<Provider, PageError> {
    identity::by_slug(state.db.conn(), chrome.tenant.id, slug)
        .await?
        .ok_or(PageError::NotFound)
}

/// The address the provider sends the person back to; registered at the provider.
fn return_address(base: &str, slug: &str) -> String {
    format!("{base}/konto/anmelden/extern/{slug}/rueckkehr")
}

pub async fn start(
    State(state): State<AppState>,
    chrome: Chrome,
    Path(slug): Path<String>,
    Query(next): Query<ReturnTo>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let provider = provider(&state, &chrome, &slug).await?;
    let redirect_uri = return_address(&link_base(&state, &chrome, &headers)?, &slug);
    let return_to = local_path(next.weiter, "/", "/konto");
    let url = identity::begin(&state.db, &provider, &redirect_uri, &return_to).await?;
    Ok(Redirect::to(&url).into_response())
}

#[derive(Deserialize)]
pub struct ReturnQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

pub async fn finish(
    State(state): State<AppState>,
    chrome: Chrome,
    RequestOrigin(origin): RequestOrigin,
    Path(slug): Path<String>,
    Query(query): Query<ReturnQuery>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let provider = provider(&state, &chrome, &slug).await?;
    let redirect_uri = return_address(&link_base(&state, &chrome, &headers)?, &slug);
    let outcome = match (query.error, query.state, query.code) {
        (Some(error), _, _) => Err(LoginProblem::Refused(error)),
        (None, Some(login_state), Some(code)) => {
            identity::finish(&state.db, &provider, &redirect_uri, &login_state, &code).await?
        }
        _ => Err(LoginProblem::BadState),
    };
    let identity = match outcome {
        Ok(identity) => identity,
        Err(problem) => return Ok(refused(chrome, &provider, problem)),
    };
    // Someone logged in already links the provider to their account.
    let secure = state.config.behind_tls;
    let current = match CITIZEN.read(&headers, secure) {
        Some(token) => citizens::session_citizen(&state.db, chrome.tenant.id, token).await?,
        None => None,
    };
    let signed_in = citizens::sign_in_external(
        &state.db,
        chrome.tenant.id,
        &identity,
        current.as_ref(),
        chrome.lang.code(),
        &origin,
    )
    .await?;
    match signed_in {
        Ok(token) => {
            let mut response = Redirect::to(&identity.return_to).into_response();
            response
                .headers_mut()
                .insert(header::SET_COOKIE, CITIZEN.set(&token, secure));
            Ok(response)
        }
        Err(problem) => Ok(refused(chrome, &provider, problem)),
    }
}

fn refused(chrome: Chrome, provider: &Provider, problem: LoginProblem) -> Response {
    tracing::warn!(provider = %provider.slug, ?problem, "external login refused");
    let key = match problem {
        LoginProblem::BadState => "external-bad-state",
        LoginProblem::Refused(_) => "external-refused",
        LoginProblem::InvalidResponse(_) => "external-invalid",
        LoginProblem::UnknownAcr(_) => "external-unknown-level",
        LoginProblem::NoConfirmedEmail => "external-no-email",
        LoginProblem::EmailTaken => "external-email-taken",
    };
    let page = message(
        chrome,
        "external-failed-title",
        key,
        Some(("/konto/anmelden", "account-login-title")),
    );
    (StatusCode::BAD_REQUEST, page).into_response()
}
