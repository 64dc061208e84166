//! Configuration: one typed struct, read from defaults < config file < `INKAN_*` environment <
//! command-line flags.
//!
//! The binary turns flags and environment into a [`RawConfig`] (clap reads both, flags
//! winning), layers it over the file's [`RawConfig`], and [`Settings::resolve`] validates the
//! result. Runtime state (tenants, identities, keys) lives in the store, never here.

use serde::{Deserialize, Serialize};
use std::net::IpAddr;
use std::path::{Path, PathBuf};

/// The default HTTPS port.
pub const DEFAULT_HTTPS_PORT: u16 = 8443;
/// The default port of the plain-HTTP identity listener (IMDS, App Service endpoint).
pub const DEFAULT_IDENTITY_PORT: u16 = 8090;
/// The default domain: every surface is served under it.
pub const DEFAULT_DOMAIN: &str = "localhost";

/// Configuration as written by a user; every field optional so layers can be merged.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawConfig {
    /// Where inkan keeps its database, keys and CA.
    pub data_dir: Option<PathBuf>,
    /// Addresses to listen on (default 127.0.0.1 and ::1).
    pub listen: Option<Vec<IpAddr>>,
    /// The HTTPS port (token authority, ARM, Key Vault).
    pub port: Option<u16>,
    /// The plain-HTTP port of the identity endpoints (IMDS, App Service).
    pub identity_port: Option<u16>,
    /// The DNS domain inkan's hosts live under (`<vault>.vault.<domain>`).
    pub domain: Option<String>,
    /// A world file to apply at start.
    pub world: Option<PathBuf>,
    /// Where the master key lives (default `<data-dir>/master.key`).
    pub master_key_file: Option<PathBuf>,
    /// Log filter, e.g. `info` or `inkan_server=debug`.
    pub log: Option<String>,
    /// Seconds before a new role assignment takes effect (default 0: at once).
    pub assignment_delay: Option<u64>,
    /// Enforce Key Vault's per-vault request limit (default false).
    pub kv_throttle: Option<bool>,
}

impl RawConfig {
    /// Reads a TOML config file; unknown keys are an error.
    pub fn from_file(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("cannot read config file {}: {e}", path.display()))?;
        toml::from_str(&text).map_err(|e| anyhow::anyhow!("config file {} is invalid: {e}", path.display()))
    }

    /// `self` over `lower`: a field set here wins.
    pub fn over(self, lower: RawConfig) -> RawConfig {
        RawConfig {
            data_dir: self.data_dir.or(lower.data_dir),
            listen: self.listen.or(lower.listen),
            port: self.port.or(lower.port),
            identity_port: self.identity_port.or(lower.identity_port),
            domain: self.domain.or(lower.domain),
            world: self.world.or(lower.world),
            master_key_file: self.master_key_file.or(lower.master_key_file),
            log: self.log.or(lower.log),
            assignment_delay: self.assignment_delay.or(lower.assignment_delay),
            kv_throttle: self.kv_throttle.or(lower.kv_throttle),
        }
    }
}

/// Validated settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct Settings {
    pub data_dir: PathBuf,
    pub listen: Vec<IpAddr>,
    pub port: u16,
    pub identity_port: u16,
    pub domain: String,
    pub world: Option<PathBuf>,
    pub master_key_file: PathBuf,
    pub log: String,
    pub assignment_delay: u64,
    pub kv_throttle: bool,
}

/// The default data directory: `$XDG_DATA_HOME/inkan` (`~/.local/share/inkan` on Linux).
pub fn default_data_dir() -> PathBuf {
    dirs::data_dir().unwrap_or_else(|| PathBuf::from(".")).join("inkan")
}

impl Settings {
    /// Applies defaults and validates.
    pub fn resolve(raw: RawConfig) -> anyhow::Result<Self> {
        let data_dir = raw.data_dir.unwrap_or_else(default_data_dir);
        let domain = raw.domain.unwrap_or_else(|| DEFAULT_DOMAIN.to_owned()).to_ascii_lowercase();
        let valid_domain = !domain.is_empty()
            && domain.split('.').all(|l| !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
        if !valid_domain {
            anyhow::bail!("domain '{domain}' is not a DNS name (letters, digits, hyphens and dots)");
        }
        let listen = raw.listen.unwrap_or_else(|| {
            vec![IpAddr::from([127, 0, 0, 1]), "::1".parse().unwrap_or(IpAddr::from([127, 0, 0, 1]))]
        });
        if listen.is_empty() {
            anyhow::bail!("listen must name at least one address");
        }
        Ok(Self {
            master_key_file: raw.master_key_file.unwrap_or_else(|| data_dir.join("master.key")),
            data_dir,
            listen,
            port: raw.port.unwrap_or(DEFAULT_HTTPS_PORT),
            identity_port: raw.identity_port.unwrap_or(DEFAULT_IDENTITY_PORT),
            domain,
            world: raw.world,
            log: raw.log.unwrap_or_else(|| "info".to_owned()),
            assignment_delay: raw.assignment_delay.unwrap_or(0),
            kv_throttle: raw.kv_throttle.unwrap_or(false),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn higher_layers_win_field_by_field() {
        let file = RawConfig { port: Some(1), domain: Some("file.test".into()), ..Default::default() };
        let env = RawConfig { port: Some(2), ..Default::default() };
        let merged = env.over(file);
        assert_eq!(merged.port, Some(2));
        assert_eq!(merged.domain.as_deref(), Some("file.test"));
    }

    #[test]
    fn unknown_keys_and_bad_domains_are_refused() {
        assert!(toml::from_str::<RawConfig>("prot = 1").is_err());
        assert!(Settings::resolve(RawConfig { domain: Some("bad domain".into()), ..Default::default() }).is_err());
        let s = Settings::resolve(RawConfig::default()).unwrap();
        assert_eq!((s.port, s.domain.as_str()), (DEFAULT_HTTPS_PORT, "localhost"));
    }
}
