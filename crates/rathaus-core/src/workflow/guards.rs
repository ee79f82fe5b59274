//! Guards: what must hold before a step of a workflow can be taken. Each is checked
//! against the case as it is in the database when the step is asked for.

use rathaus_store::entities::{case_event, postbox_message, submission_file};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};

use super::Workflow;
use crate::cases::Case;
use crate::error::Result;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Guard {
    /// Someone handles the case.
    Assigned,
    /// The case has at least one document: sent with the application, in a message
    /// from the applicant, or a scanned letter filed into it.
    DocumentsPresent,
    /// The applicant sent at least one file since the department last asked for an
    /// answer (a step with `reply_within_days`); holds for a case never asked.
    RequestedDocumentsReceived,
    /// Every fee notice of the case is paid (holds for a case without one).
    FeePaid,
}

impl Guard {
    pub fn key(self) -> &'static str {
        match self {
            Self::Assigned => "assigned",
            Self::DocumentsPresent => "documents_present",
            Self::RequestedDocumentsReceived => "requested_documents_received",
            Self::FeePaid => "fee_paid",
        }
    }
}

/// The guards of the step that do not hold for the case, in the workflow's order.
pub async fn unmet(
    conn: &impl ConnectionTrait,
    workflow: &Workflow,
    guards: &[Guard],
    case: &Case,
) -> Result<Vec<Guard>> {
    let mut unmet = Vec::new();
    for guard in guards {
        let holds = match guard {
            Guard::Assigned => case.assignee_id.is_some(),
            Guard::DocumentsPresent => has_documents(conn, case).await?,
            Guard::RequestedDocumentsReceived => {
                answered_last_request(conn, workflow, case).await?
            }
            Guard::FeePaid => crate::payments::notices::all_paid(conn, case.id).await?,
        };
        if !holds {
            unmet.push(*guard);
        }
    }
    Ok(unmet)
}

async fn has_documents(conn: &impl ConnectionTrait, case: &Case) -> Result<bool> {
    if let Some(submission) = case.submission_id {
        let sent = submission_file::Entity::find()
            .filter(submission_file::Column::SubmissionId.eq(submission))
            .count(conn)
            .await?;
        if sent > 0 {
            return Ok(true);
        }
    }
    if !crate::mailroom::paper::documents_of(conn, case.id)
        .await?
        .is_empty()
    {
        return Ok(true);
    }
    files_from_applicant_since(conn, case, None).await
}

async fn answered_last_request(
    conn: &impl ConnectionTrait,
    workflow: &Workflow,
    case: &Case,
) -> Result<bool> {
    let steps = case_event::Entity::find()
        .filter(case_event::Column::CaseId.eq(case.id))
        .filter(case_event::Column::Kind.eq("state_changed"))
        .order_by_desc(case_event::Column::At)
        .all(conn)
        .await?;
    let asked = steps.into_iter().find(|event| {
        serde_json::from_str::<serde_json::Value>(&event.details)
            .ok()
            .and_then(|d| d["transition"].as_str().map(str::to_owned))
            .and_then(|key| workflow.transition(&key).cloned())
            .is_some_and(|t| t.reply_within_days.is_some())
    });
    match asked {
        None => Ok(true),
        Some(event) => files_from_applicant_since(conn, case, Some(event.at)).await,
    }
}

/// Whether a message from the applicant (after `since`, if given) came with a file.
async fn files_from_applicant_since(
    conn: &impl ConnectionTrait,
    case: &Case,
    since: Option<chrono::DateTime<chrono::Utc>>,
) -> Result<bool> {
    let mut messages = postbox_message::Entity::find()
        .filter(postbox_message::Column::CaseId.eq(case.id))
        .filter(postbox_message::Column::Direction.eq(crate::postbox::FROM_APPLICANT));
    if let Some(since) = since {
        messages = messages.filter(postbox_message::Column::SentAt.gte(since));
    }
    let ids: Vec<uuid::Uuid> = messages
        .all(conn)
        .await?
        .into_iter()
        .map(|m| m.id)
        .collect();
    Ok(!crate::postbox::files_of(conn, &ids).await?.is_empty())
}
