//! Enrollment files: what an agent needs to reach the server as its host (server URL, tenant,
//! host client id and secret, the server's CA), written once by `inkan agent enroll`.

use crate::client::ApiClient;
use anyhow::Context;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The contents of an enrollment file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Enrollment {
    pub server: String,
    pub tenant_id: String,
    pub resource_id: String,
    pub client_id: String,
    pub client_secret: String,
    /// The server's CA certificate (PEM), so the agent trusts it on another machine.
    pub ca_certificate: String,
}

impl Enrollment {
    pub fn read(path: &Path) -> anyhow::Result<Self> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("cannot read enrollment file {}", path.display()))?;
        serde_json::from_str(&text).with_context(|| format!("{} is not an inkan enrollment file", path.display()))
    }
}

/// Enrolls a host for `target` and writes the enrollment file (mode 0600) to `out`.
pub async fn enroll(client: &ApiClient, target: &str, ca_pem: &str, out: &Path) -> anyhow::Result<Enrollment> {
    let answer = client
        .call(reqwest::Method::POST, "/inkan/v1/host-credentials", Some(&serde_json::json!({ "target": target })))
        .await?;
    let text =
        |k: &str| answer[k].as_str().map(str::to_owned).with_context(|| format!("the enrollment answer has no {k}"));
    let enrollment = Enrollment {
        server: text("server")?,
        tenant_id: text("tenantId")?,
        resource_id: text("resourceId")?,
        client_id: text("clientId")?,
        client_secret: text("clientSecret")?,
        ca_certificate: ca_pem.to_owned(),
    };
    inkan_server::data_dir::write_private(out, serde_json::to_string_pretty(&enrollment)?.as_bytes())?;
    Ok(enrollment)
}
