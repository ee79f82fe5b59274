//! A case made by hand (`/verwaltung/vorgaenge/neu`): a request by phone, at the counter
//! or by letter, taken down on behalf of the person. Caseworkers make cases for their own
//! departments, the mailroom for any (`rathaus_core::cases::by_hand`).

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use rathaus_core::cases::by_hand::{self, CHANNELS, Refusal, Request};
use rathaus_core::departments;
use rathaus_core::policy::{self, CaseScope};
use serde::Deserialize;

use super::StaffNav;
use super::cases::INBOX;
use super::session::StaffSession;
use crate::chrome::Chrome;
use crate::error::PageError;
use crate::form::Field;
use crate::request_origin::RequestOrigin;
use crate::state::AppState;

pub const PAGE: &str = "/verwaltung/vorgaenge/neu";

#[derive(Template, WebTemplate)]
#[template(path = "staff/case_new.html")]
pub struct NewCasePage {
    chrome: Chrome,
    staff: Option<StaffNav>,
    fields: Vec<Field>,
    errors: Vec<(&'static str, String)>,
}

#[derive(Default, Deserialize)]
pub struct Typed {
    #[serde(default)]
    leistung: String,
    #[serde(default)]
    fachdienst: String,
    #[serde(default)]
    kanal: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    notiz: String,
}

/// The departments the person makes cases for: (key, name).
async fn own_departments(
    state: &AppState,
    chrome: &Chrome,
    session: &StaffSession,
) -> Result<Vec<departments::Department>, PageError> {
    let scope = policy::case_scope(&session.actor, chrome.tenant.id)?;
    let all = departments::of_tenant(state.db.conn(), chrome.tenant.id).await?;
    Ok(match scope {
        CaseScope::All => all,
        CaseScope::Departments(ids) => all.into_iter().filter(|d| ids.contains(&d.id)).collect(),
    })
}

async fn page(
    state: &AppState,
    chrome: Chrome,
    session: &StaffSession,
    typed: &Typed,
) -> Result<NewCasePage, PageError> {
    let departments = own_departments(state, &chrome, session).await?;
    let offered = state.offered(chrome.tenant.id).await?;
    let t = &chrome.t;
    let choose = || (String::new(), t.get("cases-new-choose").to_owned());
    let services = std::iter::once(choose())
        .chain(
            offered
                .all()
                .iter()
                .map(|s| (s.key.clone(), s.name.clone())),
        )
        .collect();
    let department_options =
        std::iter::once((String::new(), t.get("cases-new-as-catalog").to_owned()))
            .chain(departments.into_iter().map(|d| (d.key, d.name)))
            .collect();
    let channels = CHANNELS
        .iter()
        .map(|c| {
            (
                (*c).to_owned(),
                t.get(&format!("cases-channel-{c}")).to_owned(),
            )
        })
        .collect();
    let fields = vec![
        Field::new("leistung", t.get("cases-new-service"), "select")
            .options(services)
            .value(&typed.leistung),
        Field::new("kanal", t.get("cases-new-channel"), "select")
            .options(channels)
            .value(&typed.kanal),
        Field::new("name", t.get("cases-new-name"), "text")
            .autocomplete("off")
            .value(&typed.name),
        Field::new("email", t.get("cases-new-email"), "email")
            .hint(t.get("cases-new-email-hint"))
            .value(&typed.email),
        Field::new("fachdienst", t.get("cases-department"), "select")
            .options(department_options)
            .value(&typed.fachdienst),
        Field::new("notiz", t.get("cases-new-note"), "textarea")
            .hint(t.get("cases-note-hint"))
            .value(&typed.notiz),
    ];
    Ok(NewCasePage {
        staff: StaffNav::of(&session.actor, chrome.tenant.id),
        chrome,
        fields,
        errors: Vec::new(),
    })
}

pub async fn form(
    State(state): State<AppState>,
    chrome: Chrome,
    session: StaffSession,
) -> Result<NewCasePage, PageError> {
    page(&state, chrome, &session, &Typed::default()).await
}

pub async fn create(
    State(state): State<AppState>,
    chrome: Chrome,
    session: StaffSession,
    RequestOrigin(origin): RequestOrigin,
    headers: HeaderMap,
    Form(typed): Form<Typed>,
) -> Result<Response, PageError> {
    let tenant = chrome.tenant.id;
    let offered = state.offered(tenant).await?;
    let service = offered.service(&typed.leistung).cloned();
    let department_key = match typed.fachdienst.as_str() {
        "" => service.as_ref().and_then(|s| s.department.clone()),
        key => Some(key.to_owned()),
    };
    let department = match &department_key {
        Some(key) => departments::by_key(state.db.conn(), tenant, key).await?,
        None => None,
    };
    let problem = match (&service, &department) {
        (None, _) => ("leistung", "cases-new-service-missing"),
        (_, None) => ("fachdienst", "cases-new-department-missing"),
        (Some(service), Some(department)) => {
            let status_url = format!(
                "{}/konto/antraege",
                crate::account::link_base(&state, &chrome, &headers)?
            );
            let request = Request {
                service,
                department,
                channel: &typed.kanal,
                applicant_name: &typed.name,
                applicant_email: Some(typed.email.as_str()),
                note: &typed.notiz,
                status_url: &status_url,
            };
            let actor = &session.actor;
            match by_hand::open_case(&state.db, actor, &origin, &chrome.tenant, request).await? {
                Ok(reference) => {
                    return Ok(Redirect::to(&format!("{INBOX}/{reference}")).into_response());
                }
                Err(Refusal::NameMissing) => ("name", "cases-new-name-missing"),
                Err(Refusal::ChannelUnknown) => ("kanal", "cases-new-channel-missing"),
                Err(Refusal::DepartmentNotYours) => {
                    ("fachdienst", "cases-new-department-not-yours")
                }
                Err(Refusal::NoSuchAccount) => ("email", "cases-new-no-account"),
            }
        }
    };
    let (field, key) = problem;
    let message = chrome.t.get(key).to_owned();
    let mut page = page(&state, chrome, &session, &typed).await?;
    if let Some(f) = page.fields.iter_mut().find(|f| f.name == field) {
        f.error = Some(message.clone());
    }
    page.errors.push((field, message));
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}
