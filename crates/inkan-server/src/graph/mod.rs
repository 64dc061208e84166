//! A minimal Microsoft Graph (v1.0) at `https://<host>:<port>/graph`: the directory lookups the
//! Azure CLI makes around role assignments. `az role assignment create --assignee <id>` resolves
//! the assignee through `servicePrincipals?$filter=servicePrincipalNames/any(...)` and
//! `directoryObjects/getByIds`, `az role assignment list` fills principal names through the
//! latter, and `az keyvault create` asks `/me`. The cloud metadata's `microsoftGraphResourceId`
//! points here, so az asks inkan rather than graph.microsoft.com.
//!
//! Every request carries a token for this Graph (`aud` = `<base>/graph`), validated like any
//! other. Reading the directory is for whoever manages resources: the administrator, or a
//! principal that holds a control-plane role somewhere (as an Entra application needs a Graph
//! permission, a workload with only data-plane roles may not enumerate principals). Errors are
//! Graph's shape: `{"error": {"code", "message", "innerError"}}`.

mod service_principals;

use crate::state::SharedState;
use axum::Router;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;

pub fn routes() -> Router<SharedState> {
    let v1 = Router::new()
        .route("/servicePrincipals", get(service_principals::list))
        .route("/servicePrincipals/{id}", get(service_principals::get))
        .route("/directoryObjects/getByIds", post(service_principals::get_by_ids))
        .route("/me", get(me))
        .method_not_allowed_fallback(|| async {
            GraphError::new(StatusCode::METHOD_NOT_ALLOWED, "Request_BadRequest", "This method is not supported on this resource.")
        })
        .fallback(|uri: axum::http::Uri| async move {
            GraphError::bad_request(format!(
                "Resource not found for the segment '{}'. inkan's Graph serves servicePrincipals, directoryObjects/getByIds and me.",
                uri.path().rsplit('/').next().unwrap_or_default()
            ))
        });
    Router::new().nest("/graph/v1.0", v1)
}

/// A Graph error.
#[derive(Debug)]
pub struct GraphError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl GraphError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into() }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "BadRequest", message)
    }

    pub fn not_found(id: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "Request_ResourceNotFound",
            format!("Resource '{id}' does not exist or one of its queried reference-property objects are not present."),
        )
    }

    fn unauthenticated(message: String) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "InvalidAuthenticationToken", message)
    }
}

impl IntoResponse for GraphError {
    fn into_response(self) -> Response {
        let body = json!({"error": {"code": self.code, "message": self.message, "innerError": {}}});
        (self.status, axum::Json(body)).into_response()
    }
}

impl From<inkan_store::StoreError> for GraphError {
    fn from(e: inkan_store::StoreError) -> Self {
        tracing::error!("graph: store failed: {e}");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "generalException", "An internal error occurred.")
    }
}

/// Validates the bearer token for this Graph and checks that its caller may read the
/// directory. Returns the caller's object id.
fn authorize(state: &SharedState, headers: &HeaderMap) -> Result<String, GraphError> {
    let graph = state.urls.graph_base();
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(crate::tokens::bearer)
        .ok_or_else(|| GraphError::unauthenticated("Access token is empty.".into()))?;
    let audiences = [graph.clone(), format!("{graph}/")];
    let claims = state.tokens.validate(token, &state.tenant_id.to_string(), &audiences).map_err(|rejection| {
        GraphError::unauthenticated(format!(
            "Access token validation failure: {rejection}. Request a token for '{graph}/.default' (this Graph's resource)."
        ))
    })?;
    if state.is_admin(&claims.oid) || state.authz.policy().has_access_within(&claims.oid, "/", state.clock.unix()) {
        return Ok(claims.oid.clone());
    }
    Err(GraphError::new(
        StatusCode::FORBIDDEN,
        "Authorization_RequestDenied",
        format!(
            "Insufficient privileges to complete the operation. inkan: {} holds no control-plane role, and only principals \
             that manage resources (or the administrator) may read the directory.",
            claims.oid
        ),
    ))
}

/// `GET /me`: as Graph answers an application's token.
async fn me(axum::extract::State(state): axum::extract::State<SharedState>, headers: HeaderMap) -> Response {
    match authorize(&state, &headers) {
        Ok(_) => {
            GraphError::bad_request("/me request is only valid with delegated authentication flow.").into_response()
        }
        Err(e) => e.into_response(),
    }
}
