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
    /// Evaluates the search; matcher `known` (of an `All` search) is already proven true.
    fn matches<E: EventFields + ?Sized>(&self, event: &E, known: Option<usize>) -> bool {
        match self {
            Self::All(ms) => ms
                .iter()
                .enumerate()
                .all(|(i, m)| known == Some(i) || m.matches(event)),
            Self::AnyOf(groups) => groups.iter().any(|g| g.iter().all(|m| m.matches(event))),
        }
    }

    fn index_key(&self, search: usize) -> Option<IndexKey> {
        let Self::All(ms) = self else { return None };
        ms.iter().enumerate().find_map(|(matcher, m)| {
            let field = m.field.clone()?;
            let values = m.exact_values()?;
            Some(IndexKey {
                search,
                matcher,
                field,
                values,
            })
        })
    }

    fn substring_key(&self) -> Option<(String, Vec<String>)> {
        let Self::All(ms) = self else { return None };
        ms.iter()
            .filter_map(|m| Some((m.field.clone()?, m.required_literals()?)))
            .max_by_key(|(_, lits)| lits.iter().map(String::len).min().unwrap_or(0))
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

/// A matcher every match of the rule needs, comparing one field with exact values:
/// the rule set indexes the rule by it, and a rule reached through the index skips it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexKey {
    /// The search holding the matcher.
    pub search: usize,
    /// The matcher's position in that search.
    pub matcher: usize,
    /// The field.
    pub field: String,
    /// The lower-cased values, any of which satisfies the matcher.
    pub values: Vec<String>,
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
    /// Compiles the `detection` node; a problem comes with the line of the node that
    /// caused it.
    pub fn compile(node: &Node) -> Result<Self, (CompileProblem, usize)> {
        let at = |line: usize| move |problem: CompileProblem| (problem, line);
        let NodeData::Map(entries) = &node.data else {
            let problem = CompileProblem::Invalid("detection must be a mapping".into());
            return Err((problem, node.line));
        };
        if let Some((_, timeframe)) = entries.iter().find(|(k, _)| k == "timeframe") {
            let problem = CompileProblem::Unsupported(
                "detection 'timeframe' (Sigma v1 aggregation) is not supported; \
                 use a correlation rule"
                    .into(),
            );
            return Err((problem, timeframe.line));
        }

        let mut names = Vec::new();
        let mut searches = Vec::new();
        for (name, value) in entries.iter().filter(|(k, _)| k != "condition") {
            names.push(name.clone());
            searches.push(compile_search(value)?);
        }

        let cond_node = node.get("condition").ok_or_else(|| {
            let problem = CompileProblem::Invalid("detection has no condition".into());
            (problem, node.line)
        })?;
        let cond = parse_condition_node(cond_node).map_err(at(cond_node.line))?;
        let expr = resolve(&cond, &names).map_err(at(cond_node.line))?;
        Ok(Self { searches, expr })
    }

    /// Whether the event satisfies the condition.
    pub fn matches<E: EventFields + ?Sized>(&self, event: &E) -> bool {
        self.eval(&self.expr, event, None)
    }

    /// Whether the event satisfies the condition, given that the matcher named by `key`
    /// is already known to be true (the index lookup proved it).
    pub fn matches_with_key<E: EventFields + ?Sized>(&self, event: &E, key: &IndexKey) -> bool {
        self.eval(&self.expr, event, Some((key.search, key.matcher)))
    }

    fn eval<E>(&self, expr: &Expr, event: &E, known: Option<(usize, usize)>) -> bool
    where
        E: EventFields + ?Sized,
    {
        let search = |i: usize| {
            let skip = known.filter(|(s, _)| *s == i).map(|(_, m)| m);
            self.searches.get(i).is_some_and(|s| s.matches(event, skip))
        };
        match expr {
            Expr::Search(i) => search(*i),
            Expr::Not(e) => !self.eval(e, event, known),
            Expr::And(es) => es.iter().all(|e| self.eval(e, event, known)),
            Expr::Or(es) => es.iter().any(|e| self.eval(e, event, known)),
            Expr::AtLeast(n, ids) => {
                let mut hits = 0;
                ids.iter().any(|i| {
                    hits += usize::from(search(*i));
                    hits >= *n
                })
            }
        }
    }

    /// A matcher the event must satisfy for the rule to match, if one compares a field
    /// with exact values: the rule set indexes rules by it.
    pub fn index_key(&self) -> Option<IndexKey> {
        key_of(&self.expr, &self.searches)
    }

    /// A field and literals, one of which the field must contain for the rule to match;
    /// among the candidates the one with the longest shortest literal (most selective).
    pub fn substring_key(&self) -> Option<(String, Vec<String>)> {
        sub_key_of(&self.expr, &self.searches)
    }

    /// Fields that must be present for the rule to match.
    pub fn required_fields(&self) -> Vec<String> {
        fields_of(&self.expr, &self.searches)
    }
}

fn key_of(expr: &Expr, searches: &[Search]) -> Option<IndexKey> {
    match expr {
        Expr::Search(i) => searches.get(*i)?.index_key(*i),
        Expr::And(es) => es.iter().find_map(|e| key_of(e, searches)),
        Expr::AtLeast(n, ids) if *n == ids.len() => {
            ids.iter().find_map(|i| searches.get(*i)?.index_key(*i))
        }
        _ => None,
    }
}

fn sub_key_of(expr: &Expr, searches: &[Search]) -> Option<(String, Vec<String>)> {
    let score = |k: &(String, Vec<String>)| k.1.iter().map(String::len).min().unwrap_or(0);
    match expr {
        Expr::Search(i) => searches.get(*i)?.substring_key(),
        Expr::And(es) => es
            .iter()
            .filter_map(|e| sub_key_of(e, searches))
            .max_by_key(score),
        Expr::AtLeast(n, ids) if *n == ids.len() => ids
            .iter()
            .filter_map(|i| searches.get(*i)?.substring_key())
            .max_by_key(score),
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

fn compile_search(node: &Node) -> Result<Search, (CompileProblem, usize)> {
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
            let problem = CompileProblem::Invalid("search mixes maps and keywords".into());
            Err((problem, node.line))
        }
        _ => FieldMatcher::compile("", node)
            .map(|m| Search::All(vec![m]))
            .map_err(|problem| (problem, node.line)),
    }
}

/// Each field entry's problem is reported at the line of its value.
fn compile_map(entries: &[(String, Node)]) -> Result<Vec<FieldMatcher>, (CompileProblem, usize)> {
    entries
        .iter()
        .map(|(k, v)| FieldMatcher::compile(k, v).map_err(|problem| (problem, v.line)))
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
