//! The ARM `identity` block: which managed identities a resource carries.
//!
//! A request names the identity type and, for user-assigned identities, their resource ids
//! (values `{}`); a response adds the system identity's `principalId`/`tenantId` and each
//! user-assigned identity's `principalId`/`clientId`. This module parses the request form into
//! [`IdentityRequest`] and renders [`IdentityState`] back, so the server only decides *which*
//! principals exist.

use super::ResourceId;
use serde_json::{Map, Value, json};

/// What a request asks for.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IdentityRequest {
    pub system_assigned: bool,
    /// User-assigned identity ids, in request order.
    pub user_assigned: Vec<ResourceId>,
}

/// Why an `identity` block is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentityError {
    #[error(
        "The identity type '{0}' is not valid. Use 'None', 'SystemAssigned', 'UserAssigned' or 'SystemAssigned, UserAssigned'."
    )]
    InvalidType(String),
    #[error(
        "The identity type '{0}' requires 'userAssignedIdentities' with at least one identity resource id, such as {{\"/subscriptions/.../providers/Microsoft.ManagedIdentity/userAssignedIdentities/my-id\": {{}}}}."
    )]
    MissingUserAssigned(String),
    #[error("'userAssignedIdentities' is only valid when the identity type includes 'UserAssigned' (it was '{0}').")]
    UnexpectedUserAssigned(String),
    #[error("'{0}' in 'userAssignedIdentities' is not a user-assigned identity resource id: {1}")]
    NotAnIdentityId(String, String),
    #[error("The 'identity' property must be an object with a 'type'.")]
    NotAnObject,
    #[error("This resource type does not support managed identities.")]
    Unsupported,
    #[error(
        "This resource type supports exactly one identity: either 'SystemAssigned' or 'UserAssigned' with a single user-assigned identity."
    )]
    OnlyOne,
}

impl IdentityRequest {
    /// Parses the request form of an `identity` block.
    pub fn parse(value: &Value) -> Result<Self, IdentityError> {
        let obj = value.as_object().ok_or(IdentityError::NotAnObject)?;
        let ty = obj.get("type").and_then(Value::as_str).ok_or(IdentityError::NotAnObject)?;
        let normalized: String = ty.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_lowercase();
        let (system_assigned, user) = match normalized.as_str() {
            "none" => (false, false),
            "systemassigned" => (true, false),
            "userassigned" => (false, true),
            "systemassigned,userassigned" => (true, true),
            _ => return Err(IdentityError::InvalidType(ty.into())),
        };
        let listed = obj.get("userAssignedIdentities").and_then(Value::as_object);
        let mut user_assigned = Vec::new();
        match (user, listed) {
            (true, Some(map)) if !map.is_empty() => {
                for key in map.keys() {
                    let id = ResourceId::parse(key)
                        .map_err(|e| IdentityError::NotAnIdentityId(key.clone(), e.to_string()))?;
                    let is_uai = id
                        .resource_type()
                        .is_some_and(|t| t.eq_ignore_ascii_case("Microsoft.ManagedIdentity/userAssignedIdentities"));
                    if !is_uai {
                        return Err(IdentityError::NotAnIdentityId(
                            key.clone(),
                            "its type is not Microsoft.ManagedIdentity/userAssignedIdentities".into(),
                        ));
                    }
                    if !user_assigned.contains(&id) {
                        user_assigned.push(id);
                    }
                }
            }
            (true, _) => return Err(IdentityError::MissingUserAssigned(ty.into())),
            (false, Some(map)) if !map.is_empty() => {
                return Err(IdentityError::UnexpectedUserAssigned(ty.into()));
            }
            (false, _) => {}
        }
        Ok(Self { system_assigned, user_assigned })
    }

    /// Applies a PATCH's `identity` to the current request form: the type is replaced, and
    /// `userAssignedIdentities` entries set to `null` are removed while new ones are added.
    pub fn merge_patch(current: &IdentityRequest, patch: &Value) -> Result<Self, IdentityError> {
        let obj = patch.as_object().ok_or(IdentityError::NotAnObject)?;
        let mut merged = Map::new();
        if let Some(ty) = obj.get("type") {
            merged.insert("type".into(), ty.clone());
        } else {
            merged.insert("type".into(), json!(current.type_name()));
        }
        let mut users: Map<String, Value> =
            current.user_assigned.iter().map(|id| (id.as_str().to_owned(), json!({}))).collect();
        if let Some(patch_users) = obj.get("userAssignedIdentities").and_then(Value::as_object) {
            for (k, v) in patch_users {
                if v.is_null() {
                    let key = k.to_ascii_lowercase();
                    users.retain(|existing, _| existing.to_ascii_lowercase() != key);
                } else {
                    users.insert(k.clone(), json!({}));
                }
            }
        }
        let type_has_user = merged["type"].as_str().is_some_and(|t| t.to_ascii_lowercase().contains("userassigned"));
        if type_has_user {
            merged.insert("userAssignedIdentities".into(), Value::Object(users));
        }
        Self::parse(&Value::Object(merged))
    }

    /// ARM's name for this combination.
    pub fn type_name(&self) -> &'static str {
        match (self.system_assigned, !self.user_assigned.is_empty()) {
            (false, false) => "None",
            (true, false) => "SystemAssigned",
            (false, true) => "UserAssigned",
            (true, true) => "SystemAssigned, UserAssigned",
        }
    }

    /// Whether no identity is requested.
    pub fn is_none(&self) -> bool {
        !self.system_assigned && self.user_assigned.is_empty()
    }
}

/// One principal as ARM shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrincipalRef {
    pub principal_id: String,
    pub client_id: String,
}

/// The identities a resource carries, resolved to principals.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IdentityState {
    pub tenant_id: String,
    pub system: Option<PrincipalRef>,
    /// (identity resource id as given, its principal)
    pub user: Vec<(ResourceId, PrincipalRef)>,
}

impl IdentityState {
    /// Renders the response form of the `identity` block.
    pub fn render(&self) -> Value {
        let request = IdentityRequest {
            system_assigned: self.system.is_some(),
            user_assigned: self.user.iter().map(|(id, _)| id.clone()).collect(),
        };
        let mut out = Map::new();
        out.insert("type".into(), json!(request.type_name()));
        if let Some(system) = &self.system {
            out.insert("principalId".into(), json!(system.principal_id));
            out.insert("tenantId".into(), json!(self.tenant_id));
        }
        if !self.user.is_empty() {
            let users: Map<String, Value> = self
                .user
                .iter()
                .map(|(id, p)| {
                    (id.as_str().to_owned(), json!({"principalId": p.principal_id, "clientId": p.client_id}))
                })
                .collect();
            out.insert("userAssignedIdentities".into(), Value::Object(users));
        }
        Value::Object(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const UAI: &str = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/a";
    const UAI_B: &str = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/b";

    #[test]
    fn all_four_types_parse() {
        assert!(IdentityRequest::parse(&json!({"type": "None"})).unwrap().is_none());
        assert!(IdentityRequest::parse(&json!({"type": "SystemAssigned"})).unwrap().system_assigned);
        let both = IdentityRequest::parse(
            &json!({"type": "SystemAssigned,UserAssigned", "userAssignedIdentities": {UAI: {}}}),
        )
        .unwrap();
        assert_eq!(both.type_name(), "SystemAssigned, UserAssigned");
        assert_eq!(both.user_assigned.len(), 1);
    }

    #[test]
    fn user_assigned_needs_identities_and_only_identity_ids() {
        assert_eq!(
            IdentityRequest::parse(&json!({"type": "UserAssigned"})),
            Err(IdentityError::MissingUserAssigned("UserAssigned".into()))
        );
        assert!(matches!(
            IdentityRequest::parse(
                &json!({"type": "UserAssigned", "userAssignedIdentities": {"/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/x": {}}})
            ),
            Err(IdentityError::NotAnIdentityId(..))
        ));
        assert!(matches!(IdentityRequest::parse(&json!({"type": "Bogus"})), Err(IdentityError::InvalidType(_))));
    }

    #[test]
    fn patch_removes_identities_set_to_null_and_adds_new_ones() {
        let current =
            IdentityRequest::parse(&json!({"type": "UserAssigned", "userAssignedIdentities": {UAI: {}}})).unwrap();
        let added = IdentityRequest::merge_patch(&current, &json!({"userAssignedIdentities": {UAI_B: {}}})).unwrap();
        assert_eq!(added.user_assigned.len(), 2);
        let removed = IdentityRequest::merge_patch(
            &added,
            &json!({"userAssignedIdentities": {UAI.to_uppercase().replace("SUBSCRIPTIONS", "subscriptions"): null}}),
        )
        .unwrap();
        assert_eq!(removed.user_assigned.len(), 1);
    }
}
