//! The error shapes of the identity endpoints: IMDS's `{"error","error_description"}` and App
//! Service's `{"statusCode","message","correlationId"}` (what MSAL and azure-identity parse).
//! inkan's hint follows Azure's text inside the description, where the SDKs show it.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// An IMDS error.
#[derive(Debug, Clone)]
pub struct ImdsError {
    pub status: StatusCode,
    pub error: &'static str,
    pub description: String,
}

impl ImdsError {
    pub fn bad_request(error: &'static str, description: impl Into<String>) -> Self {
        Self { status: StatusCode::BAD_REQUEST, error, description: description.into() }
    }

    pub fn not_found(description: &str) -> Self {
        Self { status: StatusCode::NOT_FOUND, error: "not_found", description: description.into() }
    }

    pub fn method_not_allowed() -> Self {
        Self {
            status: StatusCode::METHOD_NOT_ALLOWED,
            error: "method_not_allowed",
            description: "The requested method is not allowed; IMDS only supports GET.".into(),
        }
    }

    pub fn internal() -> Self {
        Self {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            error: "server_error",
            description: "Internal error; see the inkan log.".into(),
        }
    }
}

impl IntoResponse for ImdsError {
    fn into_response(self) -> Response {
        let mut response =
            (self.status, Json(json!({"error": self.error, "error_description": self.description}))).into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json; charset=utf-8"));
        response
    }
}

/// An App Service identity endpoint error.
#[derive(Debug, Clone)]
pub struct AppServiceError {
    pub status: StatusCode,
    pub message: String,
}

impl AppServiceError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self { status, message: message.into() }
    }
}

impl IntoResponse for AppServiceError {
    fn into_response(self) -> Response {
        let body = json!({
            "statusCode": self.status.as_u16(),
            "message": self.message,
            "correlationId": uuid::Uuid::new_v4().to_string(),
        });
        (self.status, Json(body)).into_response()
    }
}
