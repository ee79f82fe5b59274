//! What every page around its content needs: the tenant's branding, the language and
//! its texts, the asset version, and the current path (for the language switch).

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use rathaus_core::tenants::Tenant;

use crate::assets;
use crate::error::PageError;
use crate::i18n::{Lang, Texts};
use crate::tenant::CurrentTenant;

pub struct Chrome {
    pub tenant: Arc<Tenant>,
    pub lang: Lang,
    pub t: &'static Texts,
    pub asset_version: &'static str,
    /// Path and query of this page, for links that come back here.
    pub here: String,
}

impl Chrome {
    pub fn lang_code(&self) -> &'static str {
        self.lang.code()
    }

    pub fn other_lang(&self) -> &'static str {
        self.lang.other().code()
    }

    pub fn official_site(&self) -> String {
        self.t
            .fmt("official-site", &[("tenant", &self.tenant.name)])
    }

    /// Query-encoded current path for `?zurueck=`.
    pub fn here_encoded(&self) -> String {
        url_encode(&self.here)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Chrome {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let tenant = CurrentTenant::of(parts)?;
        let lang = Lang::from_headers(&parts.headers);
        Ok(Self {
            tenant,
            lang,
            t: lang.texts(),
            asset_version: assets::version(),
            here: parts
                .uri
                .path_and_query()
                .map(|pq| pq.as_str().to_owned())
                .unwrap_or_else(|| "/".into()),
        })
    }
}

fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}
