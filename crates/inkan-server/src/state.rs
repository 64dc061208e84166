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
}

impl AppState {
    /// Rebuilds the workload index after a control-plane write; identities attached or detached
    /// are effective for the next token request.
    pub async fn workloads_changed(&self) {
        if let Err(e) = self.workloads.reload(self.store.as_ref()).await {
            tracing::error!("rebuilding the workload index failed: {e:#}");
        }
        self.mi_tokens.retain_attached(&self.workloads.attached_principals());
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

    /// The resources the token authority issues tokens for (Entra's well-known first-party
    /// resources plus inkan's own surfaces). Anything else is AADSTS500011.
    pub fn known_resources(&self) -> Vec<String> {
        let mut known: Vec<String> = [
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
        known.push(format!("{}/", self.urls.base));
        known.push(format!("https://{}", self.urls.vault_suffix()));
        known.push(format!("https://{}", self.urls.registry_suffix()));
        known
    }

    /// Whether `resource` names a known resource (trailing slashes are not significant).
    pub fn is_known_resource(&self, resource: &str) -> bool {
        let trimmed = resource.trim_end_matches('/');
        !trimmed.is_empty()
            && self.known_resources().iter().any(|k| k.trim_end_matches('/').eq_ignore_ascii_case(trimmed))
    }
}
