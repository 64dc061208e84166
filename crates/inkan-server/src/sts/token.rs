//! The token endpoint: `client_credentials` with a client secret (in the body or HTTP Basic),
//! v2 (`scope`) and v1 (`resource`).

use super::{StsError, TenantRef, resolve_tenant};
use crate::audit::Decision;
use crate::state::SharedState;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use inkan_core::ids::ClientId;
use inkan_core::token::{ClientAuthMethod, TokenGrant, TokenVersion, resource_from_scope};
use inkan_store::PrincipalKind;
use serde_json::json;
use std::collections::HashMap;

/// Lifetime of client-credential tokens (Entra issues 60-90 minutes; inkan a fixed hour).
const APP_TOKEN_LIFETIME_SECS: i64 = 3599;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Flavour {
    V1,
    V2,
}

pub(super) async fn token_v2(
    State(state): State<SharedState>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, StsError> {
    token(state, tenant, headers, body, Flavour::V2).await
}

pub(super) async fn token_v1(
    State(state): State<SharedState>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, StsError> {
    token(state, tenant, headers, body, Flavour::V1).await
}

async fn token(
    state: SharedState,
    tenant: String,
    headers: HeaderMap,
    body: Bytes,
    flavour: Flavour,
) -> Result<Response, StsError> {
    let form: HashMap<String, String> = form_urlencoded::parse(&body).into_owned().collect();
    let result = issue(&state, &tenant, &headers, &form, flavour).await;
    let shared = |v: Option<&String>| v.map(|v| std::sync::Arc::from(v.as_str()));
    let decision = Decision {
        surface: "token-endpoint",
        client_id: shared(form.get("client_id")),
        audience: shared(form.get("scope").or_else(|| form.get("resource"))),
        ..Default::default()
    };
    match &result {
        Ok(_) => state.audit.issued(&decision),
        Err(e) => state.audit.refused(&decision, &format!("AADSTS{}: {}", e.code, e.message)),
    }
    result
}

async fn issue(
    state: &SharedState,
    tenant: &str,
    headers: &HeaderMap,
    form: &HashMap<String, String>,
    flavour: Flavour,
) -> Result<Response, StsError> {
    let now = state.clock.now();
    let tenant_id = match resolve_tenant(state, tenant)? {
        TenantRef::Ours(t) => t,
        TenantRef::MultiTenant(_) => return Err(StsError::tenant_not_found(tenant, now)),
    };
    let grant_type = form.get("grant_type").ok_or_else(|| StsError::missing_parameter("grant_type", now))?;
    if grant_type != "client_credentials" {
        return Err(StsError::unsupported_grant_type(grant_type, now));
    }
    if form.contains_key("client_assertion") {
        return Err(StsError::unsupported_assertion(now));
    }
    let (client_id_text, secret) = client_credentials(headers, form).ok_or_else(|| match form.get("client_id") {
        None => StsError::missing_parameter("client_id", now),
        Some(_) => StsError::missing_credential(now),
    })?;
    let resource = match flavour {
        Flavour::V2 => {
            let scope = form.get("scope").ok_or_else(|| StsError::missing_parameter("scope", now))?;
            resource_from_scope(scope).ok_or_else(|| StsError::invalid_scope(scope, now))?
        }
        Flavour::V1 => form.get("resource").cloned().ok_or_else(|| StsError::missing_parameter("resource", now))?,
    };
    let unknown_client = || StsError::unknown_client(&client_id_text, &tenant_id, now);
    let client_id: ClientId = client_id_text.parse().map_err(|_| unknown_client())?;
    let principal = state
        .store
        .principal_by_client_id(client_id)
        .await
        .map_err(|e| internal(state, e))?
        .filter(|p| p.deleted_at.is_none() && p.tenant_id == state.tenant_id)
        .ok_or_else(unknown_client)?;
    if principal.kind != PrincipalKind::Application {
        return Err(StsError::managed_identity_has_no_secret(&client_id_text, now));
    }
    let secrets = state.store.client_secrets(client_id).await.map_err(|e| internal(state, e))?;
    let presented = inkan_crypto::digest::sha256(secret.as_bytes());
    let matching = secrets.iter().find(|s| inkan_crypto::digest::constant_time_eq(&s.verifier, &presented));
    match matching {
        None => return Err(StsError::wrong_secret(&client_id_text, now)),
        Some(s) if s.expires_at <= now => {
            return Err(StsError::expired_secret(&client_id_text, now));
        }
        Some(_) => {}
    }
    if !state.known_resources.contains(&resource) {
        return Err(StsError::unknown_resource(&resource, &tenant_id, state.known_resources.list(), now));
    }
    let grant = TokenGrant {
        tenant_id,
        object_id: principal.object_id.to_string(),
        client_id: principal.client_id.to_string(),
        audience: resource.clone(),
        // Every resource inkan serves accepts v1 tokens, as their Azure counterparts do.
        version: TokenVersion::V1,
        auth: ClientAuthMethod::Secret,
        managed_identity_resource_id: None,
        issued_at: now.unix_timestamp(),
        lifetime_secs: APP_TOKEN_LIFETIME_SECS,
    };
    let issued = state.tokens.issue(&grant).map_err(|e| internal(state, e))?;
    let body = match flavour {
        Flavour::V2 => json!({
            "token_type": "Bearer",
            "expires_in": issued.expires_in,
            "ext_expires_in": issued.expires_in,
            "access_token": issued.access_token,
        }),
        // The v1 endpoint returns numbers as strings.
        Flavour::V1 => json!({
            "token_type": "Bearer",
            "expires_in": issued.expires_in.to_string(),
            "ext_expires_in": issued.expires_in.to_string(),
            "expires_on": issued.expires_on.to_string(),
            "not_before": issued.not_before.to_string(),
            "resource": resource,
            "access_token": issued.access_token,
        }),
    };
    Ok(([(header::CACHE_CONTROL, "no-store, no-cache"), (header::PRAGMA, "no-cache")], Json(body)).into_response())
}

/// The client id and secret from the body (`client_secret_post`) or HTTP Basic
/// (`client_secret_basic`, both parts form-url-encoded as RFC 6749 2.3.1 says).
fn client_credentials(headers: &HeaderMap, form: &HashMap<String, String>) -> Option<(String, String)> {
    if let Some(basic) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic ").or_else(|| v.strip_prefix("basic ")))
    {
        let decoded = base64::engine::general_purpose::STANDARD.decode(basic.trim()).ok()?;
        let text = String::from_utf8(decoded).ok()?;
        let (id, secret) = text.split_once(':')?;
        let unescape =
            |s: &str| form_urlencoded::parse(format!("x={s}").as_bytes()).next().map(|(_, v)| v.into_owned());
        return Some((unescape(id)?, unescape(secret)?));
    }
    Some((form.get("client_id")?.clone(), form.get("client_secret")?.clone()))
}

fn internal(state: &SharedState, e: impl std::fmt::Display) -> StsError {
    tracing::error!("token endpoint failed: {e}");
    StsError::internal(state.clock.now())
}
