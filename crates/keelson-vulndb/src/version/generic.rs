//! A best-effort order for versions without a defined scheme (NVD vendor versions):
//! numeric runs compare as numbers, letter runs alphabetically ignoring case. A word that
//! names a pre-release (`alpha`, `beta`, `rc`, ...) sorts before the release it precedes;
//! any other word is a later letter release (`1.0.2` < `1.0.2a`, `9.8` < `9.8p1`).

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

/// Words that announce a pre-release wherever they appear.
const PRE_RELEASE: [&str; 9] = [
    "alpha",
    "beta",
    "rc",
    "pre",
    "preview",
    "dev",
    "snapshot",
    "milestone",
    "cr",
];

fn is_pre_release(word: &str) -> bool {
    PRE_RELEASE.iter().any(|p| word.starts_with(p))
}

/// What an absent run means against a present one: a missing number is 0, a
/// pre-release word comes before the release and any other word after it.
fn against_nothing(run: &Run<'_>) -> Ordering {
    match run {
        Run::Number(n) if n.bytes().all(|b| b == b'0') => Ordering::Equal,
        Run::Number(_) => Ordering::Greater,
        Run::Word(w) if is_pre_release(w) => Ordering::Less,
        Run::Word(_) => Ordering::Greater,
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
            // A number outranks a word in the same place: `1.0a` < `1.0.1`.
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
        assert_eq!(compare("1.0.2", "1.0.2a"), Ok(Ordering::Less));
        assert_eq!(compare("9.8p1", "9.8"), Ok(Ordering::Greater));
        assert_eq!(compare("1.0beta2", "1.0.1"), Ok(Ordering::Less));
        assert_eq!(compare("1.0a", "1.0.1"), Ok(Ordering::Less));
    }
}
