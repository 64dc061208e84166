//! inkan's own operations API (`/inkan/v1/...`), for what Azure has no REST call for, such as
//! rotating the token-signing keys. Same authentication as the control plane; administrator
//! only.

use crate::arm::{ArmError, Caller};
use crate::state::SharedState;
use axum::extract::{Query, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};
use std::collections::HashMap;

/// The operations routes.
pub fn routes() -> Router<SharedState> {
    Router::new()
        .route("/inkan/v1/signing-keys", get(list_signing_keys))
        .route("/inkan/v1/signing-keys/rotate", post(rotate_signing_keys))
        .route("/inkan/v1/workload-environment", get(workload_environment))
        .route("/inkan/v1/audit", get(list_audit))
        .route("/inkan/v1/access/check", get(check_access))
        .route("/inkan/v1/role-assignment-status", get(role_assignment_status))
}

fn require_admin(caller: &Caller, action: &str) -> Result<(), ArmError> {
    if caller.is_admin {
        return Ok(());
    }
    Err(ArmError::authorization_failed(
        &caller.client_id,
        &caller.object_id,
        action,
        "/",
        "Only the bootstrap administrator may manage signing keys.",
    ))
}

async fn list_signing_keys(State(state): State<SharedState>, caller: Caller) -> Result<Json<Value>, ArmError> {
    require_admin(&caller, "inkan/signingKeys/read")?;
    let keys = state.store.signing_keys().await?;
    let now = state.clock.now();
    let items: Vec<Value> = keys
        .iter()
        .filter(|k| k.retire_at.is_none_or(|t| t > now))
        .map(|k| {
            json!({
                "kid": k.kid,
                "active": k.active,
                "createdAt": inkan_core::clock::rfc3339(k.created_at),
                "retireAt": k.retire_at.map(inkan_core::clock::rfc3339),
            })
        })
        .collect();
    Ok(Json(json!({ "value": items })))
}

async fn rotate_signing_keys(State(state): State<SharedState>, caller: Caller) -> Result<Json<Value>, ArmError> {
    require_admin(&caller, "inkan/signingKeys/rotate/action")?;
    let kid = state.keys.rotate(state.store.as_ref(), state.clock.as_ref()).await.map_err(|e| {
        tracing::error!("key rotation failed: {e:#}");
        ArmError::internal()
    })?;
    Ok(Json(json!({ "activeKid": kid })))
}

/// The environment that makes unmodified SDKs behave as a workload: `?target=` is a resource id
/// or `<group>/<name>` (`<group>/<site>/<slot>` for a slot) in the default subscription.
async fn workload_environment(
    State(state): State<SharedState>,
    caller: Caller,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ArmError> {
    require_admin(&caller, "inkan/workloads/environment/read")?;
    let target = query.get("target").map(String::as_str).unwrap_or_default();
    let workload = resolve_workload(&state, target)?;
    let mut env = serde_json::Map::new();
    if workload.kind.uses_imds() {
        env.insert(
            "AZURE_POD_IDENTITY_AUTHORITY_HOST".into(),
            json!(format!("{}/imds/{}", state.identity_url, workload.imds_secret)),
        );
    } else {
        let endpoint = format!("{}/msi/token", state.identity_url);
        env.insert("IDENTITY_ENDPOINT".into(), json!(endpoint));
        env.insert("IDENTITY_HEADER".into(), json!(workload.header_secret));
        env.insert("MSI_ENDPOINT".into(), json!(endpoint));
        env.insert("MSI_SECRET".into(), json!(workload.header_secret));
    }
    let identities: Vec<Value> = workload
        .identities
        .iter()
        .map(|i| json!({"name": i.name, "clientId": i.client_id, "principalId": i.principal_id, "resourceId": i.resource_id}))
        .collect();
    Ok(Json(json!({
        "resourceId": workload.resource_id,
        "kind": format!("{:?}", workload.kind),
        "identities": identities,
        "env": env,
    })))
}

pub(crate) fn resolve_workload(
    state: &SharedState,
    target: &str,
) -> Result<std::sync::Arc<crate::workloads::Workload>, ArmError> {
    let not_found = || {
        ArmError::not_found(
            "WorkloadNotFound",
            format!(
                "'{target}' is not a VM, managed cluster, site or slot. Give its resource id, or <resource-group>/<name> \
                 (<resource-group>/<site>/<slot> for a slot)."
            ),
        )
    };
    if target.starts_with('/') {
        return state.workloads.by_resource(target).ok_or_else(not_found);
    }
    let parts: Vec<&str> = target.split('/').collect();
    let sub = state.subscription_id;
    let candidates: Vec<String> = match parts.as_slice() {
        [rg, name] => {
            ["Microsoft.Compute/virtualMachines", "Microsoft.ContainerService/managedClusters", "Microsoft.Web/sites"]
                .iter()
                .map(|t| format!("/subscriptions/{sub}/resourceGroups/{rg}/providers/{t}/{name}"))
                .collect()
        }
        [rg, site, slot] => {
            vec![format!("/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Web/sites/{site}/slots/{slot}")]
        }
        _ => return Err(not_found()),
    };
    let found: Vec<_> = candidates.iter().filter_map(|id| state.workloads.by_resource(id)).collect();
    match found.as_slice() {
        [one] => Ok(std::sync::Arc::clone(one)),
        [] => Err(not_found()),
        many => Err(ArmError::conflict(
            "AmbiguousWorkload",
            format!(
                "'{target}' names several workloads ({}); give the full resource id.",
                many.iter().map(|w| w.resource_id.as_str()).collect::<Vec<_>>().join(", ")
            ),
        )),
    }
}

/// The audit log, newest first: `?outcome=issued|refused&resource=<substring>&identity=<object or
/// client id>&since=<RFC 3339>&limit=<n>`.
async fn list_audit(
    State(state): State<SharedState>,
    caller: Caller,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ArmError> {
    require_admin(&caller, "inkan/audit/read")?;
    let outcome = match query.get("outcome").map(String::as_str) {
        None | Some("") => None,
        Some("issued") => Some(inkan_store::AuditOutcome::Issued),
        Some("refused") => Some(inkan_store::AuditOutcome::Refused),
        Some(other) => {
            return Err(ArmError::bad_request(
                "InvalidQueryParameter",
                format!("outcome '{other}' is not 'issued' or 'refused'."),
            ));
        }
    };
    let since = match query.get("since") {
        None => None,
        Some(text) => {
            Some(time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).map_err(|e| {
                ArmError::bad_request(
                    "InvalidQueryParameter",
                    format!("since '{text}' is not an RFC 3339 time ({e}), e.g. 2026-11-24T10:00:00Z."),
                )
            })?)
        }
    };
    let limit = match query.get("limit") {
        None => 100,
        Some(text) => text.parse::<usize>().ok().filter(|n| (1..=10_000).contains(n)).ok_or_else(|| {
            ArmError::bad_request("InvalidQueryParameter", format!("limit '{text}' must be 1-10000."))
        })?,
    };
    let events = state
        .store
        .list_audit(&inkan_store::AuditQuery {
            outcome,
            caller_contains: query.get("resource").cloned(),
            identity: query.get("identity").cloned(),
            since,
            limit,
        })
        .await?;
    let items: Vec<Value> = events
        .iter()
        .map(|e| {
            json!({
                "time": inkan_core::clock::rfc3339(e.at),
                "surface": e.surface,
                "outcome": e.outcome.as_str(),
                "caller": e.caller_resource,
                "principalId": e.principal_id,
                "clientId": e.client_id,
                "audience": e.audience,
                "reason": e.reason,
                "count": e.count,
            })
        })
        .collect();
    Ok(Json(json!({ "value": items })))
}

/// `?principal=<object id>&action=<action>&scope=<scope>[&data=true]`: the decision and its
/// reasons, as the engine makes it for every request.
async fn check_access(
    State(state): State<SharedState>,
    caller: Caller,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ArmError> {
    require_admin(&caller, "inkan/access/check/action")?;
    let get = |k: &str| query.get(k).map(String::as_str).filter(|v| !v.is_empty());
    let missing = |k: &str| ArmError::bad_request("InvalidQueryParameter", format!("'{k}' is required."));
    let principal = get("principal").ok_or_else(|| missing("principal"))?.to_ascii_lowercase();
    let action = get("action").ok_or_else(|| missing("action"))?;
    let scope = get("scope").unwrap_or("/");
    let data = match get("data") {
        Some(v) => v.eq_ignore_ascii_case("true"),
        // Key Vault's and other data actions are recognisable by their provider paths.
        None => {
            action.to_ascii_lowercase().starts_with("microsoft.keyvault/vaults/secrets/")
                || action.to_ascii_lowercase().starts_with("microsoft.keyvault/vaults/keys/")
                || action.to_ascii_lowercase().starts_with("microsoft.keyvault/vaults/certificates/")
        }
    };
    // Key Vault data actions are decided by the vault's own model (RBAC or access policies).
    if data
        && let Some(vault) =
            crate::vault_access::decide(&state, &principal, get("application"), action, scope).await.map_err(|e| {
                tracing::error!("vault access check failed: {e:#}");
                ArmError::internal()
            })?
    {
        return Ok(Json(json!({
            "allowed": vault.allowed,
            "principal": principal,
            "action": action,
            "dataAction": true,
            "scope": scope,
            "model": if vault.model == crate::vault_access::Model::Rbac { "rbac" } else { "accessPolicy" },
            "explanation": vault.explanation,
        })));
    }
    let policy = state.authz.policy();
    let now = state.clock.unix();
    let decision = policy.decide(&inkan_core::rbac::engine::AccessRequest {
        principal: &principal,
        groups: &[],
        action,
        data,
        scope,
        now,
    });
    let explanation = crate::authz::explain(&policy, &decision, &principal, action, data, scope);
    let role_name = |id: &str| policy.role(id).map_or_else(|| id.to_owned(), |r| r.name.to_string());
    let render = |a: &inkan_core::rbac::engine::Assignment| {
        let scope = if &*a.scope == "/" { "" } else { &a.scope };
        json!({"id": format!("{scope}/providers/Microsoft.Authorization/roleAssignments/{}", a.name), "role": role_name(&a.role), "scope": &*a.scope})
    };
    Ok(Json(json!({
        "allowed": decision.allowed,
        "principal": principal,
        "action": action,
        "dataAction": data,
        "scope": scope,
        "model": "rbac",
        "explanation": explanation,
        "grantedBy": decision.granted_by.as_ref().map(render),
        "deniedBy": decision.denied_by.as_ref().map(|d| json!({"id": &*d.id, "name": &*d.name, "scope": &*d.scope})),
        "considered": decision.considered.iter().map(render).collect::<Vec<_>>(),
        "elsewhere": decision.elsewhere.iter().map(render).collect::<Vec<_>>(),
    })))
}

/// `?id=<role assignment id>`: whether the assignment exists and is in effect yet (with a
/// propagation delay configured, new assignments wait before they count).
async fn role_assignment_status(
    State(state): State<SharedState>,
    caller: Caller,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ArmError> {
    require_admin(&caller, "inkan/roleAssignments/status/read")?;
    let id = query.get("id").map(String::as_str).unwrap_or_default();
    let Some(found) = state.store.role_assignment(&id.to_ascii_lowercase()).await? else {
        return Ok(Json(json!({"id": id, "exists": false, "effective": false})));
    };
    let delay = if found.principal_id == state.admin_object_id { 0 } else { state.authz.delay_secs() };
    let effective_at = found.created_at.unix_timestamp().saturating_add(delay);
    Ok(Json(json!({
        "id": found.id,
        "exists": true,
        "effective": effective_at <= state.clock.unix(),
        "effectiveAt": time::OffsetDateTime::from_unix_timestamp(effective_at).map(inkan_core::clock::rfc3339).unwrap_or_default(),
    })))
}
