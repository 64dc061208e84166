//! The signing keys in memory: the active key signs, every published key verifies.
//!
//! Readers take a snapshot through [`ArcSwap`] (no lock on the token hot path); rotation builds
//! a new snapshot from the store and swaps it in. The JWKS document is serialised once per
//! snapshot, not per request.

use arc_swap::ArcSwap;
use inkan_core::clock::Clock;
use inkan_crypto::signing::{SigningKey, VerifyingKey};
use inkan_store::{SigningKeyRecord, Store};
use std::collections::HashMap;
use std::sync::Arc;
use time::OffsetDateTime;

/// How long a rotated-out key stays published: the longest token lifetime (24 h for managed
/// identities) plus clock skew.
pub const RETIRED_KEY_GRACE: time::Duration = time::Duration::hours(25);

/// One consistent view of the keys.
#[derive(Debug)]
pub struct KeySet {
    pub active: Arc<SigningKey>,
    verifying: HashMap<String, (VerifyingKey, Option<OffsetDateTime>)>,
    /// The serialised JWKS document.
    pub jwks: bytes_like::Bytes,
}

mod bytes_like {
    /// Cheaply clonable bytes.
    pub type Bytes = std::sync::Arc<[u8]>;
}

impl KeySet {
    fn build(records: &[SigningKeyRecord], now: OffsetDateTime) -> anyhow::Result<Self> {
        let mut active = None;
        let mut verifying = HashMap::new();
        let mut jwks = Vec::new();
        for record in records {
            if record.retire_at.is_some_and(|t| t <= now) {
                continue;
            }
            let key = SigningKey::load(&record.private_pkcs8, &record.cert_der)?;
            jwks.push(key.jwk());
            verifying.insert(key.kid().to_owned(), (key.verifying_key().clone(), record.retire_at));
            if record.active {
                active = Some(Arc::new(key));
            }
        }
        let active = active.ok_or_else(|| anyhow::anyhow!("the store holds no active signing key"))?;
        let jwks = serde_json::to_vec(&serde_json::json!({ "keys": jwks }))?;
        Ok(Self { active, verifying, jwks: jwks.into() })
    }

    /// The verifying key for `kid`, if it is published and not retired at `now`.
    pub fn verifying_key(&self, kid: &str, now: OffsetDateTime) -> Option<&VerifyingKey> {
        self.verifying.get(kid).filter(|(_, retire)| retire.is_none_or(|t| t > now)).map(|(k, _)| k)
    }
}

/// The keys, swappable as a whole.
#[derive(Debug)]
pub struct KeyRing {
    current: ArcSwap<KeySet>,
}

impl KeyRing {
    /// Loads the keys from the store.
    pub async fn load(store: &dyn Store, clock: &dyn Clock) -> anyhow::Result<Self> {
        let set = KeySet::build(&store.signing_keys().await?, clock.now())?;
        Ok(Self { current: ArcSwap::from_pointee(set) })
    }

    /// The current snapshot.
    pub fn snapshot(&self) -> Arc<KeySet> {
        self.current.load_full()
    }

    /// Generates a new active key; the previous one stays published for [`RETIRED_KEY_GRACE`].
    pub async fn rotate(&self, store: &dyn Store, clock: &dyn Clock) -> anyhow::Result<String> {
        let now = clock.now();
        let generated = SigningKey::generate(now)?;
        let kid = generated.key.kid().to_owned();
        let record = SigningKeyRecord {
            kid: kid.clone(),
            private_pkcs8: generated.pkcs8,
            cert_der: generated.cert_der,
            created_at: now,
            active: true,
            retire_at: None,
        };
        store.rotate_signing_key(record, now + RETIRED_KEY_GRACE, now).await?;
        self.reload(store, clock).await?;
        Ok(kid)
    }

    /// Rebuilds the snapshot from the store.
    pub async fn reload(&self, store: &dyn Store, clock: &dyn Clock) -> anyhow::Result<()> {
        let set = KeySet::build(&store.signing_keys().await?, clock.now())?;
        self.current.store(Arc::new(set));
        Ok(())
    }
}
