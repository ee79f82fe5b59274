//! Paper mail, on both databases, with the real Tesseract: the mailroom scans a letter
//! that names an application's reference and one that does not; the first is proposed
//! for its case, the second for the department whose services it speaks of; filed, the
//! letters are documents of their cases, their text found by the inbox search. Also the
//! hand-over of a case to another department, and what the mailroom refuses.

use rathaus_store::entities::{case, mail_item};
use rathaus_store::sea_orm::EntityTrait;

use crate::accounts::start;
use crate::assistant::{citizen, send_with_file};
use crate::harness::TestApp;
use crate::submissions::{parking_permit, step};
use crate::{on_both_backends, staff};

/// A one-page A4 letter as PDF with these lines in Helvetica (the way an office program
/// writes it; the mailroom renders and reads it like any scan).
pub(crate) fn letter_pdf(lines: &[&str]) -> Vec<u8> {
    let mut text = String::from("BT /F1 12 Tf 72 770 Td 16 TL\n");
    for line in lines {
        let escaped = line
            .replace('\\', "\\\\")
            .replace('(', "\\(")
            .replace(')', "\\)");
        text.push_str(&format!("({escaped}) Tj T*\n"));
    }
    text.push_str("ET");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] \
         /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>"
            .to_owned(),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_owned(),
        format!("<< /Length {} >>\nstream\n{text}\nendstream", text.len()),
    ];
    let mut pdf = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, object) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend(format!("{} 0 obj\n{object}\nendobj\n", i + 1).as_bytes());
    }
    let xref = pdf.len();
    pdf.extend(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for offset in offsets {
        pdf.extend(format!("{offset:010} 00000 n \n").as_bytes());
    }
    pdf.extend(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    pdf
}

/// The letter as a 300 dpi grey PNG, as a scanner delivers it.
fn scanned_png(pdf: &[u8]) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("letter.pdf");
    std::fs::write(&input, pdf).unwrap();
    let output = dir.path().join("letter");
    let status = std::process::Command::new("pdftoppm")
        .args(["-r", "300", "-gray", "-png", "-singlefile"])
        .arg(&input)
        .arg(&output)
        .status()
        .expect("pdftoppm (poppler-utils) is installed by scripts/test-services.sh");
    assert!(status.success());
    std::fs::read(dir.path().join("letter.png")).unwrap()
}

async fn items(app: &TestApp) -> Vec<mail_item::Model> {
    mail_item::Entity::find()
        .all(app.db().conn())
        .await
        .unwrap()
}

/// Waits until the worker has read every scan.
async fn recognised(app: &TestApp) -> Vec<mail_item::Model> {
    for _ in 0..600 {
        let all = items(app).await;
        if all.iter().all(|i| i.state != "recognising") {
            return all;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("scans not read within a minute: {:?}", items(app).await);
}

async fn scan_in(app: &TestApp, cookie: &str, name: &str, bytes: &[u8]) -> reqwest::Response {
    send_with_file(
        app,
        cookie,
        "/verwaltung/poststelle",
        &[],
        ("scans", name, bytes),
    )
    .await
}

async fn text_of(app: &TestApp, cookie: &str, path: &str) -> String {
    let response = app.get_as(cookie, path).await;
    assert_eq!(response.status(), 200, "{path}");
    response.text().await.unwrap()
}

on_both_backends!(
    scanned_letters_land_in_the_right_case,
    |backend| async move {
        let (app, smtp) = start(backend).await;
        let erika = citizen(&app, &smtp, "erika@example.org").await;
        let base = parking_permit(&app, &erika).await;
        let sent = step(&app, &erika, &format!("{base}/absenden"), &[]).await;
        let reference = sent
            .strip_prefix("/konto/antraege/")
            .and_then(|r| r.strip_suffix("?gesendet=1"))
            .unwrap()
            .to_owned();

        let post = staff::session(&app, staff::MAILROOM).await;
        let vera = staff::session(&app, staff::CASEWORKER).await;
        assert_eq!(
            app.get_as(&vera, "/verwaltung/poststelle").await.status(),
            403,
            "caseworkers do not sort the mail"
        );

        // What is no scan is refused, and nothing is stored.
        let empty = scan_in(&app, &post, "leer.pdf", b"").await;
        assert_eq!(empty.status(), 422);
        let program = scan_in(&app, &post, "brief.pdf", b"MZ\x90\0program").await;
        assert_eq!(program.status(), 422);
        let said = program.text().await.unwrap();
        assert!(said.contains("brief.pdf"), "names the refused file");
        assert!(items(&app).await.is_empty());

        // A letter naming the reference (with spaces, as typed by hand), as a PDF …
        let answer = letter_pdf(&[
            "Erika Mustermann, Heidestrasse 17, 42651 Musterstadt",
            "",
            &format!("Ihr Zeichen: {reference}"),
            "",
            "Sehr geehrte Damen und Herren,",
            "anbei sende ich die Meldebescheinigung fuer meinen Antrag.",
            "Mit freundlichen Gruessen",
        ]);
        // … and one without, about the dog tax, as a scanned image.
        let dog = scanned_png(&letter_pdf(&[
            "Max Muster, Lindenweg 3, 42651 Musterstadt",
            "",
            "Abmeldung meines Hundes",
            "",
            "Hiermit melde ich meinen Hund zum Monatsende ab und bitte",
            "um Erstattung der zu viel gezahlten Hundesteuer.",
        ]));
        let taken = scan_in(&app, &post, "antwort.pdf", &answer).await;
        assert_eq!(
            taken.headers()["location"],
            "/verwaltung/poststelle?eingelesen=1"
        );
        let taken = scan_in(&app, &post, "hund.png", &dog).await;
        assert_eq!(taken.status(), 303);

        let read = recognised(&app).await;
        assert_eq!(read.len(), 2);
        let letter = read.iter().find(|i| i.file_name == "antwort.pdf").unwrap();
        let dog_letter = read.iter().find(|i| i.file_name == "hund.png").unwrap();
        assert_eq!(letter.media_type, "application/pdf");
        assert_eq!(letter.pages, Some(1));
        let text = letter.text.as_deref().unwrap_or_default();
        assert!(
            text.contains("Meldebescheinigung"),
            "{text:?} {:?}",
            letter.ocr_note
        );
        let cases = case::Entity::find().all(app.db().conn()).await.unwrap();
        assert_eq!(
            letter.proposed_case_id,
            Some(cases[0].id),
            "{text} / {:?}",
            cases
                .iter()
                .map(|c| c.reference.clone())
                .collect::<Vec<_>>()
        );
        let treasury =
            rathaus_core::departments::by_key(app.db().conn(), cases[0].tenant_id, "stadtkasse")
                .await
                .unwrap()
                .unwrap();
        assert_eq!(dog_letter.proposed_case_id, None);
        assert_eq!(
            dog_letter.proposed_department_id,
            Some(treasury.id),
            "{:?}",
            dog_letter.text
        );

        // The mailroom sees both with their proposals; the letter's page proposes the case.
        let overview = text_of(&app, &post, "/verwaltung/poststelle").await;
        assert!(
            overview.contains(&format!("Vorgang {reference}")),
            "{overview}"
        );
        assert!(overview.contains("Stadtkasse und Steuern (nach Stichworten)"));
        let letter_path = format!("/verwaltung/poststelle/{}", letter.id);
        let page = text_of(&app, &post, &letter_path).await;
        assert!(page.contains("Meldebescheinigung"));
        assert!(page.contains(&format!("value=\"{reference}\"")));
        let scan = app.get_as(&post, &format!("{letter_path}/scan")).await;
        assert_eq!(scan.headers()["content-type"], "application/pdf");
        assert_eq!(scan.bytes().await.unwrap().as_ref(), answer.as_slice());

        // A reference that does not exist is refused; the right one files the letter;
        // filing it a second time is a conflict.
        let wrong = [("ziel", "vorgang"), ("aktenzeichen", "MS-2026-ZZZZZ")];
        let refused = app.post_as(&post, &letter_path, &wrong).await;
        assert_eq!(refused.status(), 422);
        assert!(refused.text().await.unwrap().contains("keinen Vorgang"));
        let filing = [("ziel", "vorgang"), ("aktenzeichen", reference.as_str())];
        let filed = app.post_as(&post, &letter_path, &filing).await;
        assert_eq!(
            filed.headers()["location"],
            format!("/verwaltung/poststelle?zugeordnet={reference}").as_str()
        );
        let again = app.post_as(&post, &letter_path, &filing).await;
        assert_eq!(again.status(), 409);

        // The caseworker finds the letter in the case, and the case by the letter's words.
        let case_path = format!("/verwaltung/vorgaenge/{reference}");
        let case_page = text_of(&app, &vera, &case_path).await;
        assert!(case_page.contains("antwort.pdf") && case_page.contains("Meldebescheinigung"));
        assert!(case_page.contains("Schreiben zugeordnet"));
        let document = app
            .get_as(&vera, &format!("{case_path}/dateien/{}", letter.id))
            .await;
        assert_eq!(document.status(), 200);
        let found = text_of(
            &app,
            &vera,
            "/verwaltung/vorgaenge?ansicht=alle&q=meldebescheinigung",
        )
        .await;
        assert!(
            found.contains(&reference) && found.contains("1 Vorgang"),
            "{found}"
        );
        let none = text_of(
            &app,
            &vera,
            "/verwaltung/vorgaenge?ansicht=alle&q=Baugenehmigung",
        )
        .await;
        assert!(!none.contains(&reference) && none.contains("0 Vorgänge"));
        let by_answer = text_of(
            &app,
            &vera,
            "/verwaltung/vorgaenge?ansicht=alle&q=sg-ab%20123",
        )
        .await;
        assert!(by_answer.contains(&reference), "answers are searched too");

        // The dog letter becomes a new case of the treasury: not without a sender.
        let dog_path = format!("/verwaltung/poststelle/{}", dog_letter.id);
        let incomplete = [
            ("ziel", "neu"),
            ("fachdienst", "stadtkasse"),
            ("absender", " "),
            ("betreff", "Hundesteuer"),
        ];
        let refused = app.post_as(&post, &dog_path, &incomplete).await;
        assert_eq!(refused.status(), 422);
        assert!(
            refused
                .text()
                .await
                .unwrap()
                .contains("von wem das Schreiben ist")
        );
        let complete = [
            ("ziel", "neu"),
            ("fachdienst", "stadtkasse"),
            ("absender", "Max Muster"),
            ("betreff", "Abmeldung Hund"),
        ];
        let filed = app.post_as(&post, &dog_path, &complete).await;
        assert_eq!(filed.status(), 303);
        let cases = case::Entity::find().all(app.db().conn()).await.unwrap();
        assert_eq!(cases.len(), 2);
        let dog_case = cases.iter().find(|c| c.title == "Abmeldung Hund").unwrap();
        assert_eq!(dog_case.department_id, Some(treasury.id));
        assert_eq!(dog_case.applicant_name, "Max Muster");
        assert!(items(&app).await.iter().all(|i| i.state == "filed"));
        let waiting = text_of(&app, &post, "/verwaltung/poststelle").await;
        assert!(waiting.contains("keine Schreiben zum Verteilen"));
        // Everything of the day: the application online, the letter as a new case, the
        // latest first, each with the department it went to (unless midnight came between).
        let today_day = rathaus_core::time::local_day(chrono::Utc::now());
        if cases
            .iter()
            .all(|c| rathaus_core::time::local_day(c.created_at) == today_day)
        {
            let (_, today) = waiting
                .split_once("Heute eingegangen</h2>")
                .expect(&waiting);
            assert!(today.contains("2 Vorgänge"), "{today}");
            let dog_row = today.find(&dog_case.reference).unwrap();
            let permit_row = today.find(&reference).unwrap();
            assert!(dog_row < permit_row, "the latest first");
            let (dog, permit) = today[dog_row..].split_at(permit_row - dog_row);
            assert!(dog.contains("Brief") && dog.contains("Stadtkasse und Steuern"));
            assert!(permit.contains("Online") && permit.contains("Straßenverkehr und Parken"));
        }
        for (action, count) in [
            ("mail.scanned", "2"),
            ("mail.filed", "2"),
            ("mail.viewed", "2"),
        ] {
            let sql = format!(
                "SELECT CAST(COUNT(*) AS TEXT) AS v FROM audit_log WHERE action = '{action}'"
            );
            assert_eq!(app.scalar(&sql).await.as_deref(), Some(count), "{action}");
        }

        // Vera hands the parking case over: not without a reason; afterwards it is the
        // citizens' office's and no longer hers to see.
        let version = cases
            .iter()
            .find(|c| c.reference == reference)
            .unwrap()
            .version
            .to_string();
        let hand_over = format!("{case_path}/abgeben");
        let silent = [
            ("version", version.as_str()),
            ("fachdienst", "buergerbuero"),
        ];
        let refused = app.post_as(&vera, &hand_over, &silent).await;
        assert_eq!(refused.status(), 422);
        assert!(
            refused
                .text()
                .await
                .unwrap()
                .contains("warum Sie den Vorgang abgeben")
        );
        let reasoned = [
            ("version", version.as_str()),
            ("fachdienst", "buergerbuero"),
            ("grund", "Meldebescheinigung prüft das Bürgerbüro"),
        ];
        let handed = app.post_as(&vera, &hand_over, &reasoned).await;
        assert_eq!(
            handed.headers()["location"],
            "/verwaltung/vorgaenge?abgegeben=1"
        );
        assert_eq!(app.get_as(&vera, &case_path).await.status(), 404);
        let timeline = text_of(&app, &post, &case_path).await;
        assert!(
            timeline.contains("Zugeordnet: Bürgerbüro – Meldebescheinigung prüft das Bürgerbüro")
        );
        app.stop().await;
    }
);
