//! The identity endpoints a workload calls for a token, on the plain-HTTP identity listener
//! (as in Azure, where IMDS and the App Service endpoint are plain HTTP on a local address):
//!
//! - IMDS under a per-VM prefix: `/imds/<secret>/metadata/identity/oauth2/token`,
//!   `/imds/<secret>/metadata/instance`, `/imds/<secret>/metadata/identity/info`; a client is
//!   pointed at it with `AZURE_POD_IDENTITY_AUTHORITY_HOST=http://127.0.0.1:<port>/imds/<secret>`.
//! - the App Service endpoint `/msi/token`, the site or slot named by `X-IDENTITY-HEADER`
//!   (2019-08-01) or `secret` (2017-09-01).
//!
//! Paths are matched case-insensitively and with or without a trailing slash, because msal-node
//! lower-cases the whole IMDS URL and appends `/`.

mod app_service;
pub use errors::ImdsError;
pub use imds::{issue as issue_imds_token, token_request as imds_token_request};
mod errors;
mod imds;
mod instance;
mod query;

use crate::state::SharedState;
use axum::Router;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};

/// The identity listener's routes.
pub fn router(state: SharedState) -> Router {
    Router::new().fallback(dispatch).with_state(state)
}

/// Takes the request whole (no extractor copies its headers): this is the token hot path.
async fn dispatch(State(state): State<SharedState>, request: Request) -> Response {
    let (method, headers) = (request.method(), request.headers());
    let path = request.uri().path().to_ascii_lowercase();
    let path = path.trim_end_matches('/');
    let query = request.uri().query().unwrap_or_default();
    if let Some(rest) = path.strip_prefix("/imds/") {
        let (secret, tail) = rest.split_once('/').unwrap_or((rest, ""));
        return imds::handle(&state, method, secret, tail, headers, query);
    }
    if path == "/msi/token" {
        return app_service::token(&state, method, headers, query).into_response();
    }
    if path.starts_with("/metadata") {
        return errors::ImdsError::bad_request(
            "invalid_request",
            "inkan serves one IMDS per VM under its own prefix, e.g. http://127.0.0.1:<port>/imds/<secret>/metadata/...; \
             get this VM's with `inkan env --as <resource-group>/<vm>` (it sets AZURE_POD_IDENTITY_AUTHORITY_HOST)",
        )
        .into_response();
    }
    errors::ImdsError::not_found(&format!("no identity endpoint at '{path}'")).into_response()
}
