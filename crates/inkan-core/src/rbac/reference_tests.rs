//! The engine against a slow, obviously-correct reference over random policies.
//!
//! The reference shares no code with the engine: glob matching by recursion, scope ancestry by
//! comparing path segments, and a plain loop over every assignment.

use super::engine::*;
use proptest::prelude::*;
use std::sync::Arc;

fn glob(pattern: &[u8], text: &[u8]) -> bool {
    match (pattern.first(), text.first()) {
        (None, None) => true,
        (Some(b'*'), _) => glob(&pattern[1..], text) || (!text.is_empty() && glob(pattern, &text[1..])),
        (Some(p), Some(t)) => p.eq_ignore_ascii_case(t) && glob(&pattern[1..], &text[1..]),
        _ => false,
    }
}

fn segments(scope: &str) -> Vec<String> {
    scope.split('/').filter(|s| !s.is_empty()).map(str::to_ascii_lowercase).collect()
}

fn is_ancestor_or_self(assigned: &str, requested: &str) -> bool {
    let (a, r) = (segments(assigned), segments(requested));
    a.len() <= r.len() && a.iter().zip(&r).all(|(x, y)| x == y)
}

#[derive(Debug, Clone)]
struct RawBlock {
    actions: Vec<String>,
    not_actions: Vec<String>,
    data_actions: Vec<String>,
    not_data_actions: Vec<String>,
}

/// Azure's rule: `*` is any run of characters, and `/*/` may also stand for one `/`.
fn azure_match(pattern: &str, action: &str) -> bool {
    glob(pattern.as_bytes(), action.as_bytes())
        || (pattern.contains("/*/") && glob(pattern.replace("/*/", "/").as_bytes(), action.as_bytes()))
}

fn raw_covers(b: &RawBlock, action: &str, data: bool) -> bool {
    let (yes, no) = if data { (&b.data_actions, &b.not_data_actions) } else { (&b.actions, &b.not_actions) };
    yes.iter().any(|p| azure_match(p, action)) && !no.iter().any(|p| azure_match(p, action))
}

/// (scope, blocks, principals, excluded, everyone, doNotApplyToChildScopes)
type RawDeny = (usize, Vec<RawBlock>, Vec<usize>, Vec<usize>, bool, bool);

#[derive(Debug, Clone)]
struct World {
    roles: Vec<Vec<RawBlock>>,
    assignments: Vec<(usize, usize, usize)>, // (principal, role, scope)
    denies: Vec<RawDeny>,
}

const PRINCIPALS: &[&str] = &["p0", "p1", "p2"];
const SCOPES: &[&str] = &[
    "/",
    "/subscriptions/s1",
    "/subscriptions/s2",
    "/subscriptions/s1/resourcegroups/g1",
    "/subscriptions/s1/resourcegroups/g1/providers/ns.a/things/t1",
    "/subscriptions/s1/resourcegroups/g1/providers/ns.a/things/t1/kids/k1",
    "/subscriptions/s1/resourcegroups/g10",
];
const ACTIONS: &[&str] = &[
    "ns.a/things/read",
    "ns.a/things/write",
    "ns.a/things/kids/read",
    "ns.b/other/read",
    "ns.a/things/delete",
    "ns.a/read",
];
const PATTERNS: &[&str] =
    &["*", "*/read", "ns.a/*", "ns.a/things/*", "ns.a/things/read", "ns.b/*", "ns.a/*/read", "NS.A/THINGS/WRITE"];

fn block() -> impl Strategy<Value = RawBlock> {
    let list = || proptest::collection::vec(proptest::sample::select(PATTERNS).prop_map(str::to_owned), 0..3);
    (list(), list(), list(), list()).prop_map(|(actions, not_actions, data_actions, not_data_actions)| RawBlock {
        actions,
        not_actions,
        data_actions,
        not_data_actions,
    })
}

fn world() -> impl Strategy<Value = World> {
    let roles = proptest::collection::vec(proptest::collection::vec(block(), 1..3), 1..4);
    roles.prop_flat_map(|roles| {
        let n = roles.len();
        let assignments = proptest::collection::vec((0..PRINCIPALS.len(), 0..n, 0..SCOPES.len()), 0..8);
        let principals = || proptest::collection::vec(0..PRINCIPALS.len(), 0..3);
        let denies = proptest::collection::vec(
            (
                0..SCOPES.len(),
                proptest::collection::vec(block(), 1..2),
                principals(),
                principals(),
                any::<bool>(),
                any::<bool>(),
            ),
            0..2,
        );
        (Just(roles), assignments, denies).prop_map(|(roles, assignments, denies)| World { roles, assignments, denies })
    })
}

fn reference(world: &World, principal: usize, action: &str, data: bool, scope: &str) -> bool {
    let granted = world.assignments.iter().any(|(p, r, s)| {
        *p == principal
            && is_ancestor_or_self(SCOPES[*s], scope)
            && world.roles[*r].iter().any(|b| raw_covers(b, action, data))
    });
    let denied = world.denies.iter().any(|(s, blocks, principals, excluded, everyone, no_children)| {
        let at =
            if *no_children { segments(SCOPES[*s]) == segments(scope) } else { is_ancestor_or_self(SCOPES[*s], scope) };
        at && (*everyone || principals.contains(&principal))
            && !excluded.contains(&principal)
            && blocks.iter().any(|b| raw_covers(b, action, data))
    });
    granted && !denied
}

fn compile(blocks: &[RawBlock]) -> Vec<PermissionBlock> {
    fn refs(v: &[String]) -> Vec<&str> {
        v.iter().map(String::as_str).collect()
    }
    blocks
        .iter()
        .map(|b| {
            PermissionBlock::new(
                &refs(&b.actions),
                &refs(&b.not_actions),
                &refs(&b.data_actions),
                &refs(&b.not_data_actions),
            )
        })
        .collect()
}

fn engine(world: &World) -> Policy {
    let roles = world
        .roles
        .iter()
        .enumerate()
        .map(|(i, blocks)| Role {
            id: Arc::from(format!("r{i}")),
            name: Arc::from(format!("role {i}")),
            blocks: compile(blocks),
            breadth: 0,
            assignable_scopes: vec!["/".to_owned()],
            custom: true,
        })
        .collect();
    let assignments = world.assignments.iter().enumerate().map(|(i, (p, r, s))| Assignment {
        name: Arc::from(format!("a{i}")),
        scope: Arc::from(SCOPES[*s]),
        role: Arc::from(format!("r{r}")),
        principal: Arc::from(PRINCIPALS[*p]),
        effective_at: 0,
    });
    let denies = world
        .denies
        .iter()
        .enumerate()
        .map(|(i, (s, blocks, principals, excluded, everyone, no_children))| Deny {
            id: Arc::from(format!("d{i}")),
            name: Arc::from(format!("deny {i}")),
            scope: Arc::from(SCOPES[*s]),
            blocks: compile(blocks),
            principals: if *everyone {
                vec![EVERYONE.to_owned()]
            } else {
                principals.iter().map(|p| PRINCIPALS[*p].to_owned()).collect()
            },
            excluded: excluded.iter().map(|p| PRINCIPALS[*p].to_owned()).collect(),
            do_not_apply_to_child_scopes: *no_children,
        })
        .collect();
    Policy::new(roles, assignments, denies)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn the_engine_agrees_with_the_reference(world in world()) {
        let policy = engine(&world);
        for (p, principal) in PRINCIPALS.iter().enumerate() {
            for scope in SCOPES {
                for action in ACTIONS {
                    for data in [false, true] {
                        let upper_scope = scope.to_ascii_uppercase();
                        let request = AccessRequest { principal, groups: &[], action, data, scope: &upper_scope, now: 0 };
                        let decision = policy.decide(&request);
                        prop_assert_eq!(decision.allowed, reference(&world, p, action, data, scope), "{} {} {} data={}", principal, action, scope, data);
                        prop_assert_eq!(decision.granted_by.is_some() && decision.denied_by.is_none(), decision.allowed);
                        prop_assert_eq!(policy.allows(&request), decision.allowed, "allows agrees with decide");
                    }
                }
            }
        }
    }
}

#[test]
fn builtin_roles_behave_as_azure_documents() {
    let policy = Policy::new(builtin_roles(), [], vec![]);
    let grants = |role: &str, action: &str, data: bool| {
        policy.roles().find(|r| &*r.name == role).unwrap().grants(&action.to_ascii_lowercase(), data)
    };
    assert!(grants("Owner", "Microsoft.Authorization/roleAssignments/write", false));
    assert!(
        !grants("Owner", "Microsoft.KeyVault/vaults/secrets/getSecret/action", true),
        "control-plane * grants no data action"
    );
    assert!(grants("Contributor", "Microsoft.Compute/virtualMachines/write", false));
    assert!(!grants("Contributor", "Microsoft.Authorization/roleAssignments/write", false));
    assert!(grants("Reader", "Microsoft.Compute/virtualMachines/read", false));
    assert!(!grants("Reader", "Microsoft.Compute/virtualMachines/write", false));
    assert!(grants("Key Vault Secrets User", "Microsoft.KeyVault/vaults/secrets/getSecret/action", true));
    assert!(!grants("Key Vault Secrets User", "Microsoft.KeyVault/vaults/write", false));
    assert!(grants("Key Vault Administrator", "Microsoft.KeyVault/vaults/secrets/setSecret/action", true));
    assert!(grants("AcrPull", "Microsoft.ContainerRegistry/registries/pull/read", false));
    let narrowest = policy.roles_granting("Microsoft.KeyVault/vaults/secrets/getSecret/action", true);
    assert_eq!(&*narrowest[0].name, "Key Vault Secrets User");
}
