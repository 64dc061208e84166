//! Per-type behaviour: the properties each resource provider computes, defaults and validates.
//! One function per type; types without server-computed properties need none.

use super::error::ArmError;
use super::identities::new_identity_principal;
use crate::state::SharedState;
use inkan_core::arm::ResourceId;
use inkan_core::ids::parse_guid;
use inkan_store::{PrincipalKind, ResourceChange, ResourceQuery, ResourceRecord};
use serde_json::{Map, Value, json};

/// What a hook may read.
pub(super) struct HookInput<'a> {
    pub state: &'a SharedState,
    pub caller: &'a super::auth::Caller,
    pub id: &'a ResourceId,
    pub api_version: &'a str,
    pub existing: Option<&'a ResourceRecord>,
}

impl HookInput<'_> {
    fn existing_property(&self, name: &str) -> Option<&Value> {
        self.existing.map(|r| &r.body["properties"][name]).filter(|v| !v.is_null())
    }
}

/// Computes and validates the type's properties in place. `top` is the request body (for
/// top-level fields such as `sku`).
pub(super) async fn prepare(
    input: &HookInput<'_>,
    top: &Map<String, Value>,
    props: &mut Map<String, Value>,
    change: &mut ResourceChange,
) -> Result<(), ArmError> {
    let type_name = input.id.resource_type().unwrap_or_default().to_ascii_lowercase();
    match type_name.as_str() {
        "microsoft.managedidentity/userassignedidentities" => user_assigned_identity(input, props, change),
        "microsoft.managedidentity/userassignedidentities/federatedidentitycredentials" => {
            federated_credential(input, props).await
        }
        "microsoft.compute/virtualmachines" => {
            keep_or(input, props, "vmId", || json!(uuid::Uuid::new_v4().to_string()));
            Ok(())
        }
        "microsoft.web/sites" | "microsoft.web/sites/slots" => {
            site(input, props);
            Ok(())
        }
        "microsoft.containerservice/managedclusters" => managed_cluster(input, props).await,
        "microsoft.keyvault/vaults" => vault(input, props),
        "microsoft.containerregistry/registries" => registry(input, top, props),
        "microsoft.authorization/denyassignments" => deny_assignment(input, props),
        _ => Ok(()),
    }?;
    props.insert("provisioningState".into(), json!("Succeeded"));
    Ok(())
}

fn keep_or(input: &HookInput<'_>, props: &mut Map<String, Value>, name: &str, make: impl FnOnce() -> Value) {
    let value = input.existing_property(name).cloned().unwrap_or_else(make);
    props.insert(name.into(), value);
}

fn user_assigned_identity(
    input: &HookInput<'_>,
    props: &mut Map<String, Value>,
    change: &mut ResourceChange,
) -> Result<(), ArmError> {
    let existing = (input.existing_property("principalId"), input.existing_property("clientId"));
    let (principal_id, client_id) = match existing {
        (Some(p), Some(c)) => (p.clone(), c.clone()),
        _ => {
            let principal = new_identity_principal(input.state, input.id, PrincipalKind::UserAssigned);
            let ids = (json!(principal.object_id.to_string()), json!(principal.client_id.to_string()));
            change.new_principals.push(principal);
            ids
        }
    };
    props.insert("tenantId".into(), json!(input.state.tenant_id.to_string()));
    props.insert("principalId".into(), principal_id);
    props.insert("clientId".into(), client_id);
    Ok(())
}

async fn federated_credential(input: &HookInput<'_>, props: &mut Map<String, Value>) -> Result<(), ArmError> {
    let bad = |m: String| ArmError::bad_request("BadRequest", m);
    let text = |name: &str| props.get(name).and_then(Value::as_str).map(str::to_owned);
    let issuer = text("issuer").ok_or_else(|| bad("Federated identity credentials need 'properties.issuer', the https URL of the token issuer (for AKS, the cluster's oidcIssuerProfile.issuerURL).".into()))?;
    let subject = text("subject").ok_or_else(|| bad("Federated identity credentials need 'properties.subject', e.g. 'system:serviceaccount:<namespace>:<name>'.".into()))?;
    if !issuer.starts_with("https://") || issuer.len() > 600 || issuer.trim() != issuer {
        return Err(bad(format!(
            "The issuer '{issuer}' must be an https URL of at most 600 characters, without surrounding whitespace."
        )));
    }
    if subject.is_empty() || subject.len() > 600 || subject.contains('*') {
        return Err(bad("The subject must be 1-600 characters and cannot contain wildcards.".into()));
    }
    let audiences = props.get("audiences").and_then(Value::as_array).cloned().unwrap_or_default();
    if audiences.len() != 1 || !audiences[0].is_string() {
        return Err(bad(
            "Federated identity credentials must have exactly one audience. Use [\"api://AzureADTokenExchange\"]."
                .into(),
        ));
    }
    let parent = input.id.parent().unwrap_or_else(ResourceId::root);
    let siblings = input
        .state
        .store
        .list_resources(&ResourceQuery { parent_key: Some(parent.key().to_owned()), ..Default::default() })
        .await?;
    let others: Vec<_> = siblings.iter().filter(|s| s.key() != input.id.key()).collect();
    if input.existing.is_none() && others.len() >= 20 {
        return Err(bad("A user-assigned identity can have at most 20 federated identity credentials.".into()));
    }
    if let Some(clash) = others
        .iter()
        .find(|s| s.body["properties"]["issuer"] == json!(issuer) && s.body["properties"]["subject"] == json!(subject))
    {
        return Err(bad(format!(
            "Issuer and subject combination already exists for this Managed Identity (in '{}').",
            clash.body["name"].as_str().unwrap_or_default()
        )));
    }
    Ok(())
}

fn site(input: &HookInput<'_>, props: &mut Map<String, Value>) {
    let name = input.id.name().unwrap_or_default().to_ascii_lowercase();
    let host = match input.id.parent().filter(|p| p.resource_type().is_some()) {
        Some(site) => format!("{}-{name}", site.name().unwrap_or_default().to_ascii_lowercase()),
        None => name,
    };
    props.insert("defaultHostName".into(), json!(format!("{host}.azurewebsites.{}", input.state.urls.domain)));
    props.entry("state").or_insert(json!("Running"));
    props.entry("enabled").or_insert(json!(true));
}

async fn managed_cluster(input: &HookInput<'_>, props: &mut Map<String, Value>) -> Result<(), ArmError> {
    let name = input.id.name().unwrap_or_default().to_ascii_lowercase();
    let prefix = props.get("dnsPrefix").and_then(Value::as_str).map_or_else(|| name.clone(), str::to_owned);
    props.insert("fqdn".into(), json!(format!("{prefix}.hcp.{}", input.state.urls.domain)));
    let oidc_enabled = props.get("oidcIssuerProfile").and_then(|p| p["enabled"].as_bool()).unwrap_or(false);
    if oidc_enabled {
        let cluster_key =
            input.existing_property("oidcIssuerProfile").and_then(|p| p["issuerURL"].as_str()).map(str::to_owned);
        let issuer = cluster_key.unwrap_or_else(|| format!("{}/oidc/{}/", input.state.urls.base, uuid::Uuid::new_v4()));
        props.insert("oidcIssuerProfile".into(), json!({"enabled": true, "issuerURL": issuer}));
    }
    let kubelet =
        props.get("identityProfile").and_then(|p| p["kubeletidentity"]["resourceId"].as_str()).map(str::to_owned);
    if let Some(resource_id) = kubelet {
        let id = ResourceId::parse(&resource_id).map_err(|e| ArmError::invalid_resource_id(&e))?;
        let found = input
            .state
            .store
            .resource(id.key())
            .await?
            .filter(|r| r.type_key == "microsoft.managedidentity/userassignedidentities");
        let Some(found) = found else {
            return Err(ArmError::bad_request(
                "InvalidParameter",
                format!(
                    "The kubelet identity '{resource_id}' does not exist; create the user-assigned identity first."
                ),
            ));
        };
        let previous =
            input.existing_property("identityProfile").and_then(|p| p["kubeletidentity"]["resourceId"].as_str());
        if !previous.is_some_and(|p| p.eq_ignore_ascii_case(&resource_id)) {
            super::identities::require_assign(input.state, input.caller, input.id, &id)?;
        }
        props.insert(
            "identityProfile".into(),
            json!({"kubeletidentity": {
                "resourceId": found.id,
                "clientId": found.body["properties"]["clientId"],
                "objectId": found.body["properties"]["principalId"],
            }}),
        );
    }
    Ok(())
}

const SECRET_PERMISSIONS: &[&str] = &["all", "get", "list", "set", "delete", "backup", "restore", "recover", "purge"];

fn vault(input: &HookInput<'_>, props: &mut Map<String, Value>) -> Result<(), ArmError> {
    let bad = |m: String| ArmError::bad_request("BadRequest", m);
    let tenant = props.get("tenantId").and_then(Value::as_str).ok_or_else(|| {
        bad(format!("The parameter properties.tenantId is required. inkan's tenant is '{}'.", input.state.tenant_id))
    })?;
    if parse_guid(tenant).is_err() {
        return Err(bad(format!("The tenantId '{tenant}' is not a GUID.")));
    }
    let sku = props.get("sku").cloned().ok_or_else(|| {
        bad("The parameter properties.sku is required, e.g. {\"family\": \"A\", \"name\": \"standard\"}.".into())
    })?;
    let sku_name = sku["name"].as_str().unwrap_or_default().to_ascii_lowercase();
    if sku_name != "standard" && sku_name != "premium" {
        return Err(bad(format!("The sku name '{}' is invalid; use 'standard' or 'premium'.", sku["name"])));
    }
    let name = input.id.name().unwrap_or_default().to_ascii_lowercase();
    props.insert("vaultUri".into(), json!(format!("https://{name}.{}/", input.state.urls.vault_suffix())));
    // Starting with api-version 2026-02-01 Azure RBAC is the default for new vaults.
    let rbac_default = input.api_version >= "2026-02-01";
    props.entry("enableRbacAuthorization").or_insert(json!(rbac_default));
    props.entry("enableSoftDelete").or_insert(json!(true));
    let retention = props.entry("softDeleteRetentionInDays").or_insert(json!(90));
    if !retention.as_i64().is_some_and(|d| (7..=90).contains(&d)) {
        return Err(bad(format!("softDeleteRetentionInDays must be between 7 and 90 (was {retention}).")));
    }
    let was_protected = input.existing_property("enablePurgeProtection").and_then(Value::as_bool).unwrap_or(false);
    if was_protected && props.get("enablePurgeProtection").and_then(Value::as_bool) == Some(false) {
        return Err(bad("Purge protection cannot be disabled once it is enabled on a vault.".into()));
    }
    let policies = props.entry("accessPolicies").or_insert(json!([]));
    let Some(policies) = policies.as_array() else {
        return Err(bad("accessPolicies must be an array.".into()));
    };
    for (i, policy) in policies.iter().enumerate() {
        for field in ["tenantId", "objectId"] {
            if policy[field].as_str().is_none_or(|s| parse_guid(s).is_err()) {
                return Err(bad(format!("accessPolicies[{i}].{field} must be a GUID.")));
            }
        }
        let secrets = policy["permissions"]["secrets"].as_array().cloned().unwrap_or_default();
        if let Some(unknown) = secrets
            .iter()
            .find(|p| !p.as_str().is_some_and(|s| SECRET_PERMISSIONS.contains(&s.to_ascii_lowercase().as_str())))
        {
            return Err(bad(format!(
                "accessPolicies[{i}].permissions.secrets has the unknown permission {unknown}; valid values are {}.",
                SECRET_PERMISSIONS.join(", ")
            )));
        }
    }
    Ok(())
}

fn registry(input: &HookInput<'_>, top: &Map<String, Value>, props: &mut Map<String, Value>) -> Result<(), ArmError> {
    let sku = top.get("sku").and_then(|s| s["name"].as_str()).unwrap_or_default();
    if !["basic", "standard", "premium"].contains(&sku.to_ascii_lowercase().as_str()) {
        return Err(ArmError::bad_request(
            "InvalidSku",
            format!("The registry sku '{sku}' is invalid; set sku.name to 'Basic', 'Standard' or 'Premium'."),
        ));
    }
    let name = input.id.name().unwrap_or_default().to_ascii_lowercase();
    props.insert("loginServer".into(), json!(format!("{name}.{}", input.state.urls.registry_suffix())));
    props.entry("adminUserEnabled").or_insert(json!(false));
    keep_or(input, props, "creationDate", || json!(inkan_core::clock::rfc3339(input.state.clock.now())));
    Ok(())
}

/// Azure creates deny assignments only through managed applications and blueprints; inkan lets
/// the administrator create them so deny rules can be tested.
fn deny_assignment(input: &HookInput<'_>, props: &mut Map<String, Value>) -> Result<(), ArmError> {
    let bad = |m: String| ArmError::bad_request("InvalidDenyAssignment", m);
    let permissions = props.get("permissions").and_then(Value::as_array).cloned().unwrap_or_default();
    if permissions.is_empty() {
        return Err(bad(
            "A deny assignment needs 'properties.permissions': [{\"actions\": [...], \"dataActions\": [...]}].".into(),
        ));
    }
    for (i, block) in permissions.iter().enumerate() {
        for list in ["actions", "notActions", "dataActions", "notDataActions"] {
            let ok = block.get(list).is_none_or(|v| v.as_array().is_some_and(|a| a.iter().all(Value::is_string)));
            if !ok {
                return Err(bad(format!("permissions[{i}].{list} must be an array of strings.")));
            }
        }
    }
    for list in ["principals", "excludePrincipals"] {
        let entries = props.get(list).and_then(Value::as_array).cloned().unwrap_or_default();
        if list == "principals" && entries.is_empty() {
            return Err(bad(format!(
                "A deny assignment needs 'properties.principals': [{{\"id\": \"<object id>\", \"type\": \"ServicePrincipal\"}}], or the id {} for everyone.",
                inkan_core::rbac::engine::EVERYONE
            )));
        }
        if let Some(bad_entry) = entries.iter().find(|p| p["id"].as_str().is_none_or(|id| parse_guid(id).is_err())) {
            return Err(bad(format!("{list} entries need a GUID 'id'; got {bad_entry}.")));
        }
    }
    props.entry("denyAssignmentName").or_insert_with(|| json!(input.id.name().unwrap_or_default()));
    props.entry("doNotApplyToChildScopes").or_insert(json!(false));
    props.insert("scope".into(), json!(input.id.extension_scope().as_str()));
    props.insert("isSystemProtected".into(), json!(false));
    Ok(())
}
