//! Apps acting for a citizen: the city's app reads the citizen's applications and
//! postbox and sends documents, with the citizen's consent, through OAuth 2 (RFC 6749)
//! as a public client: authorization code flow with PKCE S256 only (RFC 7636, as OAuth
//! 2.1 and RFC 9700 require), exact redirect URIs (loopback ports may vary, RFC 8252),
//! short-lived access tokens and refresh tokens that are rotated on every use: a refresh
//! token or code used twice revokes everything issued under its grant.
//!
//! Clients are data (`app_clients`), registered by an admin (`rathaus admin
//! create-app-client`); the demo town hall has the app `musterstadt-app`.

mod clients;
mod flow;

use std::fmt;

pub use clients::{Client, NewClient, by_client_id, redirect_allowed, register};
pub use flow::{
    Authorization, AuthorizeError, Bearer, CODE_VALIDITY, ConnectedApp, RequestParams, TokenError,
    Tokens, authorize, bearer, check_request, connected_apps, exchange_code, purge_expired,
    refresh, revoke_all, revoke_grant, revoke_token,
};

/// What an app may be allowed to do for the citizen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    /// Read the applications, their status and timeline.
    Applications,
    /// Read the postbox of each application, answer, and send documents.
    Postbox,
}

impl Scope {
    pub const ALL: [Scope; 2] = [Scope::Applications, Scope::Postbox];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Applications => "applications",
            Self::Postbox => "postbox",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|scope| scope.as_str() == s)
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A space-separated scope list (RFC 6749 §3.3); `None` if one is unknown.
pub fn parse_scopes(list: &str) -> Option<Vec<Scope>> {
    let mut scopes = list
        .split_ascii_whitespace()
        .map(Scope::parse)
        .collect::<Option<Vec<_>>>()?;
    scopes.sort();
    scopes.dedup();
    Some(scopes)
}

pub fn scope_list(scopes: &[Scope]) -> String {
    scopes
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}
