//! The identity endpoints' protocol details: IMDS validation order, caching, detaching,
//! instance metadata, and the App Service legacy protocol.

use inkan_testkit::TestServer;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

struct Vm {
    server: TestServer,
    vm_id: String,
    uai_id: String,
    uai: Value,
}

async fn vm_with_identities() -> Vm {
    let server = TestServer::start().await;
    let sub = server.subscription().to_owned();
    let rg = format!("/subscriptions/{sub}/resourceGroups/rg");
    server.arm(Method::PUT, &format!("{rg}?api-version=2022-09-01"), Some(json!({"location": "eastus"}))).await;
    let uai_id = format!("{rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/worker");
    let (_, uai) =
        server.arm(Method::PUT, &format!("{uai_id}?api-version=2023-01-31"), Some(json!({"location": "eastus"}))).await;
    let vm_id = format!("{rg}/providers/Microsoft.Compute/virtualMachines/vm1");
    let body = json!({"location": "eastus", "tags": {"team": "a"}, "identity": {"type": "SystemAssigned, UserAssigned", "userAssignedIdentities": {uai_id.clone(): {}}},
        "properties": {"hardwareProfile": {"vmSize": "Standard_B1s"}}});
    let (status, _) = server.arm(Method::PUT, &format!("{vm_id}?api-version=2024-07-01"), Some(body)).await;
    assert_eq!(status, StatusCode::CREATED);
    Vm { server, vm_id, uai_id, uai }
}

async fn imds(
    server: &TestServer,
    base: &str,
    path_and_query: &str,
    headers: &[(&str, &str)],
    method: Method,
) -> (StatusCode, Value, String) {
    let mut request = server.http.request(method, format!("{base}{path_and_query}"));
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null), text)
}

const TOKEN: &str = "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://vault.azure.net";

#[tokio::test]
async fn imds_validates_in_azures_order_and_answers_the_probe_fast() {
    let vm = vm_with_identities().await;
    let base = vm.server.imds_base(&vm.vm_id);
    let md = [("Metadata", "true")];
    let (status, body, _) = imds(&vm.server, &base, TOKEN, &[], Method::GET).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_request")),
        "the probe's answer"
    );
    assert!(body["error_description"].as_str().unwrap().contains("Metadata: true"));
    let (status, _, _) = imds(&vm.server, &base, TOKEN, &md, Method::POST).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    let (status, _, _) =
        imds(&vm.server, &base, TOKEN, &[("Metadata", "true"), ("X-Forwarded-For", "10.0.0.1")], Method::GET).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, body, _) =
        imds(&vm.server, &base, &format!("{TOKEN}&resource=https://management.azure.com/"), &md, Method::GET).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["error_description"].as_str().unwrap().contains("'resource' is given more than once"));
    let (status, body, _) =
        imds(&vm.server, &base, "/metadata/identity/oauth2/token?resource=https://vault.azure.net", &md, Method::GET)
            .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["error"].as_str().unwrap().contains("api-version was not specified"));
    let (status, body, _) =
        imds(&vm.server, &base, "/metadata/identity/oauth2/token?api-version=2018-02-01", &md, Method::GET).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["error_description"].as_str().unwrap().contains("'resource' is missing"));
    let selectors = format!(
        "{TOKEN}&client_id={}&object_id={}",
        vm.uai["properties"]["clientId"].as_str().unwrap(),
        vm.uai["properties"]["principalId"].as_str().unwrap()
    );
    let (status, _, _) = imds(&vm.server, &base, &selectors, &md, Method::GET).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "selectors are mutually exclusive");
    let (status, body, _) =
        imds(&vm.server, &format!("{}/imds/{}", vm.server.identity_url(), "0".repeat(32)), TOKEN, &md, Method::GET)
            .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    // msal-node lower-cases the URL and appends a slash.
    let lowered = format!(
        "{}/METADATA/identity/oauth2/token/?api-version=2018-02-01&resource=https://vault.azure.net",
        base.to_lowercase()
    );
    let (status, _, _) = imds(&vm.server, "", &lowered, &md, Method::GET).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn tokens_are_cached_per_identity_and_resource_and_detaching_takes_effect_at_once() {
    let vm = vm_with_identities().await;
    let base = vm.server.imds_base(&vm.vm_id);
    let md = [("Metadata", "true")];
    let client = vm.uai["properties"]["clientId"].as_str().unwrap().to_owned();
    let by_client = format!("{TOKEN}&client_id={client}");
    let (status, first, _) = imds(&vm.server, &base, &by_client, &md, Method::GET).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    vm.server.clock.advance(time::Duration::minutes(10));
    let (_, second, _) = imds(&vm.server, &base, &by_client, &md, Method::GET).await;
    assert_eq!(first["access_token"], second["access_token"], "the cached token is served");
    assert_eq!(
        first["expires_in"].as_str().unwrap().parse::<i64>().unwrap() - 600,
        second["expires_in"].as_str().unwrap().parse::<i64>().unwrap()
    );
    let (_, system, _) = imds(&vm.server, &base, TOKEN, &md, Method::GET).await;
    assert_ne!(system["client_id"], client.as_str(), "no selector: the system-assigned identity");
    // Detach the user-assigned identity: the very next request is refused.
    let patch = json!({"identity": {"userAssignedIdentities": {vm.uai_id.clone(): null}, "type": "SystemAssigned"}});
    let (status, _) = vm.server.arm(Method::PATCH, &format!("{}?api-version=2024-07-01", vm.vm_id), Some(patch)).await;
    assert_eq!(status, StatusCode::OK);
    let (status, refused, _) = imds(&vm.server, &base, &by_client, &md, Method::GET).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(refused["error_description"].as_str().unwrap().starts_with("Identity not found."));
    assert!(refused["error_description"].as_str().unwrap().contains("system-assigned"));
    let detached_at = inkan_core::clock::rfc3339(inkan_core::clock::Clock::now(vm.server.clock.as_ref()));
    let description = refused["error_description"].as_str().unwrap();
    assert!(description.contains(&format!("It was attached until {detached_at}")), "{description}");
    assert!(description.contains(&vm.uai_id), "{description}");
}

#[tokio::test]
async fn instance_metadata_and_identity_info() {
    let vm = vm_with_identities().await;
    let base = vm.server.imds_base(&vm.vm_id);
    let md = [("Metadata", "true")];
    let (status, doc, _) = imds(&vm.server, &base, "/metadata/instance?api-version=2021-02-01", &md, Method::GET).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(doc["compute"]["name"], "vm1");
    assert_eq!(doc["compute"]["resourceId"], vm.vm_id.as_str());
    assert_eq!(doc["compute"]["vmSize"], "Standard_B1s");
    assert_eq!(doc["compute"]["tags"], "team:a");
    let (status, _, text) = imds(
        &vm.server,
        &base,
        "/metadata/instance/compute/location?api-version=2021-02-01&format=text",
        &md,
        Method::GET,
    )
    .await;
    assert_eq!((status, text.as_str()), (StatusCode::OK, "eastus"));
    let (status, _, _) =
        imds(&vm.server, &base, "/metadata/instance/compute/location?api-version=2021-02-01", &md, Method::GET).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "a leaf needs format=text");
    let (_, info, _) =
        imds(&vm.server, &base, "/metadata/identity/info?api-version=2018-02-01", &md, Method::GET).await;
    assert_eq!(info["tenantId"], vm.server.tenant());
}

#[tokio::test]
async fn the_legacy_app_service_protocol_uses_its_own_header_and_date_format() {
    let server = TestServer::start().await;
    let sub = server.subscription().to_owned();
    let rg = format!("/subscriptions/{sub}/resourceGroups/rg");
    server.arm(Method::PUT, &format!("{rg}?api-version=2022-09-01"), Some(json!({"location": "eastus"}))).await;
    let site = format!("{rg}/providers/Microsoft.Web/sites/legacy-site");
    let (status, _) = server
        .arm(
            Method::PUT,
            &format!("{site}?api-version=2024-04-01"),
            Some(json!({"location": "eastus", "identity": {"type": "SystemAssigned"}})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let secret = server.identity_header(&site);
    let url = format!("{}/msi/token?api-version=2017-09-01&resource=https://vault.azure.net", server.identity_url());
    let response = server.http.get(&url).header("secret", &secret).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    let expires = body["expires_on"].as_str().unwrap();
    assert!(expires.ends_with(" +00:00") && expires.contains('/'), "{expires}");
    let wrong = server.http.get(&url).header("secret", "nope").send().await.unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let body: Value = wrong.json().await.unwrap();
    assert_eq!(body["statusCode"], 401);
    assert!(body["message"].as_str().unwrap().contains("inkan env --as"));
}

#[tokio::test]
async fn every_token_issued_or_refused_is_audited() {
    let vm = vm_with_identities().await;
    let base = vm.server.imds_base(&vm.vm_id);
    let md = [("Metadata", "true")];
    let (status, _, _) = imds(&vm.server, &base, TOKEN, &md, Method::GET).await;
    assert_eq!(status, StatusCode::OK);
    let stranger = format!("{TOKEN}&client_id=00000000-0000-0000-0000-000000000000");
    let (status, _, _) = imds(&vm.server, &base, &stranger, &md, Method::GET).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // The writer is asynchronous: poll briefly.
    let mut refused = Value::Null;
    for _ in 0..100 {
        let (_, list) = vm.server.arm(Method::GET, "/inkan/v1/audit?outcome=refused&resource=vm1", None).await;
        if list["value"].as_array().is_some_and(|v| !v.is_empty()) {
            refused = list;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let event = &refused["value"][0];
    assert_eq!(event["surface"], "imds");
    assert_eq!(event["caller"], vm.vm_id.as_str());
    assert_eq!(event["audience"], "https://vault.azure.net");
    assert!(event["reason"].as_str().unwrap().starts_with("Identity not found"));
    let (_, issued) = vm.server.arm(Method::GET, "/inkan/v1/audit?outcome=issued&resource=vm1", None).await;
    assert_eq!(issued["value"].as_array().unwrap().len(), 1);
    let (status, bad) = vm.server.arm(Method::GET, "/inkan/v1/audit?outcome=maybe", None).await;
    assert_eq!((status, bad["error"]["code"].as_str()), (StatusCode::BAD_REQUEST, Some("InvalidQueryParameter")));
}
