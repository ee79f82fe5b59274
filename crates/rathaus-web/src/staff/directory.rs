//! Staff management for admins (`/verwaltung/personal`): the list, new accounts with an
//! initial password shown once, locking, and resetting a lost second factor.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use rathaus_core::actor::Role;
use rathaus_core::error::CoreError;
use rathaus_core::policy::{self, Permission};
use rathaus_core::{mail, passwords, staff, staff_directory};
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
}

/// The roles an admin can give, in the order the form shows them.
const ROLES: [Role; 4] = [Role::Caseworker, Role::Mailroom, Role::Auditor, Role::Admin];

pub struct Row {
    pub id: Uuid,
    pub name: String,
    pub email: String,
    pub roles: String,
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
    let rows = members
        .into_iter()
        .map(|m| Row {
            id: m.user.id,
            is_me: session.actor.id == Some(m.user.id),
            name: m.user.name,
            email: m.user.email,
            roles: m.user.roles.replace(',', ", "),
            second_factor: m.second_factor,
            locked: m.user.disabled,
        })
        .collect();
    let done = done.erledigt.and_then(|what| {
        let key = match what.as_str() {
            "faktor" => "staff-people-done-factor",
            "gesperrt" => "staff-people-done-locked",
            "entsperrt" => "staff-people-done-unlocked",
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

fn role_field(role: Role) -> &'static str {
    match role {
        Role::Caseworker => "role_caseworker",
        Role::Mailroom => "role_mailroom",
        Role::Auditor => "role_auditor",
        Role::Admin => "role_admin",
    }
}

fn new_page(chrome: Chrome, form: &NewStaffForm) -> FormPage {
    let mut page = FormPage::new(
        chrome,
        "staff-new-title",
        "/verwaltung/personal/neu",
        "staff-new-button",
    )
    .lead("staff-new-lead")
    .link("/verwaltung/personal", "staff-people-title");
    let name = Field::new("name", &page.t("staff-new-name"), "text").value(&form.name);
    let email = Field::new("email", &page.t("staff-email"), "email").value(&form.email);
    page = page.field(name).field(email);
    for role in ROLES {
        let label = page.t(&format!("role-{}", role.as_str()));
        let checked = if form.has(role) { "1" } else { "" };
        page = page.field(Field::new(role_field(role), &label, "checkbox").value(checked));
    }
    page
}

async fn new_form(chrome: Chrome, session: StaffSession) -> Result<FormPage, PageError> {
    may_manage(&session, &chrome)?;
    Ok(new_page(chrome, &NewStaffForm::default()))
}

/// The form pages ask the policy before showing or checking anything.
fn may_manage(session: &StaffSession, chrome: &Chrome) -> Result<(), PageError> {
    policy::require(&session.actor, chrome.tenant.id, Permission::ManageStaff)?;
    Ok(())
}

#[derive(Default, Deserialize)]
pub struct NewStaffForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    role_caseworker: Option<String>,
    role_mailroom: Option<String>,
    role_auditor: Option<String>,
    role_admin: Option<String>,
}

impl NewStaffForm {
    fn has(&self, role: Role) -> bool {
        match role {
            Role::Caseworker => self.role_caseworker.is_some(),
            Role::Mailroom => self.role_mailroom.is_some(),
            Role::Auditor => self.role_auditor.is_some(),
            Role::Admin => self.role_admin.is_some(),
        }
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
    Form(form): Form<NewStaffForm>,
) -> Result<Response, PageError> {
    may_manage(&session, &chrome)?;
    let roles: Vec<Role> = ROLES.into_iter().filter(|r| form.has(*r)).collect();
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
        problems.push((role_field(ROLES[0]), "staff-new-role-missing"));
    }
    if problems.is_empty() {
        let password = passwords::generate_initial();
        let new = staff::NewStaffUser {
            email: &email,
            name,
            password: &password,
            roles: &roles,
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
    let mut page = new_page(chrome, &form);
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
