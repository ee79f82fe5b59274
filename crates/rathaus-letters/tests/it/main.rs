//! Letters checked by tools that did not write them: qpdf (structure, attachments),
//! pdfinfo (metadata, tagging, the PDF/A claim), pdftotext (what is written) and zbarimg
//! (the QR code on the printed page). scripts/test-services.sh installs them.

use std::path::Path;
use std::process::Command;

use rathaus_letters::samples::{ISSUED, permit_letter};
use rathaus_letters::{Certificate, Kind, Printed, Renderer, sheets};

fn tool(program: &str, args: &[&str], pdf: &Path) -> String {
    let out = Command::new(program)
        .args(args)
        .arg(pdf)
        .output()
        .unwrap_or_else(|e| {
            panic!("{program} is needed (scripts/test-services.sh installs it): {e}")
        });
    assert!(
        out.status.success() || program == "qpdf" && out.status.code() == Some(3),
        "{program} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The text of the PDF as pdftotext reads it, in reading layout.
fn text_of(pdf: &Path) -> String {
    let out = Command::new("pdftotext")
        .arg("-layout")
        .arg(pdf)
        .arg("-")
        .output()
        .expect("pdftotext is needed (scripts/test-services.sh installs it)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn write(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn a_permit_is_a_tagged_pdf_a_3_with_its_data_attached_and_a_readable_qr_code() {
    let rendered = Renderer::new().render(&permit_letter(), ISSUED).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let pdf = write(&dir, "permit.pdf", &rendered.pdf);
    assert_eq!(rendered.pages, 1);

    let check = tool("qpdf", &["--check"], &pdf);
    assert!(
        check.contains("No syntax or stream encoding errors"),
        "{check}"
    );

    let info = tool("pdfinfo", &[], &pdf);
    assert!(
        info.contains("Title:           Bewohnerparkausweis MS-2026-00042"),
        "{info}"
    );
    assert!(info.contains("Tagged:          yes"), "{info}");
    assert!(info.contains("Pages:           1"), "{info}");
    let meta = tool("pdfinfo", &["-meta"], &pdf);
    assert!(meta.contains("<pdfaid:part>3</pdfaid:part>"), "{meta}");
    assert!(
        meta.contains("<pdfaid:conformance>A</pdfaid:conformance>"),
        "{meta}"
    );
    assert!(meta.contains("pdfuaid:part>1<"), "{meta}");

    let attachments = tool("qpdf", &["--list-attachments"], &pdf);
    assert!(attachments.contains("vorgang.json"), "{attachments}");

    let text = text_of(&pdf);
    for expected in [
        "Musterstadt",
        "Erika Mustermann",
        "Lindenweg 7",
        "MS-2026-00042",
        "MS-AB 123",
        "B – Altstadt",
        "02.12.2027",
        "Rechtsbehelfsbelehrung",
        "K7QM-4XPD-2R",
    ] {
        assert!(text.contains(expected), "{expected} missing in:\n{text}");
    }
    assert!(!text.contains("ENTWURF"));

    assert_eq!(
        qr_codes_on_first_page(&dir, &pdf),
        "https://musterstadt.example/verify/K7QM-4XPD-2R"
    );
}

/// What the QR codes on the printed first page hold, a line each (zbarimg).
fn qr_codes_on_first_page(dir: &tempfile::TempDir, pdf: &Path) -> String {
    let page = dir.path().join("page");
    let status = Command::new("pdftoppm")
        .args(["-r", "150", "-png", "-singlefile"])
        .arg(pdf)
        .arg(&page)
        .status()
        .unwrap();
    assert!(status.success());
    let codes = tool(
        "zbarimg",
        &["--quiet", "--raw"],
        &page.with_extension("png"),
    );
    codes.trim().to_owned()
}

#[test]
fn an_urkunde_certifies_its_entries_in_a_block_with_the_qr_code() {
    let written = "Geburtsurkunde\nFamilienname: Mustermann\nVornamen: Erika\n\
                   Geburtstag: 12.08.1964\nAusgestellt in zwei Ausfertigungen.";
    let certificate = Certificate::from_text(written).unwrap();
    assert_eq!(certificate.title, "Geburtsurkunde");
    assert_eq!(
        certificate.entries[0],
        ("Familienname".to_owned(), "Mustermann".to_owned())
    );
    assert_eq!(
        certificate.entries[3],
        (
            String::new(),
            "Ausgestellt in zwei Ausfertigungen.".to_owned()
        ),
        "a line without a label stands on its own"
    );
    assert_eq!(
        Certificate::from_text("Ort: Musterstadt").unwrap().title,
        "Urkunde",
        "without a title line it is an Urkunde"
    );
    assert!(
        Certificate::from_text("Geburtsurkunde\n\n").is_none(),
        "nothing certified"
    );

    let mut letter = permit_letter();
    letter.kind = Kind::Certificate;
    letter.title = "Urkunde MS-2026-00042".into();
    letter.permit = None;
    letter.remedy = None;
    letter.certificate = Some(certificate);
    let rendered = Renderer::new().render(&letter, ISSUED).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let pdf = write(&dir, "urkunde.pdf", &rendered.pdf);
    let meta = tool("pdfinfo", &["-meta"], &pdf);
    assert!(meta.contains("<pdfaid:part>3</pdfaid:part>"), "{meta}");
    let text = text_of(&pdf);
    for expected in [
        "Geburtsurkunde",
        "Familienname",
        "Mustermann",
        "12.08.1964",
        "K7QM-4XPD-2R",
    ] {
        assert!(text.contains(expected), "{expected} missing in:\n{text}");
    }
    assert!(
        !text.contains("Rechtsbehelfsbelehrung"),
        "an Urkunde decides nothing"
    );
    assert_eq!(
        qr_codes_on_first_page(&dir, &pdf),
        "https://musterstadt.example/verify/K7QM-4XPD-2R",
        "one QR code, in the block"
    );
}

#[test]
fn a_preview_says_draft_and_carries_no_code() {
    let mut letter = permit_letter();
    letter.draft = true;
    letter.verification = None;
    let rendered = Renderer::new().render(&letter, ISSUED).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let pdf = write(&dir, "draft.pdf", &rendered.pdf);
    let text = text_of(&pdf);
    assert!(text.contains("ENTWURF"), "{text}");
    assert!(!text.contains("Prüfcode"), "{text}");
}

#[test]
fn a_long_letter_gets_page_numbers_and_a_running_header() {
    let mut letter = permit_letter();
    letter.kind = Kind::Decision;
    letter.permit = None;
    letter.paragraphs = (1..=40)
        .map(|i| format!("Absatz {i}: Die Begründung des Bescheids wird hier ausführlich dargelegt, damit die Seite voll wird."))
        .collect();
    let rendered = Renderer::new().render(&letter, ISSUED).unwrap();
    assert!(rendered.pages >= 2, "{} pages", rendered.pages);
    let dir = tempfile::tempdir().unwrap();
    let pdf = write(&dir, "long.pdf", &rendered.pdf);
    let text = text_of(&pdf);
    assert!(
        text.contains(&format!("Seite 2 von {}", rendered.pages)),
        "{text}"
    );
    assert!(text.contains("Aktenzeichen: MS-2026-00042"), "{text}");
}

#[test]
fn bad_input_is_refused_with_a_reason() {
    let mut letter = permit_letter();
    letter.recipient.clear();
    let err = Renderer::new().render(&letter, ISSUED).unwrap_err();
    assert!(
        err.to_string().contains("address needs 1 to 6 lines"),
        "{err}"
    );

    let mut letter = permit_letter();
    letter.attachments[0].name = "../etc/passwd".into();
    let err = Renderer::new().render(&letter, ISSUED).unwrap_err();
    assert!(err.to_string().contains("not a plain file name"), "{err}");

    let mut letter = permit_letter();
    letter.sender.logo_svg = Some("<svg this is not".into());
    let err = Renderer::new().render(&letter, ISSUED).unwrap_err();
    assert!(err.to_string().contains("could not be laid out"), "{err}");
}

#[test]
fn every_kind_has_a_stable_key() {
    for kind in Kind::ALL {
        assert_eq!(Kind::from_key(kind.key()), Some(kind));
        assert!(!kind.title().is_empty());
    }
    assert_eq!(Kind::from_key("letter_bomb"), None);
}

#[test]
fn a_print_batch_starts_every_letter_on_a_new_sheet() {
    let renderer = Renderer::new();
    let mut short = permit_letter();
    short.reference = "MS-2026-AAAAA".into();
    let mut long = permit_letter();
    long.reference = "MS-2026-BBBBB".into();
    long.paragraphs = (1..=40)
        .map(|i| format!("Absatz {i}: Eine lange Begründung, damit der Brief zwei Seiten hat."))
        .collect();
    let mut last = permit_letter();
    last.reference = "MS-2026-CCCCC".into();
    let letters: Vec<_> = [short, long, last]
        .iter()
        .map(|l| renderer.render(l, ISSUED).unwrap())
        .collect();
    assert_eq!(letters[1].pages, 2);
    let printed: Vec<Printed<'_>> = letters
        .iter()
        .map(|r| Printed {
            pdf: &r.pdf,
            pages: r.pages,
        })
        .collect();
    let batch = renderer
        .print_batch("Druckstapel 03.12.2026", &printed, ISSUED)
        .unwrap();
    // 1 page + blank back, 2 pages, 1 page.
    assert_eq!(batch.pages, 5);
    assert_eq!(sheets(1) + sheets(2) + sheets(1), 3);
    let dir = tempfile::tempdir().unwrap();
    let pdf = write(&dir, "batch.pdf", &batch.pdf);
    let check = tool("qpdf", &["--check"], &pdf);
    assert!(
        check.contains("No syntax or stream encoding errors"),
        "{check}"
    );
    let page = |n: &str| {
        let out = Command::new("pdftotext")
            .args(["-f", n, "-l", n])
            .arg(&pdf)
            .arg("-")
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert!(page("1").contains("MS-2026-AAAAA"));
    assert!(
        page("2").trim().is_empty(),
        "the back of the first sheet is blank"
    );
    assert!(page("3").contains("MS-2026-BBBBB"));
    assert!(page("5").contains("MS-2026-CCCCC"));
    assert!(renderer.print_batch("leer", &[], ISSUED).is_err());
}
