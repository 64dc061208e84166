//! `inkan env`: `export` lines for bash (`eval "$(inkan env --admin)"`).
//!
//! Every value is single-quoted, so the output is safe to `eval` whatever a path contains.

use clap::Args;
use inkan_server::config::default_data_dir;
use inkan_server::data_dir::{DataDir, ServerInfo};
use std::path::PathBuf;

#[derive(Debug, Clone, Args)]
pub struct EnvArgs {
    /// Include the bootstrap administrator's credentials (a service principal with Owner at '/').
    #[arg(long, conflicts_with = "as_workload")]
    admin: bool,
    /// Behave as this workload (VM, managed cluster, site or slot): a resource id, or
    /// `<group>/<name>` (`<group>/<site>/<slot>` for a slot).
    #[arg(long = "as", value_name = "TARGET")]
    as_workload: Option<String>,
    /// The server's URL (default: read from the data directory).
    #[arg(long, env = "INKAN_SERVER")]
    server: Option<String>,
    /// The server's data directory.
    #[arg(long, env = "INKAN_DATA_DIR")]
    data_dir: Option<PathBuf>,
}

/// Variables that choose a credential; every `inkan env` output clears them first, so a shell
/// that was one workload (or the administrator) cleanly becomes another.
pub const CREDENTIAL_VARIABLES: &[&str] = &[
    "AZURE_CLIENT_ID",
    "AZURE_CLIENT_SECRET",
    "AZURE_CLIENT_CERTIFICATE_PATH",
    "AZURE_FEDERATED_TOKEN_FILE",
    "AZURE_POD_IDENTITY_AUTHORITY_HOST",
    "IDENTITY_ENDPOINT",
    "IDENTITY_HEADER",
    "IDENTITY_SERVER_THUMBPRINT",
    "IMDS_ENDPOINT",
    "MSI_ENDPOINT",
    "MSI_SECRET",
];

pub async fn run(args: &EnvArgs) -> anyhow::Result<()> {
    let lines = lines(args).await?;
    println!("unset {}", CREDENTIAL_VARIABLES.join(" "));
    for (k, v) in lines {
        if k.starts_with('#') {
            println!("{k}");
        } else {
            println!("export {k}={}", shell_quote(&v));
        }
    }
    Ok(())
}

/// The variables `inkan env` sets (a key starting with `#` is a comment line).
pub async fn lines(args: &EnvArgs) -> anyhow::Result<Vec<(String, String)>> {
    let dir = DataDir::at(&args.data_dir.clone().unwrap_or_else(default_data_dir));
    if let Some(target) = &args.as_workload {
        return workload_lines(args, &dir, target).await;
    }
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
    // ARM's endpoint for scripts and SDK clients that take a base URL.
    set("AZURE_RESOURCE_MANAGER_ENDPOINT", &format!("{}/", info.url));
    lines.extend(cloud_lines(&info));
    lines.insert(
        0,
        (
            format!("# inkan at {} (tenant {}); CA bundle = system roots + inkan's CA", info.url, info.tenant_id),
            String::new(),
        ),
    );
    Ok(lines)
}

async fn workload_lines(args: &EnvArgs, dir: &DataDir, target: &str) -> anyhow::Result<Vec<(String, String)>> {
    let client = crate::client::ApiClient::connect(&super::Target {
        data_dir: args.data_dir.clone(),
        server: args.server.clone(),
        output: crate::output::Format::Table,
    })
    .await?;
    let path = format!("/inkan/v1/workload-environment?target={}", super::manage::urlencode(target));
    let found = client.call(reqwest::Method::GET, &path, None).await?;
    let mut lines = vec![(
        format!(
            "# inkan: this shell is now {} ({})",
            found["resourceId"].as_str().unwrap_or(target),
            found["kind"].as_str().unwrap_or_default()
        ),
        String::new(),
    )];
    for identity in found["identities"].as_array().cloned().unwrap_or_default() {
        lines.push((
            format!(
                "#   identity {}: client id {}, object id {}",
                identity["name"].as_str().unwrap_or_default(),
                identity["clientId"].as_str().unwrap_or_default(),
                identity["principalId"].as_str().unwrap_or_default()
            ),
            String::new(),
        ));
    }
    if let Some(env) = found["env"].as_object() {
        for (k, v) in env {
            lines.push((k.clone(), v.as_str().unwrap_or_default().to_owned()));
        }
    }
    if let Ok(info) = dir.server_info() {
        // `az login --identity` in a workload's shell then talks to inkan's ARM, not Azure's.
        lines.extend(cloud_lines(&info));
    }
    Ok(lines)
}

/// What az and the SDKs need to reach this server, for the administrator and workloads alike:
/// the cloud metadata az loads (ARM_CLOUD_METADATA_URL: resource manager, Key Vault and
/// registry suffixes), instance discovery off (MSAL would ask login.microsoftonline.com to
/// vouch for the authority; az reads the variable), and the CA bundle in each SDK's variable.
fn cloud_lines(info: &ServerInfo) -> Vec<(String, String)> {
    let mut lines = vec![
        ("ARM_CLOUD_METADATA_URL".to_owned(), format!("{}/metadata/endpoints?api-version=2019-05-01", info.url)),
        ("AZURE_CORE_INSTANCE_DISCOVERY".to_owned(), "false".to_owned()),
    ];
    let bundle = info.ca_bundle_file.display().to_string();
    for var in ["REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE", "NODE_EXTRA_CA_CERTS"] {
        lines.push((var.to_owned(), bundle.clone()));
    }
    lines
}

/// Quotes a value for bash: single quotes, with `'` written as `'\''`.
pub fn shell_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}

/// `inkan exec --as TARGET -- CMD...`: runs CMD with the workload's environment; exits with its code.
pub async fn exec(
    target: &str,
    data_dir: Option<PathBuf>,
    extra_env: &[String],
    command: &[String],
) -> anyhow::Result<u8> {
    let args = EnvArgs { admin: false, as_workload: Some(target.to_owned()), server: None, data_dir };
    let lines = lines(&args).await?;
    let (program, rest) = command.split_first().ok_or_else(|| anyhow::anyhow!("no command given after --"))?;
    let mut child = std::process::Command::new(program);
    child.args(rest);
    for var in CREDENTIAL_VARIABLES {
        child.env_remove(var);
    }
    for (k, v) in lines.iter().filter(|(k, _)| !k.starts_with('#')) {
        child.env(k, v);
    }
    for pair in extra_env {
        let (k, v) = pair.split_once('=').ok_or_else(|| anyhow::anyhow!("-e expects NAME=VALUE, got '{pair}'"))?;
        child.env(k, v);
    }
    let status = child.status().map_err(|e| anyhow::anyhow!("cannot run '{program}': {e}"))?;
    // A signal-terminated child has no code; report a failure.
    Ok(status.code().and_then(|c| u8::try_from(c).ok()).unwrap_or(1))
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
