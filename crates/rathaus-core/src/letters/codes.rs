//! Short codes printed on issued documents and held by their QR codes: twelve
//! characters from the alphabet of the references (no 0/O, no 1/I), in groups of four
//! (`K7QM-4XPD-2RBT`). 32¹² ≈ 10¹⁸ codes: not to be guessed.

use crate::references::ALPHABET;

const GROUPS: usize = 3;
const GROUP: usize = 4;

pub fn new() -> String {
    let plain: String = (0..GROUPS * GROUP)
        .map(|_| ALPHABET[rand::random_range(0..ALPHABET.len())] as char)
        .collect();
    grouped(&plain)
}

fn grouped(plain: &str) -> String {
    plain
        .as_bytes()
        .chunks(GROUP)
        .map(|chunk| String::from_utf8_lossy(chunk).into_owned())
        .collect::<Vec<_>>()
        .join("-")
}

/// A code as typed (lower case, spaces, without dashes) in its stored form; `None` if it
/// cannot be one.
pub fn normalise(typed: &str) -> Option<String> {
    let plain: String = typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let fits = plain.len() == GROUPS * GROUP && plain.bytes().all(|b| ALPHABET.contains(&b));
    fits.then(|| grouped(&plain))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_grouped_and_read_back_however_they_are_typed() {
        let code = new();
        assert_eq!(code.len(), 14);
        assert_eq!(normalise(&code), Some(code.clone()));
        let typed = code.replace('-', " ").to_lowercase();
        assert_eq!(normalise(&typed), Some(code.clone()));
        assert_eq!(normalise("K7QM4XPD2RBT"), Some("K7QM-4XPD-2RBT".into()));
        assert_eq!(normalise("K7QM-4XPD-2RB"), None);
        assert_eq!(
            normalise("K7QM-4XPD-2RB0"),
            None,
            "0 is not in the alphabet"
        );
        assert_ne!(new(), new());
    }
}
