//! The citizen account (`/konto`): register, confirm the e-mail address, log in and out.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use rathaus_core::citizens::{self, Citizen, LoginOutcome, RegistrationProblem};
use rathaus_core::passwords::Weakness;
use serde::Deserialize;

use crate::chrome::Chrome;
use crate::error::PageError;
use crate::navigation::{ReturnTo, local_path, to_login};
use crate::request_origin::RequestOrigin;
use crate::session_cookie::CITIZEN;
use crate::state::AppState;
use crate::tenant::CurrentTenant;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/konto", get(overview))
        .route("/konto/registrieren", get(register_form).post(register))
        .route("/konto/registrieren/gesendet", get(sent))
        .route("/konto/bestaetigen/{token}", get(confirm))
        .route("/konto/anmelden", get(login_form).post(login))
        .route("/konto/abmelden", axum::routing::post(logout))
}

/// A logged-in citizen; without a session the request goes to the login page.
struct CitizenSession {
    citizen: Citizen,
    token: String,
}

impl FromRequestParts<AppState> for CitizenSession {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let tenant = CurrentTenant::of(parts).map_err(IntoResponse::into_response)?;
        if let Some(token) = CITIZEN.read(&parts.headers) {
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

/// The base of links we mail: the request's host when it is one of the tenant's
/// registered hosts, otherwise the configured public URL.
fn link_base(state: &AppState, chrome: &Chrome, headers: &HeaderMap) -> Result<String, PageError> {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    if state.tenants.is_registered_host(host, chrome.tenant.id) {
        let scheme = if state.config.behind_tls {
            "https"
        } else {
            "http"
        };
        return Ok(format!("{scheme}://{host}"));
    }
    state
        .config
        .public_url
        .as_deref()
        .map(|u| u.trim_end_matches('/').to_owned())
        .ok_or_else(|| {
            PageError::Internal(
                "no public_url configured and the host is not registered for the tenant".into(),
            )
        })
}

#[derive(Template, WebTemplate)]
#[template(path = "account/register.html")]
struct RegisterPage {
    chrome: Chrome,
    errors: Vec<(&'static str, String)>,
    email: String,
    email_error: Option<String>,
    password_error: Option<String>,
}

async fn register_form(chrome: Chrome) -> RegisterPage {
    RegisterPage {
        chrome,
        errors: Vec::new(),
        email: String::new(),
        email_error: None,
        password_error: None,
    }
}

#[derive(Deserialize)]
struct RegisterForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

async fn register(
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
            if let Some(waker) = &state.job_waker {
                waker.notify_one();
            }
            return Ok(Redirect::to("/konto/registrieren/gesendet").into_response());
        }
        Err(problems) => problems,
    };
    let t = chrome.t;
    let mut page = RegisterPage {
        errors: Vec::new(),
        email: form.email.trim().to_owned(),
        email_error: None,
        password_error: None,
        chrome,
    };
    for problem in problems {
        match problem {
            RegistrationProblem::Email => {
                let message = t.get("account-email-invalid").to_owned();
                page.errors.push(("email", message.clone()));
                page.email_error = Some(message);
            }
            RegistrationProblem::Password(weakness) => {
                let key = match weakness {
                    Weakness::TooShort => "account-password-too-short",
                    Weakness::TooLong => "account-password-too-long",
                    Weakness::Common => "account-password-common",
                    Weakness::SameAsEmail => "account-password-same-as-email",
                };
                page.errors.push(("password", t.get(key).to_owned()));
                page.password_error = Some(t.get(key).to_owned());
            }
        }
    }
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "account/message.html")]
struct MessagePage {
    chrome: Chrome,
    heading: String,
    text: String,
    next: Option<(&'static str, String)>,
}

fn message(
    chrome: Chrome,
    heading: &str,
    text: &str,
    next: Option<(&'static str, &str)>,
) -> MessagePage {
    MessagePage {
        heading: chrome.t.get(heading).to_owned(),
        text: chrome.t.get(text).to_owned(),
        next: next.map(|(href, key)| (href, chrome.t.get(key).to_owned())),
        chrome,
    }
}

async fn sent(chrome: Chrome) -> MessagePage {
    message(chrome, "account-sent-title", "account-sent-text", None)
}

async fn confirm(
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

#[derive(Template, WebTemplate)]
#[template(path = "account/login.html")]
struct LoginPage {
    chrome: Chrome,
    errors: Vec<(&'static str, String)>,
    email: String,
    next: String,
}

async fn login_form(chrome: Chrome, Query(next): Query<ReturnTo>) -> LoginPage {
    LoginPage {
        chrome,
        errors: Vec::new(),
        email: String::new(),
        next: local_path(next.weiter, "/", "/konto"),
    }
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    weiter: Option<String>,
}

async fn login(
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
    let (status, key) = match outcome {
        LoginOutcome::LoggedIn { token, .. } => {
            let mut response = Redirect::to(&next).into_response();
            response.headers_mut().insert(
                header::SET_COOKIE,
                CITIZEN.set(&token, state.config.behind_tls),
            );
            return Ok(response);
        }
        LoginOutcome::Unconfirmed => (StatusCode::FORBIDDEN, "account-login-unconfirmed"),
        LoginOutcome::Failed => (StatusCode::UNAUTHORIZED, "account-login-failed"),
        LoginOutcome::Locked { until } => {
            let page = LoginPage {
                errors: vec![("email", crate::staff::locked_message(&chrome, until))],
                email: form.email.trim().to_owned(),
                next,
                chrome,
            };
            return Ok((StatusCode::TOO_MANY_REQUESTS, page).into_response());
        }
    };
    let page = LoginPage {
        errors: vec![("email", chrome.t.get(key).to_owned())],
        email: form.email.trim().to_owned(),
        next,
        chrome,
    };
    Ok((status, page).into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "account/overview.html")]
struct Overview {
    chrome: Chrome,
    email: String,
}

async fn overview(chrome: Chrome, session: CitizenSession) -> Overview {
    Overview {
        chrome,
        email: session.citizen.email,
    }
}

#[derive(Deserialize)]
struct LogoutForm {
    ueberall: Option<String>,
}

async fn logout(
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
