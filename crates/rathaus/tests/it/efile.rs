//! The e-file and its evidence, on both databases. An approved parking permit leaves
//! the application's files and the issued permit in the case's file, each with its
//! direction and text; the next morning's sealing signs the day's hash tree; one
//! document's evidence record is checked by the CLI with nothing but the file; and
//! `rathaus archive verify` notices a document changed on disk.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use rathaus_core::documents::{self, evidence};
use rathaus_store::entities::{document, document_version, evidence_day, submission_file};
use rathaus_store::sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel, Set};

use crate::accounts::start;
use crate::assistant::citizen;
use crate::harness::TestApp;
use crate::on_both_backends;
use crate::staff::{CASEWORKER, session};
use crate::submissions::sent_application;
use crate::teams::the_case;
use crate::workflows::{claim_and_check, take_with};

/// `rathaus archive …` on the test's database and data folder.
fn archive(app: &TestApp, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rathaus"))
        .arg("archive")
        .args(args)
        .env_remove("RATHAUS_CONFIG")
        .env("RATHAUS_DATABASE_URL", &app.test_db.url)
        .env("RATHAUS_DATA_DIR", app.test_db.dir.path())
        .output()
        .expect("run rathaus")
}

fn said(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// The file of a blob in the local store, found by its name.
fn blob_file(root: &Path, sha256: &str) -> PathBuf {
    let mut stack = vec![root.to_owned()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.file_name().is_some_and(|n| n == sha256) {
                return path;
            }
        }
    }
    panic!("blob {sha256} not under {}", root.display());
}

on_both_backends!(
    the_file_holds_every_document_and_its_evidence_survives_any_change,
    |backend| async move {
        let (app, smtp) = start(backend).await;
        let erika = citizen(&app, &smtp, "erika@example.org").await;
        let reference = sent_application(&app, &erika).await;
        let vera = session(&app, CASEWORKER).await;
        claim_and_check(&app, &vera, &reference).await;
        let fields = [
            ("schritt", "bewilligen"),
            ("nachricht", "Ihr Bewohnerparkausweis ist bewilligt."),
            ("zone", "B – Altstadt"),
        ];
        assert_eq!(
            take_with(&app, &vera, &reference, &fields).await.status(),
            303
        );

        // The file: what Erika sent came in, the permit went out.
        let case = the_case(&app, &reference).await;
        let filed = documents::of_case(app.db().conn(), &case).await.unwrap();
        let sent = submission_file::Entity::find()
            .all(app.db().conn())
            .await
            .unwrap();
        let incoming: Vec<_> = filed
            .iter()
            .filter(|f| f.document.direction == "incoming")
            .collect();
        assert_eq!(incoming.len(), sent.len());
        assert!(
            incoming
                .iter()
                .all(|f| f.document.kind == "application_file")
        );
        let letter = filed
            .iter()
            .find(|f| f.document.kind == "letter")
            .expect("the permit is in the file");
        assert_eq!(letter.document.direction, "outgoing");
        assert_eq!(letter.versions.len(), 1);
        let permit = &letter.versions[0];
        assert!(
            permit.text.as_deref().unwrap_or("").contains("bewilligt"),
            "its text is searchable"
        );

        // The case page lists the file; a version comes as it was stored.
        let case_path = format!("/verwaltung/vorgaenge/{reference}");
        let page = app.get_as(&vera, &case_path).await.text().await.unwrap();
        let link = format!("{case_path}/akte/{}", letter.document.id);
        assert!(
            page.contains("id=\"akte\"") && page.contains(&link) && page.contains("ausgehend"),
            "{page}"
        );
        let stored = app.get_as(&vera, &link).await.bytes().await.unwrap();
        assert_eq!(stored, app.server.blobs.get(&permit.sha256).await.unwrap());
        let evidence_link = format!("{link}/nachweis.json");
        assert!(!page.contains(&evidence_link), "not sealed yet");
        assert_eq!(app.get_as(&vera, &evidence_link).await.status(), 409);
        assert_eq!(
            app.get_as(&vera, &format!("{link}?fassung=2"))
                .await
                .status(),
            404
        );

        // Nothing is sealed on its own day; the next morning seals it.
        let blobs = &app.server.blobs;
        let sealer = &app.server.sealer;
        assert_eq!(
            evidence::seal_due(app.db(), blobs, sealer).await.unwrap(),
            0
        );
        let all = document_version::Entity::find()
            .all(app.db().conn())
            .await
            .unwrap();
        for version in all {
            let yesterday = version.added_at - chrono::Duration::days(1);
            let mut moved = version.into_active_model();
            moved.added_at = Set(yesterday);
            moved.update(app.db().conn()).await.unwrap();
        }
        assert_eq!(
            evidence::seal_due(app.db(), blobs, sealer).await.unwrap(),
            1
        );
        assert_eq!(
            evidence::seal_due(app.db(), blobs, sealer).await.unwrap(),
            0,
            "once"
        );
        let days = evidence_day::Entity::find()
            .all(app.db().conn())
            .await
            .unwrap();
        assert_eq!(days.len(), 1);
        assert_eq!(days[0].leaves as usize, sent.len() + 1);
        let permit = document_version::Entity::find_by_id(permit.id)
            .one(app.db().conn())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(permit.sealed_on, Some(days[0].day));

        // One document's record holds with the file alone, and with nothing else.
        let record = evidence::record(app.db(), blobs, &permit)
            .await
            .unwrap()
            .expect("sealed");
        let bytes = blobs.get(&permit.sha256).await.unwrap();
        assert_eq!(evidence::check(&record, &bytes).unwrap().root, days[0].root);
        let mut changed = bytes.to_vec();
        changed[100] ^= 1;
        assert!(evidence::check(&record, &changed).is_err());
        let mut forged = record.clone();
        forged.sequence[0][0].time_stamp.leaves += 1;
        assert!(
            evidence::check(&forged, &bytes)
                .unwrap_err()
                .contains("signature")
        );

        // Staff download the same record from the case page.
        let page = app.get_as(&vera, &case_path).await.text().await.unwrap();
        assert!(page.contains(&evidence_link));
        let downloaded: evidence::Record = app
            .get_as(&vera, &evidence_link)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(downloaded, record);

        // The CLI: verify, export, check as a third party would.
        let intact = archive(&app, &["verify"]);
        assert!(intact.status.success(), "{}", said(&intact));
        assert!(said(&intact).contains("archive intact"));
        let dir = tempfile::tempdir().unwrap();
        let exported = archive(&app, &["evidence", &letter.document.id.to_string()]);
        assert!(exported.status.success(), "{}", said(&exported));
        let record_file = dir.path().join("nachweis.json");
        std::fs::write(&record_file, &exported.stdout).unwrap();
        let pdf = dir.path().join("bewohnerparkausweis.pdf");
        std::fs::write(&pdf, &bytes).unwrap();
        let checked = Command::new(env!("CARGO_BIN_EXE_rathaus"))
            .args(["archive", "check"])
            .arg(&record_file)
            .arg(&pdf)
            .env_remove("RATHAUS_DATABASE_URL")
            .output()
            .unwrap();
        assert!(checked.status.success(), "{}", said(&checked));
        assert!(said(&checked).contains("evidence valid"));
        std::fs::write(&pdf, &changed).unwrap();
        let refused = Command::new(env!("CARGO_BIN_EXE_rathaus"))
            .args(["archive", "check"])
            .arg(&record_file)
            .arg(&pdf)
            .output()
            .unwrap();
        assert_eq!(refused.status.code(), Some(2), "{}", said(&refused));
        let unknown = archive(&app, &["evidence", &uuid::Uuid::now_v7().to_string()]);
        assert_eq!(unknown.status.code(), Some(2));

        // A document changed on disk is found and named.
        let on_disk = blob_file(app.test_db.dir.path(), &permit.sha256);
        std::fs::write(&on_disk, &changed).unwrap();
        let damaged = archive(&app, &["verify"]);
        assert_eq!(damaged.status.code(), Some(2), "{}", said(&damaged));
        let report = said(&damaged);
        assert!(
            report.contains(&permit.document_id.to_string())
                && report.contains("stored bytes changed"),
            "{report}"
        );
        assert_eq!(
            document::Entity::find()
                .all(app.db().conn())
                .await
                .unwrap()
                .len(),
            sent.len() + 1,
            "verifying changes nothing"
        );
        app.stop().await;
        drop(smtp);
    }
);
