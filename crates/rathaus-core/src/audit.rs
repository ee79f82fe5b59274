//! The audit log: append-only and hash-chained.
//!
//! Each entry stores the SHA-256 of its predecessor and a SHA-256 over its own fields
//! and that predecessor hash. Editing, deleting or reordering any entry breaks the
//! chain, and [`verify`] reports the first entry where it breaks. Cutting entries off
//! the end is caught by the `audit_head` row, which every append updates.

use chrono::{DateTime, SubsecRound, Utc};
use rathaus_store::Db;
use rathaus_store::entities::{audit_entry, audit_head};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Statement,
};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::actor::{Actor, Origin};
use crate::error::Result;
use crate::policy::{self, Permission};

pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What happened, to which object, and why.
#[derive(Clone, Debug)]
pub struct Event {
    pub action: String,
    pub object_type: String,
    pub object_id: Option<String>,
    pub purpose: Option<String>,
    pub details: Value,
}

impl Event {
    pub fn new(action: impl Into<String>, object_type: impl Into<String>) -> Self {
        Self {
            action: action.into(),
            object_type: object_type.into(),
            object_id: None,
            purpose: None,
            details: json!({}),
        }
    }

    pub fn object(mut self, id: impl ToString) -> Self {
        self.object_id = Some(id.to_string());
        self
    }

    pub fn purpose(mut self, purpose: impl Into<String>) -> Self {
        self.purpose = Some(purpose.into());
        self
    }

    pub fn details(mut self, details: Value) -> Self {
        self.details = details;
        self
    }
}

/// Appends an entry inside the caller's transaction, so that the entry exists exactly
/// when the change it describes was committed.
pub async fn record(
    txn: &DatabaseTransaction,
    actor: &Actor,
    origin: &Origin,
    event: Event,
) -> Result<i64> {
    // Taking the next number first locks the head row until commit (PostgreSQL) or
    // happens under SQLite's single writer: appends are serialised, the chain never forks.
    let backend = txn.get_database_backend();
    let head = txn
        .query_one_raw(Statement::from_string(
            backend,
            "UPDATE audit_head SET last_seq = last_seq + 1 WHERE id = 1 RETURNING last_seq, last_hash",
        ))
        .await?
        .ok_or_else(|| sea_orm::DbErr::RecordNotFound("audit_head".into()))?;
    let seq: i64 = head.try_get("", "last_seq")?;
    let prev_hash: String = head.try_get("", "last_hash")?;

    let entry = audit_entry::Model {
        seq,
        tenant_id: actor.tenant_id,
        // Stored to the microsecond on both backends; truncate so the hash survives.
        at: Utc::now().trunc_subsecs(6),
        actor_kind: actor.kind.as_str().to_owned(),
        actor_id: actor.id,
        actor_name: actor.name.clone(),
        actor_role: actor.primary_role().map(str::to_owned),
        action: event.action,
        object_type: event.object_type,
        object_id: event.object_id,
        ip: origin.ip.clone(),
        user_agent: origin
            .user_agent
            .as_deref()
            .map(|ua| ua.chars().take(512).collect()),
        purpose: event.purpose,
        details: event.details,
        prev_hash,
        hash: String::new(),
    };
    let hash = entry_hash(&entry);
    audit_entry::Entity::insert(audit_entry::ActiveModel {
        hash: Set(hash.clone()),
        ..to_active(entry)
    })
    .exec_without_returning(txn)
    .await?;
    audit_head::Entity::update_many()
        .col_expr(
            audit_head::Column::LastHash,
            sea_orm::sea_query::Expr::value(hash),
        )
        .filter(audit_head::Column::Id.eq(1))
        .exec(txn)
        .await?;
    Ok(seq)
}

/// Appends an entry in a transaction of its own (for reads, which change nothing else).
pub async fn record_now(db: &Db, actor: &Actor, origin: &Origin, event: Event) -> Result<i64> {
    let txn = db.begin_write().await?;
    let seq = record(&txn, actor, origin, event).await?;
    txn.commit().await?;
    Ok(seq)
}

/// Records a failed login for `email` (the person is not known, so the actor is
/// anonymous and named after the address that was tried). Lockout will count these.
pub async fn failed_login(
    db: &Db,
    tenant_id: Uuid,
    email: &str,
    action: &str,
    object_type: &str,
    origin: &Origin,
) -> Result<i64> {
    let mut anonymous = Actor::anonymous(tenant_id);
    anonymous.name = format!("login attempt: {email}");
    record_now(db, &anonymous, origin, Event::new(action, object_type)).await
}

fn to_active(m: audit_entry::Model) -> audit_entry::ActiveModel {
    audit_entry::ActiveModel {
        seq: Set(m.seq),
        tenant_id: Set(m.tenant_id),
        at: Set(m.at),
        actor_kind: Set(m.actor_kind),
        actor_id: Set(m.actor_id),
        actor_name: Set(m.actor_name),
        actor_role: Set(m.actor_role),
        action: Set(m.action),
        object_type: Set(m.object_type),
        object_id: Set(m.object_id),
        ip: Set(m.ip),
        user_agent: Set(m.user_agent),
        purpose: Set(m.purpose),
        details: Set(m.details),
        prev_hash: Set(m.prev_hash),
        hash: Set(m.hash),
    }
}

/// SHA-256 over a canonical JSON array of the entry's fields (keys of `details`
/// sorted), with the previous hash first.
pub fn entry_hash(e: &audit_entry::Model) -> String {
    let canonical = json!([
        e.prev_hash,
        e.seq,
        e.at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        e.tenant_id,
        e.actor_kind,
        e.actor_id,
        e.actor_name,
        e.actor_role,
        e.action,
        e.object_type,
        e.object_id,
        e.ip,
        e.user_agent,
        e.purpose,
        canonical_json(&e.details),
    ]);
    hex::encode(Sha256::digest(canonical.to_string().as_bytes()))
}

/// The same value with object keys sorted at every level, whatever map type
/// serde_json was built with.
fn canonical_json(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let pairs: Vec<Value> = keys
                .into_iter()
                .map(|k| json!([k, canonical_json(&map[k])]))
                .collect();
            Value::Array(pairs)
        }
        Value::Array(items) => Value::Array(items.iter().map(canonical_json).collect()),
        other => other.clone(),
    }
}

/// The outcome of checking the whole chain.
#[derive(Debug, PartialEq, Eq)]
pub struct Verification {
    pub entries: u64,
    pub broken: Option<Break>,
}

#[derive(Debug, PartialEq, Eq)]
pub struct Break {
    /// The first entry that does not fit (for a cut-off end: the first missing one).
    pub seq: i64,
    pub reason: String,
}

/// Walks the chain from the first entry to the head, in pages.
pub async fn verify(db: &Db) -> Result<Verification> {
    const PAGE: u64 = 2000;
    let conn = db.conn();
    let mut expected_seq = 1i64;
    let mut prev_hash = GENESIS_HASH.to_owned();
    let mut entries = 0u64;
    loop {
        let page = audit_entry::Entity::find()
            .filter(audit_entry::Column::Seq.gte(expected_seq))
            .order_by_asc(audit_entry::Column::Seq)
            .limit(PAGE)
            .all(conn)
            .await?;
        let page_len = page.len() as u64;
        for entry in page {
            let broken = |reason: String| Verification {
                entries,
                broken: Some(Break {
                    seq: expected_seq,
                    reason,
                }),
            };
            if entry.seq != expected_seq {
                return Ok(broken(format!(
                    "entry {expected_seq} is missing (next present is {})",
                    entry.seq
                )));
            }
            if entry.prev_hash != prev_hash {
                return Ok(broken(
                    "its link to the previous entry does not match (an entry before it was changed, removed or inserted)".into(),
                ));
            }
            if entry_hash(&entry) != entry.hash {
                return Ok(broken(
                    "its content does not match its hash (it was edited)".into(),
                ));
            }
            prev_hash = entry.hash;
            expected_seq += 1;
            entries += 1;
        }
        if page_len < PAGE {
            break;
        }
    }
    let head = audit_head::Entity::find_by_id(1)
        .one(conn)
        .await?
        .ok_or_else(|| sea_orm::DbErr::RecordNotFound("audit_head".into()))?;
    if head.last_seq != expected_seq - 1 || head.last_hash != prev_hash {
        return Ok(Verification {
            entries,
            broken: Some(Break {
                seq: expected_seq,
                reason: format!(
                    "the log ends at entry {} but {} entries were written (entries were cut off the end)",
                    expected_seq - 1,
                    head.last_seq
                ),
            }),
        });
    }
    Ok(Verification {
        entries,
        broken: None,
    })
}

/// Filter for the staff view of the audit log.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub action: Option<String>,
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    pub actor_name: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    /// Show entries with a sequence number below this one (paging backwards).
    pub before_seq: Option<i64>,
}

/// Entries of one tenant, newest first. Reading the log is itself logged.
pub async fn search(
    db: &Db,
    actor: &Actor,
    origin: &Origin,
    tenant_id: Uuid,
    filter: &Filter,
    limit: u64,
) -> Result<Vec<audit_entry::Model>> {
    policy::require(actor, tenant_id, Permission::ReadAuditLog)?;
    let mut query = audit_entry::Entity::find().filter(audit_entry::Column::TenantId.eq(tenant_id));
    if let Some(action) = non_empty(&filter.action) {
        query = query.filter(audit_entry::Column::Action.starts_with(action));
    }
    if let Some(object_type) = non_empty(&filter.object_type) {
        query = query.filter(audit_entry::Column::ObjectType.eq(object_type));
    }
    if let Some(object_id) = non_empty(&filter.object_id) {
        query = query.filter(audit_entry::Column::ObjectId.eq(object_id));
    }
    if let Some(name) = non_empty(&filter.actor_name) {
        query = query.filter(audit_entry::Column::ActorName.contains(name));
    }
    if let Some(from) = filter.from {
        query = query.filter(audit_entry::Column::At.gte(from));
    }
    if let Some(until) = filter.until {
        query = query.filter(audit_entry::Column::At.lt(until));
    }
    if let Some(before) = filter.before_seq {
        query = query.filter(audit_entry::Column::Seq.lt(before));
    }
    let rows = query
        .order_by_desc(audit_entry::Column::Seq)
        .limit(limit)
        .all(db.conn())
        .await?;
    record_now(
        db,
        actor,
        origin,
        Event::new("audit.read", "audit_log").details(json!({
            "action": filter.action, "object_type": filter.object_type,
            "object_id": filter.object_id, "actor": filter.actor_name,
            "results": rows.len(),
        })),
    )
    .await?;
    Ok(rows)
}

fn non_empty(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|s| !s.is_empty())
}
