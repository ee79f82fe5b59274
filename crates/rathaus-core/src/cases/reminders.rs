//! Reminders (Wiedervorlage): the day on which the department looks at a case again,
//! and why. Set by hand on the case page, or by a workflow step that declares one (a
//! request for documents: on the day the answer is due). Open reminders due by today
//! make the inbox's view "Wiedervorlage". Like a note, a reminder changes nothing else
//! about the case, so it never makes a colleague's open page outdated.

use chrono::{DateTime, NaiveDate, Utc};
use rathaus_store::Db;
use rathaus_store::entities::{case, case_reminder};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait, Select,
};
use uuid::Uuid;

use super::{Case, Entry, record};
use crate::actor::{Actor, Origin};
use crate::audit::{self, Event};
use crate::error::Result;
use crate::policy;
use crate::time::{local_day, start_of_day};

/// The longest reason, in characters.
pub const MAX_CHARS: usize = 1000;

/// A reminder as the case page shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reminder {
    pub id: Uuid,
    pub due: NaiveDate,
    pub note: String,
    pub set_by: String,
    /// When and by whom it was marked done.
    pub done: Option<(DateTime<Utc>, String)>,
}

impl From<case_reminder::Model> for Reminder {
    fn from(row: case_reminder::Model) -> Self {
        Self {
            id: row.id,
            due: local_day(row.due_at),
            note: row.note,
            set_by: row.set_by,
            done: row.done_at.zip(row.done_by),
        }
    }
}

impl Reminder {
    /// Open, and its day has come.
    pub fn is_due(&self, now: DateTime<Utc>) -> bool {
        self.done.is_none() && self.due <= local_day(now)
    }
}

/// Why a reminder was not set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// A reminder says what to look at.
    NoteMissing,
    TooLong,
    /// Today at the earliest.
    InThePast,
}

/// Sets a reminder on the case (audited, internal in the timeline).
pub async fn set(
    db: &Db,
    actor: &Actor,
    origin: &Origin,
    case: &Case,
    due: NaiveDate,
    note: &str,
) -> Result<std::result::Result<Uuid, Refusal>> {
    policy::require_case(actor, case)?;
    let note = note.trim();
    if note.is_empty() {
        return Ok(Err(Refusal::NoteMissing));
    }
    if note.chars().count() > MAX_CHARS {
        return Ok(Err(Refusal::TooLong));
    }
    if due < local_day(Utc::now()) {
        return Ok(Err(Refusal::InThePast));
    }
    let txn = db.begin_write().await?;
    let id = add(&txn, case.id, due, note, &actor.name).await?;
    let event = Event::new("case.reminder_set", "case")
        .object(case.id)
        .details(serde_json::json!({ "due": due.to_string() }));
    audit::record(&txn, actor, origin, event).await?;
    txn.commit().await?;
    Ok(Ok(id))
}

/// Adds a reminder in the caller's transaction, with its timeline entry.
pub(super) async fn add(
    conn: &impl ConnectionTrait,
    case_id: Uuid,
    due: NaiveDate,
    note: &str,
    by: &str,
) -> Result<Uuid> {
    let id = Uuid::now_v7();
    case_reminder::Entity::insert(case_reminder::ActiveModel {
        id: Set(id),
        case_id: Set(case_id),
        due_at: Set(start_of_day(due)),
        note: Set(note.to_owned()),
        set_by: Set(by.to_owned()),
        created_at: Set(Utc::now()),
        done_at: Set(None),
        done_by: Set(None),
    })
    .exec_without_returning(conn)
    .await?;
    let details = serde_json::json!({
        "due": due.format("%d.%m.%Y").to_string(),
        "text": note,
    });
    record(
        conn,
        case_id,
        Entry::internal("reminder_set", by).details(details),
    )
    .await?;
    Ok(id)
}

/// Marks a reminder of the case done; `false` if it is not one of the case's open ones.
pub async fn done(
    db: &Db,
    actor: &Actor,
    origin: &Origin,
    case: &Case,
    reminder_id: Uuid,
) -> Result<bool> {
    policy::require_case(actor, case)?;
    let txn = db.begin_write().await?;
    let marked = case_reminder::Entity::update_many()
        .col_expr(case_reminder::Column::DoneAt, Some(Utc::now()).into())
        .col_expr(
            case_reminder::Column::DoneBy,
            Some(actor.name.clone()).into(),
        )
        .filter(case_reminder::Column::Id.eq(reminder_id))
        .filter(case_reminder::Column::CaseId.eq(case.id))
        .filter(case_reminder::Column::DoneAt.is_null())
        .exec(&txn)
        .await?
        .rows_affected
        == 1;
    if !marked {
        return Ok(false);
    }
    let note = case_reminder::Entity::find_by_id(reminder_id)
        .one(&txn)
        .await?
        .map(|r| r.note)
        .unwrap_or_default();
    let entry = Entry::internal("reminder_done", actor.name.clone())
        .details(serde_json::json!({ "text": note }));
    record(&txn, case.id, entry).await?;
    let event = Event::new("case.reminder_done", "case").object(case.id);
    audit::record(&txn, actor, origin, event).await?;
    txn.commit().await?;
    Ok(true)
}

/// The reminders of a case: open ones by day first, then the done ones, latest first.
pub async fn of_case(conn: &impl ConnectionTrait, case_id: Uuid) -> Result<Vec<Reminder>> {
    let mut all: Vec<Reminder> = case_reminder::Entity::find()
        .filter(case_reminder::Column::CaseId.eq(case_id))
        .order_by_asc(case_reminder::Column::DueAt)
        .order_by_asc(case_reminder::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(Reminder::from)
        .collect();
    all.sort_by_key(|r| r.done.as_ref().map(|(at, _)| std::cmp::Reverse(*at)));
    Ok(all)
}

/// Narrows an inbox query to cases with an open reminder due by `now`.
pub fn due(query: Select<case::Entity>, now: DateTime<Utc>) -> Select<case::Entity> {
    let due = case_reminder::Entity::find()
        .select_only()
        .column(case_reminder::Column::CaseId)
        .filter(case_reminder::Column::DoneAt.is_null())
        .filter(case_reminder::Column::DueAt.lte(now))
        .into_query();
    query.filter(case::Column::Id.in_subquery(due))
}
