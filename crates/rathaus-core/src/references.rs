//! References people read out on the phone: `MS-2026-7K3QX` — the town's prefix, the
//! year, and five characters without look-alikes (no 0/O, no 1/I), so that nobody has
//! to ask "zero or O?". 32⁵ ≈ 33 million per town and year.

use rand::Rng;

const ALPHABET: &[u8; 32] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";

/// A new random reference (the caller makes sure it is not taken yet).
pub fn new(prefix: &str, year: i32) -> String {
    let mut rng = rand::rng();
    let code: String = (0..5)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect();
    format!("{prefix}-{year}-{code}")
}

/// A reference as typed ("ms-2026-7k3qx ") in the form it is stored.
pub fn normalise(typed: &str) -> String {
    typed.trim().to_uppercase()
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
}
