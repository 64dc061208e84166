//! `inkan keys`: list and rotate the token-signing keys.

use super::Target;
use crate::client::ApiClient;
use crate::output;
use clap::Subcommand;
use reqwest::Method;

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// List the published signing keys.
    List,
    /// Make a new signing key active; the previous one stays published until its tokens expire.
    Rotate,
}

pub async fn run(target: &Target, command: KeysCommand) -> anyhow::Result<()> {
    let client = ApiClient::connect(target).await?;
    match command {
        KeysCommand::List => {
            let keys = client.call(Method::GET, "/inkan/v1/signing-keys", None).await?;
            let rows = keys["value"].as_array().cloned().unwrap_or_default();
            output::print_table(&rows, &["kid", "active", "createdAt", "retireAt"], target.output)
        }
        KeysCommand::Rotate => {
            let result = client.call(Method::POST, "/inkan/v1/signing-keys/rotate", None).await?;
            output::print_one(&result, target.output, None)
        }
    }
}
