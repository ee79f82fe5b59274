//! Notifications from the payment service: "something happened to transaction X". The
//! XBezahldienste standard has none (the online service asks for the status); Rathaus
//! accepts them as a hint from services that send them — the sandbox does — so that a
//! payment is recorded even when the citizen never comes back.
//!
//! A notification is signed with HMAC-SHA256 under a secret shared with the service:
//! the header `Rathaus-Signature: t=<unix seconds>,v1=<hex>` signs `"<t>.<body>"`. A
//! wrong signature or one older than five minutes is refused. Nothing in the body is
//! trusted beyond the transaction id: Rathaus then asks the service for the status, so
//! a replayed notification changes nothing.

use chrono::{DateTime, Utc};
use ring::hmac;

/// The header that carries the signature.
pub const HEADER: &str = "Rathaus-Signature";

/// How old a signature may be.
pub const TOLERANCE_SECONDS: i64 = 300;

/// The body of a notification.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Notification {
    pub transaction_id: String,
}

/// Why a notification is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refused {
    /// No header, or not in the form `t=…,v1=…`.
    Malformed,
    /// Signed too long ago (or in the future): a replay.
    Stale,
    /// Not signed with the shared secret.
    BadSignature,
}

/// The header value for `body` signed at `at`.
pub fn sign(secret: &[u8], at: DateTime<Utc>, body: &[u8]) -> String {
    let t = at.timestamp();
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret);
    let tag = hmac::sign(&key, &signed_bytes(t, body));
    format!("t={t},v1={}", hex::encode(tag.as_ref()))
}

fn signed_bytes(t: i64, body: &[u8]) -> Vec<u8> {
    let mut bytes = format!("{t}.").into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

/// Checks the header against `body` at `now` (constant time).
pub fn verify(
    secret: &[u8],
    header: Option<&str>,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<(), Refused> {
    let header = header.ok_or(Refused::Malformed)?;
    let mut t = None;
    let mut v1 = None;
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", value)) => t = value.parse::<i64>().ok(),
            Some(("v1", value)) => v1 = hex::decode(value).ok(),
            _ => {}
        }
    }
    let (Some(t), Some(v1)) = (t, v1) else {
        return Err(Refused::Malformed);
    };
    if (now.timestamp() - t).abs() > TOLERANCE_SECONDS {
        return Err(Refused::Stale);
    }
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret);
    hmac::verify(&key, &signed_bytes(t, body), &v1).map_err(|_| Refused::BadSignature)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_fresh_signature_with_the_secret_over_this_body_holds() {
        let now = Utc::now();
        let body = br#"{"transactionId":"T-1"}"#;
        let header = sign(b"geheim", now, body);
        assert_eq!(verify(b"geheim", Some(&header), body, now), Ok(()));
        assert_eq!(
            verify(b"anders", Some(&header), body, now),
            Err(Refused::BadSignature)
        );
        let other = br#"{"transactionId":"T-2"}"#;
        assert_eq!(
            verify(b"geheim", Some(&header), other, now),
            Err(Refused::BadSignature)
        );
        let later = now + chrono::Duration::seconds(TOLERANCE_SECONDS + 1);
        assert_eq!(
            verify(b"geheim", Some(&header), body, later),
            Err(Refused::Stale)
        );
        assert_eq!(verify(b"geheim", None, body, now), Err(Refused::Malformed));
        assert_eq!(
            verify(b"geheim", Some("v1=00"), body, now),
            Err(Refused::Malformed)
        );
    }
}
