//! Reading a large JSON document without building its whole `serde_json::Value` tree.
//!
//! Two passes over the text replace the one parse into a tree. [`check`] goes through the
//! whole document the way parsing it into a `Value` does (the same serde_json code paths,
//! so the same syntax, number-range and nesting-depth errors at the same line and column)
//! but keeps nothing except the top-level strings it is asked for. [`Members`] then holds
//! the top-level members as raw slices of the text, so that a big array can be taken one
//! element at a time and everything else parsed into a small tree of its own.
//!
//! The second pass uses serde_json's raw values, which skip over the text without the
//! first pass's checks; it only ever runs on text the first pass accepted.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

/// The string values of some top-level members, as a parse into a `Value` would see
/// them: a member written twice counts with its last value, and a member whose value is
/// not a string is absent.
#[derive(Debug, Default)]
pub(crate) struct TopLevelStrings {
    values: BTreeMap<&'static str, String>,
}

impl TopLevelStrings {
    /// The string value of member `key`, if it was asked for and is a string.
    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.values.get(key).map(String::as_str)
    }
}

/// Checks that `text` is one JSON value exactly as `serde_json::from_str::<Value>` would,
/// returning the string values of the `wanted` members when it is an object.
pub(crate) fn check(
    text: &str,
    wanted: &[&'static str],
) -> Result<TopLevelStrings, serde_json::Error> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let found = TopLevel { wanted }.deserialize(&mut deserializer)?;
    deserializer.end()?;
    Ok(found)
}

/// The members of a top-level JSON object as slices of the text, the last one winning
/// when a name is written twice (as in a `Value` tree).
#[derive(Debug)]
pub(crate) struct Members<'a> {
    members: BTreeMap<String, &'a RawValue>,
}

impl<'a> Members<'a> {
    /// Splits an object that [`check`] accepted into its members.
    pub(crate) fn parse(text: &'a str) -> Result<Self, serde_json::Error> {
        let members = serde_json::from_str(text)?;
        Ok(Self { members })
    }

    /// The elements of member `key` as slices of the text, in order; empty when the
    /// member is absent or not an array.
    pub(crate) fn elements(&self, key: &str) -> Result<Vec<&'a RawValue>, serde_json::Error> {
        match self.members.get(key) {
            Some(raw) if is_array(raw) => serde_json::from_str(raw.get()),
            _ => Ok(Vec::new()),
        }
    }

    /// The document as a tree without the elements of the `taken` members: those that are
    /// arrays become empty arrays, every other member is parsed as it is.
    pub(crate) fn rest(&self, taken: &[&str]) -> Result<Value, serde_json::Error> {
        let mut object = Map::new();
        for (key, raw) in &self.members {
            let value = if taken.contains(&key.as_str()) && is_array(raw) {
                Value::Array(Vec::new())
            } else {
                serde_json::from_str(raw.get())?
            };
            object.insert(key.clone(), value);
        }
        Ok(Value::Object(object))
    }
}

/// Parses one element taken from [`Members::elements`].
pub(crate) fn parse_element(raw: &RawValue) -> Result<Value, serde_json::Error> {
    serde_json::from_str(raw.get())
}

/// A raw value starts at its first significant character.
fn is_array(raw: &RawValue) -> bool {
    raw.get().starts_with('[')
}

/// The top-level value: an object whose wanted string members are kept.
struct TopLevel<'w> {
    wanted: &'w [&'static str],
}

impl<'de> DeserializeSeed<'de> for TopLevel<'_> {
    type Value = TopLevelStrings;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for TopLevel<'_> {
    type Value = TopLevelStrings;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut found = TopLevelStrings::default();
        while let Some(key) = map.next_key::<String>()? {
            let wanted = self.wanted.iter().find(|w| **w == key);
            match wanted {
                Some(name) => match map.next_value_seed(StringOrChecked)? {
                    Some(text) => {
                        found.values.insert(name, text);
                    }
                    None => {
                        found.values.remove(name);
                    }
                },
                None => {
                    map.next_value::<Checked>()?;
                }
            }
        }
        Ok(found)
    }
}

/// Any JSON value, gone through and dropped.
struct Checked;

impl<'de> de::Deserialize<'de> for Checked {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer
            .deserialize_any(CheckedVisitor)
            .map(|()| Checked)
    }
}

/// Accepts every JSON value the way a `Value` is built (through `deserialize_any`, so
/// that numbers are parsed and nesting is counted), building nothing.
struct CheckedVisitor;

impl<'de> Visitor<'de> for CheckedVisitor {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        check_seq(seq)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        check_map(map)
    }
}

/// A top-level member's value: its text when it is a string, otherwise gone through
/// and dropped.
struct StringOrChecked;

impl<'de> DeserializeSeed<'de> for StringOrChecked {
    type Value = Option<String>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for StringOrChecked {
    type Value = Option<String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Self::Value, E> {
        Ok(Some(text.to_string()))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        check_seq(seq).map(|()| None)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        check_map(map).map(|()| None)
    }
}

fn check_seq<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<(), A::Error> {
    while seq.next_element::<Checked>()?.is_some() {}
    Ok(())
}

fn check_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<(), A::Error> {
    while map.next_key::<Checked>()?.is_some() {
        map.next_value::<Checked>()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The error a parse into a `Value` gives: the oracle the first pass must match.
    fn tree_error(text: &str) -> Option<String> {
        serde_json::from_str::<Value>(text)
            .err()
            .map(|e| e.to_string())
    }

    fn check_error(text: &str) -> Option<String> {
        check(text, &["a"]).err().map(|e| e.to_string())
    }

    #[test]
    fn check_fails_where_and_as_a_tree_parse_fails() {
        let deep = format!("{{\"a\":{}{}}}", "[".repeat(200), "]".repeat(200));
        let cases = [
            "{\"a\": 1e400}",
            "{\"a\": [1, 2,]}",
            "{\"a\": \"\\u12\"}",
            "{\"a\": \"\\ud800\"}",
            "{\"a\": 1} x",
            "{\"a\": tru}",
            "{\"a\" 1}",
            "{\"a\": \"text\n\"}",
            "{\n  \"a\": {\"b\": [\n   -]}}",
            deep.as_str(),
            "{\"a\": 1}",
        ];
        for text in cases {
            assert_eq!(check_error(text), tree_error(text), "{text}");
        }
        assert!(tree_error(&deep).is_some_and(|e| e.contains("recursion limit")));
    }

    #[test]
    fn wanted_strings_are_read_as_a_tree_would_hold_them() {
        let text = r#"{"a": "first", "b": {"a": "nested"}, "c": "x", "a": "last"}"#;
        let found = check(text, &["a", "b"]).map_err(|e| e.to_string());
        let Ok(found) = found else {
            panic!("{found:?}")
        };
        assert_eq!(found.get("a"), Some("last"));
        assert_eq!(found.get("b"), None, "an object is not a string");
        assert_eq!(found.get("c"), None, "not asked for");

        let overwritten = check(r#"{"a": "text", "a": 3}"#, &["a"]).map_err(|e| e.to_string());
        assert_eq!(overwritten.map(|f| f.get("a").is_none()), Ok(true));
    }

    #[test]
    fn members_give_elements_and_the_rest_of_the_document() {
        let text = r#"{"list": [{"x": 1}, 2, "three"], "other": {"y": [4]}, "word": "w"}"#;
        let members = Members::parse(text).map_err(|e| e.to_string());
        let Ok(members) = members else {
            panic!("{members:?}")
        };
        let elements: Vec<&str> = members
            .elements("list")
            .map(|items| items.iter().map(|raw| raw.get()).collect())
            .unwrap_or_default();
        assert_eq!(elements, [r#"{"x": 1}"#, "2", r#""three""#]);
        assert_eq!(members.elements("word").map(|e| e.len()).ok(), Some(0));

        let rest = members.rest(&["list", "word"]).ok();
        let expected = serde_json::json!({"list": [], "other": {"y": [4]}, "word": "w"});
        assert_eq!(rest, Some(expected));
    }
}
