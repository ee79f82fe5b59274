//! Active content in PDF files. A PDF can carry scripts (`/JavaScript`, `/JS`), start
//! programs (`/Launch`) or embed players (`/RichMedia`); a town hall that opens what
//! citizens send must not take such files. The names are looked for in the file and in
//! its object streams (where dictionaries may sit compressed), with `#xx` escapes in
//! names decoded, since both are common ways to hide them. Embedded files as such stay
//! allowed: e-invoices (ZUGFeRD) carry their XML that way.
//!
//! XFA forms are refused too: their scripts sit in XML and carry no such name.
//!
//! An object stream that inflates beyond a limit is refused as well: that is a
//! decompression bomb, not a document. One that cannot be inflated (damaged, or packed
//! in another way) cannot be checked, and is refused as unreadable rather than let
//! through.

use std::io::Read;

/// Names that make a PDF active.
const ACTIVE: [&str; 5] = ["JavaScript", "JS", "Launch", "RichMedia", "XFA"];

/// How far before a `stream` keyword its dictionary is looked for.
const DICTIONARY_WINDOW: usize = 4096;

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
    /// An object stream that cannot be inflated, so not checked.
    Unreadable,
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
        // Inflated as raw deflate after the two-byte zlib header: readers ignore the
        // checksum at the end, so a wrong one must not hide the content.
        let read = match compressed {
            [method, _, deflated @ ..] if method & 0x0F == 8 => {
                flate2::read::DeflateDecoder::new(deflated)
                    .take(limit + 1)
                    .read_to_end(&mut unpacked)
            }
            _ => Err(std::io::ErrorKind::InvalidData.into()),
        };
        if unpacked.len() as u64 > limit {
            return Finding::Unpacks;
        }
        // What was inflated before a damage is looked at too: readers show it.
        if let Some(name) = active_name(&unpacked) {
            return Finding::Active(name);
        }
        if read.is_err() {
            return Finding::Unreadable;
        }
        budget -= unpacked.len() as u64;
    }
    Finding::Clean
}

/// The first active name in `bytes`.
fn active_name(bytes: &[u8]) -> Option<&'static str> {
    names(bytes).find_map(|name| ACTIVE.iter().copied().find(|a| a.as_bytes() == name))
}

/// Every name in `bytes`, with its escapes decoded.
fn names(bytes: &[u8]) -> impl Iterator<Item = Vec<u8>> + '_ {
    let mut i = 0;
    std::iter::from_fn(move || {
        let slash = bytes[i..].iter().position(|b| *b == b'/')?;
        let start = i + slash + 1;
        let end = bytes[start..]
            .iter()
            .position(|b| ends_name(*b))
            .map_or(bytes.len(), |n| start + n);
        i = end;
        Some(decode_name(&bytes[start..end]))
    })
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

/// The data of every stream whose dictionary says `/Type /ObjStm` (also escaped).
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
        let window = &bytes[at.saturating_sub(DICTIONARY_WINDOW)..at];
        let dictionary = &window[rfind(window, b"obj").unwrap_or(0)..];
        if names(dictionary).any(|name| name == b"ObjStm") {
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
    fn escaped_damaged_and_xfa_documents_are_not_let_through() {
        let plain = with_object_stream(b"3 0 << /S /JavaScript >>");
        let at = find(&plain, b"/ObjStm").unwrap();
        let escaped_type = [&plain[..at], b"/Obj#53tm", &plain[at + 7..]].concat();
        assert_eq!(inspect(&escaped_type), Finding::Active("JavaScript"));
        let mut damaged = with_object_stream(b"3 0 << /S /JS (x) >>");
        let end = find(&damaged, b"\nendstream").unwrap();
        damaged[end - 2] ^= 0xFF; // the checksum at the end
        assert_eq!(
            inspect(&damaged),
            Finding::Active("JS"),
            "read up to the damage"
        );
        let unreadable = b"%PDF-1.7\n2 0 obj << /Type /ObjStm /Filter /ASCIIHexDecode >>\nstream\n3C3C2F53202F4A533E3E\nendstream\nendobj";
        assert_eq!(inspect(unreadable), Finding::Unreadable);
        let xfa = b"%PDF-1.7\n1 0 obj << /AcroForm << /XFA 5 0 R >> >> endobj";
        assert_eq!(inspect(xfa), Finding::Active("XFA"));
    }

    #[test]
    fn an_object_stream_that_inflates_without_end_is_a_bomb() {
        let zeros = vec![0u8; (MAX_UNPACKED + 1) as usize];
        let bomb = with_object_stream(&zeros);
        assert!(bomb.len() < 100_000, "small on the wire: {}", bomb.len());
        assert_eq!(inspect(&bomb), Finding::Unpacks);
    }
}
