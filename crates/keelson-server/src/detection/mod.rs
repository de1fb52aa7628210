//! Detection in the running server: the compiled rule set built from the
//! store's rules and swapped whole when a rule changes (no restart), run
//! over every event the ingest path stored as new; firings become stored
//! alerts, merged per rule and vehicle within the deduplication window.
//!
//! Every ingest source reaches detection through `ingest::Batch::write`,
//! which calls [`Detector::observe`] with the events the store accepted
//! (duplicates never reach it, so a replayed batch raises nothing).

mod compiled;
pub mod offline;
pub mod rules;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use keelson_store::alerts::{AlertRecord, Raised, Sighting};
use keelson_store::rules::DetectionRule;
use keelson_store::telemetry::NewEvent;
use keelson_store::{Store, StoreError};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;

use crate::metrics::AlertLabels;
use crate::monitoring::Retirement;
use compiled::{Compiled, event_value};

/// The actor alerts are recorded under in the audit log.
pub const DETECTION_ACTOR: &str = "detection";

/// How often a serving instance looks for rule changes it did not make itself
/// (`keelson rules import` into the same store, another instance's API) and
/// for a new day, which ends rules past their `valid_until`.
pub const RULES_POLL_INTERVAL: std::time::Duration = std::time::Duration::from_secs(5);

/// The server's detection: the live compiled rule set and where alerts go.
///
/// The set sits behind a mutex rather than an `ArcSwap`: each engine keeps
/// correlation state that every event updates, so every user of the set is
/// a writer and a lock-free read path would buy nothing. A reload compiles
/// outside the lock and swaps under it, so ingest waits only for the swap.
#[derive(Clone)]
pub struct Detector {
    compiled: Arc<Mutex<Compiled>>,
    /// Serialises reloads so an older snapshot never replaces a newer one;
    /// holds what the live set was compiled from.
    reload_turn: Arc<tokio::sync::Mutex<Fingerprint>>,
    dedup_window_ms: i64,
    /// How long after an incident's last alert a new alert of the same rule
    /// and scope still joins it.
    incident_window_ms: i64,
    alerts_raised: Family<AlertLabels, Counter>,
    /// When the rules generated for PSIRT cases retire.
    retirement: Retirement,
    /// Starts the playbooks bound to incidents that gain new alerts.
    playbooks: Option<crate::playbooks::PlaybookRunner>,
}

impl Detector {
    /// A detector with no rules; call [`Detector::reload`] to load the store's.
    pub fn new(
        dedup_window_minutes: u32,
        incident_window_minutes: u32,
        alerts_raised: Family<AlertLabels, Counter>,
    ) -> Self {
        Self {
            compiled: Arc::new(Mutex::new(Compiled::default())),
            reload_turn: Arc::new(tokio::sync::Mutex::new(Fingerprint::default())),
            dedup_window_ms: i64::from(dedup_window_minutes) * 60_000,
            incident_window_ms: i64::from(incident_window_minutes) * 60_000,
            alerts_raised,
            retirement: Retirement::default(),
            playbooks: None,
        }
    }

    /// A detector for a command that changes rules outside a server (such
    /// as publishing an advisory): what it compiles runs nowhere, and serving
    /// instances take the change up through their rule watch.
    pub fn for_command(config: &crate::config::Config) -> Self {
        Self::new(
            config.alert_dedup_window_minutes,
            config.incident_window_minutes,
            Family::default(),
        )
        .with_retirement(Retirement::from_config(config))
    }

    /// The detector with the retirement policy of generated rules.
    pub fn with_retirement(mut self, retirement: Retirement) -> Self {
        self.retirement = retirement;
        self
    }

    /// When the rules generated for PSIRT cases retire.
    pub fn retirement(&self) -> Retirement {
        self.retirement
    }

    /// The detector, starting bound playbooks after it stores new alerts.
    pub fn with_playbooks(mut self, runner: crate::playbooks::PlaybookRunner) -> Self {
        self.playbooks = Some(runner);
        self
    }

    /// Recompiles from the store's rules and swaps the set in; returns the
    /// problems of stored rules that no longer load (they do not fire).
    /// Correlation windows open at the swap start afresh.
    pub async fn reload(&self, store: &Store) -> Result<Vec<String>, StoreError> {
        let mut compiled_from = self.reload_turn.lock().await;
        let rules = store.list_rules().await?;
        Ok(self.swap_in(&rules, &mut compiled_from))
    }

    /// Reloads only when the stored rules or the date changed since the live
    /// set was compiled; `None` when nothing changed. Cheap enough to poll.
    pub async fn reload_if_changed(
        &self,
        store: &Store,
    ) -> Result<Option<Vec<String>>, StoreError> {
        let mut compiled_from = self.reload_turn.lock().await;
        let rules = store.list_rules().await?;
        if Fingerprint::of(&rules, today()) == *compiled_from {
            return Ok(None);
        }
        Ok(Some(self.swap_in(&rules, &mut compiled_from)))
    }

    fn swap_in(&self, rules: &[DetectionRule], compiled_from: &mut Fingerprint) -> Vec<String> {
        let today = today();
        let fresh = Compiled::build(rules, today, self.dedup_window_ms);
        let problems = fresh.problems.clone();
        *self.lock() = fresh;
        *compiled_from = Fingerprint::of(rules, today);
        problems
    }

    /// Runs the events (newly stored, in arrival order) through the rules
    /// and records the alerts they raise.
    pub async fn observe(
        &self,
        store: &Store,
        events: &[&NewEvent],
    ) -> Result<Vec<(Raised, AlertRecord)>, StoreError> {
        let needs_models = {
            let compiled = self.lock();
            if compiled.is_empty() || events.is_empty() {
                return Ok(Vec::new());
            }
            compiled.needs_models()
        };
        let models = if needs_models {
            vehicle_models(store, events).await?
        } else {
            HashMap::new()
        };
        let sightings = self.run(events, &models);
        let window_us = self.dedup_window_ms.saturating_mul(1_000);
        let incident_window_us = self.incident_window_ms.saturating_mul(1_000);
        let outcomes = store
            .record_sightings(DETECTION_ACTOR, sightings, window_us, incident_window_us)
            .await?;
        self.count(&outcomes);
        if let Some(runner) = &self.playbooks {
            runner.alerts_recorded(&outcomes).await;
        }
        Ok(outcomes)
    }

    /// The synchronous part, under the lock: every admitted event through
    /// its scopes' engines, then the window-end correlations up to the
    /// batch's latest time, then the engines' own alert books trimmed so
    /// their memory stays bounded (the store keeps the alerts).
    fn run(&self, events: &[&NewEvent], models: &HashMap<String, Option<String>>) -> Vec<Sighting> {
        let today = today();
        let now_us = keelson_store::now_us();
        let mut compiled = self.lock();
        let mut sightings = Vec::new();
        let mut latest_ms = i64::MIN;
        for event in events {
            let value = event_value(event);
            let time_ms = event.vehicle_time_us.unwrap_or(event.received_time_us) / 1_000;
            latest_ms = latest_ms.max(time_ms);
            let model = event
                .vehicle_id
                .as_ref()
                .and_then(|id| models.get(id).cloned().flatten());
            for group in &mut compiled.groups {
                if !group.admits(event.build_id.as_deref(), model.as_deref()) {
                    continue;
                }
                let processed = group.engine.process(&value);
                let found = processed.sightings.into_iter();
                sightings.extend(found.filter_map(|a| group.sighting(a, today, now_us)));
            }
        }
        for group in &mut compiled.groups {
            let ended = group.engine.advance_processed(latest_ms).sightings;
            sightings.extend(
                ended
                    .into_iter()
                    .filter_map(|a| group.sighting(a, today, now_us)),
            );
            group.engine.drain_closed(latest_ms);
        }
        sightings
    }

    fn count(&self, outcomes: &[(Raised, AlertRecord)]) {
        for (raised, alert) in outcomes {
            if *raised == Raised::New {
                let labels = AlertLabels {
                    severity: alert.severity.as_str().to_owned(),
                };
                self.alerts_raised.get_or_create(&labels).inc();
            }
        }
    }

    /// The set even if a panicking holder poisoned the lock: the set is
    /// replaced whole, never left half-changed.
    fn lock(&self) -> MutexGuard<'_, Compiled> {
        self.compiled
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// What a compiled set was built from: each rule's identity and every field
/// that changes what it does, and the day (`valid_until` is checked per day).
#[derive(Debug, Default, PartialEq, Eq)]
struct Fingerprint(String);

impl Fingerprint {
    fn of(rules: &[DetectionRule], today: time::Date) -> Fingerprint {
        let mut text = today.to_string();
        for rule in rules {
            let line = format!(
                "\n{}\t{}\t{:?}\t{:?}\t{:?}\t{:?}\t{}",
                rule.id,
                rule.sha256,
                rule.status,
                rule.scope,
                rule.valid_until,
                rule.marking,
                rule.updated_at
            );
            text.push_str(&line);
        }
        Fingerprint(text)
    }
}

/// Polls the store for rule changes made outside this instance's API.
pub fn spawn_rule_watch(detector: Detector, store: Store) {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(RULES_POLL_INTERVAL);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            match detector.reload_if_changed(&store).await {
                Ok(Some(problems)) => {
                    tracing::info!(problems = problems.len(), "stored rules changed; reloaded");
                }
                Ok(None) => {}
                Err(error) => tracing::warn!(%error, "cannot check the stored rules"),
            }
        }
    });
}

/// The model of each vehicle the events name, from the fleet inventory.
async fn vehicle_models(
    store: &Store,
    events: &[&NewEvent],
) -> Result<HashMap<String, Option<String>>, StoreError> {
    let mut models = HashMap::new();
    for event in events {
        let Some(id) = &event.vehicle_id else {
            continue;
        };
        if models.contains_key(id) {
            continue;
        }
        let model = store
            .vehicle(id)
            .await?
            .and_then(|vehicle| vehicle.model_id);
        models.insert(id.clone(), model);
    }
    Ok(models)
}

fn today() -> time::Date {
    time::OffsetDateTime::now_utc().date()
}
