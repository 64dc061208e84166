//! Secret operations: dispatch (route, name check, authorization), set and get; `lifecycle`
//! has the rest.

use super::auth::KvCaller;
use super::errors::KvError;
use super::lifecycle::{self, Paging};
use super::limits;
use super::routes::{self, Op, Route};
use crate::state::SharedState;
use crate::vault_access::{self, Model};
use axum::Json;
use axum::http::Method;
use axum::response::{IntoResponse, Response};
use inkan_store::{ResourceQuery, ResourceRecord, SecretVersionRecord};

/// Key Vault's 404 for a secret (or one version of it).
pub(super) fn not_found(name: &str, version: &str) -> KvError {
    KvError::not_found(
        "SecretNotFound",
        format!(
            "A secret with (name/id) {name}{} was not found in this key vault. If you recently deleted this secret you may be able to \
             recover it using the correct recovery command. For help resolving this issue, please see \
             https://go.microsoft.com/fwlink/?linkid=2125182",
            if version.is_empty() { String::new() } else { format!("/{version}") }
        ),
    )
}
use serde_json::{Value, json};
use std::sync::Arc;

/// The vault record behind a vault host name.
pub async fn find_vault(state: &SharedState, name: &str) -> Result<Arc<ResourceRecord>, KvError> {
    let global = format!("microsoft.keyvault/vaults/{name}");
    let known = state.vault_keys.get(name).map(|k| k.value().clone());
    if let Some(key) = known
        && let Some(vault) = state.store.resource_shared(&key).await?
        && vault.global_name.as_deref() == Some(global.as_str())
    {
        return Ok(vault);
    }
    let vaults = state
        .store
        .list_resources(&ResourceQuery { type_key: Some("microsoft.keyvault/vaults".into()), ..Default::default() })
        .await?;
    let found = vaults.into_iter().find(|v| v.global_name.as_deref() == Some(global.as_str())).map(Arc::new);
    if let Some(vault) = &found {
        state.vault_keys.insert(name.to_owned(), vault.key());
    }
    found.ok_or_else(|| {
        KvError::not_found(
            "VaultNotFound",
            format!("The vault '{name}' does not exist. Create it first (`inkan vault create -g <group> -n {name}`)."),
        )
    })
}

pub async fn dispatch(
    state: &SharedState,
    caller: &KvCaller,
    vault: &ResourceRecord,
    method: &Method,
    path: &str,
    body: &[u8],
    paging: &Paging<'_>,
) -> Result<Response, KvError> {
    let segments: Vec<&str> = path.trim_start_matches('/').trim_end_matches('/').split('/').collect();
    let Route { op, name, version } =
        routes::route(method, &segments).ok_or_else(|| KvError::not_implemented(&format!("{method} {path}")))?;
    if op.names_a_secret() {
        check_name(name)?;
        authorize(state, caller, vault, op.action(), name)?;
    } else {
        authorize(state, caller, vault, op.action(), "*")?;
    }
    match op {
        Op::List => lifecycle::list(state, vault, false, paging).await,
        Op::ListDeleted => lifecycle::list(state, vault, true, paging).await,
        Op::Restore => lifecycle::restore(state, vault, body).await,
        Op::Set => set_secret(state, vault, name, body).await,
        Op::Get => get_secret(state, vault, name, version).await,
        Op::Versions => lifecycle::versions(state, vault, name, paging).await,
        Op::Backup => lifecycle::backup(state, vault, name).await,
        Op::Update => lifecycle::update(state, vault, name, version, body).await,
        Op::Delete => lifecycle::delete(state, vault, name).await,
        Op::GetDeleted => lifecycle::get_deleted(state, vault, name).await,
        Op::Recover => lifecycle::recover(state, vault, name).await,
        Op::Purge => lifecycle::purge(state, vault, name).await,
    }
}

fn check_name(name: &str) -> Result<(), KvError> {
    if (1..=127).contains(&name.len()) && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Ok(());
    }
    Err(KvError::bad_parameter(format!(
        "The secret name '{name}' is invalid: use 1-127 characters of letters, digits and dashes."
    )))
}

/// The vault's base URL as clients address it.
pub(super) fn vault_url(state: &SharedState, vault: &ResourceRecord) -> String {
    vault.body["properties"]["vaultUri"].as_str().map(|u| u.trim_end_matches('/').to_owned()).unwrap_or_else(|| {
        format!("https://{}.{}", vault.body["name"].as_str().unwrap_or_default(), state.urls.vault_suffix())
    })
}

/// Authorizes a data action on a secret (`*`: the vault's secrets) through the vault's model,
/// with Key Vault's 403s.
fn authorize(
    state: &SharedState,
    caller: &KvCaller,
    vault: &ResourceRecord,
    action: &str,
    secret: &str,
) -> Result<(), KvError> {
    let scope = format!("{}/secrets/{secret}", vault.id);
    let (principal, application) = (caller.object_id.as_str(), Some(caller.client_id.as_str()));
    if vault_access::allows(state, vault, principal, application, action, &scope) {
        return Ok(());
    }
    let decision = vault_access::decide_for(state, vault, principal, application, action, &scope);
    if decision.allowed {
        // The policy changed between the two looks: the later answer stands.
        return Ok(());
    }
    let vault_name = vault.body["name"].as_str().unwrap_or_default();
    let location = vault.body["location"].as_str().unwrap_or_default();
    let who = format!("appid={};oid={};iss={}", caller.client_id, caller.object_id, caller.issuer);
    Err(match decision.model {
        Model::Rbac => KvError::forbidden(
            Some("ForbiddenByRbac"),
            format!(
                "Caller is not authorized to perform action on resource.\r\nIf role assignments, deny assignments or role definitions \
                 were changed recently, please observe propagation time.\r\nCaller: {who}\r\nAction: '{action}'\r\nResource: '{}'\r\n\
                 Assignment: (not found)\r\nDenyAssignmentId: null\r\nDecisionReason: 'DeniedWithNoValidRBAC' \r\nVault: {vault_name};location={location}\r\n\
                 inkan: {}",
                scope.to_ascii_lowercase(),
                decision.explanation
            ),
        ),
        Model::AccessPolicy if decision.explanation.contains("Caller was not found") => KvError::forbidden(
            None,
            format!(
                "Access denied. Caller was not found on any access policy.\r\nCaller: {who}\r\ninkan: {}",
                decision.explanation
            ),
        ),
        Model::AccessPolicy => KvError::forbidden(
            Some("AccessDenied"),
            format!(
                "The user, group or application '{who}' does not have secrets {} permission on key vault '{vault_name};location={location}'. \
                 For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125287\r\ninkan: {}",
                inkan_core::rbac::access_policy::permission_for(action).map_or("", |(_, p)| p),
                decision.explanation
            ),
        ),
    })
}

async fn set_secret(state: &SharedState, vault: &ResourceRecord, name: &str, body: &[u8]) -> Result<Response, KvError> {
    let request: Value = serde_json::from_slice(body).map_err(|e| {
        KvError::bad_parameter(format!("The request body is not JSON ({e}); send {{\"value\": \"...\"}}."))
    })?;
    let value = request["value"]
        .as_str()
        .ok_or_else(|| KvError::bad_parameter("The request body needs 'value', a string.".into()))?;
    limits::check_value(value)?;
    let content_type = limits::content_type(&request)?;
    let tags = limits::tags(&request)?;
    let attributes = limits::attributes(&request)?;
    // Only a valid request may purge a deleted secret whose retention has passed.
    lifecycle::purge_if_due(state, vault, name).await?;
    let now = state.clock.unix();
    let record = SecretVersionRecord {
        vault_key: vault.key(),
        name: name.to_owned(),
        version: inkan_crypto::random::hex::<16>(),
        value: zeroize::Zeroizing::new(value.to_owned()),
        content_type: content_type.apply(None),
        tags: tags.unwrap_or_else(|| json!({})),
        enabled: attributes.enabled.unwrap_or(true),
        not_before: attributes.not_before.apply(None),
        expires: attributes.expires.apply(None),
        created: now,
        updated: now,
    };
    match state.store.set_secret(record.clone()).await {
        Ok(()) => {}
        Err(inkan_store::StoreError::Conflict(inkan_store::Conflict::SecretDeleted { .. })) => {
            return Err(KvError::conflict(format!(
                "Secret {name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the \
                 secret can only be recovered or purged."
            )));
        }
        Err(e) => return Err(e.into()),
    }
    let stored =
        state.store.secret_version(&vault.key(), name, &record.version).await?.ok_or_else(KvError::internal)?;
    Ok(Json(bundle(state, vault, &stored, true)).into_response())
}

async fn get_secret(
    state: &SharedState,
    vault: &ResourceRecord,
    name: &str,
    version: &str,
) -> Result<Response, KvError> {
    let not_found = || not_found(name, version);
    if !version.is_empty() && !limits::is_version_id(version) {
        return Err(not_found());
    }
    let deleted = state.store.secret(&vault.key(), name).await?.is_some_and(|s| s.deleted_at.is_some());
    if deleted {
        return Err(not_found());
    }
    let found = state.store.secret_version(&vault.key(), name, version).await?.ok_or_else(not_found)?;
    let now = state.clock.unix();
    if !found.enabled {
        return Err(KvError::forbidden(
            Some("SecretDisabled"),
            format!("Operation get is not allowed on a disabled secret ({name})."),
        ));
    }
    if found.not_before.is_some_and(|nbf| nbf > now) || found.expires.is_some_and(|exp| exp <= now) {
        return Err(KvError::forbidden(
            Some("SecretNotValid"),
            format!(
                "Operation get is not allowed: secret {name} is not yet valid or has expired (its nbf/exp attributes)."
            ),
        ));
    }
    Ok(Json(bundle(state, vault, &found, true)).into_response())
}

/// A SecretBundle.
pub(super) fn bundle(state: &SharedState, vault: &ResourceRecord, v: &SecretVersionRecord, with_value: bool) -> Value {
    let retention = vault.body["properties"]["softDeleteRetentionInDays"].as_i64().unwrap_or(90);
    let mut attributes = json!({
        "enabled": v.enabled,
        "created": v.created,
        "updated": v.updated,
        "recoveryLevel": if vault.body["properties"]["enablePurgeProtection"] == true { "Recoverable" } else { "Recoverable+Purgeable" },
        "recoverableDays": retention,
    });
    if let Some(nbf) = v.not_before {
        attributes["nbf"] = json!(nbf);
    }
    if let Some(exp) = v.expires {
        attributes["exp"] = json!(exp);
    }
    let mut out = json!({
        "id": format!("{}/secrets/{}/{}", vault_url(state, vault), v.name, v.version),
        "attributes": attributes,
        "tags": v.tags,
    });
    if with_value {
        out["value"] = json!(v.value.as_str());
    }
    if let Some(ct) = &v.content_type {
        out["contentType"] = json!(ct);
    }
    out
}
