//! Key Vault's error shape, `{"error":{"code","message","innererror"?}}`, and its 401 challenge.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// A Key Vault error.
#[derive(Debug, Clone)]
pub struct KvError {
    pub status: StatusCode,
    pub code: &'static str,
    pub inner: Option<&'static str>,
    pub message: String,
    /// The `WWW-Authenticate` challenge, on 401s.
    pub challenge: Option<String>,
    /// `Retry-After` seconds, on 429s.
    pub retry_after: Option<u64>,
}

impl KvError {
    fn new(status: StatusCode, code: &'static str, message: String) -> Self {
        Self { status, code, inner: None, message, challenge: None, retry_after: None }
    }

    pub fn unauthorized(message: String, challenge: String) -> Self {
        Self { challenge: Some(challenge), ..Self::new(StatusCode::UNAUTHORIZED, "Unauthorized", message) }
    }

    pub fn bad_parameter(message: String) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "BadParameter", message)
    }

    pub fn forbidden(inner: Option<&'static str>, message: String) -> Self {
        Self { inner, ..Self::new(StatusCode::FORBIDDEN, "Forbidden", message) }
    }

    pub fn not_found(code: &'static str, message: String) -> Self {
        Self::new(StatusCode::NOT_FOUND, code, message)
    }

    pub fn conflict(message: String) -> Self {
        Self::new(StatusCode::CONFLICT, "Conflict", message)
    }

    pub fn not_implemented(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_IMPLEMENTED,
            "NotImplemented",
            format!("{what} is not a Key Vault secrets operation inkan serves (docs/keyvault.md lists them)."),
        )
    }

    pub fn throttled(retry_after: u64) -> Self {
        Self {
            retry_after: Some(retry_after),
            ..Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                "Throttled",
                format!(
                    "Request was not processed because too many requests were received. Reason: VaultRequestTypeLimitReached. \
                     inkan: this vault took {} requests in {} seconds (Azure's limit; inkan enforces it because --kv-throttle is \
                     on); retry after {retry_after} s.",
                    super::throttle::LIMIT,
                    super::throttle::WINDOW_SECS
                ),
            )
        }
    }

    pub fn internal() -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "InternalServerError", "Internal error; see the inkan log.".into())
    }
}

impl From<inkan_store::StoreError> for KvError {
    fn from(e: inkan_store::StoreError) -> Self {
        tracing::error!("Key Vault store failure: {e}");
        KvError::internal()
    }
}

impl IntoResponse for KvError {
    fn into_response(self) -> Response {
        let mut error = json!({"code": self.code, "message": self.message});
        if let Some(inner) = self.inner {
            error["innererror"] = json!({"code": inner});
        }
        let mut response = (self.status, Json(json!({ "error": error }))).into_response();
        if let Some(challenge) = self.challenge.and_then(|c| HeaderValue::from_str(&c).ok()) {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, challenge);
        }
        if let Some(seconds) = self.retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}
