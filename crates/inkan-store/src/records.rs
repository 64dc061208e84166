//! The records the store keeps. Plain data: the domain decides what they mean.

use inkan_core::ids::{ClientId, ObjectId, SubscriptionId, TenantId};
use serde_json::Value;
use time::OffsetDateTime;
use zeroize::Zeroizing;

/// A directory tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantRecord {
    pub id: TenantId,
    pub display_name: String,
    pub created_at: OffsetDateTime,
}

/// A subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionRecord {
    pub id: SubscriptionId,
    pub tenant_id: TenantId,
    pub display_name: String,
    pub created_at: OffsetDateTime,
}

/// What the first start created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BootstrapRecord {
    pub tenant_id: TenantId,
    pub subscription_id: SubscriptionId,
    pub admin_object_id: ObjectId,
}

/// What kind of service principal a principal is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrincipalKind {
    /// An application's service principal, authenticating with its own credentials.
    Application,
    /// The system-assigned identity of one resource.
    SystemAssigned,
    /// A user-assigned identity resource.
    UserAssigned,
}

impl PrincipalKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PrincipalKind::Application => "Application",
            PrincipalKind::SystemAssigned => "SystemAssigned",
            PrincipalKind::UserAssigned => "UserAssigned",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "Application" => Some(Self::Application),
            "SystemAssigned" => Some(Self::SystemAssigned),
            "UserAssigned" => Some(Self::UserAssigned),
            _ => None,
        }
    }
}

/// A service principal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrincipalRecord {
    pub object_id: ObjectId,
    pub client_id: ClientId,
    pub tenant_id: TenantId,
    pub display_name: String,
    pub kind: PrincipalKind,
    /// For managed identities: the ARM id that `xms_mirid` names.
    pub resource_id: Option<String>,
    pub created_at: OffsetDateTime,
    /// When the identity was deleted or detached; such a principal can no longer get tokens.
    pub deleted_at: Option<OffsetDateTime>,
}

/// The verifier of a client secret. The secret itself is never stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientSecretRecord {
    pub key_id: String,
    pub client_id: ClientId,
    /// The first three characters, as Entra shows them.
    pub hint: String,
    /// SHA-256 of the secret.
    pub verifier: Vec<u8>,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
}

/// A token-signing key. The private key is plaintext in memory only; backends seal it.
#[derive(Debug, Clone)]
pub struct SigningKeyRecord {
    pub kid: String,
    pub private_pkcs8: Zeroizing<Vec<u8>>,
    pub cert_der: Vec<u8>,
    pub created_at: OffsetDateTime,
    pub active: bool,
    pub retire_at: Option<OffsetDateTime>,
}

/// Everything the first start creates.
#[derive(Debug, Clone)]
pub struct Initialization {
    pub tenant: TenantRecord,
    pub subscription: SubscriptionRecord,
    pub admin: PrincipalRecord,
    pub admin_secret: ClientSecretRecord,
    pub admin_assignment: RoleAssignmentRecord,
    pub signing_key: SigningKeyRecord,
}

/// An ARM resource as stored: its id and its full response body.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceRecord {
    /// The id in the case it was created with.
    pub id: String,
    /// The lower-case full type, e.g. `microsoft.web/sites/slots`.
    pub type_key: String,
    pub subscription_id: String,
    /// Lower-case resource group name, `None` for subscription-level resources.
    pub group_key: Option<String>,
    /// Lower-case parent id for child resources.
    pub parent_key: Option<String>,
    /// `type/name` (lower case) for types whose names are DNS names and globally unique.
    pub global_name: Option<String>,
    pub body: Value,
    /// Bumped on every write; used for optimistic concurrency.
    pub generation: i64,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

impl ResourceRecord {
    /// The lower-case key the record is stored under.
    pub fn key(&self) -> String {
        self.id.to_ascii_lowercase()
    }
}

/// Which resources to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResourceQuery {
    pub subscription_id: Option<String>,
    /// Lower-case group name.
    pub group_key: Option<String>,
    /// Lower-case full type.
    pub type_key: Option<String>,
    /// Lower-case parent id.
    pub parent_key: Option<String>,
}

/// What a write expects to find, for optimistic concurrency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// The resource must not exist.
    Absent,
    /// The resource must exist at this generation.
    Generation(i64),
    /// No precondition.
    Any,
}

/// One atomic set of writes.
#[derive(Debug, Clone, Default)]
pub struct ResourceChange {
    /// Records to create or replace, each with its precondition.
    pub upserts: Vec<(ResourceRecord, Expect)>,
    /// Keys to delete, each with its precondition.
    pub deletes: Vec<(String, Expect)>,
    /// Principals created by this change (new identities).
    pub new_principals: Vec<PrincipalRecord>,
    /// Principals whose identity was deleted or detached by this change.
    pub retired_principals: Vec<ObjectId>,
    /// Role assignments removed with the resources (assignments at or below a deleted scope).
    pub deleted_role_assignment_scopes: Vec<String>,
    /// Keys that must exist when the change commits (a child's parent, a resource's group), so
    /// a write racing the deletion of its parent fails instead of leaving an orphan.
    pub require_present: Vec<String>,
    /// Deletions decided inside the transaction: everything in a group, or every child of a
    /// resource, with the principals of their identities retired.
    pub cascades: Vec<Cascade>,
    /// Identities detached from workloads by this change.
    pub detachments: Vec<DetachmentRecord>,
    /// When the change happens.
    pub at: Option<OffsetDateTime>,
}

/// A deletion of a set of resources, evaluated inside the write transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cascade {
    /// Every resource of a resource group (the group's own row included).
    Group { subscription_id: String, group_key: String },
    /// Every child of a resource.
    Children { parent_key: String },
}

/// A role assignment.
#[derive(Debug, Clone, PartialEq)]
pub struct RoleAssignmentRecord {
    /// Full id, original case.
    pub id: String,
    /// Lower-case scope.
    pub scope_key: String,
    /// Lower-case role definition GUID.
    pub role_definition_guid: String,
    pub principal_id: ObjectId,
    /// The ARM body as returned.
    pub body: Value,
    pub created_at: OffsetDateTime,
}

impl RoleAssignmentRecord {
    pub fn key(&self) -> String {
        self.id.to_ascii_lowercase()
    }
}

/// Whether a token was issued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuditOutcome {
    Issued,
    Refused,
}

impl AuditOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            AuditOutcome::Issued => "issued",
            AuditOutcome::Refused => "refused",
        }
    }
}

/// One token issued or refused.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AuditEvent {
    /// Assigned by the store; 0 before it is appended.
    pub seq: i64,
    pub at: OffsetDateTime,
    /// `imds`, `app-service`, `token-endpoint`, `agent`.
    pub surface: String,
    pub caller_resource: Option<String>,
    pub principal_id: Option<String>,
    pub client_id: Option<String>,
    pub audience: Option<String>,
    pub outcome: AuditOutcome,
    pub reason: String,
    /// How many identical events (same second, same fields) this row stands for.
    pub count: u64,
}

/// Which audit events to list, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditQuery {
    pub outcome: Option<AuditOutcome>,
    /// Case-insensitive substring of the caller resource.
    pub caller_contains: Option<String>,
    /// Principal (object) id or client id.
    pub identity: Option<String>,
    pub since: Option<OffsetDateTime>,
    pub limit: usize,
}

/// A host credential: an application principal that speaks for one compute resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostCredentialRecord {
    pub client_id: ClientId,
    /// Lower-case id of the resource the host represents.
    pub resource_key: String,
    pub created_at: OffsetDateTime,
    pub revoked_at: Option<OffsetDateTime>,
}

/// An identity detached from a workload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DetachmentRecord {
    /// Lower-case id of the workload.
    pub resource_key: String,
    pub principal_id: String,
    pub client_id: String,
    /// The identity resource, or the workload itself for a system-assigned identity.
    pub identity_resource_id: String,
    pub detached_at: OffsetDateTime,
}

/// The fields of a role assignment the authorization index needs (no body).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssignmentIndexEntry {
    /// The assignment's name (GUID).
    pub name: String,
    pub scope_key: String,
    pub role_definition_guid: String,
    /// Lower-case object id.
    pub principal_id: String,
    pub created_at: OffsetDateTime,
}

/// One version of a Key Vault secret. The value is plaintext in memory only; backends seal it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretVersionRecord {
    /// Lower-case vault resource id.
    pub vault_key: String,
    /// The secret's name, in the case it was first set with.
    pub name: String,
    /// 32 lower-case hex characters.
    pub version: String,
    pub value: Zeroizing<String>,
    pub content_type: Option<String>,
    pub tags: Value,
    pub enabled: bool,
    pub not_before: Option<i64>,
    pub expires: Option<i64>,
    pub created: i64,
    pub updated: i64,
}

/// A secret: its name, latest version and deletion state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretRecord {
    pub vault_key: String,
    pub name: String,
    pub latest_version: String,
    pub deleted_at: Option<i64>,
    pub scheduled_purge: Option<i64>,
}
