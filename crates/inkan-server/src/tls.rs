//! TLS for the HTTPS listener: the local CA (created once, key sealed) and a server
//! certificate issued at every start for the current names.

use crate::data_dir::{DataDir, system_roots_pem, write_private, write_public};
use crate::urls::PublicUrls;
use anyhow::Context;
use inkan_crypto::seal::MasterKey;
use inkan_crypto::tls::LocalCa;
use std::sync::Arc;
use time::OffsetDateTime;

const CA_KEY_CONTEXT: &str = "local-ca";

/// Loads the CA of `dir`, creating it on first start; refreshes the CA bundle file.
pub fn load_or_create_ca(dir: &DataDir, master_key: &MasterKey, now: OffsetDateTime) -> anyhow::Result<LocalCa> {
    let ca = if dir.ca_cert_path().exists() && dir.ca_key_path().exists() {
        let pem = std::fs::read_to_string(dir.ca_cert_path())?;
        let sealed = std::fs::read(dir.ca_key_path())?;
        let key = master_key.open(&sealed, CA_KEY_CONTEXT).context("cannot open the CA key with this master key")?;
        LocalCa::load(&pem, &key)?
    } else {
        let (ca, key) = LocalCa::generate(now)?;
        write_private(&dir.ca_key_path(), &master_key.seal(&key, CA_KEY_CONTEXT))?;
        write_public(&dir.ca_cert_path(), ca.cert_pem().as_bytes())?;
        ca
    };
    let mut bundle = system_roots_pem();
    if !bundle.is_empty() && !bundle.ends_with('\n') {
        bundle.push('\n');
    }
    bundle.push_str(ca.cert_pem());
    write_public(&dir.ca_bundle_path(), bundle.as_bytes())?;
    Ok(ca)
}

/// A rustls server configuration with a fresh certificate for `urls`.
pub fn server_config(
    ca: &LocalCa,
    urls: &PublicUrls,
    now: OffsetDateTime,
) -> anyhow::Result<Arc<rustls::ServerConfig>> {
    let ips = ["127.0.0.1".parse()?, "::1".parse()?];
    let cert = ca.issue_server_certificate(&urls.certificate_names(), &ips, now)?;
    let chain = cert.chain.into_iter().map(rustls::pki_types::CertificateDer::from).collect();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(cert.key_pkcs8.to_vec().into());
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(chain, key)?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}
