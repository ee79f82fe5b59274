use std::sync::Arc;

use metrics_exporter_prometheus::PrometheusHandle;
use rathaus_store::{BlobStore, Db};
use tokio::sync::Notify;

use crate::tenant::TenantResolver;

/// Settings the HTTP layer needs from the configuration.
#[derive(Clone, Debug, Default)]
pub struct WebConfig {
    /// Rathaus is reached over HTTPS (directly or behind a proxy): send HSTS and mark
    /// cookies `Secure`.
    pub behind_tls: bool,
    /// The tenant for host names no tenant claims (the demo serves any host).
    pub fallback_tenant: Option<String>,
    /// Extra origins allowed to send forms (a proxy that rewrites the host).
    pub trusted_origins: Vec<String>,
}

/// Shared by all handlers; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub blobs: BlobStore,
    pub tenants: TenantResolver,
    pub metrics: PrometheusHandle,
    pub config: Arc<WebConfig>,
    /// Wakes the in-process job worker after enqueuing, if one runs.
    pub job_waker: Option<Arc<Notify>>,
}
