//! `inkan serve` and `inkan config`: configuration layering and the start-up banner.
//!
//! Precedence, lowest to highest: built-in defaults, the config file (`--config`, else
//! `<data-dir>/inkan.toml` if present), `INKAN_*` environment variables, command-line flags.

use clap::{Args, Subcommand};
use inkan_server::config::{RawConfig, Settings, default_data_dir};
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Instant;

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// A TOML config file (default: <data-dir>/inkan.toml when it exists).
    #[arg(long, env = "INKAN_CONFIG")]
    config: Option<PathBuf>,
    /// Where inkan keeps its database, keys and CA [default: ~/.local/share/inkan].
    #[arg(long, env = "INKAN_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Addresses to listen on, comma-separated [default: 127.0.0.1,::1].
    #[arg(long, env = "INKAN_LISTEN", value_delimiter = ',')]
    listen: Option<Vec<IpAddr>>,
    /// HTTPS port for the token authority, ARM and Key Vault [default: 8443; 0 picks a free port].
    #[arg(long, env = "INKAN_PORT")]
    port: Option<u16>,
    /// Plain-HTTP port of the identity endpoints (IMDS, App Service) [default: 8090; 0 picks a free port].
    #[arg(long, env = "INKAN_IDENTITY_PORT")]
    identity_port: Option<u16>,
    /// DNS domain of inkan's hosts (<vault>.vault.<domain>) [default: localhost].
    #[arg(long, env = "INKAN_DOMAIN")]
    domain: Option<String>,
    /// A world file to apply once the server is up.
    #[arg(long, env = "INKAN_WORLD")]
    world: Option<PathBuf>,
    /// The master key file that seals stored secrets [default: <data-dir>/master.key].
    #[arg(long, env = "INKAN_MASTER_KEY_FILE")]
    master_key_file: Option<PathBuf>,
    /// Log filter (e.g. info, debug, inkan_server=debug) [default: info].
    #[arg(long, env = "INKAN_LOG")]
    log: Option<String>,
    /// Seconds before a new role assignment takes effect, to test retry logic as on Azure
    /// [default: 0, at once].
    #[arg(long, env = "INKAN_ASSIGNMENT_DELAY")]
    assignment_delay: Option<u64>,
    /// Enforce Key Vault's per-vault limit (4,000 requests per 10 s): 429 with Retry-After,
    /// to test retry logic [default: off].
    #[arg(long, env = "INKAN_KV_THROTTLE", num_args = 0..=1, default_missing_value = "true")]
    kv_throttle: Option<bool>,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print the resolved configuration.
    Print(ServeArgs),
    /// Validate the configuration and exit.
    Check(ServeArgs),
}

impl ServeArgs {
    fn raw(&self) -> RawConfig {
        RawConfig {
            data_dir: self.data_dir.clone(),
            listen: self.listen.clone(),
            port: self.port,
            identity_port: self.identity_port,
            domain: self.domain.clone(),
            world: self.world.clone(),
            master_key_file: self.master_key_file.clone(),
            log: self.log.clone(),
            assignment_delay: self.assignment_delay,
            kv_throttle: self.kv_throttle,
        }
    }

    /// Resolves flags and environment over the config file over defaults.
    pub fn settings(&self) -> anyhow::Result<Settings> {
        let upper = self.raw();
        let file = match &self.config {
            Some(path) => RawConfig::from_file(path)?,
            None => {
                let dir = upper.data_dir.clone().unwrap_or_else(default_data_dir);
                let candidate = dir.join("inkan.toml");
                if candidate.exists() { RawConfig::from_file(&candidate)? } else { RawConfig::default() }
            }
        };
        Settings::resolve(upper.over(file))
    }
}

pub fn config(command: ConfigCommand) -> anyhow::Result<()> {
    match command {
        ConfigCommand::Print(args) => {
            print!("{}", toml::to_string_pretty(&args.settings()?)?);
            Ok(())
        }
        ConfigCommand::Check(args) => {
            args.settings()?;
            println!("configuration is valid");
            Ok(())
        }
    }
}

pub async fn run(args: ServeArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let settings = args.settings()?;
    init_logging(&settings.log);
    let clock = std::sync::Arc::new(inkan_core::clock::SystemClock);
    let server = inkan_server::Server::start(&settings, clock).await?;
    let ready = started.elapsed();
    let mut world_summary = None;
    if let Some(world) = &settings.world {
        let target = super::Target {
            data_dir: Some(settings.data_dir.clone()),
            server: Some(server.urls.base.clone()),
            output: crate::output::Format::Table,
        };
        let client = crate::client::ApiClient::connect(&target).await?;
        match crate::world::apply_file(&client, world).await {
            Ok(report) => world_summary = Some(report.summary()),
            Err(e) => {
                server.shutdown().await;
                return Err(e.context(format!("applying world file {}", world.display())));
            }
        }
    }
    banner(&server, &settings, ready, world_summary.as_deref());
    wait_for_signal().await;
    eprintln!("inkan: shutting down (finishing requests in flight)");
    server.shutdown().await;
    Ok(())
}

fn banner(server: &inkan_server::Server, settings: &Settings, ready: std::time::Duration, world: Option<&str>) {
    let s = &server.state;
    let addrs: Vec<String> = server.https_addrs.iter().map(ToString::to_string).collect();
    println!("inkan {} ready in {} ms", env!("CARGO_PKG_VERSION"), ready.as_millis());
    println!("  token authority, ARM  {}   (listening on {})", server.urls.base, addrs.join(", "));
    println!("  Key Vault hosts       https://<vault>.{}", server.urls.vault_suffix());
    println!("  identity endpoints    {}   (IMDS per VM, App Service; see `inkan env --as`)", s.identity_url);
    println!("  tenant                {}", s.tenant_id);
    println!("  subscription          {}", s.subscription_id);
    println!("  CA certificate        {}", server.data_dir.ca_cert_path().display());
    println!("  data directory        {}", settings.data_dir.display());
    if let Some(world) = world {
        println!("  world                 {world}");
    }
    let dir_flag = if settings.data_dir == default_data_dir() {
        String::new()
    } else {
        format!(" --data-dir {}", settings.data_dir.display())
    };
    println!(
        "next: eval \"$(inkan env --admin{dir_flag})\"   then use the Azure SDKs, or: inkan identity create -g demo -n my-app{dir_flag}"
    );
}

fn init_logging(filter: &str) {
    let filter =
        tracing_subscriber::EnvFilter::try_new(filter).unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ =
        tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_target(false).try_init();
}

/// Returns on SIGINT or SIGTERM.
pub async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match (signal(SignalKind::interrupt()), signal(SignalKind::terminate())) {
            (Ok(mut int), Ok(mut term)) => {
                tokio::select! {
                    _ = int.recv() => {}
                    _ = term.recv() => {}
                }
            }
            _ => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
