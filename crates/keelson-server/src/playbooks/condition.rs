//! Step conditions: a small grammar over an incident's facts, parsed when a
//! playbook is checked and evaluated when its step is reached.
//!
//! ```text
//! condition  := or
//! or         := and ("or" and)*
//! and        := unary ("and" unary)*
//! unary      := "not" unary | "(" condition ")" | comparison
//! comparison := "severity" ORDER LEVEL
//!             | "vehicle_count" ORDER INTEGER
//!             | "rule" ("==" | "!=") STRING
//!             | ("build_ids" | "tags") "contains" STRING
//! ORDER      := "==" | "!=" | "<" | "<=" | ">" | ">="
//! LEVEL      := none | low | medium | high | critical
//! STRING     := a double-quoted text without a double quote inside
//! ```
//!
//! The grammar can name only these facts and has no calls, loops or I/O, so
//! evaluation touches nothing but the facts handed in. Its cost is bounded
//! when parsing: at most [`MAX_LENGTH`] characters, [`MAX_DEPTH`] levels of
//! nesting (parentheses and `not`) and [`MAX_COMPARISONS`] comparisons; a
//! condition beyond a limit is refused, never cut.

use keelson_core::Severity;

/// The longest condition accepted, in characters.
pub const MAX_LENGTH: usize = 512;
/// The deepest nesting of parentheses and `not`.
pub const MAX_DEPTH: usize = 16;
/// The most comparisons one condition may hold.
pub const MAX_COMPARISONS: usize = 32;

/// What a condition is evaluated against.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Facts {
    pub severity: Option<Severity>,
    pub vehicle_count: u64,
    pub build_ids: Vec<String>,
    /// The incident's Sigma rule.
    pub rule: String,
    /// The ATM tags of the incident's alerts.
    pub tags: Vec<String>,
}

/// A parsed condition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    And(Box<Condition>, Box<Condition>),
    Or(Box<Condition>, Box<Condition>),
    Not(Box<Condition>),
    Severity(Order, Severity),
    VehicleCount(Order, u64),
    Rule { equal: bool, rule: String },
    BuildIdsContain(String),
    TagsContain(String),
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Order {
    fn holds<T: Ord>(self, left: &T, right: &T) -> bool {
        match self {
            Order::Eq => left == right,
            Order::Ne => left != right,
            Order::Lt => left < right,
            Order::Le => left <= right,
            Order::Gt => left > right,
            Order::Ge => left >= right,
        }
    }
}

impl Condition {
    /// Parses a condition within the limits; the error says where and why.
    pub fn parse(text: &str) -> Result<Self, String> {
        let length = text.chars().count();
        if length > MAX_LENGTH {
            return Err(format!(
                "the condition has {length} characters; at most {MAX_LENGTH} are allowed"
            ));
        }
        let tokens = tokenize(text)?;
        let mut parser = Parser {
            tokens,
            next: 0,
            comparisons: 0,
        };
        let condition = parser.or(0)?;
        match parser.peek() {
            None => Ok(condition),
            Some(token) => Err(format!("unexpected {token} after a complete condition")),
        }
    }

    /// Whether the condition holds for the facts.
    pub fn holds(&self, facts: &Facts) -> bool {
        match self {
            Condition::And(a, b) => a.holds(facts) && b.holds(facts),
            Condition::Or(a, b) => a.holds(facts) || b.holds(facts),
            Condition::Not(inner) => !inner.holds(facts),
            Condition::Severity(order, level) => facts
                .severity
                .is_some_and(|severity| order.holds(&severity, level)),
            Condition::VehicleCount(order, count) => order.holds(&facts.vehicle_count, count),
            Condition::Rule { equal, rule } => (&facts.rule == rule) == *equal,
            Condition::BuildIdsContain(build) => facts.build_ids.contains(build),
            Condition::TagsContain(tag) => facts.tags.contains(tag),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Word(String),
    Integer(u64),
    Text(String),
    Op(&'static str),
    Open,
    Close,
}

impl std::fmt::Display for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Token::Word(word) => write!(f, "`{word}`"),
            Token::Integer(n) => write!(f, "`{n}`"),
            Token::Text(text) => write!(f, "\"{text}\""),
            Token::Op(op) => write!(f, "`{op}`"),
            Token::Open => f.write_str("`(`"),
            Token::Close => f.write_str("`)`"),
        }
    }
}

const OPERATORS: [&str; 6] = ["==", "!=", "<=", ">=", "<", ">"];

fn tokenize(text: &str) -> Result<Vec<Token>, String> {
    let mut tokens = Vec::new();
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        let at = text.len() - rest.len() + 1;
        if c.is_whitespace() {
            rest = &rest[c.len_utf8()..];
        } else if c == '(' || c == ')' {
            tokens.push(if c == '(' { Token::Open } else { Token::Close });
            rest = &rest[1..];
        } else if c == '"' {
            let end = rest[1..]
                .find('"')
                .ok_or_else(|| format!("column {at}: the text is not closed with \""))?;
            tokens.push(Token::Text(rest[1..=end].to_owned()));
            rest = &rest[end + 2..];
        } else if let Some(op) = OPERATORS.iter().find(|op| rest.starts_with(**op)) {
            tokens.push(Token::Op(op));
            rest = &rest[op.len()..];
        } else if c.is_ascii_digit() {
            let end = rest
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(rest.len());
            let number = rest[..end]
                .parse()
                .map_err(|_| format!("column {at}: the number is too large"))?;
            tokens.push(Token::Integer(number));
            rest = &rest[end..];
        } else if c.is_ascii_alphabetic() || c == '_' {
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            tokens.push(Token::Word(rest[..end].to_owned()));
            rest = &rest[end..];
        } else {
            return Err(format!("column {at}: unexpected character {c:?}"));
        }
    }
    Ok(tokens)
}

struct Parser {
    tokens: Vec<Token>,
    next: usize,
    comparisons: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.next)
    }

    fn take(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.next).cloned();
        self.next += 1;
        token
    }

    fn take_word(&mut self, word: &str) -> bool {
        if self.peek() == Some(&Token::Word(word.to_owned())) {
            self.next += 1;
            return true;
        }
        false
    }

    fn or(&mut self, depth: usize) -> Result<Condition, String> {
        let mut left = self.and(depth)?;
        while self.take_word("or") {
            left = Condition::Or(Box::new(left), Box::new(self.and(depth)?));
        }
        Ok(left)
    }

    fn and(&mut self, depth: usize) -> Result<Condition, String> {
        let mut left = self.unary(depth)?;
        while self.take_word("and") {
            left = Condition::And(Box::new(left), Box::new(self.unary(depth)?));
        }
        Ok(left)
    }

    fn unary(&mut self, depth: usize) -> Result<Condition, String> {
        let nested = |depth: usize| {
            if depth >= MAX_DEPTH {
                Err(format!(
                    "the condition nests deeper than {MAX_DEPTH} levels"
                ))
            } else {
                Ok(depth + 1)
            }
        };
        if self.take_word("not") {
            let inner = self.unary(nested(depth)?)?;
            return Ok(Condition::Not(Box::new(inner)));
        }
        if self.peek() == Some(&Token::Open) {
            self.next += 1;
            let inner = self.or(nested(depth)?)?;
            return match self.take() {
                Some(Token::Close) => Ok(inner),
                Some(token) => Err(format!("expected `)`, found {token}")),
                None => Err("a `(` is not closed".to_owned()),
            };
        }
        self.comparison()
    }

    fn comparison(&mut self) -> Result<Condition, String> {
        self.comparisons += 1;
        if self.comparisons > MAX_COMPARISONS {
            return Err(format!(
                "the condition has more than {MAX_COMPARISONS} comparisons"
            ));
        }
        let field = match self.take() {
            Some(Token::Word(word)) => word,
            Some(token) => return Err(format!("expected a fact, found {token}")),
            None => return Err("the condition ends where a fact was expected".to_owned()),
        };
        match field.as_str() {
            "severity" => {
                let order = self.order()?;
                let level = match self.take() {
                    Some(Token::Word(word)) => word.parse::<Severity>().map_err(|_| {
                        format!("`{word}` is no severity: use none, low, medium, high or critical")
                    })?,
                    other => return Err(expected("a severity", other)),
                };
                Ok(Condition::Severity(order, level))
            }
            "vehicle_count" => {
                let order = self.order()?;
                match self.take() {
                    Some(Token::Integer(count)) => Ok(Condition::VehicleCount(order, count)),
                    other => Err(expected("a whole number", other)),
                }
            }
            "rule" => {
                let equal = match self.take() {
                    Some(Token::Op("==")) => true,
                    Some(Token::Op("!=")) => false,
                    other => return Err(expected("`==` or `!=` after rule", other)),
                };
                let rule = self.text()?;
                Ok(Condition::Rule { equal, rule })
            }
            "build_ids" | "tags" => {
                if !self.take_word("contains") {
                    let found = self.take();
                    return Err(expected(&format!("`contains` after {field}"), found));
                }
                let value = self.text()?;
                Ok(if field == "tags" {
                    Condition::TagsContain(value)
                } else {
                    Condition::BuildIdsContain(value)
                })
            }
            other => Err(format!(
                "unknown fact `{other}`: use severity, vehicle_count, rule, build_ids or tags"
            )),
        }
    }

    fn order(&mut self) -> Result<Order, String> {
        match self.take() {
            Some(Token::Op(op)) => Ok(match op {
                "==" => Order::Eq,
                "!=" => Order::Ne,
                "<" => Order::Lt,
                "<=" => Order::Le,
                ">" => Order::Gt,
                _ => Order::Ge,
            }),
            other => Err(expected("a comparison operator", other)),
        }
    }

    fn text(&mut self) -> Result<String, String> {
        match self.take() {
            Some(Token::Text(text)) => Ok(text),
            other => Err(expected("a double-quoted text", other)),
        }
    }
}

fn expected(what: &str, found: Option<Token>) -> String {
    match found {
        Some(token) => format!("expected {what}, found {token}"),
        None => format!("expected {what}, but the condition ends"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> Facts {
        Facts {
            severity: Some(Severity::High),
            vehicle_count: 3,
            build_ids: vec!["gw-1.2.0".to_owned()],
            rule: "uds-brute-force".to_owned(),
            tags: vec!["ATM-T0012".to_owned()],
        }
    }

    fn holds(text: &str) -> bool {
        Condition::parse(text)
            .unwrap_or_else(|error| panic!("{text}: {error}"))
            .holds(&facts())
    }

    #[test]
    fn comparisons_follow_the_facts() {
        assert!(holds("severity >= high"));
        assert!(!holds("severity > high"));
        assert!(holds(
            "vehicle_count == 3 and build_ids contains \"gw-1.2.0\""
        ));
        assert!(!holds("vehicle_count < 3 or tags contains \"ATM-T9999\""));
        assert!(holds("not (rule != \"uds-brute-force\")"));
        assert!(holds(
            "severity < critical and (vehicle_count > 10 or tags contains \"ATM-T0012\")"
        ));
    }

    #[test]
    fn and_binds_tighter_than_or() {
        // false and false or true: true only if `and` is grouped first.
        assert!(holds(
            "vehicle_count > 5 and severity == low or vehicle_count == 3"
        ));
        assert!(!holds(
            "vehicle_count > 5 and (severity == low or vehicle_count == 3)"
        ));
    }

    #[test]
    fn mistakes_are_named() {
        let error = |text: &str| Condition::parse(text).expect_err(text);
        assert!(error("speed > 3").contains("unknown fact `speed`"));
        assert!(error("severity >= urgent").contains("`urgent` is no severity"));
        assert!(error("vehicle_count >= \"3\"").contains("expected a whole number"));
        assert!(error("(severity >= high").contains("not closed"));
        assert!(error("rule == \"x").contains("not closed"));
        assert!(error("severity >= high high").contains("unexpected `high`"));
        assert!(error("vehicle_count > 1 ; rm").contains("unexpected character ';'"));
    }

    #[test]
    fn a_condition_longer_than_the_limit_is_refused() {
        let padding = " ".repeat(MAX_LENGTH - "severity >= high".len());
        let at_limit = format!("severity >= high{padding}");
        assert_eq!(at_limit.chars().count(), MAX_LENGTH);
        assert!(Condition::parse(&at_limit).is_ok());
        let error = Condition::parse(&format!("{at_limit} ")).expect_err("too long");
        assert!(error.contains("at most 512"), "{error}");
    }

    #[test]
    fn nesting_deeper_than_the_limit_is_refused() {
        let nest = |levels: usize| {
            format!(
                "{}severity >= high{}",
                "(".repeat(levels),
                ")".repeat(levels)
            )
        };
        assert!(Condition::parse(&nest(MAX_DEPTH)).is_ok());
        let error = Condition::parse(&nest(MAX_DEPTH + 1)).expect_err("too deep");
        assert!(error.contains("deeper than 16"), "{error}");
        let nots = format!("{}severity >= high", "not ".repeat(MAX_DEPTH + 1));
        assert!(Condition::parse(&nots).is_err());
    }

    #[test]
    fn more_comparisons_than_the_limit_are_refused() {
        let terms = |n: usize| vec!["rule==\"a\""; n].join(" or ");
        assert!(Condition::parse(&terms(MAX_COMPARISONS)).is_ok());
        let error = Condition::parse(&terms(MAX_COMPARISONS + 1)).expect_err("too many");
        assert!(error.contains("more than 32 comparisons"), "{error}");
    }
}
