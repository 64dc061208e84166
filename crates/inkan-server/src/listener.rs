//! The HTTPS listener: TLS accept loop, HTTP/1.1 and HTTP/2, graceful shutdown.
//!
//! On shutdown the listener stops accepting, then waits (up to [`DRAIN_TIMEOUT`]) for requests
//! in flight to finish before the server's task ends; connections still open after that are
//! closed. Writes detached from their connection (below) are waited for too, within the same
//! drain timeout, so a restart on the same data directory never races a write of the last run.
//!
//! A request that may change state (any method but GET, HEAD and OPTIONS) runs on a task of its
//! own, to its end, even if its client goes away: a closed connection drops the request's
//! future, and a write must never be split from the in-memory views rebuilt after it (the
//! authorization policy, the workload index, the store's read cache).

use axum::Router;
use axum::extract::connect_info::ConnectInfo;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};
use tokio_rustls::TlsAcceptor;
use tokio_util::task::TaskTracker;
use tower::ServiceExt;

/// How long shutdown waits for in-flight requests.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(30);
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// A client that has not sent its request headers by then is dropped (slow-loris).
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// Serves `router` on every listener, over TLS when `tls` is given, until `shutdown` turns true.
pub async fn serve(
    listeners: Vec<TcpListener>,
    tls: Option<Arc<rustls::ServerConfig>>,
    router: Router,
    mut shutdown: watch::Receiver<bool>,
) {
    let (tx, mut accepted) = mpsc::channel::<(tokio::net::TcpStream, SocketAddr)>(256);
    let mut acceptors = Vec::new();
    for listener in listeners {
        let tx = tx.clone();
        acceptors.push(tokio::spawn(async move {
            loop {
                match listener.accept().await {
                    Ok(conn) => {
                        if tx.send(conn).await.is_err() {
                            break;
                        }
                    }
                    Err(e) => {
                        tracing::warn!("accept failed: {e}");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                }
            }
        }));
    }
    drop(tx);
    let acceptor = tls.map(TlsAcceptor::from);
    let graceful = GracefulShutdown::new();
    let mut connections = tokio::task::JoinSet::new();
    let writes = TaskTracker::new();
    loop {
        tokio::select! {
            conn = accepted.recv() => {
                let Some((tcp, peer)) = conn else { break };
                while connections.try_join_next().is_some() {}
                let acceptor = acceptor.clone();
                let router = router.clone();
                let watcher = graceful.watcher();
                let writes = writes.clone();
                connections.spawn(async move {
                    match acceptor {
                        Some(acceptor) => match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                            Ok(Ok(tls)) => serve_connection(TokioIo::new(tls), peer, router, watcher, writes).await,
                            Ok(Err(e)) => tracing::debug!(%peer, "TLS handshake failed: {e}"),
                            Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                        },
                        None => serve_connection(TokioIo::new(tcp), peer, router, watcher, writes).await,
                    }
                });
            }
            _ = shutdown.wait_for(|stop| *stop) => break,
        }
    }
    for a in acceptors {
        a.abort();
    }
    writes.close();
    let drained = async {
        graceful.shutdown().await;
        writes.wait().await;
    };
    if tokio::time::timeout(DRAIN_TIMEOUT, drained).await.is_err() {
        tracing::warn!("shutdown: requests still in flight after {DRAIN_TIMEOUT:?}; closing");
    }
    connections.abort_all();
    while connections.join_next().await.is_some() {}
}

/// Collapses repeated slashes in the path, as Azure's front doors do: clients build URLs by
/// joining a base that ends in `/` with a path that starts with one (`az cloud register
/// --endpoint-resource-manager https://host/` asks for `//metadata/endpoints`).
fn collapse_slashes<B>(req: &mut http::Request<B>) {
    let path = req.uri().path();
    if !path.contains("//") {
        return;
    }
    let mut collapsed = String::with_capacity(path.len());
    for c in path.chars() {
        if !(c == '/' && collapsed.ends_with('/')) {
            collapsed.push(c);
        }
    }
    if let Some(query) = req.uri().query() {
        collapsed.push('?');
        collapsed.push_str(query);
    }
    let mut parts = req.uri().clone().into_parts();
    if let Ok(path_and_query) = collapsed.parse() {
        parts.path_and_query = Some(path_and_query);
        if let Ok(uri) = http::Uri::from_parts(parts) {
            *req.uri_mut() = uri;
        }
    }
}

async fn serve_connection<I>(
    io: TokioIo<I>,
    peer: SocketAddr,
    router: Router,
    watcher: hyper_util::server::graceful::Watcher,
    writes: TaskTracker,
) where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |mut req: http::Request<hyper::body::Incoming>| {
        req.extensions_mut().insert(ConnectInfo(peer));
        collapse_slashes(&mut req);
        let detach = !matches!(*req.method(), http::Method::GET | http::Method::HEAD | http::Method::OPTIONS);
        let call = router.clone().oneshot(req.map(axum::body::Body::new));
        let writes = detach.then(|| writes.clone());
        async move {
            let Some(writes) = writes else { return call.await };
            match writes.spawn(call).await {
                Ok(response) => response,
                Err(e) => {
                    tracing::error!(%peer, "request task failed: {e}");
                    Ok(axum::response::IntoResponse::into_response(http::StatusCode::INTERNAL_SERVER_ERROR))
                }
            }
        }
    });
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder.http1().timer(TokioTimer::new()).header_read_timeout(HEADER_READ_TIMEOUT);
    let conn = builder.serve_connection_with_upgrades(io, service);
    if let Err(e) = watcher.watch(conn.into_owned()).await {
        tracing::debug!(%peer, "connection ended: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_slashes_collapse_and_the_query_stays() {
        let mut req = http::Request::get("//metadata//endpoints?api-version=2022-09-01&x=a//b").body(()).unwrap();
        collapse_slashes(&mut req);
        assert_eq!(req.uri(), "/metadata/endpoints?api-version=2022-09-01&x=a//b");
        let mut plain = http::Request::get("https://h:1/subscriptions?api-version=1").body(()).unwrap();
        collapse_slashes(&mut plain);
        assert_eq!(plain.uri(), "https://h:1/subscriptions?api-version=1");
    }
}
