//! Token-signing keys: RSA-2048 key pairs with a self-signed certificate each, as Entra
//! publishes them (`kid` = `x5t` = base64url SHA-1 thumbprint of the certificate, `x5c` in the
//! JWKS).
//!
//! Private keys leave this module only as PKCS#8 bytes for sealing; signing happens here.

use crate::CryptoError;
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{KeyPair, RSA_PKCS1_SHA256, RsaKeyPair};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::{Value, json};
use time::OffsetDateTime;
use zeroize::Zeroizing;

/// A key that signs access tokens.
pub struct SigningKey {
    kid: String,
    cert_der: Vec<u8>,
    pair: RsaKeyPair,
    public: VerifyingKey,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey").field("kid", &self.kid).finish_non_exhaustive()
    }
}

/// The public half of a signing key, enough to verify RS256 signatures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyingKey {
    pub kid: String,
    /// Modulus, big-endian without leading zeros.
    pub n: Vec<u8>,
    /// Public exponent, big-endian without leading zeros.
    pub e: Vec<u8>,
}

/// A newly generated key with what must be persisted to load it again.
pub struct GeneratedKey {
    pub key: SigningKey,
    /// The PKCS#8 private key, to be sealed before it is stored.
    pub pkcs8: Zeroizing<Vec<u8>>,
    pub cert_der: Vec<u8>,
}

impl SigningKey {
    /// A new key and its self-signed certificate.
    pub fn generate(now: OffsetDateTime) -> Result<GeneratedKey, CryptoError> {
        let pair = RsaKeyPair::generate(KeySize::Rsa2048).map_err(|_| CryptoError::KeyGeneration)?;
        let pkcs8 = Zeroizing::new(
            AsDer::<aws_lc_rs::encoding::Pkcs8V1Der<'static>>::as_der(&pair)
                .map_err(|_| CryptoError::KeyGeneration)?
                .as_ref()
                .to_vec(),
        );
        let cert_der = self_signed_certificate(&pkcs8, now)?;
        let key = Self::load(&pkcs8, &cert_der)?;
        Ok(GeneratedKey { key, pkcs8, cert_der })
    }

    /// Loads a key from its PKCS#8 private key and certificate.
    pub fn load(pkcs8: &[u8], cert_der: &[u8]) -> Result<Self, CryptoError> {
        let pair = RsaKeyPair::from_pkcs8(pkcs8).map_err(|e| CryptoError::InvalidKey(e.to_string()))?;
        let kid = thumbprint(cert_der);
        let public = pair.public_key();
        let public = VerifyingKey {
            kid: kid.clone(),
            n: public.modulus().big_endian_without_leading_zero().to_vec(),
            e: public.exponent().big_endian_without_leading_zero().to_vec(),
        };
        Ok(Self { kid, cert_der: cert_der.to_vec(), pair, public })
    }

    /// The key id (`kid`), equal to the certificate thumbprint (`x5t`) as in Entra.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The DER certificate.
    pub fn cert_der(&self) -> &[u8] {
        &self.cert_der
    }

    /// The public half.
    pub fn verifying_key(&self) -> &VerifyingKey {
        &self.public
    }

    /// RS256 signature of `message`.
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let mut sig = vec![0u8; self.pair.public_modulus_len()];
        self.pair
            .sign(&RSA_PKCS1_SHA256, &aws_lc_rs::rand::SystemRandom::new(), message, &mut sig)
            .map_err(|_| CryptoError::Signing)?;
        Ok(sig)
    }

    /// The JWKS entry Entra publishes for this key.
    pub fn jwk(&self) -> Value {
        json!({
            "kty": "RSA",
            "use": "sig",
            "kid": self.kid,
            "x5t": self.kid,
            "n": URL_SAFE_NO_PAD.encode(&self.public.n),
            "e": URL_SAFE_NO_PAD.encode(&self.public.e),
            "x5c": [STANDARD.encode(&self.cert_der)],
            "issuer": null,
        })
    }
}

impl VerifyingKey {
    /// Checks an RS256 signature.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        let components = aws_lc_rs::signature::RsaPublicKeyComponents { n: &self.n, e: &self.e };
        components.verify(&aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256, message, signature).is_ok()
    }
}

/// base64url(SHA-1(DER)), the `x5t` of a certificate.
pub fn thumbprint(cert_der: &[u8]) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, cert_der);
    URL_SAFE_NO_PAD.encode(digest.as_ref())
}

fn self_signed_certificate(pkcs8: &[u8], now: OffsetDateTime) -> Result<Vec<u8>, CryptoError> {
    let der = rustls_pki_types::PrivatePkcs8KeyDer::from(pkcs8);
    let key = rcgen::KeyPair::from_pkcs8_der_and_sign_algo(&der, &rcgen::PKCS_RSA_SHA256)
        .map_err(|e| CryptoError::Certificate(e.to_string()))?;
    let mut params = rcgen::CertificateParams::default();
    params.distinguished_name.push(rcgen::DnType::CommonName, "inkan token signing");
    params.not_before = now - time::Duration::days(1);
    params.not_after = now + time::Duration::days(5 * 365);
    let cert = params.self_signed(&key).map_err(|e| CryptoError::Certificate(e.to_string()))?;
    Ok(cert.der().to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_key_reloads_with_the_same_kid_and_verifies_its_signatures() {
        let now = OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap();
        let GeneratedKey { key, pkcs8, cert_der } = SigningKey::generate(now).unwrap();
        let reloaded = SigningKey::load(&pkcs8, &cert_der).unwrap();
        assert_eq!(key.kid(), reloaded.kid());
        let sig = reloaded.sign(b"message").unwrap();
        assert!(key.verifying_key().verify(b"message", &sig));
        assert!(!key.verifying_key().verify(b"massage", &sig));
        assert_eq!(key.jwk()["x5t"], key.kid());
    }
}
