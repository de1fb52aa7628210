//! JSON Schema's `uniqueItems` for an array seen one element at a time.
//!
//! Each element leaves a keyed hash that equal elements share (numbers hashed by value,
//! object members in any order), so a repeat shows as a hash seen before. A hash match
//! is only a candidate: the two elements are parsed again from the text and compared by
//! jsonschema's own `uniqueItems`, so the verdict is the one a whole-array check gives.
//! The problem is then worded by jsonschema too, on an array that starts like the real
//! one for longer than a problem message is kept.

use std::collections::HashMap;
use std::collections::hash_map::{Entry, RandomState};
use std::hash::{BuildHasher, Hash, Hasher};

use serde_json::Value;
use serde_json::value::RawValue;

use crate::json_stream::parse_element;
use crate::validate::{MESSAGE_LIMIT, Problem, schema_problems};

/// The uniqueness state of one array.
pub(crate) struct UniqueItems<'a> {
    elements: &'a [&'a RawValue],
    keys: RandomState,
    first_with_hash: HashMap<u64, usize>,
    /// Elements whose hash matched an earlier, unequal element (a hash collision).
    also_with_hash: Vec<(u64, usize)>,
    duplicate: Option<(usize, usize)>,
    /// The first elements, until their text is longer than a kept message.
    opening: Vec<Value>,
    opening_len: usize,
}

impl<'a> UniqueItems<'a> {
    /// Starts on the array whose elements are `elements`.
    pub(crate) fn new(elements: &'a [&'a RawValue]) -> Self {
        Self {
            elements,
            keys: RandomState::new(),
            first_with_hash: HashMap::with_capacity(elements.len()),
            also_with_hash: Vec::new(),
            duplicate: None,
            opening: Vec::new(),
            opening_len: 1,
        }
    }

    /// Takes element `index`, parsed.
    pub(crate) fn add(&mut self, index: usize, element: Value) {
        if self.duplicate.is_none() {
            self.look_for_equal(index, &element);
        }
        if self.opening_len <= MESSAGE_LIMIT {
            self.opening_len += element.to_string().len() + usize::from(index > 0);
            self.opening.push(element);
        }
    }

    /// The `uniqueItems` problem of the array at `pointer`, whose schema sits at
    /// `array_path`, if two elements are equal.
    pub(crate) fn problem(mut self, pointer: &str, array_path: &str) -> Option<Problem> {
        let (first, second) = self.duplicate?;
        let validator = match crate::schemas::unique_items() {
            Ok(validator) => validator,
            Err(reason) => return Some(Problem::new(crate::Location::Document, reason)),
        };
        let mut shown = std::mem::take(&mut self.opening);
        if shown.len() < self.elements.len() {
            shown.extend(self.parsed(first));
            shown.extend(self.parsed(second));
        }
        let array = Value::Array(shown);
        schema_problems(validator, &array, pointer, array_path)
            .into_iter()
            .next()
    }

    fn look_for_equal(&mut self, index: usize, element: &Value) {
        let hash = canonical_hash(&self.keys, element);
        let earlier = match self.first_with_hash.entry(hash) {
            Entry::Vacant(slot) => {
                slot.insert(index);
                return;
            }
            Entry::Occupied(slot) => *slot.get(),
        };
        let colliding = self
            .also_with_hash
            .iter()
            .filter(|(h, _)| *h == hash)
            .map(|(_, i)| *i);
        let candidates: Vec<usize> = std::iter::once(earlier).chain(colliding).collect();
        match candidates.into_iter().find(|c| self.equal(*c, element)) {
            Some(first) => self.duplicate = Some((first, index)),
            None => self.also_with_hash.push((hash, index)),
        }
    }

    /// Whether element `index` equals `element` by `uniqueItems`' notion of equality.
    fn equal(&self, index: usize, element: &Value) -> bool {
        let Some(earlier) = self.parsed(index) else {
            return false;
        };
        let pair = Value::Array(vec![earlier, element.clone()]);
        crate::schemas::unique_items().is_ok_and(|validator| !validator.is_valid(&pair))
    }

    fn parsed(&self, index: usize) -> Option<Value> {
        let raw = self.elements.get(index)?;
        parse_element(raw).ok()
    }
}

/// A hash that JSON-equal values share: numbers by their value as a float (so `1` and
/// `1.0` meet; integers that differ past 2^53 meet too and are told apart by the
/// comparison), object members combined without regard to order.
fn canonical_hash(keys: &RandomState, value: &Value) -> u64 {
    let mut hasher = keys.build_hasher();
    match value {
        Value::Null => 0u8.hash(&mut hasher),
        Value::Bool(flag) => (1u8, flag).hash(&mut hasher),
        Value::Number(number) => {
            let float = number.as_f64().unwrap_or(f64::NAN);
            let float = if float == 0.0 { 0.0 } else { float };
            (2u8, float.to_bits()).hash(&mut hasher);
        }
        Value::String(text) => (3u8, text).hash(&mut hasher),
        Value::Array(items) => {
            (4u8, items.len()).hash(&mut hasher);
            for item in items {
                canonical_hash(keys, item).hash(&mut hasher);
            }
        }
        Value::Object(members) => {
            let combined = members.iter().fold(0u64, |acc, (key, member)| {
                acc ^ keys.hash_one((key, canonical_hash(keys, member)))
            });
            (5u8, members.len(), combined).hash(&mut hasher);
        }
    }
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn raw_elements(text: &str) -> Vec<&RawValue> {
        serde_json::from_str(text).unwrap_or_default()
    }

    /// Runs the element-wise check over the array `text`.
    fn element_wise(text: &str) -> Option<Problem> {
        let elements = raw_elements(text);
        let mut unique = UniqueItems::new(&elements);
        for (index, raw) in elements.iter().enumerate() {
            unique.add(index, parse_element(raw).unwrap_or_default());
        }
        unique.problem("/list", "/properties/list")
    }

    /// The oracle: jsonschema's `uniqueItems` on the whole array.
    fn whole_array(text: &str) -> Option<Problem> {
        let array: Value = serde_json::from_str(text).unwrap_or_default();
        let validator = crate::schemas::unique_items().ok()?;
        schema_problems(validator, &array, "/list", "/properties/list")
            .into_iter()
            .next()
    }

    #[test]
    fn equal_elements_are_found_as_a_whole_array_check_finds_them() {
        let long = "x".repeat(300);
        let cases = [
            r#"[1, 2, 3]"#.to_string(),
            r#"[1, 2, 1.0]"#.to_string(),
            r#"[{"a": 1, "b": [true, null]}, {"b": [true, null], "a": 1}]"#.to_string(),
            r#"[{"a": 1}, {"a": 2}, {"a": [1]}, [{"a": 1}]]"#.to_string(),
            r#"[9007199254740993, 9007199254740992]"#.to_string(),
            r#"[0, -0.0]"#.to_string(),
            format!(r#"["{long}", "{long}b", "{long}c", "y", "{long}b"]"#),
            format!(r#"["{long}", "{long}", "z"]"#),
        ];
        for text in &cases {
            let expected = whole_array(text);
            assert_eq!(element_wise(text), expected, "{text}");
        }
        let repeated = element_wise(&cases[1]).map(|p| (p.at.to_string(), p.schema_path));
        let expected = Some((
            "/list".to_string(),
            Some("/properties/list/uniqueItems".to_string()),
        ));
        assert_eq!(repeated, expected);
    }

    #[test]
    fn a_long_array_is_worded_as_its_whole_would_be() {
        let elements: Vec<Value> = (0..200).map(|i| json!({"name": format!("e{i}")})).collect();
        let mut with_repeat = elements.clone();
        with_repeat.push(json!({"name": "e7"}));
        let text = Value::Array(with_repeat).to_string();

        let problem = element_wise(&text);
        assert!(problem.as_ref().is_some_and(|p| p.message.ends_with('…')));
        assert_eq!(problem, whole_array(&text));
    }
}
