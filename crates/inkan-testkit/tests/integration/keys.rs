//! Signing keys persist across restarts and rotate without breaking issued tokens; the data
//! on disk never holds secret material in plain text.

use crate::sts::verify_with_published_keys;
use inkan_testkit::TestServer;
use reqwest::{Method, StatusCode};
use serde_json::Value;

async fn published_kids(server: &TestServer) -> Vec<String> {
    let jwks: Value = server
        .http
        .get(format!("{}/{}/discovery/v2.0/keys", server.base, server.tenant()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    jwks["keys"].as_array().unwrap().iter().map(|k| k["kid"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn keys_and_the_tenant_survive_a_restart() {
    let server = TestServer::start().await;
    let token = server.admin_token().await;
    let kids = published_kids(&server).await;
    let tenant = server.tenant().to_owned();
    let server = server.restart().await;
    assert_eq!(server.tenant(), tenant);
    assert_eq!(published_kids(&server).await, kids);
    assert!(verify_with_published_keys(&server, &token).await);
    let (status, _, _) =
        server.arm_with(Method::GET, "/subscriptions?api-version=2022-12-01", Some(&token), None).await;
    assert_eq!(status, StatusCode::OK, "a token issued before the restart is still accepted");
}

#[tokio::test]
async fn rotation_keeps_the_old_key_published_until_its_tokens_expire() {
    let server = TestServer::start().await;
    let old_token = server.admin_token().await;
    let old_kid = published_kids(&server).await[0].clone();
    let (status, rotated) = server.arm(Method::POST, "/inkan/v1/signing-keys/rotate", None).await;
    assert_eq!(status, StatusCode::OK, "{rotated}");
    let new_kid = rotated["activeKid"].as_str().unwrap().to_owned();
    assert_ne!(new_kid, old_kid);
    let kids = published_kids(&server).await;
    assert!(kids.contains(&old_kid) && kids.contains(&new_kid));
    let new_token = server.admin_token().await;
    assert_eq!(inkan_crypto::jwt::decode(&new_token).unwrap().key_id(), Some(new_kid.as_str()));
    let (status, _, _) =
        server.arm_with(Method::GET, "/subscriptions?api-version=2022-12-01", Some(&old_token), None).await;
    assert_eq!(status, StatusCode::OK, "tokens signed by the previous key stay valid");
    // After the longest token lifetime the old key leaves the JWKS.
    server.clock.advance(time::Duration::hours(26));
    let server = server.restart().await;
    assert_eq!(published_kids(&server).await, vec![new_kid]);
}

#[tokio::test]
async fn no_secret_appears_in_the_data_directory_in_plain_text() {
    let server = TestServer::start().await;
    let secret = server.admin.client_secret.clone();
    // Create some state, then stop the server so the WAL is checkpointed or left on disk.
    let sub = server.subscription().to_owned();
    server
        .arm(
            Method::PUT,
            &format!("/subscriptions/{sub}/resourcegroups/x?api-version=2022-09-01"),
            Some(serde_json::json!({"location": "eastus"})),
        )
        .await;
    let dir = server.data_dir().to_owned();
    server.server.shutdown().await;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().is_some_and(|n| n == "admin.json") {
            continue; // the administrator's credentials file exists to hold the secret (0600)
        }
        let bytes = std::fs::read(&path).unwrap();
        assert!(
            !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "{} holds the client secret",
            path.display()
        );
        assert!(!String::from_utf8_lossy(&bytes).contains("PRIVATE KEY"), "{} holds a PEM private key", path.display());
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for private in ["admin.json", "master.key", "ca-key.sealed"] {
            let mode = std::fs::metadata(dir.join(private)).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{private} must be readable by its owner only");
        }
    }
}

#[tokio::test]
async fn a_second_server_on_the_same_data_directory_is_refused() {
    let server = TestServer::start().await;
    let settings = inkan_server::config::Settings::resolve(inkan_server::config::RawConfig {
        data_dir: Some(server.data_dir().to_owned()),
        listen: Some(vec!["127.0.0.1".parse().unwrap()]),
        port: Some(0),
        identity_port: Some(0),
        ..Default::default()
    })
    .unwrap();
    let clock = std::sync::Arc::new(inkan_core::clock::ManualClock::new(inkan_testkit::start_time()));
    let error = inkan_server::Server::start(&settings, clock).await.expect_err("the directory is taken");
    let message = format!("{error:#}");
    assert!(message.contains("is in use by another inkan server") && message.contains("--data-dir"), "{message}");
    let (status, _, _) = server
        .arm_with(Method::GET, "/subscriptions?api-version=2022-12-01", Some(&server.admin_token().await), None)
        .await;
    assert_eq!(status, StatusCode::OK, "the first server is untouched");
    // Stopping the first releases the directory.
    let server = server.restart().await;
    assert_eq!(server.arm(Method::GET, "/subscriptions?api-version=2022-12-01", None).await.0, StatusCode::OK);
}
