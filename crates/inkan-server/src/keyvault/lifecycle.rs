//! Listing, updating, deleting (soft delete, recovery, purge) and backing up secrets. Each
//! operation runs authorized: `secrets::dispatch` checks the name and the data action first.

use super::errors::KvError;
use super::limits;
use super::secrets::{bundle, not_found, vault_url};
use crate::state::SharedState;
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use inkan_store::{ResourceRecord, SecretVersionRecord};
use serde_json::{Value, json};

/// The largest page Key Vault returns.
const MAX_PAGE: usize = 25;

/// Query parameters of list operations.
pub struct Paging<'a> {
    pub api_version: &'a str,
    pub max_results: Option<&'a str>,
    pub skip_token: Option<&'a str>,
}

fn page_size(p: &Paging<'_>) -> Result<usize, KvError> {
    match p.max_results {
        None => Ok(MAX_PAGE),
        Some(v) => v
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_PAGE).contains(n))
            .ok_or_else(|| KvError::bad_parameter(format!("maxresults must be 1-{MAX_PAGE} (got '{v}')."))),
    }
}

fn decode_token(token: Option<&str>) -> Result<Option<String>, KvError> {
    token
        .map(|t| {
            URL_SAFE_NO_PAD
                .decode(t)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| KvError::bad_parameter("The $skiptoken is not one this vault issued.".into()))
        })
        .transpose()
}

fn next_link(base: &str, p: &Paging<'_>, size: usize, last: Option<&str>, full: bool) -> Value {
    match (full, last) {
        (true, Some(last)) => json!(format!(
            "{base}?api-version={}&$skiptoken={}&maxresults={size}",
            p.api_version,
            URL_SAFE_NO_PAD.encode(last.as_bytes())
        )),
        _ => Value::Null,
    }
}

fn item(state: &SharedState, vault: &ResourceRecord, v: &SecretVersionRecord, with_version: bool) -> Value {
    let mut out = bundle(state, vault, v, false);
    if !with_version {
        out["id"] = json!(format!("{}/secrets/{}", vault_url(state, vault), v.name));
    }
    out
}

fn deleted_fields(
    state: &SharedState,
    vault: &ResourceRecord,
    name: &str,
    deleted: Option<i64>,
    purge: Option<i64>,
) -> Value {
    json!({
        "recoveryId": format!("{}/deletedsecrets/{name}", vault_url(state, vault)),
        "deletedDate": deleted,
        "scheduledPurgeDate": purge,
    })
}

fn merge(mut a: Value, b: Value) -> Value {
    if let (Some(a), Some(b)) = (a.as_object_mut(), b.as_object()) {
        for (k, v) in b {
            a.insert(k.clone(), v.clone());
        }
    }
    a
}

/// `GET /secrets` and `GET /deletedsecrets`: paged, in name order, stable under writes.
pub async fn list(
    state: &SharedState,
    vault: &ResourceRecord,
    deleted: bool,
    p: &Paging<'_>,
) -> Result<Response, KvError> {
    let size = page_size(p)?;
    let after = decode_token(p.skip_token)?;
    let mut rows = state.store.list_secrets(&vault.key(), deleted, after.as_deref(), size + 1).await?;
    let full = rows.len() > size;
    rows.truncate(size);
    let last = rows.last().map(|(s, _)| s.name.to_ascii_lowercase());
    let now = state.clock.unix();
    let items: Vec<Value> = rows
        .iter()
        .filter(|(s, _)| s.scheduled_purge.is_none_or(|t| t > now))
        .map(|(s, v)| {
            let base = item(state, vault, v, false);
            if deleted {
                merge(base, deleted_fields(state, vault, &s.name, s.deleted_at, s.scheduled_purge))
            } else {
                base
            }
        })
        .collect();
    let base = format!("{}/{}", vault_url(state, vault), if deleted { "deletedsecrets" } else { "secrets" });
    Ok(Json(json!({"value": items, "nextLink": next_link(&base, p, size, last.as_deref(), full)})).into_response())
}

/// `GET /secrets/{name}/versions`.
pub async fn versions(
    state: &SharedState,
    vault: &ResourceRecord,
    name: &str,
    p: &Paging<'_>,
) -> Result<Response, KvError> {
    let size = page_size(p)?;
    let after = decode_token(p.skip_token)?;
    let all = state.store.secret_versions(&vault.key(), name).await?;
    if all.is_empty() || live(state, vault, name).await?.is_none() {
        return Err(not_found(name, ""));
    }
    let start = after.as_deref().and_then(|a| all.iter().position(|v| v.version == a)).map_or(0, |i| i + 1);
    let page: Vec<&SecretVersionRecord> = all.iter().skip(start).take(size).collect();
    let full = all.len() > start + size;
    let last = page.last().map(|v| v.version.clone());
    let items: Vec<Value> = page.iter().map(|v| item(state, vault, v, true)).collect();
    let base = format!("{}/secrets/{name}/versions", vault_url(state, vault));
    Ok(Json(json!({"value": items, "nextLink": next_link(&base, p, size, last.as_deref(), full)})).into_response())
}

async fn live(
    state: &SharedState,
    vault: &ResourceRecord,
    name: &str,
) -> Result<Option<inkan_store::SecretRecord>, KvError> {
    Ok(state.store.secret(&vault.key(), name).await?.filter(|s| s.deleted_at.is_none()))
}

/// `PATCH /secrets/{name}/{version}`: content type, tags and attributes.
pub async fn update(
    state: &SharedState,
    vault: &ResourceRecord,
    name: &str,
    version: &str,
    body: &[u8],
) -> Result<Response, KvError> {
    if live(state, vault, name).await?.is_none() || !(version.is_empty() || limits::is_version_id(version)) {
        return Err(not_found(name, version));
    }
    let mut current =
        state.store.secret_version(&vault.key(), name, version).await?.ok_or_else(|| not_found(name, version))?;
    let patch: Value = serde_json::from_slice(body)
        .map_err(|e| KvError::bad_parameter(format!("The request body is not JSON ({e}).")))?;
    let content_type = limits::content_type(&patch)?;
    let tags = limits::tags(&patch)?;
    let attributes = limits::attributes(&patch)?;
    current.content_type = content_type.apply(current.content_type.take());
    if let Some(tags) = tags {
        current.tags = tags;
    }
    if let Some(enabled) = attributes.enabled {
        current.enabled = enabled;
    }
    current.not_before = attributes.not_before.apply(current.not_before);
    current.expires = attributes.expires.apply(current.expires);
    current.updated = state.clock.unix();
    state.store.update_secret_version(current.clone()).await?;
    Ok(Json(bundle(state, vault, &current, false)).into_response())
}

/// `DELETE /secrets/{name}`: soft delete for the vault's retention, or for good when soft
/// delete is off.
pub async fn delete(state: &SharedState, vault: &ResourceRecord, name: &str) -> Result<Response, KvError> {
    let Some(secret) = live(state, vault, name).await? else { return Err(not_found(name, "")) };
    let latest = state.store.secret_version(&vault.key(), name, "").await?.ok_or_else(|| not_found(name, ""))?;
    let props = &vault.body["properties"];
    let mut out = bundle(state, vault, &latest, false);
    if props["enableSoftDelete"] == false {
        state.store.purge_secret(&vault.key(), &secret.name).await?;
        return Ok(Json(out).into_response());
    }
    let now = state.clock.unix();
    let purge_at = now + props["softDeleteRetentionInDays"].as_i64().unwrap_or(90) * 86_400;
    state.store.mark_secret_deleted(&vault.key(), &secret.name, Some((now, purge_at))).await?;
    out = merge(out, deleted_fields(state, vault, &secret.name, Some(now), Some(purge_at)));
    Ok(Json(out).into_response())
}

/// Purges `name` once its retention has passed. Azure purges on a schedule; inkan purges on the
/// first request that touches the name (and lists skip it), which clients cannot tell apart.
pub async fn purge_if_due(state: &SharedState, vault: &ResourceRecord, name: &str) -> Result<(), KvError> {
    if let Some(secret) = state.store.secret(&vault.key(), name).await?
        && secret.deleted_at.is_some()
        && secret.scheduled_purge.is_some_and(|t| t <= state.clock.unix())
    {
        state.store.purge_secret(&vault.key(), &secret.name).await?;
    }
    Ok(())
}

async fn deleted(
    state: &SharedState,
    vault: &ResourceRecord,
    name: &str,
) -> Result<inkan_store::SecretRecord, KvError> {
    purge_if_due(state, vault, name).await?;
    state.store.secret(&vault.key(), name).await?.filter(|s| s.deleted_at.is_some()).ok_or_else(|| {
        KvError::not_found(
            "SecretNotFound",
            format!("Deleted Secret not found: a deleted secret named {name} does not exist in this vault."),
        )
    })
}

/// `GET /deletedsecrets/{name}`.
pub async fn get_deleted(state: &SharedState, vault: &ResourceRecord, name: &str) -> Result<Response, KvError> {
    let secret = deleted(state, vault, name).await?;
    let latest = state.store.secret_version(&vault.key(), name, "").await?.ok_or_else(KvError::internal)?;
    let out = merge(
        bundle(state, vault, &latest, false),
        deleted_fields(state, vault, &secret.name, secret.deleted_at, secret.scheduled_purge),
    );
    Ok(Json(out).into_response())
}

/// `POST /deletedsecrets/{name}/recover`.
pub async fn recover(state: &SharedState, vault: &ResourceRecord, name: &str) -> Result<Response, KvError> {
    let secret = deleted(state, vault, name).await?;
    state.store.mark_secret_deleted(&vault.key(), &secret.name, None).await?;
    let latest = state.store.secret_version(&vault.key(), name, "").await?.ok_or_else(KvError::internal)?;
    Ok(Json(bundle(state, vault, &latest, false)).into_response())
}

/// `DELETE /deletedsecrets/{name}`: 204, unless purge protection holds it.
pub async fn purge(state: &SharedState, vault: &ResourceRecord, name: &str) -> Result<Response, KvError> {
    let secret = deleted(state, vault, name).await?;
    if vault.body["properties"]["enablePurgeProtection"] == true {
        return Err(KvError::forbidden(
            None,
            format!(
                "Operation \"purge\" is not allowed because purge protection is enabled for this vault. Key Vault service will \
                 automatically purge it after the retention period has passed ({}).",
                secret.scheduled_purge.map_or_else(String::new, |t| time::OffsetDateTime::from_unix_timestamp(t)
                    .map(inkan_core::clock::rfc3339)
                    .unwrap_or_default())
            ),
        ));
    }
    state.store.purge_secret(&vault.key(), &secret.name).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `POST /secrets/{name}/backup`: every version, sealed for vaults of the same subscription.
pub async fn backup(state: &SharedState, vault: &ResourceRecord, name: &str) -> Result<Response, KvError> {
    if live(state, vault, name).await?.is_none() {
        return Err(not_found(name, ""));
    }
    let versions = state.store.secret_versions(&vault.key(), name).await?;
    let plain: Vec<Value> = versions
        .iter()
        .map(|v| {
            json!({"name": v.name, "version": v.version, "value": v.value.as_str(), "contentType": v.content_type, "tags": v.tags,
                "enabled": v.enabled, "nbf": v.not_before, "exp": v.expires, "created": v.created, "updated": v.updated})
        })
        .collect();
    let text = zeroize::Zeroizing::new(serde_json::to_vec(&plain).map_err(|_| KvError::internal())?);
    let sealed = state.backup_key.seal(&text, &backup_context(vault));
    Ok(Json(json!({ "value": URL_SAFE_NO_PAD.encode(sealed) })).into_response())
}

/// `POST /secrets/restore`.
pub async fn restore(state: &SharedState, vault: &ResourceRecord, body: &[u8]) -> Result<Response, KvError> {
    let request: Value = serde_json::from_slice(body)
        .map_err(|e| KvError::bad_parameter(format!("The request body is not JSON ({e}).")))?;
    let tampered = || {
        KvError::bad_parameter(
            "Backup blob is invalid: it was altered, or it comes from a vault of another subscription.".into(),
        )
    };
    let blob = request["value"].as_str().and_then(|v| URL_SAFE_NO_PAD.decode(v).ok()).ok_or_else(tampered)?;
    let plain = state.backup_key.open(&blob, &backup_context(vault)).map_err(|_| tampered())?;
    let entries: Vec<Value> = serde_json::from_slice(&plain).map_err(|_| tampered())?;
    let name = entries.first().and_then(|e| e["name"].as_str()).ok_or_else(tampered)?.to_owned();
    purge_if_due(state, vault, &name).await?;
    let versions: Vec<SecretVersionRecord> = entries
        .iter()
        .map(|e| SecretVersionRecord {
            vault_key: vault.key(),
            name: name.clone(),
            version: e["version"].as_str().unwrap_or_default().to_owned(),
            value: zeroize::Zeroizing::new(e["value"].as_str().unwrap_or_default().to_owned()),
            content_type: e["contentType"].as_str().map(str::to_owned),
            tags: e["tags"].clone(),
            enabled: e["enabled"].as_bool().unwrap_or(true),
            not_before: e["nbf"].as_i64(),
            expires: e["exp"].as_i64(),
            created: e["created"].as_i64().unwrap_or_default(),
            updated: e["updated"].as_i64().unwrap_or_default(),
        })
        .collect();
    match state.store.restore_secret(versions).await {
        Ok(()) => {}
        Err(inkan_store::StoreError::Conflict(_)) => {
            return Err(KvError::conflict(format!(
                "Secret {name} already exists in this vault (or is deleted and recoverable); delete and purge it before restoring."
            )));
        }
        Err(e) => return Err(e.into()),
    }
    let latest = state.store.secret_version(&vault.key(), &name, "").await?.ok_or_else(KvError::internal)?;
    Ok(Json(bundle(state, vault, &latest, false)).into_response())
}

/// Backups open only in vaults of the subscription they were made in.
fn backup_context(vault: &ResourceRecord) -> String {
    format!("keyvault-backup:{}", vault.subscription_id.to_ascii_lowercase())
}
