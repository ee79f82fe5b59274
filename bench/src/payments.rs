//! Payment completions and status checks against the sandbox payment service of a
//! running demo (`rathaus demo`), on its database.
//!
//! 1. Makes N paid transactions in the sandbox (create, then "pay" on its page) and N
//!    pending payments in Rathaus naming them.
//! 2. Completes all N at once, each twice in parallel — the return and the notification
//!    both end in `payments::check` — and counts: paid exactly N, no state changed
//!    twice (duplicates), none left open.
//! 3. Asks the sandbox about N open transactions with 32 at a time: checks per second.
//!
//! Usage: payments BASE_URL DATABASE_URL N
//! Prints: `completions N in X ms: paid P, still open O, duplicates D` and
//! `status checks N in X ms: R per second`.

use std::sync::Arc;
use std::time::Instant;

use chrono::Utc;
use rathaus_core::payments::xbezahldienste::{self as xb, Auth, Client, Item, PaymentRequest};
use rathaus_core::payments::{self, Provider};
use rathaus_store::Db;
use rathaus_store::entities::payment;
use rathaus_store::sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use tokio::sync::Semaphore;
use uuid::Uuid;

fn request(id: Uuid, base: &str) -> PaymentRequest {
    PaymentRequest {
        request_id: id.to_string(),
        request_timestamp: Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        currency: "EUR".into(),
        gros_amount: xb::euros(3000),
        purpose: "Bewohnerparkausweis".into(),
        description: "Benchmark".into(),
        redirect_url: format!("{base}/bench/{id}"),
        items: vec![Item {
            id: "1".into(),
            reference: "bewohnerparkausweis".into(),
            description: "Bewohnerparkausweis".into(),
            tax_rate: 0.0,
            quantity: 1,
            single_net_amount: xb::euros(3000),
            single_tax_amount: 0.0,
            total_net_amount: xb::euros(3000),
            total_tax_amount: 0.0,
            booking_data: Default::default(),
        }],
    }
}

/// N pending payments in Rathaus, each naming a new sandbox transaction; with `pay`,
/// the transaction is paid on the sandbox's page.
async fn prepare(
    db: &Db,
    provider: &Provider,
    base: &str,
    tenant: Uuid,
    n: usize,
    pay: bool,
) -> Vec<payment::Model> {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a client");
    let mut made = Vec::with_capacity(n);
    for _ in 0..n {
        let id = Uuid::now_v7();
        let created = provider
            .client
            .create(&request(id, base))
            .await
            .expect("the sandbox creates");
        let transaction = created.payment_information.transaction_id;
        if pay {
            let page = format!("{base}/sandbox/bezahlen/{transaction}");
            let paid = http
                .post(&page)
                .form(&[("ergebnis", "bezahlen")])
                .send()
                .await
                .expect("the sandbox pays");
            assert_eq!(paid.status(), 303);
        }
        let now = Utc::now();
        let row = payment::ActiveModel {
            id: Set(id),
            tenant_id: Set(tenant),
            draft_id: Set(Uuid::now_v7()),
            submission_id: Set(None),
            owner: Set("bench".into()),
            service_key: Set("bewohnerparkausweis".into()),
            purpose: Set("Bewohnerparkausweis".into()),
            description: Set("Benchmark".into()),
            amount_cents: Set(3000),
            currency: Set("EUR".into()),
            items: Set("[]".into()),
            provider: Set(provider.name.clone()),
            request_id: Set(id),
            transaction_id: Set(Some(transaction)),
            pay_url: Set(None),
            reference: Set(None),
            method: Set(None),
            state: Set("pending".into()),
            problem: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            paid_at: Set(None),
            checked_at: Set(None),
            fee_notice_id: Set(None),
            sending: Set(None),
        };
        made.push(row.insert(db.conn()).await.expect("a payment row"));
    }
    made
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(base), Some(url), Some(n)) = (
        args.first(),
        args.get(1),
        args.get(2).and_then(|n| n.parse::<usize>().ok()),
    ) else {
        eprintln!("usage: payments BASE_URL DATABASE_URL N");
        std::process::exit(2);
    };
    let base = base.trim_end_matches('/');
    let db = Db::connect(url).await.expect("the demo's database");
    let tenant = rathaus_core::tenants::by_slug(db.conn(), rathaus_core::demo::DEMO_SLUG)
        .await
        .expect("read the tenant")
        .expect("the demo tenant");
    let provider = Provider {
        name: "sandbox".into(),
        client: Client::new(
            &format!("{base}/sandbox/xbezahldienste"),
            "rathaus",
            "rathaus",
            Auth::None,
        ),
    };

    // Completions: every payment completed twice at once.
    let paid = prepare(&db, &provider, base, tenant.id, n, true).await;
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(2 * n);
    for payment in paid.iter().cloned().map(Arc::new) {
        for _ in 0..2 {
            let (db, provider, payment) = (db.clone(), provider.clone(), payment.clone());
            tasks.push(tokio::spawn(async move {
                payments::check(&db, &provider, &payment).await
            }));
        }
    }
    let (mut errors, mut recorded) = (0, 0);
    for task in tasks {
        match task.await {
            Ok(Ok(Ok(checked))) => recorded += usize::from(checked.recorded),
            _ => errors += 1,
        }
    }
    let took = started.elapsed();
    let ids: Vec<Uuid> = paid.iter().map(|p| p.id).collect();
    let after = payment::Entity::find()
        .filter(payment::Column::Id.is_in(ids))
        .all(db.conn())
        .await
        .expect("read back");
    let done = after.iter().filter(|p| p.state == "paid").count();
    let open = after.iter().filter(|p| p.state == "pending").count();
    // Each payment's state changes once; a second change would be a second booking.
    let duplicates = recorded.saturating_sub(done);
    println!(
        "completions {n} in {:.0} ms: paid {done}, still open {open}, duplicates {duplicates}, errors {errors}",
        took.as_secs_f64() * 1000.0
    );

    // Status checks: open transactions, 32 questions at a time.
    let waiting = prepare(&db, &provider, base, tenant.id, n, false).await;
    let gate = Arc::new(Semaphore::new(32));
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(n);
    for payment in waiting {
        let (db, provider, gate) = (db.clone(), provider.clone(), gate.clone());
        tasks.push(tokio::spawn(async move {
            let _turn = gate.acquire().await.expect("open gate");
            payments::check(&db, &provider, &payment).await
        }));
    }
    let mut failed = 0;
    for task in tasks {
        if !matches!(task.await, Ok(Ok(Ok(_)))) {
            failed += 1;
        }
    }
    let took = started.elapsed().as_secs_f64();
    println!(
        "status checks {n} in {:.0} ms: {:.0} per second, failed {failed}",
        took * 1000.0,
        n as f64 / took
    );
}
