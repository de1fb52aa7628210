//! Alpine apk-tools version order: `1.2.3a_rc1_p2-r4`, where `_alpha`, `_beta`, `_pre`
//! and `_rc` come before the release and `_cvs`, `_svn`, `_git`, `_hg`, `_p` after it.

use std::cmp::Ordering;

use super::non_empty;
use crate::error::VersionError;

/// Token kinds in apk-tools order; the order decides which of two versions that agree
/// up to a point is the greater one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Invalid,
    DigitOrZero,
    Digit,
    Letter,
    Suffix,
    SuffixNumber,
    Revision,
    End,
}

#[derive(Debug, Clone, Copy)]
struct Token {
    kind: Kind,
    value: i64,
}

const PRE_SUFFIXES: [&str; 4] = ["alpha", "beta", "pre", "rc"];
const POST_SUFFIXES: [&str; 5] = ["cvs", "svn", "git", "hg", "p"];

/// Read the value of a token of kind `kind` at the start of `s`.
fn read_value(kind: Kind, s: &[u8]) -> (i64, usize, Option<Kind>) {
    match kind {
        Kind::DigitOrZero if s.first() == Some(&b'0') => {
            // A component with leading zeros sorts as a fraction: 1.01 < 1.1.
            let zeros = s.iter().take_while(|c| **c == b'0').count();
            (-(zeros as i64), zeros, Some(Kind::Digit))
        }
        Kind::DigitOrZero | Kind::Digit | Kind::SuffixNumber | Kind::Revision => {
            let len = s.iter().take_while(|c| c.is_ascii_digit()).count();
            if len >= 18 {
                return (0, len, Some(Kind::Invalid));
            }
            let value = s
                .iter()
                .take(len)
                .fold(0i64, |v, c| v * 10 + i64::from(c - b'0'));
            (value, len, None)
        }
        Kind::Letter => (s.first().map_or(0, |c| i64::from(*c)), 1, None),
        Kind::Suffix => suffix_value(s),
        Kind::Invalid | Kind::End => (0, 0, Some(Kind::Invalid)),
    }
}

fn suffix_value(s: &[u8]) -> (i64, usize, Option<Kind>) {
    let found = |list: &[&str]| list.iter().position(|p| s.starts_with(p.as_bytes()));
    if let Some(i) = found(&PRE_SUFFIXES) {
        let len = PRE_SUFFIXES.get(i).map_or(0, |p| p.len());
        return (i as i64 - PRE_SUFFIXES.len() as i64, len, None);
    }
    if let Some(i) = found(&POST_SUFFIXES) {
        let len = POST_SUFFIXES.get(i).map_or(0, |p| p.len());
        return (i as i64, len, None);
    }
    (-1, 0, Some(Kind::Invalid))
}

/// Decide the kind of the next token from the separator or character that starts it.
fn next_kind(current: Kind, s: &[u8]) -> (Kind, usize) {
    let Some(&first) = s.first() else {
        return (Kind::End, 0);
    };
    let digit_like = matches!(current, Kind::Digit | Kind::DigitOrZero);
    let (next, skip) = if digit_like && first.is_ascii_lowercase() {
        (Kind::Letter, 0)
    } else if current == Kind::Letter && first.is_ascii_digit() {
        (Kind::Digit, 0)
    } else if current == Kind::Suffix && first.is_ascii_digit() {
        (Kind::SuffixNumber, 0)
    } else {
        match (first, s.get(1)) {
            (b'.', _) => (Kind::DigitOrZero, 1),
            (b'_', _) => (Kind::Suffix, 1),
            (b'-', Some(b'r')) => (Kind::Revision, 2),
            _ => (Kind::Invalid, 1),
        }
    };
    (allowed_after(current, next), skip)
}

/// apk-tools refuses to go back to an earlier kind, except for the listed cycles.
fn allowed_after(current: Kind, next: Kind) -> Kind {
    let cycle = matches!(
        (current, next),
        (Kind::Digit, Kind::DigitOrZero)
            | (Kind::SuffixNumber, Kind::Suffix)
            | (Kind::Letter, Kind::Digit)
    );
    if next < current && !cycle {
        Kind::Invalid
    } else {
        next
    }
}

fn tokenize(text: &str) -> Vec<Token> {
    let mut s = text.as_bytes();
    let mut kind = Kind::Digit;
    let mut tokens = Vec::new();
    while !matches!(kind, Kind::End | Kind::Invalid) {
        let (value, used, forced) = read_value(kind, s);
        tokens.push(Token { kind, value });
        s = s.get(used..).unwrap_or(&[]);
        kind = match forced {
            _ if s.is_empty() => Kind::End,
            Some(k) => k,
            None => {
                let (k, skip) = next_kind(kind, s);
                s = s.get(skip..).unwrap_or(&[]);
                k
            }
        };
    }
    tokens.push(Token { kind, value: 0 });
    tokens
}

pub(super) fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    for text in [a, b] {
        non_empty("alpine", text)?;
        if !text.as_bytes().first().is_some_and(u8::is_ascii_digit) {
            return Err(VersionError::version(
                "alpine",
                text,
                0,
                "must start with a digit",
            ));
        }
    }
    Ok(compare_tokens(&tokenize(a.trim()), &tokenize(b.trim())))
}

/// Walk both token lists while they agree, then let the first difference decide.
fn compare_tokens(a: &[Token], b: &[Token]) -> Ordering {
    let kind_at = |t: &[Token], i: usize| t.get(i).map_or(Kind::End, |t| t.kind);
    let value_at = |t: &[Token], i: usize| t.get(i).map_or(0, |t| t.value);
    let (mut i, mut av, mut bv) = (0, 0, 0);
    let (mut at, mut bt) = (kind_at(a, 0), kind_at(b, 0));
    while at == bt && !matches!(at, Kind::End | Kind::Invalid) && av == bv {
        (av, bv) = (value_at(a, i), value_at(b, i));
        i += 1;
        (at, bt) = (kind_at(a, i), kind_at(b, i));
    }

    if av != bv {
        return av.cmp(&bv);
    }
    if at == bt {
        return Ordering::Equal;
    }
    if at == Kind::Suffix && value_at(a, i) < 0 {
        return Ordering::Less;
    }
    if bt == Kind::Suffix && value_at(b, i) < 0 {
        return Ordering::Greater;
    }
    bt.cmp(&at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pre_suffix_sorts_before_release_and_post_after() {
        assert_eq!(compare("1.6_rc1-r0", "1.6-r0"), Ok(Ordering::Less));
        assert_eq!(compare("1.6_p1", "1.6"), Ok(Ordering::Greater));
        assert_eq!(compare("1.6_alpha", "1.6_beta"), Ok(Ordering::Less));
    }

    #[test]
    fn revision_orders_builds() {
        assert_eq!(compare("1.6-r1", "1.6-r0"), Ok(Ordering::Greater));
        assert_eq!(compare("1.6", "1.6-r1"), Ok(Ordering::Less));
    }
}
