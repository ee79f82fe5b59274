//! Splitting a case: one application (or letter) that asks for two things, of which
//! another department decides one, becomes a second case there. The new case has its
//! own reference and deadline clock but shares the application — what was sent, its
//! files and its search text — and the applicant, who finds it under "Meine Anträge".
//! Both timelines name the other; the original case goes on unchanged.

use rathaus_store::Db;
use rathaus_store::entities::case_search;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::{Case, Department, Entry, NewCase, open, record, touch};
use crate::actor::{Actor, Origin};
use crate::audit::{self, Event};
use crate::error::{CoreError, Result};
use crate::policy;
use crate::references;
use crate::tenants::Tenant;

/// Why a case was not split (nothing changed).
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The case is decided or closed already.
    Finished,
    /// What the new case is about is missing.
    TitleMissing,
    /// Staff say why (it is in both timelines).
    ReasonMissing,
}

/// What the new case is about and who gets it.
pub struct Part<'a> {
    pub department: &'a Department,
    pub title: &'a str,
    pub reason: &'a str,
}

/// Makes a further case of `case` for `part.department`, for a member of staff who may
/// see the case; returns the new reference.
pub async fn split(
    db: &Db,
    actor: &Actor,
    origin: &Origin,
    tenant: &Tenant,
    case: &Case,
    part: Part<'_>,
) -> Result<std::result::Result<String, Refusal>> {
    policy::require_case(actor, case)?;
    if part.department.tenant_id != case.tenant_id || case.tenant_id != tenant.id {
        return Err(CoreError::NotFound(format!(
            "department {}",
            part.department.key
        )));
    }
    let (title, reason) = (part.title.trim(), part.reason.trim());
    if super::deadlines::is_finished(case) {
        return Ok(Err(Refusal::Finished));
    }
    if title.is_empty() {
        return Ok(Err(Refusal::TitleMissing));
    }
    if reason.is_empty() {
        return Ok(Err(Refusal::ReasonMissing));
    }
    let txn = db.begin_write().await?;
    let reference = references::free(&txn, tenant).await?;
    let new = NewCase {
        tenant_id: case.tenant_id,
        reference: &reference,
        submission_id: case.submission_id,
        service_key: &case.service_key,
        title,
        department: Some(part.department),
        rule: None,
        team_id: None,
        // Its clock runs: the days the original rested so far count for it too.
        due_at: super::deadlines::due_if_resumed(case, chrono::Utc::now()),
        citizen_id: case.citizen_id,
        organisation_id: case.organisation_id,
        applicant_name: &case.applicant_name,
        answers: None,
    };
    let id = open(&txn, new).await?;
    // Found by the same words as the case it came from (answers, letters).
    let words = case_search::Entity::find()
        .filter(case_search::Column::CaseId.eq(case.id))
        .one(&txn)
        .await?
        .map(|row| row.text);
    if let Some(words) = words {
        super::search::add(&txn, id, &words).await?;
    }
    touch(&txn, case.id).await?;
    let by = actor.name.clone();
    let from = serde_json::json!({ "case": case.reference, "reason": reason });
    record(
        &txn,
        id,
        Entry::internal("split_from", by.clone()).details(from),
    )
    .await?;
    let into = serde_json::json!({
        "case": reference, "department": part.department.key, "reason": reason
    });
    record(
        &txn,
        case.id,
        Entry::internal("split_into", by).details(into),
    )
    .await?;
    let event = Event::new("case.split", "case")
        .object(case.id)
        .details(serde_json::json!({
            "into": reference, "department": part.department.key, "reason": reason
        }));
    audit::record(&txn, actor, origin, event).await?;
    txn.commit().await?;
    Ok(Ok(reference))
}
