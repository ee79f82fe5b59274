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
