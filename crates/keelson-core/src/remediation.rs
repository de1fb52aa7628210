//! How a case's vulnerability is remediated: a package of fixes (a software
//! build, a hardware revision, a backend change), their verification per
//! target platform, and the roll-out in phases lab, pilot, full; and the
//! compensating controls that hold the risk down until then.
//!
//! [`RemediationPlan::check`] and [`CompensatingControl::check`] are where
//! a plan's shape is decided, so the API and the command line refuse the
//! same plans with the same field and reason.

use serde::{Deserialize, Serialize};

use crate::case::vocabulary;

vocabulary!(
    /// What a fix changes.
    FixKind, "fix kind", {
        /// A software build of the inventory (`reference` is its build ID).
        SoftwareBuild => "software_build",
        HardwareRevision => "hardware_revision",
        BackendChange => "backend_change",
    }
);

vocabulary!(
    /// Whether a fix is verified on one target platform.
    VerificationStatus, "verification status", {
        Pending => "pending",
        Passed => "passed",
        Failed => "failed",
    }
);

vocabulary!(
    /// A roll-out phase, in the order they run.
    RolloutPhase, "roll-out phase", {
        Lab => "lab",
        Pilot => "pilot",
        Full => "full",
    }
);

/// One change that fixes the vulnerability.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Fix {
    pub kind: FixKind,
    /// The build ID, the hardware revision or the backend change's reference.
    pub reference: String,
    #[serde(default)]
    pub description: Option<String>,
}

/// The verification of the fixes on one target platform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Verification {
    /// A vehicle platform, model line or test bench.
    pub platform: String,
    pub status: VerificationStatus,
    #[serde(default)]
    pub note: Option<String>,
}

/// One roll-out phase with its dates and planned vehicle count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Phase {
    pub phase: RolloutPhase,
    /// `YYYY-MM-DD`.
    pub starts_on: String,
    /// `YYYY-MM-DD`, not before `starts_on`.
    #[serde(default)]
    pub ends_on: Option<String>,
    /// How many vehicles the phase is to reach.
    #[serde(default)]
    pub target_vehicles: Option<u64>,
}

/// A remediation package as a case plans it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RemediationPlan {
    pub title: String,
    pub fixes: Vec<Fix>,
    #[serde(default)]
    pub verifications: Vec<Verification>,
    #[serde(default)]
    pub phases: Vec<Phase>,
}

/// A plan or control that is malformed, naming the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct PlanInvalid {
    pub field: String,
    pub reason: String,
}

fn invalid(field: impl Into<String>, reason: impl Into<String>) -> PlanInvalid {
    PlanInvalid {
        field: field.into(),
        reason: reason.into(),
    }
}

/// The longest title, reference, platform or owner.
pub const MAX_TEXT_CHARS: usize = 300;

fn check_text(field: &str, text: &str) -> Result<(), PlanInvalid> {
    if text.trim().is_empty() {
        return Err(invalid(field, "must not be empty"));
    }
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err(invalid(field, "longer than 300 characters"));
    }
    Ok(())
}

impl RemediationPlan {
    /// Checks the plan's shape: a title, at least one fix, each platform
    /// once, each phase at most once and in the order lab, pilot, full,
    /// with valid dates that do not run backwards.
    pub fn check(&self) -> Result<(), PlanInvalid> {
        check_text("title", &self.title)?;
        if self.fixes.is_empty() {
            return Err(invalid("fixes", "a package needs at least one fix"));
        }
        for (index, fix) in self.fixes.iter().enumerate() {
            check_text(&format!("fixes[{index}].reference"), &fix.reference)?;
        }
        let mut platforms = std::collections::BTreeSet::new();
        for (index, verification) in self.verifications.iter().enumerate() {
            let field = format!("verifications[{index}].platform");
            check_text(&field, &verification.platform)?;
            if !platforms.insert(verification.platform.trim()) {
                return Err(invalid(field, "the platform is named twice"));
            }
        }
        self.check_phases()
    }

    fn check_phases(&self) -> Result<(), PlanInvalid> {
        let mut previous: Option<&Phase> = None;
        for (index, phase) in self.phases.iter().enumerate() {
            let field = |name: &str| format!("phases[{index}].{name}");
            check_date(&field("starts_on"), &phase.starts_on)?;
            if let Some(ends_on) = &phase.ends_on {
                check_date(&field("ends_on"), ends_on)?;
                if ends_on < &phase.starts_on {
                    return Err(invalid(field("ends_on"), "before starts_on"));
                }
            }
            if let Some(before) = previous {
                if phase.phase <= before.phase {
                    let reason = format!(
                        "{} cannot follow {}: phases run lab, pilot, full, each once",
                        phase.phase, before.phase
                    );
                    return Err(invalid(field("phase"), reason));
                }
                if phase.starts_on < before.starts_on {
                    let reason = format!("{} starts before {}", phase.phase, before.phase);
                    return Err(invalid(field("starts_on"), reason));
                }
            }
            previous = Some(phase);
        }
        Ok(())
    }

    /// The build IDs of the package's software fixes.
    pub fn fixed_builds(&self) -> Vec<&str> {
        self.fixes
            .iter()
            .filter(|fix| fix.kind == FixKind::SoftwareBuild)
            .map(|fix| fix.reference.as_str())
            .collect()
    }
}

impl PartialOrd for RolloutPhase {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for RolloutPhase {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        let rank = |phase: &RolloutPhase| RolloutPhase::ALL.iter().position(|p| p == phase);
        rank(self).cmp(&rank(other))
    }
}

/// A measure that holds the risk down until the fix is rolled out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompensatingControl {
    /// The user responsible for it.
    pub owner: String,
    pub description: String,
    /// `YYYY-MM-DD`: the last day it is relied on.
    pub expires_on: String,
}

impl CompensatingControl {
    pub fn check(&self) -> Result<(), PlanInvalid> {
        check_text("owner", &self.owner)?;
        if self.description.trim().is_empty() {
            return Err(invalid("description", "must not be empty"));
        }
        check_date("expires_on", &self.expires_on)
    }

    /// Whether the control has run out on `today` (`YYYY-MM-DD`): it holds
    /// through its `expires_on` day.
    pub fn is_expired(&self, today: &str) -> bool {
        self.expires_on.as_str() < today
    }
}

/// A calendar date written `YYYY-MM-DD` (proleptic Gregorian).
pub fn check_date(field: &str, text: &str) -> Result<(), PlanInvalid> {
    let refused = || invalid(field, format!("{text:?} is not a date (YYYY-MM-DD)"));
    let bytes = text.as_bytes();
    let shaped = bytes.len() == 10
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && bytes
            .iter()
            .enumerate()
            .all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit());
    if !shaped {
        return Err(refused());
    }
    let number = |range: std::ops::Range<usize>| text[range].parse::<u32>().unwrap_or(0);
    let (year, month, day) = (number(0..4), number(5..7), number(8..10));
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return Err(refused()),
    };
    if day == 0 || day > days {
        return Err(refused());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(phases: Vec<Phase>) -> RemediationPlan {
        RemediationPlan {
            title: "TCU 4.2.1 with signed OTA".to_owned(),
            fixes: vec![Fix {
                kind: FixKind::SoftwareBuild,
                reference: "tcu-4.2.1".to_owned(),
                description: None,
            }],
            verifications: Vec::new(),
            phases,
        }
    }

    fn phase(phase: RolloutPhase, starts_on: &str, ends_on: Option<&str>) -> Phase {
        Phase {
            phase,
            starts_on: starts_on.to_owned(),
            ends_on: ends_on.map(str::to_owned),
            target_vehicles: None,
        }
    }

    #[test]
    fn phases_run_lab_pilot_full_forward_in_time() {
        use RolloutPhase::*;
        let ordered = plan(vec![
            phase(Lab, "2026-12-01", Some("2026-12-10")),
            phase(Pilot, "2026-12-11", None),
            phase(Full, "2027-01-15", None),
        ]);
        assert_eq!(ordered.check(), Ok(()));
        let skipping = plan(vec![
            phase(Lab, "2026-12-01", None),
            phase(Full, "2027-01-15", None),
        ]);
        assert_eq!(skipping.check(), Ok(()), "a phase may be left out");

        let backwards = plan(vec![
            phase(Pilot, "2026-12-11", None),
            phase(Lab, "2026-12-01", None),
        ]);
        assert_eq!(
            backwards.check().map_err(|e| e.field),
            Err("phases[1].phase".to_owned())
        );
        let twice = plan(vec![
            phase(Lab, "2026-12-01", None),
            phase(Lab, "2026-12-02", None),
        ]);
        assert!(twice.check().is_err());
        let earlier = plan(vec![
            phase(Lab, "2026-12-10", None),
            phase(Pilot, "2026-12-01", None),
        ]);
        assert_eq!(
            earlier.check().map_err(|e| e.field),
            Err("phases[1].starts_on".to_owned())
        );
        let ends_first = plan(vec![phase(Lab, "2026-12-10", Some("2026-12-09"))]);
        assert_eq!(
            ends_first.check().map_err(|e| e.reason),
            Err("before starts_on".to_owned())
        );
    }

    #[test]
    fn a_plan_needs_a_title_a_fix_and_each_platform_once() {
        let mut empty = plan(Vec::new());
        empty.fixes.clear();
        assert_eq!(empty.check().map_err(|e| e.field), Err("fixes".to_owned()));
        let mut twice = plan(Vec::new());
        let verified = Verification {
            platform: "MQB".to_owned(),
            status: VerificationStatus::Passed,
            note: None,
        };
        twice.verifications = vec![verified.clone(), verified];
        assert_eq!(
            twice.check().map_err(|e| e.to_string()),
            Err("verifications[1].platform: the platform is named twice".to_owned())
        );
    }

    /// Dates by the Gregorian calendar: 2024 and 2000 are leap years, 2100
    /// and 2026 are not.
    #[test]
    fn dates_follow_the_gregorian_calendar() {
        for good in ["2024-02-29", "2000-02-29", "2026-12-31", "2026-04-30"] {
            assert_eq!(check_date("d", good), Ok(()), "{good}");
        }
        for bad in [
            "2026-02-29",
            "2100-02-29",
            "2026-04-31",
            "2026-13-01",
            "2026-1-01",
            "26-01-01x",
        ] {
            assert!(check_date("d", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_control_holds_through_its_expiry_day() {
        let control = CompensatingControl {
            owner: "ana".to_owned(),
            description: "Block OTA downloads over public Wi-Fi at the backend".to_owned(),
            expires_on: "2026-12-31".to_owned(),
        };
        assert_eq!(control.check(), Ok(()));
        assert!(!control.is_expired("2026-12-31"));
        assert!(control.is_expired("2027-01-01"));
    }
}
