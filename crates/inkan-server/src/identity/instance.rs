//! `/metadata/instance`: the VM's compute and network metadata, every primitive a string,
//! with path filtering and `format=text` for leaves, as IMDS does.

use super::errors::ImdsError;
use super::query::Query;
use crate::state::SharedState;
use crate::workloads::Workload;
use axum::Json;
use axum::response::{IntoResponse, Response};
use inkan_core::arm::ResourceId;
use serde_json::{Value, json};

pub(super) fn respond(state: &SharedState, workload: &Workload, path: &str, query: &Query) -> Response {
    let document = document(state, workload);
    let mut node = &document;
    for segment in path.split('/').filter(|s| !s.is_empty()) {
        let next = match node {
            Value::Object(map) => map.iter().find(|(k, _)| k.eq_ignore_ascii_case(segment)).map(|(_, v)| v),
            Value::Array(items) => segment.parse::<usize>().ok().and_then(|i| items.get(i)),
            _ => None,
        };
        match next {
            Some(v) => node = v,
            None => {
                return ImdsError::not_found(&format!(
                    "IMDS has no element '{segment}' under /metadata/instance{path}"
                ))
                .into_response();
            }
        }
    }
    let text = query.get("format").is_some_and(|f| f.eq_ignore_ascii_case("text"));
    match (node, text) {
        (Value::String(s), true) => s.clone().into_response(),
        (Value::String(_), false) => {
            ImdsError::bad_request("invalid_request", "This is a leaf value: add format=text to read it.")
                .into_response()
        }
        (other, _) => Json(other.clone()).into_response(),
    }
}

fn document(state: &SharedState, workload: &Workload) -> Value {
    let body = &workload.body;
    let id = ResourceId::parse(&workload.resource_id).ok();
    let text = |v: &Value| v.as_str().map(str::to_owned).unwrap_or_default();
    let tags = body["tags"].as_object().cloned().unwrap_or_default();
    let tags_text = tags.iter().map(|(k, v)| format!("{k}:{}", text(v))).collect::<Vec<_>>().join(";");
    let tags_list: Vec<Value> = tags.iter().map(|(k, v)| json!({"name": k, "value": text(v)})).collect();
    json!({
        "compute": {
            "azEnvironment": "AzurePublicCloud",
            "location": text(&body["location"]),
            "name": text(&body["name"]),
            "osType": body["properties"]["storageProfile"]["osDisk"]["osType"].as_str().unwrap_or("Linux"),
            "provider": "Microsoft.Compute",
            "resourceGroupName": id.as_ref().and_then(ResourceId::resource_group).unwrap_or_default(),
            "resourceId": workload.resource_id,
            "subscriptionId": id.as_ref().and_then(ResourceId::subscription).unwrap_or_default(),
            "tags": tags_text,
            "tagsList": tags_list,
            "vmId": text(&body["properties"]["vmId"]),
            "vmSize": text(&body["properties"]["hardwareProfile"]["vmSize"]),
            "zone": "",
            "tenantId": state.tenant_id.to_string(),
        },
        "network": {
            "interface": [{
                "ipv4": {
                    "ipAddress": [{"privateIpAddress": "127.0.0.1", "publicIpAddress": ""}],
                    "subnet": [{"address": "127.0.0.0", "prefix": "8"}],
                },
                "ipv6": {"ipAddress": []},
                "macAddress": "000000000000",
            }]
        }
    })
}
