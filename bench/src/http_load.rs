//! An open-model load generator: requests start at a fixed rate whatever the server's
//! answers take (unlike wrk, whose connections wait for each answer), so that the
//! latency at a given load is measured honestly. GET only; the URLs are used in turn.
//!
//! Usage: http-load RATE SECONDS URL [URL …]
//! Prints: sent, failed, p50, p99 and max latency in ms.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Mutex;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(rate), Some(seconds)) = (
        args.first().and_then(|a| a.parse::<u64>().ok()),
        args.get(1).and_then(|a| a.parse::<u64>().ok()),
    ) else {
        eprintln!("usage: http-load RATE SECONDS URL [URL …]");
        std::process::exit(2);
    };
    let urls: Arc<Vec<String>> = Arc::new(args[2..].to_vec());
    assert!(!urls.is_empty(), "at least one URL");
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .build()
        .expect("a client");
    let latencies = Arc::new(Mutex::new(Vec::new()));
    let failed = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let mut ticker = tokio::time::interval(Duration::from_micros(1_000_000 / rate));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let total = rate * seconds;
    let mut tasks = Vec::with_capacity(total as usize);
    for n in 0..total {
        ticker.tick().await;
        let url = urls[n as usize % urls.len()].clone();
        let (client, latencies, failed) = (client.clone(), latencies.clone(), failed.clone());
        tasks.push(tokio::spawn(async move {
            let start = Instant::now();
            let ok = match client.get(&url).send().await {
                Ok(response) => response.status().is_success() && response.bytes().await.is_ok(),
                Err(_) => false,
            };
            let ms = start.elapsed().as_secs_f64() * 1000.0;
            if ok {
                latencies.lock().await.push(ms);
            } else {
                failed.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
        }));
    }
    for task in tasks {
        let _ = task.await;
    }
    let mut all = latencies.lock().await.clone();
    all.sort_by(f64::total_cmp);
    println!(
        "sent {total} at {rate}/s, failed {}, p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        failed.load(std::sync::atomic::Ordering::Relaxed),
        percentile(&all, 0.5),
        percentile(&all, 0.99),
        percentile(&all, 1.0)
    );
}
