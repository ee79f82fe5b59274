//! Static files (KERN UX, fonts, our CSS), built into the binary and served by Rathaus
//! itself: no CDN, no third-party request from a citizen's browser.
//!
//! URLs carry a version derived from the content (`/static/3f2a9c1b/…`), so browsers may
//! cache them for a year; text files are gzip-compressed once at start-up.

use std::collections::HashMap;
use std::io::Write;
use std::sync::LazyLock;

use axum::body::Body;
use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

struct Asset {
    content_type: &'static str,
    bytes: &'static [u8],
    gzip: Option<Vec<u8>>,
    etag: HeaderValue,
}

macro_rules! asset {
    ($path:literal, $file:literal, $type:literal) => {
        (
            $path,
            include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/", $file)) as &[u8],
            $type,
        )
    };
}

const FILES: &[(&str, &[u8], &str)] = &[
    asset!(
        "kern/kern.min.css",
        "vendor/kern/kern.min.css",
        "text/css; charset=utf-8"
    ),
    asset!(
        "kern/fonts/FiraSans-Regular.woff2",
        "vendor/kern/fonts/FiraSans-Regular.woff2",
        "font/woff2"
    ),
    asset!(
        "kern/fonts/FiraSans-Italic.woff2",
        "vendor/kern/fonts/FiraSans-Italic.woff2",
        "font/woff2"
    ),
    asset!(
        "kern/fonts/FiraSans-Medium.woff2",
        "vendor/kern/fonts/FiraSans-Medium.woff2",
        "font/woff2"
    ),
    asset!(
        "kern/fonts/FiraSans-SemiBold.woff2",
        "vendor/kern/fonts/FiraSans-SemiBold.woff2",
        "font/woff2"
    ),
    asset!("fonts.css", "fonts.css", "text/css; charset=utf-8"),
    asset!("rathaus.css", "rathaus.css", "text/css; charset=utf-8"),
    asset!("passkey.js", "passkey.js", "text/javascript; charset=utf-8"),
    asset!(
        "assistant.js",
        "assistant.js",
        "text/javascript; charset=utf-8"
    ),
];

struct Catalog {
    version: String,
    by_path: HashMap<&'static str, Asset>,
}

static CATALOG: LazyLock<Catalog> = LazyLock::new(|| {
    let mut all = Sha256::new();
    let by_path = FILES
        .iter()
        .map(|&(path, bytes, content_type)| {
            all.update(bytes);
            let hash = hex::encode(&Sha256::digest(bytes)[..8]);
            let gzip = content_type.starts_with("text/").then(|| gzip(bytes));
            let etag =
                HeaderValue::from_str(&format!("\"{hash}\"")).expect("hex is a valid header");
            (
                path,
                Asset {
                    content_type,
                    bytes,
                    gzip,
                    etag,
                },
            )
        })
        .collect();
    Catalog {
        version: hex::encode(&all.finalize()[..4]),
        by_path,
    }
});

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes).expect("writing to memory");
    encoder.finish().expect("writing to memory")
}

/// The version segment of asset URLs, for templates.
pub fn version() -> &'static str {
    &CATALOG.version
}

/// Builds the catalog (hashing and compressing) before the first request needs it.
pub fn warm_up() {
    LazyLock::force(&CATALOG);
}

/// `GET /static/{version}/{*path}`
pub async fn serve(Path((version, path)): Path<(String, String)>, headers: HeaderMap) -> Response {
    let Some(asset) = CATALOG.by_path.get(path.as_str()) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    // An old version in the URL still gets the file, but must not be cached for long.
    let cache = if version == CATALOG.version {
        "public, max-age=31536000, immutable"
    } else {
        "public, max-age=60"
    };
    if headers.get(header::IF_NONE_MATCH) == Some(&asset.etag) {
        return (
            StatusCode::NOT_MODIFIED,
            [(header::ETAG, asset.etag.clone())],
        )
            .into_response();
    }
    let accepts_gzip = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("gzip"));
    let mut response = match (&asset.gzip, accepts_gzip) {
        (Some(gz), true) => {
            let mut r = Response::new(Body::from(gz.as_slice()));
            r.headers_mut()
                .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            r
        }
        _ => Response::new(Body::from(asset.bytes)),
    };
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(asset.content_type),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    h.insert(header::ETAG, asset.etag.clone());
    response
}
