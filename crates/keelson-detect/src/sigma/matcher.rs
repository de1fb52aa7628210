//! Compiled field tests: one detection key (`field|modifiers`) with its values, ready to run.

use std::net::IpAddr;

use aho_corasick::AhoCorasick;
use regex::{Regex, RegexBuilder};

use super::modifier::{self, Cmp, Modifiers};
use super::pattern::{self, StrMatcher};
use super::yaml::{Node, NodeData};
use crate::event::{EventFields, FieldValue};

/// A test on one value read from the event.
#[derive(Debug, Clone)]
pub enum ValueTest {
    /// Wildcard/plain string comparison.
    Str(StrMatcher),
    /// The `re` modifier.
    Regex(Regex),
    /// The `cidr` modifier.
    Cidr(IpNet),
    /// `gt`, `gte`, `lt`, `lte`.
    Num(Cmp, f64),
    /// `field: null`: the field is absent or null.
    Null,
    /// `fieldref`: equal to (or wildcard-placed around) another field's value.
    FieldRef {
        other: String,
        lead: bool,
        trail: bool,
        cased: bool,
    },
}

/// An IPv4 or IPv6 network for the `cidr` modifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpNet {
    addr: IpAddr,
    prefix: u8,
}

impl IpNet {
    /// Parses `address/prefix` (a bare address is a host route).
    pub fn parse(text: &str) -> Option<Self> {
        let (a, p) = text.trim().split_once('/').unwrap_or((text.trim(), ""));
        let addr: IpAddr = a.parse().ok()?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = if p.is_empty() { max } else { p.parse().ok()? };
        (prefix <= max).then_some(Self { addr, prefix })
    }

    /// Whether `ip` lies inside the network.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip) {
            (IpAddr::V4(n), IpAddr::V4(i)) => {
                masked(u32::from(n).into(), 32, self.prefix)
                    == masked(u32::from(i).into(), 32, self.prefix)
            }
            (IpAddr::V6(n), IpAddr::V6(i)) => {
                masked(u128::from(n), 128, self.prefix) == masked(u128::from(i), 128, self.prefix)
            }
            _ => false,
        }
    }
}

fn masked(value: u128, width: u32, prefix: u8) -> u128 {
    let drop = width.saturating_sub(u32::from(prefix));
    value.checked_shr(drop).unwrap_or(0)
}

/// A compiled `field|modifiers: values` entry (or a keyword list when `field` is `None`).
#[derive(Debug, Clone)]
pub struct FieldMatcher {
    /// The field name; `None` searches every string of the event (keywords).
    pub field: Option<String>,
    tests: Vec<ValueTest>,
    all: bool,
    neq: bool,
    exists: Option<bool>,
    /// One automaton for an OR-list of plain substrings (hot path for `contains` lists).
    any_substring: Option<AhoCorasick>,
}

/// Why a field entry cannot be compiled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CompileProblem {
    /// Valid Sigma that this engine cannot run.
    Unsupported(String),
    /// Not valid Sigma.
    Invalid(String),
}

impl From<modifier::ModifierProblem> for CompileProblem {
    fn from(p: modifier::ModifierProblem) -> Self {
        match p {
            modifier::ModifierProblem::Unsupported(s) => Self::Unsupported(s),
            modifier::ModifierProblem::Invalid(s) => Self::Invalid(s),
        }
    }
}

impl FieldMatcher {
    /// Compiles a detection key and its value node.
    pub fn compile(key: &str, value: &Node) -> Result<Self, CompileProblem> {
        let mut parts = key.split('|');
        let field = parts.next().unwrap_or_default().trim();
        let names: Vec<&str> = parts.collect();
        let mods = modifier::parse_modifiers(&names)?;
        let field = (!field.is_empty()).then(|| field.to_string());
        let values = value_list(value);
        if mods.exists {
            return exists_matcher(field, &values);
        }
        if values.is_empty() {
            return Err(CompileProblem::Invalid(format!(
                "'{key}' has an empty value list"
            )));
        }
        let mut tests = Vec::new();
        for v in &values {
            tests.extend(compile_value(v, &mods, field.is_none())?);
        }
        Ok(Self::assemble(field, tests, &mods))
    }

    fn assemble(field: Option<String>, tests: Vec<ValueTest>, mods: &Modifiers) -> Self {
        let all = mods.all;
        let any_substring = (!all && tests.len() > 1)
            .then(|| substring_set(&tests))
            .flatten();
        Self {
            field,
            tests,
            all,
            neq: mods.neq,
            exists: None,
            any_substring,
        }
    }

    /// The set of plain exact values this matcher requires, for the prefilter index.
    pub fn exact_values(&self) -> Option<Vec<String>> {
        if self.all || self.neq || self.exists.is_some() || self.field.is_none() {
            return None;
        }
        self.tests
            .iter()
            .map(|t| match t {
                ValueTest::Str(s) => s.exact_literal().map(str::to_string),
                _ => None,
            })
            .collect()
    }

    /// Literals one of which every matching value contains, for the substring prefilter.
    pub fn required_literals(&self) -> Option<Vec<String>> {
        if self.neq || self.exists.is_some() || self.field.is_none() || self.tests.is_empty() {
            return None;
        }
        self.tests
            .iter()
            .map(|t| match t {
                ValueTest::Str(s) => s.required_literal().map(str::to_string),
                _ => None,
            })
            .collect()
    }

    /// Whether this matcher can only be true when its field is present.
    pub fn needs_field(&self) -> bool {
        self.field.is_some()
            && self.exists != Some(false)
            && !self.tests.iter().any(|t| matches!(t, ValueTest::Null))
    }

    /// Evaluates against an event.
    pub fn matches<E: EventFields + ?Sized>(&self, event: &E) -> bool {
        let Some(name) = &self.field else {
            return self.keyword_match(event);
        };
        let value = event.field(name);
        if let Some(want) = self.exists {
            return value.is_some() == want;
        }
        match value {
            None => !self.neq && self.tests.iter().any(|t| matches!(t, ValueTest::Null)),
            Some(v) => {
                let hit = self.value_match(&v, event);
                if self.neq { !hit } else { hit }
            }
        }
    }

    fn keyword_match<E: EventFields + ?Sized>(&self, event: &E) -> bool {
        if self.all {
            return self
                .tests
                .iter()
                .all(|t| event.any_string(&mut |s| text_test(t, s)));
        }
        if let Some(ac) = &self.any_substring {
            return event.any_string(&mut |s| ac.is_match(s));
        }
        event.any_string(&mut |s| self.tests.iter().any(|t| text_test(t, s)))
    }

    fn value_match<E: EventFields + ?Sized>(&self, value: &FieldValue<'_>, event: &E) -> bool {
        if let FieldValue::List(items) = value {
            return items.iter().any(|item| self.value_match(item, event));
        }
        if let (Some(ac), Some(text)) = (&self.any_substring, value.as_text()) {
            return ac.is_match(text.as_ref());
        }
        if self.all {
            self.tests.iter().all(|t| single_test(t, value, event))
        } else {
            self.tests.iter().any(|t| single_test(t, value, event))
        }
    }
}

fn exists_matcher(field: Option<String>, values: &[&Node]) -> Result<FieldMatcher, CompileProblem> {
    let want = match values {
        [
            Node {
                data: NodeData::Bool(b),
                ..
            },
        ] => *b,
        [n] if n.as_str() == Some("true") => true,
        [n] if n.as_str() == Some("false") => false,
        _ => {
            return Err(CompileProblem::Invalid(
                "exists needs a single true or false".into(),
            ));
        }
    };
    if field.is_none() {
        return Err(CompileProblem::Invalid("exists needs a field name".into()));
    }
    Ok(FieldMatcher {
        field,
        tests: Vec::new(),
        all: false,
        neq: false,
        exists: Some(want),
        any_substring: None,
    })
}

fn value_list(node: &Node) -> Vec<&Node> {
    match &node.data {
        NodeData::Seq(items) => items.iter().collect(),
        _ => vec![node],
    }
}

fn substring_set(tests: &[ValueTest]) -> Option<AhoCorasick> {
    let mut cased = None;
    let mut lits = Vec::new();
    for t in tests {
        let ValueTest::Str(s) = t else { return None };
        if *cased.get_or_insert(s.is_cased()) != s.is_cased() {
            return None;
        }
        lits.push(s.contains_literal()?);
    }
    pattern::multi_finder(&lits, cased.unwrap_or(false))
}

fn compile_value(
    node: &Node,
    m: &Modifiers,
    keyword: bool,
) -> Result<Vec<ValueTest>, CompileProblem> {
    if matches!(node.data, NodeData::Null) {
        return Ok(vec![ValueTest::Null]);
    }
    let Some(text) = node.scalar_text() else {
        return Err(CompileProblem::Invalid(format!(
            "line {}: value must be a scalar",
            node.line
        )));
    };
    if let Some(cmp) = m.cmp {
        return numeric(cmp, &text).map(|t| vec![t]);
    }
    if m.re {
        return regex_test(&text, m).map(|t| vec![t]);
    }
    if m.cidr {
        return IpNet::parse(&text)
            .map(|n| vec![ValueTest::Cidr(n)])
            .ok_or_else(|| CompileProblem::Invalid(format!("'{text}' is not a CIDR network")));
    }
    if m.fieldref {
        return Ok(vec![ValueTest::FieldRef {
            other: text,
            lead: m.contains || m.endswith,
            trail: m.contains || m.startswith,
            cased: m.cased,
        }]);
    }
    string_tests(&text, m, keyword)
}

fn numeric(cmp: Cmp, text: &str) -> Result<ValueTest, CompileProblem> {
    text.trim()
        .parse::<f64>()
        .map(|n| ValueTest::Num(cmp, n))
        .map_err(|_| CompileProblem::Invalid(format!("'{text}' is not a number")))
}

fn regex_test(text: &str, m: &Modifiers) -> Result<ValueTest, CompileProblem> {
    RegexBuilder::new(text)
        .case_insensitive(m.re_i)
        .multi_line(m.re_m)
        .dot_matches_new_line(m.re_s)
        .build()
        .map(ValueTest::Regex)
        .map_err(|e| {
            // The regex crate names the PCRE features it leaves out (look-around,
            // backreferences) as "not supported"; anything else is a broken pattern.
            let text = e.to_string();
            if text.contains("not supported") {
                CompileProblem::Unsupported(format!("regular expression not supported: {text}"))
            } else {
                CompileProblem::Invalid(format!("invalid regular expression: {text}"))
            }
        })
}

fn string_tests(
    text: &str,
    m: &Modifiers,
    keyword: bool,
) -> Result<Vec<ValueTest>, CompileProblem> {
    let variants = if m.windash {
        modifier::windash_variants(text).map_err(CompileProblem::Unsupported)?
    } else {
        vec![text.to_string()]
    };
    let mut out = Vec::new();
    for v in variants {
        for tokens in encoded_tokens(&v, m) {
            // Keywords search free text, so a bare keyword behaves like `contains`.
            let lead = m.contains || m.endswith || (keyword && !m.startswith);
            let trail = m.contains || m.startswith || (keyword && !m.endswith);
            let tokens = pattern::wrap(tokens, lead, trail);
            let matcher = StrMatcher::new(&tokens, m.cased).map_err(CompileProblem::Unsupported)?;
            out.push(ValueTest::Str(matcher));
        }
    }
    Ok(out)
}

fn encoded_tokens(value: &str, m: &Modifiers) -> Vec<Vec<pattern::Token>> {
    if m.base64 {
        vec![pattern::literal(&modifier::base64_plain(value))]
    } else if m.base64offset {
        modifier::base64_offsets(value)
            .iter()
            .map(|s| pattern::literal(s))
            .collect()
    } else {
        vec![pattern::tokenize(value)]
    }
}

fn text_test(test: &ValueTest, text: &str) -> bool {
    match test {
        ValueTest::Str(s) => s.is_match(text),
        ValueTest::Regex(r) => r.is_match(text),
        _ => false,
    }
}

fn single_test<E: EventFields + ?Sized>(
    test: &ValueTest,
    value: &FieldValue<'_>,
    event: &E,
) -> bool {
    match test {
        ValueTest::Null => matches!(value, FieldValue::Null),
        ValueTest::Num(cmp, want) => value.as_number().is_some_and(|n| cmp.holds(n, *want)),
        ValueTest::Cidr(net) => value
            .as_text()
            .and_then(|t| t.trim().parse::<IpAddr>().ok())
            .is_some_and(|ip| net.contains(ip)),
        ValueTest::FieldRef {
            other,
            lead,
            trail,
            cased,
        } => field_ref(value, event.field(other).as_ref(), *lead, *trail, *cased),
        ValueTest::Str(_) | ValueTest::Regex(_) => {
            value.as_text().is_some_and(|t| text_test(test, t.as_ref()))
        }
    }
}

fn field_ref(
    value: &FieldValue<'_>,
    other: Option<&FieldValue<'_>>,
    lead: bool,
    trail: bool,
    cased: bool,
) -> bool {
    let (Some(mine), Some(theirs)) = (value.as_text(), other.and_then(FieldValue::as_text)) else {
        return false;
    };
    let tokens = pattern::wrap(pattern::literal(theirs.as_ref()), lead, trail);
    StrMatcher::new(&tokens, cased).is_ok_and(|m| m.is_match(mine.as_ref()))
}
