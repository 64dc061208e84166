//! Provider resources (`.../providers/{ns}/{type}/{name}[/{child}/{name}]`): create or replace,
//! read, patch, delete and list, for every type in [`inkan_core::arm::types`].

use super::auth::{Caller, authorize};
use super::error::ArmError;
use super::groups::{require_subscription, validate_tags};
use super::hooks::{self, HookInput};
use super::identities::{self, principals_owned_by};
use super::request::{ArmRequest, json_response, list_response};
use super::resource_filter::ResourceFilter;
use crate::state::SharedState;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use inkan_core::arm::identity::IdentityRequest;
use inkan_core::arm::types::types_in_namespace;
use inkan_core::arm::{ParentKind, ResourceId, ResourceType, normalize_location, resource_type};
use inkan_store::{Cascade, Conflict, Expect, ResourceChange, ResourceQuery, ResourceRecord, StoreError};
use serde_json::{Map, Value, json};

/// Top-level fields a request may carry besides `location`, `tags`, `identity` and `properties`.
const EXTRA_FIELDS: &[&str] = &["sku", "kind", "zones", "plan", "extendedLocation", "managedBy"];

pub(super) async fn handle(
    state: &SharedState,
    caller: &Caller,
    req: &ArmRequest,
    id: &ResourceId,
) -> Result<Response, ArmError> {
    let ty = type_of(id)?;
    req.api_version_for(ty.name)?;
    check_shape(id, ty)?;
    // Azure lets no user write deny assignments; inkan lets only its administrator, so a deny
    // can never lock the administrator out.
    if ty.name == "Microsoft.Authorization/denyAssignments" && req.method != Method::GET && !caller.is_admin {
        return Err(ArmError::authorization_failed(
            &caller.client_id,
            &caller.object_id,
            "Microsoft.Authorization/denyAssignments/write",
            id.as_str(),
            "inkan: only the bootstrap administrator may create, change or delete deny assignments.",
        ));
    }
    let existing = state.store.resource(id.key()).await?;
    match req.method {
        Method::GET => {
            authorize(state, caller, &format!("{}/read", ty.name), id.as_str())?;
            let Some(found) = existing else {
                // A missing group or parent is reported as such, as ARM does.
                check_parents(state, id, ty).await?;
                return Err(not_found(id, ty));
            };
            Ok(json_response(StatusCode::OK, &found.body))
        }
        Method::PUT => {
            authorize(state, caller, &format!("{}/write", ty.name), id.as_str())?;
            let body = req.json_object()?;
            let status = if existing.is_some() { StatusCode::OK } else { StatusCode::CREATED };
            let rendered = put(state, caller, req, id, ty, existing.as_ref(), body).await?;
            Ok(json_response(status, &rendered))
        }
        Method::HEAD => {
            authorize(state, caller, &format!("{}/read", ty.name), id.as_str())?;
            Ok(if existing.is_some() { StatusCode::NO_CONTENT } else { StatusCode::NOT_FOUND }.into_response())
        }
        Method::PATCH => {
            authorize(state, caller, &format!("{}/write", ty.name), id.as_str())?;
            let Some(current) = existing else {
                check_parents(state, id, ty).await?;
                return Err(not_found(id, ty));
            };
            let patch = req.json_object()?;
            let merged = merge_patch(&current.body, &patch)?;
            let rendered = put(state, caller, req, id, ty, Some(&current), merged).await?;
            Ok(json_response(StatusCode::OK, &rendered))
        }
        Method::DELETE => {
            authorize(state, caller, &format!("{}/delete", ty.name), id.as_str())?;
            let Some(current) = existing else {
                check_parents(state, id, ty).await?;
                return Ok(StatusCode::NO_CONTENT.into_response());
            };
            delete(state, id, &current).await?;
            Ok(StatusCode::OK.into_response())
        }
        _ => Err(ArmError::method_not_allowed(req.method.as_str(), ty.name)),
    }
}

pub(super) async fn list_collection(
    state: &SharedState,
    caller: &Caller,
    req: &ArmRequest,
    parent: &ResourceId,
    member_type: &str,
) -> Result<Response, ArmError> {
    let ty = resource_type(member_type).ok_or_else(|| unknown_type(member_type))?;
    req.api_version_for(ty.name)?;
    req.require_get(&format!("the {} collection", ty.name))?;
    authorize(state, caller, &format!("{}/read", ty.name), parent.as_str())?;
    let query = match ty.parent {
        ParentKind::Resource(_) => {
            if state.store.resource(parent.key()).await?.is_none() {
                return Err(ArmError::parent_not_found(parent.as_str()));
            }
            ResourceQuery {
                parent_key: Some(parent.key().to_owned()),
                type_key: Some(ty.name.to_ascii_lowercase()),
                ..Default::default()
            }
        }
        _ => {
            require_scope(state, parent).await?;
            ResourceQuery {
                subscription_id: parent.subscription().map(str::to_owned),
                group_key: parent.resource_group().map(str::to_ascii_lowercase),
                type_key: Some(ty.name.to_ascii_lowercase()),
                ..Default::default()
            }
        }
    };
    let items = state.store.list_resources(&query).await?.into_iter().map(|r| r.body).collect();
    Ok(list_response(items))
}

/// `/subscriptions/{sub}[/resourceGroups/{rg}]/resources`: every resource, in ARM's generic
/// shape (no properties).
pub(super) async fn list_generic(
    state: &SharedState,
    caller: &Caller,
    req: &ArmRequest,
    scope: &ResourceId,
) -> Result<Response, ArmError> {
    req.api_version_for("Microsoft.Resources/resources")?;
    req.require_get("the resource collection")?;
    require_scope(state, scope).await?;
    authorize(state, caller, "Microsoft.Resources/subscriptions/resources/read", scope.as_str())?;
    let query = ResourceQuery {
        subscription_id: scope.subscription().map(str::to_owned),
        group_key: scope.resource_group().map(str::to_ascii_lowercase),
        ..Default::default()
    };
    let filter = match req.param("$filter").map(str::trim).filter(|f| !f.is_empty()) {
        None => ResourceFilter::default(),
        Some(f) => {
            ResourceFilter::parse(f).map_err(|message| ArmError::bad_request("InvalidFilterInQueryString", message))?
        }
    };
    let items = state
        .store
        .list_resources(&query)
        .await?
        .into_iter()
        .filter(|r| {
            r.type_key != "microsoft.resources/resourcegroups" && !r.type_key.starts_with("microsoft.authorization/")
        })
        .filter(|r| filter.matches(r))
        .map(|r| {
            let mut generic = Map::new();
            for field in ["id", "name", "type", "location", "tags", "identity", "sku", "kind"] {
                if let Some(v) = r.body.get(field) {
                    generic.insert(field.into(), v.clone());
                }
            }
            Value::Object(generic)
        })
        .collect();
    Ok(list_response(items))
}

/// Writes `change`, mapping store conflicts to ARM's codes.
pub(super) async fn commit(state: &SharedState, id: &ResourceId, change: ResourceChange) -> Result<(), ArmError> {
    // Deleting a scope deletes its role assignments; deny assignments are resources.
    let touches_policy = !change.deleted_role_assignment_scopes.is_empty()
        || change.upserts.iter().any(|(r, _)| r.type_key == "microsoft.authorization/denyassignments")
        || id.resource_type().is_some_and(|t| t.eq_ignore_ascii_case("Microsoft.Authorization/denyAssignments"));
    match state.store.write_resources(change).await {
        Ok(()) => {
            state.workloads_changed().await;
            if touches_policy {
                state.policy_changed().await;
            }
            Ok(())
        }
        Err(StoreError::Conflict(Conflict::GlobalNameTaken { .. })) => Err(name_taken(state, id)),
        Err(StoreError::Conflict(Conflict::Concurrent { .. })) => Err(ArmError::concurrent_write(id.as_str())),
        Err(other) => Err(other.into()),
    }
}

async fn put(
    state: &SharedState,
    caller: &Caller,
    req: &ArmRequest,
    id: &ResourceId,
    ty: &'static ResourceType,
    existing: Option<&ResourceRecord>,
    body: Map<String, Value>,
) -> Result<Value, ArmError> {
    let parent = check_parents(state, id, ty).await?;
    let name = id.name().unwrap_or_default();
    ty.names.check(name).map_err(|rule| ArmError::invalid_resource_name(name, &rule))?;
    let now = state.clock.now();
    let mut change = ResourceChange { at: Some(now), ..Default::default() };
    let location = if ty.tracked {
        let location = body.get("location").and_then(Value::as_str).map(normalize_location).filter(|l| !l.is_empty());
        let location = location.ok_or_else(ArmError::location_required)?;
        let current = existing.and_then(|e| e.body["location"].as_str());
        if let Some(current) = current.filter(|c| *c != location) {
            return Err(ArmError::conflict(
                "InvalidResourceLocation",
                format!(
                    "The resource '{name}' already exists in location '{current}' in resource group '{}'. A resource with the same \
                     name cannot be created in location '{location}'. Please select a new resource name.",
                    id.resource_group().unwrap_or_default()
                ),
            ));
        }
        Some(location)
    } else {
        None
    };
    let tags = body.get("tags").cloned().unwrap_or_else(|| json!({}));
    validate_tags(&tags)?;
    let mut props = match body.get("properties") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(p)) => p.clone(),
        Some(_) => {
            return Err(ArmError::invalid_request_content("'properties' must be an object"));
        }
    };
    let input = HookInput { state, caller, id, api_version: &req.api_version, existing };
    hooks::prepare(&input, &body, &mut props, &mut change).await?;
    let identity =
        identities::resolve(state, caller, id, ty, body.get("identity"), existing.map(|e| &e.body), &mut change)
            .await?;

    let stored_id = existing.map_or_else(|| canonical_id(id, parent.as_ref()), |r| r.id.clone());
    let mut rendered = Map::new();
    rendered.insert("id".into(), json!(stored_id));
    rendered.insert("name".into(), json!(stored_id.rsplit('/').next().unwrap_or(name)));
    rendered.insert("type".into(), json!(ty.name));
    if let Some(location) = location {
        rendered.insert("location".into(), json!(location));
        rendered.insert("tags".into(), tags);
    }
    for field in EXTRA_FIELDS {
        if let Some(v) = body.get(*field) {
            rendered.insert((*field).into(), v.clone());
        }
    }
    if let Some(identity) = identity {
        rendered.insert("identity".into(), identity);
    }
    rendered.insert("properties".into(), Value::Object(props));
    let created_at = existing.map_or(now, |e| e.created_at);
    let created_by = existing.and_then(|e| e.body["systemData"]["createdBy"].as_str().map(str::to_owned));
    rendered.insert(
        "systemData".into(),
        json!({
            "createdBy": created_by.unwrap_or_else(|| caller.client_id.clone()),
            "createdByType": "Application",
            "createdAt": inkan_core::clock::rfc3339(created_at),
            "lastModifiedBy": caller.client_id,
            "lastModifiedByType": "Application",
            "lastModifiedAt": inkan_core::clock::rfc3339(now),
        }),
    );
    let rendered = Value::Object(rendered);
    let (expect, generation) =
        existing.map_or((Expect::Absent, 1), |e| (Expect::Generation(e.generation), e.generation + 1));
    let record = ResourceRecord {
        id: stored_id,
        type_key: ty.name.to_ascii_lowercase(),
        subscription_id: id.subscription().unwrap_or_default().to_owned(),
        group_key: id.resource_group().map(str::to_ascii_lowercase),
        parent_key: matches!(ty.parent, ParentKind::Resource(_))
            .then(|| id.parent().map(|p| p.key().to_owned()))
            .flatten(),
        global_name: ty
            .globally_unique_name
            .then(|| format!("{}/{}", ty.name.to_ascii_lowercase(), name.to_ascii_lowercase())),
        body: rendered.clone(),
        generation,
        created_at,
        updated_at: now,
    };
    change.upserts.push((record, expect));
    // The parent and the group must still exist when this commits.
    if matches!(ty.parent, ParentKind::Resource(_))
        && let Some(parent) = id.parent()
    {
        change.require_present.push(parent.key().to_owned());
    }
    if let (Some(sub), Some(group)) = (id.subscription(), id.resource_group()) {
        change.require_present.push(format!("/subscriptions/{sub}/resourcegroups/{}", group.to_ascii_lowercase()));
    }
    commit(state, id, change).await?;
    Ok(rendered)
}

async fn delete(state: &SharedState, id: &ResourceId, current: &ResourceRecord) -> Result<(), ArmError> {
    let now = state.clock.now();
    let mut change = ResourceChange { at: Some(now), ..Default::default() };
    change.retired_principals.extend(principals_owned_by(current));
    change.deletes.push((current.key(), Expect::Generation(current.generation)));
    // Child resources (slots, federated credentials) go with their parent, found inside the
    // transaction so a child created concurrently is not left behind.
    change.cascades.push(Cascade::Children { parent_key: current.key() });
    change.deleted_role_assignment_scopes.push(id.key().to_owned());
    commit(state, id, change).await
}

/// JSON merge patch (RFC 7386) of `patch` onto `current`'s request-shaped fields; the identity
/// block follows ARM's PATCH rules (`null` removes a user-assigned identity).
fn merge_patch(current: &Value, patch: &Map<String, Value>) -> Result<Map<String, Value>, ArmError> {
    let mut merged = current.as_object().cloned().unwrap_or_default();
    for (key, value) in patch {
        match key.as_str() {
            "identity" => {
                let current_request = match current.get("identity") {
                    Some(v) if v.is_object() => IdentityRequest::parse(&strip_identity_outputs(v))
                        .map_err(|e| ArmError::bad_request("InvalidIdentity", e.to_string()))?,
                    _ => IdentityRequest::default(),
                };
                let next = IdentityRequest::merge_patch(&current_request, value)
                    .map_err(|e| ArmError::bad_request("InvalidIdentity", e.to_string()))?;
                let users: Map<String, Value> =
                    next.user_assigned.iter().map(|id| (id.as_str().to_owned(), json!({}))).collect();
                let mut block = json!({"type": next.type_name()});
                if !users.is_empty() {
                    block["userAssignedIdentities"] = Value::Object(users);
                }
                merged.insert(key.clone(), block);
            }
            "tags" => {
                merged.insert(key.clone(), value.clone());
            }
            _ => {
                let mut target = merged.remove(key).unwrap_or(Value::Null);
                json_merge(&mut target, value);
                merged.insert(key.clone(), target);
            }
        }
    }
    Ok(merged)
}

fn strip_identity_outputs(identity: &Value) -> Value {
    let mut v = identity.clone();
    if let Some(users) = v.get_mut("userAssignedIdentities").and_then(Value::as_object_mut) {
        for entry in users.values_mut() {
            *entry = json!({});
        }
    }
    v
}

fn json_merge(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => {
            for (k, v) in p {
                if v.is_null() {
                    t.remove(k);
                } else {
                    json_merge(t.entry(k.clone()).or_insert(Value::Null), v);
                }
            }
        }
        (t, p) => *t = p.clone(),
    }
}

fn type_of(id: &ResourceId) -> Result<&'static ResourceType, ArmError> {
    let type_name = id.resource_type().unwrap_or_default();
    resource_type(&type_name).ok_or_else(|| unknown_type(&type_name))
}

fn unknown_type(type_name: &str) -> ArmError {
    let namespace = type_name.split('/').next().unwrap_or_default();
    let served = types_in_namespace(namespace);
    if served.is_empty() {
        ArmError::invalid_resource_namespace(namespace)
    } else {
        ArmError::invalid_resource_type(type_name, &served)
    }
}

/// Checks that the id has the shape its type requires (e.g. a VM lives in a resource group).
fn check_shape(id: &ResourceId, ty: &ResourceType) -> Result<(), ArmError> {
    let ok = match ty.parent {
        ParentKind::ResourceGroup => id.parent().is_some_and(|p| p.is_resource_group()),
        ParentKind::Resource(parent) => {
            id.parent().and_then(|p| p.resource_type()).is_some_and(|t| t.eq_ignore_ascii_case(parent))
                && id.resource_group().is_some()
        }
        ParentKind::AnyScope => true,
    };
    if ok {
        return Ok(());
    }
    let expected = match ty.parent {
        ParentKind::ResourceGroup => "/subscriptions/{subscriptionId}/resourceGroups/{group}/providers/...".to_owned(),
        ParentKind::Resource(parent) => format!("a child of a {parent} resource"),
        ParentKind::AnyScope => "any scope".to_owned(),
    };
    Err(ArmError::bad_request(
        "InvalidResourceId",
        format!("The resource id '{id}' is invalid: resources of type {} live at {expected}.", ty.name),
    ))
}

/// Requires the subscription, the resource group and the parent resource; returns the parent.
async fn check_parents(
    state: &SharedState,
    id: &ResourceId,
    ty: &ResourceType,
) -> Result<Option<ResourceRecord>, ArmError> {
    require_scope(state, &id.extension_scope()).await?;
    if let ParentKind::Resource(_) = ty.parent {
        let parent = id.parent().unwrap_or_else(ResourceId::root);
        let found = state.store.resource(parent.key()).await?;
        return found.map(Some).ok_or_else(|| ArmError::parent_not_found(parent.as_str()));
    }
    Ok(None)
}

/// Requires the subscription and resource group of a scope.
pub(super) async fn require_scope(state: &SharedState, scope: &ResourceId) -> Result<(), ArmError> {
    if scope.subscription().is_none() {
        return Ok(());
    }
    require_subscription(state, scope).await?;
    if let Some(group) = scope.resource_group() {
        let key = format!(
            "/subscriptions/{}/resourcegroups/{}",
            scope.subscription().unwrap_or_default(),
            group.to_ascii_lowercase()
        );
        if state.store.resource(&key).await?.is_none() {
            return Err(ArmError::resource_group_not_found(group));
        }
    }
    Ok(())
}

/// The id as stored: the canonical type spelling and the parent's stored case.
fn canonical_id(id: &ResourceId, parent: Option<&ResourceRecord>) -> String {
    let last = id.as_str().rsplit('/').next().unwrap_or_default();
    let ty = id.resource_type().and_then(|t| resource_type(&t)).map(|t| t.name);
    match (parent, ty) {
        (Some(p), Some(t)) => format!("{}/{}/{last}", p.id, t.rsplit('/').next().unwrap_or_default()),
        (None, Some(t)) => {
            let group_scope = id.parent().map(|p| p.as_str().to_owned()).unwrap_or_default();
            format!("{group_scope}/providers/{t}/{last}")
        }
        _ => id.as_str().to_owned(),
    }
}

fn not_found(id: &ResourceId, ty: &ResourceType) -> ArmError {
    ArmError::resource_not_found(ty.name, id.name().unwrap_or_default(), id.resource_group())
}

fn name_taken(_state: &SharedState, id: &ResourceId) -> ArmError {
    let name = id.name().unwrap_or_default();
    match id.resource_type().unwrap_or_default().to_ascii_lowercase().as_str() {
        "microsoft.keyvault/vaults" => ArmError::conflict(
            "VaultAlreadyExists",
            format!(
                "The vault name '{name}' is already in use. Vault names are globally unique so it is possible that the name is already \
                 taken. `inkan list --type Microsoft.KeyVault/vaults` shows which resource group holds it."
            ),
        ),
        "microsoft.containerregistry/registries" => ArmError::conflict(
            "AlreadyInUse",
            format!(
                "The registry DNS name {name} is already in use. Registry names are globally unique; choose another name."
            ),
        ),
        _ => ArmError::conflict("Conflict", format!("Website with given name {name} already exists.")),
    }
}
