//! What a logged-in citizen manages: the overview, the profile, the password, the
//! e-mail address, and deleting the account.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use rathaus_core::citizens::{
    self, Citizen, Confirmation, Deletion, EmailChangeOutcome, PasswordChange, Profile,
    ProfileProblem,
};
use serde::Deserialize;

use super::{CitizenSession, MessagePage, link_base, message, weakness_key};
use crate::chrome::Chrome;
use crate::error::PageError;
use crate::form::{Field, FormPage};
use crate::request_origin::RequestOrigin;
use crate::session_cookie::CITIZEN;
use crate::state::AppState;

#[derive(Template, WebTemplate)]
#[template(path = "account/overview.html")]
pub struct Overview {
    chrome: Chrome,
    email: String,
    /// (label, value) of the filled-in profile fields.
    profile: Vec<(String, String)>,
    /// (label, value) of the preferred language and of how letters are delivered:
    /// choices every account has, not personal data.
    choices: Vec<(String, String)>,
    /// "Confirmed by …" when identity data came from an identity provider.
    verified_note: Option<String>,
    /// "You are acting for …" when the session acts for an organisation.
    acting_note: Option<String>,
}

pub async fn overview(
    State(state): State<AppState>,
    chrome: Chrome,
    session: CitizenSession,
) -> Result<Overview, PageError> {
    let acting =
        rathaus_core::organisations::acting_for(&state.db, &session.citizen, &session.token)
            .await?;
    let acting_note = acting.map(|o| {
        chrome
            .t
            .fmt("account-acting-for", &[("organisation", &o.name)])
    });
    let page = profile_page(chrome, &Profile::of(&session.citizen), None);
    // Language and delivery always have a value; "no details yet" is about the others.
    let (choices, details): (Vec<_>, Vec<_>) = page
        .fields
        .iter()
        .filter(|f| !f.value.is_empty())
        .partition(|f| matches!(f.name, "preferred_language" | "delivery"));
    let shown = |f: &Field| {
        let label = f.options.iter().find(|(value, _)| *value == f.value);
        (
            f.label.clone(),
            label.map_or(f.value.clone(), |(_, l)| l.clone()),
        )
    };
    let profile = details.into_iter().map(shown).collect();
    let choices = choices.into_iter().map(shown).collect();
    let verified_note = session.citizen.identity_verified_by.map(|issuer| {
        page.chrome
            .t
            .fmt("account-profile-verified", &[("issuer", &issuer)])
    });
    Ok(Overview {
        chrome: page.chrome,
        email: session.citizen.email,
        profile,
        choices,
        verified_note,
        acting_note,
    })
}

/// The profile form; `verified_by` names the identity provider whose data is fixed.
fn profile_page(chrome: Chrome, profile: &Profile, verified_by: Option<&str>) -> FormPage {
    let mut page = FormPage::new(
        chrome,
        "account-profile-title",
        "/konto/profil",
        "account-save-button",
    )
    .lead("account-profile-lead");
    let fixed = verified_by.is_some();
    let fixed_hint = verified_by.map(|issuer| {
        page.chrome
            .t
            .fmt("account-profile-verified", &[("issuer", issuer)])
    });
    let identity = |name, key: &str, value: &str, autocomplete| {
        let field = Field::new(
            name,
            &page.t(key),
            if name == "birth_date" { "date" } else { "text" },
        )
        .value(value)
        .autocomplete(autocomplete)
        .readonly(fixed);
        match &fixed_hint {
            Some(hint) => field.hint(hint),
            None => field,
        }
    };
    let fields = vec![
        identity(
            "given_name",
            "profile-given-name",
            &profile.given_name,
            "given-name",
        ),
        identity(
            "family_name",
            "profile-family-name",
            &profile.family_name,
            "family-name",
        ),
        identity(
            "birth_date",
            "profile-birth-date",
            &profile.birth_date,
            "bday",
        ),
        identity("street", "profile-street", &profile.street, "address-line1"),
        identity(
            "house_number",
            "profile-house-number",
            &profile.house_number,
            "address-line2",
        ),
        identity(
            "postcode",
            "profile-postcode",
            &profile.postcode,
            "postal-code",
        ),
        identity("city", "profile-city", &profile.city, "address-level2"),
        Field::new("phone", &page.t("profile-phone"), "tel")
            .value(&profile.phone)
            .autocomplete("tel"),
        Field::new("preferred_language", &page.t("profile-language"), "select")
            .value(&profile.preferred_language)
            .options(vec![
                ("de".into(), "Deutsch".into()),
                ("en".into(), "English".into()),
            ]),
        Field::new("delivery", &page.t("profile-delivery"), "select")
            .value(&profile.delivery)
            .hint(&page.t("profile-delivery-hint"))
            .options(vec![
                ("postbox".into(), page.t("profile-delivery-postbox")),
                ("paper".into(), page.t("profile-delivery-paper")),
            ]),
    ];
    page.fields = fields;
    page.link("/konto", "account-back")
}

pub async fn profile_form(chrome: Chrome, session: CitizenSession) -> FormPage {
    let verified_by = session.citizen.identity_verified_by.as_deref();
    profile_page(chrome, &Profile::of(&session.citizen), verified_by)
}

#[derive(Deserialize)]
pub struct ProfileForm {
    #[serde(default)]
    given_name: String,
    #[serde(default)]
    family_name: String,
    #[serde(default)]
    birth_date: String,
    #[serde(default)]
    street: String,
    #[serde(default)]
    house_number: String,
    #[serde(default)]
    postcode: String,
    #[serde(default)]
    city: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    preferred_language: String,
    #[serde(default)]
    delivery: String,
}

pub async fn save_profile(
    State(state): State<AppState>,
    chrome: Chrome,
    session: CitizenSession,
    RequestOrigin(origin): RequestOrigin,
    Form(form): Form<ProfileForm>,
) -> Result<Response, PageError> {
    let profile = Profile {
        given_name: form.given_name,
        family_name: form.family_name,
        birth_date: form.birth_date,
        street: form.street,
        house_number: form.house_number,
        postcode: form.postcode,
        city: form.city,
        phone: form.phone,
        preferred_language: form.preferred_language,
        // A form from before the choice existed keeps what the account has.
        delivery: if form.delivery.is_empty() {
            session.citizen.delivery.clone()
        } else {
            form.delivery
        },
    };
    let problems =
        match citizens::update_profile(&state.db, &session.citizen, &profile, &origin).await? {
            Ok(()) => return Ok(Redirect::to("/konto").into_response()),
            Err(problems) => problems,
        };
    let verified_by = session.citizen.identity_verified_by.as_deref();
    let mut page = profile_page(chrome, &profile, verified_by);
    for problem in problems {
        let (field, key) = match problem {
            ProfileProblem::TooLong(field) => (field, "profile-too-long"),
            ProfileProblem::BirthDate => ("birth_date", "profile-birth-date-invalid"),
            ProfileProblem::Postcode => ("postcode", "profile-postcode-invalid"),
            ProfileProblem::Phone => ("phone", "profile-phone-invalid"),
            ProfileProblem::Language => ("preferred_language", "profile-language-invalid"),
            ProfileProblem::Delivery => ("delivery", "profile-delivery-invalid"),
        };
        page.error(field, key);
    }
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

/// How the person confirms the change on this page: the current password, or for an
/// account without one (eID only) a recent login, which the page explains.
fn with_confirmation(mut page: FormPage, account: &Citizen) -> FormPage {
    if account.password_hash.is_none() {
        let note = page.t("account-confirm-by-recent-login");
        page.lead = Some(match page.lead.take() {
            Some(lead) => format!("{lead} {note}"),
            None => note,
        });
        return page;
    }
    let field = Field::new(
        "current_password",
        &page.t("account-current-password"),
        "password",
    )
    .autocomplete("current-password");
    page.field(field)
}

/// Explains a failed confirmation at the password field, or (no password) at `field`.
fn confirmation_failed(page: &mut FormPage, account: &Citizen, field: &'static str) {
    if account.password_hash.is_some() {
        page.error("current_password", "account-current-password-wrong");
    } else {
        page.error(field, "account-login-again");
    }
}

fn confirmation<'a>(session: &'a CitizenSession, password: &'a str) -> Confirmation<'a> {
    Confirmation {
        password,
        session_token: &session.token,
    }
}

fn password_page(chrome: Chrome, account: &Citizen) -> FormPage {
    let page = FormPage::new(
        chrome,
        "account-password-title",
        "/konto/passwort",
        "account-save-button",
    )
    .lead("account-password-lead")
    .link("/konto", "account-back");
    let new = Field::new("password", &page.t("account-new-password"), "password")
        .hint(&page.t("account-password-hint"))
        .autocomplete("new-password");
    with_confirmation(page, account).field(new)
}

pub async fn password_form(chrome: Chrome, session: CitizenSession) -> FormPage {
    password_page(chrome, &session.citizen)
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    password: String,
}

pub async fn change_password(
    State(state): State<AppState>,
    chrome: Chrome,
    session: CitizenSession,
    RequestOrigin(origin): RequestOrigin,
    Form(form): Form<PasswordForm>,
) -> Result<Response, PageError> {
    let outcome = citizens::change_password(
        &state.db,
        &chrome.tenant,
        &session.citizen,
        confirmation(&session, &form.current_password),
        &form.password,
        &origin,
    )
    .await?;
    let mut page = password_page(chrome, &session.citizen);
    match outcome {
        PasswordChange::Changed { token } => {
            state.wake_worker();
            let mut response = Redirect::to("/konto").into_response();
            response.headers_mut().insert(
                header::SET_COOKIE,
                CITIZEN.set(&token, state.config.behind_tls),
            );
            return Ok(response);
        }
        PasswordChange::WrongPassword => {
            confirmation_failed(&mut page, &session.citizen, "password");
        }
        PasswordChange::Weak(weakness) => page.error("password", weakness_key(weakness)),
    }
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

fn email_page(chrome: Chrome, account: &Citizen, new_email: &str) -> FormPage {
    let mut page = FormPage::new(
        chrome,
        "account-email-title",
        "/konto/email",
        "account-email-button",
    )
    .link("/konto", "account-back");
    page.lead = Some(
        page.chrome
            .t
            .fmt("account-email-lead", &[("email", &account.email)]),
    );
    let email = Field::new("email", &page.t("account-new-email"), "email")
        .value(new_email)
        .autocomplete("email");
    with_confirmation(page.field(email), account)
}

pub async fn email_form(chrome: Chrome, session: CitizenSession) -> FormPage {
    email_page(chrome, &session.citizen, "")
}

#[derive(Deserialize)]
pub struct EmailForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    current_password: String,
}

pub async fn change_email(
    State(state): State<AppState>,
    chrome: Chrome,
    session: CitizenSession,
    RequestOrigin(origin): RequestOrigin,
    headers: HeaderMap,
    Form(form): Form<EmailForm>,
) -> Result<Response, PageError> {
    let base = link_base(&state, &chrome, &headers)?;
    let outcome = citizens::request_email_change(
        &state.db,
        &chrome.tenant,
        &session.citizen,
        confirmation(&session, &form.current_password),
        &form.email,
        &base,
        &origin,
    )
    .await?;
    let mut page = email_page(chrome, &session.citizen, form.email.trim());
    match outcome {
        EmailChangeOutcome::Sent => {
            state.wake_worker();
            return Ok(Redirect::to("/konto/email/gesendet").into_response());
        }
        EmailChangeOutcome::InvalidAddress => page.error("email", "account-new-email-invalid"),
        EmailChangeOutcome::WrongPassword => {
            confirmation_failed(&mut page, &session.citizen, "email");
        }
    }
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

pub async fn email_sent(chrome: Chrome) -> MessagePage {
    message(
        chrome,
        "account-email-sent-title",
        "account-email-sent-text",
        Some(("/konto", "account-back")),
    )
}

pub async fn confirm_email_change(
    State(state): State<AppState>,
    chrome: Chrome,
    RequestOrigin(origin): RequestOrigin,
    Path(token): Path<String>,
) -> Result<Response, PageError> {
    let changed =
        citizens::confirm_email_change(&state.db, &chrome.tenant, &token, &origin).await?;
    if changed {
        state.wake_worker();
        let page = message(
            chrome,
            "account-email-changed-title",
            "account-email-changed-text",
            Some(("/konto", "nav-account")),
        );
        return Ok(page.into_response());
    }
    let page = message(
        chrome,
        "account-confirm-failed-title",
        "account-email-change-failed-text",
        Some(("/konto/email", "account-email-title")),
    );
    Ok((StatusCode::GONE, page).into_response())
}

fn delete_page(chrome: Chrome, account: &Citizen) -> FormPage {
    let page = FormPage::new(
        chrome,
        "account-delete-title",
        "/konto/loeschen",
        "account-delete-button",
    )
    .lead("account-delete-lead")
    .link("/konto", "account-back");
    let sure = Field::new("sure", &page.t("account-delete-sure"), "checkbox");
    with_confirmation(page.field(sure), account)
}

pub async fn delete_form(chrome: Chrome, session: CitizenSession) -> FormPage {
    delete_page(chrome, &session.citizen)
}

#[derive(Deserialize)]
pub struct DeleteForm {
    sure: Option<String>,
    #[serde(default)]
    current_password: String,
}

pub async fn delete(
    State(state): State<AppState>,
    chrome: Chrome,
    session: CitizenSession,
    RequestOrigin(origin): RequestOrigin,
    Form(form): Form<DeleteForm>,
) -> Result<Response, PageError> {
    let mut page = delete_page(chrome, &session.citizen);
    if form.sure.is_none() {
        page.error("sure", "account-delete-not-sure");
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    let deletion = citizens::delete_account(
        &state.db,
        &page.chrome.tenant,
        &session.citizen,
        confirmation(&session, &form.current_password),
        &origin,
    )
    .await?;
    match deletion {
        Deletion::Deleted => {}
        Deletion::WrongPassword => {
            page.fields[0].value = "1".into();
            confirmation_failed(&mut page, &session.citizen, "sure");
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
        Deletion::SoleAdminOf(names) => {
            page.fields[0].value = "1".into();
            let message = page.chrome.t.fmt(
                "account-delete-sole-admin",
                &[("organisations", &names.join(", "))],
            );
            page.error_text("sure", message);
            return Ok((StatusCode::CONFLICT, page).into_response());
        }
    }
    state.wake_worker();
    let mut response = Redirect::to("/konto/geloescht").into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, CITIZEN.clear(state.config.behind_tls));
    Ok(response)
}

pub async fn deleted(chrome: Chrome) -> MessagePage {
    message(
        chrome,
        "account-deleted-title",
        "account-deleted-text",
        Some(("/", "nav-home")),
    )
}
