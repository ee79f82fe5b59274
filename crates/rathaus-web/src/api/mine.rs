//! The citizen's applications and postbox for an app acting for them: the same cases,
//! status texts, timeline and messages as "Meine Anträge" in the portal, through the
//! same object check (`applications::own_case`, the policy's `is_applicant`). Texts are
//! in the language of `Accept-Language` (German unless English is asked for).

use axum::Json;
use axum::extract::{Path, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use rathaus_core::app_access::Scope;
use rathaus_core::cases::{self, Case};
use rathaus_core::workflow::{self, Workflow};
use rathaus_core::{organisations, postbox, submissions};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::bearer::AppCitizen;
use super::{ApiError, ApiResult, Problem};
use crate::applications::{entry_text, own_case, sent_answers, state_explanation, state_label};
use crate::assistant::{messages as texts, read_page};
use crate::chrome::Chrome;
use crate::routes::Access::App;
use crate::routes::Routes;
use crate::state::AppState;

pub fn routes() -> Routes {
    Routes::default()
        .get(
            "/api/v1/me/applications",
            App(Scope::Applications),
            applications,
        )
        .get(
            "/api/v1/me/applications/{reference}",
            App(Scope::Applications),
            application,
        )
        .get(
            "/api/v1/me/applications/{reference}/messages",
            App(Scope::Postbox),
            messages,
        )
        .post(
            "/api/v1/me/applications/{reference}/messages",
            App(Scope::Postbox),
            send_message,
        )
}

/// An application in the list.
#[derive(Serialize, ToSchema)]
pub struct ApplicationSummary {
    /// The reference to read out on the phone (`MS-2026-7K3QX`).
    reference: String,
    title: String,
    service: String,
    /// The workflow state's key (`eingegangen`, `unterlagen_nachgefordert`, …).
    state: String,
    /// The state as the applicant reads it.
    status: String,
    #[schema(value_type = String, format = DateTime)]
    submitted_at: DateTime<Utc>,
    #[schema(value_type = String, format = DateTime)]
    updated_at: DateTime<Utc>,
    /// Messages from the department not read yet.
    unread_messages: usize,
}

#[derive(Serialize, ToSchema)]
pub struct ApplicationList {
    count: usize,
    applications: Vec<ApplicationSummary>,
}

fn summary(chrome: &Chrome, workflow: &Workflow, case: Case, unread: usize) -> ApplicationSummary {
    ApplicationSummary {
        status: state_label(chrome, workflow, &case.state),
        reference: case.reference,
        title: case.title,
        service: case.service_key,
        state: case.state,
        submitted_at: case.created_at,
        updated_at: case.updated_at,
        unread_messages: unread,
    }
}

/// Every application of the citizen (and of their organisations), newest first.
#[utoipa::path(get, path = "/api/v1/me/applications",
    security(("app" = ["applications"])),
    responses(
        (status = 200, body = ApplicationList),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json")
    )
)]
pub async fn applications(
    State(state): State<AppState>,
    chrome: Chrome,
    app: AppCitizen,
) -> ApiResult<ApplicationList> {
    app.require(Scope::Applications)?;
    let conn = state.db.conn();
    let applicant = organisations::applicant(conn, app.0.citizen.id).await?;
    let cases = cases::of_applicant(conn, chrome.tenant.id, &applicant).await?;
    let ids: Vec<Uuid> = cases.iter().map(|c| c.id).collect();
    let unread = postbox::unread_by_case(conn, &ids).await?;
    let mut applications = Vec::with_capacity(cases.len());
    for case in cases {
        let workflow = workflow::installed::of_case(conn, &case).await?;
        let count = unread.get(&case.id).copied().unwrap_or(0);
        applications.push(summary(&chrome, &workflow, case, count));
    }
    Ok(Json(ApplicationList {
        count: applications.len(),
        applications,
    }))
}

/// An entry of the timeline the applicant may see.
#[derive(Serialize, ToSchema)]
pub struct Step {
    #[schema(value_type = String, format = DateTime)]
    at: DateTime<Utc>,
    text: String,
}

/// A file sent with the application.
#[derive(Serialize, ToSchema)]
pub struct SentFile {
    name: String,
    size: i64,
    media_type: String,
}

#[derive(Serialize, ToSchema)]
pub struct AnswerRow {
    label: String,
    lines: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct AnswerSection {
    title: String,
    rows: Vec<AnswerRow>,
}

/// One application with its status, timeline and what was sent.
#[derive(Serialize, ToSchema)]
pub struct Application {
    #[serde(flatten)]
    summary: ApplicationSummary,
    /// What the state means for the applicant and what happens next.
    status_text: String,
    /// Messages can still be sent about it (not closed).
    can_reply: bool,
    timeline: Vec<Step>,
    /// The answers as the applicant saw them before sending, step by step.
    answers: Vec<AnswerSection>,
    files: Vec<SentFile>,
    /// Fees set after the decision (Gebührenbescheide); an open one is paid on the
    /// application's page in the portal.
    fees: Vec<Fee>,
}

/// A fee set after the decision.
#[derive(Serialize, ToSchema)]
pub struct Fee {
    amount_cents: i64,
    currency: &'static str,
    /// What it is for.
    label: String,
    legal_basis: Option<String>,
    #[schema(value_type = String, format = Date)]
    due_on: chrono::NaiveDate,
    /// `open` or `paid`.
    state: String,
    #[schema(value_type = Option<String>, format = DateTime)]
    paid_at: Option<DateTime<Utc>>,
}

/// One application: status, timeline, answers and files.
#[utoipa::path(get, path = "/api/v1/me/applications/{reference}",
    security(("app" = ["applications"])),
    params(("reference" = String, Path, description = "The application's reference")),
    responses(
        (status = 200, body = Application),
        (status = 404, body = Problem, content_type = "application/problem+json")
    )
)]
pub async fn application(
    State(state): State<AppState>,
    chrome: Chrome,
    app: AppCitizen,
    Path(reference): Path<String>,
) -> ApiResult<Application> {
    app.require(Scope::Applications)?;
    let conn = state.db.conn();
    let case = own_case(&state, chrome.tenant.id, app.0.citizen.id, &reference).await?;
    let workflow = workflow::installed::of_case(conn, &case).await?;
    let timeline = cases::timeline(conn, case.id, true)
        .await?
        .into_iter()
        .map(|entry| Step {
            at: entry.at,
            text: entry_text(&chrome, &workflow, &entry),
        })
        .collect();
    let submitted = match case.submission_id {
        Some(id) => submissions::read(conn, chrome.tenant.id, id).await?,
        None => None,
    };
    let (answers, files) = match &submitted {
        Some(submitted) => (
            sent_answers(&chrome, submitted)
                .into_iter()
                .map(|section| AnswerSection {
                    title: section.title,
                    rows: section
                        .rows
                        .into_iter()
                        .map(|row| AnswerRow {
                            label: row.label,
                            lines: row.lines,
                        })
                        .collect(),
                })
                .collect(),
            submitted
                .files
                .iter()
                .map(|f| SentFile {
                    name: f.file_name.clone(),
                    size: f.size,
                    media_type: f.media_type.clone(),
                })
                .collect(),
        ),
        None => (Vec::new(), Vec::new()),
    };
    let unread = postbox::unread_by_case(conn, &[case.id])
        .await?
        .get(&case.id)
        .copied()
        .unwrap_or(0);
    let status_text = state_explanation(&chrome, &workflow, &case.state);
    let can_reply = postbox::takes_answers(&case);
    let fees = rathaus_core::payments::notices::of_case(conn, case.id)
        .await?
        .into_iter()
        .map(|n| Fee {
            amount_cents: n.amount_cents,
            currency: "EUR",
            label: n.label,
            legal_basis: n.legal_basis,
            due_on: n.due_on,
            state: n.state,
            paid_at: n.paid_at,
        })
        .collect();
    Ok(Json(Application {
        summary: summary(&chrome, &workflow, case, unread),
        status_text,
        can_reply,
        timeline,
        answers,
        files,
        fees,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct ApiMessage {
    #[schema(value_type = String)]
    id: Uuid,
    /// `to_applicant` (from the department) or `from_applicant`.
    direction: &'static str,
    subject: String,
    body: String,
    sender: String,
    #[schema(value_type = String, format = DateTime)]
    sent_at: DateTime<Utc>,
    files: Vec<SentFile>,
}

#[derive(Serialize, ToSchema)]
pub struct MessageList {
    messages: Vec<ApiMessage>,
}

/// The postbox of one application, oldest first. Fetching it marks the department's
/// messages as read, as opening the application in the portal does.
#[utoipa::path(get, path = "/api/v1/me/applications/{reference}/messages",
    security(("app" = ["postbox"])),
    params(("reference" = String, Path, description = "The application's reference")),
    responses(
        (status = 200, body = MessageList),
        (status = 404, body = Problem, content_type = "application/problem+json")
    )
)]
pub async fn messages(
    State(state): State<AppState>,
    chrome: Chrome,
    app: AppCitizen,
    Path(reference): Path<String>,
) -> ApiResult<MessageList> {
    app.require(Scope::Postbox)?;
    let conn = state.db.conn();
    let case = own_case(&state, chrome.tenant.id, app.0.citizen.id, &reference).await?;
    let letters = postbox::of_case(conn, case.id).await?;
    let ids: Vec<Uuid> = letters.iter().map(|m| m.id).collect();
    let files = postbox::files_of(conn, &ids).await?;
    postbox::mark_read_by_applicant(conn, case.id).await?;
    let messages = letters
        .into_iter()
        .map(|m| ApiMessage {
            files: files
                .iter()
                .filter(|f| f.message_id == m.id)
                .map(|f| SentFile {
                    name: f.file_name.clone(),
                    size: f.size,
                    media_type: f.media_type.clone(),
                })
                .collect(),
            id: m.id,
            direction: if m.to_applicant {
                postbox::TO_APPLICANT
            } else {
                postbox::FROM_APPLICANT
            },
            subject: m.subject,
            body: m.body,
            sender: m.sender,
            sent_at: m.sent_at,
        })
        .collect();
    Ok(Json(MessageList { messages }))
}

#[derive(Serialize, ToSchema)]
pub struct MessageSent {
    #[schema(value_type = String)]
    id: Uuid,
}

/// Sends a message about the application, with documents: `multipart/form-data` with
/// a part `text` and file parts (PDF, JPEG, PNG, TIFF; each checked by its content, at
/// most 10 and 20 MB each). One refused file refuses the whole message; nothing is
/// stored then.
#[utoipa::path(post, path = "/api/v1/me/applications/{reference}/messages",
    security(("app" = ["postbox"])),
    params(("reference" = String, Path, description = "The application's reference")),
    request_body(content_type = "multipart/form-data", description = "`text` and files"),
    responses(
        (status = 201, body = MessageSent),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The application is closed", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Empty, or a file refused (the detail says which and why)", body = Problem, content_type = "application/problem+json")
    )
)]
pub async fn send_message(
    State(state): State<AppState>,
    chrome: Chrome,
    app: AppCitizen,
    Path(reference): Path<String>,
    request: Request,
) -> Result<Response, ApiError> {
    app.require(Scope::Postbox)?;
    let case = own_case(&state, chrome.tenant.id, app.0.citizen.id, &reference).await?;
    if !postbox::takes_answers(&case) {
        let closed = chrome.t.get("applications-reply-closed").to_owned();
        return Err(ApiError::new(StatusCode::CONFLICT, "Closed", Some(closed)));
    }
    let (pairs, uploads) = read_page(request, &state).await?;
    let text = pairs
        .iter()
        .find(|(name, _)| name == "text")
        .map(|(_, value)| value.trim().to_owned())
        .unwrap_or_default();
    let unprocessable =
        |detail: String| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "Not sent", Some(detail));
    if text.is_empty() && uploads.is_empty() {
        let empty = chrome.t.get("applications-reply-empty").to_owned();
        return Err(unprocessable(empty));
    }
    let files = uploads
        .into_iter()
        .map(|u| (u.file_name, u.bytes))
        .collect();
    let sender = case.applicant_name.clone();
    let sent = postbox::reply_from_applicant(&state.db, &state.blobs, &case, &sender, &text, files)
        .await?;
    match sent {
        Ok(id) => {
            let location = format!("/api/v1/me/applications/{}/messages", case.reference);
            Ok((
                StatusCode::CREATED,
                [(header::LOCATION, location)],
                Json(MessageSent { id }),
            )
                .into_response())
        }
        Err((file, refusal)) => {
            let label = chrome.t.get("applications-reply-files");
            Err(unprocessable(texts::upload(
                chrome.t, label, &file, &refusal,
            )))
        }
    }
}
