//! The applicant's PDF copy of an application, on both databases: it holds the answers
//! in words with the reference, is a PDF a reader can read (checked with `pdftotext`
//! where poppler-utils is installed), and only the applicant gets it.

use crate::accounts::start;
use crate::assistant::citizen;
use crate::on_both_backends;
use crate::submissions::{parking_permit, step};

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The text of a PDF as `pdftotext` reads it, if it is installed.
fn pdf_text(pdf: &[u8]) -> Option<String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kopie.pdf");
    std::fs::write(&path, pdf).unwrap();
    let output = std::process::Command::new("pdftotext")
        .arg(&path)
        .arg("-")
        .output()
        .ok()?;
    assert!(output.status.success(), "pdftotext reads the copy");
    Some(String::from_utf8(output.stdout).unwrap())
}

on_both_backends!(
    the_applicant_downloads_a_copy_of_the_application,
    |backend| async move {
        let (app, smtp) = start(backend).await;
        let erika = citizen(&app, &smtp, "erika@example.org").await;
        let base = parking_permit(&app, &erika).await;
        let confirmation = step(&app, &erika, &format!("{base}/absenden"), &[]).await;
        let own = confirmation.trim_end_matches("?gesendet=1");
        let reference = own.trim_start_matches("/konto/antraege/");
        let page = app.get_as(&erika, own).await.text().await.unwrap();
        let link = format!("{own}/kopie.pdf");
        assert!(
            page.contains(&format!("href=\"{link}\"")),
            "the page offers it"
        );

        let copy = app.get_as(&erika, &link).await;
        assert_eq!(copy.status(), 200);
        assert_eq!(copy.headers()["content-type"], "application/pdf");
        assert!(
            copy.headers()["content-disposition"]
                .to_str()
                .unwrap()
                .contains(&format!("Antrag-{reference}.pdf"))
        );
        let pdf = copy.bytes().await.unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        for expected in [
            format!("Aktenzeichen: {reference}"),
            "SG-AB 123".to_owned(),
            "Bescheinigung.pdf".to_owned(),
        ] {
            assert!(contains(&pdf, expected.as_bytes()), "{expected}");
        }
        // A line with letters beyond ASCII is written as a hex string of WinAnsi bytes.
        let address = rathaus_core::plain_pdf::win_ansi("Heidestraße 17, 42651 Musterstadt");
        let hex: String = address.iter().map(|b| format!("{b:02x}")).collect();
        let pdf_text_lower = String::from_utf8_lossy(&pdf).to_lowercase();
        assert!(pdf_text_lower.contains(&hex), "German letters in WinAnsi");
        match pdf_text(&pdf) {
            Some(text) => {
                assert!(text.contains("Heidestraße 17, 42651 Musterstadt"), "{text}");
                assert!(text.contains("Seite 1 von"), "{text}");
            }
            None => eprintln!("skipped reading the copy with pdftotext: not installed"),
        }

        // Nobody else gets it: another citizen, a visitor without login.
        let other = citizen(&app, &smtp, "otto@example.org").await;
        assert_eq!(app.get_as(&other, &link).await.status(), 404);
        let anonymous = app.get(&link).await;
        assert!(anonymous.status().is_redirection(), "to the login");
        app.stop().await;
    }
);
