//! Tenants, subscriptions, principals, client secrets and the first-start bootstrap.

use super::{from_ts, keys, map_err, parse_guid, role_assignments, ts};
use crate::{
    BootstrapRecord, ClientSecretRecord, Conflict, HostCredentialRecord, Initialization, PrincipalKind,
    PrincipalRecord, StoreError, StoreResult, SubscriptionRecord, TenantRecord,
};
use inkan_core::ids::ClientId;
use inkan_crypto::seal::MasterKey;
use rusqlite::{Connection, OptionalExtension, Row, Transaction};

pub(super) fn bootstrap(c: &Connection) -> StoreResult<Option<BootstrapRecord>> {
    c.query_row("SELECT tenant_id, subscription_id, admin_object_id FROM bootstrap WHERE singleton = 1", [], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?))
    })
    .optional()
    .map_err(map_err)?
    .map(|(t, s, a)| {
        Ok(BootstrapRecord {
            tenant_id: parse_guid(&t)?,
            subscription_id: parse_guid(&s)?,
            admin_object_id: parse_guid(&a)?,
        })
    })
    .transpose()
}

pub(super) fn initialize(tx: &Transaction<'_>, key: &MasterKey, init: &Initialization) -> StoreResult<()> {
    if bootstrap(tx)?.is_some() {
        return Err(StoreError::Conflict(Conflict::AlreadyInitialized));
    }
    let t = &init.tenant;
    tx.execute(
        "INSERT INTO tenants (id, display_name, created_at) VALUES (?1, ?2, ?3)",
        (t.id.to_string(), &t.display_name, ts(t.created_at)),
    )
    .map_err(map_err)?;
    let s = &init.subscription;
    tx.execute(
        "INSERT INTO subscriptions (id, tenant_id, display_name, created_at) VALUES (?1, ?2, ?3, ?4)",
        (s.id.to_string(), s.tenant_id.to_string(), &s.display_name, ts(s.created_at)),
    )
    .map_err(map_err)?;
    insert_principal(tx, &init.admin)?;
    insert_secret(tx, &init.admin_secret)?;
    role_assignments::put(tx, &init.admin_assignment)?;
    keys::insert(tx, key, &init.signing_key)?;
    tx.execute(
        "INSERT INTO bootstrap (singleton, tenant_id, subscription_id, admin_object_id, created_at) VALUES (1, ?1, ?2, ?3, ?4)",
        (t.id.to_string(), s.id.to_string(), init.admin.object_id.to_string(), ts(t.created_at)),
    )
    .map_err(map_err)?;
    Ok(())
}

pub(super) fn enroll_host(
    tx: &Transaction<'_>,
    principal: &PrincipalRecord,
    secret: &ClientSecretRecord,
    host: &HostCredentialRecord,
) -> StoreResult<()> {
    insert_principal(tx, principal)?;
    insert_secret(tx, secret)?;
    tx.execute(
        "INSERT INTO host_credentials (client_id, resource_key, created_at, revoked_at) VALUES (?1, ?2, ?3, ?4)",
        (host.client_id.to_string(), &host.resource_key, ts(host.created_at), host.revoked_at.map(ts)),
    )
    .map_err(map_err)?;
    Ok(())
}

pub(super) fn host_credential(c: &Connection, client_id: ClientId) -> StoreResult<Option<HostCredentialRecord>> {
    c.query_row(
        "SELECT resource_key, created_at, revoked_at FROM host_credentials WHERE client_id = ?1",
        [client_id.to_string()],
        |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?, r.get::<_, Option<i64>>(2)?)),
    )
    .optional()
    .map_err(map_err)?
    .map(|(resource_key, created, revoked)| {
        Ok(HostCredentialRecord {
            client_id,
            resource_key,
            created_at: from_ts(created)?,
            revoked_at: revoked.map(from_ts).transpose()?,
        })
    })
    .transpose()
}

fn insert_secret(tx: &Transaction<'_>, secret: &ClientSecretRecord) -> StoreResult<()> {
    tx.execute(
        "INSERT INTO client_secrets (key_id, client_id, hint, verifier, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        (
            &secret.key_id,
            secret.client_id.to_string(),
            &secret.hint,
            &secret.verifier,
            ts(secret.created_at),
            ts(secret.expires_at),
        ),
    )
    .map_err(map_err)?;
    Ok(())
}

pub(super) fn tenants(c: &Connection) -> StoreResult<Vec<TenantRecord>> {
    let mut stmt =
        c.prepare("SELECT id, display_name, created_at FROM tenants ORDER BY created_at, id").map_err(map_err)?;
    let rows = stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, i64>(2)?)))
        .map_err(map_err)?;
    rows.map(|row| {
        let (id, display_name, created) = row.map_err(map_err)?;
        Ok(TenantRecord { id: parse_guid(&id)?, display_name, created_at: from_ts(created)? })
    })
    .collect()
}

pub(super) fn subscriptions(c: &Connection) -> StoreResult<Vec<SubscriptionRecord>> {
    let mut stmt = c
        .prepare("SELECT id, tenant_id, display_name, created_at FROM subscriptions ORDER BY created_at, id")
        .map_err(map_err)?;
    let rows = stmt
        .query_map([], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, i64>(3)?))
        })
        .map_err(map_err)?;
    rows.map(|row| {
        let (id, tenant, display_name, created) = row.map_err(map_err)?;
        Ok(SubscriptionRecord {
            id: parse_guid(&id)?,
            tenant_id: parse_guid(&tenant)?,
            display_name,
            created_at: from_ts(created)?,
        })
    })
    .collect()
}

const PRINCIPAL_COLUMNS: &str =
    "object_id, client_id, tenant_id, display_name, kind, resource_id, created_at, deleted_at";

pub(super) fn principal(c: &Connection, column: &str, value: &str) -> StoreResult<Option<PrincipalRecord>> {
    // `column` is one of two literals chosen by the caller, never input.
    let sql = format!("SELECT {PRINCIPAL_COLUMNS} FROM principals WHERE {column} = ?1");
    let raw = c.query_row(&sql, [value], raw_principal).optional().map_err(map_err)?;
    raw.map(RawPrincipal::into_record).transpose()
}

pub(super) fn insert_principal(tx: &Transaction<'_>, p: &PrincipalRecord) -> StoreResult<()> {
    tx.execute(
        &format!("INSERT INTO principals ({PRINCIPAL_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"),
        (
            p.object_id.to_string(),
            p.client_id.to_string(),
            p.tenant_id.to_string(),
            &p.display_name,
            p.kind.as_str(),
            &p.resource_id,
            ts(p.created_at),
            p.deleted_at.map(ts),
        ),
    )
    .map_err(map_err)?;
    Ok(())
}

pub(super) fn client_secrets(c: &Connection, client_id: ClientId) -> StoreResult<Vec<ClientSecretRecord>> {
    let mut stmt = c
        .prepare("SELECT key_id, hint, verifier, created_at, expires_at FROM client_secrets WHERE client_id = ?1")
        .map_err(map_err)?;
    let rows = stmt
        .query_map([client_id.to_string()], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Vec<u8>>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, i64>(4)?,
            ))
        })
        .map_err(map_err)?;
    rows.map(|row| {
        let (key_id, hint, verifier, created, expires) = row.map_err(map_err)?;
        Ok(ClientSecretRecord {
            key_id,
            client_id,
            hint,
            verifier,
            created_at: from_ts(created)?,
            expires_at: from_ts(expires)?,
        })
    })
    .collect()
}

struct RawPrincipal(String, String, String, String, String, Option<String>, i64, Option<i64>);

fn raw_principal(r: &Row<'_>) -> rusqlite::Result<RawPrincipal> {
    Ok(RawPrincipal(r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?))
}

impl RawPrincipal {
    fn into_record(self) -> StoreResult<PrincipalRecord> {
        let RawPrincipal(oid, cid, tid, display_name, kind, resource_id, created, deleted) = self;
        Ok(PrincipalRecord {
            object_id: parse_guid(&oid)?,
            client_id: parse_guid(&cid)?,
            tenant_id: parse_guid(&tid)?,
            display_name,
            kind: PrincipalKind::parse(&kind).ok_or_else(|| StoreError::Corrupt(format!("principal kind '{kind}'")))?,
            resource_id,
            created_at: from_ts(created)?,
            deleted_at: deleted.map(from_ts).transpose()?,
        })
    }
}
