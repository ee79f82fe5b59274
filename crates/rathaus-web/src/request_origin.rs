//! Where a request came from (IP address, user agent), for the audit log and the
//! login guard's limit per address.
//!
//! Behind a reverse proxy (the usual setup: Rathaus speaks no TLS itself) every request
//! comes from the proxy. Only when the connection comes from a configured trusted proxy
//! is `X-Forwarded-For` read, from the right, skipping the trusted proxies: the first
//! other address is the client's. From anyone else the header is ignored, so that nobody
//! can choose the address the log records or the limit counts.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use ipnet::IpNet;
use rathaus_core::Origin;

use crate::state::AppState;

/// Where the request came from, for the audit log.
pub struct RequestOrigin(pub Origin);

impl FromRequestParts<AppState> for RequestOrigin {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip());
        let ip = peer
            .map(|peer| client_address(peer, &parts.headers, &state.config.trusted_proxies))
            .map(|ip| ip.to_string());
        let user_agent = parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        Ok(Self(Origin { ip, user_agent }))
    }
}

/// The client's address: the peer's, or, from a trusted proxy, the last address in
/// `X-Forwarded-For` that is not a trusted proxy itself.
fn client_address(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let forwarded: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map_while(|hop| hop.trim().parse().ok())
        .collect();
    forwarded
        .iter()
        .rev()
        .find(|ip| !is_trusted(ip))
        .or(forwarded.first())
        .copied()
        .unwrap_or(peer)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(forwarded: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", forwarded.parse().unwrap());
        h
    }

    #[test]
    fn only_trusted_proxies_name_the_client() {
        let proxies: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let from_proxy = ip("10.0.0.5");
        // The client, then a second proxy of ours: the last untrusted hop counts.
        let h = headers("198.51.100.9, 203.0.113.7, 10.1.2.3");
        assert_eq!(client_address(from_proxy, &h, &proxies), ip("203.0.113.7"));
        // A header from anyone else is ignored.
        assert_eq!(
            client_address(ip("192.0.2.1"), &h, &proxies),
            ip("192.0.2.1")
        );
        // From the proxy without the header: the proxy.
        let none = HeaderMap::new();
        assert_eq!(client_address(from_proxy, &none, &proxies), from_proxy);
        // Garbage ends the list; only what came before it counts.
        let h = headers("203.0.113.7, not-an-address, 10.1.2.3");
        assert_eq!(client_address(from_proxy, &h, &proxies), ip("203.0.113.7"));
        // Without trusted proxies nothing is trusted.
        assert_eq!(client_address(from_proxy, &h, &[]), from_proxy);
    }
}
