//! The Azure Arc challenge's key files: one random secret per challenge, in a file readable
//! only by its owner (root) and the allowed group, redeemable once.
//!
//! Clients look for the file in `/var/opt/azcmagent/tokens` (azure-identity and MSAL check that
//! directory and the `.key` extension), so that is the default key directory.

use anyhow::Context;
use dashmap::DashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The directory Arc clients read key files from on Linux.
pub const DEFAULT_KEY_DIR: &str = "/var/opt/azcmagent/tokens";
/// A challenge not answered within this time is void.
const KEY_LIFETIME: Duration = Duration::from_secs(60);
/// Unanswered challenges allowed at once: anyone local can ask for one, so their number is bounded.
const MAX_PENDING: usize = 1024;

/// Issued, not yet redeemed key files.
pub struct ArcKeys {
    dir: PathBuf,
    gid: Option<u32>,
    pending: DashMap<String, (PathBuf, Instant)>,
}

impl ArcKeys {
    /// Prepares `dir` (mode 0750, group `group`) for key files.
    pub fn new(dir: &Path, group: Option<&str>) -> anyhow::Result<Self> {
        let gid = group.map(group_id).transpose()?;
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create the key directory {}", dir.display()))?;
        set_owner_and_mode(dir, gid, 0o750)?;
        Ok(Self { dir: dir.to_owned(), gid, pending: DashMap::new() })
    }

    /// Writes a new key file and returns its path (the `realm` of the challenge).
    pub fn challenge(&self) -> anyhow::Result<PathBuf> {
        self.prune();
        if self.pending.len() >= MAX_PENDING {
            anyhow::bail!("too many unanswered challenges ({MAX_PENDING}); retry in a minute");
        }
        let secret = inkan_crypto::random::hex::<32>();
        let path = self.dir.join(format!("{}.key", uuid::Uuid::new_v4()));
        std::fs::write(&path, &secret).with_context(|| format!("cannot write {}", path.display()))?;
        set_owner_and_mode(&path, self.gid, 0o640)?;
        self.pending.insert(secret, (path.clone(), Instant::now()));
        Ok(path)
    }

    /// Redeems a secret read from a key file: true once, for a live key.
    pub fn redeem(&self, secret: &str) -> bool {
        let Some((_, (path, issued))) = self.pending.remove(secret.trim()) else { return false };
        let _ = std::fs::remove_file(&path);
        issued.elapsed() <= KEY_LIFETIME
    }

    /// Deletes every key file not redeemed (on shutdown).
    pub fn clear(&self) {
        for entry in self.pending.iter() {
            let _ = std::fs::remove_file(&entry.value().0);
        }
        self.pending.clear();
    }

    fn prune(&self) {
        self.pending.retain(|_, (path, issued)| {
            let live = issued.elapsed() <= KEY_LIFETIME;
            if !live {
                let _ = std::fs::remove_file(path);
            }
            live
        });
    }
}

fn set_owner_and_mode(path: &Path, gid: Option<u32>, mode: u32) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Some(gid) = gid {
            std::os::unix::fs::chown(path, None, Some(gid))
                .with_context(|| format!("cannot set the group of {}", path.display()))?;
        }
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
            .with_context(|| format!("cannot set permissions on {}", path.display()))?;
    }
    let _ = (path, gid, mode);
    Ok(())
}

/// The id of a local group, from `/etc/group`.
fn group_id(name: &str) -> anyhow::Result<u32> {
    let groups = std::fs::read_to_string("/etc/group").context("cannot read /etc/group")?;
    groups
        .lines()
        .filter_map(|line| {
            let mut fields = line.split(':');
            let group = fields.next()?;
            let gid = fields.nth(1)?;
            (group == name).then(|| gid.parse().ok()).flatten()
        })
        .next()
        .with_context(|| format!("the group '{name}' does not exist; create it (groupadd {name}) or pass --key-group"))
}
