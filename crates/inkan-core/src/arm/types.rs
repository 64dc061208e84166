//! The resource types inkan serves and their rules: where they live, whether they take a
//! location and an `identity` block, how they are named.
//!
//! A declarative table: adding a type is one entry here plus, if it has server-computed
//! properties, one hook in the server's ARM surface.

use super::names::NameRule;

/// Where a type's instances live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParentKind {
    /// Directly in a resource group.
    ResourceGroup,
    /// Under a resource of the named type.
    Resource(&'static str),
    /// An extension resource at any scope (`{scope}/providers/...`).
    AnyScope,
}

/// Which `identity` types a resource accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentitySupport {
    /// No `identity` block.
    None,
    /// `SystemAssigned`, `UserAssigned` or both.
    SystemAndUser,
    /// Exactly one of `SystemAssigned` or `UserAssigned` with one identity (AKS control plane).
    SystemOrSingleUser,
}

/// One resource type.
#[derive(Debug)]
pub struct ResourceType {
    /// The type as ARM spells it in responses, e.g. `Microsoft.Web/sites/slots`.
    pub name: &'static str,
    pub parent: ParentKind,
    /// Whether `location` is required (tracked resources) or absent (proxy resources).
    pub tracked: bool,
    pub identity: IdentitySupport,
    pub names: NameRule,
    /// Names that become DNS names (vaults, registries) are unique across all subscriptions.
    pub globally_unique_name: bool,
    /// Whether this type is itself a managed identity (a service principal is created for it).
    pub is_identity: bool,
}

const TYPES: &[ResourceType] = &[
    ResourceType {
        name: "Microsoft.ManagedIdentity/userAssignedIdentities",
        parent: ParentKind::ResourceGroup,
        tracked: true,
        identity: IdentitySupport::None,
        names: NameRule::UserAssignedIdentity,
        globally_unique_name: false,
        is_identity: true,
    },
    ResourceType {
        name: "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials",
        parent: ParentKind::Resource("Microsoft.ManagedIdentity/userAssignedIdentities"),
        tracked: false,
        identity: IdentitySupport::None,
        names: NameRule::FederatedCredential,
        globally_unique_name: false,
        is_identity: false,
    },
    ResourceType {
        name: "Microsoft.Compute/virtualMachines",
        parent: ParentKind::ResourceGroup,
        tracked: true,
        identity: IdentitySupport::SystemAndUser,
        names: NameRule::VirtualMachine,
        globally_unique_name: false,
        is_identity: false,
    },
    ResourceType {
        name: "Microsoft.Web/sites",
        parent: ParentKind::ResourceGroup,
        tracked: true,
        identity: IdentitySupport::SystemAndUser,
        names: NameRule::Site,
        globally_unique_name: true,
        is_identity: false,
    },
    ResourceType {
        name: "Microsoft.Web/sites/slots",
        parent: ParentKind::Resource("Microsoft.Web/sites"),
        tracked: true,
        identity: IdentitySupport::SystemAndUser,
        names: NameRule::Slot,
        globally_unique_name: false,
        is_identity: false,
    },
    ResourceType {
        name: "Microsoft.ContainerService/managedClusters",
        parent: ParentKind::ResourceGroup,
        tracked: true,
        identity: IdentitySupport::SystemOrSingleUser,
        names: NameRule::ManagedCluster,
        globally_unique_name: false,
        is_identity: false,
    },
    ResourceType {
        name: "Microsoft.KeyVault/vaults",
        parent: ParentKind::ResourceGroup,
        tracked: true,
        identity: IdentitySupport::None,
        names: NameRule::Vault,
        globally_unique_name: true,
        is_identity: false,
    },
    ResourceType {
        name: "Microsoft.ContainerRegistry/registries",
        parent: ParentKind::ResourceGroup,
        tracked: true,
        identity: IdentitySupport::SystemAndUser,
        names: NameRule::Registry,
        globally_unique_name: true,
        is_identity: false,
    },
    ResourceType {
        name: "Microsoft.Authorization/roleAssignments",
        parent: ParentKind::AnyScope,
        tracked: false,
        identity: IdentitySupport::None,
        names: NameRule::Guid,
        globally_unique_name: false,
        is_identity: false,
    },
    ResourceType {
        name: "Microsoft.Authorization/denyAssignments",
        parent: ParentKind::AnyScope,
        tracked: false,
        identity: IdentitySupport::None,
        names: NameRule::Guid,
        globally_unique_name: false,
        is_identity: false,
    },
    ResourceType {
        name: "Microsoft.Authorization/roleDefinitions",
        parent: ParentKind::AnyScope,
        tracked: false,
        identity: IdentitySupport::None,
        names: NameRule::Guid,
        globally_unique_name: false,
        is_identity: false,
    },
];

/// Looks a type up case-insensitively.
pub fn resource_type(name: &str) -> Option<&'static ResourceType> {
    TYPES.iter().find(|t| t.name.eq_ignore_ascii_case(name))
}

/// Every type inkan serves.
pub fn all_types() -> &'static [ResourceType] {
    TYPES
}

/// The types of one provider namespace, for "type not found in namespace" hints.
pub fn types_in_namespace(namespace: &str) -> Vec<&'static str> {
    TYPES
        .iter()
        .filter(|t| t.name.split('/').next().is_some_and(|ns| ns.eq_ignore_ascii_case(namespace)))
        .map(|t| t.name)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_are_found_case_insensitively() {
        assert_eq!(resource_type("microsoft.web/SITES/slots").unwrap().name, "Microsoft.Web/sites/slots");
        assert!(resource_type("Microsoft.Web/sitez").is_none());
    }

    #[test]
    fn every_child_type_names_an_existing_parent() {
        for t in all_types() {
            if let ParentKind::Resource(parent) = t.parent {
                assert!(resource_type(parent).is_some(), "{} has unknown parent {parent}", t.name);
                assert!(t.name.starts_with(parent));
            }
        }
    }

    #[test]
    fn every_type_has_api_versions() {
        for t in all_types() {
            assert!(super::super::supported_api_versions(t.name).is_some(), "{}", t.name);
        }
    }
}
