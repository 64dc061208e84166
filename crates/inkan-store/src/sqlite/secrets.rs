//! Key Vault secrets: versions sealed with the master key, bound to vault, name and version.

use super::map_err;
use crate::{Conflict, SecretRecord, SecretVersionRecord, StoreError, StoreResult};
use inkan_crypto::seal::MasterKey;
use rusqlite::{Connection, OptionalExtension, Transaction};
use zeroize::Zeroizing;

fn aad(vault_key: &str, name_key: &str, version: &str) -> String {
    format!("secret:{vault_key}/{name_key}/{version}")
}

pub(super) fn set(tx: &Transaction<'_>, key: &MasterKey, v: &SecretVersionRecord) -> StoreResult<()> {
    let name_key = v.name.to_ascii_lowercase();
    let current = secret(tx, &v.vault_key, &name_key)?;
    if current.as_ref().is_some_and(|s| s.deleted_at.is_some()) {
        return Err(StoreError::Conflict(Conflict::SecretDeleted { name: v.name.clone() }));
    }
    if current.is_none() {
        tx.execute(
            "INSERT INTO secrets (vault_key, name_key, name, latest_version) VALUES (?1, ?2, ?3, ?4)",
            (&v.vault_key, &name_key, &v.name, &v.version),
        )
        .map_err(map_err)?;
    } else {
        tx.execute(
            "UPDATE secrets SET latest_version = ?3 WHERE vault_key = ?1 AND name_key = ?2",
            (&v.vault_key, &name_key, &v.version),
        )
        .map_err(map_err)?;
    }
    let seq: i64 = tx
        .query_row(
            "SELECT COALESCE(MAX(seq), 0) + 1 FROM secret_versions WHERE vault_key = ?1 AND name_key = ?2",
            (&v.vault_key, &name_key),
            |r| r.get(0),
        )
        .map_err(map_err)?;
    tx.execute(
        "INSERT INTO secret_versions (vault_key, name_key, version, seq, value_sealed, content_type, tags, enabled, not_before, expires, created, updated) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        rusqlite::params![
            v.vault_key,
            name_key,
            v.version,
            seq,
            key.seal(v.value.as_bytes(), &aad(&v.vault_key, &name_key, &v.version)),
            v.content_type,
            v.tags.to_string(),
            v.enabled,
            v.not_before,
            v.expires,
            v.created,
            v.updated,
        ],
    )
    .map_err(map_err)?;
    Ok(())
}

pub(super) fn secret(c: &Connection, vault_key: &str, name_key: &str) -> StoreResult<Option<SecretRecord>> {
    c.prepare_cached(
        "SELECT name, latest_version, deleted_at, scheduled_purge FROM secrets WHERE vault_key = ?1 AND name_key = ?2",
    )
    .and_then(|mut stmt| {
        stmt.query_row((vault_key, name_key), |r| {
            Ok(SecretRecord {
                vault_key: vault_key.to_owned(),
                name: r.get(0)?,
                latest_version: r.get(1)?,
                deleted_at: r.get(2)?,
                scheduled_purge: r.get(3)?,
            })
        })
        .optional()
    })
    .map_err(map_err)
}

pub(super) fn version(
    c: &Connection,
    key: &MasterKey,
    vault_key: &str,
    name: &str,
    version: &str,
) -> StoreResult<Option<SecretVersionRecord>> {
    let name_key = name.to_ascii_lowercase();
    let Some(secret) = secret(c, vault_key, &name_key)? else { return Ok(None) };
    let version = if version.is_empty() { secret.latest_version.clone() } else { version.to_ascii_lowercase() };
    let row = c
        .prepare_cached(
            "SELECT value_sealed, content_type, tags, enabled, not_before, expires, created, updated FROM secret_versions \
             WHERE vault_key = ?1 AND name_key = ?2 AND version = ?3",
        )
        .map_err(map_err)?
        .query_row(
            (vault_key, &name_key, &version),
            |r| {
                Ok((
                    r.get::<_, Vec<u8>>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, bool>(3)?,
                    r.get::<_, Option<i64>>(4)?,
                    r.get::<_, Option<i64>>(5)?,
                    r.get::<_, i64>(6)?,
                    r.get::<_, i64>(7)?,
                ))
            },
        )
        .optional()
        .map_err(map_err)?;
    let Some((sealed, content_type, tags, enabled, not_before, expires, created, updated)) = row else {
        return Ok(None);
    };
    let plain = key
        .open(&sealed, &aad(vault_key, &name_key, &version))
        .map_err(|e| StoreError::Corrupt(format!("secret {name}/{version}: {e}")))?;
    let value = String::from_utf8(plain.to_vec())
        .map_err(|_| StoreError::Corrupt(format!("secret {name}/{version} is not UTF-8")))?;
    Ok(Some(SecretVersionRecord {
        vault_key: vault_key.to_owned(),
        name: secret.name,
        version,
        value: Zeroizing::new(value),
        content_type,
        tags: serde_json::from_str(&tags).unwrap_or(serde_json::Value::Null),
        enabled,
        not_before,
        expires,
        created,
        updated,
    }))
}

pub(super) fn list(
    c: &Connection,
    key: &MasterKey,
    vault_key: &str,
    deleted: bool,
    after: Option<&str>,
    limit: usize,
) -> StoreResult<Vec<(SecretRecord, SecretVersionRecord)>> {
    let mut stmt = c
        .prepare(
            "SELECT name_key FROM secrets WHERE vault_key = ?1 AND (deleted_at IS NOT NULL) = ?2 AND name_key > ?3 \
             ORDER BY name_key LIMIT ?4",
        )
        .map_err(map_err)?;
    let names: Vec<String> = stmt
        .query_map((vault_key, deleted, after.unwrap_or(""), i64::try_from(limit).unwrap_or(i64::MAX)), |r| r.get(0))
        .map_err(map_err)?
        .collect::<Result<_, _>>()
        .map_err(map_err)?;
    let mut out = Vec::with_capacity(names.len());
    for name_key in names {
        let Some(s) = secret(c, vault_key, &name_key)? else { continue };
        if let Some(v) = version(c, key, vault_key, &name_key, "")? {
            out.push((s, v));
        }
    }
    Ok(out)
}

pub(super) fn versions(
    c: &Connection,
    key: &MasterKey,
    vault_key: &str,
    name: &str,
) -> StoreResult<Vec<SecretVersionRecord>> {
    let name_key = name.to_ascii_lowercase();
    let mut stmt = c
        .prepare("SELECT version FROM secret_versions WHERE vault_key = ?1 AND name_key = ?2 ORDER BY seq")
        .map_err(map_err)?;
    let ids: Vec<String> = stmt
        .query_map((vault_key, &name_key), |r| r.get(0))
        .map_err(map_err)?
        .collect::<Result<_, _>>()
        .map_err(map_err)?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(v) = version(c, key, vault_key, &name_key, &id)? {
            out.push(v);
        }
    }
    Ok(out)
}

pub(super) fn update(tx: &Transaction<'_>, v: &SecretVersionRecord) -> StoreResult<()> {
    tx.execute(
        "UPDATE secret_versions SET content_type = ?4, tags = ?5, enabled = ?6, not_before = ?7, expires = ?8, updated = ?9 \
         WHERE vault_key = ?1 AND name_key = ?2 AND version = ?3",
        rusqlite::params![
            v.vault_key,
            v.name.to_ascii_lowercase(),
            v.version,
            v.content_type,
            v.tags.to_string(),
            v.enabled,
            v.not_before,
            v.expires,
            v.updated
        ],
    )
    .map_err(map_err)?;
    Ok(())
}

pub(super) fn mark_deleted(
    tx: &Transaction<'_>,
    vault_key: &str,
    name: &str,
    deleted: Option<(i64, i64)>,
) -> StoreResult<()> {
    tx.execute(
        "UPDATE secrets SET deleted_at = ?3, scheduled_purge = ?4 WHERE vault_key = ?1 AND name_key = ?2",
        (vault_key, name.to_ascii_lowercase(), deleted.map(|d| d.0), deleted.map(|d| d.1)),
    )
    .map_err(map_err)?;
    Ok(())
}

pub(super) fn purge(tx: &Transaction<'_>, vault_key: &str, name: &str) -> StoreResult<()> {
    let name_key = name.to_ascii_lowercase();
    tx.execute("DELETE FROM secret_versions WHERE vault_key = ?1 AND name_key = ?2", (vault_key, &name_key))
        .map_err(map_err)?;
    tx.execute("DELETE FROM secrets WHERE vault_key = ?1 AND name_key = ?2", (vault_key, &name_key))
        .map_err(map_err)?;
    Ok(())
}

pub(super) fn restore(tx: &Transaction<'_>, key: &MasterKey, versions: &[SecretVersionRecord]) -> StoreResult<()> {
    let Some(first) = versions.first() else { return Ok(()) };
    if secret(tx, &first.vault_key, &first.name.to_ascii_lowercase())?.is_some() {
        return Err(StoreError::Conflict(Conflict::SecretDeleted { name: first.name.clone() }));
    }
    versions.iter().try_for_each(|v| set(tx, key, v))
}
