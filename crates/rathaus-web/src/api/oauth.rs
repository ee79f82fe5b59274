//! The authorization server for the city's app (OAuth 2, public client, PKCE): the
//! citizen logs in as in the portal and says yes or no on a consent page; the app
//! exchanges the code for tokens at `/oauth/token`. Described for the app's libraries
//! at `/.well-known/oauth-authorization-server` (RFC 8414).

use askama::Template;
use askama_web::WebTemplate;
use axum::Json;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use rathaus_core::app_access::{
    self, Authorization, AuthorizeError, RequestParams, Scope, TokenError, Tokens,
};
use serde::{Deserialize, Serialize};

use crate::account::{CitizenSession, link_base, message};
use crate::chrome::Chrome;
use crate::error::PageError;
use crate::request_origin::RequestOrigin;
use crate::routes::Access::{Citizen, Public};
use crate::routes::Routes;
use crate::security::CONTENT_SECURITY_POLICY;
use crate::state::AppState;

pub fn routes() -> Routes {
    Routes::default()
        .get("/.well-known/oauth-authorization-server", Public, metadata)
        .get("/oauth/authorize", Citizen, ask)
        .post("/oauth/authorize", Citizen, decide)
        .post("/oauth/token", Public, token)
        .post("/oauth/revoke", Public, revoke)
}

/// RFC 8414 server metadata.
async fn metadata(
    State(state): State<AppState>,
    chrome: Chrome,
    headers: HeaderMap,
) -> Result<Json<serde_json::Value>, PageError> {
    let issuer = link_base(&state, &chrome, &headers)?;
    let scopes: Vec<&str> = Scope::ALL.iter().map(|s| s.as_str()).collect();
    Ok(Json(serde_json::json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/oauth/authorize"),
        "token_endpoint": format!("{issuer}/oauth/token"),
        "revocation_endpoint": format!("{issuer}/oauth/revoke"),
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["none"],
        "revocation_endpoint_auth_methods_supported": ["none"],
        "scopes_supported": scopes,
        "authorization_response_iss_parameter_supported": true,
        "service_documentation": format!("{issuer}/api/openapi.json"),
    })))
}

#[derive(Template, WebTemplate)]
#[template(path = "account/app_consent.html")]
pub struct ConsentPage {
    chrome: Chrome,
    title: String,
    account_line: String,
    /// What the app may do, in words.
    scopes: Vec<String>,
    /// The request, carried through the form as hidden fields.
    hidden: Vec<(&'static str, String)>,
}

fn consent_page(chrome: Chrome, session: &CitizenSession, asked: &Authorization) -> ConsentPage {
    let scopes = scope_texts(&chrome, &asked.scopes);
    let mut hidden = vec![
        ("response_type", "code".to_owned()),
        ("client_id", asked.client.client_id.clone()),
        ("redirect_uri", asked.redirect_uri.clone()),
        ("scope", app_access::scope_list(&asked.scopes)),
        ("code_challenge", asked.code_challenge.clone()),
        ("code_challenge_method", "S256".to_owned()),
    ];
    if let Some(state) = &asked.state {
        hidden.push(("state", state.clone()));
    }
    ConsentPage {
        title: chrome
            .t
            .fmt("app-consent-title", &[("app", &asked.client.name)]),
        account_line: chrome.t.fmt(
            "app-consent-account",
            &[("account", &session.citizen.email)],
        ),
        scopes,
        hidden,
        chrome,
    }
}

/// What each scope lets an app do, in words (consent page, connected apps).
pub(crate) fn scope_texts(chrome: &Chrome, scopes: &[Scope]) -> Vec<String> {
    scopes
        .iter()
        .map(|s| chrome.t.get(&format!("app-scope-{s}")).to_owned())
        .collect()
}

/// A request that cannot go back to the app is explained to the person instead.
fn refused(
    state: &AppState,
    chrome: Chrome,
    headers: &HeaderMap,
    error: AuthorizeError,
) -> Result<Response, PageError> {
    let issuer = link_base(state, &chrome, headers)?;
    if let Some(to) = error.redirect(&issuer) {
        return Ok(Redirect::to(&to).into_response());
    }
    let page = message(chrome, "app-refused-title", "app-refused-text", None);
    Ok((StatusCode::BAD_REQUEST, page).into_response())
}

async fn ask(
    State(state): State<AppState>,
    chrome: Chrome,
    session: CitizenSession,
    headers: HeaderMap,
    Query(params): Query<RequestParams>,
) -> Result<Response, PageError> {
    let checked = app_access::check_request(state.db.conn(), chrome.tenant.id, &params).await?;
    match checked {
        Ok(asked) => {
            let policy = CONTENT_SECURITY_POLICY.replace(
                "form-action 'self'",
                &format!("form-action 'self' {}", asked.redirect_source()),
            );
            let mut page = consent_page(chrome, &session, &asked).into_response();
            if let Ok(policy) = HeaderValue::from_str(&policy) {
                page.headers_mut()
                    .insert(header::CONTENT_SECURITY_POLICY, policy);
            }
            Ok(page)
        }
        Err(error) => refused(&state, chrome, &headers, error),
    }
}

#[derive(Deserialize)]
pub struct Decision {
    #[serde(flatten)]
    params: RequestParams,
    entscheidung: Option<String>,
}

/// The citizen's answer. The request is checked again: the form came from the browser.
async fn decide(
    State(state): State<AppState>,
    chrome: Chrome,
    session: CitizenSession,
    headers: HeaderMap,
    RequestOrigin(origin): RequestOrigin,
    Form(decision): Form<Decision>,
) -> Result<Response, PageError> {
    let checked =
        app_access::check_request(state.db.conn(), chrome.tenant.id, &decision.params).await?;
    let asked = match checked {
        Ok(asked) => asked,
        Err(error) => return refused(&state, chrome, &headers, error),
    };
    let issuer = link_base(&state, &chrome, &headers)?;
    let to = if decision.entscheidung.as_deref() == Some("erlauben") {
        let code = app_access::authorize(&state.db, &session.citizen, &asked, &origin).await?;
        asked.success(&code, &issuer)
    } else {
        asked.denied(&issuer)
    };
    Ok(Redirect::to(&to).into_response())
}

#[derive(Deserialize)]
pub struct TokenRequest {
    grant_type: Option<String>,
    client_id: Option<String>,
    code: Option<String>,
    redirect_uri: Option<String>,
    code_verifier: Option<String>,
    refresh_token: Option<String>,
}

#[derive(Serialize)]
struct TokenAnswer {
    access_token: String,
    token_type: &'static str,
    expires_in: i64,
    refresh_token: String,
    scope: String,
}

/// Token answers must not be cached anywhere (RFC 6749 §5.1).
fn no_store(mut response: Response) -> Response {
    let h = response.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

fn token_error(error: TokenError) -> Response {
    let status = match error {
        TokenError::InvalidClient => StatusCode::UNAUTHORIZED,
        _ => StatusCode::BAD_REQUEST,
    };
    let body = serde_json::json!({
        "error": error.code(),
        "error_description": error.description(),
    });
    no_store((status, Json(body)).into_response())
}

/// The token endpoint answers in JSON even when something breaks on our side: the
/// app's OAuth library understands `server_error`, not an HTML page.
fn in_json(answer: Result<Response, PageError>) -> Response {
    answer.unwrap_or_else(|error| {
        tracing::error!(%error, "token endpoint failed");
        let body = serde_json::json!({ "error": "server_error" });
        no_store((StatusCode::INTERNAL_SERVER_ERROR, Json(body)).into_response())
    })
}

async fn token(
    state: State<AppState>,
    chrome: Chrome,
    origin: RequestOrigin,
    form: Result<Form<TokenRequest>, FormRejection>,
) -> Response {
    in_json(grant_tokens(state, chrome, origin, form).await)
}

async fn grant_tokens(
    State(state): State<AppState>,
    chrome: Chrome,
    RequestOrigin(origin): RequestOrigin,
    form: Result<Form<TokenRequest>, FormRejection>,
) -> Result<Response, PageError> {
    let Ok(Form(request)) = form else {
        return Ok(token_error(TokenError::InvalidRequest(
            "send the parameters as application/x-www-form-urlencoded",
        )));
    };
    let tenant = chrome.tenant.id;
    let Some(client_id) = request.client_id.as_deref() else {
        return Ok(token_error(TokenError::InvalidRequest(
            "client_id is missing",
        )));
    };
    let missing = |what| Ok(token_error(TokenError::InvalidRequest(what)));
    let issued = match request.grant_type.as_deref() {
        Some("authorization_code") => {
            let (Some(code), Some(redirect_uri), Some(verifier)) = (
                request.code.as_deref(),
                request.redirect_uri.as_deref(),
                request.code_verifier.as_deref(),
            ) else {
                return missing("code, redirect_uri and code_verifier are needed");
            };
            app_access::exchange_code(
                &state.db,
                tenant,
                client_id,
                code,
                redirect_uri,
                verifier,
                &origin,
            )
            .await?
        }
        Some("refresh_token") => {
            let Some(refresh_token) = request.refresh_token.as_deref() else {
                return missing("refresh_token is missing");
            };
            app_access::refresh(&state.db, tenant, client_id, refresh_token, &origin).await?
        }
        _ => Err(TokenError::UnsupportedGrantType),
    };
    Ok(match issued {
        Ok(tokens) => no_store(Json(answer(tokens)).into_response()),
        Err(error) => token_error(error),
    })
}

fn answer(tokens: Tokens) -> TokenAnswer {
    TokenAnswer {
        access_token: tokens.access_token,
        token_type: "Bearer",
        expires_in: tokens.expires_in,
        refresh_token: tokens.refresh_token,
        scope: app_access::scope_list(&tokens.scopes),
    }
}

#[derive(Deserialize)]
pub struct RevokeRequest {
    token: Option<String>,
    client_id: Option<String>,
}

/// RFC 7009: the answer is 200 whether or not the token was known.
async fn revoke(
    state: State<AppState>,
    chrome: Chrome,
    form: Result<Form<RevokeRequest>, FormRejection>,
) -> Response {
    in_json(revoke_token(state, chrome, form).await)
}

async fn revoke_token(
    State(state): State<AppState>,
    chrome: Chrome,
    form: Result<Form<RevokeRequest>, FormRejection>,
) -> Result<Response, PageError> {
    let request = match form {
        Ok(Form(RevokeRequest {
            token: Some(token),
            client_id: Some(client_id),
        })) => (token, client_id),
        _ => {
            return Ok(token_error(TokenError::InvalidRequest(
                "token and client_id are needed",
            )));
        }
    };
    app_access::revoke_token(&state.db, chrome.tenant.id, &request.1, &request.0).await?;
    Ok(no_store(StatusCode::OK.into_response()))
}
