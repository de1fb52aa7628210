//! Sigma value modifiers: parsing `field|mod|mod` keys and the value transformations
//! (`windash`, `base64`, `base64offset`) that run before matching.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// Modifiers of one detection key, as flags.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Modifiers {
    pub contains: bool,
    pub startswith: bool,
    pub endswith: bool,
    pub all: bool,
    pub re: bool,
    pub re_i: bool,
    pub re_m: bool,
    pub re_s: bool,
    pub cidr: bool,
    pub base64: bool,
    pub base64offset: bool,
    pub cmp: Option<Cmp>,
    pub exists: bool,
    pub fieldref: bool,
    pub windash: bool,
    pub cased: bool,
    pub neq: bool,
}

/// A numeric comparison modifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmp {
    Gt,
    Gte,
    Lt,
    Lte,
}

impl Cmp {
    /// Whether `left <op> right` holds.
    pub fn holds(self, left: f64, right: f64) -> bool {
        match self {
            Self::Gt => left > right,
            Self::Gte => left >= right,
            Self::Lt => left < right,
            Self::Lte => left <= right,
        }
    }
}

/// Why a modifier chain cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModifierProblem {
    /// A Sigma modifier this engine does not implement.
    Unsupported(String),
    /// Not a Sigma modifier, or a combination the specification forbids.
    Invalid(String),
}

/// Parses the modifier names after the field name.
pub fn parse_modifiers(names: &[&str]) -> Result<Modifiers, ModifierProblem> {
    let mut m = Modifiers::default();
    for name in names {
        apply(&mut m, name)?;
    }
    check_combination(&m)?;
    Ok(m)
}

fn apply(m: &mut Modifiers, name: &str) -> Result<(), ModifierProblem> {
    match name {
        "contains" => m.contains = true,
        "startswith" => m.startswith = true,
        "endswith" => m.endswith = true,
        "all" => m.all = true,
        "re" => m.re = true,
        "i" => m.re_i = true,
        "m" => m.re_m = true,
        "s" => m.re_s = true,
        "cidr" => m.cidr = true,
        "base64" => m.base64 = true,
        "base64offset" => m.base64offset = true,
        "gt" => m.cmp = Some(Cmp::Gt),
        "gte" => m.cmp = Some(Cmp::Gte),
        "lt" => m.cmp = Some(Cmp::Lt),
        "lte" => m.cmp = Some(Cmp::Lte),
        "exists" => m.exists = true,
        "fieldref" => m.fieldref = true,
        "windash" => m.windash = true,
        "cased" => m.cased = true,
        "neq" => m.neq = true,
        "utf16le" | "utf16be" | "utf16" | "wide" | "expand" | "minute" | "hour" | "day"
        | "week" | "month" | "year" => {
            return Err(ModifierProblem::Unsupported(format!(
                "modifier '{name}' is not implemented by keelson-detect"
            )));
        }
        other => {
            return Err(ModifierProblem::Invalid(format!(
                "unknown modifier '{other}'"
            )));
        }
    }
    Ok(())
}

fn check_combination(m: &Modifiers) -> Result<(), ModifierProblem> {
    let string_pos = [m.contains, m.startswith, m.endswith]
        .iter()
        .filter(|b| **b)
        .count();
    if string_pos > 1 {
        return Err(ModifierProblem::Invalid(
            "contains, startswith and endswith exclude each other".into(),
        ));
    }
    if (m.re_i || m.re_m || m.re_s) && !m.re {
        return Err(ModifierProblem::Invalid(
            "i, m and s need the re modifier".into(),
        ));
    }
    if m.re && (string_pos > 0 || m.base64 || m.base64offset || m.windash) {
        return Err(ModifierProblem::Invalid(
            "re cannot be combined with string modifiers".into(),
        ));
    }
    if m.base64 && m.base64offset {
        return Err(ModifierProblem::Invalid(
            "base64 and base64offset exclude each other".into(),
        ));
    }
    Ok(())
}

/// The characters `windash` treats as interchangeable.
pub const DASHES: [char; 5] = ['-', '/', '\u{2013}', '\u{2014}', '\u{2015}'];

/// Largest number of variants `windash` may create before the rule is refused.
const WINDASH_LIMIT: usize = 3125;

/// Every permutation of dash characters in `value` (the `windash` modifier).
pub fn windash_variants(value: &str) -> Result<Vec<String>, String> {
    let positions = value.chars().filter(|c| DASHES.contains(c)).count();
    let total = 5usize.checked_pow(positions as u32).unwrap_or(usize::MAX);
    if total > WINDASH_LIMIT {
        return Err(format!(
            "windash would create {total} variants of '{value}'"
        ));
    }
    let mut out = vec![String::new()];
    for c in value.chars() {
        if DASHES.contains(&c) {
            out = out
                .iter()
                .flat_map(|prefix| DASHES.iter().map(move |d| format!("{prefix}{d}")))
                .collect();
        } else {
            out.iter_mut().for_each(|s| s.push(c));
        }
    }
    Ok(out)
}

/// The `base64` modifier: the value's bytes, base64-encoded.
pub fn base64_plain(value: &str) -> String {
    STANDARD.encode(value.as_bytes())
}

/// The `base64offset` modifier: the three encodings of `value` at byte offsets 0, 1 and 2
/// inside a longer text, with the characters that depend on the neighbours cut off.
pub fn base64_offsets(value: &str) -> Vec<String> {
    let bytes = value.as_bytes();
    (0..3usize)
        .map(|shift| {
            let mut padded = vec![0u8; shift];
            padded.extend_from_slice(bytes);
            let encoded = STANDARD.encode(&padded);
            // Leading characters that still encode the padding bytes.
            let start = [0, 2, 3][shift];
            // Trailing characters that depend on bytes after the value (or on '=' padding).
            let end_cut = [0, 3, 2][(bytes.len() + shift) % 3];
            let end = encoded.len().saturating_sub(end_cut);
            encoded.get(start..end).unwrap_or_default().to_string()
        })
        .filter(|s| !s.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_of_known_value() {
        // RFC 4648 section 10 test vector: "foobar" -> "Zm9vYmFy".
        assert_eq!(base64_plain("foobar"), "Zm9vYmFy");
    }

    #[test]
    fn base64offset_variants_appear_in_shifted_encodings() {
        // The variants must be substrings of the encodings of the value behind 0, 1 and 2
        // arbitrary bytes and followed by arbitrary bytes (RFC 4648 alphabet).
        let variants = base64_offsets("/bin/sh");
        assert_eq!(variants.len(), 3);
        for (shift, prefix) in ["", "x", "xy"].iter().enumerate() {
            let encoded = STANDARD.encode(format!("{prefix}/bin/sh;tail"));
            assert!(
                encoded.contains(&variants[shift]),
                "shift {shift}: {encoded}"
            );
        }
    }

    #[test]
    fn windash_creates_all_permutations() {
        let v = windash_variants("-a -b").unwrap_or_default();
        assert_eq!(v.len(), 25);
        assert!(v.contains(&"/a \u{2013}b".to_string()));
        assert!(v.contains(&"-a -b".to_string()));
    }

    #[test]
    fn unsupported_and_invalid_modifiers_are_distinguished() {
        assert!(matches!(
            parse_modifiers(&["wide"]),
            Err(ModifierProblem::Unsupported(_))
        ));
        assert!(matches!(
            parse_modifiers(&["bogus"]),
            Err(ModifierProblem::Invalid(_))
        ));
        assert!(matches!(
            parse_modifiers(&["contains", "endswith"]),
            Err(ModifierProblem::Invalid(_))
        ));
    }
}
