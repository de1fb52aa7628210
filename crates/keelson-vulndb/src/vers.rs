//! `vers:` version range specifiers: parsing (lenient and canonical-only), the canonical
//! form, and containment of a version, following the vers specification.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use crate::error::Error;
use crate::percent;
use crate::version::{Scheme, try_sort_by};

/// Characters a canonical vers version keeps unencoded.
const VERSION_KEEP: &str = ".-_~+!*:@";

/// A comparator in front of a version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Comparator {
    /// `=` (written without the sign in canonical form)
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

impl Comparator {
    /// The comparator as written in a canonical vers (`=` is implied, so empty).
    pub fn as_str(self) -> &'static str {
        match self {
            Comparator::Eq => "",
            Comparator::Ne => "!=",
            Comparator::Lt => "<",
            Comparator::Le => "<=",
            Comparator::Gt => ">",
            Comparator::Ge => ">=",
        }
    }

    /// Split a leading comparator off a constraint; none means `=`.
    fn split(text: &str) -> (Comparator, &str) {
        const PREFIXES: [(&str, Comparator); 6] = [
            (">=", Comparator::Ge),
            ("<=", Comparator::Le),
            ("!=", Comparator::Ne),
            ("<", Comparator::Lt),
            (">", Comparator::Gt),
            ("=", Comparator::Eq),
        ];
        PREFIXES
            .iter()
            .find_map(|(p, c)| text.strip_prefix(p).map(|rest| (*c, rest)))
            .unwrap_or((Comparator::Eq, text))
    }
}

/// One `comparator version` pair; the version is stored percent-decoded.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Constraint {
    /// How the version bounds the range.
    pub comparator: Comparator,
    /// The decoded version text.
    pub version: String,
}

/// A parsed `vers:` range, kept in canonical order (sorted by version).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersRange {
    scheme_name: String,
    scheme: Scheme,
    /// Empty means `*`: every version.
    constraints: Vec<Constraint>,
}

fn vers_error(offset: usize, reason: impl Into<String>) -> Error {
    Error::Vers {
        offset,
        reason: reason.into(),
    }
}

impl VersRange {
    /// The scheme name as written (lowercased), e.g. `pypi`.
    pub fn scheme_name(&self) -> &str {
        &self.scheme_name
    }

    /// The version scheme used to order and compare versions.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The constraints in canonical order; empty for `*`.
    pub fn constraints(&self) -> &[Constraint] {
        &self.constraints
    }

    /// Whether the range is `*` (all versions).
    pub fn is_star(&self) -> bool {
        self.constraints.is_empty()
    }

    /// Parse a specifier that must already be canonical: no whitespace, no empty
    /// constraints, sorted, canonical percent-encoding.
    pub fn parse_canonical(text: &str) -> Result<VersRange, Error> {
        if let Some(at) = text.find(|c: char| c.is_ascii_whitespace()) {
            return Err(vers_error(
                at,
                "whitespace is not permitted in canonical form",
            ));
        }
        let range = VersRange::parse(text)?;
        let canonical = range.to_string();
        if canonical != text {
            let at = canonical
                .bytes()
                .zip(text.bytes())
                .take_while(|(a, b)| a == b)
                .count();
            return Err(vers_error(
                at,
                format!("not canonical: expected {canonical}"),
            ));
        }
        Ok(range)
    }

    /// Parse leniently: whitespace is dropped, the scheme lowercased and the constraints
    /// sorted; empty constraints and malformed escapes are still errors.
    ///
    /// Versions are checked against the scheme only when they are compared (sorting here,
    /// or [`VersRange::contains`]): the vers grammar itself accepts any version text.
    pub fn parse(text: &str) -> Result<VersRange, Error> {
        let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        let rest = compact
            .get(..5)
            .filter(|p| p.eq_ignore_ascii_case("vers:"))
            .and_then(|_| compact.get(5..))
            .ok_or_else(|| vers_error(0, "must start with vers:"))?;
        let (scheme_name, body) = rest
            .split_once('/')
            .ok_or_else(|| vers_error(5, "missing / after the scheme"))?;
        let scheme_name = scheme_name.to_ascii_lowercase();
        let scheme = Scheme::for_ecosystem(&scheme_name)
            .ok_or_else(|| vers_error(5, format!("unsupported versioning scheme {scheme_name}")))?;

        let constraints = parse_constraints(body, scheme, 6 + scheme_name.len())?;
        Ok(VersRange {
            scheme_name,
            scheme,
            constraints,
        })
    }

    /// Whether `version` lies inside the range (vers containment algorithm).
    pub fn contains(&self, version: &str) -> Result<bool, Error> {
        if self.is_star() {
            self.scheme.validate(version)?;
            return Ok(true);
        }
        let cmp = |c: &Constraint| self.scheme.compare(version, &c.version);

        for c in &self.constraints {
            let equal = cmp(c)? == Ordering::Equal;
            match c.comparator {
                Comparator::Eq | Comparator::Le | Comparator::Ge if equal => return Ok(true),
                Comparator::Ne if equal => return Ok(false),
                _ => {}
            }
        }

        let bounds: Vec<&Constraint> = self
            .constraints
            .iter()
            .filter(|c| !matches!(c.comparator, Comparator::Eq | Comparator::Ne))
            .collect();
        inside_bounds(&bounds, &cmp)
    }
}

/// Walk the ordered range bounds: below a first upper bound, above a last lower bound, or
/// between a lower bound and the upper bound that follows it.
fn inside_bounds(
    bounds: &[&Constraint],
    cmp: &dyn Fn(&Constraint) -> Result<Ordering, Error>,
) -> Result<bool, Error> {
    let is_upper = |c: &Constraint| matches!(c.comparator, Comparator::Lt | Comparator::Le);
    if let Some(first) = bounds.first()
        && is_upper(first)
        && cmp(first)? == Ordering::Less
    {
        return Ok(true);
    }
    if let Some(last) = bounds.last()
        && !is_upper(last)
        && cmp(last)? == Ordering::Greater
    {
        return Ok(true);
    }
    for pair in bounds.windows(2) {
        if let [low, high] = pair {
            let opens = !is_upper(low) && is_upper(high);
            if opens && cmp(low)? == Ordering::Greater && cmp(high)? == Ordering::Less {
                return Ok(true);
            }
        }
    }
    Ok(false)
}

fn parse_constraints(body: &str, scheme: Scheme, offset: usize) -> Result<Vec<Constraint>, Error> {
    if body == "*" {
        return Ok(Vec::new());
    }
    let mut constraints = Vec::new();
    let mut at = offset;
    for part in body.split('|') {
        constraints.push(parse_constraint(part, at)?);
        at += part.len() + 1;
    }

    try_sort_by(&mut constraints, |a, b| {
        scheme.compare(&a.version, &b.version)
    })?;
    Ok(constraints)
}

fn parse_constraint(part: &str, at: usize) -> Result<Constraint, Error> {
    if part.is_empty() {
        return Err(vers_error(at, "empty constraint (stray |)"));
    }
    if part == "*" {
        return Err(vers_error(at, "* must be the only constraint"));
    }
    let (comparator, raw) = Comparator::split(part);
    let version = percent::decode(raw)
        .ok_or_else(|| vers_error(at, "invalid percent-encoding in version"))?;
    if version.is_empty() {
        return Err(vers_error(at, "comparator without a version"));
    }
    Ok(Constraint {
        comparator,
        version,
    })
}

impl fmt::Display for VersRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "vers:{}/", self.scheme_name)?;
        if self.is_star() {
            return f.write_str("*");
        }
        for (i, c) in self.constraints.iter().enumerate() {
            let sep = if i == 0 { "" } else { "|" };
            let version = percent::encode(&c.version, VERSION_KEEP);
            write!(f, "{sep}{}{version}", c.comparator.as_str())?;
        }
        Ok(())
    }
}

impl FromStr for VersRange {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        VersRange::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debian_epoch_is_outside_a_lower_upper_bound() {
        let range = VersRange::parse("vers:deb/<8.4.0").expect("valid range");
        assert_eq!(range.contains("2:9.0.0"), Ok(false));
        assert_eq!(range.contains("8.3.9"), Ok(true));
    }

    #[test]
    fn canonical_form_sorts_and_drops_equals() {
        let range = VersRange::parse("vers:NPM/ <2.0.0 | >=1.0.0|=1.5.0").expect("valid range");
        assert_eq!(range.to_string(), "vers:npm/>=1.0.0|1.5.0|<2.0.0");
    }

    #[test]
    fn unknown_scheme_and_stray_pipes_are_errors() {
        assert!(VersRange::parse("vers:nosuch/1.0").is_err());
        assert!(VersRange::parse("vers:npm/1.0.0||2.0.0").is_err());
        assert!(VersRange::parse("npm/1.0.0").is_err());
    }
}
