//! Authorization for every surface: the engine's policy, kept in memory and rebuilt from the
//! store after every write to role assignments, deny assignments or roles, before that write
//! returns. A change is effective for the very next decision: there is no propagation delay.

use arc_swap::ArcSwap;
use inkan_core::rbac::engine::{
    AccessRequest, Assignment, Decision, Deny, EVERYONE, PermissionBlock, Policy, Role, breadth, builtin_roles,
};
use inkan_core::rbac::role_definition_guid;
use inkan_store::{ResourceQuery, Store};
use serde_json::Value;
use std::sync::Arc;

/// The current policy.
#[derive(Debug, Default)]
pub struct Authorizer {
    policy: ArcSwap<Policy>,
    /// Seconds before a new assignment takes effect: 0 (inkan's default), or Azure-like
    /// propagation for testing retry logic.
    delay_secs: i64,
    /// The bootstrap administrator, whose Owner assignment is never delayed.
    exempt_principal: String,
    /// Serialises rebuilds: each reads the store after the previous one stored its policy, so
    /// a slow rebuild of an older state can never replace a newer one.
    rebuilding: tokio::sync::Mutex<()>,
}

impl Authorizer {
    /// An authorizer whose new assignments take effect after `delay_secs`.
    pub fn with_delay(delay_secs: u64, exempt_principal: &str) -> Self {
        Self {
            policy: ArcSwap::default(),
            delay_secs: i64::try_from(delay_secs).unwrap_or(i64::MAX),
            exempt_principal: exempt_principal.to_ascii_lowercase(),
            rebuilding: tokio::sync::Mutex::new(()),
        }
    }

    /// The propagation delay in seconds.
    pub fn delay_secs(&self) -> i64 {
        self.delay_secs
    }

    /// The policy decisions are made against.
    pub fn policy(&self) -> Arc<Policy> {
        self.policy.load_full()
    }

    /// Decides one request.
    pub fn decide(&self, principal: &str, action: &str, data: bool, scope: &str, now: i64) -> Decision {
        self.policy.load().decide(&AccessRequest { principal, groups: &[], action, data, scope, now })
    }

    /// Rebuilds the policy from the store.
    pub async fn reload(&self, store: &dyn Store) -> anyhow::Result<()> {
        let _one_at_a_time = self.rebuilding.lock().await;
        // Scopes, roles and principals repeat across assignments: share one copy of each.
        let mut strings: std::collections::HashMap<String, Arc<str>> = std::collections::HashMap::new();
        let mut intern = |text: String| -> Arc<str> {
            if let Some(shared) = strings.get(&text) {
                return Arc::clone(shared);
            }
            let shared: Arc<str> = Arc::from(text.as_str());
            strings.insert(text, Arc::clone(&shared));
            shared
        };
        let entries = store.role_assignment_index().await?;
        let mut assignments = Vec::with_capacity(entries.len());
        for e in entries {
            assignments.push(Assignment {
                name: Arc::from(e.name.as_str()),
                scope: intern(e.scope_key),
                role: intern(e.role_definition_guid.to_ascii_lowercase()),
                principal: intern(e.principal_id.to_ascii_lowercase()),
                effective_at: if e.principal_id.eq_ignore_ascii_case(&self.exempt_principal) {
                    e.created_at.unix_timestamp()
                } else {
                    e.created_at.unix_timestamp().saturating_add(self.delay_secs)
                },
            });
        }
        drop(strings);
        let admin = self.exempt_principal.clone();
        let denies = store
            .list_resources(&ResourceQuery {
                type_key: Some("microsoft.authorization/denyassignments".into()),
                ..Default::default()
            })
            .await?
            .iter()
            .map(|r| {
                // The administrator can always repair what a deny assignment breaks.
                let mut deny = deny_from_body(&r.id, &r.body);
                deny.excluded.push(admin.clone());
                deny
            })
            .collect();
        let mut roles = builtin_roles();
        let custom = store
            .list_resources(&ResourceQuery {
                type_key: Some("microsoft.authorization/roledefinitions".into()),
                ..Default::default()
            })
            .await?;
        roles.extend(custom.iter().map(|r| custom_role(&r.body)));
        self.policy.store(Arc::new(Policy::new(roles, assignments, denies)));
        Ok(())
    }
}

fn refs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

/// Compiles a stored custom role definition.
pub fn custom_role(body: &Value) -> Role {
    let props = &body["properties"];
    let list = |v: &Value| -> Vec<String> {
        v.as_array().into_iter().flatten().filter_map(|x| x.as_str().map(str::to_owned)).collect()
    };
    let mut breadth_total = 0;
    let blocks = props["permissions"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| {
            let (a, na, d, nd) =
                (list(&p["actions"]), list(&p["notActions"]), list(&p["dataActions"]), list(&p["notDataActions"]));
            breadth_total += breadth(&refs(&a)) + breadth(&refs(&d));
            PermissionBlock::new(&refs(&a), &refs(&na), &refs(&d), &refs(&nd))
        })
        .collect();
    Role {
        id: Arc::from(body["name"].as_str().unwrap_or_default().to_ascii_lowercase()),
        name: Arc::from(props["roleName"].as_str().unwrap_or_default()),
        blocks,
        breadth: breadth_total,
        assignable_scopes: list(&props["assignableScopes"])
            .iter()
            .map(|s| {
                inkan_core::arm::ResourceId::parse(s).map_or_else(|_| s.to_ascii_lowercase(), |id| id.key().to_owned())
            })
            .collect(),
        custom: true,
    }
}

/// Compiles a stored deny assignment (`properties.permissions`, `principals`,
/// `excludePrincipals`, `doNotApplyToChildScopes`).
pub fn deny_from_body(id: &str, body: &Value) -> Deny {
    let props = &body["properties"];
    let list = |v: &Value| -> Vec<String> {
        v.as_array().into_iter().flatten().filter_map(|x| x.as_str().map(str::to_owned)).collect()
    };
    let blocks = props["permissions"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| {
            let (a, na, d, nd) =
                (list(&p["actions"]), list(&p["notActions"]), list(&p["dataActions"]), list(&p["notDataActions"]));
            PermissionBlock::new(&refs(&a), &refs(&na), &refs(&d), &refs(&nd))
        })
        .collect();
    let ids = |v: &Value| -> Vec<String> {
        v.as_array().into_iter().flatten().filter_map(|p| p["id"].as_str().map(str::to_ascii_lowercase)).collect()
    };
    let scope = inkan_core::arm::ResourceId::parse(id)
        .map_or_else(|_| "/".to_owned(), |r| r.extension_scope().key().to_owned());
    Deny {
        id: Arc::from(id),
        name: Arc::from(
            props["denyAssignmentName"].as_str().unwrap_or_else(|| id.rsplit('/').next().unwrap_or_default()),
        ),
        scope: Arc::from(scope.as_str()),
        blocks,
        principals: ids(&props["principals"]),
        excluded: ids(&props["excludePrincipals"]),
        do_not_apply_to_child_scopes: props["doNotApplyToChildScopes"].as_bool().unwrap_or(false),
    }
}

/// The reasons of a decision in words, for refusals and `inkan access check`.
pub fn explain(policy: &Policy, decision: &Decision, principal: &str, action: &str, data: bool, scope: &str) -> String {
    let role_name = |id: &str| policy.role(id).map_or_else(|| id.to_owned(), |r| r.name.to_string());
    let describe = |a: &Assignment| format!("'{}' at '{}'", role_name(&a.role), a.scope);
    if let Some(deny) = &decision.denied_by {
        let grant =
            decision.granted_by.as_ref().map(|g| format!(" even though {} grants it", describe(g))).unwrap_or_default();
        return format!(
            "deny assignment '{}' at '{}' refuses '{action}' to {}{grant}; a deny assignment wins over every role.",
            deny.name,
            deny.scope,
            if deny.principals.iter().any(|p| p == EVERYONE) { "everyone".to_owned() } else { principal.to_owned() }
        );
    }
    if let Some(grant) = &decision.granted_by {
        return format!("{} grants '{action}' at '{scope}' to {principal}.", describe(grant));
    }
    if let Some(pending) = decision
        .pending
        .iter()
        .find(|a| policy.role(&a.role).is_some_and(|r| r.grants(&action.to_ascii_lowercase(), data)))
    {
        return format!(
            "{} will grant '{action}' at '{scope}' once it takes effect at {} (this server delays new assignments to imitate Azure's propagation; `inkan role wait` waits for it).",
            describe(pending),
            time::OffsetDateTime::from_unix_timestamp(pending.effective_at)
                .map(inkan_core::clock::rfc3339)
                .unwrap_or_default()
        );
    }
    let here = if decision.considered.is_empty() {
        "no role assignment applies at this scope".to_owned()
    } else {
        format!(
            "the assignments that apply here ({}) do not grant it",
            decision.considered.iter().map(describe).collect::<Vec<_>>().join(", ")
        )
    };
    let elsewhere = if decision.elsewhere.is_empty() {
        String::new()
    } else {
        format!("; elsewhere it has {}", decision.elsewhere.iter().take(5).map(describe).collect::<Vec<_>>().join(", "))
    };
    let kind = if data { "data action" } else { "action" };
    // A data action on a secret is usually granted at its vault (one assignment for every
    // secret of the vault); the refusal names the exact scope it was asked at above.
    let grant_at = crate::vault_access::vault_of(scope)
        .filter(|_| data)
        .map_or_else(|| scope.to_owned(), |vault| vault.as_str().to_owned());
    let suggestion = policy
        .roles_granting(action, data)
        .first()
        .map(|r| {
            format!(
                " The role '{}' at '{grant_at}' (or above) would grant it: inkan role assignment create --role \"{}\" \
                 --assignee {principal} --scope {grant_at} (az: az role assignment create --role \"{}\" --assignee \
                 {principal} --scope {grant_at})",
                r.name, r.name, r.name
            )
        })
        .unwrap_or_default();
    let control_plane_only =
        if data && decision.considered.iter().any(|a| policy.role(&a.role).is_some_and(|r| r.grants(action, false))) {
            " (control-plane roles such as Owner or Contributor never grant data actions)"
        } else {
            ""
        };
    format!(
        "{principal} may not perform the {kind} '{action}' at '{scope}': {here}{control_plane_only}{elsewhere}.{suggestion}"
    )
}

/// Whether a role definition id names a role the policy knows.
pub fn known_role(policy: &Policy, role_definition_id: &str) -> bool {
    role_definition_guid(role_definition_id).is_some_and(|g| policy.role(g).is_some())
}
