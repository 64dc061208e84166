//! IMDS, per VM: `/metadata/identity/oauth2/token`, `/metadata/identity/info` and
//! `/metadata/instance`, with Azure's validation order and status codes.

use super::errors::ImdsError;
use super::instance;
use super::query::Query;
use crate::state::SharedState;
use crate::workloads::Workload;
use axum::Json;
use axum::http::{HeaderMap, Method, header};
use axum::response::{IntoResponse, Response};
use inkan_core::workload::{DefaultRule, SelectionError, Selector, describe_attached, select};
use serde_json::json;
use std::sync::Arc;

/// IMDS versions (Azure publishes 2017-03-01 to 2024; the identity endpoint needs 2018-02-01+).
const API_VERSIONS: &[&str] = &[
    "2017-03-01",
    "2017-04-02",
    "2017-08-01",
    "2017-10-01",
    "2017-12-01",
    "2018-02-01",
    "2018-04-02",
    "2018-10-01",
    "2019-02-01",
    "2019-03-11",
    "2019-04-30",
    "2019-06-01",
    "2019-06-04",
    "2019-08-01",
    "2019-08-15",
    "2019-11-01",
    "2020-06-01",
    "2020-07-15",
    "2020-09-01",
    "2020-10-01",
    "2020-12-01",
    "2021-01-01",
    "2021-02-01",
    "2021-03-01",
    "2021-05-01",
    "2021-08-01",
    "2021-10-01",
    "2021-11-01",
    "2021-11-15",
    "2021-12-13",
    "2023-07-01",
    "2023-11-15",
    "2024-03-15",
    "2025-04-07",
];

pub(super) fn handle(
    state: &SharedState,
    method: &Method,
    secret: &str,
    path: &str,
    headers: &HeaderMap,
    raw_query: &str,
) -> Response {
    // Azure's order: method, forwarded requests, the Metadata header (the SDKs' availability
    // probe relies on a fast 400 here), then the query.
    if method != Method::GET {
        return ImdsError::method_not_allowed().into_response();
    }
    if headers.contains_key("x-forwarded-for") {
        return ImdsError::bad_request(
            "invalid_request",
            "Requests with an X-Forwarded-For header are not allowed: IMDS only answers the workload itself, not a proxy.",
        )
        .into_response();
    }
    let metadata = headers.get("metadata").and_then(|v| v.to_str().ok()).map(str::trim);
    if metadata != Some("true") {
        return ImdsError::bad_request(
            "invalid_request",
            "Required metadata header not specified. Send the header 'Metadata: true'.",
        )
        .into_response();
    }
    let Some(workload) = state.workloads.by_imds_secret(secret) else {
        return ImdsError::bad_request(
            "invalid_request",
            "This IMDS address belongs to no VM: the secret in the path is unknown, or the VM was deleted. \
             `inkan env --as <resource-group>/<vm>` prints the right AZURE_POD_IDENTITY_AUTHORITY_HOST.",
        )
        .into_response();
    };
    let query = match Query::parse(raw_query) {
        Ok(q) => q,
        Err(name) => {
            return ImdsError::bad_request(
                "invalid_request",
                format!("The query parameter '{name}' is given more than once."),
            )
            .into_response();
        }
    };
    let Some(version) = query.get("api-version") else {
        return Json(json!({
            "error": "Bad request. api-version was not specified in the request. For more information refer to aka.ms/azureimds",
            "newest-versions": API_VERSIONS.iter().rev().take(3).collect::<Vec<_>>(),
        }))
        .into_response_with(axum::http::StatusCode::BAD_REQUEST);
    };
    if !API_VERSIONS.contains(&version) {
        return Json(json!({
            "error": format!("Bad request. api-version '{version}' is invalid. For more information refer to aka.ms/azureimds"),
            "newest-versions": API_VERSIONS.iter().rev().take(3).collect::<Vec<_>>(),
        }))
        .into_response_with(axum::http::StatusCode::BAD_REQUEST);
    }
    // `path` is what follows the prefix, without its leading slash.
    match path {
        "metadata/identity/oauth2/token" => token(state, &workload, &query, version).into_response(),
        "metadata/identity/info" => Json(json!({"tenantId": state.tenant_id.to_string()})).into_response(),
        p if p == "metadata/instance" || p.starts_with("metadata/instance/") => {
            instance::respond(state, &workload, &p["metadata/instance".len()..], &query)
        }
        other => ImdsError::not_found(&format!("IMDS has no category '/{other}'")).into_response(),
    }
}

trait IntoResponseWith {
    fn into_response_with(self, status: axum::http::StatusCode) -> Response;
}

impl<T: IntoResponse> IntoResponseWith for T {
    fn into_response_with(self, status: axum::http::StatusCode) -> Response {
        (status, self).into_response()
    }
}

fn token(state: &SharedState, workload: &Workload, query: &Query, version: &str) -> Result<Response, ImdsError> {
    if version < "2018-02-01" {
        return Err(ImdsError::bad_request(
            "invalid_request",
            format!("The identity endpoint needs api-version 2018-02-01 or later (got {version})."),
        ));
    }
    let (resource, selector) = token_request(|name| query.get(name))?;
    issue(state, workload, &selector, resource, "imds")
}

/// The resource and the identity selector of an IMDS token request (at most one of
/// `client_id`, `object_id`, `msi_res_id`); shared by IMDS and the host agent's API.
pub fn token_request<'q>(get: impl Fn(&str) -> Option<&'q str>) -> Result<(&'q str, Selector), ImdsError> {
    let resource = get("resource").ok_or_else(|| {
        ImdsError::bad_request(
            "invalid_request",
            "Required query variable 'resource' is missing. Send resource=<App ID URI>, e.g. https://vault.azure.net.",
        )
    })?;
    let selectors: Vec<Selector> = [
        get("client_id").map(|v| Selector::ClientId(v.into())),
        get("object_id").map(|v| Selector::ObjectId(v.into())),
        get("msi_res_id").map(|v| Selector::ResourceId(v.into())),
    ]
    .into_iter()
    .flatten()
    .collect();
    match selectors.as_slice() {
        [] => Ok((resource, Selector::None)),
        [one] => Ok((resource, one.clone())),
        _ => Err(ImdsError::bad_request(
            "invalid_request",
            "Only one of client_id, object_id and msi_res_id may be given.",
        )),
    }
}

/// Picks the identity for `selector` on `workload` and answers with its token in IMDS's shape;
/// shared by IMDS and the host agent's API.
pub fn issue(
    state: &SharedState,
    workload: &Workload,
    selector: &Selector,
    resource: &str,
    surface: &'static str,
) -> Result<Response, ImdsError> {
    let identity = select(&workload.identities, selector, DefaultRule::SystemThenSingleUser).map_err(|e| {
        let error = selection_error(state, workload, selector, e);
        state.audit.refused(&workload.decision(surface, None, Some(Arc::from(resource))), &error.description);
        error
    })?;
    if !state.known_resources.contains(resource) {
        let decision = workload.decision(surface, Some(identity), Some(Arc::from(resource)));
        state.audit.refused(&decision, "unknown resource (AADSTS500011)");
        return Err(ImdsError::bad_request(
            "invalid_resource",
            format!(
                "AADSTS500011: The resource principal named {resource} was not found in the tenant named {}. Resources inkan knows: {}.",
                state.tenant_id,
                state.known_resources.list().join(", ")
            ),
        ));
    }
    let issued = state.mi_tokens.token(state, identity, resource).map_err(|e| {
        tracing::error!("minting a managed-identity token failed: {e:#}");
        ImdsError::internal()
    })?;
    state.audit.issued(&workload.decision(surface, Some(identity), Some(state.audit.audience(resource))));
    let now = state.clock.unix();
    let expires_in = (issued.expires_on - now).max(0).to_string();
    // Every value is a string, as IMDS writes them. Written directly: this is the hot path.
    // The token and the client id are base64url and a GUID; only the resource needs escaping.
    let resource_json = serde_json::to_string(resource).unwrap_or_else(|_| "\"\"".to_owned());
    let body = format!(
        "{{\"access_token\":\"{}\",\"client_id\":\"{}\",\"expires_in\":\"{expires_in}\",\"expires_on\":\"{}\",\
         \"ext_expires_in\":\"{expires_in}\",\"not_before\":\"{}\",\"resource\":{resource_json},\"token_type\":\"Bearer\",\
         \"object_id\":\"{}\",\"msi_res_id\":{}}}",
        issued.access_token,
        identity.client_id,
        issued.expires_on,
        issued.not_before,
        identity.principal_id,
        serde_json::to_string(&identity.resource_id).unwrap_or_else(|_| "\"\"".to_owned())
    );
    Ok(([(header::CONTENT_TYPE, "application/json; charset=utf-8")], body).into_response())
}

fn selection_error(state: &SharedState, workload: &Workload, selector: &Selector, e: SelectionError) -> ImdsError {
    let what = describe_attached(&workload.identities);
    let name = &workload.resource_id;
    let _ = state;
    match e {
        SelectionError::Ambiguous => ImdsError::bad_request(
            "invalid_request",
            format!(
                "Multiple user assigned identities exist, please specify the clientId / resourceId of the identity in the token \
                 request. inkan: {name} has no system-assigned identity and several user-assigned ones; {what}. Pick one with \
                 client_id=<client id> (AZURE_CLIENT_ID for DefaultAzureCredential, ManagedIdentityCredential(client_id=...), \
                 az login --identity --client-id <client id>)."
            ),
        ),
        SelectionError::NotFound => {
            let asked = match selector {
                Selector::None => "no selector was sent".to_owned(),
                Selector::ClientId(v) => format!("client_id={v} is not attached"),
                Selector::ObjectId(v) => format!("object_id={v} is not attached"),
                Selector::ResourceId(v) => format!("msi_res_id={v} is not attached"),
            };
            let detached = workload.detachment_hint(selector);
            ImdsError::bad_request(
                "invalid_request",
                format!("Identity not found. inkan: {asked} to {name}; {what}.{detached}"),
            )
        }
    }
}
