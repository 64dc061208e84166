//! Signing keys, sealed with the master key (context `signing-key:<kid>`).

use super::{from_ts, map_err, ts};
use crate::{SigningKeyRecord, StoreError, StoreResult};
use inkan_crypto::seal::MasterKey;
use rusqlite::{Connection, Transaction};
use time::OffsetDateTime;

fn aad(kid: &str) -> String {
    format!("signing-key:{kid}")
}

pub(super) fn insert(tx: &Transaction<'_>, key: &MasterKey, k: &SigningKeyRecord) -> StoreResult<()> {
    tx.execute(
        "INSERT INTO signing_keys (kid, private_sealed, cert_der, created_at, active, retire_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        (
            &k.kid,
            key.seal(&k.private_pkcs8, &aad(&k.kid)),
            &k.cert_der,
            ts(k.created_at),
            i64::from(k.active),
            k.retire_at.map(ts),
        ),
    )
    .map_err(map_err)?;
    Ok(())
}

pub(super) fn all(c: &Connection, key: &MasterKey) -> StoreResult<Vec<SigningKeyRecord>> {
    let mut stmt = c
        .prepare(
            "SELECT kid, private_sealed, cert_der, created_at, active, retire_at FROM signing_keys ORDER BY active DESC, created_at DESC",
        )
        .map_err(map_err)?;
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, Vec<u8>>(1)?,
                r.get::<_, Vec<u8>>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, i64>(4)?,
                r.get::<_, Option<i64>>(5)?,
            ))
        })
        .map_err(map_err)?;
    rows.map(|row| {
        let (kid, sealed, cert_der, created, active, retire) = row.map_err(map_err)?;
        let private_pkcs8 = key.open(&sealed, &aad(&kid)).map_err(|e| {
            StoreError::Corrupt(format!(
                "signing key {kid}: {e}; is this the master key the data directory was created with?"
            ))
        })?;
        Ok(SigningKeyRecord {
            kid,
            private_pkcs8,
            cert_der,
            created_at: from_ts(created)?,
            active: active == 1,
            retire_at: retire.map(from_ts).transpose()?,
        })
    })
    .collect()
}

pub(super) fn rotate(
    tx: &Transaction<'_>,
    key: &MasterKey,
    new: &SigningKeyRecord,
    retire_at: OffsetDateTime,
    now: OffsetDateTime,
) -> StoreResult<()> {
    tx.execute("DELETE FROM signing_keys WHERE active = 0 AND retire_at IS NOT NULL AND retire_at < ?1", [ts(now)])
        .map_err(map_err)?;
    tx.execute("UPDATE signing_keys SET active = 0, retire_at = ?1 WHERE active = 1", [ts(retire_at)])
        .map_err(map_err)?;
    insert(tx, key, &SigningKeyRecord { active: true, retire_at: None, ..new.clone() })
}
