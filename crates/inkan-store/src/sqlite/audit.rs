//! The audit log: append in batches, list newest first with filters.

use super::{from_ts, map_err, ts};
use crate::{AuditEvent, AuditOutcome, AuditQuery, StoreResult};
use rusqlite::{Connection, Transaction};

pub(super) fn append(tx: &Transaction<'_>, events: &[AuditEvent]) -> StoreResult<()> {
    let mut stmt = tx
        .prepare_cached(
            "INSERT INTO audit_events (at, surface, caller_resource, principal_id, client_id, audience, outcome, reason, count) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )
        .map_err(map_err)?;
    for e in events {
        stmt.execute((
            ts(e.at),
            &e.surface,
            &e.caller_resource,
            &e.principal_id,
            &e.client_id,
            &e.audience,
            e.outcome.as_str(),
            &e.reason,
            i64::try_from(e.count).unwrap_or(i64::MAX),
        ))
        .map_err(map_err)?;
    }
    Ok(())
}

pub(super) fn list(c: &Connection, q: &AuditQuery) -> StoreResult<Vec<AuditEvent>> {
    let mut stmt = c
        .prepare(
            "SELECT seq, at, surface, caller_resource, principal_id, client_id, audience, outcome, reason, count FROM audit_events \
             WHERE (?1 IS NULL OR outcome = ?1) AND (?2 IS NULL OR instr(lower(caller_resource), lower(?2)) > 0) \
             AND (?3 IS NULL OR lower(principal_id) = lower(?3) OR lower(client_id) = lower(?3)) AND (?4 IS NULL OR at >= ?4) \
             ORDER BY seq DESC LIMIT ?5",
        )
        .map_err(map_err)?;
    let limit = i64::try_from(if q.limit == 0 { 100 } else { q.limit }).unwrap_or(i64::MAX);
    let rows = stmt
        .query_map(
            (q.outcome.map(AuditOutcome::as_str), &q.caller_contains, &q.identity, q.since.map(ts), limit),
            |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, Option<String>>(4)?,
                    r.get::<_, Option<String>>(5)?,
                    r.get::<_, Option<String>>(6)?,
                    r.get::<_, String>(7)?,
                    r.get::<_, String>(8)?,
                    r.get::<_, i64>(9)?,
                ))
            },
        )
        .map_err(map_err)?;
    rows.map(|row| {
        let (seq, at, surface, caller_resource, principal_id, client_id, audience, outcome, reason, count) =
            row.map_err(map_err)?;
        Ok(AuditEvent {
            seq,
            at: from_ts(at)?,
            surface,
            caller_resource,
            principal_id,
            client_id,
            audience,
            outcome: if outcome == "issued" { AuditOutcome::Issued } else { AuditOutcome::Refused },
            reason,
            count: u64::try_from(count).unwrap_or(1),
        })
    })
    .collect()
}
