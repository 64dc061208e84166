//! Managed-identity tokens: minted once per (identity, resource) and served from a cache until
//! shortly before they expire, as Azure's identity backend does. The endpoints only ever look
//! up identities that are attached right now, so a detached identity's cached token is never
//! served; the cache is also pruned of identities no longer attached anywhere.

use crate::state::AppState;
use crate::tokens::IssuedToken;
use dashmap::DashMap;
use inkan_core::token::{ClientAuthMethod, TokenGrant, TokenVersion};
use inkan_core::workload::AttachedIdentity;
use std::sync::Arc;

/// Lifetime of managed-identity tokens (Azure: 24 hours).
pub const MI_TOKEN_LIFETIME_SECS: i64 = 86_399;
/// A cached token is replaced when less than this remains.
const REFRESH_BEFORE_SECS: i64 = 300;
/// The cache is emptied when it reaches this many tokens: resources are matched without regard
/// to case or trailing slashes, so a caller could otherwise fill it with spellings of one resource.
const MAX_CACHED: usize = 10_000;

/// The cache.
#[derive(Debug, Default)]
pub struct ManagedIdentityTokens {
    cache: DashMap<(String, String), Arc<IssuedToken>>,
}

impl ManagedIdentityTokens {
    /// A token for `identity` and `resource`, cached or new.
    pub fn token(
        &self,
        state: &AppState,
        identity: &AttachedIdentity,
        resource: &str,
    ) -> anyhow::Result<Arc<IssuedToken>> {
        let now = state.clock.unix();
        let key = (identity.principal_id.clone(), resource.to_owned());
        if let Some(cached) = self.cache.get(&key)
            && cached.expires_on - now > REFRESH_BEFORE_SECS
        {
            return Ok(Arc::clone(&cached));
        }
        let grant = TokenGrant {
            tenant_id: state.tenant_id.to_string(),
            object_id: identity.principal_id.clone(),
            client_id: identity.client_id.clone(),
            audience: resource.to_owned(),
            version: TokenVersion::V1,
            auth: ClientAuthMethod::ManagedIdentity,
            managed_identity_resource_id: Some(identity.resource_id.clone()),
            issued_at: now,
            lifetime_secs: MI_TOKEN_LIFETIME_SECS,
        };
        let issued = Arc::new(state.tokens.issue(&grant)?);
        if self.cache.len() >= MAX_CACHED {
            self.cache.clear();
        }
        self.cache.insert(key, Arc::clone(&issued));
        Ok(issued)
    }

    /// Drops cached tokens of identities that are no longer attached to any workload.
    pub fn retain_attached(&self, attached: &std::collections::HashSet<String>) {
        self.cache.retain(|(principal, _), _| attached.contains(principal));
    }
}
