use std::sync::Arc;

use metrics_exporter_prometheus::PrometheusHandle;
use rathaus_core::catalog::{CatalogCache, Offered};
use rathaus_core::error::CoreError;
use rathaus_core::forms::Forms;
use rathaus_store::{BlobStore, Db};
use tokio::sync::Notify;

use crate::tenant::TenantResolver;

/// Settings the HTTP layer needs from the configuration.
#[derive(Clone, Debug)]
pub struct WebConfig {
    /// Rathaus is reached over HTTPS (directly or behind a proxy): send HSTS and mark
    /// cookies `Secure`.
    pub behind_tls: bool,
    /// The tenant for host names no tenant claims (the demo serves any host).
    pub fallback_tenant: Option<String>,
    /// Extra origins allowed to send forms (a proxy that rewrites the host).
    pub trusted_origins: Vec<String>,
    /// Reverse proxies whose `X-Forwarded-For` names the client (see `request_origin`).
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Base URL for links in e-mails when the request's host is not one of the
    /// tenant's registered hosts (e.g. the demo on 127.0.0.1). Never taken from the
    /// request itself: a forged Host header must not end up in a mailed link.
    pub public_url: Option<String>,
    /// Days a draft is kept after its last change before it is deleted.
    pub draft_days: u32,
}

/// Shared by all handlers; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub blobs: BlobStore,
    pub tenants: TenantResolver,
    pub metrics: PrometheusHandle,
    pub config: Arc<WebConfig>,
    /// The form definitions: built in (checked at start) and installed per tenant.
    pub forms: Forms,
    /// The life situations and what each tenant offers, kept in memory.
    pub catalog: CatalogCache,
    /// Wakes the in-process job worker after enqueuing, if one runs.
    pub job_waker: Option<Arc<Notify>>,
    /// Opens the secrets the database keeps sealed (identity providers' client secrets).
    pub sealer: rathaus_core::secrets::Sealer,
    /// Lays out letters (fonts loaded once).
    pub letters: rathaus_letters::Renderer,
    /// Online payment of fees, where a payment service is set up.
    pub payments: Option<Arc<Payments>>,
}

/// The payment service and what its notifications are signed with.
#[derive(Clone, Debug)]
pub struct Payments {
    pub provider: rathaus_core::payments::Provider,
    /// Shared with the service: notifications are signed with it (HMAC-SHA256).
    pub notification_secret: Vec<u8>,
    /// Rathaus' own sandbox payment service answers (demo and tests; never in
    /// production unless configured).
    pub sandbox: bool,
}

impl AppState {
    /// Jobs just queued (mail, reading scans) are run by the worker; in-process it need
    /// not wait for its next poll.
    pub fn wake_worker(&self) {
        if let Some(waker) = &self.job_waker {
            waker.notify_one();
        }
    }

    /// What the tenant offers now (kept in memory, see [`CatalogCache`]).
    pub async fn offered(&self, tenant_id: uuid::Uuid) -> Result<Arc<Offered>, CoreError> {
        self.catalog.offered(self.db.conn(), tenant_id).await
    }
}

/// Long enough to gather documents, short enough not to keep forgotten personal data.
pub const DEFAULT_DRAFT_DAYS: u32 = 30;
