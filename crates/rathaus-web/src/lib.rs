//! The HTTP side of Rathaus: one axum router with the citizen portal, the staff area,
//! the JSON API and the public endpoints. Handlers are thin: parse, call the domain in
//! `rathaus-core`, render.

mod account;
mod api;
mod application_copy;
mod applications;
pub mod assets;
mod assistant;
mod chrome;
pub mod error;
mod external_login;
mod fee_notices;
mod form;
pub mod i18n;
mod navigation;
mod observability;
mod paging;
mod payment_sandbox;
pub use payment_sandbox::API as PAYMENT_SANDBOX_API;
mod portal;
mod request_origin;
pub mod routes;
pub mod security;
mod session_cookie;
mod staff;
pub mod state;
pub mod tenant;

use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use axum::{Router, middleware};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

pub use api::ApiDoc;
pub use observability::metrics_handle;
use routes::Routes;
pub use routes::{Access, RouteInfo};
pub use state::{AppState, DEFAULT_DRAFT_DAYS, WebConfig};
pub use tenant::TenantResolver;

/// Uploads larger than this are refused before they reach a handler.
const BODY_LIMIT: usize = 25 * 1024 * 1024;

/// The pages of a tenant and who may use them: the router is built from this table.
fn tenant_routes() -> Routes {
    portal::routes()
        .merge(assistant::routes())
        .merge(applications::routes())
        .merge(fee_notices::routes())
        .merge(api::routes())
        .merge(staff::routes())
        .merge(account::routes())
        .merge(payment_sandbox::routes())
}

/// Every route with its access rule, for the authorization matrix test.
pub fn route_table() -> Vec<RouteInfo> {
    tenant_routes()
        .merge(observability::routes())
        .into_parts()
        .1
}

/// The complete application.
pub fn app(state: AppState) -> Result<Router, String> {
    assets::warm_up();
    let (tenant_router, _) = tenant_routes().into_parts();
    let tenant_pages =
        tenant_router
            .fallback(portal::not_found)
            .layer(middleware::from_fn_with_state(
                state.clone(),
                tenant::require_tenant,
            ));

    let (operations, _) = observability::routes().into_parts();
    let router = Router::new()
        .merge(operations)
        .route("/static/{version}/{*path}", get(assets::serve))
        .merge(tenant_pages)
        .route_layer(middleware::from_fn(observability::track))
        .layer(security::csrf_layer(&state.config.trusted_origins)?)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            security::headers,
        ))
        .layer(
            CompressionLayer::new()
                .gzip(true)
                .compress_when(compress_html),
        )
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(60),
        ))
        .layer(TraceLayer::new_for_http())
        .layer(CatchPanicLayer::new())
        .with_state(state);
    Ok(router)
}

/// Pages are compressed on the fly; static assets come pre-compressed.
fn compress_html(
    _status: axum::http::StatusCode,
    _version: axum::http::Version,
    headers: &axum::http::HeaderMap,
    _extensions: &axum::http::Extensions,
) -> bool {
    headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("text/html") || ct.starts_with("application/json"))
        && !headers.contains_key(axum::http::header::CONTENT_ENCODING)
}
