//! Password hashing (Argon2id) and the one rule a password must meet besides its
//! length: not being one of the passwords everybody tries first (NIST SP 800-63B:
//! no composition rules, but a check against known-bad passwords).

use std::collections::HashSet;
use std::sync::LazyLock;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

use crate::error::{CoreError, Result};

pub const MIN_LENGTH: usize = 10;
pub const MAX_LENGTH: usize = 256;

static COMMON: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("common_passwords.txt")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect()
});

/// Why a new password is refused, for the form to explain.
#[derive(Debug, PartialEq, Eq)]
pub enum Weakness {
    TooShort,
    TooLong,
    Common,
    SameAsEmail,
}

/// Checks a new password; `email` must not be reused as the password.
pub fn check_new(password: &str, email: &str) -> Result<(), Weakness> {
    let length = password.chars().count();
    if length < MIN_LENGTH {
        return Err(Weakness::TooShort);
    }
    if length > MAX_LENGTH {
        return Err(Weakness::TooLong);
    }
    let lowered = password.to_lowercase();
    if COMMON.contains(lowered.as_str()) {
        return Err(Weakness::Common);
    }
    let local_part = email.split('@').next().unwrap_or("").to_lowercase();
    if lowered == email.to_lowercase() || (!local_part.is_empty() && lowered == local_part) {
        return Err(Weakness::SameAsEmail);
    }
    Ok(())
}

pub fn hash(password: &str) -> Result<String> {
    let salt = SaltString::encode_b64(&rand::random::<[u8; 16]>())
        .map_err(|e| CoreError::Invalid(format!("cannot make a salt: {e}")))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| CoreError::Invalid(format!("cannot hash the password: {e}")))
}

/// Verifies against a stored hash. Without one (unknown account, or an account that
/// only logs in through an identity provider) a dummy hash is checked, so that the
/// answer takes as long either way and does not reveal whether the account exists.
pub fn verify(password: &str, stored: Option<&str>) -> bool {
    static DUMMY: LazyLock<String> =
        LazyLock::new(|| hash("no account has this password").expect("hashing works"));
    let (hash, real) = match stored {
        Some(h) => (h, true),
        None => (DUMMY.as_str(), false),
    };
    let ok = PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false);
    ok && real
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_passwords_need_length_and_must_not_be_common() {
        assert_eq!(check_new("kurz", "a@b.de"), Err(Weakness::TooShort));
        assert_eq!(check_new("passwort123", "a@b.de"), Err(Weakness::Common));
        assert_eq!(
            check_new("Passwort123", "a@b.de"),
            Err(Weakness::Common),
            "case does not help"
        );
        assert_eq!(
            check_new("erika.mustermann", "erika.mustermann@example.org"),
            Err(Weakness::SameAsEmail)
        );
        assert_eq!(
            check_new(&"x".repeat(300), "a@b.de"),
            Err(Weakness::TooLong)
        );
        assert_eq!(check_new("Fahrrad Laterne Wolke", "a@b.de"), Ok(()));
    }

    #[test]
    fn hashes_verify_and_unknown_accounts_never_do() {
        let h = hash("Fahrrad Laterne Wolke").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("Fahrrad Laterne Wolke", Some(&h)));
        assert!(!verify("fahrrad laterne wolke", Some(&h)));
        assert!(!verify("no account has this password", None));
        assert!(!verify("x", Some("not a hash")));
    }
}
