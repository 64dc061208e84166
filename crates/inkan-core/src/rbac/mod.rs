//! Role-based access control: the role catalog and the ARM shapes of roles.
//!
//! The decision engine arrives with the authorization work; this module already holds what both
//! the control plane and the engine read: the built-in roles with their real GUIDs and
//! permission lists, and how a role definition looks on the wire.

pub mod access_policy;
pub mod builtin_roles;
pub mod engine;
pub mod pattern;
#[cfg(test)]
mod reference_tests;

pub use builtin_roles::{BUILTIN_ROLES, BuiltinRole};
use serde_json::{Value, json};

/// The GUID of the Owner role, which the bootstrap administrator holds at `/`.
pub const OWNER_ROLE_ID: &str = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635";

/// Finds a built-in role by GUID (case-insensitive).
pub fn builtin_by_id(id: &str) -> Option<&'static BuiltinRole> {
    BUILTIN_ROLES.iter().find(|r| r.id.eq_ignore_ascii_case(id))
}

/// Finds a built-in role by `roleName` (case-insensitive, as ARM's `$filter=roleName eq` is).
pub fn builtin_by_name(name: &str) -> Option<&'static BuiltinRole> {
    BUILTIN_ROLES.iter().find(|r| r.role_name.eq_ignore_ascii_case(name))
}

/// Extracts the GUID from a role definition id in any of its forms
/// (`/providers/Microsoft.Authorization/roleDefinitions/{guid}`,
/// `/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/{guid}`, or a bare GUID).
pub fn role_definition_guid(id: &str) -> Option<&str> {
    let last = id.rsplit('/').next()?;
    let prefix = &id[..id.len() - last.len()];
    let shaped = prefix.is_empty()
        || prefix.to_ascii_lowercase().ends_with("/providers/microsoft.authorization/roledefinitions/");
    (shaped && crate::ids::parse_guid(last).is_ok()).then_some(last)
}

/// The ARM body of a built-in role definition, as seen from `scope` (`""` for the tenant root).
pub fn render_builtin(role: &BuiltinRole, scope: &str) -> Value {
    json!({
        "id": format!("{scope}/providers/Microsoft.Authorization/roleDefinitions/{}", role.id),
        "name": role.id,
        "type": "Microsoft.Authorization/roleDefinitions",
        "properties": {
            "roleName": role.role_name,
            "type": "BuiltInRole",
            "description": role.description,
            "assignableScopes": ["/"],
            "permissions": [{
                "actions": role.actions,
                "notActions": role.not_actions,
                "dataActions": role.data_actions,
                "notDataActions": role.not_data_actions,
            }],
            "createdOn": "2015-02-02T21:55:09.8806423Z",
            "updatedOn": "2025-01-01T00:00:00.0000000Z",
            "createdBy": null,
            "updatedBy": null,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_roles_have_unique_guids_and_names() {
        let mut ids: Vec<_> = BUILTIN_ROLES.iter().map(|r| r.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), BUILTIN_ROLES.len());
        assert_eq!(builtin_by_name("key vault secrets user").unwrap().id, "4633458b-17de-408a-b874-0445c86b69e6");
        assert_eq!(builtin_by_id(OWNER_ROLE_ID).unwrap().role_name, "Owner");
    }

    #[test]
    fn role_definition_ids_in_every_form() {
        let g = "4633458b-17de-408a-b874-0445c86b69e6";
        assert_eq!(role_definition_guid(g), Some(g));
        assert_eq!(role_definition_guid(&format!("/providers/Microsoft.Authorization/roleDefinitions/{g}")), Some(g));
        assert_eq!(
            role_definition_guid(&format!(
                "/subscriptions/00000000-0000-0000-0000-000000000001/providers/Microsoft.Authorization/roleDefinitions/{g}"
            )),
            Some(g)
        );
        assert_eq!(role_definition_guid("/providers/Microsoft.Authorization/roleAssignments/x"), None);
    }
}
