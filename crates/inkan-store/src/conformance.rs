//! The conformance suite every backend must pass: the same assertions on the same domain
//! steps, so a PostgreSQL backend is held to exactly what SQLite is.

use crate::*;
use inkan_core::ids::{ClientId, ObjectId, SubscriptionId, TenantId};
use serde_json::json;
use time::OffsetDateTime;

/// What [`initialize_sample`] created that must never be stored in plain text.
pub struct SampleSecrets {
    pub client_secret: String,
    pub signing_key_pkcs8: Vec<u8>,
}

fn at(secs: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_700_000_000 + secs).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

fn signing_key(secs: i64) -> SigningKeyRecord {
    let generated = inkan_crypto::signing::SigningKey::generate(at(secs)).expect("key generation");
    SigningKeyRecord {
        kid: generated.key.kid().to_owned(),
        private_pkcs8: generated.pkcs8,
        cert_der: generated.cert_der,
        created_at: at(secs),
        active: true,
        retire_at: None,
    }
}

/// Initializes `store` with a sample tenant; returns the secrets it holds.
pub async fn initialize_sample(store: &dyn Store) -> SampleSecrets {
    let tenant = TenantId::random();
    let admin = PrincipalRecord {
        object_id: ObjectId::random(),
        client_id: ClientId::random(),
        tenant_id: tenant,
        display_name: "inkan-admin".into(),
        kind: PrincipalKind::Application,
        resource_id: None,
        created_at: at(0),
        deleted_at: None,
    };
    let client_secret = inkan_crypto::random::client_secret();
    let key = signing_key(0);
    let pkcs8 = key.private_pkcs8.to_vec();
    let init = Initialization {
        tenant: TenantRecord { id: tenant, display_name: "inkan-conformance-tenant".into(), created_at: at(0) },
        subscription: SubscriptionRecord {
            id: SubscriptionId::random(),
            tenant_id: tenant,
            display_name: "sub".into(),
            created_at: at(0),
        },
        admin_secret: ClientSecretRecord {
            key_id: "k1".into(),
            client_id: admin.client_id,
            hint: client_secret[..3].to_owned(),
            verifier: inkan_crypto::digest::sha256(client_secret.as_bytes()),
            created_at: at(0),
            expires_at: at(1000),
        },
        admin_assignment: RoleAssignmentRecord {
            id: "/providers/Microsoft.Authorization/roleAssignments/a".into(),
            scope_key: "/".into(),
            role_definition_guid: "8e3af657-a8ff-443c-a75c-2fe8c4bcb635".into(),
            principal_id: admin.object_id,
            body: json!({}),
            created_at: at(0),
        },
        admin,
        signing_key: key,
    };
    store.initialize(init).await.expect("initialize");
    SampleSecrets { client_secret, signing_key_pkcs8: pkcs8 }
}

/// A vault record with `body` at `generation`, in subscription `s`, group `rg`.
pub fn sample_resource(id: &str, body: serde_json::Value, generation: i64) -> ResourceRecord {
    ResourceRecord {
        id: id.into(),
        type_key: "microsoft.keyvault/vaults".into(),
        subscription_id: "s".into(),
        group_key: Some("rg".into()),
        parent_key: None,
        global_name: Some(format!(
            "microsoft.keyvault/vaults/{}",
            id.rsplit('/').next().unwrap_or_default().to_lowercase()
        )),
        body,
        generation,
        created_at: at(0),
        updated_at: at(0),
    }
}

/// Runs every check against `store`, which must be empty.
pub async fn run_all(store: &dyn Store) {
    assert!(store.bootstrap().await.expect("bootstrap").is_none());
    initialize_sample(store).await;
    bootstrap_is_once(store).await;
    signing_keys_rotate(store).await;
    resources_are_case_insensitive_and_guarded(store).await;
    role_assignments_are_unique(store).await;
    audit_events_round_trip(store).await;
    hosts_enroll(store).await;
    secrets_version(store).await;
}

/// A secret version with `value`.
pub fn sample_secret(name: &str, version: &str, value: &str) -> SecretVersionRecord {
    SecretVersionRecord {
        vault_key: "/subscriptions/s/resourcegroups/rg/providers/microsoft.keyvault/vaults/kv".into(),
        name: name.into(),
        version: version.into(),
        value: zeroize::Zeroizing::new(value.into()),
        content_type: Some("text/plain".into()),
        tags: json!({"a": "b"}),
        enabled: true,
        not_before: None,
        expires: None,
        created: 1,
        updated: 1,
    }
}

async fn secrets_version(store: &dyn Store) {
    let first = sample_secret("Db-Pass", &"a".repeat(32), "one");
    let second = sample_secret("db-pass", &"b".repeat(32), "two");
    store.set_secret(first.clone()).await.expect("set");
    store.set_secret(second.clone()).await.expect("set again");
    let latest = store.secret_version(&first.vault_key, "DB-PASS", "").await.expect("get").expect("exists");
    assert_eq!(
        (latest.version.as_str(), latest.value.as_str(), latest.name.as_str()),
        (second.version.as_str(), "two", "Db-Pass")
    );
    let old = store.secret_version(&first.vault_key, "db-pass", &first.version).await.expect("get").expect("exists");
    assert_eq!(old.value.as_str(), "one");
    assert!(store.secret_version(&first.vault_key, "db-pass", &"c".repeat(32)).await.expect("get").is_none());
    assert!(store.secret_version(&first.vault_key, "other", "").await.expect("get").is_none());
    assert_eq!(store.secret_versions(&first.vault_key, "db-pass").await.expect("versions").len(), 2);
    store.set_secret(sample_secret("api-key", &"d".repeat(32), "k")).await.expect("set");
    let page = store.list_secrets(&first.vault_key, false, None, 1).await.expect("list");
    assert_eq!(page.len(), 1);
    assert_eq!(page[0].0.name, "api-key");
    let next = store.list_secrets(&first.vault_key, false, Some("api-key"), 10).await.expect("list");
    assert_eq!(next.iter().map(|(s, _)| s.name.as_str()).collect::<Vec<_>>(), vec!["Db-Pass"]);
    store.mark_secret_deleted(&first.vault_key, "db-pass", Some((5, 10))).await.expect("delete");
    assert!(matches!(
        store.set_secret(sample_secret("db-pass", &"e".repeat(32), "x")).await,
        Err(StoreError::Conflict(Conflict::SecretDeleted { .. }))
    ));
    assert_eq!(store.list_secrets(&first.vault_key, true, None, 10).await.expect("deleted").len(), 1);
    store.mark_secret_deleted(&first.vault_key, "db-pass", None).await.expect("recover");
    store.purge_secret(&first.vault_key, "api-key").await.expect("purge");
    assert!(store.secret(&first.vault_key, "api-key").await.expect("get").is_none());
    store.restore_secret(vec![sample_secret("api-key", &"f".repeat(32), "restored")]).await.expect("restore");
    assert!(
        store.restore_secret(vec![sample_secret("api-key", &"f".repeat(32), "again")]).await.is_err(),
        "a taken name refuses a restore"
    );
}

async fn hosts_enroll(store: &dyn Store) {
    let tenant = store.tenants().await.expect("tenants")[0].id;
    let principal = PrincipalRecord {
        object_id: ObjectId::random(),
        client_id: ClientId::random(),
        tenant_id: tenant,
        display_name: "host".into(),
        kind: PrincipalKind::Application,
        resource_id: None,
        created_at: at(0),
        deleted_at: None,
    };
    let secret = ClientSecretRecord {
        key_id: "host-key".into(),
        client_id: principal.client_id,
        hint: "abc".into(),
        verifier: vec![1, 2, 3],
        created_at: at(0),
        expires_at: at(100),
    };
    let host = HostCredentialRecord {
        client_id: principal.client_id,
        resource_key: "/subscriptions/s/vm".into(),
        created_at: at(0),
        revoked_at: None,
    };
    store.enroll_host(principal.clone(), secret, host.clone()).await.expect("enroll");
    assert_eq!(store.host_credential(principal.client_id).await.expect("get"), Some(host));
    assert_eq!(store.client_secrets(principal.client_id).await.expect("secrets").len(), 1);
    assert!(store.host_credential(ClientId::random()).await.expect("get").is_none());
}

async fn audit_events_round_trip(store: &dyn Store) {
    let event = |secs, outcome, caller: &str| AuditEvent {
        seq: 0,
        at: at(secs),
        surface: "imds".into(),
        caller_resource: Some(caller.into()),
        principal_id: Some("p1".into()),
        client_id: Some("c1".into()),
        audience: Some("https://vault.azure.net".into()),
        outcome,
        reason: "r".into(),
        count: 1,
    };
    store
        .append_audit(vec![event(1, AuditOutcome::Issued, "/sub/vm1"), event(2, AuditOutcome::Refused, "/sub/VM2")])
        .await
        .expect("append");
    let all = store.list_audit(&AuditQuery { limit: 10, ..Default::default() }).await.expect("list");
    assert_eq!(all.len(), 2);
    assert!(all[0].seq > all[1].seq, "newest first");
    let refused = store
        .list_audit(&AuditQuery {
            outcome: Some(AuditOutcome::Refused),
            caller_contains: Some("vm2".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .expect("list");
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0].caller_resource.as_deref(), Some("/sub/VM2"));
    let by_client = store
        .list_audit(&AuditQuery { identity: Some("C1".into()), since: Some(at(2)), limit: 10, ..Default::default() })
        .await
        .expect("list");
    assert_eq!(by_client.len(), 1);
}

async fn bootstrap_is_once(store: &dyn Store) {
    let boot = store.bootstrap().await.expect("bootstrap").expect("initialized");
    let admin = store.principal(boot.admin_object_id).await.expect("principal").expect("admin exists");
    assert_eq!(
        store.principal_by_client_id(admin.client_id).await.expect("by client").expect("admin").object_id,
        admin.object_id
    );
    assert_eq!(store.client_secrets(admin.client_id).await.expect("secrets").len(), 1);
    assert_eq!(store.tenants().await.expect("tenants")[0].id, boot.tenant_id);
    assert_eq!(store.subscriptions().await.expect("subs")[0].id, boot.subscription_id);
    assert!(matches!(initialize_sample_again(store).await, Err(StoreError::Conflict(Conflict::AlreadyInitialized))));
}

async fn initialize_sample_again(store: &dyn Store) -> StoreResult<()> {
    let boot = store.bootstrap().await?.expect("initialized");
    let admin = store.principal(boot.admin_object_id).await?.expect("admin");
    let tenant = store.tenants().await?[0].clone();
    let subscription = store.subscriptions().await?[0].clone();
    store
        .initialize(Initialization {
            tenant,
            subscription,
            admin_secret: store.client_secrets(admin.client_id).await?[0].clone(),
            admin_assignment: store.list_role_assignments().await?[0].clone(),
            admin,
            signing_key: signing_key(1),
        })
        .await
}

async fn signing_keys_rotate(store: &dyn Store) {
    let before = store.signing_keys().await.expect("keys");
    assert_eq!(before.len(), 1);
    let next = signing_key(10);
    store.rotate_signing_key(next.clone(), at(100), at(10)).await.expect("rotate");
    let after = store.signing_keys().await.expect("keys");
    assert_eq!(after.len(), 2);
    assert!(after[0].active && after[0].kid == next.kid, "the new key is active and first");
    assert_eq!(after[0].private_pkcs8, next.private_pkcs8, "private keys round-trip through sealing");
    assert_eq!(after[1].retire_at, Some(at(100)));
    // A third rotation after the retirement time drops the first key.
    store.rotate_signing_key(signing_key(200), at(300), at(200)).await.expect("rotate");
    let kids: Vec<_> = store.signing_keys().await.expect("keys").into_iter().map(|k| k.kid).collect();
    assert_eq!(kids.len(), 2);
    assert!(!kids.contains(&before[0].kid));
}

async fn resources_are_case_insensitive_and_guarded(store: &dyn Store) {
    let id = "/subscriptions/s/resourceGroups/RG/providers/Microsoft.KeyVault/vaults/Kv1";
    let change = ResourceChange {
        upserts: vec![(sample_resource(id, json!({"a": 1}), 1), Expect::Absent)],
        ..Default::default()
    };
    store.write_resources(change.clone()).await.expect("create");
    let got = store.resource(&id.to_lowercase()).await.expect("get").expect("exists");
    assert_eq!(got.id, id, "original case kept");
    assert!(matches!(store.write_resources(change).await, Err(StoreError::Conflict(Conflict::Concurrent { .. }))));
    // Same DNS name in another group.
    let other = "/subscriptions/s/resourceGroups/other/providers/Microsoft.KeyVault/vaults/KV1";
    let clash =
        ResourceChange { upserts: vec![(sample_resource(other, json!({}), 1), Expect::Absent)], ..Default::default() };
    assert!(matches!(store.write_resources(clash).await, Err(StoreError::Conflict(Conflict::GlobalNameTaken { .. }))));
    let update = ResourceChange {
        upserts: vec![(sample_resource(id, json!({"a": 2}), 2), Expect::Generation(1))],
        ..Default::default()
    };
    store.write_resources(update).await.expect("update");
    let listed = store
        .list_resources(&ResourceQuery { group_key: Some("rg".into()), ..Default::default() })
        .await
        .expect("list");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].body["a"], 2);
    let delete = ResourceChange { deletes: vec![(id.to_lowercase(), Expect::Generation(2))], ..Default::default() };
    store.write_resources(delete).await.expect("delete");
    assert!(store.resource(&id.to_lowercase()).await.expect("get").is_none());
    // A child whose parent is gone is refused, not orphaned.
    let child = |parent: &str, name: &str| ResourceRecord {
        parent_key: Some(parent.to_lowercase()),
        global_name: None,
        ..sample_resource(&format!("{parent}/children/{name}"), json!({}), 1)
    };
    let orphan = ResourceChange {
        upserts: vec![(child(id, "c1"), Expect::Absent)],
        require_present: vec![id.to_lowercase()],
        ..Default::default()
    };
    assert!(matches!(store.write_resources(orphan).await, Err(StoreError::Conflict(Conflict::Concurrent { .. }))));
    // A cascade deletes the group's resources and retires their identities' principals.
    let parent = "/subscriptions/s/resourceGroups/RG/providers/Microsoft.KeyVault/vaults/p1";
    let principal = PrincipalRecord {
        object_id: ObjectId::random(),
        client_id: ClientId::random(),
        tenant_id: store.tenants().await.expect("tenants")[0].id,
        display_name: "c2".into(),
        kind: PrincipalKind::SystemAssigned,
        resource_id: Some(format!("{parent}/children/c2")),
        created_at: at(0),
        deleted_at: None,
    };
    let create = ResourceChange {
        upserts: vec![(sample_resource(parent, json!({}), 1), Expect::Absent), (child(parent, "c2"), Expect::Absent)],
        new_principals: vec![principal.clone()],
        ..Default::default()
    };
    store.write_resources(create).await.expect("create parent and child");
    let cascade = ResourceChange {
        cascades: vec![Cascade::Group { subscription_id: "s".into(), group_key: "rg".into() }],
        at: Some(at(50)),
        ..Default::default()
    };
    store.write_resources(cascade).await.expect("cascade");
    assert!(
        store
            .list_resources(&ResourceQuery { group_key: Some("rg".into()), ..Default::default() })
            .await
            .expect("list")
            .is_empty()
    );
    assert_eq!(store.principal(principal.object_id).await.expect("get").expect("kept").deleted_at, Some(at(50)));
}

async fn role_assignments_are_unique(store: &dyn Store) {
    let principal = ObjectId::random();
    let record = |name: &str| RoleAssignmentRecord {
        id: format!("/subscriptions/s/resourceGroups/rg/providers/Microsoft.Authorization/roleAssignments/{name}"),
        scope_key: "/subscriptions/s/resourcegroups/rg".into(),
        role_definition_guid: "acdd72a7-3385-48ef-bd42-f606fba81ae7".into(),
        principal_id: principal,
        body: json!({"name": name}),
        created_at: at(5),
    };
    store.put_role_assignment(record("one")).await.expect("assign");
    let other = |name: &str| RoleAssignmentRecord { principal_id: ObjectId::random(), ..record(name) };
    store.import_role_assignments(vec![other("i1"), other("i2")]).await.expect("import");
    assert!(matches!(
        store.import_role_assignments(vec![other("i3"), record("i4")]).await,
        Err(StoreError::Conflict(Conflict::RoleAssignmentExists { .. }))
    ));
    assert!(store.role_assignment(&other("i3").key()).await.expect("get").is_none(), "a failed import imports nothing");
    assert!(matches!(
        store.put_role_assignment(record("two")).await,
        Err(StoreError::Conflict(Conflict::RoleAssignmentExists { .. }))
    ));
    // Deleting the scope removes assignments at and below it.
    let change = ResourceChange {
        deleted_role_assignment_scopes: vec!["/subscriptions/s/resourcegroups/rg".into()],
        ..Default::default()
    };
    store.write_resources(change).await.expect("cascade");
    assert!(store.role_assignment(&record("one").key()).await.expect("get").is_none());
}
