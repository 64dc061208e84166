//! The data plane's routes: each secret operation, the request that names it, and the data
//! action that authorizes it. Dispatch authorizes every route here, once, before the operation
//! runs, so no operation can be added without the action that guards it.

use axum::http::Method;

/// The secret operations of Key Vault's data plane.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    List,
    ListDeleted,
    Restore,
    Set,
    Get,
    Versions,
    Backup,
    Update,
    Delete,
    GetDeleted,
    Recover,
    Purge,
}

/// A request resolved to an operation on a secret (`name` and `version` empty where the path
/// has none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route<'p> {
    pub op: Op,
    pub name: &'p str,
    pub version: &'p str,
}

impl Op {
    /// The data action Azure RBAC checks (and access policies map to a secret permission).
    pub fn action(self) -> &'static str {
        match self {
            Op::List | Op::ListDeleted | Op::Versions | Op::GetDeleted => {
                "Microsoft.KeyVault/vaults/secrets/readMetadata/action"
            }
            Op::Restore => "Microsoft.KeyVault/vaults/secrets/restore/action",
            Op::Set => "Microsoft.KeyVault/vaults/secrets/setSecret/action",
            Op::Get => "Microsoft.KeyVault/vaults/secrets/getSecret/action",
            Op::Backup => "Microsoft.KeyVault/vaults/secrets/backup/action",
            Op::Update => "Microsoft.KeyVault/vaults/secrets/update/action",
            Op::Delete => "Microsoft.KeyVault/vaults/secrets/delete",
            Op::Recover => "Microsoft.KeyVault/vaults/secrets/recover/action",
            Op::Purge => "Microsoft.KeyVault/vaults/secrets/purge/action",
        }
    }

    /// Whether the path names the secret; the others act on the vault's secrets as a whole (a
    /// restore's secret is inside its blob) and are authorized at the vault.
    pub fn names_a_secret(self) -> bool {
        !matches!(self, Op::List | Op::ListDeleted | Op::Restore)
    }
}

/// The route of `method` on the path `segments` (split on `/`, without empty ends).
pub fn route<'p>(method: &Method, segments: &[&'p str]) -> Option<Route<'p>> {
    let at = |op, name, version| Some(Route { op, name, version });
    match (method, segments) {
        (&Method::GET, ["secrets"]) => at(Op::List, "", ""),
        (&Method::GET, ["deletedsecrets"]) => at(Op::ListDeleted, "", ""),
        (&Method::POST, ["secrets", "restore"]) => at(Op::Restore, "", ""),
        (&Method::PUT, ["secrets", name]) => at(Op::Set, name, ""),
        (&Method::GET, ["secrets", name]) => at(Op::Get, name, ""),
        (&Method::GET, ["secrets", name, "versions"]) => at(Op::Versions, name, ""),
        (&Method::POST, ["secrets", name, "backup"]) => at(Op::Backup, name, ""),
        (&Method::GET, ["secrets", name, version]) => at(Op::Get, name, version),
        (&Method::PATCH, ["secrets", name]) => at(Op::Update, name, ""),
        (&Method::PATCH, ["secrets", name, version]) => at(Op::Update, name, version),
        (&Method::DELETE, ["secrets", name]) => at(Op::Delete, name, ""),
        (&Method::GET, ["deletedsecrets", name]) => at(Op::GetDeleted, name, ""),
        (&Method::POST, ["deletedsecrets", name, "recover"]) => at(Op::Recover, name, ""),
        (&Method::DELETE, ["deletedsecrets", name]) => at(Op::Purge, name, ""),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_resolve_to_their_operations() {
        let r = |m: Method, p: &'static str| {
            let segments: Vec<&str> = p.split('/').collect();
            route(&m, &segments).map(|r| (r.op, r.name, r.version))
        };
        assert_eq!(r(Method::GET, "secrets"), Some((Op::List, "", "")));
        assert_eq!(r(Method::POST, "secrets/restore"), Some((Op::Restore, "", "")));
        assert_eq!(r(Method::GET, "secrets/db/versions"), Some((Op::Versions, "db", "")));
        assert_eq!(r(Method::GET, "secrets/db/abc"), Some((Op::Get, "db", "abc")));
        assert_eq!(r(Method::DELETE, "deletedsecrets/db"), Some((Op::Purge, "db", "")));
        assert_eq!(r(Method::POST, "secrets/db"), None);
        assert_eq!(r(Method::GET, "keys/k"), None);
    }

    #[test]
    fn only_the_vault_wide_operations_skip_the_name() {
        for op in [Op::List, Op::ListDeleted, Op::Restore] {
            assert!(!op.names_a_secret());
        }
        assert!(Op::Get.names_a_secret() && Op::Purge.names_a_secret());
        assert_eq!(Op::Delete.action(), "Microsoft.KeyVault/vaults/secrets/delete");
    }
}
