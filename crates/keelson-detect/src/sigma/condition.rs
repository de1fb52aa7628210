//! The detection `condition` grammar: `and`, `or`, `not`, parentheses, `1 of X*`,
//! `all of X*`, `1 of them`, `all of them`, parsed into an expression tree.

/// A parsed condition before search names are resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cond {
    /// A search identifier.
    Ident(String),
    /// Negation.
    Not(Box<Cond>),
    /// All children true.
    And(Vec<Cond>),
    /// Any child true.
    Or(Vec<Cond>),
    /// `N of target` / `all of target`.
    Of(Quant, Target),
}

/// How many searches of an `of` expression must match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quant {
    /// `all of`.
    All,
    /// `N of`: at least N.
    AtLeast(usize),
}

/// What an `of` expression ranges over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// `them`: every search not starting with an underscore.
    Them,
    /// A name pattern where `*` matches any run of characters.
    Pattern(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Open,
    Close,
    Word(String),
}

/// Parses a condition string; errors carry the reason.
pub fn parse_condition(text: &str) -> Result<Cond, String> {
    if text.contains('|') {
        return Err(
            "aggregation ('|') in conditions is Sigma v1 syntax; use a correlation rule".into(),
        );
    }
    let toks = tokenize(text);
    let mut p = Parser {
        toks,
        pos: 0,
        depth: 0,
    };
    let cond = p.or_expr()?;
    match p.toks.get(p.pos) {
        None => Ok(cond),
        Some(t) => Err(format!("unexpected {t:?} in condition")),
    }
}

fn tokenize(text: &str) -> Vec<Tok> {
    let spaced = text.replace('(', " ( ").replace(')', " ) ");
    spaced
        .split_whitespace()
        .map(|w| match w {
            "(" => Tok::Open,
            ")" => Tok::Close,
            _ => Tok::Word(w.to_string()),
        })
        .collect()
}

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
    depth: usize,
}

/// Deepest nesting of parentheses and `not` accepted; deeper input is refused rather
/// than risking the stack.
const MAX_DEPTH: usize = 64;

impl Parser {
    fn peek_word(&self, word: &str) -> bool {
        matches!(self.toks.get(self.pos), Some(Tok::Word(w)) if w.eq_ignore_ascii_case(word))
    }

    fn or_expr(&mut self) -> Result<Cond, String> {
        let mut items = vec![self.and_expr()?];
        while self.peek_word("or") {
            self.pos += 1;
            items.push(self.and_expr()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Cond::Or(items)
        })
    }

    fn and_expr(&mut self) -> Result<Cond, String> {
        let mut items = vec![self.not_expr()?];
        while self.peek_word("and") {
            self.pos += 1;
            items.push(self.not_expr()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Cond::And(items)
        })
    }

    fn not_expr(&mut self) -> Result<Cond, String> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(format!("condition nests deeper than {MAX_DEPTH} levels"));
        }
        let result = if self.peek_word("not") {
            self.pos += 1;
            self.not_expr().map(|c| Cond::Not(Box::new(c)))
        } else {
            self.primary()
        };
        self.depth -= 1;
        result
    }

    fn primary(&mut self) -> Result<Cond, String> {
        let tok = self.toks.get(self.pos).cloned();
        self.pos += 1;
        match tok {
            Some(Tok::Open) => {
                let inner = self.or_expr()?;
                match self.toks.get(self.pos) {
                    Some(Tok::Close) => {
                        self.pos += 1;
                        Ok(inner)
                    }
                    _ => Err("missing ')' in condition".into()),
                }
            }
            Some(Tok::Word(w)) if self.peek_word("of") => self.of_expr(&w),
            Some(Tok::Word(w)) if is_keyword(&w) => Err(format!("unexpected '{w}' in condition")),
            Some(Tok::Word(w)) => Ok(Cond::Ident(w)),
            Some(Tok::Close) => Err("unexpected ')' in condition".into()),
            None => Err("condition ends too early".into()),
        }
    }

    fn of_expr(&mut self, quant: &str) -> Result<Cond, String> {
        self.pos += 1;
        let quant = if quant.eq_ignore_ascii_case("all") {
            Quant::All
        } else if quant.eq_ignore_ascii_case("any") {
            Quant::AtLeast(1)
        } else {
            match quant.parse::<usize>() {
                Ok(n) if n > 0 => Quant::AtLeast(n),
                _ => return Err(format!("'{quant} of' needs 'all' or a positive number")),
            }
        };
        let target = match self.toks.get(self.pos) {
            Some(Tok::Word(w)) if w.eq_ignore_ascii_case("them") => Target::Them,
            Some(Tok::Word(w)) if !is_keyword(w) => Target::Pattern(w.clone()),
            _ => return Err("'of' needs 'them' or a name pattern".into()),
        };
        self.pos += 1;
        Ok(Cond::Of(quant, target))
    }
}

fn is_keyword(w: &str) -> bool {
    ["and", "or", "not", "of", "them"]
        .iter()
        .any(|k| w.eq_ignore_ascii_case(k))
}

/// Whether a search name matches an `of` pattern (`*` wildcards only).
pub fn name_matches(pattern: &str, name: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    let [first, middle @ .., last] = parts.as_slice() else {
        return pattern == name;
    };
    if parts.len() == 1 {
        return pattern == name;
    }
    let Some(mut rest) = name.strip_prefix(first) else {
        return false;
    };
    for part in middle {
        match rest.find(part) {
            Some(i) => rest = rest.get(i + part.len()..).unwrap_or_default(),
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> Cond {
        Cond::Ident(s.into())
    }

    #[test]
    fn not_binds_tighter_than_and_tighter_than_or() {
        let c = parse_condition("a or not b and c");
        let want = Cond::Or(vec![
            id("a"),
            Cond::And(vec![Cond::Not(Box::new(id("b"))), id("c")]),
        ]);
        assert_eq!(c, Ok(want));
    }

    #[test]
    fn parentheses_override_precedence() {
        let c = parse_condition("(a or b) and c");
        assert_eq!(
            c,
            Ok(Cond::And(vec![Cond::Or(vec![id("a"), id("b")]), id("c")]))
        );
    }

    #[test]
    fn of_forms() {
        assert_eq!(
            parse_condition("1 of sel*"),
            Ok(Cond::Of(Quant::AtLeast(1), Target::Pattern("sel*".into())))
        );
        assert_eq!(
            parse_condition("all of them"),
            Ok(Cond::Of(Quant::All, Target::Them))
        );
        assert_eq!(
            parse_condition("selection and not 1 of filter_*"),
            Ok(Cond::And(vec![
                id("selection"),
                Cond::Not(Box::new(Cond::Of(
                    Quant::AtLeast(1),
                    Target::Pattern("filter_*".into())
                )))
            ]))
        );
    }

    #[test]
    fn malformed_conditions_are_errors() {
        assert!(parse_condition("a and").is_err());
        assert!(parse_condition("(a or b").is_err());
        assert!(parse_condition("a b").is_err());
        assert!(parse_condition("selection | count() > 5").is_err());
        assert!(
            parse_condition(&format!("{}a{}", "(".repeat(10_000), ")".repeat(10_000))).is_err()
        );
        assert!(parse_condition(&format!("{}a", "not ".repeat(10_000))).is_err());
    }

    #[test]
    fn name_patterns() {
        assert!(name_matches("selection_*", "selection_img"));
        assert!(name_matches("*_x", "a_x"));
        assert!(name_matches("a*b*c", "aXbYc"));
        assert!(!name_matches("filter*", "selection"));
        assert!(name_matches("exact", "exact"));
    }
}
