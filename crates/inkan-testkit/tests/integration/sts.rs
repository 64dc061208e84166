//! The token authority: discovery, JWKS, client credentials and its errors.

use crate::claims;
use base64::Engine;
use inkan_crypto::jwt;
use inkan_crypto::signing::VerifyingKey;
use inkan_testkit::TestServer;
use reqwest::StatusCode;
use serde_json::Value;

async fn get_json(server: &TestServer, path: &str) -> (StatusCode, Value) {
    let response = server.http.get(format!("{}{path}", server.base)).send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn jwk_key(jwk: &Value) -> VerifyingKey {
    let b64 = |s: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(s.as_str().unwrap()).unwrap();
    VerifyingKey { kid: jwk["kid"].as_str().unwrap().to_owned(), n: b64(&jwk["n"]), e: b64(&jwk["e"]) }
}

/// Verifies `token` against the JWKS the discovery document points to.
pub async fn verify_with_published_keys(server: &TestServer, token: &str) -> bool {
    let (_, discovery) = get_json(server, &format!("/{}/v2.0/.well-known/openid-configuration", server.tenant())).await;
    let jwks_uri = discovery["jwks_uri"].as_str().unwrap();
    let jwks: Value = server.http.get(jwks_uri).send().await.unwrap().json().await.unwrap();
    let parsed = jwt::decode(token).unwrap();
    let kid = parsed.key_id().unwrap().to_owned();
    jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| k["kid"] == kid.as_str())
        .any(|k| parsed.verify(&jwk_key(k)).is_ok())
}

#[tokio::test]
async fn discovery_documents_point_at_this_server() {
    let server = TestServer::start().await;
    let t = server.tenant();
    let (status, v2) = get_json(&server, &format!("/{t}/v2.0/.well-known/openid-configuration")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v2["issuer"], format!("{}/{t}/v2.0", server.base));
    assert_eq!(v2["token_endpoint"], format!("{}/{t}/oauth2/v2.0/token", server.base));
    assert!(v2["authorization_endpoint"].as_str().unwrap().starts_with(&server.base));
    let (_, v1) = get_json(&server, &format!("/{t}/.well-known/openid-configuration")).await;
    assert_eq!(v1["issuer"], format!("{}/{t}/", server.base));
    let (status, jwks) = get_json(&server, &format!("/{t}/discovery/v2.0/keys")).await;
    assert_eq!(status, StatusCode::OK);
    let key = &jwks["keys"][0];
    assert_eq!((key["kty"].as_str(), key["use"].as_str()), (Some("RSA"), Some("sig")));
    assert_eq!(key["kid"], key["x5t"]);
    assert!(key["x5c"][0].as_str().is_some_and(|c| c.len() > 100));
    let endpoint = format!("{}/{t}/oauth2/v2.0/authorize", server.base);
    let (status, instance) =
        get_json(&server, &format!("/common/discovery/instance?api-version=1.1&authorization_endpoint={endpoint}"))
            .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        instance["tenant_discovery_endpoint"],
        format!("{}/{t}/v2.0/.well-known/openid-configuration", server.base)
    );
    let (status, foreign) = get_json(
        &server,
        "/common/discovery/instance?api-version=1.1&authorization_endpoint=https://login.example.com/x/oauth2/v2.0/authorize",
    )
    .await;
    assert_eq!((status, foreign["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_instance")));
}

#[tokio::test]
async fn client_credentials_issue_verifiable_v1_tokens_with_entra_claims() {
    let server = TestServer::start().await;
    let a = &server.admin;
    let (status, body) = server
        .token_request(
            &a.tenant_id,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", &a.client_id),
                ("client_secret", &a.client_secret),
                ("scope", "https://vault.azure.net/.default"),
                ("client_info", "1"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3599, "v2 returns integers");
    let token = body["access_token"].as_str().unwrap();
    let c = claims(token);
    assert_eq!(c["aud"], "https://vault.azure.net");
    assert_eq!(c["iss"], format!("{}/{}/", server.base, a.tenant_id));
    assert_eq!(
        (c["tid"].as_str(), c["oid"].as_str(), c["appid"].as_str()),
        (Some(&*a.tenant_id), Some(&*a.object_id), Some(&*a.client_id))
    );
    assert_eq!((c["ver"].as_str(), c["appidacr"].as_str(), c["idtyp"].as_str()), (Some("1.0"), Some("1"), Some("app")));
    assert_eq!(c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap(), 3599);
    let header: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(token.split('.').next().unwrap()).unwrap(),
    )
    .unwrap();
    assert_eq!((header["alg"].as_str(), header["typ"].as_str()), (Some("RS256"), Some("JWT")));
    assert_eq!(header["kid"], header["x5t"]);
    assert!(verify_with_published_keys(&server, token).await);
}

#[tokio::test]
async fn the_v1_endpoint_and_basic_authentication_work() {
    let server = TestServer::start().await;
    let a = &server.admin;
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", a.client_id, a.client_secret));
    let response = server
        .http
        .post(format!("{}/{}/oauth2/token", server.base, a.tenant_id))
        .header("authorization", format!("Basic {basic}"))
        .form(&[("grant_type", "client_credentials"), ("resource", "https://management.core.windows.net/")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["expires_in"], "3599", "v1 returns strings");
    assert_eq!(body["resource"], "https://management.core.windows.net/");
    assert_eq!(claims(body["access_token"].as_str().unwrap())["aud"], "https://management.core.windows.net/");
}

async fn assert_sts_error(
    server: &TestServer,
    tenant: &str,
    form: &[(&str, &str)],
    status: StatusCode,
    error: &str,
    code: u64,
    hint: &str,
) {
    let (got, body) = server.token_request(tenant, form).await;
    assert_eq!(got, status, "{body}");
    assert_eq!(body["error"], error, "{body}");
    assert_eq!(body["error_codes"][0], code, "{body}");
    let description = body["error_description"].as_str().unwrap();
    assert!(description.starts_with(&format!("AADSTS{code}: ")), "{description}");
    assert!(description.contains("Trace ID:") && description.contains("Correlation ID:"), "{description}");
    assert!(description.contains(hint), "expected '{hint}' in: {description}");
}

#[tokio::test]
async fn token_errors_use_entra_codes_and_say_what_to_check() {
    let server = TestServer::start().await;
    let a = server.admin.clone();
    let t = a.tenant_id.as_str();
    let good = [
        ("grant_type", "client_credentials"),
        ("client_id", a.client_id.as_str()),
        ("client_secret", a.client_secret.as_str()),
        ("scope", "https://vault.azure.net/.default"),
    ];
    let with = |key: &str, value: &'static str| -> Vec<(&str, &str)> {
        good.iter().map(|(k, v)| if *k == key { (*k, value) } else { (*k, *v) }).collect()
    };
    assert_sts_error(
        &server,
        t,
        &with("client_secret", "wrong"),
        StatusCode::UNAUTHORIZED,
        "invalid_client",
        7000215,
        "client secret value, not the client secret ID",
    )
    .await;
    let unknown = "11111111-2222-3333-4444-555555555555";
    assert_sts_error(
        &server,
        t,
        &with("client_id", unknown),
        StatusCode::BAD_REQUEST,
        "unauthorized_client",
        700016,
        unknown,
    )
    .await;
    assert_sts_error(&server, unknown, &good, StatusCode::BAD_REQUEST, "invalid_request", 90002, "inkan env --admin")
        .await;
    assert_sts_error(
        &server,
        t,
        &with("scope", "https://vault.azure.net/user_impersonation"),
        StatusCode::BAD_REQUEST,
        "invalid_scope",
        70011,
        "/.default",
    )
    .await;
    assert_sts_error(
        &server,
        t,
        &with("scope", "https://nothing.example/.default"),
        StatusCode::BAD_REQUEST,
        "invalid_resource",
        500011,
        "https://vault.azure.net",
    )
    .await;
    assert_sts_error(
        &server,
        t,
        &with("grant_type", "password"),
        StatusCode::BAD_REQUEST,
        "unsupported_grant_type",
        70003,
        "client_credentials",
    )
    .await;
    let no_secret: Vec<_> = good.iter().filter(|(k, _)| *k != "client_secret").copied().collect();
    assert_sts_error(&server, t, &no_secret, StatusCode::UNAUTHORIZED, "invalid_client", 7000218, "client_secret")
        .await;
}

#[tokio::test]
async fn managed_identities_cannot_use_the_token_endpoint_with_a_secret() {
    let server = TestServer::start().await;
    let sub = server.subscription().to_owned();
    let (status, _) = server
        .arm(
            reqwest::Method::PUT,
            &format!("/subscriptions/{sub}/resourcegroups/rg?api-version=2022-09-01"),
            Some(serde_json::json!({"location": "eastus"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, identity) = server
        .arm(
            reqwest::Method::PUT,
            &format!("/subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id1?api-version=2023-01-31"),
            Some(serde_json::json!({"location": "eastus"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{identity}");
    let client_id = identity["properties"]["clientId"].as_str().unwrap().to_owned();
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", client_id.as_str()),
        ("client_secret", "anything"),
        ("scope", "https://vault.azure.net/.default"),
    ];
    assert_sts_error(
        &server,
        &server.admin.tenant_id.clone(),
        &form,
        StatusCode::UNAUTHORIZED,
        "invalid_client",
        7000215,
        "managed identity",
    )
    .await;
}
