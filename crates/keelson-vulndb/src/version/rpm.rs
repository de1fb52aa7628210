//! RPM version order: `rpmvercmp` over `[epoch:]version[-release]`, with `~` sorting
//! before the end of a version and `^` after it but before any further segment.

use std::cmp::Ordering;

use super::{cmp_digits, non_empty};
use crate::error::VersionError;

const SCHEME: &str = "rpm";

/// Split `[epoch:]version[-release]`; a missing epoch is 0.
fn split_evr(text: &str) -> Result<(&str, &str, &str), VersionError> {
    non_empty(SCHEME, text)?;
    let text = text.trim();

    let (epoch, rest) = match text.split_once(':') {
        Some((epoch, rest)) if epoch.bytes().all(|b| b.is_ascii_digit()) => (epoch, rest),
        Some(_) => {
            return Err(VersionError::version(
                SCHEME,
                text,
                0,
                "epoch is not a number",
            ));
        }
        None => ("0", text),
    };
    let (version, release) = rest.rsplit_once('-').unwrap_or((rest, ""));
    Ok((epoch, version, release))
}

pub(super) fn compare_evr(a: &str, b: &str) -> Result<Ordering, VersionError> {
    let (a_epoch, a_version, a_release) = split_evr(a)?;
    let (b_epoch, b_version, b_release) = split_evr(b)?;
    Ok(cmp_digits(a_epoch, b_epoch)
        .then_with(|| rpmvercmp(a_version, b_version))
        .then_with(|| rpmvercmp(a_release, b_release)))
}

fn is_separator(c: u8) -> bool {
    !c.is_ascii_alphanumeric() && c != b'~' && c != b'^'
}

/// The segment-by-segment comparison RPM uses for one version or release string.
pub(super) fn rpmvercmp(a: &str, b: &str) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    let (mut a, mut b) = (a.as_bytes(), b.as_bytes());
    loop {
        a = skip_separators(a);
        b = skip_separators(b);

        if let Some(order) = special_marks(a, b) {
            match order {
                Ordering::Equal => {
                    (a, b) = (a.get(1..).unwrap_or(&[]), b.get(1..).unwrap_or(&[]));
                    continue;
                }
                decided => return decided,
            }
        }
        if a.is_empty() || b.is_empty() {
            break;
        }

        let (order, a_rest, b_rest) = compare_segment(a, b);
        if order != Ordering::Equal {
            return order;
        }
        (a, b) = (a_rest, b_rest);
    }
    match (a.is_empty(), b.is_empty()) {
        (true, true) => Ordering::Equal,
        (false, _) => Ordering::Greater,
        (true, false) => Ordering::Less,
    }
}

fn skip_separators(s: &[u8]) -> &[u8] {
    let start = s.iter().position(|c| !is_separator(*c)).unwrap_or(s.len());
    s.get(start..).unwrap_or(&[])
}

/// The `~` and `^` rules; `Some(Equal)` means both carry the same mark and it is consumed.
fn special_marks(a: &[u8], b: &[u8]) -> Option<Ordering> {
    let (x, y) = (a.first().copied(), b.first().copied());
    if x == Some(b'~') || y == Some(b'~') {
        return Some(match (x == Some(b'~'), y == Some(b'~')) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Less,
            _ => Ordering::Greater,
        });
    }
    if x == Some(b'^') || y == Some(b'^') {
        return Some(match (x, y) {
            (None, _) => Ordering::Less,
            (_, None) => Ordering::Greater,
            (Some(b'^'), Some(b'^')) => Ordering::Equal,
            (Some(b'^'), _) => Ordering::Less,
            _ => Ordering::Greater,
        });
    }
    None
}

/// Compare one numeric or alphabetic segment; a number beats a word.
fn compare_segment<'a>(a: &'a [u8], b: &'a [u8]) -> (Ordering, &'a [u8], &'a [u8]) {
    let numeric = a.first().is_some_and(u8::is_ascii_digit);
    let keep = |c: &u8| {
        if numeric {
            c.is_ascii_digit()
        } else {
            c.is_ascii_alphabetic()
        }
    };
    let a_len = a.iter().position(|c| !keep(c)).unwrap_or(a.len());
    let b_len = b.iter().position(|c| !keep(c)).unwrap_or(b.len());
    let (a_seg, a_rest) = a.split_at(a_len);
    let (b_seg, b_rest) = b.split_at(b_len);

    if b_seg.is_empty() {
        let order = if numeric {
            Ordering::Greater
        } else {
            Ordering::Less
        };
        return (order, a_rest, b_rest);
    }
    let order = if numeric {
        cmp_digits(text(a_seg), text(b_seg))
    } else {
        a_seg.cmp(b_seg)
    };
    (order, a_rest, b_rest)
}

fn text(digits: &[u8]) -> &str {
    std::str::from_utf8(digits).unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tilde_and_caret_follow_rpm() {
        assert_eq!(rpmvercmp("1.0~rc1", "1.0"), Ordering::Less);
        assert_eq!(rpmvercmp("1.0^git1", "1.0"), Ordering::Greater);
        assert_eq!(rpmvercmp("1.0^git1", "1.0.1"), Ordering::Less);
        assert_eq!(rpmvercmp("1.0~rc1", "1.0~rc1"), Ordering::Equal);
    }

    #[test]
    fn numbers_beat_words_and_separators_do_not_count() {
        assert_eq!(rpmvercmp("1.0a", "1.0.1"), Ordering::Less);
        assert_eq!(rpmvercmp("1.0", "1_0"), Ordering::Equal);
        assert_eq!(rpmvercmp("2.0.1", "2.0.1a"), Ordering::Less);
    }

    #[test]
    fn epoch_and_release_are_compared() {
        assert_eq!(compare_evr("1:1.0-1", "2.0-1"), Ok(Ordering::Greater));
        assert_eq!(compare_evr("1.0-2.el8", "1.0-10.el8"), Ok(Ordering::Less));
    }
}
