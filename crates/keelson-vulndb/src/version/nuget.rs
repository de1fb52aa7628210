//! NuGet version order: up to four numeric parts (missing ones are 0), an optional
//! semver-style prerelease compared case-insensitively, build metadata ignored.

use std::cmp::Ordering;

use super::{cmp_digits, non_empty};
use crate::error::VersionError;

const SCHEME: &str = "nuget";

struct NuGetVersion<'a> {
    parts: [&'a str; 4],
    pre: Vec<&'a str>,
}

fn parse(text: &str) -> Result<NuGetVersion<'_>, VersionError> {
    non_empty(SCHEME, text)?;
    let trimmed = text.trim();
    let bare = trimmed.split_once('+').map_or(trimmed, |(v, _)| v);
    let (release, pre) = match bare.split_once('-') {
        Some((release, pre)) => (release, Some(pre)),
        None => (bare, None),
    };

    let mut parts = ["0"; 4];
    let numbers: Vec<&str> = release.split('.').collect();
    if numbers.len() > 4 {
        return Err(VersionError::version(
            SCHEME,
            text,
            0,
            "more than four numeric parts",
        ));
    }
    for (slot, number) in parts.iter_mut().zip(&numbers) {
        if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
            return Err(VersionError::version(
                SCHEME,
                text,
                0,
                "numeric part expected",
            ));
        }
        *slot = number;
    }
    let pre = match pre {
        Some(pre) => prerelease(text, pre)?,
        None => Vec::new(),
    };
    Ok(NuGetVersion { parts, pre })
}

fn prerelease<'a>(whole: &str, pre: &'a str) -> Result<Vec<&'a str>, VersionError> {
    let labels: Vec<&str> = pre.split('.').collect();
    let valid =
        |l: &&str| !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if labels.iter().all(valid) {
        Ok(labels)
    } else {
        Err(VersionError::version(
            SCHEME,
            whole,
            0,
            "bad prerelease label",
        ))
    }
}

fn compare_label(a: &str, b: &str) -> Ordering {
    let numeric = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    match (numeric(a), numeric(b)) {
        (true, true) => cmp_digits(a, b),
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
        (false, false) => a.to_ascii_lowercase().cmp(&b.to_ascii_lowercase()),
    }
}

fn compare_pre(a: &[&str], b: &[&str]) -> Ordering {
    match (a.is_empty(), b.is_empty()) {
        (true, true) => return Ordering::Equal,
        (true, false) => return Ordering::Greater,
        (false, true) => return Ordering::Less,
        (false, false) => {}
    }
    for (x, y) in a.iter().zip(b) {
        let order = compare_label(x, y);
        if order != Ordering::Equal {
            return order;
        }
    }
    a.len().cmp(&b.len())
}

pub(super) fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    let (a, b) = (parse(a)?, parse(b)?);
    let release = a
        .parts
        .iter()
        .zip(&b.parts)
        .map(|(x, y)| cmp_digits(x, y))
        .find(|o| *o != Ordering::Equal)
        .unwrap_or(Ordering::Equal);
    Ok(release.then_with(|| compare_pre(&a.pre, &b.pre)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn four_parts_and_missing_parts() {
        assert_eq!(compare("1.0", "1.0.0.0"), Ok(Ordering::Equal));
        assert_eq!(compare("1.0.0.1", "1.0.0"), Ok(Ordering::Greater));
    }

    #[test]
    fn prerelease_is_case_insensitive_and_before_release() {
        assert_eq!(compare("1.0.0-BETA", "1.0.0-beta"), Ok(Ordering::Equal));
        assert_eq!(compare("1.0.0-beta", "1.0.0"), Ok(Ordering::Less));
        assert_eq!(compare("1.0.0+build", "1.0.0"), Ok(Ordering::Equal));
    }
}
