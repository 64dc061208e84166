//! Data-plane authorization for Key Vault, whichever model the vault uses: Azure RBAC when
//! `enableRbacAuthorization` is true, its access policies otherwise. Callers get one answer
//! with its reasons and never branch on the model.

use crate::state::AppState;
use inkan_core::arm::ResourceId;
use inkan_core::rbac::access_policy;
use inkan_core::rbac::engine::AccessRequest;
use inkan_store::ResourceRecord;

/// Which model decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Model {
    Rbac,
    AccessPolicy,
}

/// A data-plane decision.
#[derive(Debug, Clone)]
pub struct VaultDecision {
    pub allowed: bool,
    pub model: Model,
    pub explanation: String,
}

/// The vault a data-plane scope belongs to: `.../vaults/<name>` of `.../vaults/<name>/secrets/<s>`.
pub fn vault_of(scope: &str) -> Option<ResourceId> {
    let id = ResourceId::parse(scope).ok()?;
    let mut current = Some(id);
    while let Some(c) = current {
        if c.resource_type().is_some_and(|t| t.eq_ignore_ascii_case("Microsoft.KeyVault/vaults")) {
            return Some(c);
        }
        current = c.parent().filter(|p| p.resource_type().is_some());
    }
    None
}

/// Decides a Key Vault data action for a caller. `None` when the scope is not in a known vault.
pub async fn decide(
    state: &AppState,
    principal: &str,
    application_id: Option<&str>,
    action: &str,
    scope: &str,
) -> anyhow::Result<Option<VaultDecision>> {
    let Some(vault_id) = vault_of(scope) else { return Ok(None) };
    let Some(vault) = state.store.resource(vault_id.key()).await? else { return Ok(None) };
    Ok(Some(decide_for(state, &vault, principal, application_id, action, scope)))
}

fn uses_rbac(vault: &ResourceRecord) -> bool {
    vault.body["properties"]["enableRbacAuthorization"].as_bool().unwrap_or(false)
}

/// Whether the vault's model allows the action: [`decide_for`]'s answer without its reasons,
/// for the data plane's hot path (a refusal then asks [`decide_for`] why).
pub fn allows(
    state: &AppState,
    vault: &ResourceRecord,
    principal: &str,
    application_id: Option<&str>,
    action: &str,
    scope: &str,
) -> bool {
    if uses_rbac(vault) {
        let now = state.clock.unix();
        return state.authz.policy().allows(&AccessRequest { principal, groups: &[], action, data: true, scope, now });
    }
    let policies = &vault.body["properties"]["accessPolicies"];
    access_policy::decide(policies, &state.tenant_id.to_string(), principal, application_id, action).allowed
}

/// [`decide`] for a vault already read (the data plane reads it to route the request); `scope`
/// is in that vault.
pub fn decide_for(
    state: &AppState,
    vault: &ResourceRecord,
    principal: &str,
    application_id: Option<&str>,
    action: &str,
    scope: &str,
) -> VaultDecision {
    if uses_rbac(vault) {
        let policy = state.authz.policy();
        let now = state.clock.unix();
        let decision = policy.decide(&AccessRequest { principal, groups: &[], action, data: true, scope, now });
        let explanation = crate::authz::explain(&policy, &decision, principal, action, true, scope);
        return VaultDecision { allowed: decision.allowed, model: Model::Rbac, explanation };
    }
    let props = &vault.body["properties"];
    let tenant = state.tenant_id.to_string();
    let decision = access_policy::decide(&props["accessPolicies"], &tenant, principal, application_id, action);
    let permission = decision.permission.unwrap_or("(none)");
    let name = vault.body["name"].as_str().unwrap_or_default();
    let explanation = match (decision.granted_by, decision.entries_for_caller.as_slice()) {
        (Some(i), _) => {
            format!("access policy #{i} of vault '{name}' grants the secret permission '{permission}' to {principal}.")
        }
        (None, []) => format!(
            "vault '{name}' uses access policies (enableRbacAuthorization is false) and has no access policy for {principal}: \
             Caller was not found on any access policy in this key vault. Add one granting '{permission}' (az keyvault set-policy \
             --name {name} --object-id {principal} --secret-permissions {permission}), or switch the vault to Azure RBAC."
        ),
        (None, entries) => format!(
            "vault '{name}' uses access policies and the caller's access polic{} (#{}) lack the permission '{permission}'.",
            if entries.len() == 1 { "y" } else { "ies" },
            entries.iter().map(ToString::to_string).collect::<Vec<_>>().join(", #")
        ),
    };
    VaultDecision { allowed: decision.allowed, model: Model::AccessPolicy, explanation }
}
