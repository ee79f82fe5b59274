//! Staff login through the city's own OpenID provider: the button on the login page, the
//! way there and the return. What the groups grant and whether our second factor
//! follows is decided in `rathaus_core::staff_sso`.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use rathaus_core::identity::{self, Audience};
use rathaus_core::staff_sso::{self, SsoLogin};

use crate::account::message;
use crate::chrome::Chrome;
use crate::error::PageError;
use crate::external_login::{ProviderLogin, ReturnQuery, problem_key};
use crate::navigation::{ReturnTo, local_path, query_encode};
use crate::request_origin::RequestOrigin;
use crate::session_cookie::STAFF;
use crate::state::AppState;

/// (link, label) of each staff provider of the tenant, for the login page.
pub async fn providers(
    state: &AppState,
    chrome: &Chrome,
    next: &str,
) -> Result<Vec<(String, String)>, PageError> {
    let all = identity::for_tenant(state.db.conn(), chrome.tenant.id, Audience::Staff).await?;
    Ok(all
        .into_iter()
        .map(|p| {
            let href = format!(
                "/verwaltung/anmelden/extern/{}?weiter={}",
                p.slug,
                query_encode(next)
            );
            let label = chrome.t.fmt("staff-sso-button", &[("name", &p.name)]);
            (href, label)
        })
        .collect())
}

pub async fn start(
    State(state): State<AppState>,
    chrome: Chrome,
    Path(slug): Path<String>,
    Query(next): Query<ReturnTo>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let login = ProviderLogin::of(&state, &chrome, &headers, Audience::Staff, &slug).await?;
    let return_to = local_path(next.weiter, "/verwaltung", "/verwaltung");
    login.begin(&state, &return_to).await
}

pub async fn finish(
    State(state): State<AppState>,
    chrome: Chrome,
    RequestOrigin(origin): RequestOrigin,
    Path(slug): Path<String>,
    Query(query): Query<ReturnQuery>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let login = ProviderLogin::of(&state, &chrome, &headers, Audience::Staff, &slug).await?;
    let provider = &login.provider;
    let identity = match login.finish(&state, &headers, query).await? {
        Ok(identity) => identity,
        Err(problem) => {
            tracing::warn!(provider = %provider.slug, ?problem, "staff login refused");
            return Ok(refused(chrome, problem_key(&problem)));
        }
    };
    let secure = state.config.behind_tls;
    let (token, to) = match staff_sso::sign_in(&state.db, provider, &identity, &origin).await? {
        SsoLogin::Complete(login) => (login.token, identity.return_to.clone()),
        SsoLogin::SecondFactor(login) => {
            let code_page = format!(
                "/verwaltung/anmelden/code?weiter={}",
                query_encode(&identity.return_to)
            );
            (login.token, code_page)
        }
        SsoLogin::NoAccess => return Ok(refused(chrome, "staff-sso-no-access")),
        SsoLogin::EmailNotConfirmed => return Ok(refused(chrome, "staff-sso-no-email")),
    };
    let mut response = Redirect::to(&to).into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, STAFF.set(&token, secure));
    Ok(response)
}

fn refused(chrome: Chrome, key: &str) -> Response {
    let page = message(
        chrome,
        "external-failed-title",
        key,
        Some(("/verwaltung/anmelden", "staff-login-title")),
    );
    (StatusCode::FORBIDDEN, page).into_response()
}
