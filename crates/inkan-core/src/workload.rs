//! Workloads and the managed identities attached to them, and how an identity endpoint picks
//! one for a token request.
//!
//! Azure's rules, which inkan reproduces exactly (code that works here works on Azure):
//! - a selector (`client_id`, `object_id`/`principal_id`, `msi_res_id`/`mi_res_id`) picks that
//!   identity if it is attached, else "Identity not found";
//! - IMDS with no selector: the system-assigned identity, else the only user-assigned one, else
//!   "Multiple user assigned identities exist" (or "Identity not found" when there is none);
//! - App Service with no selector: the system-assigned identity only.
//!
//! Each refusal carries the attached identities so the endpoint can say which selector to send.

use crate::arm::ResourceId;

/// Whether an identity is the workload's own or a user-assigned identity resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentityKind {
    SystemAssigned,
    UserAssigned,
}

/// One identity attached to a workload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachedIdentity {
    pub kind: IdentityKind,
    /// Display name: the identity resource's name, or `system-assigned`.
    pub name: String,
    pub principal_id: String,
    pub client_id: String,
    /// The ARM id the token's `xms_mirid` names: the identity resource, or the workload itself
    /// for a system-assigned identity.
    pub resource_id: String,
}

/// What the request asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    None,
    ClientId(String),
    ObjectId(String),
    ResourceId(String),
}

/// The rule for a request without a selector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DefaultRule {
    /// IMDS: system-assigned, else the only user-assigned identity.
    SystemThenSingleUser,
    /// App Service: system-assigned only.
    SystemOnly,
}

/// Why no identity was chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SelectionError {
    /// The selector names no attached identity (or there is no identity at all).
    NotFound,
    /// Several user-assigned identities and no selector.
    Ambiguous,
}

/// Picks the identity for a request.
pub fn select<'a>(
    attached: &'a [AttachedIdentity],
    selector: &Selector,
    rule: DefaultRule,
) -> Result<&'a AttachedIdentity, SelectionError> {
    let found = match selector {
        Selector::ClientId(id) => attached.iter().find(|a| a.client_id.eq_ignore_ascii_case(id.trim())),
        Selector::ObjectId(id) => attached.iter().find(|a| a.principal_id.eq_ignore_ascii_case(id.trim())),
        Selector::ResourceId(id) => {
            let wanted = ResourceId::parse(id.trim()).ok();
            attached.iter().find(|a| {
                a.kind == IdentityKind::UserAssigned
                    && wanted.as_ref().is_some_and(|w| ResourceId::parse(&a.resource_id).is_ok_and(|r| &r == w))
            })
        }
        Selector::None => {
            if let Some(system) = attached.iter().find(|a| a.kind == IdentityKind::SystemAssigned) {
                return Ok(system);
            }
            let users: Vec<_> = attached.iter().filter(|a| a.kind == IdentityKind::UserAssigned).collect();
            return match (rule, users.as_slice()) {
                (DefaultRule::SystemThenSingleUser, [only]) => Ok(only),
                (DefaultRule::SystemThenSingleUser, [_, _, ..]) => Err(SelectionError::Ambiguous),
                _ => Err(SelectionError::NotFound),
            };
        }
    };
    found.ok_or(SelectionError::NotFound)
}

/// A sentence listing the attached identities, for hints.
pub fn describe_attached(attached: &[AttachedIdentity]) -> String {
    if attached.is_empty() {
        return "it has no managed identity attached".into();
    }
    let items: Vec<String> = attached
        .iter()
        .map(|a| match a.kind {
            IdentityKind::SystemAssigned => {
                format!("system-assigned (client id {}, object id {})", a.client_id, a.principal_id)
            }
            IdentityKind::UserAssigned => format!(
                "user-assigned '{}' (client id {}, object id {}, resource id {})",
                a.name, a.client_id, a.principal_id, a.resource_id
            ),
        })
        .collect();
    format!("its identities are: {}", items.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(name: &str, n: u8) -> AttachedIdentity {
        AttachedIdentity {
            kind: IdentityKind::UserAssigned,
            name: name.into(),
            principal_id: format!("0000000{n}-0000-0000-0000-00000000000a"),
            client_id: format!("0000000{n}-0000-0000-0000-00000000000c"),
            resource_id: format!(
                "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}"
            ),
        }
    }

    fn system() -> AttachedIdentity {
        AttachedIdentity { kind: IdentityKind::SystemAssigned, name: "system-assigned".into(), ..user("vm", 9) }
    }

    #[test]
    fn imds_defaults_to_system_then_the_only_user_identity() {
        let one = [user("a", 1)];
        assert_eq!(select(&one, &Selector::None, DefaultRule::SystemThenSingleUser).unwrap().name, "a");
        let two = [user("a", 1), user("b", 2)];
        assert_eq!(select(&two, &Selector::None, DefaultRule::SystemThenSingleUser), Err(SelectionError::Ambiguous));
        let with_system = [user("a", 1), system()];
        assert_eq!(
            select(&with_system, &Selector::None, DefaultRule::SystemThenSingleUser).unwrap().kind,
            IdentityKind::SystemAssigned
        );
        assert_eq!(select(&[], &Selector::None, DefaultRule::SystemThenSingleUser), Err(SelectionError::NotFound));
    }

    #[test]
    fn app_service_defaults_to_the_system_identity_only() {
        assert_eq!(select(&[user("a", 1)], &Selector::None, DefaultRule::SystemOnly), Err(SelectionError::NotFound));
    }

    #[test]
    fn selectors_match_case_insensitively_and_only_attached_identities() {
        let two = [user("a", 1), user("b", 2)];
        let by_client = Selector::ClientId("00000002-0000-0000-0000-00000000000C".into());
        assert_eq!(select(&two, &by_client, DefaultRule::SystemOnly).unwrap().name, "b");
        let by_object = Selector::ObjectId(two[0].principal_id.clone());
        assert_eq!(select(&two, &by_object, DefaultRule::SystemOnly).unwrap().name, "a");
        let by_id =
            Selector::ResourceId(two[1].resource_id.to_uppercase().replacen("/SUBSCRIPTIONS/", "/subscriptions/", 1));
        assert_eq!(select(&two, &by_id, DefaultRule::SystemOnly).unwrap().name, "b");
        let stranger = Selector::ClientId("00000003-0000-0000-0000-00000000000c".into());
        assert_eq!(select(&two, &stranger, DefaultRule::SystemOnly), Err(SelectionError::NotFound));
        assert!(describe_attached(&two).contains("user-assigned 'a'"));
    }
}
