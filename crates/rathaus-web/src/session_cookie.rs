//! The cookies that carry a session token: HttpOnly always, `Secure` behind TLS, and
//! each limited to the part of the site that needs it.

use axum::http::{HeaderMap, HeaderValue};
use rathaus_core::sessions::SubjectKind;

use crate::i18n::cookie;

pub struct SessionCookie {
    name: &'static str,
    path: &'static str,
    /// Staff: Strict (never sent from another site). Citizens: Lax, so that returning
    /// from an identity provider or a payment page keeps the login.
    same_site: &'static str,
    kind: SubjectKind,
}

pub const STAFF: SessionCookie = SessionCookie {
    name: "rathaus_staff",
    path: "/verwaltung",
    same_site: "Strict",
    kind: SubjectKind::Staff,
};

pub const CITIZEN: SessionCookie = SessionCookie {
    name: "rathaus_konto",
    path: "/",
    same_site: "Lax",
    kind: SubjectKind::Citizen,
};

impl SessionCookie {
    pub fn read<'a>(&self, headers: &'a HeaderMap) -> Option<&'a str> {
        cookie(headers, self.name)
    }

    pub fn set(&self, token: &str, secure: bool) -> HeaderValue {
        let max_age = self.kind.timeouts().1.num_seconds();
        self.header(token, max_age, secure)
    }

    pub fn clear(&self, secure: bool) -> HeaderValue {
        self.header("", 0, secure)
    }

    fn header(&self, value: &str, max_age: i64, secure: bool) -> HeaderValue {
        let secure = if secure { "; Secure" } else { "" };
        HeaderValue::from_str(&format!(
            "{}={value}; Path={}; Max-Age={max_age}; HttpOnly; SameSite={}{secure}",
            self.name, self.path, self.same_site
        ))
        .expect("cookie values are hex")
    }
}
