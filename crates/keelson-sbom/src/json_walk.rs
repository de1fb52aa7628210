//! Typed reading of a `serde_json::Value` that remembers its JSON pointer, so that a
//! value of the wrong type is reported with the exact place it sits.

use serde_json::{Map, Value};

use crate::error::{Error, Location};

/// A JSON object together with the pointer that leads to it.
#[derive(Clone, Copy)]
pub(crate) struct Obj<'a, 'p> {
    pub(crate) map: &'a Map<String, Value>,
    pub(crate) pointer: &'p str,
}

impl<'a, 'p> Obj<'a, 'p> {
    /// Views `value` as an object, or says where it is not one.
    pub(crate) fn of(value: &'a Value, pointer: &'p str) -> Result<Self, Error> {
        match value {
            Value::Object(map) => Ok(Self { map, pointer }),
            other => Err(wrong_type(pointer, "an object", other)),
        }
    }

    /// The pointer of member `key`.
    pub(crate) fn child(&self, key: &str) -> String {
        child_pointer(self.pointer, key)
    }

    /// An optional string member.
    pub(crate) fn str(&self, key: &str) -> Result<Option<&'a str>, Error> {
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(text)) => Ok(Some(text)),
            Some(other) => Err(wrong_type(&self.child(key), "a string", other)),
        }
    }

    /// A required string member.
    pub(crate) fn required_str(&self, key: &str) -> Result<&'a str, Error> {
        self.str(key)?.ok_or_else(|| {
            Error::invalid(
                Location::pointer(self.pointer),
                format!("required member `{key}` is missing"),
            )
        })
    }

    /// An optional array member; absent reads as empty.
    pub(crate) fn array(&self, key: &str) -> Result<&'a [Value], Error> {
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(&[]),
            Some(Value::Array(items)) => Ok(items),
            Some(other) => Err(wrong_type(&self.child(key), "an array", other)),
        }
    }

    /// An optional object member.
    pub(crate) fn object(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|value| !value.is_null())
    }
}

/// Appends one reference token to a pointer, escaping `~` and `/` (RFC 6901).
pub(crate) fn child_pointer(pointer: &str, key: &str) -> String {
    let escaped = key.replace('~', "~0").replace('/', "~1");
    format!("{pointer}/{escaped}")
}

/// The pointer of array element `index`.
pub(crate) fn index_pointer(pointer: &str, index: usize) -> String {
    format!("{pointer}/{index}")
}

/// An element of an array that must be a string.
pub(crate) fn item_str<'a>(value: &'a Value, pointer: &str) -> Result<&'a str, Error> {
    value
        .as_str()
        .ok_or_else(|| wrong_type(pointer, "a string", value))
}

fn wrong_type(pointer: &str, wanted: &str, found: &Value) -> Error {
    let found = match found {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    };
    Error::invalid(
        Location::pointer(pointer),
        format!("expected {wanted}, found {found}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointer_tokens_are_escaped() {
        assert_eq!(child_pointer("/a", "b/c~d"), "/a/b~1c~0d");
    }

    #[test]
    fn wrong_type_names_the_pointer() {
        let value = serde_json::json!({"name": 3});
        let obj = Obj::of(&value, "/components/0").map_err(|e| e.to_string());
        let Ok(obj) = obj else {
            panic!("object expected")
        };
        let error = obj
            .str("name")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(error.contains("/components/0/name"), "{error}");
        assert!(error.contains("found a number"), "{error}");
    }
}
