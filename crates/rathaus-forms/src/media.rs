//! The type of an uploaded file, told by its first bytes, not by its name or by what
//! the browser claims: a renamed `.exe` is not a PDF.

/// The media types a file field may accept; each can be recognised by its content.
pub const KNOWN: [&str; 6] = [
    "application/pdf",
    "image/jpeg",
    "image/png",
    "image/tiff",
    "image/gif",
    "image/webp",
];

/// The media type of these bytes, if it is one of [`KNOWN`].
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    let starts = |magic: &[u8]| bytes.starts_with(magic);
    if starts(b"%PDF-") {
        Some("application/pdf")
    } else if starts(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if starts(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if starts(b"II*\0") || starts(b"MM\0*") {
        Some("image/tiff")
    } else if starts(b"GIF87a") || starts(b"GIF89a") {
        Some("image/gif")
    } else if starts(b"RIFF") && bytes.get(8..12) == Some(b"WEBP") {
        Some("image/webp")
    } else {
        None
    }
}

/// "PDF, JPEG" for people.
pub fn short_names(types: &[String]) -> String {
    types
        .iter()
        .map(|t| t.rsplit('/').next().unwrap_or(t).to_uppercase())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_decides_not_the_name() {
        assert_eq!(sniff(b"%PDF-1.7\n..."), Some("application/pdf"));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\0\0"), Some("image/png"));
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some("image/jpeg"));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(sniff(b"MZ\x90\0 an executable"), None);
        assert_eq!(sniff(b"<html>%PDF-"), None);
        assert_eq!(sniff(b""), None);
        assert_eq!(
            short_names(&["application/pdf".into(), "image/jpeg".into()]),
            "PDF, JPEG"
        );
    }
}
