//! Where a person is sent next: back after a login or a language switch, or to the
//! login page first. Return paths come from the request, so they are checked: only a
//! local path inside the expected area is followed (no open redirect).

use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

/// The `?weiter=` (or hidden form field) that says where to go afterwards.
#[derive(Deserialize)]
pub struct ReturnTo {
    pub weiter: Option<String>,
}

/// `wanted` if it is a local path below `area` (`/` for anywhere on this site),
/// otherwise `fallback`.
pub fn local_path(wanted: Option<String>, area: &str, fallback: &str) -> String {
    wanted
        .filter(|p| {
            // Only the path decides where the browser goes; a query may hold a URL (an
            // app's redirect_uri).
            let path = p.split('?').next().unwrap_or_default();
            p.starts_with(area)
                && path.starts_with('/')
                && !path.contains("//")
                && !path.contains('\\')
        })
        .unwrap_or_else(|| fallback.to_owned())
}

/// Sends the request to `login_path`, which brings the person back here afterwards.
pub fn to_login(parts: &Parts, login_path: &str) -> Response {
    let here = parts.uri.path_and_query().map_or("/", |pq| pq.as_str());
    Redirect::to(&format!("{login_path}?weiter={}", query_encode(here))).into_response()
}

/// Percent-encodes a query value (slashes stay readable).
pub fn query_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_in_the_area_are_followed() {
        let go = |p: &str| local_path(Some(p.into()), "/verwaltung", "/verwaltung");
        assert_eq!(go("/verwaltung/protokoll?x=1"), "/verwaltung/protokoll?x=1");
        assert_eq!(go("/konto"), "/verwaltung");
        assert_eq!(go("//evil.example"), "/verwaltung");
        assert_eq!(go("/verwaltung//evil.example"), "/verwaltung");
        assert_eq!(go("/verwaltung\\\\evil"), "/verwaltung");
        assert_eq!(go("https://evil.example/verwaltung"), "/verwaltung");
        assert_eq!(local_path(None, "/", "/konto"), "/konto");
        assert_eq!(local_path(Some("/konto/x".into()), "/", "/"), "/konto/x");
        let app = "/oauth/authorize?redirect_uri=http://127.0.0.1:5000/cb";
        assert_eq!(local_path(Some(app.into()), "/", "/konto"), app);
        assert_eq!(
            local_path(Some("//evil.example?x".into()), "/", "/konto"),
            "/konto"
        );
        assert_eq!(
            local_path(Some("/\\evil.example".into()), "/", "/konto"),
            "/konto"
        );
    }
}
