//! Mandatory tests about versions, status and the revision history (6.1.14,
//! 6.1.16-6.1.22, 6.1.30). CSAF versions are integers or semantic versions.

use std::cmp::Ordering;
use std::collections::BTreeSet;

use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::Violation;
use crate::json::{items, text};

/// A document or revision version number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Version {
    Integer(u64),
    Semantic(semver::Version),
}

impl Version {
    pub(crate) fn parse(text: &str) -> Option<Self> {
        if let Ok(number) = text.parse::<u64>()
            && (text == "0" || !text.starts_with('0'))
        {
            return Some(Self::Integer(number));
        }
        semver::Version::parse(text).ok().map(Self::Semantic)
    }

    /// The integer, or the major part of a semantic version.
    fn major(&self) -> u64 {
        match self {
            Self::Integer(number) => *number,
            Self::Semantic(version) => version.major,
        }
    }

    fn is_pre_release(&self) -> bool {
        matches!(self, Self::Semantic(v) if !v.pre.is_empty())
    }

    /// `0` or `0.y.z`: not yet released.
    fn is_zero(&self) -> bool {
        self.major() == 0
    }

    /// Precedence (build metadata ignored); `None` across schemes.
    fn precedence(&self, other: &Self) -> Option<Ordering> {
        match (self, other) {
            (Self::Integer(a), Self::Integer(b)) => Some(a.cmp(b)),
            (Self::Semantic(a), Self::Semantic(b)) => Some(a.cmp_precedence(b)),
            _ => None,
        }
    }

    /// Equal after dropping build metadata, and the pre-release part too if asked.
    fn same_as(&self, other: &Self, ignore_pre_release: bool) -> bool {
        match (self, other) {
            (Self::Integer(a), Self::Integer(b)) => a == b,
            (Self::Semantic(a), Self::Semantic(b)) => {
                let core = (a.major, a.minor, a.patch) == (b.major, b.minor, b.patch);
                core && (ignore_pre_release || a.pre == b.pre)
            }
            _ => false,
        }
    }
}

/// An RFC 3339 timestamp as nanoseconds since the epoch.
pub(crate) fn instant(text: &str) -> Option<i128> {
    OffsetDateTime::parse(text, &Rfc3339)
        .ok()
        .map(OffsetDateTime::unix_timestamp_nanos)
}

/// One revision history item.
struct Revision<'a> {
    index: usize,
    number_text: &'a str,
    number: Option<Version>,
    date: Option<i128>,
}

fn revisions(document: &Value) -> Vec<Revision<'_>> {
    let history = document
        .get("document")
        .and_then(|d| d.get("tracking"))
        .map(|t| items(t, "revision_history"))
        .unwrap_or(&[]);
    history
        .iter()
        .enumerate()
        .filter_map(|(index, item)| {
            let number_text = text(item, "number")?;
            Some(Revision {
                index,
                number_text,
                number: Version::parse(number_text),
                date: text(item, "date").and_then(instant),
            })
        })
        .collect()
}

fn revision_path(index: usize) -> String {
    format!("/document/tracking/revision_history/{index}/number")
}

fn tracking_text<'a>(document: &'a Value, key: &str) -> Option<&'a str> {
    document
        .get("document")
        .and_then(|d| d.get("tracking"))
        .and_then(|t| text(t, key))
}

fn document_version(document: &Value) -> Option<Version> {
    tracking_text(document, "version").and_then(Version::parse)
}

fn is_released(document: &Value) -> bool {
    matches!(tracking_text(document, "status"), Some("final" | "interim"))
}

/// The history sorted by date, then number; `None`
/// when a date does not read (the schema reports that).
fn by_date<'a, 'b>(history: &'b [Revision<'a>]) -> Option<Vec<&'b Revision<'a>>> {
    let mut sorted: Vec<&Revision> = history.iter().collect();
    if sorted.iter().any(|r| r.date.is_none()) {
        return None;
    }
    // Equal dates say nothing about order, so within one date the numbers ascend.
    sorted.sort_by(|a, b| {
        let by_number = match (&a.number, &b.number) {
            (Some(x), Some(y)) => x.precedence(y).unwrap_or(Ordering::Equal),
            _ => Ordering::Equal,
        };
        a.date.cmp(&b.date).then(by_number)
    });
    Some(sorted)
}

/// 6.1.14 Sorted Revision History: sorted by date, the numbers ascend.
pub(crate) fn sorted_history(document: &Value) -> Vec<Violation> {
    let history = revisions(document);
    let Some(sorted) = by_date(&history) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for pair in sorted.windows(2) {
        let (Some(earlier), Some(later)) = (&pair[0].number, &pair[1].number) else {
            continue;
        };
        if earlier.precedence(later) == Some(Ordering::Greater) {
            let message = format!(
                "revision {} is dated after revision {} but numbered below it",
                pair[1].number_text, pair[0].number_text
            );
            out.push(Violation::new(
                "6.1.14",
                revision_path(pair[1].index),
                message,
            ));
        }
    }
    out
}

/// 6.1.16 Latest Document Version: the document version is the number of the newest
/// revision (by date, then by number), build metadata ignored, and for drafts the
/// pre-release part too.
pub(crate) fn latest_document_version(document: &Value) -> Vec<Violation> {
    let history = revisions(document);
    let (Some(version), Some(sorted)) = (document_version(document), by_date(&history)) else {
        return Vec::new();
    };
    let newest_date = sorted.last().and_then(|r| r.date);
    let newest = sorted
        .iter()
        .filter(|r| r.date == newest_date)
        .filter_map(|r| r.number.as_ref().map(|n| (r, n)))
        .max_by(|a, b| a.1.precedence(b.1).unwrap_or(Ordering::Equal));
    let Some((revision, number)) = newest else {
        return Vec::new();
    };
    let draft = tracking_text(document, "status") == Some("draft");
    if version.same_as(number, draft) {
        return Vec::new();
    }
    let message = format!(
        "the document version differs from the newest revision's number {}",
        revision.number_text
    );
    vec![Violation::new(
        "6.1.16",
        "/document/tracking/version",
        message,
    )]
}

/// 6.1.17 Document Status Draft: version 0, 0.y.z or a pre-release means draft.
pub(crate) fn draft_status(document: &Value) -> Vec<Violation> {
    let Some(version) = document_version(document) else {
        return Vec::new();
    };
    let unreleased = version.is_zero() || version.is_pre_release();
    if unreleased && tracking_text(document, "status").is_some_and(|s| s != "draft") {
        let message = "a version 0, 0.y.z or pre-release document must have status draft";
        return vec![Violation::new(
            "6.1.17",
            "/document/tracking/status",
            message,
        )];
    }
    Vec::new()
}

/// 6.1.18 Released Revision History: a final or interim document has no revision
/// numbered 0 or 0.y.z.
pub(crate) fn released_history(document: &Value) -> Vec<Violation> {
    if !is_released(document) {
        return Vec::new();
    }
    revisions(document)
        .iter()
        .filter(|r| r.number.as_ref().is_some_and(Version::is_zero))
        .map(|r| {
            let message = format!("a final or interim document has revision {}", r.number_text);
            Violation::new("6.1.18", revision_path(r.index), message)
        })
        .collect()
}

/// 6.1.19 Revision History Entries for Pre-release Versions.
pub(crate) fn pre_release_revisions(document: &Value) -> Vec<Violation> {
    revisions(document)
        .iter()
        .filter(|r| r.number.as_ref().is_some_and(Version::is_pre_release))
        .map(|r| {
            let message = format!("revision {} is a pre-release", r.number_text);
            Violation::new("6.1.19", revision_path(r.index), message)
        })
        .collect()
}

/// 6.1.20 Non-draft Document Version: final and interim documents are no pre-release.
pub(crate) fn non_draft_version(document: &Value) -> Vec<Violation> {
    let pre_release = document_version(document).is_some_and(|v| v.is_pre_release());
    if is_released(document) && pre_release {
        let message = "a final or interim document must not have a pre-release version";
        return vec![Violation::new(
            "6.1.20",
            "/document/tracking/version",
            message,
        )];
    }
    Vec::new()
}

/// 6.1.21 Missing Item in Revision History: sorted by number, the (major) numbers
/// start at 0 or 1 and step by at most one.
pub(crate) fn missing_revision(document: &Value) -> Vec<Violation> {
    let history = revisions(document);
    let mut numbered: Vec<(&Revision, u64)> = history
        .iter()
        .filter_map(|r| r.number.as_ref().map(|n| (r, n.major())))
        .collect();
    numbered.sort_by_key(|(_, major)| *major);
    let mut out = Vec::new();
    if let Some((first, major)) = numbered.first()
        && *major > 1
    {
        let message = format!("the revision history starts at {}", first.number_text);
        out.push(Violation::new(
            "6.1.21",
            revision_path(first.index),
            message,
        ));
    }
    for pair in numbered.windows(2) {
        if pair[1].1 > pair[0].1 + 1 {
            let message = format!(
                "no revision between {} and {}",
                pair[0].0.number_text, pair[1].0.number_text
            );
            out.push(Violation::new(
                "6.1.21",
                revision_path(pair[1].0.index),
                message,
            ));
        }
    }
    out
}

/// 6.1.22 Multiple Definition in Revision History.
pub(crate) fn repeated_revision(document: &Value) -> Vec<Violation> {
    let mut seen = BTreeSet::new();
    revisions(document)
        .iter()
        .filter(|r| !seen.insert(r.number_text))
        .map(|r| {
            let message = format!("revision {} appears twice", r.number_text);
            Violation::new("6.1.22", revision_path(r.index), message)
        })
        .collect()
}

/// 6.1.30 Mixing Integer and Semantic Versioning.
pub(crate) fn mixed_versioning(document: &Value) -> Vec<Violation> {
    let Some(version) = document_version(document) else {
        return Vec::new();
    };
    let integer = matches!(version, Version::Integer(_));
    revisions(document)
        .iter()
        .filter(|r| {
            r.number
                .as_ref()
                .is_some_and(|n| matches!(n, Version::Integer(_)) != integer)
        })
        .map(|r| {
            let message = format!(
                "revision {} does not use the document version's scheme",
                r.number_text
            );
            Violation::new("6.1.30", revision_path(r.index), message)
        })
        .collect()
}
