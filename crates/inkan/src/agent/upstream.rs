//! The agent's side of the server's agent API: a host token, and managed-identity tokens
//! cached per (selector, resource).

use super::enrollment::Enrollment;
use anyhow::Context;
use dashmap::DashMap;
use reqwest::StatusCode;
use serde_json::Value;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// Served from cache while more than this remains.
const REFRESH_BEFORE_SECS: i64 = 300;
/// And for at most this long, so a detached identity stops being served within a minute (the
/// server decides again; it has its own cache).
const MAX_AGE: Duration = Duration::from_secs(60);

/// A token answer: status and IMDS-shaped body.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: StatusCode,
    pub body: Value,
}

/// The server, as the agent sees it.
pub struct Upstream {
    enrollment: Enrollment,
    http: reqwest::Client,
    host_token: Mutex<Option<(String, Instant)>>,
    cache: DashMap<(String, String), (Value, i64, Instant)>,
}

impl Upstream {
    pub fn new(enrollment: Enrollment) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .add_root_certificate(reqwest::Certificate::from_pem(enrollment.ca_certificate.as_bytes())?)
            .build()?;
        Ok(Self { enrollment, http, host_token: Mutex::new(None), cache: DashMap::new() })
    }

    pub fn resource_id(&self) -> &str {
        &self.enrollment.resource_id
    }

    /// A managed-identity token for `selector` (`client_id=...` etc., or empty) and `resource`.
    pub async fn token(&self, selector: &[(String, String)], resource: &str, now: i64) -> anyhow::Result<Answer> {
        let key = (
            selector.iter().map(|(k, v)| format!("{k}={}", v.to_ascii_lowercase())).collect::<Vec<_>>().join("&"),
            resource.to_owned(),
        );
        if let Some(cached) = self.cache.get(&key)
            && cached.1 - now > REFRESH_BEFORE_SECS
            && cached.2.elapsed() < MAX_AGE
        {
            let mut body = cached.0.clone();
            let left = (cached.1 - now).to_string();
            body["expires_in"] = Value::String(left.clone());
            body["ext_expires_in"] = Value::String(left);
            return Ok(Answer { status: StatusCode::OK, body });
        }
        let host_token = self.host_token().await?;
        let mut query: Vec<(String, String)> = vec![("resource".into(), resource.into())];
        query.extend(selector.iter().cloned());
        let response = self
            .http
            .get(format!("{}/inkan/v1/agent/token", self.enrollment.server))
            .query(&query)
            .bearer_auth(host_token)
            .send()
            .await
            .with_context(|| format!("cannot reach the inkan server at {}", self.enrollment.server))?;
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        if status == StatusCode::OK
            && let Some(expires_on) = body["expires_on"].as_str().and_then(|v| v.parse::<i64>().ok())
        {
            self.cache.insert(key, (body.clone(), expires_on, Instant::now()));
        }
        if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
            *self.host_token.lock().await = None;
            anyhow::bail!(
                "the server refused this host ({status}): {}",
                body["error"]["message"].as_str().unwrap_or_default()
            );
        }
        Ok(Answer { status, body })
    }

    async fn host_token(&self) -> anyhow::Result<String> {
        let mut cached = self.host_token.lock().await;
        if let Some((token, until)) = cached.as_ref()
            && *until > Instant::now()
        {
            return Ok(token.clone());
        }
        let e = &self.enrollment;
        let form = [
            ("grant_type", "client_credentials"),
            ("client_id", e.client_id.as_str()),
            ("client_secret", e.client_secret.as_str()),
            ("scope", &format!("{}/.default", e.server)),
        ];
        let response = self
            .http
            .post(format!("{}/{}/oauth2/v2.0/token", e.server, e.tenant_id))
            .form(&form)
            .send()
            .await
            .with_context(|| format!("cannot reach the inkan server at {}", e.server))?;
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        if !status.is_success() {
            anyhow::bail!(
                "the server refused the host credential ({status}): {}",
                body["error_description"].as_str().unwrap_or_default()
            );
        }
        let token = body["access_token"].as_str().context("no access_token")?.to_owned();
        let lifetime = body["expires_in"].as_u64().unwrap_or(300).saturating_sub(120);
        *cached = Some((token.clone(), Instant::now() + Duration::from_secs(lifetime)));
        Ok(token)
    }
}
