//! inkan's cryptography, behind one small interface.
//!
//! Everything that touches key material lives here: the RSA keys that sign access tokens and
//! their JWKS form, JWS encoding and verification, the sealing of stored secrets with the
//! master key, and the local certificate authority. Other crates see only these types, so a
//! library change (aws-lc-rs today) happens in one place.

pub mod digest;
pub mod jwt;
pub mod random;
pub mod seal;
pub mod signing;
pub mod tls;

/// A failure inside a cryptographic primitive; deliberately without detail.
#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error("key generation failed")]
    KeyGeneration,
    #[error("the key material is invalid: {0}")]
    InvalidKey(String),
    #[error("signing failed")]
    Signing,
    #[error("the sealed value could not be opened (wrong master key, or the data was altered)")]
    Unseal,
    #[error("certificate generation failed: {0}")]
    Certificate(String),
}
