//! ARM's error shape, `{"error":{"code","message"}}`, and every code inkan's control plane
//! uses: the one table mapping failures to statuses and codes.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use inkan_core::arm::IdError;
use serde_json::json;

/// An ARM error response.
#[derive(Debug, Clone)]
pub struct ArmError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// For 401s, the `WWW-Authenticate` challenge.
    pub challenge: Option<String>,
}

fn e(status: StatusCode, code: &'static str, message: impl Into<String>) -> ArmError {
    ArmError { status, code, message: message.into(), challenge: None }
}

impl ArmError {
    // --- authentication (401) ---
    pub fn unauthenticated(code: &'static str, message: impl Into<String>, authority: &str) -> Self {
        let message = message.into();
        let description = message.replace('"', "'");
        ArmError {
            challenge: Some(format!(
                "Bearer authorization_uri=\"{authority}\", error=\"invalid_token\", error_description=\"{description}\""
            )),
            ..e(StatusCode::UNAUTHORIZED, code, message)
        }
    }

    // --- authorization (403) ---
    pub fn authorization_failed(client_id: &str, object_id: &str, action: &str, scope: &str, hint: &str) -> Self {
        e(
            StatusCode::FORBIDDEN,
            "AuthorizationFailed",
            format!(
                "The client '{client_id}' with object id '{object_id}' does not have authorization to perform action '{action}' over \
                 scope '{scope}' or the scope is invalid. If access was recently granted, please refresh your credentials. {hint}"
            ),
        )
    }

    /// The caller may write the resource but not use an identity it links to.
    pub fn linked_authorization_failed(
        client_id: &str,
        object_id: &str,
        action: &str,
        scope: &str,
        linked: &str,
        hint: &str,
    ) -> Self {
        e(
            StatusCode::FORBIDDEN,
            "LinkedAuthorizationFailed",
            format!(
                "The client '{client_id}' with object id '{object_id}' has permission to perform action '{action}' on scope '{scope}'; \
                 however, it does not have permission to perform action(s) 'Microsoft.ManagedIdentity/userAssignedIdentities/assign/action' \
                 on the linked scope(s) '{linked}' (respectively) or the linked scope(s) are invalid. {hint}"
            ),
        )
    }

    // --- request shape (400) ---
    pub fn missing_api_version() -> Self {
        e(
            StatusCode::BAD_REQUEST,
            "MissingApiVersionParameter",
            "The api-version query parameter (?api-version=) is required for all requests.",
        )
    }

    pub fn unsupported_api_version(type_name: &str, version: &str, supported: &[&str]) -> Self {
        if type_name.to_ascii_lowercase().starts_with("microsoft.resources/") {
            let mut newest_first = supported.to_vec();
            newest_first.reverse();
            return e(
                StatusCode::BAD_REQUEST,
                "InvalidApiVersionParameter",
                format!(
                    "The api-version '{version}' is invalid. The supported versions are '{}'.",
                    newest_first.join(",")
                ),
            );
        }
        let short_type = type_name.split_once('/').map_or(type_name, |(_, t)| t);
        e(
            StatusCode::BAD_REQUEST,
            "NoRegisteredProviderFound",
            format!(
                "No registered resource provider found for location 'global' and API version '{version}' for type '{short_type}'. \
                 The supported api-versions are '{}'.",
                supported.join(", ")
            ),
        )
    }

    pub fn invalid_request_content(detail: impl std::fmt::Display) -> Self {
        e(
            StatusCode::BAD_REQUEST,
            "InvalidRequestContent",
            format!("The request content was invalid and could not be deserialized: '{detail}'."),
        )
    }

    pub fn invalid_resource_id(err: &IdError) -> Self {
        match err {
            IdError::InvalidSubscriptionId(_) => e(
                StatusCode::BAD_REQUEST,
                "InvalidSubscriptionId",
                format!(
                    "{err} Subscription ids are GUIDs; `inkan env --admin` prints inkan's (AZURE_SUBSCRIPTION_ID)."
                ),
            ),
            IdError::Malformed { .. } => e(StatusCode::BAD_REQUEST, "InvalidResourceId", err.to_string()),
        }
    }

    pub fn invalid_resource_type(type_name: &str, served: &[&str]) -> Self {
        let (namespace, short) = type_name.split_once('/').unwrap_or((type_name, ""));
        let hint = if served.is_empty() {
            String::new()
        } else {
            format!(" Types inkan serves in '{namespace}': {}.", served.join(", "))
        };
        e(
            StatusCode::BAD_REQUEST,
            "InvalidResourceType",
            format!("The resource type '{short}' could not be found in the namespace '{namespace}'.{hint}"),
        )
    }

    pub fn invalid_resource_namespace(namespace: &str) -> Self {
        e(
            StatusCode::BAD_REQUEST,
            "InvalidResourceNamespace",
            format!(
                "The resource namespace '{namespace}' is invalid. inkan serves Microsoft.ManagedIdentity, Microsoft.Compute, \
                 Microsoft.Web, Microsoft.ContainerService, Microsoft.KeyVault, Microsoft.ContainerRegistry and Microsoft.Authorization."
            ),
        )
    }

    pub fn invalid_resource_name(name: &str, rule: &str) -> Self {
        e(StatusCode::BAD_REQUEST, "InvalidResourceName", format!("Resource name '{name}' is invalid. {rule}"))
    }

    pub fn location_required() -> Self {
        e(StatusCode::BAD_REQUEST, "LocationRequired", "The location property is required for this definition.")
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        e(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn method_not_allowed(method: &str, what: &str) -> Self {
        e(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            format!("The requested method '{method}' is not allowed for {what}."),
        )
    }

    // --- not found (404) ---
    pub fn subscription_not_found(id: &str) -> Self {
        e(StatusCode::NOT_FOUND, "SubscriptionNotFound", format!("The subscription '{id}' could not be found."))
    }

    pub fn resource_group_not_found(name: &str) -> Self {
        e(StatusCode::NOT_FOUND, "ResourceGroupNotFound", format!("Resource group '{name}' could not be found."))
    }

    pub fn resource_not_found(type_name: &str, name: &str, group: Option<&str>) -> Self {
        let under = group.map(|g| format!(" under resource group '{g}'")).unwrap_or_default();
        e(
            StatusCode::NOT_FOUND,
            "ResourceNotFound",
            format!(
                "The Resource '{type_name}/{name}'{under} was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix"
            ),
        )
    }

    pub fn parent_not_found(parent: &str) -> Self {
        e(
            StatusCode::NOT_FOUND,
            "ParentResourceNotFound",
            format!("Can not perform requested operation on nested resource. Parent resource '{parent}' not found."),
        )
    }

    pub fn not_found(code: &'static str, message: impl Into<String>) -> Self {
        e(StatusCode::NOT_FOUND, code, message)
    }

    // --- conflicts (409) ---
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        e(StatusCode::CONFLICT, code, message)
    }

    pub fn concurrent_write(id: &str) -> Self {
        e(
            StatusCode::CONFLICT,
            "Conflict",
            format!("Another operation changed '{id}' while this one was in progress. Read it again and retry."),
        )
    }

    // --- server (500) ---
    pub fn internal() -> Self {
        e(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalServerError",
            "The server encountered an internal error; the server log has the details.",
        )
    }
}

impl From<inkan_store::StoreError> for ArmError {
    fn from(err: inkan_store::StoreError) -> Self {
        tracing::error!("store failure: {err}");
        ArmError::internal()
    }
}

impl IntoResponse for ArmError {
    fn into_response(self) -> Response {
        let body = json!({"error": {"code": self.code, "message": self.message}});
        let mut response = (self.status, Json(body)).into_response();
        let headers = response.headers_mut();
        headers.insert("x-ms-failure-cause", HeaderValue::from_static("gateway"));
        if let Some(challenge) = self.challenge.and_then(|c| HeaderValue::from_str(&c).ok()) {
            headers.insert(header::WWW_AUTHENTICATE, challenge);
        }
        response
    }
}
