//! Retention, on both databases: an approved parking permit case is kept for the
//! service's 1095 days after it was closed; admins see it coming in the last 30 days,
//! a legal hold keeps it, and once released the daily job deletes the case with its
//! application, documents, letters and files, leaving a record of the deletion only.

use rathaus_core::retention;
use rathaus_store::entities::{case, deletion_record, document, issued_document, submission};
use rathaus_store::sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel, Set};

use crate::accounts::start;
use crate::on_both_backends;
use crate::staff::{ADMIN, session};
use crate::teams::the_case;
use crate::workflows::approved_permit;

const PAGE: &str = "/verwaltung/aufbewahrung";

on_both_backends!(
    an_expired_case_is_deleted_unless_held,
    |backend| async move {
        let (app, smtp) = start(backend).await;
        let (erika, vera, reference) = approved_permit(&app, &smtp).await;
        let closed = the_case(&app, &reference).await;
        let closed_at = closed.closed_at.expect("approving closes the case");
        let db = app.db();
        let blobs = &app.server.blobs;
        let permit = issued_document::Entity::find()
            .one(db.conn())
            .await
            .unwrap()
            .unwrap();

        // Kept for now: nothing due, the job deletes nothing.
        let admin = session(&app, ADMIN).await;
        let page = app.get_as(&admin, PAGE).await.text().await.unwrap();
        assert!(!page.contains(&reference));
        assert_eq!(
            retention::run(db, blobs, chrono::Utc::now()).await.unwrap(),
            0
        );
        assert_eq!(app.get_as(&vera, PAGE).await.status(), 403, "admins only");

        // Closed 1085 days ago: deleted in ten days, and the admins see it coming.
        let mut older = closed.clone().into_active_model();
        older.closed_at = Set(Some(closed_at - chrono::Duration::days(1085)));
        older.update(db.conn()).await.unwrap();
        let page = app.get_as(&admin, PAGE).await.text().await.unwrap();
        assert!(
            page.contains(&reference)
                && page.contains("bewohnerparkausweis: 1095 Tage nach Abschluss"),
            "{page}"
        );

        // A legal hold needs a known case and a reason, and keeps the case.
        let hold = format!("{PAGE}/sperre");
        let unknown = app
            .post_as(
                &admin,
                &hold,
                &[("aktenzeichen", "MS-2026-XXXXX"), ("grund", "Klage")],
            )
            .await;
        assert_eq!(unknown.status(), 422);
        let no_reason = app
            .post_as(
                &admin,
                &hold,
                &[("aktenzeichen", &reference), ("grund", " ")],
            )
            .await;
        assert_eq!(no_reason.status(), 422);
        assert!(
            no_reason
                .text()
                .await
                .unwrap()
                .contains("Grund der Löschsperre")
        );
        let held = app
            .post_as(
                &admin,
                &hold,
                &[
                    ("aktenzeichen", &reference),
                    ("grund", "Klage vor dem Verwaltungsgericht"),
                ],
            )
            .await;
        assert_eq!(held.status(), 303);
        let in_ten_days = chrono::Utc::now() + chrono::Duration::days(11);
        assert_eq!(retention::run(db, blobs, in_ten_days).await.unwrap(), 0);
        assert_eq!(
            the_case(&app, &reference).await.legal_hold.as_deref(),
            Some("Klage vor dem Verwaltungsgericht")
        );
        let page = app.get_as(&admin, PAGE).await.text().await.unwrap();
        assert!(page.contains("Klage vor dem Verwaltungsgericht"));

        // Released: the job deletes it all, once, and records only the fact.
        let released = app
            .post_as(
                &admin,
                &format!("{PAGE}/freigabe"),
                &[("aktenzeichen", &reference)],
            )
            .await;
        assert_eq!(released.status(), 303);
        assert_eq!(retention::run(db, blobs, in_ten_days).await.unwrap(), 1);
        assert_eq!(retention::run(db, blobs, in_ten_days).await.unwrap(), 0);
        assert!(
            case::Entity::find()
                .all(db.conn())
                .await
                .unwrap()
                .is_empty()
        );
        assert!(
            document::Entity::find()
                .all(db.conn())
                .await
                .unwrap()
                .is_empty()
        );
        assert!(
            submission::Entity::find()
                .all(db.conn())
                .await
                .unwrap()
                .is_empty()
        );
        assert!(
            issued_document::Entity::find()
                .all(db.conn())
                .await
                .unwrap()
                .is_empty()
        );
        assert!(blobs.get(&permit.sha256).await.is_err(), "its file is gone");
        let records = deletion_record::Entity::find()
            .all(db.conn())
            .await
            .unwrap();
        assert_eq!(records.len(), 1);
        assert_eq!(records[0].reference, reference);
        assert_eq!(
            records[0].rule,
            "bewohnerparkausweis: 1095 Tage nach Abschluss"
        );
        assert!(records[0].documents >= 1);
        let audited = app
            .scalar("SELECT action AS v FROM audit_log WHERE action = 'retention.delete'")
            .await;
        assert_eq!(audited.as_deref(), Some("retention.delete"));
        // Erika's list no longer has it; the permit's code is unknown now.
        let mine = app
            .get_as(&erika, "/konto/antraege")
            .await
            .text()
            .await
            .unwrap();
        assert!(!mine.contains(&reference));
        let verify = app.get(&format!("/verify/{}", permit.code)).await;
        assert_eq!(verify.status(), 404);
        let page = app.get_as(&admin, PAGE).await.text().await.unwrap();
        assert!(page.contains(&reference), "listed as deleted");
        app.stop().await;
        drop(smtp);
    }
);
