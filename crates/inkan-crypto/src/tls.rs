//! The local certificate authority and the server certificates it signs.
//!
//! `inkan serve` generates one CA per data directory (ECDSA P-256, ten years) and, at every
//! start, a fresh server certificate for the configured names, so changing the domain or port
//! never leaves a stale certificate behind. Users trust the CA once.

use crate::CryptoError;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose,
    SanType,
};
use std::net::IpAddr;
use time::OffsetDateTime;
use zeroize::Zeroizing;

/// The local CA.
pub struct LocalCa {
    cert_pem: String,
    key: KeyPair,
}

/// A server certificate chain and its private key, DER-encoded.
pub struct ServerCertificate {
    pub chain: Vec<Vec<u8>>,
    pub key_pkcs8: Zeroizing<Vec<u8>>,
}

impl LocalCa {
    /// A new CA; returns it with its PKCS#8 private key for sealing.
    pub fn generate(now: OffsetDateTime) -> Result<(Self, Zeroizing<Vec<u8>>), CryptoError> {
        let key = KeyPair::generate().map_err(|e| CryptoError::Certificate(e.to_string()))?;
        let mut params = CertificateParams::default();
        let suffix = crate::random::hex::<4>();
        params.distinguished_name.push(DnType::CommonName, format!("inkan local CA {suffix}"));
        params.distinguished_name.push(DnType::OrganizationName, "inkan");
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        params.key_usages =
            vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
        params.not_before = now - time::Duration::days(1);
        params.not_after = now + time::Duration::days(3650);
        let cert = params.self_signed(&key).map_err(|e| CryptoError::Certificate(e.to_string()))?;
        let pkcs8 = Zeroizing::new(key.serialize_der());
        Ok((Self { cert_pem: cert.pem(), key }, pkcs8))
    }

    /// Loads a CA from its PEM certificate and PKCS#8 key.
    pub fn load(cert_pem: &str, key_pkcs8: &[u8]) -> Result<Self, CryptoError> {
        let der = rustls_pki_types::PrivatePkcs8KeyDer::from(key_pkcs8);
        let key = KeyPair::from_pkcs8_der_and_sign_algo(&der, &rcgen::PKCS_ECDSA_P256_SHA256)
            .map_err(|e| CryptoError::InvalidKey(e.to_string()))?;
        Ok(Self { cert_pem: cert_pem.to_owned(), key })
    }

    /// The CA certificate in PEM.
    pub fn cert_pem(&self) -> &str {
        &self.cert_pem
    }

    /// Issues a server certificate for `dns_names` and `ips`, valid for a year.
    pub fn issue_server_certificate(
        &self,
        dns_names: &[String],
        ips: &[IpAddr],
        now: OffsetDateTime,
    ) -> Result<ServerCertificate, CryptoError> {
        let err = |e: rcgen::Error| CryptoError::Certificate(e.to_string());
        let issuer = Issuer::from_ca_cert_pem(&self.cert_pem, &self.key).map_err(err)?;
        let key = KeyPair::generate().map_err(err)?;
        let mut params = CertificateParams::default();
        params.distinguished_name.push(DnType::CommonName, dns_names.first().map_or("localhost", String::as_str));
        let mut sans = Vec::new();
        for name in dns_names {
            sans.push(SanType::DnsName(name.clone().try_into().map_err(err)?));
        }
        sans.extend(ips.iter().map(|ip| SanType::IpAddress(*ip)));
        params.subject_alt_names = sans;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.use_authority_key_identifier_extension = true;
        params.not_before = now - time::Duration::days(1);
        params.not_after = now + time::Duration::days(365);
        let cert = params.signed_by(&key, &issuer).map_err(err)?;
        let ca_der = pem_to_der(&self.cert_pem)?;
        Ok(ServerCertificate {
            chain: vec![cert.der().to_vec(), ca_der],
            key_pkcs8: Zeroizing::new(key.serialize_der()),
        })
    }
}

fn pem_to_der(pem: &str) -> Result<Vec<u8>, CryptoError> {
    use base64::Engine;
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .map_err(|e| CryptoError::Certificate(format!("CA PEM is not base64: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reloaded_ca_issues_certificates() {
        let now = OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap();
        let (ca, key) = LocalCa::generate(now).unwrap();
        let reloaded = LocalCa::load(ca.cert_pem(), &key).unwrap();
        let cert = reloaded
            .issue_server_certificate(
                &["localhost".into(), "*.vault.localhost".into()],
                &["127.0.0.1".parse().unwrap()],
                now,
            )
            .unwrap();
        assert_eq!(cert.chain.len(), 2);
    }
}
