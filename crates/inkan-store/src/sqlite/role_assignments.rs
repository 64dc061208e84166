//! Role assignments, one row each, unique per (scope, role, principal).

use super::{from_ts, map_err, parse_guid, parse_json, ts};
use crate::{AssignmentIndexEntry, Conflict, RoleAssignmentRecord, StoreError, StoreResult};
use rusqlite::{Connection, OptionalExtension, Row, Transaction};

const COLUMNS: &str = "id, scope_key, role_definition_guid, principal_id, body, created_at";

pub(super) fn get(c: &Connection, key: &str) -> StoreResult<Option<RoleAssignmentRecord>> {
    c.query_row(&format!("SELECT {COLUMNS} FROM role_assignments WHERE key = ?1"), [key], raw)
        .optional()
        .map_err(map_err)?
        .map(into_record)
        .transpose()
}

pub(super) fn all(c: &Connection) -> StoreResult<Vec<RoleAssignmentRecord>> {
    let mut stmt =
        c.prepare(&format!("SELECT {COLUMNS} FROM role_assignments ORDER BY created_at, key")).map_err(map_err)?;
    let rows = stmt.query_map([], raw).map_err(map_err)?;
    rows.map(|r| into_record(r.map_err(map_err)?)).collect()
}

pub(super) fn index(c: &Connection) -> StoreResult<Vec<AssignmentIndexEntry>> {
    let mut stmt = c
        .prepare("SELECT key, scope_key, role_definition_guid, principal_id, created_at FROM role_assignments")
        .map_err(map_err)?;
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, i64>(4)?,
            ))
        })
        .map_err(map_err)?;
    rows.map(|row| {
        let (key, scope_key, role_definition_guid, principal_id, created) = row.map_err(map_err)?;
        Ok(AssignmentIndexEntry {
            name: key.rsplit('/').next().unwrap_or_default().to_owned(),
            scope_key,
            role_definition_guid,
            principal_id,
            created_at: from_ts(created)?,
        })
    })
    .collect()
}

pub(super) fn put(tx: &Transaction<'_>, r: &RoleAssignmentRecord) -> StoreResult<()> {
    let existing: Option<String> = tx
        .prepare_cached(
            "SELECT id FROM role_assignments WHERE scope_key = ?1 AND role_definition_guid = ?2 AND principal_id = ?3",
        )
        .and_then(|mut stmt| {
            stmt.query_row((&r.scope_key, &r.role_definition_guid, r.principal_id.to_string()), |row| row.get(0))
                .optional()
        })
        .map_err(map_err)?;
    if let Some(existing_id) = existing {
        return Err(StoreError::Conflict(Conflict::RoleAssignmentExists { existing_id }));
    }
    tx.prepare_cached(
        "INSERT INTO role_assignments (key, id, scope_key, role_definition_guid, principal_id, body, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )
    .and_then(|mut stmt| stmt.execute(
        (
            r.key(),
            &r.id,
            &r.scope_key,
            &r.role_definition_guid,
            r.principal_id.to_string(),
            r.body.to_string(),
            ts(r.created_at),
        ))
    )
    .map_err(map_err)?;
    Ok(())
}

pub(super) fn delete(tx: &Transaction<'_>, key: &str) -> StoreResult<Option<RoleAssignmentRecord>> {
    let existing = get(tx, key)?;
    if existing.is_some() {
        tx.execute("DELETE FROM role_assignments WHERE key = ?1", [key]).map_err(map_err)?;
    }
    Ok(existing)
}

/// Deletes every assignment at or below `scope_key` (used when a scope is deleted).
pub(super) fn delete_under(tx: &Transaction<'_>, scope_key: &str) -> StoreResult<()> {
    tx.execute(
        "DELETE FROM role_assignments WHERE scope_key = ?1 OR substr(scope_key, 1, length(?1) + 1) = ?1 || '/'",
        [scope_key],
    )
    .map_err(map_err)?;
    Ok(())
}

type Raw = (String, String, String, String, String, i64);

fn raw(r: &Row<'_>) -> rusqlite::Result<Raw> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?))
}

fn into_record(
    (id, scope_key, role_definition_guid, principal, body, created): Raw,
) -> StoreResult<RoleAssignmentRecord> {
    Ok(RoleAssignmentRecord {
        id,
        scope_key,
        role_definition_guid,
        principal_id: parse_guid(&principal)?,
        body: parse_json(&body)?,
        created_at: from_ts(created)?,
    })
}
