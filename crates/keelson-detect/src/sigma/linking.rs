//! Resolves correlation references (by id or name) and orders correlations so that a
//! chained correlation comes after the correlations it consumes.

use super::correlation::{CorrelationRule, RuleRef};
use super::rule::{RuleReport, RuleStatus};
use super::ruleset::{DetectionRule, PendingCorrelation};

/// A reference before ordering: detection index or pending-correlation index.
#[derive(Clone, Copy)]
enum Raw {
    Detection(usize),
    Pending(usize),
}

/// Links pending correlations; broken ones get an error report and are dropped.
pub(crate) fn link_correlations(
    rules: &[DetectionRule],
    pending: Vec<PendingCorrelation>,
    reports: &mut [RuleReport],
) -> Vec<CorrelationRule> {
    let resolved: Vec<Result<Vec<Raw>, String>> = pending
        .iter()
        .map(|p| resolve_refs(&p.rule, rules, &pending))
        .collect();
    let mut alive: Vec<bool> = resolved.iter().map(Result::is_ok).collect();
    for (p, r) in pending.iter().zip(&resolved) {
        if let Err(reason) = r {
            fail(reports, p.report, reason.clone());
        }
    }
    let order = topological_order(&resolved, &mut alive, &pending, reports);
    build(pending, &resolved, &order)
}

fn resolve_refs(
    rule: &CorrelationRule,
    rules: &[DetectionRule],
    pending: &[PendingCorrelation],
) -> Result<Vec<Raw>, String> {
    rule.rules
        .iter()
        .map(|r| {
            if let Some(i) = rules.iter().position(|d| d.meta.is_named(r)) {
                Ok(Raw::Detection(i))
            } else if let Some(j) = pending.iter().position(|p| p.rule.meta.is_named(r)) {
                Ok(Raw::Pending(j))
            } else {
                Err(format!(
                    "correlation references unknown or inactive rule '{r}'"
                ))
            }
        })
        .collect()
}

fn fail(reports: &mut [RuleReport], at: usize, reason: String) {
    if let Some(r) = reports.get_mut(at) {
        r.status = RuleStatus::Error { reason };
    }
}

/// Kahn's algorithm over pending correlations; members of cycles and dependants of
/// dropped correlations are reported as errors.
fn topological_order(
    resolved: &[Result<Vec<Raw>, String>],
    alive: &mut [bool],
    pending: &[PendingCorrelation],
    reports: &mut [RuleReport],
) -> Vec<usize> {
    let mut order = Vec::new();
    let mut placed = vec![false; resolved.len()];
    loop {
        let next = (0..resolved.len()).find(|&i| {
            alive.get(i) == Some(&true)
                && placed.get(i) == Some(&false)
                && deps(resolved, i)
                    .iter()
                    .all(|d| placed.get(*d) == Some(&true))
        });
        match next {
            Some(i) => {
                if let Some(p) = placed.get_mut(i) {
                    *p = true;
                }
                order.push(i);
            }
            None => break,
        }
    }
    for i in 0..resolved.len() {
        if alive.get(i) == Some(&true) && placed.get(i) == Some(&false) {
            if let Some(a) = alive.get_mut(i) {
                *a = false;
            }
            let at = pending.get(i).map_or(usize::MAX, |p| p.report);
            fail(
                reports,
                at,
                "correlation chain is cyclic or depends on a broken correlation".into(),
            );
        }
    }
    order
}

fn deps(resolved: &[Result<Vec<Raw>, String>], i: usize) -> Vec<usize> {
    match resolved.get(i) {
        Some(Ok(refs)) => refs
            .iter()
            .filter_map(|r| match r {
                Raw::Pending(j) => Some(*j),
                Raw::Detection(_) => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn build(
    pending: Vec<PendingCorrelation>,
    resolved: &[Result<Vec<Raw>, String>],
    order: &[usize],
) -> Vec<CorrelationRule> {
    let position = |j: usize| order.iter().position(|o| *o == j);
    let mut slots: Vec<Option<CorrelationRule>> =
        pending.into_iter().map(|p| Some(p.rule)).collect();
    let mut out = Vec::new();
    for &i in order {
        let Some(mut rule) = slots.get_mut(i).and_then(Option::take) else {
            continue;
        };
        let Some(Ok(refs)) = resolved.get(i) else {
            continue;
        };
        rule.targets = refs
            .iter()
            .filter_map(|r| match r {
                Raw::Detection(d) => Some(RuleRef::Detection(*d)),
                Raw::Pending(j) => position(*j).map(RuleRef::Correlation),
            })
            .collect();
        out.push(rule);
    }
    out
}
