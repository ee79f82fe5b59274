//! The staff session cookie and the extractors that read it.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use rathaus_core::{Actor, Origin, staff};

use crate::error::PageError;
use crate::i18n::cookie;
use crate::state::AppState;
use crate::tenant::CurrentTenant;

const COOKIE: &str = "rathaus_staff";

/// `Set-Cookie` for a new session: HttpOnly, only sent to the staff area, never
/// cross-site, `Secure` when served over HTTPS.
pub fn session_cookie(token: &str, secure: bool) -> HeaderValue {
    let max_age = staff::SESSION_LENGTH.num_seconds();
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{COOKIE}={token}; Path=/verwaltung; Max-Age={max_age}; HttpOnly; SameSite=Strict{secure}"
    ))
    .expect("token is hex")
}

pub fn expired_cookie() -> HeaderValue {
    HeaderValue::from_static(
        "rathaus_staff=; Path=/verwaltung; Max-Age=0; HttpOnly; SameSite=Strict",
    )
}

/// A logged-in staff member of the request's tenant. Without a valid session the
/// request is sent to the login page, which brings the person back afterwards.
pub struct StaffSession {
    pub actor: Actor,
    pub token: String,
}

impl FromRequestParts<AppState> for StaffSession {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let tenant = CurrentTenant::of(parts).map_err(IntoResponse::into_response)?;
        let token = cookie(&parts.headers, COOKIE).map(str::to_owned);
        let actor = match &token {
            Some(token) => staff::session_actor(&state.db, tenant.id, token)
                .await
                .map_err(|e| PageError::from(e).into_response())?,
            None => None,
        };
        match (actor, token) {
            (Some(actor), Some(token)) => Ok(Self { actor, token }),
            _ => {
                let here = parts
                    .uri
                    .path_and_query()
                    .map_or("/verwaltung", |pq| pq.as_str());
                let target = format!("/verwaltung/anmelden?weiter={}", super::enc(here));
                Err(Redirect::to(&target).into_response())
            }
        }
    }
}

/// Where the request came from, for the audit log.
pub struct RequestOrigin(pub Origin);

impl<S: Send + Sync> FromRequestParts<S> for RequestOrigin {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let ip = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip().to_string());
        let user_agent = parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        Ok(Self(Origin { ip, user_agent }))
    }
}
