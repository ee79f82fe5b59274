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
use sha2::Digest;

use crate::accounts::start;
use crate::assistant::{PDF, citizen};
use crate::harness::TestApp;
use crate::on_both_backends;
use crate::staff::{CASEWORKER, session};
use crate::submissions::sent_application;
use crate::teams::the_case;
use crate::workflows::{approved_permit, claim_and_check};

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
        let (erika, vera, reference) = approved_permit(&app, &smtp).await;

        // The file: what Erika sent came in, the receipt and the permit went out.
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
        let receipt = filed
            .iter()
            .find(|f| f.document.title.starts_with("Eingangsbestätigung"))
            .expect("the receipt is in the file");
        assert_eq!(receipt.document.kind, "letter");
        let letter = filed
            .iter()
            .find(|f| f.document.title.starts_with("Bewohnerparkausweis"))
            .expect("the permit is in the file");
        assert_eq!(letter.document.kind, "letter");
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
        // What Erika sent, the receipt and the permit.
        assert_eq!(days[0].leaves as usize, sent.len() + 2);
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

        // The finished case as one package: every version, the case's data and history,
        // the evidence and the keys; the export is audited.
        let package = app
            .get_as(&vera, &format!("{case_path}/aktenexport.zip"))
            .await;
        assert_eq!(package.status(), 200);
        assert_eq!(package.headers()["content-type"], "application/zip");
        let mut zip =
            zip::ZipArchive::new(std::io::Cursor::new(package.bytes().await.unwrap())).unwrap();
        let mut read = |name: &str| {
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(&mut zip.by_name(name).unwrap(), &mut bytes).unwrap();
            bytes
        };
        let meta: serde_json::Value = serde_json::from_slice(&read("vorgang.json")).unwrap();
        assert_eq!(meta["case"]["reference"], reference.as_str());
        assert_eq!(meta["documents"].as_array().unwrap().len(), filed.len());
        assert!(meta["history"].as_array().unwrap().len() >= 3, "{meta}");
        assert_eq!(meta["issued"].as_array().unwrap().len(), 2);
        for entry in meta["documents"].as_array().unwrap() {
            for version in entry["versions"].as_array().unwrap() {
                let bytes = read(version["file"].as_str().unwrap());
                assert_eq!(
                    hex::encode(sha2::Sha256::digest(&bytes)),
                    version["sha256"].as_str().unwrap()
                );
                let record: evidence::Record =
                    serde_json::from_slice(&read(version["evidence"].as_str().unwrap())).unwrap();
                let root = evidence::check(&record, &bytes).unwrap();
                assert_eq!(root.root, days[0].root);
            }
        }
        let keys: serde_json::Value = serde_json::from_slice(&read("schluessel.json")).unwrap();
        let signing = rathaus_core::letters::signing::all(app.db().conn(), case.tenant_id)
            .await
            .unwrap();
        assert_eq!(keys[0]["public_key"], signing[0].public_key.as_str());
        assert_eq!(
            app.scalar("SELECT action AS v FROM audit_log WHERE action = 'case.export'")
                .await
                .as_deref(),
            Some("case.export")
        );
        // An open case still changes: no export yet.
        let open = sent_application(&app, &erika).await;
        let refused = app
            .get_as(
                &vera,
                &format!("/verwaltung/vorgaenge/{open}/aktenexport.zip"),
            )
            .await;
        assert_eq!(refused.status(), 409);

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

        // A new signing key: what the old one signed still verifies.
        let rotated = Command::new(env!("CARGO_BIN_EXE_rathaus"))
            .args(["admin", "rotate-signing-key", "--tenant", "musterstadt"])
            .env_remove("RATHAUS_CONFIG")
            .env("RATHAUS_DATABASE_URL", &app.test_db.url)
            .env("RATHAUS_DATA_DIR", app.test_db.dir.path())
            .output()
            .unwrap();
        assert!(rotated.status.success(), "{}", said(&rotated));
        let keys: serde_json::Value = app.get("/verify/schluessel").await.json().await.unwrap();
        assert_eq!(keys.as_array().map(Vec::len), Some(2), "{keys}");
        let still = archive(&app, &["verify"]);
        assert!(still.status.success(), "{}", said(&still));
        assert_eq!(
            app.scalar("SELECT action AS v FROM audit_log WHERE action = 'signing_key.rotate'")
                .await
                .as_deref(),
            Some("signing_key.rotate")
        );

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
            documents::of_case(app.db().conn(), &case)
                .await
                .unwrap()
                .len(),
            filed.len(),
            "verifying changes nothing"
        );
        app.stop().await;
        drop(smtp);
    }
);

/// A document (`titel`, `datei`) or a version (`fassungen`, `datei`) sent as staff do.
async fn upload(
    app: &TestApp,
    cookie: &str,
    path: &str,
    fields: &[(&'static str, &str)],
    file: Option<(&str, &[u8])>,
) -> reqwest::Response {
    let mut form = reqwest::multipart::Form::new();
    for (name, value) in fields {
        form = form.text(*name, value.to_string());
    }
    if let Some((name, bytes)) = file {
        let part = reqwest::multipart::Part::bytes(bytes.to_vec()).file_name(name.to_owned());
        form = form.part("datei", part);
    }
    app.client
        .post(app.url(path))
        .header("cookie", cookie)
        .multipart(form)
        .send()
        .await
        .unwrap()
}

on_both_backends!(
    staff_file_documents_add_versions_and_find_them,
    |backend| async move {
        let (app, smtp) = start(backend).await;
        let erika = citizen(&app, &smtp, "erika@example.org").await;
        let reference = sent_application(&app, &erika).await;
        let vera = session(&app, CASEWORKER).await;
        claim_and_check(&app, &vera, &reference).await;
        let case = the_case(&app, &reference).await;
        let akte = format!("/verwaltung/vorgaenge/{reference}/akte");
        let count = |app: &TestApp| {
            let db = app.db().conn().clone();
            async move { document::Entity::find().all(&db).await.unwrap().len() }
        };
        let before = count(&app).await;

        // Bad input: a clear message, the title kept, nothing filed.
        let no_title = upload(&app, &vera, &akte, &[("titel", " ")], Some(("a.pdf", PDF))).await;
        assert_eq!(no_title.status(), 422);
        assert!(
            no_title
                .text()
                .await
                .unwrap()
                .contains("Geben Sie einen Titel")
        );
        let no_file = upload(
            &app,
            &vera,
            &akte,
            &[("titel", "Stellungnahme Ordnungsamt")],
            None,
        )
        .await;
        assert_eq!(no_file.status(), 422);
        let page = no_file.text().await.unwrap();
        assert!(
            page.contains("Wählen Sie eine Datei") && page.contains("Stellungnahme Ordnungsamt")
        );
        let not_pdf = upload(
            &app,
            &vera,
            &akte,
            &[("titel", "Stellungnahme Ordnungsamt")],
            Some(("stellungnahme.pdf", b"MZ not a pdf at all")),
        )
        .await;
        assert_eq!(not_pdf.status(), 422);
        assert_eq!(count(&app).await, before);

        // Filed, then a second version: the first stays as it was.
        let filed = upload(
            &app,
            &vera,
            &akte,
            &[("titel", "Stellungnahme Ordnungsamt")],
            Some(("stellungnahme.pdf", PDF)),
        )
        .await;
        assert_eq!(filed.status(), 303);
        let filed = documents::of_case(app.db().conn(), &case).await.unwrap();
        let internal = filed
            .iter()
            .find(|f| f.document.kind == "internal")
            .expect("filed");
        assert_eq!(internal.document.direction, "internal");
        assert_eq!(internal.document.created_by, "Vera Verkehr");
        let version_path = format!("{akte}/{}/fassung", internal.document.id);
        let second: Vec<u8> = PDF
            .iter()
            .copied()
            .chain(*b"\n% zweite Fassung\n")
            .collect();
        let added = upload(
            &app,
            &vera,
            &version_path,
            &[("fassungen", "1")],
            Some(("stellungnahme-v2.pdf", &second)),
        )
        .await;
        assert_eq!(added.status(), 303);
        let stale = upload(
            &app,
            &vera,
            &version_path,
            &[("fassungen", "1")],
            Some(("stellungnahme-v3.pdf", PDF)),
        )
        .await;
        assert_eq!(stale.status(), 422, "someone else added one meanwhile");
        assert!(
            stale
                .text()
                .await
                .unwrap()
                .contains("Inzwischen hat jemand")
        );
        let link = format!("{akte}/{}", internal.document.id);
        let latest = app.get_as(&vera, &link).await.bytes().await.unwrap();
        assert_eq!(&latest[..], &second[..]);
        let first = app
            .get_as(&vera, &format!("{link}?fassung=1"))
            .await
            .bytes()
            .await
            .unwrap();
        assert_eq!(&first[..], PDF);
        let page = app
            .get_as(&vera, &format!("/verwaltung/vorgaenge/{reference}"))
            .await
            .text()
            .await
            .unwrap();
        assert!(
            page.contains(&format!("{link}?fassung=1")),
            "the earlier version is listed"
        );
        let versions = document_version::Entity::find()
            .all(app.db().conn())
            .await
            .unwrap();
        assert_eq!(
            versions
                .iter()
                .filter(|v| v.document_id == internal.document.id)
                .count(),
            2
        );

        // Found by any word of its title or file name; by whom may see the case only.
        let search = app
            .get_as(&vera, "/verwaltung/dokumente?q=ordnungsamt+stellung")
            .await
            .text()
            .await
            .unwrap();
        assert!(search.contains(&link), "{search}");
        let nothing = app
            .get_as(&vera, "/verwaltung/dokumente?q=ordnungsamt+xylophon")
            .await
            .text()
            .await
            .unwrap();
        assert!(nothing.contains("Keine Dokumente gefunden"));

        // A PDF's own text is read after filing (a job) and found by the search too: the
        // copy of the receipt is found by a word of its body and one of its title.
        let receipt = crate::letters::receipt_of(&app, &reference).await;
        let copy = app.server.blobs.get(&receipt.sha256).await.unwrap();
        let filed_copy = upload(
            &app,
            &vera,
            &akte,
            &[("titel", "Kopie für die Handakte")],
            Some(("kopie.pdf", &copy)),
        )
        .await;
        assert_eq!(filed_copy.status(), 303);
        let mut read = None;
        for _ in 0..200 {
            let versions = document_version::Entity::find()
                .all(app.db().conn())
                .await
                .unwrap();
            read = versions
                .into_iter()
                .find(|v| v.file_name == "kopie.pdf")
                .and_then(|v| v.text);
            if read.is_some() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let read = read.expect("the PDF's text was read");
        assert!(read.contains("bei uns eingegangen"), "{read}");
        let found = app
            .get_as(&vera, "/verwaltung/dokumente?q=eingegangen+handakte")
            .await
            .text()
            .await
            .unwrap();
        assert!(found.contains("Kopie für die Handakte"), "{found}");
        let auditor = session(&app, 1).await;
        assert_eq!(
            app.get_as(&auditor, "/verwaltung/dokumente?q=ordnungsamt")
                .await
                .status(),
            403
        );
        let searches = app
            .scalar("SELECT CAST(COUNT(*) AS TEXT) AS v FROM audit_log WHERE action = 'document.search'")
            .await;
        assert_eq!(searches.as_deref(), Some("3"));
        app.stop().await;
        drop(smtp);
    }
);
