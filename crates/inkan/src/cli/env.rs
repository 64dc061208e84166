//! `inkan env`: `export` lines for bash (`eval "$(inkan env --admin)"`).
//!
//! Every value is single-quoted, so the output is safe to `eval` whatever a path contains.

use clap::Args;
use inkan_server::config::default_data_dir;
use inkan_server::data_dir::DataDir;
use std::path::PathBuf;

#[derive(Debug, Clone, Args)]
pub struct EnvArgs {
    /// Include the bootstrap administrator's credentials (a service principal with Owner at '/').
    #[arg(long)]
    admin: bool,
    /// The server's data directory.
    #[arg(long, env = "INKAN_DATA_DIR")]
    data_dir: Option<PathBuf>,
}

pub fn run(args: &EnvArgs) -> anyhow::Result<()> {
    let dir = DataDir::at(&args.data_dir.clone().unwrap_or_else(default_data_dir));
    let info = dir.server_info()?;
    let mut lines: Vec<(String, String)> = Vec::new();
    let mut set = |k: &str, v: &str| lines.push((k.to_owned(), v.to_owned()));
    set("AZURE_AUTHORITY_HOST", &info.url);
    set("AZURE_TENANT_ID", &info.tenant_id);
    set("AZURE_SUBSCRIPTION_ID", &info.subscription_id);
    if args.admin {
        let creds = dir.admin_credentials()?;
        set("AZURE_CLIENT_ID", &creds.client_id);
        set("AZURE_CLIENT_SECRET", &creds.client_secret);
    }
    // ARM's endpoint for scripts and SDK clients that take a base URL, and the cloud metadata
    // that az (ARM_CLOUD_METADATA_URL) loads: resource manager, Key Vault and registry suffixes.
    set("AZURE_RESOURCE_MANAGER_ENDPOINT", &format!("{}/", info.url));
    set("ARM_CLOUD_METADATA_URL", &format!("{}/metadata/endpoints?api-version=2019-05-01", info.url));
    // MSAL (az, ClientSecretCredential) otherwise asks login.microsoftonline.com to vouch for
    // the authority; inkan answers instance discovery itself, az needs this to skip it.
    set("AZURE_CORE_INSTANCE_DISCOVERY", "false");
    let bundle = info.ca_bundle_file.display().to_string();
    for var in ["REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE", "NODE_EXTRA_CA_CERTS"] {
        set(var, &bundle);
    }
    println!("# inkan at {} (tenant {}); CA bundle = system roots + inkan's CA", info.url, info.tenant_id);
    for (k, v) in lines {
        println!("export {k}={}", shell_quote(&v));
    }
    Ok(())
}

/// Quotes a value for bash: single quotes, with `'` written as `'\''`.
pub fn shell_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::shell_quote;

    #[test]
    fn quoting_survives_quotes_and_spaces() {
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
    }
}
