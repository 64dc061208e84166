//! ARM resources and the principals their identities create or retire, written atomically.

use super::{directory, from_ts, map_err, parse_json, role_assignments, ts};
use crate::{
    Cascade, Conflict, DetachmentRecord, Expect, ResourceChange, ResourceQuery, ResourceRecord, StoreError, StoreResult,
};
use rusqlite::{Connection, OptionalExtension, Row, Transaction};

const COLUMNS: &str =
    "id, type_key, subscription_id, group_key, parent_key, global_name, body, generation, created_at, updated_at";

pub(super) fn get(c: &Connection, key: &str) -> StoreResult<Option<ResourceRecord>> {
    c.prepare_cached(&format!("SELECT {COLUMNS} FROM resources WHERE key = ?1"))
        .and_then(|mut stmt| stmt.query_row([key], raw).optional())
        .map_err(map_err)?
        .map(into_record)
        .transpose()
}

pub(super) fn list(c: &Connection, q: &ResourceQuery) -> StoreResult<Vec<ResourceRecord>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM resources WHERE (?1 IS NULL OR subscription_id = ?1) AND (?2 IS NULL OR group_key = ?2) \
         AND (?3 IS NULL OR type_key = ?3) AND (?4 IS NULL OR parent_key = ?4) ORDER BY key"
    );
    let mut stmt = c.prepare(&sql).map_err(map_err)?;
    let rows = stmt.query_map((&q.subscription_id, &q.group_key, &q.type_key, &q.parent_key), raw).map_err(map_err)?;
    rows.map(|r| into_record(r.map_err(map_err)?)).collect()
}

pub(super) fn write(tx: &Transaction<'_>, change: &ResourceChange) -> StoreResult<()> {
    for key in &change.require_present {
        let present: bool = tx
            .query_row("SELECT EXISTS (SELECT 1 FROM resources WHERE key = ?1)", [key], |r| r.get(0))
            .map_err(map_err)?;
        if !present {
            return Err(StoreError::Conflict(Conflict::Concurrent { key: key.clone() }));
        }
    }
    for (record, expect) in &change.upserts {
        let key = record.key();
        check(tx, &key, *expect)?;
        if let Some(global_name) = &record.global_name {
            let holder: Option<String> = tx
                .query_row("SELECT id FROM resources WHERE global_name = ?1 AND key <> ?2", (global_name, &key), |r| {
                    r.get(0)
                })
                .optional()
                .map_err(map_err)?;
            if holder.is_some() {
                return Err(StoreError::Conflict(Conflict::GlobalNameTaken { global_name: global_name.clone() }));
            }
        }
        tx.execute(
            "INSERT INTO resources (key, id, type_key, subscription_id, group_key, parent_key, global_name, body, generation, created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) \
             ON CONFLICT(key) DO UPDATE SET id = excluded.id, body = excluded.body, global_name = excluded.global_name, \
             generation = excluded.generation, updated_at = excluded.updated_at",
            rusqlite::params![
                key,
                record.id,
                record.type_key,
                record.subscription_id,
                record.group_key,
                record.parent_key,
                record.global_name,
                record.body.to_string(),
                record.generation,
                ts(record.created_at),
                ts(record.updated_at),
            ],
        )
        .map_err(map_err)?;
    }
    for (key, expect) in &change.deletes {
        check(tx, key, *expect)?;
        tx.execute("DELETE FROM resources WHERE key = ?1", [key]).map_err(map_err)?;
    }
    for principal in &change.new_principals {
        directory::insert_principal(tx, principal)?;
    }
    let at = change.at.map(ts);
    for object_id in &change.retired_principals {
        tx.execute(
            "UPDATE principals SET deleted_at = ?2 WHERE object_id = ?1 AND deleted_at IS NULL",
            (object_id.to_string(), at),
        )
        .map_err(map_err)?;
    }
    for cascade in &change.cascades {
        match cascade {
            Cascade::Group { subscription_id, group_key } => {
                tx.execute(
                    "UPDATE principals SET deleted_at = ?3 WHERE deleted_at IS NULL AND lower(resource_id) IN \
                     (SELECT key FROM resources WHERE subscription_id = ?1 AND group_key = ?2)",
                    (subscription_id, group_key, at),
                )
                .map_err(map_err)?;
                tx.execute(
                    "DELETE FROM resources WHERE subscription_id = ?1 AND group_key = ?2",
                    (subscription_id, group_key),
                )
                .map_err(map_err)?;
            }
            Cascade::Children { parent_key } => {
                tx.execute(
                    "UPDATE principals SET deleted_at = ?2 WHERE deleted_at IS NULL AND lower(resource_id) IN \
                     (SELECT key FROM resources WHERE parent_key = ?1)",
                    (parent_key, at),
                )
                .map_err(map_err)?;
                tx.execute("DELETE FROM resources WHERE parent_key = ?1", [parent_key]).map_err(map_err)?;
            }
        }
    }
    for d in &change.detachments {
        tx.execute(
            "INSERT INTO identity_detachments (resource_key, principal_id, client_id, identity_resource_id, detached_at) \
             VALUES (?1, ?2, ?3, ?4, ?5)",
            (&d.resource_key, &d.principal_id, &d.client_id, &d.identity_resource_id, ts(d.detached_at)),
        )
        .map_err(map_err)?;
    }
    for scope in &change.deleted_role_assignment_scopes {
        role_assignments::delete_under(tx, scope)?;
    }
    Ok(())
}

fn check(tx: &Transaction<'_>, key: &str, expect: Expect) -> StoreResult<()> {
    if expect == Expect::Any {
        return Ok(());
    }
    let current: Option<i64> = tx
        .query_row("SELECT generation FROM resources WHERE key = ?1", [key], |r| r.get(0))
        .optional()
        .map_err(map_err)?;
    let ok = match expect {
        Expect::Absent => current.is_none(),
        Expect::Generation(g) => current == Some(g),
        Expect::Any => true,
    };
    if ok { Ok(()) } else { Err(StoreError::Conflict(Conflict::Concurrent { key: key.to_owned() })) }
}

type Raw = (String, String, String, Option<String>, Option<String>, Option<String>, String, i64, i64, i64);

fn raw(r: &Row<'_>) -> rusqlite::Result<Raw> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?, r.get(8)?, r.get(9)?))
}

fn into_record(
    (id, type_key, subscription_id, group_key, parent_key, global_name, body, generation, created, updated): Raw,
) -> StoreResult<ResourceRecord> {
    Ok(ResourceRecord {
        id,
        type_key,
        subscription_id,
        group_key,
        parent_key,
        global_name,
        body: parse_json(&body)?,
        generation,
        created_at: from_ts(created)?,
        updated_at: from_ts(updated)?,
    })
}

pub(super) fn detachments(c: &Connection) -> StoreResult<Vec<DetachmentRecord>> {
    let mut stmt = c
        .prepare(
            "SELECT resource_key, principal_id, client_id, identity_resource_id, detached_at FROM identity_detachments ORDER BY detached_at, rowid",
        )
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
        let (resource_key, principal_id, client_id, identity_resource_id, at) = row.map_err(map_err)?;
        Ok(DetachmentRecord { resource_key, principal_id, client_id, identity_resource_id, detached_at: from_ts(at)? })
    })
    .collect()
}
