//! Role definitions: the built-in catalog, readable at any scope and filterable by name, and
//! custom roles with the scopes they may be assigned at.

use super::auth::{Caller, authorize};
use super::error::ArmError;
use super::request::{ArmRequest, json_response, list_response};
use crate::state::SharedState;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use inkan_core::arm::ResourceId;
use inkan_core::ids::parse_guid;
use inkan_core::rbac::{BUILTIN_ROLES, builtin_by_id, builtin_by_name, render_builtin};
use inkan_store::{Expect, ResourceChange, ResourceQuery, ResourceRecord};
use serde_json::{Value, json};

const TYPE: &str = "Microsoft.Authorization/roleDefinitions";

pub(super) async fn get(
    state: &SharedState,
    caller: &Caller,
    req: &ArmRequest,
    id: &ResourceId,
) -> Result<Response, ArmError> {
    req.api_version_for(TYPE)?;
    let scope = id.extension_scope();
    super::resources::require_scope(state, &scope).await?;
    let guid = id.name().unwrap_or_default().to_ascii_lowercase();
    match req.method {
        Method::GET => {
            authorize(state, caller, "Microsoft.Authorization/roleDefinitions/read", scope.as_str())?;
            if let Some(role) = builtin_by_id(&guid) {
                return Ok(json_response(StatusCode::OK, &render_builtin(role, &scope_prefix(&scope))));
            }
            let custom =
                custom_roles(state).await?.into_iter().find(|r| r.body["name"].as_str() == Some(guid.as_str()));
            let custom = custom.ok_or_else(|| {
                ArmError::not_found(
                    "RoleDefinitionDoesNotExist",
                    format!(
                        "The specified role definition with ID '{guid}' does not exist. `inkan role definition list` lists the roles inkan knows."
                    ),
                )
            })?;
            Ok(json_response(StatusCode::OK, &custom.body))
        }
        Method::PUT => {
            authorize(state, caller, "Microsoft.Authorization/roleDefinitions/write", scope.as_str())?;
            put_custom(state, caller, req, id, &scope, &guid).await
        }
        Method::DELETE => {
            authorize(state, caller, "Microsoft.Authorization/roleDefinitions/delete", scope.as_str())?;
            delete_custom(state, caller, id, &guid).await
        }
        _ => Err(ArmError::method_not_allowed(req.method.as_str(), "role definitions")),
    }
}

/// Custom roles: tenant-wide definitions with the scopes they may be assigned at.
async fn custom_roles(state: &SharedState) -> Result<Vec<ResourceRecord>, ArmError> {
    Ok(state
        .store
        .list_resources(&ResourceQuery { type_key: Some(TYPE.to_ascii_lowercase()), ..Default::default() })
        .await?)
}

async fn put_custom(
    state: &SharedState,
    caller: &Caller,
    req: &ArmRequest,
    id: &ResourceId,
    scope: &ResourceId,
    guid: &str,
) -> Result<Response, ArmError> {
    let bad = |code: &'static str, m: String| ArmError::bad_request(code, m);
    if parse_guid(guid).is_err() {
        return Err(bad("InvalidRoleDefinitionId", format!("The role definition ID '{guid}' is not a GUID.")));
    }
    if builtin_by_id(guid).is_some() {
        return Err(bad(
            "RoleDefinitionUpdateNotPermitted",
            format!("'{guid}' is a built-in role; built-in roles cannot be changed."),
        ));
    }
    let body = req.json_object()?;
    let props = body.get("properties").and_then(Value::as_object).ok_or_else(|| {
        ArmError::invalid_request_content(
            "a role definition needs 'properties' with 'roleName', 'permissions' and 'assignableScopes'",
        )
    })?;
    let role_name = props.get("roleName").and_then(Value::as_str).map(str::trim).filter(|n| !n.is_empty());
    let role_name =
        role_name.ok_or_else(|| bad("InvalidRoleDefinition", "'properties.roleName' is required.".into()))?;
    let permissions = props.get("permissions").and_then(Value::as_array).cloned().unwrap_or_default();
    if permissions.is_empty() {
        return Err(bad(
            "InvalidRoleDefinition",
            "'properties.permissions' needs at least one block with 'actions' or 'dataActions'.".into(),
        ));
    }
    for (i, block) in permissions.iter().enumerate() {
        for list in ["actions", "notActions", "dataActions", "notDataActions"] {
            if !block.get(list).is_none_or(|v| v.as_array().is_some_and(|a| a.iter().all(Value::is_string))) {
                return Err(bad(
                    "InvalidRoleDefinition",
                    format!("permissions[{i}].{list} must be an array of strings."),
                ));
            }
        }
    }
    let assignable: Vec<String> = props
        .get("assignableScopes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect();
    if assignable.is_empty() {
        return Err(bad(
            "InvalidAssignableScopes",
            "'properties.assignableScopes' needs at least one scope, e.g. \"/subscriptions/<id>\".".into(),
        ));
    }
    for s in &assignable {
        if s != "/" {
            let parsed = ResourceId::parse(s)
                .map_err(|e| bad("InvalidAssignableScopes", format!("'{s}' is not a scope: {e}")))?;
            super::resources::require_scope(state, &parsed).await?;
        }
    }
    let existing = custom_roles(state).await?;
    // Changing a role changes what it grants everywhere it is assignable: the caller needs
    // write at every assignable scope, old and new (as in Azure).
    let current_scopes: Vec<String> = existing
        .iter()
        .find(|r| r.body["name"].as_str() == Some(guid))
        .map(|r| {
            r.body["properties"]["assignableScopes"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    for s in assignable.iter().chain(&current_scopes) {
        authorize(state, caller, "Microsoft.Authorization/roleDefinitions/write", s)?;
    }
    let same_name = |r: &&ResourceRecord| {
        r.body["name"].as_str() != Some(guid)
            && r.body["properties"]["roleName"].as_str().is_some_and(|n| n.eq_ignore_ascii_case(role_name))
    };
    if let Some(clash) = existing.iter().find(same_name) {
        return Err(ArmError::conflict(
            "RoleDefinitionWithSameNameExists",
            format!(
                "A custom role with the same name already exists in this directory ({}). Use a different name.",
                clash.id
            ),
        ));
    }
    if builtin_by_name(role_name).is_some() {
        return Err(ArmError::conflict(
            "RoleDefinitionWithSameNameExists",
            format!("'{role_name}' is the name of a built-in role. Use a different name."),
        ));
    }
    let current = existing.into_iter().find(|r| r.body["name"].as_str() == Some(guid));
    let now = state.clock.now();
    let stamp = inkan_core::clock::rfc3339(now);
    let stored_id =
        current.as_ref().map_or_else(|| format!("{}/providers/{TYPE}/{guid}", scope_prefix(scope)), |c| c.id.clone());
    let created_on = current
        .as_ref()
        .and_then(|c| c.body["properties"]["createdOn"].as_str().map(str::to_owned))
        .unwrap_or_else(|| stamp.clone());
    let rendered = json!({
        "id": stored_id,
        "name": guid,
        "type": TYPE,
        "properties": {
            "roleName": role_name,
            "type": "CustomRole",
            "description": props.get("description").cloned().unwrap_or(Value::Null),
            "assignableScopes": assignable,
            "permissions": permissions,
            "createdOn": created_on,
            "updatedOn": stamp,
            "createdBy": caller.object_id,
            "updatedBy": caller.object_id,
        }
    });
    let (expect, generation) =
        current.as_ref().map_or((Expect::Absent, 1), |c| (Expect::Generation(c.generation), c.generation + 1));
    let record = ResourceRecord {
        id: stored_id,
        type_key: TYPE.to_ascii_lowercase(),
        subscription_id: id.subscription().unwrap_or_default().to_owned(),
        group_key: None,
        parent_key: None,
        global_name: Some(format!("{}/{guid}", TYPE.to_ascii_lowercase())),
        body: rendered.clone(),
        generation,
        created_at: current.as_ref().map_or(now, |c| c.created_at),
        updated_at: now,
    };
    let change = ResourceChange { upserts: vec![(record, expect)], at: Some(now), ..Default::default() };
    super::resources::commit(state, id, change).await?;
    state.policy_changed().await;
    Ok(json_response(if current.is_some() { StatusCode::OK } else { StatusCode::CREATED }, &rendered))
}

async fn delete_custom(
    state: &SharedState,
    caller: &Caller,
    id: &ResourceId,
    guid: &str,
) -> Result<Response, ArmError> {
    if builtin_by_id(guid).is_some() {
        return Err(ArmError::bad_request(
            "RoleDefinitionUpdateNotPermitted",
            format!("'{guid}' is a built-in role and cannot be deleted."),
        ));
    }
    let Some(current) = custom_roles(state).await?.into_iter().find(|r| r.body["name"].as_str() == Some(guid)) else {
        return Ok(StatusCode::NO_CONTENT.into_response());
    };
    for s in current.body["properties"]["assignableScopes"].as_array().into_iter().flatten().filter_map(Value::as_str) {
        authorize(state, caller, "Microsoft.Authorization/roleDefinitions/delete", s)?;
    }
    let assigned = state
        .store
        .list_role_assignments()
        .await?
        .into_iter()
        .filter(|a| a.role_definition_guid.eq_ignore_ascii_case(guid))
        .count();
    if assigned > 0 {
        return Err(ArmError::bad_request(
            "RoleDefinitionHasAssignments",
            format!(
                "There are {assigned} existing role assignments of this role. Delete them before deleting the role definition."
            ),
        ));
    }
    let change = ResourceChange {
        deletes: vec![(current.key(), Expect::Generation(current.generation))],
        at: Some(state.clock.now()),
        ..Default::default()
    };
    super::resources::commit(state, id, change).await?;
    state.policy_changed().await;
    Ok(json_response(StatusCode::OK, &current.body))
}

pub(super) async fn list(
    state: &SharedState,
    caller: &Caller,
    req: &ArmRequest,
    scope: &ResourceId,
) -> Result<Response, ArmError> {
    req.api_version_for(TYPE)?;
    req.require_get("the role definition collection")?;
    super::resources::require_scope(state, scope).await?;
    authorize(state, caller, "Microsoft.Authorization/roleDefinitions/read", scope.as_str())?;
    let filter = req.param("$filter").map(parse_filter).transpose()?;
    let prefix = scope_prefix(scope);
    let roles = BUILTIN_ROLES
        .iter()
        .filter(|r| match &filter {
            Some(Filter::RoleName(n)) => r.role_name.eq_ignore_ascii_case(n),
            Some(Filter::BuiltIn) | None => true,
            Some(Filter::Custom) => false,
        })
        .map(|r| render_builtin(r, &prefix))
        .collect::<Vec<_>>();
    let mut roles = roles;
    roles.extend(custom_roles(state).await?.into_iter().map(|r| r.body).filter(|body| match &filter {
        Some(Filter::RoleName(n)) => body["properties"]["roleName"].as_str().is_some_and(|r| r.eq_ignore_ascii_case(n)),
        Some(Filter::Custom) | None => true,
        Some(Filter::BuiltIn) => false,
    }));
    Ok(list_response(roles))
}

/// Role definitions render under the subscription of the scope they are read at.
fn scope_prefix(scope: &ResourceId) -> String {
    scope.subscription().map(|s| format!("/subscriptions/{s}")).unwrap_or_default()
}

enum Filter {
    RoleName(String),
    BuiltIn,
    Custom,
}

fn parse_filter(filter: &str) -> Result<Filter, ArmError> {
    let f = filter.trim();
    if let Some(rest) = f.strip_prefix("roleName eq ") {
        let name = rest.trim().trim_matches('\'');
        return Ok(Filter::RoleName(name.to_owned()));
    }
    match f.replace(' ', "").to_ascii_lowercase().as_str() {
        "type eq 'builtinrole'" | "typeeq'builtinrole'" => Ok(Filter::BuiltIn),
        "type eq 'customrole'" | "typeeq'customrole'" => Ok(Filter::Custom),
        _ => Err(ArmError::bad_request(
            "InvalidFilterInQueryString",
            format!("The $filter '{filter}' is not supported; use roleName eq '<name>' or type eq 'BuiltInRole'."),
        )),
    }
}

/// `{scope}/providers/Microsoft.Authorization/permissions`: the permissions the caller's role
/// assignments give it at `scope`, one entry per role (what the portal's "My permissions" shows).
pub(super) async fn permissions(
    state: &SharedState,
    caller: &Caller,
    req: &ArmRequest,
    scope: &ResourceId,
) -> Result<Response, ArmError> {
    req.api_version_for("Microsoft.Authorization/permissions")?;
    req.require_get("permissions")?;
    super::resources::require_scope(state, scope).await?;
    let decision = state.authz.decide(
        &caller.object_id,
        "Microsoft.Authorization/permissions/read",
        false,
        scope.as_str(),
        state.clock.unix(),
    );
    let mut seen = std::collections::HashSet::new();
    let custom = custom_roles(state).await?;
    let mut items = Vec::new();
    for assignment in decision.considered.iter().filter(|a| seen.insert(a.role.clone())) {
        if let Some(r) = builtin_by_id(&assignment.role) {
            items.push(json!({
                "actions": r.actions,
                "notActions": r.not_actions,
                "dataActions": r.data_actions,
                "notDataActions": r.not_data_actions,
            }));
        } else if let Some(c) = custom.iter().find(|c| c.body["name"].as_str() == Some(&*assignment.role)) {
            items.extend(c.body["properties"]["permissions"].as_array().cloned().unwrap_or_default());
        }
    }
    Ok(list_response(items))
}
