//! NVD CVE API 2.0 configurations: `cpeMatch` criteria with version bounds, nodes joined
//! by AND/OR with `negate`, and which inventory CPEs make a configuration true.
//!
//! A `vulnerable: false` criterion is a platform condition ("running on/with"): it must
//! hold for the configuration to be true, but it is never itself the vulnerable thing.

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};

use super::{Cpe, CpeValue};
use crate::version::Scheme;

/// How the children of a node or configuration combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Operator {
    /// Every child must hold.
    And,
    /// At least one child must hold.
    #[default]
    Or,
}

/// One `configurations[]` entry.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct NvdConfiguration {
    /// How the nodes combine (NVD omits it when there is one node).
    #[serde(default)]
    pub operator: Operator,
    /// Whether the combined result is inverted.
    #[serde(default)]
    pub negate: bool,
    /// The nodes.
    pub nodes: Vec<NvdNode>,
}

/// One node: criteria joined by an operator.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct NvdNode {
    /// How the criteria combine.
    #[serde(default)]
    pub operator: Operator,
    /// Whether the node's result is inverted.
    #[serde(default)]
    pub negate: bool,
    /// The criteria.
    #[serde(rename = "cpeMatch")]
    pub cpe_match: Vec<CpeMatch>,
}

/// One `cpeMatch` criterion.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CpeMatch {
    /// `true`: the matched product is vulnerable; `false`: a platform condition.
    pub vulnerable: bool,
    /// The CPE pattern.
    pub criteria: Cpe,
    /// NVD's identifier of this criterion.
    #[serde(default)]
    pub match_criteria_id: Option<String>,
    /// Lowest affected version, included.
    #[serde(default)]
    pub version_start_including: Option<String>,
    /// Lowest affected version, excluded.
    #[serde(default)]
    pub version_start_excluding: Option<String>,
    /// Highest affected version, included.
    #[serde(default)]
    pub version_end_including: Option<String>,
    /// Highest affected version, excluded.
    #[serde(default)]
    pub version_end_excluding: Option<String>,
}

impl CpeMatch {
    fn has_bounds(&self) -> bool {
        self.version_start_including.is_some()
            || self.version_start_excluding.is_some()
            || self.version_end_including.is_some()
            || self.version_end_excluding.is_some()
    }

    /// Whether `target` satisfies this criterion, bounds included. Vendor versions have
    /// no published scheme, so bounds use [`Scheme::Generic`]; a target whose version is
    /// ANY or NA cannot be placed inside bounds and does not match.
    pub fn matches(&self, target: &Cpe) -> bool {
        if !self.has_bounds() {
            return self.criteria.matches(target);
        }
        if !self.criteria.matches_except_version(target) {
            return false;
        }
        if !matches!(self.criteria.version(), CpeValue::Any) && !self.criteria.matches(target) {
            return false;
        }
        let CpeValue::Value(text) = target.version() else {
            return false;
        };
        self.within_bounds(&text.logical())
    }

    fn within_bounds(&self, version: &str) -> bool {
        let cmp = |bound: &Option<String>| {
            bound
                .as_deref()
                .map(|b| Scheme::Generic.compare(version, b))
        };
        let ok = |c: Option<Result<Ordering, _>>, accept: &[Ordering]| match c {
            None => true,
            Some(Ok(o)) => accept.contains(&o),
            Some(Err(_)) => false,
        };
        use Ordering::{Equal, Greater, Less};
        ok(cmp(&self.version_start_including), &[Greater, Equal])
            && ok(cmp(&self.version_start_excluding), &[Greater])
            && ok(cmp(&self.version_end_including), &[Less, Equal])
            && ok(cmp(&self.version_end_excluding), &[Less])
    }
}

/// One criterion that an inventory CPE satisfied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchedCriterion {
    /// Index of the node in the configuration.
    pub node: usize,
    /// Index of the criterion in the node's `cpeMatch`.
    pub cpe_match: usize,
    /// NVD's identifier of the criterion, if given.
    pub match_criteria_id: Option<String>,
    /// The criterion's CPE pattern.
    pub criteria: Cpe,
    /// Index of the satisfying CPE in the inventory.
    pub inventory: usize,
}

/// Why a configuration applies: the vulnerable criteria matched, and the platform
/// conditions that held.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Evidence {
    /// `vulnerable: true` criteria that matched (never empty).
    pub vulnerable: Vec<MatchedCriterion>,
    /// `vulnerable: false` criteria (platforms) that matched.
    pub platforms: Vec<MatchedCriterion>,
}

/// Evaluate one node: its truth, and the criteria that matched (none if negated).
fn evaluate_node(
    index: usize,
    node: &NvdNode,
    inventory: &[Cpe],
) -> (bool, Vec<(bool, MatchedCriterion)>) {
    let mut found = Vec::new();
    let mut held = Vec::with_capacity(node.cpe_match.len());
    for (i, criterion) in node.cpe_match.iter().enumerate() {
        let hits: Vec<usize> = inventory
            .iter()
            .enumerate()
            .filter(|(_, cpe)| criterion.matches(cpe))
            .map(|(k, _)| k)
            .collect();
        held.push(!hits.is_empty());
        for k in hits {
            let matched = MatchedCriterion {
                node: index,
                cpe_match: i,
                match_criteria_id: criterion.match_criteria_id.clone(),
                criteria: criterion.criteria.clone(),
                inventory: k,
            };
            found.push((criterion.vulnerable, matched));
        }
    }
    let truth = combine(node.operator, &held) != node.negate;
    // A negated node holds because something is absent: there is nothing to cite.
    if node.negate {
        found.clear();
    }
    (truth, found)
}

fn combine(operator: Operator, values: &[bool]) -> bool {
    match operator {
        Operator::And => !values.is_empty() && values.iter().all(|v| *v),
        Operator::Or => values.iter().any(|v| *v),
    }
}

/// Whether `config` applies to a system made of `inventory`, and why.
///
/// `Some` only when the configuration is true **and** at least one `vulnerable: true`
/// criterion matched: a component that appears only as a platform, or whose vulnerable
/// criterion sits in an AND with a platform that is absent, yields `None`.
pub fn evaluate_configuration(config: &NvdConfiguration, inventory: &[Cpe]) -> Option<Evidence> {
    let results: Vec<(bool, Vec<(bool, MatchedCriterion)>)> = config
        .nodes
        .iter()
        .enumerate()
        .map(|(i, node)| evaluate_node(i, node, inventory))
        .collect();
    let truths: Vec<bool> = results.iter().map(|(t, _)| *t).collect();
    if combine(config.operator, &truths) == config.negate {
        return None;
    }

    let mut evidence = Evidence::default();
    // Only nodes that hold contribute: under OR a false node's partial matches explain
    // nothing.
    for (_, matches) in results.into_iter().filter(|(truth, _)| *truth) {
        for (vulnerable, matched) in matches {
            if vulnerable {
                evidence.vulnerable.push(matched);
            } else {
                evidence.platforms.push(matched);
            }
        }
    }
    (!evidence.vulnerable.is_empty()).then_some(evidence)
}

/// Evaluate every configuration of a CVE record; the index of each one that applies,
/// with its evidence.
pub fn evaluate_configurations(
    configs: &[NvdConfiguration],
    inventory: &[Cpe],
) -> Vec<(usize, Evidence)> {
    configs
        .iter()
        .enumerate()
        .filter_map(|(i, c)| evaluate_configuration(c, inventory).map(|e| (i, e)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(json: &str) -> NvdConfiguration {
        serde_json::from_str(json).expect("valid configuration")
    }

    fn cpes(names: &[&str]) -> Vec<Cpe> {
        names
            .iter()
            .map(|n| n.parse().expect("valid cpe"))
            .collect()
    }

    #[test]
    fn version_bounds_use_their_inclusiveness() {
        let c = config(
            r#"{"nodes": [{"operator": "OR", "cpeMatch": [{"vulnerable": true,
                "criteria": "cpe:2.3:a:v:p:*:*:*:*:*:*:*:*",
                "versionStartIncluding": "1.0", "versionEndExcluding": "1.4"}]}]}"#,
        );
        let hit = |v: &str| {
            let inventory = cpes(&[&format!("cpe:2.3:a:v:p:{v}:*:*:*:*:*:*:*")]);
            evaluate_configuration(&c, &inventory).is_some()
        };
        assert!(hit("1.0"));
        assert!(hit("1.3.9"));
        assert!(!hit("1.4"));
        assert!(!hit("0.9"));
        let unknown_version = cpes(&["cpe:2.3:a:v:p:*:*:*:*:*:*:*:*"]);
        assert!(evaluate_configuration(&c, &unknown_version).is_none());
    }

    #[test]
    fn platform_alone_is_not_a_finding() {
        let c = config(
            r#"{"nodes": [{"operator": "OR", "cpeMatch": [{"vulnerable": false,
                "criteria": "cpe:2.3:o:microsoft:windows:-:*:*:*:*:*:*:*"}]}]}"#,
        );
        let inventory = cpes(&["cpe:2.3:o:microsoft:windows:-:*:*:*:*:*:*:*"]);
        assert_eq!(evaluate_configuration(&c, &inventory), None);
    }

    #[test]
    fn negated_node_excludes() {
        let c = config(
            r#"{"operator": "AND", "nodes": [
                {"operator": "OR", "cpeMatch": [{"vulnerable": true,
                    "criteria": "cpe:2.3:a:v:p:1.0:*:*:*:*:*:*:*"}]},
                {"operator": "OR", "negate": true, "cpeMatch": [{"vulnerable": false,
                    "criteria": "cpe:2.3:o:v:safe_os:-:*:*:*:*:*:*:*"}]}]}"#,
        );
        let app = "cpe:2.3:a:v:p:1.0:*:*:*:*:*:*:*";
        assert!(evaluate_configuration(&c, &cpes(&[app])).is_some());
        let safe = cpes(&[app, "cpe:2.3:o:v:safe_os:-:*:*:*:*:*:*:*"]);
        assert_eq!(evaluate_configuration(&c, &safe), None);
    }
}
