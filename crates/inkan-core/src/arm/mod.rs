//! The ARM resource model: ids, the resource types inkan serves, names and `identity` blocks.

pub mod api_versions;
pub mod identity;
pub mod names;
pub mod resource_id;
pub mod types;

pub use resource_id::{ArmPath, IdError, IdPart, ResourceId, parse_path};
pub use types::{IdentitySupport, ParentKind, ResourceType, resource_type};

/// The api-versions a type accepts (oldest first), or `None` for a type inkan does not serve.
///
/// ARM checks `Microsoft.Resources` operations against one list for the whole namespace, so
/// any version published for one of its types is accepted for all of them.
pub fn supported_api_versions(type_name: &str) -> Option<Vec<&'static str>> {
    let namespace = type_name.split('/').next().unwrap_or_default();
    if namespace.eq_ignore_ascii_case("Microsoft.Resources") {
        let mut all: Vec<&'static str> = api_versions::API_VERSIONS
            .iter()
            .filter(|(t, _)| t.starts_with("Microsoft.Resources/"))
            .flat_map(|(_, v)| v.iter().copied())
            .collect();
        all.sort_unstable();
        all.dedup();
        return Some(all);
    }
    api_versions::API_VERSIONS.iter().find(|(t, _)| t.eq_ignore_ascii_case(type_name)).map(|(_, v)| v.to_vec())
}

/// Whether `version` is one of the type's api-versions.
pub fn accepts_api_version(type_name: &str, version: &str) -> bool {
    supported_api_versions(type_name).is_some_and(|v| v.contains(&version))
}

/// Normalises a location as ARM does (`"Japan East"` → `"japaneast"`).
pub fn normalize_location(location: &str) -> String {
    location.chars().filter(|c| !c.is_whitespace()).flat_map(char::to_lowercase).collect()
}
