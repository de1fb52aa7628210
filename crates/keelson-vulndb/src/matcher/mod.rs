//! Matching SBOM components against the knowledge base: purl first (package identity,
//! then the OSV ranges read with the ecosystem's version scheme, or the CSAF product
//! with that purl and version and the status its document gives), CPE as the fallback
//! (NVD configurations evaluated over every CPE of the SBOM plus the caller's platform
//! CPEs, such as the vehicle model).
//!
//! **Invariant: a component is never matched silently on a guess.** A component without
//! a version is a warning, not a finding, and an advisory whose purl data speaks about
//! the component's package decides by its ranges; the same advisory's CPE data is then
//! not consulted for that component.

mod cpe_pass;
mod csaf_pass;
mod finding;

use std::collections::{HashMap, HashSet};

use crate::cpe::{Cpe, CpeValue};
use crate::kb::{Entry, KnowledgeBase, primary_id};
use crate::osv_range::{OsvEvent, OsvEvidence};
use crate::purl::Purl;

pub use finding::{
    Component, CriterionMatch, CvssScore, Evidence, EvidenceDetail, Finding, MatchMethod,
    MatchReport, MatchWarning,
};

/// Match components against the knowledge base, with no platform CPEs beyond the
/// components' own; warnings are dropped (use [`scan`] to see them).
pub fn match_components(kb: &KnowledgeBase, components: &[Component]) -> Vec<Finding> {
    scan(kb, components, &[]).findings
}

/// Match components against the knowledge base. `platforms` are CPEs that hold for the
/// whole system without being components (the vehicle model, the ECU hardware); they
/// satisfy `vulnerable: false` conditions but never produce findings themselves.
pub fn scan(kb: &KnowledgeBase, components: &[Component], platforms: &[Cpe]) -> MatchReport {
    let mut scan = Scan {
        kb,
        found: Vec::new(),
        seen: HashSet::new(),
        decided: HashSet::new(),
        scores: HashMap::new(),
        report: MatchReport::default(),
    };
    let prepared: Vec<Prepared> = components.iter().map(|c| scan.prepare(c)).collect();

    for (index, item) in prepared.iter().enumerate() {
        scan.purl_pass(index, item);
    }
    cpe_pass::run(&mut scan, &prepared, platforms);

    scan.found
        .sort_by(|a, b| (a.0, &a.1.vulnerability).cmp(&(b.0, &b.1.vulnerability)));
    let mut report = scan.report;
    report.findings = scan.found.into_iter().map(|(_, f)| f).collect();
    report
}

/// A component with its identifiers parsed once.
pub(crate) struct Prepared<'a> {
    component: &'a Component,
    version: Option<String>,
    purl: Option<Purl>,
    cpe: Option<Cpe>,
}

pub(crate) struct Scan<'a> {
    kb: &'a KnowledgeBase,
    /// Findings with the index of their component.
    found: Vec<(usize, Finding)>,
    /// (component, entry slot) pairs already reported.
    seen: HashSet<(usize, usize)>,
    /// (component, entry slot) pairs whose purl data spoke about the component.
    decided: HashSet<(usize, usize)>,
    /// CVSS assessments by vector: feeds repeat the same vectors across thousands of
    /// records, and scoring one costs more than the rest of building a finding.
    scores: HashMap<String, Option<Scored>>,
    report: MatchReport,
}

/// A scored CVSS metric and its rating.
type Scored = (CvssScore, Option<keelson_core::Severity>);

impl<'a> Scan<'a> {
    fn warn(&mut self, component: &Component, message: String) {
        self.report.warnings.push(MatchWarning {
            component: component.reference.clone(),
            message,
        });
    }

    fn prepare<'c>(&mut self, component: &'c Component) -> Prepared<'c> {
        let purl = component
            .purl
            .as_deref()
            .and_then(|text| match text.parse::<Purl>() {
                Ok(purl) => Some(purl),
                Err(e) => {
                    self.warn(component, format!("purl not used: {e}"));
                    None
                }
            });
        let cpe = component
            .cpe
            .as_deref()
            .and_then(|text| match text.parse::<Cpe>() {
                Ok(cpe) => Some(cpe),
                Err(e) => {
                    self.warn(component, format!("cpe not used: {e}"));
                    None
                }
            });
        let version = component
            .version
            .clone()
            .filter(|v| !v.is_empty())
            .or_else(|| purl.as_ref().and_then(|p| p.version().map(str::to_owned)))
            .or_else(|| cpe.as_ref().and_then(cpe_version));
        if version.is_none() && (purl.is_some() || cpe.is_some()) {
            let why = "no version: not matched (a CPE still counts as a platform)";
            self.warn(component, why.to_owned());
        }
        Prepared {
            component,
            version,
            purl,
            cpe,
        }
    }

    /// Purl matching: every entry indexed under the component's package, decided by the
    /// ranges of the affected packages whose identity matches.
    fn purl_pass(&mut self, index: usize, item: &Prepared) {
        let (Some(purl), Some(version)) = (&item.purl, &item.version) else {
            return;
        };
        for &slot in self.kb.slots_for_package(purl) {
            let Some(entry) = self.kb.entry(slot) else {
                continue;
            };
            if let Some(evidence) = self.purl_evidence(index, slot, entry, item, purl, version) {
                self.push(index, slot, entry, item, evidence);
            }
        }
    }

    fn purl_evidence(
        &mut self,
        index: usize,
        slot: usize,
        entry: &Entry,
        item: &Prepared,
        purl: &Purl,
        version: &str,
    ) -> Option<Evidence> {
        let live = entry
            .records
            .values()
            .filter(|r| r.advisory.withdrawn.is_none());
        for record in live {
            let advisory = &record.advisory;
            for (i, affected) in advisory.affected.iter().enumerate() {
                if !affected
                    .purl
                    .as_ref()
                    .is_some_and(|p| p.matches_package(purl))
                {
                    continue;
                }
                self.decided.insert((index, slot));
                match affected.entry.evaluate(version) {
                    Ok(verdict) if verdict.affected => {
                        let evidence = verdict.evidence?;
                        return Some(osv_evidence(
                            &advisory.id,
                            i,
                            affected,
                            purl,
                            version,
                            evidence,
                        ));
                    }
                    Ok(_) => {}
                    Err(e) => {
                        let why = format!("{} affected[{i}] not evaluated: {e}", advisory.id);
                        self.warn(item.component, why);
                    }
                }
            }
            let found = csaf_pass::evidence(self, (index, slot), advisory, item, purl, version);
            if found.is_some() {
                return found;
            }
        }
        None
    }

    /// Record a finding once per component and vulnerability.
    fn push(
        &mut self,
        index: usize,
        slot: usize,
        entry: &Entry,
        item: &Prepared,
        evidence: Evidence,
    ) {
        if !self.seen.insert((index, slot)) {
            return;
        }
        let finding = build_finding(self.kb, &mut self.scores, entry, item, evidence);
        self.found.push((index, finding));
    }
}

/// A CPE's version when it is a plain value (not ANY, NA or a pattern).
fn cpe_version(cpe: &Cpe) -> Option<String> {
    match cpe.version() {
        CpeValue::Value(text) => Some(text.logical()).filter(|v| !v.contains(['*', '?'])),
        _ => None,
    }
}

fn osv_evidence(
    record: &str,
    affected_index: usize,
    affected: &crate::advisory::AffectedPackage,
    purl: &Purl,
    version: &str,
    evidence: OsvEvidence,
) -> Evidence {
    let (ecosystem, package) = affected
        .entry
        .package
        .as_ref()
        .map(|p| (p.ecosystem.clone(), p.name.clone()))
        .unwrap_or_default();
    let (reason, detail) = match evidence {
        OsvEvidence::Listed { version: listed } => (
            format!("{version} is listed in {record} affected[{affected_index}].versions"),
            EvidenceDetail::OsvListed {
                ecosystem,
                package,
                affected: affected_index,
                version: listed,
            },
        ),
        OsvEvidence::Range {
            range,
            introduced,
            until,
        } => {
            let (fixed, last_affected) = match until {
                Some(OsvEvent::Fixed(v)) => (Some(v), None),
                Some(OsvEvent::LastAffected(v)) => (None, Some(v)),
                _ => (None, None),
            };
            let upper = match (&fixed, &last_affected) {
                (Some(f), _) => format!("fixed in {f}"),
                (_, Some(l)) => format!("last affected {l}"),
                _ => "no fix known".to_owned(),
            };
            let reason = format!(
                "{version} is inside {record} affected[{affected_index}] range {range} \
                 ({ecosystem}): introduced {introduced}, {upper}"
            );
            let detail = EvidenceDetail::OsvRange {
                ecosystem,
                package,
                affected: affected_index,
                range,
                introduced,
                fixed,
                last_affected,
            };
            (reason, detail)
        }
    };
    Evidence {
        method: MatchMethod::Purl,
        identifier: purl.to_string(),
        record: record.to_owned(),
        reason,
        detail,
    }
}

fn build_finding(
    kb: &KnowledgeBase,
    scores: &mut HashMap<String, Option<Scored>>,
    entry: &Entry,
    item: &Prepared,
    evidence: Evidence,
) -> Finding {
    let ids = entry.records.values().flat_map(|r| r.advisory.ids());
    let primary = primary_id(ids.clone()).unwrap_or_default().to_owned();
    let mut aliases: Vec<String> = ids
        .clone()
        .filter(|id| *id != primary)
        .map(str::to_owned)
        .collect();
    aliases.sort();
    aliases.dedup();

    let cvss = highest_cvss(entry, scores);
    let severity = cvss.as_ref().and_then(|(_, s)| *s);
    let kev = kb.kev_for(ids.clone()).is_some();
    let epss = kb.epss_for(ids).map(|s| s.score);
    let by_purl = evidence.method == MatchMethod::Purl;
    Finding {
        vulnerability: primary,
        aliases,
        purl: by_purl.then(|| evidence.identifier.clone()),
        cpe: (!by_purl).then(|| evidence.identifier.clone()),
        component: item.component.reference.clone(),
        name: item.component.name.clone(),
        version: item.version.clone().unwrap_or_default(),
        severity,
        cvss: cvss.map(|(c, _)| c),
        kev,
        epss,
        evidence,
    }
}

/// The highest-scoring CVSS metric over every record of the entry; metrics that do not
/// parse are skipped (the feed's other metrics still count).
fn highest_cvss(entry: &Entry, scores: &mut HashMap<String, Option<Scored>>) -> Option<Scored> {
    let metrics = entry
        .records
        .values()
        .flat_map(|r| &r.advisory.severity)
        .filter(|m| m.scheme.starts_with("CVSS"));
    let mut best: Option<Scored> = None;
    for metric in metrics {
        let scored = scores
            .entry(metric.value.clone())
            .or_insert_with(|| assess(&metric.value));
        let Some(scored) = scored else {
            continue;
        };
        // Ties go to the later metric, as `Iterator::max_by` would.
        if best
            .as_ref()
            .is_none_or(|b| scored.0.score.total_cmp(&b.0.score).is_ge())
        {
            best = Some(scored.clone());
        }
    }
    best
}

fn assess(vector: &str) -> Option<Scored> {
    let assessed = keelson_cvss::assess(vector).ok()?;
    let severity = assessed.severity.parse().ok();
    let score = CvssScore {
        vector: assessed.vector,
        score: assessed.score,
    };
    Some((score, severity))
}
