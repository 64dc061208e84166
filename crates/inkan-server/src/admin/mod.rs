//! inkan's own operations API (`/inkan/v1/...`), for what Azure has no REST call for, such as
//! rotating the token-signing keys. Same authentication as the control plane; administrator
//! only.

use crate::arm::{ArmError, Caller};
use crate::state::SharedState;
use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};

/// The operations routes.
pub fn routes() -> Router<SharedState> {
    Router::new()
        .route("/inkan/v1/signing-keys", get(list_signing_keys))
        .route("/inkan/v1/signing-keys/rotate", post(rotate_signing_keys))
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
