//! Departments (Fachdienste) for admins (`/verwaltung/fachdienste`): the list with how
//! many staff and which teams each has, and forms to add a department and a team.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use rathaus_core::departments::{self, Created};
use rathaus_core::policy::{self, Permission};
use rathaus_core::teams;
use serde::Deserialize;

use super::StaffNav;
use super::session::StaffSession;
use crate::chrome::Chrome;
use crate::error::PageError;
use crate::form::Field;
use crate::request_origin::RequestOrigin;
use crate::state::AppState;

pub const PAGE: &str = "/verwaltung/fachdienste";
pub const TEAMS: &str = "/verwaltung/fachdienste/teams";

pub struct Row {
    pub key: String,
    pub name: String,
    pub members: usize,
    /// The department's teams, by name.
    pub teams: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/departments.html")]
pub struct DepartmentsPage {
    chrome: Chrome,
    staff: Option<StaffNav>,
    rows: Vec<Row>,
    fields: Vec<Field>,
    team_fields: Vec<Field>,
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

#[derive(Default, Deserialize)]
pub struct NewTeam {
    #[serde(default)]
    team_department: String,
    #[serde(default)]
    team_name: String,
    #[serde(default)]
    team_key: String,
}

async fn page(
    state: &AppState,
    chrome: Chrome,
    session: &StaffSession,
    (form, team): (&NewDepartment, &NewTeam),
) -> Result<DepartmentsPage, PageError> {
    policy::require(&session.actor, chrome.tenant.id, Permission::ManageStaff)?;
    let conn = state.db.conn();
    let all_teams = teams::of_tenant(conn, chrome.tenant.id).await?;
    let mut rows = Vec::new();
    let mut choices = Vec::new();
    for department in departments::of_tenant(conn, chrome.tenant.id).await? {
        let names: Vec<&str> = all_teams
            .iter()
            .filter(|t| t.department_id == department.id)
            .map(|t| t.name.as_str())
            .collect();
        choices.push((department.id.to_string(), department.name.clone()));
        rows.push(Row {
            members: departments::member_count(conn, department.id).await?,
            teams: names.join(", "),
            key: department.key,
            name: department.name,
        });
    }
    let team_fields = vec![
        Field::new(
            "team_department",
            chrome.t.get("staff-teams-department"),
            "select",
        )
        .options(choices)
        .value(&team.team_department),
        Field::new("team_name", chrome.t.get("staff-teams-name"), "text").value(&team.team_name),
        Field::new("team_key", chrome.t.get("staff-teams-key"), "text")
            .hint(chrome.t.get("staff-departments-key-hint"))
            .value(&team.team_key),
    ];
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
        team_fields,
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
    let message = match done.erledigt.as_deref() {
        Some("angelegt") => Some(chrome.t.get("staff-departments-created").to_owned()),
        Some("team") => Some(chrome.t.get("staff-teams-created").to_owned()),
        _ => None,
    };
    let empty = (&NewDepartment::default(), &NewTeam::default());
    let mut page = page(&state, chrome, &session, empty).await?;
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
    let mut page = page(&state, chrome, &session, (&form, &NewTeam::default())).await?;
    refused_at(&mut page, field, message);
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

/// Marks the field of either form as wrong and lists it in the error summary.
fn refused_at(page: &mut DepartmentsPage, field: &'static str, message: String) {
    let all = page.fields.iter_mut().chain(page.team_fields.iter_mut());
    if let Some(f) = all.into_iter().find(|f| f.name == field) {
        f.error = Some(message.clone());
    }
    page.errors.push((field, message));
}

/// Adds a team to a department.
pub async fn create_team(
    State(state): State<AppState>,
    chrome: Chrome,
    session: StaffSession,
    RequestOrigin(origin): RequestOrigin,
    Form(form): Form<NewTeam>,
) -> Result<Response, PageError> {
    let tenant = chrome.tenant.id;
    let department = uuid::Uuid::parse_str(&form.team_department).unwrap_or_default();
    let created = teams::create(
        &state.db,
        &session.actor,
        &origin,
        tenant,
        department,
        &form.team_key,
        &form.team_name,
    )
    .await?;
    let (field, key) = match created {
        teams::Created::Created(_) => {
            return Ok(Redirect::to(&format!("{PAGE}?erledigt=team")).into_response());
        }
        teams::Created::NameMissing => ("team_name", "staff-teams-name-missing"),
        teams::Created::KeyInvalid => ("team_key", "staff-departments-key-invalid"),
        teams::Created::KeyTaken => ("team_key", "staff-teams-key-taken"),
        teams::Created::DepartmentUnknown => ("team_department", "staff-teams-department-unknown"),
    };
    let message = chrome.t.get(key).to_owned();
    let mut page = page(&state, chrome, &session, (&NewDepartment::default(), &form)).await?;
    refused_at(&mut page, field, message);
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}
