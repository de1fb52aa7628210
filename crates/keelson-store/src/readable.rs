//! The TLP reading rule of `Principal::may_read` as a SQL condition, so that
//! a page or a count over a large table is cut down in the database rather
//! than after every row has been read into memory.
//!
//! The condition is a *superset* of what the reader may read, never a
//! subset: a row's label alone decides for most rows (every label but RED
//! for an internal role, CLEAR and GREEN for a partner), but a RED row, or
//! an AMBER row for a partner, depends on its audience lists, which are kept
//! as JSON arrays of text. For those the condition only asks that the list's
//! text contain the reader's JSON-quoted name, and `may_read` decides each
//! such row exactly once it is read. Callers therefore always pass what they
//! read through [`Readable::admits`] (or count it per marking and check each
//! marking); the database never has the last word on clearance.

use keelson_core::{Marking, Principal, Tlp};
use sea_orm::sea_query::LikeExpr;
use sea_orm::{ColumnTrait, Condition};

use crate::StoreError;
use crate::marking::marking_from_columns;

/// The three marking columns of one table.
#[derive(Debug, Clone, Copy)]
pub(crate) struct MarkingOf<C> {
    pub tlp: C,
    pub shared_with_orgs: C,
    pub named_readers: C,
}

/// A reader, as the store narrows queries for them.
#[derive(Debug, Clone)]
pub struct Readable<'a> {
    reader: &'a Principal,
}

impl<'a> Readable<'a> {
    pub fn by(reader: &'a Principal) -> Self {
        Self { reader }
    }

    /// The exact rule, for each row the condition let through.
    pub fn admits(&self, marking: &Marking) -> bool {
        self.reader.may_read(marking)
    }

    /// [`Self::admits`] for a marking still in its columns.
    pub(crate) fn admits_columns(
        &self,
        tlp: &str,
        shared_with_orgs: &str,
        named_readers: &str,
    ) -> Result<bool, StoreError> {
        let label: Tlp = tlp
            .parse()
            .map_err(|error| StoreError::Corrupt(format!("{error}")))?;
        if let Some(decided) = self.reader.decides_by_label(label) {
            return Ok(decided);
        }
        let marking = marking_from_columns(tlp, shared_with_orgs, named_readers)?;
        Ok(self.admits(&marking))
    }

    /// Rows the reader may perhaps read: every row they may read, and
    /// possibly a few that [`Self::admits`] then refuses.
    pub(crate) fn condition<C: ColumnTrait>(&self, columns: MarkingOf<C>) -> Condition {
        let named_here = Condition::all().add(columns.tlp.eq(Tlp::Red.as_str())).add(
            columns
                .named_readers
                .like(contains_quoted(&self.reader.user)),
        );
        let mut any = Condition::any().add(named_here);
        if self.reader.role.is_internal() {
            return any.add(columns.tlp.ne(Tlp::Red.as_str()));
        }
        any = any.add(
            columns
                .tlp
                .is_in([Tlp::Clear.as_str(), Tlp::Green.as_str()]),
        );
        if let Some(organisation) = &self.reader.organisation {
            let shared_here = Condition::all()
                .add(
                    columns
                        .tlp
                        .is_in([Tlp::Amber.as_str(), Tlp::AmberStrict.as_str()]),
                )
                .add(columns.shared_with_orgs.like(contains_quoted(organisation)));
            any = any.add(shared_here);
        }
        any
    }
}

/// A LIKE pattern for a JSON array's text that holds `name` as an element:
/// the name as JSON writes it, quotes included, with LIKE's wildcards
/// escaped.
fn contains_quoted(name: &str) -> LikeExpr {
    let quoted = serde_json::to_string(name).unwrap_or_default();
    let mut pattern = String::with_capacity(quoted.len() + 2);
    pattern.push('%');
    for character in quoted.chars() {
        if matches!(character, '%' | '_' | '!') {
            pattern.push('!');
        }
        pattern.push(character);
    }
    pattern.push('%');
    LikeExpr::new(pattern).escape('!')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pattern_escapes_like_wildcards_and_keeps_the_json_quotes() {
        let pattern = contains_quoted("a_b%c!d\"e");
        let expected = LikeExpr::new(r#"%"a!_b!%c!!d\"e"%"#).escape('!');
        assert_eq!(format!("{pattern:?}"), format!("{expected:?}"));
    }
}
