//! A read cache in front of a [`Store`], for the reads on the data plane's hot path: a
//! resource by key (the vault behind a Key Vault host), a secret and its versions.
//!
//! Why: a Key Vault read needs the vault, the secret and its version. Through the SQLite
//! backend each is a hop to the blocking pool and back; at tens of thousands of reads a second
//! those hops (thread wake-ups, not SQL) were most of the server's CPU. Served from memory, a
//! read never leaves the request's task.
//!
//! Correctness rests on one rule: **this process is the only writer** of the store it wraps
//! (the embedded mode; the data directory's lock enforces it). Every write goes through this
//! wrapper, which drops the affected entries after the inner write returns, so the next read
//! sees the write. A read that misses fills the cache only if no write finished while it was
//! reading: each fill compares the write epoch taken before the read, under the map's shard
//! lock, and every write bumps the epoch before it drops entries. So a fill racing a write
//! either sees the new epoch and does not fill, or fills before the drop that removes it.
//!
//! Resource writes (which may cascade to a vault's secrets inside the transaction) drop every
//! cached resource and secret; they are control-plane writes and rare. Secret writes drop only
//! that secret. Entries and the bytes of cached values are bounded; a full cache is emptied
//! rather than evicted piecemeal.
//! Secret values are held as the store returns them (`Zeroizing`, wiped when dropped).

use crate::{
    AssignmentIndexEntry, AuditEvent, AuditQuery, BootstrapRecord, ClientSecretRecord, DetachmentRecord,
    HostCredentialRecord, Initialization, PrincipalRecord, ResourceChange, ResourceQuery, ResourceRecord,
    RoleAssignmentRecord, SecretRecord, SecretVersionRecord, SigningKeyRecord, Store, StoreResult, SubscriptionRecord,
    TenantRecord,
};
use async_trait::async_trait;
use dashmap::DashMap;
use dashmap::mapref::entry::Entry;
use inkan_core::ids::{ClientId, ObjectId};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use time::OffsetDateTime;

/// Cached resources (present or absent) before the map is emptied.
const MAX_RESOURCES: usize = 16_384;
/// Cached secrets (present or absent) before the map is emptied.
const MAX_SECRETS: usize = 65_536;
/// Cached versions per secret; older ones are read from the store.
const MAX_VERSIONS_PER_SECRET: usize = 16;
/// Bytes of secret versions filled into the cache before it is emptied: values are up to
/// 25 KiB each, so the entry counts alone would allow gigabytes.
const MAX_SECRET_BYTES: usize = 64 * 1024 * 1024;
/// What a cached version costs beyond its value (ids, tags, the map's slot), roughly.
const VERSION_OVERHEAD_BYTES: usize = 512;

/// A [`Store`] whose hot reads are served from memory. See the module docs for when it is
/// correct to use.
pub struct CachedStore<S> {
    inner: S,
    /// Bumped by every write, before its entries are dropped.
    epoch: AtomicU64,
    resources: DashMap<String, Option<Arc<ResourceRecord>>>,
    /// By `(vault key, lower-case name)`.
    secrets: DashMap<(String, String), Arc<SecretEntry>>,
    /// Bytes of versions filled since the secrets were last emptied (never decreased by
    /// writes dropping entries: an over-count only empties the cache sooner).
    secret_bytes: AtomicUsize,
}

/// One secret as last read: its record and the versions read since.
struct SecretEntry {
    secret: Option<SecretRecord>,
    /// By lower-case version id. Filled without an epoch check: an entry is dropped by every
    /// write to its secret after that write commits, so a version read through an entry that
    /// is still in the map was read after every write that entry has seen.
    versions: Mutex<HashMap<String, Option<SecretVersionRecord>>>,
}

impl<S: std::fmt::Debug> std::fmt::Debug for CachedStore<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CachedStore")
            .field("inner", &self.inner)
            .field("resources", &self.resources.len())
            .field("secrets", &self.secrets.len())
            .finish_non_exhaustive()
    }
}

impl<S: Store> CachedStore<S> {
    pub fn new(inner: S) -> Self {
        Self {
            inner,
            epoch: AtomicU64::new(0),
            resources: DashMap::new(),
            secrets: DashMap::new(),
            secret_bytes: AtomicUsize::new(0),
        }
    }

    /// The wrapped store.
    pub fn inner(&self) -> &S {
        &self.inner
    }

    fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::SeqCst)
    }

    /// Runs after every write, whether it succeeded or not (a failed write may still have
    /// reached the database if the failure came after the commit).
    fn wrote(&self) {
        self.epoch.fetch_add(1, Ordering::SeqCst);
    }

    fn forget_secret(&self, vault_key: &str, name: &str) {
        self.wrote();
        self.secrets.remove(&(vault_key.to_owned(), name.to_ascii_lowercase()));
    }

    fn forget_resources(&self) {
        self.wrote();
        self.resources.clear();
        self.forget_secrets();
    }

    fn forget_secrets(&self) {
        self.secrets.clear();
        self.secret_bytes.store(0, Ordering::Relaxed);
    }

    /// Accounts for `bytes` about to be cached; false (and the secrets emptied) past the budget.
    fn admit_secret_bytes(&self, bytes: usize) -> bool {
        if self.secret_bytes.fetch_add(bytes, Ordering::Relaxed) + bytes <= MAX_SECRET_BYTES {
            return true;
        }
        self.forget_secrets();
        false
    }

    /// The entry of a secret, read from the store on a miss.
    async fn secret_entry(&self, vault_key: &str, name: &str) -> StoreResult<Arc<SecretEntry>> {
        let key = (vault_key.to_owned(), name.to_ascii_lowercase());
        if let Some(hit) = self.secrets.get(&key) {
            return Ok(Arc::clone(hit.value()));
        }
        let epoch = self.epoch();
        let secret = self.inner.secret(vault_key, name).await?;
        let entry = Arc::new(SecretEntry { secret, versions: Mutex::new(HashMap::new()) });
        if self.secrets.len() >= MAX_SECRETS {
            self.forget_secrets();
        }
        match self.secrets.entry(key) {
            Entry::Occupied(current) => Ok(Arc::clone(current.get())),
            Entry::Vacant(slot) if self.epoch() == epoch => Ok(Arc::clone(slot.insert(entry).value())),
            Entry::Vacant(_) => Ok(entry),
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[async_trait]
impl<S: Store> Store for CachedStore<S> {
    async fn resource(&self, key: &str) -> StoreResult<Option<ResourceRecord>> {
        Ok(self.resource_shared(key).await?.map(|r| ResourceRecord::clone(&r)))
    }

    async fn resource_shared(&self, key: &str) -> StoreResult<Option<Arc<ResourceRecord>>> {
        if let Some(hit) = self.resources.get(key) {
            return Ok(hit.value().clone());
        }
        let epoch = self.epoch();
        let found = self.inner.resource(key).await?.map(Arc::new);
        if self.resources.len() >= MAX_RESOURCES {
            self.resources.clear();
        }
        if let Entry::Vacant(slot) = self.resources.entry(key.to_owned())
            && self.epoch() == epoch
        {
            slot.insert(found.clone());
        }
        Ok(found)
    }

    async fn write_resources(&self, change: ResourceChange) -> StoreResult<()> {
        let out = self.inner.write_resources(change).await;
        self.forget_resources();
        out
    }

    async fn secret(&self, vault_key: &str, name: &str) -> StoreResult<Option<SecretRecord>> {
        Ok(self.secret_entry(vault_key, name).await?.secret.clone())
    }

    async fn secret_version(
        &self,
        vault_key: &str,
        name: &str,
        version: &str,
    ) -> StoreResult<Option<SecretVersionRecord>> {
        let entry = self.secret_entry(vault_key, name).await?;
        let Some(secret) = &entry.secret else { return Ok(None) };
        let version = if version.is_empty() { secret.latest_version.clone() } else { version.to_ascii_lowercase() };
        if let Some(hit) = lock(&entry.versions).get(&version) {
            return Ok(hit.clone());
        }
        let found = self.inner.secret_version(vault_key, name, &version).await?;
        let bytes = VERSION_OVERHEAD_BYTES + found.as_ref().map_or(0, |v| v.value.len());
        if self.admit_secret_bytes(bytes) {
            let mut versions = lock(&entry.versions);
            if versions.len() < MAX_VERSIONS_PER_SECRET {
                versions.insert(version, found.clone());
            }
        }
        Ok(found)
    }

    async fn set_secret(&self, version: SecretVersionRecord) -> StoreResult<()> {
        let (vault_key, name) = (version.vault_key.clone(), version.name.clone());
        let out = self.inner.set_secret(version).await;
        self.forget_secret(&vault_key, &name);
        out
    }

    async fn update_secret_version(&self, version: SecretVersionRecord) -> StoreResult<()> {
        let (vault_key, name) = (version.vault_key.clone(), version.name.clone());
        let out = self.inner.update_secret_version(version).await;
        self.forget_secret(&vault_key, &name);
        out
    }

    async fn mark_secret_deleted(&self, vault_key: &str, name: &str, deleted: Option<(i64, i64)>) -> StoreResult<()> {
        let out = self.inner.mark_secret_deleted(vault_key, name, deleted).await;
        self.forget_secret(vault_key, name);
        out
    }

    async fn purge_secret(&self, vault_key: &str, name: &str) -> StoreResult<()> {
        let out = self.inner.purge_secret(vault_key, name).await;
        self.forget_secret(vault_key, name);
        out
    }

    async fn restore_secret(&self, versions: Vec<SecretVersionRecord>) -> StoreResult<()> {
        let names: Vec<(String, String)> = versions.iter().map(|v| (v.vault_key.clone(), v.name.clone())).collect();
        let out = self.inner.restore_secret(versions).await;
        names.iter().for_each(|(vault_key, name)| self.forget_secret(vault_key, name));
        out
    }

    // Everything else passes through.

    async fn bootstrap(&self) -> StoreResult<Option<BootstrapRecord>> {
        self.inner.bootstrap().await
    }

    async fn initialize(&self, init: Initialization) -> StoreResult<()> {
        let out = self.inner.initialize(init).await;
        self.forget_resources();
        out
    }

    async fn tenants(&self) -> StoreResult<Vec<TenantRecord>> {
        self.inner.tenants().await
    }

    async fn subscriptions(&self) -> StoreResult<Vec<SubscriptionRecord>> {
        self.inner.subscriptions().await
    }

    async fn principal(&self, object_id: ObjectId) -> StoreResult<Option<PrincipalRecord>> {
        self.inner.principal(object_id).await
    }

    async fn principal_by_client_id(&self, client_id: ClientId) -> StoreResult<Option<PrincipalRecord>> {
        self.inner.principal_by_client_id(client_id).await
    }

    async fn client_secrets(&self, client_id: ClientId) -> StoreResult<Vec<ClientSecretRecord>> {
        self.inner.client_secrets(client_id).await
    }

    async fn signing_keys(&self) -> StoreResult<Vec<SigningKeyRecord>> {
        self.inner.signing_keys().await
    }

    async fn rotate_signing_key(
        &self,
        new: SigningKeyRecord,
        retire_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> StoreResult<()> {
        self.inner.rotate_signing_key(new, retire_at, now).await
    }

    async fn list_resources(&self, query: &ResourceQuery) -> StoreResult<Vec<ResourceRecord>> {
        self.inner.list_resources(query).await
    }

    async fn role_assignment(&self, key: &str) -> StoreResult<Option<RoleAssignmentRecord>> {
        self.inner.role_assignment(key).await
    }

    async fn list_role_assignments(&self) -> StoreResult<Vec<RoleAssignmentRecord>> {
        self.inner.list_role_assignments().await
    }

    async fn role_assignment_index(&self) -> StoreResult<Vec<AssignmentIndexEntry>> {
        self.inner.role_assignment_index().await
    }

    async fn put_role_assignment(&self, record: RoleAssignmentRecord) -> StoreResult<()> {
        self.inner.put_role_assignment(record).await
    }

    async fn import_role_assignments(&self, records: Vec<RoleAssignmentRecord>) -> StoreResult<()> {
        self.inner.import_role_assignments(records).await
    }

    async fn delete_role_assignment(&self, key: &str) -> StoreResult<Option<RoleAssignmentRecord>> {
        self.inner.delete_role_assignment(key).await
    }

    async fn enroll_host(
        &self,
        principal: PrincipalRecord,
        secret: ClientSecretRecord,
        host: HostCredentialRecord,
    ) -> StoreResult<()> {
        self.inner.enroll_host(principal, secret, host).await
    }

    async fn host_credential(&self, client_id: ClientId) -> StoreResult<Option<HostCredentialRecord>> {
        self.inner.host_credential(client_id).await
    }

    async fn list_secrets(
        &self,
        vault_key: &str,
        deleted: bool,
        after: Option<&str>,
        limit: usize,
    ) -> StoreResult<Vec<(SecretRecord, SecretVersionRecord)>> {
        self.inner.list_secrets(vault_key, deleted, after, limit).await
    }

    async fn secret_versions(&self, vault_key: &str, name: &str) -> StoreResult<Vec<SecretVersionRecord>> {
        self.inner.secret_versions(vault_key, name).await
    }

    async fn detachments(&self) -> StoreResult<Vec<DetachmentRecord>> {
        self.inner.detachments().await
    }

    async fn append_audit(&self, events: Vec<AuditEvent>) -> StoreResult<()> {
        self.inner.append_audit(events).await
    }

    async fn list_audit(&self, query: &AuditQuery) -> StoreResult<Vec<AuditEvent>> {
        self.inner.list_audit(query).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conformance::{initialize_sample, sample_secret};
    use crate::sqlite::SqliteStore;
    use inkan_crypto::seal::MasterKey;

    fn open(dir: &std::path::Path) -> CachedStore<SqliteStore> {
        let (key, _) = MasterKey::generate();
        CachedStore::new(SqliteStore::open(&dir.join("inkan.db"), key).unwrap())
    }

    #[tokio::test]
    async fn the_cached_store_passes_the_conformance_suite() {
        let dir = tempfile::tempdir().unwrap();
        crate::conformance::run_all(&open(dir.path())).await;
    }

    #[tokio::test]
    async fn a_read_after_each_write_sees_that_write() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(dir.path());
        initialize_sample(&store).await;
        let vault = sample_secret("x", &"0".repeat(32), "").vault_key;
        assert!(store.secret_version(&vault, "pw", "").await.unwrap().is_none(), "absent, and cached as absent");
        for i in 0..20u32 {
            store.set_secret(sample_secret("pw", &format!("{i:032x}"), &format!("value-{i}"))).await.unwrap();
            let latest = store.secret_version(&vault, "PW", "").await.unwrap().expect("set");
            assert_eq!(latest.value.as_str(), format!("value-{i}"));
        }
        let mut old = store.secret_version(&vault, "pw", &format!("{:032x}", 3)).await.unwrap().expect("old version");
        old.enabled = false;
        store.update_secret_version(old.clone()).await.unwrap();
        assert!(!store.secret_version(&vault, "pw", &old.version).await.unwrap().unwrap().enabled);
        store.mark_secret_deleted(&vault, "pw", Some((1, 2))).await.unwrap();
        assert_eq!(store.secret(&vault, "pw").await.unwrap().unwrap().deleted_at, Some(1));
        store.purge_secret(&vault, "pw").await.unwrap();
        assert!(store.secret(&vault, "pw").await.unwrap().is_none());
        assert!(store.secret_version(&vault, "pw", "").await.unwrap().is_none());
    }

    #[tokio::test]
    async fn large_values_empty_the_cache_instead_of_growing_it_without_bound() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(dir.path());
        initialize_sample(&store).await;
        let vault = sample_secret("x", &"0".repeat(32), "").vault_key;
        let big = "x".repeat(25 * 1024);
        let names = MAX_SECRET_BYTES / (big.len() + VERSION_OVERHEAD_BYTES) + 10;
        for i in 0..names {
            let name = format!("big-{i}");
            store.set_secret(sample_secret(&name, &format!("{i:032x}"), &big)).await.unwrap();
            assert_eq!(store.secret_version(&vault, &name, "").await.unwrap().unwrap().value.len(), big.len());
            assert!(store.secret_bytes.load(Ordering::Relaxed) <= MAX_SECRET_BYTES);
        }
        assert!(store.secrets.len() < names, "the cache was emptied on the way");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn readers_racing_writers_never_keep_a_stale_value() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(open(dir.path()));
        initialize_sample(store.as_ref()).await;
        let vault = sample_secret("x", &"0".repeat(32), "").vault_key;
        let writer = {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                for i in 0..200u32 {
                    store.set_secret(sample_secret("hot", &format!("{i:032x}"), &format!("v{i}"))).await.unwrap();
                }
            })
        };
        let readers: Vec<_> = (0..4)
            .map(|_| {
                let (store, vault) = (Arc::clone(&store), vault.clone());
                tokio::spawn(async move {
                    while store
                        .secret_version(&vault, "hot", "")
                        .await
                        .unwrap()
                        .is_none_or(|v| v.value.as_str() != "v199")
                    {
                        tokio::task::yield_now().await;
                    }
                })
            })
            .collect();
        writer.await.unwrap();
        for reader in readers {
            tokio::time::timeout(std::time::Duration::from_secs(10), reader)
                .await
                .expect("readers see the last write")
                .unwrap();
        }
        // After the race, the cache and the database agree.
        let cached = store.secret_version(&vault, "hot", "").await.unwrap().unwrap();
        let stored = store.inner().secret_version(&vault, "hot", "").await.unwrap().unwrap();
        assert_eq!((cached.version, cached.value), (stored.version, stored.value));
    }
}
