//! The minimal Microsoft Graph az uses around role assignments: service principals by
//! application id and by object id, `/me` as Graph answers an application, each request with a
//! token for this Graph from a caller who manages resources.

use inkan_testkit::TestServer;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn call(
    server: &TestServer,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = server.http.request(method, format!("{}/graph/v1.0{path}", server.base));
    if let Some(t) = token {
        request = request.bearer_auth(t);
    }
    if let Some(b) = body {
        request = request.json(&b);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn az_finds_principals_by_application_id_and_object_id() {
    let server = TestServer::start().await;
    // The cloud metadata sends az here.
    let cloud: Value = server
        .http
        .get(format!("{}/metadata/endpoints?api-version=2022-09-01", server.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(cloud["microsoftGraphResourceId"], format!("{}/graph/", server.base));
    // az asks for `<resource>/.default` with the resource's trailing slash.
    let token = server.admin_token_for(&format!("{}/graph//.default", server.base)).await;
    let t = Some(token.as_str());
    let filter = format!("servicePrincipalNames/any(c:c eq '{}')", server.admin.client_id);
    let (status, found) =
        call(&server, Method::GET, &format!("/servicePrincipals?$filter={}", filter.replace(' ', "%20")), t, None)
            .await;
    assert_eq!(status, StatusCode::OK, "{found}");
    let admin = &found["value"][0];
    assert_eq!(
        (admin["id"].as_str(), admin["appId"].as_str(), admin["servicePrincipalType"].as_str()),
        (Some(server.admin.object_id.as_str()), Some(server.admin.client_id.as_str()), Some("Application"))
    );
    let by_app_id = format!("/servicePrincipals?$filter=appId%20eq%20'{}'", server.admin.client_id);
    let (status, same) = call(&server, Method::GET, &by_app_id, t, None).await;
    assert_eq!((status, &same["value"][0]["id"]), (StatusCode::OK, &admin["id"]), "{same}");
    // A managed identity, by object id, as az's getByIds.
    let sub = server.subscription();
    server
        .arm(
            Method::PUT,
            &format!("/subscriptions/{sub}/resourcegroups/app?api-version=2022-09-01"),
            Some(json!({"location": "eastus"})),
        )
        .await;
    let (vm, vm_oid) = server.vm_with_identity("app", "vm1").await;
    let unknown = "00000000-0000-4000-8000-0000000000ff";
    let body = json!({"ids": [vm_oid, unknown], "types": ["user", "group", "servicePrincipal", "directoryObjectPartnerReference"]});
    let (status, stubs) = call(&server, Method::POST, "/directoryObjects/getByIds", t, Some(body)).await;
    assert_eq!(status, StatusCode::OK, "{stubs}");
    assert_eq!(stubs["value"].as_array().unwrap().len(), 1, "ids that name nothing are left out: {stubs}");
    assert_eq!(
        (stubs["value"][0]["@odata.type"].as_str(), stubs["value"][0]["servicePrincipalType"].as_str()),
        (Some("#microsoft.graph.servicePrincipal"), Some("ManagedIdentity"))
    );
    assert_eq!(stubs["value"][0]["alternativeNames"][0], "isExplicit=False", "system-assigned");
    assert_eq!(
        stubs["value"][0]["alternativeNames"][1].as_str().map(str::to_ascii_lowercase),
        Some(vm.to_ascii_lowercase())
    );
    let (status, one) = call(&server, Method::GET, &format!("/servicePrincipals/{vm_oid}"), t, None).await;
    assert_eq!((status, one["id"].as_str()), (StatusCode::OK, Some(vm_oid.as_str())));
    let (status, missing) = call(&server, Method::GET, &format!("/servicePrincipals/{unknown}"), t, None).await;
    assert_eq!((status, missing["error"]["code"].as_str()), (StatusCode::NOT_FOUND, Some("Request_ResourceNotFound")));
    let (status, me) = call(&server, Method::GET, "/me", t, None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(me["error"]["message"].as_str().unwrap().contains("delegated authentication flow"), "{me}");
    let (status, unsupported) =
        call(&server, Method::GET, "/servicePrincipals?$filter=displayName%20eq%20'x'", t, None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{unsupported}");
    let (status, bad_id) = call(&server, Method::GET, "/servicePrincipals/not-a-guid", t, None).await;
    assert_eq!((status, bad_id["error"]["code"].as_str()), (StatusCode::BAD_REQUEST, Some("BadRequest")));
    let (status, elsewhere) =
        call(&server, Method::GET, "/users?$filter=userPrincipalName%20eq%20'a@b'", t, None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "Graph's shape for what inkan does not serve: {elsewhere}");
    assert!(elsewhere["error"]["message"].as_str().unwrap().contains("Resource not found for the segment 'users'"));

    // Without a token, with another resource's token, or as a workload with no control-plane
    // role: refused.
    let (status, _) = call(&server, Method::GET, "/me", None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let arm_token = server.admin_token().await;
    let (status, wrong) = call(&server, Method::GET, "/me", Some(&arm_token), None).await;
    assert_eq!(
        (status, wrong["error"]["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("InvalidAuthenticationToken"))
    );
    let vm_token = server.imds_token(&vm, &format!("{}/graph/", server.base)).await;
    let (status, denied) =
        call(&server, Method::GET, &format!("/servicePrincipals/{vm_oid}"), Some(&vm_token), None).await;
    assert_eq!(
        (status, denied["error"]["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("Authorization_RequestDenied")),
        "{denied}"
    );
    // With a control-plane role somewhere (Reader on its group), the workload may look up.
    let reader = "/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7";
    let assignment = format!(
        "/subscriptions/{sub}/resourceGroups/app/providers/Microsoft.Authorization/roleAssignments/00000000-0000-4000-8000-0000000000c1?api-version=2022-04-01"
    );
    let (status, _) = server
        .arm(Method::PUT, &assignment, Some(json!({"properties": {"roleDefinitionId": reader, "principalId": vm_oid}})))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, own) =
        call(&server, Method::GET, &format!("/servicePrincipals/{vm_oid}"), Some(&vm_token), None).await;
    assert_eq!((status, own["id"].as_str()), (StatusCode::OK, Some(vm_oid.as_str())));
    // A deleted identity is gone from the directory.
    let (status, _) = server.arm(Method::DELETE, &format!("{vm}?api-version=2024-07-01"), None).await;
    assert!(status.is_success());
    let (_, gone) = call(&server, Method::POST, "/directoryObjects/getByIds", t, Some(json!({"ids": [vm_oid]}))).await;
    assert_eq!(gone["value"].as_array().unwrap().len(), 0, "{gone}");
}
