//! A client of a running inkan server's public API, authenticated as the bootstrap
//! administrator with the client-credentials flow (the same door every SDK uses).

use crate::cli::Target;
use anyhow::Context;
use inkan_server::config::default_data_dir;
use inkan_server::data_dir::{AdminCredentials, DataDir};
use reqwest::StatusCode;
use serde_json::Value;
use tokio::sync::Mutex;

/// An authenticated API client.
pub struct ApiClient {
    pub base: String,
    pub credentials: AdminCredentials,
    http: reqwest::Client,
    token: Mutex<Option<(String, std::time::Instant)>>,
}

impl ApiClient {
    /// Finds the server and the credentials through `target`.
    pub async fn connect(target: &Target) -> anyhow::Result<Self> {
        Self::connect_with(target, None).await
    }

    /// Like [`ApiClient::connect`], resolving the server's host name to `address` if given.
    pub async fn connect_with(target: &Target, address: Option<std::net::SocketAddr>) -> anyhow::Result<Self> {
        let dir = DataDir::at(&target.data_dir.clone().unwrap_or_else(default_data_dir));
        let base = match &target.server {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => dir.server_info()?.url,
        };
        let credentials = match dir.admin_credentials() {
            Ok(c) => c,
            Err(e) => credentials_from_env().ok_or(e)?,
        };
        let mut builder = reqwest::Client::builder().timeout(std::time::Duration::from_secs(60));
        if let Ok(pem) = std::fs::read(dir.ca_cert_path()) {
            builder = builder.add_root_certificate(reqwest::Certificate::from_pem(&pem)?);
        }
        if let (Some(addr), Some(host)) = (address, host_of(&base)) {
            builder = builder.resolve(&host, addr);
        }
        Ok(Self { base, credentials, http: builder.build()?, token: Mutex::new(None) })
    }

    /// The subscription commands work in.
    pub fn subscription(&self) -> &str {
        &self.credentials.subscription_id
    }

    /// A token for ARM, cached until shortly before it expires.
    pub async fn token(&self) -> anyhow::Result<String> {
        let mut cached = self.token.lock().await;
        if let Some((token, until)) = cached.as_ref()
            && *until > std::time::Instant::now()
        {
            return Ok(token.clone());
        }
        let url = format!("{}/{}/oauth2/v2.0/token", self.base, self.credentials.tenant_id);
        let form = [
            ("grant_type", "client_credentials"),
            ("client_id", self.credentials.client_id.as_str()),
            ("client_secret", self.credentials.client_secret.as_str()),
            ("scope", "https://management.azure.com/.default"),
        ];
        let response = self
            .http
            .post(&url)
            .form(&form)
            .send()
            .await
            .with_context(|| format!("cannot reach inkan at {}", self.base))?;
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        if !status.is_success() {
            anyhow::bail!(
                "the token authority refused the administrator's credentials ({status}): {}",
                body["error_description"].as_str().unwrap_or("no description")
            );
        }
        let token = body["access_token"].as_str().context("the token response has no access_token")?.to_owned();
        let lifetime = body["expires_in"].as_u64().unwrap_or(300).saturating_sub(120);
        *cached = Some((token.clone(), std::time::Instant::now() + std::time::Duration::from_secs(lifetime)));
        Ok(token)
    }

    /// Sends a request; returns the status and the JSON body (`null` when empty).
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> anyhow::Result<(StatusCode, Value)> {
        let token = self.token().await?;
        let mut request = self.http.request(method, format!("{}{path}", self.base)).bearer_auth(token);
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.with_context(|| format!("cannot reach inkan at {}", self.base))?;
        let status = response.status();
        let bytes = response.bytes().await?;
        let value = if bytes.is_empty() { Value::Null } else { serde_json::from_slice(&bytes).unwrap_or(Value::Null) };
        Ok((status, value))
    }

    /// Like [`ApiClient::send`], but an error status becomes an error with ARM's code and message.
    pub async fn call(&self, method: reqwest::Method, path: &str, body: Option<&Value>) -> anyhow::Result<Value> {
        let (status, value) = self.send(method, path, body).await?;
        if status.is_success() {
            return Ok(value);
        }
        Err(api_error(status, &value))
    }
}

/// An ARM error body as an error.
pub fn api_error(status: StatusCode, body: &Value) -> anyhow::Error {
    let code = body["error"]["code"].as_str().unwrap_or("Error");
    let message = body["error"]["message"].as_str().unwrap_or("(no message)");
    anyhow::anyhow!("{code} ({status}): {message}")
}

fn host_of(url: &str) -> Option<String> {
    let rest = url.strip_prefix("https://")?;
    let authority = rest.split('/').next()?;
    Some(authority.rsplit_once(':').map_or(authority, |(h, _)| h).to_owned())
}

fn credentials_from_env() -> Option<AdminCredentials> {
    let var = |name| std::env::var(name).ok().filter(|v| !v.is_empty());
    Some(AdminCredentials {
        tenant_id: var("AZURE_TENANT_ID")?,
        subscription_id: var("AZURE_SUBSCRIPTION_ID")?,
        client_id: var("AZURE_CLIENT_ID")?,
        object_id: String::new(),
        client_secret: var("AZURE_CLIENT_SECRET")?,
    })
}
