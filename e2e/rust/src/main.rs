//! An unmodified application: reads or writes a Key Vault secret with the Rust SDK
//! (`azure_security_keyvault_secrets` with `ManagedIdentityCredential`), default client options.
//! A user-assigned identity is chosen by `AZURE_CLIENT_ID`, as an application would pass it;
//! the CA bundle comes from `SSL_CERT_FILE`, as `inkan exec` sets it.
//!
//! Usage: rust-kv get|set VAULT_URL NAME [VALUE]; prints one JSON line, in the shape of
//! e2e/apps/python_kv.py.

use azure_core::error::ErrorKind;
use azure_identity::{ManagedIdentityCredential, ManagedIdentityCredentialOptions, UserAssignedId};
use azure_security_keyvault_secrets::SecretClient;
use azure_security_keyvault_secrets::models::SetSecretParameters;
use serde_json::json;

async fn run(mode: &str, vault_url: &str, name: &str, value: Option<&str>) -> azure_core::Result<serde_json::Value> {
    let options = ManagedIdentityCredentialOptions {
        user_assigned_id: std::env::var("AZURE_CLIENT_ID").ok().map(UserAssignedId::ClientId),
        ..Default::default()
    };
    let credential = ManagedIdentityCredential::new(Some(options))?;
    let client = SecretClient::new(vault_url, credential, None)?;
    let secret = if mode == "set" {
        let parameters = SetSecretParameters { value: value.map(str::to_owned), ..Default::default() };
        client.set_secret(name, parameters.try_into()?, None).await?.into_model()?
    } else {
        client.get_secret(name, None).await?.into_model()?
    };
    let version = secret.id.as_deref().and_then(|id| id.rsplit('/').next()).unwrap_or_default().to_owned();
    Ok(json!({"ok": true, "value": secret.value, "version": version}))
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [mode, vault_url, name, rest @ ..] = args.as_slice() else {
        eprintln!("usage: rust-kv get|set VAULT_URL NAME [VALUE]");
        std::process::exit(2);
    };
    let seen = match run(mode, vault_url, name, rest.first().map(String::as_str)).await {
        Ok(seen) => seen,
        Err(error) => {
            let (code, status) = match error.kind() {
                ErrorKind::HttpResponse { status, error_code, .. } => (error_code.clone(), Some(u16::from(*status))),
                _ => (None, None),
            };
            json!({"ok": false, "type": format!("{:?}", error.kind()).split([' ', '{', '(']).next(), "code": code,
                   "status": status, "message": format!("{error:#}")})
        }
    };
    println!("{seen}");
}
