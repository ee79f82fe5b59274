//! Departments (Fachdienste) for admins (`/verwaltung/fachdienste`): the list with how
//! many staff each has, and a form to add one.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use rathaus_core::departments::{self, Created};
use rathaus_core::policy::{self, Permission};
use serde::Deserialize;

use super::StaffNav;
use super::session::StaffSession;
use crate::chrome::Chrome;
use crate::error::PageError;
use crate::form::Field;
use crate::request_origin::RequestOrigin;
use crate::state::AppState;

pub const PAGE: &str = "/verwaltung/fachdienste";

pub struct Row {
    pub key: String,
    pub name: String,
    pub members: usize,
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/departments.html")]
pub struct DepartmentsPage {
    chrome: Chrome,
    staff: Option<StaffNav>,
    rows: Vec<Row>,
    fields: Vec<Field>,
    errors: Vec<(&'static str, String)>,
    done: Option<String>,
}

#[derive(Default, Deserialize)]
pub struct NewDepartment {
    #[serde(default)]
    key: String,
    #[serde(default)]
    name: String,
}

async fn page(
    state: &AppState,
    chrome: Chrome,
    session: &StaffSession,
    form: &NewDepartment,
) -> Result<DepartmentsPage, PageError> {
    policy::require(&session.actor, chrome.tenant.id, Permission::ManageStaff)?;
    let conn = state.db.conn();
    let mut rows = Vec::new();
    for department in departments::of_tenant(conn, chrome.tenant.id).await? {
        rows.push(Row {
            members: departments::member_count(conn, department.id).await?,
            key: department.key,
            name: department.name,
        });
    }
    let fields = vec![
        Field::new("name", chrome.t.get("staff-departments-name"), "text").value(&form.name),
        Field::new("key", chrome.t.get("staff-departments-key"), "text")
            .hint(chrome.t.get("staff-departments-key-hint"))
            .value(&form.key),
    ];
    Ok(DepartmentsPage {
        staff: StaffNav::of(&session.actor, chrome.tenant.id),
        chrome,
        rows,
        fields,
        errors: Vec::new(),
        done: None,
    })
}

#[derive(Deserialize)]
pub struct Done {
    erledigt: Option<String>,
}

pub async fn list(
    State(state): State<AppState>,
    chrome: Chrome,
    session: StaffSession,
    Query(done): Query<Done>,
) -> Result<DepartmentsPage, PageError> {
    let created = done.erledigt.as_deref() == Some("angelegt");
    let message = created.then(|| chrome.t.get("staff-departments-created").to_owned());
    let mut page = page(&state, chrome, &session, &NewDepartment::default()).await?;
    page.done = message;
    Ok(page)
}

pub async fn create(
    State(state): State<AppState>,
    chrome: Chrome,
    session: StaffSession,
    RequestOrigin(origin): RequestOrigin,
    Form(form): Form<NewDepartment>,
) -> Result<Response, PageError> {
    let tenant = chrome.tenant.id;
    let created = departments::create(
        &state.db,
        &session.actor,
        &origin,
        tenant,
        &form.key,
        &form.name,
    )
    .await?;
    let (field, key) = match created {
        Created::Created(_) => {
            return Ok(Redirect::to(&format!("{PAGE}?erledigt=angelegt")).into_response());
        }
        Created::NameMissing => ("name", "staff-departments-name-missing"),
        Created::KeyInvalid => ("key", "staff-departments-key-invalid"),
        Created::KeyTaken => ("key", "staff-departments-key-taken"),
    };
    let message = chrome.t.get(key).to_owned();
    let mut page = page(&state, chrome, &session, &form).await?;
    if let Some(f) = page.fields.iter_mut().find(|f| f.name == field) {
        f.error = Some(message.clone());
    }
    page.errors.push((field, message));
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}
