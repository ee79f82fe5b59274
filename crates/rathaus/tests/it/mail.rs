//! Outgoing mail through the job queue to a real SMTP server.

use rathaus_core::secrets::Sealer;
use std::time::Duration;

use rathaus_core::jobs::{Registry, Worker, WorkerConfig};
use rathaus_core::mail::{self, Delivery, Mail, MailConfig};
use rathaus_store::jobs::{self as queue, JobState};
use rathaus_store::sea_orm::TransactionTrait;

use crate::harness::{SmtpServer, TestDb};
use crate::on_both_backends;

/// Mail needs no files; the cleanup beside it gets a store of its own.
fn blobs() -> rathaus_store::BlobStore {
    let dir = std::env::temp_dir().join(format!("rathaus-mail-test-{}", std::process::id()));
    rathaus_store::BlobStore::local(&dir).unwrap()
}

fn worker(db: &rathaus_store::Db, delivery: Delivery) -> Worker {
    let config = MailConfig {
        delivery,
        from: "Stadt Musterstadt <noreply@musterstadt.example>".into(),
    };
    Worker::new(
        db.clone(),
        Registry::standard(
            config,
            blobs(),
            Sealer::from_hex(&Sealer::new_key()).unwrap(),
            rathaus_letters::Renderer::new(),
            None,
        )
        .unwrap(),
        WorkerConfig {
            name: "mail-test".into(),
            idle_poll: Duration::from_millis(20),
            ..WorkerConfig::default()
        },
    )
}

fn mail(to: &str) -> Mail {
    Mail {
        to: to.into(),
        subject: "Ihr Antrag MS-2026-7K3QX ist eingegangen".into(),
        body: "Guten Tag,\n\nwir haben Ihren Antrag erhalten.\n".into(),
    }
}

on_both_backends!(queued_mail_reaches_the_smtp_server, |backend| async move {
    let (test_db, db) = TestDb::migrated(backend).await;
    let (tenant, _) = rathaus_core::demo::ensure_seeded(&db).await.unwrap();
    let smtp = SmtpServer::start().await;
    let txn = db.conn().begin().await.unwrap();
    let job = mail::enqueue(&txn, tenant.id, mail("erika@example.org"))
        .await
        .unwrap();
    txn.commit().await.unwrap();

    let worker = worker(&db, Delivery::Smtp { url: smtp.url() });
    assert_eq!(worker.run_batch().await.unwrap(), 1);
    let failed = queue::list(db.conn(), JobState::Queued, 1).await.unwrap();
    assert!(
        failed.is_empty(),
        "sending failed: {:?}",
        failed[0].last_error
    );
    let received = smtp.wait_for(1).await;
    let message = &received[0];
    assert!(message.contains("To: erika@example.org"), "{message}");
    assert!(message.contains("Subject: "), "{message}");
    assert!(
        message.contains(&format!("Message-ID: <{job}@musterstadt.example>")),
        "{message}"
    );
    assert_eq!(
        queue::count_in_state(db.conn(), JobState::Done)
            .await
            .unwrap(),
        1
    );
    test_db.drop_now().await;
});

on_both_backends!(
    an_unreachable_smtp_server_means_retry_not_loss,
    |backend| async move {
        let (test_db, db) = TestDb::migrated(backend).await;
        let (tenant, _) = rathaus_core::demo::ensure_seeded(&db).await.unwrap();
        mail::enqueue(db.conn(), tenant.id, mail("erika@example.org"))
            .await
            .unwrap();
        let closed = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let worker = worker(
            &db,
            Delivery::Smtp {
                url: format!("smtp://127.0.0.1:{closed}"),
            },
        );
        worker.run_batch().await.unwrap();
        let queued = queue::list(db.conn(), JobState::Queued, 10).await.unwrap();
        assert_eq!(queued.len(), 1, "the mail waits for the next try");
        assert!(queued[0].last_error.is_some());
        test_db.drop_now().await;
    }
);

on_both_backends!(
    without_smtp_mail_lands_in_the_outbox_folder,
    |backend| async move {
        let (test_db, db) = TestDb::migrated(backend).await;
        let (tenant, _) = rathaus_core::demo::ensure_seeded(&db).await.unwrap();
        let job = mail::enqueue(db.conn(), tenant.id, mail("erika@example.org"))
            .await
            .unwrap();
        let folder = test_db.dir.path().join("mail-outbox");
        worker(
            &db,
            Delivery::Folder {
                path: folder.clone(),
            },
        )
        .run_batch()
        .await
        .unwrap();
        let eml = std::fs::read_to_string(folder.join(format!("{job}.eml"))).unwrap();
        assert!(eml.contains("To: erika@example.org"));
        test_db.drop_now().await;
    }
);

#[tokio::test]
async fn bad_addresses_are_refused_before_anything_is_queued() {
    let (test_db, db) = TestDb::migrated(rathaus_store::Backend::Sqlite).await;
    let (tenant, _) = rathaus_core::demo::ensure_seeded(&db).await.unwrap();
    for bad in ["", "erika", "erika@", "<script>@x"] {
        assert!(
            mail::enqueue(db.conn(), tenant.id, mail(bad))
                .await
                .is_err(),
            "{bad}"
        );
    }
    assert_eq!(
        queue::count_in_state(db.conn(), JobState::Queued)
            .await
            .unwrap(),
        0
    );
    drop(test_db);
}
