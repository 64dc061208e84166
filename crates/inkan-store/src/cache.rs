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
    RoleAssignmentRecord, SecretRecord, SecretVersionRecord, SigningKeyRecord, Store, StoreError, StoreResult,
    SubscriptionRecord, TenantRecord,
};
use async_trait::async_trait;
use dashmap::DashMap;
use dashmap::mapref::entry::Entry;
use inkan_core::ids::{ClientId, ObjectId};
use std::collections::HashMap;
use std::future::Future;
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
    shared: Arc<Cached<S>>,
}

struct Cached<S> {
    inner: S,
    /// Bumped by every write, before its entries are dropped.
    epoch: AtomicU64,
    /// Resources that exist (absent ones are not cached: their keys are the caller's choice).
    resources: DashMap<String, Arc<ResourceRecord>>,
    /// By `(vault key, lower-case name)`.
    secrets: DashMap<(String, String), Arc<SecretEntry>>,
    /// Bytes filled into `secrets` since it was last emptied (never decreased by writes
    /// dropping entries: an over-count only empties the cache sooner).
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
            .field("inner", &self.shared.inner)
            .field("resources", &self.shared.resources.len())
            .field("secrets", &self.shared.secrets.len())
            .finish_non_exhaustive()
    }
}

impl<S: Store> CachedStore<S> {
    pub fn new(inner: S) -> Self {
        Self {
            shared: Arc::new(Cached {
                inner,
                epoch: AtomicU64::new(0),
                resources: DashMap::new(),
                secrets: DashMap::new(),
                secret_bytes: AtomicUsize::new(0),
            }),
        }
    }

    /// The wrapped store.
    pub fn inner(&self) -> &S {
        &self.shared.inner
    }

    /// Runs a write to its end on a task of its own, then drops what it changed. A caller that
    /// goes away mid-write (a closed connection cancels its request) cannot leave the cache
    /// behind a write that committed anyway.
    async fn write<T, F>(&self, write: impl FnOnce(Arc<Cached<S>>) -> F, forget: Forget) -> StoreResult<T>
    where
        T: Send + 'static,
        F: Future<Output = StoreResult<T>> + Send + 'static,
    {
        let shared = Arc::clone(&self.shared);
        let write = write(Arc::clone(&shared));
        tokio::spawn(async move {
            let out = write.await;
            // After every write, whether it succeeded or not (a failure after the commit
            // would still have changed the database).
            shared.forget(&forget);
            out
        })
        .await
        .map_err(|e| StoreError::Backend(format!("store write task failed: {e}")))?
    }
}

/// What a write may have changed.
enum Forget {
    /// One secret of a vault: `(vault key, name)` pairs.
    Secrets(Vec<(String, String)>),
    /// Resources, and through cascades any vault's secrets.
    Everything,
}

impl<S: Store> Cached<S> {
    fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::SeqCst)
    }

    fn forget(&self, what: &Forget) {
        // The epoch first: a fill that read before this write and checks after it must fail.
        self.epoch.fetch_add(1, Ordering::SeqCst);
        match what {
            Forget::Secrets(names) => {
                for (vault_key, name) in names {
                    self.secrets.remove(&(vault_key.clone(), name.to_ascii_lowercase()));
                }
            }
            Forget::Everything => {
                self.resources.clear();
                self.forget_secrets();
            }
        }
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

    /// Caches a resource read when the epoch was `epoch`, unless a write finished since.
    fn fill_resource(&self, key: &str, epoch: u64, found: &Arc<ResourceRecord>) {
        if self.resources.len() >= MAX_RESOURCES {
            self.resources.clear();
        }
        if let Entry::Vacant(slot) = self.resources.entry(key.to_owned())
            && self.epoch() == epoch
        {
            slot.insert(Arc::clone(found));
        }
    }

    /// Caches a secret read when the epoch was `epoch`, unless a write finished since; the
    /// entry to use either way.
    fn fill_secret(&self, key: (String, String), epoch: u64, secret: Option<SecretRecord>) -> Arc<SecretEntry> {
        let entry = Arc::new(SecretEntry { secret, versions: Mutex::new(HashMap::new()) });
        if self.secrets.len() >= MAX_SECRETS {
            self.forget_secrets();
        }
        // Accounted before the map's lock is taken: going over the budget empties the map.
        let admitted = self.admit_secret_bytes(VERSION_OVERHEAD_BYTES + key.0.len() + key.1.len());
        match self.secrets.entry(key) {
            Entry::Occupied(current) => Arc::clone(current.get()),
            Entry::Vacant(slot) if admitted && self.epoch() == epoch => Arc::clone(slot.insert(entry).value()),
            Entry::Vacant(_) => entry,
        }
    }

    /// The entry of a secret, read from the store on a miss.
    async fn secret_entry(&self, vault_key: &str, name: &str) -> StoreResult<Arc<SecretEntry>> {
        let key = (vault_key.to_owned(), name.to_ascii_lowercase());
        if let Some(hit) = self.secrets.get(&key) {
            return Ok(Arc::clone(hit.value()));
        }
        let epoch = self.epoch();
        let secret = self.inner.secret(vault_key, name).await?;
        Ok(self.fill_secret(key, epoch, secret))
    }
}

/// What a cached version costs: its value, content type and tags, and the rest roughly.
fn version_bytes(v: &SecretVersionRecord) -> usize {
    VERSION_OVERHEAD_BYTES
        + v.value.len()
        + v.content_type.as_ref().map_or(0, String::len)
        + if v.tags.as_object().is_some_and(|t| !t.is_empty()) { v.tags.to_string().len() } else { 0 }
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
        let cache = &self.shared;
        if let Some(hit) = cache.resources.get(key) {
            return Ok(Some(Arc::clone(hit.value())));
        }
        let epoch = cache.epoch();
        let found = cache.inner.resource(key).await?.map(Arc::new);
        if let Some(found) = &found {
            cache.fill_resource(key, epoch, found);
        }
        Ok(found)
    }

    async fn write_resources(&self, change: ResourceChange) -> StoreResult<()> {
        self.write(|c| async move { c.inner.write_resources(change).await }, Forget::Everything).await
    }

    async fn secret(&self, vault_key: &str, name: &str) -> StoreResult<Option<SecretRecord>> {
        Ok(self.shared.secret_entry(vault_key, name).await?.secret.clone())
    }

    async fn secret_version(
        &self,
        vault_key: &str,
        name: &str,
        version: &str,
    ) -> StoreResult<Option<SecretVersionRecord>> {
        let cache = &self.shared;
        let entry = cache.secret_entry(vault_key, name).await?;
        let Some(secret) = &entry.secret else { return Ok(None) };
        let version = if version.is_empty() { secret.latest_version.clone() } else { version.to_ascii_lowercase() };
        if let Some(hit) = lock(&entry.versions).get(&version) {
            return Ok(hit.clone());
        }
        let found = cache.inner.secret_version(vault_key, name, &version).await?;
        // Only versions that exist: a missing one's id is the caller's choice.
        if let Some(v) = &found
            && cache.admit_secret_bytes(version_bytes(v))
        {
            let mut versions = lock(&entry.versions);
            if versions.len() < MAX_VERSIONS_PER_SECRET {
                versions.insert(version, found.clone());
            }
        }
        Ok(found)
    }

    async fn set_secret(&self, version: SecretVersionRecord) -> StoreResult<()> {
        let forget = Forget::Secrets(vec![(version.vault_key.clone(), version.name.clone())]);
        self.write(|c| async move { c.inner.set_secret(version).await }, forget).await
    }

    async fn update_secret_version(&self, version: SecretVersionRecord) -> StoreResult<()> {
        let forget = Forget::Secrets(vec![(version.vault_key.clone(), version.name.clone())]);
        self.write(|c| async move { c.inner.update_secret_version(version).await }, forget).await
    }

    async fn mark_secret_deleted(&self, vault_key: &str, name: &str, deleted: Option<(i64, i64)>) -> StoreResult<()> {
        let (vault_key, name) = (vault_key.to_owned(), name.to_owned());
        let forget = Forget::Secrets(vec![(vault_key.clone(), name.clone())]);
        self.write(|c| async move { c.inner.mark_secret_deleted(&vault_key, &name, deleted).await }, forget).await
    }

    async fn purge_secret(&self, vault_key: &str, name: &str) -> StoreResult<()> {
        let (vault_key, name) = (vault_key.to_owned(), name.to_owned());
        let forget = Forget::Secrets(vec![(vault_key.clone(), name.clone())]);
        self.write(|c| async move { c.inner.purge_secret(&vault_key, &name).await }, forget).await
    }

    async fn restore_secret(&self, versions: Vec<SecretVersionRecord>) -> StoreResult<()> {
        let forget = Forget::Secrets(versions.iter().map(|v| (v.vault_key.clone(), v.name.clone())).collect());
        self.write(|c| async move { c.inner.restore_secret(versions).await }, forget).await
    }

    // Everything else passes through: nothing cached depends on it.

    async fn bootstrap(&self) -> StoreResult<Option<BootstrapRecord>> {
        self.shared.inner.bootstrap().await
    }

    async fn initialize(&self, init: Initialization) -> StoreResult<()> {
        self.write(|c| async move { c.inner.initialize(init).await }, Forget::Everything).await
    }

    async fn tenants(&self) -> StoreResult<Vec<TenantRecord>> {
        self.shared.inner.tenants().await
    }

    async fn subscriptions(&self) -> StoreResult<Vec<SubscriptionRecord>> {
        self.shared.inner.subscriptions().await
    }

    async fn principal(&self, object_id: ObjectId) -> StoreResult<Option<PrincipalRecord>> {
        self.shared.inner.principal(object_id).await
    }

    async fn principal_by_client_id(&self, client_id: ClientId) -> StoreResult<Option<PrincipalRecord>> {
        self.shared.inner.principal_by_client_id(client_id).await
    }

    async fn client_secrets(&self, client_id: ClientId) -> StoreResult<Vec<ClientSecretRecord>> {
        self.shared.inner.client_secrets(client_id).await
    }

    async fn signing_keys(&self) -> StoreResult<Vec<SigningKeyRecord>> {
        self.shared.inner.signing_keys().await
    }

    async fn rotate_signing_key(
        &self,
        new: SigningKeyRecord,
        retire_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> StoreResult<()> {
        self.shared.inner.rotate_signing_key(new, retire_at, now).await
    }

    async fn list_resources(&self, query: &ResourceQuery) -> StoreResult<Vec<ResourceRecord>> {
        self.shared.inner.list_resources(query).await
    }

    async fn role_assignment(&self, key: &str) -> StoreResult<Option<RoleAssignmentRecord>> {
        self.shared.inner.role_assignment(key).await
    }

    async fn list_role_assignments(&self) -> StoreResult<Vec<RoleAssignmentRecord>> {
        self.shared.inner.list_role_assignments().await
    }

    async fn role_assignment_index(&self) -> StoreResult<Vec<AssignmentIndexEntry>> {
        self.shared.inner.role_assignment_index().await
    }

    async fn put_role_assignment(&self, record: RoleAssignmentRecord) -> StoreResult<()> {
        self.shared.inner.put_role_assignment(record).await
    }

    async fn import_role_assignments(&self, records: Vec<RoleAssignmentRecord>) -> StoreResult<()> {
        self.shared.inner.import_role_assignments(records).await
    }

    async fn delete_role_assignment(&self, key: &str) -> StoreResult<Option<RoleAssignmentRecord>> {
        self.shared.inner.delete_role_assignment(key).await
    }

    async fn enroll_host(
        &self,
        principal: PrincipalRecord,
        secret: ClientSecretRecord,
        host: HostCredentialRecord,
    ) -> StoreResult<()> {
        self.shared.inner.enroll_host(principal, secret, host).await
    }

    async fn host_credential(&self, client_id: ClientId) -> StoreResult<Option<HostCredentialRecord>> {
        self.shared.inner.host_credential(client_id).await
    }

    async fn list_secrets(
        &self,
        vault_key: &str,
        deleted: bool,
        after: Option<&str>,
        limit: usize,
    ) -> StoreResult<Vec<(SecretRecord, SecretVersionRecord)>> {
        self.shared.inner.list_secrets(vault_key, deleted, after, limit).await
    }

    async fn secret_versions(&self, vault_key: &str, name: &str) -> StoreResult<Vec<SecretVersionRecord>> {
        self.shared.inner.secret_versions(vault_key, name).await
    }

    async fn detachments(&self) -> StoreResult<Vec<DetachmentRecord>> {
        self.shared.inner.detachments().await
    }

    async fn append_audit(&self, events: Vec<AuditEvent>) -> StoreResult<()> {
        self.shared.inner.append_audit(events).await
    }

    async fn list_audit(&self, query: &AuditQuery) -> StoreResult<Vec<AuditEvent>> {
        self.shared.inner.list_audit(query).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conformance::{initialize_sample, sample_resource, sample_secret};
    use crate::sqlite::SqliteStore;
    use crate::{Expect, ResourceChange};
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
            assert!(store.shared.secret_bytes.load(Ordering::Relaxed) <= MAX_SECRET_BYTES);
        }
        assert!(store.shared.secrets.len() < names, "the cache was emptied on the way");
    }

    #[tokio::test]
    async fn a_fill_that_read_before_a_write_is_not_kept() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(dir.path());
        initialize_sample(&store).await;
        let vault = sample_secret("x", &"0".repeat(32), "").vault_key;
        store.set_secret(sample_secret("pw", &"1".repeat(32), "old")).await.unwrap();
        // A reader misses and reads the old record...
        let epoch = store.shared.epoch();
        let stale = store.inner().secret(&vault, "pw").await.unwrap();
        // ...a write commits and drops what it changed...
        store.set_secret(sample_secret("pw", &"2".repeat(32), "new")).await.unwrap();
        // ...and the reader's late fill must not land.
        store.shared.fill_secret((vault.clone(), "pw".into()), epoch, stale);
        assert_eq!(store.secret_version(&vault, "pw", "").await.unwrap().unwrap().value.as_str(), "new");
        assert_eq!(store.secret(&vault, "pw").await.unwrap().unwrap().latest_version, "2".repeat(32));
    }

    #[tokio::test]
    async fn a_resource_fill_that_read_before_a_write_is_not_kept() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(dir.path());
        initialize_sample(&store).await;
        let id = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/late-fill";
        let create = sample_resource(id, serde_json::json!({"v": 1}), 1);
        store
            .write_resources(ResourceChange { upserts: vec![(create, Expect::Absent)], ..Default::default() })
            .await
            .unwrap();
        let key = id.to_ascii_lowercase();
        let epoch = store.shared.epoch();
        let stale = Arc::new(store.inner().resource(&key).await.unwrap().unwrap());
        let update = sample_resource(id, serde_json::json!({"v": 2}), 2);
        store
            .write_resources(ResourceChange { upserts: vec![(update, Expect::Generation(1))], ..Default::default() })
            .await
            .unwrap();
        store.shared.fill_resource(&key, epoch, &stale);
        assert_eq!(store.resource(&key).await.unwrap().unwrap().body["v"], 2);
    }

    // One thread: the write's task cannot run before its caller is polled and dropped.
    #[tokio::test(flavor = "current_thread")]
    async fn a_write_whose_caller_goes_away_still_drops_what_it_changed() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(dir.path());
        initialize_sample(&store).await;
        let vault = sample_secret("x", &"0".repeat(32), "").vault_key;
        store.set_secret(sample_secret("pw", &"1".repeat(32), "old")).await.unwrap();
        assert_eq!(store.secret_version(&vault, "pw", "").await.unwrap().unwrap().value.as_str(), "old", "cached");
        // Polled once (the write starts), then abandoned, as a closed connection drops a request.
        {
            let mut write = std::pin::pin!(store.set_secret(sample_secret("pw", &"2".repeat(32), "new")));
            let first = std::future::poll_fn(|cx| std::task::Poll::Ready(write.as_mut().poll(cx))).await;
            assert!(first.is_pending(), "the write was still running when its caller left");
        }
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while store.secret_version(&vault, "pw", "").await.unwrap().unwrap().value.as_str() != "new" {
            assert!(std::time::Instant::now() < deadline, "the cache kept the value the abandoned write replaced");
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
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
