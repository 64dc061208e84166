//! Embedded, numbered migrations. The PostgreSQL backend keeps the same numbers.

use super::map_err;
use crate::StoreResult;
use rusqlite::Connection;

const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "initial", include_str!("../../migrations/sqlite/0001_initial.sql")),
    (2, "audit", include_str!("../../migrations/sqlite/0002_audit.sql")),
    (3, "host_credentials", include_str!("../../migrations/sqlite/0003_host_credentials.sql")),
    (4, "identity_detachments", include_str!("../../migrations/sqlite/0004_identity_detachments.sql")),
    (5, "secrets", include_str!("../../migrations/sqlite/0005_secrets.sql")),
];

/// Applies every migration not yet applied, each in its own transaction.
pub(super) fn apply(conn: &mut Connection) -> StoreResult<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL DEFAULT (unixepoch()))",
    )
    .map_err(map_err)?;
    let done = applied(conn)?;
    for (version, name, sql) in MIGRATIONS {
        if done.contains(version) {
            continue;
        }
        let tx = conn.transaction().map_err(map_err)?;
        tx.execute_batch(sql).map_err(map_err)?;
        tx.execute("INSERT INTO schema_migrations (version, name) VALUES (?1, ?2)", (version, name))
            .map_err(map_err)?;
        tx.commit().map_err(map_err)?;
    }
    Ok(())
}

/// The versions applied so far.
pub(super) fn applied(conn: &Connection) -> StoreResult<Vec<i64>> {
    let mut stmt = conn.prepare("SELECT version FROM schema_migrations ORDER BY version").map_err(map_err)?;
    let rows = stmt.query_map([], |r| r.get(0)).map_err(map_err)?;
    rows.collect::<Result<_, _>>().map_err(map_err)
}
