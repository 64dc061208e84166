//! OIDC discovery (v1 and v2), JWKS and MSAL's instance discovery.

use super::{StsError, TenantRef, resolve_tenant};
use crate::state::SharedState;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::collections::HashMap;

pub(super) async fn openid_configuration_v2(
    State(state): State<SharedState>,
    Path(tenant): Path<String>,
) -> Result<Json<Value>, StsError> {
    let tid = tenant_segment(&state, &tenant)?;
    let base = &state.urls.base;
    Ok(Json(json!({
        "token_endpoint": format!("{base}/{tid}/oauth2/v2.0/token"),
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
        "jwks_uri": format!("{base}/{tid}/discovery/v2.0/keys"),
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": format!("{base}/{tid}/v2.0"),
        "request_uri_parameter_supported": false,
        "userinfo_endpoint": format!("{base}/oidc/userinfo"),
        "authorization_endpoint": format!("{base}/{tid}/oauth2/v2.0/authorize"),
        "device_authorization_endpoint": format!("{base}/{tid}/oauth2/v2.0/devicecode"),
        "http_logout_supported": true,
        "frontchannel_logout_supported": true,
        "end_session_endpoint": format!("{base}/{tid}/oauth2/v2.0/logout"),
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "acr", "nonce", "tid", "ver", "oid", "appid", "azp"],
        "tenant_region_scope": "NA",
        "cloud_instance_name": state.urls.domain,
        "cloud_graph_host_name": "graph.windows.net",
        "msgraph_host": "graph.microsoft.com",
        "rbac_url": state.urls.base,
    })))
}

pub(super) async fn openid_configuration_v1(
    State(state): State<SharedState>,
    Path(tenant): Path<String>,
) -> Result<Json<Value>, StsError> {
    let tid = tenant_segment(&state, &tenant)?;
    let base = &state.urls.base;
    Ok(Json(json!({
        "token_endpoint": format!("{base}/{tid}/oauth2/token"),
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
        "jwks_uri": format!("{base}/common/discovery/keys"),
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "token id_token", "token"],
        "scopes_supported": ["openid"],
        "issuer": format!("{base}/{tid}/"),
        "authorization_endpoint": format!("{base}/{tid}/oauth2/authorize"),
        "device_authorization_endpoint": format!("{base}/{tid}/oauth2/devicecode"),
        "end_session_endpoint": format!("{base}/{tid}/oauth2/logout"),
        "tenant_region_scope": "NA",
        "cloud_instance_name": state.urls.domain,
        "cloud_graph_host_name": "graph.windows.net",
        "msgraph_host": "graph.microsoft.com",
        "rbac_url": state.urls.base,
    })))
}

pub(super) async fn keys(State(state): State<SharedState>, Path(tenant): Path<String>) -> Result<Response, StsError> {
    tenant_segment(&state, &tenant)?;
    let jwks = state.keys.snapshot().jwks.clone();
    Ok((
        [(header::CONTENT_TYPE, "application/json; charset=utf-8"), (header::CACHE_CONTROL, "max-age=86400, private")],
        jwks.to_vec(),
    )
        .into_response())
}

/// MSAL asks `/common/discovery/instance?authorization_endpoint=...` whether an authority is
/// trusted and where its tenant discovery document is. inkan vouches only for itself.
pub(super) async fn instance(
    State(state): State<SharedState>,
    Path(tenant): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Value>, StsError> {
    let now = state.clock.now();
    if !tenant.eq_ignore_ascii_case("common") {
        return Err(StsError::invalid_instance(now));
    }
    let endpoint = query.get("authorization_endpoint").map(String::as_str).unwrap_or_default();
    let rest = endpoint.strip_prefix(state.urls.base.as_str()).filter(|r| r.starts_with('/'));
    let Some(rest) = rest else {
        return Err(StsError::invalid_instance(now));
    };
    let authority_tenant = rest.trim_start_matches('/').split('/').next().unwrap_or("common");
    let host = state.urls.base.trim_start_matches("https://");
    Ok(Json(json!({
        "tenant_discovery_endpoint": format!("{}/{authority_tenant}/v2.0/.well-known/openid-configuration", state.urls.base),
        "api-version": "1.1",
        "metadata": [{"preferred_network": host, "preferred_cache": host, "aliases": [host]}],
    })))
}

/// The tenant as it appears in discovery documents (`{tenantid}` for multi-tenant aliases, as
/// Entra writes it).
fn tenant_segment(state: &SharedState, tenant: &str) -> Result<String, StsError> {
    Ok(match resolve_tenant(state, tenant)? {
        TenantRef::Ours(t) => t,
        TenantRef::MultiTenant(alias) => alias.to_owned(),
    })
}
