//! CPE 2.3 formatted-string names (NISTIR 7695) and attribute matching (NISTIR 7696),
//! plus NVD configurations built from them (see [`nvd`]).
//!
//! `*` (ANY) matches every value; `-` (NA, "not applicable") matches only NA. Treating
//! `-` as a wildcard is a common scanner bug that turns hardware platform conditions
//! into matches for any version.

pub mod nvd;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::Error;

/// Attribute names in formatted-string order, after `cpe:2.3:`.
pub const ATTRIBUTES: [&str; 11] = [
    "part",
    "vendor",
    "product",
    "version",
    "update",
    "edition",
    "language",
    "sw_edition",
    "target_sw",
    "target_hw",
    "other",
];

/// One character of an attribute value, after unquoting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Token {
    Char(char),
    /// Unquoted `*`: any run of characters.
    Star,
    /// Unquoted `?`: one character.
    Question,
}

/// A CPE attribute value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CpeValue {
    /// `*`: any value.
    Any,
    /// `-`: not applicable; matches only another NA.
    Na,
    /// A value, lowercased, possibly with `*`/`?` wildcards at its ends.
    Value(ValueText),
}

/// The tokens of a value (kept private so only valid values exist).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ValueText(Vec<Token>);

impl ValueText {
    fn has_wildcards(&self) -> bool {
        self.0.iter().any(|t| !matches!(t, Token::Char(_)))
    }

    /// The value without quoting, wildcards shown as `*` and `?`.
    pub fn logical(&self) -> String {
        self.0
            .iter()
            .map(|t| match t {
                Token::Char(c) => *c,
                Token::Star => '*',
                Token::Question => '?',
            })
            .collect()
    }
}

/// A parsed CPE 2.3 name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(try_from = "String", into = "String")]
pub struct Cpe {
    values: [CpeValue; 11],
}

fn cpe_err(component: usize, reason: impl Into<String>) -> Error {
    Error::Cpe {
        component,
        reason: reason.into(),
    }
}

/// Split a formatted string on unquoted `:`.
fn split_components(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut start, mut escaped) = (0, false);
    for (i, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            ':' => {
                parts.push(text.get(start..i).unwrap_or(""));
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(text.get(start..).unwrap_or(""));
    parts
}

fn parse_value(component: usize, raw: &str) -> Result<CpeValue, Error> {
    match raw {
        "*" => return Ok(CpeValue::Any),
        "-" => return Ok(CpeValue::Na),
        "" => return Err(cpe_err(component, "empty value")),
        _ => {}
    }
    let mut tokens = Vec::new();
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        let token = match c {
            '\\' => match chars.next() {
                Some(q) if q.is_ascii_graphic() => Token::Char(q.to_ascii_lowercase()),
                _ => {
                    return Err(cpe_err(
                        component,
                        "backslash must quote a printable character",
                    ));
                }
            },
            '*' => Token::Star,
            '?' => Token::Question,
            c if c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.') => {
                Token::Char(c.to_ascii_lowercase())
            }
            c => {
                return Err(cpe_err(
                    component,
                    format!("{c:?} must be quoted with a backslash"),
                ));
            }
        };
        tokens.push(token);
    }
    check_wildcards(component, &tokens)?;
    Ok(CpeValue::Value(ValueText(tokens)))
}

/// Wildcards may only open or close a value: one `*`, or a run of `?`, at either end.
fn check_wildcards(component: usize, tokens: &[Token]) -> Result<(), Error> {
    let first = tokens.iter().position(|t| matches!(t, Token::Char(_)));
    let last = tokens.iter().rposition(|t| matches!(t, Token::Char(_)));
    let (Some(first), Some(last)) = (first, last) else {
        return Err(cpe_err(
            component,
            "a value needs at least one literal character",
        ));
    };
    let inner = tokens.get(first..=last).unwrap_or(&[]);
    if inner.iter().any(|t| !matches!(t, Token::Char(_))) {
        return Err(cpe_err(
            component,
            "wildcards are only allowed at the ends of a value",
        ));
    }
    let valid_end = |end: &[Token]| {
        end.is_empty() || end == [Token::Star] || end.iter().all(|t| *t == Token::Question)
    };
    let head = tokens.get(..first).unwrap_or(&[]);
    let tail = tokens.get(last + 1..).unwrap_or(&[]);
    if !valid_end(head) || !valid_end(tail) {
        return Err(cpe_err(component, "a value may end in one * or a run of ?"));
    }
    Ok(())
}

impl FromStr for Cpe {
    type Err = Error;

    /// Parse a CPE 2.3 formatted string (`cpe:2.3:a:vendor:product:...`), lowercasing it.
    fn from_str(text: &str) -> Result<Cpe, Error> {
        let parts = split_components(text.trim());
        if parts.len() != 13 {
            return Err(cpe_err(
                parts.len(),
                "a CPE 2.3 name has 13 colon-separated parts",
            ));
        }
        let mut it = parts.into_iter();
        if it.next() != Some("cpe") || it.next() != Some("2.3") {
            return Err(cpe_err(0, "a CPE 2.3 name starts with cpe:2.3:"));
        }

        let mut values: [CpeValue; 11] = std::array::from_fn(|_| CpeValue::Any);
        for (i, (slot, raw)) in values.iter_mut().zip(it).enumerate() {
            *slot = parse_value(i + 2, raw)?;
        }
        if let CpeValue::Value(part) = &values[0]
            && !matches!(part.logical().as_str(), "a" | "o" | "h")
        {
            return Err(cpe_err(2, "part is a, o, h, * or -"));
        }
        Ok(Cpe { values })
    }
}

impl TryFrom<String> for Cpe {
    type Error = Error;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        value.parse()
    }
}

impl From<Cpe> for String {
    fn from(cpe: Cpe) -> String {
        cpe.to_string()
    }
}

/// The formatted string, with the quoting NISTIR 7695 asks for.
impl fmt::Display for Cpe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("cpe:2.3")?;
        for value in &self.values {
            f.write_str(":")?;
            match value {
                CpeValue::Any => f.write_str("*")?,
                CpeValue::Na => f.write_str("-")?,
                CpeValue::Value(text) => write_tokens(f, &text.0)?,
            }
        }
        Ok(())
    }
}

fn write_tokens(f: &mut fmt::Formatter<'_>, tokens: &[Token]) -> fmt::Result {
    // A lone literal hyphen must stay quoted, or it would read back as NA.
    if tokens == [Token::Char('-')] {
        return f.write_str("\\-");
    }
    for token in tokens {
        match token {
            Token::Star => f.write_str("*")?,
            Token::Question => f.write_str("?")?,
            Token::Char(c) if c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.') => {
                write!(f, "{c}")?;
            }
            Token::Char(c) => write!(f, "\\{c}")?,
        }
    }
    Ok(())
}

/// How a source attribute relates to a target attribute (NISTIR 7696 section 6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relation {
    /// The source covers more than the target.
    Superset,
    /// The source covers less than the target.
    Subset,
    /// Same value.
    Equal,
    /// No overlap.
    Disjoint,
    /// Not decidable (wildcards on the target side).
    Undefined,
}

impl Cpe {
    /// The value of one attribute by index into [`ATTRIBUTES`].
    pub fn value(&self, index: usize) -> Option<&CpeValue> {
        self.values.get(index)
    }

    /// The version attribute.
    pub fn version(&self) -> &CpeValue {
        &self.values[3]
    }

    /// Whether this name (the source, e.g. an advisory's criteria) matches `target`
    /// (e.g. an inventory component): every attribute is a superset or equal.
    pub fn matches(&self, target: &Cpe) -> bool {
        self.values
            .iter()
            .zip(&target.values)
            .all(|(s, t)| matches!(compare_values(s, t), Relation::Superset | Relation::Equal))
    }

    /// Like [`Cpe::matches`], but ignoring the version attribute (bounds decide it).
    pub(crate) fn matches_except_version(&self, target: &Cpe) -> bool {
        self.values
            .iter()
            .zip(&target.values)
            .enumerate()
            .all(|(i, (s, t))| {
                i == 3 || matches!(compare_values(s, t), Relation::Superset | Relation::Equal)
            })
    }
}

/// The attribute comparison table of NISTIR 7696.
pub fn compare_values(source: &CpeValue, target: &CpeValue) -> Relation {
    use CpeValue::{Any, Na, Value};
    match (source, target) {
        (Any, Any) | (Na, Na) => Relation::Equal,
        (Any, _) => Relation::Superset,
        (Na, Any) => Relation::Subset,
        (Na, Value(t)) if t.has_wildcards() => Relation::Undefined,
        (Na, Value(_)) => Relation::Disjoint,
        (Value(_), Any) => Relation::Subset,
        (Value(_), Na) => Relation::Disjoint,
        (Value(s), Value(t)) if t.has_wildcards() => {
            if s == t {
                Relation::Equal
            } else {
                Relation::Undefined
            }
        }
        (Value(s), Value(t)) if s.has_wildcards() => {
            if glob(&s.0, &t.0) {
                Relation::Superset
            } else {
                Relation::Disjoint
            }
        }
        (Value(s), Value(t)) => {
            if s == t {
                Relation::Equal
            } else {
                Relation::Disjoint
            }
        }
    }
}

/// Match a pattern with `*` and `?` against literal tokens (dynamic programming, so no
/// input can make it slow).
fn glob(pattern: &[Token], text: &[Token]) -> bool {
    let mut row = vec![false; text.len() + 1];
    row[0] = true;
    for token in pattern {
        let mut next = vec![false; text.len() + 1];
        for j in 0..=text.len() {
            next[j] = match token {
                Token::Star => row[j] || (j > 0 && next[j - 1]),
                Token::Question => j > 0 && row[j - 1],
                Token::Char(c) => j > 0 && row[j - 1] && text.get(j - 1) == Some(&Token::Char(*c)),
            };
        }
        row = next;
    }
    row[text.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cpe(text: &str) -> Cpe {
        text.parse().unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn na_matches_only_na() {
        let platform = cpe("cpe:2.3:h:toyota:rav4:-:*:*:*:*:*:*:*");
        assert!(platform.matches(&cpe("cpe:2.3:h:toyota:rav4:-:*:*:*:*:*:*:*")));
        assert!(!platform.matches(&cpe("cpe:2.3:h:toyota:rav4:2021:*:*:*:*:*:*:*")));
        assert!(!platform.matches(&cpe("cpe:2.3:h:toyota:rav4:*:*:*:*:*:*:*:*")));
    }

    #[test]
    fn any_matches_everything() {
        let criteria = cpe("cpe:2.3:o:linux:linux_kernel:*:*:*:*:*:*:*:*");
        assert!(criteria.matches(&cpe("cpe:2.3:o:linux:linux_kernel:5.10:*:*:*:*:*:*:*")));
        assert!(criteria.matches(&cpe("cpe:2.3:o:linux:linux_kernel:-:*:*:*:*:*:*:*")));
    }

    #[test]
    fn quoting_round_trips_and_case_folds() {
        let name = cpe("cpe:2.3:a:Apache:xerces-c\\+\\+:-:*:*:*:*:*:*:*");
        assert_eq!(
            name.to_string(),
            "cpe:2.3:a:apache:xerces-c\\+\\+:-:*:*:*:*:*:*:*"
        );
        let hyphen = cpe("cpe:2.3:a:c:x:\\-:*:*:*:*:*:*:*");
        assert_eq!(hyphen.to_string(), "cpe:2.3:a:c:x:\\-:*:*:*:*:*:*:*");
        assert_ne!(hyphen.version(), &CpeValue::Na);
        let colon = cpe("cpe:2.3:a:vendor:prod\\:uct:1.0:*:*:*:*:*:*:*");
        assert_eq!(
            colon.to_string(),
            "cpe:2.3:a:vendor:prod\\:uct:1.0:*:*:*:*:*:*:*"
        );
    }

    #[test]
    fn wildcards_at_the_ends_only() {
        let criteria = cpe("cpe:2.3:a:vendor:prod*:1.?:*:*:*:*:*:*:*");
        assert!(criteria.matches(&cpe("cpe:2.3:a:vendor:product:1.2:*:*:*:*:*:*:*")));
        assert!(!criteria.matches(&cpe("cpe:2.3:a:vendor:product:1.22:*:*:*:*:*:*:*")));
        assert!(
            "cpe:2.3:a:vendor:pr*od:1:*:*:*:*:*:*:*"
                .parse::<Cpe>()
                .is_err()
        );
        assert!(
            "cpe:2.3:a:vendor:prod+uct:1:*:*:*:*:*:*:*"
                .parse::<Cpe>()
                .is_err()
        );
        assert!(
            "cpe:2.3:x:vendor:product:1:*:*:*:*:*:*:*"
                .parse::<Cpe>()
                .is_err()
        );
        assert!("cpe:2.3:a:vendor".parse::<Cpe>().is_err());
    }
}
