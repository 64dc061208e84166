//! The parts of an ARM request every operation needs: method, query, api-version, JSON body.

use super::error::ArmError;
use axum::body::Bytes;
use axum::http::Method;
use inkan_core::arm::{accepts_api_version, supported_api_versions};
use serde_json::{Map, Value};

/// A parsed ARM request.
#[derive(Debug)]
pub struct ArmRequest {
    pub method: Method,
    /// Query parameters, decoded, in order.
    pub query: Vec<(String, String)>,
    pub api_version: String,
    body: Bytes,
}

impl ArmRequest {
    /// Requires `api-version`; everything else is checked by the operation.
    pub fn new(method: Method, query: Option<&str>, body: Bytes) -> Result<Self, ArmError> {
        let query: Vec<(String, String)> =
            form_urlencoded::parse(query.unwrap_or_default().as_bytes()).into_owned().collect();
        let api_version = query
            .iter()
            .find(|(k, _)| k == "api-version")
            .map(|(_, v)| v.clone())
            .filter(|v| !v.is_empty())
            .ok_or_else(ArmError::missing_api_version)?;
        Ok(Self { method, query, api_version, body })
    }

    /// A query parameter.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// Lists only answer GET: a PUT that forgot the resource name must not look like success.
    pub fn require_get(&self, what: &str) -> Result<(), ArmError> {
        if self.method == Method::GET { Ok(()) } else { Err(ArmError::method_not_allowed(self.method.as_str(), what)) }
    }

    /// Checks the api-version against the type's published list.
    pub fn api_version_for(&self, type_name: &str) -> Result<(), ArmError> {
        if accepts_api_version(type_name, &self.api_version) {
            return Ok(());
        }
        let supported = supported_api_versions(type_name).unwrap_or_default();
        Err(ArmError::unsupported_api_version(type_name, &self.api_version, &supported))
    }

    /// The body as a JSON object; malformed JSON or a non-object is `InvalidRequestContent`.
    pub fn json_object(&self) -> Result<Map<String, Value>, ArmError> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Err(ArmError::invalid_request_content("the request body is empty; send a JSON object"));
        }
        let value: Value = serde_json::from_slice(&self.body)
            .map_err(|e| ArmError::invalid_request_content(format!("{e} (the body must be a JSON object)")))?;
        match value {
            Value::Object(map) => Ok(map),
            other => Err(ArmError::invalid_request_content(format!(
                "expected a JSON object, got {}",
                match other {
                    Value::Array(_) => "an array",
                    Value::String(_) => "a string",
                    Value::Number(_) => "a number",
                    Value::Bool(_) => "a boolean",
                    _ => "null",
                }
            ))),
        }
    }
}

/// A JSON response with ARM's headers.
pub fn json_response(status: axum::http::StatusCode, body: &Value) -> axum::response::Response {
    use axum::response::IntoResponse;
    (status, [("x-ms-request-id", uuid::Uuid::new_v4().to_string())], axum::Json(body)).into_response()
}

/// `{"value": [...]}`, ARM's list shape (inkan returns every item in one page).
pub fn list_response(items: Vec<Value>) -> axum::response::Response {
    json_response(axum::http::StatusCode::OK, &serde_json::json!({ "value": items }))
}
