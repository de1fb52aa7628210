//! How the engine reads fields out of an event: `EventFields` and its JSON implementation.
//!
//! A Sigma field name resolves first at the top level of Keelson's normalized
//! event, then inside its `attributes` object; a dotted name walks nested objects.

use std::borrow::Cow;

use serde_json::Value;

/// One value read from an event field.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldValue<'a> {
    /// JSON `null`.
    Null,
    /// A boolean.
    Bool(bool),
    /// A signed integer.
    Int(i64),
    /// Any other number.
    Float(f64),
    /// A string.
    Str(Cow<'a, str>),
    /// An array; a Sigma value matches when any element matches.
    List(Vec<FieldValue<'a>>),
    /// A nested object (only `exists` can test it).
    Object,
}

impl FieldValue<'_> {
    /// The text a Sigma string comparison sees: numbers and booleans as written in JSON.
    pub fn as_text(&self) -> Option<Cow<'_, str>> {
        match self {
            Self::Str(s) => Some(Cow::Borrowed(s.as_ref())),
            Self::Int(i) => Some(Cow::Owned(i.to_string())),
            Self::Float(f) => Some(Cow::Owned(f.to_string())),
            Self::Bool(b) => Some(Cow::Borrowed(if *b { "true" } else { "false" })),
            Self::Null | Self::List(_) | Self::Object => None,
        }
    }

    /// The number a numeric comparison sees; numeric strings count.
    pub fn as_number(&self) -> Option<f64> {
        match self {
            Self::Int(i) => Some(*i as f64),
            Self::Float(f) => Some(*f),
            Self::Str(s) => s.trim().parse::<f64>().ok(),
            _ => None,
        }
    }
}

/// Read access to the fields of one event.
pub trait EventFields {
    /// The value of a Sigma field, or `None` when the event does not have it.
    fn field(&self, name: &str) -> Option<FieldValue<'_>>;

    /// Calls `visit` with every string value in the event until it returns `true`
    /// (used by keyword detections); returns whether any call returned `true`.
    fn any_string(&self, visit: &mut dyn FnMut(&str) -> bool) -> bool;
}

/// Converts a JSON value into the engine's field value.
pub fn json_field_value(value: &Value) -> FieldValue<'_> {
    match value {
        Value::Null => FieldValue::Null,
        Value::Bool(b) => FieldValue::Bool(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => FieldValue::Int(i),
            None => FieldValue::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(s) => FieldValue::Str(Cow::Borrowed(s.as_str())),
        Value::Array(items) => FieldValue::List(items.iter().map(json_field_value).collect()),
        Value::Object(_) => FieldValue::Object,
    }
}

/// Finds a field in a JSON event: top level, then `attributes`, each by exact key first
/// and by dotted path second.
pub fn lookup_json<'a>(event: &'a Value, name: &str) -> Option<&'a Value> {
    let Value::Object(map) = event else {
        return None;
    };
    if let Some(v) = map.get(name) {
        return Some(v);
    }
    if let Some(v) = dotted(event, name) {
        return Some(v);
    }
    let attributes = map.get("attributes")?;
    attributes
        .as_object()
        .and_then(|a| a.get(name))
        .or_else(|| dotted(attributes, name))
}

fn dotted<'a>(root: &'a Value, name: &str) -> Option<&'a Value> {
    if !name.contains('.') {
        return None;
    }
    let mut current = root;
    for part in name.split('.') {
        current = current.as_object()?.get(part)?;
    }
    Some(current)
}

fn visit_strings(value: &Value, depth: usize, visit: &mut dyn FnMut(&str) -> bool) -> bool {
    // Depth guard: a hostile event must not overflow the stack.
    if depth > 32 {
        return false;
    }
    match value {
        Value::String(s) => visit(s),
        Value::Array(items) => items.iter().any(|v| visit_strings(v, depth + 1, visit)),
        Value::Object(map) => map.values().any(|v| visit_strings(v, depth + 1, visit)),
        _ => false,
    }
}

impl EventFields for Value {
    fn field(&self, name: &str) -> Option<FieldValue<'_>> {
        lookup_json(self, name).map(json_field_value)
    }

    fn any_string(&self, visit: &mut dyn FnMut(&str) -> bool) -> bool {
        visit_strings(self, 0, visit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn top_level_wins_over_attributes() {
        let ev = json!({"kind": "top", "attributes": {"kind": "inner", "sid": 16}});
        assert_eq!(ev.field("kind"), Some(FieldValue::Str("top".into())));
        assert_eq!(ev.field("sid"), Some(FieldValue::Int(16)));
    }

    #[test]
    fn dotted_path_walks_nested_objects_and_attributes() {
        let ev = json!({"attributes": {"can": {"id": "0x7DF"}}, "a": {"b": true}});
        assert_eq!(ev.field("can.id"), Some(FieldValue::Str("0x7DF".into())));
        assert_eq!(
            ev.field("attributes.can.id"),
            Some(FieldValue::Str("0x7DF".into()))
        );
        assert_eq!(ev.field("a.b"), Some(FieldValue::Bool(true)));
        assert_eq!(ev.field("a.c"), None);
    }

    #[test]
    fn keyword_visit_sees_nested_strings() {
        let ev = json!({"x": 1, "attributes": {"msg": ["ok", "stack smashing detected"]}});
        assert!(ev.any_string(&mut |s| s.contains("smashing")));
        assert!(!ev.any_string(&mut |s| s.contains("absent")));
    }
}
