//! inkan's storage: traits shaped around domain operations, and their backends.
//!
//! Each method of [`Store`] is one domain step in one transaction (`initialize`,
//! `write_resources`, `rotate_signing_key`, `put_role_assignment`), not generic CRUD, so every
//! invariant that spans rows (a resource and its identity's principal, one active signing key,
//! one assignment per scope/role/principal) holds on every backend. Secret material is sealed
//! with the master key inside the backend, before it reaches the database. Only the
//! composition root chooses a backend; everything else holds `Arc<dyn Store>`.

pub mod cache;
pub mod conformance;
mod error;
mod records;
pub mod sqlite;

pub use cache::CachedStore;
pub use error::{Conflict, StoreError};
pub use records::*;

use async_trait::async_trait;
use inkan_core::ids::{ClientId, ObjectId};
use time::OffsetDateTime;

/// The result type of store operations.
pub type StoreResult<T> = Result<T, StoreError>;

/// The persistence inkan needs, one method per domain step.
#[async_trait]
pub trait Store: Send + Sync + std::fmt::Debug + 'static {
    /// What the first start created, or `None` on a new store.
    async fn bootstrap(&self) -> StoreResult<Option<BootstrapRecord>>;
    /// Creates the first tenant, subscription, administrator (principal, secret verifier, Owner
    /// at `/`) and signing key in one transaction. Fails with a conflict if already done.
    async fn initialize(&self, init: Initialization) -> StoreResult<()>;

    async fn tenants(&self) -> StoreResult<Vec<TenantRecord>>;
    async fn subscriptions(&self) -> StoreResult<Vec<SubscriptionRecord>>;

    async fn principal(&self, object_id: ObjectId) -> StoreResult<Option<PrincipalRecord>>;
    async fn principal_by_client_id(&self, client_id: ClientId) -> StoreResult<Option<PrincipalRecord>>;
    async fn client_secrets(&self, client_id: ClientId) -> StoreResult<Vec<ClientSecretRecord>>;

    /// All signing keys, the active one first.
    async fn signing_keys(&self) -> StoreResult<Vec<SigningKeyRecord>>;
    /// Makes `new` the active key; the previous active key leaves the JWKS at `retire_at`.
    /// Keys whose `retire_at` is before `now` are deleted.
    async fn rotate_signing_key(
        &self,
        new: SigningKeyRecord,
        retire_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> StoreResult<()>;

    async fn resource(&self, key: &str) -> StoreResult<Option<ResourceRecord>>;
    /// [`Store::resource`], shared: a backend that keeps resources in memory hands out its copy
    /// instead of a deep clone (the data plane reads its vault on every request).
    async fn resource_shared(&self, key: &str) -> StoreResult<Option<std::sync::Arc<ResourceRecord>>> {
        Ok(self.resource(key).await?.map(std::sync::Arc::new))
    }
    async fn list_resources(&self, query: &ResourceQuery) -> StoreResult<Vec<ResourceRecord>>;
    /// Applies a set of resource writes atomically, with optimistic concurrency on each.
    async fn write_resources(&self, change: ResourceChange) -> StoreResult<()>;

    async fn role_assignment(&self, key: &str) -> StoreResult<Option<RoleAssignmentRecord>>;
    async fn list_role_assignments(&self) -> StoreResult<Vec<RoleAssignmentRecord>>;
    /// Every assignment, reduced to what the authorization index needs.
    async fn role_assignment_index(&self) -> StoreResult<Vec<AssignmentIndexEntry>>;
    /// Creates an assignment; a second assignment of the same role to the same principal at the
    /// same scope is a [`Conflict::RoleAssignmentExists`].
    async fn put_role_assignment(&self, record: RoleAssignmentRecord) -> StoreResult<()>;
    /// Imports many assignments in one transaction (world files, benchmarks); an assignment
    /// that already exists is a conflict and nothing is imported.
    async fn import_role_assignments(&self, records: Vec<RoleAssignmentRecord>) -> StoreResult<()>;
    /// Deletes an assignment; returns it if it existed.
    async fn delete_role_assignment(&self, key: &str) -> StoreResult<Option<RoleAssignmentRecord>>;

    /// Creates a host credential: its principal, its secret verifier and its binding, in one
    /// transaction.
    async fn enroll_host(
        &self,
        principal: PrincipalRecord,
        secret: ClientSecretRecord,
        host: HostCredentialRecord,
    ) -> StoreResult<()>;
    /// The host credential of an application, if it is one.
    async fn host_credential(&self, client_id: ClientId) -> StoreResult<Option<HostCredentialRecord>>;

    /// Adds a version to a secret (creating the secret), making it the latest. A secret that
    /// is soft-deleted is a [`Conflict::SecretDeleted`].
    async fn set_secret(&self, version: SecretVersionRecord) -> StoreResult<()>;
    /// A secret (deleted or not) by name.
    async fn secret(&self, vault_key: &str, name: &str) -> StoreResult<Option<SecretRecord>>;
    /// One version of a secret, or the latest with `version` empty.
    async fn secret_version(
        &self,
        vault_key: &str,
        name: &str,
        version: &str,
    ) -> StoreResult<Option<SecretVersionRecord>>;

    /// Secrets of a vault in name order, after `after` (a lower-case name), at most `limit`,
    /// deleted ones or live ones; each with its latest version (value included).
    async fn list_secrets(
        &self,
        vault_key: &str,
        deleted: bool,
        after: Option<&str>,
        limit: usize,
    ) -> StoreResult<Vec<(SecretRecord, SecretVersionRecord)>>;
    /// Every version of a secret, oldest first.
    async fn secret_versions(&self, vault_key: &str, name: &str) -> StoreResult<Vec<SecretVersionRecord>>;
    /// Replaces a version's metadata (content type, tags, enabled, nbf, exp, updated).
    async fn update_secret_version(&self, version: SecretVersionRecord) -> StoreResult<()>;
    /// Soft-deletes (`Some`) or recovers (`None`) a secret.
    async fn mark_secret_deleted(&self, vault_key: &str, name: &str, deleted: Option<(i64, i64)>) -> StoreResult<()>;
    /// Removes a secret and all its versions for good.
    async fn purge_secret(&self, vault_key: &str, name: &str) -> StoreResult<()>;
    /// Restores a secret with all its versions; a conflict if the name is taken.
    async fn restore_secret(&self, versions: Vec<SecretVersionRecord>) -> StoreResult<()>;

    /// Every recorded detachment, oldest first.
    async fn detachments(&self) -> StoreResult<Vec<DetachmentRecord>>;

    /// Appends audit events in one transaction.
    async fn append_audit(&self, events: Vec<AuditEvent>) -> StoreResult<()>;
    /// Lists audit events, newest first.
    async fn list_audit(&self, query: &AuditQuery) -> StoreResult<Vec<AuditEvent>>;
}
