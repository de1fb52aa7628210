//! A rule as the API and `keelson rules import` receive it, checked with
//! the detection loader before the store sees it: a malformed document is
//! refused with its line and reason, an unsupported construct likewise
//! (never stored to be skipped silently at run time).

use keelson_core::Marking;
use keelson_detect::{RuleReport, RuleSet, RuleStatus as LoadStatus, load_rules};
use keelson_store::rules::{NewRule, RuleScope, RuleStatus};
use serde::Deserialize;

/// The body of `POST /api/v1/rules` and `PUT /api/v1/rules/{id}`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleInput {
    /// The Sigma YAML text: one or more documents (detection rules, and
    /// correlations over them). The record takes the `id` of the last
    /// document, the one a file of building blocks plus a correlation alerts with.
    pub sigma: String,
    /// Defaults to the last document's `title`.
    #[serde(default)]
    pub title: Option<String>,
    /// Defaults to `test`; on update the stored status stays (use the status route).
    #[serde(default)]
    pub status: Option<RuleStatus>,
    #[serde(default)]
    pub scope: RuleScope,
    /// `YYYY-MM-DD`: the last day (UTC) the rule fires.
    #[serde(default)]
    pub valid_until: Option<String>,
    #[serde(default = "keelson_core::tlp::default_marking")]
    pub marking: Marking,
}

/// Why a rule was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleRejection {
    /// Not valid YAML or not valid Sigma.
    #[error("line {line}: {reason}")]
    Malformed { line: usize, reason: String },
    /// Valid Sigma that the engine cannot run.
    #[error("line {line}: unsupported: {reason}")]
    Unsupported { line: usize, reason: String },
    /// Loadable, but not storable as a record.
    #[error("{0}")]
    Invalid(String),
}

impl RuleRejection {
    /// The stable code of the API's error body.
    pub fn code(&self) -> &'static str {
        match self {
            RuleRejection::Malformed { .. } => "invalid_rule",
            RuleRejection::Unsupported { .. } => "unsupported_rule",
            RuleRejection::Invalid(_) => "invalid",
        }
    }
}

/// Checks `input` with the loader and builds the record the store keeps.
pub fn prepare(input: RuleInput) -> Result<NewRule, RuleRejection> {
    let (set, reports) = load_rules(&[("rule", input.sigma.as_str())]);
    refuse_problems(&reports)?;
    let last = reports
        .last()
        .ok_or_else(|| RuleRejection::Invalid("the text holds no rule document".to_owned()))?;
    let (id, title, level) = headline(&set, &last.rule)?;
    if let Some(date) = &input.valid_until {
        check_date(date)?;
    }
    Ok(NewRule {
        id,
        title: input.title.unwrap_or(title),
        status: input.status.unwrap_or(RuleStatus::Test),
        level,
        atm_tags: atm_tags(&set),
        sigma: input.sigma,
        scope: input.scope,
        valid_until: input.valid_until,
        marking: input.marking,
        case_id: None,
        indicator_id: None,
    })
}

/// The lifecycle status an imported Sigma `status` maps to: `stable`
/// becomes active, `deprecated` and `unsupported` retired, anything else test.
pub fn status_from_sigma(sigma_status: Option<&str>) -> RuleStatus {
    match sigma_status {
        Some("stable") => RuleStatus::Active,
        Some("deprecated" | "unsupported") => RuleStatus::Retired,
        _ => RuleStatus::Test,
    }
}

/// The Sigma `status` of the last document of a rule text, if any.
pub fn sigma_status(sigma: &str) -> Option<String> {
    let (set, reports) = load_rules(&[("rule", sigma)]);
    let label = &reports.last()?.rule;
    all_metas(&set)
        .find(|meta| &meta.label() == label)
        .and_then(|meta| meta.status.clone())
}

fn refuse_problems(reports: &[RuleReport]) -> Result<(), RuleRejection> {
    for report in reports {
        match &report.status {
            LoadStatus::Ok => {}
            LoadStatus::Error { reason } => {
                return Err(RuleRejection::Malformed {
                    line: report.line,
                    reason: reason.clone(),
                });
            }
            LoadStatus::Unsupported { reason } => {
                return Err(RuleRejection::Unsupported {
                    line: report.line,
                    reason: reason.clone(),
                });
            }
        }
    }
    Ok(())
}

fn all_metas(set: &RuleSet) -> impl Iterator<Item = &keelson_detect::sigma::RuleMeta> {
    let detections = set.rules().iter().map(|rule| &rule.meta);
    detections.chain(set.correlations().iter().map(|corr| &corr.meta))
}

/// ID, title and level of the document labelled `label`; it must have an `id`.
fn headline(set: &RuleSet, label: &str) -> Result<(String, String, Option<String>), RuleRejection> {
    let meta = all_metas(set)
        .find(|meta| meta.label() == label)
        .ok_or_else(|| RuleRejection::Invalid(format!("rule {label:?} did not load")))?;
    let id = meta.id.clone().ok_or_else(|| {
        RuleRejection::Invalid(format!(
            "rule {label:?} has no id: the last document of a rule names the record"
        ))
    })?;
    Ok((id, meta.title.clone(), meta.level.clone()))
}

/// The `atm.tNNNN` tags of every document, as `ATM-TNNNN`, each once.
fn atm_tags(set: &RuleSet) -> Vec<String> {
    let mut tags: Vec<String> = Vec::new();
    for tag in all_metas(set).flat_map(|meta| meta.atm_techniques()) {
        if !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    tags
}

fn check_date(text: &str) -> Result<(), RuleRejection> {
    parse_date(text)
        .map(|_| ())
        .ok_or_else(|| RuleRejection::Invalid(format!("valid_until {text:?} is not YYYY-MM-DD")))
}

/// A `YYYY-MM-DD` date.
pub fn parse_date(text: &str) -> Option<time::Date> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(text, &format).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(sigma: &str) -> RuleInput {
        RuleInput {
            sigma: sigma.to_owned(),
            title: None,
            status: None,
            scope: RuleScope::default(),
            valid_until: None,
            marking: keelson_core::tlp::default_marking(),
        }
    }

    #[test]
    fn yaml_error_names_its_line() {
        let text = "title: t\nid: r1\nlogsource:\n  product: vehicle\ndetection:\n  sel: [a\n";
        let Err(RuleRejection::Malformed { line, .. }) = prepare(input(text)) else {
            panic!("a broken flow sequence must be refused");
        };
        assert!(line >= 6, "line {line}");
    }

    #[test]
    fn record_takes_id_title_and_tags_of_the_rule() {
        let text = "title: Fob relay\nid: r-7\nlevel: High\ntags: [atm.t0031, attack.t1040]\n\
                    logsource:\n  product: vehicle\ndetection:\n  sel:\n    kind: x\n  \
                    condition: sel\n";
        let rule = prepare(input(text)).unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(rule.id, "r-7");
        assert_eq!(rule.title, "Fob relay");
        assert_eq!(rule.level.as_deref(), Some("high"));
        assert_eq!(rule.atm_tags, vec!["ATM-T0031".to_owned()]);
        assert_eq!(rule.status, RuleStatus::Test);
    }

    #[test]
    fn sigma_status_maps_to_lifecycle() {
        assert_eq!(status_from_sigma(Some("stable")), RuleStatus::Active);
        assert_eq!(status_from_sigma(Some("deprecated")), RuleStatus::Retired);
        assert_eq!(status_from_sigma(Some("experimental")), RuleStatus::Test);
        assert_eq!(status_from_sigma(None), RuleStatus::Test);
    }
}
