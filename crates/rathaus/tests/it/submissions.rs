//! Sending an application, on both databases: a complete draft becomes one submission
//! with a reference, a case in the right department, a receipt in the postbox and an
//! e-mail notice without content; a second press finds the same submission; incomplete
//! drafts are not sent; only the applicant sees it; anonymous applicants follow it
//! through a secret status link.

use rathaus_store::entities::{
    case, draft, draft_file, form_snapshot, postbox_file, postbox_message, submission,
    submission_file,
};
use rathaus_store::sea_orm::EntityTrait;

use crate::accounts::start;
use crate::assistant::{PDF, begin, citizen, send_with_file};
use crate::harness::TestApp;
use crate::{on_both_backends, staff};

async fn all<E: EntityTrait>(app: &TestApp) -> Vec<E::Model> {
    E::find().all(app.db().conn()).await.unwrap()
}

fn path_of(reference: &str) -> String {
    format!("/konto/antraege/{reference}")
}

/// Sends one step and expects to be sent on; returns where to.
pub(crate) async fn step(
    app: &TestApp,
    cookie: &str,
    path: &str,
    fields: &[(&str, &str)],
) -> String {
    let sent = app.post_as(cookie, path, fields).await;
    let status = sent.status();
    let location = sent
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned());
    assert_eq!(status, 303, "{path}: {}", sent.text().await.unwrap());
    location.unwrap()
}

/// Erika sends a parking permit application; returns its reference.
pub(crate) async fn sent_application(app: &TestApp, erika: &str) -> String {
    let base = parking_permit(app, erika).await;
    send_draft(app, erika, &base).await
}

/// Sends the draft at `base` from its check page; returns the reference once the
/// worker has issued the receipt letter (waiting for it keeps what follows exact).
pub(crate) async fn send_draft(app: &TestApp, cookie: &str, base: &str) -> String {
    let confirmation = step(app, cookie, &format!("{base}/absenden"), &[]).await;
    let reference = confirmation
        .trim_end_matches("?gesendet=1")
        .trim_start_matches("/konto/antraege/")
        .to_owned();
    crate::letters::receipt_of(app, &reference).await;
    reference
}

/// Erika's parking permit with the first step (the person) done; returns the draft's
/// base path.
pub(crate) async fn parking_permit_person(app: &TestApp, erika: &str) -> String {
    let first = begin(app, erika, "bewohnerparkausweis").await;
    let base = first.trim_end_matches("/schritt/person").to_owned();
    let person = [
        ("vorname", "Erika"),
        ("nachname", "Mustermann"),
        ("geburtsdatum", "12.08.1964"),
        ("anschrift.strasse", "Heidestraße"),
        ("anschrift.hausnummer", "17"),
        ("anschrift.plz", "42651"),
        ("anschrift.ort", "Musterstadt"),
        ("hauptwohnsitz", "ja"),
    ];
    step(app, erika, &first, &person).await;
    base
}

/// Erika's parking permit filled in up to the check page, with a proof for a company
/// car; returns the draft's base path.
pub(crate) async fn parking_permit(app: &TestApp, erika: &str) -> String {
    let base = parking_permit_person(app, erika).await;
    let vehicle = format!("{base}/schritt/fahrzeug");
    let fields = [("kennzeichen", "sg-ab 123"), ("halter", "firma")];
    let proof = ("nachweis_nutzung", "Bescheinigung.pdf", PDF);
    let sent = send_with_file(app, erika, &vehicle, &fields, proof).await;
    assert_eq!(sent.status(), 303);
    let validity = format!("{base}/schritt/laufzeit");
    let done = step(
        app,
        erika,
        &validity,
        &[("jahre", "2"), ("einwilligung", "ja")],
    )
    .await;
    assert_eq!(done, format!("{base}/pruefen"));
    base
}

on_both_backends!(
    a_citizen_sends_a_parking_permit_application_and_follows_it,
    |backend| async move {
        let (app, smtp) = start(backend).await;
        let erika = citizen(&app, &smtp, "erika@example.org").await;

        // Not before every step is complete: back to the check page, nothing sent.
        let early = begin(&app, &erika, "bewohnerparkausweis").await;
        let early_base = early.trim_end_matches("/schritt/person").to_owned();
        let refused = step(&app, &erika, &format!("{early_base}/absenden"), &[]).await;
        assert_eq!(refused, format!("{early_base}/pruefen"));
        assert!(all::<submission::Entity>(&app).await.is_empty());
        let check = app.get_as(&erika, &format!("{early_base}/pruefen")).await;
        let check = check.text().await.unwrap();
        assert!(!check.contains("/absenden"), "no send button yet");
        assert!(check.contains("sobald alle Schritte vollständig sind"));

        let base = parking_permit(&app, &erika).await;
        let check = app.get_as(&erika, &format!("{base}/pruefen")).await;
        let check = check.text().await.unwrap();
        assert!(check.contains(&format!("action=\"{base}/absenden\"")));
        assert!(check.contains("Antrag verbindlich absenden"));

        let confirmation = step(&app, &erika, &format!("{base}/absenden"), &[]).await;
        let reference = confirmation
            .strip_prefix("/konto/antraege/")
            .and_then(|r| r.strip_suffix("?gesendet=1"))
            .unwrap_or_else(|| panic!("{confirmation}"))
            .to_owned();
        let year = chrono::Utc::now().format("%Y").to_string();
        let code = reference
            .strip_prefix(&format!("MS-{year}-"))
            .unwrap_or_else(|| panic!("{reference}"));
        assert_eq!(code.len(), 5);
        assert!(!code.contains(['0', 'O', '1', 'I']), "{reference}");

        // A second press (or a retry) finds the same application.
        let again = step(&app, &erika, &format!("{base}/absenden"), &[]).await;
        assert_eq!(again, confirmation);

        // One submission with its file by hash; one case in the traffic department;
        // the draft is gone, its file is not.
        let submissions = all::<submission::Entity>(&app).await;
        assert_eq!(submissions.len(), 1);
        let sent = &submissions[0];
        assert_eq!(sent.reference, reference);
        assert_eq!(sent.trust_level, "basis");
        assert_eq!(
            sent.fee_cents,
            Some(6000),
            "the fee as the answers make it: two years"
        );
        assert!(sent.answers.contains("SG-AB 123"), "{}", sent.answers);
        let files = all::<submission_file::Entity>(&app).await;
        assert_eq!(files.len(), 1);
        assert!(app.server.blobs.exists(&files[0].sha256).await.unwrap());
        assert_eq!(all::<form_snapshot::Entity>(&app).await.len(), 1);
        let drafts = all::<draft::Entity>(&app).await;
        assert_eq!(drafts.len(), 1, "only the early draft is left");
        assert!(all::<draft_file::Entity>(&app).await.is_empty());
        let cases = all::<case::Entity>(&app).await;
        assert_eq!(cases.len(), 1);
        let traffic = rathaus_core::departments::by_key(
            app.db().conn(),
            cases[0].tenant_id,
            "strassenverkehr",
        )
        .await
        .unwrap()
        .unwrap();
        assert_eq!(cases[0].department_id, Some(traffic.id));
        assert_eq!(cases[0].state, "eingegangen");
        assert_eq!(cases[0].reference, reference);
        assert_eq!(
            app.scalar("SELECT action AS v FROM audit_log WHERE action = 'submission.sent'")
                .await
                .as_deref(),
            Some("submission.sent")
        );

        // The e-mail says there is a message, not what it says.
        let mail = smtp
            .wait_for_mail("erika@example.org", "liegt eine neue Nachricht")
            .await;
        assert!(mail.contains("/konto/antraege"), "{mail}");
        for private in ["Bewohnerparkausweis", "Eingangsbest", reference.as_str()] {
            assert!(!mail.contains(private), "{private} in {mail}");
        }

        // "Meine Anträge": the application with its status and one unread message.
        let list = app.get_as(&erika, "/konto/antraege").await;
        let list = list.text().await.unwrap();
        for expected in [reference.as_str(), "Eingegangen", "1 neue Nachricht"] {
            assert!(list.contains(expected), "{expected}");
        }
        let page = app
            .get_as(&erika, &confirmation)
            .await
            .text()
            .await
            .unwrap();
        for expected in [
            "Ihr Antrag ist eingegangen",
            &format!("Ihr Aktenzeichen lautet {reference}"),
            "Eingangsbestätigung: Bewohnerparkausweis",
            "Straßenverkehr und Parken",
            "SG-AB 123",
            "Bescheinigung.pdf",
            "Antrag eingegangen",
        ] {
            assert!(page.contains(expected), "{expected}");
        }
        assert!(!page.contains("pruefen=1"), "no change links once sent");
        let messages = all::<postbox_message::Entity>(&app).await;
        assert_eq!(messages.len(), 1);
        assert!(messages[0].read_at.is_some(), "read by opening the page");
        let list = app.get_as(&erika, "/konto/antraege").await;
        assert!(!list.text().await.unwrap().contains("neue Nachricht"));

        // The traffic department's caseworker finds it among the new cases, opens it
        // (audited) and takes it over; a second take-over based on the old version is
        // refused as a conflict, not silently repeated.
        let vera = staff::session(&app, staff::CASEWORKER).await;
        let inbox = app.get_as(&vera, "/verwaltung/vorgaenge").await;
        assert_eq!(inbox.status(), 200);
        let inbox = inbox.text().await.unwrap();
        assert!(inbox.contains(&reference) && inbox.contains("Erika Mustermann"));
        let case_path = format!("/verwaltung/vorgaenge/{reference}");
        let case_page = app.get_as(&vera, &case_path).await.text().await.unwrap();
        for expected in [
            "SG-AB 123",
            "Bescheinigung.pdf",
            "Eingangsbestätigung: Bewohnerparkausweis",
            "Straßenverkehr und Parken",
            "Zugeordnet",
            "Vorgang übernehmen",
        ] {
            assert!(case_page.contains(expected), "{expected}");
        }
        assert_eq!(
            app.scalar(
                "SELECT CAST(COUNT(*) AS TEXT) AS v FROM audit_log WHERE action = 'case.viewed'"
            )
            .await
            .as_deref(),
            Some("1")
        );
        let claim = format!("{case_path}/uebernehmen");
        let claimed = app.post_as(&vera, &claim, &[("version", "1")]).await;
        assert_eq!(claimed.headers()["location"], case_path.as_str());
        let stale = app.post_as(&vera, &claim, &[("version", "1")]).await;
        assert_eq!(
            stale.headers()["location"],
            format!("{case_path}?konflikt=1").as_str()
        );
        let after = app
            .get_as(&vera, &format!("{case_path}?konflikt=1"))
            .await
            .text()
            .await
            .unwrap();
        assert!(after.contains("inzwischen geändert") && !after.contains("Vorgang übernehmen"));
        let mine = app
            .get_as(&vera, "/verwaltung/vorgaenge?ansicht=meine")
            .await;
        assert!(mine.text().await.unwrap().contains(&reference));
        let new = app.get_as(&vera, "/verwaltung/vorgaenge?ansicht=neu").await;
        assert!(
            !new.text().await.unwrap().contains(&reference),
            "no longer new"
        );
        // Staff without case work see neither the inbox nor the case.
        let admin = staff::session(&app, staff::ADMIN).await;
        assert_eq!(
            app.get_as(&admin, "/verwaltung/vorgaenge").await.status(),
            403
        );
        assert_eq!(app.get_as(&admin, &case_path).await.status(), 404);
        let applicant_view = app
            .get_as(&erika, &confirmation)
            .await
            .text()
            .await
            .unwrap();
        assert!(
            !applicant_view.contains("Übernommen"),
            "internal entries stay internal"
        );

        // Vera asks for a document: not without saying what; then the applicant is told.
        let workflow_step = format!("{case_path}/schritt");
        let silent = app
            .post_as(
                &vera,
                &workflow_step,
                &[("version", "2"), ("schritt", "nachfordern")],
            )
            .await;
        assert_eq!(silent.status(), 422);
        assert!(
            silent
                .text()
                .await
                .unwrap()
                .contains("Schreiben Sie der antragstellenden Person")
        );
        let ask = [
            ("version", "2"),
            ("schritt", "nachfordern"),
            ("nachricht", "Bitte senden Sie uns den Fahrzeugschein."),
        ];
        let asked = app.post_as(&vera, &workflow_step, &ask).await;
        assert_eq!(asked.status(), 303);
        let state = "SELECT state AS v FROM cases";
        assert_eq!(
            app.scalar(state).await.as_deref(),
            Some("unterlagen_nachgefordert")
        );
        let page = app
            .get_as(&erika, &path_of(&reference))
            .await
            .text()
            .await
            .unwrap();
        for expected in [
            "Unterlagen nachgefordert",
            "Bitte senden Sie uns den Fahrzeugschein.",
            "Bitte reichen Sie Unterlagen nach: Bewohnerparkausweis",
        ] {
            assert!(
                page.contains(expected),
                "{expected}\n{}",
                page.split("<main").nth(1).unwrap_or(&page)
            );
        }
        for _ in 0..100 {
            if smtp.count_to("erika@example.org") >= 3 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert_eq!(
            smtp.count_to("erika@example.org"),
            3,
            "confirmation, receipt, request"
        );

        // Erika answers: an empty answer and a program are refused, nothing stored.
        let reply = format!("{}/nachricht", path_of(&reference));
        let empty = send_with_file(
            &app,
            &erika,
            &reply,
            &[("nachricht", "")],
            ("dateien", "", b""),
        )
        .await;
        assert_eq!(empty.status(), 422);
        assert!(
            empty
                .text()
                .await
                .unwrap()
                .contains("Schreiben Sie eine Nachricht")
        );
        let program = send_with_file(
            &app,
            &erika,
            &reply,
            &[("nachricht", "Anbei")],
            ("dateien", "fahrzeugschein.pdf", b"MZ\x90\0program"),
        )
        .await;
        assert_eq!(program.status(), 422);
        let program = program.text().await.unwrap();
        assert!(
            program.contains("fahrzeugschein.pdf") && program.contains("Anbei"),
            "typed text kept"
        );
        assert_eq!(
            all::<postbox_message::Entity>(&app).await.len(),
            2,
            "nothing stored"
        );
        let answered = send_with_file(
            &app,
            &erika,
            &reply,
            &[("nachricht", "Anbei der Fahrzeugschein.")],
            ("dateien", "fahrzeugschein.pdf", PDF),
        )
        .await;
        assert_eq!(
            answered.headers()["location"],
            format!("{}?beantwortet=1", path_of(&reference)).as_str()
        );
        // Besides the receipt letter, which came with the receipt message.
        let files: Vec<_> = all::<postbox_file::Entity>(&app)
            .await
            .into_iter()
            .filter(|f| !f.file_name.starts_with("receipt-"))
            .collect();
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].file_name, "fahrzeugschein.pdf");
        assert!(app.server.blobs.exists(&files[0].sha256).await.unwrap());

        // Vera decides: a decision based on the page before the answer is a conflict
        // (her text is kept); on the current page it goes through.
        let staff_page = app.get_as(&vera, &case_path).await.text().await.unwrap();
        assert!(
            staff_page.contains("Anbei der Fahrzeugschein.")
                && staff_page.contains("fahrzeugschein.pdf")
        );
        // The caseworker opens the document (audited); it cannot run anything.
        let link = format!("{case_path}/dateien/{}", files[0].id);
        assert!(staff_page.contains(&link));
        let document = app.get_as(&vera, &link).await;
        assert_eq!(document.status(), 200);
        assert_eq!(document.headers()["content-type"], "application/pdf");
        assert!(
            document.headers()["content-security-policy"]
                .to_str()
                .unwrap()
                .starts_with("sandbox")
        );
        assert_eq!(document.bytes().await.unwrap().as_ref(), PDF);
        let foreign = format!("{case_path}/dateien/{}", uuid::Uuid::now_v7());
        assert_eq!(app.get_as(&vera, &foreign).await.status(), 404);
        let citizen_tries = app.get_as(&erika, &link).await;
        assert!(
            citizen_tries.status().is_redirection(),
            "citizens go to the staff login"
        );
        assert_eq!(
            app.scalar("SELECT action AS v FROM audit_log WHERE action = 'case.file_read'")
                .await
                .as_deref(),
            Some("case.file_read")
        );
        let decision = "Ihr Bewohnerparkausweis ist bewilligt.";
        let too_early = app
            .post_as(
                &vera,
                &workflow_step,
                &[
                    ("version", "4"),
                    ("schritt", "bewilligen"),
                    ("nachricht", decision),
                ],
            )
            .await;
        assert_eq!(too_early.status(), 422, "not from 'documents requested'");
        assert!(
            too_early
                .text()
                .await
                .unwrap()
                .contains("in diesem Stand möglich")
        );
        let note = "Wir prüfen jetzt Ihren Fahrzeugschein.";
        let stale = app
            .post_as(
                &vera,
                &workflow_step,
                &[
                    ("version", "3"),
                    ("schritt", "bearbeiten"),
                    ("nachricht", note),
                ],
            )
            .await;
        assert_eq!(stale.status(), 409, "the answer came after her page");
        let stale = stale.text().await.unwrap();
        assert!(
            stale.contains(note) && stale.contains("inzwischen geändert"),
            "her text is kept"
        );
        assert_eq!(
            app.scalar(state).await.as_deref(),
            Some("unterlagen_nachgefordert")
        );
        let bearbeiten = app
            .post_as(
                &vera,
                &workflow_step,
                &[("version", "4"), ("schritt", "bearbeiten")],
            )
            .await;
        assert_eq!(bearbeiten.status(), 303);
        let approved = app
            .post_as(
                &vera,
                &workflow_step,
                &[
                    ("version", "5"),
                    ("schritt", "bewilligen"),
                    ("nachricht", decision),
                    // The permit is issued with it (tests/it/letters.rs).
                    ("zone", "B – Altstadt"),
                ],
            )
            .await;
        assert_eq!(approved.status(), 303, "{}", approved.text().await.unwrap());
        assert_eq!(app.scalar(state).await.as_deref(), Some("bewilligt"));
        let page = app
            .get_as(&erika, &path_of(&reference))
            .await
            .text()
            .await
            .unwrap();
        for expected in [
            "Bewilligt",
            decision,
            "Ihr Antrag wurde bewilligt: Bewohnerparkausweis",
        ] {
            assert!(page.contains(expected), "{expected}");
        }
        let admin_step = app
            .post_as(
                &admin,
                &workflow_step,
                &[("version", "6"), ("schritt", "abschliessen")],
            )
            .await;
        assert_eq!(admin_step.status(), 404, "no case work without the right");

        // Nobody else sees it.
        let max = citizen(&app, &smtp, "max@example.org").await;
        let path = format!("/konto/antraege/{reference}");
        assert_eq!(app.get_as(&max, &path).await.status(), 404);
        let max_list = app.get_as(&max, "/konto/antraege").await;
        assert!(!max_list.text().await.unwrap().contains(&reference));
        assert_ne!(app.get(&path).await.status(), 200);
        let stolen = app.post_as(&max, &format!("{base}/absenden"), &[]).await;
        assert_eq!(stolen.status(), 404, "another's draft id finds nothing");

        // The file stays while the application refers to it, even when a draft that
        // also had it is discarded.
        let other = parking_permit(&app, &erika).await;
        step(&app, &erika, &format!("{other}/verwerfen"), &[]).await;
        assert!(app.server.blobs.exists(&files[0].sha256).await.unwrap());
        app.stop().await;
    }
);

on_both_backends!(
    an_anonymous_application_is_followed_through_its_status_link,
    |backend| async move {
        let app = TestApp::start(backend).await;
        let started = app.post_as("", "/antrag/bibliotheksausweis", &[]).await;
        let set = started.headers()["set-cookie"].to_str().unwrap().to_owned();
        let browser = set.split(';').next().unwrap().to_owned();
        let first = started.headers()["location"].to_str().unwrap().to_owned();
        let base = first.trim_end_matches("/schritt/person").to_owned();
        let person = [
            ("vorname", "Paul"),
            ("nachname", "Leser"),
            ("geburtsdatum", "01.02.1990"),
            ("anschrift.strasse", "Am Markt"),
            ("anschrift.hausnummer", "1"),
            ("anschrift.plz", "42651"),
            ("anschrift.ort", "Musterstadt"),
            ("email", "paul@example.org"),
        ];
        let mut next = step(&app, &browser, &first, &person).await;
        let answers: [&[(&str, &str)]; 3] = [
            &[
                ("ausweisart", "jahresausweis"),
                ("abholung", "zentralbibliothek"),
            ],
            &[("erinnerung", "nein"), ("newsletter", "nein")],
            &[
                ("benutzungsordnung", "ja"),
                ("datenschutz", "ja"),
                ("versicherung", "ja"),
            ],
        ];
        for fields in answers {
            next = step(&app, &browser, &next, fields).await;
        }
        assert_eq!(next, format!("{base}/pruefen"));

        let status_link = step(&app, &browser, &format!("{base}/absenden"), &[]).await;
        assert!(
            status_link.starts_with("/antragsstatus/MS-"),
            "{status_link}"
        );
        let again = step(&app, &browser, &format!("{base}/absenden"), &[]).await;
        assert_eq!(again, status_link, "the same link on a second press");
        let page = app.get(&status_link).await;
        assert_eq!(page.status(), 200);
        let page = page.text().await.unwrap();
        assert!(page.contains("Ihr Antrag ist eingegangen") && page.contains("Eingegangen"));
        assert!(page.contains("Lesezeichen"), "keep the link");
        assert!(
            !page.contains("Leser"),
            "what was sent is not behind a link"
        );
        let sent = &all::<submission::Entity>(&app).await[0];
        assert!(sent.citizen_id.is_none() && sent.status_secret_hash.is_some());
        assert!(
            all::<postbox_message::Entity>(&app).await.is_empty(),
            "no postbox"
        );

        // A wrong or shortened secret opens nothing.
        let path = status_link.split('?').next().unwrap();
        let (prefix, secret) = path.rsplit_once('/').unwrap();
        assert_eq!(
            app.get(&format!("{prefix}/{}", &secret[1..]))
                .await
                .status(),
            404
        );
        let forged = format!("{prefix}/{}", "0".repeat(secret.len()));
        assert_eq!(app.get(&forged).await.status(), 404);
        let stranger =
            "rathaus_entwurf=0000000000000000000000000000000000000000000000000000000000000000";
        let other_browser = app
            .post_as(stranger, &format!("{base}/absenden"), &[])
            .await;
        assert_eq!(other_browser.status(), 404);
        app.stop().await;
    }
);
