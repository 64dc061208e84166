//! Hosts outside any cloud: enrollment of host credentials and the API `inkan agent` calls.
//!
//! An administrator enrolls a host for one VM (`POST /inkan/v1/host-credentials`); the answer,
//! shown once, holds a client id and secret that speak for that VM only, never the
//! administrator's. The agent gets an ordinary token for inkan with them and asks
//! `GET /inkan/v1/agent/token` for its VM's managed-identity tokens, with the same selectors
//! and the same refusals as IMDS.

use crate::arm::{ArmError, Caller};
use crate::identity::{ImdsError, imds_token_request, issue_imds_token};
use crate::state::SharedState;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use inkan_core::ids::{ClientId, ObjectId};
use inkan_store::{ClientSecretRecord, HostCredentialRecord, PrincipalKind, PrincipalRecord};
use serde_json::{Value, json};
use std::collections::HashMap;

/// The routes.
pub fn routes() -> Router<SharedState> {
    Router::new().route("/inkan/v1/host-credentials", post(enroll)).route("/inkan/v1/agent/token", get(agent_token))
}

/// Creates a host credential for `{"target": "<group>/<vm>" | "<resource id>"}`.
async fn enroll(
    State(state): State<SharedState>,
    caller: Caller,
    Json(body): Json<Value>,
) -> Result<Json<Value>, ArmError> {
    if !caller.is_admin {
        return Err(ArmError::authorization_failed(
            &caller.client_id,
            &caller.object_id,
            "inkan/hostCredentials/write",
            "/",
            "Only the bootstrap administrator may enroll hosts.",
        ));
    }
    let target = body["target"].as_str().unwrap_or_default();
    let workload = crate::admin::resolve_workload(&state, target)?;
    if !workload.kind.uses_imds() {
        return Err(ArmError::bad_request(
            "InvalidHostTarget",
            format!("'{}' is a site or slot; hosts represent VMs and cluster nodes.", workload.resource_id),
        ));
    }
    let now = state.clock.now();
    let principal = PrincipalRecord {
        object_id: ObjectId::random(),
        client_id: ClientId::random(),
        tenant_id: state.tenant_id,
        display_name: format!("inkan-host {}", workload.resource_id),
        kind: PrincipalKind::Application,
        resource_id: None,
        created_at: now,
        deleted_at: None,
    };
    let secret = inkan_crypto::random::client_secret();
    let verifier = ClientSecretRecord {
        key_id: uuid::Uuid::new_v4().to_string(),
        client_id: principal.client_id,
        hint: secret[..3].to_owned(),
        verifier: inkan_crypto::digest::sha256(secret.as_bytes()),
        created_at: now,
        expires_at: now + time::Duration::days(365 * 10),
    };
    let host = HostCredentialRecord {
        client_id: principal.client_id,
        resource_key: workload.resource_id.to_ascii_lowercase(),
        created_at: now,
        revoked_at: None,
    };
    let client_id = principal.client_id.to_string();
    state.store.enroll_host(principal, verifier, host).await?;
    Ok(Json(json!({
        "server": state.urls.base,
        "tenantId": state.tenant_id.to_string(),
        "resourceId": workload.resource_id,
        "clientId": client_id,
        "clientSecret": secret,
    })))
}

/// A managed-identity token for the VM this host speaks for. Answers in IMDS's shape.
async fn agent_token(
    State(state): State<SharedState>,
    caller: Caller,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ArmError> {
    let forbidden = |why: &str| {
        ArmError::authorization_failed(&caller.client_id, &caller.object_id, "inkan/agent/token/action", "/", why)
    };
    let client_id: ClientId =
        caller.client_id.parse().map_err(|_| forbidden("The caller is not a host credential."))?;
    let host =
        state.store.host_credential(client_id).await?.filter(|h| h.revoked_at.is_none()).ok_or_else(|| {
            forbidden("The caller is not a host credential; enroll the host with `inkan agent enroll`.")
        })?;
    let workload =
        state.workloads.by_resource(&host.resource_key).filter(|w| w.created_at <= host.created_at.unix_timestamp());
    let Some(workload) = workload else {
        return Ok(ImdsError::bad_request(
            "invalid_request",
            format!(
                "The VM this host was enrolled for ({}) no longer exists (or was deleted and created again): enroll the host again.",
                host.resource_key
            ),
        )
        .into_response());
    };
    let get = |k: &str| query.get(k).map(String::as_str).filter(|v| !v.is_empty());
    let (resource, selector) = match imds_token_request(get) {
        Ok(request) => request,
        Err(refused) => return Ok(refused.into_response()),
    };
    Ok(issue_imds_token(&state, &workload, &selector, resource, "agent").unwrap_or_else(IntoResponse::into_response))
}
