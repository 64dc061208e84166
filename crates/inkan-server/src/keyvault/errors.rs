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
}

impl KvError {
    fn new(status: StatusCode, code: &'static str, message: String) -> Self {
        Self { status, code, inner: None, message, challenge: None }
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
            format!("{what} is not served by this inkan version yet; set and get are."),
        )
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
        response
    }
}
