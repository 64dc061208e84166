//! Resource providers: `/subscriptions/{s}/providers[/{namespace}[/register|/unregister]]` and
//! `/providers[/{namespace}]`. Tools check and register providers before they deploy (az
//! `provider show` / `provider register`, Terraform's azurerm at start-up); inkan serves the
//! namespaces of the types it implements, always registered, from its type table.

use super::auth::{Caller, authorize};
use super::error::ArmError;
use super::request::{ArmRequest, json_response, list_response};
use crate::state::SharedState;
use axum::http::{Method, StatusCode};
use axum::response::Response;
use inkan_core::arm::supported_api_versions;
use inkan_core::arm::types::{all_types, types_in_namespace};
use serde_json::{Value, json};

/// A provider path, parsed from `/subscriptions/{s}/providers...` or `/providers...`.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct ProviderPath<'p> {
    pub subscription: Option<&'p str>,
    pub namespace: Option<&'p str>,
    /// `register` or `unregister`.
    pub action: Option<&'p str>,
}

/// Recognises the provider paths; `None` for anything else (resources under a namespace are
/// not provider paths: they have a type segment).
pub(super) fn parse(path: &str) -> Option<ProviderPath<'_>> {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let (subscription, rest) = match segments.as_slice() {
        [s, id, rest @ ..] if s.eq_ignore_ascii_case("subscriptions") => (Some(*id), rest),
        rest => (None, rest),
    };
    match rest {
        [p] if p.eq_ignore_ascii_case("providers") => {
            Some(ProviderPath { subscription, namespace: None, action: None })
        }
        [p, ns] if p.eq_ignore_ascii_case("providers") && ns.contains('.') => {
            Some(ProviderPath { subscription, namespace: Some(ns), action: None })
        }
        [p, ns, action]
            if p.eq_ignore_ascii_case("providers")
                && subscription.is_some()
                && (action.eq_ignore_ascii_case("register") || action.eq_ignore_ascii_case("unregister")) =>
        {
            Some(ProviderPath { subscription, namespace: Some(ns), action: Some(action) })
        }
        _ => None,
    }
}

pub(super) async fn handle(
    state: &SharedState,
    caller: &Caller,
    req: &ArmRequest,
    path: &ProviderPath<'_>,
) -> Result<Response, ArmError> {
    req.api_version_for("Microsoft.Resources/providers")?;
    let scope = path.subscription.map(|s| format!("/subscriptions/{s}")).unwrap_or_else(|| "/".to_owned());
    let Some(namespace) = path.namespace else {
        req.require_get("the provider collection")?;
        may_read(state, caller, path, &scope)?;
        let all = namespaces().into_iter().map(|ns| render(path.subscription, ns)).collect();
        return Ok(list_response(all));
    };
    let known = namespaces().into_iter().find(|ns| ns.eq_ignore_ascii_case(namespace)).ok_or_else(|| {
        ArmError::not_found(
            "InvalidResourceNamespace",
            format!("The resource namespace '{namespace}' is invalid. inkan serves: {}.", namespaces().join(", ")),
        )
    })?;
    match (path.action, &req.method) {
        (None, &Method::GET) => {
            may_read(state, caller, path, &scope)?;
            Ok(json_response(StatusCode::OK, &render(path.subscription, known)))
        }
        (Some(action), &Method::POST) => {
            authorize(state, caller, &format!("{known}/{}/action", action.to_ascii_lowercase()), &scope)?;
            if action.eq_ignore_ascii_case("unregister") {
                return Err(ArmError::bad_request(
                    "ProviderUnregistrationNotSupported",
                    format!("inkan keeps '{known}' registered: it serves its resource types on every subscription."),
                ));
            }
            Ok(json_response(StatusCode::OK, &render(path.subscription, known)))
        }
        _ => Err(ArmError::method_not_allowed(req.method.as_str(), "resource providers")),
    }
}

/// Providers of a subscription are readable by whoever sees it (a Reader on one group:
/// Terraform lists providers at start); the tenant's list by any authenticated caller.
fn may_read(state: &SharedState, caller: &Caller, path: &ProviderPath<'_>, scope: &str) -> Result<(), ArmError> {
    match path.subscription {
        Some(_) => super::subscriptions::may_see(state, caller, scope),
        None => Ok(()),
    }
}

/// The namespaces of the types inkan serves, sorted.
fn namespaces() -> Vec<&'static str> {
    let mut all: Vec<&'static str> =
        all_types().iter().filter_map(|t| t.name.split('/').next()).chain(["Microsoft.Resources"]).collect();
    all.sort_unstable();
    all.dedup();
    all
}

fn render(subscription: Option<&str>, namespace: &str) -> Value {
    let resource_types: Vec<Value> = types_in_namespace(namespace)
        .into_iter()
        .map(|name| {
            json!({
                "resourceType": name.split_once('/').map_or(name, |(_, rest)| rest),
                "locations": [],
                "apiVersions": supported_api_versions(name).unwrap_or_default().into_iter().rev().collect::<Vec<_>>(),
                "capabilities": "None",
            })
        })
        .collect();
    let mut out = json!({
        "id": match subscription {
            Some(s) => format!("/subscriptions/{s}/providers/{namespace}"),
            None => format!("/providers/{namespace}"),
        },
        "namespace": namespace,
        "resourceTypes": resource_types,
    });
    if subscription.is_some() {
        out["registrationState"] = json!("Registered");
        out["registrationPolicy"] = json!("RegistrationRequired");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_paths_are_told_from_resource_paths() {
        let p = |path| parse(path).map(|p| (p.subscription, p.namespace, p.action));
        assert_eq!(p("/subscriptions/s/providers"), Some((Some("s"), None, None)));
        assert_eq!(
            p("/subscriptions/s/providers/Microsoft.KeyVault"),
            Some((Some("s"), Some("Microsoft.KeyVault"), None))
        );
        assert_eq!(
            p("/subscriptions/s/providers/Microsoft.KeyVault/register"),
            Some((Some("s"), Some("Microsoft.KeyVault"), Some("register")))
        );
        assert_eq!(p("/providers/Microsoft.Web"), Some((None, Some("Microsoft.Web"), None)));
        assert_eq!(p("/subscriptions/s/providers/Microsoft.KeyVault/vaults"), None, "a collection of vaults");
        assert_eq!(p("/providers/Microsoft.Authorization/roleDefinitions"), None);
        assert_eq!(p("/subscriptions/s/resourceGroups/g/providers"), None);
    }

    #[test]
    fn every_served_namespace_is_listed_with_its_types() {
        let all = namespaces();
        assert!(all.contains(&"Microsoft.KeyVault") && all.contains(&"Microsoft.ManagedIdentity"), "{all:?}");
        let kv = render(Some("s"), "Microsoft.KeyVault");
        assert_eq!(kv["registrationState"], "Registered");
        assert!(kv["resourceTypes"].as_array().unwrap().iter().any(|t| t["resourceType"] == "vaults"), "{kv}");
    }
}
