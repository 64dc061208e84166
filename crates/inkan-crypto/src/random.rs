//! Randomness from the operating system's CSPRNG.

use aws_lc_rs::rand::{SecureRandom, SystemRandom};

/// Fills `buf` with random bytes.
pub fn fill(buf: &mut [u8]) {
    // The system CSPRNG failing is not recoverable; aws-lc aborts in that case anyway.
    SystemRandom::new().fill(buf).unwrap_or_else(|_| panic!("the system random number generator failed"));
}

/// `N` random bytes.
pub fn bytes<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    fill(&mut out);
    out
}

const SECRET_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-.~";

/// A client secret in the shape Entra issues (40 characters, `~` in fourth position after a
/// three-character hint), with 222 bits of randomness.
pub fn client_secret() -> String {
    let raw = bytes::<40>();
    let mut s: String = raw.iter().map(|b| SECRET_ALPHABET[(*b as usize) % 64] as char).collect();
    s.replace_range(3..6, "8Q~");
    s
}

/// Lower-case hex of `N` random bytes (Key Vault version ids, opaque handles).
pub fn hex<const N: usize>() -> String {
    bytes::<N>().iter().map(|b| format!("{b:02x}")).collect()
}
