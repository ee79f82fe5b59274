//! Retention for admins (`/verwaltung/aufbewahrung`): which cases the daily job deletes
//! in the next 30 days and by which rule, the cases under a legal hold (set and
//! released here, with a reason), and the latest deletions.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use rathaus_core::policy::Permission;
use rathaus_core::{cases, retention};
use serde::Deserialize;

use super::StaffNav;
use super::cases::german_day;
use super::session::StaffSession;
use crate::chrome::Chrome;
use crate::error::PageError;
use crate::request_origin::RequestOrigin;
use crate::routes::Access::StaffWith;
use crate::routes::{Access, Routes};
use crate::state::AppState;

const PAGE: &str = "/verwaltung/aufbewahrung";
const ADMIN: Access = StaffWith(Permission::ManageTenant);
/// How far ahead the page looks.
const AHEAD_DAYS: i64 = 30;

pub fn routes() -> Routes {
    Routes::default()
        .get(PAGE, ADMIN, overview)
        .post("/verwaltung/aufbewahrung/sperre", ADMIN, hold)
        .post("/verwaltung/aufbewahrung/freigabe", ADMIN, release)
}

pub struct DueRow {
    pub reference: String,
    pub title: String,
    pub delete_on: String,
    pub rule: String,
}

pub struct HeldRow {
    pub reference: String,
    pub title: String,
    pub reason: String,
}

pub struct DeletedRow {
    pub reference: String,
    pub deleted: String,
    pub rule: String,
    pub documents: i32,
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/retention.html")]
pub struct RetentionPage {
    chrome: Chrome,
    staff: Option<StaffNav>,
    due: Vec<DueRow>,
    held: Vec<HeldRow>,
    deleted: Vec<DeletedRow>,
    done: Option<String>,
    errors: Vec<(&'static str, String)>,
    /// The hold form as typed.
    reference: String,
    reason: String,
}

#[derive(Deserialize)]
pub struct Done {
    erledigt: Option<String>,
}

async fn page(
    state: &AppState,
    chrome: Chrome,
    session: &StaffSession,
) -> Result<RetentionPage, PageError> {
    let conn = state.db.conn();
    let (actor, tenant) = (&session.actor, chrome.tenant.id);
    let due = retention::upcoming(conn, actor, tenant, AHEAD_DAYS)
        .await?
        .into_iter()
        .map(|d| DueRow {
            reference: d.case.reference,
            title: d.case.title,
            delete_on: german_day(d.delete_on),
            rule: d.rule,
        })
        .collect();
    let held = retention::held(conn, actor, tenant)
        .await?
        .into_iter()
        .map(|c| HeldRow {
            reference: c.reference,
            title: c.title,
            reason: c.legal_hold.unwrap_or_default(),
        })
        .collect();
    let deleted = retention::records(conn, actor, tenant, 50)
        .await?
        .into_iter()
        .map(|r| DeletedRow {
            reference: r.reference,
            deleted: german_day(r.deleted_at),
            rule: r.rule,
            documents: r.documents,
        })
        .collect();
    Ok(RetentionPage {
        staff: StaffNav::of(actor, tenant),
        due,
        held,
        deleted,
        done: None,
        errors: Vec::new(),
        reference: String::new(),
        reason: String::new(),
        chrome,
    })
}

pub async fn overview(
    State(state): State<AppState>,
    chrome: Chrome,
    session: StaffSession,
    Query(query): Query<Done>,
) -> Result<RetentionPage, PageError> {
    let done = query
        .erledigt
        .as_deref()
        .filter(|d| matches!(*d, "gesperrt" | "freigegeben"))
        .map(|d| chrome.t.get(&format!("retention-done-{d}")).to_owned());
    let mut page = page(&state, chrome, &session).await?;
    page.done = done;
    Ok(page)
}

#[derive(Deserialize)]
pub struct HoldForm {
    #[serde(default)]
    aktenzeichen: String,
    #[serde(default)]
    grund: String,
}

/// Sets a legal hold on the case with the reference typed.
pub async fn hold(
    State(state): State<AppState>,
    chrome: Chrome,
    session: StaffSession,
    RequestOrigin(origin): RequestOrigin,
    Form(form): Form<HoldForm>,
) -> Result<Response, PageError> {
    // Checked first, so that nobody without the permission learns which cases exist.
    rathaus_core::policy::require(&session.actor, chrome.tenant.id, Permission::ManageTenant)?;
    let reference = form.aktenzeichen.trim().to_uppercase();
    let found = cases::by_reference(state.db.conn(), chrome.tenant.id, &reference).await?;
    let problem = match (&found, form.grund.trim().is_empty()) {
        (None, _) => Some(("aktenzeichen", "retention-unknown-case")),
        (Some(_), true) => Some(("grund", "retention-reason-missing")),
        (Some(_), false) => None,
    };
    let Some(case) = found.filter(|_| problem.is_none()) else {
        let (field, key) = problem.expect("a problem");
        return refused(&state, chrome, &session, (field, key), form).await;
    };
    retention::set_hold(&state.db, &session.actor, &origin, &case, Some(&form.grund)).await?;
    Ok(Redirect::to(&format!("{PAGE}?erledigt=gesperrt")).into_response())
}

/// The page again with the form as typed and what is wrong with it.
async fn refused(
    state: &AppState,
    chrome: Chrome,
    session: &StaffSession,
    (field, key): (&'static str, &str),
    typed: HoldForm,
) -> Result<Response, PageError> {
    let message = chrome.t.get(key).to_owned();
    let mut page = page(state, chrome, session).await?;
    page.errors.push((field, message));
    page.reference = typed.aktenzeichen;
    page.reason = typed.grund;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

#[derive(Deserialize)]
pub struct ReleaseForm {
    #[serde(default)]
    aktenzeichen: String,
}

/// Releases the legal hold of a case: it is deleted when its retention has ended.
pub async fn release(
    State(state): State<AppState>,
    chrome: Chrome,
    session: StaffSession,
    RequestOrigin(origin): RequestOrigin,
    Form(form): Form<ReleaseForm>,
) -> Result<Response, PageError> {
    rathaus_core::policy::require(&session.actor, chrome.tenant.id, Permission::ManageTenant)?;
    let found = cases::by_reference(state.db.conn(), chrome.tenant.id, &form.aktenzeichen).await?;
    let Some(case) = found else {
        let typed = HoldForm {
            aktenzeichen: form.aktenzeichen,
            grund: String::new(),
        };
        return refused(
            &state,
            chrome,
            &session,
            ("sperre", "retention-unknown-case"),
            typed,
        )
        .await;
    };
    retention::set_hold(&state.db, &session.actor, &origin, &case, None).await?;
    Ok(Redirect::to(&format!("{PAGE}?erledigt=freigegeben")).into_response())
}
