//! The Key Vault data plane: the challenge, token validation, set and get, and both
//! authorization models with Key Vault's refusals.

use inkan_testkit::TestServer;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::sync::Arc;

struct Kv {
    server: Arc<TestServer>,
    sub: String,
    http: reqwest::Client,
    url: String,
    resource: String,
}

async fn kv(name: &str, rbac: bool) -> Kv {
    kv_on(TestServer::start().await, name, rbac).await
}

async fn kv_on(server: TestServer, name: &str, rbac: bool) -> Kv {
    kv_shared(Arc::new(server), name, rbac).await
}

/// Another vault on a server some `Kv` already uses.
async fn kv_shared(server: Arc<TestServer>, name: &str, rbac: bool) -> Kv {
    let sub = server.subscription().to_owned();
    server
        .arm(
            Method::PUT,
            &format!("/subscriptions/{sub}/resourcegroups/app?api-version=2022-09-01"),
            Some(json!({"location": "eastus"})),
        )
        .await;
    let body = json!({"location": "eastus", "properties": {"tenantId": server.tenant(), "sku": {"family": "A", "name": "standard"}, "enableRbacAuthorization": rbac}});
    let (status, vault) = server
        .arm(Method::PUT, &format!("/subscriptions/{sub}/resourceGroups/app/providers/Microsoft.KeyVault/vaults/{name}?api-version=2026-02-01"), Some(body))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{vault}");
    let port = server.server.urls.port;
    let host = format!("{name}.vault.localhost");
    Kv {
        http: server.client_for_host(&host),
        url: vault["properties"]["vaultUri"].as_str().unwrap().trim_end_matches('/').to_owned(),
        resource: format!("https://vault.localhost:{port}"),
        server,
        sub,
    }
}

impl Kv {
    async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value, reqwest::header::HeaderMap) {
        let mut request = self.http.request(method, format!("{}{path}", self.url));
        if let Some(t) = token {
            request = request.bearer_auth(t);
        }
        if let Some(b) = body {
            request = request.json(&b);
        }
        let response = request.send().await.unwrap();
        let (status, headers) = (response.status(), response.headers().clone());
        (status, response.json().await.unwrap_or(Value::Null), headers)
    }

    async fn assign(&self, role: &str, principal: &str, name: &str) {
        let vault = format!("/subscriptions/{}/resourceGroups/app/providers/Microsoft.KeyVault/vaults", self.sub);
        let scope = format!("{vault}/{}", self.url.split("//").nth(1).unwrap().split('.').next().unwrap());
        let body = json!({"properties": {"roleDefinitionId": format!("/providers/Microsoft.Authorization/roleDefinitions/{role}"), "principalId": principal}});
        let (status, created) = self
            .server
            .arm(
                Method::PUT,
                &format!("{scope}/providers/Microsoft.Authorization/roleAssignments/{name}?api-version=2022-04-01"),
                Some(body),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
    }
}

const SECRETS_OFFICER: &str = "b86a8fe4-44ce-4948-aee5-eccb2c155cd7";

#[tokio::test]
async fn the_challenge_and_token_validation_come_first() {
    let kv = kv("kv1", true).await;
    let (status, body, headers) = kv.call(Method::PUT, "/secrets/db?api-version=2026-04-01", None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "an empty first request gets the challenge, not a body error");
    assert_eq!(body["error"]["code"], "Unauthorized");
    assert!(body["error"]["message"].as_str().unwrap().starts_with("AKV10000"));
    let challenge = headers["www-authenticate"].to_str().unwrap();
    assert_eq!(
        challenge,
        format!("Bearer authorization=\"{}/{}\", resource=\"{}\"", kv.server.base, kv.server.tenant(), kv.resource)
    );
    let arm_token = kv.server.admin_token().await;
    let (status, body, _) = kv.call(Method::GET, "/secrets/db/?api-version=2026-04-01", Some(&arm_token), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.starts_with("AKV10022: Invalid audience.") && message.contains(&kv.resource), "{message}");
}

#[tokio::test]
async fn set_and_get_with_rbac_and_forbidden_by_rbac_first() {
    let kv = kv("kv2", true).await;
    let token = kv.server.admin_token_for(&format!("{}/.default", kv.resource)).await;
    let (status, body, _) = kv
        .call(Method::PUT, "/secrets/db-pass?api-version=2026-04-01", Some(&token), Some(json!({"value": "hunter2"})))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "Owner grants no data actions");
    assert_eq!(
        (body["error"]["code"].as_str(), body["error"]["innererror"]["code"].as_str()),
        (Some("Forbidden"), Some("ForbiddenByRbac"))
    );
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("Action: 'Microsoft.KeyVault/vaults/secrets/setSecret/action'")
            && message.contains("Assignment: (not found)"),
        "{message}"
    );
    assert!(
        message.contains("inkan: ") && message.contains("Key Vault Secrets Officer"),
        "the hint names the role: {message}"
    );
    let vault = format!("/subscriptions/{}/resourceGroups/app/providers/Microsoft.KeyVault/vaults/kv2", kv.sub);
    assert!(
        message
            .contains(&format!("--scope {vault} (az: az role assignment create --role \"Key Vault Secrets Officer\""))
            && message.contains(&format!("--assignee {} --scope {vault})", kv.server.admin.object_id)),
        "the hint grants at the vault, in inkan's and az's words: {message}"
    );

    kv.assign(SECRETS_OFFICER, &kv.server.admin.object_id, "00000000-0000-4000-8000-00000000aa01").await;
    let body = json!({"value": "hunter2", "contentType": "text/plain", "tags": {"env": "dev"}});
    let (status, first, _) =
        kv.call(Method::PUT, "/secrets/db-pass?api-version=2026-04-01", Some(&token), Some(body)).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    let id = first["id"].as_str().unwrap();
    let version = id.rsplit('/').next().unwrap();
    assert!(id.starts_with(&format!("{}/secrets/db-pass/", kv.url)) && version.len() == 32, "{id}");
    assert_eq!(first["attributes"]["recoveryLevel"], "Recoverable+Purgeable");
    let (_, second, _) =
        kv.call(Method::PUT, "/secrets/db-pass?api-version=7.4", Some(&token), Some(json!({"value": "hunter3"}))).await;
    let (status, latest, _) =
        kv.call(Method::GET, "/secrets/db-pass/?api-version=2026-04-01", Some(&token), None).await;
    assert_eq!((status, latest["value"].as_str()), (StatusCode::OK, Some("hunter3")));
    assert_eq!(latest["id"], second["id"]);
    let (_, old, _) =
        kv.call(Method::GET, &format!("/secrets/db-pass/{version}?api-version=2016-10-01"), Some(&token), None).await;
    assert_eq!(
        (old["value"].as_str(), old["contentType"].as_str(), old["tags"]["env"].as_str()),
        (Some("hunter2"), Some("text/plain"), Some("dev"))
    );
    let (status, missing, _) = kv.call(Method::GET, "/secrets/nope/?api-version=2026-04-01", Some(&token), None).await;
    assert_eq!((status, missing["error"]["code"].as_str()), (StatusCode::NOT_FOUND, Some("SecretNotFound")));
    assert!(
        missing["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("A secret with (name/id) nope was not found in this key vault.")
    );
}

#[tokio::test]
async fn an_access_policy_vault_refuses_callers_without_a_policy() {
    let kv = kv("kv3", false).await;
    let token = kv.server.admin_token_for("https://vault.azure.net/.default").await;
    let (status, body, _) = kv.call(Method::GET, "/secrets/db/?api-version=2026-04-01", Some(&token), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.starts_with("Access denied. Caller was not found on any access policy.\r\nCaller: appid="),
        "{message}"
    );
}

#[tokio::test]
async fn the_secret_lifecycle_lists_pages_deletes_recovers_purges_and_restores() {
    let kv = kv("kv4", true).await;
    kv.assign(SECRETS_OFFICER, &kv.server.admin.object_id, "00000000-0000-4000-8000-00000000aa04").await;
    let t = kv.server.admin_token_for(&format!("{}/.default", kv.resource)).await;
    let t = Some(t.as_str());
    for name in ["a1", "b2", "c3"] {
        let (status, _, _) = kv
            .call(Method::PUT, &format!("/secrets/{name}?api-version=2026-04-01"), t, Some(json!({"value": name})))
            .await;
        assert_eq!(status, StatusCode::OK);
    }
    kv.call(Method::PUT, "/secrets/a1?api-version=2026-04-01", t, Some(json!({"value": "a1-v2"}))).await;
    // Pages of two, following nextLink.
    let (_, page, _) = kv.call(Method::GET, "/secrets?api-version=2026-04-01&maxresults=2", t, None).await;
    assert_eq!(page["value"].as_array().unwrap().len(), 2);
    assert!(page["value"][0].get("value").is_none(), "lists never carry values");
    assert_eq!(page["value"][0]["id"], format!("{}/secrets/a1", kv.url));
    let next = page["nextLink"].as_str().unwrap().strip_prefix(&kv.url).unwrap().to_owned();
    let (_, rest, _) = kv.call(Method::GET, &next, t, None).await;
    assert_eq!((rest["value"].as_array().unwrap().len(), &rest["nextLink"]), (1, &Value::Null));
    let (_, versions, _) = kv.call(Method::GET, "/secrets/a1/versions?api-version=2026-04-01", t, None).await;
    assert_eq!(versions["value"].as_array().unwrap().len(), 2);
    // Update attributes: a disabled secret cannot be read.
    let (status, updated, _) = kv
        .call(
            Method::PATCH,
            "/secrets/b2/?api-version=2026-04-01",
            t,
            Some(json!({"attributes": {"enabled": false}, "tags": {"k": "v"}})),
        )
        .await;
    assert_eq!(
        (status, updated["attributes"]["enabled"].as_bool(), updated["tags"]["k"].as_str()),
        (StatusCode::OK, Some(false), Some("v"))
    );
    let (status, _, _) = kv.call(Method::GET, "/secrets/b2/?api-version=2026-04-01", t, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Soft delete, then the name is held until recovered or purged.
    let (status, deleted, _) = kv.call(Method::DELETE, "/secrets/a1?api-version=2026-04-01", t, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(deleted["recoveryId"], format!("{}/deletedsecrets/a1", kv.url));
    assert_eq!(deleted["scheduledPurgeDate"].as_i64().unwrap() - deleted["deletedDate"].as_i64().unwrap(), 90 * 86_400);
    let (status, _, _) = kv.call(Method::GET, "/secrets/a1/?api-version=2026-04-01", t, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, held, _) =
        kv.call(Method::PUT, "/secrets/a1?api-version=2026-04-01", t, Some(json!({"value": "x"}))).await;
    assert_eq!((status, held["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("Conflict")));
    let (_, listed, _) = kv.call(Method::GET, "/deletedsecrets?api-version=2026-04-01", t, None).await;
    assert_eq!(listed["value"][0]["recoveryId"], format!("{}/deletedsecrets/a1", kv.url));
    let (status, _, _) = kv.call(Method::POST, "/deletedsecrets/a1/recover?api-version=2026-04-01", t, None).await;
    assert_eq!(status, StatusCode::OK);
    let (_, back, _) = kv.call(Method::GET, "/secrets/a1/?api-version=2026-04-01", t, None).await;
    assert_eq!(back["value"], "a1-v2");
    // Backup, delete, purge, restore; a tampered blob is refused.
    let (_, blob, _) = kv.call(Method::POST, "/secrets/c3/backup?api-version=2026-04-01", t, None).await;
    let blob = blob["value"].as_str().unwrap().to_owned();
    kv.call(Method::DELETE, "/secrets/c3?api-version=2026-04-01", t, None).await;
    let (status, _, _) = kv.call(Method::DELETE, "/deletedsecrets/c3?api-version=2026-04-01", t, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let mut tampered = blob.clone().into_bytes();
    let i = tampered.len() / 2;
    tampered[i] = if tampered[i] == b'A' { b'B' } else { b'A' };
    let (status, _, _) = kv
        .call(
            Method::POST,
            "/secrets/restore?api-version=2026-04-01",
            t,
            Some(json!({"value": String::from_utf8(tampered).unwrap()})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, restored, _) =
        kv.call(Method::POST, "/secrets/restore?api-version=2026-04-01", t, Some(json!({"value": blob}))).await;
    assert_eq!(status, StatusCode::OK, "{restored}");
    let (_, value, _) = kv.call(Method::GET, "/secrets/c3/?api-version=2026-04-01", t, None).await;
    assert_eq!(value["value"], "c3");
}

const SECRETS_USER: &str = "4633458b-17de-408a-b874-0445c86b69e6";

#[tokio::test]
async fn purge_protection_holds_a_deleted_secret_until_its_retention_ends() {
    let kv = kv("kv5", true).await;
    let body = json!({"location": "eastus", "properties": {"tenantId": kv.server.tenant(), "sku": {"family": "A", "name": "standard"},
        "enableRbacAuthorization": true, "enablePurgeProtection": true, "softDeleteRetentionInDays": 7}});
    let (status, vault) = kv
        .server
        .arm(
            Method::PUT,
            &format!(
                "/subscriptions/{}/resourceGroups/app/providers/Microsoft.KeyVault/vaults/kv5?api-version=2026-02-01",
                kv.sub
            ),
            Some(body),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{vault}");
    let t = kv.server.admin_token_for(&format!("{}/.default", kv.resource)).await;
    let t = Some(t.as_str());
    // Secrets User reads but may not take backups (they carry every value).
    kv.assign(SECRETS_USER, &kv.server.admin.object_id, "00000000-0000-4000-8000-00000000aa05").await;
    let (status, refused, _) = kv.call(Method::POST, "/secrets/db/backup?api-version=2026-04-01", t, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(refused["error"]["message"].as_str().unwrap().contains("secrets/backup/action"), "{refused}");
    kv.assign(SECRETS_OFFICER, &kv.server.admin.object_id, "00000000-0000-4000-8000-00000000aa06").await;

    let (_, set, _) =
        kv.call(Method::PUT, "/secrets/db?api-version=2026-04-01", t, Some(json!({"value": "one"}))).await;
    assert_eq!(set["attributes"]["recoveryLevel"], "Recoverable");
    let (_, deleted, _) = kv.call(Method::DELETE, "/secrets/db?api-version=2026-04-01", t, None).await;
    assert_eq!(deleted["scheduledPurgeDate"].as_i64().unwrap() - deleted["deletedDate"].as_i64().unwrap(), 7 * 86_400);
    let (status, held, _) = kv.call(Method::DELETE, "/deletedsecrets/db?api-version=2026-04-01", t, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(held["error"]["message"].as_str().unwrap().contains("purge protection is enabled"), "{held}");

    // Once the retention has passed the secret is gone and its name is free again.
    kv.server.clock.advance(time::Duration::days(7) + time::Duration::seconds(1));
    let t = kv.server.admin_token_for(&format!("{}/.default", kv.resource)).await;
    let t = Some(t.as_str());
    let (_, listed, _) = kv.call(Method::GET, "/deletedsecrets?api-version=2026-04-01", t, None).await;
    assert_eq!(listed["value"], json!([]));
    let (status, again, _) =
        kv.call(Method::PUT, "/secrets/db?api-version=2026-04-01", t, Some(json!({"value": "two"}))).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    let (_, versions, _) = kv.call(Method::GET, "/secrets/db/versions?api-version=2026-04-01", t, None).await;
    assert_eq!(versions["value"].as_array().unwrap().len(), 1, "the purged versions do not come back");
}

#[tokio::test]
async fn with_the_switch_on_a_vault_answers_429_past_azures_limit() {
    let server =
        TestServer::start_with(inkan_server::config::RawConfig { kv_throttle: Some(true), ..Default::default() }).await;
    let kv = kv_on(server, "kv6", true).await;
    // Every request counts, answered or not: 4,000 unauthenticated ones fill the window.
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let (http, url) = (kv.http.clone(), format!("{}/secrets/x?api-version=7.6", kv.url));
        tasks.spawn(async move {
            for _ in 0..500 {
                let status = http.get(&url).send().await.unwrap().status();
                assert_eq!(status, StatusCode::UNAUTHORIZED);
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap();
    }
    let (status, body, headers) = kv.call(Method::GET, "/secrets/x?api-version=7.6", None, None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::TOO_MANY_REQUESTS, Some("Throttled")), "{body}");
    assert_eq!(headers["retry-after"], "10");
    assert!(body["error"]["message"].as_str().unwrap().contains("--kv-throttle"), "{body}");
    kv.server.clock.advance(time::Duration::seconds(10));
    let (status, _, _) = kv.call(Method::GET, "/secrets/x?api-version=7.6", None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "a new window admits requests again");
}

#[tokio::test]
async fn a_backup_restores_into_another_vault_of_the_subscription_and_nowhere_else() {
    let kv = kv("kv7", true).await;
    let sibling = kv_shared(Arc::clone(&kv.server), "kv7b", true).await;
    kv.assign(SECRETS_OFFICER, &kv.server.admin.object_id, "00000000-0000-4000-8000-00000000aa07").await;
    sibling.assign(SECRETS_OFFICER, &kv.server.admin.object_id, "00000000-0000-4000-8000-00000000ab07").await;
    let t = kv.server.admin_token_for(&format!("{}/.default", kv.resource)).await;
    let t = Some(t.as_str());
    for value in ["first", "second"] {
        let (status, _, _) =
            kv.call(Method::PUT, "/secrets/moved?api-version=7.6", t, Some(json!({"value": value}))).await;
        assert_eq!(status, StatusCode::OK);
    }
    let (status, blob, _) = kv.call(Method::POST, "/secrets/moved/backup?api-version=7.6", t, None).await;
    assert_eq!(status, StatusCode::OK, "{blob}");
    let blob = blob["value"].as_str().unwrap().to_owned();
    // Into the other vault of the same subscription: every version comes along, with ids of
    // the vault it now lives in.
    let (status, restored, _) =
        sibling.call(Method::POST, "/secrets/restore?api-version=7.6", t, Some(json!({"value": blob}))).await;
    assert_eq!(status, StatusCode::OK, "{restored}");
    assert!(restored["id"].as_str().unwrap().starts_with(&format!("{}/secrets/moved/", sibling.url)), "{restored}");
    let (_, latest, _) = sibling.call(Method::GET, "/secrets/moved/?api-version=7.6", t, None).await;
    assert_eq!(latest["value"], "second");
    let (_, versions, _) = sibling.call(Method::GET, "/secrets/moved/versions?api-version=7.6", t, None).await;
    assert_eq!(versions["value"].as_array().unwrap().len(), 2);
    // Restoring again where the name is taken is a conflict, and nothing changes.
    let (status, taken, _) =
        sibling.call(Method::POST, "/secrets/restore?api-version=7.6", t, Some(json!({"value": blob}))).await;
    assert_eq!(status, StatusCode::CONFLICT, "{taken}");
    let (_, versions, _) = sibling.call(Method::GET, "/secrets/moved/versions?api-version=7.6", t, None).await;
    assert_eq!(versions["value"].as_array().unwrap().len(), 2, "the refused restore added nothing");
    // A reader may not restore, and learns nothing about the blob: authorization comes first.
    let reader_vault = kv_shared(Arc::clone(&kv.server), "kv7c", true).await;
    reader_vault.assign(SECRETS_USER, &kv.server.admin.object_id, "00000000-0000-4000-8000-00000000ad07").await;
    for blob in [blob.clone(), format!("{blob}x")] {
        let (status, refused, _) =
            reader_vault.call(Method::POST, "/secrets/restore?api-version=7.6", t, Some(json!({"value": blob}))).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");
        assert!(
            refused["error"]["message"]
                .as_str()
                .unwrap()
                .contains("Action: 'Microsoft.KeyVault/vaults/secrets/restore/action'"),
            "{refused}"
        );
    }
    // Another inkan server (another installation, another subscription) cannot open it.
    let elsewhere = kv_on(TestServer::start().await, "kv7", true).await;
    elsewhere.assign(SECRETS_OFFICER, &elsewhere.server.admin.object_id, "00000000-0000-4000-8000-00000000ac07").await;
    let other = elsewhere.server.admin_token_for(&format!("{}/.default", elsewhere.resource)).await;
    let (status, refused, _) = elsewhere
        .call(Method::POST, "/secrets/restore?api-version=7.6", Some(&other), Some(json!({"value": blob})))
        .await;
    assert_eq!(
        (status, refused["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("BadParameter")),
        "{refused}"
    );
    let (status, _, _) = elsewhere.call(Method::GET, "/secrets/moved/?api-version=7.6", Some(&other), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "nothing was restored");
}

#[tokio::test]
async fn bodies_beyond_key_vaults_limits_are_refused_and_nothing_is_stored() {
    let kv = kv("kv8", true).await;
    kv.assign(SECRETS_OFFICER, &kv.server.admin.object_id, "00000000-0000-4000-8000-00000000aa08").await;
    let t = kv.server.admin_token_for(&format!("{}/.default", kv.resource)).await;
    let t = Some(t.as_str());
    let limit = "x".repeat(25_600);
    let (status, _, _) = kv.call(Method::PUT, "/secrets/big?api-version=7.6", t, Some(json!({"value": limit}))).await;
    assert_eq!(status, StatusCode::OK, "25,600 bytes is the limit, inclusive");
    for (name, body, says) in [
        ("huge", json!({"value": "x".repeat(25_601)}), "at most 25600 bytes"),
        ("tagged", json!({"value": "v", "tags": {"n": 1}}), "Tag 'n' must have a string value"),
        (
            "dated",
            json!({"value": "v", "attributes": {"exp": "2030-01-01"}}),
            "attributes.exp must be a time in seconds",
        ),
    ] {
        let (status, refused, _) =
            kv.call(Method::PUT, &format!("/secrets/{name}?api-version=7.6"), t, Some(body)).await;
        assert_eq!((status, refused["error"]["code"].as_str()), (StatusCode::BAD_REQUEST, Some("BadParameter")));
        assert!(refused["error"]["message"].as_str().unwrap().contains(says), "{refused}");
        let (status, _, _) = kv.call(Method::GET, &format!("/secrets/{name}/?api-version=7.6"), t, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{name} was not stored");
    }
    // An update out of bounds changes nothing.
    let (status, _, _) = kv
        .call(Method::PATCH, "/secrets/big/?api-version=7.6", t, Some(json!({"attributes": {"enabled": "no"}})))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (_, still, _) = kv.call(Method::GET, "/secrets/big/?api-version=7.6", t, None).await;
    assert_eq!(
        (still["attributes"]["enabled"].as_bool(), still["value"].as_str().map(str::len)),
        (Some(true), Some(25_600))
    );
}
