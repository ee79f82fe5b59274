//! Password hashing (Argon2id) and the one rule a password must meet besides its
//! length: not being one of the passwords everybody tries first (NIST SP 800-63B:
//! no composition rules, but a check against known-bad passwords).

use std::collections::HashSet;
use std::sync::LazyLock;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

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

/// Argon2id with 64 MiB and two passes: one verification takes about 100 ms on the
/// reference machine (2 cores), inside the 50–150 ms the accounts issue asks for, and
/// caps password guessing at about ten tries per second and core even without the login
/// guard. Measured with `bench/src/password_cost.rs` (docs/PERFORMANCE.md). Hashes made
/// with other parameters keep working: the parameters are part of each stored hash.
fn argon2() -> Argon2<'static> {
    let params = Params::new(64 * 1024, 2, 1, None).expect("valid Argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

fn hash_now(password: &str) -> Result<String> {
    let salt = SaltString::encode_b64(&rand::random::<[u8; 16]>())
        .map_err(|e| CoreError::Invalid(format!("cannot make a salt: {e}")))?;
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| CoreError::Invalid(format!("cannot hash the password: {e}")))
}

fn verify_now(password: &str, stored: Option<&str>) -> bool {
    static DUMMY: LazyLock<String> =
        LazyLock::new(|| hash_now("no account has this password").expect("hashing works"));
    let (hash, real) = match stored {
        Some(h) => (h, true),
        None => (DUMMY.as_str(), false),
    };
    let ok = PasswordHash::new(hash)
        .map(|parsed| {
            argon2()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false);
    ok && real
}

/// Hashes a new password. The work runs on the blocking pool, so that 100 ms of
/// hashing never stall the requests that share the async worker threads. Call it
/// before opening a write transaction, which it would otherwise hold that long.
pub async fn hash(password: &str) -> Result<String> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || hash_now(&password))
        .await
        .map_err(|e| CoreError::Invalid(format!("password hashing stopped: {e}")))?
}

/// Verifies against a stored hash. Without one (unknown account, or an account that
/// only logs in through an identity provider) a dummy hash is checked, so that the
/// answer takes as long either way and does not reveal whether the account exists.
pub async fn verify(password: &str, stored: Option<&str>) -> bool {
    let (password, stored) = (password.to_owned(), stored.map(str::to_owned));
    tokio::task::spawn_blocking(move || verify_now(&password, stored.as_deref()))
        .await
        .unwrap_or(false)
}

/// An initial password for an account an admin creates: four groups of five characters
/// that are easy to read out (no 0/O, 1/I/l), about 115 bits.
pub fn generate_initial() -> String {
    const ALPHABET: &[u8] = b"23456789abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ";
    (0..4)
        .map(|_| {
            (0..5)
                .map(|_| ALPHABET[rand::random_range(0..ALPHABET.len())] as char)
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("-")
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

    #[tokio::test]
    async fn hashes_verify_and_unknown_accounts_never_do() {
        let h = hash("Fahrrad Laterne Wolke").await.unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=65536,t=2,p=1$"), "{h}");
        assert!(verify("Fahrrad Laterne Wolke", Some(&h)).await);
        assert!(!verify("fahrrad laterne wolke", Some(&h)).await);
        assert!(!verify("no account has this password", None).await);
        assert!(!verify("x", Some("not a hash")).await);
        // A hash made with the library's older defaults still verifies.
        let old = Argon2::default()
            .hash_password(
                b"Fahrrad Laterne Wolke",
                &SaltString::encode_b64(b"0123456789abcdef").unwrap(),
            )
            .unwrap()
            .to_string();
        assert!(verify("Fahrrad Laterne Wolke", Some(&old)).await);
    }
}
