//! Name rules per resource type, as Azure documents them
//! (learn.microsoft.com "Naming rules and restrictions for Azure resources").

use crate::ids::parse_guid;

/// A type's naming rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameRule {
    ResourceGroup,
    UserAssignedIdentity,
    FederatedCredential,
    VirtualMachine,
    Site,
    Slot,
    ManagedCluster,
    Vault,
    Registry,
    Guid,
}

impl NameRule {
    /// Checks a name; the error says what the rule is, in Azure's words where it has them.
    pub fn check(self, name: &str) -> Result<(), String> {
        let len = name.chars().count();
        let alnum = |c: char| c.is_ascii_alphanumeric();
        let ok = match self {
            NameRule::ResourceGroup => {
                (1..=90).contains(&len)
                    && name.chars().all(|c| c.is_alphanumeric() || "-_.()".contains(c))
                    && !name.ends_with('.')
            }
            NameRule::UserAssignedIdentity => {
                (3..=128).contains(&len)
                    && name.starts_with(alnum)
                    && name.chars().all(|c| alnum(c) || c == '-' || c == '_')
            }
            NameRule::FederatedCredential => {
                (3..=120).contains(&len)
                    && name.starts_with(alnum)
                    && name.chars().all(|c| alnum(c) || c == '-' || c == '_')
            }
            NameRule::VirtualMachine => {
                (1..=64).contains(&len)
                    && !name.starts_with('_')
                    && !name.ends_with(['.', '-'])
                    && !name.chars().any(|c| c.is_whitespace() || "\\/\"'[]:|<>+=;,?*@&~!#$%^`{}".contains(c))
            }
            NameRule::Site => {
                (2..=60).contains(&len)
                    && name.chars().all(|c| alnum(c) || c == '-')
                    && !name.starts_with('-')
                    && !name.ends_with('-')
            }
            NameRule::Slot => (2..=59).contains(&len) && name.chars().all(|c| alnum(c) || c == '-'),
            NameRule::ManagedCluster => {
                (1..=63).contains(&len)
                    && name.starts_with(alnum)
                    && name.ends_with(alnum)
                    && name.chars().all(|c| alnum(c) || c == '-' || c == '_')
            }
            NameRule::Vault => {
                (3..=24).contains(&len)
                    && name.starts_with(|c: char| c.is_ascii_alphabetic())
                    && name.ends_with(alnum)
                    && name.chars().all(|c| alnum(c) || c == '-')
                    && !name.contains("--")
            }
            NameRule::Registry => (5..=50).contains(&len) && name.chars().all(alnum),
            NameRule::Guid => parse_guid(name).is_ok(),
        };
        if ok { Ok(()) } else { Err(self.describe().to_owned()) }
    }

    /// The rule in words.
    pub fn describe(self) -> &'static str {
        match self {
            NameRule::ResourceGroup => {
                "Resource group names are 1-90 characters of letters, digits, underscores, hyphens, periods and parentheses, and cannot end in a period."
            }
            NameRule::UserAssignedIdentity => {
                "User-assigned identity names are 3-128 characters of letters, digits, hyphens and underscores, starting with a letter or digit."
            }
            NameRule::FederatedCredential => {
                "Federated identity credential names are 3-120 characters of letters, digits, hyphens and underscores, starting with a letter or digit."
            }
            NameRule::VirtualMachine => {
                "Virtual machine names are 1-64 characters, cannot contain whitespace or any of \\/\"'[]:|<>+=;,?*@&, cannot start with '_' and cannot end with '.' or '-'."
            }
            NameRule::Site => {
                "Site names are 2-60 characters of letters, digits and hyphens, and cannot start or end with a hyphen."
            }
            NameRule::Slot => "Slot names are 2-59 characters of letters, digits and hyphens.",
            NameRule::ManagedCluster => {
                "Managed cluster names are 1-63 characters of letters, digits, hyphens and underscores, starting and ending with a letter or digit."
            }
            NameRule::Vault => {
                "Vault name must only contain alphanumeric characters and dashes and cannot start with a number; it must be 3-24 characters, start with a letter, end with a letter or digit, and not contain consecutive hyphens."
            }
            NameRule::Registry => "Registry names are 5-50 alphanumeric characters.",
            NameRule::Guid => "The name must be a GUID, such as 8e3af657-a8ff-443c-a75c-2fe8c4bcb635.",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::NameRule::*;

    #[test]
    fn vault_names_follow_azure_rules() {
        assert!(Vault.check("app-kv1").is_ok());
        assert!(Vault.check("1kv").is_err());
        assert!(Vault.check("a--b").is_err());
        assert!(Vault.check("kv-").is_err());
        assert!(Vault.check("ab").is_err());
        assert!(Vault.check(&"a".repeat(25)).is_err());
    }

    #[test]
    fn other_rules() {
        assert!(Registry.check("myregistry1").is_ok());
        assert!(Registry.check("my-registry").is_err());
        assert!(ResourceGroup.check("rg.").is_err());
        assert!(ResourceGroup.check("My_RG(1)").is_ok());
        assert!(UserAssignedIdentity.check("id").is_err());
        assert!(VirtualMachine.check("vm 1").is_err());
        assert!(Guid.check("not-a-guid").is_err());
    }
}
