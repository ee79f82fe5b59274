//! References people read out on the phone: `MS-2026-7K3QX` — the town's prefix, the
//! year, and five characters without look-alikes (no 0/O, no 1/I), so that nobody has
//! to ask "zero or O?". 32⁵ ≈ 33 million per town and year.

use chrono::{Datelike, Utc};
use rand::Rng;
use rathaus_store::entities::case;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};

use crate::error::{CoreError, Result};
use crate::tenants::Tenant;

pub(crate) const ALPHABET: &[u8; 32] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
const CODE_LENGTH: usize = 5;

/// A new random reference (the caller makes sure it is not taken yet).
pub fn new(prefix: &str, year: i32) -> String {
    let mut rng = rand::rng();
    let code: String = (0..CODE_LENGTH)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect();
    format!("{prefix}-{year}-{code}")
}

/// A reference of this year that no case of the tenant has (every submission opens a
/// case with its reference, so this covers submissions too).
pub async fn free(conn: &impl ConnectionTrait, tenant: &Tenant) -> Result<String> {
    let year = crate::time::local(Utc::now()).year();
    for _ in 0..10 {
        let candidate = new(&tenant.reference_prefix, year);
        let taken = case::Entity::find()
            .filter(case::Column::TenantId.eq(tenant.id))
            .filter(case::Column::Reference.eq(candidate.as_str()))
            .count(conn)
            .await?;
        if taken == 0 {
            return Ok(candidate);
        }
    }
    Err(CoreError::Invalid(
        "no free reference found in ten tries".into(),
    ))
}

/// A reference as typed ("ms-2026-7k3qx ") in the form it is stored.
pub fn normalise(typed: &str) -> String {
    typed.trim().to_uppercase()
}

/// The most references looked up for one text (the database's parameters are limited).
const MAX_CANDIDATES: usize = 500;

/// The references with this prefix in a text read from paper (OCR), in order, each
/// once, each followed by the near-misses worth trying. Recognition puts spaces around
/// dashes or reads them as other dashes (tolerated); it also adds a character or mixes
/// up look-alike ones (S/5, Z/2, B/8, 3/8, G/6, J read as I, D as O): for a code of six characters every way of
/// leaving one out is tried, for a code of five each look-alike swapped; then the same
/// once more (two mistakes). A well-formed reference comes first; the caller takes the
/// first that names a case.
pub fn find_in(text: &str, prefix: &str) -> Vec<String> {
    let chars: Vec<char> = text
        .chars()
        .map(|c| match c {
            '‐' | '‑' | '‒' | '–' | '—' | '−' => '-',
            other => other.to_ascii_uppercase(),
        })
        .collect();
    let prefix: Vec<char> = prefix.chars().collect();
    let mut exact: Vec<String> = Vec::new();
    let mut near: Vec<String> = Vec::new();
    for start in 0..chars.len() {
        let at_word_start = start == 0 || !chars[start - 1].is_alphanumeric();
        if !at_word_start || !chars[start..].starts_with(&prefix) {
            continue;
        }
        let Some((year, code)) = year_and_code(&chars[start + prefix.len()..]) else {
            continue;
        };
        let head = format!("{}-{year}-", prefix.iter().collect::<String>());
        let well_formed = code.len() == CODE_LENGTH && code.bytes().all(|b| ALPHABET.contains(&b));
        if well_formed {
            exact.push(format!("{head}{code}"));
        }
        // One mistake first, then two (Tesseract now and then misreads two characters of
        // a code); staff confirm every proposal.
        let once = near_misses(&code);
        let twice: Vec<String> = once.iter().flat_map(|c| near_misses(c)).collect();
        near.extend(once.into_iter().chain(twice).map(|c| format!("{head}{c}")));
    }
    let mut found: Vec<String> = Vec::new();
    let in_alphabet = |r: &String| {
        r.rsplit('-')
            .next()
            .is_some_and(|c| c.bytes().all(|b| ALPHABET.contains(&b)))
    };
    let mut seen = std::collections::HashSet::new();
    for reference in exact
        .into_iter()
        .chain(near.into_iter().filter(in_alphabet))
    {
        if seen.insert(reference.clone()) {
            found.push(reference);
        }
        // Enough for one letter; a page full of code-like strings gives no more.
        if found.len() == MAX_CANDIDATES {
            break;
        }
    }
    found
}

/// Codes one OCR mistake away from `code` (in the alphabet or not yet).
fn near_misses(code: &str) -> Vec<String> {
    // Both ways within the alphabet; characters outside it (I, 1, O, 0) can only be
    // misread.
    const LOOK_ALIKES: [(char, char); 22] = [
        ('S', '5'),
        ('5', 'S'),
        ('Z', '2'),
        ('2', 'Z'),
        ('B', '8'),
        ('8', 'B'),
        // Seen from Tesseract 5 on a 300-dpi scan of a printed letter.
        ('3', '8'),
        ('8', '3'),
        ('G', '6'),
        ('6', 'G'),
        ('I', 'J'),
        ('I', 'L'),
        ('1', 'J'),
        ('1', '7'),
        ('O', 'D'),
        ('O', 'Q'),
        ('0', 'D'),
        ('0', 'Q'),
        ('4', 'A'),
        ('A', '4'),
        ('U', 'V'),
        ('V', 'U'),
    ];
    let chars: Vec<char> = code.chars().collect();
    let mut variants = Vec::new();
    if chars.len() == CODE_LENGTH + 1 {
        for left_out in 0..chars.len() {
            let mut shorter = chars.clone();
            shorter.remove(left_out);
            variants.push(shorter.into_iter().collect::<String>());
        }
    } else if chars.len() == CODE_LENGTH {
        for (at, c) in chars.iter().enumerate() {
            for (from, to) in LOOK_ALIKES {
                if *c == from {
                    let mut swapped = chars.clone();
                    swapped[at] = to;
                    variants.push(swapped.into_iter().collect::<String>());
                }
            }
        }
    }
    variants
}

/// `-2026-7K3QX` (with optional spaces around the dashes) after a prefix: the year and a
/// code of five or six letters and digits.
fn year_and_code(rest: &[char]) -> Option<(String, String)> {
    let mut at = 0;
    let dash = |at: &mut usize| -> Option<()> {
        while rest.get(*at) == Some(&' ') {
            *at += 1;
        }
        (rest.get(*at) == Some(&'-')).then(|| *at += 1)?;
        while rest.get(*at) == Some(&' ') {
            *at += 1;
        }
        Some(())
    };
    dash(&mut at)?;
    let year: String = rest.get(at..at + 4)?.iter().collect();
    if !year.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    at += 4;
    dash(&mut at)?;
    let code: String = rest[at..]
        .iter()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect();
    (CODE_LENGTH..=CODE_LENGTH + 1)
        .contains(&code.len())
        .then_some((year, code))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_have_no_look_alikes() {
        for _ in 0..2000 {
            let reference = new("MS", 2026);
            let code = reference.strip_prefix("MS-2026-").unwrap();
            assert_eq!(code.len(), 5);
            assert!(!code.contains(['0', 'O', '1', 'I']), "{reference}");
        }
    }

    #[test]
    fn references_are_found_in_recognised_text() {
        let text = "Ihr Zeichen: MS - 2026 – 7K3QX\nBetreff: Antrag ms-2026-abcde vom 1.12.\n\
                    Wiederholt: MS-2026-7K3QX. Fremd: XMS-2026-22222, MS-26-7K3QX, \
                    MS-2026-7K3QXYZ";
        let found = find_in(text, "MS");
        assert_eq!(found[..2], ["MS-2026-7K3QX", "MS-2026-ABCDE"]);
        assert!(
            !found
                .iter()
                .any(|r| r.contains("22222") || r.contains("-26-"))
        );
        assert!(
            !found.iter().any(|r| r.contains("7K3QXY")),
            "seven characters are no code"
        );
        assert!(find_in("kein Zeichen", "MS").is_empty());
        assert!(find_in("MS-2026-7K3Q", "MS").is_empty(), "too short");
    }

    #[test]
    fn common_recognition_mistakes_are_tried_after_the_exact_reference() {
        // One character too many: each way of leaving one out.
        let found = find_in("Zeichen MS-2026-2CWNG6", "MS");
        assert!(found.contains(&"MS-2026-2CWN6".to_owned()), "{found:?}");
        assert!(found.contains(&"MS-2026-CWNG6".to_owned()), "{found:?}");
        // A look-alike: 5 read for S; I and 0 (not in the alphabet) can only be misread.
        let found = find_in("MS-2026-7K3Q5", "MS");
        assert_eq!(found[0], "MS-2026-7K3Q5");
        assert!(found.contains(&"MS-2026-7K3QS".to_owned()));
        let found = find_in("Ihr Zeichen: MS-2026-BPD3Q", "MS");
        assert!(found.contains(&"MS-2026-BPD8Q".to_owned()), "3 read for 8");
        let found = find_in("MS-2026-IXZUL", "MS");
        assert_eq!(found[..2], ["MS-2026-JXZUL", "MS-2026-LXZUL"]);
        assert_eq!(
            find_in("MS-2026-7K0QX", "MS"),
            ["MS-2026-7KDQX", "MS-2026-7KQQX"]
        );
        // Two mistakes, after all codes one mistake away: 4 read for A, 6 for G.
        let found = find_in("MS-2026-6NT4A", "MS");
        let (one, two) = (
            found.iter().position(|r| r == "MS-2026-6NTAA").unwrap(),
            found.iter().position(|r| r == "MS-2026-GNTAA").unwrap(),
        );
        assert!(one < two, "{found:?}");
        let mut codes = found.iter().map(|r| r.rsplit('-').next().unwrap());
        assert!(
            codes.all(|c| !c.contains(['0', '1', 'I', 'O'])),
            "{found:?}"
        );
    }
}
