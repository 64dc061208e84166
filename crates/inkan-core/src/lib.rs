//! inkan's domain, pure and synchronous.
//!
//! This crate owns what inkan *means*: Azure resource ids and their case rules, the ARM resource
//! model (which types exist, what their names may be, how an `identity` block behaves), the
//! built-in role catalog, and the claims of the access tokens inkan issues. It performs no I/O,
//! knows nothing of HTTP or SQL, and reads time only through [`clock::Clock`], so every rule in
//! here can be tested deterministically and reused by every surface (ARM, STS, Key Vault, ...).

pub mod arm;
pub mod clock;
pub mod ids;
pub mod rbac;
pub mod token;
pub mod workload;
