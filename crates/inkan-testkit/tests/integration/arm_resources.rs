//! The control plane's happy paths: resource groups, identities, identity blocks, slots,
//! vaults, role assignments and definitions, subscriptions and cloud metadata.

use inkan_testkit::TestServer;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

struct Arm {
    server: TestServer,
    sub: String,
}

impl Arm {
    async fn new() -> Self {
        let server = TestServer::start().await;
        let sub = server.subscription().to_owned();
        let arm = Self { server, sub };
        arm.ok(
            Method::PUT,
            "/resourcegroups/app?api-version=2022-09-01",
            Some(json!({"location": "Japan East", "tags": {"env": "dev"}})),
        )
        .await;
        arm
    }

    fn path(&self, rest: &str) -> String {
        format!("/subscriptions/{}{rest}", self.sub)
    }

    async fn call(&self, method: Method, rest: &str, body: Option<Value>) -> (StatusCode, Value) {
        self.server.arm(method, &self.path(rest), body).await
    }

    async fn ok(&self, method: Method, rest: &str, body: Option<Value>) -> Value {
        let (status, value) = self.call(method.clone(), rest, body).await;
        assert!(status.is_success(), "{method} {rest}: {status} {value}");
        value
    }

    async fn identity(&self, name: &str) -> Value {
        self.ok(
            Method::PUT,
            &format!("/resourceGroups/app/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}?api-version=2023-01-31"),
            Some(json!({"location": "japaneast"})),
        )
        .await
    }

    fn uai_id(&self, name: &str) -> String {
        self.path(&format!("/resourceGroups/app/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}"))
    }
}

#[tokio::test]
async fn resource_groups_are_created_replaced_listed_and_deleted() {
    let arm = Arm::new().await;
    let (status, rg) = arm.call(Method::GET, "/resourceGroups/APP?api-version=2022-09-01", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(rg["location"], "japaneast", "locations are normalised");
    assert_eq!(rg["name"], "app", "the original case is kept");
    assert_eq!(rg["properties"]["provisioningState"], "Succeeded");
    let (status, _) = arm
        .call(Method::PUT, "/resourcegroups/app?api-version=2022-09-01", Some(json!({"location": "japaneast"})))
        .await;
    assert_eq!(status, StatusCode::OK, "a replace is 200");
    let (status, moved) =
        arm.call(Method::PUT, "/resourcegroups/app?api-version=2022-09-01", Some(json!({"location": "westus"}))).await;
    assert_eq!((status, moved["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("InvalidResourceGroupLocation")));
    // SDKs percent-encode names: `rg(1)` arrives as `rg%281%29`.
    let (status, encoded) = arm
        .call(Method::PUT, "/resourcegroups/rg%281%29?api-version=2022-09-01", Some(json!({"location": "eastus"})))
        .await;
    assert_eq!((status, encoded["name"].as_str()), (StatusCode::CREATED, Some("rg(1)")));
    let list = arm.ok(Method::GET, "/resourcegroups?api-version=2022-09-01", None).await;
    assert_eq!(list["value"].as_array().unwrap().len(), 2);
    let head = arm.server.arm(Method::HEAD, &arm.path("/resourcegroups/missing?api-version=2022-09-01"), None).await;
    assert_eq!(head.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn user_assigned_identities_are_service_principals_with_their_own_ids() {
    let arm = Arm::new().await;
    let a = arm.identity("web-id").await;
    let b = arm.identity("worker-id").await;
    for identity in [&a, &b] {
        assert_eq!(identity["type"], "Microsoft.ManagedIdentity/userAssignedIdentities");
        assert_eq!(identity["properties"]["tenantId"], arm.server.tenant());
        assert!(inkan_core::ids::parse_guid(identity["properties"]["clientId"].as_str().unwrap()).is_ok());
    }
    assert_ne!(a["properties"]["principalId"], b["properties"]["principalId"]);
    assert_ne!(a["properties"]["principalId"], a["properties"]["clientId"]);
    let again = arm.identity("web-id").await;
    assert_eq!(again["properties"]["principalId"], a["properties"]["principalId"], "a replace keeps the principal");
    let listed = arm
        .ok(
            Method::GET,
            "/resourceGroups/app/providers/Microsoft.ManagedIdentity/userAssignedIdentities?api-version=2023-01-31",
            None,
        )
        .await;
    assert_eq!(listed["value"].as_array().unwrap().len(), 2);
    let in_sub = arm
        .ok(Method::GET, "/providers/Microsoft.ManagedIdentity/userAssignedIdentities?api-version=2023-01-31", None)
        .await;
    assert_eq!(in_sub["value"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn a_vm_with_two_user_assigned_identities_and_a_system_identity() {
    let arm = Arm::new().await;
    let a = arm.identity("id-a").await;
    let b = arm.identity("id-b").await;
    let vm_path = "/resourceGroups/app/providers/Microsoft.Compute/virtualMachines/vm1?api-version=2024-07-01";
    let body = json!({
        "location": "japaneast",
        "identity": {"type": "SystemAssigned,UserAssigned", "userAssignedIdentities": {arm.uai_id("id-a"): {}, arm.uai_id("ID-B").to_lowercase(): {}}},
        "properties": {"hardwareProfile": {"vmSize": "Standard_B1s"}},
    });
    let (status, vm) = arm.call(Method::PUT, vm_path, Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{vm}");
    let identity = &vm["identity"];
    assert_eq!(identity["type"], "SystemAssigned, UserAssigned");
    assert_eq!(identity["tenantId"], arm.server.tenant());
    let system = identity["principalId"].as_str().unwrap().to_owned();
    let users = identity["userAssignedIdentities"].as_object().unwrap();
    assert_eq!(users.len(), 2);
    assert_eq!(users[&arm.uai_id("id-a")]["clientId"], a["properties"]["clientId"]);
    assert_eq!(
        users[&arm.uai_id("id-b")]["principalId"],
        b["properties"]["principalId"],
        "keys use the identity's stored id"
    );
    assert!(inkan_core::ids::parse_guid(vm["properties"]["vmId"].as_str().unwrap()).is_ok());

    // PATCH removes one user-assigned identity and keeps the system one.
    let patched = arm
        .ok(Method::PATCH, vm_path, Some(json!({"identity": {"type": "SystemAssigned, UserAssigned", "userAssignedIdentities": {arm.uai_id("id-a"): null}}})))
        .await;
    assert_eq!(patched["identity"]["principalId"], system.as_str());
    assert_eq!(patched["identity"]["userAssignedIdentities"].as_object().unwrap().len(), 1);
    assert_eq!(patched["properties"]["hardwareProfile"]["vmSize"], "Standard_B1s", "PATCH keeps other properties");

    // Turning the system identity off and on again gives a new principal.
    arm.ok(Method::PATCH, vm_path, Some(json!({"identity": {"type": "UserAssigned"}}))).await;
    let back =
        arm.ok(Method::PATCH, vm_path, Some(json!({"identity": {"type": "SystemAssigned, UserAssigned"}}))).await;
    assert_ne!(back["identity"]["principalId"], system.as_str());
}

#[tokio::test]
async fn a_slot_has_its_own_identity_and_goes_with_its_site() {
    let arm = Arm::new().await;
    let site = arm
        .ok(
            Method::PUT,
            "/resourceGroups/app/providers/Microsoft.Web/sites/shop?api-version=2024-04-01",
            Some(json!({"location": "japaneast", "identity": {"type": "SystemAssigned"}})),
        )
        .await;
    let (status, slot) = arm
        .call(
            Method::PUT,
            "/resourceGroups/app/providers/Microsoft.Web/sites/shop/slots/staging?api-version=2024-04-01",
            Some(json!({"location": "japaneast", "identity": {"type": "SystemAssigned"}})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{slot}");
    assert_eq!(slot["type"], "Microsoft.Web/sites/slots");
    assert_eq!(slot["name"], "staging");
    assert_ne!(slot["identity"]["principalId"], site["identity"]["principalId"]);
    assert_eq!(slot["properties"]["defaultHostName"], "shop-staging.azurewebsites.localhost");
    let slots = arm
        .ok(Method::GET, "/resourceGroups/app/providers/Microsoft.Web/sites/shop/slots?api-version=2024-04-01", None)
        .await;
    assert_eq!(slots["value"].as_array().unwrap().len(), 1);
    let (status, _) = arm
        .call(Method::DELETE, "/resourceGroups/app/providers/Microsoft.Web/sites/shop?api-version=2024-04-01", None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, gone) = arm
        .call(
            Method::GET,
            "/resourceGroups/app/providers/Microsoft.Web/sites/shop/slots/staging?api-version=2024-04-01",
            None,
        )
        .await;
    assert_eq!((status, gone["error"]["code"].as_str()), (StatusCode::NOT_FOUND, Some("ParentResourceNotFound")));
    let (status, _) = arm
        .call(Method::DELETE, "/resourceGroups/app/providers/Microsoft.Web/sites/shop?api-version=2024-04-01", None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "deleting what is gone is 204");
}

#[tokio::test]
async fn vaults_default_as_azure_does_and_registries_get_login_servers() {
    let arm = Arm::new().await;
    let kv = |rbac: Option<bool>| {
        let mut props = json!({"tenantId": arm.server.tenant(), "sku": {"family": "A", "name": "standard"}});
        if let Some(r) = rbac {
            props["enableRbacAuthorization"] = json!(r);
        }
        json!({"location": "japaneast", "properties": props})
    };
    let new = arm
        .ok(
            Method::PUT,
            "/resourceGroups/app/providers/Microsoft.KeyVault/vaults/new-kv?api-version=2026-02-01",
            Some(kv(None)),
        )
        .await;
    assert_eq!(new["properties"]["enableRbacAuthorization"], true, "RBAC is the default from 2026-02-01");
    let old = arm
        .ok(
            Method::PUT,
            "/resourceGroups/app/providers/Microsoft.KeyVault/vaults/old-kv?api-version=2023-07-01",
            Some(kv(None)),
        )
        .await;
    assert_eq!(old["properties"]["enableRbacAuthorization"], false, "access policies before 2026-02-01");
    assert_eq!(
        new["properties"]["vaultUri"],
        format!("https://new-kv.vault.localhost:{}/", arm.server.server.urls.port)
    );
    assert_eq!(new["properties"]["softDeleteRetentionInDays"], 90);
    let acr = arm
        .ok(
            Method::PUT,
            "/resourceGroups/app/providers/Microsoft.ContainerRegistry/registries/MyRegistry?api-version=2023-07-01",
            Some(json!({"location": "japaneast", "sku": {"name": "Basic"}})),
        )
        .await;
    assert_eq!(
        acr["properties"]["loginServer"],
        format!("myregistry.azurecr.localhost:{}", arm.server.server.urls.port)
    );
    assert_eq!(acr["sku"]["name"], "Basic");
}

#[tokio::test]
async fn role_assignments_and_definitions() {
    let arm = Arm::new().await;
    let identity = arm.identity("reader").await;
    let principal = identity["properties"]["principalId"].as_str().unwrap();
    let defs = arm
        .ok(Method::GET, "/providers/Microsoft.Authorization/roleDefinitions?api-version=2022-05-01-preview&$filter=roleName%20eq%20'Key%20Vault%20Secrets%20User'", None)
        .await;
    let def = &defs["value"][0];
    assert_eq!(defs["value"].as_array().unwrap().len(), 1);
    assert_eq!(def["name"], "4633458b-17de-408a-b874-0445c86b69e6");
    assert_eq!(
        def["id"],
        arm.path("/providers/Microsoft.Authorization/roleDefinitions/4633458b-17de-408a-b874-0445c86b69e6")
    );
    assert_eq!(
        def["properties"]["permissions"][0]["dataActions"][0],
        "Microsoft.KeyVault/vaults/secrets/getSecret/action"
    );
    let scope = "/resourceGroups/app";
    let assignment = "/providers/Microsoft.Authorization/roleAssignments/2f3c8b1e-0000-4000-8000-000000000001?api-version=2022-04-01";
    let (status, created) = arm
        .call(
            Method::PUT,
            &format!("{scope}{assignment}"),
            Some(json!({"properties": {"roleDefinitionId": def["id"], "principalId": principal}})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["properties"]["scope"], arm.path(scope));
    assert_eq!(created["properties"]["principalType"], "ServicePrincipal");
    let listed = arm
        .ok(Method::GET, &format!("{scope}/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01&$filter=principalId%20eq%20'{principal}'"), None)
        .await;
    assert_eq!(listed["value"].as_array().unwrap().len(), 1);
    let at_sub = arm
        .ok(
            Method::GET,
            "/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01&$filter=atScope()",
            None,
        )
        .await;
    assert_eq!(
        at_sub["value"].as_array().unwrap().len(),
        1,
        "only the administrator's Owner at '/' applies at the subscription"
    );
    let (status, _) = arm.call(Method::DELETE, &format!("{scope}{assignment}"), None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = arm.call(Method::DELETE, &format!("{scope}{assignment}"), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn subscriptions_tenants_and_cloud_metadata() {
    let arm = Arm::new().await;
    let subs = arm.server.arm(Method::GET, "/subscriptions?api-version=2022-12-01", None).await.1;
    assert_eq!(subs["value"][0]["subscriptionId"], arm.sub.as_str());
    assert_eq!(subs["value"][0]["tenantId"], arm.server.tenant());
    assert_eq!(subs["value"][0]["state"], "Enabled");
    let tenants = arm.server.arm(Method::GET, "/tenants?api-version=2022-12-01", None).await.1;
    assert_eq!(tenants["value"][0]["tenantId"], arm.server.tenant());
    let response = arm
        .server
        .http
        .get(format!("{}/metadata/endpoints?api-version=2022-09-01", arm.server.base))
        .send()
        .await
        .unwrap();
    let cloud: Value = response.json().await.unwrap();
    assert_eq!(cloud["resourceManager"], format!("{}/", arm.server.base));
    assert_eq!(cloud["authentication"]["loginEndpoint"], format!("{}/", arm.server.base));
    assert_eq!(cloud["suffixes"]["keyVaultDns"], format!("vault.localhost:{}", arm.server.server.urls.port));
    let list: Value = arm
        .server
        .http
        .get(format!("{}/metadata/endpoints?api-version=2019-05-01", arm.server.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list[0]["name"], "inkan", "older api-versions answer the list ARM_CLOUD_METADATA_URL expects");
    // `az cloud register --endpoint-resource-manager https://host:port/` asks for `//metadata/...`.
    let doubled = arm
        .server
        .http
        .get(format!("{}//metadata/endpoints?api-version=2022-09-01", arm.server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(doubled.status(), StatusCode::OK);
    assert_eq!(doubled.json::<Value>().await.unwrap()["name"], "inkan");
}

#[tokio::test]
async fn deleting_a_group_deletes_its_resources_and_retires_their_identities() {
    let arm = Arm::new().await;
    let id = arm.identity("doomed").await;
    let principal = id["properties"]["principalId"].as_str().unwrap().to_owned();
    let (status, _) = arm.call(Method::DELETE, "/resourcegroups/app?api-version=2022-09-01", None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = arm.call(Method::GET, "/resourceGroups/app/providers/Microsoft.ManagedIdentity/userAssignedIdentities/doomed?api-version=2023-01-31", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let oid: inkan_core::ids::ObjectId = principal.parse().unwrap();
    let retired = arm.server.server.state.store.principal(oid).await.unwrap().unwrap();
    assert!(retired.deleted_at.is_some(), "the identity's principal is retired, with the time recorded");
    // A retired principal cannot be assigned a role.
    arm.ok(Method::PUT, "/resourcegroups/app?api-version=2022-09-01", Some(json!({"location": "japaneast"}))).await;
    let (status, refused) = arm
        .call(
            Method::PUT,
            "/resourceGroups/app/providers/Microsoft.Authorization/roleAssignments/2f3c8b1e-0000-4000-8000-000000000009?api-version=2022-04-01",
            Some(json!({"properties": {"roleDefinitionId": "/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7", "principalId": principal}})),
        )
        .await;
    assert_eq!((status, refused["error"]["code"].as_str()), (StatusCode::BAD_REQUEST, Some("PrincipalNotFound")));
}

#[tokio::test]
async fn collections_head_filters_and_locations_behave_as_arm() {
    let arm = Arm::new().await;
    let id = arm.identity("probe").await;
    let path =
        "/resourceGroups/app/providers/Microsoft.ManagedIdentity/userAssignedIdentities/probe?api-version=2023-01-31";
    let (status, _) = arm.call(Method::HEAD, path, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "check_existence sends HEAD");
    let (status, _) = arm.call(Method::HEAD, &path.replace("probe?", "absent?"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, moved) = arm.call(Method::PUT, path, Some(json!({"location": "westus"}))).await;
    assert_eq!((status, moved["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("InvalidResourceLocation")));
    // A PUT that forgot the assignment's GUID must not look like success.
    let collection = "/resourceGroups/app/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01";
    let (status, _) = arm.call(Method::PUT, collection, Some(json!({}))).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    let filtered =
        "/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01&$filter=tagName%20eq%20'x'";
    let (status, refused) = arm.call(Method::GET, filtered, None).await;
    assert_eq!(
        (status, refused["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("InvalidFilterInQueryString"))
    );
    let principal = id["properties"]["principalId"].as_str().unwrap();
    let reader = "/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7";
    let body = json!({"properties": {"roleDefinitionId": reader, "principalId": principal,
        "scope": "/subscriptions/00000000-0000-0000-0000-000000000000"}});
    let assignment = "/resourceGroups/app/providers/Microsoft.Authorization/roleAssignments/2f3c8b1e-0000-4000-8000-00000000000a?api-version=2022-04-01";
    let (status, mismatch) = arm.call(Method::PUT, assignment, Some(body)).await;
    assert_eq!(
        (status, mismatch["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("InvalidCreateRoleAssignmentRequest"))
    );
    let assigned = arm
        .ok(Method::GET, &format!("/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01&$filter=assignedTo('{principal}')"), None)
        .await;
    assert!(assigned["value"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn the_generic_resource_list_filters_as_az_asks() {
    let arm = Arm::new().await;
    arm.ok(Method::PUT, "/resourcegroups/other?api-version=2022-09-01", Some(json!({"location": "eastus"}))).await;
    for (group, name) in [("app", "probe"), ("other", "probe"), ("other", "second")] {
        arm.ok(
            Method::PUT,
            &format!("/resourceGroups/{group}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}?api-version=2023-01-31"),
            Some(json!({"location": "japaneast"})),
        )
        .await;
    }
    let names = |listed: &Value| -> Vec<String> {
        let mut ids: Vec<String> = listed["value"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap().to_ascii_lowercase())
            .collect();
        ids.sort();
        ids
    };
    let list = |filter: &str| {
        format!("/resources?api-version=2021-04-01&$filter={}", filter.replace(' ', "%20").replace('\'', "%27"))
    };
    // `az keyvault show -n` / `az identity show` without a group: type and name.
    let found = arm
        .ok(
            Method::GET,
            &list("resourceType eq 'Microsoft.ManagedIdentity/userAssignedIdentities' and name eq 'SECOND'"),
            None,
        )
        .await;
    assert_eq!(names(&found), vec![arm.uai_id("second").replace("/app/", "/other/").to_ascii_lowercase()]);
    // `az resource list -g`: the group.
    let in_group = arm.ok(Method::GET, &list("resourceGroup eq 'other'"), None).await;
    assert_eq!(names(&in_group).len(), 2, "{in_group}");
    let both = arm.ok(Method::GET, &list("name eq 'probe'"), None).await;
    assert_eq!(names(&both).len(), 2, "{both}");
    // Anything else is a 400 that says what is supported, not an empty list.
    let (status, refused) = arm.call(Method::GET, &list("tagName eq 'env'"), None).await;
    assert_eq!(
        (status, refused["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("InvalidFilterInQueryString"))
    );
    assert!(refused["error"]["message"].as_str().unwrap().contains("name eq '<name>'"), "{refused}");
}

#[tokio::test]
async fn resource_providers_are_listed_shown_and_registered() {
    let arm = Arm::new().await;
    let listed = arm.ok(Method::GET, "/providers?api-version=2021-04-01", None).await;
    let namespaces: Vec<&str> =
        listed["value"].as_array().unwrap().iter().map(|p| p["namespace"].as_str().unwrap()).collect();
    assert!(namespaces.contains(&"Microsoft.KeyVault") && namespaces.contains(&"Microsoft.Web"), "{namespaces:?}");
    let kv = arm.ok(Method::GET, "/providers/microsoft.keyvault?api-version=2021-04-01", None).await;
    assert_eq!(
        (kv["namespace"].as_str(), kv["registrationState"].as_str()),
        (Some("Microsoft.KeyVault"), Some("Registered"))
    );
    let vaults = kv["resourceTypes"].as_array().unwrap().iter().find(|t| t["resourceType"] == "vaults").unwrap();
    assert!(vaults["apiVersions"].as_array().unwrap().iter().any(|v| v == "2026-02-01"), "{vaults}");
    let registered = arm.ok(Method::POST, "/providers/Microsoft.KeyVault/register?api-version=2021-04-01", None).await;
    assert_eq!(registered["registrationState"], "Registered");
    let (status, unknown) = arm.call(Method::GET, "/providers/Microsoft.Nope?api-version=2021-04-01", None).await;
    assert_eq!((status, unknown["error"]["code"].as_str()), (StatusCode::NOT_FOUND, Some("InvalidResourceNamespace")));
    let ghost = "/subscriptions/00000000-1111-2222-3333-444444444444/providers/Microsoft.KeyVault/register?api-version=2021-04-01";
    let (status, missing) = arm.server.arm(Method::POST, ghost, None).await;
    assert_eq!((status, missing["error"]["code"].as_str()), (StatusCode::NOT_FOUND, Some("SubscriptionNotFound")));
    // Tenant level, without a subscription: no registration state.
    let tenant: Value =
        arm.server.arm(Method::GET, "/providers/Microsoft.ManagedIdentity?api-version=2021-04-01", None).await.1;
    assert_eq!(
        (tenant["id"].as_str(), tenant.get("registrationState")),
        (Some("/providers/Microsoft.ManagedIdentity"), None)
    );
    // Collections under a namespace are still collections.
    arm.ok(Method::GET, "/providers/Microsoft.KeyVault/vaults?api-version=2026-02-01", None).await;
    // A Reader on one group lists the providers (tools do at start) but may not register.
    let (vm, principal) = arm.server.vm_with_identity("app", "lister").await;
    let reader = "/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7";
    arm.ok(
        Method::PUT,
        "/resourceGroups/app/providers/Microsoft.Authorization/roleAssignments/2f3c8b1e-0000-4000-8000-0000000000c2?api-version=2022-04-01",
        Some(json!({"properties": {"roleDefinitionId": reader, "principalId": principal}})),
    )
    .await;
    let token = arm.server.imds_token(&vm, "https://management.azure.com/").await;
    let token = token.as_str();
    let (status, _, _) =
        arm.server.arm_with(Method::GET, &arm.path("/providers?api-version=2021-04-01"), Some(token), None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, refused, _) = arm
        .server
        .arm_with(
            Method::POST,
            &arm.path("/providers/Microsoft.KeyVault/register?api-version=2021-04-01"),
            Some(token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");
}
