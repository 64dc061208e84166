//! Entra's error shape, the one place token-authority failures become responses.
//!
//! `{"error", "error_description": "AADSTS<n>: <message>\r\nTrace ID: ...\r\nCorrelation ID:
//! ...\r\nTimestamp: ...", "error_codes": [n], "timestamp", "trace_id", "correlation_id"}`:
//! MSAL and azure-identity show `error_description`, so inkan's hint goes into the message.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use time::OffsetDateTime;

/// A token-authority error.
#[derive(Debug, Clone)]
pub struct StsError {
    pub status: StatusCode,
    /// OAuth2 `error`, e.g. `invalid_client`.
    pub error: &'static str,
    /// The AADSTS number.
    pub code: u32,
    pub message: String,
    pub at: OffsetDateTime,
}

impl StsError {
    fn new(status: StatusCode, error: &'static str, code: u32, message: String, at: OffsetDateTime) -> Self {
        Self { status, error, code, message, at }
    }

    pub fn tenant_not_found(tenant: &str, at: OffsetDateTime) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            90002,
            format!(
                "Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. \
                 inkan's tenant id is printed by `inkan env --admin` (AZURE_TENANT_ID)."
            ),
            at,
        )
    }

    pub fn missing_parameter(name: &str, at: OffsetDateTime) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            900144,
            format!("The request body must contain the following parameter: '{name}'."),
            at,
        )
    }

    pub fn unsupported_grant_type(grant: &str, at: OffsetDateTime) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            70003,
            format!(
                "The app requested an unsupported grant type '{grant}'. inkan's token endpoint supports 'client_credentials'."
            ),
            at,
        )
    }

    pub fn unsupported_assertion(at: OffsetDateTime) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            50027,
            "Client assertions (certificates and federated credentials) are not supported by this inkan version yet; use a client secret."
                .into(),
            at,
        )
    }

    pub fn missing_credential(at: OffsetDateTime) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7000218,
            "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.".into(),
            at,
        )
    }

    pub fn unknown_client(client_id: &str, tenant: &str, at: OffsetDateTime) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            700016,
            format!(
                "Application with identifier '{client_id}' was not found in the directory '{tenant}'. This can happen if the application \
                 has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent \
                 your authentication request to the wrong tenant. Check AZURE_CLIENT_ID against `inkan env --admin` or `inkan identity show`."
            ),
            at,
        )
    }

    pub fn managed_identity_has_no_secret(client_id: &str, at: OffsetDateTime) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7000215,
            format!(
                "Invalid client secret provided. '{client_id}' is a managed identity: it has no client secrets and gets tokens from its \
                 identity endpoint (IMDS or IDENTITY_ENDPOINT), not from the token endpoint."
            ),
            at,
        )
    }

    pub fn wrong_secret(client_id: &str, at: OffsetDateTime) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7000215,
            format!(
                "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the \
                 client secret ID, for a secret added to app '{client_id}'."
            ),
            at,
        )
    }

    pub fn expired_secret(client_id: &str, at: OffsetDateTime) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7000222,
            format!("The provided client secret keys for app '{client_id}' are expired."),
            at,
        )
    }

    pub fn invalid_scope(scope: &str, at: OffsetDateTime) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            70011,
            format!(
                "The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not \
                 valid. The scope '{scope}' is not valid. The client credentials flow needs exactly one '<resource>/.default' scope, such \
                 as 'https://vault.azure.net/.default'."
            ),
            at,
        )
    }

    pub fn unknown_resource(resource: &str, tenant: &str, known: &[String], at: OffsetDateTime) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_resource",
            500011,
            format!(
                "The resource principal named {resource} was not found in the tenant named {tenant}. This can happen if the application \
                 has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have \
                 sent your authentication request to the wrong tenant. Resources inkan knows: {}.",
                known.join(", ")
            ),
            at,
        )
    }

    pub fn invalid_instance(at: OffsetDateTime) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_instance", 50049, "Unknown or invalid instance.".into(), at)
    }

    pub fn internal(at: OffsetDateTime) -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            90033,
            "A transient error has occurred. Please try again.".into(),
            at,
        )
    }
}

impl IntoResponse for StsError {
    fn into_response(self) -> Response {
        let trace_id = uuid::Uuid::new_v4().to_string();
        let correlation_id = uuid::Uuid::new_v4().to_string();
        let timestamp = self
            .at
            .format(&time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]Z"))
            .unwrap_or_default();
        let description = format!(
            "AADSTS{}: {}\r\nTrace ID: {trace_id}\r\nCorrelation ID: {correlation_id}\r\nTimestamp: {timestamp}",
            self.code, self.message
        );
        let body = json!({
            "error": self.error,
            "error_description": description,
            "error_codes": [self.code],
            "timestamp": timestamp,
            "trace_id": trace_id,
            "correlation_id": correlation_id,
        });
        (self.status, [(axum::http::header::CACHE_CONTROL, "no-store, no-cache")], Json(body)).into_response()
    }
}
