//! The job queue (transactional outbox).
//!
//! A job is written with [`enqueue`] on the same connection or transaction as the
//! change that causes it, so it exists exactly when the change was committed. Workers
//! [`claim`] due jobs in batches with a lease; a worker that dies simply lets its
//! lease run out and the job becomes due again. Failed jobs are retried with
//! exponential backoff and are marked `dead` after `max_attempts` tries; admins see
//! them and can requeue them.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, Func};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use uuid::Uuid;

use crate::dialect::claim_jobs_statement;
use crate::entities::job;
use crate::error::Result;

pub const DEFAULT_MAX_ATTEMPTS: i32 = 8;

/// What to run. `kind` names the handler (e.g. `mail.send`); `payload` is its input.
#[derive(Clone, Debug)]
pub struct NewJob {
    pub tenant_id: Option<Uuid>,
    pub kind: String,
    pub payload: serde_json::Value,
    pub run_at: Option<DateTime<Utc>>,
    pub max_attempts: i32,
}

impl NewJob {
    pub fn new(kind: impl Into<String>, payload: serde_json::Value) -> Self {
        Self {
            tenant_id: None,
            kind: kind.into(),
            payload,
            run_at: None,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
        }
    }

    pub fn for_tenant(mut self, tenant_id: Uuid) -> Self {
        self.tenant_id = Some(tenant_id);
        self
    }

    pub fn at(mut self, run_at: DateTime<Utc>) -> Self {
        self.run_at = Some(run_at);
        self
    }

    pub fn max_attempts(mut self, n: i32) -> Self {
        self.max_attempts = n.max(1);
        self
    }
}

/// A job handed to one worker until its lease ends.
#[derive(Clone, Debug)]
pub struct ClaimedJob {
    pub id: Uuid,
    pub tenant_id: Option<Uuid>,
    pub kind: String,
    pub payload: serde_json::Value,
    /// Counting this run (1 on the first try).
    pub attempt: i32,
    pub max_attempts: i32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobState {
    Queued,
    Running,
    Done,
    Dead,
}

impl JobState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Done => "done",
            Self::Dead => "dead",
        }
    }
}

/// Adds jobs; call it inside the transaction of the change that causes them.
pub async fn enqueue(conn: &impl ConnectionTrait, jobs: Vec<NewJob>) -> Result<Vec<Uuid>> {
    if jobs.is_empty() {
        return Ok(Vec::new());
    }
    let now = Utc::now();
    let mut ids = Vec::with_capacity(jobs.len());
    let models = jobs.into_iter().map(|j| {
        let id = Uuid::now_v7();
        ids.push(id);
        job::ActiveModel {
            id: Set(id),
            tenant_id: Set(j.tenant_id),
            kind: Set(j.kind),
            payload: Set(j.payload),
            state: Set(JobState::Queued.as_str().to_owned()),
            attempts: Set(0),
            max_attempts: Set(j.max_attempts),
            run_at: Set(j.run_at.unwrap_or(now)),
            locked_until: Set(None),
            locked_by: Set(None),
            last_error: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        }
    });
    // Chunks keep each INSERT below SQLite's limit of bound parameters.
    let models: Vec<_> = models.collect();
    for chunk in models.chunks(500) {
        job::Entity::insert_many(chunk.to_vec()).exec(conn).await?;
    }
    Ok(ids)
}

/// Claims up to `limit` due jobs for `worker`, each for `lease`.
pub async fn claim(
    conn: &impl ConnectionTrait,
    worker: &str,
    limit: u32,
    lease: Duration,
) -> Result<Vec<ClaimedJob>> {
    let now = Utc::now();
    let statement = claim_jobs_statement(
        conn.get_database_backend(),
        now.into(),
        (now + lease).into(),
        worker.into(),
        i64::from(limit),
    );
    let rows = conn.query_all_raw(statement).await?;
    let mut claimed = rows
        .iter()
        .map(|row| {
            Ok(ClaimedJob {
                id: row.try_get("", "id")?,
                tenant_id: row.try_get("", "tenant_id")?,
                kind: row.try_get("", "kind")?,
                payload: row.try_get("", "payload")?,
                attempt: row.try_get("", "attempts")?,
                max_attempts: row.try_get("", "max_attempts")?,
            })
        })
        .collect::<Result<Vec<_>, sea_orm::DbErr>>()?;
    // RETURNING gives no order guarantee; run the oldest first (ids are UUIDv7).
    claimed.sort_by_key(|j| j.id);
    Ok(claimed)
}

/// Marks jobs done, but only those this worker still holds: a worker that lost its
/// lease must not overwrite the state another worker set.
pub async fn complete(conn: &impl ConnectionTrait, worker: &str, ids: &[Uuid]) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    for chunk in ids.chunks(500) {
        job::Entity::update_many()
            .col_expr(job::Column::State, Expr::value(JobState::Done.as_str()))
            .col_expr(
                job::Column::LockedUntil,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .col_expr(job::Column::UpdatedAt, Expr::value(Utc::now()))
            .filter(job::Column::Id.is_in(chunk.iter().copied()))
            .filter(job::Column::LockedBy.eq(worker))
            .filter(job::Column::State.eq(JobState::Running.as_str()))
            .exec(conn)
            .await?;
    }
    Ok(())
}

/// Records a failed run: back to the queue after a backoff, or dead when the tries are
/// used up. Returns the new state.
pub async fn fail(
    conn: &impl ConnectionTrait,
    worker: &str,
    job: &ClaimedJob,
    error: &str,
) -> Result<JobState> {
    let now = Utc::now();
    let (state, run_at) = if job.attempt >= job.max_attempts {
        (JobState::Dead, now)
    } else {
        (JobState::Queued, now + backoff(job.attempt))
    };
    job::Entity::update_many()
        .col_expr(job::Column::State, Expr::value(state.as_str()))
        .col_expr(job::Column::RunAt, Expr::value(run_at))
        .col_expr(
            job::Column::LockedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(job::Column::LastError, Expr::value(truncate(error, 4000)))
        .col_expr(job::Column::UpdatedAt, Expr::value(now))
        .filter(job::Column::Id.eq(job.id))
        .filter(job::Column::LockedBy.eq(worker))
        .filter(job::Column::State.eq(JobState::Running.as_str()))
        .exec(conn)
        .await?;
    Ok(state)
}

/// 2^attempt seconds (2 s, 4 s, 8 s …), capped at one hour.
pub fn backoff(attempt: i32) -> Duration {
    let exponent = attempt.clamp(1, 12) as u32;
    Duration::seconds(i64::from(2u32.pow(exponent)).min(3600))
}

/// Puts a dead job of the tenant back into the queue with a fresh set of tries.
pub async fn requeue_dead(
    conn: &impl ConnectionTrait,
    tenant_id: Option<Uuid>,
    id: Uuid,
) -> Result<bool> {
    let result = job::Entity::update_many()
        .col_expr(job::Column::State, Expr::value(JobState::Queued.as_str()))
        .col_expr(job::Column::Attempts, Expr::value(0))
        .col_expr(job::Column::RunAt, Expr::value(Utc::now()))
        .col_expr(job::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(job::Column::Id.eq(id))
        .filter(tenant_filter(tenant_id))
        .filter(job::Column::State.eq(JobState::Dead.as_str()))
        .exec(conn)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Number of jobs in each state, for `/metrics` (all tenants).
pub async fn counts(conn: &impl ConnectionTrait) -> Result<Vec<(String, i64)>> {
    counts_where(conn, sea_orm::Condition::all()).await
}

/// Number of jobs in each state for one tenant (`None`: the installation's own jobs).
pub async fn counts_in_tenant(
    conn: &impl ConnectionTrait,
    tenant_id: Option<Uuid>,
) -> Result<Vec<(String, i64)>> {
    counts_where(
        conn,
        sea_orm::Condition::all().add(tenant_filter(tenant_id)),
    )
    .await
}

fn tenant_filter(tenant_id: Option<Uuid>) -> sea_orm::sea_query::SimpleExpr {
    match tenant_id {
        Some(id) => job::Column::TenantId.eq(id),
        None => job::Column::TenantId.is_null(),
    }
}

async fn counts_where(
    conn: &impl ConnectionTrait,
    condition: sea_orm::Condition,
) -> Result<Vec<(String, i64)>> {
    let rows: Vec<(String, i64)> = job::Entity::find()
        .filter(condition)
        .select_only()
        .column(job::Column::State)
        .column_as(Expr::expr(Func::count(Expr::col(job::Column::Id))), "n")
        .group_by(job::Column::State)
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows)
}

pub async fn list(
    conn: &impl ConnectionTrait,
    state: JobState,
    limit: u64,
) -> Result<Vec<job::Model>> {
    list_where(conn, sea_orm::Condition::all(), state, limit).await
}

/// Jobs of one tenant in one state, most recently changed first.
pub async fn list_in_tenant(
    conn: &impl ConnectionTrait,
    tenant_id: Option<Uuid>,
    state: JobState,
    limit: u64,
) -> Result<Vec<job::Model>> {
    list_where(
        conn,
        sea_orm::Condition::all().add(tenant_filter(tenant_id)),
        state,
        limit,
    )
    .await
}

async fn list_where(
    conn: &impl ConnectionTrait,
    condition: sea_orm::Condition,
    state: JobState,
    limit: u64,
) -> Result<Vec<job::Model>> {
    Ok(job::Entity::find()
        .filter(condition)
        .filter(job::Column::State.eq(state.as_str()))
        .order_by_desc(job::Column::UpdatedAt)
        .limit(limit)
        .all(conn)
        .await?)
}

pub async fn count_in_state(conn: &impl ConnectionTrait, state: JobState) -> Result<u64> {
    Ok(job::Entity::find()
        .filter(job::Column::State.eq(state.as_str()))
        .count(conn)
        .await?)
}

/// Deletes finished jobs older than `age`; dead jobs stay until an admin acts.
pub async fn purge_done(conn: &impl ConnectionTrait, age: Duration) -> Result<u64> {
    let result = job::Entity::delete_many()
        .filter(job::Column::State.eq(JobState::Done.as_str()))
        .filter(job::Column::UpdatedAt.lt(Utc::now() - age))
        .exec(conn)
        .await?;
    Ok(result.rows_affected)
}

fn truncate(text: &str, max_chars: usize) -> String {
    text.chars().take(max_chars).collect()
}
