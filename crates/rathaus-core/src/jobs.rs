//! Running background jobs. The queue itself (tables, claiming) is in
//! `rathaus_store::jobs`; this module holds the handlers and the worker loop.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::Duration;
use rathaus_store::jobs::{self, ClaimedJob, JobState};
use rathaus_store::{BlobStore, Db};
use tokio::sync::{Notify, watch};
use tracing::{info, warn};

pub use rathaus_store::jobs::NewJob;

use rathaus_store::entities::job;
use uuid::Uuid;

use crate::actor::{Actor, Origin};
use crate::audit::{self, Event};
use crate::policy::{self, Permission};

/// What an admin sees of a tenant's job queue.
pub struct Overview {
    /// (state, number of jobs) for queued, running, done and dead.
    pub counts: Vec<(&'static str, i64)>,
    pub dead: Vec<job::Model>,
}

/// The tenant's queue: counts by state and the dead jobs (newest first).
pub async fn overview(db: &Db, actor: &Actor, tenant_id: Uuid) -> crate::error::Result<Overview> {
    policy::require(actor, tenant_id, Permission::ManageJobs)?;
    let counts = jobs::counts_in_tenant(db.conn(), Some(tenant_id)).await?;
    let counts = [
        JobState::Queued,
        JobState::Running,
        JobState::Done,
        JobState::Dead,
    ]
    .into_iter()
    .map(|state| {
        let n = counts
            .iter()
            .find(|(s, _)| s == state.as_str())
            .map_or(0, |(_, n)| *n);
        (state.as_str(), n)
    })
    .collect();
    let dead = jobs::list_in_tenant(db.conn(), Some(tenant_id), JobState::Dead, 200).await?;
    Ok(Overview { counts, dead })
}

/// Gives a dead job of the tenant a fresh set of tries (audited). False when the job
/// is not dead (anymore) or not the tenant's.
pub async fn requeue(
    db: &Db,
    actor: &Actor,
    origin: &Origin,
    tenant_id: Uuid,
    job_id: Uuid,
) -> crate::error::Result<bool> {
    policy::require(actor, tenant_id, Permission::ManageJobs)?;
    let txn = db.begin_write().await?;
    let requeued = jobs::requeue_dead(&txn, Some(tenant_id), job_id).await?;
    if requeued {
        audit::record(
            &txn,
            actor,
            origin,
            Event::new("job.requeue", "job").object(job_id),
        )
        .await?;
    }
    txn.commit().await?;
    Ok(requeued)
}

/// The outcome of a failed run; the message is kept on the job for admins.
#[derive(Debug)]
pub struct JobFailure(pub String);

impl<E: std::fmt::Display> From<E> for JobFailure {
    fn from(e: E) -> Self {
        Self(e.to_string())
    }
}

/// The id a job's payload names under `key` (`{"item": "…uuid…"}`).
pub fn id_in_payload(job: &ClaimedJob, key: &str) -> Result<Uuid, JobFailure> {
    job.payload
        .get(key)
        .and_then(|v| v.as_str())
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| JobFailure(format!("payload without a {key} id")))
}

/// Does one kind of job. Handlers must be idempotent: after a crash a job runs again,
/// so an effect must be keyed (e.g. by the job id) or checked before it is repeated.
#[async_trait::async_trait]
pub trait JobHandler: Send + Sync {
    async fn run(&self, db: &Db, job: &ClaimedJob) -> Result<(), JobFailure>;
}

/// Which handler runs which kind of job.
#[derive(Clone, Default)]
pub struct Registry {
    handlers: HashMap<String, Arc<dyn JobHandler>>,
    /// The housekeeping a worker also runs by itself every hour.
    cleanup: Option<Arc<Cleanup>>,
}

impl Registry {
    pub fn with(mut self, kind: &str, handler: impl JobHandler + 'static) -> Self {
        self.handlers.insert(kind.to_owned(), Arc::new(handler));
        self
    }

    /// The handlers every installation has.
    pub fn standard(
        mail: crate::mail::MailConfig,
        blobs: BlobStore,
        sealer: crate::secrets::Sealer,
        letters: rathaus_letters::Renderer,
        payments: Option<crate::payments::Provider>,
    ) -> crate::error::Result<Self> {
        let receipts = crate::letters::receipts::IssueReceipt {
            renderer: letters.clone(),
            blobs: blobs.clone(),
            sealer: sealer.clone(),
        };
        let mut cleanup = Cleanup::new(blobs, sealer, letters);
        cleanup.payments = payments;
        let cleanup = Arc::new(cleanup);
        let mut registry = Self::default()
            .with(CLEANUP, Cleanup::clone(&cleanup))
            .with(crate::letters::receipts::ISSUE_RECEIPT, receipts)
            .with(crate::mail::SEND_MAIL, crate::mail::SendMail::new(mail)?)
            .with(
                crate::mailroom::paper::RECOGNISE,
                crate::mailroom::paper::Recognise::new(
                    cleanup.blobs.clone(),
                    crate::mailroom::ocr::OcrConfig::from_env(),
                ),
            )
            .with(
                crate::documents::text::EXTRACT_TEXT,
                crate::documents::text::ExtractText {
                    blobs: cleanup.blobs.clone(),
                    ocr: crate::mailroom::ocr::OcrConfig::from_env(),
                },
            );
        let forms = crate::forms::Forms::load().map_err(|mistakes| {
            crate::error::CoreError::Invalid(format!("built-in forms: {mistakes:?}"))
        })?;
        registry = registry.with(
            crate::payments::release::RELEASE,
            crate::payments::release::Release { forms },
        );
        registry.cleanup = Some(cleanup);
        Ok(registry)
    }
}

/// Housekeeping: finished jobs after a week, ended sessions, failed logins that no
/// longer count, expired drafts and the files only they used; the morning's print batch
/// of paper letters; fresh statistics for the
/// database's query planner. Every worker runs it
/// hourly; it can also be queued as a job.
pub const CLEANUP: &str = "maintenance.cleanup";

#[derive(Clone)]
pub struct Cleanup {
    blobs: BlobStore,
    /// Opens the tenants' signing keys for the daily evidence.
    sealer: crate::secrets::Sealer,
    /// Lays out the morning's print batch.
    letters: rathaus_letters::Renderer,
    /// Asks about payments left open.
    payments: Option<crate::payments::Provider>,
}

#[async_trait::async_trait]
impl JobHandler for Cleanup {
    async fn run(&self, db: &Db, _job: &ClaimedJob) -> Result<(), JobFailure> {
        self.run_now(db).await
    }
}

impl Cleanup {
    pub fn new(
        blobs: BlobStore,
        sealer: crate::secrets::Sealer,
        letters: rathaus_letters::Renderer,
    ) -> Self {
        Self {
            blobs,
            sealer,
            letters,
            payments: None,
        }
    }

    pub async fn run_now(&self, db: &Db) -> Result<(), JobFailure> {
        let jobs = jobs::purge_done(db.conn(), Duration::days(7)).await?;
        let sessions = crate::sessions::purge_expired(db.conn()).await?;
        let app_tokens = crate::app_access::purge_expired(db.conn()).await?;
        let failures = crate::login_guard::purge_old(db).await?;
        let drafts = crate::drafts::purge_expired(db, &self.blobs).await?;
        let print_batches =
            crate::letters::print::collect_daily(db, &self.blobs, &self.letters).await?;
        let keep_from = crate::time::local_day(chrono::Utc::now())
            - Duration::days(crate::letters::print::KEEP_POSTED_DAYS);
        let print_batches_deleted =
            crate::letters::print::purge_posted(db, &self.blobs, keep_from).await?;
        let evidence_days =
            crate::documents::evidence::seal_due(db, &self.blobs, &self.sealer).await?;
        let retention_deleted = crate::retention::run(db, &self.blobs, chrono::Utc::now()).await?;
        let payments_checked = match &self.payments {
            Some(provider) => crate::payments::check_open(db, provider, chrono::Utc::now()).await?,
            None => 0,
        };
        db.refresh_statistics().await?;
        info!(
            jobs,
            sessions,
            app_tokens,
            failures,
            drafts,
            print_batches,
            print_batches_deleted,
            evidence_days,
            retention_deleted,
            payments_checked,
            "cleanup done"
        );
        Ok(())
    }
}

#[derive(Clone, Debug)]
pub struct WorkerConfig {
    /// Shown on claimed jobs (`locked_by`): host and process id.
    pub name: String,
    pub batch: u32,
    /// How long a claimed job belongs to this worker before others may take it.
    pub lease: Duration,
    /// How long to sleep when there is nothing to do (unless woken).
    pub idle_poll: StdDuration,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        Self {
            name: format!(
                "{}:{}",
                std::env::var("HOSTNAME").unwrap_or_else(|_| "rathaus".into()),
                std::process::id()
            ),
            batch: 100,
            lease: Duration::minutes(5),
            idle_poll: StdDuration::from_millis(500),
        }
    }
}

const CLEANUP_INTERVAL: StdDuration = StdDuration::from_secs(3600);

/// Claims and runs jobs until `shutdown` turns true. `wake` lets code in the same
/// process signal new work without waiting for the next poll.
pub struct Worker {
    db: Db,
    registry: Registry,
    config: WorkerConfig,
    wake: Arc<Notify>,
}

impl Worker {
    pub fn new(db: Db, registry: Registry, config: WorkerConfig) -> Self {
        Self {
            db,
            registry,
            config,
            wake: Arc::new(Notify::new()),
        }
    }

    pub fn waker(&self) -> Arc<Notify> {
        self.wake.clone()
    }

    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        info!(worker = %self.config.name, "job worker started");
        let mut next_cleanup = tokio::time::Instant::now();
        while !*shutdown.borrow() {
            if tokio::time::Instant::now() >= next_cleanup {
                if let Some(cleanup) = &self.registry.cleanup
                    && let Err(JobFailure(e)) = cleanup.run_now(&self.db).await
                {
                    warn!(error = %e, "cleanup failed; trying again in an hour");
                }
                next_cleanup += CLEANUP_INTERVAL;
            }
            let ran = match self.run_batch().await {
                Ok(n) => n,
                Err(e) => {
                    warn!(error = %e, "job worker could not claim jobs; retrying");
                    0
                }
            };
            if ran == 0 {
                tokio::select! {
                    _ = shutdown.changed() => {}
                    _ = self.wake.notified() => {}
                    _ = tokio::time::sleep(self.config.idle_poll) => {}
                }
            }
        }
        info!(worker = %self.config.name, "job worker stopped");
    }

    /// Claims one batch and runs it; returns how many jobs were claimed.
    pub async fn run_batch(&self) -> rathaus_store::error::Result<usize> {
        let conn = self.db.conn();
        let claimed = jobs::claim(
            conn,
            &self.config.name,
            self.config.batch,
            self.config.lease,
        )
        .await?;
        let mut done = Vec::with_capacity(claimed.len());
        for job in &claimed {
            let outcome = match self.registry.handlers.get(&job.kind) {
                Some(handler) => handler.run(&self.db, job).await,
                None => Err(JobFailure(format!(
                    "no handler for job kind '{}'",
                    job.kind
                ))),
            };
            match outcome {
                Ok(()) => done.push(job.id),
                Err(JobFailure(message)) => {
                    let state = jobs::fail(conn, &self.config.name, job, &message).await?;
                    if state == JobState::Dead {
                        warn!(job = %job.id, kind = %job.kind, error = %message, "job is dead after {} attempts", job.attempt);
                    } else {
                        info!(job = %job.id, kind = %job.kind, error = %message, "job failed; will retry");
                    }
                }
            }
        }
        jobs::complete(conn, &self.config.name, &done).await?;
        Ok(claimed.len())
    }
}
