//! The control plane is authorized with the engine: role assignments take effect (and stop)
//! at once, control-plane and data-plane roles stay apart, scopes inherit, deny wins.

use inkan_testkit::TestServer;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

struct World {
    server: TestServer,
    sub: String,
    /// The VM whose system-assigned identity acts as the caller.
    principal: String,
    token: String,
}

const READER: &str = "acdd72a7-3385-48ef-bd42-f606fba81ae7";
const CONTRIBUTOR: &str = "b24988ac-6180-42a0-ab88-20f7382dd24c";
const OWNER: &str = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635";
const SECRETS_USER: &str = "4633458b-17de-408a-b874-0445c86b69e6";

async fn world() -> World {
    let server = TestServer::start().await;
    let sub = server.subscription().to_owned();
    for rg in ["app", "other"] {
        let (status, _) = server
            .arm(
                Method::PUT,
                &format!("/subscriptions/{sub}/resourcegroups/{rg}?api-version=2022-09-01"),
                Some(json!({"location": "eastus"})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let (vm, principal) = server.vm_with_identity("other", "caller").await;
    let token = server.imds_token(&vm, "https://management.azure.com/").await;
    World { server, sub, principal, token }
}

impl World {
    async fn as_caller(&self, method: Method, path: &str, body: Value) -> (StatusCode, Value) {
        let (status, value, _) = self.server.arm_with(method, path, Some(&self.token), Some(&body.to_string())).await;
        (status, value)
    }

    async fn assign(&self, role: &str, scope: &str, name: &str) -> String {
        let id = format!("{scope}/providers/Microsoft.Authorization/roleAssignments/{name}");
        let body = json!({"properties": {"roleDefinitionId": format!("/providers/Microsoft.Authorization/roleDefinitions/{role}"), "principalId": self.principal}});
        let (status, created) = self.server.arm(Method::PUT, &format!("{id}?api-version=2022-04-01"), Some(body)).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        id
    }

    fn identity_path(&self, rg: &str, name: &str) -> String {
        format!(
            "/subscriptions/{}/resourceGroups/{rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}?api-version=2023-01-31",
            self.sub
        )
    }
}

#[tokio::test]
async fn reader_then_contributor_then_nothing_all_effective_at_once() {
    let w = world().await;
    let rg = format!("/subscriptions/{}/resourceGroups/app", w.sub);
    w.assign(READER, &rg, "00000000-0000-4000-8000-0000000000a1").await;
    let create = json!({"location": "eastus"});
    let (status, refused) = w.as_caller(Method::PUT, &w.identity_path("app", "made-by-mi"), create.clone()).await;
    assert_eq!((status, refused["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("AuthorizationFailed")));
    let message = refused["error"]["message"].as_str().unwrap();
    assert!(message.contains(&format!("with object id '{}'", w.principal)), "{message}");
    assert!(message.contains("'Microsoft.ManagedIdentity/userAssignedIdentities/write'"), "{message}");
    assert!(message.contains("'Reader' at"), "the hint names what applies: {message}");
    let (status, _) = w.as_caller(Method::GET, &format!("{rg}?api-version=2022-09-01"), json!({})).await;
    assert_eq!(status, StatusCode::OK, "Reader reads");

    let contributor = w.assign(CONTRIBUTOR, &rg, "00000000-0000-4000-8000-0000000000a2").await;
    let (status, created) = w.as_caller(Method::PUT, &w.identity_path("app", "made-by-mi"), create.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "Contributor is effective for the very next request: {created}");
    let (status, _) = w.as_caller(Method::PUT, &w.identity_path("other", "elsewhere"), create.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "the group scope does not reach another group");

    let (status, _) = w.server.arm(Method::DELETE, &format!("{contributor}?api-version=2022-04-01"), None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = w.as_caller(Method::PUT, &w.identity_path("app", "second"), create).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "removing the assignment is effective at once");
}

#[tokio::test]
async fn data_roles_grant_no_control_plane_writes_and_owner_inherits() {
    let w = world().await;
    let sub_scope = format!("/subscriptions/{}", w.sub);
    let rg = format!("{sub_scope}/resourceGroups/app");
    w.assign(SECRETS_USER, &rg, "00000000-0000-4000-8000-0000000000b1").await;
    let vault = format!("{rg}/providers/Microsoft.KeyVault/vaults/mi-kv?api-version=2024-11-01");
    let body = json!({"location": "eastus", "properties": {"tenantId": w.server.tenant(), "sku": {"family": "A", "name": "standard"}}});
    let (status, refused) = w.as_caller(Method::PUT, &vault, body.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(refused["error"]["message"].as_str().unwrap().contains("'Key Vault Secrets User' at"));
    w.assign(OWNER, &sub_scope, "00000000-0000-4000-8000-0000000000b2").await;
    let (status, created) = w.as_caller(Method::PUT, &vault, body).await;
    assert_eq!(status, StatusCode::CREATED, "Owner at the subscription reaches a resource in a child group: {created}");
    let (status, perms) = w
        .as_caller(
            Method::GET,
            &format!("{rg}/providers/Microsoft.Authorization/permissions?api-version=2022-04-01"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let actions: Vec<&Value> = perms["value"].as_array().unwrap().iter().collect();
    assert_eq!(actions.len(), 2, "one entry per role that applies: {perms}");
}

#[tokio::test]
async fn a_deny_assignment_wins_over_owner_and_access_check_explains_it() {
    let w = world().await;
    let sub_scope = format!("/subscriptions/{}", w.sub);
    let rg = format!("{sub_scope}/resourceGroups/app");
    w.assign(OWNER, &sub_scope, "00000000-0000-4000-8000-0000000000c1").await;
    let deny = format!(
        "{rg}/providers/Microsoft.Authorization/denyAssignments/00000000-0000-4000-8000-0000000000d1?api-version=2022-04-01"
    );
    let body = json!({"properties": {"denyAssignmentName": "no identities here", "permissions": [{"actions": ["Microsoft.ManagedIdentity/*"]}],
        "principals": [{"id": "00000000-0000-0000-0000-000000000000", "type": "SystemDefined"}],
        "excludePrincipals": [{"id": w.server.admin.object_id.clone(), "type": "ServicePrincipal"}]}});
    let (status, created) = w.server.arm(Method::PUT, &deny, Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let (status, refused) =
        w.as_caller(Method::PUT, &w.identity_path("app", "denied"), json!({"location": "eastus"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let message = refused["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("deny assignment 'no identities here'") && message.contains("even though 'Owner' at"),
        "{message}"
    );
    let (status, _) =
        w.as_caller(Method::PUT, &w.identity_path("other", "allowed"), json!({"location": "eastus"})).await;
    assert_eq!(status, StatusCode::CREATED, "the deny applies at its scope only");
    let (status, _) =
        w.server.arm(Method::PUT, &w.identity_path("app", "by-admin"), Some(json!({"location": "eastus"}))).await;
    assert_eq!(status, StatusCode::CREATED, "excluded principals are not denied");

    let check = format!(
        "/inkan/v1/access/check?principal={}&action=Microsoft.ManagedIdentity/userAssignedIdentities/write&scope={rg}",
        w.principal
    );
    let (status, explained) = w.server.arm(Method::GET, &check, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(explained["allowed"], false);
    assert_eq!(explained["deniedBy"]["name"], "no identities here");
    assert_eq!(explained["grantedBy"]["role"], "Owner");
    let data = format!(
        "/inkan/v1/access/check?principal={}&action=Microsoft.KeyVault/vaults/secrets/getSecret/action&scope={rg}/providers/Microsoft.KeyVault/vaults/kv/secrets/s",
        w.principal
    );
    let (_, secret) = w.server.arm(Method::GET, &data, None).await;
    assert_eq!(secret["allowed"], false);
    let why = secret["explanation"].as_str().unwrap();
    assert!(why.contains("control-plane roles such as Owner or Contributor never grant data actions"), "{why}");
    assert!(why.contains("Key Vault Secrets User"), "the narrowest role that would grant it: {why}");
}

#[tokio::test]
async fn an_optional_propagation_delay_imitates_azure_and_can_be_awaited() {
    let server =
        TestServer::start_with(inkan_server::config::RawConfig { assignment_delay: Some(120), ..Default::default() })
            .await;
    let sub = server.subscription().to_owned();
    server
        .arm(
            Method::PUT,
            &format!("/subscriptions/{sub}/resourcegroups/app?api-version=2022-09-01"),
            Some(json!({"location": "eastus"})),
        )
        .await;
    let (vm, principal) = server.vm_with_identity("app", "caller").await;
    let token = server.imds_token(&vm, "https://management.azure.com/").await;
    let rg = format!("/subscriptions/{sub}/resourceGroups/app");
    let assignment =
        format!("{rg}/providers/Microsoft.Authorization/roleAssignments/00000000-0000-4000-8000-0000000000e1");
    let body = json!({"properties": {"roleDefinitionId": format!("/providers/Microsoft.Authorization/roleDefinitions/{CONTRIBUTOR}"), "principalId": principal}});
    let (status, _) = server.arm(Method::PUT, &format!("{assignment}?api-version=2022-04-01"), Some(body)).await;
    assert_eq!(status, StatusCode::CREATED);
    let create = format!("{rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/late?api-version=2023-01-31");
    let (status, refused, _) =
        server.arm_with(Method::PUT, &create, Some(&token), Some("{\"location\":\"eastus\"}")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(refused["error"]["message"].as_str().unwrap().contains("once it takes effect at"), "{refused}");
    let (_, pending) =
        server.arm(Method::GET, &format!("/inkan/v1/role-assignment-status?id={assignment}"), None).await;
    assert_eq!((pending["exists"].as_bool(), pending["effective"].as_bool()), (Some(true), Some(false)));
    server.clock.advance(time::Duration::seconds(121));
    let (_, effective) =
        server.arm(Method::GET, &format!("/inkan/v1/role-assignment-status?id={assignment}"), None).await;
    assert_eq!(effective["effective"], true);
    let (status, _, _) = server.arm_with(Method::PUT, &create, Some(&token), Some("{\"location\":\"eastus\"}")).await;
    assert_eq!(status, StatusCode::CREATED);
}

#[tokio::test]
async fn custom_roles_grant_what_they_list_where_they_are_assignable() {
    let w = world().await;
    let sub_scope = format!("/subscriptions/{}", w.sub);
    let rg = format!("{sub_scope}/resourceGroups/app");
    let role_id = "11111111-2222-4333-8444-555555555555";
    let definition =
        format!("{sub_scope}/providers/Microsoft.Authorization/roleDefinitions/{role_id}?api-version=2022-04-01");
    let body = json!({"properties": {"roleName": "Identity Maker", "description": "creates identities in app",
        "permissions": [{"actions": ["Microsoft.ManagedIdentity/userAssignedIdentities/*"], "notActions": ["Microsoft.ManagedIdentity/userAssignedIdentities/delete"]}],
        "assignableScopes": [rg.clone()]}});
    let (status, created) = w.server.arm(Method::PUT, &definition, Some(body.clone())).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["properties"]["type"], "CustomRole");
    let mut renamed = body.clone();
    renamed["properties"]["roleName"] = json!("Reader");
    let (status, clash) = w.server.arm(Method::PUT, &definition, Some(renamed)).await;
    assert_eq!(
        (status, clash["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("RoleDefinitionWithSameNameExists"))
    );
    let (_, found) = w
        .server
        .arm(Method::GET, &format!("{rg}/providers/Microsoft.Authorization/roleDefinitions?api-version=2022-04-01&$filter=roleName%20eq%20'identity%20maker'"), None)
        .await;
    assert_eq!(found["value"][0]["name"], role_id);

    // Not assignable above its assignable scopes.
    let at_sub = format!(
        "{sub_scope}/providers/Microsoft.Authorization/roleAssignments/00000000-0000-4000-8000-0000000000f1?api-version=2022-04-01"
    );
    let assign = json!({"properties": {"roleDefinitionId": format!("/subscriptions/{}/providers/Microsoft.Authorization/roleDefinitions/{role_id}", w.sub), "principalId": w.principal}});
    let (status, refused) = w.server.arm(Method::PUT, &at_sub, Some(assign.clone())).await;
    assert_eq!(
        (status, refused["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("RoleDefinitionNotAssignableAtScope"))
    );
    let at_rg = format!(
        "{rg}/providers/Microsoft.Authorization/roleAssignments/00000000-0000-4000-8000-0000000000f2?api-version=2022-04-01"
    );
    let (status, _) = w.server.arm(Method::PUT, &at_rg, Some(assign)).await;
    assert_eq!(status, StatusCode::CREATED);

    let (status, _) =
        w.as_caller(Method::PUT, &w.identity_path("app", "made-by-custom"), json!({"location": "eastus"})).await;
    assert_eq!(status, StatusCode::CREATED, "the custom role grants write");
    let (status, refused) = w.as_caller(Method::DELETE, &w.identity_path("app", "made-by-custom"), json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "its notActions subtract delete: {refused}");
    let (status, in_use) = w.server.arm(Method::DELETE, &definition, None).await;
    assert_eq!(
        (status, in_use["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("RoleDefinitionHasAssignments"))
    );
}

#[tokio::test]
async fn escalation_paths_are_closed() {
    let w = world().await;
    let sub_scope = format!("/subscriptions/{}", w.sub);
    let app = format!("{sub_scope}/resourceGroups/app");
    let other = format!("{sub_scope}/resourceGroups/other");
    w.assign(OWNER, &app, "00000000-0000-4000-8000-0000000000aa").await;
    // An identity elsewhere cannot be attached without assign/action on it.
    let (status, _) =
        w.server.arm(Method::PUT, &w.identity_path("other", "powerful"), Some(json!({"location": "eastus"}))).await;
    assert_eq!(status, StatusCode::CREATED);
    let uai = format!("{other}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/powerful");
    let vm = format!("{app}/providers/Microsoft.Compute/virtualMachines/borrower?api-version=2024-07-01");
    let body = json!({"location": "eastus", "identity": {"type": "UserAssigned", "userAssignedIdentities": {uai.clone(): {}}}});
    let (status, refused) = w.as_caller(Method::PUT, &vm, body.clone()).await;
    assert_eq!(
        (status, refused["error"]["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("LinkedAuthorizationFailed")),
        "{refused}"
    );
    w.assign("f1a07417-d97a-45cb-824c-7a7467783830", &uai, "00000000-0000-4000-8000-0000000000ab").await; // Managed Identity Operator
    let (status, _) = w.as_caller(Method::PUT, &vm, body).await;
    assert_eq!(status, StatusCode::CREATED, "Managed Identity Operator on the identity allows attaching it");
    // Owner of a group may not write deny assignments, nor a custom role assignable above its reach.
    let deny = format!(
        "{app}/providers/Microsoft.Authorization/denyAssignments/00000000-0000-4000-8000-0000000000ac?api-version=2022-04-01"
    );
    let (status, _) = w
        .as_caller(Method::PUT, &deny, json!({"properties": {"permissions": [{"actions": ["*"]}], "principals": [{"id": "00000000-0000-0000-0000-000000000000"}]}}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let role = format!(
        "{app}/providers/Microsoft.Authorization/roleDefinitions/22222222-2222-4333-8444-555555555555?api-version=2022-04-01"
    );
    let (status, refused) = w
        .as_caller(Method::PUT, &role, json!({"properties": {"roleName": "Everything", "permissions": [{"actions": ["*"]}], "assignableScopes": [sub_scope]}}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "roleDefinitions/write is needed at every assignable scope: {refused}");
}

#[tokio::test]
async fn a_subscription_is_listed_to_whoever_has_a_control_plane_role_inside_it() {
    let w = world().await;
    let listing = "/subscriptions?api-version=2022-12-01";
    let vault = format!("/subscriptions/{}/resourceGroups/app/providers/Microsoft.KeyVault/vaults/listed-kv", w.sub);
    let (status, _) = w
        .server
        .arm(
            Method::PUT,
            &format!("{vault}?api-version=2026-02-01"),
            Some(json!({"location": "eastus", "properties": {"tenantId": w.server.tenant(),
                "sku": {"family": "A", "name": "standard"}, "enableRbacAuthorization": true}})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    // A data-plane role alone shows no subscription (az login --identity then needs
    // --allow-no-subscriptions, as in Azure).
    w.assign(SECRETS_USER, &vault, "00000000-0000-4000-8000-0000000000b1").await;
    let (status, listed) = w.as_caller(Method::GET, listing, json!({})).await;
    assert_eq!((status, listed["value"].as_array().unwrap().len()), (StatusCode::OK, 0), "{listed}");
    // Reader on one resource group: the subscription is listed.
    w.assign(READER, &format!("/subscriptions/{}/resourceGroups/app", w.sub), "00000000-0000-4000-8000-0000000000b2")
        .await;
    let (_, listed) = w.as_caller(Method::GET, listing, json!({})).await;
    assert_eq!(listed["value"][0]["subscriptionId"], w.sub, "{listed}");
    let (status, one) =
        w.as_caller(Method::GET, &format!("/subscriptions/{}?api-version=2022-12-01", w.sub), json!({})).await;
    assert_eq!(status, StatusCode::OK, "what is listed can be read: {one}");
    // A subscription that does not exist is 404 before authorization, with no hint to assign
    // a role there.
    let ghost = "/subscriptions/00000000-1111-2222-3333-444444444444/providers/Microsoft.Compute/virtualMachines?api-version=2024-07-01";
    let (status, missing) = w.as_caller(Method::GET, ghost, json!({})).await;
    assert_eq!(
        (status, missing["error"]["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("SubscriptionNotFound")),
        "{missing}"
    );
}
