//! Real inkan servers for tests: each [`TestServer`] has its own temporary data directory,
//! listens on 127.0.0.1 on a free port, and runs on a [`ManualClock`] so tests can move time.
//! A server that fails to start fails the test.

use inkan_core::clock::ManualClock;
use inkan_server::Server;
use inkan_server::config::{RawConfig, Settings};
use inkan_server::data_dir::{AdminCredentials, DataDir};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A running server and a client that trusts its CA.
pub struct TestServer {
    pub server: Server,
    pub clock: Arc<ManualClock>,
    pub base: String,
    pub http: reqwest::Client,
    pub admin: AdminCredentials,
    dir: Option<tempfile::TempDir>,
    path: PathBuf,
    extra: RawConfig,
}

/// A fixed starting time, so runs are reproducible.
pub fn start_time() -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp(1_795_000_000).unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
}

impl TestServer {
    /// Starts a server on a new data directory.
    pub async fn start() -> Self {
        Self::start_with(RawConfig::default()).await
    }

    /// Starts a server with extra settings (data directory, listeners and ports are the kit's).
    pub async fn start_with(extra: RawConfig) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().to_owned();
        let clock = Arc::new(ManualClock::new(start_time()));
        Self::start_in(Some(dir), path, clock, 0, extra).await
    }

    async fn start_in(
        dir: Option<tempfile::TempDir>,
        path: PathBuf,
        clock: Arc<ManualClock>,
        port: u16,
        extra: RawConfig,
    ) -> Self {
        let settings = Settings::resolve(
            RawConfig {
                data_dir: Some(path.clone()),
                listen: Some(vec!["127.0.0.1".parse().expect("ip")]),
                port: Some(port),
                identity_port: Some(0),
                ..Default::default()
            }
            .over(extra.clone()),
        )
        .expect("settings");
        let server = Server::start(&settings, clock.clone()).await.expect("the test server must start");
        let addr: SocketAddr = server.https_addrs[0];
        let data = DataDir::at(&path);
        let ca = std::fs::read(data.ca_cert_path()).expect("CA certificate");
        let http = reqwest::Client::builder()
            .add_root_certificate(reqwest::Certificate::from_pem(&ca).expect("CA PEM"))
            .resolve("localhost", addr)
            .build()
            .expect("client");
        let admin = data.admin_credentials().expect("admin credentials");
        Self { base: server.urls.base.clone(), server, clock, http, admin, dir, path, extra }
    }

    /// Stops the server and starts a new one on the same data directory.
    pub async fn restart(mut self) -> Self {
        let dir = self.dir.take();
        let path = self.path.clone();
        let clock = self.clock.clone();
        // The same port: the issuer URL (and so every issued token) names it.
        let port = self.server.urls.port;
        self.server.shutdown().await;
        let extra = self.extra.clone();
        Self::start_in(dir, path, clock, port, extra).await
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        &self.path
    }

    pub fn tenant(&self) -> &str {
        &self.admin.tenant_id
    }

    pub fn subscription(&self) -> &str {
        &self.admin.subscription_id
    }

    /// POSTs a form to the tenant's v2 token endpoint.
    pub async fn token_request(&self, tenant: &str, form: &[(&str, &str)]) -> (StatusCode, Value) {
        let url = format!("{}/{tenant}/oauth2/v2.0/token", self.base);
        let response = self.http.post(url).form(form).send().await.expect("token request");
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// An ARM token for the administrator.
    pub async fn admin_token(&self) -> String {
        let (status, body) = self
            .token_request(
                &self.admin.tenant_id,
                &[
                    ("grant_type", "client_credentials"),
                    ("client_id", &self.admin.client_id),
                    ("client_secret", &self.admin.client_secret),
                    ("scope", "https://management.azure.com/.default"),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::OK, "admin token: {body}");
        body["access_token"].as_str().expect("access_token").to_owned()
    }

    /// Sends an ARM request with `token` (or none); returns status, body and the response headers.
    pub async fn arm_with(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&str>,
    ) -> (StatusCode, Value, reqwest::header::HeaderMap) {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            request = request.bearer_auth(t);
        }
        if let Some(b) = body {
            request = request.header("content-type", "application/json").body(b.to_owned());
        }
        let response = request.send().await.expect("ARM request");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.expect("body");
        let value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        (status, value, headers)
    }

    /// Sends an ARM request as the administrator.
    pub async fn arm(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let token = self.admin_token().await;
        let body = body.map(|b| b.to_string());
        let (status, value, _) = self.arm_with(method, path, Some(&token), body.as_deref()).await;
        (status, value)
    }

    /// `http://127.0.0.1:<port>`: the identity listener.
    pub fn identity_url(&self) -> String {
        self.server.state.identity_url.clone()
    }

    /// The IMDS base a workload is given (`AZURE_POD_IDENTITY_AUTHORITY_HOST`), or panics.
    pub fn imds_base(&self, resource_id: &str) -> String {
        let workload = self.server.state.workloads.by_resource(resource_id).expect("an IMDS workload");
        format!("{}/imds/{}", self.identity_url(), workload.imds_secret)
    }

    /// Creates VM `name` in resource group `group` (which must exist) with a system-assigned
    /// identity; returns its resource id and its identity's object id.
    pub async fn vm_with_identity(&self, group: &str, name: &str) -> (String, String) {
        let vm = format!(
            "/subscriptions/{}/resourceGroups/{group}/providers/Microsoft.Compute/virtualMachines/{name}",
            self.subscription()
        );
        let (status, body) = self
            .arm(
                Method::PUT,
                &format!("{vm}?api-version=2024-07-01"),
                Some(serde_json::json!({"location": "eastus", "identity": {"type": "SystemAssigned"}})),
            )
            .await;
        assert!(status.is_success(), "VM {vm}: {status} {body}");
        let principal = body["identity"]["principalId"].as_str().expect("a system-assigned identity").to_owned();
        (vm, principal)
    }

    /// The access token a VM gets from its IMDS for `resource`, or panics.
    pub async fn imds_token(&self, vm: &str, resource: &str) -> String {
        let url = format!("{}/metadata/identity/oauth2/token", self.imds_base(vm));
        let response = self
            .http
            .get(url)
            .query(&[("api-version", "2018-02-01"), ("resource", resource)])
            .header("Metadata", "true")
            .send()
            .await
            .expect("IMDS request");
        let body: Value = response.json().await.expect("IMDS JSON");
        body["access_token"].as_str().unwrap_or_else(|| panic!("an IMDS token for {resource}: {body}")).to_owned()
    }

    /// The App Service identity header of a site or slot, or panics.
    pub fn identity_header(&self, resource_id: &str) -> String {
        self.server.state.workloads.by_resource(resource_id).expect("a site or slot").header_secret.clone()
    }

    /// A client that trusts the server's CA and resolves `host` (e.g. a vault host) to it.
    pub fn client_for_host(&self, host: &str) -> reqwest::Client {
        let ca = std::fs::read(DataDir::at(&self.path).ca_cert_path()).expect("CA certificate");
        reqwest::Client::builder()
            .add_root_certificate(reqwest::Certificate::from_pem(&ca).expect("CA PEM"))
            .resolve(host, self.server.https_addrs[0])
            .build()
            .expect("client")
    }

    /// A token for the administrator for `scope`.
    pub async fn admin_token_for(&self, scope: &str) -> String {
        let (status, body) = self
            .token_request(
                &self.admin.tenant_id,
                &[
                    ("grant_type", "client_credentials"),
                    ("client_id", &self.admin.client_id),
                    ("client_secret", &self.admin.client_secret),
                    ("scope", scope),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::OK, "token for {scope}: {body}");
        body["access_token"].as_str().expect("access_token").to_owned()
    }

    /// A client of the public API, as the `inkan` CLI uses it.
    pub async fn cli_client(&self) -> inkan_cli::client::ApiClient {
        let target = inkan_cli::cli::Target {
            data_dir: Some(self.path.clone()),
            server: Some(self.base.clone()),
            output: inkan_cli::output::Format::Json,
        };
        inkan_cli::client::ApiClient::connect_with(&target, Some(self.server.https_addrs[0])).await.expect("CLI client")
    }
}
