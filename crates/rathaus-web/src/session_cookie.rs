//! The cookies that carry a session token: HttpOnly always. Behind TLS they are
//! `Secure` and carry the `__Host-` prefix, which makes the browser refuse them unless
//! they were set over HTTPS by this very host for the whole site (no `Domain`, `Path=/`):
//! a neighbouring subdomain cannot plant or overwrite a session. Without TLS (the demo,
//! development) the prefix is impossible, and each cookie is limited to the part of the
//! site that needs it.

use axum::http::{HeaderMap, HeaderValue};
use rathaus_core::sessions::SubjectKind;

use crate::i18n::cookie;

pub struct SessionCookie {
    name: &'static str,
    path: &'static str,
    /// Staff: Strict (never sent from another site). Citizens: Lax, so that returning
    /// from an identity provider or a payment page keeps the login.
    same_site: &'static str,
    lifetime: Lifetime,
}

enum Lifetime {
    /// As long as the session may last at most.
    Session(SubjectKind),
    Seconds(i64),
}

pub const STAFF: SessionCookie = SessionCookie {
    name: "rathaus_staff",
    path: "/verwaltung",
    same_site: "Strict",
    lifetime: Lifetime::Session(SubjectKind::Staff),
};

pub const CITIZEN: SessionCookie = SessionCookie {
    name: "rathaus_konto",
    path: "/",
    same_site: "Lax",
    lifetime: Lifetime::Session(SubjectKind::Citizen),
};

/// Binds a login at an external provider to the browser that started it (ten minutes,
/// like the login itself). Lax: it must come along on the return from the provider.
pub const LOGIN_BINDING: SessionCookie = SessionCookie {
    name: "rathaus_anmeldung",
    path: "/",
    same_site: "Lax",
    lifetime: Lifetime::Seconds(600),
};

/// The token of an anonymous visitor's drafts (services that need no account). Lax, so
/// that it comes along when the person returns from a payment page.
pub const DRAFT_BROWSER: SessionCookie = SessionCookie {
    name: "rathaus_entwurf",
    path: "/",
    same_site: "Lax",
    lifetime: Lifetime::Seconds(60 * 60 * 24 * 30),
};

impl SessionCookie {
    fn name(&self, secure: bool) -> String {
        if secure {
            format!("__Host-{}", self.name)
        } else {
            self.name.to_owned()
        }
    }

    pub fn read<'a>(&self, headers: &'a HeaderMap, secure: bool) -> Option<&'a str> {
        cookie(headers, &self.name(secure))
    }

    pub fn set(&self, token: &str, secure: bool) -> HeaderValue {
        let max_age = match self.lifetime {
            Lifetime::Session(kind) => kind.timeouts().1.num_seconds(),
            Lifetime::Seconds(seconds) => seconds,
        };
        self.header(token, max_age, secure)
    }

    pub fn clear(&self, secure: bool) -> HeaderValue {
        self.header("", 0, secure)
    }

    fn header(&self, value: &str, max_age: i64, secure: bool) -> HeaderValue {
        let (path, secure_flag) = if secure {
            ("/", "; Secure")
        } else {
            (self.path, "")
        };
        HeaderValue::from_str(&format!(
            "{}={value}; Path={path}; Max-Age={max_age}; HttpOnly; SameSite={}{secure_flag}",
            self.name(secure),
            self.same_site
        ))
        .expect("cookie values are hex")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn behind_tls_cookies_carry_the_host_prefix() {
        let set = STAFF.set("ab12", true);
        assert_eq!(
            set.to_str().unwrap(),
            "__Host-rathaus_staff=ab12; Path=/; Max-Age=36000; HttpOnly; SameSite=Strict; Secure"
        );
        let mut headers = HeaderMap::new();
        headers.insert(
            "cookie",
            "rathaus_staff=plain; __Host-rathaus_staff=ab12"
                .parse()
                .unwrap(),
        );
        assert_eq!(
            STAFF.read(&headers, true),
            Some("ab12"),
            "only the prefixed one counts"
        );
        assert_eq!(STAFF.read(&headers, false), Some("plain"));
        let plain = CITIZEN.set("cd34", false);
        assert!(
            plain
                .to_str()
                .unwrap()
                .starts_with("rathaus_konto=cd34; Path=/;")
        );
        assert!(!plain.to_str().unwrap().contains("Secure"));
    }
}
