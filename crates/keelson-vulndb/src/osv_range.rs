//! OSV `affected[]` evaluation: `ranges` (SEMVER and ECOSYSTEM; GIT is reported, not
//! evaluated) with any number of introduced, fixed, last_affected and limit events, and
//! the explicit `versions` list, following the OSV schema's evaluation algorithm.

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::version::{Scheme, try_sort_by};

/// One `affected[]` entry of an OSV record (the parts that decide affectedness).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct OsvAffected {
    /// The package; absent in records that only carry GIT ranges.
    #[serde(default)]
    pub package: Option<OsvPackage>,
    /// The ranges; a version inside any of them is affected.
    #[serde(default)]
    pub ranges: Vec<OsvRange>,
    /// Versions listed one by one.
    #[serde(default)]
    pub versions: Vec<String>,
}

/// `affected[].package`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct OsvPackage {
    /// OSV ecosystem, e.g. `PyPI` or `Debian:12`.
    pub ecosystem: String,
    /// Package name within the ecosystem.
    pub name: String,
    /// Package URL, if the record gives one.
    #[serde(default)]
    pub purl: Option<String>,
}

/// `affected[].ranges[].type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OsvRangeType {
    /// Semantic versions, whatever the ecosystem.
    Semver,
    /// The ecosystem's own version scheme.
    Ecosystem,
    /// Commit hashes of a repository.
    Git,
    /// A type this crate does not know.
    #[serde(other)]
    Unknown,
}

/// One range: a type and its events.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct OsvRange {
    /// How the event versions are to be read.
    #[serde(rename = "type")]
    pub kind: OsvRangeType,
    /// The repository of a GIT range.
    #[serde(default)]
    pub repo: Option<String>,
    /// The events, in any order.
    pub events: Vec<OsvEvent>,
}

/// One event of a range.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(try_from = "RawEvent", into = "RawEvent")]
pub enum OsvEvent {
    /// Affected from this version on (`0` means from the very first version).
    Introduced(String),
    /// Not affected from this version on.
    Fixed(String),
    /// Affected up to and including this version.
    LastAffected(String),
    /// Only versions below this one are considered (mostly for GIT ranges).
    Limit(String),
}

#[derive(Default, Deserialize, Serialize)]
struct RawEvent {
    #[serde(skip_serializing_if = "Option::is_none")]
    introduced: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    fixed: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_affected: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    limit: Option<String>,
}

impl From<OsvEvent> for RawEvent {
    fn from(event: OsvEvent) -> Self {
        match event {
            OsvEvent::Introduced(v) => RawEvent {
                introduced: Some(v),
                ..RawEvent::default()
            },
            OsvEvent::Fixed(v) => RawEvent {
                fixed: Some(v),
                ..RawEvent::default()
            },
            OsvEvent::LastAffected(v) => RawEvent {
                last_affected: Some(v),
                ..RawEvent::default()
            },
            OsvEvent::Limit(v) => RawEvent {
                limit: Some(v),
                ..RawEvent::default()
            },
        }
    }
}

impl TryFrom<RawEvent> for OsvEvent {
    type Error = String;

    fn try_from(raw: RawEvent) -> Result<Self, Self::Error> {
        let found = [
            raw.introduced.map(OsvEvent::Introduced),
            raw.fixed.map(OsvEvent::Fixed),
            raw.last_affected.map(OsvEvent::LastAffected),
            raw.limit.map(OsvEvent::Limit),
        ];
        let mut set = found.into_iter().flatten();
        match (set.next(), set.next()) {
            (Some(event), None) => Ok(event),
            (None, _) => {
                Err("an event needs one of introduced, fixed, last_affected, limit".into())
            }
            (Some(_), Some(_)) => Err("an event has exactly one key".into()),
        }
    }
}

impl OsvEvent {
    /// The version (or commit) the event names.
    pub fn version(&self) -> &str {
        match self {
            OsvEvent::Introduced(v)
            | OsvEvent::Fixed(v)
            | OsvEvent::LastAffected(v)
            | OsvEvent::Limit(v) => v,
        }
    }

    /// At equal versions an introduction is applied before what closes the interval.
    fn rank(&self) -> u8 {
        match self {
            OsvEvent::Introduced(_) => 0,
            OsvEvent::LastAffected(_) | OsvEvent::Fixed(_) => 1,
            OsvEvent::Limit(_) => 2,
        }
    }
}

/// Why a version was found affected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OsvEvidence {
    /// Inside `ranges[range]`, in the interval opened by `introduced` and closed by
    /// `until` (`None`: no later fix is known).
    Range {
        /// Index into `affected[].ranges`.
        range: usize,
        /// The introduced version that opened the interval.
        introduced: String,
        /// The fixed or last_affected event that closes the interval.
        until: Option<OsvEvent>,
    },
    /// Named in `affected[].versions`.
    Listed {
        /// The listed version that equals the one asked about.
        version: String,
    },
}

/// The outcome of evaluating one `affected[]` entry for one version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OsvVerdict {
    /// Whether the version is affected.
    pub affected: bool,
    /// What made it affected.
    pub evidence: Option<OsvEvidence>,
    /// Ranges that could not be evaluated (GIT, unknown types), with the reason.
    pub warnings: Vec<String>,
}

/// `introduced: 0` is below every version, whatever the scheme.
fn event_cmp(scheme: Scheme, a: &OsvEvent, b: &OsvEvent) -> Result<Ordering, Error> {
    let zero = |e: &OsvEvent| matches!(e, OsvEvent::Introduced(v) if v == "0");
    let order = match (zero(a), zero(b)) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
        (false, false) => scheme.compare(a.version(), b.version())?,
    };
    Ok(order.then(a.rank().cmp(&b.rank())))
}

impl OsvRange {
    /// Evaluate this range (at `index` in its `affected[]` entry) for `version` read with
    /// `scheme`; SEMVER ranges always use semver.
    pub fn evaluate(
        &self,
        index: usize,
        scheme: Scheme,
        version: &str,
    ) -> Result<RangeOutcome, Error> {
        let scheme = match self.kind {
            OsvRangeType::Semver => Scheme::Semver,
            OsvRangeType::Ecosystem => scheme,
            OsvRangeType::Git => {
                let why = "GIT range not evaluated: it needs the repository's commit graph";
                return Ok(RangeOutcome::NotEvaluated(why.into()));
            }
            OsvRangeType::Unknown => {
                return Ok(RangeOutcome::NotEvaluated(
                    "unknown range type not evaluated".into(),
                ));
            }
        };
        let fail = |e: Error| Error::OsvRange {
            range: index,
            reason: e.to_string(),
        };
        if !self
            .events
            .iter()
            .any(|e| matches!(e, OsvEvent::Introduced(_)))
        {
            return Err(Error::OsvRange {
                range: index,
                reason: "no introduced event".into(),
            });
        }
        scheme.validate(version).map_err(fail)?;

        let mut events: Vec<&OsvEvent> = self.events.iter().collect();
        try_sort_by(&mut events, |a, b| event_cmp(scheme, a, b)).map_err(fail)?;
        self.walk(index, scheme, version, &events).map_err(fail)
    }

    /// The evaluation loop of the OSV schema: the last event at or below the version
    /// decides whether an interval is open.
    fn walk(
        &self,
        index: usize,
        scheme: Scheme,
        version: &str,
        events: &[&OsvEvent],
    ) -> Result<RangeOutcome, Error> {
        let cmp = |v: &str| scheme.compare(version, v);
        let mut open: Option<&str> = None;
        let mut until: Option<&OsvEvent> = None;
        let mut limits = Vec::new();

        for &event in events {
            match event {
                OsvEvent::Introduced(v) if v == "0" || cmp(v)? != Ordering::Less => {
                    (open, until) = (Some(v.as_str()), None);
                }
                OsvEvent::Fixed(v) if cmp(v)? != Ordering::Less => open = None,
                OsvEvent::LastAffected(v) if cmp(v)? == Ordering::Greater => open = None,
                OsvEvent::Fixed(_) | OsvEvent::LastAffected(_) if open.is_some() => {
                    until = until.or(Some(event));
                }
                OsvEvent::Limit(v) => limits.push(v.as_str()),
                _ => {}
            }
        }

        let below_limit = limits.is_empty()
            || limits
                .iter()
                .map(|l| cmp(l))
                .collect::<Result<Vec<_>, _>>()?
                .contains(&Ordering::Less);
        Ok(match open.filter(|_| below_limit) {
            Some(introduced) => RangeOutcome::Inside(OsvEvidence::Range {
                range: index,
                introduced: introduced.to_owned(),
                until: until.cloned(),
            }),
            None => RangeOutcome::Outside,
        })
    }
}

/// The result of evaluating one range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RangeOutcome {
    /// The version is inside the range; the evidence says which interval.
    Inside(OsvEvidence),
    /// The version is outside the range.
    Outside,
    /// The range cannot be evaluated against a version; the reason says why.
    NotEvaluated(String),
}

impl OsvAffected {
    /// Evaluate this entry for `version`, with the scheme of `package.ecosystem`.
    ///
    /// An ecosystem without a known scheme is an error rather than a guess: comparing a
    /// version with the wrong rules gives confident wrong answers.
    pub fn evaluate(&self, version: &str) -> Result<OsvVerdict, Error> {
        let ecosystem = self.package.as_ref().map_or("", |p| p.ecosystem.as_str());
        let scheme = Scheme::for_ecosystem(ecosystem).ok_or_else(|| Error::OsvRange {
            range: 0,
            reason: format!("no version scheme known for ecosystem {ecosystem:?}"),
        })?;
        self.evaluate_with(scheme, version)
    }

    /// Evaluate this entry for `version` with an explicit scheme.
    pub fn evaluate_with(&self, scheme: Scheme, version: &str) -> Result<OsvVerdict, Error> {
        let mut verdict = OsvVerdict {
            affected: false,
            evidence: None,
            warnings: Vec::new(),
        };
        if let Some(listed) = self.listed(scheme, version) {
            verdict.affected = true;
            verdict.evidence = Some(OsvEvidence::Listed {
                version: listed.to_owned(),
            });
            return Ok(verdict);
        }
        for (index, range) in self.ranges.iter().enumerate() {
            match range.evaluate(index, scheme, version)? {
                RangeOutcome::Inside(evidence) => {
                    verdict.affected = true;
                    verdict.evidence = Some(evidence);
                    return Ok(verdict);
                }
                RangeOutcome::Outside => {}
                RangeOutcome::NotEvaluated(why) => {
                    verdict.warnings.push(format!("range {index}: {why}"))
                }
            }
        }
        Ok(verdict)
    }

    /// A listed version equal to `version`: same text, or equal by the scheme.
    fn listed(&self, scheme: Scheme, version: &str) -> Option<&str> {
        self.versions
            .iter()
            .find(|v| {
                *v == version
                    || scheme
                        .compare(v, version)
                        .is_ok_and(|o| o == Ordering::Equal)
            })
            .map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(kind: OsvRangeType, events: &[(&str, &str)]) -> OsvRange {
        let events = events
            .iter()
            .map(|(k, v)| match *k {
                "introduced" => OsvEvent::Introduced((*v).into()),
                "fixed" => OsvEvent::Fixed((*v).into()),
                "last_affected" => OsvEvent::LastAffected((*v).into()),
                _ => OsvEvent::Limit((*v).into()),
            })
            .collect();
        OsvRange {
            kind,
            repo: None,
            events,
        }
    }

    fn inside(r: &OsvRange, scheme: Scheme, version: &str) -> bool {
        matches!(r.evaluate(0, scheme, version), Ok(RangeOutcome::Inside(_)))
    }

    #[test]
    fn last_affected_includes_its_version() {
        let r = range(
            OsvRangeType::Ecosystem,
            &[("introduced", "1.0"), ("last_affected", "1.5")],
        );
        assert!(inside(&r, Scheme::Pep440, "1.5"));
        assert!(!inside(&r, Scheme::Pep440, "1.5.1"));
        assert!(!inside(&r, Scheme::Pep440, "0.9"));
    }

    #[test]
    fn limit_caps_an_open_range() {
        let r = range(
            OsvRangeType::Semver,
            &[("introduced", "0"), ("limit", "2.0.0")],
        );
        assert!(inside(&r, Scheme::Semver, "1.9.9"));
        assert!(!inside(&r, Scheme::Semver, "2.0.0"));
    }

    #[test]
    fn evidence_names_the_interval() {
        let r = range(
            OsvRangeType::Semver,
            &[("introduced", "1.0.0"), ("fixed", "1.2.0")],
        );
        let closing = Some(OsvEvent::Fixed("1.2.0".into()));
        let want = RangeOutcome::Inside(OsvEvidence::Range {
            range: 0,
            introduced: "1.0.0".into(),
            until: closing,
        });
        assert_eq!(r.evaluate(0, Scheme::Semver, "1.1.0"), Ok(want));
    }

    #[test]
    fn git_ranges_are_reported_not_guessed() {
        let r = range(
            OsvRangeType::Git,
            &[("introduced", "0"), ("fixed", "abc123")],
        );
        assert!(matches!(
            r.evaluate(0, Scheme::Semver, "1.0.0"),
            Ok(RangeOutcome::NotEvaluated(_))
        ));
    }

    #[test]
    fn events_need_exactly_one_key() {
        let two: Result<OsvEvent, _> = serde_json::from_str(r#"{"introduced":"0","fixed":"1"}"#);
        assert!(two.is_err());
        let none: Result<OsvEvent, _> = serde_json::from_str("{}");
        assert!(none.is_err());
    }
}
