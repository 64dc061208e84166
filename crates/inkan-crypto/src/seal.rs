//! Sealing of secret material at rest (AES-256-GCM under the master key).
//!
//! The master key lives in its own file, apart from the database, so a copy of the database
//! alone reveals no private key, client secret or vault secret. Each sealed value binds its
//! context (`aad`, e.g. `signing-key:<kid>`) so a sealed blob cannot be moved to another row.
//!
//! Format: `0x01 | nonce(12) | ciphertext+tag`.

use crate::CryptoError;
use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use zeroize::Zeroizing;

const VERSION: u8 = 1;

/// The key that seals every stored secret.
pub struct MasterKey {
    key: LessSafeKey,
    raw: Zeroizing<Vec<u8>>,
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(..)")
    }
}

impl MasterKey {
    /// The length of a master key in bytes.
    pub const LEN: usize = 32;

    /// A new random master key, returned with its raw bytes for persisting.
    pub fn generate() -> (Self, Zeroizing<Vec<u8>>) {
        let raw = Zeroizing::new(crate::random::bytes::<32>().to_vec());
        let key = Self::from_bytes(&raw).unwrap_or_else(|_| unreachable!("32 bytes is an AES-256 key"));
        (key, raw)
    }

    /// Loads a master key from its raw bytes.
    pub fn from_bytes(raw: &[u8]) -> Result<Self, CryptoError> {
        let unbound = UnboundKey::new(&AES_256_GCM, raw)
            .map_err(|_| CryptoError::InvalidKey(format!("a master key is {} bytes, got {}", Self::LEN, raw.len())))?;
        Ok(Self { key: LessSafeKey::new(unbound), raw: Zeroizing::new(raw.to_vec()) })
    }

    /// A 32-byte key for another purpose, derived from the master key (HMAC-SHA256 of `label`),
    /// so every node sharing the master key derives the same one and nothing more is stored.
    pub fn derive(&self, label: &str) -> Zeroizing<Vec<u8>> {
        let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, &self.raw);
        Zeroizing::new(aws_lc_rs::hmac::sign(&key, label.as_bytes()).as_ref().to_vec())
    }

    /// Seals `plaintext`, bound to `aad`.
    pub fn seal(&self, plaintext: &[u8], aad: &str) -> Vec<u8> {
        let nonce_bytes = crate::random::bytes::<12>();
        let mut buf = plaintext.to_vec();
        self.key
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce_bytes), Aad::from(aad.as_bytes()), &mut buf)
            .unwrap_or_else(|_| unreachable!("AES-GCM sealing only fails for inputs over 64 GiB"));
        let mut out = Vec::with_capacity(1 + 12 + buf.len());
        out.push(VERSION);
        out.extend_from_slice(&nonce_bytes);
        out.extend_from_slice(&buf);
        out
    }

    /// Opens a value sealed with [`MasterKey::seal`] under the same `aad`.
    pub fn open(&self, sealed: &[u8], aad: &str) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        if sealed.len() < 1 + 12 + 16 || sealed[0] != VERSION {
            return Err(CryptoError::Unseal);
        }
        let nonce = Nonce::try_assume_unique_for_key(&sealed[1..13]).map_err(|_| CryptoError::Unseal)?;
        let mut buf = Zeroizing::new(sealed[13..].to_vec());
        let len =
            self.key.open_in_place(nonce, Aad::from(aad.as_bytes()), &mut buf).map_err(|_| CryptoError::Unseal)?.len();
        buf.truncate(len);
        Ok(buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_with_the_same_key_and_context() {
        let (key, _) = MasterKey::generate();
        let sealed = key.seal(b"hunter2", "secret:a");
        assert!(!sealed.windows(7).any(|w| w == b"hunter2"));
        assert_eq!(&*key.open(&sealed, "secret:a").unwrap(), b"hunter2");
        assert!(key.open(&sealed, "secret:b").is_err());
        let (other, _) = MasterKey::generate();
        assert!(other.open(&sealed, "secret:a").is_err());
        let mut tampered = sealed.clone();
        let last = tampered.len() - 1;
        tampered[last] ^= 1;
        assert!(key.open(&tampered, "secret:a").is_err());
    }
}
