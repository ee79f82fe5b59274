//! Job queue throughput: N no-op jobs through enqueue → claim → done, with the worker's
//! real settings (batch of 100, one claim and one completion statement per batch).
//!
//! Usage: jobs-throughput DATABASE_URL [JOBS] [WORKERS]
//! The database must be empty or disposable: the bench migrates it and leaves its jobs.

use std::time::Instant;

use rathaus_core::jobs::{JobFailure, JobHandler, NewJob, Registry, Worker, WorkerConfig};
use rathaus_store::Db;
use rathaus_store::jobs::{self, ClaimedJob, JobState};

struct Noop;

#[async_trait::async_trait]
impl JobHandler for Noop {
    async fn run(&self, _db: &Db, _job: &ClaimedJob) -> Result<(), JobFailure> {
        Ok(())
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let url = args
        .next()
        .ok_or("usage: jobs-throughput DATABASE_URL [JOBS] [WORKERS]")?;
    let total: usize = args
        .next()
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(50_000);
    let workers: usize = args.next().map(|s| s.parse()).transpose()?.unwrap_or(2);
    let db = Db::connect(&url).await?;
    db.migrate().await?;
    let done_before = jobs::count_in_state(db.conn(), JobState::Done).await?;

    let started = Instant::now();
    // Enqueue as an application does: in transactions, here of 500 jobs each.
    let producer = {
        let db = db.clone();
        tokio::spawn(async move {
            for chunk_start in (0..total).step_by(500) {
                let n = 500.min(total - chunk_start);
                let batch = (0..n)
                    .map(|i| NewJob::new("bench.noop", serde_json::json!({ "i": chunk_start + i })))
                    .collect();
                let txn = db.begin_write().await?;
                jobs::enqueue(&txn, batch).await?;
                txn.commit().await?;
            }
            Ok::<_, rathaus_store::StoreError>(())
        })
    };
    let consumers: Vec<_> = (0..workers)
        .map(|w| {
            let worker = Worker::new(
                db.clone(),
                Registry::default().with("bench.noop", Noop),
                WorkerConfig {
                    name: format!("bench-{w}"),
                    ..WorkerConfig::default()
                },
            );
            let db = db.clone();
            tokio::spawn(async move {
                loop {
                    if worker.run_batch().await? == 0 {
                        let done = jobs::count_in_state(db.conn(), JobState::Done).await? as usize;
                        if done >= done_before as usize + total {
                            return Ok::<_, rathaus_store::StoreError>(());
                        }
                        tokio::task::yield_now().await;
                    }
                }
            })
        })
        .collect();
    producer.await??;
    let enqueued_after = started.elapsed();
    for c in consumers {
        c.await??;
    }
    let elapsed = started.elapsed();
    println!(
        "{} jobs, {} workers, {}: enqueued in {:.2} s, all done in {:.2} s = {:.0} jobs/s end to end",
        total,
        workers,
        db.backend().name(),
        enqueued_after.as_secs_f64(),
        elapsed.as_secs_f64(),
        total as f64 / elapsed.as_secs_f64()
    );
    Ok(())
}
