//! The agent's listeners: the Azure Arc endpoint and, optionally, plain IMDS.

use super::arc_keys::{ArcKeys, DEFAULT_KEY_DIR};
use super::enrollment::Enrollment;
use super::upstream::Upstream;
use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use clap::Args;
use inkan_core::clock::{Clock, SystemClock};
use serde_json::json;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Debug, Clone, Args)]
pub struct AgentArgs {
    /// The enrollment file written by `inkan agent enroll`.
    #[arg(long, env = "INKAN_AGENT_ENROLLMENT")]
    enrollment: PathBuf,
    /// Address of the Azure Arc endpoint (IDENTITY_ENDPOINT, IMDS_ENDPOINT).
    #[arg(long, default_value = "127.0.0.1:40342")]
    listen: SocketAddr,
    /// Also serve plain IMDS here (169.254.169.254:80 on a real host).
    #[arg(long)]
    imds_listen: Option<SocketAddr>,
    /// Where Arc challenge key files are written (clients read them from this directory).
    #[arg(long, default_value = DEFAULT_KEY_DIR)]
    key_dir: PathBuf,
    /// The local group allowed to read key files, and so to get tokens through the Arc endpoint.
    #[arg(long, default_value = "himds")]
    key_group: String,
}

struct Agent {
    upstream: Upstream,
    keys: ArcKeys,
    clock: SystemClock,
}

#[derive(Clone, Copy)]
enum Flavour {
    Arc,
    Imds,
}

pub async fn run(args: AgentArgs) -> anyhow::Result<()> {
    let enrollment = Enrollment::read(&args.enrollment)?;
    let group = (!args.key_group.is_empty()).then_some(args.key_group.as_str());
    let agent = Arc::new(Agent {
        upstream: Upstream::new(enrollment)?,
        keys: ArcKeys::new(&args.key_dir, group)?,
        clock: SystemClock,
    });
    let arc = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", args.listen))?;
    let arc_addr = arc.local_addr()?;
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let mut tasks = vec![tokio::spawn(serve(arc, router(Arc::clone(&agent), Flavour::Arc), stopped.clone()))];
    let mut imds_line = String::new();
    if let Some(addr) = args.imds_listen {
        let imds =
            tokio::net::TcpListener::bind(addr).await.map_err(|e| anyhow::anyhow!("cannot listen on {addr}: {e}"))?;
        imds_line = format!("\n  IMDS                  http://{}", imds.local_addr()?);
        tasks.push(tokio::spawn(serve(imds, router(Arc::clone(&agent), Flavour::Imds), stopped)));
    }
    println!(
        "inkan agent ready for {}\n  IDENTITY_ENDPOINT     http://{arc_addr}/metadata/identity/oauth2/token\n  IMDS_ENDPOINT         http://{arc_addr}{imds_line}\n  key files             {} (group {})",
        agent.upstream.resource_id(),
        args.key_dir.display(),
        if args.key_group.is_empty() { "none" } else { &args.key_group }
    );
    crate::cli::wait_for_signal().await;
    let _ = stop.send(true);
    for task in tasks {
        let _ = task.await;
    }
    agent.keys.clear();
    Ok(())
}

/// The address a listener is bound to, for the local-peer check.
#[derive(Debug, Clone, Copy)]
struct LocalAddr(SocketAddr);

async fn serve(listener: tokio::net::TcpListener, router: Router, mut stopped: tokio::sync::watch::Receiver<bool>) {
    let shutdown = async move {
        let _ = stopped.wait_for(|s| *s).await;
    };
    let local = listener.local_addr().map(LocalAddr).ok();
    let router = match local {
        Some(local) => router.layer(axum::Extension(local)),
        None => router,
    };
    let service = router.into_make_service_with_connect_info::<SocketAddr>();
    if let Err(e) = axum::serve(listener, service).with_graceful_shutdown(shutdown).await {
        tracing::error!("agent listener failed: {e}");
    }
}

fn router(agent: Arc<Agent>, flavour: Flavour) -> Router {
    Router::new()
        .fallback(move |State(agent): State<Arc<Agent>>, request: Request| handle(agent, flavour, request))
        .with_state(agent)
}

fn error(status: StatusCode, error: &str, description: &str) -> Response {
    (status, axum::Json(json!({"error": error, "error_description": description}))).into_response()
}

async fn handle(agent: Arc<Agent>, flavour: Flavour, request: Request) -> Response {
    let path = request.uri().path().to_ascii_lowercase();
    if path.trim_end_matches('/') != "/metadata/identity/oauth2/token" {
        return error(StatusCode::NOT_FOUND, "not_found", "The agent serves /metadata/identity/oauth2/token.");
    }
    let headers = request.headers();
    if let Flavour::Imds = flavour {
        // Plain IMDS answers only this machine: configure its address on the loopback device.
        let peer = request.extensions().get::<axum::extract::ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
        let local = request.extensions().get::<LocalAddr>().map(|l| l.0.ip());
        if !peer.is_some_and(|p| p.is_loopback() || Some(p) == local) {
            return error(StatusCode::FORBIDDEN, "forbidden", "IMDS answers processes on this machine only.");
        }
        if headers.contains_key("x-forwarded-for") {
            return error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "Requests with an X-Forwarded-For header are not allowed.",
            );
        }
    }
    if headers.get("metadata").and_then(|v| v.to_str().ok()) != Some("true") {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Required metadata header not specified. Send 'Metadata: true'.",
        );
    }
    if let Flavour::Arc = flavour {
        let presented =
            headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Basic "));
        match presented {
            None => {
                return match agent.keys.challenge() {
                    Ok(path) => {
                        let mut response = error(
                            StatusCode::UNAUTHORIZED,
                            "unauthorized_client",
                            "Read the key file named in WWW-Authenticate and retry with 'Authorization: Basic <its content>'.",
                        );
                        if let Ok(value) = HeaderValue::from_str(&format!("Basic realm={}", path.display())) {
                            response.headers_mut().insert(header::WWW_AUTHENTICATE, value);
                        }
                        response
                    }
                    Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, "server_error", &format!("{e:#}")),
                };
            }
            Some(secret) if !agent.keys.redeem(secret) => {
                return error(
                    StatusCode::UNAUTHORIZED,
                    "unauthorized_client",
                    "The key is unknown, expired or already used; request a new challenge.",
                );
            }
            Some(_) => {}
        }
    }
    let query: Vec<(String, String)> =
        form_urlencoded::parse(request.uri().query().unwrap_or_default().as_bytes()).into_owned().collect();
    let Some(resource) = query.iter().find(|(k, _)| k == "resource").map(|(_, v)| v.clone()) else {
        return error(StatusCode::BAD_REQUEST, "invalid_request", "Required query variable 'resource' is missing.");
    };
    let selector: Vec<(String, String)> =
        query.into_iter().filter(|(k, _)| matches!(k.as_str(), "client_id" | "object_id" | "msi_res_id")).collect();
    match agent.upstream.token(&selector, &resource, agent.clock.unix()).await {
        Ok(answer) => (answer.status, axum::Json(answer.body)).into_response(),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, "server_error", &format!("{e:#}")),
    }
}
