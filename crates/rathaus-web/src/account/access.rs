//! Getting in and out: register, confirm the address, log in, log out.

use axum::Form;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use rathaus_core::citizens::{self, Citizen, LoginOutcome, RegistrationProblem};
use rathaus_core::identity::{self, Audience, Provider};
use serde::Deserialize;

use super::{MessagePage, link_base, message, weakness_key};
use crate::chrome::Chrome;
use crate::error::PageError;
use crate::form::{Field, FormPage};
use crate::navigation::{ReturnTo, local_path, query_encode, to_login};
use crate::request_origin::RequestOrigin;
use crate::session_cookie::CITIZEN;
use crate::state::AppState;
use crate::tenant::CurrentTenant;

/// A logged-in citizen; without a session the request goes to the login page.
pub struct CitizenSession {
    pub citizen: Citizen,
    pub token: String,
}

impl FromRequestParts<AppState> for CitizenSession {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let tenant = CurrentTenant::of(parts).map_err(IntoResponse::into_response)?;
        if let Some(token) = CITIZEN.read(&parts.headers, state.config.behind_tls) {
            let found = citizens::session_citizen(&state.db, tenant.id, token)
                .await
                .map_err(|e| PageError::from(e).into_response())?;
            if let Some(citizen) = found {
                return Ok(Self {
                    citizen,
                    token: token.to_owned(),
                });
            }
        }
        Err(to_login(parts, "/konto/anmelden"))
    }
}

fn register_page(chrome: Chrome, email: &str) -> FormPage {
    let page = FormPage::new(
        chrome,
        "account-register-title",
        "/konto/registrieren",
        "account-register-button",
    )
    .lead("account-register-lead");
    let email = Field::new("email", &page.t("staff-email"), "email")
        .value(email)
        .autocomplete("email");
    let password = Field::new("password", &page.t("staff-password"), "password")
        .hint(&page.t("account-password-hint"))
        .autocomplete("new-password");
    page.field(email).field(password)
}

pub async fn register_form(chrome: Chrome) -> FormPage {
    register_page(chrome, "")
}

#[derive(Deserialize)]
pub struct RegisterForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

pub async fn register(
    State(state): State<AppState>,
    chrome: Chrome,
    RequestOrigin(origin): RequestOrigin,
    headers: HeaderMap,
    Form(form): Form<RegisterForm>,
) -> Result<Response, PageError> {
    let base = link_base(&state, &chrome, &headers)?;
    let outcome = citizens::register(
        &state.db,
        &chrome.tenant,
        &form.email,
        &form.password,
        chrome.lang.code(),
        &base,
        &origin,
    )
    .await?;
    let problems = match outcome {
        Ok(()) => {
            state.wake_worker();
            return Ok(Redirect::to("/konto/registrieren/gesendet").into_response());
        }
        Err(problems) => problems,
    };
    let mut page = register_page(chrome, form.email.trim());
    for problem in problems {
        match problem {
            RegistrationProblem::Email => page.error("email", "account-email-invalid"),
            RegistrationProblem::Password(weakness) => {
                page.error("password", weakness_key(weakness));
            }
        }
    }
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

pub async fn sent(chrome: Chrome) -> MessagePage {
    message(chrome, "account-sent-title", "account-sent-text", None)
}

pub async fn confirm(
    State(state): State<AppState>,
    chrome: Chrome,
    RequestOrigin(origin): RequestOrigin,
    Path(token): Path<String>,
) -> Result<Response, PageError> {
    let confirmed = citizens::confirm_email(&state.db, chrome.tenant.id, &token, &origin).await?;
    Ok(if confirmed {
        message(
            chrome,
            "account-confirmed-title",
            "account-confirmed-text",
            Some(("/konto/anmelden", "nav-login")),
        )
        .into_response()
    } else {
        let page = message(
            chrome,
            "account-confirm-failed-title",
            "account-confirm-failed-text",
            Some(("/konto/anmelden", "nav-login")),
        );
        (StatusCode::GONE, page).into_response()
    })
}

/// The login form, with a link for every identity provider of the tenant.
fn login_page(chrome: Chrome, email: &str, next: String, providers: &[Provider]) -> FormPage {
    let mut page = FormPage::new(
        chrome,
        "account-login-title",
        "/konto/anmelden",
        "account-login-button",
    )
    .link("/konto/passwort-vergessen", "account-forgot-link")
    .link("/konto/registrieren", "account-register-title");
    for provider in providers {
        let label = page
            .chrome
            .t
            .fmt("account-login-with", &[("provider", &provider.name)]);
        let href = format!(
            "/konto/anmelden/extern/{}?weiter={}",
            provider.slug,
            query_encode(&next)
        );
        page.links.insert(0, (href, label));
    }
    page.hidden.push(("weiter", next));
    let email = Field::new("email", &page.t("staff-email"), "email")
        .value(email)
        .autocomplete("username");
    let password = Field::new("password", &page.t("staff-password"), "password")
        .autocomplete("current-password");
    page.field(email).field(password)
}

pub async fn login_form(
    State(state): State<AppState>,
    chrome: Chrome,
    Query(next): Query<ReturnTo>,
) -> Result<FormPage, PageError> {
    let providers =
        identity::for_tenant(state.db.conn(), chrome.tenant.id, Audience::Citizens).await?;
    Ok(login_page(
        chrome,
        "",
        local_path(next.weiter, "/", "/konto"),
        &providers,
    ))
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    weiter: Option<String>,
}

pub async fn login(
    State(state): State<AppState>,
    chrome: Chrome,
    RequestOrigin(origin): RequestOrigin,
    Form(form): Form<LoginForm>,
) -> Result<Response, PageError> {
    let next = local_path(form.weiter, "/", "/konto");
    let outcome = citizens::login(
        &state.db,
        chrome.tenant.id,
        &form.email,
        &form.password,
        &origin,
    )
    .await?;
    let (status, problem) = match outcome {
        LoginOutcome::LoggedIn { token } => {
            let mut response = Redirect::to(&next).into_response();
            response.headers_mut().insert(
                header::SET_COOKIE,
                CITIZEN.set(&token, state.config.behind_tls),
            );
            return Ok(response);
        }
        LoginOutcome::Unconfirmed => (
            StatusCode::FORBIDDEN,
            chrome.t.get("account-login-unconfirmed").to_owned(),
        ),
        LoginOutcome::Failed => (
            StatusCode::UNAUTHORIZED,
            chrome.t.get("account-login-failed").to_owned(),
        ),
        LoginOutcome::Locked { until } => (
            StatusCode::TOO_MANY_REQUESTS,
            crate::staff::locked_message(&chrome, until),
        ),
    };
    let providers =
        identity::for_tenant(state.db.conn(), chrome.tenant.id, Audience::Citizens).await?;
    let mut page = login_page(chrome, form.email.trim(), next, &providers);
    page.error_text("email", problem);
    Ok((status, page).into_response())
}

#[derive(Deserialize)]
pub struct LogoutForm {
    ueberall: Option<String>,
}

pub async fn logout(
    State(state): State<AppState>,
    session: CitizenSession,
    RequestOrigin(origin): RequestOrigin,
    Form(form): Form<LogoutForm>,
) -> Result<Response, PageError> {
    let everywhere = form.ueberall.is_some();
    citizens::logout(
        &state.db,
        &session.citizen,
        &session.token,
        everywhere,
        &origin,
    )
    .await?;
    let mut response = Redirect::to("/").into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, CITIZEN.clear(state.config.behind_tls));
    Ok(response)
}
