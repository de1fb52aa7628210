//! Loading rule files into a `RuleSet`, with one report per rule, and the compiled
//! prefilter that picks the candidate rules for an event.

use super::correlation::{self, CorrelationProblem, CorrelationRule};
use super::detection::{Detection, IndexKey};
use super::index::{Bucket, Key};
use super::logsource::{self, LogSource, Scope};
use super::matcher::CompileProblem;
use super::rule::{RuleMeta, RuleReport, RuleStatus};
use super::yaml::{self, Node};
use crate::event::EventFields;

/// A compiled detection rule.
#[derive(Debug, Clone)]
pub struct DetectionRule {
    /// Title, id, name, level, tags.
    pub meta: RuleMeta,
    /// The `logsource` section.
    pub logsource: LogSource,
    scope: Scope,
    detection: Detection,
    required: Vec<String>,
    key: Option<IndexKey>,
    substring: Option<(String, Vec<String>)>,
}

impl DetectionRule {
    /// Whether the event satisfies the rule (logsource is checked by the rule set).
    pub fn matches<E: EventFields + ?Sized>(&self, event: &E) -> bool {
        self.detection.matches(event)
    }

    /// Fields the rule cannot match without (the prefilter checks them first).
    pub fn required_fields(&self) -> &[String] {
        &self.required
    }

    /// Evaluation for a rule reached through the value index: its key matcher is known.
    fn matches_indexed<E: EventFields + ?Sized>(&self, event: &E) -> bool {
        match &self.key {
            Some(key) => self.detection.matches_with_key(event, key),
            None => self.detection.matches(event),
        }
    }

    fn index_key(&self) -> Key<'_> {
        match (&self.key, &self.substring) {
            (_, Some((field, literals))) if selective(literals) => Key::Substring(field, literals),
            (Some(k), _) => Key::Exact(&k.field, &k.values),
            (None, Some((field, literals))) => Key::Substring(field, literals),
            (None, None) => Key::None,
        }
    }

    fn has_required<E: EventFields + ?Sized>(&self, event: &E) -> bool {
        self.required.iter().all(|f| event.field(f).is_some())
    }
}

/// Every active rule, compiled, with the prefilter index.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    rules: Vec<DetectionRule>,
    correlations: Vec<CorrelationRule>,
    buckets: Vec<Bucket>,
}

/// Loads rule texts given as `(source name, YAML text)`.
///
/// Every document yields one report. A broken file or rule is reported and left out;
/// the other rules stay active.
pub fn load_rules<N: AsRef<str>, T: AsRef<str>>(sources: &[(N, T)]) -> (RuleSet, Vec<RuleReport>) {
    let mut rules = Vec::new();
    let mut pending = Vec::new();
    let mut reports = Vec::new();
    for (name, text) in sources {
        load_source(
            name.as_ref(),
            text.as_ref(),
            &mut rules,
            &mut pending,
            &mut reports,
        );
    }
    let correlations = super::linking::link_correlations(&rules, pending, &mut reports);
    let mut set = RuleSet {
        rules,
        correlations,
        buckets: Vec::new(),
    };
    set.build_index();
    (set, reports)
}

/// A correlation waiting for name resolution, with where its report sits.
pub(crate) struct PendingCorrelation {
    pub rule: CorrelationRule,
    pub report: usize,
}

fn load_source(
    source: &str,
    text: &str,
    rules: &mut Vec<DetectionRule>,
    pending: &mut Vec<PendingCorrelation>,
    reports: &mut Vec<RuleReport>,
) {
    let docs = match yaml::load_documents(text) {
        Ok(d) => d,
        Err(p) => {
            let status = RuleStatus::Error {
                reason: format!("yaml syntax: {}", p.reason),
            };
            reports.push(RuleReport {
                source: source.into(),
                rule: source.into(),
                status,
                line: p.line,
            });
            return;
        }
    };
    let before = reports.len();
    for (i, doc) in docs.iter().enumerate() {
        // Empty documents (a trailing `---`) carry nothing to report.
        if matches!(doc.data, yaml::NodeData::Null) {
            continue;
        }
        load_one(source, i, doc, rules, pending, reports);
    }
    if reports.len() == before {
        let reason = "file holds no rule document".to_string();
        let status = RuleStatus::Error { reason };
        reports.push(RuleReport {
            source: source.into(),
            rule: source.into(),
            status,
            line: 1,
        });
    }
}

fn load_one(
    source: &str,
    index: usize,
    doc: &Node,
    rules: &mut Vec<DetectionRule>,
    pending: &mut Vec<PendingCorrelation>,
    reports: &mut Vec<RuleReport>,
) {
    let label = doc_label(doc, index);
    let report = |status, line| RuleReport {
        source: source.into(),
        rule: label.clone(),
        status,
        line,
    };
    match load_document(doc) {
        Ok(Loaded::Detection(rule)) => {
            rules.push(*rule);
            reports.push(report(RuleStatus::Ok, doc.line));
        }
        Ok(Loaded::Correlation(rule)) => {
            pending.push(PendingCorrelation {
                rule: *rule,
                report: reports.len(),
            });
            reports.push(report(RuleStatus::Ok, doc.line));
        }
        Err((status, line)) => reports.push(report(status, line)),
    }
}

fn doc_label(doc: &Node, index: usize) -> String {
    ["id", "name", "title"]
        .iter()
        .find_map(|k| doc.get(k).and_then(Node::scalar_text))
        .unwrap_or_else(|| format!("document {}", index + 1))
}

enum Loaded {
    Detection(Box<DetectionRule>),
    Correlation(Box<CorrelationRule>),
}

/// Compiles one document; a problem comes with the line of the section or node that
/// caused it (the document's first line when no narrower one is known).
fn load_document(doc: &Node) -> Result<Loaded, (RuleStatus, usize)> {
    let error = |reason: String| (RuleStatus::Error { reason }, doc.line);
    if let Some(action) = doc.get("action") {
        let reason = "Sigma v1 rule collections ('action') are not supported".into();
        return Err((RuleStatus::Unsupported { reason }, action.line));
    }
    if doc.get("filter").is_some() && doc.get("detection").is_none() {
        let reason = "Sigma filter documents are not supported".into();
        return Err((RuleStatus::Unsupported { reason }, doc.line));
    }
    let meta = RuleMeta::from_node(doc).map_err(|e| error(e.to_string()))?;
    if let Some(section) = doc.get("correlation") {
        return correlation::parse_correlation(meta, section)
            .map(|c| Loaded::Correlation(Box::new(c)))
            .map_err(|p| match p {
                CorrelationProblem::Unsupported(reason) => RuleStatus::Unsupported { reason },
                CorrelationProblem::Invalid(reason) => RuleStatus::Error { reason },
            })
            .map_err(|status| (status, section.line));
    }
    let detection = doc
        .get("detection")
        .ok_or_else(|| error("document has neither 'detection' nor 'correlation'".into()))?;
    compile_detection_rule(meta, doc, detection).map(|r| Loaded::Detection(Box::new(r)))
}

fn compile_detection_rule(
    meta: RuleMeta,
    doc: &Node,
    detection: &Node,
) -> Result<DetectionRule, (RuleStatus, usize)> {
    let Some(logsource_node) = doc.get("logsource") else {
        let reason = "rule has no logsource".into();
        return Err((RuleStatus::Error { reason }, doc.line));
    };
    let logsource = LogSource::from_node(Some(logsource_node));
    let scope = logsource
        .scope()
        .map_err(|reason| (RuleStatus::Unsupported { reason }, logsource_node.line))?;
    let detection = Detection::compile(detection).map_err(|(p, line)| match p {
        CompileProblem::Unsupported(reason) => (RuleStatus::Unsupported { reason }, line),
        CompileProblem::Invalid(reason) => (RuleStatus::Error { reason }, line),
    })?;
    let mut required = detection.required_fields();
    required.sort();
    required.dedup();
    let key = detection.index_key();
    let substring = if key.is_none() {
        detection.substring_key()
    } else {
        None
    };
    Ok(DetectionRule {
        meta,
        logsource,
        scope,
        detection,
        required,
        key,
        substring,
    })
}

/// Whether required literals are long enough to make the substring index more selective
/// than an exact-value key: exact keys tend to sit on categorical fields (`kind`,
/// `EventID`) shared by many rules, literals on free text (messages, command lines).
fn selective(literals: &[String]) -> bool {
    literals
        .iter()
        .map(String::len)
        .min()
        .is_some_and(|n| n >= 4)
}

impl RuleSet {
    /// The active detection rules.
    pub fn rules(&self) -> &[DetectionRule] {
        &self.rules
    }

    /// The active correlation rules.
    pub fn correlations(&self) -> &[CorrelationRule] {
        &self.correlations
    }

    /// Indices (into `rules()`) of the detection rules the event matches, in rule order.
    pub fn matching<E: EventFields + ?Sized>(&self, event: &E) -> Vec<usize> {
        let class = logsource::event_class(logsource::event_category(event));
        let Some(bucket) = self.buckets.get(class) else {
            return Vec::new();
        };
        let rule = |i: &usize| self.rules.get(*i);
        let mut out: Vec<usize> = bucket
            .scan()
            .iter()
            .filter(|i| rule(i).is_some_and(|r| r.has_required(event) && r.matches(event)))
            .copied()
            .collect();
        // Rules found by value skip the required-field check and their key matcher:
        // the lookup proved the key, and the detection stops at the next missing field.
        let mut found = Vec::new();
        bucket.exact_candidates(event, &mut found);
        out.extend(
            found
                .iter()
                .filter(|i| rule(i).is_some_and(|r| r.matches_indexed(event))),
        );
        found.clear();
        bucket.substring_candidates(event, &mut found);
        out.extend(
            found
                .iter()
                .filter(|i| rule(i).is_some_and(|r| r.matches(event))),
        );
        if out.len() > 1 {
            out.sort_unstable();
            out.dedup();
        }
        out
    }

    fn build_index(&mut self) {
        self.buckets = (0..logsource::EVENT_CLASSES)
            .map(|_| Bucket::default())
            .collect();
        for (i, rule) in self.rules.iter().enumerate() {
            for (class, bucket) in self.buckets.iter_mut().enumerate() {
                if logsource::scope_admits(rule.scope, class) {
                    bucket.add(i, rule.index_key());
                }
            }
        }
        self.buckets.iter_mut().for_each(Bucket::finish);
    }
}
