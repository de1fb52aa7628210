//! YAML reading: turns rule text into a small position-annotated tree, one per document.
//!
//! saphyr is used because it reports the line of every node, which rule errors cite.

use saphyr::{LoadableYamlNode, MarkedYamlOwned, ScalarOwned, YamlDataOwned};

/// A YAML node reduced to what Sigma needs, with the 1-based line where it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// 1-based source line.
    pub line: usize,
    /// The content.
    pub data: NodeData,
}

/// The content of a YAML node.
#[derive(Debug, Clone, PartialEq)]
pub enum NodeData {
    /// `null` or `~` or an empty value.
    Null,
    /// A boolean scalar.
    Bool(bool),
    /// An integer scalar.
    Int(i64),
    /// A floating point scalar.
    Float(f64),
    /// A string scalar (quoted scalars always land here).
    Str(String),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping in source order; keys are rendered as strings.
    Map(Vec<(String, Node)>),
}

/// A YAML syntax problem: line and reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlProblem {
    /// 1-based line.
    pub line: usize,
    /// What the parser reported.
    pub reason: String,
}

/// Parses every document of a (possibly multi-document) YAML text.
pub fn load_documents(text: &str) -> Result<Vec<Node>, YamlProblem> {
    let docs = MarkedYamlOwned::load_from_str(text).map_err(|e| YamlProblem {
        line: e.marker().line(),
        reason: e.info().to_string(),
    })?;
    Ok(docs.iter().map(|d| convert(d, 0)).collect())
}

fn convert(node: &MarkedYamlOwned, depth: usize) -> Node {
    let line = node.span.start.line();
    // Deeply nested input is not a Sigma rule; cut it instead of recursing without end.
    if depth > 64 {
        return Node {
            line,
            data: NodeData::Null,
        };
    }
    let data = match &node.data {
        YamlDataOwned::Value(s) => scalar(s),
        YamlDataOwned::Representation(s, _, _) => NodeData::Str(s.clone()),
        YamlDataOwned::Sequence(items) => {
            NodeData::Seq(items.iter().map(|n| convert(n, depth + 1)).collect())
        }
        YamlDataOwned::Mapping(map) => NodeData::Map(
            map.iter()
                .map(|(k, v)| (key_text(k), convert(v, depth + 1)))
                .collect(),
        ),
        YamlDataOwned::Tagged(_, inner) => convert(inner, depth + 1).data,
        YamlDataOwned::Alias(_) | YamlDataOwned::BadValue => NodeData::Null,
    };
    Node { line, data }
}

fn scalar(s: &ScalarOwned) -> NodeData {
    match s {
        ScalarOwned::Null => NodeData::Null,
        ScalarOwned::Boolean(b) => NodeData::Bool(*b),
        ScalarOwned::Integer(i) => NodeData::Int(*i),
        ScalarOwned::FloatingPoint(f) => NodeData::Float(f.into_inner()),
        ScalarOwned::String(s) => NodeData::Str(s.clone()),
    }
}

fn key_text(key: &MarkedYamlOwned) -> String {
    match &key.data {
        YamlDataOwned::Value(s) => match scalar(s) {
            NodeData::Str(s) => s,
            NodeData::Int(i) => i.to_string(),
            NodeData::Float(f) => f.to_string(),
            NodeData::Bool(b) => b.to_string(),
            _ => String::new(),
        },
        YamlDataOwned::Representation(s, _, _) => s.clone(),
        _ => String::new(),
    }
}

impl Node {
    /// The value under `key` when this node is a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.data {
            NodeData::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The string content when this node is a string scalar.
    pub fn as_str(&self) -> Option<&str> {
        match &self.data {
            NodeData::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Scalar content rendered as text (strings, numbers, booleans).
    pub fn scalar_text(&self) -> Option<String> {
        match &self.data {
            NodeData::Str(s) => Some(s.clone()),
            NodeData::Int(i) => Some(i.to_string()),
            NodeData::Float(f) => Some(f.to_string()),
            NodeData::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    /// A string or a list of strings, as a list.
    pub fn string_list(&self) -> Option<Vec<String>> {
        match &self.data {
            NodeData::Seq(items) => items.iter().map(Node::scalar_text).collect(),
            _ => self.scalar_text().map(|s| vec![s]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_numbers_stay_strings_and_lines_are_kept() {
        let docs =
            load_documents("a: '40000'\nb: 40000\nc:\n  - x\n---\nd: ~\n").unwrap_or_default();
        assert_eq!(docs.len(), 2);
        let first = &docs[0];
        assert_eq!(
            first.get("a").map(|n| n.data.clone()),
            Some(NodeData::Str("40000".into()))
        );
        assert_eq!(
            first.get("b").map(|n| n.data.clone()),
            Some(NodeData::Int(40000))
        );
        assert_eq!(first.get("c").map(|n| n.line), Some(4));
        assert_eq!(
            docs[1].get("d").map(|n| n.data.clone()),
            Some(NodeData::Null)
        );
    }

    #[test]
    fn syntax_error_reports_line() {
        let err = load_documents("a: 1\nb: [unclosed\n");
        assert!(matches!(err, Err(YamlProblem { line, .. }) if line >= 2));
    }
}
