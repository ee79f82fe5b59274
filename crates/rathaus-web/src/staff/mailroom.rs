//! The mailroom (Poststelle) at work: scans of paper letters are taken in, read (OCR in
//! a job) and filed by a person into the case their reference names, another case, or a
//! new case of a department; applications no department was found for are routed here.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use rathaus_core::cases;
use rathaus_core::error::CoreError;
use rathaus_core::mailroom::paper::{self, Filing, MailItem};
use rathaus_core::{departments, policy};
use serde::Deserialize;
use uuid::Uuid;

use super::StaffNav;
use super::cases::inline_file;
use super::session::StaffSession;
use crate::assistant::{local_time, messages, read_page};
use crate::chrome::Chrome;
use crate::error::PageError;
use crate::request_origin::RequestOrigin;
use crate::routes::{Access::StaffWith, Routes};
use crate::state::AppState;

const MAILROOM: &str = "/verwaltung/poststelle";
const ROUTE_MAIL: crate::routes::Access = StaffWith(policy::Permission::RouteMail);

pub fn routes() -> Routes {
    Routes::default()
        .get(MAILROOM, ROUTE_MAIL, overview)
        .post(MAILROOM, ROUTE_MAIL, take_in)
        .get("/verwaltung/poststelle/{item}", ROUTE_MAIL, show)
        .post("/verwaltung/poststelle/{item}", ROUTE_MAIL, file)
        .get("/verwaltung/poststelle/{item}/scan", ROUTE_MAIL, scan)
}

/// A scan waiting in the list.
pub struct Waiting {
    pub href: String,
    pub file_name: String,
    pub received: String,
    pub state: String,
    pub proposal: String,
}

/// A case that arrived today, and where it went.
pub struct Arrived {
    pub reference: String,
    pub title: String,
    pub department: String,
    pub at: String,
    /// "Online", "Brief" or "Von Hand".
    pub channel: String,
}

/// Cases of the day listed at most.
const TODAY_SHOWN: u64 = 100;

/// An application no department was found for.
pub struct Unrouted {
    pub reference: String,
    pub title: String,
    pub received: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/mailroom.html")]
pub struct OverviewPage {
    chrome: Chrome,
    staff: Option<StaffNav>,
    waiting: Vec<Waiting>,
    unrouted: Vec<Unrouted>,
    /// What arrived today ("12 Vorgänge"), and the latest of it.
    today_count: String,
    today: Vec<Arrived>,
    /// Said after scans were taken in or one was filed.
    done: Option<String>,
    errors: Vec<(&'static str, String)>,
}

#[derive(Deserialize)]
pub struct OverviewQuery {
    eingelesen: Option<usize>,
    zugeordnet: Option<String>,
}

pub async fn overview(
    State(state): State<AppState>,
    chrome: Chrome,
    session: StaffSession,
    Query(query): Query<OverviewQuery>,
) -> Result<OverviewPage, PageError> {
    let done = match (query.eingelesen, query.zugeordnet) {
        (Some(n), _) => Some(chrome.t.count("mailroom-taken-in", n)),
        (None, Some(reference)) => Some(chrome.t.fmt(
            "mailroom-filed",
            &[(
                "reference",
                &rathaus_core::references::normalise(&reference),
            )],
        )),
        _ => None,
    };
    overview_page(&state, chrome, &session, done, Vec::new()).await
}

/// How a case came in: an application sent online, a letter filed as a new case (it
/// has no service), or a request taken down by hand.
fn channel_of(case: &cases::Case) -> &'static str {
    if case.submission_id.is_some() {
        "mailroom-channel-online"
    } else if case.service_key.is_empty() {
        "mailroom-channel-letter"
    } else {
        "mailroom-channel-by-hand"
    }
}

async fn overview_page(
    state: &AppState,
    chrome: Chrome,
    session: &StaffSession,
    done: Option<String>,
    errors: Vec<(&'static str, String)>,
) -> Result<OverviewPage, PageError> {
    let tenant = chrome.tenant.id;
    let conn = state.db.conn();
    let names = super::cases::department_names(state, &chrome).await?;
    let mut waiting = Vec::new();
    for item in paper::waiting(conn, &session.actor, tenant).await? {
        let proposal = proposal_text(state, &chrome, &names, &item).await?;
        waiting.push(Waiting {
            href: format!("{MAILROOM}/{}", item.id),
            file_name: item.file_name,
            received: local_time(item.received_at),
            state: chrome
                .t
                .get(&format!("mailroom-state-{}", item.state))
                .to_owned(),
            proposal,
        });
    }
    let unrouted = cases::unrouted(conn, &session.actor, tenant)
        .await?
        .into_iter()
        .map(|case| Unrouted {
            received: local_time(case.created_at),
            reference: case.reference,
            title: case.title,
        })
        .collect();
    let day = rathaus_core::time::local_day(chrono::Utc::now());
    let arrived = cases::received_on(conn, &session.actor, tenant, day, TODAY_SHOWN).await?;
    let today_count = if arrived.more {
        chrome
            .t
            .count("mailroom-today-more", arrived.total as usize)
    } else if arrived.total > TODAY_SHOWN {
        chrome
            .t
            .count("mailroom-today-latest", arrived.total as usize)
    } else {
        chrome.t.count("cases-count", arrived.total as usize)
    };
    let today = arrived
        .cases
        .iter()
        .map(|case| Arrived {
            reference: case.reference.clone(),
            title: case.title.clone(),
            department: super::cases::department_of(&chrome, &names, case),
            at: rathaus_core::time::local(case.created_at)
                .format("%H:%M")
                .to_string(),
            channel: chrome.t.get(channel_of(case)).to_owned(),
        })
        .collect();
    Ok(OverviewPage {
        staff: StaffNav::of(&session.actor, tenant),
        waiting,
        unrouted,
        today_count,
        today,
        done,
        errors,
        chrome,
    })
}

/// Where the scan probably belongs, in words.
async fn proposal_text(
    state: &AppState,
    chrome: &Chrome,
    names: &std::collections::HashMap<Uuid, String>,
    item: &MailItem,
) -> Result<String, PageError> {
    if let Some(id) = item.proposed_case_id
        && let Some(case) = paper::case_by_id(state.db.conn(), id).await?
    {
        return Ok(chrome
            .t
            .fmt("mailroom-proposal-case", &[("reference", &case.reference)]));
    }
    Ok(
        match item.proposed_department_id.and_then(|id| names.get(&id)) {
            Some(name) => chrome
                .t
                .fmt("mailroom-proposal-department", &[("department", name)]),
            None if item.state == paper::RECOGNISING => String::new(),
            None => chrome.t.get("mailroom-proposal-none").to_owned(),
        },
    )
}

/// Scans sent from the mailroom page: each becomes a mail item, read in the background.
pub async fn take_in(
    State(state): State<AppState>,
    chrome: Chrome,
    session: StaffSession,
    RequestOrigin(origin): RequestOrigin,
    request: axum::extract::Request,
) -> Result<Response, PageError> {
    let (_, uploads) = read_page(request, &state).await?;
    let refusal = if uploads.is_empty() {
        chrome.t.get("mailroom-nothing-chosen").to_owned()
    } else {
        let files = uploads
            .into_iter()
            .map(|u| (u.file_name, u.bytes))
            .collect();
        let tenant = chrome.tenant.id;
        let actor = &session.actor;
        match paper::receive(&state.db, &state.blobs, actor, &origin, tenant, files).await? {
            Ok(ids) => {
                state.wake_worker();
                let to = format!("{MAILROOM}?eingelesen={}", ids.len());
                return Ok(Redirect::to(&to).into_response());
            }
            Err((file, problem)) => {
                let label = chrome.t.get("mailroom-scans");
                messages::upload(chrome.t, label, &file, &problem)
            }
        }
    };
    let page = overview_page(&state, chrome, &session, None, vec![("scans", refusal)]).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/mail_item.html")]
pub struct ItemPage {
    chrome: Chrome,
    staff: Option<StaffNav>,
    id: Uuid,
    file_name: String,
    received: String,
    state: String,
    pages: Option<i32>,
    text: Option<String>,
    ocr_note: Option<String>,
    filed_to: Option<String>,
    departments: Vec<(String, String)>,
    typed: Filled,
    conflict: bool,
    errors: Vec<(&'static str, String)>,
}

/// The filing form as sent (or as proposed).
#[derive(Default, Deserialize)]
pub struct Filled {
    /// `vorgang` (an existing case) or `neu` (a new case of a department).
    #[serde(default)]
    ziel: String,
    #[serde(default)]
    aktenzeichen: String,
    #[serde(default)]
    fachdienst: String,
    #[serde(default)]
    absender: String,
    #[serde(default)]
    betreff: String,
}

/// The scan to look at (audited), or to file (`origin` None: filing is audited itself).
async fn item_of(
    state: &AppState,
    chrome: &Chrome,
    session: &StaffSession,
    looking: Option<&rathaus_core::actor::Origin>,
    id: &str,
) -> Result<MailItem, PageError> {
    // A garbled id finds nothing, after the permission check (403 comes before 404).
    let id = Uuid::parse_str(id).unwrap_or(Uuid::nil());
    let (actor, tenant) = (&session.actor, chrome.tenant.id);
    let found = match looking {
        Some(origin) => paper::open_for_mailroom(&state.db, actor, origin, tenant, id).await?,
        None => paper::find(state.db.conn(), actor, tenant, id).await?,
    };
    found.ok_or(PageError::NotFound)
}

pub async fn show(
    State(state): State<AppState>,
    chrome: Chrome,
    session: StaffSession,
    RequestOrigin(origin): RequestOrigin,
    Path(id): Path<String>,
) -> Result<ItemPage, PageError> {
    let item = item_of(&state, &chrome, &session, Some(&origin), &id).await?;
    let conn = state.db.conn();
    let mut typed = Filled {
        ziel: "vorgang".into(),
        ..Filled::default()
    };
    if let Some(id) = item.proposed_case_id
        && let Some(case) = paper::case_by_id(conn, id).await?
    {
        typed.aktenzeichen = case.reference;
    } else if let Some(id) = item.proposed_department_id {
        typed.ziel = "neu".into();
        typed.fachdienst = departments::of_tenant(conn, chrome.tenant.id)
            .await?
            .into_iter()
            .find(|d| d.id == id)
            .map(|d| d.key)
            .unwrap_or_default();
    }
    item_page(&state, chrome, &session, item, typed, false, Vec::new()).await
}

async fn item_page(
    state: &AppState,
    chrome: Chrome,
    session: &StaffSession,
    item: MailItem,
    typed: Filled,
    conflict: bool,
    errors: Vec<(&'static str, String)>,
) -> Result<ItemPage, PageError> {
    let conn = state.db.conn();
    let filed_to = match item.case_id {
        Some(id) => paper::case_by_id(conn, id).await?.map(|c| c.reference),
        None => None,
    };
    let departments = departments::of_tenant(conn, chrome.tenant.id)
        .await?
        .into_iter()
        .map(|d| (d.key, d.name))
        .collect();
    Ok(ItemPage {
        staff: StaffNav::of(&session.actor, chrome.tenant.id),
        id: item.id,
        received: local_time(item.received_at),
        state: chrome
            .t
            .get(&format!("mailroom-state-{}", item.state))
            .to_owned(),
        file_name: item.file_name,
        pages: item.pages,
        text: item.text,
        ocr_note: item.ocr_note,
        filed_to,
        departments,
        typed,
        conflict,
        errors,
        chrome,
    })
}

/// Files the scan as the form says. Mistakes show the page again with what was typed.
pub async fn file(
    State(state): State<AppState>,
    chrome: Chrome,
    session: StaffSession,
    RequestOrigin(origin): RequestOrigin,
    Path(id): Path<String>,
    Form(typed): Form<Filled>,
) -> Result<Response, PageError> {
    let item = item_of(&state, &chrome, &session, None, &id).await?;
    let conn = state.db.conn();
    let tenant = chrome.tenant.id;
    let mut errors: Vec<(&'static str, String)> = Vec::new();
    let filed = match typed.ziel.as_str() {
        "vorgang" => match cases::by_reference(conn, tenant, &typed.aktenzeichen).await? {
            Some(case) => Some(
                paper::file(
                    &state.db,
                    &session.actor,
                    &origin,
                    &chrome.tenant,
                    &item,
                    Filing::ToCase(&case),
                )
                .await,
            ),
            None => {
                errors.push((
                    "aktenzeichen",
                    chrome.t.get("mailroom-no-such-case").to_owned(),
                ));
                None
            }
        },
        "neu" => {
            let department = departments::by_key(conn, tenant, &typed.fachdienst).await?;
            if department.is_none() {
                let message = chrome.t.get("mailroom-department-missing").to_owned();
                errors.push(("fachdienst", message));
            }
            if typed.absender.trim().is_empty() {
                errors.push((
                    "absender",
                    chrome.t.get("mailroom-sender-missing").to_owned(),
                ));
            }
            if typed.betreff.trim().is_empty() {
                errors.push((
                    "betreff",
                    chrome.t.get("mailroom-subject-missing").to_owned(),
                ));
            }
            match department.filter(|_| errors.is_empty()) {
                Some(department) => {
                    let filing = Filing::NewCase {
                        department: &department,
                        sender: typed.absender.trim(),
                        subject: typed.betreff.trim(),
                    };
                    let actor = &session.actor;
                    let tenant = &chrome.tenant;
                    Some(paper::file(&state.db, actor, &origin, tenant, &item, filing).await)
                }
                None => None,
            }
        }
        _ => {
            errors.push(("ziel", chrome.t.get("mailroom-choose-target").to_owned()));
            None
        }
    };
    let (status, conflict) = match filed {
        Some(Ok(reference)) => {
            let to = format!("{MAILROOM}?zugeordnet={reference}");
            return Ok(Redirect::to(&to).into_response());
        }
        Some(Err(CoreError::Conflict(_))) => (StatusCode::CONFLICT, true),
        Some(Err(other)) => return Err(other.into()),
        None => (StatusCode::UNPROCESSABLE_ENTITY, false),
    };
    // Show the scan as it is now (filed by someone else, after a conflict).
    let item = item_of(&state, &chrome, &session, None, &id).await?;
    let page = item_page(&state, chrome, &session, item, typed, conflict, errors).await?;
    Ok((status, page).into_response())
}

/// The scan itself, shown in the browser without running anything it contains.
pub async fn scan(
    State(state): State<AppState>,
    chrome: Chrome,
    session: StaffSession,
    RequestOrigin(origin): RequestOrigin,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let item = item_of(&state, &chrome, &session, Some(&origin), &id).await?;
    let bytes = state.blobs.get(&item.sha256).await?;
    Ok(inline_file(&item.file_name, item.media_type, bytes))
}
