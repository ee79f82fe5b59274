//! Retention (Aufbewahrung): a closed case is kept for its service's `retention_days`,
//! then the daily housekeeping deletes it with everything that belongs to it — the
//! application and its files, messages, scans, documents and their versions, letters,
//! timeline — unless a legal hold (Löschsperre) is set. What was deleted, when and by
//! which rule is recorded (`deletion_records`), never the content; the record keeps what
//! statistics need (service, department, received, closed). Admins see what will be
//! deleted in the next 30 days and set or release legal holds.
//!
//! The hashes of deleted documents stay in the sealed evidence of their day (a hash
//! tells nothing about the content), so the days before and after still verify.

use chrono::{DateTime, Duration, Utc};
use rathaus_store::entities::{
    case, case_event, deletion_record, document, document_version, mail_item, postbox_file,
    postbox_message, submission, submission_file,
};
use rathaus_store::{BlobStore, Db};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use uuid::Uuid;

use crate::actor::{Actor, Origin};
use crate::audit::{self, Event};
use crate::cases::{Case, Entry};
use crate::catalog::Offered;
use crate::error::{CoreError, Result};
use crate::policy::{self, Permission};

/// A case whose retention ends.
pub struct Due {
    pub case: Case,
    pub service: String,
    pub delete_on: DateTime<Utc>,
    /// "bewohnerparkausweis: 1095 Tage nach Abschluss".
    pub rule: String,
}

/// The tenant's cases whose retention ends before `until`, without a legal hold,
/// soonest first. Services the tenant no longer offers keep their cases.
async fn due_before(
    conn: &impl ConnectionTrait,
    tenant_id: Uuid,
    until: DateTime<Utc>,
) -> Result<Vec<Due>> {
    let offered = Offered::load(conn, tenant_id).await?;
    let mut due = Vec::new();
    for service in offered.all() {
        let Some(days) = service.retention_days else {
            continue;
        };
        let kept = Duration::days(i64::from(days));
        let cases = case::Entity::find()
            .filter(case::Column::TenantId.eq(tenant_id))
            .filter(case::Column::ServiceKey.eq(service.key.as_str()))
            .filter(case::Column::ClosedAt.lt(until - kept))
            .filter(case::Column::LegalHold.is_null())
            .all(conn)
            .await?;
        for case in cases {
            let closed = case.closed_at.expect("filtered on closed_at");
            due.push(Due {
                case,
                service: service.name.clone(),
                delete_on: closed + kept,
                rule: format!("{}: {days} Tage nach Abschluss", service.key),
            });
        }
    }
    due.sort_by_key(|d| d.delete_on);
    Ok(due)
}

/// What the daily job will delete in the next `days` days, for admins.
pub async fn upcoming(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    tenant_id: Uuid,
    days: i64,
) -> Result<Vec<Due>> {
    policy::require(actor, tenant_id, Permission::ManageTenant)?;
    due_before(conn, tenant_id, Utc::now() + Duration::days(days)).await
}

/// The tenant's cases under a legal hold.
pub async fn held(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    tenant_id: Uuid,
) -> Result<Vec<Case>> {
    policy::require(actor, tenant_id, Permission::ManageTenant)?;
    Ok(case::Entity::find()
        .filter(case::Column::TenantId.eq(tenant_id))
        .filter(case::Column::LegalHold.is_not_null())
        .order_by_asc(case::Column::Reference)
        .all(conn)
        .await?)
}

/// The latest deletions of the tenant, newest first.
pub async fn records(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    tenant_id: Uuid,
    limit: u64,
) -> Result<Vec<deletion_record::Model>> {
    policy::require(actor, tenant_id, Permission::ManageTenant)?;
    Ok(deletion_record::Entity::find()
        .filter(deletion_record::Column::TenantId.eq(tenant_id))
        .order_by_desc(deletion_record::Column::DeletedAt)
        .limit(limit)
        .all(conn)
        .await?)
}

/// Sets (with a reason, which it needs) or releases (`None`) the legal hold of a case.
pub async fn set_hold(
    db: &Db,
    actor: &Actor,
    origin: &Origin,
    case: &Case,
    reason: Option<&str>,
) -> Result<()> {
    policy::require(actor, case.tenant_id, Permission::ManageTenant)?;
    let reason = reason.map(str::trim);
    if reason.is_some_and(str::is_empty) {
        return Err(CoreError::Invalid("a legal hold needs a reason".into()));
    }
    let txn = db.begin_write().await?;
    case::Entity::update_many()
        .col_expr(case::Column::LegalHold, reason.map(str::to_owned).into())
        .filter(case::Column::Id.eq(case.id))
        .exec(&txn)
        .await?;
    let (kind, action) = match reason {
        Some(_) => ("legal_hold_set", "case.legal_hold"),
        None => ("legal_hold_released", "case.legal_hold_released"),
    };
    let entry =
        Entry::internal(kind, actor.name.clone()).details(serde_json::json!({ "reason": reason }));
    crate::cases::record(&txn, case.id, entry).await?;
    let event = Event::new(action, "case")
        .object(case.id)
        .details(serde_json::json!({ "reference": case.reference, "reason": reason }));
    audit::record(&txn, actor, origin, event).await?;
    txn.commit().await?;
    Ok(())
}

/// Deletes every case of every tenant whose retention ended by `now`. Returns how many.
pub async fn run(db: &Db, blobs: &BlobStore, now: DateTime<Utc>) -> Result<usize> {
    let tenants: Vec<Uuid> = case::Entity::find()
        .select_only()
        .column(case::Column::TenantId)
        .distinct()
        .filter(case::Column::ClosedAt.is_not_null())
        .into_tuple()
        .all(db.conn())
        .await?;
    let mut deleted = 0;
    for tenant in tenants {
        for due in due_before(db.conn(), tenant, now).await? {
            if delete(db, blobs, due, now).await? {
                deleted += 1;
            }
        }
    }
    Ok(deleted)
}

/// Deletes one case and what belongs to it, records the deletion, then removes the
/// files nothing else refers to. A case held or reopened meanwhile stays.
async fn delete(db: &Db, blobs: &BlobStore, due: Due, now: DateTime<Utc>) -> Result<bool> {
    let case = &due.case;
    let txn = db.begin_write().await?;
    let still = case::Entity::find_by_id(case.id)
        .filter(case::Column::ClosedAt.eq(case.closed_at))
        .filter(case::Column::LegalHold.is_null())
        .one(&txn)
        .await?;
    if still.is_none() {
        return Ok(false);
    }
    let mut hashes = Vec::new();
    let documents: Vec<Uuid> = document::Entity::find()
        .select_only()
        .column(document::Column::Id)
        .filter(document::Column::CaseId.eq(case.id))
        .into_tuple()
        .all(&txn)
        .await?;
    let versions = document_version::Entity::find()
        .filter(document_version::Column::DocumentId.is_in(documents.iter().copied()))
        .all(&txn)
        .await?;
    let bytes: i64 = versions.iter().map(|v| v.size).sum();
    hashes.extend(versions.into_iter().map(|v| v.sha256));
    let messages: Vec<Uuid> = postbox_message::Entity::find()
        .select_only()
        .column(postbox_message::Column::Id)
        .filter(postbox_message::Column::CaseId.eq(case.id))
        .into_tuple()
        .all(&txn)
        .await?;
    let message_files = postbox_file::Entity::find()
        .filter(postbox_file::Column::MessageId.is_in(messages.iter().copied()))
        .all(&txn)
        .await?;
    hashes.extend(message_files.into_iter().map(|f| f.sha256));
    postbox_file::Entity::delete_many()
        .filter(postbox_file::Column::MessageId.is_in(messages.iter().copied()))
        .exec(&txn)
        .await?;
    postbox_message::Entity::delete_many()
        .filter(postbox_message::Column::CaseId.eq(case.id))
        .exec(&txn)
        .await?;
    let scans = mail_item::Entity::find()
        .filter(mail_item::Column::CaseId.eq(case.id))
        .all(&txn)
        .await?;
    hashes.extend(scans.into_iter().map(|s| s.sha256));
    mail_item::Entity::delete_many()
        .filter(mail_item::Column::CaseId.eq(case.id))
        .exec(&txn)
        .await?;
    case_event::Entity::delete_many()
        .filter(case_event::Column::CaseId.eq(case.id))
        .exec(&txn)
        .await?;
    // Its search text, reminders, documents and letters go with it (foreign keys).
    case::Entity::delete_by_id(case.id).exec(&txn).await?;
    if let Some(submission_id) = case.submission_id {
        let sent = submission_file::Entity::find()
            .filter(submission_file::Column::SubmissionId.eq(submission_id))
            .all(&txn)
            .await?;
        hashes.extend(sent.into_iter().map(|f| f.sha256));
        submission_file::Entity::delete_many()
            .filter(submission_file::Column::SubmissionId.eq(submission_id))
            .exec(&txn)
            .await?;
        submission::Entity::delete_by_id(submission_id)
            .exec(&txn)
            .await?;
    }
    let record = deletion_record::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(case.tenant_id),
        reference: Set(case.reference.clone()),
        service_key: Set(case.service_key.clone()),
        department_id: Set(case.department_id),
        received_at: Set(case.created_at),
        closed_at: Set(case.closed_at.expect("due cases are closed")),
        deleted_at: Set(now),
        rule: Set(due.rule.clone()),
        documents: Set(documents.len() as i32),
        bytes: Set(bytes),
    }
    .insert(&txn)
    .await?;
    let actor = Actor {
        tenant_id: Some(case.tenant_id),
        ..Actor::system("retention")
    };
    let event = Event::new("retention.delete", "case")
        .object(case.id)
        .details(serde_json::json!({
            "reference": case.reference,
            "rule": due.rule,
            "documents": record.documents,
        }));
    audit::record(&txn, &actor, &Origin::default(), event).await?;
    txn.commit().await?;
    hashes.sort();
    hashes.dedup();
    crate::blob_references::delete_unreferenced(db, blobs, hashes).await?;
    Ok(true)
}
