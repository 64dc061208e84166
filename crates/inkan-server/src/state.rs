//! The state every handler shares: the store, the clock, the keys and who this server is.

use crate::keyring::KeyRing;
use crate::mi_tokens::ManagedIdentityTokens;
use crate::tokens::TokenService;
use crate::urls::PublicUrls;
use crate::workloads::WorkloadIndex;
use inkan_core::clock::Clock;
use inkan_core::ids::{ObjectId, SubscriptionId, TenantId};
use inkan_store::Store;
use std::sync::Arc;

/// Shared application state.
#[derive(Debug)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub keys: Arc<KeyRing>,
    pub tokens: TokenService,
    pub urls: PublicUrls,
    pub tenant_id: TenantId,
    pub subscription_id: SubscriptionId,
    pub admin_object_id: ObjectId,
    /// The workloads the identity endpoints serve.
    pub workloads: WorkloadIndex,
    pub mi_tokens: ManagedIdentityTokens,
    /// `http://127.0.0.1:<port>`: the plain-HTTP identity listener (IMDS, App Service).
    pub identity_url: String,
    pub audit: crate::audit::AuditLog,
    /// The resources tokens can be issued for.
    pub known_resources: KnownResources,
    /// Role assignments, deny assignments and roles, for every authorization decision.
    pub authz: crate::authz::Authorizer,
    /// Seals Key Vault backups (derived from the master key).
    pub backup_key: inkan_crypto::seal::MasterKey,
    /// Vault name to its resource key, so a data-plane request reads its vault by key instead
    /// of listing every vault; a stale entry is noticed on that read and replaced.
    pub vault_keys: dashmap::DashMap<String, String>,
    /// Key Vault's per-vault request limit, when `--kv-throttle` is on.
    pub kv_throttle: Option<crate::keyvault::throttle::VaultThrottle>,
    /// The Key Vault challenge and the audiences its tokens may carry.
    pub vault_audience: crate::keyvault::VaultAudience,
}

/// The resources the token authority issues tokens for: Entra's well-known first-party
/// resources plus inkan's own surfaces. Anything else is AADSTS500011. Built once at start.
#[derive(Debug)]
pub struct KnownResources {
    list: Vec<String>,
    normalized: std::collections::HashSet<String>,
}

impl KnownResources {
    pub fn new(urls: &PublicUrls) -> Self {
        let mut list: Vec<String> = [
            "https://management.core.windows.net/",
            "https://management.azure.com/",
            "https://vault.azure.net",
            "https://containerregistry.azure.net",
            "https://graph.microsoft.com",
            "https://storage.azure.com",
            "https://database.windows.net",
            "https://servicebus.azure.net",
            "https://eventhubs.azure.net",
            "https://cognitiveservices.azure.com",
            "https://ossrdbms-aad.database.windows.net",
            "https://monitor.azure.com",
            "api://AzureADTokenExchange",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        list.push(format!("{}/", urls.base));
        list.push(format!("https://{}", urls.vault_suffix()));
        list.push(format!("https://{}", urls.registry_suffix()));
        list.push(format!("{}/", urls.graph_base()));
        let normalized = list.iter().map(|r| Self::normalize(r)).collect();
        Self { list, normalized }
    }

    /// Whether `resource` is known (case and trailing slashes are not significant).
    pub fn contains(&self, resource: &str) -> bool {
        self.normalized.contains(&Self::normalize(resource))
    }

    /// Every known resource, for hints.
    pub fn list(&self) -> &[String] {
        &self.list
    }

    fn normalize(resource: &str) -> String {
        resource.trim_end_matches('/').to_ascii_lowercase()
    }
}

impl AppState {
    /// Whether `object_id` (a token's `oid`) is the bootstrap administrator.
    pub fn is_admin(&self, object_id: &str) -> bool {
        object_id.parse::<ObjectId>().is_ok_and(|oid| oid == self.admin_object_id)
    }

    /// Rebuilds the workload index after a control-plane write; identities attached or detached
    /// are effective for the next token request.
    pub async fn workloads_changed(&self) {
        if let Err(e) = self.workloads.reload(self.store.as_ref()).await {
            tracing::error!("rebuilding the workload index failed: {e:#}");
        }
        self.mi_tokens.retain_attached(&self.workloads.attached_principals());
    }

    /// Rebuilds the authorization policy after a write to assignments or roles; the change is
    /// effective for the next decision.
    pub async fn policy_changed(&self) {
        if let Err(e) = self.authz.reload(self.store.as_ref()).await {
            tracing::error!("rebuilding the authorization policy failed: {e:#}");
        }
    }
}

/// What handlers receive.
pub type SharedState = Arc<AppState>;

impl AppState {
    /// The audiences Azure Resource Manager accepts, plus inkan's own ARM URL.
    pub fn arm_audiences(&self) -> Vec<String> {
        let mut audiences: Vec<String> = [
            "https://management.core.windows.net/",
            "https://management.core.windows.net",
            "https://management.azure.com/",
            "https://management.azure.com",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        audiences.push(format!("{}/", self.urls.base));
        audiences.push(self.urls.base.clone());
        audiences
    }
}
