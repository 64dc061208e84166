//! `GET /subscriptions`, `GET /subscriptions/{id}` and `GET /tenants`.

use super::auth::{Caller, authorize};
use super::error::ArmError;
use super::request::{ArmRequest, json_response, list_response};
use crate::state::SharedState;
use axum::http::StatusCode;
use axum::response::Response;
use inkan_core::arm::ResourceId;
use inkan_store::SubscriptionRecord;
use serde_json::{Value, json};

pub(super) async fn list(state: &SharedState, caller: &Caller, req: &ArmRequest) -> Result<Response, ArmError> {
    req.api_version_for("Microsoft.Resources/subscriptions")?;
    req.require_get("the subscription collection")?;
    let visible: Vec<Value> = state
        .store
        .subscriptions()
        .await?
        .iter()
        .filter(|s| may_see(state, caller, &format!("/subscriptions/{}", s.id)).is_ok())
        .map(render)
        .collect();
    let count = visible.len();
    Ok(json_response(StatusCode::OK, &json!({"value": visible, "count": {"type": "Total", "value": count}})))
}

pub(super) async fn get(
    state: &SharedState,
    caller: &Caller,
    req: &ArmRequest,
    id: &ResourceId,
) -> Result<Response, ArmError> {
    req.api_version_for("Microsoft.Resources/subscriptions")?;
    if req.method != axum::http::Method::GET {
        return Err(ArmError::method_not_allowed(
            req.method.as_str(),
            "subscriptions (inkan creates one on first start)",
        ));
    }
    let sub = id.subscription().unwrap_or_default();
    let found = state.store.subscriptions().await?.into_iter().find(|s| s.id.to_string().eq_ignore_ascii_case(sub));
    let Some(found) = found else {
        return Err(ArmError::subscription_not_found(sub));
    };
    may_see(state, caller, id.as_str())?;
    Ok(json_response(StatusCode::OK, &render(&found)))
}

/// Whether `caller` sees the subscription `scope` (`/subscriptions/{id}`): it may read it, or
/// holds a control-plane role somewhere inside (as in ARM, a Reader on one group sees its
/// subscription; `az login` picks from that list). Data-plane roles alone (Key Vault Secrets
/// User on a vault) show none, and az needs --allow-no-subscriptions. The list, the
/// subscription itself and its providers all use this rule.
pub(super) fn may_see(state: &SharedState, caller: &Caller, scope: &str) -> Result<(), ArmError> {
    if state.authz.policy().has_access_within(&caller.object_id, scope, state.clock.unix()) {
        return Ok(());
    }
    authorize(state, caller, "Microsoft.Resources/subscriptions/read", scope)
}

pub(super) async fn list_tenants(
    state: &SharedState,
    _caller: &Caller,
    req: &ArmRequest,
) -> Result<Response, ArmError> {
    req.require_get("the tenant collection")?;
    let tenants = state
        .store
        .tenants()
        .await?
        .iter()
        .map(|t| {
            json!({
                "id": format!("/tenants/{}", t.id),
                "tenantId": t.id.to_string(),
                "tenantCategory": "Home",
                "displayName": t.display_name,
                "defaultDomain": state.urls.domain,
                "domains": [state.urls.domain],
                "tenantType": "AAD",
            })
        })
        .collect();
    Ok(list_response(tenants))
}

fn render(s: &SubscriptionRecord) -> Value {
    json!({
        "id": format!("/subscriptions/{}", s.id),
        "authorizationSource": "RoleBased",
        "managedByTenants": [],
        "subscriptionId": s.id.to_string(),
        "tenantId": s.tenant_id.to_string(),
        "displayName": s.display_name,
        "state": "Enabled",
        "subscriptionPolicies": {
            "locationPlacementId": "Public_2014-09-01",
            "quotaId": "PayAsYouGo_2014-09-01",
            "spendingLimit": "Off",
        },
    })
}

/// Whether the subscription exists.
pub(super) async fn exists(state: &SharedState, id: &str) -> Result<bool, ArmError> {
    // The bootstrap subscription without a store read: every ARM request under it asks.
    if state.subscription_id.to_string().eq_ignore_ascii_case(id) {
        return Ok(true);
    }
    Ok(state.store.subscriptions().await?.iter().any(|s| s.id.to_string().eq_ignore_ascii_case(id)))
}
