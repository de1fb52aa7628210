//! A best-effort order for versions of ecosystems without a defined scheme (NVD vendor
//! versions, unknown OSV ecosystems): numeric runs compare as numbers, letter runs
//! alphabetically ignoring case, and a trailing letter run marks a pre-release.

use std::cmp::Ordering;

use super::{cmp_digits, non_empty};
use crate::error::VersionError;

#[derive(Debug, PartialEq, Eq)]
enum Run<'a> {
    Number(&'a str),
    Word(String),
}

fn runs(text: &str) -> Vec<Run<'_>> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(first) = rest.chars().next() {
        if !first.is_alphanumeric() {
            rest = rest.get(first.len_utf8()..).unwrap_or("");
            continue;
        }
        let digit = first.is_ascii_digit();
        let end = rest
            .char_indices()
            .find(|(_, c)| !c.is_alphanumeric() || c.is_ascii_digit() != digit)
            .map_or(rest.len(), |(i, _)| i);
        let (run, tail) = rest.split_at(end);
        out.push(if digit {
            Run::Number(run)
        } else {
            Run::Word(run.to_lowercase())
        });
        rest = tail;
    }
    out
}

/// What an absent run means against a present one: a missing number is 0, and a version
/// that stops where the other continues with a word is the release of that pre-release.
fn against_nothing(run: &Run<'_>) -> Ordering {
    match run {
        Run::Number(n) if n.bytes().all(|b| b == b'0') => Ordering::Equal,
        Run::Number(_) => Ordering::Greater,
        Run::Word(_) => Ordering::Less,
    }
}

pub(super) fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    non_empty("generic", a)?;
    non_empty("generic", b)?;
    let (a, b) = (runs(a), runs(b));
    for i in 0..a.len().max(b.len()) {
        let order = match (a.get(i), b.get(i)) {
            (Some(Run::Number(x)), Some(Run::Number(y))) => cmp_digits(x, y),
            (Some(Run::Word(x)), Some(Run::Word(y))) => x.cmp(y),
            (Some(Run::Number(_)), Some(Run::Word(_))) => Ordering::Greater,
            (Some(Run::Word(_)), Some(Run::Number(_))) => Ordering::Less,
            (Some(x), None) => against_nothing(x),
            (None, Some(y)) => against_nothing(y).reverse(),
            (None, None) => Ordering::Equal,
        };
        if order != Ordering::Equal {
            return Ok(order);
        }
    }
    Ok(Ordering::Equal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_words() {
        assert_eq!(compare("1.10", "1.9"), Ok(Ordering::Greater));
        assert_eq!(compare("2.0rc1", "2.0"), Ok(Ordering::Less));
        assert_eq!(compare("2.0", "2.0.0"), Ok(Ordering::Equal));
        assert_eq!(compare("10.1", "10.1.1"), Ok(Ordering::Less));
    }
}
