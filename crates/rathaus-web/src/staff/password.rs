//! A member of staff replaces their password — required after an initial password an
//! admin handed over.

use axum::Form;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use rathaus_core::staff::{self, PasswordChange};
use serde::Deserialize;

use super::session::{PASSWORD_PAGE, StaffSession};
use crate::account::weakness_key;
use crate::chrome::Chrome;
use crate::error::PageError;
use crate::form::{Field, FormPage};
use crate::request_origin::RequestOrigin;
use crate::session_cookie::STAFF;
use crate::state::AppState;

fn page(chrome: Chrome, required: bool) -> FormPage {
    let lead = if required {
        "staff-password-required"
    } else {
        "account-password-lead"
    };
    let page = FormPage::new(
        chrome,
        "account-password-title",
        PASSWORD_PAGE,
        "account-save-button",
    )
    .lead(lead);
    let current = Field::new(
        "current_password",
        &page.t("account-current-password"),
        "password",
    )
    .autocomplete("current-password");
    let new = Field::new("password", &page.t("account-new-password"), "password")
        .hint(&page.t("staff-password-hint"))
        .autocomplete("new-password");
    page.field(current).field(new)
}

pub async fn form(chrome: Chrome, session: StaffSession) -> FormPage {
    page(chrome, session.user.password_change_required)
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    password: String,
}

pub async fn change(
    State(state): State<AppState>,
    chrome: Chrome,
    session: StaffSession,
    RequestOrigin(origin): RequestOrigin,
    Form(form): Form<PasswordForm>,
) -> Result<Response, PageError> {
    let outcome = staff::change_password(
        &state.db,
        &session.user,
        &form.current_password,
        &form.password,
        &origin,
    )
    .await?;
    let mut page = page(chrome, session.user.password_change_required);
    match outcome {
        PasswordChange::Changed { token } => {
            let mut response = Redirect::to("/verwaltung").into_response();
            response.headers_mut().insert(
                header::SET_COOKIE,
                STAFF.set(&token, state.config.behind_tls),
            );
            return Ok(response);
        }
        PasswordChange::WrongPassword => {
            page.error("current_password", "account-current-password-wrong")
        }
        PasswordChange::Weak(weakness) => page.error("password", weakness_key(weakness)),
        PasswordChange::TooShortForStaff => page.error("password", "staff-password-too-short"),
    }
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}
