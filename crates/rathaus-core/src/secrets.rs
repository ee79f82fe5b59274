//! Random tokens for links and cookies, and the hash under which they are stored.

use sha2::{Digest, Sha256};

/// 256 random bits, hex-encoded: for session cookies and links sent by e-mail.
pub fn new_token() -> String {
    hex::encode(rand::random::<[u8; 32]>())
}

/// What the database keeps instead of the token itself.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Secrets the database must keep but never show (the client secrets of identity
/// providers): sealed with a key that is not in the database, so that a copy of the
/// database (a dump, a stolen disk, a too-curious query) does not hand them out.
/// ChaCha20-Poly1305 with a random nonce; the row the secret belongs to is bound in as
/// associated data, so a sealed secret copied into another row does not open.
#[derive(Clone)]
pub struct Sealer {
    key: std::sync::Arc<ring::aead::LessSafeKey>,
}

/// What a sealed value starts with; older rows hold the plain value.
const SEALED: &str = "sealed:v1:";

impl Sealer {
    /// A sealer for 32 bytes of key, given as 64 hex digits.
    pub fn from_hex(hex_key: &str) -> Result<Self, String> {
        let bytes = hex::decode(hex_key.trim())
            .ok()
            .filter(|b| b.len() == 32)
            .ok_or("the secret key must be 64 hex digits (32 bytes)")?;
        let key = ring::aead::UnboundKey::new(&ring::aead::CHACHA20_POLY1305, &bytes)
            .map_err(|_| "unusable secret key")?;
        Ok(Self {
            key: std::sync::Arc::new(ring::aead::LessSafeKey::new(key)),
        })
    }

    /// A new random key as 64 hex digits.
    pub fn new_key() -> String {
        hex::encode(rand::random::<[u8; 32]>())
    }

    pub fn seal(&self, secret: &str, belongs_to: &str) -> String {
        use base64::Engine;
        let nonce_bytes = rand::random::<[u8; 12]>();
        let nonce = ring::aead::Nonce::assume_unique_for_key(nonce_bytes);
        let mut sealed = secret.as_bytes().to_vec();
        self.key
            .seal_in_place_append_tag(nonce, ring::aead::Aad::from(belongs_to), &mut sealed)
            .expect("sealing a short secret cannot fail");
        let mut stored = nonce_bytes.to_vec();
        stored.extend(sealed);
        format!(
            "{SEALED}{}",
            base64::engine::general_purpose::STANDARD.encode(stored)
        )
    }

    /// The secret of a stored value: opened if sealed, as it is if stored before
    /// sealing existed. `None` if it was sealed with another key or for another row.
    pub fn open(&self, stored: &str, belongs_to: &str) -> Option<String> {
        use base64::Engine;
        let Some(sealed) = stored.strip_prefix(SEALED) else {
            return Some(stored.to_owned());
        };
        let mut bytes = base64::engine::general_purpose::STANDARD
            .decode(sealed)
            .ok()?;
        if bytes.len() < 12 {
            return None;
        }
        let mut sealed = bytes.split_off(12);
        let nonce = ring::aead::Nonce::try_assume_unique_for_key(&bytes).ok()?;
        let opened = self
            .key
            .open_in_place(nonce, ring::aead::Aad::from(belongs_to), &mut sealed)
            .ok()?;
        String::from_utf8(opened.to_vec()).ok()
    }

    pub fn is_sealed(stored: &str) -> bool {
        stored.starts_with(SEALED)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_secrets_open_only_with_their_key_and_row() {
        let sealer = Sealer::from_hex(&Sealer::new_key()).unwrap();
        let stored = sealer.seal("geheim-123", "identity_provider:a");
        assert!(Sealer::is_sealed(&stored));
        assert!(!stored.contains("geheim"));
        assert_ne!(
            stored,
            sealer.seal("geheim-123", "identity_provider:a"),
            "fresh nonce"
        );
        assert_eq!(
            sealer.open(&stored, "identity_provider:a").as_deref(),
            Some("geheim-123")
        );
        assert_eq!(
            sealer.open(&stored, "identity_provider:b"),
            None,
            "another row"
        );
        let other = Sealer::from_hex(&Sealer::new_key()).unwrap();
        assert_eq!(
            other.open(&stored, "identity_provider:a"),
            None,
            "another key"
        );
        use base64::Engine;
        let engine = base64::engine::general_purpose::STANDARD;
        let mut bytes = engine.decode(&stored[SEALED.len()..]).unwrap();
        bytes[14] ^= 1;
        let tampered = format!("{SEALED}{}", engine.encode(bytes));
        assert_eq!(sealer.open(&tampered, "identity_provider:a"), None);
        assert_eq!(
            sealer
                .open("plain-from-before", "identity_provider:a")
                .as_deref(),
            Some("plain-from-before")
        );
        assert!(Sealer::from_hex("abcd").is_err());
    }
}
