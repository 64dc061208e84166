//! The token authority, Entra-compatible: OIDC discovery, JWKS, instance discovery and the
//! client-credentials token endpoint (v1 and v2).

mod discovery;
mod error;
mod token;

pub use error::StsError;

use crate::state::SharedState;
use axum::Router;
use axum::routing::{get, post};

/// The token authority's routes.
pub fn routes() -> Router<SharedState> {
    Router::new()
        .route("/{tenant}/v2.0/.well-known/openid-configuration", get(discovery::openid_configuration_v2))
        .route("/{tenant}/.well-known/openid-configuration", get(discovery::openid_configuration_v1))
        .route("/{tenant}/discovery/v2.0/keys", get(discovery::keys))
        .route("/{tenant}/discovery/keys", get(discovery::keys))
        .route("/{tenant}/discovery/instance", get(discovery::instance))
        .route("/{tenant}/oauth2/v2.0/token", post(token::token_v2))
        .route("/{tenant}/oauth2/token", post(token::token_v1))
}

/// How the path names a tenant.
pub(crate) enum TenantRef {
    /// inkan's tenant.
    Ours(String),
    /// `common`, `organizations` or `consumers` (discovery only).
    MultiTenant(&'static str),
}

pub(crate) fn resolve_tenant(state: &SharedState, tenant: &str) -> Result<TenantRef, StsError> {
    let ours = state.tenant_id.to_string();
    if tenant.eq_ignore_ascii_case(&ours) {
        return Ok(TenantRef::Ours(ours));
    }
    for alias in ["common", "organizations", "consumers"] {
        if tenant.eq_ignore_ascii_case(alias) {
            return Ok(TenantRef::MultiTenant(alias));
        }
    }
    Err(StsError::tenant_not_found(tenant, state.clock.now()))
}
