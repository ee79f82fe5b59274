//! Dangerous uploads through a form assistant, on both databases: an archive (a zip
//! bomb), a PDF with a script, a PDF whose object stream inflates without end and a
//! picture of billions of pixels are refused with a clear message and nothing is
//! stored; a photo is stored without the place it was taken (EXIF GPS, XMP) but keeps
//! its orientation.

use std::io::Write;

use rathaus_core::uploads::samples::{pdf_with_object_stream, photo};

use crate::accounts::start;
use crate::assistant::{citizen, files_in_db, send_with_file};
use crate::on_both_backends;
use crate::submissions::parking_permit_person;

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// A zip archive whose one entry inflates to 20 MB of zeros.
fn zip_bomb() -> Vec<u8> {
    let mut deflater = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    deflater.write_all(&vec![0u8; 20 * 1024 * 1024]).unwrap();
    let mut zip = b"PK\x03\x04".to_vec();
    zip.extend(deflater.finish().unwrap());
    zip
}

on_both_backends!(
    dangerous_uploads_are_refused_and_photos_lose_their_location,
    |backend| async move {
        let (app, smtp) = start(backend).await;
        let erika = citizen(&app, &smtp, "erika@example.org").await;
        let base = parking_permit_person(&app, &erika).await;
        let vehicle = format!("{base}/schritt/fahrzeug");
        let fields = [("kennzeichen", "sg-ab 123"), ("halter", "firma")];
        let script = b"%PDF-1.4\n1 0 obj << /Type /Catalog /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n".to_vec();
        let hidden_script = pdf_with_object_stream(b"3 0 << /S /J#61vaScript /JS 4 0 R >>");
        let pdf_bomb = pdf_with_object_stream(&vec![0u8; 17 * 1024 * 1024]);
        let refused = [
            ("Nachweis.zip", zip_bomb(), "Erlaubt sind: PDF, JPEG, PNG"),
            ("Nachweis.pdf", script, "enthält aktive Inhalte"),
            ("Versteckt.pdf", hidden_script, "enthält aktive Inhalte"),
            (
                "Bombe.pdf",
                pdf_bomb,
                "entpackt sich zu einer viel zu großen Datenmenge",
            ),
            (
                "Riesig.jpg",
                photo(60000, 60000, 1),
                "entpackt sich zu einer viel zu großen Datenmenge",
            ),
        ];
        for (name, bytes, message) in refused {
            let sent = send_with_file(
                &app,
                &erika,
                &vehicle,
                &fields,
                ("nachweis_nutzung", name, &bytes),
            )
            .await;
            assert_eq!(sent.status(), 422, "{name}");
            let page = sent.text().await.unwrap();
            assert!(
                page.contains(message) && page.contains(name),
                "{name}: {message}"
            );
        }
        assert!(files_in_db(&app).await.is_empty(), "nothing stored");

        let original = photo(640, 480, 6);
        assert!(contains(&original, b"Solingen"));
        let sent = send_with_file(
            &app,
            &erika,
            &vehicle,
            &fields,
            ("nachweis_nutzung", "Foto.jpg", &original),
        )
        .await;
        assert_eq!(sent.status(), 303);
        let files = files_in_db(&app).await;
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].media_type, "image/jpeg");
        let stored = app.server.blobs.get(&files[0].sha256).await.unwrap();
        assert!(!contains(&stored, b"Solingen"), "no GPS position");
        assert!(!contains(&stored, b"GPSLatitude"), "no XMP position");
        assert!(
            contains(&stored, b"II*\0"),
            "the orientation stays in a minimal EXIF"
        );
        assert_eq!(files[0].size as usize, stored.len());
        app.stop().await;
    }
);
