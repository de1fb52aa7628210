//! Debian version order (Debian Policy 5.6.12): `[epoch:]upstream[-revision]`, where `~`
//! sorts before everything, even the end of the string.

use std::cmp::Ordering;

use super::{cmp_digits, non_empty};
use crate::error::VersionError;

const SCHEME: &str = "debian";

struct DebVersion<'a> {
    epoch: &'a str,
    upstream: &'a str,
    revision: &'a str,
}

fn parse(text: &str) -> Result<DebVersion<'_>, VersionError> {
    non_empty(SCHEME, text)?;
    let text = text.trim();

    let (epoch, rest) = match text.split_once(':') {
        Some((epoch, rest)) => (epoch, rest),
        None => ("0", text),
    };
    if epoch.is_empty() || !epoch.bytes().all(|b| b.is_ascii_digit()) {
        return Err(VersionError::version(
            SCHEME,
            text,
            0,
            "epoch is not a number",
        ));
    }

    let (upstream, revision) = match rest.rsplit_once('-') {
        Some((_, "")) => {
            return Err(VersionError::version(
                SCHEME,
                text,
                text.len(),
                "empty revision",
            ));
        }
        Some((upstream, revision)) => (upstream, revision),
        None => (rest, ""),
    };
    check_upstream(text, upstream)?;
    check_chars(text, revision, "+.~")?;
    Ok(DebVersion {
        epoch,
        upstream,
        revision,
    })
}

fn check_upstream(whole: &str, upstream: &str) -> Result<(), VersionError> {
    if !upstream.bytes().next().is_some_and(|b| b.is_ascii_digit()) {
        return Err(VersionError::version(
            SCHEME,
            whole,
            0,
            "upstream must start with a digit",
        ));
    }
    check_chars(whole, upstream, ".+-~:")
}

fn check_chars(whole: &str, part: &str, allowed: &str) -> Result<(), VersionError> {
    let bad = part
        .char_indices()
        .find(|(_, c)| !c.is_ascii_alphanumeric() && !allowed.contains(*c));
    match bad {
        Some((at, _)) => Err(VersionError::version(
            SCHEME,
            whole,
            at,
            "character not allowed",
        )),
        None => Ok(()),
    }
}

/// Weight of one character in the non-digit part of a version.
fn weight(c: Option<u8>) -> i32 {
    match c {
        Some(b'~') => -1,
        None => 0,
        Some(c) if c.is_ascii_alphabetic() => i32::from(c),
        Some(c) => i32::from(c) + 256,
    }
}

/// The dpkg comparison of one part: alternating non-digit and digit runs.
fn compare_part(a: &str, b: &str) -> Ordering {
    let (mut a, mut b) = (a.as_bytes(), b.as_bytes());
    while !a.is_empty() || !b.is_empty() {
        let (a_word, a_rest) = split_run(a, |c| !c.is_ascii_digit());
        let (b_word, b_rest) = split_run(b, |c| !c.is_ascii_digit());
        let word = compare_words(a_word, b_word);
        if word != Ordering::Equal {
            return word;
        }

        let (a_num, a_rest) = split_run(a_rest, |c| c.is_ascii_digit());
        let (b_num, b_rest) = split_run(b_rest, |c| c.is_ascii_digit());
        let num = cmp_digits(as_str(a_num), as_str(b_num));
        if num != Ordering::Equal {
            return num;
        }
        (a, b) = (a_rest, b_rest);
    }
    Ordering::Equal
}

fn compare_words(a: &[u8], b: &[u8]) -> Ordering {
    let len = a.len().max(b.len());
    (0..len)
        .map(|i| weight(a.get(i).copied()).cmp(&weight(b.get(i).copied())))
        .find(|o| *o != Ordering::Equal)
        .unwrap_or(Ordering::Equal)
}

fn split_run(s: &[u8], keep: impl Fn(u8) -> bool) -> (&[u8], &[u8]) {
    let end = s.iter().position(|c| !keep(*c)).unwrap_or(s.len());
    s.split_at(end)
}

fn as_str(digits: &[u8]) -> &str {
    std::str::from_utf8(digits).unwrap_or("")
}

pub(super) fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    let (a, b) = (parse(a)?, parse(b)?);
    Ok(cmp_digits(a.epoch, b.epoch)
        .then_with(|| compare_part(a.upstream, b.upstream))
        .then_with(|| compare_part(a.revision, b.revision)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tilde_sorts_before_release() {
        assert_eq!(compare("1.0~rc1", "1.0"), Ok(Ordering::Less));
        assert_eq!(compare("1.0~~", "1.0~"), Ok(Ordering::Less));
    }

    #[test]
    fn epoch_outranks_upstream() {
        assert_eq!(compare("2:9.0.0", "8.4.0"), Ok(Ordering::Greater));
        assert_eq!(compare("1:0.5", "2.0"), Ok(Ordering::Greater));
    }

    #[test]
    fn letters_sort_before_other_symbols() {
        assert_eq!(compare("1.0a", "1.0+"), Ok(Ordering::Less));
        assert_eq!(compare("1.0-1", "1.0-1ubuntu1"), Ok(Ordering::Less));
    }

    #[test]
    fn missing_digit_run_counts_as_zero() {
        // dpkg's comparison skips leading zeros and treats an absent number as 0, so a
        // trailing dot changes nothing; debversion 0.4.8 orders these two differently.
        assert_eq!(compare("1.0.", "1.0.0"), Ok(Ordering::Equal));
    }

    #[test]
    fn invalid_versions_are_refused() {
        assert!(compare("1.0-", "1.0").is_err());
        assert!(compare("-1", "1.0").is_err());
        assert!(compare(":1.0", "1.0").is_err());
        assert!(compare("1:a", "1.0").is_err());
        assert!(compare("a1.0", "1.0").is_err());
        assert!(compare("x:1.0", "1.0").is_err());
        assert!(compare("", "1.0").is_err());
    }
}
