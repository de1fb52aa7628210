//! Small helpers for walking `serde_json::Value` trees with JSON pointers.

use serde_json::Value;

/// The items of the array at `key`, empty when absent or not an array.
pub(crate) fn items<'a>(value: &'a Value, key: &str) -> &'a [Value] {
    value
        .get(key)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// The string at `key`, if it is one.
pub(crate) fn text<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value.get(key).and_then(Value::as_str)
}

/// The strings of the array at `key`, each with its index.
pub(crate) fn strings<'a>(value: &'a Value, key: &str) -> impl Iterator<Item = (usize, &'a str)> {
    items(value, key)
        .iter()
        .enumerate()
        .filter_map(|(i, item)| item.as_str().map(|s| (i, s)))
}
