//! The embedded SQLite backend.
//!
//! Durability: the database runs in WAL mode with `synchronous = FULL`, so a transaction is on
//! disk (the WAL fsynced) before its write returns; a crash or power loss never loses an
//! acknowledged write. Concurrency: one writer connection (SQLite serialises writers anyway)
//! and a small pool of reader connections that read concurrently under WAL. All calls run on
//! tokio's blocking pool.

mod audit;
mod directory;
mod keys;
mod migrate;
mod resources;
mod role_assignments;
mod secrets;

use crate::{
    AssignmentIndexEntry, AuditEvent, AuditQuery, BootstrapRecord, ClientSecretRecord, Conflict, DetachmentRecord,
    HostCredentialRecord, Initialization, PrincipalRecord, ResourceChange, ResourceQuery, ResourceRecord,
    RoleAssignmentRecord, SecretRecord, SecretVersionRecord, SigningKeyRecord, Store, StoreError, StoreResult,
    SubscriptionRecord, TenantRecord,
};
use async_trait::async_trait;
use inkan_core::ids::{ClientId, ObjectId};
use inkan_crypto::seal::MasterKey;
use rusqlite::{Connection, OpenFlags, Transaction};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use time::OffsetDateTime;

const READERS: usize = 4;

/// A store in one SQLite file.
pub struct SqliteStore {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    writer: Mutex<Connection>,
    readers: Vec<Mutex<Connection>>,
    next_reader: AtomicUsize,
    master_key: MasterKey,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore").field("path", &self.inner.path).finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` and applies pending migrations.
    pub fn open(path: &Path, master_key: MasterKey) -> StoreResult<Self> {
        let mut writer = open_connection(path, false)?;
        migrate::apply(&mut writer)?;
        let readers = (0..READERS).map(|_| open_connection(path, true).map(Mutex::new)).collect::<StoreResult<_>>()?;
        Ok(Self {
            inner: Arc::new(Inner {
                path: path.to_owned(),
                writer: Mutex::new(writer),
                readers,
                next_reader: AtomicUsize::new(0),
                master_key,
            }),
        })
    }

    /// The schema versions applied, in order.
    pub fn schema_versions(&self) -> StoreResult<Vec<i64>> {
        let conn = lock(&self.inner.writer);
        migrate::applied(&conn)
    }

    async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection, &MasterKey) -> StoreResult<T> + Send + 'static,
    ) -> StoreResult<T> {
        let inner = Arc::clone(&self.inner);
        run_blocking(move || {
            let i = inner.next_reader.fetch_add(1, Ordering::Relaxed) % inner.readers.len();
            let conn = lock(&inner.readers[i]);
            f(&conn, &inner.master_key)
        })
        .await
    }

    async fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Transaction<'_>, &MasterKey) -> StoreResult<T> + Send + 'static,
    ) -> StoreResult<T> {
        let inner = Arc::clone(&self.inner);
        run_blocking(move || {
            let mut conn = lock(&inner.writer);
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(map_err)?;
            let out = f(&tx, &inner.master_key)?;
            tx.commit().map_err(map_err)?;
            Ok(out)
        })
        .await
    }
}

async fn run_blocking<T: Send + 'static>(f: impl FnOnce() -> StoreResult<T> + Send + 'static) -> StoreResult<T> {
    tokio::task::spawn_blocking(f).await.map_err(|e| StoreError::Backend(format!("store task failed: {e}")))?
}

fn lock(m: &Mutex<Connection>) -> std::sync::MutexGuard<'_, Connection> {
    // A panic while holding a connection leaves no half-done transaction (rusqlite rolls back
    // on drop), so the connection is still usable.
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn open_connection(path: &Path, read_only: bool) -> StoreResult<Connection> {
    let flags = if read_only {
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX
    } else {
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX
    };
    let conn = Connection::open_with_flags(path, flags).map_err(map_err)?;
    conn.busy_timeout(std::time::Duration::from_secs(10)).map_err(map_err)?;
    if !read_only {
        conn.pragma_update(None, "journal_mode", "WAL").map_err(map_err)?;
    }
    conn.pragma_update(None, "synchronous", "FULL").map_err(map_err)?;
    conn.pragma_update(None, "foreign_keys", "ON").map_err(map_err)?;
    Ok(conn)
}

/// The one place SQLite errors become store errors.
pub(crate) fn map_err(e: rusqlite::Error) -> StoreError {
    if let rusqlite::Error::SqliteFailure(code, Some(msg)) = &e
        && code.code == rusqlite::ErrorCode::ConstraintViolation
    {
        if msg.contains("resources.global_name") {
            return StoreError::Conflict(Conflict::GlobalNameTaken { global_name: String::new() });
        }
        if msg.contains("role_assignments.") {
            return StoreError::Conflict(Conflict::RoleAssignmentExists { existing_id: String::new() });
        }
    }
    StoreError::Backend(e.to_string())
}

pub(crate) fn ts(at: OffsetDateTime) -> i64 {
    at.unix_timestamp()
}

pub(crate) fn from_ts(secs: i64) -> StoreResult<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp(secs).map_err(|e| StoreError::Corrupt(format!("timestamp {secs}: {e}")))
}

pub(crate) fn parse_json(text: &str) -> StoreResult<serde_json::Value> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("stored JSON: {e}")))
}

pub(crate) fn parse_guid<T: std::str::FromStr>(text: &str) -> StoreResult<T> {
    text.parse().map_err(|_| StoreError::Corrupt(format!("stored id '{text}' is not a GUID")))
}

#[async_trait]
impl Store for SqliteStore {
    async fn bootstrap(&self) -> StoreResult<Option<BootstrapRecord>> {
        self.read(|c, _| directory::bootstrap(c)).await
    }

    async fn initialize(&self, init: Initialization) -> StoreResult<()> {
        self.write(move |tx, key| directory::initialize(tx, key, &init)).await
    }

    async fn tenants(&self) -> StoreResult<Vec<TenantRecord>> {
        self.read(|c, _| directory::tenants(c)).await
    }

    async fn subscriptions(&self) -> StoreResult<Vec<SubscriptionRecord>> {
        self.read(|c, _| directory::subscriptions(c)).await
    }

    async fn principal(&self, object_id: ObjectId) -> StoreResult<Option<PrincipalRecord>> {
        self.read(move |c, _| directory::principal(c, "object_id", &object_id.to_string())).await
    }

    async fn principal_by_client_id(&self, client_id: ClientId) -> StoreResult<Option<PrincipalRecord>> {
        self.read(move |c, _| directory::principal(c, "client_id", &client_id.to_string())).await
    }

    async fn client_secrets(&self, client_id: ClientId) -> StoreResult<Vec<ClientSecretRecord>> {
        self.read(move |c, _| directory::client_secrets(c, client_id)).await
    }

    async fn signing_keys(&self) -> StoreResult<Vec<SigningKeyRecord>> {
        self.read(keys::all).await
    }

    async fn rotate_signing_key(
        &self,
        new: SigningKeyRecord,
        retire_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> StoreResult<()> {
        self.write(move |tx, key| keys::rotate(tx, key, &new, retire_at, now)).await
    }

    async fn resource(&self, key: &str) -> StoreResult<Option<ResourceRecord>> {
        let key = key.to_owned();
        self.read(move |c, _| resources::get(c, &key)).await
    }

    async fn list_resources(&self, query: &ResourceQuery) -> StoreResult<Vec<ResourceRecord>> {
        let query = query.clone();
        self.read(move |c, _| resources::list(c, &query)).await
    }

    async fn write_resources(&self, change: ResourceChange) -> StoreResult<()> {
        self.write(move |tx, _| resources::write(tx, &change)).await
    }

    async fn role_assignment(&self, key: &str) -> StoreResult<Option<RoleAssignmentRecord>> {
        let key = key.to_owned();
        self.read(move |c, _| role_assignments::get(c, &key)).await
    }

    async fn list_role_assignments(&self) -> StoreResult<Vec<RoleAssignmentRecord>> {
        self.read(|c, _| role_assignments::all(c)).await
    }

    async fn role_assignment_index(&self) -> StoreResult<Vec<AssignmentIndexEntry>> {
        self.read(|c, _| role_assignments::index(c)).await
    }

    async fn put_role_assignment(&self, record: RoleAssignmentRecord) -> StoreResult<()> {
        self.write(move |tx, _| role_assignments::put(tx, &record)).await
    }

    async fn import_role_assignments(&self, records: Vec<RoleAssignmentRecord>) -> StoreResult<()> {
        self.write(move |tx, _| records.iter().try_for_each(|r| role_assignments::put(tx, r))).await
    }

    async fn delete_role_assignment(&self, key: &str) -> StoreResult<Option<RoleAssignmentRecord>> {
        let key = key.to_owned();
        self.write(move |tx, _| role_assignments::delete(tx, &key)).await
    }

    async fn enroll_host(
        &self,
        principal: PrincipalRecord,
        secret: ClientSecretRecord,
        host: HostCredentialRecord,
    ) -> StoreResult<()> {
        self.write(move |tx, _| directory::enroll_host(tx, &principal, &secret, &host)).await
    }

    async fn host_credential(&self, client_id: ClientId) -> StoreResult<Option<HostCredentialRecord>> {
        self.read(move |c, _| directory::host_credential(c, client_id)).await
    }

    async fn set_secret(&self, version: SecretVersionRecord) -> StoreResult<()> {
        self.write(move |tx, key| secrets::set(tx, key, &version)).await
    }

    async fn secret(&self, vault_key: &str, name: &str) -> StoreResult<Option<SecretRecord>> {
        let (vault_key, name_key) = (vault_key.to_owned(), name.to_ascii_lowercase());
        self.read(move |c, _| secrets::secret(c, &vault_key, &name_key)).await
    }

    async fn secret_version(
        &self,
        vault_key: &str,
        name: &str,
        version: &str,
    ) -> StoreResult<Option<SecretVersionRecord>> {
        let (vault_key, name, version) = (vault_key.to_owned(), name.to_owned(), version.to_owned());
        self.read(move |c, key| secrets::version(c, key, &vault_key, &name, &version)).await
    }

    async fn list_secrets(
        &self,
        vault_key: &str,
        deleted: bool,
        after: Option<&str>,
        limit: usize,
    ) -> StoreResult<Vec<(SecretRecord, SecretVersionRecord)>> {
        let (vault_key, after) = (vault_key.to_owned(), after.map(str::to_owned));
        self.read(move |c, key| secrets::list(c, key, &vault_key, deleted, after.as_deref(), limit)).await
    }

    async fn secret_versions(&self, vault_key: &str, name: &str) -> StoreResult<Vec<SecretVersionRecord>> {
        let (vault_key, name) = (vault_key.to_owned(), name.to_owned());
        self.read(move |c, key| secrets::versions(c, key, &vault_key, &name)).await
    }

    async fn update_secret_version(&self, version: SecretVersionRecord) -> StoreResult<()> {
        self.write(move |tx, _| secrets::update(tx, &version)).await
    }

    async fn mark_secret_deleted(&self, vault_key: &str, name: &str, deleted: Option<(i64, i64)>) -> StoreResult<()> {
        let (vault_key, name) = (vault_key.to_owned(), name.to_owned());
        self.write(move |tx, _| secrets::mark_deleted(tx, &vault_key, &name, deleted)).await
    }

    async fn purge_secret(&self, vault_key: &str, name: &str) -> StoreResult<()> {
        let (vault_key, name) = (vault_key.to_owned(), name.to_owned());
        self.write(move |tx, _| secrets::purge(tx, &vault_key, &name)).await
    }

    async fn restore_secret(&self, versions: Vec<SecretVersionRecord>) -> StoreResult<()> {
        self.write(move |tx, key| secrets::restore(tx, key, &versions)).await
    }

    async fn detachments(&self) -> StoreResult<Vec<DetachmentRecord>> {
        self.read(|c, _| resources::detachments(c)).await
    }

    async fn append_audit(&self, events: Vec<AuditEvent>) -> StoreResult<()> {
        self.write(move |tx, _| audit::append(tx, &events)).await
    }

    async fn list_audit(&self, query: &AuditQuery) -> StoreResult<Vec<AuditEvent>> {
        let query = query.clone();
        self.read(move |c, _| audit::list(c, &query)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open(dir: &Path) -> SqliteStore {
        let (key, _) = MasterKey::generate();
        SqliteStore::open(&dir.join("inkan.db"), key).unwrap()
    }

    #[tokio::test]
    async fn the_sqlite_backend_passes_the_conformance_suite() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(dir.path());
        crate::conformance::run_all(&store).await;
    }

    #[tokio::test]
    async fn secret_material_never_reaches_the_database_file_in_plain_text() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(dir.path());
        let secret = crate::conformance::initialize_sample(&store).await;
        store
            .set_secret(crate::conformance::sample_secret("pw", &"a".repeat(32), "vault-secret-value-hunter2"))
            .await
            .unwrap();
        drop(store);
        let mut bytes = Vec::new();
        for entry in std::fs::read_dir(dir.path()).unwrap() {
            bytes.extend(std::fs::read(entry.unwrap().path()).unwrap());
        }
        let contains = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
        assert!(!contains(secret.client_secret.as_bytes()), "client secret found in plain text");
        assert!(!contains(b"vault-secret-value-hunter2"), "vault secret found in plain text");
        // Any 32-byte window of the private key would do; take one from the middle.
        let pkcs8 = &secret.signing_key_pkcs8;
        assert!(!contains(&pkcs8[pkcs8.len() / 2..pkcs8.len() / 2 + 32]), "private key found in plain text");
        assert!(contains(b"inkan-conformance-tenant"), "the scan must see the database contents");
    }

    #[tokio::test]
    async fn migrations_are_numbered_from_one_without_gaps_and_reopen_cleanly() {
        let dir = tempfile::tempdir().unwrap();
        let (key, raw) = MasterKey::generate();
        let store = SqliteStore::open(&dir.path().join("inkan.db"), key).unwrap();
        let versions = store.schema_versions().unwrap();
        assert_eq!(versions, (1..=versions.len() as i64).collect::<Vec<_>>());
        drop(store);
        let reopened = SqliteStore::open(&dir.path().join("inkan.db"), MasterKey::from_bytes(&raw).unwrap()).unwrap();
        assert_eq!(reopened.schema_versions().unwrap(), versions);
    }
}
