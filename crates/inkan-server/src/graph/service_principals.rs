//! Service principals: lookups by application id (`servicePrincipalNames/any(c:c eq '...')`,
//! `appId eq '...'`), by object id (`/servicePrincipals/{id}`, `directoryObjects/getByIds`).
//! Every inkan principal is a service principal: applications and managed identities.

use super::{GraphError, authorize};
use crate::state::SharedState;
use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use inkan_store::{PrincipalKind, PrincipalRecord};
use serde_json::{Value, json};

/// `GET /servicePrincipals?$filter=...`.
pub async fn list(State(state): State<SharedState>, headers: HeaderMap, RawQuery(query): RawQuery) -> Response {
    respond(async {
        authorize(&state, &headers)?;
        let filter = form_urlencoded::parse(query.unwrap_or_default().as_bytes())
            .find(|(k, _)| k == "$filter")
            .map(|(_, v)| v.into_owned())
            .ok_or_else(|| {
                GraphError::bad_request(
                    "inkan's Graph answers lookups: use $filter=servicePrincipalNames/any(c:c eq '<application id>') or \
                     appId eq '<application id>'.",
                )
            })?;
        let app_id = app_id_of(&filter).ok_or_else(|| {
            GraphError::bad_request(format!(
                "Unsupported $filter '{filter}'; inkan's Graph supports servicePrincipalNames/any(c:c eq '<application id>') \
                 and appId eq '<application id>'."
            ))
        })?;
        let found = match app_id.parse() {
            Ok(client_id) => state.store.principal_by_client_id(client_id).await?.filter(live),
            Err(_) => None,
        };
        let value: Vec<Value> = found.iter().map(|p| render(&state, p)).collect();
        Ok(Json(json!({"@odata.context": context(&state, "servicePrincipals"), "value": value})).into_response())
    })
    .await
}

/// `GET /servicePrincipals/{object id}`.
pub async fn get(State(state): State<SharedState>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    respond(async {
        authorize(&state, &headers)?;
        if id.parse::<inkan_core::ids::ObjectId>().is_err() {
            return Err(GraphError::bad_request(format!("Invalid object identifier '{id}'.")));
        }
        let found = by_object_id(&state, &id).await?.ok_or_else(|| GraphError::not_found(&id))?;
        let mut body = render(&state, &found);
        body["@odata.context"] = json!(context(&state, "servicePrincipals/$entity"));
        Ok(Json(body).into_response())
    })
    .await
}

/// `POST /directoryObjects/getByIds` `{"ids": [...], "types": [...]}`: the objects found, in no
/// particular order; ids that name nothing are left out, as Graph does.
pub async fn get_by_ids(State(state): State<SharedState>, headers: HeaderMap, body: axum::body::Bytes) -> Response {
    respond(async {
        authorize(&state, &headers)?;
        let request: Value = serde_json::from_slice(&body).map_err(|e| {
            GraphError::bad_request(format!("The request body is not JSON ({e}); send {{\"ids\": [...]}}."))
        })?;
        let ids = request["ids"]
            .as_array()
            .ok_or_else(|| GraphError::bad_request("The request body needs 'ids', a list of object ids."))?;
        if ids.len() > 1000 {
            return Err(GraphError::bad_request("At most 1000 ids can be resolved at once."));
        }
        let wants_principals = request["types"].as_array().is_none_or(|types| {
            types.iter().any(|t| t.as_str().is_some_and(|t| t.eq_ignore_ascii_case("servicePrincipal")))
        });
        let mut unique: Vec<&str> = Vec::with_capacity(ids.len());
        for id in ids {
            let id = id.as_str().ok_or_else(|| GraphError::bad_request(format!("'ids' holds strings; got {id}.")))?;
            if !unique.iter().any(|seen| seen.eq_ignore_ascii_case(id)) {
                unique.push(id);
            }
        }
        let mut value = Vec::new();
        if wants_principals {
            for id in unique {
                if let Some(found) = by_object_id(&state, id).await? {
                    value.push(render(&state, &found));
                }
            }
        }
        Ok(Json(json!({"@odata.context": context(&state, "directoryObjects"), "value": value})).into_response())
    })
    .await
}

async fn respond(work: impl Future<Output = Result<Response, GraphError>>) -> Response {
    work.await.unwrap_or_else(IntoResponse::into_response)
}

async fn by_object_id(state: &SharedState, id: &str) -> Result<Option<PrincipalRecord>, GraphError> {
    let Ok(object_id) = id.parse() else { return Ok(None) };
    Ok(state.store.principal(object_id).await?.filter(live))
}

/// Deleted and detached identities are gone from the directory.
fn live(p: &PrincipalRecord) -> bool {
    p.deleted_at.is_none()
}

/// `'value'rest` → (value, rest).
fn quoted(text: &str) -> Option<(String, &str)> {
    let (value, tail) = text.strip_prefix('\'')?.split_once('\'')?;
    Some((value.to_owned(), tail))
}

/// The application id a supported filter asks for.
fn app_id_of(filter: &str) -> Option<String> {
    let compact: String = filter.split_whitespace().collect::<Vec<_>>().join(" ");
    if let Some(rest) = strip_prefix_ci(&compact, "servicePrincipalNames/any(c:c eq ") {
        let (value, tail) = quoted(rest)?;
        return (tail == ")").then_some(value);
    }
    if let Some(rest) = strip_prefix_ci(&compact, "appId eq ") {
        let (value, tail) = quoted(rest)?;
        return tail.is_empty().then_some(value);
    }
    None
}

fn strip_prefix_ci<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    text.get(..prefix.len()).filter(|head| head.eq_ignore_ascii_case(prefix)).map(|_| &text[prefix.len()..])
}

fn context(state: &SharedState, what: &str) -> String {
    format!("{}/v1.0/$metadata#{what}", state.urls.graph_base())
}

fn render(state: &SharedState, p: &PrincipalRecord) -> Value {
    let client_id = p.client_id.to_string();
    // As Entra shows a managed identity: whether it is a resource of its own (user-assigned),
    // then the ARM id it belongs to.
    let alternative_names: Vec<String> = match (&p.kind, &p.resource_id) {
        (PrincipalKind::Application, _) | (_, None) => Vec::new(),
        (kind, Some(resource_id)) => {
            vec![
                format!("isExplicit={}", if *kind == PrincipalKind::UserAssigned { "True" } else { "False" }),
                resource_id.clone(),
            ]
        }
    };
    json!({
        "@odata.type": "#microsoft.graph.servicePrincipal",
        "id": p.object_id.to_string(),
        "appId": client_id,
        "displayName": p.display_name,
        "servicePrincipalNames": [client_id],
        "servicePrincipalType": match p.kind {
            PrincipalKind::Application => "Application",
            PrincipalKind::SystemAssigned | PrincipalKind::UserAssigned => "ManagedIdentity",
        },
        "accountEnabled": true,
        "appOwnerOrganizationId": state.tenant_id.to_string(),
        "alternativeNames": alternative_names,
    })
}

#[cfg(test)]
mod tests {
    use super::app_id_of;

    #[test]
    fn the_filters_az_sends_name_an_application_id() {
        let id = "4fea8f43-0000-4000-8000-000000000001";
        assert_eq!(app_id_of(&format!("servicePrincipalNames/any(c:c eq '{id}')")).as_deref(), Some(id));
        assert_eq!(app_id_of(&format!("appId  eq '{id}'")).as_deref(), Some(id));
        assert_eq!(app_id_of(&format!("APPID eq '{id}'")).as_deref(), Some(id));
        assert_eq!(app_id_of("displayName eq 'x'"), None);
        assert_eq!(app_id_of(&format!("appId eq '{id}' or appId eq 'x'")), None);
        assert_eq!(app_id_of("servicePrincipalNames/any(c:c eq 'x'"), None);
    }
}
