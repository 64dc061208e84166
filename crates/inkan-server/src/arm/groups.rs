//! Resource groups: `/subscriptions/{sub}/resourceGroups/{name}`.

use super::auth::{Caller, authorize};
use super::error::ArmError;
use super::request::{ArmRequest, json_response, list_response};
use super::subscriptions;
use crate::state::SharedState;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use inkan_core::arm::names::NameRule;
use inkan_core::arm::{ResourceId, normalize_location};
use inkan_store::{Cascade, Expect, ResourceChange, ResourceQuery, ResourceRecord};
use serde_json::{Value, json};

const TYPE: &str = "Microsoft.Resources/resourceGroups";
const TYPE_KEY: &str = "microsoft.resources/resourcegroups";

pub(super) async fn list(
    state: &SharedState,
    caller: &Caller,
    req: &ArmRequest,
    sub: &ResourceId,
) -> Result<Response, ArmError> {
    req.api_version_for(TYPE)?;
    req.require_get("the resource group collection")?;
    require_subscription(state, sub).await?;
    authorize(state, caller, "Microsoft.Resources/subscriptions/resourceGroups/read", sub.as_str())?;
    let query = ResourceQuery {
        subscription_id: sub.subscription().map(str::to_owned),
        type_key: Some(TYPE_KEY.into()),
        ..Default::default()
    };
    let groups = state.store.list_resources(&query).await?.into_iter().map(|r| r.body).collect();
    Ok(list_response(groups))
}

pub(super) async fn handle(
    state: &SharedState,
    caller: &Caller,
    req: &ArmRequest,
    id: &ResourceId,
) -> Result<Response, ArmError> {
    req.api_version_for(TYPE)?;
    let sub = id.parent().unwrap_or_else(ResourceId::root);
    require_subscription(state, &sub).await?;
    let name = id.name().unwrap_or_default();
    let existing = state.store.resource(id.key()).await?;
    match req.method {
        Method::GET | Method::HEAD => {
            authorize(state, caller, "Microsoft.Resources/subscriptions/resourceGroups/read", id.as_str())?;
            match (existing, req.method == Method::HEAD) {
                (Some(_), true) => Ok(StatusCode::NO_CONTENT.into_response()),
                (None, true) => Ok(StatusCode::NOT_FOUND.into_response()),
                (Some(r), false) => Ok(json_response(StatusCode::OK, &r.body)),
                (None, false) => Err(ArmError::resource_group_not_found(name)),
            }
        }
        Method::PUT => {
            authorize(state, caller, "Microsoft.Resources/subscriptions/resourceGroups/write", id.as_str())?;
            NameRule::ResourceGroup.check(name).map_err(|rule| ArmError::invalid_resource_name(name, &rule))?;
            let body = req.json_object()?;
            let location = body
                .get("location")
                .and_then(Value::as_str)
                .map(normalize_location)
                .filter(|l| !l.is_empty())
                .ok_or_else(ArmError::location_required)?;
            if let Some(current) = &existing {
                let current_location = current.body["location"].as_str().unwrap_or_default();
                if current_location != location {
                    return Err(ArmError::conflict(
                        "InvalidResourceGroupLocation",
                        format!(
                            "Invalid resource group location '{location}'. The Resource group already exists in location \
                             '{current_location}' in resource group '{name}'. A resource group's location cannot be changed."
                        ),
                    ));
                }
            }
            let tags = body.get("tags").cloned().unwrap_or_else(|| json!({}));
            validate_tags(&tags)?;
            let stored_id = existing.as_ref().map_or_else(|| id.as_str().to_owned(), |r| r.id.clone());
            let group_name = stored_id.rsplit('/').next().unwrap_or(name).to_owned();
            let rendered = json!({
                "id": stored_id,
                "name": group_name,
                "type": TYPE,
                "location": location,
                "tags": tags,
                "properties": {"provisioningState": "Succeeded"},
            });
            write(state, id, &existing, rendered.clone()).await?;
            let status = if existing.is_some() { StatusCode::OK } else { StatusCode::CREATED };
            Ok(json_response(status, &rendered))
        }
        Method::PATCH => {
            authorize(state, caller, "Microsoft.Resources/subscriptions/resourceGroups/write", id.as_str())?;
            let Some(current) = existing.clone() else {
                return Err(ArmError::resource_group_not_found(name));
            };
            let body = req.json_object()?;
            let mut rendered = current.body.clone();
            if let Some(tags) = body.get("tags") {
                validate_tags(tags)?;
                rendered["tags"] = tags.clone();
            }
            write(state, id, &existing, rendered.clone()).await?;
            Ok(json_response(StatusCode::OK, &rendered))
        }
        Method::DELETE => {
            authorize(state, caller, "Microsoft.Resources/subscriptions/resourceGroups/delete", id.as_str())?;
            let Some(current) = existing else {
                return Err(ArmError::resource_group_not_found(name));
            };
            delete(state, id, &current).await?;
            Ok(StatusCode::OK.into_response())
        }
        _ => Err(ArmError::method_not_allowed(req.method.as_str(), "resource groups")),
    }
}

/// Fails with `SubscriptionNotFound` unless `sub` exists.
pub(super) async fn require_subscription(state: &SharedState, sub: &ResourceId) -> Result<(), ArmError> {
    let id = sub.subscription().unwrap_or_default();
    if subscriptions::exists(state, id).await? { Ok(()) } else { Err(ArmError::subscription_not_found(id)) }
}

/// ARM's tag limits: at most 50 tags, names up to 512 characters, values up to 256.
pub(super) fn validate_tags(tags: &Value) -> Result<(), ArmError> {
    let Some(map) = tags.as_object() else {
        return Err(ArmError::invalid_request_content("'tags' must be an object of string values"));
    };
    if map.len() > 50 {
        return Err(ArmError::bad_request("InvalidTag", "A resource can have at most 50 tags."));
    }
    for (k, v) in map {
        if k.is_empty() || k.len() > 512 || k.contains(['<', '>', '%', '&', '\\', '?', '/']) {
            return Err(ArmError::bad_request(
                "InvalidTagNameCharacters",
                format!("The tag name '{k}' is invalid: 1-512 characters, none of <, >, %, &, \\, ?, /."),
            ));
        }
        if !v.is_string() || v.as_str().is_some_and(|s| s.len() > 256) {
            return Err(ArmError::bad_request(
                "InvalidTag",
                format!("The value of tag '{k}' must be a string of at most 256 characters."),
            ));
        }
    }
    Ok(())
}

async fn write(
    state: &SharedState,
    id: &ResourceId,
    existing: &Option<ResourceRecord>,
    body: Value,
) -> Result<(), ArmError> {
    let now = state.clock.now();
    let (expect, generation, created_at) = match existing {
        Some(r) => (Expect::Generation(r.generation), r.generation + 1, r.created_at),
        None => (Expect::Absent, 1, now),
    };
    let record = ResourceRecord {
        id: body["id"].as_str().unwrap_or(id.as_str()).to_owned(),
        type_key: TYPE_KEY.into(),
        subscription_id: id.subscription().unwrap_or_default().to_owned(),
        group_key: id.resource_group().map(str::to_ascii_lowercase),
        parent_key: None,
        global_name: None,
        body,
        generation,
        created_at,
        updated_at: now,
    };
    let change = ResourceChange { upserts: vec![(record, expect)], at: Some(now), ..Default::default() };
    super::resources::commit(state, id, change).await
}

async fn delete(state: &SharedState, id: &ResourceId, group: &ResourceRecord) -> Result<(), ArmError> {
    // The members are found and deleted inside the store's transaction, so a resource created
    // concurrently is either deleted too or refused, never orphaned.
    let change = ResourceChange {
        at: Some(state.clock.now()),
        require_present: vec![group.key()],
        cascades: vec![Cascade::Group {
            subscription_id: id.subscription().unwrap_or_default().to_owned(),
            group_key: id.resource_group().unwrap_or_default().to_ascii_lowercase(),
        }],
        deleted_role_assignment_scopes: vec![id.key().to_owned()],
        ..Default::default()
    };
    super::resources::commit(state, id, change).await
}
