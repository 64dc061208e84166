//! Key Vault's per-vault request limit, as a switch (`--kv-throttle`): Azure's published
//! general limit of 4,000 requests per 10 seconds per vault, answered with 429 `Throttled` and
//! `Retry-After`. Off by default so laptops and CI never wait; on to exercise a client's retry
//! behaviour before Azure does.

use dashmap::DashMap;

/// Requests a vault accepts per window.
pub const LIMIT: u32 = 4_000;
/// The window, in seconds.
pub const WINDOW_SECS: i64 = 10;
/// Past this many tracked vaults, finished windows are dropped.
const TRACKED: usize = 4_096;

/// Fixed ten-second windows per vault name.
#[derive(Debug, Default)]
pub struct VaultThrottle {
    windows: DashMap<String, (i64, u32)>,
}

impl VaultThrottle {
    /// Counts one request to `vault` at `now` (unix seconds); over the limit, the seconds the
    /// caller should wait.
    pub fn admit(&self, vault: &str, now: i64) -> Result<(), u64> {
        if !self.windows.contains_key(vault) && self.windows.len() >= TRACKED {
            self.windows.retain(|_, (start, _)| now - *start < WINDOW_SECS);
        }
        let mut window = self.windows.entry(vault.to_owned()).or_insert((now, 0));
        if now - window.0 >= WINDOW_SECS {
            *window = (now, 0);
        }
        if window.1 >= LIMIT {
            return Err(u64::try_from(window.0 + WINDOW_SECS - now).unwrap_or(1).max(1));
        }
        window.1 += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_holds_per_vault_until_the_window_ends() {
        let throttle = VaultThrottle::default();
        for _ in 0..LIMIT {
            assert_eq!(throttle.admit("a", 100), Ok(()));
        }
        assert_eq!(throttle.admit("a", 103), Err(7));
        assert_eq!(throttle.admit("b", 103), Ok(()), "another vault has its own window");
        assert_eq!(throttle.admit("a", 110), Ok(()));
    }
}
