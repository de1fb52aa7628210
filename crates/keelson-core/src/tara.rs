//! A threat analysis and risk assessment (TARA, ISO/SAE 21434 clause 15)
//! as Keelson imports it: JSON Lines, one record a line, a `tara` header
//! first, then assets, damage scenarios (with their impact ratings) and
//! threat scenarios (with their attack feasibility and risk value). The
//! schema is in `docs/tara.md`.
//!
//! [`parse`] checks every line and every reference before anything is
//! returned: a document with one bad line is refused whole, with each
//! problem's line and reason, so an import never stores half a TARA.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::risk::{FeasibilityRating, Impacts};
use crate::tlp::{Marking, default_marking};

/// The first line: which TARA this is and who may read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TaraHeader {
    /// The TARA's own identifier, stable across re-imports.
    pub id: String,
    pub title: String,
    /// Default AMBER, shared with no partner; applies to every record.
    #[serde(default = "default_marking")]
    pub marking: Marking,
}

/// Something of value to protect (clause 15.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Asset {
    pub id: String,
    pub name: String,
    /// Cybersecurity properties at stake, such as `integrity`.
    #[serde(default)]
    pub properties: Vec<String>,
}

/// An adverse consequence for the road user (clauses 15.3 and 15.4), with
/// its impact rating per category (clause 15.5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DamageScenario {
    pub id: String,
    pub description: String,
    /// IDs of the assets it concerns.
    #[serde(default)]
    pub assets: Vec<String>,
    pub impacts: Impacts,
}

/// A potential cause of a damage scenario (clause 15.4), with the attack
/// feasibility rating (clause 15.7) and risk value (clause 15.8) the TARA
/// gave it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ThreatScenario {
    pub id: String,
    pub description: String,
    /// IDs of the damage scenarios it leads to; at least one.
    pub damage_scenarios: Vec<String>,
    pub feasibility: FeasibilityRating,
    /// 1 (lowest) to 5.
    pub risk_value: u8,
}

/// One line of the file.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Line {
    Tara(TaraHeader),
    Asset(Asset),
    DamageScenario(DamageScenario),
    ThreatScenario(ThreatScenario),
}

/// A whole TARA, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaraDocument {
    pub header: TaraHeader,
    pub assets: Vec<Asset>,
    pub damage_scenarios: Vec<DamageScenario>,
    pub threat_scenarios: Vec<ThreatScenario>,
}

/// A line that cannot be imported, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RowProblem {
    /// 1-based; 0 for a problem of the whole document.
    pub line: usize,
    pub reason: String,
}

/// Reads and checks a TARA; every problem is returned, not just the first.
pub fn parse(text: &str) -> Result<TaraDocument, Vec<RowProblem>> {
    if let Some(problem) = whole_json_document(text) {
        return Err(vec![problem]);
    }
    let mut problems = Vec::new();
    let mut header: Option<TaraHeader> = None;
    let mut document = Parts::default();

    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        if raw.trim().is_empty() {
            continue;
        }
        let mut problem = |reason: String| problems.push(RowProblem { line, reason });
        match serde_json::from_str::<Line>(raw) {
            Err(error) => problem(error.to_string()),
            Ok(Line::Tara(found)) if header.is_some() => {
                problem(format!("a second tara header ({:?})", found.id));
            }
            Ok(Line::Tara(_)) if !document.is_empty() => {
                problem("the tara header must come before every record".to_owned());
            }
            Ok(Line::Tara(found)) => match check_id("id", &found.id) {
                Ok(()) => header = Some(found),
                Err(reason) => problem(reason),
            },
            Ok(record) => {
                if let Err(reason) = document.add(line, record) {
                    problem(reason);
                }
            }
        }
    }

    let Some(header) = header else {
        problems.insert(
            0,
            RowProblem {
                line: 0,
                reason: "no tara header line ({\"kind\": \"tara\", \"id\", \"title\"})".to_owned(),
            },
        );
        return Err(problems);
    };
    problems.extend(document.dangling_references());
    if !problems.is_empty() {
        problems.sort_by_key(|problem| problem.line);
        return Err(problems);
    }
    Ok(document.finish(header))
}

/// One problem for a file that is a single JSON document spread over several
/// lines (a pretty-printed object or an array) rather than one object per
/// line, instead of a complaint about every one of its lines.
fn whole_json_document(text: &str) -> Option<RowProblem> {
    let lines = text.lines().filter(|line| !line.trim().is_empty()).count();
    if lines < 2 || serde_json::from_str::<serde::de::IgnoredAny>(text).is_err() {
        return None;
    }
    let reason = format!(
        "one JSON document over {lines} lines, not JSON Lines: \
         write each record as one object on its own line"
    );
    Some(RowProblem { line: 0, reason })
}

/// The records read so far, each with its line.
#[derive(Default)]
struct Parts {
    assets: Vec<(usize, Asset)>,
    damage_scenarios: Vec<(usize, DamageScenario)>,
    threat_scenarios: Vec<(usize, ThreatScenario)>,
}

impl Parts {
    fn is_empty(&self) -> bool {
        self.assets.is_empty()
            && self.damage_scenarios.is_empty()
            && self.threat_scenarios.is_empty()
    }

    fn add(&mut self, line: usize, record: Line) -> Result<(), String> {
        match record {
            Line::Tara(_) => Ok(()),
            Line::Asset(asset) => {
                check_new(&asset.id, "asset", self.assets.iter().map(|(_, a)| &a.id))?;
                self.assets.push((line, asset));
                Ok(())
            }
            Line::DamageScenario(scenario) => {
                let known = self.damage_scenarios.iter().map(|(_, d)| &d.id);
                check_new(&scenario.id, "damage scenario", known)?;
                self.damage_scenarios.push((line, scenario));
                Ok(())
            }
            Line::ThreatScenario(threat) => {
                let known = self.threat_scenarios.iter().map(|(_, t)| &t.id);
                check_new(&threat.id, "threat scenario", known)?;
                check_threat(&threat)?;
                self.threat_scenarios.push((line, threat));
                Ok(())
            }
        }
    }

    /// References to assets or damage scenarios the file does not define.
    fn dangling_references(&self) -> Vec<RowProblem> {
        let assets: BTreeSet<&str> = self.assets.iter().map(|(_, a)| a.id.as_str()).collect();
        let damages: BTreeSet<&str> = self
            .damage_scenarios
            .iter()
            .map(|(_, d)| d.id.as_str())
            .collect();
        let mut problems = Vec::new();
        for (line, scenario) in &self.damage_scenarios {
            for missing in scenario
                .assets
                .iter()
                .filter(|id| !assets.contains(id.as_str()))
            {
                let reason = format!("damage scenario {:?}: no asset {missing:?}", scenario.id);
                problems.push(RowProblem {
                    line: *line,
                    reason,
                });
            }
        }
        for (line, threat) in &self.threat_scenarios {
            let unknown = threat
                .damage_scenarios
                .iter()
                .filter(|id| !damages.contains(id.as_str()));
            for missing in unknown {
                let reason = format!(
                    "threat scenario {:?}: no damage scenario {missing:?}",
                    threat.id
                );
                problems.push(RowProblem {
                    line: *line,
                    reason,
                });
            }
        }
        problems
    }

    fn finish(self, header: TaraHeader) -> TaraDocument {
        TaraDocument {
            header,
            assets: self.assets.into_iter().map(|(_, a)| a).collect(),
            damage_scenarios: self.damage_scenarios.into_iter().map(|(_, d)| d).collect(),
            threat_scenarios: self.threat_scenarios.into_iter().map(|(_, t)| t).collect(),
        }
    }
}

/// The longest identifier of a TARA or one of its records.
pub const MAX_ID_CHARS: usize = 128;

fn check_id(what: &str, id: &str) -> Result<(), String> {
    if id.trim().is_empty() || id.trim() != id {
        return Err(format!("{what} {id:?}: must not be blank or padded"));
    }
    if id.chars().count() > MAX_ID_CHARS || id.chars().any(char::is_control) {
        return Err(format!(
            "{what} {id:?}: at most {MAX_ID_CHARS} characters, no control characters"
        ));
    }
    Ok(())
}

fn check_new<'a>(
    id: &str,
    what: &str,
    mut known: impl Iterator<Item = &'a String>,
) -> Result<(), String> {
    check_id(what, id)?;
    if known.any(|other| other == id) {
        return Err(format!("{what} {id:?} is defined twice"));
    }
    Ok(())
}

fn check_threat(threat: &ThreatScenario) -> Result<(), String> {
    if threat.damage_scenarios.is_empty() {
        return Err(format!(
            "threat scenario {:?}: names no damage scenario",
            threat.id
        ));
    }
    if !(1..=5).contains(&threat.risk_value) {
        return Err(format!(
            "threat scenario {:?}: risk value {} is outside 1 to 5",
            threat.id, threat.risk_value
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"{"kind": "tara", "id": "tcu-gen3", "title": "Telematics unit gen 3"}
{"kind": "asset", "id": "A-1", "name": "Firmware image", "properties": ["integrity"]}
{"kind": "damage_scenario", "id": "DS-1", "description": "Vehicle runs foreign firmware", "assets": ["A-1"], "impacts": {"safety": "severe", "financial": "major", "operational": "major", "privacy": "negligible"}}

{"kind": "threat_scenario", "id": "TS-1", "description": "Unsigned image accepted over the air", "damage_scenarios": ["DS-1"], "feasibility": "medium", "risk_value": 4}
"#;

    #[test]
    fn a_whole_tara_reads_with_its_records() {
        let document = parse(GOOD).unwrap_or_else(|problems| panic!("{problems:?}"));
        assert_eq!(document.header.id, "tcu-gen3");
        assert_eq!(document.header.marking.tlp, crate::Tlp::Amber);
        assert_eq!(document.assets.len(), 1);
        assert_eq!(
            document.threat_scenarios[0].feasibility,
            FeasibilityRating::Medium
        );
    }

    #[test]
    fn every_bad_line_is_reported_with_its_number_and_reason() {
        let bad = GOOD
            .replace("\"risk_value\": 4", "\"risk_value\": 7")
            .replace("\"assets\": [\"A-1\"]", "\"assets\": [\"A-9\"]")
            + "{\"kind\": \"asset\", \"id\": \"A-1\", \"name\": \"again\"}\n"
            + "{\"kind\": \"asset\", \"id\": \"A-2\", \"nme\": \"typo\"}\n"
            + "not json\n";
        let problems = parse(&bad).err().unwrap_or_default();
        let lines: Vec<usize> = problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, [3, 5, 6, 7, 8], "{problems:?}");
        assert!(
            problems[0].reason.contains("no asset \"A-9\""),
            "{problems:?}"
        );
        assert!(
            problems[1]
                .reason
                .contains("risk value 7 is outside 1 to 5")
        );
        assert!(problems[2].reason.contains("defined twice"));
        assert!(problems[3].reason.contains("nme"), "{problems:?}");
    }

    #[test]
    fn a_pretty_printed_document_is_one_problem_not_one_per_line() {
        let records: Vec<serde_json::Value> = GOOD
            .lines()
            .filter(|line| !line.trim().is_empty())
            .map(|line| serde_json::from_str(line).unwrap_or_default())
            .collect();
        let pretty = serde_json::to_string_pretty(&records).unwrap_or_default();
        let problems = parse(&pretty).err().unwrap_or_default();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].line, 0);
        assert!(
            problems[0].reason.contains("not JSON Lines"),
            "{problems:?}"
        );
        // A one-line file is JSON Lines already: its own problems are named.
        let header_only = r#"{"kind": "tara", "id": "t", "title": "T", "extra": 1}"#;
        let problems = parse(header_only).err().unwrap_or_default();
        assert!(
            problems.iter().any(|p| p.reason.contains("extra")),
            "{problems:?}"
        );
    }

    #[test]
    fn a_tara_needs_its_header_first_and_once() {
        let headless: String = GOOD.lines().skip(1).map(|l| format!("{l}\n")).collect();
        let problems = parse(&headless).err().unwrap_or_default();
        assert_eq!(problems.first().map(|p| p.line), Some(0));

        let late = format!("{}{}", GOOD, GOOD.lines().next().unwrap_or_default());
        let problems = parse(&late).err().unwrap_or_default();
        assert_eq!(problems.len(), 1);
        assert!(problems[0].reason.contains("second tara header"));
    }
}
