//! Security headers on every response and CSRF protection on every state-changing
//! request.
//!
//! The Content-Security-Policy allows scripts, styles, fonts and images from our own
//! origin only: no inline script or style anywhere (tenant colours come as a
//! stylesheet, not a `style` attribute).

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, Response, StatusCode, header};
use axum::middleware::Next;
use tower_http::csrf::{CsrfLayer, ProtectionError};

use crate::state::AppState;

pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; \
form-action 'self'; frame-ancestors 'none'";

const HSTS: &str = "max-age=63072000; includeSubDomains";

pub async fn headers(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response<Body> {
    // What answers a bearer token is the citizen's own data: no cache keeps it (RFC 6750).
    let with_token = request.headers().contains_key(header::AUTHORIZATION);
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    if with_token {
        h.entry(header::CACHE_CONTROL)
            .or_insert(HeaderValue::from_static("no-store"));
    }
    h.entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        HeaderName::from_static("permissions-policy"),
        HeaderValue::from_static("camera=(), microphone=(), geolocation=(), payment=()"),
    );
    if state.config.behind_tls {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS),
        );
    }
    response
}

/// Cross-site form posts are refused (Fetch metadata / Origin check; no tokens in
/// forms, so it also works for pages cached in the browser).
pub fn csrf_layer(
    trusted_origins: &[String],
) -> Result<CsrfLayer<impl Fn(ProtectionError) -> Response<Body> + Clone + use<>>, String> {
    let mut layer = CsrfLayer::new();
    for origin in trusted_origins {
        layer = layer
            .add_trusted_origin(origin)
            .map_err(|e| format!("trusted origin '{origin}': {e}"))?;
    }
    Ok(layer.with_rejection_response(|error: ProtectionError| {
        tracing::info!(?error, "cross-site request refused");
        Response::builder()
            .status(StatusCode::FORBIDDEN)
            .header(header::CONTENT_TYPE, "text/html; charset=utf-8")
            .body(Body::from(CSRF_PAGE))
            .expect("static response")
    }))
}

const CSRF_PAGE: &str = "<!doctype html><html lang=\"de\"><head><meta charset=\"utf-8\">\
<title>Anfrage abgelehnt</title></head><body><main><h1>Anfrage abgelehnt</h1>\
<p>Das Formular wurde nicht von dieser Website abgeschickt und deshalb nicht verarbeitet. \
Es wurde nichts gespeichert. Öffnen Sie die Seite bitte direkt und senden Sie das Formular erneut.</p>\
<p lang=\"en\">The form was not sent from this website and was not processed. Nothing was saved. \
Please open the page directly and send the form again.</p></main></body></html>";
