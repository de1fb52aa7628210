//! Rule metadata shared by detection and correlation rules, and the per-rule load report.

use serde::Serialize;

use super::yaml::Node;

/// What `keelson rules validate` prints per rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum RuleStatus {
    /// Loaded and active.
    Ok,
    /// Valid Sigma that this engine cannot run; the rule is not active.
    Unsupported {
        /// Why.
        reason: String,
    },
    /// Not valid Sigma (or not valid YAML); the rule is not active.
    Error {
        /// Why.
        reason: String,
    },
}

impl RuleStatus {
    /// `ok`, `unsupported` or `error`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Unsupported { .. } => "unsupported",
            Self::Error { .. } => "error",
        }
    }

    /// The reason, when not ok.
    pub fn reason(&self) -> Option<&str> {
        match self {
            Self::Ok => None,
            Self::Unsupported { reason } | Self::Error { reason } => Some(reason),
        }
    }
}

/// The outcome of loading one rule document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleReport {
    /// The source name given to `load_rules` (usually a file path).
    pub source: String,
    /// The rule's id, else its name, else its title, else `document N`.
    pub rule: String,
    /// ok, unsupported or error, with the reason.
    #[serde(flatten)]
    pub status: RuleStatus,
    /// 1-based line where the document (or the offending node) starts.
    pub line: usize,
}

impl RuleReport {
    /// The report as the crate's error type, when the rule could not be loaded at all.
    pub fn error(&self) -> Option<crate::DetectError> {
        let RuleStatus::Error { reason } = &self.status else {
            return None;
        };
        let source_name = self.source.clone();
        let line = self.line;
        Some(match reason.strip_prefix("yaml syntax: ") {
            Some(r) => crate::DetectError::Yaml {
                source_name,
                line,
                reason: r.to_string(),
            },
            None => crate::DetectError::Rule {
                source_name,
                line,
                reason: reason.clone(),
            },
        })
    }
}

/// The identifying and descriptive fields of any Sigma rule.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RuleMeta {
    /// `title` (mandatory).
    pub title: String,
    /// `id`, usually a UUID.
    pub id: Option<String>,
    /// `name`, a unique human-readable reference for correlations.
    pub name: Option<String>,
    /// `level`.
    pub level: Option<String>,
    /// `status`.
    pub status: Option<String>,
    /// `tags`.
    pub tags: Vec<String>,
}

impl RuleMeta {
    /// Reads the metadata; a missing or non-string title is an error.
    pub fn from_node(doc: &Node) -> Result<Self, String> {
        let text = |k: &str| doc.get(k).and_then(Node::scalar_text);
        let title = doc
            .get("title")
            .and_then(Node::as_str)
            .ok_or("rule has no title")?
            .to_string();
        Ok(Self {
            title,
            id: text("id"),
            name: text("name"),
            level: text("level").map(|l| l.to_lowercase()),
            status: text("status"),
            tags: doc
                .get("tags")
                .and_then(Node::string_list)
                .unwrap_or_default(),
        })
    }

    /// The label reports and alerts use: id, else name, else title.
    pub fn label(&self) -> String {
        self.id
            .clone()
            .or_else(|| self.name.clone())
            .unwrap_or_else(|| self.title.clone())
    }

    /// Whether a correlation reference (`rules:` entry) names this rule.
    pub fn is_named(&self, reference: &str) -> bool {
        self.id.as_deref() == Some(reference) || self.name.as_deref() == Some(reference)
    }

    /// Automotive Threat Matrix technique tags: `atm.t0001` (any case) becomes `ATM-T0001`.
    pub fn atm_techniques(&self) -> Vec<String> {
        self.tags
            .iter()
            .filter_map(|t| {
                let lower = t.to_ascii_lowercase();
                let rest = lower
                    .strip_prefix("atm.")
                    .or_else(|| lower.strip_prefix("atm-"))?;
                let is_technique = rest.starts_with('t')
                    && rest.len() > 1
                    && rest.chars().skip(1).all(|c| c.is_ascii_digit() || c == '.');
                is_technique.then(|| format!("ATM-{}", rest.to_ascii_uppercase()))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atm_technique_tags_are_extracted() {
        let meta = RuleMeta {
            tags: vec![
                "attack.t1040".into(),
                "atm.t0012".into(),
                "ATM.T0001".into(),
                "atm.ta01".into(),
            ],
            ..RuleMeta::default()
        };
        assert_eq!(
            meta.atm_techniques(),
            vec!["ATM-T0012".to_string(), "ATM-T0001".to_string()]
        );
    }
}
