//! World files: a declarative list of resources in ARM's own shapes, applied idempotently.
//!
//! ```yaml
//! resources:
//!   - id: /subscriptions/${subscriptionId}/resourceGroups/app
//!     location: japaneast
//!   - id: /subscriptions/${subscriptionId}/resourceGroups/app/providers/Microsoft.ManagedIdentity/userAssignedIdentities/web
//!     location: japaneast
//!   - id: /subscriptions/${subscriptionId}/resourceGroups/app/providers/Microsoft.Authorization/roleAssignments
//!     properties:
//!       roleDefinitionId: /providers/Microsoft.Authorization/roleDefinitions/4633458b-17de-408a-b874-0445c86b69e6
//!       principalId: ${principalId:/subscriptions/${subscriptionId}/resourceGroups/app/providers/Microsoft.ManagedIdentity/userAssignedIdentities/web}
//! ```
//!
//! Each entry is an `id` plus the body a `PUT` to that id would carry. Strings may use
//! `${subscriptionId}`, `${tenantId}`, and `${principalId:<id>}` / `${clientId:<id>}` to refer
//! to identities created earlier in the file, or `${<dotted.path>:<id>}` for any string field
//! of an earlier resource (e.g. `${properties.oidcIssuerProfile.issuerURL:<cluster id>}`). A role assignment id may omit its GUID: one is
//! derived from (scope, role, principal), so applying twice finds the same assignment.
//! Entries are applied in order; an entry whose desired fields already hold is left alone.

use crate::cli::manage::api_version;
use crate::client::{ApiClient, api_error};
use crate::output::{Format, print_table};
use anyhow::Context;
use inkan_core::arm::{ArmPath, parse_path};
use reqwest::{Method, StatusCode};
use serde_json::{Map, Value, json};
use std::path::Path;

/// What applying one entry did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Created,
    Updated,
    Unchanged,
}

/// The result of applying a file.
#[derive(Debug, Default)]
pub struct ApplyReport {
    pub entries: Vec<(String, Outcome)>,
}

impl ApplyReport {
    fn count(&self, outcome: Outcome) -> usize {
        self.entries.iter().filter(|(_, o)| *o == outcome).count()
    }

    /// `2 created, 0 updated, 5 unchanged`.
    pub fn summary(&self) -> String {
        format!(
            "{} created, {} updated, {} unchanged",
            self.count(Outcome::Created),
            self.count(Outcome::Updated),
            self.count(Outcome::Unchanged)
        )
    }

    pub fn print(&self, format: Format) {
        let rows: Vec<Value> =
            self.entries.iter().map(|(id, o)| json!({"result": format!("{o:?}").to_lowercase(), "id": id})).collect();
        let _ = print_table(&rows, &["result", "id"], format);
        if format == Format::Table {
            println!("{}", self.summary());
        }
    }
}

/// Reads and applies a world file.
pub async fn apply_file(client: &ApiClient, path: &Path) -> anyhow::Result<ApplyReport> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read world file {}", path.display()))?;
    let doc: Value =
        serde_yaml::from_str(&text).with_context(|| format!("{} is not valid YAML or JSON", path.display()))?;
    apply(client, &doc).await
}

/// Applies a parsed world document.
pub async fn apply(client: &ApiClient, doc: &Value) -> anyhow::Result<ApplyReport> {
    let top = doc.as_object().context("a world file is a mapping with a 'resources' list")?;
    if let Some(unknown) = top.keys().find(|k| k.as_str() != "resources") {
        anyhow::bail!("unknown top-level key '{unknown}' in world file; the only key is 'resources'");
    }
    let entries = top.get("resources").and_then(Value::as_array).context("the world file needs a 'resources' list")?;
    let mut report = ApplyReport::default();
    for (i, entry) in entries.iter().enumerate() {
        let outcome = apply_entry(client, entry).await.with_context(|| {
            format!("resources[{i}] ({})", entry.get("id").and_then(Value::as_str).unwrap_or("no id"))
        })?;
        report.entries.push(outcome);
    }
    Ok(report)
}

async fn apply_entry(client: &ApiClient, entry: &Value) -> anyhow::Result<(String, Outcome)> {
    let entry = substitute(client, entry).await?;
    let mut body: Map<String, Value> = entry.as_object().cloned().context("each resource is a mapping")?;
    let id = body.remove("id").and_then(|v| v.as_str().map(str::to_owned)).context("each resource needs an 'id'")?;
    let explicit_version = body.remove("apiVersion").and_then(|v| v.as_str().map(str::to_owned));
    let parsed = parse_path(&id).map_err(|e| anyhow::anyhow!("{e}"))?;
    let (id, type_name) = match parsed {
        ArmPath::Item(rid) if rid.is_resource_group() => (id, "Microsoft.Resources/resourceGroups".to_owned()),
        ArmPath::Item(rid) => {
            let t = rid.resource_type().with_context(|| format!("'{id}' is not a resource id"))?;
            (id, t)
        }
        ArmPath::Collection { parent, member_type }
            if member_type.eq_ignore_ascii_case("Microsoft.Authorization/roleAssignments") =>
        {
            let props = &body["properties"];
            let seed = format!(
                "{}|{}|{}",
                parent.key(),
                props["roleDefinitionId"]
                    .as_str()
                    .unwrap_or_default()
                    .rsplit('/')
                    .next()
                    .unwrap_or_default()
                    .to_lowercase(),
                props["principalId"].as_str().unwrap_or_default().to_lowercase()
            );
            let name = uuid::Uuid::new_v5(&ASSIGNMENT_NAMESPACE, seed.as_bytes());
            (format!("{}/{name}", id.trim_end_matches('/')), member_type)
        }
        _ => anyhow::bail!("'{id}' names a collection; add the resource name"),
    };
    let version = explicit_version.unwrap_or_else(|| api_version(&type_name));
    let path = format!("{id}?api-version={version}");
    let desired = Value::Object(body);
    let (status, current) = client.send(Method::GET, &path, None).await?;
    let is_assignment = type_name.eq_ignore_ascii_case("Microsoft.Authorization/roleAssignments");
    let outcome = match status {
        StatusCode::OK if is_assignment && same_assignment(&desired, &current) => Outcome::Unchanged,
        StatusCode::OK if !is_assignment && contains(&desired, &current, "") => Outcome::Unchanged,
        StatusCode::OK => Outcome::Updated,
        StatusCode::NOT_FOUND => Outcome::Created,
        _ => return Err(api_error(status, &current)),
    };
    if outcome != Outcome::Unchanged {
        let (status, response) = client.send(Method::PUT, &path, Some(&desired)).await?;
        if status == StatusCode::CONFLICT && response["error"]["code"] == "RoleAssignmentExists" {
            return Ok((id, Outcome::Unchanged));
        }
        if !status.is_success() {
            return Err(api_error(status, &response));
        }
    }
    Ok((id, outcome))
}

const ASSIGNMENT_NAMESPACE: uuid::Uuid = uuid::Uuid::from_u128(0x6a1f_3c52_8e0b_4d7a_9c11_0f5e_2b7d_a9e3);

fn same_assignment(desired: &Value, current: &Value) -> bool {
    let guid = |v: &Value| {
        v["properties"]["roleDefinitionId"]
            .as_str()
            .unwrap_or_default()
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_lowercase()
    };
    let principal = |v: &Value| v["properties"]["principalId"].as_str().unwrap_or_default().to_lowercase();
    guid(desired) == guid(current) && principal(desired) == principal(current)
}

/// Whether every field `desired` sets holds in `current` (object keys compared
/// case-insensitively; locations and identity types compared as ARM normalises them).
fn contains(desired: &Value, current: &Value, path: &str) -> bool {
    match (desired, current) {
        (Value::Object(d), Value::Object(c)) => {
            // Maps a PUT replaces whole must have exactly the desired keys: a tag or an identity
            // removed from the file is a change.
            let replaced_whole = matches!(path, ".tags" | ".identity.userAssignedIdentities");
            if replaced_whole && d.len() != c.len() {
                return false;
            }
            d.iter().all(|(k, dv)| {
                let cv = c.iter().find(|(ck, _)| ck.eq_ignore_ascii_case(k)).map(|(_, v)| v).unwrap_or(&Value::Null);
                contains(dv, cv, &format!("{path}.{k}"))
            })
        }
        (Value::Array(d), Value::Array(c)) => {
            d.len() == c.len() && d.iter().zip(c).all(|(dv, cv)| contains(dv, cv, path))
        }
        (Value::String(d), Value::String(c)) if path == ".location" => inkan_core::arm::normalize_location(d) == *c,
        (Value::String(d), Value::String(c)) if path == ".identity.type" => {
            d.replace(' ', "").eq_ignore_ascii_case(&c.replace(' ', ""))
        }
        // Resource ids compare as ARM compares them: without regard to case.
        (Value::String(d), Value::String(c)) if d.starts_with("/subscriptions/") || d.starts_with("/providers/") => {
            d.eq_ignore_ascii_case(c)
        }
        (d, c) => d == c,
    }
}

/// Replaces `${...}` placeholders in every string of `value`.
async fn substitute(client: &ApiClient, value: &Value) -> anyhow::Result<Value> {
    Ok(match value {
        Value::String(s) => Value::String(substitute_str(client, s).await?),
        Value::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                out.push(Box::pin(substitute(client, item)).await?);
            }
            Value::Array(out)
        }
        Value::Object(map) => {
            let mut out = Map::new();
            for (k, v) in map {
                let key = substitute_str(client, k).await?;
                out.insert(key, Box::pin(substitute(client, v)).await?);
            }
            Value::Object(out)
        }
        other => other.clone(),
    })
}

async fn substitute_str(client: &ApiClient, s: &str) -> anyhow::Result<String> {
    let simple =
        s.replace("${subscriptionId}", client.subscription()).replace("${tenantId}", &client.credentials.tenant_id);
    let mut out = String::new();
    let mut rest = simple.as_str();
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find('}').map(|e| start + e).context("an unterminated '${' placeholder")?;
        let inner = &rest[start + 2..end];
        let (kind, reference) = inner
            .split_once(':')
            .with_context(|| format!("unknown placeholder '${{{inner}}}'; use subscriptionId, tenantId, principalId:<id>, clientId:<id> or <field.path>:<id>"))?;
        out.push_str(&lookup(client, kind, reference).await?);
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

async fn lookup(client: &ApiClient, kind: &str, reference: &str) -> anyhow::Result<String> {
    let rid = inkan_core::arm::ResourceId::parse(reference).map_err(|e| anyhow::anyhow!("{e}"))?;
    let type_name = rid.resource_type().with_context(|| format!("'{reference}' is not a resource id"))?;
    let found = client.call(Method::GET, &format!("{reference}?api-version={}", api_version(&type_name)), None).await?;
    let value = match kind {
        "principalId" => {
            found["properties"]["principalId"].as_str().or_else(|| found["identity"]["principalId"].as_str())
        }
        "clientId" => found["properties"]["clientId"].as_str(),
        path => crate::output::query(&found, path).and_then(Value::as_str),
    };
    value.map(str::to_owned).with_context(|| format!("'{reference}' has no {kind}"))
}

#[cfg(test)]
mod tests {
    use super::contains;
    use serde_json::json;

    #[test]
    fn desired_fields_are_compared_as_arm_normalises_them() {
        let current = json!({"location": "japaneast", "tags": {}, "identity": {"type": "SystemAssigned, UserAssigned", "principalId": "x",
            "userAssignedIdentities": {"/subscriptions/S/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/a": {"principalId": "p"}}},
            "properties": {"clientId": "c"}});
        let desired = json!({"location": "Japan East", "identity": {"type": "SystemAssigned,UserAssigned",
            "userAssignedIdentities": {"/subscriptions/s/resourcegroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/a": {}}}});
        assert!(contains(&desired, &current, ""));
        assert!(!contains(&json!({"location": "westus"}), &current, ""));
        assert!(!contains(&json!({"properties": {"enableRbacAuthorization": true}}), &current, ""));
        // A tag or an identity removed from the file is a change.
        let tagged = json!({"tags": {"a": "1", "b": "2"}});
        assert!(!contains(&json!({"tags": {"a": "1"}}), &tagged, ""));
        assert!(contains(&json!({"tags": {"a": "1", "b": "2"}}), &tagged, ""));
        let no_users = json!({"identity": {"type": "SystemAssigned,UserAssigned", "userAssignedIdentities": {}}});
        assert!(!contains(&no_users, &current, ""));
        // Resource ids ignore case.
        let kubelet = json!({"properties": {"kubeletidentity": "/subscriptions/S/resourceGroups/RG/x"}});
        assert!(contains(
            &json!({"properties": {"kubeletidentity": "/subscriptions/s/resourcegroups/rg/x"}}),
            &kubelet,
            ""
        ));
    }
}
