//! "Meine Anträge": every application a citizen sent, with its public status, the
//! timeline the applicant may see, the postbox messages about it and what was sent.
//! Anonymous applicants follow the status through the secret link they were given.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use rathaus_core::cases::{self, Case, TimelineEntry};
use rathaus_core::postbox::{self, Message};
use rathaus_core::{policy, submissions};
use serde::Deserialize;

use crate::account::CitizenSession;
use crate::assistant::{Section, answer_sections, local_time};
use crate::chrome::Chrome;
use crate::error::PageError;
use crate::routes::Access::{Citizen, Public};
use crate::routes::Routes;
use crate::state::AppState;

pub fn routes() -> Routes {
    Routes::default()
        .get("/konto/antraege", Citizen, mine)
        .get("/konto/antraege/{reference}", Citizen, one)
        .get(
            "/antragsstatus/{reference}/{secret}",
            Public,
            by_status_link,
        )
}

pub struct Row {
    pub reference: String,
    pub title: String,
    pub href: String,
    pub sent: String,
    pub status: String,
    /// "2 neue Nachrichten", if there are any.
    pub unread: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "applications/list.html")]
pub struct ListPage {
    chrome: Chrome,
    rows: Vec<Row>,
}

/// The status as the applicant reads it.
fn status(chrome: &Chrome, case: &Case) -> String {
    chrome
        .t
        .get(&format!("case-state-{}", case.state))
        .to_owned()
}

pub async fn mine(
    State(state): State<AppState>,
    chrome: Chrome,
    session: CitizenSession,
) -> Result<ListPage, PageError> {
    let conn = state.db.conn();
    let mut rows = Vec::new();
    for case in cases::of_applicant(conn, chrome.tenant.id, session.citizen.id).await? {
        let unread = postbox::unread_for_applicant(conn, &[case.id]).await? as usize;
        rows.push(Row {
            href: format!("/konto/antraege/{}", case.reference),
            sent: local_time(case.created_at),
            status: status(&chrome, &case),
            unread: (unread > 0).then(|| chrome.t.count("applications-unread", unread)),
            reference: case.reference,
            title: case.title,
        });
    }
    Ok(ListPage { chrome, rows })
}

/// One entry of the timeline as the applicant reads it.
pub struct Step {
    pub at: String,
    pub text: String,
}

fn timeline(chrome: &Chrome, entries: Vec<TimelineEntry>) -> Vec<Step> {
    entries
        .into_iter()
        .map(|entry| {
            let text = match entry.details.get("state").and_then(|s| s.as_str()) {
                Some(new_state) => chrome.t.get(&format!("case-state-{new_state}")).to_owned(),
                None => chrome
                    .t
                    .get(&format!("case-event-{}", entry.kind))
                    .to_owned(),
            };
            Step {
                at: local_time(entry.at),
                text,
            }
        })
        .collect()
}

pub struct Letter {
    pub subject: String,
    pub body: String,
    pub sender: String,
    pub at: String,
    pub to_applicant: bool,
    pub unread: bool,
}

impl From<Message> for Letter {
    fn from(m: Message) -> Self {
        Self {
            at: local_time(m.sent_at),
            unread: m.to_applicant && m.read_at.is_none(),
            subject: m.subject,
            body: m.body,
            sender: m.sender,
            to_applicant: m.to_applicant,
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "applications/one.html")]
pub struct CasePage {
    chrome: Chrome,
    reference: String,
    title: String,
    status: String,
    status_text: String,
    /// Just sent: the confirmation is shown above everything.
    just_sent: bool,
    steps: Vec<Step>,
    letters: Vec<Letter>,
    /// Reached through the secret status link (no account): what was sent is not shown.
    by_link: bool,
    /// What was sent (the applicant's own page only).
    sections: Vec<Section>,
    files: Vec<(String, String)>,
    sent_at: String,
}

#[derive(Deserialize)]
pub struct Sent {
    gesendet: Option<String>,
}

pub async fn one(
    State(state): State<AppState>,
    chrome: Chrome,
    session: CitizenSession,
    Path(reference): Path<String>,
    Query(sent): Query<Sent>,
) -> Result<CasePage, PageError> {
    let conn = state.db.conn();
    let case = cases::by_reference(conn, chrome.tenant.id, &reference)
        .await?
        .filter(|c| policy::is_applicant(c, session.citizen.id))
        .ok_or(PageError::NotFound)?;
    let letters = postbox::of_case(conn, case.id).await?;
    postbox::mark_read_by_applicant(conn, case.id).await?;
    page(
        &state,
        chrome,
        case,
        sent.gesendet.is_some(),
        false,
        letters,
    )
    .await
}

pub async fn by_status_link(
    State(state): State<AppState>,
    chrome: Chrome,
    Path((reference, secret)): Path<(String, String)>,
    Query(sent): Query<Sent>,
) -> Result<CasePage, PageError> {
    let conn = state.db.conn();
    let case = cases::by_reference(conn, chrome.tenant.id, &reference)
        .await?
        .ok_or(PageError::NotFound)?;
    let submission = match case.submission_id {
        Some(id) => submissions::read(conn, chrome.tenant.id, id).await?,
        None => None,
    };
    let opens = submission
        .as_ref()
        .is_some_and(|s| policy::status_link_opens(&s.row, &secret));
    if !opens {
        return Err(PageError::NotFound);
    }
    page(
        &state,
        chrome,
        case,
        sent.gesendet.is_some(),
        true,
        Vec::new(),
    )
    .await
}

async fn page(
    state: &AppState,
    chrome: Chrome,
    case: Case,
    just_sent: bool,
    by_link: bool,
    letters: Vec<Message>,
) -> Result<CasePage, PageError> {
    let conn = state.db.conn();
    let steps = timeline(&chrome, cases::timeline(conn, case.id, true).await?);
    let submitted = match case.submission_id {
        Some(id) => submissions::read(conn, chrome.tenant.id, id).await?,
        None => None,
    };
    let (mut sections, mut files, mut sent_at) = (Vec::new(), Vec::new(), String::new());
    if let Some(submitted) = &submitted {
        sent_at = local_time(submitted.row.submitted_at);
        if !by_link {
            let file_name = |reference: &str| {
                submitted
                    .files
                    .iter()
                    .find(|f| f.id.to_string() == reference)
                    .map_or_else(|| reference.to_owned(), |f| f.file_name.clone())
            };
            sections = answer_sections(
                &chrome,
                &submitted.form,
                &submitted.answers,
                &file_name,
                None,
            );
            files = submitted
                .files
                .iter()
                .map(|f| (f.file_name.clone(), kilobytes(f.size)))
                .collect();
        }
    }
    Ok(CasePage {
        status: status(&chrome, &case),
        status_text: chrome
            .t
            .get(&format!("case-state-{}-text", case.state))
            .to_owned(),
        reference: case.reference,
        title: case.title,
        just_sent,
        by_link,
        steps,
        letters: letters.into_iter().map(Letter::from).collect(),
        sections,
        files,
        sent_at,
        chrome,
    })
}

fn kilobytes(size: i64) -> String {
    format!("{} KB", (size + 1023) / 1024)
}
