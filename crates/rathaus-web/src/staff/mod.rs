//! The staff area (`/verwaltung`): login, the audit log and the job queue. Who may see
//! what is decided in `rathaus_core::policy`; these handlers only show the answer.

mod by_hand;
mod case_planning;
mod cases;
pub(crate) use cases::{german_day, inline_file};
mod catalog;
mod departments;
mod directory;
mod efile;
mod inbox;
mod issued;
mod mailroom;
mod passkeys;
mod password;
mod payments;
mod printing;
mod retention;
mod routing;
mod second_factor;
mod session;
mod sso;
mod town;

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::Europe::Berlin;
use rathaus_core::audit::{self, Filter};
use rathaus_core::login_guard::Attempt;
use rathaus_core::policy::{self, Permission};
use rathaus_core::{Actor, jobs, staff};
use serde::Deserialize;
use uuid::Uuid;

use crate::chrome::Chrome;
use crate::error::PageError;
use crate::navigation::{ReturnTo, local_path, query_encode};
use crate::request_origin::RequestOrigin;
use crate::routes::Access::{Public, Staff, StaffPending, StaffWith};
use crate::routes::Routes;
use crate::session_cookie::STAFF;
use crate::state::AppState;
use session::StaffSession;

pub fn routes() -> Routes {
    Routes::default()
        .get("/verwaltung", Staff, dashboard)
        .get("/verwaltung/anmelden", Public, login_form)
        .post("/verwaltung/anmelden", Public, login)
        .get("/verwaltung/anmelden/extern/{slug}", Public, sso::start)
        .get(
            "/verwaltung/anmelden/extern/{slug}/rueckkehr",
            Public,
            sso::finish,
        )
        .get(
            "/verwaltung/anmelden/code",
            StaffPending,
            second_factor::code_form,
        )
        .post(
            "/verwaltung/anmelden/code",
            StaffPending,
            second_factor::submit_code,
        )
        .post(
            "/verwaltung/anmelden/passkey/optionen",
            StaffPending,
            passkeys::login_options,
        )
        .post(
            "/verwaltung/anmelden/passkey",
            StaffPending,
            passkeys::login,
        )
        .post("/verwaltung/abmelden", Staff, logout)
        .get(passkeys::SECURITY_PAGE, Staff, passkeys::page)
        .post(
            "/verwaltung/sicherheit/passkeys/optionen",
            Staff,
            passkeys::registration_options,
        )
        .post("/verwaltung/sicherheit/passkeys", Staff, passkeys::register)
        .post(
            "/verwaltung/sicherheit/passkeys/{id}/entfernen",
            Staff,
            passkeys::remove,
        )
        .post(
            "/verwaltung/sicherheit/wiederherstellungscodes",
            Staff,
            passkeys::new_recovery_codes,
        )
        .get(session::PASSWORD_PAGE, Staff, password::form)
        .post(session::PASSWORD_PAGE, Staff, password::change)
        .get(
            "/verwaltung/protokoll",
            StaffWith(Permission::ReadAuditLog),
            audit_log,
        )
        .get(
            "/verwaltung/auftraege",
            StaffWith(Permission::ManageJobs),
            job_queue,
        )
        .post(
            "/verwaltung/auftraege/{id}/erneut",
            StaffWith(Permission::ManageJobs),
            requeue_job,
        )
        .get(
            departments::PAGE,
            StaffWith(Permission::ManageStaff),
            departments::list,
        )
        .post(
            departments::PAGE,
            StaffWith(Permission::ManageStaff),
            departments::create,
        )
        .post(
            departments::TEAMS,
            StaffWith(Permission::ManageStaff),
            departments::create_team,
        )
        .merge(directory::routes())
        .merge(catalog::routes())
        .merge(cases::routes())
        .merge(issued::routes())
        .merge(efile::routes())
        .merge(retention::routes())
        .merge(printing::routes())
        .merge(payments::routes())
        .merge(mailroom::routes())
        .merge(routing::routes())
        .merge(town::routes())
}

/// What the staff navigation needs to know about the person.
pub struct StaffNav {
    pub roles: String,
    pub can_read_audit: bool,
    pub can_manage_jobs: bool,
    pub can_manage_staff: bool,
    pub can_manage_tenant: bool,
    pub can_work_cases: bool,
    pub can_route_mail: bool,
    pub can_view_payments: bool,
}

impl StaffNav {
    pub(crate) fn of(actor: &Actor, tenant_id: Uuid) -> Option<Self> {
        Some(Self {
            roles: actor.roles.join(", "),
            can_read_audit: policy::require(actor, tenant_id, Permission::ReadAuditLog).is_ok(),
            can_manage_jobs: policy::require(actor, tenant_id, Permission::ManageJobs).is_ok(),
            can_manage_staff: policy::require(actor, tenant_id, Permission::ManageStaff).is_ok(),
            can_manage_tenant: policy::require(actor, tenant_id, Permission::ManageTenant).is_ok(),
            can_work_cases: policy::case_scope(actor, tenant_id).is_ok(),
            can_route_mail: policy::require(actor, tenant_id, Permission::RouteMail).is_ok(),
            can_view_payments: policy::require(actor, tenant_id, Permission::ViewPayments).is_ok(),
        })
    }
}

/// Pages of the town's own setup (catalog, forms, routing rules) are for its admins.
fn admin_only(chrome: &Chrome, session: &StaffSession) -> Result<(), PageError> {
    Ok(policy::require(
        &session.actor,
        chrome.tenant.id,
        Permission::ManageTenant,
    )?)
}

/// The multipart form of an admin page, read only after the permission is checked:
/// someone without it learns nothing about what they sent.
async fn admin_multipart(
    state: &AppState,
    chrome: &Chrome,
    session: &StaffSession,
    request: axum::extract::Request,
) -> Result<axum::extract::Multipart, PageError> {
    use axum::extract::FromRequest;
    admin_only(chrome, session)?;
    axum::extract::Multipart::from_request(request, state)
        .await
        .map_err(|e| PageError::BadRequest(e.body_text()))
}

/// "Locked until 15:42" in the person's language and Berlin time.
pub(crate) fn locked_message(chrome: &Chrome, until: DateTime<Utc>) -> String {
    let time = until.with_timezone(&Berlin).format("%H:%M").to_string();
    chrome.t.fmt("login-locked", &[("time", &time)])
}

/// Date and time as people in the town hall read them: Europe/Berlin.
fn berlin(at: DateTime<Utc>) -> String {
    at.with_timezone(&Berlin)
        .format("%d.%m.%Y, %H:%M:%S")
        .to_string()
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/dashboard.html")]
struct Dashboard {
    chrome: Chrome,
    staff: Option<StaffNav>,
    welcome: String,
}

async fn dashboard(chrome: Chrome, session: StaffSession) -> Dashboard {
    let welcome = chrome
        .t
        .fmt("staff-welcome", &[("name", &session.actor.name)]);
    Dashboard {
        staff: StaffNav::of(&session.actor, chrome.tenant.id),
        chrome,
        welcome,
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/login.html")]
struct LoginPage {
    chrome: Chrome,
    errors: Vec<(&'static str, String)>,
    email: String,
    email_error: bool,
    password_error: bool,
    next: String,
    /// The city's own login (link, label), if configured.
    providers: Vec<(String, String)>,
}

async fn login_form(
    State(state): State<AppState>,
    chrome: Chrome,
    Query(next): Query<ReturnTo>,
) -> Result<LoginPage, PageError> {
    let next = local_path(next.weiter, "/verwaltung", "/verwaltung");
    Ok(LoginPage {
        providers: sso::providers(&state, &chrome, &next).await?,
        chrome,
        errors: Vec::new(),
        email: String::new(),
        email_error: false,
        password_error: false,
        next,
    })
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
    let next = local_path(form.weiter, "/verwaltung", "/verwaltung");
    let email = form.email.trim().to_owned();
    let mut errors = Vec::new();
    if email.is_empty() {
        errors.push(("email", chrome.t.get("staff-email-missing").to_owned()));
    }
    if form.password.is_empty() {
        errors.push((
            "password",
            chrome.t.get("staff-password-missing").to_owned(),
        ));
    }
    let status = if errors.is_empty() {
        match staff::login(&state.db, chrome.tenant.id, &email, &form.password, &origin).await? {
            Attempt::Succeeded(login) => {
                let code_page = format!("/verwaltung/anmelden/code?weiter={}", query_encode(&next));
                let mut response = Redirect::to(&code_page).into_response();
                response.headers_mut().insert(
                    header::SET_COOKIE,
                    STAFF.set(&login.token, state.config.behind_tls),
                );
                return Ok(response);
            }
            Attempt::Failed => {
                errors.push(("email", chrome.t.get("staff-login-failed").to_owned()));
                StatusCode::UNAUTHORIZED
            }
            Attempt::Locked { until } => {
                errors.push(("email", locked_message(&chrome, until)));
                StatusCode::TOO_MANY_REQUESTS
            }
        }
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = LoginPage {
        providers: sso::providers(&state, &chrome, &next).await?,
        email_error: email.is_empty(),
        password_error: form.password.is_empty(),
        chrome,
        errors,
        email,
        next,
    };
    Ok((status, page).into_response())
}

async fn logout(
    State(state): State<AppState>,
    session: StaffSession,
    RequestOrigin(origin): RequestOrigin,
) -> Result<Response, PageError> {
    staff::logout(&state.db, &session.actor, &session.token, &origin).await?;
    let mut response = Redirect::to("/").into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, STAFF.clear(state.config.behind_tls));
    Ok(response)
}

#[derive(Deserialize, Default)]
struct AuditQuery {
    #[serde(default)]
    aktion: String,
    #[serde(default)]
    objekt: String,
    #[serde(default)]
    person: String,
    #[serde(default)]
    von: String,
    #[serde(default)]
    bis: String,
    vor: Option<i64>,
}

struct AuditRow {
    seq: i64,
    at: String,
    actor: String,
    action: String,
    object: String,
    purpose: String,
    origin: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/audit.html")]
struct AuditPage {
    chrome: Chrome,
    staff: Option<StaffNav>,
    query: AuditQuery,
    date_error: Option<String>,
    entries: Vec<AuditRow>,
    older_link: Option<String>,
}

const AUDIT_PAGE_SIZE: u64 = 50;

/// Start of a calendar day in Berlin, in UTC.
fn berlin_day_start(date: NaiveDate) -> Option<DateTime<Utc>> {
    Berlin
        .from_local_datetime(&date.and_hms_opt(0, 0, 0)?)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
}

/// An empty field is no filter; anything else must be YYYY-MM-DD.
pub(super) fn parse_day(text: &str) -> Result<Option<NaiveDate>, chrono::ParseError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map(Some)
}

async fn audit_log(
    State(state): State<AppState>,
    chrome: Chrome,
    session: StaffSession,
    RequestOrigin(origin): RequestOrigin,
    Query(query): Query<AuditQuery>,
) -> Result<Response, PageError> {
    let tenant_id = chrome.tenant.id;
    let staff_nav = StaffNav::of(&session.actor, tenant_id);
    let (Ok(from), Ok(until)) = (parse_day(&query.von), parse_day(&query.bis)) else {
        let page = AuditPage {
            date_error: Some(chrome.t.get("audit-bad-date").to_owned()),
            staff: staff_nav,
            chrome,
            query,
            entries: Vec::new(),
            older_link: None,
        };
        return Ok((StatusCode::BAD_REQUEST, page).into_response());
    };
    let filter = Filter {
        action: Some(query.aktion.clone()),
        object_type: None,
        object_id: Some(query.objekt.clone()),
        actor_name: Some(query.person.clone()),
        from: from.and_then(berlin_day_start),
        until: until.and_then(|d| d.succ_opt()).and_then(berlin_day_start),
        before_seq: query.vor,
    };
    let rows = audit::search(
        &state.db,
        &session.actor,
        &origin,
        tenant_id,
        &filter,
        AUDIT_PAGE_SIZE,
    )
    .await?;
    let older_link = (rows.len() as u64 == AUDIT_PAGE_SIZE).then(|| {
        let last = rows.last().map_or(0, |r| r.seq);
        format!(
            "/verwaltung/protokoll?aktion={}&objekt={}&person={}&von={}&bis={}&vor={last}",
            query_encode(&query.aktion),
            query_encode(&query.objekt),
            query_encode(&query.person),
            query_encode(&query.von),
            query_encode(&query.bis)
        )
    });
    let entries = rows
        .into_iter()
        .map(|e| AuditRow {
            seq: e.seq,
            at: berlin(e.at),
            actor: match &e.actor_role {
                Some(role) => format!("{} ({role})", e.actor_name),
                None => e.actor_name.clone(),
            },
            action: e.action,
            object: match e.object_id {
                Some(id) => format!("{} {id}", e.object_type),
                None => e.object_type,
            },
            purpose: e.purpose.unwrap_or_default(),
            origin: e.ip.unwrap_or_default(),
        })
        .collect();
    Ok(AuditPage {
        staff: staff_nav,
        chrome,
        query,
        date_error: None,
        entries,
        older_link,
    }
    .into_response())
}

struct DeadJob {
    id: Uuid,
    kind: String,
    attempts: i32,
    error: String,
    when: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/jobs.html")]
struct JobsPage {
    chrome: Chrome,
    staff: Option<StaffNav>,
    counts: Vec<(String, i64)>,
    dead: Vec<DeadJob>,
    requeued: bool,
}

#[derive(Deserialize)]
struct JobsQuery {
    erneut: Option<String>,
}

async fn job_queue(
    State(state): State<AppState>,
    chrome: Chrome,
    session: StaffSession,
    Query(q): Query<JobsQuery>,
) -> Result<JobsPage, PageError> {
    let tenant_id = chrome.tenant.id;
    let overview = jobs::overview(&state.db, &session.actor, tenant_id).await?;
    let counts = overview
        .counts
        .into_iter()
        .map(|(state, n)| (chrome.t.get(&format!("jobs-state-{state}")).to_owned(), n))
        .collect();
    let dead = overview
        .dead
        .into_iter()
        .map(|j| DeadJob {
            id: j.id,
            kind: j.kind,
            attempts: j.attempts,
            error: j.last_error.unwrap_or_default(),
            when: berlin(j.updated_at),
        })
        .collect();
    Ok(JobsPage {
        staff: StaffNav::of(&session.actor, tenant_id),
        chrome,
        counts,
        dead,
        requeued: q.erneut.is_some(),
    })
}

async fn requeue_job(
    State(state): State<AppState>,
    chrome: Chrome,
    session: StaffSession,
    RequestOrigin(origin): RequestOrigin,
    Path(id): Path<Uuid>,
) -> Result<Response, PageError> {
    if !jobs::requeue(&state.db, &session.actor, &origin, chrome.tenant.id, id).await? {
        return Err(PageError::NotFound);
    }
    state.wake_worker();
    Ok(Redirect::to("/verwaltung/auftraege?erneut=1").into_response())
}
