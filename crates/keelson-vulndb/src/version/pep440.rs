//! Python PEP 440 versions: `[N!]N(.N)*[{a|b|rc}N][.postN][.devN][+local]`, with the
//! spelling variants the specification normalises (`alpha`, `c`, `-1`, `_`, `v`).

use std::cmp::Ordering;

use super::{cmp_digits, non_empty};
use crate::error::VersionError;

const SCHEME: &str = "pep440";

/// A number kept as its digits so that no version overflows.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Num(String);

impl Ord for Num {
    fn cmp(&self, other: &Self) -> Ordering {
        cmp_digits(&self.0, &other.0)
    }
}

impl PartialOrd for Num {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// A local-version segment: words sort before numbers (as `packaging` does).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum LocalPart {
    Word(String),
    Number(Num),
}

/// Pre-release kind in release order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum PreKind {
    Alpha,
    Beta,
    Rc,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Pep440 {
    epoch: Num,
    release: Vec<Num>,
    pre: Option<(PreKind, Num)>,
    post: Option<Num>,
    dev: Option<Num>,
    local: Vec<LocalPart>,
}

/// A cursor over the lowercased version text.
struct Cursor<'a> {
    s: &'a str,
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn rest(&self) -> &'a str {
        self.s.get(self.pos..).unwrap_or("")
    }

    fn eat(&mut self, word: &str) -> bool {
        let hit = self.rest().starts_with(word);
        if hit {
            self.pos += word.len();
        }
        hit
    }

    fn eat_separator(&mut self) -> bool {
        self.eat(".") || self.eat("-") || self.eat("_")
    }

    fn number(&mut self) -> Option<Num> {
        let len = self.rest().bytes().take_while(u8::is_ascii_digit).count();
        let digits = self.rest().get(..len).filter(|d| !d.is_empty())?;
        self.pos += len;
        Some(Num(digits.to_owned()))
    }

    /// Try `parse`; on failure put the cursor back where it was.
    fn attempt<T>(&mut self, parse: impl FnOnce(&mut Self) -> Option<T>) -> Option<T> {
        let start = self.pos;
        let found = parse(self);
        if found.is_none() {
            self.pos = start;
        }
        found
    }
}

fn parse(text: &str) -> Result<Pep440, VersionError> {
    non_empty(SCHEME, text)?;
    let lower = text.trim().to_ascii_lowercase();
    let mut c = Cursor { s: &lower, pos: 0 };
    c.eat("v");

    let (epoch, release) = epoch_and_release(&mut c)
        .ok_or_else(|| VersionError::version(SCHEME, text, c.pos, "expected a release number"))?;
    let pre = c.attempt(pre_release);
    let post = c.attempt(post_release);
    let dev = c.attempt(dev_release);
    let local = if c.eat("+") {
        local_parts(&mut c)
    } else {
        Some(Vec::new())
    };

    match local {
        Some(local) if c.rest().is_empty() => Ok(Pep440 {
            epoch,
            release,
            pre,
            post,
            dev,
            local,
        }),
        _ => Err(VersionError::version(
            SCHEME,
            text,
            c.pos,
            "unexpected text",
        )),
    }
}

fn epoch_and_release(c: &mut Cursor<'_>) -> Option<(Num, Vec<Num>)> {
    let first = c.number()?;
    let (epoch, first) = if c.eat("!") {
        (first, c.number()?)
    } else {
        (Num("0".into()), first)
    };
    let mut release = vec![first];
    while let Some(n) = c.attempt(|c| if c.eat(".") { c.number() } else { None }) {
        release.push(n);
    }
    Some((epoch, release))
}

fn pre_release(c: &mut Cursor<'_>) -> Option<(PreKind, Num)> {
    c.eat_separator();
    let kind = [
        ("alpha", PreKind::Alpha),
        ("a", PreKind::Alpha),
        ("beta", PreKind::Beta),
        ("b", PreKind::Beta),
        ("preview", PreKind::Rc),
        ("pre", PreKind::Rc),
        ("rc", PreKind::Rc),
        ("c", PreKind::Rc),
    ]
    .into_iter()
    .find(|(word, _)| c.eat(word))
    .map(|(_, kind)| kind)?;
    Some((kind, optional_number(c)))
}

fn post_release(c: &mut Cursor<'_>) -> Option<Num> {
    if c.eat("-")
        && let Some(n) = c.attempt(Cursor::number)
    {
        return Some(n);
    }
    c.eat_separator();
    if c.eat("post") || c.eat("rev") || c.eat("r") {
        return Some(optional_number(c));
    }
    None
}

fn dev_release(c: &mut Cursor<'_>) -> Option<Num> {
    c.eat_separator();
    c.eat("dev").then(|| optional_number(c))
}

/// An implicit number is 0 (`1.0a` is `1.0a0`); a separator may precede it.
fn optional_number(c: &mut Cursor<'_>) -> Num {
    c.attempt(|c| {
        c.eat_separator();
        c.number()
    })
    .unwrap_or(Num("0".into()))
}

fn local_parts(c: &mut Cursor<'_>) -> Option<Vec<LocalPart>> {
    let text = c.rest();
    c.pos += text.len();
    text.split(['.', '-', '_'])
        .map(|part| {
            if part.is_empty() || !part.bytes().all(|b| b.is_ascii_alphanumeric()) {
                None
            } else if part.bytes().all(|b| b.is_ascii_digit()) {
                Some(LocalPart::Number(Num(part.to_owned())))
            } else {
                Some(LocalPart::Word(part.to_owned()))
            }
        })
        .collect()
}

/// Sentinels for the optional parts, mirroring the order PEP 440 defines.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Slot<T> {
    Below,
    At(T),
    Above,
}

type SortKey<'a> = (
    &'a Num,
    Vec<&'a Num>,
    Slot<&'a (PreKind, Num)>,
    Slot<&'a Num>,
    Slot<&'a Num>,
    &'a [LocalPart],
);

fn sort_key(v: &Pep440) -> SortKey<'_> {
    let zero = |n: &&Num| n.0.bytes().all(|b| b == b'0');
    let keep = v.release.len() - v.release.iter().rev().take_while(zero).count();
    let release = v.release.iter().take(keep).collect();

    // A bare dev release (1.0.dev1) precedes every pre-release of the same version.
    let pre = match (&v.pre, &v.post, &v.dev) {
        (None, None, Some(_)) => Slot::Below,
        (None, _, _) => Slot::Above,
        (Some(pre), _, _) => Slot::At(pre),
    };
    let post = v.post.as_ref().map_or(Slot::Below, Slot::At);
    let dev = v.dev.as_ref().map_or(Slot::Above, Slot::At);
    (&v.epoch, release, pre, post, dev, &v.local)
}

pub(super) fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    let (a, b) = (parse(a)?, parse(b)?);
    Ok(sort_key(&a).cmp(&sort_key(&b)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn less(a: &str, b: &str) {
        assert_eq!(compare(a, b), Ok(Ordering::Less), "{a} < {b}");
    }

    #[test]
    fn specification_order_holds() {
        let ordered = [
            "1.0.dev456",
            "1.0a1",
            "1.0a2.dev456",
            "1.0a12.dev456",
            "1.0a12",
            "1.0b1.dev456",
            "1.0b2",
            "1.0b2.post345.dev456",
            "1.0b2.post345",
            "1.0rc1.dev456",
            "1.0rc1",
            "1.0",
            "1.0+abc.5",
            "1.0+abc.7",
            "1.0+5",
            "1.0.post456.dev34",
            "1.0.post456",
            "1.0.15",
            "1.1.dev1",
        ];
        for pair in ordered.windows(2) {
            if let [a, b] = pair {
                less(a, b);
            }
        }
    }

    #[test]
    fn spelling_variants_are_equal() {
        assert_eq!(compare("1.0-1", "1.0.post1"), Ok(Ordering::Equal));
        assert_eq!(compare("1.0alpha1", "1.0a1"), Ok(Ordering::Equal));
        assert_eq!(compare("v1.0", "1.0.0"), Ok(Ordering::Equal));
        assert_eq!(compare("1.0-c1", "1.0rc1"), Ok(Ordering::Equal));
        assert_eq!(compare("1!1.0", "2.0"), Ok(Ordering::Greater));
    }

    #[test]
    fn garbage_is_refused() {
        assert!(compare("1.0.x", "1.0").is_err());
        assert!(compare("not a version", "1.0").is_err());
        assert!(compare("1.0+", "1.0").is_err());
    }
}
