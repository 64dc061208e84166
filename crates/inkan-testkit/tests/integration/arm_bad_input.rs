//! Bad input on the control plane: Azure's status and error code, a message that says what to
//! fix, and nothing changed in the store.

use inkan_crypto::signing::SigningKey;
use inkan_testkit::TestServer;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// Every resource id in the subscription, to prove a refused request changed nothing.
async fn snapshot(server: &TestServer) -> Vec<String> {
    let sub = server.subscription();
    let (_, list) =
        server.arm(Method::GET, &format!("/subscriptions/{sub}/resources?api-version=2021-04-01"), None).await;
    let (_, groups) =
        server.arm(Method::GET, &format!("/subscriptions/{sub}/resourcegroups?api-version=2022-09-01"), None).await;
    let (_, assignments) = server
        .arm(
            Method::GET,
            &format!("/subscriptions/{sub}/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01"),
            None,
        )
        .await;
    let mut ids: Vec<String> = [list, groups, assignments]
        .iter()
        .flat_map(|l| l["value"].as_array().cloned().unwrap_or_default())
        .map(|r| r.to_string())
        .collect();
    ids.sort();
    ids
}

async fn setup() -> (TestServer, String) {
    let server = TestServer::start().await;
    let sub = server.subscription().to_owned();
    let (status, body) = server
        .arm(
            Method::PUT,
            &format!("/subscriptions/{sub}/resourcegroups/app?api-version=2022-09-01"),
            Some(json!({"location": "japaneast"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = server
        .arm(
            Method::PUT,
            &format!("/subscriptions/{sub}/resourceGroups/app/providers/Microsoft.KeyVault/vaults/app-kv?api-version=2024-11-01"),
            Some(json!({"location": "japaneast", "properties": {"tenantId": server.tenant(), "sku": {"family": "A", "name": "standard"}}})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    (server, sub)
}

fn assert_error(status: StatusCode, body: &Value, want_status: StatusCode, code: &str, hint: &str) {
    assert_eq!(status, want_status, "{body}");
    assert_eq!(body["error"]["code"], code, "{body}");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains(hint), "expected '{hint}' in: {message}");
}

#[tokio::test]
async fn malformed_requests_are_refused_and_change_nothing() {
    let (server, sub) = setup().await;
    let before = snapshot(&server).await;
    let token = server.admin_token().await;
    let vm = format!("/subscriptions/{sub}/resourceGroups/app/providers/Microsoft.Compute/virtualMachines/vm1");
    let cases: Vec<(String, Option<&str>, StatusCode, &str, &str)> = vec![
        (format!("{vm}?api-version=2024-07-01"), Some("{\"location\": \"japaneast\", "), StatusCode::BAD_REQUEST, "InvalidRequestContent", "could not be deserialized"),
        (format!("{vm}?api-version=2024-07-01"), Some("[1, 2]"), StatusCode::BAD_REQUEST, "InvalidRequestContent", "expected a JSON object"),
        (vm.clone(), Some("{}"), StatusCode::BAD_REQUEST, "MissingApiVersionParameter", "api-version"),
        (format!("{vm}?api-version=1999-01-01"), Some("{}"), StatusCode::BAD_REQUEST, "NoRegisteredProviderFound", "2024-07-01"),
        (format!("/subscriptions/{sub}/resourcegroups/x?api-version=2099-01-01"), Some("{}"), StatusCode::BAD_REQUEST, "InvalidApiVersionParameter", "2022-09-01"),
        ("/subscriptions/not-a-guid/resourceGroups/app?api-version=2022-09-01".into(), Some("{}"), StatusCode::BAD_REQUEST, "InvalidSubscriptionId", "not-a-guid"),
        (format!("/subscriptions/{sub}/resourceGroups/app/provider/Microsoft.Compute/virtualMachines/vm1?api-version=2024-07-01"), Some("{}"), StatusCode::BAD_REQUEST, "InvalidResourceId", "'provider'"),
        (format!("/subscriptions/{sub}/resourceGroups/app/providers/Microsoft.Compute/virtualMachinez/vm1?api-version=2024-07-01"), Some("{}"), StatusCode::BAD_REQUEST, "InvalidResourceType", "Microsoft.Compute/virtualMachines"),
        (format!("/subscriptions/{sub}/resourceGroups/app/providers/Contoso.Widgets/widgets/w?api-version=2024-07-01"), Some("{}"), StatusCode::BAD_REQUEST, "InvalidResourceNamespace", "Microsoft.KeyVault"),
        (format!("{vm}?api-version=2024-07-01"), Some("{}"), StatusCode::BAD_REQUEST, "LocationRequired", "location"),
        (format!("/subscriptions/{sub}/resourceGroups/app/providers/Microsoft.KeyVault/vaults/1bad?api-version=2024-11-01"), Some("{\"location\":\"japaneast\"}"), StatusCode::BAD_REQUEST, "InvalidResourceName", "start with a letter"),
        (format!("/subscriptions/{sub}/resourceGroups/nope/providers/Microsoft.Compute/virtualMachines/vm1?api-version=2024-07-01"), Some("{\"location\":\"japaneast\"}"), StatusCode::NOT_FOUND, "ResourceGroupNotFound", "nope"),
        ("/subscriptions/00000000-0000-0000-0000-00000000abcd/resourceGroups/app?api-version=2022-09-01".to_owned(), Some("{\"location\":\"x\"}"), StatusCode::NOT_FOUND, "SubscriptionNotFound", "00000000-0000-0000-0000-00000000abcd"),
        (format!("/subscriptions/{sub}/resourceGroups/app/providers/Microsoft.Web/sites/none/slots/staging?api-version=2024-04-01"), Some("{\"location\":\"japaneast\"}"), StatusCode::NOT_FOUND, "ParentResourceNotFound", "sites/none"),
        (format!("{vm}?api-version=2024-07-01"), Some("{\"location\":\"japaneast\",\"identity\":{\"type\":\"UserAssigned\"}}"), StatusCode::BAD_REQUEST, "InvalidIdentity", "userAssignedIdentities"),
        (format!("{vm}?api-version=2024-07-01"), Some(&*Box::leak(format!("{{\"location\":\"japaneast\",\"identity\":{{\"type\":\"UserAssigned\",\"userAssignedIdentities\":{{\"/subscriptions/{sub}/resourceGroups/app/providers/Microsoft.ManagedIdentity/userAssignedIdentities/ghost\":{{}}}}}}}}").into_boxed_str())), StatusCode::BAD_REQUEST, "FailedIdentityOperation", "ghost"),
    ];
    for (path, body, status, code, hint) in cases {
        let (got, value, _) = server.arm_with(Method::PUT, &path, Some(&token), body).await;
        assert_error(got, &value, status, code, hint);
    }
    assert_eq!(snapshot(&server).await, before, "refused requests must not change the store");
}

#[tokio::test]
async fn a_duplicate_vault_name_is_a_conflict_and_changes_nothing() {
    let (server, sub) = setup().await;
    let (status, _) = server
        .arm(
            Method::PUT,
            &format!("/subscriptions/{sub}/resourcegroups/other?api-version=2022-09-01"),
            Some(json!({"location": "japaneast"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let before = snapshot(&server).await;
    let (status, body) = server
        .arm(
            Method::PUT,
            &format!("/subscriptions/{sub}/resourceGroups/other/providers/Microsoft.KeyVault/vaults/APP-KV?api-version=2024-11-01"),
            Some(json!({"location": "japaneast", "properties": {"tenantId": server.tenant(), "sku": {"family": "A", "name": "standard"}}})),
        )
        .await;
    assert_error(status, &body, StatusCode::CONFLICT, "VaultAlreadyExists", "already in use");
    assert_eq!(snapshot(&server).await, before);
}

#[tokio::test]
async fn duplicate_role_assignments_are_refused() {
    let (server, sub) = setup().await;
    let scope = format!("/subscriptions/{sub}/resourceGroups/app");
    let body = json!({"properties": {"roleDefinitionId": "/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7", "principalId": server.admin.object_id}});
    let first = format!(
        "{scope}/providers/Microsoft.Authorization/roleAssignments/0b1f9a4e-0000-4000-8000-000000000001?api-version=2022-04-01"
    );
    let (status, created) = server.arm(Method::PUT, &first, Some(body.clone())).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let before = snapshot(&server).await;
    let second = format!(
        "{scope}/providers/Microsoft.Authorization/roleAssignments/0b1f9a4e-0000-4000-8000-000000000002?api-version=2022-04-01"
    );
    let (status, refused) = server.arm(Method::PUT, &second, Some(body)).await;
    assert_error(
        status,
        &refused,
        StatusCode::CONFLICT,
        "RoleAssignmentExists",
        "0b1f9a4e-0000-4000-8000-000000000001",
    );
    let unknown_principal = json!({"properties": {"roleDefinitionId": "/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7", "principalId": "99999999-9999-4999-8999-999999999999"}});
    let (status, refused) = server.arm(Method::PUT, &second, Some(unknown_principal)).await;
    assert_error(
        status,
        &refused,
        StatusCode::BAD_REQUEST,
        "PrincipalNotFound",
        "principalId (object id), not its clientId",
    );
    let unknown_role = json!({"properties": {"roleDefinitionId": "/providers/Microsoft.Authorization/roleDefinitions/99999999-9999-4999-8999-999999999999", "principalId": server.admin.object_id}});
    let (status, refused) = server.arm(Method::PUT, &second, Some(unknown_role)).await;
    assert_error(status, &refused, StatusCode::BAD_REQUEST, "RoleDefinitionDoesNotExist", "99999999");
    assert_eq!(snapshot(&server).await, before);
}

#[tokio::test]
async fn bad_tokens_get_401_with_arm_codes() {
    let (server, sub) = setup().await;
    let path = format!("/subscriptions/{sub}/resourcegroups?api-version=2022-09-01");
    let put_path = format!("/subscriptions/{sub}/resourcegroups/sneaky?api-version=2022-09-01");
    let before = snapshot(&server).await;

    let (status, body, headers) = server.arm_with(Method::GET, &path, None, None).await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "AuthenticationFailed", "'Authorization' header is missing");
    let challenge = headers["www-authenticate"].to_str().unwrap();
    assert!(
        challenge.starts_with(&format!("Bearer authorization_uri=\"{}/{}\"", server.base, server.tenant())),
        "{challenge}"
    );

    // Signed by a key this server never published, with otherwise perfect claims.
    let good = server.admin_token().await;
    let mut forged_claims = crate::claims(&good);
    forged_claims["exp"] = json!(forged_claims["exp"].as_i64().unwrap() + 3600);
    let foreign = SigningKey::generate(inkan_testkit::start_time()).unwrap().key;
    let forged = inkan_crypto::jwt::encode(&foreign, &forged_claims).unwrap();
    let (status, body, _) = server.arm_with(Method::PUT, &put_path, Some(&forged), Some("{\"location\":\"x\"}")).await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "InvalidAuthenticationToken", "does not publish");

    // The real signature over altered claims.
    let parts: Vec<&str> = good.split('.').collect();
    let altered_payload = base64_url(&serde_json::to_vec(&forged_claims).unwrap());
    let tampered = format!("{}.{altered_payload}.{}", parts[0], parts[2]);
    let (status, body, _) =
        server.arm_with(Method::PUT, &put_path, Some(&tampered), Some("{\"location\":\"x\"}")).await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "InvalidAuthenticationToken", "signature");

    // A token for Key Vault is not a token for ARM.
    let (_, vault_token) = server
        .token_request(
            server.tenant(),
            &[
                ("grant_type", "client_credentials"),
                ("client_id", &server.admin.client_id),
                ("client_secret", &server.admin.client_secret),
                ("scope", "https://vault.azure.net/.default"),
            ],
        )
        .await;
    let (status, body, _) = server.arm_with(Method::GET, &path, vault_token["access_token"].as_str(), None).await;
    assert_error(
        status,
        &body,
        StatusCode::UNAUTHORIZED,
        "InvalidAuthenticationTokenAudience",
        "https://management.azure.com/.default",
    );

    let (status, body, _) = server.arm_with(Method::GET, &path, Some("not-a-jwt"), None).await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "InvalidAuthenticationToken", "three dot-separated parts");

    // Time passes: the administrator's token expires.
    server.clock.advance(time::Duration::hours(2));
    let (status, body, _) = server.arm_with(Method::PUT, &put_path, Some(&good), Some("{\"location\":\"x\"}")).await;
    assert_error(
        status,
        &body,
        StatusCode::UNAUTHORIZED,
        "ExpiredAuthenticationToken",
        "is earlier than current UTC time",
    );
    assert_eq!(snapshot(&server).await, before);
}

fn base64_url(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}
