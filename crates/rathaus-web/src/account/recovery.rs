//! "Passwort vergessen": ask for a reset link, then set a new password through it.

use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use rathaus_core::citizens::{self, ResetOutcome};
use serde::Deserialize;

use super::{MessagePage, link_base, message, weakness_key};
use crate::chrome::Chrome;
use crate::error::PageError;
use crate::form::{Field, FormPage};
use crate::request_origin::RequestOrigin;
use crate::state::AppState;

pub async fn forgot_form(chrome: Chrome) -> FormPage {
    let page = FormPage::new(
        chrome,
        "account-forgot-title",
        "/konto/passwort-vergessen",
        "account-forgot-button",
    )
    .lead("account-forgot-lead");
    let email = Field::new("email", &page.t("staff-email"), "email").autocomplete("email");
    page.field(email)
}

#[derive(Deserialize)]
pub struct ForgotForm {
    #[serde(default)]
    email: String,
}

/// Answers the same whether or not an account exists for the address.
pub async fn forgot(
    State(state): State<AppState>,
    chrome: Chrome,
    RequestOrigin(origin): RequestOrigin,
    headers: HeaderMap,
    Form(form): Form<ForgotForm>,
) -> Result<Response, PageError> {
    let base = link_base(&state, &chrome, &headers)?;
    citizens::request_password_reset(&state.db, &chrome.tenant, &form.email, &base, &origin)
        .await?;
    state.wake_worker();
    Ok(Redirect::to("/konto/passwort-vergessen/gesendet").into_response())
}

pub async fn sent(chrome: Chrome) -> MessagePage {
    message(
        chrome,
        "account-forgot-sent-title",
        "account-forgot-sent-text",
        None,
    )
}

fn reset_page(chrome: Chrome, token: &str) -> FormPage {
    let page = FormPage::new(
        chrome,
        "account-reset-title",
        &format!("/konto/passwort-neu/{token}"),
        "account-reset-button",
    );
    let password = Field::new("password", &page.t("account-new-password"), "password")
        .hint(&page.t("account-password-hint"))
        .autocomplete("new-password");
    page.field(password)
}

fn bad_link(chrome: Chrome) -> Response {
    let page = message(
        chrome,
        "account-reset-bad-link-title",
        "account-reset-bad-link-text",
        Some(("/konto/passwort-vergessen", "account-forgot-title")),
    );
    (StatusCode::GONE, page).into_response()
}

pub async fn reset_form(
    State(state): State<AppState>,
    chrome: Chrome,
    Path(token): Path<String>,
) -> Result<Response, PageError> {
    if citizens::reset_link_usable(&state.db, chrome.tenant.id, &token).await? {
        Ok(reset_page(chrome, &token).into_response())
    } else {
        Ok(bad_link(chrome))
    }
}

#[derive(Deserialize)]
pub struct ResetForm {
    #[serde(default)]
    password: String,
}

pub async fn reset(
    State(state): State<AppState>,
    chrome: Chrome,
    RequestOrigin(origin): RequestOrigin,
    Path(token): Path<String>,
    Form(form): Form<ResetForm>,
) -> Result<Response, PageError> {
    let outcome =
        citizens::reset_password(&state.db, &chrome.tenant, &token, &form.password, &origin)
            .await?;
    Ok(match outcome {
        ResetOutcome::Done => {
            state.wake_worker();
            message(
                chrome,
                "account-reset-done-title",
                "account-reset-done-text",
                Some(("/konto/anmelden", "nav-login")),
            )
            .into_response()
        }
        ResetOutcome::BadLink => bad_link(chrome),
        ResetOutcome::Weak(weakness) => {
            let mut page = reset_page(chrome, &token);
            page.error("password", weakness_key(weakness));
            (StatusCode::UNPROCESSABLE_ENTITY, page).into_response()
        }
    })
}
