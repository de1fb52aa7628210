//! The public vector type: version, canonical form, scores, severity, and the
//! one-line `Assessment` the CLI prints.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use crate::catalogue::Group;
use crate::error::CvssError;
use crate::parse::{self, Metrics};
use crate::{reference, v3};

/// A CVSS specification version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Version {
    V2,
    V3_0,
    V3_1,
    V4_0,
}

impl Version {
    /// The prefix of the vector string, without the separating `/`.
    pub(crate) fn prefix(self) -> &'static str {
        match self {
            Self::V2 => "",
            Self::V3_0 => "CVSS:3.0",
            Self::V3_1 => "CVSS:3.1",
            Self::V4_0 => "CVSS:4.0",
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::V2 => "2.0",
            Self::V3_0 => "3.0",
            Self::V3_1 => "3.1",
            Self::V4_0 => "4.0",
        })
    }
}

/// Qualitative severity rating of a score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    None,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    /// The rating of `score` under `version`: v2.0 uses the NVD bands
    /// (Low < 4.0 <= Medium < 7.0 <= High); v3.x and v4.0 the specification
    /// bands (None 0.0, Low, Medium, High from 7.0, Critical from 9.0).
    pub fn of(version: Version, score: f64) -> Self {
        match version {
            Version::V2 if score < 4.0 => Self::Low,
            Version::V2 if score < 7.0 => Self::Medium,
            Version::V2 => Self::High,
            _ if score < 0.1 => Self::None,
            _ if score < 4.0 => Self::Low,
            _ if score < 7.0 => Self::Medium,
            _ if score < 9.0 => Self::High,
            _ => Self::Critical,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::None => "None",
            Self::Low => "Low",
            Self::Medium => "Medium",
            Self::High => "High",
            Self::Critical => "Critical",
        })
    }
}

/// The scores of one vector.
///
/// v3.x: temporal and environmental are always present (undefined metrics
/// take their neutral value, as the specification says). v2.0: present only
/// when a metric of that group is given, as the NVD calculator reports them.
/// v4.0 has one score per vector; here `base` is the CVSS-B score of the base
/// metrics alone, `temporal` the CVSS-BT score when a threat metric is given,
/// and `environmental` the CVSS-BE/BTE score when an environmental metric is given.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Scores {
    pub base: f64,
    pub temporal: Option<f64>,
    pub environmental: Option<f64>,
}

/// A parsed, validated CVSS vector with its scores.
///
/// Metrics with the "not defined" value (`X`, or `ND` in v2.0) are treated
/// as absent and left out of the canonical form, so two vectors that mean
/// the same thing print the same.
#[derive(Debug, Clone, PartialEq)]
pub struct Vector {
    metrics: Metrics,
    canonical: String,
    scores: Scores,
}

impl FromStr for Vector {
    type Err = CvssError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let metrics = parse::parse(text)?;
        let canonical = metrics.canonical(ALL_GROUPS);
        let scores = score_all(&metrics)?;
        Ok(Self {
            metrics,
            canonical,
            scores,
        })
    }
}

const ALL_GROUPS: &[Group] = &[
    Group::Base,
    Group::Temporal,
    Group::Environmental,
    Group::Supplemental,
];

fn score_all(metrics: &Metrics) -> Result<Scores, CvssError> {
    let temporal_given = metrics.any_given(Group::Temporal);
    let environmental_given = metrics.any_given(Group::Environmental);

    let (base, temporal, environmental) = match metrics.version {
        Version::V2 => reference::v2_scores(metrics)?,
        Version::V3_0 | Version::V3_1 => {
            let (base, temporal, environmental) = v3::scores(metrics);
            (base, Some(temporal), Some(environmental))
        }
        Version::V4_0 => {
            let base = reference::v4_score(metrics, &[Group::Base])?;
            let bt = &[Group::Base, Group::Temporal];
            let temporal = temporal_given.then(|| reference::v4_score(metrics, bt));
            let environmental =
                environmental_given.then(|| reference::v4_score(metrics, ALL_GROUPS));
            (base, temporal.transpose()?, environmental.transpose()?)
        }
    };

    Ok(Scores {
        base: tidy(base),
        temporal: temporal.map(tidy),
        environmental: environmental.map(tidy),
    })
}

/// Scores are published to one decimal; drop float noise and negative zero.
fn tidy(score: f64) -> f64 {
    (score * 10.0).round() / 10.0 + 0.0
}

impl Vector {
    /// The specification version of this vector.
    pub fn version(&self) -> Version {
        self.metrics.version
    }

    /// Base, temporal and environmental scores (see [`Scores`] per version).
    pub fn scores(&self) -> Scores {
        self.scores
    }

    /// The base score (v4.0: CVSS-B of the base metrics alone).
    pub fn base_score(&self) -> f64 {
        self.scores.base
    }

    /// The score of the metrics given: v4.0 the single CVSS-B/BT/BE/BTE
    /// score; v2.0/v3.x the environmental score if an environmental metric is
    /// given, else the temporal score if a temporal metric is given, else base.
    pub fn score(&self) -> f64 {
        let env = self.metrics.any_given(Group::Environmental);
        let temporal = self.metrics.any_given(Group::Temporal);
        let picked = match (env, temporal) {
            (true, _) => self.scores.environmental,
            (false, true) => self.scores.temporal,
            (false, false) => None,
        };
        picked.unwrap_or(self.scores.base)
    }

    /// The severity rating of [`Vector::score`].
    pub fn severity(&self) -> Severity {
        Severity::of(self.version(), self.score())
    }

    /// v4.0 nomenclature of [`Vector::score`] ("CVSS-B", "CVSS-BT",
    /// "CVSS-BE", "CVSS-BTE"); `None` for other versions.
    pub fn nomenclature(&self) -> Option<&'static str> {
        if self.version() != Version::V4_0 {
            return None;
        }
        let threat = self.metrics.any_given(Group::Temporal);
        let env = self.metrics.any_given(Group::Environmental);
        Some(match (threat, env) {
            (false, false) => "CVSS-B",
            (true, false) => "CVSS-BT",
            (false, true) => "CVSS-BE",
            (true, true) => "CVSS-BTE",
        })
    }
}

impl fmt::Display for Vector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.canonical)
    }
}

/// One line of `keelson cvss VECTOR...` output.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Assessment {
    /// The canonical vector string.
    pub vector: String,
    /// "2.0", "3.0", "3.1" or "4.0".
    pub version: String,
    /// [`Vector::score`].
    pub score: f64,
    /// [`Vector::base_score`].
    pub base_score: f64,
    /// The severity rating of `score`.
    pub severity: String,
}

/// Parse, validate and score one vector string.
pub fn assess(text: &str) -> Result<Assessment, CvssError> {
    let vector: Vector = text.parse()?;
    Ok(Assessment {
        vector: vector.to_string(),
        version: vector.version().to_string(),
        score: vector.score(),
        base_score: vector.base_score(),
        severity: vector.severity().to_string(),
    })
}
