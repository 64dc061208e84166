//! The backend-neutral store error. Each backend maps its driver errors into it in one place.

/// An invariant the write would have broken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Conflict {
    /// The resource changed since it was read (or appeared/disappeared).
    Concurrent { key: String },
    /// A DNS-named resource (vault, registry) with this name already exists.
    GlobalNameTaken { global_name: String },
    /// The same role is already assigned to the principal at this scope.
    RoleAssignmentExists { existing_id: String },
    /// The store was already initialized.
    AlreadyInitialized,
    /// The secret's name is held by a soft-deleted secret.
    SecretDeleted { name: String },
}

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("conflict: {0:?}")]
    Conflict(Conflict),
    #[error("stored data is corrupt or unreadable: {0}")]
    Corrupt(String),
    #[error("the database failed: {0}")]
    Backend(String),
}
