//! A rule's `detection` section compiled: named searches plus the resolved condition.

use super::condition::{self, Cond, Quant, Target};
use super::matcher::{CompileProblem, FieldMatcher};
use super::yaml::{Node, NodeData};
use crate::event::EventFields;

/// One named search: a map (AND of its keys) or a list of maps (OR).
#[derive(Debug, Clone)]
pub enum Search {
    /// Every matcher must hold.
    All(Vec<FieldMatcher>),
    /// Any of the AND-groups must hold.
    AnyOf(Vec<Vec<FieldMatcher>>),
}

impl Search {
    fn matches<E: EventFields + ?Sized>(&self, event: &E) -> bool {
        match self {
            Self::All(ms) => ms.iter().all(|m| m.matches(event)),
            Self::AnyOf(groups) => groups.iter().any(|g| g.iter().all(|m| m.matches(event))),
        }
    }

    fn index_key(&self) -> Option<(String, Vec<String>)> {
        let Self::All(ms) = self else { return None };
        ms.iter()
            .find_map(|m| Some((m.field.clone()?, m.exact_values()?)))
    }

    fn required_fields(&self) -> Vec<String> {
        match self {
            Self::All(ms) => ms
                .iter()
                .filter(|m| m.needs_field())
                .filter_map(|m| m.field.clone())
                .collect(),
            Self::AnyOf(_) => Vec::new(),
        }
    }
}

/// A condition with search names resolved to indices.
#[derive(Debug, Clone)]
pub enum Expr {
    /// One search.
    Search(usize),
    /// Negation.
    Not(Box<Expr>),
    /// All true.
    And(Vec<Expr>),
    /// Any true.
    Or(Vec<Expr>),
    /// At least `n` of the searches (n = len for `all of`).
    AtLeast(usize, Vec<usize>),
}

/// A compiled detection section.
#[derive(Debug, Clone)]
pub struct Detection {
    searches: Vec<Search>,
    expr: Expr,
}

impl Detection {
    /// Compiles the `detection` node.
    pub fn compile(node: &Node) -> Result<Self, CompileProblem> {
        let NodeData::Map(entries) = &node.data else {
            return Err(CompileProblem::Invalid(
                "detection must be a mapping".into(),
            ));
        };
        if entries.iter().any(|(k, _)| k == "timeframe") {
            return Err(CompileProblem::Unsupported(
                "detection 'timeframe' (Sigma v1 aggregation) is not supported; \
                 use a correlation rule"
                    .into(),
            ));
        }
        let mut names = Vec::new();
        let mut searches = Vec::new();
        for (name, value) in entries.iter().filter(|(k, _)| k != "condition") {
            names.push(name.clone());
            searches.push(compile_search(value)?);
        }
        let cond_node = node
            .get("condition")
            .ok_or_else(|| CompileProblem::Invalid("detection has no condition".into()))?;
        let cond = parse_condition_node(cond_node)?;
        let expr = resolve(&cond, &names)?;
        Ok(Self { searches, expr })
    }

    /// Whether the event satisfies the condition.
    pub fn matches<E: EventFields + ?Sized>(&self, event: &E) -> bool {
        self.eval(&self.expr, event)
    }

    fn eval<E: EventFields + ?Sized>(&self, expr: &Expr, event: &E) -> bool {
        match expr {
            Expr::Search(i) => self.searches.get(*i).is_some_and(|s| s.matches(event)),
            Expr::Not(e) => !self.eval(e, event),
            Expr::And(es) => es.iter().all(|e| self.eval(e, event)),
            Expr::Or(es) => es.iter().any(|e| self.eval(e, event)),
            Expr::AtLeast(n, ids) => {
                let mut hits = 0;
                ids.iter().any(|i| {
                    hits += usize::from(self.searches.get(*i).is_some_and(|s| s.matches(event)));
                    hits >= *n
                })
            }
        }
    }

    /// A (field, exact values) pair the event must satisfy for the rule to match, if any:
    /// the ruleset indexes rules by it.
    pub fn index_key(&self) -> Option<(String, Vec<String>)> {
        key_of(&self.expr, &self.searches)
    }

    /// Fields that must be present for the rule to match.
    pub fn required_fields(&self) -> Vec<String> {
        fields_of(&self.expr, &self.searches)
    }
}

fn key_of(expr: &Expr, searches: &[Search]) -> Option<(String, Vec<String>)> {
    match expr {
        Expr::Search(i) => searches.get(*i)?.index_key(),
        Expr::And(es) => es.iter().find_map(|e| key_of(e, searches)),
        Expr::AtLeast(n, ids) if *n == ids.len() => {
            ids.iter().find_map(|i| searches.get(*i)?.index_key())
        }
        _ => None,
    }
}

fn fields_of(expr: &Expr, searches: &[Search]) -> Vec<String> {
    match expr {
        Expr::Search(i) => searches
            .get(*i)
            .map(Search::required_fields)
            .unwrap_or_default(),
        Expr::And(es) => es.iter().flat_map(|e| fields_of(e, searches)).collect(),
        Expr::AtLeast(n, ids) if *n == ids.len() => ids
            .iter()
            .filter_map(|i| searches.get(*i))
            .flat_map(Search::required_fields)
            .collect(),
        _ => Vec::new(),
    }
}

fn compile_search(node: &Node) -> Result<Search, CompileProblem> {
    match &node.data {
        NodeData::Map(entries) => compile_map(entries).map(Search::All),
        NodeData::Seq(items) if items.iter().all(|i| matches!(i.data, NodeData::Map(_))) => {
            let mut groups = Vec::new();
            for item in items {
                if let NodeData::Map(entries) = &item.data {
                    groups.push(compile_map(entries)?);
                }
            }
            Ok(Search::AnyOf(groups))
        }
        NodeData::Seq(items) if items.iter().any(|i| matches!(i.data, NodeData::Map(_))) => {
            Err(CompileProblem::Invalid(format!(
                "line {}: search mixes maps and keywords",
                node.line
            )))
        }
        _ => FieldMatcher::compile("", node).map(|m| Search::All(vec![m])),
    }
}

fn compile_map(entries: &[(String, Node)]) -> Result<Vec<FieldMatcher>, CompileProblem> {
    entries
        .iter()
        .map(|(k, v)| FieldMatcher::compile(k, v))
        .collect()
}

fn parse_condition_node(node: &Node) -> Result<Cond, CompileProblem> {
    let texts = node
        .string_list()
        .ok_or_else(|| CompileProblem::Invalid("condition must be a string".into()))?;
    let mut conds = Vec::new();
    for t in &texts {
        conds.push(condition::parse_condition(t).map_err(|e| {
            if e.contains("aggregation") {
                CompileProblem::Unsupported(e)
            } else {
                CompileProblem::Invalid(e)
            }
        })?);
    }
    // A list of conditions is an OR of them (older rules).
    Ok(if conds.len() == 1 {
        conds.remove(0)
    } else {
        Cond::Or(conds)
    })
}

fn resolve(cond: &Cond, names: &[String]) -> Result<Expr, CompileProblem> {
    Ok(match cond {
        Cond::Ident(n) => Expr::Search(names.iter().position(|x| x == n).ok_or_else(|| {
            CompileProblem::Invalid(format!("condition names unknown search '{n}'"))
        })?),
        Cond::Not(c) => Expr::Not(Box::new(resolve(c, names)?)),
        Cond::And(cs) => Expr::And(
            cs.iter()
                .map(|c| resolve(c, names))
                .collect::<Result<_, _>>()?,
        ),
        Cond::Or(cs) => Expr::Or(
            cs.iter()
                .map(|c| resolve(c, names))
                .collect::<Result<_, _>>()?,
        ),
        Cond::Of(q, t) => {
            let ids: Vec<usize> = names
                .iter()
                .enumerate()
                .filter(|(_, n)| match t {
                    Target::Them => !n.starts_with('_'),
                    Target::Pattern(p) => condition::name_matches(p, n),
                })
                .map(|(i, _)| i)
                .collect();
            if ids.is_empty() {
                return Err(CompileProblem::Invalid(format!(
                    "no search matches '{t:?}'"
                )));
            }
            let n = match q {
                Quant::All => ids.len(),
                Quant::AtLeast(n) => *n,
            };
            Expr::AtLeast(n, ids)
        }
    })
}
