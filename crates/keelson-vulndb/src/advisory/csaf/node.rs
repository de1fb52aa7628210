//! A JSON value together with its JSON pointer, so that every refusal of a CSAF
//! document names the exact place (`/vulnerabilities/3/product_status/fixed/0`).

use serde_json::{Map, Value};

/// Why a part of the document was refused, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Fault {
    pub(super) pointer: String,
    pub(super) reason: String,
}

impl Fault {
    pub(super) fn new(pointer: &str, reason: impl Into<String>) -> Self {
        let pointer = if pointer.is_empty() { "/" } else { pointer };
        Fault {
            pointer: pointer.to_owned(),
            reason: reason.into(),
        }
    }
}

/// One value of the document and where it sits.
#[derive(Debug, Clone)]
pub(super) struct Node<'a> {
    pub(super) value: &'a Value,
    pub(super) pointer: String,
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

impl<'a> Node<'a> {
    pub(super) fn root(value: &'a Value) -> Self {
        Node {
            value,
            pointer: String::new(),
        }
    }

    pub(super) fn fault(&self, reason: impl Into<String>) -> Fault {
        Fault::new(&self.pointer, reason)
    }

    fn object(&self) -> Result<&'a Map<String, Value>, Fault> {
        self.value
            .as_object()
            .ok_or_else(|| self.fault(format!("expected an object, found {}", kind(self.value))))
    }

    /// The member `key`; `None` when absent or null.
    pub(super) fn get(&self, key: &str) -> Result<Option<Node<'a>>, Fault> {
        let member = self.object()?.get(key).filter(|v| !v.is_null());
        Ok(member.map(|value| Node {
            value,
            pointer: format!("{}/{}", self.pointer, escape(key)),
        }))
    }

    /// The member `key`, which must be present.
    pub(super) fn require(&self, key: &str) -> Result<Node<'a>, Fault> {
        self.get(key)?
            .ok_or_else(|| self.fault(format!("required member {key:?} is missing")))
    }

    pub(super) fn text(&self) -> Result<&'a str, Fault> {
        self.value
            .as_str()
            .ok_or_else(|| self.fault(format!("expected a string, found {}", kind(self.value))))
    }

    /// The string member `key`, if present.
    pub(super) fn opt_text(&self, key: &str) -> Result<Option<&'a str>, Fault> {
        self.get(key)?.map(|node| node.text()).transpose()
    }

    /// The string member `key`, which must be present.
    pub(super) fn req_text(&self, key: &str) -> Result<&'a str, Fault> {
        self.require(key)?.text()
    }

    /// The elements of this array.
    pub(super) fn elements(&self) -> Result<Vec<Node<'a>>, Fault> {
        let items = self
            .value
            .as_array()
            .ok_or_else(|| self.fault(format!("expected an array, found {}", kind(self.value))))?;
        Ok(items
            .iter()
            .enumerate()
            .map(|(index, value)| Node {
                value,
                pointer: format!("{}/{index}", self.pointer),
            })
            .collect())
    }

    /// The elements of the array member `key`; empty when absent.
    pub(super) fn items(&self, key: &str) -> Result<Vec<Node<'a>>, Fault> {
        match self.get(key)? {
            Some(node) => node.elements(),
            None => Ok(Vec::new()),
        }
    }

    /// The members of this object, in document order.
    pub(super) fn members(&self) -> Result<Vec<(&'a str, Node<'a>)>, Fault> {
        Ok(self
            .object()?
            .iter()
            .map(|(key, value)| {
                let node = Node {
                    value,
                    pointer: format!("{}/{}", self.pointer, escape(key)),
                };
                (key.as_str(), node)
            })
            .collect())
    }
}

/// RFC 6901 escaping of one reference token.
fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_name_the_pointer_of_the_value() {
        let value = serde_json::json!({"a": [{"b": 1}], "c/d": null});
        let root = Node::root(&value);
        let first = root
            .items("a")
            .ok()
            .and_then(|items| items.into_iter().next());
        let fault = first.map(|node| node.req_text("b"));
        let fault = fault.and_then(Result::err).map(|f| (f.pointer, f.reason));
        let expected = (
            "/a/0/b".to_owned(),
            "expected a string, found a number".to_owned(),
        );
        assert_eq!(fault, Some(expected));
        assert!(matches!(root.get("c/d"), Ok(None)), "null counts as absent");
        let missing = root.require("x").err().map(|f| f.pointer);
        assert_eq!(missing.as_deref(), Some("/"));
    }

    #[test]
    fn keys_with_slashes_are_escaped() {
        assert_eq!(escape("a/b~c"), "a~1b~0c");
    }
}
