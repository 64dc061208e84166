//! Role definitions: the built-in catalog, readable at any scope and filterable by name.

use super::auth::{Caller, authorize};
use super::error::ArmError;
use super::request::{ArmRequest, json_response, list_response};
use crate::state::SharedState;
use axum::http::{Method, StatusCode};
use axum::response::Response;
use inkan_core::arm::ResourceId;
use inkan_core::rbac::{BUILTIN_ROLES, builtin_by_id, render_builtin};

const TYPE: &str = "Microsoft.Authorization/roleDefinitions";

pub(super) async fn get(
    state: &SharedState,
    caller: &Caller,
    req: &ArmRequest,
    id: &ResourceId,
) -> Result<Response, ArmError> {
    req.api_version_for(TYPE)?;
    if req.method != Method::GET {
        return Err(ArmError::method_not_allowed(
            req.method.as_str(),
            "role definitions (inkan serves the built-in roles; custom roles are not supported yet)",
        ));
    }
    let scope = id.extension_scope();
    super::resources::require_scope(state, &scope).await?;
    authorize(state, caller, "Microsoft.Authorization/roleDefinitions/read", scope.as_str())?;
    let guid = id.name().unwrap_or_default();
    let role = builtin_by_id(guid).ok_or_else(|| {
        ArmError::not_found(
            "RoleDefinitionDoesNotExist",
            format!("The specified role definition with ID '{guid}' does not exist. `inkan role definition list` lists the roles inkan knows."),
        )
    })?;
    Ok(json_response(StatusCode::OK, &render_builtin(role, &scope_prefix(&scope))))
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
        .collect();
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
    let items = decision
        .considered
        .iter()
        .filter(|a| seen.insert(a.role.clone()))
        .filter_map(|a| builtin_by_id(&a.role))
        .map(|r| {
            serde_json::json!({
                "actions": r.actions,
                "notActions": r.not_actions,
                "dataActions": r.data_actions,
                "notDataActions": r.not_data_actions,
            })
        })
        .collect();
    Ok(list_response(items))
}
