//! The data directory: what lives where, and how files holding secrets are written.
//!
//! ```text
//! <data-dir>/inkan.db          the SQLite store (+ -wal, -shm)
//! <data-dir>/master.key        the master key (unless --master-key-file puts it elsewhere)
//! <data-dir>/ca.pem            the local CA certificate: trust this
//! <data-dir>/ca-key.sealed     the CA private key, sealed with the master key
//! <data-dir>/ca-bundle.pem     the system roots plus the local CA, for SDKs' CA variables
//! <data-dir>/admin.json        the bootstrap administrator's credentials (0600)
//! <data-dir>/server.json       where the running server listens (written at start)
//! <data-dir>/inkan.lock        held (an exclusive file lock) while a server runs
//! ```
//!
//! One server per data directory: the server keeps in-memory views of the store (its read
//! cache, the authorization policy, the workload index) that are only right if no other
//! process writes to the database.

use anyhow::Context;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use inkan_crypto::seal::MasterKey;
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};

/// A data directory.
#[derive(Debug, Clone)]
pub struct DataDir {
    root: PathBuf,
}

/// The bootstrap administrator's credentials, as `inkan env --admin` prints them.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct AdminCredentials {
    pub tenant_id: String,
    pub subscription_id: String,
    pub client_id: String,
    pub object_id: String,
    pub client_secret: String,
}

/// Where a running server can be reached; written at start for the CLI.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ServerInfo {
    /// `https://localhost:8443`
    pub url: String,
    pub tenant_id: String,
    pub subscription_id: String,
    pub ca_file: PathBuf,
    pub ca_bundle_file: PathBuf,
    pub domain: String,
    pub port: u16,
    /// `http://127.0.0.1:<port>`: the identity endpoints (IMDS, App Service).
    pub identity_url: String,
    pub pid: u32,
}

impl DataDir {
    /// Opens the directory, creating it (mode 0700) if needed.
    pub fn open(root: &Path) -> anyhow::Result<Self> {
        std::fs::create_dir_all(root).with_context(|| format!("cannot create data directory {}", root.display()))?;
        set_mode(root, 0o700)?;
        Ok(Self { root: root.to_owned() })
    }

    /// A data directory that may not exist yet (for the CLI).
    pub fn at(root: &Path) -> Self {
        Self { root: root.to_owned() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }
    pub fn db_path(&self) -> PathBuf {
        self.root.join("inkan.db")
    }
    pub fn ca_cert_path(&self) -> PathBuf {
        self.root.join("ca.pem")
    }
    pub fn ca_key_path(&self) -> PathBuf {
        self.root.join("ca-key.sealed")
    }
    pub fn ca_bundle_path(&self) -> PathBuf {
        self.root.join("ca-bundle.pem")
    }
    pub fn admin_path(&self) -> PathBuf {
        self.root.join("admin.json")
    }
    pub fn server_info_path(&self) -> PathBuf {
        self.root.join("server.json")
    }

    /// Takes the directory for one server: a second `inkan serve` on the same directory fails
    /// here instead of writing behind the first one's in-memory views. Released when dropped
    /// (or when the process exits, however it exits).
    pub fn lock(&self) -> anyhow::Result<DataDirLock> {
        let path = self.root.join("inkan.lock");
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .with_context(|| format!("cannot open {}", path.display()))?;
        match file.try_lock() {
            Ok(()) => Ok(DataDirLock { _file: file }),
            Err(std::fs::TryLockError::WouldBlock) => {
                let holder = self.server_info().map(|i| format!(" (pid {}, {})", i.pid, i.url)).unwrap_or_default();
                anyhow::bail!(
                    "the data directory {} is in use by another inkan server{holder}; stop it, or start this one with \
                     another --data-dir",
                    self.root.display()
                )
            }
            Err(std::fs::TryLockError::Error(e)) => Err(e).with_context(|| format!("cannot lock {}", path.display())),
        }
    }

    /// Loads the master key, creating it on a new data directory. A database without its key
    /// is refused rather than given a new key that cannot open it.
    pub fn master_key(&self, path: &Path) -> anyhow::Result<MasterKey> {
        if path.exists() {
            let text =
                std::fs::read_to_string(path).with_context(|| format!("cannot read master key {}", path.display()))?;
            let raw = zeroize::Zeroizing::new(
                STANDARD.decode(text.trim()).with_context(|| format!("master key {} is not base64", path.display()))?,
            );
            return MasterKey::from_bytes(&raw).with_context(|| format!("master key {} is invalid", path.display()));
        }
        if self.db_path().exists() {
            anyhow::bail!(
                "the database {} exists but its master key {} is missing; restore the key file (or pass --master-key-file), \
                 or start with a new --data-dir",
                self.db_path().display(),
                path.display()
            );
        }
        let (key, raw) = MasterKey::generate();
        write_private(path, STANDARD.encode(&*raw).as_bytes())?;
        Ok(key)
    }

    /// Reads the administrator's credentials.
    pub fn admin_credentials(&self) -> anyhow::Result<AdminCredentials> {
        let path = self.admin_path();
        let text = std::fs::read_to_string(&path).with_context(|| {
            format!("cannot read {}; has `inkan serve` been started with this --data-dir?", path.display())
        })?;
        serde_json::from_str(&text).with_context(|| format!("{} is not valid", path.display()))
    }

    /// Reads where the server listens.
    pub fn server_info(&self) -> anyhow::Result<ServerInfo> {
        let path = self.server_info_path();
        let text = std::fs::read_to_string(&path).with_context(|| {
            format!("no server information at {}; start one with `inkan serve` or pass --server URL", path.display())
        })?;
        serde_json::from_str(&text).with_context(|| format!("{} is not valid", path.display()))
    }
}

/// A server's hold on its data directory; see [`DataDir::lock`].
#[derive(Debug)]
pub struct DataDirLock {
    _file: std::fs::File,
}

/// Writes a file readable only by its owner, atomically (temp file, fsync, rename).
pub fn write_private(path: &Path, contents: &[u8]) -> anyhow::Result<()> {
    write_atomic(path, contents, 0o600)
}

/// Writes a world-readable file atomically.
pub fn write_public(path: &Path, contents: &[u8]) -> anyhow::Result<()> {
    write_atomic(path, contents, 0o644)
}

fn write_atomic(path: &Path, contents: &[u8], mode: u32) -> anyhow::Result<()> {
    let tmp = path.with_extension("tmp");
    {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode);
        let mut f = options.open(&tmp).with_context(|| format!("cannot write {}", tmp.display()))?;
        f.write_all(contents)?;
        f.sync_all()?;
    }
    set_mode(&tmp, mode)?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

fn set_mode(path: &Path, mode: u32) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
            .with_context(|| format!("cannot set permissions on {}", path.display()))?;
    }
    let _ = (path, mode);
    Ok(())
}

/// The system's root certificates, from the first well-known bundle that exists.
pub fn system_roots_pem() -> String {
    const CANDIDATES: &[&str] = &[
        "/etc/ssl/certs/ca-certificates.crt",
        "/etc/pki/tls/certs/ca-bundle.crt",
        "/etc/ssl/cert.pem",
        "/etc/ssl/ca-bundle.pem",
    ];
    CANDIDATES.iter().find_map(|p| std::fs::read_to_string(p).ok()).unwrap_or_default()
}
