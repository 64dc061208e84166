//! inkan's server: the protocol surfaces and the composition root.
//!
//! Each surface is a module with its own routes and its own error mapping (`sts` speaks Entra's
//! OAuth errors, `arm` speaks ARM's `{"error":{...}}`). [`Server::start`] is the composition
//! root: it opens the data directory and the store, bootstraps the first tenant, loads the
//! keys, builds TLS and binds the listeners. Nothing else knows which store backend is in use.

pub mod admin;
pub mod arm;
pub mod audit;
pub mod authz;
pub mod bootstrap;
pub mod config;
pub mod data_dir;
pub mod graph;
pub mod hosts;
pub mod identity;
pub mod keyring;
pub mod keyvault;
pub mod listener;
pub mod mi_tokens;
pub mod state;
pub mod sts;
pub mod tls;
pub mod tokens;
pub mod urls;
pub mod vault_access;
pub mod workloads;

use anyhow::Context;
use axum::Router;
use config::Settings;
use data_dir::{DataDir, DataDirLock, ServerInfo, write_public};
use inkan_core::clock::Clock;
use inkan_store::sqlite::SqliteStore;
use inkan_store::{CachedStore, Store};
use keyring::KeyRing;
use state::{AppState, SharedState};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;
use urls::PublicUrls;

/// A running server.
pub struct Server {
    /// The addresses the HTTPS listener is bound to.
    pub https_addrs: Vec<SocketAddr>,
    /// The addresses the plain-HTTP identity listener (IMDS, App Service) is bound to.
    pub identity_addrs: Vec<SocketAddr>,
    pub urls: PublicUrls,
    pub state: SharedState,
    pub data_dir: DataDir,
    shutdown: watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    audit_writer: tokio::task::JoinHandle<()>,
    dir_lock: DataDirLock,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("https_addrs", &self.https_addrs)
            .field("urls", &self.urls)
            .finish_non_exhaustive()
    }
}

impl Server {
    /// Starts a server with `settings`, reading time from `clock`.
    pub async fn start(settings: &Settings, clock: Arc<dyn Clock>) -> anyhow::Result<Server> {
        let dir = DataDir::open(&settings.data_dir)?;
        let dir_lock = dir.lock()?;
        let master_key = dir.master_key(&settings.master_key_file)?;
        let workloads = workloads::WorkloadIndex::new(master_key.derive("inkan/identity-endpoint-secrets/v1"));
        let backup_key = inkan_crypto::seal::MasterKey::from_bytes(&master_key.derive("inkan/keyvault-backups/v1"))?;
        let ca = tls::load_or_create_ca(&dir, &master_key, clock.now())?;
        // Served from memory on the hot reads; correct because this process is the store's
        // only writer (the data directory's lock, taken above, ensures it).
        let store: Arc<dyn Store> = Arc::new(CachedStore::new(
            SqliteStore::open(&dir.db_path(), master_key)
                .with_context(|| format!("cannot open {}", dir.db_path().display()))?,
        ));
        let boot = bootstrap::ensure_initialized(store.as_ref(), clock.as_ref(), &dir).await?;
        let keys = Arc::new(KeyRing::load(store.as_ref(), clock.as_ref()).await?);

        let listeners = bind(settings, settings.port, "HTTPS").await?;
        let identity_listeners = bind(settings, settings.identity_port, "identity (IMDS, App Service)").await?;
        let identity_addrs: Vec<SocketAddr> = identity_listeners.iter().filter_map(|l| l.local_addr().ok()).collect();
        let identity_url = identity_addrs.first().map_or_else(String::new, |a| format!("http://{a}"));
        let https_addrs: Vec<SocketAddr> = listeners.iter().filter_map(|l| l.local_addr().ok()).collect();
        let port = https_addrs.first().map_or(settings.port, SocketAddr::port);
        let urls = PublicUrls::new(&settings.domain, port);
        let tls_config = tls::server_config(&ca, &urls, clock.now())?;
        let (audit, audit_writer) = audit::AuditLog::start(Arc::clone(&store), Arc::clone(&clock));
        let state: SharedState = Arc::new(AppState {
            tokens: tokens::TokenService::new(Arc::clone(&keys), Arc::clone(&clock), urls.base.clone()),
            store,
            clock,
            keys,
            urls: urls.clone(),
            tenant_id: boot.tenant_id,
            subscription_id: boot.subscription_id,
            admin_object_id: boot.admin_object_id,
            workloads,
            mi_tokens: mi_tokens::ManagedIdentityTokens::default(),
            identity_url,
            audit,
            known_resources: state::KnownResources::new(&urls),
            authz: authz::Authorizer::with_delay(settings.assignment_delay, &boot.admin_object_id.to_string()),
            backup_key,
            vault_keys: dashmap::DashMap::new(),
            kv_throttle: settings.kv_throttle.then(Default::default),
            vault_audience: keyvault::VaultAudience::new(&urls, &boot.tenant_id.to_string()),
        });
        state.workloads.reload(state.store.as_ref()).await?;
        state.authz.reload(state.store.as_ref()).await?;
        let info = ServerInfo {
            url: urls.base.clone(),
            tenant_id: boot.tenant_id.to_string(),
            subscription_id: boot.subscription_id.to_string(),
            ca_file: dir.ca_cert_path(),
            ca_bundle_file: dir.ca_bundle_path(),
            domain: settings.domain.clone(),
            port,
            identity_url: state.identity_url.clone(),
            pid: std::process::id(),
        };
        write_public(&dir.server_info_path(), serde_json::to_string_pretty(&info)?.as_bytes())?;

        let (shutdown, shutdown_rx) = watch::channel(false);
        let tasks = vec![
            tokio::spawn(listener::serve(listeners, Some(tls_config), router(Arc::clone(&state)), shutdown_rx.clone())),
            tokio::spawn(listener::serve(identity_listeners, None, identity::router(Arc::clone(&state)), shutdown_rx)),
        ];
        Ok(Server { https_addrs, identity_addrs, urls, state, data_dir: dir, shutdown, tasks, audit_writer, dir_lock })
    }

    /// Stops accepting, finishes requests in flight, and returns when the server is down.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
        // Requests are done: let the audit writer drain what they recorded.
        self.state.audit.close();
        let _ = self.audit_writer.await;
        let _ = std::fs::remove_file(self.data_dir.server_info_path());
        drop(self.dir_lock);
    }
}

/// Every route of the HTTPS listener.
pub fn router(state: SharedState) -> Router {
    Router::new()
        .merge(sts::routes())
        .merge(admin::routes())
        .merge(hosts::routes())
        .merge(graph::routes())
        .fallback(arm::dispatch)
        .layer(axum::middleware::from_fn_with_state(Arc::clone(&state), keyvault::route_vault_hosts))
        .layer(CatchPanicLayer::custom(|_| arm::ArmError::internal().into_response_owned()))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

impl arm::ArmError {
    fn into_response_owned(self) -> axum::response::Response {
        axum::response::IntoResponse::into_response(self)
    }
}

async fn bind(settings: &Settings, port: u16, what: &str) -> anyhow::Result<Vec<TcpListener>> {
    let mut listeners = Vec::new();
    let mut port = port;
    for (i, ip) in settings.listen.iter().enumerate() {
        let addr = SocketAddr::new(*ip, port);
        match TcpListener::bind(addr).await {
            Ok(l) => {
                port = l.local_addr()?.port();
                listeners.push(l);
            }
            // The first address must bind; the others (e.g. ::1 where IPv6 is off) are best effort.
            Err(e) if i == 0 => {
                return Err(anyhow::anyhow!(
                    "cannot listen on {addr} ({what}): {e}. Is another inkan (or other server) using port {port}? \
                     Choose another with --port / --identity-port."
                ));
            }
            Err(e) => tracing::warn!("not listening on {addr}: {e}"),
        }
    }
    Ok(listeners)
}
