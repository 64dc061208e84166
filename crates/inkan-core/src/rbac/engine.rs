//! The authorization engine: Azure RBAC and deny assignments, decided from an in-memory
//! policy, with the reasons for every decision. Pure: no I/O, no clock.
//!
//! Azure's rules, as implemented here:
//! - an assignment applies at its scope and every scope below it (`/` covers everything);
//! - a role grants an action when some permission block of it matches the action in `actions`
//!   (control plane) or `dataActions` (data plane) and does not match it in that block's
//!   `notActions` / `notDataActions`. `notActions` are subtractions, not denies: another role
//!   may still grant the action. Control-plane `*` never grants a data action;
//! - a deny assignment that applies (at its scope and below, or only at its scope with
//!   `doNotApplyToChildScopes`) to the principal (or to everyone) and is not excluded for it,
//!   and whose permissions match the action, wins over every grant;
//! - scopes and actions compare case-insensitively.
//!
//! Management groups are scopes of their own; inkan does not model which subscriptions they
//! contain, so an assignment at a management group applies to that scope only.

use super::pattern::Pattern;
use std::collections::HashMap;
use std::sync::Arc;

/// The object id that means "everyone" in a deny assignment's principals.
pub const EVERYONE: &str = "00000000-0000-0000-0000-000000000000";

/// One `permissions` block.
#[derive(Debug, Clone, Default)]
pub struct PermissionBlock {
    pub actions: Vec<Pattern>,
    pub not_actions: Vec<Pattern>,
    pub data_actions: Vec<Pattern>,
    pub not_data_actions: Vec<Pattern>,
}

impl PermissionBlock {
    /// Compiles a block from its lists.
    pub fn new(actions: &[&str], not_actions: &[&str], data_actions: &[&str], not_data_actions: &[&str]) -> Self {
        let compile = |list: &[&str]| list.iter().map(|p| Pattern::new(p)).collect();
        Self {
            actions: compile(actions),
            not_actions: compile(not_actions),
            data_actions: compile(data_actions),
            not_data_actions: compile(not_data_actions),
        }
    }

    /// Whether this block grants (or, in a deny assignment, covers) `action`, lower-cased.
    pub fn covers(&self, action: &str, data: bool) -> bool {
        let (yes, no) =
            if data { (&self.data_actions, &self.not_data_actions) } else { (&self.actions, &self.not_actions) };
        yes.iter().any(|p| p.matches(action)) && !no.iter().any(|p| p.matches(action))
    }
}

/// A role definition.
#[derive(Debug, Clone)]
pub struct Role {
    /// Lower-case GUID.
    pub id: Arc<str>,
    pub name: Arc<str>,
    pub blocks: Vec<PermissionBlock>,
    /// How many actions and data actions the role lists: smaller is more specific (for hints).
    pub breadth: usize,
    /// Lower-case scopes the role may be assigned at or below (`/` for built-in roles).
    pub assignable_scopes: Vec<String>,
    /// Whether this is a custom role.
    pub custom: bool,
}

impl Role {
    /// Whether the role may be assigned at `scope` (a lower-case key).
    pub fn assignable_at(&self, scope: &str) -> bool {
        self.assignable_scopes.iter().any(|s| scope_applies(s, scope))
    }
}

impl Role {
    pub fn grants(&self, action: &str, data: bool) -> bool {
        self.blocks.iter().any(|b| b.covers(action, data))
    }
}

/// A role assignment. Strings are shared (`Arc<str>`) so a million assignments over a few
/// thousand scopes and a few dozen roles cost little more than their pointers.
#[derive(Debug, Clone)]
pub struct Assignment {
    /// The assignment's name (a GUID); its id is `{scope}/providers/Microsoft.Authorization/roleAssignments/{name}`.
    pub name: Arc<str>,
    /// Lower-case scope key (`/` for the root).
    pub scope: Arc<str>,
    /// Lower-case role GUID.
    pub role: Arc<str>,
    /// Lower-case principal object id.
    pub principal: Arc<str>,
    /// When the assignment takes effect (Unix seconds): its creation time, plus the server's
    /// optional propagation delay.
    pub effective_at: i64,
}

/// A deny assignment.
#[derive(Debug, Clone)]
pub struct Deny {
    pub id: Arc<str>,
    pub name: Arc<str>,
    pub scope: Arc<str>,
    pub blocks: Vec<PermissionBlock>,
    /// Lower-case object ids; [`EVERYONE`] means every principal.
    pub principals: Vec<String>,
    pub excluded: Vec<String>,
    pub do_not_apply_to_child_scopes: bool,
}

/// What is being asked.
#[derive(Debug, Clone, Copy)]
pub struct AccessRequest<'a> {
    /// Object id of the caller.
    pub principal: &'a str,
    /// Object ids of the caller's groups.
    pub groups: &'a [String],
    pub action: &'a str,
    /// Whether `action` is a data action.
    pub data: bool,
    /// The scope key (any case).
    pub scope: &'a str,
    /// The time of the decision (Unix seconds): assignments not yet effective do not count.
    pub now: i64,
}

/// The decision and its reasons.
#[derive(Debug, Clone)]
pub struct Decision {
    pub allowed: bool,
    /// The assignment that granted the action.
    pub granted_by: Option<Assignment>,
    /// The deny assignment that refused it despite a grant (or without one).
    pub denied_by: Option<Deny>,
    /// The principal's assignments that apply at the scope (whether or not they grant).
    pub considered: Vec<Assignment>,
    /// The principal's assignments elsewhere (they do not apply at this scope).
    pub elsewhere: Vec<Assignment>,
    /// The principal's assignments at this scope that are not in effect yet.
    pub pending: Vec<Assignment>,
}

/// Whether an assignment at `assigned` applies at `requested` (both lower-case keys).
pub fn scope_applies(assigned: &str, requested: &str) -> bool {
    assigned == "/"
        || assigned == requested
        || (requested.len() > assigned.len()
            && requested.starts_with(assigned)
            && requested.as_bytes()[assigned.len()] == b'/')
}

/// Roles, assignments and deny assignments, indexed for decisions.
#[derive(Debug, Default, Clone)]
pub struct Policy {
    roles: HashMap<Arc<str>, Role>,
    by_principal: HashMap<Arc<str>, Vec<Assignment>>,
    denies: Vec<Deny>,
    assignment_count: usize,
}

impl Policy {
    /// Builds a policy. Assignments naming an unknown role are kept (they grant nothing).
    pub fn new(roles: Vec<Role>, assignments: impl IntoIterator<Item = Assignment>, denies: Vec<Deny>) -> Self {
        let roles: HashMap<Arc<str>, Role> = roles.into_iter().map(|r| (Arc::clone(&r.id), r)).collect();
        let mut by_principal: HashMap<Arc<str>, Vec<Assignment>> = HashMap::new();
        let mut assignment_count = 0;
        for a in assignments {
            assignment_count += 1;
            by_principal.entry(Arc::clone(&a.principal)).or_default().push(a);
        }
        Self { roles, by_principal, denies, assignment_count }
    }

    /// The number of role assignments.
    pub fn assignment_count(&self) -> usize {
        self.assignment_count
    }

    /// A role by GUID.
    pub fn role(&self, id: &str) -> Option<&Role> {
        self.roles.get(id.to_ascii_lowercase().as_str())
    }

    /// Every role.
    pub fn roles(&self) -> impl Iterator<Item = &Role> {
        self.roles.values()
    }

    /// A principal's assignments.
    pub fn assignments_of(&self, principal: &str) -> &[Assignment] {
        self.by_principal.get(principal.to_ascii_lowercase().as_str()).map_or(&[], Vec::as_slice)
    }

    /// Decides a request.
    pub fn decide(&self, request: &AccessRequest<'_>) -> Decision {
        let action = request.action.to_ascii_lowercase();
        let scope = request.scope.to_ascii_lowercase();
        let scope = if scope.is_empty() { "/".to_owned() } else { scope };
        let principal = request.principal.to_ascii_lowercase();
        let mut considered = Vec::new();
        let mut elsewhere = Vec::new();
        let mut granted_by = None;
        let mut pending = Vec::new();
        let identities = std::iter::once(principal.as_str()).chain(request.groups.iter().map(String::as_str));
        for who in identities {
            for a in self.by_principal.get(who).map_or(&[][..], Vec::as_slice) {
                if scope_applies(&a.scope, &scope) && a.effective_at > request.now {
                    pending.push(a.clone());
                } else if scope_applies(&a.scope, &scope) {
                    if granted_by.is_none() && self.roles.get(&a.role).is_some_and(|r| r.grants(&action, request.data))
                    {
                        granted_by = Some(a.clone());
                    }
                    considered.push(a.clone());
                } else {
                    elsewhere.push(a.clone());
                }
            }
        }
        let denied_by = self.deny_for(&principal, request.groups, &action, request.data, &scope).cloned();
        Decision {
            allowed: granted_by.is_some() && denied_by.is_none(),
            granted_by,
            denied_by,
            considered,
            elsewhere,
            pending,
        }
    }

    /// Whether `principal` holds, in effect at `now`, a role with control-plane permissions
    /// at `scope`, above it or anywhere below it. ARM lists a subscription to a principal with
    /// access to anything inside it (a Reader on one resource group sees the subscription).
    pub fn has_access_within(&self, principal: &str, scope: &str, now: i64) -> bool {
        let scope = scope.to_ascii_lowercase();
        self.assignments_of(principal).iter().any(|a| {
            a.effective_at <= now
                && (scope_applies(&scope, &a.scope) || scope_applies(&a.scope, &scope))
                && self.roles.get(&a.role).is_some_and(|r| r.blocks.iter().any(|b| !b.actions.is_empty()))
        })
    }

    /// [`Policy::decide`]'s answer without its reasons: no assignment is copied, for the data
    /// plane's hot path (the reasons are worked out only for a refusal).
    pub fn allows(&self, request: &AccessRequest<'_>) -> bool {
        let action = request.action.to_ascii_lowercase();
        let scope = request.scope.to_ascii_lowercase();
        let scope = if scope.is_empty() { "/".to_owned() } else { scope };
        let principal = request.principal.to_ascii_lowercase();
        let identities = std::iter::once(principal.as_str()).chain(request.groups.iter().map(String::as_str));
        let granted = identities.into_iter().any(|who| {
            self.by_principal.get(who).is_some_and(|list| {
                list.iter().any(|a| {
                    scope_applies(&a.scope, &scope)
                        && a.effective_at <= request.now
                        && self.roles.get(&a.role).is_some_and(|r| r.grants(&action, request.data))
                })
            })
        });
        granted && self.deny_for(&principal, request.groups, &action, request.data, &scope).is_none()
    }

    /// The deny assignment that refuses `action` at `scope` (all lower-case) to `principal` or
    /// its groups, if any.
    fn deny_for(&self, principal: &str, groups: &[String], action: &str, data: bool, scope: &str) -> Option<&Deny> {
        let member = |p: &String| *p == principal || groups.iter().any(|g| g.eq_ignore_ascii_case(p));
        self.denies.iter().find(|d| {
            let at = if d.do_not_apply_to_child_scopes { *d.scope == *scope } else { scope_applies(&d.scope, scope) };
            at && d.principals.iter().any(|p| p == EVERYONE || member(p))
                && !d.excluded.iter().any(member)
                && d.blocks.iter().any(|b| b.covers(action, data))
        })
    }

    /// The most specific roles that would grant `action` (narrowest first), for hints.
    pub fn roles_granting(&self, action: &str, data: bool) -> Vec<&Role> {
        let action = action.to_ascii_lowercase();
        let mut roles: Vec<&Role> = self.roles.values().filter(|r| r.grants(&action, data)).collect();
        roles.sort_by(|a, b| a.breadth.cmp(&b.breadth).then_with(|| a.name.cmp(&b.name)));
        roles
    }
}

/// The built-in roles, compiled.
pub fn builtin_roles() -> Vec<Role> {
    super::BUILTIN_ROLES
        .iter()
        .map(|r| Role {
            id: Arc::from(r.id.to_ascii_lowercase()),
            name: Arc::from(r.role_name),
            blocks: vec![PermissionBlock::new(r.actions, r.not_actions, r.data_actions, r.not_data_actions)],
            breadth: breadth(r.actions) + breadth(r.data_actions),
            assignable_scopes: vec!["/".to_owned()],
            custom: false,
        })
        .collect()
}

/// How broad a list is: a wildcard counts for much, a literal for one.
pub fn breadth(list: &[&str]) -> usize {
    list.iter().map(|p| if p.contains('*') { 100 * (4 - p.matches('/').count().min(3)) } else { 1 }).sum()
}
