//! The severity scale shared by alerts, findings and cases.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Severity, ordered from least to most severe.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    None,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::None,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    /// One step up the scale (`critical` stays `critical`): the severity of
    /// an alert raised under heightened monitoring.
    pub fn raised(self) -> Severity {
        match self {
            Severity::None => Severity::Low,
            Severity::Low => Severity::Medium,
            Severity::Medium => Severity::High,
            Severity::High | Severity::Critical => Severity::Critical,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::None => "none",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A string that names no severity.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown severity {0:?}: expected none, low, medium, high or critical")]
pub struct UnknownSeverity(pub String);

impl FromStr for Severity {
    type Err = UnknownSeverity;

    /// Case-insensitive; Sigma's `informational` reads as `none`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let lower = text.trim().to_ascii_lowercase();
        if lower == "informational" {
            return Ok(Severity::None);
        }
        Severity::ALL
            .into_iter()
            .find(|severity| severity.as_str() == lower)
            .ok_or_else(|| UnknownSeverity(text.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severities_order_and_parse() {
        assert!(Severity::Critical > Severity::High);
        assert_eq!("HIGH".parse::<Severity>(), Ok(Severity::High));
        assert_eq!("informational".parse::<Severity>(), Ok(Severity::None));
        assert!("severe".parse::<Severity>().is_err());
    }

    #[test]
    fn raising_climbs_one_step_and_stops_at_critical() {
        let raised: Vec<Severity> = Severity::ALL.into_iter().map(Severity::raised).collect();
        let expected = [
            Severity::Low,
            Severity::Medium,
            Severity::High,
            Severity::Critical,
            Severity::Critical,
        ];
        assert_eq!(raised, expected);
    }
}
