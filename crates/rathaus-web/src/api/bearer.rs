//! The bearer token of an app acting for a citizen (RFC 6750). Cookies open nothing
//! here: an API that took the portal's cookie could be driven by any web page the
//! citizen visits (CSRF); a bearer token is only ever sent on purpose.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use rathaus_core::app_access::{self, Bearer, Scope};
use utoipa::Modify;
use utoipa::openapi::security::{AuthorizationCode, Flow, OAuth2, Scopes, SecurityScheme};

use super::ApiError;
use crate::state::AppState;
use crate::tenant::CurrentTenant;

/// The citizen an app acts for, with what it may do.
pub struct AppCitizen(pub Bearer);

impl AppCitizen {
    /// Refuses the request unless the citizen granted the app `scope`.
    pub fn require(&self, scope: Scope) -> Result<(), ApiError> {
        if self.0.scopes.contains(&scope) {
            return Ok(());
        }
        let detail = format!("the app was not granted the scope {scope}");
        Err(
            ApiError::new(StatusCode::FORBIDDEN, "Insufficient scope", Some(detail)).challenge(
                format!(r#"Bearer error="insufficient_scope", scope="{scope}""#),
            ),
        )
    }
}

fn unauthorized(token_given: bool) -> ApiError {
    let (challenge, detail) = if token_given {
        (
            r#"Bearer error="invalid_token""#,
            "the access token is unknown, expired or revoked",
        )
    } else {
        (
            "Bearer",
            "an access token is needed (Authorization: Bearer …)",
        )
    };
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "Unauthorized",
        Some(detail.into()),
    )
    .challenge(challenge.into())
}

impl FromRequestParts<AppState> for AppCitizen {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let tenant = CurrentTenant::of(parts)?;
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.trim());
        let Some(token) = token else {
            return Err(unauthorized(false));
        };
        app_access::bearer(&state.db, tenant.id, token)
            .await?
            .map(Self)
            .ok_or_else(|| unauthorized(true))
    }
}

/// The OAuth 2 security scheme in the OpenAPI description.
pub struct SecurityAddon;

impl Modify for SecurityAddon {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let scopes = Scopes::from_iter([
            (
                Scope::Applications.as_str(),
                "read the citizen's applications, their status and timeline",
            ),
            (
                Scope::Postbox.as_str(),
                "read the postbox of each application, answer and send documents",
            ),
        ]);
        let flow = AuthorizationCode::new("/oauth/authorize", "/oauth/token", scopes);
        let scheme = SecurityScheme::OAuth2(OAuth2::with_description(
            [Flow::AuthorizationCode(flow)],
            "Authorization code flow with PKCE (S256) for public clients; see \
             /.well-known/oauth-authorization-server",
        ));
        if let Some(components) = openapi.components.as_mut() {
            components.add_security_scheme("app", scheme);
        }
    }
}
