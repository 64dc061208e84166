//! The Key Vault data plane, served at `https://<vault>.vault.<domain>:<port>` on the HTTPS
//! listener and chosen by the `Host` header.
//!
//! Order of checks, as Key Vault's: the challenge for a request without a token (before any
//! body or api-version validation: the SDKs send their first request empty), token validation
//! (signature, issuer, lifetime, audience), then the operation, then authorization through the
//! vault's own model (RBAC or access policies).

mod auth;
mod errors;
mod lifecycle;
mod limits;
mod routes;
mod secrets;
pub mod throttle;

pub use auth::VaultAudience;

use crate::state::SharedState;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use errors::KvError;

/// Api-versions the SDKs send (Python 2026-04-01, JS 2025-07-01, az 7.4, legacy 2016-10-01).
const API_VERSIONS: &[&str] =
    &["2016-10-01", "7.0", "7.1", "7.2", "7.3", "7.4", "7.5", "7.6", "2025-07-01", "2026-04-01"];

/// Routes requests for vault hosts to the data plane; everything else passes on.
pub async fn route_vault_hosts(State(state): State<SharedState>, request: Request, next: Next) -> Response {
    let host = request
        .headers()
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_owned)
        .or_else(|| request.uri().host().map(str::to_owned))
        .unwrap_or_default();
    match vault_name(&state, &host) {
        Some(vault) => handle(state, vault, request).await.unwrap_or_else(IntoResponse::into_response),
        None => next.run(request).await,
    }
}

/// `<vault>` of `<vault>.vault.<domain>[:port]`.
fn vault_name(state: &SharedState, host: &str) -> Option<String> {
    let host = host.rsplit_once(':').filter(|(_, p)| p.chars().all(|c| c.is_ascii_digit())).map_or(host, |(h, _)| h);
    let suffix = format!(".vault.{}", state.urls.domain);
    let name = host.to_ascii_lowercase().strip_suffix(&suffix)?.to_owned();
    (!name.is_empty() && !name.contains('.')).then_some(name)
}

async fn handle(state: SharedState, vault: String, request: Request) -> Result<Response, KvError> {
    if let Some(throttle) = &state.kv_throttle {
        throttle.admit(&vault, state.clock.unix()).map_err(KvError::throttled)?;
    }
    let caller = auth::authenticate(&state, request.headers())?;
    let record = secrets::find_vault(&state, &vault).await?;
    let query: Vec<(String, String)> =
        form_urlencoded::parse(request.uri().query().unwrap_or_default().as_bytes()).into_owned().collect();
    let version = query.iter().find(|(k, _)| k == "api-version").map(|(_, v)| v.as_str()).unwrap_or_default();
    if !API_VERSIONS.contains(&version) {
        return Err(KvError::bad_parameter(format!(
            "The api-version '{version}' is missing or not supported; use one of {}.",
            API_VERSIONS.join(", ")
        )));
    }
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let body = axum::body::to_bytes(Body::new(request.into_body()), 1024 * 1024)
        .await
        .map_err(|_| KvError::bad_parameter("The request body is larger than 1 MiB.".into()))?;
    let get = |k: &str| query.iter().find(|(n, _)| n.eq_ignore_ascii_case(k)).map(|(_, v)| v.as_str());
    let paging =
        lifecycle::Paging { api_version: version, max_results: get("maxresults"), skip_token: get("$skiptoken") };
    secrets::dispatch(&state, &caller, &record, &method, &path, &body, &paging).await
}
