//! Starting and stopping the town hall: database, blob store, web server and the
//! in-process job worker.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::{Context, Result};
use rathaus_core::forms::Forms;
use rathaus_core::jobs::{Registry, Worker, WorkerConfig};
use rathaus_store::{BlobStore, Db};
use rathaus_web::{AppState, TenantResolver, WebConfig};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::Config;

/// Binds the listen address with a message that says what to do when it is taken.
pub async fn bind(addr: SocketAddr) -> Result<TcpListener> {
    TcpListener::bind(addr).await.map_err(|e| match e.kind() {
        std::io::ErrorKind::AddrInUse => anyhow::anyhow!(
            "the address {addr} is already in use (is another Rathaus running?): stop it or choose another with --listen"
        ),
        std::io::ErrorKind::PermissionDenied => anyhow::anyhow!(
            "no permission to listen on {addr}: choose a port above 1024 with --listen"
        ),
        _ => anyhow::anyhow!("cannot listen on {addr}: {e}"),
    })
}

/// Connects and refuses an unmigrated or too new schema.
pub async fn open_database(config: &Config) -> Result<Db> {
    let db = Db::connect(config.database_url()?).await?;
    db.ensure_migrated().await?;
    Ok(db)
}

/// A running server; dropping it does not stop it, [`RunningServer::stop`] does.
pub struct RunningServer {
    pub addr: SocketAddr,
    pub db: Db,
    pub sealer: rathaus_core::secrets::Sealer,
    pub blobs: BlobStore,
    pub tenants: TenantResolver,
    /// The payment service, where one is set up.
    pub payments: Option<Arc<rathaus_web::state::Payments>>,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl RunningServer {
    /// Stops accepting, lets running requests and the current job batch finish.
    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
    }

    /// Waits until the process is asked to stop (Ctrl-C or SIGTERM), then stops.
    pub async fn run_until_signal(self) {
        shutdown_signal().await;
        tracing::info!("shutting down");
        self.stop().await;
    }
}

pub async fn start(listener: TcpListener, db: Db, config: &Config) -> Result<RunningServer> {
    let addr = listener.local_addr()?;
    let blobs = BlobStore::open(&config.blob_config())?;
    let sealer = config.sealer()?;
    let sealed = rathaus_core::identity::seal_stored_secrets(&db, &sealer).await?;
    if sealed > 0 {
        tracing::info!(sealed, "sealed client secrets stored in plain text");
    }
    let tenants = TenantResolver::load(db.clone(), config.fallback_tenant.clone()).await?;
    tenants.spawn_refresh();
    let (shutdown, shutdown_rx) = watch::channel(false);
    let mut tasks = Vec::new();

    // Loading the fonts takes a moment and they are held once: the web's previews and
    // the worker's receipts and print batches share one renderer.
    let letters = rathaus_letters::Renderer::new();
    let payments = config.payments(config.public_url.as_deref())?.map(Arc::new);
    let mut job_waker = None;
    if config.run_jobs {
        let registry = Registry::standard(
            config.mail_config(),
            blobs.clone(),
            sealer.clone(),
            letters.clone(),
            payments.as_ref().map(|p| p.provider.clone()),
        )?;
        let worker = Worker::new(db.clone(), registry, WorkerConfig::default());
        job_waker = Some(worker.waker());
        tasks.push(tokio::spawn(worker.run(shutdown_rx.clone())));
    }

    let state = AppState {
        db: db.clone(),
        blobs: blobs.clone(),
        tenants: tenants.clone(),
        metrics: rathaus_web::metrics_handle(),
        config: Arc::new(WebConfig {
            behind_tls: config.behind_tls,
            fallback_tenant: config.fallback_tenant.clone(),
            trusted_origins: config.trusted_origins.clone(),
            trusted_proxies: config.proxy_networks()?,
            public_url: config.public_url.clone(),
            draft_days: config.draft_days,
        }),
        catalog: Default::default(),
        forms: Forms::load().map_err(|mistakes| {
            let lines: Vec<String> = mistakes.iter().map(ToString::to_string).collect();
            anyhow::anyhow!("the form definitions have mistakes:\n{}", lines.join("\n"))
        })?,
        job_waker,
        sealer: sealer.clone(),
        letters,
        payments: payments.clone(),
    };
    tasks.push(tokio::spawn(read_catalogs(state.clone())));
    let app = rathaus_web::app(state).map_err(|e| anyhow::anyhow!("invalid configuration: {e}"))?;
    let mut stop = shutdown_rx.clone();
    tasks.push(tokio::spawn(async move {
        let served = axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            let _ = stop.wait_for(|stopped| *stopped).await;
        })
        .await;
        if let Err(e) = served {
            tracing::error!(error = %e, "the web server stopped with an error");
        }
    }));
    Ok(RunningServer {
        addr,
        db,
        sealer,
        blobs,
        tenants,
        payments,
        shutdown,
        tasks,
    })
}

/// Reads what each tenant offers into memory right after the start, so that the first
/// visitors do not wait for it (a state's catalog takes a few seconds).
async fn read_catalogs(state: AppState) {
    let tenants = match rathaus_core::tenants::all_with_hosts(state.db.conn()).await {
        Ok(tenants) => tenants,
        Err(e) => {
            tracing::warn!(error = %e, "could not list the tenants to read their catalogs");
            return;
        }
    };
    for (tenant, _) in tenants {
        if let Err(e) = state.offered(tenant.id).await {
            tracing::warn!(tenant = %tenant.slug, error = %e, "could not read the catalog");
        }
    }
}

/// Runs only the job worker until a stop signal.
pub async fn run_worker(db: Db, config: &Config) -> Result<()> {
    let (shutdown, shutdown_rx) = watch::channel(false);
    let blobs = BlobStore::open(&config.blob_config())?;
    let payments = config.payments(config.public_url.as_deref())?;
    let registry = Registry::standard(
        config.mail_config(),
        blobs,
        config.sealer()?,
        rathaus_letters::Renderer::new(),
        payments.map(|p| p.provider),
    )?;
    let worker = Worker::new(db, registry, WorkerConfig::default());
    let task = tokio::spawn(worker.run(shutdown_rx));
    shutdown_signal().await;
    let _ = shutdown.send(true);
    task.await.context("the worker task failed")?;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("installing a SIGTERM handler");
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
