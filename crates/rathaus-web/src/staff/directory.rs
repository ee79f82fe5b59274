//! Staff management for admins (`/verwaltung/personal`): the list, new accounts with an
//! initial password shown once, locking, and resetting a lost second factor.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use rathaus_core::error::CoreError;
use rathaus_core::policy::{self, Permission};
use rathaus_core::{departments, mail, passwords, roles, staff, staff_directory};
use serde::Deserialize;
use uuid::Uuid;

use super::StaffNav;
use super::session::StaffSession;
use crate::chrome::Chrome;
use crate::error::PageError;
use crate::form::{Field, FormPage};
use crate::request_origin::RequestOrigin;
use crate::routes::Access::StaffWith;
use crate::routes::Routes;
use crate::state::AppState;

const MANAGE: crate::routes::Access = StaffWith(Permission::ManageStaff);

pub fn routes() -> Routes {
    Routes::default()
        .get("/verwaltung/personal", MANAGE, list)
        .get("/verwaltung/personal/neu", MANAGE, new_form)
        .post("/verwaltung/personal/neu", MANAGE, create)
        .post(
            "/verwaltung/personal/{id}/zweiter-faktor",
            MANAGE,
            reset_second_factor,
        )
        .post("/verwaltung/personal/{id}/sperre", MANAGE, set_lock)
        .get("/verwaltung/personal/{id}", MANAGE, edit_form)
        .post("/verwaltung/personal/{id}", MANAGE, save_access)
}

pub struct Row {
    pub id: Uuid,
    pub name: String,
    pub email: String,
    pub roles: String,
    pub departments: String,
    pub second_factor: bool,
    pub locked: bool,
    pub is_me: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/people.html")]
struct PeoplePage {
    chrome: Chrome,
    staff: Option<StaffNav>,
    rows: Vec<Row>,
    /// What was just done, for the confirmation at the top.
    done: Option<String>,
}

#[derive(Deserialize)]
pub struct Done {
    erledigt: Option<String>,
}

async fn list(
    State(state): State<AppState>,
    chrome: Chrome,
    session: StaffSession,
    Query(done): Query<Done>,
) -> Result<PeoplePage, PageError> {
    let members = staff_directory::list(&state.db, &session.actor, chrome.tenant.id).await?;
    let choices = Choices::load(&state, &chrome).await?;
    let rows = members
        .into_iter()
        .map(|m| Row {
            id: m.user.id,
            is_me: session.actor.id == Some(m.user.id),
            name: m.user.name,
            email: m.user.email,
            roles: choices.role_names(m.user.roles.split(',')),
            departments: choices.department_names(&m.departments),
            second_factor: m.second_factor,
            locked: m.user.disabled,
        })
        .collect();
    let done = done.erledigt.and_then(|what| {
        let key = match what.as_str() {
            "faktor" => "staff-people-done-factor",
            "gesperrt" => "staff-people-done-locked",
            "entsperrt" => "staff-people-done-unlocked",
            "rollen" => "staff-people-done-access",
            _ => return None,
        };
        Some(chrome.t.get(key).to_owned())
    });
    Ok(PeoplePage {
        staff: StaffNav::of(&session.actor, chrome.tenant.id),
        chrome,
        rows,
        done,
    })
}

/// The roles and departments of the tenant, as (value, label) for the form and the list.
struct Choices {
    roles: Vec<(String, String)>,
    departments: Vec<(String, String)>,
    /// (team id, "department: team", department id).
    teams: Vec<(String, String, Uuid)>,
}

impl Choices {
    async fn load(state: &AppState, chrome: &Chrome) -> Result<Self, PageError> {
        let conn = state.db.conn();
        let lang = chrome.lang_code();
        let roles = roles::of_tenant(conn, chrome.tenant.id)
            .await?
            .iter()
            .map(|r| (r.key.clone(), r.name(lang).to_owned()))
            .collect();
        let all_departments = departments::of_tenant(conn, chrome.tenant.id).await?;
        let teams = rathaus_core::teams::of_tenant(conn, chrome.tenant.id)
            .await?
            .into_iter()
            .filter_map(|t| {
                let department = all_departments.iter().find(|d| d.id == t.department_id)?;
                let label = format!("{}: {}", department.name, t.name);
                Some((t.id.to_string(), label, t.department_id))
            })
            .collect();
        let departments = all_departments
            .into_iter()
            .map(|d| (d.id.to_string(), d.name))
            .collect();
        Ok(Self {
            roles,
            departments,
            teams,
        })
    }

    /// The teams of the form that belong to the chosen departments.
    fn chosen_teams(&self, form: &NewStaffForm, departments: &[Uuid]) -> Vec<Uuid> {
        self.teams
            .iter()
            .filter(|(id, _, department)| {
                form.teams.contains(id) && departments.contains(department)
            })
            .filter_map(|(id, _, _)| id.parse().ok())
            .collect()
    }

    fn label<'a>(choices: &[(String, String)], keys: impl Iterator<Item = &'a str>) -> String {
        keys.filter_map(|k| choices.iter().find(|(v, _)| v == k))
            .map(|(_, label)| label.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn role_names<'a>(&self, keys: impl Iterator<Item = &'a str>) -> String {
        Self::label(&self.roles, keys)
    }

    /// What of the form the tenant offers: role keys and department ids. Anything else
    /// is dropped, not trusted.
    fn chosen(&self, form: &NewStaffForm) -> (Vec<String>, Vec<Uuid>) {
        let roles = self
            .roles
            .iter()
            .filter(|(key, _)| form.roles.contains(key))
            .map(|(key, _)| key.clone())
            .collect();
        let departments = self
            .departments
            .iter()
            .filter(|(id, _)| form.departments.contains(id))
            .filter_map(|(id, _)| id.parse().ok())
            .collect();
        (roles, departments)
    }

    fn department_names(&self, ids: &[Uuid]) -> String {
        let ids: Vec<String> = ids.iter().map(Uuid::to_string).collect();
        Self::label(&self.departments, ids.iter().map(String::as_str))
    }
}

fn new_page(chrome: Chrome, choices: Choices, form: &NewStaffForm) -> FormPage {
    let page = FormPage::new(
        chrome,
        "staff-new-title",
        "/verwaltung/personal/neu",
        "staff-new-button",
    )
    .lead("staff-new-lead")
    .link("/verwaltung/personal", "staff-people-title");
    let name = Field::new("name", &page.t("staff-new-name"), "text").value(&form.name);
    let email = Field::new("email", &page.t("staff-email"), "email").value(&form.email);
    access_fields(page.field(name).field(email), choices, form)
}

/// The role and department checkboxes, ticked as in `form`.
fn access_fields(page: FormPage, choices: Choices, form: &NewStaffForm) -> FormPage {
    let roles = Field::new("rollen", &page.t("staff-people-roles"), "checkboxes")
        .options(choices.roles)
        .value(form.roles.join(","));
    let departments = Field::new("fachdienste", &page.t("staff-departments"), "checkboxes")
        .hint(&page.t("staff-departments-hint"))
        .options(choices.departments)
        .value(form.departments.join(","));
    page.field(roles).field(departments)
}

/// Roles and departments of an existing member of staff.
fn edit_page(
    chrome: Chrome,
    choices: Choices,
    id: Uuid,
    name: &str,
    form: &NewStaffForm,
) -> FormPage {
    let mut page = FormPage::new(
        chrome,
        "staff-edit-title",
        &format!("/verwaltung/personal/{id}"),
        "account-save-button",
    )
    .lead("staff-edit-lead")
    .link("/verwaltung/personal", "staff-people-title");
    page.title = format!("{}: {name}", page.title);
    let teams: Vec<(String, String)> = choices
        .teams
        .iter()
        .map(|(id, label, _)| (id.clone(), label.clone()))
        .collect();
    let with_teams = !teams.is_empty();
    let team_field = Field::new("teams", &page.t("staff-teams"), "checkboxes")
        .hint(&page.t("staff-teams-hint"))
        .options(teams)
        .value(form.teams.join(","));
    let page = access_fields(page, choices, form);
    if with_teams {
        page.field(team_field)
    } else {
        page
    }
}

async fn edit_form(
    State(state): State<AppState>,
    chrome: Chrome,
    session: StaffSession,
    Path(id): Path<Uuid>,
) -> Result<FormPage, PageError> {
    let member = staff_directory::get(&state.db, &session.actor, chrome.tenant.id, id).await?;
    let choices = Choices::load(&state, &chrome).await?;
    let form = NewStaffForm {
        roles: member.user.roles.split(',').map(str::to_owned).collect(),
        departments: member.departments.iter().map(Uuid::to_string).collect(),
        teams: rathaus_core::teams::of_staff(state.db.conn(), id)
            .await?
            .iter()
            .map(Uuid::to_string)
            .collect(),
        ..NewStaffForm::default()
    };
    Ok(edit_page(chrome, choices, id, &member.user.name, &form))
}

async fn save_access(
    State(state): State<AppState>,
    chrome: Chrome,
    session: StaffSession,
    RequestOrigin(origin): RequestOrigin,
    Path(id): Path<Uuid>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let tenant = chrome.tenant.id;
    let member = staff_directory::get(&state.db, &session.actor, tenant, id).await?;
    let form = NewStaffForm::from_pairs(pairs);
    let choices = Choices::load(&state, &chrome).await?;
    let (roles, departments) = choices.chosen(&form);
    let problem = if roles.is_empty() {
        Some("staff-new-role-missing")
    } else if session.actor.id == Some(id) {
        Some("staff-edit-not-yourself")
    } else {
        None
    };
    if let Some(key) = problem {
        let mut page = edit_page(chrome, choices, id, &member.user.name, &form);
        page.error("rollen", key);
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    let teams = choices.chosen_teams(&form, &departments);
    let access = staff_directory::Access {
        roles: &roles,
        departments: &departments,
        teams: &teams,
    };
    staff_directory::set_access(&state.db, &session.actor, &origin, tenant, id, access).await?;
    Ok(Redirect::to("/verwaltung/personal?erledigt=rollen").into_response())
}

async fn new_form(
    State(state): State<AppState>,
    chrome: Chrome,
    session: StaffSession,
) -> Result<FormPage, PageError> {
    may_manage(&session, &chrome)?;
    let choices = Choices::load(&state, &chrome).await?;
    Ok(new_page(chrome, choices, &NewStaffForm::default()))
}

/// The form pages ask the policy before showing or checking anything.
fn may_manage(session: &StaffSession, chrome: &Chrome) -> Result<(), PageError> {
    policy::require(&session.actor, chrome.tenant.id, Permission::ManageStaff)?;
    Ok(())
}

/// The new-staff form: checkbox groups repeat their name, so it arrives as pairs.
#[derive(Default)]
pub struct NewStaffForm {
    name: String,
    email: String,
    roles: Vec<String>,
    departments: Vec<String>,
    teams: Vec<String>,
}

impl NewStaffForm {
    fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        let mut form = Self::default();
        for (name, value) in pairs {
            match name.as_str() {
                "name" => form.name = value,
                "email" => form.email = value,
                "rollen" => form.roles.push(value),
                "fachdienste" => form.departments.push(value),
                "teams" => form.teams.push(value),
                _ => {}
            }
        }
        form
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/created.html")]
struct CreatedPage {
    chrome: Chrome,
    staff: Option<StaffNav>,
    name: String,
    email: String,
    password: String,
}

async fn create(
    State(state): State<AppState>,
    chrome: Chrome,
    session: StaffSession,
    RequestOrigin(origin): RequestOrigin,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    may_manage(&session, &chrome)?;
    let form = NewStaffForm::from_pairs(pairs);
    let choices = Choices::load(&state, &chrome).await?;
    let (roles, department_ids) = choices.chosen(&form);
    let name = form.name.trim();
    let email = form.email.trim().to_lowercase();
    let mut problems = Vec::new();
    if name.is_empty() {
        problems.push(("name", "staff-new-name-missing"));
    }
    if mail::parse_address(&email).is_err() {
        problems.push(("email", "account-email-invalid"));
    }
    if roles.is_empty() {
        problems.push(("rollen", "staff-new-role-missing"));
    }
    if problems.is_empty() {
        let password = passwords::generate_initial();
        let new = staff::NewStaffUser {
            email: &email,
            name,
            password: &password,
            roles: &roles,
            departments: &department_ids,
            initial_password: true,
        };
        let tenant = chrome.tenant.id;
        match staff::create_user(&state.db, &session.actor, &origin, tenant, new).await {
            Ok(_) => {
                let page = CreatedPage {
                    staff: StaffNav::of(&session.actor, tenant),
                    name: name.to_owned(),
                    email,
                    password,
                    chrome,
                };
                return Ok(page.into_response());
            }
            Err(CoreError::Invalid(_)) => problems.push(("email", "staff-new-email-taken")),
            Err(e) => return Err(e.into()),
        }
    }
    let mut page = new_page(chrome, choices, &form);
    for (field, key) in problems {
        page.error(field, key);
    }
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

async fn reset_second_factor(
    State(state): State<AppState>,
    chrome: Chrome,
    session: StaffSession,
    RequestOrigin(origin): RequestOrigin,
    Path(id): Path<Uuid>,
) -> Result<Response, PageError> {
    let tenant = chrome.tenant.id;
    staff_directory::reset_second_factor(&state.db, &session.actor, &origin, tenant, id).await?;
    Ok(Redirect::to("/verwaltung/personal?erledigt=faktor").into_response())
}

#[derive(Deserialize)]
pub struct LockForm {
    /// "ja" locks, anything else unlocks.
    #[serde(default)]
    gesperrt: String,
}

async fn set_lock(
    State(state): State<AppState>,
    chrome: Chrome,
    session: StaffSession,
    RequestOrigin(origin): RequestOrigin,
    Path(id): Path<Uuid>,
    Form(form): Form<LockForm>,
) -> Result<Response, PageError> {
    let locked = form.gesperrt == "ja";
    let tenant = chrome.tenant.id;
    staff_directory::set_locked(&state.db, &session.actor, &origin, tenant, id, locked).await?;
    let done = if locked { "gesperrt" } else { "entsperrt" };
    Ok(Redirect::to(&format!("/verwaltung/personal?erledigt={done}")).into_response())
}
