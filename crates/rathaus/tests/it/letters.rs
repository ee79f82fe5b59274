//! Issued documents, on both databases. Approving a parking permit issues a signed
//! PDF/A permit into Erika's postbox; its QR code and short code lead to the public
//! verification page, which says "valid", accepts the very file and rejects a changed
//! copy; revoking makes it "not valid"; a rotated key leaves old documents verifiable;
//! a record changed behind the town's back no longer verifies. A case without an
//! account gets its letter on paper.

use std::process::Command;

use rathaus_core::letters::{self, signing};
use rathaus_store::entities::{issued_document, postbox_file, print_batch};
use rathaus_store::sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
use sha2::{Digest, Sha256};

use crate::accounts::start;
use crate::assistant::citizen;
use crate::harness::TestApp;
use crate::on_both_backends;
use crate::staff::{CASEWORKER, MAILROOM, REGISTRAR, session};

use crate::submissions::sent_application;
use crate::teams::the_case;
use crate::workflows::{claim_and_check, take_with};

const OUTGOING: &str = "/verwaltung/postausgang";

/// The documents issued by steps of the case (not the receipt on sending).
async fn issued(app: &TestApp) -> Vec<issued_document::Model> {
    issued_document::Entity::find()
        .filter(issued_document::Column::Kind.ne("receipt"))
        .all(app.db().conn())
        .await
        .unwrap()
}

/// The receipt letter of the case, once the worker has issued it (it runs after the
/// application is sent); fails after 20 seconds.
pub(crate) async fn receipt_of(app: &TestApp, reference: &str) -> issued_document::Model {
    for _ in 0..200 {
        let found = issued_document::Entity::find()
            .filter(issued_document::Column::Reference.eq(reference))
            .filter(issued_document::Column::Kind.eq("receipt"))
            .one(app.db().conn())
            .await
            .unwrap();
        if let Some(receipt) = found {
            return receipt;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("no receipt was issued for {reference}");
}

/// Runs a checking tool on `pdf` and returns what it printed; scripts/test-services.sh
/// installs them.
pub(crate) fn read_with(program: &str, args: &[&str], input: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("document.pdf");
    std::fs::write(&file, input).unwrap();
    let run = |program: &str, args: &[&str]| {
        let out = Command::new(program)
            .args(args)
            .current_dir(dir.path())
            .output()
            .unwrap_or_else(|e| panic!("{program} is needed: {e}"));
        assert!(
            out.status.success(),
            "{program}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    if program == "zbarimg" {
        run(
            "pdftoppm",
            &["-r", "150", "-png", "-singlefile", "document.pdf", "page"],
        );
        return run("zbarimg", &["--quiet", "--raw", "page.png"]);
    }
    let mut all: Vec<&str> = args.to_vec();
    all.push("document.pdf");
    if program == "pdftotext" {
        all.push("-");
    }
    run(program, &all)
}

/// Sends the form of the verification page; `None` as a browser does when no file was
/// chosen (an empty part without a name).
async fn upload(app: &TestApp, path: &str, pdf: Option<Vec<u8>>) -> reqwest::Response {
    let part = match pdf {
        Some(pdf) => reqwest::multipart::Part::bytes(pdf)
            .file_name("ausweis.pdf")
            .mime_str("application/pdf"),
        None => reqwest::multipart::Part::bytes(Vec::new())
            .file_name("")
            .mime_str("application/octet-stream"),
    };
    let form = reqwest::multipart::Form::new().part("datei", part.unwrap());
    app.client
        .post(app.url(path))
        .multipart(form)
        .send()
        .await
        .unwrap()
}

on_both_backends!(
    an_approved_permit_is_signed_delivered_and_verifiable_by_anyone,
    |backend| async move {
        let (app, smtp) = start(backend).await;
        let erika = citizen(&app, &smtp, "erika@example.org").await;
        let reference = sent_application(&app, &erika).await;
        let vera = session(&app, CASEWORKER).await;
        let case_path = format!("/verwaltung/vorgaenge/{reference}");
        claim_and_check(&app, &vera, &reference).await;
        let page = app.get_as(&vera, &case_path).await.text().await.unwrap();
        assert!(
            page.contains("stellt aus: Bewohnerparkausweis"),
            "the step says what it issues"
        );
        assert!(page.contains("Parkzone"));

        // Without a zone the permit cannot be written: refused, nothing issued.
        let text = "Ihr Antrag wird bewilligt.\n\nBitte legen Sie den Ausweis gut sichtbar aus.";
        let no_zone = take_with(
            &app,
            &vera,
            &reference,
            &[("schritt", "bewilligen"), ("nachricht", text)],
        )
        .await;
        assert_eq!(no_zone.status(), 422);
        assert!(
            no_zone
                .text()
                .await
                .unwrap()
                .contains("Geben Sie die Parkzone an")
        );
        assert!(issued(&app).await.is_empty());
        assert_eq!(the_case(&app, &reference).await.state, "in_pruefung");

        // The draft: a PDF marked as such, nothing stored.
        let draft = app
            .post_as(
                &vera,
                &format!("{case_path}/schreiben/vorschau"),
                &[
                    ("schritt", "bewilligen"),
                    ("nachricht", text),
                    ("zone", "B – Altstadt"),
                ],
            )
            .await;
        assert_eq!(draft.status(), 200);
        assert_eq!(draft.headers()["content-type"], "application/pdf");
        let draft_text = read_with("pdftotext", &[], &draft.bytes().await.unwrap());
        assert!(draft_text.contains("ENTWURF"), "{draft_text}");
        assert!(draft_text.contains("SG-AB 123"), "{draft_text}");
        assert!(issued(&app).await.is_empty());
        let not_a_letter = app
            .post_as(
                &vera,
                &format!("{case_path}/schreiben/vorschau"),
                &[("schritt", "bearbeiten")],
            )
            .await;
        assert_eq!(not_a_letter.status(), 422);

        // Approved: the permit is issued into the postbox with the message.
        let fields = [
            ("schritt", "bewilligen"),
            ("nachricht", text),
            ("zone", "B – Altstadt"),
        ];
        assert_eq!(
            take_with(&app, &vera, &reference, &fields).await.status(),
            303
        );
        let documents = issued(&app).await;
        assert_eq!(documents.len(), 1);
        let permit = &documents[0];
        assert_eq!(
            (permit.kind.as_str(), permit.channel.as_str()),
            ("parking_permit", "postbox")
        );
        assert!(
            permit.dispatched_at.is_some(),
            "the postbox delivers at once"
        );
        let attached = postbox_file::Entity::find()
            .filter(postbox_file::Column::MessageId.eq(permit.message_id.unwrap()))
            .one(app.db().conn())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(attached.sha256, permit.sha256);
        smtp.wait_for_mail("erika@example.org", "neue Nachricht")
            .await;

        // Erika opens it from her postbox: the very bytes that were signed.
        let mine = app
            .get_as(&erika, &format!("/konto/antraege/{reference}"))
            .await;
        let mine = mine.text().await.unwrap();
        assert!(
            mine.contains(&attached.file_name),
            "listed with the message"
        );
        let href = format!("/konto/antraege/{reference}/dateien/{}", attached.id);
        assert!(mine.contains(&href), "{mine}");
        let pdf = app
            .get_as(&erika, &href)
            .await
            .bytes()
            .await
            .unwrap()
            .to_vec();
        assert_eq!(hex::encode(Sha256::digest(&pdf)), permit.sha256);
        let printed = read_with("pdftotext", &["-layout"], &pdf);
        for expected in [
            "B – Altstadt",
            "SG-AB 123",
            "Heidestraße 17",
            &permit.code,
            "Widerspruch",
            "geben wir statt",
        ] {
            assert!(
                printed.contains(expected),
                "{expected} missing in\n{printed}"
            );
        }
        let info = read_with("pdfinfo", &["-meta"], &pdf);
        assert!(info.contains("<pdfaid:part>3</pdfaid:part>"), "{info}");
        let qr = read_with("zbarimg", &[], &pdf);
        let link = qr.trim();
        assert_eq!(link, app.url(&format!("/verify/{}", permit.code)));

        // Anyone following the QR code: valid, who issued it, never whom it is about.
        let verify_path = format!("/verify/{}", permit.code);
        let shown = app.get(&verify_path).await;
        assert_eq!(shown.status(), 200);
        let shown = shown.text().await.unwrap();
        assert!(
            shown.contains("Gültig") && shown.contains("Musterstadt"),
            "{shown}"
        );
        assert!(shown.contains("Bewohnerparkausweis"));
        assert!(
            !shown.contains("Mustermann") && !shown.contains("SG-AB"),
            "no personal data"
        );
        let typed = app
            .get(&format!(
                "/verify?code={}",
                permit.code.to_lowercase().replace('-', " ")
            ))
            .await;
        assert_eq!(typed.status(), 303, "a code typed loosely");
        assert_eq!(typed.headers()["location"], verify_path.as_str());
        assert_eq!(app.get("/verify?code=nonsense").await.status(), 422);
        assert_eq!(app.get("/verify/K7QM-4XPD-2RBT").await.status(), 404);

        // The file itself matches; a copy with one byte changed does not.
        let same = upload(&app, &verify_path, Some(pdf.clone())).await;
        assert!(
            same.text()
                .await
                .unwrap()
                .contains("Die Datei ist unverändert")
        );
        let mut tampered = pdf.clone();
        let at = tampered.len() / 2;
        tampered[at] ^= 0x01;
        let changed = upload(&app, &verify_path, Some(tampered.clone())).await;
        assert!(
            changed
                .text()
                .await
                .unwrap()
                .contains("Die Datei stimmt nicht überein")
        );
        let by_file = upload(&app, "/verify", Some(pdf.clone()))
            .await
            .text()
            .await
            .unwrap();
        assert!(by_file.contains("Die Datei ist unverändert") && by_file.contains(&permit.code));
        let unknown = upload(&app, "/verify", Some(tampered))
            .await
            .text()
            .await
            .unwrap();
        assert!(unknown.contains("Die Datei stimmt nicht überein"));
        let nothing = upload(&app, "/verify", None).await;
        assert_eq!(nothing.status(), 422);

        // A new key: the permit stays verifiable; the public list has both keys.
        let conn = app.db().conn();
        signing::rotate(conn, &app.server.sealer, permit.tenant_id)
            .await
            .unwrap();
        assert!(
            app.get(&verify_path)
                .await
                .text()
                .await
                .unwrap()
                .contains("Gültig")
        );
        let keys: serde_json::Value = app.get("/verify/schluessel").await.json().await.unwrap();
        let keys = keys.as_array().unwrap();
        assert_eq!(keys.len(), 2);
        assert_eq!(keys.iter().filter(|k| k["retired_at"].is_null()).count(), 1);

        // Revoked with a reason (none: refused), and the page says so.
        let revoke = format!("{case_path}/schreiben/{}/widerrufen", permit.id);
        assert_eq!(
            app.post_as(&vera, &revoke, &[("grund", " ")])
                .await
                .status(),
            422
        );
        let revoked = app
            .post_as(&vera, &revoke, &[("grund", "Umzug in Zone C")])
            .await;
        assert_eq!(revoked.status(), 303);
        let now = app.get(&verify_path).await.text().await.unwrap();
        assert!(
            now.contains("Nicht gültig") && now.contains("Umzug in Zone C"),
            "{now}"
        );
        assert!(
            app.scalar("SELECT action AS v FROM audit_log WHERE action = 'document.revoke'")
                .await
                .is_some()
        );

        // A record changed in the database no longer carries the town's signature.
        issued_document::Entity::update_many()
            .col_expr(issued_document::Column::Kind, Expr::value("certificate"))
            .filter(issued_document::Column::Id.eq(permit.id))
            .exec(conn)
            .await
            .unwrap();
        let forged = letters::by_code(conn, &tenant_of(&app, permit.tenant_id).await, &permit.code)
            .await
            .unwrap()
            .unwrap();
        assert!(!forged.signature_valid);
        assert!(
            app.get(&verify_path)
                .await
                .text()
                .await
                .unwrap()
                .contains("Signatur dieses Dokuments ist nicht gültig")
        );
        app.stop().await;
    }
);

/// The demo's member of staff as the core sees them.
async fn actor_of(app: &TestApp, who: usize) -> rathaus_core::actor::Actor {
    use rathaus_store::entities::staff_user;
    let email = rathaus_core::demo::DEMO_STAFF[who].email;
    let user = staff_user::Entity::find()
        .filter(staff_user::Column::Email.eq(email))
        .one(app.db().conn())
        .await
        .unwrap()
        .unwrap();
    rathaus_core::staff::actor(app.db().conn(), &user)
        .await
        .unwrap()
}

async fn tenant_of(app: &TestApp, id: uuid::Uuid) -> rathaus_core::tenants::Tenant {
    rathaus_core::tenants::by_id(app.db().conn(), id)
        .await
        .unwrap()
        .unwrap()
}

on_both_backends!(
    a_case_without_an_account_gets_its_letter_on_paper,
    |backend| async move {
        let (app, _smtp) = start(backend).await;
        let vera = session(&app, CASEWORKER).await;
        let made = app
            .post_as(
                &vera,
                "/verwaltung/vorgaenge/neu",
                &[
                    ("leistung", "bewohnerparkausweis"),
                    ("kanal", "telefon"),
                    ("name", "Max Muster"),
                    ("email", ""),
                    ("fachdienst", ""),
                    ("notiz", "Anruf"),
                ],
            )
            .await;
        assert_eq!(made.status(), 303);
        let location = made.headers()["location"].to_str().unwrap().to_owned();
        let reference = location.rsplit('/').next().unwrap().to_owned();
        claim_and_check(&app, &vera, &reference).await;
        let refusal = [
            ("schritt", "ablehnen"),
            ("nachricht", "Kein Wohnsitz in der Zone."),
        ];
        assert_eq!(
            take_with(&app, &vera, &reference, &refusal).await.status(),
            303
        );
        let documents = issued(&app).await;
        assert_eq!(documents.len(), 1);
        let letter = &documents[0];
        assert_eq!(
            (letter.kind.as_str(), letter.channel.as_str()),
            ("decision", "paper")
        );
        assert!(
            letter.dispatched_at.is_none(),
            "posted with the next print batch"
        );
        assert!(letter.message_id.is_none());
        let pdf = app
            .get_as(&vera, &format!("{location}/schreiben/{}", letter.id))
            .await
            .bytes()
            .await
            .unwrap();
        let printed = read_with("pdftotext", &["-layout"], &pdf);
        assert!(printed.contains("Max Muster") && printed.contains("Kein Wohnsitz in der Zone."));
        let page = app.get_as(&vera, &location).await.text().await.unwrap();
        assert!(
            page.contains("geht per Post"),
            "the case page says how it goes out"
        );

        // The mailroom sees it waiting and makes a print batch; caseworkers may not.
        assert_eq!(app.get_as(&vera, OUTGOING).await.status(), 403);
        let post = session(&app, MAILROOM).await;
        let outgoing = app.get_as(&post, OUTGOING).await.text().await.unwrap();
        assert!(outgoing.contains(&reference), "waiting for print");
        let collected = app.post_as(&post, OUTGOING, &[]).await;
        assert_eq!(
            collected.headers()["location"],
            "/verwaltung/postausgang?erledigt=stapel"
        );
        let again = app.post_as(&post, OUTGOING, &[]).await;
        assert_eq!(
            again.headers()["location"],
            "/verwaltung/postausgang?erledigt=nichts"
        );
        let batches = print_batch::Entity::find()
            .all(app.db().conn())
            .await
            .unwrap();
        assert_eq!(batches.len(), 1);
        let batch = &batches[0];
        assert_eq!((batch.letters, batch.pages), (1, letter.pages));
        let batch_pdf = app
            .get_as(&post, &format!("{OUTGOING}/{}/stapel.pdf", batch.id))
            .await
            .bytes()
            .await
            .unwrap();
        let batch_text = read_with("pdftotext", &[], &batch_pdf);
        assert!(batch_text.contains(&reference) && batch_text.contains(&letter.code));
        let csv = app
            .get_as(&post, &format!("{OUTGOING}/{}/manifest.csv", batch.id))
            .await
            .text()
            .await
            .unwrap();
        let line = csv.lines().nth(1).unwrap();
        assert!(
            line.starts_with(&format!(
                "1;{reference};{};decision;Max Muster;",
                letter.code
            )),
            "{csv}"
        );
        // Both hold addresses: each reading is in the audit log.
        let reads = app
            .scalar("SELECT CAST(COUNT(*) AS TEXT) AS v FROM audit_log WHERE action = 'print_batch.read'")
            .await;
        assert_eq!(reads.as_deref(), Some("2"));

        // Posted: on a day that can be, once; the case tells the applicant's timeline.
        let posted = format!("{OUTGOING}/{}/versandt", batch.id);
        for bad in ["gestern", "01.01.2020", "31.12.2999"] {
            let refused = app.post_as(&post, &posted, &[("tag", bad)]).await;
            assert_eq!(refused.status(), 422, "{bad}");
        }
        let today = rathaus_core::time::local_day(chrono::Utc::now());
        let day = today.format("%d.%m.%Y").to_string();
        let done = app.post_as(&post, &posted, &[("tag", day.as_str())]).await;
        assert_eq!(done.status(), 303);
        let sent = &issued(&app).await[0];
        assert_eq!(
            sent.dispatched_at.map(rathaus_core::time::local_day),
            Some(today)
        );
        let timeline = app.get_as(&vera, &location).await.text().await.unwrap();
        assert!(timeline.contains("Schreiben per Post versandt"));
        let stored = print_batch::Entity::find_by_id(batch.id)
            .one(app.db().conn())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(stored.posted_on, Some(today));

        // The morning's batch takes the letters of the days before, once.
        let second = [("schritt", "abschliessen"), ("nachricht", "")];
        assert_eq!(
            take_with(&app, &vera, &reference, &second).await.status(),
            303
        );
        let renderer = rathaus_letters::Renderer::new();
        let blobs = &app.server.blobs;
        let daily = letters::print::collect_daily(app.db(), blobs, &renderer)
            .await
            .unwrap();
        assert_eq!(daily, 0, "nothing waits");
        let case = the_case(&app, &reference).await;
        let tenant = tenant_of(&app, case.tenant_id).await;
        let caseworker = actor_of(&app, CASEWORKER).await;
        let desk = letters::Desk {
            renderer: &renderer,
            blobs,
            sealer: &app.server.sealer,
            verify_page: &app.url("/verify"),
        };
        let input = letters::Input {
            text: "Nachtrag".into(),
            zone: None,
            fee_cents: None,
        };
        let kind = letters::Kind::Decision;
        let late = letters::prepare(
            app.db().conn(),
            desk,
            &tenant,
            &case,
            &caseworker,
            kind,
            &input,
        )
        .await
        .unwrap()
        .unwrap();
        let channel = letters::Channel::for_letter(app.db().conn(), &case, kind)
            .await
            .unwrap();
        let late = letters::record(
            app.db().conn(),
            &tenant,
            &case,
            &caseworker,
            late,
            channel,
            None,
        )
        .await
        .unwrap();
        let today_only = letters::print::collect_daily(app.db(), blobs, &renderer)
            .await
            .unwrap();
        assert_eq!(today_only, 0, "today's letters wait for tomorrow");
        let yesterday = chrono::Utc::now() - chrono::Duration::days(1);
        issued_document::Entity::update_many()
            .col_expr(issued_document::Column::IssuedAt, Expr::value(yesterday))
            .filter(issued_document::Column::Id.eq(late))
            .exec(app.db().conn())
            .await
            .unwrap();
        assert_eq!(
            letters::print::collect_daily(app.db(), blobs, &renderer)
                .await
                .unwrap(),
            1
        );
        assert_eq!(
            letters::print::collect_daily(app.db(), blobs, &renderer)
                .await
                .unwrap(),
            0
        );

        // Posted batches go after their time with their PDF; the letters keep the day
        // they were posted, and a batch not posted yet stays however old.
        let purge = |before| letters::print::purge_posted(app.db(), blobs, before);
        assert_eq!(purge(today).await.unwrap(), 0, "posted today: kept");
        assert_eq!(purge(today + chrono::Duration::days(1)).await.unwrap(), 1);
        let left = print_batch::Entity::find()
            .all(app.db().conn())
            .await
            .unwrap();
        assert_eq!(left.len(), 1, "the unposted batch stays");
        assert!(left[0].posted_on.is_none());
        assert!(!blobs.exists(&batch.pdf_sha256).await.unwrap());
        let first = issued_document::Entity::find_by_id(letter.id)
            .one(app.db().conn())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(first.print_batch_id, None);
        assert_eq!(
            first.dispatched_at.map(rathaus_core::time::local_day),
            Some(today)
        );
        assert!(
            blobs.exists(&first.sha256).await.unwrap(),
            "the letter stays"
        );
        app.stop().await;
    }
);

on_both_backends!(
    an_urkunde_is_posted_as_the_original_while_the_message_reaches_the_postbox,
    |backend| async move {
        let (app, smtp) = start(backend).await;
        citizen(&app, &smtp, "erika@example.org").await;
        // Erika orders by letter; the registrar takes it down for her account.
        let sabine = session(&app, REGISTRAR).await;
        let made = app
            .post_as(
                &sabine,
                "/verwaltung/vorgaenge/neu",
                &[
                    ("leistung", "personenstandsurkunde-bestellen"),
                    ("kanal", "brief"),
                    ("name", "Erika Mustermann"),
                    ("email", "erika@example.org"),
                    ("fachdienst", ""),
                    ("notiz", "Geburtsurkunde, zwei Ausfertigungen"),
                ],
            )
            .await;
        assert_eq!(made.status(), 303);
        let location = made.headers()["location"].to_str().unwrap().to_owned();
        let reference = location.rsplit('/').next().unwrap().to_owned();
        assert!(the_case(&app, &reference).await.citizen_id.is_some());
        claim_and_check(&app, &sabine, &reference).await;
        let page = app.get_as(&sabine, &location).await.text().await.unwrap();
        assert!(
            page.contains("Urkunde ausstellen") && page.contains("In die erste Zeile den Titel"),
            "the step and how to write its entries: {page}"
        );

        // Prose certifies nothing: the registrar is told to write entries.
        let prose = [
            ("schritt", "ausstellen"),
            (
                "nachricht",
                "Die Geburtsurkunde für Erika Mustermann liegt bei.",
            ),
        ];
        let refused = take_with(&app, &sabine, &reference, &prose).await;
        assert_eq!(refused.status(), 422);
        assert!(
            refused
                .text()
                .await
                .unwrap()
                .contains("mindestens einen Eintrag")
        );
        assert_eq!(the_case(&app, &reference).await.state, "in_pruefung");
        let entries = "Geburtsurkunde\nFamilienname: Mustermann\nVornamen: Erika\n\
                       Geburtstag: 12.08.1964\nGeburtsort: Musterstadt\n\
                       Registernummer: G 123/1964";
        let issue = [("schritt", "ausstellen"), ("nachricht", entries)];
        assert_eq!(
            take_with(&app, &sabine, &reference, &issue).await.status(),
            303
        );
        let issued_case = the_case(&app, &reference).await;
        assert_eq!(issued_case.state, "ausgestellt");

        let urkunde = issued(&app).await.remove(0);
        assert_eq!(
            (urkunde.kind.as_str(), urkunde.channel.as_str()),
            ("certificate", "paper"),
            "a certificate is a paper original, account or not"
        );
        assert!(urkunde.dispatched_at.is_none(), "waits for the print batch");
        let pdf = app.server.blobs.get(&urkunde.sha256).await.unwrap();
        let words = read_with("pdftotext", &[], &pdf);
        for certified in ["Geburtsurkunde", "Familienname", "Mustermann", "G 123/1964"] {
            assert!(words.contains(certified), "{certified}: {words}");
        }
        assert!(
            words.contains(&urkunde.code),
            "the code stands in the block"
        );
        // What she is told arrives in her postbox at once.
        let messages = rathaus_core::postbox::of_case(app.db().conn(), issued_case.id)
            .await
            .unwrap();
        assert!(messages.iter().any(|m| m.body.contains("G 123/1964")));
        app.stop().await;
    }
);
