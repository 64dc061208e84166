//! The `$filter` of ARM's generic resource list (`.../resources`): conditions joined by `and`,
//! each `<field> eq '<value>'` on `resourceType`, `name`, `resourceGroup` or `location` (what az
//! and the SDKs send, e.g. `az keyvault show -n` sends `resourceType eq '...' and name eq '...'`).
//! Comparisons ignore case, as ARM's do. A filter outside this grammar is refused with a 400
//! naming what is supported, never answered with a silently empty list.

use inkan_store::ResourceRecord;

/// A parsed filter; every condition must hold.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ResourceFilter {
    resource_type: Option<String>,
    name: Option<String>,
    group: Option<String>,
    location: Option<String>,
}

const SUPPORTED: &str = "conditions joined by 'and', each resourceType eq '<namespace>/<type>', name eq '<name>', \
                         resourceGroup eq '<group>' or location eq '<location>'";

impl ResourceFilter {
    /// Parses `filter`; the error is the message for the 400.
    pub fn parse(filter: &str) -> Result<Self, String> {
        let unsupported = |why: &str| format!("The $filter '{filter}' is not supported ({why}); use {SUPPORTED}.");
        let mut out = Self::default();
        for condition in split_and(filter) {
            let (field, rest) = condition.split_once(char::is_whitespace).ok_or_else(|| unsupported("no operator"))?;
            let rest = rest.trim_start();
            let value = rest
                .get(..3)
                .filter(|op| op.eq_ignore_ascii_case("eq "))
                .map(|_| rest[3..].trim())
                .ok_or_else(|| unsupported("only 'eq' is supported"))?;
            let value = quoted(value).ok_or_else(|| unsupported("values are quoted with '"))?.to_ascii_lowercase();
            let slot = match field.to_ascii_lowercase().as_str() {
                "resourcetype" => &mut out.resource_type,
                "name" => &mut out.name,
                "resourcegroup" => &mut out.group,
                "location" => &mut out.location,
                other => return Err(unsupported(&format!("unknown field '{other}'"))),
            };
            if slot.replace(value).is_some() {
                return Err(unsupported(&format!("'{field}' appears twice")));
            }
        }
        Ok(out)
    }

    /// Whether `record` satisfies every condition.
    pub fn matches(&self, record: &ResourceRecord) -> bool {
        let field = |name: &str| record.body[name].as_str().unwrap_or_default().to_ascii_lowercase();
        self.resource_type.as_ref().is_none_or(|t| &record.type_key == t)
            && self.name.as_ref().is_none_or(|n| &field("name") == n)
            && self.group.as_ref().is_none_or(|g| record.group_key.as_ref() == Some(g))
            && self.location.as_ref().is_none_or(|l| field("location").replace(' ', "") == l.replace(' ', ""))
    }
}

/// The conditions of `filter`, split on `and` outside quotes.
fn split_and(filter: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (bytes, mut start, mut quoted) = (filter.as_bytes(), 0, false);
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\'' {
            quoted = !quoted;
        } else if !quoted
            && bytes[i].is_ascii_whitespace()
            && filter.get(i + 1..i + 5).is_some_and(|w| w.eq_ignore_ascii_case("and "))
        {
            out.push(filter[start..i].trim());
            i += 5;
            start = i;
            continue;
        }
        i += 1;
    }
    out.push(filter[start..].trim());
    out
}

/// `'value'` with OData's `''` for a quote inside; `None` if not one quoted string.
fn quoted(text: &str) -> Option<String> {
    let inner = text.strip_prefix('\'')?.strip_suffix('\'')?;
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\'' {
            // Inside the quotes a quote must be doubled.
            if chars.next() != Some('\'') {
                return None;
            }
        }
        out.push(c);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record(type_key: &str, name: &str, group: &str, location: &str) -> ResourceRecord {
        ResourceRecord {
            id: format!("/subscriptions/s/resourceGroups/{group}/providers/{type_key}/{name}"),
            type_key: type_key.to_ascii_lowercase(),
            subscription_id: "s".into(),
            group_key: Some(group.to_ascii_lowercase()),
            parent_key: None,
            global_name: None,
            body: json!({"name": name, "location": location}),
            generation: 1,
            created_at: time::OffsetDateTime::UNIX_EPOCH,
            updated_at: time::OffsetDateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn az_keyvault_show_finds_the_vault_by_type_and_name() {
        let f = ResourceFilter::parse("resourceType eq 'Microsoft.KeyVault/vaults' and name eq 'rbac-kv'").unwrap();
        assert!(f.matches(&record("Microsoft.KeyVault/vaults", "RBAC-kv", "g", "eastus")));
        assert!(!f.matches(&record("Microsoft.KeyVault/vaults", "other", "g", "eastus")));
        assert!(!f.matches(&record("Microsoft.Compute/virtualMachines", "rbac-kv", "g", "eastus")));
    }

    #[test]
    fn groups_locations_case_and_quotes() {
        let f = ResourceFilter::parse("ResourceGroup EQ 'Az-Demo' AND location eq 'East US'").unwrap();
        assert!(f.matches(&record("Microsoft.KeyVault/vaults", "v", "az-demo", "eastus")));
        assert!(!f.matches(&record("Microsoft.KeyVault/vaults", "v", "other", "eastus")));
        let f = ResourceFilter::parse("name eq 'it''s and more'").unwrap();
        assert!(f.matches(&record("t/t", "it's and more", "g", "l")));
    }

    #[test]
    fn anything_else_is_refused_with_what_is_supported() {
        for bad in [
            "resourceType ne 'a/b'",
            "tagName eq 'env'",
            "name eq unquoted",
            "name eq 'a' and name eq 'b'",
            "substringof('kv', name)",
            "name eq 'a''",
        ] {
            let message = ResourceFilter::parse(bad).unwrap_err();
            assert!(message.contains("resourceType eq") && message.contains(bad), "{bad}: {message}");
        }
    }
}
