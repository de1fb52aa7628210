//! The loop from PSIRT back into detection. A case's threat indicators become
//! detection rules when its advisory is published (`generate`, called from
//! `advisory::publish_case_advisory`); from then on the case's standing decides
//! how closely those rules watch (`level`): heightened while the roll-out is
//! short of `full` or a compensating control is in force, active after a full
//! roll-out, retired once enough of the affected fleet runs a fixed build and
//! the grace days have passed.
//!
//! [`sync_case`] applies that decision to a case's rules, each switch audited
//! with its reason (on the rule and on the case); it runs after every
//! milestone, control and advisory, [`sync_all`] after every installation
//! change (API or OTA event) and hourly (controls expire and retirement days
//! pass without any event).

pub mod generate;
pub mod level;

use std::collections::BTreeSet;
use std::time::Duration;

use keelson_core::remediation::RolloutPhase;
use keelson_store::cases::remediation::today;
use keelson_store::rules::{DetectionRule, MonitoringLevel};
use keelson_store::{Store, StoreError};

use crate::detection::Detector;
pub use level::Retirement;
use level::{Standing, decide};

/// The actor of switches no user asked for (installations, the hourly job).
pub const MONITORING_ACTOR: &str = "system:monitoring";

/// How often a serving instance checks every case's rules.
const EVERY: Duration = Duration::from_secs(3600);

/// Decides the level of each of the case's generated rules and applies the
/// ones that differ; `trigger` (what happened) leads each audited reason.
/// Reloads the detector when a rule changed, so the next event sees it.
pub async fn sync_case(
    store: &Store,
    detector: &Detector,
    actor: &str,
    case_id: &str,
    trigger: &str,
) -> Result<Vec<DetectionRule>, StoreError> {
    let changed = switch_case(store, detector.retirement(), actor, case_id, trigger).await?;
    if !changed.is_empty() {
        detector.reload(store).await?;
    }
    Ok(changed)
}

/// [`sync_case`] for every case that has generated rules; returns how many
/// rules switched.
pub async fn sync_all(
    store: &Store,
    detector: &Detector,
    actor: &str,
    trigger: &str,
) -> Result<usize, StoreError> {
    let cases: BTreeSet<String> = store
        .list_rules()
        .await?
        .into_iter()
        .filter_map(|rule| rule.case_id)
        .collect();
    let mut switched = 0;
    for case_id in cases {
        let changed = switch_case(store, detector.retirement(), actor, &case_id, trigger).await?;
        switched += changed.len();
    }
    if switched > 0 {
        detector.reload(store).await?;
    }
    Ok(switched)
}

/// [`sync_case`] after a change already committed (a milestone, a control):
/// a failure is logged for an operator, not answered, and the hourly check
/// levels the rules again.
pub async fn follow_case(
    store: &Store,
    detector: &Detector,
    actor: &str,
    case_id: &str,
    trigger: &str,
) {
    if let Err(error) = sync_case(store, detector, actor, case_id, trigger).await {
        tracing::error!(case_id, %error, trigger, "case rules not levelled");
    }
}

/// [`sync_all`] after an installation change already committed, logging a failure.
pub async fn follow_fleet(store: &Store, detector: &Detector, actor: &str, trigger: &str) {
    if let Err(error) = sync_all(store, detector, actor, trigger).await {
        tracing::error!(%error, trigger, "case rules not levelled");
    }
}

async fn switch_case(
    store: &Store,
    policy: Retirement,
    actor: &str,
    case_id: &str,
    trigger: &str,
) -> Result<Vec<DetectionRule>, StoreError> {
    let rules = store.case_rules(case_id).await?;
    if rules.is_empty() {
        return Ok(Vec::new());
    }
    let standing = standing(store, case_id, &rules).await?;
    let today = time::OffsetDateTime::now_utc().date();
    let mut changed = Vec::new();
    for rule in rules {
        let current = MonitoringLevel {
            status: rule.status,
            valid_until: rule.valid_until.clone(),
        };
        let (next, why) = decide(&standing, &current, policy, today);
        let reason = format!("{trigger}: {why}");
        if let Some(rule) = store
            .set_rule_monitoring(actor, &rule.id, &next, &reason)
            .await?
        {
            tracing::info!(rule_id = %rule.id, case_id, status = ?rule.status, "monitoring switched");
            changed.push(rule);
        }
    }
    Ok(changed)
}

/// Where the case stands: the least advanced roll-out phase over its
/// packages, its controls in force, and its affected fleet's coverage.
async fn standing(
    store: &Store,
    case_id: &str,
    rules: &[DetectionRule],
) -> Result<Standing, StoreError> {
    let packages = store.case_remediations(case_id).await?;
    let milestones = store.case_milestones(case_id).await?;
    let stage_of = |package_id: &str| -> Option<RolloutPhase> {
        milestones
            .iter()
            .filter(|milestone| milestone.package_id == package_id)
            .map(|milestone| milestone.phase)
            .max()
    };
    let stages: Vec<Option<RolloutPhase>> = packages.iter().map(|p| stage_of(&p.id)).collect();
    let stage = if stages.is_empty() || stages.contains(&None) {
        None
    } else {
        stages.into_iter().flatten().min()
    };

    let controls_in_force = store
        .case_controls(case_id, &today())
        .await?
        .into_iter()
        .filter(|control| control.in_force())
        .map(|control| control.id)
        .collect();

    let affected_builds: BTreeSet<String> = rules
        .iter()
        .flat_map(|rule| rule.scope.builds.iter().cloned())
        .collect();
    let fixed_builds: BTreeSet<String> = packages
        .iter()
        .flat_map(|package| package.plan.fixed_builds())
        .map(str::to_owned)
        .collect();
    let affected = store.vehicles_that_ran(&affected_builds).await?;
    let fixed = store.vehicles_running(&fixed_builds).await?;
    Ok(Standing {
        stage,
        controls_in_force,
        affected_vehicles: affected.len(),
        fixed_vehicles: affected.intersection(&fixed).count(),
    })
}

/// Checks every case's rules now and then every hour, for as long as the
/// server runs.
pub fn spawn(store: Store, detector: Detector) {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(EVERY);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            match sync_all(&store, &detector, MONITORING_ACTOR, "hourly check").await {
                Ok(0) => {}
                Ok(switched) => tracing::info!(switched, "case rules switched"),
                Err(error) => tracing::error!(%error, "cannot check the case rules"),
            }
        }
    });
}
