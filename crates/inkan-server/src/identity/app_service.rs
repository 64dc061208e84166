//! The App Service identity endpoint (`IDENTITY_ENDPOINT` + `IDENTITY_HEADER`, api-version
//! 2019-08-01) and its 2017-09-01 predecessor (`MSI_ENDPOINT` + `MSI_SECRET`). The header
//! secret names the site *or slot*: a slot has its own identities and never gets the site's.

use super::errors::AppServiceError;
use super::query::Query;
use crate::state::SharedState;
use axum::Json;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use inkan_core::workload::{DefaultRule, SelectionError, Selector, describe_attached, select};
use serde_json::json;
use std::sync::Arc;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Protocol {
    /// 2019-08-01: `X-IDENTITY-HEADER`, `client_id`/`principal_id`/`object_id`/`mi_res_id`.
    Current,
    /// 2017-09-01: `secret`, `clientid`, `expires_on` as a date.
    Legacy,
}

pub(super) fn token(
    state: &SharedState,
    method: &Method,
    headers: &HeaderMap,
    raw_query: &str,
) -> Result<Response, AppServiceError> {
    let bad = |m: String| AppServiceError::new(StatusCode::BAD_REQUEST, m);
    if method != Method::GET {
        return Err(AppServiceError::new(StatusCode::METHOD_NOT_ALLOWED, "Only GET is supported."));
    }
    let query = Query::parse(raw_query)
        .map_err(|name| bad(format!("The query parameter '{name}' is given more than once.")))?;
    let protocol = match query.get("api-version") {
        Some("2019-08-01") => Protocol::Current,
        Some("2017-09-01") => Protocol::Legacy,
        Some(other) => return Err(bad(format!("api-version '{other}' is not supported; use 2019-08-01."))),
        None => return Err(bad("The api-version query parameter is required; use 2019-08-01.".into())),
    };
    let (header_name, env_name) = match protocol {
        Protocol::Current => ("x-identity-header", "IDENTITY_HEADER"),
        Protocol::Legacy => ("secret", "MSI_SECRET"),
    };
    let secret = headers.get(header_name).and_then(|v| v.to_str().ok()).unwrap_or_default().trim().to_ascii_lowercase();
    if secret.is_empty() {
        return Err(AppServiceError::new(
            StatusCode::UNAUTHORIZED,
            format!("The '{header_name}' header is missing; send the value of {env_name}."),
        ));
    }
    let workload = state.workloads.by_header_secret(&secret).ok_or_else(|| {
        AppServiceError::new(
            StatusCode::UNAUTHORIZED,
            format!(
                "The '{header_name}' value does not belong to any site or slot. `inkan env --as <resource-group>/<site>[/<slot>]` \
                 prints the right {env_name}."
            ),
        )
    })?;
    let resource = query.get("resource").ok_or_else(|| {
        bad("The resource query parameter is required, e.g. resource=https://vault.azure.net.".into())
    })?;
    let selectors: Vec<Selector> = match protocol {
        Protocol::Current => [
            query.get("client_id").map(|v| Selector::ClientId(v.into())),
            query.get("principal_id").map(|v| Selector::ObjectId(v.into())),
            query.get("object_id").map(|v| Selector::ObjectId(v.into())),
            query.get("mi_res_id").map(|v| Selector::ResourceId(v.into())),
        ]
        .into_iter()
        .flatten()
        .collect(),
        Protocol::Legacy => query.get("clientid").map(|v| Selector::ClientId(v.into())).into_iter().collect(),
    };
    let selector = match selectors.as_slice() {
        [] => Selector::None,
        [one] => one.clone(),
        _ => return Err(bad("Only one of client_id, principal_id, object_id and mi_res_id may be given.".into())),
    };
    let identity = select(&workload.identities, &selector, DefaultRule::SystemOnly).map_err(|e| {
        let what = describe_attached(&workload.identities);
        let name = &workload.resource_id;
        let hint = match (e, &selector) {
            (SelectionError::NotFound | SelectionError::Ambiguous, Selector::None) => format!(
                "inkan: no identity was selected, so App Service looked for the system-assigned identity of {name}, which it does \
                 not have; {what}. Select a user-assigned identity with client_id=<client id>: set AZURE_CLIENT_ID for \
                 DefaultAzureCredential, or pass managed_identity_client_id / ManagedIdentityCredential(client_id=...) \
                 (az: az login --identity --client-id <client id>)."
            ),
            _ => format!("inkan: the requested identity is not attached to {name}; {what}.{}", workload.detachment_hint(&selector)),
        };
        let message = format!("Unable to load the proper Managed Identity. {hint}");
        state.audit.refused(&workload.decision("app-service", None, Some(Arc::from(resource))), &message);
        AppServiceError::new(StatusCode::BAD_REQUEST, message)
    })?;
    if !state.known_resources.contains(resource) {
        let decision = workload.decision("app-service", Some(identity), Some(Arc::from(resource)));
        state.audit.refused(&decision, "unknown resource (AADSTS500011)");
        return Err(bad(format!(
            "AADSTS500011: The resource principal named {resource} was not found in the tenant named {}.",
            state.tenant_id
        )));
    }
    let issued = state.mi_tokens.token(state, identity, resource).map_err(|e| {
        tracing::error!("minting a managed-identity token failed: {e:#}");
        AppServiceError::new(StatusCode::INTERNAL_SERVER_ERROR, "Internal error; see the inkan log.")
    })?;
    state.audit.issued(&workload.decision("app-service", Some(identity), Some(state.audit.audience(resource))));
    let expires_on = match protocol {
        // Epoch seconds as a string: Python int()-parses it, Rust wants a string, Node takes both.
        Protocol::Current => issued.expires_on.to_string(),
        Protocol::Legacy => legacy_date(issued.expires_on),
    };
    Ok(Json(json!({
        "access_token": issued.access_token,
        "expires_on": expires_on,
        "resource": resource,
        "token_type": "Bearer",
        "client_id": identity.client_id,
    }))
    .into_response())
}

/// `11/24/2026 04:20:26 +00:00`, the 2017-09-01 format.
fn legacy_date(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.format(&time::macros::format_description!("[month]/[day]/[year] [hour]:[minute]:[second] +00:00")).ok()
        })
        .unwrap_or_else(|| unix.to_string())
}
