//! Submissions per second: applications of five fields and one 200 KB attachment sent
//! through `submissions::send` as the web does it — one transaction with the
//! submission, its file, the case in the department the mailroom finds, the receipt in
//! the postbox and the audit entry, committed (SQLite in WAL mode, synchronous NORMAL;
//! PostgreSQL with its defaults).
//!
//! The drafts are filled in and their attachments uploaded (checked and stored) first;
//! that phase is timed too, since an application is not sent without it.
//!
//! Usage: submissions DATABASE_URL [SUBMISSIONS] [CONCURRENCY]
//! The database must be empty or disposable: the bench migrates it, seeds the demo town
//! and leaves its submissions.

use std::sync::Arc;
use std::time::Instant;

use chrono::Duration;
use rathaus_core::actor::{Actor, Origin};
use rathaus_core::catalog::Offered;
use rathaus_core::drafts::{self, NewDraft, Owner};
use rathaus_core::submissions::{self, Application};
use rathaus_core::trust::TrustLevel;
use rathaus_core::uploads::Accept;
use rathaus_forms::fill::{Address, Answer, Answers};
use rathaus_store::{BlobStore, Db};

const FORM: &str = r#"{ "id": "bench-antrag", "version": 1, "title": "Antrag", "steps": [
  { "id": "angaben", "title": "Angaben", "items": [
    { "field": { "id": "vorname", "kind": "text", "label": "Vorname", "required": true } },
    { "field": { "id": "nachname", "kind": "text", "label": "Nachname", "required": true } },
    { "field": { "id": "anschrift", "kind": "address", "label": "Anschrift", "required": true } },
    { "field": { "id": "kennzeichen", "kind": "registration_number", "label": "Kennzeichen", "required": true } },
    { "field": { "id": "nachweis", "kind": "file", "label": "Nachweis", "required": true,
                 "accept": ["application/pdf"], "max_bytes": 1048576 } }
  ] } ] }"#;

/// A PDF of about 200 KB (a comment pads it; every one differs, as real files do).
fn attachment(i: usize) -> Vec<u8> {
    let mut pdf = format!("%PDF-1.7\n% Nachweis {i}\n").into_bytes();
    let padding = format!("% {:0>98}\n", i);
    while pdf.len() < 200 * 1024 {
        pdf.extend_from_slice(padding.as_bytes());
    }
    pdf.extend_from_slice(
        b"1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n",
    );
    pdf
}

fn answers(i: usize) -> Answers {
    let mut answers = Answers::default();
    let text = |t: &str| Answer::Text(t.to_owned());
    answers.0.insert("vorname".into(), text("Erika"));
    answers
        .0
        .insert("nachname".into(), text(&format!("Mustermann {i}")));
    answers.0.insert(
        "anschrift".into(),
        Answer::Address(Address {
            street: "Heidestraße".into(),
            house_number: (i % 200 + 1).to_string(),
            postcode: "42651".into(),
            city: "Musterstadt".into(),
        }),
    );
    answers.0.insert("kennzeichen".into(), text("SG-AB 123"));
    answers
}

fn percentile(times: &mut [f64], p: f64) -> f64 {
    times.sort_by(f64::total_cmp);
    times[((times.len() as f64 - 1.0) * p).round() as usize]
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let url = args
        .next()
        .ok_or("usage: submissions DATABASE_URL [SUBMISSIONS] [CONCURRENCY]")?;
    let total: usize = args.next().map(|s| s.parse()).transpose()?.unwrap_or(2000);
    let concurrency: usize = args.next().map(|s| s.parse()).transpose()?.unwrap_or(8);
    let db = Db::connect(&url).await?;
    db.migrate().await?;
    let (tenant, _) = rathaus_core::demo::ensure_seeded(&db).await?;
    let blob_dir = tempfile::tempdir()?;
    let blobs = BlobStore::local(blob_dir.path())?;
    let offered = Offered::load(db.conn(), tenant.id).await?;
    let service = offered
        .service("bewohnerparkausweis")
        .ok_or("the demo offers the parking permit")?
        .clone();
    let form = rathaus_forms::definition::load(FORM).map_err(|m| format!("{m:?}"))?;
    let accept_types = vec!["application/pdf".to_owned()];
    let accept = Accept {
        media_types: &accept_types,
        max_bytes: 1024 * 1024,
    };
    let actor = Actor::anonymous(tenant.id);
    let origin = Origin::default();

    // Filling in: a draft each, its attachment checked and stored.
    let started = Instant::now();
    let mut prepared = Vec::with_capacity(total);
    for i in 0..total {
        let owner = Owner::Browser(drafts::new_browser_token());
        let new = NewDraft {
            tenant_id: tenant.id,
            service_key: &service.key,
            form: &form,
            owner: &owner,
            answers: answers(i),
        };
        let mut draft = drafts::create(&db, new, Duration::days(30), &actor, &origin).await?;
        let file = drafts::attach(
            &db,
            &blobs,
            &draft,
            "nachweis",
            "Nachweis.pdf",
            attachment(i).into(),
            &accept,
        )
        .await?
        .map_err(|p| format!("attachment refused: {p:?}"))?;
        draft.answers.0.insert(
            "nachweis".into(),
            Answer::Several(vec![file.id.to_string()]),
        );
        drafts::save(&db, &draft, Duration::days(30)).await?;
        prepared.push((draft, owner));
    }
    let filling = started.elapsed().as_secs_f64();

    // Sending, `concurrency` at a time.
    let shared = Arc::new((db, tenant, service, form, actor, origin));
    let queue = Arc::new(std::sync::Mutex::new(prepared));
    let started = Instant::now();
    let senders: Vec<_> = (0..concurrency)
        .map(|_| {
            let shared = shared.clone();
            let queue = queue.clone();
            tokio::spawn(async move {
                let (db, tenant, service, form, actor, origin) = &*shared;
                let mut latencies = Vec::new();
                loop {
                    let Some((draft, owner)) = queue.lock().expect("not poisoned").pop() else {
                        return Ok::<_, rathaus_core::error::CoreError>(latencies);
                    };
                    let one = Instant::now();
                    let application = Application {
                        draft: &draft,
                        owner: &owner,
                        service,
                        form,
                        applicant_name: "Erika Mustermann",
                        email: None,
                        trust: TrustLevel::Basis,
                        organisation_id: None,
                        status_url: "http://localhost/konto/antraege",
                        verify_page: "http://localhost/verify",
                    };
                    submissions::send(db, tenant, application, actor, origin).await?;
                    latencies.push(one.elapsed().as_secs_f64() * 1000.0);
                }
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for sender in senders {
        latencies.extend(sender.await??);
    }
    let sending = started.elapsed().as_secs_f64();
    let p50 = percentile(&mut latencies, 0.5);
    let p99 = percentile(&mut latencies, 0.99);
    println!(
        "{{\"submissions\": {total}, \"concurrency\": {concurrency}, \
         \"sent_per_s\": {:.0}, \"send_p50_ms\": {p50:.2}, \"send_p99_ms\": {p99:.2}, \
         \"filled_in_per_s\": {:.0}}}",
        total as f64 / sending,
        total as f64 / filling,
    );
    Ok(())
}
