//! Command-line arguments and the dispatch to each command.

mod bench;
mod env;
mod keys;
pub mod manage;
mod serve;

pub use serve::wait_for_signal;

use crate::output;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// inkan: Azure managed identities, Entra tokens, RBAC and Key Vault, on your machine.
#[derive(Debug, Parser)]
#[command(name = "inkan", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// How a client command finds the server.
#[derive(Debug, Clone, Args)]
pub struct Target {
    /// The data directory of the server (default: the same default as `inkan serve`).
    #[arg(long, env = "INKAN_DATA_DIR", global = true)]
    pub data_dir: Option<PathBuf>,
    /// The server's URL, e.g. https://localhost:8443 (default: read from the data directory).
    #[arg(long, env = "INKAN_SERVER", global = true)]
    pub server: Option<String>,
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value_t = output::Format::Table, global = true)]
    pub output: output::Format,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start the server (token authority, ARM control plane) with an embedded store and a local CA.
    Serve(serve::ServeArgs),
    /// Print `export` lines that point SDKs, az and curl at inkan.
    Env(env::EnvArgs),
    /// Run a command as a workload (VM, managed cluster, site or slot): its identity endpoint
    /// and the CA trust variables are set, other credential variables removed.
    Exec {
        /// The workload: a resource id, or <group>/<name> (<group>/<site>/<slot> for a slot).
        #[arg(long = "as", value_name = "TARGET")]
        as_workload: String,
        /// The server's data directory.
        #[arg(long, env = "INKAN_DATA_DIR")]
        data_dir: Option<PathBuf>,
        /// Extra variables for the command, as on the workload (e.g. -e AZURE_CLIENT_ID=<id>).
        #[arg(short = 'e', long = "env", value_name = "NAME=VALUE")]
        extra_env: Vec<String>,
        /// The command and its arguments.
        #[arg(trailing_var_arg = true, required = true)]
        command: Vec<String>,
    },
    /// Create or update the resources of a world file (YAML or JSON, ARM shapes).
    Apply {
        /// The world file.
        file: PathBuf,
        #[command(flatten)]
        target: Target,
    },
    /// List resources.
    List {
        /// Only this type, e.g. Microsoft.KeyVault/vaults.
        #[arg(long = "type")]
        resource_type: Option<String>,
        /// Only this resource group.
        #[arg(short = 'g', long)]
        resource_group: Option<String>,
        #[command(flatten)]
        target: Target,
    },
    /// Resource groups.
    Group {
        #[command(subcommand)]
        command: manage::GroupCommand,
        #[command(flatten)]
        target: Target,
    },
    /// User-assigned managed identities.
    Identity {
        #[command(subcommand)]
        command: manage::IdentityCommand,
        #[command(flatten)]
        target: Target,
    },
    /// Key vaults.
    Vault {
        #[command(subcommand)]
        command: manage::VaultCommand,
        #[command(flatten)]
        target: Target,
    },
    /// Role assignments and definitions.
    Role {
        #[command(subcommand)]
        command: manage::RoleCommand,
        #[command(flatten)]
        target: Target,
    },
    /// Token-signing keys.
    Keys {
        #[command(subcommand)]
        command: keys::KeysCommand,
        #[command(flatten)]
        target: Target,
    },
    /// Ask the authorization engine: may this principal do this, here, and why.
    Access {
        #[command(subcommand)]
        command: AccessCommand,
        #[command(flatten)]
        target: Target,
    },
    /// Benchmarks (not tests): `inkan bench authz`.
    Bench {
        #[command(subcommand)]
        command: BenchCommand,
    },
    /// Print the /etc/hosts lines that make every vault's host name resolve to this machine.
    Hosts {
        #[command(flatten)]
        target: Target,
    },
    /// Tokens issued and refused, newest first.
    Audit {
        /// Only issued or only refused tokens.
        #[arg(long, value_parser = ["issued", "refused"])]
        outcome: Option<String>,
        /// Only callers whose resource id contains this text.
        #[arg(long)]
        resource: Option<String>,
        /// Only this identity (object id or client id).
        #[arg(long)]
        identity: Option<String>,
        /// Only events at or after this time (RFC 3339).
        #[arg(long)]
        since: Option<String>,
        /// At most this many events.
        #[arg(long, default_value_t = 50)]
        limit: usize,
        #[command(flatten)]
        target: Target,
    },
    /// The host agent: managed identities for a machine outside any cloud (Azure Arc protocol).
    Agent {
        #[command(subcommand)]
        command: AgentCommand,
    },
    /// Show or check the configuration `inkan serve` would use.
    Config {
        #[command(subcommand)]
        command: serve::ConfigCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// The authorization engine with many role assignments.
    Authz {
        #[arg(long, default_value_t = 1_000_000)]
        assignments: usize,
        #[arg(long, default_value_t = 100_000)]
        principals: usize,
        #[arg(long, default_value_t = 200_000)]
        decisions: usize,
    },
}

#[derive(Debug, Subcommand)]
pub enum AccessCommand {
    /// Decide one request and explain the decision.
    Check {
        /// The principal: an object id, or an identity as `rg/name` or a resource id.
        #[arg(long)]
        principal: String,
        /// The action or data action, e.g. Microsoft.KeyVault/vaults/secrets/getSecret/action.
        #[arg(long)]
        action: String,
        /// The scope (a resource id; default: the subscription).
        #[arg(long)]
        scope: Option<String>,
        /// Treat the action as a data action (detected for Key Vault actions).
        #[arg(long)]
        data: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum AgentCommand {
    /// Run the agent for the VM it was enrolled for.
    Run(crate::agent::AgentArgs),
    /// Create a host credential for a VM and write the agent's enrollment file (administrator).
    Enroll {
        /// The VM (or managed cluster): a resource id or <group>/<name>.
        #[arg(long = "as", value_name = "TARGET")]
        as_workload: String,
        /// Where to write the enrollment file (mode 0600); copy it to the host.
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        target: Target,
    },
}

/// Runs a parsed command line; returns the process exit code.
pub async fn run(cli: Cli) -> anyhow::Result<u8> {
    if let Command::Exec { as_workload, data_dir, extra_env, command } = &cli.command {
        return env::exec(as_workload, data_dir.clone(), extra_env, command).await;
    }
    run_command(cli.command).await.map(|()| 0)
}

async fn run_command(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Serve(args) => serve::run(args).await,
        Command::Env(args) => env::run(&args).await,
        Command::Exec { .. } => unreachable!("handled in run"),
        Command::Apply { file, target } => {
            let client = crate::client::ApiClient::connect(&target).await?;
            let report = crate::world::apply_file(&client, &file).await?;
            report.print(target.output);
            Ok(())
        }
        Command::List { resource_type, resource_group, target } => {
            manage::list(&target, resource_type.as_deref(), resource_group.as_deref()).await
        }
        Command::Group { command, target } => manage::group(&target, command).await,
        Command::Identity { command, target } => manage::identity(&target, command).await,
        Command::Vault { command, target } => manage::vault(&target, command).await,
        Command::Role { command, target } => manage::role(&target, command).await,
        Command::Keys { command, target } => keys::run(&target, command).await,
        Command::Access { command: AccessCommand::Check { principal, action, scope, data }, target } => {
            let client = crate::client::ApiClient::connect(&target).await?;
            let principal = manage::resolve_principal(&client, &principal).await?;
            let scope = scope.unwrap_or_else(|| format!("/subscriptions/{}", client.subscription()));
            let mut path = format!(
                "/inkan/v1/access/check?principal={principal}&action={}&scope={}",
                manage::urlencode(&action),
                manage::urlencode(&scope)
            );
            if data {
                path.push_str("&data=true");
            }
            let answer = client.call(reqwest::Method::GET, &path, None).await?;
            if target.output == output::Format::Json {
                return output::print_one(&answer, target.output, None);
            }
            println!("{}", if answer["allowed"] == true { "allowed" } else { "denied" });
            println!("{}", answer["explanation"].as_str().unwrap_or_default());
            Ok(())
        }
        Command::Hosts { target } => manage::hosts(&target).await,
        Command::Agent { command: AgentCommand::Run(args) } => crate::agent::run(args).await,
        Command::Bench { command: BenchCommand::Authz { assignments, principals, decisions } } => {
            bench::authz(assignments, principals, decisions).await
        }
        Command::Agent { command: AgentCommand::Enroll { as_workload, out, target } } => {
            let client = crate::client::ApiClient::connect(&target).await?;
            let dir = inkan_server::data_dir::DataDir::at(
                &target.data_dir.clone().unwrap_or_else(inkan_server::config::default_data_dir),
            );
            let ca = std::fs::read_to_string(dir.ca_cert_path()).map_err(|e| {
                anyhow::anyhow!("cannot read the server's CA certificate {}: {e}", dir.ca_cert_path().display())
            })?;
            let enrollment = crate::agent::enroll(&client, &as_workload, &ca, &out).await?;
            println!(
                "enrolled a host for {} (client id {}); enrollment file: {}",
                enrollment.resource_id,
                enrollment.client_id,
                out.display()
            );
            println!("on the host: inkan agent run --enrollment {}", out.display());
            Ok(())
        }
        Command::Audit { outcome, resource, identity, since, limit, target } => {
            let client = crate::client::ApiClient::connect(&target).await?;
            let mut path = format!("/inkan/v1/audit?limit={limit}");
            for (name, value) in
                [("outcome", outcome), ("resource", resource), ("identity", identity), ("since", since)]
            {
                if let Some(v) = value {
                    path.push_str(&format!("&{name}={}", manage::urlencode(&v)));
                }
            }
            let list = client.call(reqwest::Method::GET, &path, None).await?;
            let rows = list["value"].as_array().cloned().unwrap_or_default();
            output::print_table(
                &rows,
                &["time", "surface", "outcome", "caller", "clientId", "audience", "reason"],
                target.output,
            )
        }
        Command::Config { command } => serve::config(command),
    }
}
