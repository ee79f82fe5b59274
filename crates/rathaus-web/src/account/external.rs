//! Login through an external OpenID provider (BundID, state account): send the person
//! there, take the return, and explain clearly when it cannot be accepted.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use rathaus_core::citizens;
use rathaus_core::identity::{Audience, LoginProblem, Provider};

use super::message;
use crate::chrome::Chrome;
use crate::error::PageError;
use crate::external_login::{ProviderLogin, ReturnQuery, problem_key};
use crate::navigation::{ReturnTo, local_path};
use crate::request_origin::RequestOrigin;
use crate::session_cookie::CITIZEN;
use crate::state::AppState;

pub async fn start(
    State(state): State<AppState>,
    chrome: Chrome,
    Path(slug): Path<String>,
    Query(next): Query<ReturnTo>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let login = ProviderLogin::of(&state, &chrome, &headers, Audience::Citizens, &slug).await?;
    login
        .begin(&state, &local_path(next.weiter, "/", "/konto"))
        .await
}

pub async fn finish(
    State(state): State<AppState>,
    chrome: Chrome,
    RequestOrigin(origin): RequestOrigin,
    Path(slug): Path<String>,
    Query(query): Query<ReturnQuery>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let login = ProviderLogin::of(&state, &chrome, &headers, Audience::Citizens, &slug).await?;
    let provider = &login.provider;
    let identity = match login.finish(&state, &headers, query).await? {
        Ok(identity) => identity,
        Err(problem) => return Ok(refused(chrome, provider, problem)),
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
            // A login at a higher level (step-up) replaces the session it started from.
            if let Some(before) = CITIZEN.read(&headers, secure) {
                rathaus_core::sessions::end(state.db.conn(), before).await?;
            }
            let mut response = Redirect::to(&identity.return_to).into_response();
            response
                .headers_mut()
                .insert(header::SET_COOKIE, CITIZEN.set(&token, secure));
            Ok(response)
        }
        Err(problem) => Ok(refused(chrome, provider, problem)),
    }
}

fn refused(chrome: Chrome, provider: &Provider, problem: LoginProblem) -> Response {
    tracing::warn!(provider = %provider.slug, ?problem, "external login refused");
    let page = message(
        chrome,
        "external-failed-title",
        problem_key(&problem),
        Some(("/konto/anmelden", "account-login-title")),
    );
    (StatusCode::BAD_REQUEST, page).into_response()
}
