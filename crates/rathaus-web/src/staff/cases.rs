//! Case work (Vorgangsbearbeitung): a case with what was sent, the files, the whole
//! timeline and the messages, and the steps taken on it (the inbox is `inbox`). The
//! mailroom sees every case of the town, caseworkers those of their departments
//! (`rathaus_core::policy::case_scope`); every opened case is in the audit log.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use rathaus_core::actor::Origin;
use rathaus_core::audit::{self, Event};
use rathaus_core::cases::{
    self, Case, Refusal, assignment, deadlines, joining, reminders, splitting,
};
use rathaus_core::letters::{self, Kind};
use rathaus_core::mailroom::paper;
use rathaus_core::payments::notices;
use rathaus_core::policy::Permission;
use rathaus_core::workflow;
use rathaus_core::{departments, postbox, submissions};
use serde::Deserialize;

use super::session::StaffSession;
use super::{StaffNav, by_hand, case_planning, inbox};
use crate::applications::{Letter, entry_text, sent_answers, state_label, step_label, with_files};
use crate::assistant::{Section, local_time};
use crate::chrome::Chrome;
use crate::error::PageError;
use crate::fee_notices::fee_notice_row;
use crate::request_origin::RequestOrigin;
use crate::routes::Access::{Staff, StaffWith};
use crate::routes::Routes;
use crate::state::AppState;

pub(super) const INBOX: &str = "/verwaltung/vorgaenge";

pub fn routes() -> Routes {
    Routes::default()
        .get(INBOX, Staff, inbox::inbox)
        .get(by_hand::PAGE, Staff, by_hand::form)
        .post(by_hand::PAGE, Staff, by_hand::create)
        .get("/verwaltung/vorgaenge/{reference}", Staff, show)
        .post(
            "/verwaltung/vorgaenge/{reference}/uebernehmen",
            Staff,
            claim,
        )
        .post("/verwaltung/vorgaenge/{reference}/schritt", Staff, step)
        .post(
            "/verwaltung/vorgaenge/{reference}/abgeben",
            Staff,
            hand_over,
        )
        .post(
            "/verwaltung/vorgaenge/{reference}/zusammenfuehren",
            Staff,
            join,
        )
        .post("/verwaltung/vorgaenge/{reference}/aufteilen", Staff, split)
        .post(
            "/verwaltung/vorgaenge/{reference}/frist",
            Staff,
            case_planning::set_deadline,
        )
        .post(
            "/verwaltung/vorgaenge/{reference}/notiz",
            Staff,
            case_planning::add_note,
        )
        .post(
            "/verwaltung/vorgaenge/{reference}/wiedervorlage",
            Staff,
            case_planning::set_reminder,
        )
        .post(
            "/verwaltung/vorgaenge/{reference}/wiedervorlage/{item}/erledigt",
            Staff,
            case_planning::reminder_done,
        )
        .post(
            "/verwaltung/vorgaenge/{reference}/zuweisen",
            StaffWith(Permission::AssignCases),
            case_planning::assign,
        )
        .post(
            "/verwaltung/vorgaenge/{reference}/team",
            Staff,
            case_planning::give_to_team,
        )
        .get(
            "/verwaltung/vorgaenge/{reference}/dateien/{file}",
            Staff,
            file,
        )
}

/// A deadline as people read it: "24.12.2026".
pub(crate) fn german_day(at: chrono::DateTime<chrono::Utc>) -> String {
    rathaus_core::time::local_day(at)
        .format("%d.%m.%Y")
        .to_string()
}

/// Department names by id, for lists.
pub(crate) async fn department_names(
    state: &AppState,
    chrome: &Chrome,
) -> Result<std::collections::HashMap<uuid::Uuid, String>, PageError> {
    Ok(departments::of_tenant(state.db.conn(), chrome.tenant.id)
        .await?
        .into_iter()
        .map(|d| (d.id, d.name))
        .collect())
}

pub(super) fn department_of(
    chrome: &Chrome,
    names: &std::collections::HashMap<uuid::Uuid, String>,
    case: &Case,
) -> String {
    case.department_id
        .and_then(|id| names.get(&id).cloned())
        .unwrap_or_else(|| chrome.t.get("cases-in-mailroom").to_owned())
}

/// A step of the workflow possible from the case's state.
pub struct Choice {
    pub key: String,
    pub label: String,
    pub chosen: bool,
    /// What the step issues ("stellt aus: Bewohnerparkausweis"), if anything.
    pub issues: Option<String>,
}

/// A document of the case's file, as its page lists it.
pub struct FiledRow {
    pub id: String,
    pub title: String,
    /// "Anlage zum Antrag · eingehend".
    pub what: String,
    /// "Fassung 2 vom 03.12.2026, Vera Verkehr".
    pub latest: String,
    /// Earlier versions: number and label.
    pub earlier: Vec<(i32, String)>,
    /// Its evidence can be downloaded (the latest version is sealed).
    pub sealed: bool,
    /// How many versions it has (sent with a new one).
    pub versions: i32,
}

/// A document the case issued, as its page lists it.
pub struct IssuedRow {
    pub id: String,
    pub title: String,
    pub code: String,
    /// "03.12.2026 von Vera Verkehr, ins Postfach".
    pub issued: String,
    /// "widerrufen am …: reason".
    pub revoked: Option<String>,
}

/// A scanned letter of the case with its recognised text.
pub struct Document {
    pub href: String,
    pub file_name: String,
    pub received: String,
    pub text: String,
}

/// A reminder as the case page lists it.
pub struct ReminderRow {
    pub id: String,
    pub day: String,
    pub note: String,
    pub set_by: String,
    pub due: bool,
    /// "erledigt am 03.12.2026 von Vera Verkehr".
    pub done: Option<String>,
}

pub struct Happened {
    pub at: String,
    pub who: String,
    pub what: String,
    pub public: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "staff/case.html")]
pub struct CasePage {
    chrome: Chrome,
    staff: Option<StaffNav>,
    reference: String,
    title: String,
    applicant: String,
    state: String,
    department: String,
    assignee: Option<String>,
    mine: bool,
    version: i32,
    received: String,
    trust: String,
    sections: Vec<Section>,
    files: Vec<(String, String)>,
    /// Scanned letters filed into the case.
    documents: Vec<Document>,
    /// Departments it can be handed over to: (key, name).
    departments: Vec<(String, String)>,
    /// Every department (a split can stay in one's own): (key, name).
    all_departments: Vec<(String, String)>,
    /// Whether handing over needs a reason (it has a department already).
    routed: bool,
    timeline: Vec<Happened>,
    letters: Vec<Letter>,
    conflict: bool,
    choices: Vec<Choice>,
    /// A step from here issues a permit, which names its parking zone.
    asks_zone: bool,
    /// A step from here issues an Urkunde, whose entries are the message's lines.
    asks_entries: bool,
    zone: String,
    /// A step from here issues a Gebührenbescheid, which sets an amount: as typed, or
    /// the fee the application computed.
    asks_fee: bool,
    fee: String,
    /// The case's fee notices: (amount, due or paid).
    fee_notices: Vec<(String, String)>,
    /// The documents the case issued.
    issued: Vec<IssuedRow>,
    /// The case's file (Akte).
    filed: Vec<FiledRow>,
    /// The title of a new internal document as typed.
    document_title: String,
    /// What was typed into the message, kept when the step was refused.
    typed: String,
    /// The day to answer by as typed, and its hint if a step from here asks for one
    /// (with the workflow's number of days).
    typed_reply_by: String,
    reply_hint: Option<String>,
    /// Reminders (Wiedervorlage): open ones first, and one as typed.
    reminders: Vec<ReminderRow>,
    typed_reminder_day: String,
    typed_reminder_note: String,
    note: String,
    /// The deadline: when, whether it has passed, and a new one as typed.
    due: Option<String>,
    overdue: bool,
    /// "ruht seit 01.12.2026, solange wir auf die antragstellende Person warten".
    resting_since: Option<String>,
    typed_due: String,
    due_reason: String,
    /// Colleagues the case can be assigned to (id, name); empty for those who may not.
    colleagues: Vec<(String, String)>,
    /// The teams of the case's department: (id, name, whether the case is theirs).
    teams: Vec<(String, String, bool)>,
    /// The team that has the case, if one has.
    team: Option<String>,
    /// Neither decided nor closed: it can be joined into another case.
    joinable: bool,
    /// The reference and reason typed for joining.
    join_into: String,
    join_reason: String,
    /// The department, title and reason chosen for splitting.
    split_department: String,
    split_title: String,
    split_reason: String,
    /// Mistakes of a refused step: (field id, message).
    errors: Vec<(&'static str, String)>,
}

/// What the page shows besides the case: a refused change with what was typed.
#[derive(Default)]
pub(super) struct Outcome {
    pub(super) conflict: bool,
    pub(super) chosen: String,
    pub(super) typed: String,
    /// The parking zone typed for a permit.
    pub(super) zone: String,
    /// The amount typed for a fee notice.
    pub(super) fee: String,
    pub(super) reply_by: String,
    pub(super) reminder_day: String,
    pub(super) reminder_note: String,
    /// The internal note, the deadline and its reason as typed.
    pub(super) note: String,
    pub(super) due: String,
    pub(super) due_reason: String,
    pub(super) join_into: String,
    pub(super) join_reason: String,
    pub(super) split_department: String,
    pub(super) split_title: String,
    pub(super) split_reason: String,
    /// The title of an internal document as typed.
    pub(super) document_title: String,
    pub(super) errors: Vec<(&'static str, String)>,
}

#[derive(Deserialize)]
pub struct CaseQuery {
    konflikt: Option<String>,
}

pub async fn show(
    State(state): State<AppState>,
    chrome: Chrome,
    session: StaffSession,
    RequestOrigin(origin): RequestOrigin,
    Path(reference): Path<String>,
    Query(query): Query<CaseQuery>,
) -> Result<CasePage, PageError> {
    let tenant = chrome.tenant.id;
    let case = cases::open_for_staff(&state.db, &session.actor, &origin, tenant, &reference)
        .await?
        .ok_or(PageError::NotFound)?;
    let outcome = Outcome {
        conflict: query.konflikt.is_some(),
        ..Outcome::default()
    };
    page(&state, chrome, &session, case, outcome).await
}

pub(super) async fn page(
    state: &AppState,
    chrome: Chrome,
    session: &StaffSession,
    case: Case,
    outcome: Outcome,
) -> Result<CasePage, PageError> {
    let tenant = chrome.tenant.id;
    let conn = state.db.conn();
    let submitted = match case.submission_id {
        Some(id) => submissions::read(conn, tenant, id).await?,
        None => None,
    };
    let (mut sections, mut files, mut trust) = (Vec::new(), Vec::new(), String::new());
    if let Some(submitted) = &submitted {
        sections = sent_answers(&chrome, submitted);
        files = submitted
            .files
            .iter()
            .map(|f| {
                (
                    f.file_name.clone(),
                    format!("{INBOX}/{}/dateien/{}", case.reference, f.id),
                )
            })
            .collect();
        trust = submitted.row.trust_level.clone();
    }
    let letters = with_files(conn, postbox::of_case(conn, case.id).await?).await?;
    let documents = paper::documents_of(conn, case.id)
        .await?
        .into_iter()
        .map(|d| Document {
            href: format!("{INBOX}/{}/dateien/{}", case.reference, d.id),
            received: local_time(d.received_at),
            text: d.text.unwrap_or_default(),
            file_name: d.file_name,
        })
        .collect();
    let all_departments = departments::of_tenant(conn, tenant).await?;
    let names = all_departments
        .iter()
        .map(|d| (d.id, d.name.clone()))
        .collect();
    let names_by_key = all_departments
        .iter()
        .map(|d| (d.key.as_str(), d.name.as_str()))
        .collect();
    let workflow = workflow::installed::of_case(conn, &case).await?;
    let timeline = cases::timeline(conn, case.id, false)
        .await?
        .into_iter()
        .map(|entry| Happened {
            at: local_time(entry.at),
            what: staff_entry_text(&chrome, &workflow, &entry, &names_by_key),
            who: entry.actor,
            public: entry.public,
        })
        .collect();
    let key_and_name =
        |d: &rathaus_store::entities::department::Model| (d.key.clone(), d.name.clone());
    let others = all_departments
        .iter()
        .filter(|d| Some(d.id) != case.department_id)
        .map(key_and_name)
        .collect();
    let all_departments = all_departments.iter().map(key_and_name).collect();
    let assignee = cases::assignee_name(conn, &case).await?;
    let reply_days = workflow.from(&case.state).find_map(|t| t.reply_within_days);
    let now = chrono::Utc::now();
    let reminders = reminders::of_case(conn, case.id)
        .await?
        .into_iter()
        .map(|r| ReminderRow {
            id: r.id.to_string(),
            day: r.due.format("%d.%m.%Y").to_string(),
            due: r.is_due(now),
            done: r.done.as_ref().map(|(at, by)| {
                chrome.t.fmt(
                    "cases-reminder-done-by",
                    &[("day", &german_day(*at)), ("who", by)],
                )
            }),
            note: r.note,
            set_by: r.set_by,
        })
        .collect();
    let issues = |t: &workflow::Transition| t.letter.as_deref().and_then(Kind::from_key);
    // Whether a step from here issues a letter of this kind.
    let offers = |kind: Kind| workflow.from(&case.state).any(|t| issues(t) == Some(kind));
    let asks_zone = offers(Kind::ParkingPermit);
    let asks_fee = offers(Kind::FeeNotice);
    let asks_entries = offers(Kind::Certificate);
    let computed_fee = submitted
        .as_ref()
        .and_then(|s| s.row.fee_cents)
        .map(rathaus_forms::present::german_amount);
    let fee = if outcome.fee.is_empty() {
        computed_fee.unwrap_or_default()
    } else {
        outcome.fee
    };
    let fee_notices = notices::of_case(conn, case.id)
        .await?
        .into_iter()
        .map(|n| fee_notice_row(&chrome, &n))
        .collect();
    let choices = workflow
        .from(&case.state)
        .map(|t| Choice {
            label: step_label(&chrome, t),
            chosen: t.key == outcome.chosen,
            key: t.key.clone(),
            issues: issues(t).map(|kind| {
                let name = chrome
                    .t
                    .get(&format!("letters-kind-{}", kind.key()))
                    .to_owned();
                chrome.t.fmt("letters-step-issues", &[("kind", &name)])
            }),
        })
        .collect();
    let filed = rathaus_core::documents::of_case(conn, &case)
        .await?
        .into_iter()
        .map(|f| filed_row(&chrome, f))
        .collect();
    let issued = letters::of_case(conn, case.id)
        .await?
        .into_iter()
        .map(|d| IssuedRow {
            id: d.id.to_string(),
            issued: chrome.t.fmt(
                &format!("letters-issued-{}", d.channel),
                &[("day", &german_day(d.issued_at)), ("who", &d.issued_by)],
            ),
            revoked: d.revoked_at.map(|at| {
                chrome.t.fmt(
                    "verify-revoked-on",
                    &[
                        ("day", &german_day(at)),
                        ("reason", d.revoked_reason.as_deref().unwrap_or("")),
                    ],
                )
            }),
            title: d.title,
            code: d.code,
        })
        .collect();
    let overdue = deadlines::is_overdue(&case, chrono::Utc::now());
    let joinable = !deadlines::is_finished(&case);
    let may_assign =
        rathaus_core::policy::require(&session.actor, tenant, Permission::AssignCases).is_ok();
    let teams: Vec<(String, String, bool)> = match case.department_id {
        Some(department) => rathaus_core::teams::of_tenant(conn, tenant)
            .await?
            .into_iter()
            .filter(|t| t.department_id == department)
            .map(|t| (t.id.to_string(), t.name, case.team_id == Some(t.id)))
            .collect(),
        None => Vec::new(),
    };
    let team = teams
        .iter()
        .find(|(_, _, theirs)| *theirs)
        .map(|(_, name, _)| name.clone());
    let colleagues = if may_assign {
        assignment::colleagues(conn, &case)
            .await?
            .into_iter()
            .map(|(id, name)| (id.to_string(), name))
            .collect()
    } else {
        Vec::new()
    };
    Ok(CasePage {
        staff: StaffNav::of(&session.actor, tenant),
        department: department_of(&chrome, &names, &case),
        state: state_label(&chrome, &workflow, &case.state),
        mine: case.assignee_id.is_some() && case.assignee_id == session.actor.id,
        assignee,
        version: case.version,
        received: local_time(case.created_at),
        reference: case.reference,
        title: case.title,
        applicant: case.applicant_name,
        trust,
        sections,
        files,
        documents,
        departments: others,
        all_departments,
        routed: case.department_id.is_some(),
        timeline,
        letters,
        conflict: outcome.conflict,
        choices,
        asks_zone,
        asks_entries,
        zone: outcome.zone,
        asks_fee,
        fee,
        fee_notices,
        document_title: outcome.document_title,
        issued,
        filed,
        typed: outcome.typed,
        typed_reply_by: outcome.reply_by,
        reply_hint: reply_days.map(|days| {
            chrome
                .t
                .fmt("cases-reply-by-hint", &[("days", &days.to_string())])
        }),
        reminders,
        typed_reminder_day: outcome.reminder_day,
        typed_reminder_note: outcome.reminder_note,
        note: outcome.note,
        due: case.due_at.map(german_day),
        resting_since: case.deadline_paused_at.map(|since| {
            chrome
                .t
                .fmt("cases-deadline-rests-since", &[("day", &german_day(since))])
        }),
        overdue,
        typed_due: outcome.due,
        due_reason: outcome.due_reason,
        joinable,
        join_into: outcome.join_into,
        join_reason: outcome.join_reason,
        split_department: outcome.split_department,
        split_title: outcome.split_title,
        split_reason: outcome.split_reason,
        colleagues,
        teams,
        team,
        errors: outcome.errors,
        chrome,
    })
}

/// A timeline entry as staff read it: with the department it went to (by name) and why
/// (the routing rule, the reason given), or the letter filed.
fn staff_entry_text(
    chrome: &Chrome,
    workflow: &workflow::Workflow,
    entry: &cases::TimelineEntry,
    department_names: &std::collections::HashMap<&str, &str>,
) -> String {
    let text = entry_text(chrome, workflow, entry);
    let detail = |key: &str| {
        entry
            .details
            .get(key)
            .and_then(|v| v.as_str())
            .filter(|v| !v.is_empty())
    };
    let department = detail("department").map(|key| {
        department_names
            .get(key)
            .map_or_else(|| key.to_owned(), |name| (*name).to_owned())
    });
    let rule = detail("rule").map(|label| chrome.t.fmt("case-routed-by-rule", &[("rule", label)]));
    let channel = detail("channel").map(|c| chrome.t.get(&format!("cases-channel-{c}")).to_owned());
    let said: Vec<String> = department
        .into_iter()
        .chain(rule)
        .chain(channel)
        .chain(
            ["to", "case", "due", "file", "reason", "text"]
                .into_iter()
                .filter_map(detail)
                .map(str::to_owned),
        )
        .collect();
    if said.is_empty() {
        text
    } else {
        format!("{text}: {}", said.join(" – "))
    }
}

/// The case with this reference if the person may see it (404 otherwise: its existence
/// is not confirmed either). For changes; opening the page goes through
/// `cases::open_for_staff`, which writes the audit entry.
fn filed_row(chrome: &Chrome, filed: rathaus_core::documents::Filed) -> FiledRow {
    let label = |v: &rathaus_core::documents::Version| {
        chrome.t.fmt(
            "efile-version",
            &[
                ("number", &v.number.to_string()),
                ("day", &german_day(v.added_at)),
                ("who", &v.added_by),
            ],
        )
    };
    let document = filed.document;
    let mut versions = filed.versions.iter();
    let latest = versions.next();
    FiledRow {
        id: document.id.to_string(),
        what: format!(
            "{} · {}",
            chrome.t.get(&format!("efile-kind-{}", document.kind)),
            chrome
                .t
                .get(&format!("efile-direction-{}", document.direction))
        ),
        latest: latest.map(label).unwrap_or_default(),
        earlier: versions.map(|v| (v.number, label(v))).collect(),
        sealed: latest.is_some_and(|v| v.sealed_on.is_some()),
        versions: document.versions,
        title: document.title,
    }
}

pub(super) async fn seen_case(
    state: &AppState,
    chrome: &Chrome,
    session: &StaffSession,
    reference: &str,
) -> Result<Case, PageError> {
    cases::by_reference(state.db.conn(), chrome.tenant.id, reference)
        .await?
        .filter(|c| rathaus_core::policy::may_see_case(&session.actor, c))
        .ok_or(PageError::NotFound)
}

#[derive(Deserialize)]
pub struct Versioned {
    version: Option<String>,
}

/// The version of the case the page showed. A missing or garbled version counts as an
/// outdated page (no version is 0).
pub(super) fn shown_version(version: Option<&str>) -> i32 {
    version.and_then(|v| v.parse().ok()).unwrap_or(0)
}

/// Back to the case's page, which says that someone changed the case meanwhile.
pub(super) fn conflict(case: &Case) -> Response {
    Redirect::to(&format!("{INBOX}/{}?konflikt=1", case.reference)).into_response()
}

/// The case's page again, saying why a change was refused, with what was typed. It
/// shows the whole case, so it is audited like opening it.
pub(super) async fn refused(
    state: &AppState,
    chrome: Chrome,
    (session, origin): (&StaffSession, &Origin),
    case: Case,
    outcome: Outcome,
) -> Result<Response, PageError> {
    let event = Event::new("case.viewed", "case").object(case.id);
    audit::record_now(&state.db, &session.actor, origin, event).await?;
    let page = page(state, chrome, session, case, outcome).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

pub async fn claim(
    State(state): State<AppState>,
    chrome: Chrome,
    session: StaffSession,
    RequestOrigin(origin): RequestOrigin,
    Path(reference): Path<String>,
    Form(form): Form<Versioned>,
) -> Result<Response, PageError> {
    let case = seen_case(&state, &chrome, &session, &reference).await?;
    let back = format!("{INBOX}/{}", case.reference);
    match cases::claim(
        &state.db,
        &session.actor,
        &origin,
        &case,
        shown_version(form.version.as_deref()),
    )
    .await
    {
        Ok(()) => Ok(Redirect::to(&back).into_response()),
        Err(rathaus_core::error::CoreError::Conflict(_)) => Ok(conflict(&case)),
        Err(other) => Err(other.into()),
    }
}

#[derive(Deserialize)]
pub struct StepForm {
    version: Option<String>,
    schritt: Option<String>,
    #[serde(default)]
    nachricht: String,
    /// The day to answer by, for steps that ask (empty: the workflow's days).
    #[serde(default)]
    antwort_bis: String,
    /// The parking zone, for a step that issues a permit.
    #[serde(default)]
    zone: String,
    /// The amount in euros, for a step that issues a fee notice.
    #[serde(default)]
    gebuehr: String,
}

/// A step of the workflow: the new state, and the message to the applicant where the
/// step has one. A refused step shows the page again with what was typed.
pub async fn step(
    State(state): State<AppState>,
    chrome: Chrome,
    session: StaffSession,
    RequestOrigin(origin): RequestOrigin,
    headers: axum::http::HeaderMap,
    Path(reference): Path<String>,
    Form(form): Form<StepForm>,
) -> Result<Response, PageError> {
    let case = seen_case(&state, &chrome, &session, &reference).await?;
    let back = format!("{INBOX}/{}", case.reference);
    let chosen = form.schritt.clone().unwrap_or_default();
    let version = shown_version(form.version.as_deref());
    // The standard steps have their own subject; a town's own steps a general one.
    let own_subject = format!("case-step-subject-{chosen}");
    let subject = match chrome.t.get(&own_subject) {
        missing if missing == own_subject => chrome.t.get("case-step-subject-other"),
        found => found,
    };
    let subject = format!("{subject}: {}", case.title);
    let link = format!(
        "{}/konto/antraege/{}",
        crate::account::link_base(&state, &chrome, &headers)?,
        case.reference
    );
    let reply_by = match form.antwort_bis.trim() {
        "" => Ok(None),
        typed => rathaus_forms::values::date(typed).map(Some),
    };
    let verify_page = crate::portal::verify::address(&state, &chrome, &headers)?;
    let taken = match reply_by {
        Ok(reply_by) => {
            let step = cases::Step {
                transition: &chosen,
                version,
                message: Some((&subject, &form.nachricht)),
                link: &link,
                reply_by,
                desk: super::issued::desk(&state, &verify_page),
                zone: Some(form.zone.as_str()),
                fee_cents: rathaus_forms::values::amount(&form.gebuehr).ok(),
            };
            let actor = &session.actor;
            cases::take(&state.db, actor, &origin, &chrome.tenant, &case, step).await
        }
        Err(_) => Ok(Err(Refusal::ReplyByNotADate)),
    };
    let refusal = match taken {
        Ok(Ok(())) => return Ok(Redirect::to(&back).into_response()),
        Ok(Err(refusal)) => refusal,
        Err(rathaus_core::error::CoreError::Conflict(_)) => {
            let outcome = Outcome {
                conflict: true,
                chosen,
                typed: form.nachricht,
                reply_by: form.antwort_bis,
                zone: form.zone,
                fee: form.gebuehr,
                ..Outcome::default()
            };
            let page = page(&state, chrome, &session, case, outcome).await?;
            return Ok((StatusCode::CONFLICT, page).into_response());
        }
        Err(other) => return Err(other.into()),
    };
    let (field, key) = match refusal {
        Refusal::NotPossible => ("schritt", "cases-step-not-possible".to_owned()),
        Refusal::OnlyAssignee => ("schritt", "cases-step-only-assignee".to_owned()),
        Refusal::MessageMissing => ("nachricht", "cases-step-message-missing".to_owned()),
        Refusal::ReplyByNotADate => ("antwort_bis", "cases-deadline-not-a-date".to_owned()),
        Refusal::ReplyByTooEarly => ("antwort_bis", "cases-reply-by-too-early".to_owned()),
        // Why the step waits, in words (`cases-guard-documents_present`, …).
        Refusal::Guard(guard) => ("schritt", format!("cases-guard-{}", guard.key())),
        Refusal::Letter(missing) => {
            let (field, key) = super::issued::missing_error(missing);
            (field, key.to_owned())
        }
    };
    let outcome = Outcome {
        chosen,
        typed: form.nachricht,
        reply_by: form.antwort_bis,
        zone: form.zone,
        fee: form.gebuehr,
        errors: vec![(field, chrome.t.get(&key).to_owned())],
        ..Outcome::default()
    };
    refused(&state, chrome, (&session, &origin), case, outcome).await
}

#[derive(Deserialize)]
pub struct HandOverForm {
    version: Option<String>,
    #[serde(default)]
    fachdienst: String,
    #[serde(default)]
    grund: String,
}

/// Gives the case to another department (the mailroom routes, caseworkers hand over
/// with a reason). Afterwards the page of the case if the person still sees it, else the
/// inbox.
pub async fn hand_over(
    State(state): State<AppState>,
    chrome: Chrome,
    session: StaffSession,
    RequestOrigin(origin): RequestOrigin,
    Path(reference): Path<String>,
    Form(form): Form<HandOverForm>,
) -> Result<Response, PageError> {
    let case = seen_case(&state, &chrome, &session, &reference).await?;
    let back = format!("{INBOX}/{}", case.reference);
    let version = shown_version(form.version.as_deref());
    let to = departments::by_key(state.db.conn(), chrome.tenant.id, &form.fachdienst).await?;
    let refusal = |key: &str, field: &'static str| Outcome {
        errors: vec![(field, chrome.t.get(key).to_owned())],
        ..Outcome::default()
    };
    let outcome = match to {
        None => refusal("cases-hand-over-department-missing", "fachdienst"),
        Some(to) => {
            let actor = &session.actor;
            match cases::hand_over(&state.db, actor, &origin, &case, &to, &form.grund, version)
                .await
            {
                Ok(Ok(())) => {
                    let still_seen =
                        cases::by_reference(state.db.conn(), case.tenant_id, &reference)
                            .await?
                            .is_some_and(|c| rathaus_core::policy::may_see_case(actor, &c));
                    let to = if still_seen {
                        back
                    } else {
                        format!("{INBOX}?abgegeben=1")
                    };
                    return Ok(Redirect::to(&to).into_response());
                }
                Ok(Err(_)) => refusal("cases-hand-over-reason-missing", "grund"),
                Err(rathaus_core::error::CoreError::Conflict(_)) => {
                    return Ok(conflict(&case));
                }
                Err(other) => return Err(other.into()),
            }
        }
    };
    refused(&state, chrome, (&session, &origin), case, outcome).await
}

#[derive(Deserialize)]
pub struct JoinForm {
    version: Option<String>,
    #[serde(default)]
    vorgang: String,
    #[serde(default)]
    grund: String,
}

/// Joins the case into another one; afterwards the page of that one.
pub async fn join(
    State(state): State<AppState>,
    chrome: Chrome,
    session: StaffSession,
    RequestOrigin(origin): RequestOrigin,
    Path(reference): Path<String>,
    Form(form): Form<JoinForm>,
) -> Result<Response, PageError> {
    let case = seen_case(&state, &chrome, &session, &reference).await?;
    let version = shown_version(form.version.as_deref());
    let joined = joining::join(
        &state.db,
        &session.actor,
        &origin,
        &case,
        version,
        &form.vorgang,
        &form.grund,
    )
    .await;
    let (key, field) = match joined {
        Ok(Ok(target)) => {
            return Ok(Redirect::to(&format!("{INBOX}/{}", target.reference)).into_response());
        }
        Ok(Err(refusal)) => match refusal {
            joining::Refusal::UnknownCase => ("cases-join-unknown", "zusammenfuehren_in"),
            joining::Refusal::SameCase => ("cases-join-same", "zusammenfuehren_in"),
            // The form is not shown for a finished case: the message points at its state.
            joining::Refusal::Finished => ("cases-join-finished", "stand"),
            joining::Refusal::TargetFinished => {
                ("cases-join-target-finished", "zusammenfuehren_in")
            }
            joining::Refusal::ReasonMissing => {
                ("cases-join-reason-missing", "zusammenfuehren_grund")
            }
        },
        Err(rathaus_core::error::CoreError::Conflict(_)) => return Ok(conflict(&case)),
        Err(other) => return Err(other.into()),
    };
    let outcome = Outcome {
        errors: vec![(field, chrome.t.get(key).to_owned())],
        join_into: form.vorgang,
        join_reason: form.grund,
        ..Outcome::default()
    };
    refused(&state, chrome, (&session, &origin), case, outcome).await
}

#[derive(Deserialize)]
pub struct SplitForm {
    #[serde(default)]
    fachdienst: String,
    #[serde(default)]
    titel: String,
    #[serde(default)]
    grund: String,
}

/// Makes a further case of this one for a department; afterwards the page of this one,
/// whose timeline names the new case.
pub async fn split(
    State(state): State<AppState>,
    chrome: Chrome,
    session: StaffSession,
    RequestOrigin(origin): RequestOrigin,
    Path(reference): Path<String>,
    Form(form): Form<SplitForm>,
) -> Result<Response, PageError> {
    let case = seen_case(&state, &chrome, &session, &reference).await?;
    let to = departments::by_key(state.db.conn(), chrome.tenant.id, &form.fachdienst).await?;
    let (key, field) = match to {
        None => ("cases-split-department-missing", "aufteilen_fachdienst"),
        Some(department) => {
            let part = splitting::Part {
                department: &department,
                title: &form.titel,
                reason: &form.grund,
            };
            let actor = &session.actor;
            match splitting::split(&state.db, actor, &origin, &chrome.tenant, &case, part).await? {
                Ok(_) => {
                    return Ok(Redirect::to(&format!("{INBOX}/{}", case.reference)).into_response());
                }
                // The form is not shown for a finished case: the message points at its state.
                Err(splitting::Refusal::Finished) => ("cases-join-finished", "stand"),
                Err(splitting::Refusal::TitleMissing) => {
                    ("cases-split-title-missing", "aufteilen_titel")
                }
                Err(splitting::Refusal::ReasonMissing) => {
                    ("cases-split-reason-missing", "aufteilen_grund")
                }
            }
        }
    };
    let outcome = Outcome {
        errors: vec![(field, chrome.t.get(key).to_owned())],
        split_department: form.fachdienst,
        split_title: form.titel,
        split_reason: form.grund,
        ..Outcome::default()
    };
    refused(&state, chrome, (&session, &origin), case, outcome).await
}

/// A file of the case, shown in the browser, audited.
pub async fn file(
    State(state): State<AppState>,
    chrome: Chrome,
    session: StaffSession,
    RequestOrigin(origin): RequestOrigin,
    Path((reference, file_id)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let case = seen_case(&state, &chrome, &session, &reference).await?;
    let file_id = uuid::Uuid::parse_str(&file_id).map_err(|_| PageError::NotFound)?;
    let found = cases::file_for_staff(&state.db, &session.actor, &origin, &case, file_id)
        .await?
        .ok_or(PageError::NotFound)?;
    let bytes = state.blobs.get(&found.sha256).await?;
    Ok(inline_file(&found.file_name, found.media_type, bytes))
}

/// A file shown in the browser (PDF and images). The response may run no script and
/// reach nothing (CSP sandbox), whatever the file holds, and is not kept in caches.
pub(crate) fn inline_file(
    file_name: &str,
    media_type: String,
    bytes: rathaus_store::blob::Bytes,
) -> Response {
    let encoded: String = url_encode(file_name);
    let headers = [
        (axum::http::header::CONTENT_TYPE, media_type),
        (
            axum::http::header::CONTENT_DISPOSITION,
            format!("inline; filename*=UTF-8''{encoded}"),
        ),
        (
            axum::http::header::CONTENT_SECURITY_POLICY,
            "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'".to_owned(),
        ),
        (
            axum::http::header::CACHE_CONTROL,
            "private, no-store".to_owned(),
        ),
    ];
    (headers, bytes).into_response()
}

/// A file name for `filename*=` (RFC 8187): everything but unreserved characters
/// percent-encoded.
fn url_encode(name: &str) -> String {
    name.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}
