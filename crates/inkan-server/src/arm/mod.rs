//! The control plane: an ARM-compatible REST API.
//!
//! ARM paths are a grammar, not a fixed route table (`{scope}/providers/{ns}/{type}/{name}`
//! nests to any depth), so one handler parses the path with
//! [`inkan_core::arm::parse_path`] and dispatches to the operation for what it addresses.
//! Order of checks follows ARM: authentication, the path (an unknown subscription is 404 at
//! once), then api-version, authorization and the body.

mod auth;
mod error;
mod groups;
mod hooks;
mod identities;
mod metadata;
mod providers;
mod request;
mod resource_filter;
mod resources;
mod role_assignments;
mod role_definitions;
mod subscriptions;

pub use auth::Caller;
pub use error::ArmError;

use crate::state::SharedState;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{Method, Uri};
use axum::response::{IntoResponse, Response};
use inkan_core::arm::{ArmPath, parse_path};
use request::ArmRequest;

/// Handles every request no other surface claimed.
pub async fn dispatch(
    State(state): State<SharedState>,
    caller: Result<Caller, ArmError>,
    method: Method,
    uri: Uri,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let path = uri.path();
    if path.eq_ignore_ascii_case("/metadata/endpoints") {
        return metadata::endpoints(&state, query.as_deref()).into_response();
    }
    let first = path.trim_start_matches('/').split('/').next().unwrap_or_default().to_ascii_lowercase();
    if !matches!(first.as_str(), "subscriptions" | "providers" | "tenants") {
        return ArmError::not_found("NotFound", format!("No inkan endpoint answers '{path}'.")).into_response();
    }
    let result = async {
        let caller = caller?;
        let req = ArmRequest::new(method, query.as_deref(), body)?;
        route(&state, &caller, &req, path).await
    }
    .await;
    result.unwrap_or_else(IntoResponse::into_response)
}

/// What a control-plane path addresses.
enum Addressed<'p> {
    Provider(providers::ProviderPath<'p>),
    Arm(ArmPath),
}

/// The `{id}` of a path under `/subscriptions/{id}`.
fn subscription_of(path: &str) -> Option<&str> {
    let mut segments = path.trim_start_matches('/').split('/');
    let first = segments.next()?;
    let id = segments.next().filter(|id| !id.is_empty())?;
    first.eq_ignore_ascii_case("subscriptions").then_some(id)
}

async fn route(state: &SharedState, caller: &Caller, req: &ArmRequest, path: &str) -> Result<Response, ArmError> {
    if path.trim_end_matches('/').eq_ignore_ascii_case("/tenants") {
        req.api_version_for("Microsoft.Resources/tenants")?;
        return subscriptions::list_tenants(state, caller, req).await;
    }
    // What the path addresses: a resource provider, or the ARM grammar (whose errors, such as
    // a malformed subscription id, come first).
    let addressed = match providers::parse(path) {
        Some(provider_path) => Addressed::Provider(provider_path),
        None => Addressed::Arm(parse_path(path).map_err(|e| ArmError::invalid_resource_id(&e))?),
    };
    // An unknown subscription is 404 before anything else is decided, as in ARM (and no hint
    // ever suggests a role at a subscription that does not exist).
    if let Some(sub) = subscription_of(path)
        && !subscriptions::exists(state, sub).await?
    {
        return Err(ArmError::subscription_not_found(sub));
    }
    let parsed = match addressed {
        Addressed::Arm(parsed) => parsed,
        Addressed::Provider(provider_path) => return providers::handle(state, caller, req, &provider_path).await,
    };
    match parsed {
        ArmPath::Subscriptions => subscriptions::list(state, caller, req).await,
        ArmPath::ResourceGroups(sub) => groups::list(state, caller, req, &sub).await,
        ArmPath::GenericResources(scope) => resources::list_generic(state, caller, req, &scope).await,
        ArmPath::Item(id) if id.is_root() => {
            Err(ArmError::not_found("NotFound", "The root scope '/' is not a resource."))
        }
        ArmPath::Item(id) if id.is_subscription() => subscriptions::get(state, caller, req, &id).await,
        ArmPath::Item(id) if id.is_resource_group() => groups::handle(state, caller, req, &id).await,
        ArmPath::Item(id) => match id.resource_type().unwrap_or_default().to_ascii_lowercase().as_str() {
            "microsoft.authorization/roleassignments" => role_assignments::handle(state, caller, req, &id).await,
            "microsoft.authorization/roledefinitions" => role_definitions::get(state, caller, req, &id).await,
            _ => resources::handle(state, caller, req, &id).await,
        },
        ArmPath::Collection { parent, member_type } => match member_type.to_ascii_lowercase().as_str() {
            "microsoft.authorization/roleassignments" => role_assignments::list(state, caller, req, &parent).await,
            "microsoft.authorization/roledefinitions" => role_definitions::list(state, caller, req, &parent).await,
            "microsoft.authorization/permissions" => role_definitions::permissions(state, caller, req, &parent).await,
            _ => resources::list_collection(state, caller, req, &parent, &member_type).await,
        },
    }
}
