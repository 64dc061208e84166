//! Query strings as the identity endpoints read them: decoded tolerantly (clients send `:` and
//! `/` unescaped), with duplicate names refused as IMDS does.

/// Decoded query parameters.
#[derive(Debug)]
pub struct Query(Vec<(String, String)>);

impl Query {
    /// Parses `raw`; a name given twice is an error naming it.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let pairs: Vec<(String, String)> = form_urlencoded::parse(raw.as_bytes()).into_owned().collect();
        let mut seen = std::collections::HashSet::with_capacity(pairs.len());
        for (name, _) in &pairs {
            if !seen.insert(name.to_ascii_lowercase()) {
                return Err(name.clone());
            }
        }
        Ok(Self(pairs))
    }

    /// A parameter by name (case-insensitive), if present and non-empty.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str()).filter(|v| !v.is_empty())
    }
}
