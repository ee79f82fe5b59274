//! Active content in PDF files. A PDF can carry scripts (`/JavaScript`, `/JS`), start
//! programs (`/Launch`) or embed players (`/RichMedia`); a town hall that opens what
//! citizens send must not take such files. The names are looked for in the file and in
//! its object streams (where dictionaries may sit compressed), with `#xx` escapes in
//! names decoded, since both are common ways to hide them. Embedded files as such stay
//! allowed: e-invoices (ZUGFeRD) carry their XML that way.
//!
//! An object stream that inflates beyond a limit is refused as well: that is a
//! decompression bomb, not a document.

use std::io::Read;

/// Names that make a PDF active.
const ACTIVE: [&str; 4] = ["JavaScript", "JS", "Launch", "RichMedia"];

/// The most an object stream may inflate to, and all of them together.
const MAX_UNPACKED: u64 = 16 * 1024 * 1024;
const MAX_UNPACKED_TOTAL: u64 = 64 * 1024 * 1024;

#[derive(Debug, PartialEq, Eq)]
pub enum Finding {
    Clean,
    /// The name found (`JavaScript`, …).
    Active(&'static str),
    /// An object stream inflates beyond the limit.
    Unpacks,
}

/// What the PDF `bytes` hold.
pub fn inspect(bytes: &[u8]) -> Finding {
    if let Some(name) = active_name(bytes) {
        return Finding::Active(name);
    }
    let mut budget = MAX_UNPACKED_TOTAL;
    for compressed in object_streams(bytes) {
        let limit = MAX_UNPACKED.min(budget);
        let mut unpacked = Vec::new();
        let read = flate2::read::ZlibDecoder::new(compressed)
            .take(limit + 1)
            .read_to_end(&mut unpacked);
        if read.is_err() {
            // Not deflated (or damaged): nothing readable to hide a name in.
            continue;
        }
        if unpacked.len() as u64 > limit {
            return Finding::Unpacks;
        }
        budget -= unpacked.len() as u64;
        if let Some(name) = active_name(&unpacked) {
            return Finding::Active(name);
        }
    }
    Finding::Clean
}

/// The first active name in `bytes`.
fn active_name(bytes: &[u8]) -> Option<&'static str> {
    let mut i = 0;
    while let Some(slash) = bytes[i..].iter().position(|b| *b == b'/') {
        let start = i + slash + 1;
        let end = bytes[start..]
            .iter()
            .position(|b| ends_name(*b))
            .map_or(bytes.len(), |n| start + n);
        let name = decode_name(&bytes[start..end]);
        if let Some(active) = ACTIVE.iter().find(|a| a.as_bytes() == name.as_slice()) {
            return Some(active);
        }
        i = end;
    }
    None
}

/// Whitespace and delimiters end a name (PDF 32000-1, 7.2.2).
fn ends_name(b: u8) -> bool {
    b.is_ascii_whitespace()
        || b == 0
        || matches!(
            b,
            b'/' | b'[' | b']' | b'<' | b'>' | b'(' | b')' | b'{' | b'}' | b'%'
        )
}

/// A name with its `#xx` escapes decoded: `/J#61vaScript` is `/JavaScript`.
fn decode_name(raw: &[u8]) -> Vec<u8> {
    let mut name = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let escaped = (raw[i] == b'#')
            .then(|| raw.get(i + 1..i + 3))
            .flatten()
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(byte) => {
                name.push(byte);
                i += 3;
            }
            None => {
                name.push(raw[i]);
                i += 1;
            }
        }
    }
    name
}

/// The data of every stream whose dictionary says `/Type /ObjStm`.
fn object_streams(bytes: &[u8]) -> Vec<&[u8]> {
    let mut found = Vec::new();
    let mut i = 0;
    while let Some(at) = find(&bytes[i..], b"stream").map(|n| i + n) {
        let keyword_end = at + b"stream".len();
        i = keyword_end;
        // `endstream` contains `stream`; the keyword proper follows a dictionary.
        if bytes[..at].ends_with(b"end") {
            continue;
        }
        let data_start = match bytes.get(keyword_end..keyword_end + 2) {
            Some([b'\r', b'\n']) => keyword_end + 2,
            Some([b'\n', _]) | Some([b'\r', _]) => keyword_end + 1,
            _ => continue,
        };
        let Some(data_end) = find(&bytes[data_start..], b"endstream").map(|n| data_start + n)
        else {
            break;
        };
        let dictionary_start = rfind(&bytes[..at], b"obj").unwrap_or(0);
        let dictionary = &bytes[dictionary_start..at];
        if find(dictionary, b"/ObjStm").is_some() {
            found.push(&bytes[data_start..data_end]);
        }
        i = data_end;
    }
    found
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn rfind(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).rposition(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::super::samples::pdf_with_object_stream as with_object_stream;
    use super::*;

    #[test]
    fn plain_documents_are_clean() {
        let plain = b"%PDF-1.7\n1 0 obj << /Type /Catalog /Names << /EmbeddedFiles 2 0 R >> >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";
        assert_eq!(inspect(plain), Finding::Clean);
        assert_eq!(
            inspect(&with_object_stream(b"3 0 << /Type /Page /JSON (x) >>")),
            Finding::Clean,
            "a name that only begins like one is no match"
        );
    }

    #[test]
    fn scripts_and_launches_are_found_even_when_hidden() {
        let open_action =
            b"%PDF-1.4\n1 0 obj << /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >> endobj";
        assert_eq!(inspect(open_action), Finding::Active("JavaScript"));
        let escaped = b"%PDF-1.4\n1 0 obj << /AA << /O << /S /J#61vaScript >> >> >> endobj";
        assert_eq!(inspect(escaped), Finding::Active("JavaScript"));
        let launch = b"%PDF-1.4\n1 0 obj << /S /Launch /F (calc.exe) >> endobj";
        assert_eq!(inspect(launch), Finding::Active("Launch"));
        let packed = with_object_stream(b"3 0 << /S /JavaScript /JS 4 0 R >>");
        assert!(
            find(&packed, b"JavaScript").is_none(),
            "not visible uncompressed"
        );
        assert_eq!(inspect(&packed), Finding::Active("JavaScript"));
    }

    #[test]
    fn an_object_stream_that_inflates_without_end_is_a_bomb() {
        let zeros = vec![0u8; (MAX_UNPACKED + 1) as usize];
        let bomb = with_object_stream(&zeros);
        assert!(bomb.len() < 100_000, "small on the wire: {}", bomb.len());
        assert_eq!(inspect(&bomb), Finding::Unpacks);
    }
}
