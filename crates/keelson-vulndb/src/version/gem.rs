//! RubyGems `Gem::Version` order: segments of digits or letters, a letter segment marks
//! a prerelease, and trailing zeros do not count (`1.0` equals `1`).

use std::cmp::Ordering;

use super::{cmp_digits, non_empty};
use crate::error::VersionError;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Number(String),
    Word(String),
}

fn is_zero(s: &Segment) -> bool {
    matches!(s, Segment::Number(n) if n.bytes().all(|b| b == b'0'))
}

fn segments(text: &str) -> Result<Vec<Segment>, VersionError> {
    non_empty("rubygems", text)?;
    let text = text.trim();
    let valid = text
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
    if !valid || !text.as_bytes().first().is_some_and(u8::is_ascii_digit) {
        return Err(VersionError::version(
            "rubygems",
            text,
            0,
            "malformed version",
        ));
    }

    // RubyGems reads `-` as the start of a prerelease: `1.0-rc1` is `1.0.pre.rc1`.
    Ok(canonical(split_runs(&text.replace('-', ".pre."))))
}

/// Cut the text into runs of digits and runs of letters; anything else separates.
fn split_runs(text: &str) -> Vec<Segment> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(first) = rest.chars().next() {
        if !first.is_ascii_alphanumeric() {
            rest = rest.get(first.len_utf8()..).unwrap_or("");
            continue;
        }
        let digit = first.is_ascii_digit();
        let same = |c: char| {
            if digit {
                c.is_ascii_digit()
            } else {
                c.is_ascii_alphabetic()
            }
        };
        let (run, tail) = rest.split_at(rest.find(|c: char| !same(c)).unwrap_or(rest.len()));
        out.push(if digit {
            Segment::Number(run.into())
        } else {
            Segment::Word(run.into())
        });
        rest = tail;
    }
    out
}

/// Drop trailing zeros of the release part and of the prerelease part separately.
fn canonical(segments: Vec<Segment>) -> Vec<Segment> {
    let split = segments.iter().position(|s| matches!(s, Segment::Word(_)));
    let (mut release, mut pre) = match split {
        Some(at) => {
            let mut release = segments;
            let pre = release.split_off(at);
            (release, pre)
        }
        None => (segments, Vec::new()),
    };
    while release.last().is_some_and(is_zero) {
        release.pop();
    }
    while pre.last().is_some_and(is_zero) {
        pre.pop();
    }
    release.extend(pre);
    release
}

pub(super) fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    let (a, b) = (segments(a)?, segments(b)?);
    let zero = Segment::Number("0".into());
    for i in 0..a.len().max(b.len()) {
        let x = a.get(i).unwrap_or(&zero);
        let y = b.get(i).unwrap_or(&zero);
        let order = match (x, y) {
            (Segment::Number(x), Segment::Number(y)) => cmp_digits(x, y),
            (Segment::Word(_), Segment::Number(_)) => Ordering::Less,
            (Segment::Number(_), Segment::Word(_)) => Ordering::Greater,
            (Segment::Word(x), Segment::Word(y)) => x.cmp(y),
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
    fn prerelease_letters_sort_first() {
        assert_eq!(compare("1.0.a", "1.0"), Ok(Ordering::Less));
        assert_eq!(compare("1.0.0-rc1", "1.0.0"), Ok(Ordering::Less));
        assert_eq!(compare("1.0.0", "1"), Ok(Ordering::Equal));
        assert_eq!(compare("1.10", "1.9"), Ok(Ordering::Greater));
    }
}
