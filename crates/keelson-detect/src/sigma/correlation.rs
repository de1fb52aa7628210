//! Sigma v2 correlation rules as parsed from YAML: type, referenced rules, group-by,
//! aliases, timespan and count condition.

use std::collections::HashMap;

use super::rule::RuleMeta;
use super::yaml::{Node, NodeData};

/// The four correlation types this engine runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CorrelationType {
    /// Number of matching events.
    EventCount,
    /// Number of distinct values of a field.
    ValueCount,
    /// All (or N of the) referenced rules matched, in any order.
    Temporal,
    /// All referenced rules matched in the order given.
    TemporalOrdered,
}

/// A count condition; several bounds form a range (all must hold).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CountCondition {
    pub gt: Option<f64>,
    pub gte: Option<f64>,
    pub lt: Option<f64>,
    pub lte: Option<f64>,
    pub eq: Option<f64>,
    pub neq: Option<f64>,
}

impl CountCondition {
    /// Whether a count satisfies every bound.
    pub fn holds(&self, count: usize) -> bool {
        let n = count as f64;
        self.gt.is_none_or(|v| n > v)
            && self.gte.is_none_or(|v| n >= v)
            && self.lt.is_none_or(|v| n < v)
            && self.lte.is_none_or(|v| n <= v)
            && self.eq.is_none_or(|v| n == v)
            && self.neq.is_none_or(|v| n != v)
    }

    /// The bound an operator name sets.
    fn slot(&mut self, operator: &str) -> Option<&mut Option<f64>> {
        match operator {
            "gt" => Some(&mut self.gt),
            "gte" => Some(&mut self.gte),
            "lt" => Some(&mut self.lt),
            "lte" => Some(&mut self.lte),
            "eq" => Some(&mut self.eq),
            "neq" => Some(&mut self.neq),
            _ => None,
        }
    }

    /// True when the condition has no lower bound (it already holds for a count of one):
    /// such conditions are judged when a window closes, not on every event.
    pub fn judged_at_window_end(&self) -> bool {
        self.gt.is_none() && self.gte.is_none() && self.eq.is_none() && self.holds(1)
    }
}

/// A parsed correlation rule; `rules` are resolved to indices by the rule set.
#[derive(Debug, Clone, PartialEq)]
pub struct CorrelationRule {
    /// Title, id, name, level, tags.
    pub meta: RuleMeta,
    /// The type.
    pub kind: CorrelationType,
    /// References (ids or names) as written.
    pub rules: Vec<String>,
    /// `group-by` fields (or aliases).
    pub group_by: Vec<String>,
    /// alias -> (rule reference -> field).
    pub aliases: HashMap<String, HashMap<String, String>>,
    /// `timespan` in milliseconds.
    pub timespan_ms: i64,
    /// The count condition (temporal types default to "all referenced rules").
    pub condition: CountCondition,
    /// `condition.field` for value_count.
    pub field: Option<String>,
    /// `generate`: whether referenced rules also alert on their own.
    pub generate: bool,
    /// The referenced rules, resolved when the rule set is linked.
    pub targets: Vec<RuleRef>,
}

/// A resolved reference from a correlation to another rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleRef {
    /// Index into `RuleSet::rules()`.
    Detection(usize),
    /// Index into `RuleSet::correlations()` (always an earlier correlation).
    Correlation(usize),
}

/// Why a correlation document cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CorrelationProblem {
    /// Valid Sigma this engine does not run.
    Unsupported(String),
    /// Not valid Sigma.
    Invalid(String),
}

use CorrelationProblem::{Invalid, Unsupported};

/// Parses the `correlation` section of a document.
pub fn parse_correlation(
    meta: RuleMeta,
    section: &Node,
) -> Result<CorrelationRule, CorrelationProblem> {
    let kind = parse_type(section.get("type").and_then(Node::as_str))?;
    let rules = section
        .get("rules")
        .and_then(Node::string_list)
        .filter(|r| !r.is_empty())
        .ok_or_else(|| Invalid("correlation needs 'rules'".into()))?;
    let group_by = section
        .get("group-by")
        .and_then(Node::string_list)
        .unwrap_or_default();
    let timespan_ms = section
        .get("timespan")
        .and_then(Node::scalar_text)
        .ok_or_else(|| Invalid("correlation needs 'timespan'".into()))
        .and_then(|t| parse_timespan(&t).map_err(Invalid))?;
    let (condition, field) = parse_condition(kind, section.get("condition"), rules.len())?;
    let aliases = parse_aliases(section.get("aliases"))?;
    let generate = matches!(
        section.get("generate").map(|n| &n.data),
        Some(NodeData::Bool(true))
    );
    Ok(CorrelationRule {
        meta,
        kind,
        rules,
        group_by,
        aliases,
        timespan_ms,
        condition,
        field,
        generate,
        targets: Vec::new(),
    })
}

fn parse_type(text: Option<&str>) -> Result<CorrelationType, CorrelationProblem> {
    match text {
        Some("event_count") => Ok(CorrelationType::EventCount),
        Some("value_count") => Ok(CorrelationType::ValueCount),
        Some("temporal") => Ok(CorrelationType::Temporal),
        Some("temporal_ordered") => Ok(CorrelationType::TemporalOrdered),
        Some(t @ ("value_sum" | "value_avg" | "value_percentile" | "value_median")) => {
            Err(Unsupported(format!(
                "correlation type '{t}' is not implemented by keelson-detect"
            )))
        }
        Some(t) => Err(Invalid(format!("unknown correlation type '{t}'"))),
        None => Err(Invalid("correlation needs 'type'".into())),
    }
}

/// Parses `number + s|m|h|d` into milliseconds.
pub fn parse_timespan(text: &str) -> Result<i64, String> {
    let text = text.trim();
    let split = text.len().saturating_sub(1);
    let (num, unit) = (
        text.get(..split).unwrap_or_default(),
        text.get(split..).unwrap_or_default(),
    );
    let factor: i64 = match unit {
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => {
            return Err(format!(
                "timespan '{text}' must be a number followed by s, m, h or d"
            ));
        }
    };
    let n: i64 = num
        .parse()
        .map_err(|_| format!("timespan '{text}' has no valid number"))?;
    n.checked_mul(factor)
        .filter(|ms| *ms > 0)
        .ok_or_else(|| format!("timespan '{text}' is out of range"))
}

fn parse_condition(
    kind: CorrelationType,
    node: Option<&Node>,
    rule_count: usize,
) -> Result<(CountCondition, Option<String>), CorrelationProblem> {
    let temporal = matches!(
        kind,
        CorrelationType::Temporal | CorrelationType::TemporalOrdered
    );
    let Some(node) = node else {
        if temporal {
            let all = CountCondition {
                gte: Some(rule_count as f64),
                ..CountCondition::default()
            };
            return Ok((all, None));
        }
        return Err(Invalid("correlation needs 'condition'".into()));
    };
    let NodeData::Map(entries) = &node.data else {
        return Err(Invalid("correlation condition must be a mapping".into()));
    };
    let mut cond = CountCondition::default();
    let mut field = None;
    for (key, value) in entries {
        if key == "field" {
            field = value.scalar_text();
            continue;
        }
        let n = value
            .scalar_text()
            .and_then(|t| t.parse::<f64>().ok())
            .ok_or_else(|| Invalid(format!("condition '{key}' needs a number")))?;
        let slot = cond
            .slot(key)
            .ok_or_else(|| Invalid(format!("unknown condition operator '{key}'")))?;
        *slot = Some(n);
    }
    if kind == CorrelationType::ValueCount && field.is_none() {
        return Err(Invalid("value_count needs 'condition.field'".into()));
    }
    Ok((cond, field))
}

fn parse_aliases(
    node: Option<&Node>,
) -> Result<HashMap<String, HashMap<String, String>>, CorrelationProblem> {
    let mut out = HashMap::new();
    let Some(node) = node else { return Ok(out) };
    let NodeData::Map(entries) = &node.data else {
        return Err(Invalid("aliases must be a mapping".into()));
    };
    for (alias, per_rule) in entries {
        let NodeData::Map(fields) = &per_rule.data else {
            return Err(Invalid(format!(
                "alias '{alias}' must map rule names to fields"
            )));
        };
        let map = fields
            .iter()
            .filter_map(|(rule, f)| Some((rule.clone(), f.scalar_text()?)))
            .collect();
        out.insert(alias.clone(), map);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timespans_follow_the_specification_units() {
        assert_eq!(parse_timespan("90m"), Ok(90 * 60_000));
        assert_eq!(parse_timespan("1d"), Ok(86_400_000));
        assert_eq!(parse_timespan("30s"), Ok(30_000));
        assert!(parse_timespan("5w").is_err());
        assert!(parse_timespan("m").is_err());
        assert!(parse_timespan("").is_err());
    }

    #[test]
    fn range_condition_needs_every_bound() {
        // Specification example "101 to 200": gt 100 and lte 200.
        let c = CountCondition {
            gt: Some(100.0),
            lte: Some(200.0),
            ..CountCondition::default()
        };
        assert!(!c.holds(100));
        assert!(c.holds(101));
        assert!(c.holds(200));
        assert!(!c.holds(201));
        assert!(!c.judged_at_window_end());
        let upper = CountCondition {
            lt: Some(5.0),
            ..CountCondition::default()
        };
        assert!(upper.judged_at_window_end());
    }
}
