//! The staff session cookie and the extractors that read it.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use rathaus_core::{Actor, staff};

use crate::error::PageError;
use crate::navigation::to_login;
use crate::session_cookie::STAFF;
use crate::state::AppState;
use crate::tenant::CurrentTenant;

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
        let token = STAFF
            .read(&parts.headers, state.config.behind_tls)
            .map(str::to_owned);
        let actor = match &token {
            Some(token) => staff::session_actor(&state.db, tenant.id, token)
                .await
                .map_err(|e| PageError::from(e).into_response())?,
            None => None,
        };
        match (actor, token) {
            (Some(actor), Some(token)) => Ok(Self { actor, token }),
            _ => Err(to_login(parts, "/verwaltung/anmelden")),
        }
    }
}
