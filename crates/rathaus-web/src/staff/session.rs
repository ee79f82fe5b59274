//! The staff session cookie and the extractors that read it.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use rathaus_core::staff::StaffUser;
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
    pub user: StaffUser,
    pub token: String,
}

/// Where a member of staff replaces their password.
pub const PASSWORD_PAGE: &str = "/verwaltung/passwort";

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
        let user = match &token {
            Some(token) => staff::session_user(&state.db, tenant.id, token)
                .await
                .map_err(|e| PageError::from(e).into_response())?,
            None => None,
        };
        let (Some(user), Some(token)) = (user, token) else {
            return Err(to_login(parts, "/verwaltung/anmelden"));
        };
        // An initial password chosen by an admin opens nothing but its replacement.
        let may_wait = [PASSWORD_PAGE, "/verwaltung/abmelden"].contains(&parts.uri.path());
        if user.password_change_required && !may_wait {
            return Err(Redirect::to(PASSWORD_PAGE).into_response());
        }
        let actor = staff::actor(state.db.conn(), &user)
            .await
            .map_err(|e| PageError::from(e).into_response())?;
        Ok(Self { actor, user, token })
    }
}
