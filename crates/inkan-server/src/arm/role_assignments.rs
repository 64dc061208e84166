//! Role assignments at any scope: `{scope}/providers/Microsoft.Authorization/roleAssignments/{guid}`.

use super::auth::{Caller, authorize};
use super::error::ArmError;
use super::request::{ArmRequest, json_response, list_response};
use crate::state::SharedState;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use inkan_core::arm::ResourceId;
use inkan_core::ids::{ObjectId, parse_guid};
use inkan_core::rbac::role_definition_guid;
use inkan_store::{Conflict, RoleAssignmentRecord, StoreError};
use serde_json::{Value, json};

const TYPE: &str = "Microsoft.Authorization/roleAssignments";
const PRINCIPAL_TYPES: &[&str] = &["User", "Group", "ServicePrincipal", "ForeignGroup", "Device"];

pub(super) async fn handle(
    state: &SharedState,
    caller: &Caller,
    req: &ArmRequest,
    id: &ResourceId,
) -> Result<Response, ArmError> {
    req.api_version_for(TYPE)?;
    let scope = id.extension_scope();
    let name = id.name().unwrap_or_default();
    if parse_guid(name).is_err() {
        return Err(ArmError::bad_request(
            "InvalidRoleAssignmentId",
            format!("The role assignment ID '{name}' is not valid. The role assignment ID must be a GUID."),
        ));
    }
    super::resources::require_scope(state, &scope).await?;
    let existing = state.store.role_assignment(id.key()).await?;
    match req.method {
        Method::GET => {
            authorize(state, caller, "Microsoft.Authorization/roleAssignments/read", scope.as_str())?;
            let found = existing.ok_or_else(|| not_found(name))?;
            Ok(json_response(StatusCode::OK, &found.body))
        }
        Method::PUT => {
            authorize(state, caller, "Microsoft.Authorization/roleAssignments/write", scope.as_str())?;
            create(state, req, id, &scope, existing).await
        }
        Method::DELETE => {
            authorize(state, caller, "Microsoft.Authorization/roleAssignments/delete", scope.as_str())?;
            match state.store.delete_role_assignment(id.key()).await? {
                Some(deleted) => {
                    state.policy_changed().await;
                    Ok(json_response(StatusCode::OK, &deleted.body))
                }
                None => Ok(StatusCode::NO_CONTENT.into_response()),
            }
        }
        _ => Err(ArmError::method_not_allowed(req.method.as_str(), "role assignments")),
    }
}

async fn create(
    state: &SharedState,
    req: &ArmRequest,
    id: &ResourceId,
    scope: &ResourceId,
    existing: Option<RoleAssignmentRecord>,
) -> Result<Response, ArmError> {
    let body = req.json_object()?;
    let props = body.get("properties").and_then(Value::as_object).ok_or_else(|| {
        ArmError::invalid_request_content(
            "a role assignment needs 'properties' with 'roleDefinitionId' and 'principalId'",
        )
    })?;
    let role_definition_id = props.get("roleDefinitionId").and_then(Value::as_str).unwrap_or_default();
    let guid = role_definition_guid(role_definition_id).ok_or_else(|| {
        ArmError::bad_request(
            "InvalidRoleDefinitionId",
            format!(
                "The role definition ID '{role_definition_id}' is not valid. Use '/providers/Microsoft.Authorization/roleDefinitions/<guid>'; \
                 `GET {{scope}}/providers/Microsoft.Authorization/roleDefinitions?$filter=roleName eq '<name>'` finds the GUID."
            ),
        )
    })?;
    let policy = state.authz.policy();
    let role = policy.role(guid).ok_or_else(|| {
        ArmError::bad_request(
            "RoleDefinitionDoesNotExist",
            format!("The specified role definition with ID '{guid}' does not exist."),
        )
    })?;
    if !role.assignable_at(scope.key()) {
        return Err(ArmError::bad_request(
            "RoleDefinitionNotAssignableAtScope",
            format!(
                "The role '{}' can be assigned only at or below its assignable scopes ({}); '{}' is not one of them. \
                 Add the scope to the role's assignableScopes or assign it lower.",
                role.name,
                role.assignable_scopes.join(", "),
                scope.as_str()
            ),
        ));
    }
    let role_id = role.id.to_string();
    let principal_text = props.get("principalId").and_then(Value::as_str).unwrap_or_default();
    let principal_id: ObjectId = principal_text.parse().map_err(|_| {
        ArmError::bad_request(
            "InvalidPrincipalId",
            format!("A valid principal ID must be provided for role assignment (got '{principal_text}')."),
        )
    })?;
    let principal = state.store.principal(principal_id).await?.filter(|p| p.deleted_at.is_none());
    if principal.is_none() {
        return Err(ArmError::bad_request(
            "PrincipalNotFound",
            format!(
                "Principal {principal_id} does not exist in the directory {}. Check that you have the correct principal ID: a managed \
                 identity's principalId (object id), not its clientId. inkan has no replication delay, so a principal that was just \
                 created is already visible.",
                state.tenant_id
            ),
        ));
    }
    if let Some(body_scope) = props.get("scope").and_then(Value::as_str) {
        let uri_scope = if scope.is_root() { "/".to_owned() } else { scope.as_str().to_owned() };
        // "/" and the root both trim to "": one comparison covers every scope.
        if !body_scope.trim_end_matches('/').eq_ignore_ascii_case(uri_scope.trim_end_matches('/')) {
            return Err(ArmError::bad_request(
                "InvalidCreateRoleAssignmentRequest",
                format!(
                    "The role assignment scope '{body_scope}' must match the scope specified on the URI '{uri_scope}'."
                ),
            ));
        }
    }
    let principal_type = props.get("principalType").and_then(Value::as_str).unwrap_or("ServicePrincipal");
    if !PRINCIPAL_TYPES.contains(&principal_type) {
        return Err(ArmError::bad_request(
            "InvalidPrincipalType",
            format!("principalType '{principal_type}' is invalid; use one of {}.", PRINCIPAL_TYPES.join(", ")),
        ));
    }
    if let Some(current) = existing {
        let same = current.role_definition_guid.eq_ignore_ascii_case(guid) && current.principal_id == principal_id;
        if same {
            return Ok(json_response(StatusCode::CREATED, &current.body));
        }
        return Err(ArmError::bad_request(
            "RoleAssignmentUpdateNotPermitted",
            "Tenant ID, application ID, principal ID, and scope are not allowed to be updated. Delete the assignment and create a new one.",
        ));
    }
    let now = state.clock.now();
    let stamp = inkan_core::clock::rfc3339(now);
    let definition_id = match scope.subscription() {
        Some(sub) => format!("/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/{role_id}"),
        None => format!("/providers/Microsoft.Authorization/roleDefinitions/{role_id}"),
    };
    let scope_text = if scope.is_root() { "/".to_owned() } else { scope.as_str().to_owned() };
    let rendered = json!({
        "properties": {
            "roleDefinitionId": definition_id,
            "principalId": principal_id.to_string(),
            "principalType": principal_type,
            "scope": scope_text,
            "condition": props.get("condition").cloned().unwrap_or(Value::Null),
            "conditionVersion": props.get("conditionVersion").cloned().unwrap_or(Value::Null),
            "createdOn": stamp,
            "updatedOn": stamp,
            "createdBy": null,
            "updatedBy": null,
            "delegatedManagedIdentityResourceId": null,
            "description": props.get("description").cloned().unwrap_or(Value::Null),
        },
        "id": id.as_str(),
        "type": TYPE,
        "name": id.name().unwrap_or_default(),
    });
    let record = RoleAssignmentRecord {
        id: id.as_str().to_owned(),
        scope_key: scope.key().to_owned(),
        role_definition_guid: role_id.clone(),
        principal_id,
        body: rendered.clone(),
        created_at: now,
    };
    match state.store.put_role_assignment(record).await {
        Ok(()) => {
            state.policy_changed().await;
            Ok(json_response(StatusCode::CREATED, &rendered))
        }
        Err(StoreError::Conflict(Conflict::RoleAssignmentExists { existing_id })) => Err(ArmError::conflict(
            "RoleAssignmentExists",
            format!(
                "The role assignment already exists. The ID of the existing role assignment is {}.",
                existing_id.rsplit('/').next().unwrap_or(&existing_id)
            ),
        )),
        Err(other) => Err(other.into()),
    }
}

pub(super) async fn list(
    state: &SharedState,
    caller: &Caller,
    req: &ArmRequest,
    scope: &ResourceId,
) -> Result<Response, ArmError> {
    req.api_version_for(TYPE)?;
    req.require_get("the role assignment collection (a new assignment needs a GUID name)")?;
    super::resources::require_scope(state, scope).await?;
    authorize(state, caller, "Microsoft.Authorization/roleAssignments/read", scope.as_str())?;
    let filter = AssignmentFilter::parse(req.param("$filter").unwrap_or_default())?;
    let (at_scope_only, principal) = (filter.at_scope, filter.principal);
    let scope_key = scope.key();
    let items = state
        .store
        .list_role_assignments()
        .await?
        .into_iter()
        .filter(|a| {
            let at_or_above =
                a.scope_key == "/" || scope_key == a.scope_key || scope_key.starts_with(&format!("{}/", a.scope_key));
            let below = a.scope_key.starts_with(&format!("{}/", scope_key.trim_end_matches('/')));
            if at_scope_only { at_or_above } else { at_or_above || below }
        })
        .filter(|a| principal.as_ref().is_none_or(|p| a.principal_id.to_string() == *p))
        .map(|a| a.body)
        .collect();
    Ok(list_response(items))
}

fn not_found(name: &str) -> ArmError {
    ArmError::not_found("RoleAssignmentNotFound", format!("The role assignment '{name}' is not found."))
}

/// ARM's `$filter` for role assignments: `atScope()`, `principalId eq '<id>'` and
/// `assignedTo('<id>')`, joined with `and`. Anything else is refused rather than ignored, so a
/// filter never silently returns everything.
#[derive(Debug, Default, PartialEq, Eq)]
struct AssignmentFilter {
    at_scope: bool,
    principal: Option<String>,
}

impl AssignmentFilter {
    fn parse(filter: &str) -> Result<Self, ArmError> {
        let mut parsed = Self::default();
        if filter.trim().is_empty() {
            return Ok(parsed);
        }
        let lower = filter.to_ascii_lowercase();
        for clause in lower.split(" and ") {
            let clause = clause.trim();
            let quoted = |prefix: &str, suffix: &str| {
                clause.strip_prefix(prefix).and_then(|r| r.strip_suffix(suffix)).map(|v| v.trim().to_owned())
            };
            if clause == "atscope()" {
                parsed.at_scope = true;
            } else if let Some(id) = quoted("principalid eq '", "'").or_else(|| quoted("assignedto('", "')")) {
                parsed.principal = Some(id);
            } else {
                return Err(ArmError::bad_request(
                    "InvalidFilterInQueryString",
                    format!(
                        "The $filter '{filter}' is not supported; use atScope(), principalId eq '<object id>' or assignedTo('<object id>'), joined with 'and'."
                    ),
                ));
            }
        }
        Ok(parsed)
    }
}

#[cfg(test)]
mod tests {
    use super::AssignmentFilter;

    #[test]
    fn filters_parse_strictly() {
        let f = AssignmentFilter::parse("atScope() and principalId eq 'ABC'").unwrap();
        assert_eq!(f, AssignmentFilter { at_scope: true, principal: Some("abc".into()) });
        assert_eq!(AssignmentFilter::parse("assignedTo('x')").unwrap().principal.as_deref(), Some("x"));
        assert!(AssignmentFilter::parse("tagName eq 'x'").is_err());
    }
}
