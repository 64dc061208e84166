//! Action patterns: Azure's `*` wildcard, compared case-insensitively.
//!
//! `*` matches any run of characters, `/` included: `*`, `*/read`, `Microsoft.KeyVault/*`,
//! `Microsoft.Network/*/read`, `Microsoft.KeyVault/vaults/secrets/*`. A `/*/` may also stand
//! for a single `/`: Managed Identity Operator's `Microsoft.ManagedIdentity/userAssignedIdentities/*/assign/action`
//! grants the operation `Microsoft.ManagedIdentity/userAssignedIdentities/assign/action`.

/// A compiled pattern: its literal pieces between wildcards, lower-cased.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    pieces: Vec<String>,
    leading_star: bool,
    trailing_star: bool,
    /// The pattern with every `/*/` read as `/`, when it has one.
    collapsed: Option<Box<Pattern>>,
}

impl Pattern {
    pub fn new(text: &str) -> Self {
        let lower = text.trim().to_ascii_lowercase();
        let collapsed = lower.contains("/*/").then(|| Box::new(Self::literal(&lower.replace("/*/", "/"))));
        Self { collapsed, ..Self::literal(&lower) }
    }

    fn literal(lower: &str) -> Self {
        Self {
            leading_star: lower.starts_with('*'),
            trailing_star: lower.ends_with('*'),
            pieces: lower.split('*').filter(|p| !p.is_empty()).map(str::to_owned).collect(),
            collapsed: None,
        }
    }

    /// Whether the (lower-cased) action matches.
    pub fn matches(&self, action: &str) -> bool {
        self.matches_literally(action) || self.collapsed.as_ref().is_some_and(|c| c.matches_literally(action))
    }

    fn matches_literally(&self, action: &str) -> bool {
        let mut rest = action;
        let n = self.pieces.len();
        if n == 0 {
            // "*" (or "" which matches only "").
            return self.leading_star || action.is_empty();
        }
        for (i, piece) in self.pieces.iter().enumerate() {
            let first = i == 0;
            let last = i == n - 1;
            if first && !self.leading_star {
                if !rest.starts_with(piece.as_str()) {
                    return false;
                }
                rest = &rest[piece.len()..];
                if last && !self.trailing_star {
                    return rest.is_empty();
                }
                continue;
            }
            if last && !self.trailing_star {
                return rest.len() >= piece.len() && rest.ends_with(piece.as_str());
            }
            match rest.find(piece.as_str()) {
                Some(at) => rest = &rest[at + piece.len()..],
                None => return false,
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::Pattern;

    #[test]
    fn azure_wildcards() {
        let m = |p: &str, a: &str| Pattern::new(p).matches(&a.to_ascii_lowercase());
        assert!(m("*", "Microsoft.Compute/virtualMachines/write"));
        assert!(m("*/read", "Microsoft.Compute/virtualMachines/read"));
        assert!(!m("*/read", "Microsoft.Compute/virtualMachines/write"));
        assert!(m("Microsoft.KeyVault/*", "microsoft.keyvault/vaults/write"));
        assert!(!m("Microsoft.KeyVault/*", "Microsoft.KeyVaultX/vaults/write"));
        assert!(m("Microsoft.Network/*/read", "Microsoft.Network/vnets/subnets/read"));
        assert!(m(
            "Microsoft.KeyVault/vaults/secrets/getSecret/action",
            "microsoft.keyvault/vaults/secrets/getsecret/action"
        ));
        assert!(!m(
            "Microsoft.KeyVault/vaults/secrets/getSecret/action",
            "Microsoft.KeyVault/vaults/secrets/getSecret/actionx"
        ));
        assert!(m("Microsoft.Authorization/*/Delete", "Microsoft.Authorization/roleAssignments/delete"));
        assert!(m("a*b*c", "aXbYc") && !m("a*b*c", "aXbY") && m("a*a", "aa") && !m("a*a", "a"));
        let operator = "Microsoft.ManagedIdentity/userAssignedIdentities/*/assign/action";
        assert!(m(operator, "Microsoft.ManagedIdentity/userAssignedIdentities/assign/action"));
        assert!(m(operator, "Microsoft.ManagedIdentity/userAssignedIdentities/x/assign/action"));
        assert!(!m(operator, "Microsoft.ManagedIdentity/userAssignedIdentities/write"));
    }
}
