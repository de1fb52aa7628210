//! A report laid out once, for every format: a title, the marking, facts
//! (label and value), sections of text, facts and tables. [`html`] and
//! [`pdf`] only write what this holds, so the HTML and the PDF of a report
//! show the same numbers in the same words.
//!
//! [`html`]: super::html
//! [`pdf`]: super::pdf

use keelson_core::{Severity, Tlp};

use super::metrics::{FalsePositiveRate, PeriodMetrics};
use super::r155::R155Report;

/// A laid-out report.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    pub title: String,
    /// Shown at the top of every page.
    pub tlp: Tlp,
    pub facts: Vec<Fact>,
    pub sections: Vec<Section>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Fact {
    pub label: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    pub heading: String,
    pub blocks: Vec<Block>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    Text(String),
    Facts(Vec<Fact>),
    Table(Table),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

fn fact(label: &str, value: impl ToString) -> Fact {
    Fact {
        label: label.to_owned(),
        value: value.to_string(),
    }
}

/// A table, or a line saying there is nothing to list.
fn table_or_none(columns: &[&str], rows: Vec<Vec<String>>, none: &str) -> Block {
    if rows.is_empty() {
        return Block::Text(none.to_owned());
    }
    Block::Table(Table {
        columns: columns.iter().map(|c| (*c).to_owned()).collect(),
        rows,
    })
}

fn counts<'a>(map: impl IntoIterator<Item = (&'a String, &'a u64)>) -> Vec<Vec<String>> {
    map.into_iter()
        .map(|(key, count)| vec![key.clone(), count.to_string()])
        .collect()
}

/// A mean time in microseconds as seconds with millisecond precision.
pub fn seconds(mean_us: Option<f64>) -> String {
    match mean_us {
        Some(us) => format!("{:.3} s", us / 1_000_000.0),
        None => "none reached".to_owned(),
    }
}

/// A share as a percentage with one decimal.
pub fn percent(rate: Option<f64>) -> String {
    match rate {
        Some(rate) => format!("{:.1} %", rate * 100.0),
        None => "n/a".to_owned(),
    }
}

impl R155Report {
    /// The report laid out for writing.
    pub fn document(&self) -> Document {
        Document {
            title: "UN R155 monitoring report".to_owned(),
            tlp: self.tlp,
            facts: vec![
                fact(
                    "Period",
                    format!("{} to {} (end excluded)", self.from, self.to),
                ),
                fact("Generated", &self.generated_at),
                fact("TLP", format!("TLP:{}", self.tlp)),
                fact("Counted as", &self.reader),
            ],
            sections: vec![
                self.introduction(),
                self.fleet_section(),
                self.detection_section(),
                incidents_section(&self.metrics, &self.incidents_by_severity),
                self.containment_section(),
                self.escalation_section(),
                self.psirt_section(),
            ],
        }
    }

    fn introduction(&self) -> Section {
        let text = "This report gives the outcome of the vehicle security operations centre's \
                    monitoring over the period: which vehicles were watched, which attacks and \
                    anomalies detection raised, how the incidents formed from them were \
                    answered and contained, and what was handed to the product security team. \
                    It supports the yearly reporting of UN Regulation No. 155 (paragraph 7.4) \
                    on the processes of paragraph 7.2.2.2 (g) and the detection, monitoring \
                    and forensic measures of paragraph 7.3.7. Attacks are named by their \
                    Automotive Threat Matrix technique. Only records the reader may see are \
                    counted; the marking of the report is the strictest of those records.";
        Section {
            heading: "Scope".to_owned(),
            blocks: vec![Block::Text(text.to_owned())],
        }
    }

    fn fleet_section(&self) -> Section {
        let fleet = &self.fleet;
        Section {
            heading: "Fleet monitored".to_owned(),
            blocks: vec![
                Block::Facts(vec![
                    fact("Vehicles in the inventory", fleet.vehicles),
                    fact("Vehicles that sent telemetry", fleet.vehicles_reporting),
                    fact("Vehicle models", fleet.by_model.len()),
                    fact("Regions", fleet.by_region.len()),
                ]),
                table_or_none(
                    &["Model", "Vehicles"],
                    counts(&fleet.by_model),
                    "No vehicles.",
                ),
                table_or_none(
                    &["Region", "Vehicles"],
                    counts(&fleet.by_region),
                    "No vehicles.",
                ),
            ],
        }
    }

    fn detection_section(&self) -> Section {
        let severities: Vec<Severity> = Severity::ALL.iter().rev().copied().collect();
        let mut columns = vec!["Technique".to_owned()];
        columns.extend(severities.iter().map(|s| s.to_string()));
        columns.push("total".to_owned());
        let rows: Vec<Vec<String>> = self
            .alerts_by_technique
            .iter()
            .map(|(technique, per_severity)| {
                let mut row = vec![technique.clone()];
                row.extend(
                    severities
                        .iter()
                        .map(|s| per_severity.get(s).copied().unwrap_or(0).to_string()),
                );
                row.push(per_severity.values().sum::<u64>().to_string());
                row
            })
            .collect();
        let table = if rows.is_empty() {
            Block::Text("No alerts were raised.".to_owned())
        } else {
            Block::Table(Table { columns, rows })
        };
        let metrics = &self.metrics;
        Section {
            heading: "Attacks and alerts detected".to_owned(),
            blocks: vec![
                Block::Facts(vec![
                    fact("Alerts raised", metrics.alerts),
                    fact("Alerts of rules under test", metrics.test_alerts),
                ]),
                table_or_none(
                    &["Severity", "Alerts"],
                    counts(&metrics.alerts_by_severity),
                    "No alerts were raised.",
                ),
                table,
            ],
        }
    }

    fn containment_section(&self) -> Section {
        let rows = self
            .containment_actions
            .iter()
            .map(|line| {
                vec![
                    line.incident_id.clone(),
                    line.action.clone(),
                    line.scope.clone(),
                    line.recorded_at.clone(),
                    line.expires_at.clone().unwrap_or_else(|| "-".to_owned()),
                ]
            })
            .collect();
        Section {
            heading: "Containment actions".to_owned(),
            blocks: vec![
                Block::Facts(vec![fact(
                    "Containment actions recorded",
                    self.containment_actions.len(),
                )]),
                table_or_none(
                    &["Incident", "Action", "Scope", "Recorded", "Expires"],
                    rows,
                    "No containment action was recorded.",
                ),
            ],
        }
    }

    fn escalation_section(&self) -> Section {
        let rows = self
            .escalations
            .iter()
            .map(|line| {
                vec![
                    line.incident_id.clone(),
                    line.case_id.clone(),
                    line.escalated_at.clone(),
                ]
            })
            .collect();
        Section {
            heading: "Escalations to the PSIRT".to_owned(),
            blocks: vec![
                Block::Facts(vec![fact("Incidents escalated", self.escalations.len())]),
                table_or_none(
                    &["Incident", "Case", "Escalated"],
                    rows,
                    "No incident was escalated.",
                ),
            ],
        }
    }

    fn psirt_section(&self) -> Section {
        let psirt = &self.psirt;
        let advisories = psirt
            .advisories
            .iter()
            .map(|line| {
                vec![
                    line.tracking_id.clone(),
                    line.revision.to_string(),
                    line.case_id.clone(),
                    line.published_at.clone(),
                ]
            })
            .collect();
        Section {
            heading: "PSIRT cases, advisories and vulnerabilities".to_owned(),
            blocks: vec![
                Block::Facts(vec![
                    fact("Cases opened", psirt.cases_opened),
                    fact("Cases active", psirt.cases_active),
                    fact("Advisory revisions published", psirt.advisories.len()),
                    fact("Vulnerabilities handled", psirt.vulnerabilities_handled),
                    fact(
                        "Vulnerabilities whose case finished",
                        psirt.vulnerabilities_finished,
                    ),
                ]),
                table_or_none(
                    &["Intake", "Cases opened"],
                    counts(&psirt.cases_opened_by_intake),
                    "No case was opened.",
                ),
                table_or_none(
                    &["Final state", "Cases"],
                    counts(&psirt.cases_finished_by_state),
                    "No case finished.",
                ),
                table_or_none(
                    &["Advisory", "Revision", "Case", "Published"],
                    advisories,
                    "No advisory was published.",
                ),
            ],
        }
    }
}

fn incidents_section(
    metrics: &PeriodMetrics,
    by_severity: &std::collections::BTreeMap<String, u64>,
) -> Section {
    let means = &metrics.response.means;
    let containment = &metrics.containment_effectiveness;
    let mut by_technique = counts(&metrics.incidents_by_technique);
    if metrics.incidents_without_technique > 0 {
        by_technique.push(vec![
            super::r155::NO_TECHNIQUE.to_owned(),
            metrics.incidents_without_technique.to_string(),
        ]);
    }
    let rules = metrics
        .response
        .false_positives_by_rule
        .iter()
        .map(|(rule, rate)| rule_row(rule, rate))
        .collect();
    Section {
        heading: "Incidents, outcomes and response times".to_owned(),
        blocks: vec![
            Block::Facts(vec![
                fact("Incidents detected", means.incidents),
                fact(
                    "MTTD (mean time to detect)",
                    seconds(means.mean_time_to_detect_us),
                ),
                fact(
                    "MTTA (mean time to acknowledge)",
                    seconds(means.mean_time_to_acknowledge_us),
                ),
                fact(
                    "MTTC (mean time to contain)",
                    seconds(means.mean_time_to_contain_us),
                ),
                fact(
                    "MTTR (mean time to resolve)",
                    seconds(means.mean_time_to_resolve_us),
                ),
                fact("Incidents contained", containment.contained),
                fact("Contained with no later sighting", containment.held),
                fact("Containment effectiveness", percent(containment.rate)),
            ]),
            Block::Text(
                "Times run from detection (the first alert stored); time to detect runs from \
                 the first event the alerts cite. Containment effectiveness is the share of \
                 contained incidents none of whose alerts took a sighting stored after the \
                 incident was contained."
                    .to_owned(),
            ),
            table_or_none(
                &["Outcome (state)", "Incidents"],
                counts(&metrics.response.by_state),
                "No incident was detected.",
            ),
            table_or_none(
                &["Severity", "Incidents"],
                counts(by_severity),
                "No incident.",
            ),
            table_or_none(&["Technique", "Incidents"], by_technique, "No incident."),
            table_or_none(
                &["Rule", "Incidents", "False positives", "Rate"],
                rules,
                "No incident.",
            ),
        ],
    }
}

fn rule_row(rule: &str, rate: &FalsePositiveRate) -> Vec<String> {
    vec![
        rule.to_owned(),
        rate.incidents.to_string(),
        rate.false_positives.to_string(),
        percent(Some(rate.rate)),
    ]
}
