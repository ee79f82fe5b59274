use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

use chrono::{Duration, Utc};
use rathaus_core::jobs::{JobFailure, JobHandler, NewJob, Registry, Worker, WorkerConfig};
use rathaus_store::Db;
use rathaus_store::jobs::{self, ClaimedJob, JobState};
use rathaus_store::sea_orm::{ConnectionTrait, Statement, TransactionTrait};
use serde_json::json;

use crate::harness::TestDb;
use crate::on_both_backends;

fn worker_config(name: &str, lease_ms: i64) -> WorkerConfig {
    WorkerConfig {
        name: name.into(),
        batch: 50,
        lease: Duration::milliseconds(lease_ms),
        idle_poll: StdDuration::from_millis(20),
    }
}

/// Writes one row per job id (idempotent), counts how often it ran, and can hang
/// after writing, like a process killed in the middle of a job.
#[derive(Clone, Default)]
struct Effect {
    runs: Arc<AtomicUsize>,
    hang: bool,
    started: Arc<tokio::sync::Notify>,
}

#[async_trait::async_trait]
impl JobHandler for Effect {
    async fn run(&self, db: &Db, job: &ClaimedJob) -> Result<(), JobFailure> {
        self.runs.fetch_add(1, Ordering::SeqCst);
        let backend = db.conn().get_database_backend();
        let sql = match backend {
            rathaus_store::sea_orm::DbBackend::Postgres => {
                "INSERT INTO test_effects (job_id) VALUES ($1) ON CONFLICT DO NOTHING"
            }
            _ => "INSERT INTO test_effects (job_id) VALUES (?) ON CONFLICT DO NOTHING",
        };
        db.conn()
            .execute_raw(Statement::from_sql_and_values(
                backend,
                sql,
                [job.id.to_string().into()],
            ))
            .await?;
        if self.hang {
            self.started.notify_one();
            std::future::pending::<()>().await;
        }
        Ok(())
    }
}

async fn effect_table(db: &Db) {
    db.conn()
        .execute_unprepared("CREATE TABLE test_effects (job_id VARCHAR(64) PRIMARY KEY)")
        .await
        .unwrap();
}

async fn effect_count(db: &Db) -> i64 {
    let row = db
        .conn()
        .query_one_raw(Statement::from_string(
            db.conn().get_database_backend(),
            "SELECT COUNT(*) AS n FROM test_effects",
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<i64>("", "n").unwrap()
}

on_both_backends!(
    jobs_exist_only_when_their_transaction_commits,
    |backend| async move {
        let (test_db, db) = TestDb::migrated(backend).await;
        for (commit, expected) in [(false, 0), (true, 1)] {
            let txn = db.conn().begin().await.unwrap();
            let job = NewJob::new("mail.send", json!({"to": "a@example.org"}));
            jobs::enqueue(&txn, vec![job]).await.unwrap();
            if commit {
                txn.commit().await.unwrap();
            } else {
                txn.rollback().await.unwrap();
            }
            let queued = jobs::count_in_state(db.conn(), JobState::Queued)
                .await
                .unwrap();
            assert_eq!(queued, expected, "committed: {commit}");
        }
        test_db.drop_now().await;
    }
);

on_both_backends!(
    a_killed_worker_job_runs_again_with_one_effect,
    |backend| async move {
        let (test_db, db) = TestDb::migrated(backend).await;
        effect_table(&db).await;
        let ids = jobs::enqueue(db.conn(), vec![NewJob::new("effect", json!({}))])
            .await
            .unwrap();

        let hanging = Effect {
            hang: true,
            ..Effect::default()
        };
        let runs = hanging.runs.clone();
        let started = hanging.started.clone();
        let (_stop_a, stop_rx) = tokio::sync::watch::channel(false);
        let worker_a = Worker::new(
            db.clone(),
            Registry::default().with("effect", hanging),
            worker_config("a", 300),
        );
        let task_a = tokio::spawn(worker_a.run(stop_rx));
        started.notified().await;
        task_a.abort(); // the process dies in the middle of the job
        let _ = task_a.await;
        assert_eq!(
            jobs::count_in_state(db.conn(), JobState::Running)
                .await
                .unwrap(),
            1
        );

        // Another worker takes it over once the lease has run out.
        let healthy = Effect {
            runs: runs.clone(),
            ..Effect::default()
        };
        let worker_b = Worker::new(
            db.clone(),
            Registry::default().with("effect", healthy),
            worker_config("b", 300),
        );
        assert_eq!(
            worker_b.run_batch().await.unwrap(),
            0,
            "the lease still protects the job"
        );
        tokio::time::sleep(StdDuration::from_millis(400)).await;
        assert_eq!(worker_b.run_batch().await.unwrap(), 1);

        assert_eq!(runs.load(Ordering::SeqCst), 2, "the job ran again");
        assert_eq!(effect_count(&db).await, 1, "exactly one effect");
        let done = jobs::list(db.conn(), JobState::Done, 10).await.unwrap();
        assert_eq!(done.iter().map(|j| j.id).collect::<Vec<_>>(), ids);
        assert_eq!(done[0].attempts, 2);
        test_db.drop_now().await;
    }
);

on_both_backends!(
    concurrent_workers_never_run_a_job_twice,
    |backend| async move {
        let (test_db, db) = TestDb::migrated(backend).await;
        let jobs_in: Vec<NewJob> = (0..300)
            .map(|i| NewJob::new("count", json!({ "i": i })))
            .collect();
        jobs::enqueue(db.conn(), jobs_in).await.unwrap();

        #[derive(Clone, Default)]
        struct Count(Arc<Mutex<HashMap<uuid::Uuid, usize>>>);
        #[async_trait::async_trait]
        impl JobHandler for Count {
            async fn run(&self, _db: &Db, job: &ClaimedJob) -> Result<(), JobFailure> {
                *self.0.lock().unwrap().entry(job.id).or_default() += 1;
                tokio::task::yield_now().await;
                Ok(())
            }
        }
        let seen = Count::default();
        let mut tasks = Vec::new();
        for w in 0..3 {
            let worker = Worker::new(
                db.clone(),
                Registry::default().with("count", seen.clone()),
                worker_config(&format!("w{w}"), 60_000),
            );
            tasks.push(tokio::spawn(async move {
                while worker.run_batch().await.unwrap() > 0 {}
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        let runs_per_job: Vec<usize> = seen.0.lock().unwrap().values().copied().collect();
        assert_eq!(runs_per_job.len(), 300);
        assert!(
            runs_per_job.iter().all(|&n| n == 1),
            "every job ran exactly once"
        );
        assert_eq!(
            jobs::count_in_state(db.conn(), JobState::Done)
                .await
                .unwrap(),
            300
        );
        test_db.drop_now().await;
    }
);

on_both_backends!(
    failing_jobs_back_off_then_die_and_can_be_requeued,
    |backend| async move {
        let (test_db, db) = TestDb::migrated(backend).await;
        struct Fails;
        #[async_trait::async_trait]
        impl JobHandler for Fails {
            async fn run(&self, _db: &Db, _job: &ClaimedJob) -> Result<(), JobFailure> {
                Err(JobFailure("SMTP server said 451".into()))
            }
        }
        let id = jobs::enqueue(
            db.conn(),
            vec![NewJob::new("fails", json!({})).max_attempts(2)],
        )
        .await
        .unwrap()[0];
        let worker = Worker::new(
            db.clone(),
            Registry::default().with("fails", Fails),
            worker_config("w", 60_000),
        );

        assert_eq!(worker.run_batch().await.unwrap(), 1);
        let queued = jobs::list(db.conn(), JobState::Queued, 10).await.unwrap();
        assert_eq!(queued.len(), 1, "back in the queue after the first failure");
        assert!(queued[0].run_at > Utc::now(), "with a backoff");
        assert_eq!(
            queued[0].last_error.as_deref(),
            Some("SMTP server said 451")
        );
        assert_eq!(worker.run_batch().await.unwrap(), 0, "not due yet");

        // Let the backoff pass.
        db.conn()
            .execute_unprepared("UPDATE jobs SET run_at = created_at")
            .await
            .unwrap();
        assert_eq!(worker.run_batch().await.unwrap(), 1);
        let dead = jobs::list(db.conn(), JobState::Dead, 10).await.unwrap();
        assert_eq!(dead.len(), 1, "dead after its last attempt");
        assert_eq!(dead[0].attempts, 2);

        assert!(jobs::requeue_dead(db.conn(), None, id).await.unwrap());
        assert!(
            !jobs::requeue_dead(db.conn(), None, id).await.unwrap(),
            "only dead jobs are requeued"
        );
        assert_eq!(
            jobs::count_in_state(db.conn(), JobState::Queued)
                .await
                .unwrap(),
            1
        );
        test_db.drop_now().await;
    }
);

on_both_backends!(a_job_without_handler_fails_visibly, |backend| async move {
    let (test_db, db) = TestDb::migrated(backend).await;
    jobs::enqueue(
        db.conn(),
        vec![NewJob::new("nobody.handles.this", json!({})).max_attempts(1)],
    )
    .await
    .unwrap();
    let worker = Worker::new(db.clone(), Registry::default(), worker_config("w", 60_000));
    worker.run_batch().await.unwrap();
    let dead = jobs::list(db.conn(), JobState::Dead, 10).await.unwrap();
    assert!(
        dead[0]
            .last_error
            .as_deref()
            .unwrap()
            .contains("no handler")
    );
    test_db.drop_now().await;
});

#[test]
fn backoff_grows_exponentially_and_is_capped() {
    assert_eq!(jobs::backoff(1), Duration::seconds(2));
    assert_eq!(jobs::backoff(3), Duration::seconds(8));
    assert_eq!(jobs::backoff(30), Duration::seconds(3600));
}
