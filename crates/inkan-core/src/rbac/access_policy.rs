//! Key Vault access policies, for vaults whose `enableRbacAuthorization` is false, decided
//! into the same shape as RBAC decisions so callers do not care which model a vault uses.
//!
//! An entry grants when its `tenantId` and `objectId` match the caller and, if it names an
//! `applicationId`, the caller's application too (a compound identity); its
//! `permissions.secrets` (or `keys`, `certificates`) must hold the permission or `all`.

use serde_json::Value;

/// The outcome of an access-policy check, with its reasons.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyDecision {
    pub allowed: bool,
    /// Index of the entry that granted.
    pub granted_by: Option<usize>,
    /// Entries for this caller (they exist but lack the permission).
    pub entries_for_caller: Vec<usize>,
    /// The permission the action needs (`get`, `list`, `set`, ...).
    pub permission: Option<&'static str>,
}

/// The access-policy permission a Key Vault data action needs, and in which list.
pub fn permission_for(data_action: &str) -> Option<(&'static str, &'static str)> {
    let a = data_action.to_ascii_lowercase();
    let (kind, rest) = if let Some(rest) = a.strip_prefix("microsoft.keyvault/vaults/secrets/") {
        ("secrets", rest)
    } else if let Some(rest) = a.strip_prefix("microsoft.keyvault/vaults/keys/") {
        ("keys", rest)
    } else if let Some(rest) = a.strip_prefix("microsoft.keyvault/vaults/certificates/") {
        ("certificates", rest)
    } else {
        return None;
    };
    // Each kind has its own permission names (access policies have no `set` for keys or
    // certificates, and keys have cryptographic operations).
    let common = |op: &str| match op {
        "delete" => Some("delete"),
        "backup/action" => Some("backup"),
        "restore/action" => Some("restore"),
        "recover/action" => Some("recover"),
        "purge/action" => Some("purge"),
        _ => None,
    };
    let permission = match kind {
        "secrets" => match rest {
            "getsecret/action" => Some("get"),
            "readmetadata/action" => Some("list"),
            "setsecret/action" | "update/action" => Some("set"),
            other => common(other),
        },
        "keys" => match rest {
            "read" => Some("get"),
            "create/action" => Some("create"),
            "import/action" => Some("import"),
            "update/action" => Some("update"),
            "encrypt/action" => Some("encrypt"),
            "decrypt/action" => Some("decrypt"),
            "wrap/action" => Some("wrapKey"),
            "unwrap/action" => Some("unwrapKey"),
            "sign/action" => Some("sign"),
            "verify/action" => Some("verify"),
            "release/action" => Some("release"),
            "rotate/action" => Some("rotate"),
            other => common(other),
        },
        _ => match rest {
            "read" => Some("get"),
            "create/action" => Some("create"),
            "import/action" => Some("import"),
            "update/action" => Some("update"),
            other => common(other),
        },
    }?;
    Some((kind, permission))
}

/// Decides `data_action` for a caller against a vault's `accessPolicies`.
pub fn decide(
    policies: &Value,
    tenant_id: &str,
    object_id: &str,
    application_id: Option<&str>,
    data_action: &str,
) -> PolicyDecision {
    let Some((kind, permission)) = permission_for(data_action) else {
        return PolicyDecision { allowed: false, granted_by: None, entries_for_caller: vec![], permission: None };
    };
    let entries = policies.as_array().map_or(&[][..], Vec::as_slice);
    let mut for_caller = Vec::new();
    let mut granted_by = None;
    for (i, entry) in entries.iter().enumerate() {
        let text = |k: &str| entry[k].as_str().unwrap_or_default();
        let same = |a: &str, b: &str| a.eq_ignore_ascii_case(b);
        let app_ok = match entry["applicationId"].as_str().filter(|a| !a.is_empty()) {
            None => true,
            Some(app) => application_id.is_some_and(|caller| same(app, caller)),
        };
        if !(same(text("tenantId"), tenant_id) && same(text("objectId"), object_id) && app_ok) {
            continue;
        }
        for_caller.push(i);
        let granted = entry["permissions"][kind]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .any(|p| p.eq_ignore_ascii_case(permission) || p.eq_ignore_ascii_case("all"));
        if granted && granted_by.is_none() {
            granted_by = Some(i);
        }
    }
    PolicyDecision {
        allowed: granted_by.is_some(),
        granted_by,
        entries_for_caller: for_caller,
        permission: Some(permission),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn entries_grant_by_permission_and_all() {
        let policies = json!([
            {"tenantId": "T", "objectId": "o1", "permissions": {"secrets": ["Get", "list"]}},
            {"tenantId": "t", "objectId": "o2", "permissions": {"secrets": ["all"]}},
            {"tenantId": "t", "objectId": "o3", "applicationId": "app", "permissions": {"secrets": ["get"]}},
        ]);
        let get = "Microsoft.KeyVault/vaults/secrets/getSecret/action";
        let set = "Microsoft.KeyVault/vaults/secrets/setSecret/action";
        assert!(decide(&policies, "t", "O1", None, get).allowed);
        let refused = decide(&policies, "t", "o1", None, set);
        assert!(!refused.allowed && refused.entries_for_caller == vec![0] && refused.permission == Some("set"));
        assert!(decide(&policies, "t", "o2", None, set).allowed);
        assert!(!decide(&policies, "t", "o3", None, get).allowed, "a compound entry needs the application");
        assert!(decide(&policies, "t", "o3", Some("APP"), get).allowed);
        let stranger = decide(&policies, "t", "o9", None, get);
        assert!(!stranger.allowed && stranger.entries_for_caller.is_empty());
        assert!(!decide(&policies, "other-tenant", "o1", None, get).allowed);
        let keys = json!([{"tenantId": "t", "objectId": "o1", "permissions": {"keys": ["create", "wrapKey"], "secrets": ["set"]}}]);
        assert!(decide(&keys, "t", "o1", None, "Microsoft.KeyVault/vaults/keys/create/action").allowed);
        assert!(decide(&keys, "t", "o1", None, "Microsoft.KeyVault/vaults/keys/wrap/action").allowed);
        assert!(
            !decide(&keys, "t", "o1", None, "Microsoft.KeyVault/vaults/keys/update/action").allowed,
            "keys have no 'set'"
        );
    }
}
