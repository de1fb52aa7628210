//! How a TLP [`Marking`] is kept in a row: the label as text and the named
//! audience as JSON arrays, so that both databases store it the same way.

use keelson_core::{Marking, Tlp};

use crate::StoreError;

/// The three marking columns of a row.
pub(crate) struct MarkingColumns {
    pub tlp: String,
    pub shared_with_orgs: String,
    pub named_readers: String,
}

impl MarkingColumns {
    pub fn from_marking(marking: &Marking) -> Self {
        Self {
            tlp: marking.tlp.as_str().to_owned(),
            shared_with_orgs: json_list(&marking.shared_with_orgs),
            named_readers: json_list(&marking.named_readers),
        }
    }
}

/// Reads a marking back from its columns.
pub(crate) fn marking_from_columns(
    tlp: &str,
    shared_with_orgs: &str,
    named_readers: &str,
) -> Result<Marking, StoreError> {
    let tlp: Tlp = tlp
        .parse()
        .map_err(|error| StoreError::Corrupt(format!("{error}")))?;
    Ok(Marking {
        tlp,
        shared_with_orgs: parse_list(shared_with_orgs)?,
        named_readers: parse_list(named_readers)?,
    })
}

fn json_list(items: &[String]) -> String {
    serde_json::to_string(items).unwrap_or_else(|_| "[]".to_owned())
}

fn parse_list(text: &str) -> Result<Vec<String>, StoreError> {
    serde_json::from_str(text)
        .map_err(|error| StoreError::Corrupt(format!("marking list {text:?}: {error}")))
}
