//! ARM resource ids and scopes.
//!
//! ARM compares ids case-insensitively but keeps the case a resource was created with, so an id
//! carries both: the text as first given and a lower-case key for lookups and ancestry.
//! The grammar covered is every scope a role assignment can live at:
//!
//! ```text
//! /                                                     (root)
//! /providers/Microsoft.Management/managementGroups/{mg}
//! /subscriptions/{sub}
//! /subscriptions/{sub}/resourceGroups/{rg}
//! {scope}/providers/{Namespace}/{type}/{name}[/{childType}/{childName}]...
//! ```
//! where the last form may repeat (extension resources such as role assignments nest under any
//! scope).

use crate::ids::parse_guid;
use std::fmt;

/// One parsed part of a resource id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdPart {
    /// `/subscriptions/{id}`
    Subscription(String),
    /// `/resourceGroups/{name}`
    ResourceGroup(String),
    /// `/providers/{namespace}/{type}/{name}[/{type}/{name}]...`
    Provider {
        namespace: String,
        /// (type, name) pairs, outermost first.
        pairs: Vec<(String, String)>,
    },
}

/// A valid ARM resource id or scope.
#[derive(Debug, Clone)]
pub struct ResourceId {
    text: String,
    key: String,
    parts: Vec<IdPart>,
}

/// Why a path is not a valid resource id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("The provided subscription identifier '{0}' is malformed or invalid.")]
    InvalidSubscriptionId(String),
    #[error("The resource id '{id}' is invalid: {reason}")]
    Malformed { id: String, reason: String },
}

/// What an ARM request path addresses: one resource (or scope), or a collection under a scope.
#[derive(Debug, Clone)]
pub enum ArmPath {
    /// A resource, resource group, subscription or the root.
    Item(ResourceId),
    /// `{scope}/providers/{namespace}/{type}` or a child collection `{resource}/{childType}`.
    Collection {
        /// The scope or parent resource the collection lives under.
        parent: ResourceId,
        /// The full type of the collection's members, e.g. `Microsoft.Web/sites/slots`.
        member_type: String,
    },
    /// `/subscriptions`
    Subscriptions,
    /// `/subscriptions/{sub}/resourcegroups`
    ResourceGroups(ResourceId),
    /// `/subscriptions/{sub}[/resourceGroups/{rg}]/resources`
    GenericResources(ResourceId),
}

impl ResourceId {
    /// The root scope `/`.
    pub fn root() -> Self {
        Self { text: "/".into(), key: "/".into(), parts: Vec::new() }
    }

    /// Parses a full id; a path that names a collection is refused.
    pub fn parse(id: &str) -> Result<Self, IdError> {
        match parse_path(id)? {
            ArmPath::Item(id) => Ok(id),
            _ => Err(IdError::Malformed {
                id: id.into(),
                reason: "it names a collection, not a resource; add the resource name".into(),
            }),
        }
    }

    fn from_parts(parts: Vec<IdPart>) -> Self {
        let mut text = String::new();
        for part in &parts {
            match part {
                IdPart::Subscription(s) => {
                    text.push_str("/subscriptions/");
                    text.push_str(s);
                }
                IdPart::ResourceGroup(rg) => {
                    text.push_str("/resourceGroups/");
                    text.push_str(rg);
                }
                IdPart::Provider { namespace, pairs } => {
                    text.push_str("/providers/");
                    text.push_str(namespace);
                    for (t, n) in pairs {
                        text.push('/');
                        text.push_str(t);
                        text.push('/');
                        text.push_str(n);
                    }
                }
            }
        }
        if text.is_empty() {
            text.push('/');
        }
        let key = text.to_ascii_lowercase();
        Self { text, key, parts }
    }

    /// The id as first given (with ARM's canonical `resourceGroups`/`subscriptions` spelling).
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The lower-case form ids are compared and stored under.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The parsed parts.
    pub fn parts(&self) -> &[IdPart] {
        &self.parts
    }

    /// Whether this is the root scope `/`.
    pub fn is_root(&self) -> bool {
        self.parts.is_empty()
    }

    /// The subscription id segment, if any.
    pub fn subscription(&self) -> Option<&str> {
        self.parts.iter().find_map(|p| match p {
            IdPart::Subscription(s) => Some(s.as_str()),
            _ => None,
        })
    }

    /// The resource group name, if any.
    pub fn resource_group(&self) -> Option<&str> {
        self.parts.iter().find_map(|p| match p {
            IdPart::ResourceGroup(s) => Some(s.as_str()),
            _ => None,
        })
    }

    /// Whether the id is exactly `/subscriptions/{sub}`.
    pub fn is_subscription(&self) -> bool {
        matches!(self.parts.as_slice(), [IdPart::Subscription(_)])
    }

    /// Whether the id is exactly `/subscriptions/{sub}/resourceGroups/{rg}`.
    pub fn is_resource_group(&self) -> bool {
        matches!(self.parts.as_slice(), [IdPart::Subscription(_), IdPart::ResourceGroup(_)])
    }

    /// The full type of the resource, e.g. `Microsoft.Web/sites/slots`, for provider resources.
    pub fn resource_type(&self) -> Option<String> {
        match self.parts.last()? {
            IdPart::Provider { namespace, pairs } => {
                let mut t = namespace.clone();
                for (ty, _) in pairs {
                    t.push('/');
                    t.push_str(ty);
                }
                Some(t)
            }
            _ => None,
        }
    }

    /// The last name in the id (resource, group or subscription id).
    pub fn name(&self) -> Option<&str> {
        match self.parts.last()? {
            IdPart::Subscription(s) | IdPart::ResourceGroup(s) => Some(s),
            IdPart::Provider { pairs, .. } => pairs.last().map(|(_, n)| n.as_str()),
        }
    }

    /// The enclosing scope or parent resource; `None` for the root.
    pub fn parent(&self) -> Option<ResourceId> {
        let mut parts = self.parts.clone();
        match parts.last_mut()? {
            IdPart::Provider { pairs, .. } if pairs.len() > 1 => {
                pairs.pop();
            }
            _ => {
                parts.pop();
            }
        }
        Some(Self::from_parts(parts))
    }

    /// The scope an extension resource (the last provider part) is attached to: for
    /// `/subscriptions/s/providers/Microsoft.Authorization/roleAssignments/x` that is
    /// `/subscriptions/s`.
    pub fn extension_scope(&self) -> ResourceId {
        let mut parts = self.parts.clone();
        if matches!(parts.last(), Some(IdPart::Provider { .. })) {
            parts.pop();
        }
        Self::from_parts(parts)
    }

    /// Whether `self` is `other` or one of its ancestors (ARM scope inheritance).
    pub fn contains(&self, other: &ResourceId) -> bool {
        if self.is_root() {
            return true;
        }
        other.key == self.key
            || (other.key.starts_with(&self.key) && other.key.as_bytes().get(self.key.len()) == Some(&b'/'))
    }

    /// Appends a child (type, name) pair to this resource's last provider part.
    pub fn child(&self, ty: &str, name: &str) -> ResourceId {
        let mut parts = self.parts.clone();
        match parts.last_mut() {
            Some(IdPart::Provider { pairs, .. }) => pairs.push((ty.into(), name.into())),
            _ => parts.push(IdPart::Provider { namespace: ty.into(), pairs: vec![] }),
        }
        Self::from_parts(parts)
    }

    /// `{self}/providers/{namespace}/{ty}/{name}`: an extension resource at this scope.
    pub fn extension(&self, namespace: &str, ty: &str, name: &str) -> ResourceId {
        let mut parts = self.parts.clone();
        parts.push(IdPart::Provider { namespace: namespace.into(), pairs: vec![(ty.into(), name.into())] });
        Self::from_parts(parts)
    }
}

impl PartialEq for ResourceId {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}
impl Eq for ResourceId {}
impl std::hash::Hash for ResourceId {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.key.hash(state);
    }
}

impl fmt::Display for ResourceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Parses an ARM request path (without query) into what it addresses.
pub fn parse_path(path: &str) -> Result<ArmPath, IdError> {
    let malformed = |reason: &str| IdError::Malformed { id: path.into(), reason: reason.into() };
    if !path.starts_with('/') {
        return Err(malformed("it must start with '/'"));
    }
    let trimmed = path.trim_end_matches('/');
    let raw: Vec<&str> = if trimmed.is_empty() { Vec::new() } else { trimmed[1..].split('/').collect() };
    if raw.iter().any(|s| s.is_empty()) {
        return Err(malformed("it contains an empty segment ('//')"));
    }
    // SDKs percent-encode names (`rg(1)` arrives as `rg%281%29`): decode each segment.
    let decoded: Vec<std::borrow::Cow<'_, str>> = raw
        .iter()
        .map(|s| percent_decode(s))
        .collect::<Option<_>>()
        .ok_or_else(|| malformed("it has an invalid percent-encoding"))?;
    if decoded.iter().any(|s| s.contains('/')) {
        return Err(malformed("a segment decodes to a '/'"));
    }
    let segments: Vec<&str> = decoded.iter().map(AsRef::as_ref).collect();
    let mut parts = Vec::new();
    let mut i = 0;
    if segments.first().is_some_and(|s| s.eq_ignore_ascii_case("subscriptions")) {
        let Some(sub) = segments.get(1) else {
            return Ok(ArmPath::Subscriptions);
        };
        if parse_guid(sub).is_err() {
            return Err(IdError::InvalidSubscriptionId((*sub).into()));
        }
        parts.push(IdPart::Subscription(sub.to_ascii_lowercase()));
        i = 2;
        match segments.get(2) {
            Some(s) if s.eq_ignore_ascii_case("resourcegroups") => match segments.get(3) {
                None => return Ok(ArmPath::ResourceGroups(ResourceId::from_parts(parts))),
                Some(rg) => {
                    parts.push(IdPart::ResourceGroup((*rg).into()));
                    i = 4;
                }
            },
            Some(s) if s.eq_ignore_ascii_case("resources") && segments.len() == 3 => {
                return Ok(ArmPath::GenericResources(ResourceId::from_parts(parts)));
            }
            _ => {}
        }
        if parts.len() == 2 && segments.len() == 5 && segments[4].eq_ignore_ascii_case("resources") {
            return Ok(ArmPath::GenericResources(ResourceId::from_parts(parts)));
        }
    }
    while i < segments.len() {
        if !segments[i].eq_ignore_ascii_case("providers") {
            return Err(malformed(&format!("'{}' is not a valid segment here; expected 'providers'", segments[i])));
        }
        let Some(namespace) = segments.get(i + 1) else {
            return Err(malformed("'providers' must be followed by a resource provider namespace"));
        };
        if !namespace.contains('.') {
            return Err(malformed(&format!(
                "'{namespace}' is not a resource provider namespace (such as 'Microsoft.Compute')"
            )));
        }
        i += 2;
        let mut pairs = Vec::new();
        while i < segments.len() && !segments[i].eq_ignore_ascii_case("providers") {
            match segments.get(i + 1) {
                Some(name) => pairs.push((segments[i].to_owned(), (*name).to_owned())),
                None => {
                    // A type with no name: the collection of that type under what came before.
                    let member_type = if pairs.is_empty() {
                        format!("{namespace}/{}", segments[i])
                    } else {
                        let mut t = (*namespace).to_owned();
                        for (ty, _) in &pairs {
                            t.push('/');
                            t.push_str(ty);
                        }
                        format!("{t}/{}", segments[i])
                    };
                    if !pairs.is_empty() {
                        parts.push(IdPart::Provider { namespace: (*namespace).into(), pairs });
                    }
                    let parent = ResourceId::from_parts(parts);
                    return Ok(ArmPath::Collection { parent, member_type });
                }
            }
            i += 2;
        }
        if pairs.is_empty() {
            return Err(malformed(&format!("'{namespace}' must be followed by a resource type")));
        }
        parts.push(IdPart::Provider { namespace: (*namespace).into(), pairs });
    }
    Ok(ArmPath::Item(ResourceId::from_parts(parts)))
}

/// Decodes `%XX` escapes; `None` for a bad escape or invalid UTF-8.
fn percent_decode(segment: &str) -> Option<std::borrow::Cow<'_, str>> {
    if !segment.contains('%') {
        return Some(std::borrow::Cow::Borrowed(segment));
    }
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = segment.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok().map(std::borrow::Cow::Owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_encoded_names_are_decoded() {
        let id = match parse_path(&format!("/subscriptions/{SUB}/resourcegroups/rg%281%29")).unwrap() {
            ArmPath::Item(id) => id,
            other => panic!("{other:?}"),
        };
        assert_eq!(id.resource_group(), Some("rg(1)"));
        assert!(parse_path(&format!("/subscriptions/{SUB}/resourcegroups/a%2Fb")).is_err());
        assert!(parse_path(&format!("/subscriptions/{SUB}/resourcegroups/a%zz")).is_err());
        assert!(parse_path(&format!("/subscriptions/{SUB}/resourcegroups/%C3%A9t%C3%A9")).is_ok());
    }

    const SUB: &str = "00000000-0000-0000-0000-000000000001";

    fn item(p: &str) -> ResourceId {
        match parse_path(p).unwrap() {
            ArmPath::Item(id) => id,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_nested_resource_id_parses_into_type_name_and_parent() {
        let id =
            item(&format!("/subscriptions/{SUB}/resourcegroups/RG/providers/Microsoft.Web/sites/app/slots/staging"));
        assert_eq!(id.resource_type().unwrap(), "Microsoft.Web/sites/slots");
        assert_eq!(id.name(), Some("staging"));
        assert_eq!(id.resource_group(), Some("RG"));
        assert_eq!(
            id.as_str(),
            format!("/subscriptions/{SUB}/resourceGroups/RG/providers/Microsoft.Web/sites/app/slots/staging")
        );
        assert_eq!(id.parent().unwrap().resource_type().unwrap(), "Microsoft.Web/sites");
    }

    #[test]
    fn ids_compare_case_insensitively_and_keep_their_case() {
        let a = item(&format!("/subscriptions/{SUB}/resourceGroups/App/providers/Microsoft.KeyVault/vaults/Kv1"));
        let b = item(&format!("/SUBSCRIPTIONS/{SUB}/RESOURCEGROUPS/app/PROVIDERS/microsoft.keyvault/VAULTS/kv1"));
        assert_eq!(a, b);
        assert!(a.as_str().ends_with("/vaults/Kv1"));
    }

    #[test]
    fn scopes_contain_their_descendants_only_on_segment_boundaries() {
        let rg = item(&format!("/subscriptions/{SUB}/resourceGroups/app"));
        let inside = item(&format!("/subscriptions/{SUB}/resourceGroups/app/providers/Microsoft.KeyVault/vaults/v"));
        let sibling = item(&format!("/subscriptions/{SUB}/resourceGroups/app2"));
        assert!(rg.contains(&inside));
        assert!(!rg.contains(&sibling));
        assert!(ResourceId::root().contains(&rg));
    }

    #[test]
    fn extension_resources_nest_under_any_scope() {
        let ra = item(&format!(
            "/subscriptions/{SUB}/resourceGroups/app/providers/Microsoft.KeyVault/vaults/v/providers/Microsoft.Authorization/roleAssignments/abc"
        ));
        assert_eq!(ra.resource_type().unwrap(), "Microsoft.Authorization/roleAssignments");
        assert_eq!(ra.extension_scope().resource_type().unwrap(), "Microsoft.KeyVault/vaults");
        let root = item("/providers/Microsoft.Authorization/roleAssignments/abc");
        assert!(root.extension_scope().is_root());
    }

    #[test]
    fn collections_are_recognised() {
        match parse_path(&format!("/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Web/sites/app/slots"))
            .unwrap()
        {
            ArmPath::Collection { parent, member_type } => {
                assert_eq!(member_type, "Microsoft.Web/sites/slots");
                assert_eq!(parent.name(), Some("app"));
            }
            other => panic!("{other:?}"),
        }
        match parse_path(&format!("/subscriptions/{SUB}/providers/Microsoft.Authorization/roleAssignments")).unwrap() {
            ArmPath::Collection { parent, member_type } => {
                assert_eq!(member_type, "Microsoft.Authorization/roleAssignments");
                assert!(parent.is_subscription());
            }
            other => panic!("{other:?}"),
        }
        match parse_path(&format!("/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/v/providers/Microsoft.Authorization/roleAssignments")).unwrap() {
            ArmPath::Collection { parent, member_type } => {
                assert_eq!(member_type, "Microsoft.Authorization/roleAssignments");
                assert_eq!(parent.resource_type().unwrap(), "Microsoft.KeyVault/vaults");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(parse_path("/subscriptions").unwrap(), ArmPath::Subscriptions));
        assert!(matches!(
            parse_path(&format!("/subscriptions/{SUB}/resourcegroups")).unwrap(),
            ArmPath::ResourceGroups(_)
        ));
        assert!(matches!(
            parse_path(&format!("/subscriptions/{SUB}/resourceGroups/x/resources")).unwrap(),
            ArmPath::GenericResources(_)
        ));
    }

    #[test]
    fn bad_segments_are_refused_with_a_reason() {
        assert_eq!(
            parse_path("/subscriptions/not-a-guid/resourceGroups/x").unwrap_err(),
            IdError::InvalidSubscriptionId("not-a-guid".into())
        );
        assert!(parse_path(&format!("/subscriptions/{SUB}/resourceGroups/x/provider/Microsoft.Web/sites/a")).is_err());
        assert!(parse_path(&format!("/subscriptions/{SUB}//resourceGroups")).is_err());
        assert!(parse_path(&format!("/subscriptions/{SUB}/resourceGroups/x/providers/sites/a")).is_err());
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    fn segment() -> impl Strategy<Value = String> {
        "[A-Za-z0-9][A-Za-z0-9_.()-]{0,11}"
    }

    proptest! {
        /// Any text parses or fails without panicking.
        #[test]
        fn parsing_never_panics(path in "(/[A-Za-z0-9./_-]{0,12}){0,9}/?") {
            let _ = parse_path(&path);
        }

        /// A valid id prints back to itself (modulo the casing of fixed words) and compares
        /// equal to its upper-cased form.
        #[test]
        fn ids_round_trip_and_compare_case_insensitively(
            sub in "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
            rg in segment(),
            ns in "[A-Z][a-z]{1,8}\\.[A-Z][a-z]{1,8}",
            pairs in proptest::collection::vec((segment(), segment()), 1..4),
        ) {
            prop_assume!(!pairs.iter().any(|(t, _)| t.eq_ignore_ascii_case("providers")));
            let mut text = format!("/subscriptions/{sub}/resourceGroups/{rg}/providers/{ns}");
            for (t, n) in &pairs {
                text.push_str(&format!("/{t}/{n}"));
            }
            let id = ResourceId::parse(&text).unwrap();
            prop_assert_eq!(id.as_str(), text.as_str());
            prop_assert_eq!(ResourceId::parse(id.as_str()).unwrap(), id.clone());
            let upper = text.to_uppercase().replacen("/SUBSCRIPTIONS/", "/subscriptions/", 1);
            prop_assert_eq!(ResourceId::parse(&upper).unwrap(), id.clone());
            let parent = id.parent().unwrap();
            prop_assert!(parent.contains(&id));
            prop_assert!(!id.contains(&parent));
        }
    }
}
