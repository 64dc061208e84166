//! What Key Vault accepts in a secret's body, checked in one place for set and update: the
//! value's size, tags, and attribute types. A body outside these limits is 400 `BadParameter`
//! naming the limit, never a silently dropped field.

use super::errors::KvError;
use serde_json::{Map, Value};

/// Key Vault stores a secret value of at most 25 KB (25,600 bytes).
pub const MAX_VALUE_BYTES: usize = 25_600;
/// Tags per secret, and the length of a tag's name and value (Azure's resource tag limits).
const MAX_TAGS: usize = 15;
const MAX_TAG_NAME: usize = 512;
const MAX_TAG_VALUE: usize = 256;

pub fn check_value(value: &str) -> Result<(), KvError> {
    if value.len() <= MAX_VALUE_BYTES {
        return Ok(());
    }
    Err(KvError::bad_parameter(format!(
        "The secret value is {} bytes; Key Vault accepts at most {MAX_VALUE_BYTES} bytes (25 KB). Keep larger data elsewhere, \
         encrypted, and store its key here.",
        value.len()
    )))
}

/// The body's `tags`: `None` when absent or null, else a map of at most 15 string values.
pub fn tags(body: &Value) -> Result<Option<Value>, KvError> {
    let tags = match body.get("tags") {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Object(tags)) => tags,
        Some(other) => {
            return Err(KvError::bad_parameter(format!(
                "'tags' must be an object of string values, like {{\"team\": \"a\"}}; got {other}."
            )));
        }
    };
    if tags.len() > MAX_TAGS {
        return Err(KvError::bad_parameter(format!("A secret has at most {MAX_TAGS} tags; got {}.", tags.len())));
    }
    for (name, value) in tags {
        let Some(text) = value.as_str() else {
            return Err(KvError::bad_parameter(format!("Tag '{name}' must have a string value; got {value}.")));
        };
        if name.is_empty() || name.chars().count() > MAX_TAG_NAME || text.chars().count() > MAX_TAG_VALUE {
            return Err(KvError::bad_parameter(format!(
                "Tag '{name}' is out of bounds: names are 1-{MAX_TAG_NAME} characters and values at most {MAX_TAG_VALUE}."
            )));
        }
    }
    Ok(Some(Value::Object(tags.clone())))
}

/// What a body says of an optional field: nothing (keep it), an explicit null (clear it), or
/// a value.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Change<T> {
    #[default]
    Keep,
    Clear,
    Set(T),
}

impl<T> Change<T> {
    /// The field after the change.
    pub fn apply(self, current: Option<T>) -> Option<T> {
        match self {
            Self::Keep => current,
            Self::Clear => None,
            Self::Set(v) => Some(v),
        }
    }
}

/// The body's `contentType`.
pub fn content_type(body: &Value) -> Result<Change<String>, KvError> {
    match body.get("contentType") {
        None => Ok(Change::Keep),
        Some(Value::Null) => Ok(Change::Clear),
        Some(Value::String(ct)) => Ok(Change::Set(ct.clone())),
        Some(other) => Err(KvError::bad_parameter(format!("'contentType' must be a string; got {other}."))),
    }
}

/// A version id as Key Vault makes them: 32 hexadecimal characters.
pub fn is_version_id(version: &str) -> bool {
    version.len() == 32 && version.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The body's `attributes`, with each present field of the right type.
#[derive(Debug, Default)]
pub struct Attributes {
    pub enabled: Option<bool>,
    pub not_before: Change<i64>,
    pub expires: Change<i64>,
}

pub fn attributes(body: &Value) -> Result<Attributes, KvError> {
    let empty = Map::new();
    let attributes = match body.get("attributes") {
        None | Some(Value::Null) => &empty,
        Some(Value::Object(a)) => a,
        Some(other) => return Err(KvError::bad_parameter(format!("'attributes' must be an object; got {other}."))),
    };
    let time = |field: &str| -> Result<Change<i64>, KvError> {
        match attributes.get(field) {
            None => Ok(Change::Keep),
            Some(Value::Null) => Ok(Change::Clear),
            Some(v) => v.as_i64().map(Change::Set).ok_or_else(|| {
                KvError::bad_parameter(format!(
                    "attributes.{field} must be a time in seconds since 1970-01-01 (an integer); got {v}."
                ))
            }),
        }
    };
    let enabled = match attributes.get("enabled") {
        None | Some(Value::Null) => None,
        Some(Value::Bool(b)) => Some(*b),
        Some(v) => return Err(KvError::bad_parameter(format!("attributes.enabled must be true or false; got {v}."))),
    };
    Ok(Attributes { enabled, not_before: time("nbf")?, expires: time("exp")? })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_up_to_25_kb_pass() {
        assert!(check_value(&"x".repeat(MAX_VALUE_BYTES)).is_ok());
        assert!(check_value(&"x".repeat(MAX_VALUE_BYTES + 1)).is_err());
        assert!(check_value(&"é".repeat(MAX_VALUE_BYTES / 2 + 1)).is_err(), "bytes, not characters");
    }

    #[test]
    fn tags_are_a_small_map_of_strings() {
        assert_eq!(tags(&json!({})).unwrap(), None);
        assert_eq!(tags(&json!({"tags": {"a": "b"}})).unwrap(), Some(json!({"a": "b"})));
        assert!(tags(&json!({"tags": {"a": 1}})).is_err());
        assert!(tags(&json!({"tags": ["a"]})).is_err());
        let many: Map<String, Value> = (0..16).map(|i| (format!("t{i}"), json!("v"))).collect();
        assert!(tags(&json!({ "tags": many })).is_err());
        assert!(tags(&json!({"tags": {"a": "v".repeat(257)}})).is_err());
    }

    #[test]
    fn content_types_are_strings_and_versions_are_32_hex() {
        assert_eq!(content_type(&json!({"contentType": "text/plain"})).unwrap(), Change::Set("text/plain".into()));
        assert_eq!(content_type(&json!({"contentType": null})).unwrap().apply(Some("x".into())), None);
        assert!(content_type(&json!({"contentType": 5})).is_err());
        assert!(is_version_id("0123456789abcdefABCDEF0123456789"));
        assert!(!is_version_id("latest") && !is_version_id(&"g".repeat(32)) && !is_version_id(&"a".repeat(33)));
    }

    #[test]
    fn attributes_have_their_types() {
        let a = attributes(&json!({"attributes": {"enabled": false, "nbf": 5, "exp": null}})).unwrap();
        assert_eq!((a.enabled, a.not_before, a.expires), (Some(false), Change::Set(5), Change::Clear));
        assert_eq!(Change::Keep.apply(Some(3)), Some(3));
        assert!(attributes(&json!({"attributes": {"exp": "tomorrow"}})).is_err());
        assert!(attributes(&json!({"attributes": {"enabled": "yes"}})).is_err());
        assert!(attributes(&json!({"attributes": 3})).is_err());
    }
}
