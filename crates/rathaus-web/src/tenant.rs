//! Which municipality a request is for, from its host name.
//!
//! Tenants change rarely and are read on every request, so the resolver keeps them in
//! memory and reloads them every 30 seconds (and on demand after a change).

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::HeaderMap;
use axum::http::header::HOST;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rathaus_core::tenants::{self, Tenant, normalize_host};
use rathaus_store::Db;

use crate::error::PageError;
use crate::state::AppState;

#[derive(Default)]
struct Snapshot {
    by_host: HashMap<String, Arc<Tenant>>,
    fallback: Option<Arc<Tenant>>,
}

#[derive(Clone)]
pub struct TenantResolver {
    db: Db,
    fallback_slug: Option<String>,
    snapshot: Arc<RwLock<Arc<Snapshot>>>,
}

impl TenantResolver {
    pub async fn load(db: Db, fallback_slug: Option<String>) -> rathaus_core::error::Result<Self> {
        let resolver = Self {
            db,
            fallback_slug,
            snapshot: Arc::default(),
        };
        resolver.reload().await?;
        Ok(resolver)
    }

    pub async fn reload(&self) -> rathaus_core::error::Result<()> {
        let mut snapshot = Snapshot::default();
        for (tenant, hosts) in tenants::all_with_hosts(self.db.conn()).await? {
            let tenant = Arc::new(tenant);
            if self.fallback_slug.as_deref() == Some(tenant.slug.as_str()) {
                snapshot.fallback = Some(tenant.clone());
            }
            for host in hosts {
                snapshot.by_host.insert(host, tenant.clone());
            }
        }
        *self.snapshot.write().expect("tenant snapshot lock") = Arc::new(snapshot);
        Ok(())
    }

    /// Reloads in the background for as long as the process runs.
    pub fn spawn_refresh(&self) {
        let resolver = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(30));
            tick.tick().await;
            loop {
                tick.tick().await;
                if let Err(e) = resolver.reload().await {
                    tracing::warn!(error = %e, "could not reload tenants; keeping the old list");
                }
            }
        });
    }

    /// Whether `host` is registered for this tenant (not merely served by fallback).
    pub fn is_registered_host(&self, host: &str, tenant_id: uuid::Uuid) -> bool {
        let snapshot = self.snapshot.read().expect("tenant snapshot lock").clone();
        snapshot
            .by_host
            .get(&normalize_host(host))
            .is_some_and(|t| t.id == tenant_id)
    }

    /// The host names registered for a tenant, sorted.
    pub fn hosts_of(&self, tenant_id: uuid::Uuid) -> Vec<String> {
        let snapshot = self.snapshot.read().expect("tenant snapshot lock").clone();
        let mut hosts: Vec<String> = snapshot
            .by_host
            .iter()
            .filter(|(_, t)| t.id == tenant_id)
            .map(|(host, _)| host.clone())
            .collect();
        hosts.sort();
        hosts
    }

    pub fn resolve(&self, host: &str) -> Option<Arc<Tenant>> {
        let snapshot = self.snapshot.read().expect("tenant snapshot lock").clone();
        snapshot
            .by_host
            .get(&normalize_host(host))
            .or(snapshot.fallback.as_ref())
            .cloned()
    }
}

/// `scheme://host[:port]` of the request when its host is one of the tenant's registered
/// host names; `None` for any other host (an IP address, the fallback, a forged header).
pub fn registered_origin(
    state: &AppState,
    tenant_id: uuid::Uuid,
    headers: &HeaderMap,
) -> Option<String> {
    let host = headers.get(HOST).and_then(|h| h.to_str().ok())?;
    if !state.tenants.is_registered_host(host, tenant_id) {
        return None;
    }
    let scheme = if state.config.behind_tls {
        "https"
    } else {
        "http"
    };
    // The same origin however the host was typed (the issuer apps compare, links).
    let host = host.trim().trim_end_matches('.').to_ascii_lowercase();
    Some(format!("{scheme}://{host}"))
}

/// The tenant of the current request, put into the request extensions by
/// [`require_tenant`].
#[derive(Clone)]
pub struct CurrentTenant(pub Arc<Tenant>);

impl CurrentTenant {
    /// The tenant [`require_tenant`] found for this request.
    pub fn of(parts: &axum::http::request::Parts) -> Result<Arc<Tenant>, PageError> {
        parts
            .extensions
            .get::<CurrentTenant>()
            .map(|CurrentTenant(tenant)| tenant.clone())
            .ok_or(PageError::UnknownHost)
    }
}

/// Middleware for all tenant pages: resolves the host or answers 404.
pub async fn require_tenant(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let host = request
        .headers()
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| request.uri().host())
        .unwrap_or("");
    match state.tenants.resolve(host) {
        Some(tenant) => {
            request.extensions_mut().insert(CurrentTenant(tenant));
            next.run(request).await
        }
        None => PageError::UnknownHost.into_response(),
    }
}
