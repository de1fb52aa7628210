//! The playbook file: one YAML document with `id`, `title`, `version`,
//! `bindings` and `steps`, read with the line of every node (through the
//! saphyr reader the Sigma loader uses) and checked whole, so a file with
//! several mistakes is answered with all of them, each with its line.
//!
//! ```yaml
//! id: uds-brute-force
//! title: UDS SecurityAccess brute force
//! version: 1
//! bindings:
//!   - rule: 6f1d2a0e-3c4b-4e8a-9d11-5a0c7b2e4f02   # a Sigma rule ID
//!   - tag: ATM-T0012                               # or an ATM tag,
//!     min_severity: high                           # at this severity or above
//! steps:
//!   - id: contain
//!     kind: containment
//!     action: Remote diagnostics disabled in the backend
//!     scope: affected builds
//!     expires_in_hours: 72
//!   - id: escalate
//!     kind: escalate
//!     when: vehicle_count >= 3
//! ```
//!
//! A binding matches an incident's alert when every field it names holds:
//! `rule` is the alert's Sigma rule (or stored rule ID), `tag` one of its ATM
//! tags, `min_severity` at most the incident's severity. A playbook is bound
//! when any of its bindings matches.

use keelson_core::Severity;
use keelson_detect::sigma::yaml::{Node, NodeData, load_documents};
use serde::{Deserialize, Serialize};

use super::condition::Condition;

/// The longest playbook or step ID.
const MAX_ID: usize = 64;
/// The most steps one playbook may have.
pub const MAX_STEPS: usize = 100;
/// The longest a containment may be set for: a year.
const MAX_EXPIRY_HOURS: i64 = 24 * 366;

/// A checked playbook.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Playbook {
    pub id: String,
    pub title: String,
    pub version: i64,
    pub bindings: Vec<Binding>,
    pub steps: Vec<Step>,
}

/// When a playbook starts by itself.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Binding {
    /// A Sigma rule ID (or the stored rule's ID).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// An ATM tag of the alert's rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    /// The incident's severity at least.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_severity: Option<Severity>,
}

/// One step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Step {
    pub id: String,
    pub title: String,
    /// A condition (see `condition.rs`); the step is skipped when it does
    /// not hold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<String>,
    #[serde(flatten)]
    pub action: Action,
}

/// What a step does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Action {
    /// A checklist item an analyst ticks.
    Manual,
    /// POSTs the incident's summary, signed, to a configured subscriber.
    Webhook { url: String },
    /// Records a containment note on the incident.
    Containment {
        action: String,
        scope: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        expires_in_hours: Option<i64>,
    },
    /// Sets a rule (the incident's, unless named) to `heightened`.
    HeightenRule {
        reason: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rule: Option<String>,
    },
    /// Asks every affected vehicle to upload its logs.
    RequestLogs { note: String },
    /// Escalates the incident to a PSIRT case.
    Escalate {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        notes: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cvss_vector: Option<String>,
    },
}

impl Action {
    pub fn kind(&self) -> &'static str {
        match self {
            Action::Manual => "manual",
            Action::Webhook { .. } => "webhook",
            Action::Containment { .. } => "containment",
            Action::HeightenRule { .. } => "heighten_rule",
            Action::RequestLogs { .. } => "request_logs",
            Action::Escalate { .. } => "escalate",
        }
    }
}

/// One thing wrong with a playbook file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// 1-based line.
    pub line: usize,
    pub reason: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.reason)
    }
}

/// Reads and checks a playbook; every problem found, with its line.
pub fn parse(text: &str) -> Result<Playbook, Vec<Problem>> {
    let documents = load_documents(text).map_err(|problem| {
        vec![Problem {
            line: problem.line,
            reason: format!("not YAML: {}", problem.reason),
        }]
    })?;
    let [document] = documents.as_slice() else {
        return Err(vec![Problem {
            line: 1,
            reason: format!(
                "a playbook file holds one YAML document, this one holds {}",
                documents.len()
            ),
        }]);
    };
    let mut check = Check::default();
    let playbook = check.playbook(document);
    match playbook {
        Some(playbook) if check.problems.is_empty() => Ok(playbook),
        _ => {
            check.problems.sort_by_key(|problem| problem.line);
            Err(check.problems)
        }
    }
}

#[derive(Default)]
struct Check {
    problems: Vec<Problem>,
}

/// A mapping's entries, with the line of the mapping.
struct Fields<'n> {
    line: usize,
    entries: &'n [(String, Node)],
}

impl Check {
    fn problem(&mut self, line: usize, reason: impl Into<String>) {
        self.problems.push(Problem {
            line,
            reason: reason.into(),
        });
    }

    fn fields<'n>(&mut self, node: &'n Node, what: &str, allowed: &[&str]) -> Option<Fields<'n>> {
        let NodeData::Map(entries) = &node.data else {
            self.problem(node.line, format!("{what} must be a mapping"));
            return None;
        };
        for (key, value) in entries {
            if !allowed.contains(&key.as_str()) {
                let allowed = allowed.join(", ");
                self.problem(
                    value.line,
                    format!("{what}: unknown field `{key}` (expected one of {allowed})"),
                );
            }
        }
        Some(Fields {
            line: node.line,
            entries,
        })
    }

    /// A text field; `required` ones are reported when missing or empty.
    fn text(&mut self, fields: &Fields, key: &str, what: &str, required: bool) -> Option<String> {
        let Some(node) = get(fields, key) else {
            if required {
                self.problem(fields.line, format!("{what}: `{key}` is required"));
            }
            return None;
        };
        let text = match &node.data {
            NodeData::Str(text) => text.trim().to_owned(),
            NodeData::Null if !required => return None,
            _ => {
                self.problem(node.line, format!("{what}: `{key}` must be text"));
                return None;
            }
        };
        if text.is_empty() {
            self.problem(node.line, format!("{what}: `{key}` must not be empty"));
            return None;
        }
        Some(text)
    }

    fn integer(&mut self, fields: &Fields, key: &str, what: &str) -> Option<i64> {
        let node = get(fields, key)?;
        match node.data {
            NodeData::Int(value) => Some(value),
            _ => {
                self.problem(node.line, format!("{what}: `{key}` must be a whole number"));
                None
            }
        }
    }

    fn identifier(&mut self, fields: &Fields, key: &str, what: &str) -> Option<String> {
        let id = self.text(fields, key, what, true)?;
        let valid = id.len() <= MAX_ID
            && id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-_.".contains(c));
        if !valid {
            let line = get(fields, key).map_or(fields.line, |node| node.line);
            self.problem(
                line,
                format!(
                    "{what}: `{key}` {id:?} must be 1 to {MAX_ID} of a-z, 0-9, '-', '_' and '.'"
                ),
            );
            return None;
        }
        Some(id)
    }

    fn playbook(&mut self, document: &Node) -> Option<Playbook> {
        let allowed = ["id", "title", "version", "bindings", "steps"];
        let fields = self.fields(document, "the playbook", &allowed)?;
        let id = self.identifier(&fields, "id", "the playbook");
        let title = self.text(&fields, "title", "the playbook", true);
        let version = self.version(&fields);
        let bindings = self.bindings(&fields);
        let steps = self.steps(&fields);
        Some(Playbook {
            id: id?,
            title: title?,
            version: version?,
            bindings: bindings?,
            steps: steps?,
        })
    }

    fn version(&mut self, fields: &Fields) -> Option<i64> {
        let Some(version) = self.integer(fields, "version", "the playbook") else {
            if get(fields, "version").is_none() {
                self.problem(fields.line, "the playbook: `version` is required");
            }
            return None;
        };
        if version < 1 {
            let line = get(fields, "version").map_or(fields.line, |node| node.line);
            self.problem(line, "the playbook: `version` must be 1 or more");
            return None;
        }
        Some(version)
    }

    fn bindings(&mut self, fields: &Fields) -> Option<Vec<Binding>> {
        let Some(node) = get(fields, "bindings") else {
            self.problem(
                fields.line,
                "the playbook: `bindings` is required (use [] for a playbook started only by hand)",
            );
            return None;
        };
        let NodeData::Seq(items) = &node.data else {
            self.problem(node.line, "the playbook: `bindings` must be a list");
            return None;
        };
        let bindings: Vec<Option<Binding>> = items.iter().map(|item| self.binding(item)).collect();
        bindings.into_iter().collect()
    }

    fn binding(&mut self, node: &Node) -> Option<Binding> {
        let what = "a binding";
        let fields = self.fields(node, what, &["rule", "tag", "min_severity"])?;
        let rule = self.text(&fields, "rule", what, false);
        let tag = self.text(&fields, "tag", what, false);
        let min_severity = self
            .text(&fields, "min_severity", what, false)
            .and_then(|text| match text.parse::<Severity>() {
                Ok(severity) => Some(severity),
                Err(_) => {
                    let line = get(&fields, "min_severity").map_or(node.line, |n| n.line);
                    self.problem(
                        line,
                        format!("{what}: `min_severity` {text:?} is none of none, low, medium, high, critical"),
                    );
                    None
                }
            });
        if fields.entries.is_empty() {
            self.problem(
                node.line,
                "a binding names at least one of rule, tag, min_severity",
            );
            return None;
        }
        Some(Binding {
            rule,
            tag,
            min_severity,
        })
    }

    fn steps(&mut self, fields: &Fields) -> Option<Vec<Step>> {
        let Some(node) = get(fields, "steps") else {
            self.problem(fields.line, "the playbook: `steps` is required");
            return None;
        };
        let items = match &node.data {
            NodeData::Seq(items) if !items.is_empty() => items,
            _ => {
                self.problem(
                    node.line,
                    "the playbook: `steps` must be a list of at least one step",
                );
                return None;
            }
        };
        if items.len() > MAX_STEPS {
            self.problem(
                node.line,
                format!(
                    "the playbook has {} steps; at most {MAX_STEPS} are allowed",
                    items.len()
                ),
            );
        }
        let mut seen: Vec<(String, usize)> = Vec::new();
        let mut steps = Vec::new();
        for item in items {
            let step = self.step(item);
            if let Some(step) = &step {
                if let Some((_, first)) = seen.iter().find(|(id, _)| id == &step.id) {
                    let reason = format!(
                        "step `{}` is defined twice (first on line {first})",
                        step.id
                    );
                    self.problem(item.line, reason);
                }
                seen.push((step.id.clone(), item.line));
            }
            steps.push(step);
        }
        steps.into_iter().collect()
    }

    fn step(&mut self, node: &Node) -> Option<Step> {
        let NodeData::Map(_) = &node.data else {
            self.problem(node.line, "a step must be a mapping");
            return None;
        };
        let kind_fields = Fields {
            line: node.line,
            entries: match &node.data {
                NodeData::Map(entries) => entries,
                _ => &[],
            },
        };
        let kind = self.text(&kind_fields, "kind", "a step", true)?;
        let own: &[&str] = match kind.as_str() {
            "manual" => &[],
            "webhook" => &["url"],
            "containment" => &["action", "scope", "expires_in_hours"],
            "heighten_rule" => &["reason", "rule"],
            "request_logs" => &["note"],
            "escalate" => &["notes", "cvss_vector"],
            other => {
                let line = get(&kind_fields, "kind").map_or(node.line, |n| n.line);
                self.problem(line, format!("a step: unknown kind `{other}` (expected manual, webhook, containment, heighten_rule, request_logs or escalate)"));
                return None;
            }
        };
        let mut allowed = vec!["id", "kind", "title", "when"];
        allowed.extend_from_slice(own);
        let what = format!("step of kind {kind}");
        let fields = self.fields(node, &what, &allowed)?;
        let id = self.identifier(&fields, "id", &what);
        let title = self.text(&fields, "title", &what, kind == "manual");
        let when = self.condition(&fields, &what);
        let action = self.action(&kind, &fields, &what);
        let action = action?;
        Some(Step {
            title: title.unwrap_or_else(|| default_title(&action)),
            id: id?,
            when,
            action,
        })
    }

    fn condition(&mut self, fields: &Fields, what: &str) -> Option<String> {
        let text = self.text(fields, "when", what, false)?;
        if let Err(reason) = Condition::parse(&text) {
            let line = get(fields, "when").map_or(fields.line, |node| node.line);
            self.problem(line, format!("{what}: `when`: {reason}"));
        }
        Some(text)
    }

    fn action(&mut self, kind: &str, fields: &Fields, what: &str) -> Option<Action> {
        match kind {
            "manual" => Some(Action::Manual),
            "webhook" => {
                let url = self.text(fields, "url", what, true)?;
                if !(url.starts_with("http://") || url.starts_with("https://")) {
                    let line = get(fields, "url").map_or(fields.line, |n| n.line);
                    self.problem(line, format!("{what}: `url` must be http:// or https://"));
                }
                Some(Action::Webhook { url })
            }
            "containment" => self.containment(fields, what),
            "heighten_rule" => Some(Action::HeightenRule {
                reason: self.text(fields, "reason", what, true)?,
                rule: self.text(fields, "rule", what, false),
            }),
            "request_logs" => Some(Action::RequestLogs {
                note: self.text(fields, "note", what, true)?,
            }),
            _ => self.escalate(fields, what),
        }
    }

    fn containment(&mut self, fields: &Fields, what: &str) -> Option<Action> {
        let action = self.text(fields, "action", what, true);
        let scope = self.text(fields, "scope", what, true);
        let expires_in_hours = self.integer(fields, "expires_in_hours", what);
        if let Some(hours) = expires_in_hours
            && !(1..=MAX_EXPIRY_HOURS).contains(&hours)
        {
            let line = get(fields, "expires_in_hours").map_or(fields.line, |n| n.line);
            self.problem(
                line,
                format!("{what}: `expires_in_hours` must be 1 to {MAX_EXPIRY_HOURS}"),
            );
        }
        Some(Action::Containment {
            action: action?,
            scope: scope?,
            expires_in_hours,
        })
    }

    fn escalate(&mut self, fields: &Fields, what: &str) -> Option<Action> {
        let cvss_vector = self.text(fields, "cvss_vector", what, false);
        if let Some(vector) = &cvss_vector
            && let Err(error) = keelson_cvss::assess(vector)
        {
            let line = get(fields, "cvss_vector").map_or(fields.line, |n| n.line);
            self.problem(line, format!("{what}: `cvss_vector`: {error}"));
        }
        Some(Action::Escalate {
            notes: self.text(fields, "notes", what, false),
            cvss_vector,
        })
    }
}

fn get<'n>(fields: &Fields<'n>, key: &str) -> Option<&'n Node> {
    fields
        .entries
        .iter()
        .find(|(name, _)| name == key)
        .map(|(_, node)| node)
}

fn default_title(action: &Action) -> String {
    match action {
        Action::Manual => "Checklist item".to_owned(),
        Action::Webhook { url } => format!("Notify {url}"),
        Action::Containment { action, .. } => format!("Contain: {action}"),
        Action::HeightenRule { rule, .. } => match rule {
            Some(rule) => format!("Heighten rule {rule}"),
            None => "Heighten the incident's rule".to_owned(),
        },
        Action::RequestLogs { .. } => "Request logs from the affected vehicles".to_owned(),
        Action::Escalate { .. } => "Escalate to the PSIRT".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_problem_is_reported_with_its_line() {
        let text = "\
id: Bad Id
title: ''
version: 0
colour: blue
bindings:
  - min_severity: urgent
steps:
  - id: a
    kind: containment
    scope: the fleet
  - id: a
    kind: teleport
  - id: b
    kind: escalate
    when: severity >>= high
";
        let problems = parse(text).expect_err("invalid");
        let lines: Vec<usize> = problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, [1, 2, 3, 4, 6, 8, 12, 15], "{problems:#?}");
        assert!(problems[4].reason.contains("\"urgent\""));
        assert!(problems[5].reason.contains("`action` is required"));
        assert!(problems[6].reason.contains("unknown kind `teleport`"));
        assert!(problems[7].reason.contains("`when`"));
    }

    #[test]
    fn a_duplicate_step_id_names_the_first_line() {
        let text = "id: p\ntitle: t\nversion: 1\nbindings: []\nsteps:\n  - id: s\n    kind: manual\n    title: one\n  - id: s\n    kind: manual\n    title: two\n";
        let problems = parse(text).expect_err("duplicate");
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].line, 9);
        assert!(problems[0].reason.contains("first on line 6"));
    }

    #[test]
    fn two_documents_are_refused() {
        let problems = parse("id: a\n---\nid: b\n").expect_err("two");
        assert!(problems[0].reason.contains("holds 2"));
    }
}
