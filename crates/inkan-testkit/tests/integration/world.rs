//! World files: every example applies cleanly, and applying it again changes nothing.

use inkan_cli::world::{Outcome, apply_file};
use inkan_testkit::TestServer;
use reqwest::Method;
use std::path::PathBuf;

fn examples() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("examples/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "json"))
        .collect();
    files.sort();
    assert!(files.len() >= 5, "one example per field report");
    files
}

#[tokio::test]
async fn every_example_applies_and_a_second_apply_changes_nothing() {
    let server = TestServer::start().await;
    let client = server.cli_client().await;
    for file in examples() {
        let first = apply_file(&client, &file).await.unwrap_or_else(|e| panic!("{}: {e:#}", file.display()));
        assert!(first.entries.iter().all(|(_, o)| *o == Outcome::Created), "{}: {:?}", file.display(), first.entries);
        let second = apply_file(&client, &file).await.unwrap_or_else(|e| panic!("{}: {e:#}", file.display()));
        assert!(
            second.entries.iter().all(|(_, o)| *o == Outcome::Unchanged),
            "{}: the second apply changed {:?}",
            file.display(),
            second.entries
        );
        assert_eq!(second.summary(), format!("0 created, 0 updated, {} unchanged", first.entries.len()));
    }
    // The access-policy example granted the VM's own principal.
    let sub = server.subscription().to_owned();
    let (_, vm) = server
        .arm(Method::GET, &format!("/subscriptions/{sub}/resourceGroups/vm-demo/providers/Microsoft.Compute/virtualMachines/win-vm?api-version=2024-07-01"), None)
        .await;
    let (_, kv) = server
        .arm(Method::GET, &format!("/subscriptions/{sub}/resourceGroups/vm-demo/providers/Microsoft.KeyVault/vaults/policy-kv?api-version=2024-11-01"), None)
        .await;
    assert_eq!(kv["properties"]["accessPolicies"][0]["objectId"], vm["identity"]["principalId"]);
}

#[tokio::test]
async fn a_changed_world_file_updates_only_what_changed() {
    let server = TestServer::start().await;
    let client = server.cli_client().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("world.yaml");
    let write = |tag: &str| {
        std::fs::write(
            &file,
            format!(
                "resources:\n  - id: /subscriptions/${{subscriptionId}}/resourceGroups/w\n    location: westeurope\n    tags: {{team: {tag}}}\n  - id: /subscriptions/${{subscriptionId}}/resourceGroups/w/providers/Microsoft.ManagedIdentity/userAssignedIdentities/idw\n    location: westeurope\n"
            ),
        )
        .unwrap();
    };
    write("a");
    apply_file(&client, &file).await.unwrap();
    write("b");
    let report = apply_file(&client, &file).await.unwrap();
    assert_eq!(report.entries.iter().map(|(_, o)| *o).collect::<Vec<_>>(), vec![Outcome::Updated, Outcome::Unchanged]);
    std::fs::write(&file, "resources:\n  - id: /subscriptions/${subscriptionId}/resourceGroups/w/providers/Microsoft.KeyVault/vaults/1bad\n    location: westeurope\n").unwrap();
    let error = apply_file(&client, &file).await.unwrap_err();
    let text = format!("{error:#}");
    assert!(text.contains("resources[0]") && text.contains("InvalidResourceName"), "{text}");
}
