//! "Meine Anträge": every application a citizen sent, with its public status, the
//! timeline the applicant may see, the postbox messages about it and what was sent.
//! Anonymous applicants follow the status through the secret link they were given.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use rathaus_core::cases::{self, Case, TimelineEntry};
use rathaus_core::postbox::{self, Message};
use rathaus_core::submissions::{self, Submitted};
use rathaus_core::workflow::{self, Workflow};
use rathaus_core::{organisations, policy};
use serde::Deserialize;

use crate::account::CitizenSession;
use crate::assistant::{Section, answer_sections, local_time, messages, read_page};
use crate::chrome::Chrome;
use crate::error::PageError;
use crate::fee_notices::FeeBox;
use crate::routes::Access::{Citizen, Public};
use crate::routes::Routes;
use crate::state::AppState;

pub fn routes() -> Routes {
    Routes::default()
        .get("/konto/antraege", Citizen, mine)
        .get("/konto/antraege/{reference}", Citizen, one)
        .post("/konto/antraege/{reference}/nachricht", Citizen, reply)
        .get(
            "/konto/antraege/{reference}/kopie.pdf",
            Citizen,
            crate::application_copy::copy,
        )
        .get("/konto/antraege/{reference}/dateien/{file}", Citizen, file)
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

/// A case's state as people read it ("Unterlagen nachgefordert"): the workflow's own
/// label, else the web's text for the standard states.
pub(crate) fn state_label(chrome: &Chrome, workflow: &Workflow, state: &str) -> String {
    own_text(chrome, workflow.state(state).map(|s| &s.label))
        .unwrap_or_else(|| chrome.t.get(&format!("case-state-{state}")).to_owned())
}

/// What the state means for the applicant, in the same way.
pub(crate) fn state_explanation(chrome: &Chrome, workflow: &Workflow, state: &str) -> String {
    own_text(chrome, workflow.state(state).map(|s| &s.explanation))
        .unwrap_or_else(|| chrome.t.get(&format!("case-state-{state}-text")).to_owned())
}

/// A step as its button says it.
pub(crate) fn step_label(chrome: &Chrome, step: &workflow::Transition) -> String {
    own_text(chrome, Some(&step.label))
        .unwrap_or_else(|| chrome.t.get(&format!("case-step-{}", step.key)).to_owned())
}

fn own_text(chrome: &Chrome, texts: Option<&workflow::Texts>) -> Option<String> {
    texts
        .and_then(|t| workflow::text_in(t, chrome.lang_code()))
        .map(str::to_owned)
}

/// An entry of a case's timeline in words: the new state, or what happened.
pub(crate) fn entry_text(chrome: &Chrome, workflow: &Workflow, entry: &TimelineEntry) -> String {
    match entry.details.get("state").and_then(|s| s.as_str()) {
        Some(new_state) => state_label(chrome, workflow, new_state),
        None => chrome
            .t
            .get(&format!("case-event-{}", entry.kind))
            .to_owned(),
    }
}

/// The case with this reference if the citizen applied for it, themselves or for one of
/// their organisations; for everyone else it does not exist.
pub(crate) async fn own_case(
    state: &AppState,
    tenant_id: uuid::Uuid,
    citizen_id: uuid::Uuid,
    reference: &str,
) -> Result<Case, PageError> {
    let conn = state.db.conn();
    let applicant = organisations::applicant(conn, citizen_id).await?;
    cases::by_reference(conn, tenant_id, reference)
        .await?
        .filter(|c| policy::is_applicant(c, &applicant))
        .ok_or(PageError::NotFound)
}

pub async fn mine(
    State(state): State<AppState>,
    chrome: Chrome,
    session: CitizenSession,
) -> Result<ListPage, PageError> {
    let conn = state.db.conn();
    let applicant = organisations::applicant(conn, session.citizen.id).await?;
    let cases = cases::of_applicant(conn, chrome.tenant.id, &applicant).await?;
    let ids: Vec<uuid::Uuid> = cases.iter().map(|c| c.id).collect();
    let unread = postbox::unread_by_case(conn, &ids).await?;
    let mut rows = Vec::with_capacity(cases.len());
    for case in cases {
        let workflow = workflow::installed::of_case(conn, &case).await?;
        let unread = unread.get(&case.id).copied().unwrap_or(0);
        rows.push(Row {
            href: format!("/konto/antraege/{}", case.reference),
            sent: local_time(case.created_at),
            status: state_label(&chrome, &workflow, &case.state),
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

fn timeline(chrome: &Chrome, workflow: &Workflow, entries: Vec<TimelineEntry>) -> Vec<Step> {
    entries
        .into_iter()
        .map(|entry| Step {
            at: local_time(entry.at),
            text: entry_text(chrome, workflow, &entry),
        })
        .collect()
}

pub struct Letter {
    pub id: uuid::Uuid,
    pub subject: String,
    pub body: String,
    pub sender: String,
    pub at: String,
    pub to_applicant: bool,
    pub unread: bool,
    /// The files sent with it: (id, name).
    pub files: Vec<(uuid::Uuid, String)>,
}

impl From<Message> for Letter {
    fn from(m: Message) -> Self {
        Self {
            id: m.id,
            files: Vec::new(),
            at: local_time(m.sent_at),
            unread: m.to_applicant && m.read_at.is_none(),
            subject: m.subject,
            body: m.body,
            sender: m.sender,
            to_applicant: m.to_applicant,
        }
    }
}

/// The messages of a case with the names of their files.
pub(crate) async fn with_files(
    conn: &impl rathaus_core::store::sea_orm::ConnectionTrait,
    messages: Vec<Message>,
) -> Result<Vec<Letter>, PageError> {
    let ids: Vec<uuid::Uuid> = messages.iter().map(|m| m.id).collect();
    let attached = postbox::files_of(conn, &ids).await?;
    Ok(messages
        .into_iter()
        .map(|m| {
            let mut letter = Letter::from(m);
            letter.files = attached
                .iter()
                .filter(|f| f.message_id == letter.id)
                .map(|f| (f.id, f.file_name.clone()))
                .collect();
            letter
        })
        .collect())
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
    /// The applicant may answer (own page, case not closed).
    can_reply: bool,
    replied: bool,
    typed: String,
    errors: Vec<(&'static str, String)>,
    /// The fees set after the decision (Gebührenbescheide).
    fees: Vec<FeeBox>,
    /// What happened to a payment (`?zahlung=`): alert kind and text.
    payment_note: Option<(&'static str, String)>,
}

/// The answer form's state: just answered, or refused and shown again with what was
/// typed.
#[derive(Default)]
struct Answer {
    replied: bool,
    typed: String,
    errors: Vec<(&'static str, String)>,
    /// Back from paying a fee notice.
    payment_note: Option<(&'static str, String)>,
}

#[derive(Deserialize)]
pub struct Sent {
    gesendet: Option<String>,
    beantwortet: Option<String>,
    zahlung: Option<String>,
}

pub async fn one(
    State(state): State<AppState>,
    chrome: Chrome,
    session: CitizenSession,
    Path(reference): Path<String>,
    Query(sent): Query<Sent>,
) -> Result<CasePage, PageError> {
    let conn = state.db.conn();
    let case = own_case(&state, chrome.tenant.id, session.citizen.id, &reference).await?;
    let letters = postbox::of_case(conn, case.id).await?;
    postbox::mark_read_by_applicant(conn, case.id).await?;
    let answer = Answer {
        replied: sent.beantwortet.is_some(),
        payment_note: sent
            .zahlung
            .as_deref()
            .and_then(|why| crate::assistant::payment_note(&chrome, "fee-payment", why)),
        ..Answer::default()
    };
    let just_sent = sent.gesendet.is_some();
    page(&state, chrome, case, just_sent, false, letters, answer).await
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
    let just_sent = sent.gesendet.is_some();
    page(
        &state,
        chrome,
        case,
        just_sent,
        true,
        Vec::new(),
        Answer::default(),
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
    answer: Answer,
) -> Result<CasePage, PageError> {
    let conn = state.db.conn();
    let letters = with_files(conn, letters).await?;
    let workflow = workflow::installed::of_case(conn, &case).await?;
    let steps = timeline(
        &chrome,
        &workflow,
        cases::timeline(conn, case.id, true).await?,
    );
    let submitted = match case.submission_id {
        Some(id) => submissions::read(conn, chrome.tenant.id, id).await?,
        None => None,
    };
    let (mut sections, mut files, mut sent_at) = (Vec::new(), Vec::new(), String::new());
    if let Some(submitted) = &submitted {
        sent_at = local_time(submitted.row.submitted_at);
        if !by_link {
            sections = sent_answers(&chrome, submitted);
            files = submitted
                .files
                .iter()
                .map(|f| (f.file_name.clone(), kilobytes(f.size)))
                .collect();
        }
    }
    let can_reply = !by_link && postbox::takes_answers(&case);
    let mut fees = crate::fee_notices::boxes(state, &chrome, &case).await?;
    if by_link {
        // Paying online needs the account the application was sent from.
        fees.iter_mut().for_each(|fee| fee.payable = false);
    }
    Ok(CasePage {
        status: state_label(&chrome, &workflow, &case.state),
        status_text: state_explanation(&chrome, &workflow, &case.state),
        reference: case.reference,
        title: case.title,
        just_sent,
        by_link,
        steps,
        letters,
        can_reply,
        replied: answer.replied,
        typed: answer.typed,
        errors: answer.errors,
        fees,
        payment_note: answer.payment_note,
        sections,
        files,
        sent_at,
        chrome,
    })
}

/// What an application said, step by step in words (nothing can be changed any more).
pub(crate) fn sent_answers(chrome: &Chrome, submitted: &Submitted) -> Vec<Section> {
    let file_name = |reference: &str| {
        submitted
            .files
            .iter()
            .find(|f| f.id.to_string() == reference)
            .map_or_else(|| reference.to_owned(), |f| f.file_name.clone())
    };
    answer_sections(
        chrome,
        &submitted.form,
        &submitted.answers,
        &file_name,
        None,
    )
}

fn kilobytes(size: i64) -> String {
    format!("{} KB", (size + 1023) / 1024)
}

/// A file of a postbox message about the applicant's case: a letter issued to them, or
/// one they sent.
pub async fn file(
    State(state): State<AppState>,
    chrome: Chrome,
    session: CitizenSession,
    Path((reference, file)): Path<(String, String)>,
) -> Result<axum::response::Response, PageError> {
    let case = own_case(&state, chrome.tenant.id, session.citizen.id, &reference).await?;
    let file = uuid::Uuid::parse_str(&file).map_err(|_| PageError::NotFound)?;
    let conn = state.db.conn();
    let messages: Vec<uuid::Uuid> = postbox::of_case(conn, case.id)
        .await?
        .into_iter()
        .map(|m| m.id)
        .collect();
    let found = postbox::files_of(conn, &messages)
        .await?
        .into_iter()
        .find(|f| f.id == file)
        .ok_or(PageError::NotFound)?;
    let bytes = state.blobs.get(&found.sha256).await?;
    Ok(crate::staff::inline_file(
        &found.file_name,
        found.media_type,
        bytes,
    ))
}

/// The applicant answers: a message with files (documents asked for). A refused file or
/// an empty message shows the page again with what was typed; nothing is stored then.
pub async fn reply(
    State(state): State<AppState>,
    chrome: Chrome,
    session: CitizenSession,
    Path(reference): Path<String>,
    request: axum::extract::Request,
) -> Result<axum::response::Response, PageError> {
    use axum::response::{IntoResponse, Redirect};
    let conn = state.db.conn();
    let case = own_case(&state, chrome.tenant.id, session.citizen.id, &reference).await?;
    if !postbox::takes_answers(&case) {
        return Err(PageError::Conflict(
            chrome.t.get("applications-reply-closed").to_owned(),
        ));
    }
    let (pairs, uploads) = read_page(request, &state).await?;
    let text = pairs
        .iter()
        .find(|(name, _)| name == "nachricht")
        .map(|(_, value)| value.trim().to_owned())
        .unwrap_or_default();
    let refused = |typed: String, message: String| Answer {
        typed,
        errors: vec![("nachricht", message)],
        ..Answer::default()
    };
    let answer = if text.is_empty() && uploads.is_empty() {
        refused(text, chrome.t.get("applications-reply-empty").to_owned())
    } else {
        let files = uploads
            .into_iter()
            .map(|u| (u.file_name, u.bytes))
            .collect();
        let sender = case.applicant_name.clone();
        let sent =
            postbox::reply_from_applicant(&state.db, &state.blobs, &case, &sender, &text, files)
                .await?;
        match sent {
            Ok(_) => {
                let to = format!("/konto/antraege/{}?beantwortet=1", case.reference);
                return Ok(Redirect::to(&to).into_response());
            }
            Err((file, problem)) => {
                let label = chrome.t.get("applications-reply-files");
                refused(text, messages::upload(chrome.t, label, &file, &problem))
            }
        }
    };
    let letters = postbox::of_case(conn, case.id).await?;
    let page = page(&state, chrome, case, false, false, letters, answer).await?;
    Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}
