//! Sigma string values: wildcard parsing (`*`, `?`, backslash escapes) and compiled matchers.
//!
//! Matching is case-insensitive unless the rule asks for `cased`. Plain shapes (exact,
//! prefix, suffix, substring) get dedicated code; anything else becomes an anchored regex.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder};
use regex::{Regex, RegexBuilder};

/// One piece of a Sigma string value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token {
    /// Literal text.
    Lit(String),
    /// `*`: any run of characters.
    Star,
    /// `?`: exactly one character.
    One,
}

/// Splits a Sigma value into literal text and wildcards.
///
/// A backslash escapes `*`, `?` and itself; before any other character it is literal,
/// which keeps Windows paths such as `C:\Windows\` intact.
pub fn tokenize(value: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut lit = String::new();
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.peek() {
                Some(&n @ ('*' | '?' | '\\')) => {
                    lit.push(n);
                    chars.next();
                }
                _ => lit.push('\\'),
            },
            '*' | '?' => {
                if !lit.is_empty() {
                    out.push(Token::Lit(std::mem::take(&mut lit)));
                }
                out.push(if c == '*' { Token::Star } else { Token::One });
            }
            _ => lit.push(c),
        }
    }
    if !lit.is_empty() {
        out.push(Token::Lit(lit));
    }
    out
}

/// Text that needs no wildcard interpretation, as tokens.
pub fn literal(value: &str) -> Vec<Token> {
    if value.is_empty() {
        Vec::new()
    } else {
        vec![Token::Lit(value.to_string())]
    }
}

/// Wraps tokens with stars as the `contains`/`startswith`/`endswith` modifiers do.
pub fn wrap(mut tokens: Vec<Token>, lead: bool, trail: bool) -> Vec<Token> {
    if lead && tokens.first() != Some(&Token::Star) {
        tokens.insert(0, Token::Star);
    }
    if trail && tokens.last() != Some(&Token::Star) {
        tokens.push(Token::Star);
    }
    tokens
}

/// A compiled string test.
#[derive(Debug, Clone)]
pub struct StrMatcher {
    shape: Shape,
    cased: bool,
}

#[derive(Debug, Clone)]
enum Shape {
    Any,
    Exact(String),
    Prefix(String),
    Suffix(String),
    Contains(String, Option<AhoCorasick>),
    Glob(Regex),
}

impl StrMatcher {
    /// Compiles tokens; `cased` selects case-sensitive comparison.
    pub fn new(tokens: &[Token], cased: bool) -> Result<Self, String> {
        let fold = |s: &str| {
            if cased {
                s.to_string()
            } else {
                s.to_lowercase()
            }
        };
        let shape = match tokens {
            [] => Shape::Exact(String::new()),
            [Token::Star] => Shape::Any,
            [Token::Lit(s)] => Shape::Exact(fold(s)),
            [Token::Lit(s), Token::Star] => Shape::Prefix(fold(s)),
            [Token::Star, Token::Lit(s)] => Shape::Suffix(fold(s)),
            [Token::Star, Token::Lit(s), Token::Star] => {
                Shape::Contains(fold(s), substring_finder(s, cased))
            }
            _ => Shape::Glob(glob_regex(tokens, cased)?),
        };
        Ok(Self { shape, cased })
    }

    /// The literal this matcher looks for as a substring, if it is a plain `contains`.
    pub fn contains_literal(&self) -> Option<&str> {
        match &self.shape {
            Shape::Contains(s, _) => Some(s),
            _ => None,
        }
    }

    /// The literal this matcher compares for equality, if it is a plain exact match.
    pub fn exact_literal(&self) -> Option<&str> {
        match &self.shape {
            Shape::Exact(s) if !self.cased => Some(s),
            _ => None,
        }
    }

    /// A non-empty ASCII text every matching value contains (any case), if the shape
    /// has one: the substring prefilter looks for it.
    pub fn required_literal(&self) -> Option<&str> {
        let lit = match &self.shape {
            Shape::Exact(s) | Shape::Prefix(s) | Shape::Suffix(s) | Shape::Contains(s, _) => s,
            Shape::Any | Shape::Glob(_) => return None,
        };
        // ASCII folding is what the prefilter automaton does; other text could be missed.
        (!lit.is_empty() && lit.is_ascii()).then_some(lit.as_str())
    }

    /// Whether comparison is case-sensitive.
    pub fn is_cased(&self) -> bool {
        self.cased
    }

    /// Whether the text matches.
    pub fn is_match(&self, text: &str) -> bool {
        match &self.shape {
            Shape::Any => true,
            Shape::Glob(re) => re.is_match(text),
            Shape::Contains(_, Some(ac)) => ac.is_match(text),
            _ if self.cased || text.is_ascii() => self.plain_match(text),
            _ => self.plain_match(&text.to_lowercase()),
        }
    }

    fn plain_match(&self, text: &str) -> bool {
        let eq = |a: &[u8], b: &[u8]| {
            if self.cased {
                a == b
            } else {
                a.eq_ignore_ascii_case(b)
            }
        };
        let t = text.as_bytes();
        match &self.shape {
            Shape::Exact(p) => eq(t, p.as_bytes()),
            Shape::Prefix(p) => t.get(..p.len()).is_some_and(|h| eq(h, p.as_bytes())),
            Shape::Suffix(p) => t
                .len()
                .checked_sub(p.len())
                .and_then(|start| t.get(start..))
                .is_some_and(|h| eq(h, p.as_bytes())),
            Shape::Contains(p, _) => contains_folded(text, p, self.cased),
            Shape::Any | Shape::Glob(_) => true,
        }
    }
}

fn contains_folded(text: &str, pattern: &str, cased: bool) -> bool {
    if cased {
        text.contains(pattern)
    } else {
        text.to_lowercase().contains(pattern)
    }
}

/// A fast substring finder for ASCII patterns, case-folded unless `cased`.
pub fn substring_finder(pattern: &str, cased: bool) -> Option<AhoCorasick> {
    multi_finder(&[pattern], cased)
}

/// One automaton for several ASCII substrings (a value list under `contains`).
pub fn multi_finder(patterns: &[&str], cased: bool) -> Option<AhoCorasick> {
    // Unicode case folding is not ASCII folding; those patterns use the slow path.
    if !cased && patterns.iter().any(|p| !p.is_ascii()) {
        return None;
    }
    AhoCorasickBuilder::new()
        .ascii_case_insensitive(!cased)
        .build(patterns)
        .ok()
}

fn glob_regex(tokens: &[Token], cased: bool) -> Result<Regex, String> {
    let mut src = String::from("^");
    for t in tokens {
        match t {
            Token::Lit(s) => src.push_str(&regex::escape(s)),
            Token::Star => src.push_str(".*"),
            Token::One => src.push('.'),
        }
    }
    src.push('$');
    RegexBuilder::new(&src)
        .case_insensitive(!cased)
        .dot_matches_new_line(true)
        .build()
        .map_err(|e| format!("wildcard pattern too large: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(value: &str, lead: bool, trail: bool, cased: bool) -> StrMatcher {
        match StrMatcher::new(&wrap(tokenize(value), lead, trail), cased) {
            Ok(m) => m,
            Err(e) => panic!("pattern {value} did not compile: {e}"),
        }
    }

    #[test]
    fn plain_value_is_exact_and_case_insensitive() {
        assert!(m("Insmod", false, false, false).is_match("INSMOD"));
        assert!(!m("insmod", false, false, false).is_match("insmod2"));
    }

    #[test]
    fn star_and_question_wildcards() {
        assert!(m("ab*ef", false, false, false).is_match("abCDef"));
        assert!(m("a?c", false, false, false).is_match("abc"));
        assert!(!m("a?c", false, false, false).is_match("abbc"));
        assert!(m("*", false, false, false).is_match(""));
    }

    #[test]
    fn escaped_wildcards_are_literal() {
        let star = m(r"a\*b", false, false, false);
        assert!(star.is_match("a*b"));
        assert!(!star.is_match("axxb"));
        assert!(m(r"a\?b", false, false, false).is_match("a?b"));
        assert!(m(r"c:\\*", false, false, false).is_match(r"C:\temp"));
        assert!(m(r"C:\Windows\", false, false, false).is_match(r"c:\windows\"));
    }

    #[test]
    fn cased_comparison_respects_case() {
        assert!(!m("Admin", false, false, true).is_match("admin"));
        assert!(m("Admin", true, true, true).is_match("xAdminx"));
    }

    #[test]
    fn non_ascii_values_fold_case() {
        assert!(m("ÄRGER", true, true, false).is_match("viel ärger hier"));
        assert!(m("ÖL", false, false, false).is_match("öl"));
        assert!(m("ÖL", false, true, false).is_match("Öl und Wasser"));
        assert!(!m("ÖL", true, false, false).is_match("Öl und Wasser"));
    }
}
