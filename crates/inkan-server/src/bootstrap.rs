//! The first start: one tenant, one subscription, the administrator and the first signing key.

use crate::data_dir::{AdminCredentials, DataDir, write_private};
use inkan_core::clock::Clock;
use inkan_core::ids::{ClientId, ObjectId, SubscriptionId, TenantId};
use inkan_core::rbac::OWNER_ROLE_ID;
use inkan_crypto::signing::SigningKey;
use inkan_store::{
    BootstrapRecord, ClientSecretRecord, Initialization, PrincipalKind, PrincipalRecord, RoleAssignmentRecord,
    SigningKeyRecord, Store, SubscriptionRecord, TenantRecord,
};
use serde_json::json;

/// The display name of the bootstrap administrator's service principal.
pub const ADMIN_DISPLAY_NAME: &str = "inkan-bootstrap-admin";

/// Initializes a new store, or returns what an earlier start created.
pub async fn ensure_initialized(
    store: &dyn Store,
    clock: &dyn Clock,
    dir: &DataDir,
) -> anyhow::Result<BootstrapRecord> {
    if let Some(done) = store.bootstrap().await? {
        if !dir.admin_path().exists() {
            tracing::warn!(
                "{} is missing: the bootstrap administrator's secret cannot be shown again",
                dir.admin_path().display()
            );
        }
        return Ok(done);
    }
    let now = clock.now();
    let tenant_id = TenantId::random();
    let subscription_id = SubscriptionId::random();
    let admin = PrincipalRecord {
        object_id: ObjectId::random(),
        client_id: ClientId::random(),
        tenant_id,
        display_name: ADMIN_DISPLAY_NAME.into(),
        kind: PrincipalKind::Application,
        resource_id: None,
        created_at: now,
        deleted_at: None,
    };
    let secret = inkan_crypto::random::client_secret();
    // The credentials file is written before the store commits: a crash in between leaves a
    // stale file that the next start overwrites, never a store whose admin secret is lost.
    let credentials = AdminCredentials {
        tenant_id: tenant_id.to_string(),
        subscription_id: subscription_id.to_string(),
        client_id: admin.client_id.to_string(),
        object_id: admin.object_id.to_string(),
        client_secret: secret.clone(),
    };
    write_private(&dir.admin_path(), serde_json::to_string_pretty(&credentials)?.as_bytes())?;
    let generated = SigningKey::generate(now)?;
    let assignment_name = uuid::Uuid::new_v4().to_string();
    let assignment_id = format!("/providers/Microsoft.Authorization/roleAssignments/{assignment_name}");
    let created = inkan_core::clock::rfc3339(now);
    let init = Initialization {
        tenant: TenantRecord { id: tenant_id, display_name: "inkan".into(), created_at: now },
        subscription: SubscriptionRecord {
            id: subscription_id,
            tenant_id,
            display_name: "inkan subscription".into(),
            created_at: now,
        },
        admin_secret: ClientSecretRecord {
            key_id: uuid::Uuid::new_v4().to_string(),
            client_id: admin.client_id,
            hint: secret[..3].to_owned(),
            verifier: inkan_crypto::digest::sha256(secret.as_bytes()),
            created_at: now,
            expires_at: now + time::Duration::days(365 * 100),
        },
        admin_assignment: RoleAssignmentRecord {
            id: assignment_id.clone(),
            scope_key: "/".into(),
            role_definition_guid: OWNER_ROLE_ID.into(),
            principal_id: admin.object_id,
            body: json!({
                "id": assignment_id,
                "name": assignment_name,
                "type": "Microsoft.Authorization/roleAssignments",
                "properties": {
                    "roleDefinitionId": format!("/providers/Microsoft.Authorization/roleDefinitions/{OWNER_ROLE_ID}"),
                    "principalId": admin.object_id.to_string(),
                    "principalType": "ServicePrincipal",
                    "scope": "/",
                    "description": "The bootstrap administrator (created by inkan on first start)",
                    "createdOn": created,
                    "updatedOn": created,
                    "createdBy": null,
                    "updatedBy": null,
                    "condition": null,
                    "conditionVersion": null,
                    "delegatedManagedIdentityResourceId": null,
                }
            }),
            created_at: now,
        },
        admin,
        signing_key: SigningKeyRecord {
            kid: generated.key.kid().to_owned(),
            private_pkcs8: generated.pkcs8,
            cert_der: generated.cert_der,
            created_at: now,
            active: true,
            retire_at: None,
        },
    };
    store.initialize(init).await?;
    store.bootstrap().await?.ok_or_else(|| anyhow::anyhow!("the store did not keep its initialization"))
}
