//! What level of monitoring a case's generated rules get, decided from where
//! the case stands: its roll-out milestones, its compensating controls in
//! force and how much of its affected fleet runs a fixed build. A pure
//! function, so every trigger (a milestone, a control, an installation, the
//! hourly job) decides alike.

use keelson_core::remediation::RolloutPhase;
use keelson_store::rules::{MonitoringLevel, RuleStatus};

/// When a case's rules retire (from `rule_retirement_coverage` and
/// `rule_retirement_grace_days`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Retirement {
    /// The share of the affected fleet on fixed builds that schedules retirement.
    pub coverage: f64,
    /// Days the rules keep firing after the day that share was reached.
    pub grace_days: u32,
}

impl Retirement {
    pub fn from_config(config: &crate::config::Config) -> Self {
        Self {
            coverage: config.rule_retirement_coverage,
            grace_days: config.rule_retirement_grace_days,
        }
    }
}

impl Default for Retirement {
    fn default() -> Self {
        Self {
            coverage: 0.95,
            grace_days: 7,
        }
    }
}

/// Where a case stands, as the level decision needs it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Standing {
    /// The least advanced phase over the case's remediation packages; none
    /// while a package has reached no phase, or the case has no package.
    pub stage: Option<RolloutPhase>,
    /// The compensating controls in force (neither expired nor withdrawn).
    pub controls_in_force: Vec<String>,
    /// Vehicles that ever ran one of the rules' builds (the affected fleet).
    pub affected_vehicles: usize,
    /// Of those, the vehicles that now run a fixed build of the case.
    pub fixed_vehicles: usize,
}

impl Standing {
    /// Whether the fixed share of the affected fleet reaches `coverage`; an
    /// empty affected fleet has no share and never does.
    pub fn covered(&self, coverage: f64) -> bool {
        self.affected_vehicles > 0
            && self.fixed_vehicles as f64 / self.affected_vehicles as f64 >= coverage
    }
}

/// The level a rule now standing at `current` gets on `today`, and why.
///
/// - A retired rule stays retired.
/// - A compensating control in force, or a roll-out short of `full` on any
///   package, keeps the rule `heightened`; a full roll-out without a control
///   in force makes it `active`.
/// - After the `full` milestone, once the fixed share of the affected fleet
///   reaches the coverage, the rule gets `valid_until` = today + grace (a date
///   already set is kept); it is retired once that day has passed, or at
///   once when the grace is 0.
pub fn decide(
    standing: &Standing,
    current: &MonitoringLevel,
    policy: Retirement,
    today: time::Date,
) -> (MonitoringLevel, String) {
    if current.status == RuleStatus::Retired {
        return (current.clone(), "retired rules stay retired".to_owned());
    }
    let (status, mut reason) = watch_status(standing);
    let mut valid_until = current.valid_until.clone();
    let full = standing.stage == Some(RolloutPhase::Full);
    let covered = full && standing.covered(policy.coverage);
    if covered && valid_until.is_none() {
        let last_day = today.saturating_add(time::Duration::days(i64::from(policy.grace_days)));
        valid_until = Some(date_text(last_day));
        reason.push_str(&format!(
            "; {} of {} affected vehicles run a fixed build (coverage {}): last day {}",
            standing.fixed_vehicles,
            standing.affected_vehicles,
            policy.coverage,
            date_text(last_day)
        ));
    }
    let retire_now = covered && policy.grace_days == 0;
    let past = valid_until
        .as_deref()
        .and_then(crate::detection::rules::parse_date)
        .is_some_and(|last_day| today > last_day);
    if retire_now || past {
        reason.push_str("; retired: its last day has come");
        let level = MonitoringLevel {
            status: RuleStatus::Retired,
            valid_until,
        };
        return (level, reason);
    }
    (
        MonitoringLevel {
            status,
            valid_until,
        },
        reason,
    )
}

fn watch_status(standing: &Standing) -> (RuleStatus, String) {
    if !standing.controls_in_force.is_empty() {
        let controls = standing.controls_in_force.join(", ");
        return (
            RuleStatus::Heightened,
            format!("heightened: compensating control {controls} in force"),
        );
    }
    match standing.stage {
        Some(RolloutPhase::Full) => (
            RuleStatus::Active,
            "active: every remediation package reached full roll-out".to_owned(),
        ),
        Some(phase) => (
            RuleStatus::Heightened,
            format!("heightened: roll-out at {phase}"),
        ),
        None => (
            RuleStatus::Heightened,
            "heightened: no roll-out milestone on every package yet".to_owned(),
        ),
    }
}

/// `YYYY-MM-DD`.
pub fn date_text(date: time::Date) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    date.format(&format).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> time::Date {
        crate::detection::rules::parse_date(text).expect("date")
    }

    fn level(status: RuleStatus, valid_until: Option<&str>) -> MonitoringLevel {
        MonitoringLevel {
            status,
            valid_until: valid_until.map(str::to_owned),
        }
    }

    fn full(affected: usize, fixed: usize) -> Standing {
        Standing {
            stage: Some(RolloutPhase::Full),
            affected_vehicles: affected,
            fixed_vehicles: fixed,
            ..Standing::default()
        }
    }

    const POLICY: Retirement = Retirement {
        coverage: 0.95,
        grace_days: 3,
    };

    #[test]
    fn lab_and_pilot_keep_watch_heightened_and_full_makes_it_active() {
        let heightened = level(RuleStatus::Heightened, None);
        for stage in [None, Some(RolloutPhase::Lab), Some(RolloutPhase::Pilot)] {
            let standing = Standing {
                stage,
                ..Standing::default()
            };
            let (next, _) = decide(&standing, &heightened, POLICY, day("2026-12-04"));
            assert_eq!(next.status, RuleStatus::Heightened, "{stage:?}");
        }
        let (next, reason) = decide(&full(20, 10), &heightened, POLICY, day("2026-12-04"));
        assert_eq!(next, level(RuleStatus::Active, None), "{reason}");
    }

    #[test]
    fn a_control_in_force_keeps_watch_heightened_after_full() {
        let standing = Standing {
            controls_in_force: vec!["c-1".to_owned()],
            ..full(20, 0)
        };
        let active = level(RuleStatus::Active, None);
        let (next, reason) = decide(&standing, &active, POLICY, day("2026-12-04"));
        assert_eq!(next.status, RuleStatus::Heightened);
        assert!(reason.contains("c-1"), "{reason}");
    }

    #[test]
    fn coverage_schedules_the_last_day_and_the_day_after_retires() {
        let active = level(RuleStatus::Active, None);
        let (short, _) = decide(&full(20, 18), &active, POLICY, day("2026-12-04"));
        assert_eq!(short.valid_until, None, "18 of 20 is 90%");
        let (scheduled, _) = decide(&full(20, 19), &active, POLICY, day("2026-12-30"));
        assert_eq!(scheduled, level(RuleStatus::Active, Some("2027-01-02")));
        let (still, _) = decide(&full(20, 19), &scheduled, POLICY, day("2027-01-02"));
        assert_eq!(still.status, RuleStatus::Active);
        let (gone, _) = decide(&full(20, 19), &scheduled, POLICY, day("2027-01-03"));
        assert_eq!(gone, level(RuleStatus::Retired, Some("2027-01-02")));
    }

    #[test]
    fn no_grace_retires_at_once_and_coverage_needs_the_full_milestone() {
        let policy = Retirement {
            grace_days: 0,
            ..POLICY
        };
        let heightened = level(RuleStatus::Heightened, None);
        let (now, _) = decide(&full(2, 2), &heightened, policy, day("2026-12-04"));
        assert_eq!(now, level(RuleStatus::Retired, Some("2026-12-04")));
        let pilot = Standing {
            stage: Some(RolloutPhase::Pilot),
            ..full(2, 2)
        };
        let (kept, _) = decide(&pilot, &heightened, policy, day("2026-12-04"));
        assert_eq!(kept, heightened);
        let (empty, _) = decide(&full(0, 0), &heightened, policy, day("2026-12-04"));
        assert_eq!(
            empty.status,
            RuleStatus::Active,
            "no affected vehicle: no share"
        );
    }

    #[test]
    fn a_retired_rule_stays_retired() {
        let retired = level(RuleStatus::Retired, Some("2026-01-01"));
        let standing = Standing {
            controls_in_force: vec!["c-1".to_owned()],
            ..Standing::default()
        };
        let (next, _) = decide(&standing, &retired, POLICY, day("2026-12-04"));
        assert_eq!(next, retired);
    }
}
