//! `inkan bench authz`: the authorization engine at scale, measured (not a test).
//!
//! Builds a store with N role assignments over M principals in a deep scope tree
//! (subscriptions > groups > resources > child resources), rebuilds the in-memory policy from
//! it, and times single decisions. Prints the median and p99 decision time, the memory the
//! policy takes per assignment, and the rebuild time.

use inkan_core::ids::ObjectId;
use inkan_core::rbac::BUILTIN_ROLES;
use inkan_store::{RoleAssignmentRecord, Store};
use std::time::Instant;

pub async fn authz(assignments: usize, principals: usize, decisions: usize) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let (key, _) = inkan_crypto::seal::MasterKey::generate();
    let store = inkan_store::sqlite::SqliteStore::open(&dir.path().join("bench.db"), key)?;
    let mut rng = Lcg(0x5eed);
    let principal_ids: Vec<ObjectId> = (0..principals).map(|_| ObjectId::random()).collect();
    let scopes: Vec<String> = scope_tree();
    let roles: Vec<&str> = BUILTIN_ROLES.iter().map(|r| r.id).collect();

    let started = Instant::now();
    let mut batch = Vec::with_capacity(50_000);
    let at = time::OffsetDateTime::UNIX_EPOCH;
    let mut drawn = std::collections::HashSet::with_capacity(assignments);
    let mut i = 0usize;
    while drawn.len() < assignments {
        i += 1;
        let p = i % principals;
        let principal = principal_ids[p];
        let (s, r) = (rng.next() as usize % scopes.len(), rng.next() as usize % roles.len());
        // Azure allows one assignment per (scope, role, principal): draw again on a repeat.
        if !drawn.insert((s, r, p)) {
            continue;
        }
        let (scope, role) = (&scopes[s], roles[r]);
        let id = format!(
            "{scope}/providers/Microsoft.Authorization/roleAssignments/{}",
            uuid::Uuid::from_u128(i as u128 + 1)
        );
        batch.push(RoleAssignmentRecord {
            id,
            scope_key: scope.to_ascii_lowercase(),
            role_definition_guid: role.to_owned(),
            principal_id: principal,
            body: serde_json::json!({}),
            created_at: at,
        });
        if batch.len() == batch.capacity() {
            store.import_role_assignments(std::mem::take(&mut batch)).await?;
        }
    }
    store.import_role_assignments(batch).await?;
    let loaded = started.elapsed();

    let rss_before = rss_kib();
    let authorizer = inkan_server::authz::Authorizer::default();
    let started = Instant::now();
    authorizer.reload(&store).await?;
    let rebuild = started.elapsed();
    let policy = authorizer.policy();
    let rss_after = rss_kib();
    let count = policy.assignment_count();

    let actions = [
        "Microsoft.Compute/virtualMachines/write",
        "Microsoft.KeyVault/vaults/read",
        "Microsoft.Authorization/roleAssignments/write",
    ];
    let mut times = Vec::with_capacity(decisions);
    let mut allowed = 0usize;
    for i in 0..decisions {
        let principal = principal_ids[rng.next() as usize % principals].to_string();
        let scope = &scopes[rng.next() as usize % scopes.len()];
        let action = actions[i % actions.len()];
        let t = Instant::now();
        let decision = authorizer.decide(&principal, action, false, scope, i64::MAX);
        times.push(t.elapsed().as_nanos());
        allowed += usize::from(decision.allowed);
    }
    times.sort_unstable();
    let pct = |p: f64| times[((times.len() as f64 - 1.0) * p) as usize] as f64 / 1000.0;
    println!("machine: {} cores, {}", std::thread::available_parallelism().map_or(0, usize::from), os());
    println!(
        "assignments {count} over {principals} principals, {} scopes (depth 5), {} built-in roles",
        scopes.len(),
        roles.len()
    );
    println!("store load (not part of the figures): {:.1} s", loaded.as_secs_f64());
    println!("policy rebuild from the store: {:.2} s", rebuild.as_secs_f64());
    println!(
        "memory: {:.0} MiB for the policy, {:.0} bytes per assignment (RSS delta)",
        (rss_after.saturating_sub(rss_before)) as f64 / 1024.0,
        (rss_after.saturating_sub(rss_before)) as f64 * 1024.0 / count.max(1) as f64
    );
    println!(
        "decisions: {decisions}, median {:.2} µs, p99 {:.2} µs, max {:.2} µs ({allowed} allowed)",
        pct(0.5),
        pct(0.99),
        pct(1.0)
    );
    Ok(())
}

/// 10 subscriptions > 20 groups > 20 resources > 5 children: 20,000 resource scopes.
fn scope_tree() -> Vec<String> {
    let mut scopes = vec!["/".to_owned()];
    for s in 0..10u128 {
        let sub = format!("/subscriptions/{}", uuid::Uuid::from_u128(0xabc0_0000 + s));
        scopes.push(sub.clone());
        for g in 0..20 {
            let group = format!("{sub}/resourceGroups/group-{g}");
            scopes.push(group.clone());
            for r in 0..20 {
                let vault = format!("{group}/providers/Microsoft.KeyVault/vaults/vault-{r}");
                scopes.push(vault.clone());
                for c in 0..5 {
                    scopes.push(format!("{vault}/secrets/secret-{c}"));
                }
            }
        }
    }
    scopes
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn os() -> String {
    std::fs::read_to_string("/proc/sys/kernel/osrelease").map(|r| format!("Linux {}", r.trim())).unwrap_or_default()
}

/// A small deterministic generator, so runs are comparable.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
}
