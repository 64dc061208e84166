//! Managed identities on resources: turning a requested `identity` block into principals.
//!
//! A system-assigned identity is a service principal owned by the resource: created when it is
//! first enabled, kept across updates, retired (with its time recorded) when disabled or when
//! the resource is deleted. User-assigned identities are resources of their own; a resource only
//! references them, and every reference must name an existing identity.

use super::auth::Caller;
use super::error::ArmError;
use crate::state::SharedState;
use inkan_core::arm::identity::{IdentityError, IdentityRequest, IdentityState, PrincipalRef};
use inkan_core::arm::{IdentitySupport, ResourceId, ResourceType};
use inkan_core::ids::{ClientId, ObjectId};
use inkan_store::{DetachmentRecord, PrincipalKind, PrincipalRecord, ResourceChange, ResourceRecord};
use serde_json::Value;

/// The principals a stored resource owns: its system identity, or itself if it is a
/// user-assigned identity.
pub(super) fn principals_owned_by(record: &ResourceRecord) -> Vec<ObjectId> {
    let mut owned = Vec::new();
    let identity = &record.body["identity"];
    let has_system = identity["type"].as_str().is_some_and(|t| t.to_ascii_lowercase().contains("systemassigned"));
    if has_system && let Some(oid) = identity["principalId"].as_str().and_then(|s| s.parse().ok()) {
        owned.push(oid);
    }
    if record.type_key == "microsoft.managedidentity/userassignedidentities"
        && let Some(oid) = record.body["properties"]["principalId"].as_str().and_then(|s| s.parse().ok())
    {
        owned.push(oid);
    }
    owned
}

/// A new principal for a managed identity.
pub(super) fn new_identity_principal(state: &SharedState, id: &ResourceId, kind: PrincipalKind) -> PrincipalRecord {
    PrincipalRecord {
        object_id: ObjectId::random(),
        client_id: ClientId::random(),
        tenant_id: state.tenant_id,
        display_name: id.name().unwrap_or_default().to_owned(),
        kind,
        resource_id: Some(id.as_str().to_owned()),
        created_at: state.clock.now(),
        deleted_at: None,
    }
}

/// Resolves the `identity` block of a write. `requested` is the block the request carries (or
/// the merged block of a PATCH); `None` keeps the current identities. Returns the block to
/// store, or `None` for a resource without identities.
pub(super) async fn resolve(
    state: &SharedState,
    caller: &Caller,
    id: &ResourceId,
    ty: &ResourceType,
    requested: Option<&Value>,
    existing: Option<&Value>,
    change: &mut ResourceChange,
) -> Result<Option<Value>, ArmError> {
    let current = existing.map(|e| &e["identity"]).filter(|v| v.is_object());
    let Some(requested) = requested.or(current) else {
        return Ok(None);
    };
    let request = IdentityRequest::parse(requested).map_err(identity_error)?;
    if ty.identity == IdentitySupport::None {
        if request.is_none() {
            return Ok(None);
        }
        return Err(identity_error(IdentityError::Unsupported));
    }
    if ty.identity == IdentitySupport::SystemOrSingleUser
        && (request.system_assigned && !request.user_assigned.is_empty() || request.user_assigned.len() > 1)
    {
        return Err(identity_error(IdentityError::OnlyOne));
    }
    let mut state_out = IdentityState { tenant_id: state.tenant_id.to_string(), ..Default::default() };
    let current_system = current
        .filter(|c| c["type"].as_str().is_some_and(|t| t.to_ascii_lowercase().contains("systemassigned")))
        .and_then(|c| c["principalId"].as_str())
        .and_then(|s| s.parse::<ObjectId>().ok());
    match (request.system_assigned, current_system) {
        (true, Some(oid)) => {
            let principal = state.store.principal(oid).await?;
            let client_id = principal.map(|p| p.client_id.to_string()).unwrap_or_default();
            state_out.system = Some(PrincipalRef { principal_id: oid.to_string(), client_id });
        }
        (true, None) => {
            let principal = new_identity_principal(state, id, PrincipalKind::SystemAssigned);
            state_out.system = Some(PrincipalRef {
                principal_id: principal.object_id.to_string(),
                client_id: principal.client_id.to_string(),
            });
            change.new_principals.push(principal);
        }
        (false, Some(oid)) => {
            let client_id = state.store.principal(oid).await?.map(|p| p.client_id.to_string()).unwrap_or_default();
            change.detachments.push(DetachmentRecord {
                resource_key: id.key().to_owned(),
                principal_id: oid.to_string(),
                client_id,
                identity_resource_id: id.as_str().to_owned(),
                detached_at: state.clock.now(),
            });
            change.retired_principals.push(oid);
        }
        (false, None) => {}
    }
    // User-assigned identities attached before and not requested now are detached.
    if let Some(previous) = current.and_then(|c| c["userAssignedIdentities"].as_object()) {
        for (previous_id, ids) in previous {
            let still = request.user_assigned.iter().any(|u| u.as_str().eq_ignore_ascii_case(previous_id));
            if !still {
                change.detachments.push(DetachmentRecord {
                    resource_key: id.key().to_owned(),
                    principal_id: ids["principalId"].as_str().unwrap_or_default().to_owned(),
                    client_id: ids["clientId"].as_str().unwrap_or_default().to_owned(),
                    identity_resource_id: previous_id.clone(),
                    detached_at: state.clock.now(),
                });
            }
        }
    }
    // Attaching an identity lends the workload its tokens: Azure requires assign/action on it.
    let previously: Vec<String> = current
        .and_then(|c| c["userAssignedIdentities"].as_object())
        .map(|m| m.keys().map(|k| k.to_ascii_lowercase()).collect())
        .unwrap_or_default();
    for uai in request.user_assigned.iter().filter(|u| !previously.contains(&u.key().to_owned())) {
        require_assign(state, caller, id, uai)?;
    }
    for uai in &request.user_assigned {
        let found = state.store.resource(uai.key()).await?;
        let props = found.as_ref().map(|r| &r.body["properties"]);
        let (Some(principal_id), Some(client_id)) =
            (props.and_then(|p| p["principalId"].as_str()), props.and_then(|p| p["clientId"].as_str()))
        else {
            return Err(ArmError::bad_request(
                "FailedIdentityOperation",
                format!(
                    "Identity operation for resource '{id}' failed with error 'Failed to perform resource identity operation. Status: \
                     'NotFound'. Response: 'Resource '{uai}' was not found.''. Create it first (PUT it, or `inkan identity create`), \
                     then reference it."
                ),
            ));
        };
        let stored_id = found.as_ref().and_then(|r| ResourceId::parse(&r.id).ok()).unwrap_or_else(|| uai.clone());
        state_out
            .user
            .push((stored_id, PrincipalRef { principal_id: principal_id.into(), client_id: client_id.into() }));
    }
    if request.is_none() {
        return Ok(Some(serde_json::json!({"type": "None"})));
    }
    Ok(Some(state_out.render()))
}

/// Requires `userAssignedIdentities/assign/action` on `identity` for attaching it to `resource`.
pub(super) fn require_assign(
    state: &SharedState,
    caller: &Caller,
    resource: &ResourceId,
    identity: &ResourceId,
) -> Result<(), ArmError> {
    const ASSIGN: &str = "Microsoft.ManagedIdentity/userAssignedIdentities/assign/action";
    if super::auth::authorize(state, caller, ASSIGN, identity.as_str()).is_ok() {
        return Ok(());
    }
    let action = format!("{}/write", resource.resource_type().unwrap_or_default());
    Err(ArmError::linked_authorization_failed(
        &caller.client_id,
        &caller.object_id,
        &action,
        resource.as_str(),
        identity.as_str(),
        "inkan: the role 'Managed Identity Operator' on the identity (or its group) grants assign/action.",
    ))
}

fn identity_error(e: IdentityError) -> ArmError {
    ArmError::bad_request("InvalidIdentity", e.to_string())
}
