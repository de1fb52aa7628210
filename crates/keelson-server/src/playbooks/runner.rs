//! Running playbooks. When detection stores a new alert, the runner looks
//! at its incident: every stored playbook with a binding that matches (the
//! incident's rules, tags and severity) starts an automatic run, at most
//! once per incident and playbook (the store's unique key decides), and its
//! automated steps are carried out in order in a background task. An
//! analyst may also start a run by hand; its automated steps are carried out
//! before the answer.
//!
//! Each automated step is settled by the `system` actor: `done` with what
//! was recorded, `skipped` when its condition does not hold (or there is
//! nothing to do), `failed` with the reason when the action was refused or
//! could not be carried out; a failure never stops the run, the next step
//! is carried out all the same. Manual steps stay `pending` until an
//! analyst settles them. The actions reuse the paths the API uses:
//! `record_containment`, `set_rule_status`, `escalate_incident`, the
//! `Notifier` (signed, retried, recorded deliveries) and log requests the
//! vehicles read.

use std::collections::BTreeSet;
use std::sync::Arc;

use keelson_core::Principal;
use keelson_store::alerts::{AlertRecord, Raised};
use keelson_store::incidents::IncidentRecord;
use keelson_store::incidents::response::NewContainment;
use keelson_store::log_requests::NewLogRequest;
use keelson_store::playbooks::{NewRun, NewStep, PlaybookRun, RunStep, StepState, Trigger};
use keelson_store::rules::RuleStatus;
use keelson_store::{Store, StoreError};
use serde_json::json;
use tokio::sync::Mutex;
use tokio::task::JoinHandle;

use super::condition::{Condition, Facts};
use super::definition::{Action, Binding, Playbook, Step};
use crate::config::Config;
use crate::escalation::{EscalationInput, escalate_incident};
use crate::webhooks::{Notification, Notifier};

/// The actor automated steps and automatic runs are recorded under.
pub const SYSTEM_ACTOR: &str = "system";

/// Why a run could not be started or read.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("{0} not found")]
    NotFound(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Starts and carries out playbook runs.
#[derive(Clone)]
pub struct PlaybookRunner {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    config: Arc<Config>,
    notifier: Notifier,
    running: Mutex<Vec<JoinHandle<()>>>,
}

/// What a step came to; `None` leaves it pending.
type Outcome = Option<(StepState, String)>;

impl PlaybookRunner {
    pub fn new(store: Store, config: Arc<Config>, notifier: Notifier) -> Self {
        let inner = Inner {
            store,
            config,
            notifier,
            running: Mutex::new(Vec::new()),
        };
        Self {
            inner: Arc::new(inner),
        }
    }

    /// After detection stored alerts: the incidents that gained a new alert
    /// start their bound playbooks in the background.
    pub async fn alerts_recorded(&self, outcomes: &[(Raised, AlertRecord)]) {
        let mut incidents = BTreeSet::new();
        for (raised, alert) in outcomes {
            if *raised != Raised::New {
                continue;
            }
            match self.inner.store.incident_of_alert(&alert.id).await {
                Ok(Some(incident)) => {
                    incidents.insert(incident);
                }
                Ok(None) => {}
                Err(error) => {
                    tracing::error!(%error, alert_id = %alert.id, "incident of a new alert not read")
                }
            }
        }
        let mut running = self.inner.running.lock().await;
        running.retain(|task| !task.is_finished());
        for incident_id in incidents {
            let runner = self.clone();
            running.push(tokio::spawn(async move {
                if let Err(error) = runner.run_bound_playbooks(&incident_id).await {
                    tracing::error!(%error, %incident_id, "bound playbooks not run");
                }
            }));
        }
    }

    /// Waits for every background run started so far.
    pub async fn flush(&self) {
        let tasks: Vec<JoinHandle<()>> = std::mem::take(&mut *self.inner.running.lock().await);
        for task in tasks {
            let _ = task.await;
        }
    }

    /// Starts an automatic run of every playbook bound to the incident that
    /// has not run by itself on it yet, and carries out their automated
    /// steps; returns those runs as they stand afterwards.
    pub async fn run_bound_playbooks(
        &self,
        incident_id: &str,
    ) -> Result<Vec<PlaybookRun>, RunError> {
        let store = &self.inner.store;
        let incident = store
            .incident(incident_id)
            .await?
            .ok_or_else(|| RunError::NotFound(format!("incident {incident_id}")))?;
        let alerts = self.alerts_of(incident_id).await?;
        let mut runs = Vec::new();
        for playbook in self.playbooks().await? {
            if !bound(&playbook.bindings, &incident, &alerts) {
                continue;
            }
            let new = new_run(&playbook, incident_id, Trigger::Automatic, SYSTEM_ACTOR);
            let started = match store.start_playbook_run(SYSTEM_ACTOR, &new).await {
                Ok(started) => started,
                // Another instance started it between the check and the insert.
                Err(StoreError::Conflict { .. }) => None,
                Err(error) => return Err(error.into()),
            };
            if let Some(run) = started {
                tracing::info!(%incident_id, playbook_id = %playbook.id, run_id = %run.id, "playbook run started");
                runs.push(self.carry_out(&run.id).await?);
            }
        }
        Ok(runs)
    }

    /// Starts a run by hand and carries out its automated steps.
    pub async fn start_by_hand(
        &self,
        actor: &str,
        incident_id: &str,
        playbook_id: &str,
    ) -> Result<PlaybookRun, RunError> {
        let stored = self
            .inner
            .store
            .playbook(playbook_id)
            .await?
            .ok_or_else(|| RunError::NotFound(format!("playbook {playbook_id}")))?;
        let playbook = super::parse(&stored.source).map_err(|problems| {
            StoreError::Corrupt(format!("playbook {playbook_id}: {}", problems[0]))
        })?;
        let new = new_run(&playbook, incident_id, Trigger::Manual, actor);
        let run = self
            .inner
            .store
            .start_playbook_run(actor, &new)
            .await?
            .ok_or_else(|| StoreError::Corrupt("a manual run was not started".to_owned()))?;
        self.carry_out(&run.id).await
    }

    /// Finishes runs a stop interrupted (automated steps still pending).
    pub async fn resume_unfinished(&self) -> Result<usize, RunError> {
        let runs = self.inner.store.unfinished_playbook_runs().await?;
        for run in &runs {
            self.carry_out(&run.id).await?;
        }
        Ok(runs.len())
    }

    /// Carries out the run's pending automated steps in order.
    pub async fn carry_out(&self, run_id: &str) -> Result<PlaybookRun, RunError> {
        let store = &self.inner.store;
        let run = store
            .playbook_run(run_id)
            .await?
            .ok_or_else(|| RunError::NotFound(format!("playbook run {run_id}")))?;
        for step in run.steps.iter().filter(|s| s.state == StepState::Pending) {
            let Some((state, detail)) = self.outcome_of(&run, step).await? else {
                continue;
            };
            let settled = store
                .settle_playbook_step(SYSTEM_ACTOR, run_id, step.position, state, &detail)
                .await;
            match settled {
                Ok(_) | Err(StoreError::Refused(_)) => {}
                Err(error) => return Err(error.into()),
            }
        }
        store
            .playbook_run(run_id)
            .await?
            .ok_or_else(|| RunError::NotFound(format!("playbook run {run_id}")))
    }

    async fn outcome_of(&self, run: &PlaybookRun, step: &RunStep) -> Result<Outcome, RunError> {
        let definition: Step = match serde_json::from_value(step.spec.clone()) {
            Ok(definition) => definition,
            Err(error) => {
                let reason = format!("the stored step definition does not read: {error}");
                return Ok(Some((StepState::Failed, reason)));
            }
        };
        let Some(incident) = self.inner.store.incident(&run.incident_id).await? else {
            let reason = format!("incident {} no longer exists", run.incident_id);
            return Ok(Some((StepState::Failed, reason)));
        };
        if let Some(when) = &definition.when {
            let facts = self.facts(&incident).await?;
            match Condition::parse(when) {
                Ok(condition) if condition.holds(&facts) => {}
                Ok(_) => {
                    let reason = format!("the condition `{when}` does not hold");
                    return Ok(Some((StepState::Skipped, reason)));
                }
                Err(reason) => return Ok(Some((StepState::Failed, reason))),
            }
        }
        self.act(run, &definition, &incident).await
    }

    async fn act(
        &self,
        run: &PlaybookRun,
        step: &Step,
        incident: &IncidentRecord,
    ) -> Result<Outcome, RunError> {
        let outcome = match &step.action {
            Action::Manual => return Ok(None),
            Action::Containment {
                action,
                scope,
                expires_in_hours,
            } => {
                self.contain(incident, action, scope, *expires_in_hours)
                    .await
            }
            Action::HeightenRule { reason, rule } => {
                self.heighten(incident, rule.as_deref(), reason).await?
            }
            Action::RequestLogs { note } => self.request_logs(run, incident, note).await?,
            Action::Webhook { url } => self.call_webhook(run, step, incident, url).await?,
            Action::Escalate { notes, cvss_vector } => {
                self.escalate(incident, notes, cvss_vector).await
            }
        };
        Ok(Some(outcome))
    }

    async fn contain(
        &self,
        incident: &IncidentRecord,
        action: &str,
        scope: &str,
        expires_in_hours: Option<i64>,
    ) -> (StepState, String) {
        let hour_us = 3_600 * 1_000_000_i64;
        let new = NewContainment {
            action: action.to_owned(),
            scope: scope.to_owned(),
            expires_at_us: expires_in_hours
                .map(|hours| keelson_store::now_us().saturating_add(hours * hour_us)),
        };
        let store = &self.inner.store;
        match store
            .record_containment(SYSTEM_ACTOR, &incident.id, &new)
            .await
        {
            Ok(note) => {
                let until = note
                    .expires_at
                    .map(|at| format!(", until {at}"))
                    .unwrap_or_default();
                (
                    StepState::Done,
                    format!(
                        "containment {} recorded: {} ({}){until}",
                        note.id, note.action, note.scope
                    ),
                )
            }
            Err(error) => (StepState::Failed, error.to_string()),
        }
    }

    async fn heighten(
        &self,
        incident: &IncidentRecord,
        named: Option<&str>,
        reason: &str,
    ) -> Result<(StepState, String), RunError> {
        let rule_id = match named {
            Some(rule) => Some(rule.to_owned()),
            None => self
                .alerts_of(&incident.id)
                .await?
                .first()
                .map(|alert| alert.rule_id.clone()),
        };
        let Some(rule_id) = rule_id else {
            return Ok((
                StepState::Failed,
                "the incident has no alert naming its rule".to_owned(),
            ));
        };
        let store = &self.inner.store;
        match store.rule(&rule_id).await? {
            None => return Ok((StepState::Failed, format!("rule {rule_id} not found"))),
            Some(rule) if rule.status == RuleStatus::Heightened => {
                return Ok((
                    StepState::Skipped,
                    format!("rule {rule_id} is already heightened"),
                ));
            }
            Some(_) => {}
        }
        let why = format!("{reason} (incident {})", incident.id);
        match store
            .set_rule_status(SYSTEM_ACTOR, &rule_id, RuleStatus::Heightened, &why)
            .await
        {
            Ok(rule) => Ok((
                StepState::Done,
                format!("rule {} set to {}", rule.id, rule.status.as_str()),
            )),
            Err(error) => Ok((StepState::Failed, error.to_string())),
        }
    }

    async fn request_logs(
        &self,
        run: &PlaybookRun,
        incident: &IncidentRecord,
        note: &str,
    ) -> Result<(StepState, String), RunError> {
        let store = &self.inner.store;
        let scope = store.incident_scope(&incident.id).await?;
        if scope.vehicle_ids.is_empty() {
            return Ok((
                StepState::Skipped,
                "the incident's alerts name no vehicle".to_owned(),
            ));
        }
        let requests: Vec<NewLogRequest> = scope
            .vehicle_ids
            .iter()
            .map(|vehicle_id| NewLogRequest {
                vehicle_id: vehicle_id.clone(),
                incident_id: incident.id.clone(),
                run_id: Some(run.id.clone()),
                note: note.to_owned(),
                marking: incident.marking.clone(),
            })
            .collect();
        match store.request_logs(SYSTEM_ACTOR, &requests).await {
            Ok(recorded) => Ok((
                StepState::Done,
                format!(
                    "logs requested from {} vehicles: {}",
                    recorded.len(),
                    scope.vehicle_ids.join(", ")
                ),
            )),
            Err(error) => Ok((StepState::Failed, error.to_string())),
        }
    }

    async fn call_webhook(
        &self,
        run: &PlaybookRun,
        step: &Step,
        incident: &IncidentRecord,
        url: &str,
    ) -> Result<(StepState, String), RunError> {
        let scope = self.inner.store.incident_scope(&incident.id).await?;
        let data = json!({
            "incident": {"id": incident.id, "title": incident.title, "state": incident.state,
                         "severity": incident.severity, "sigma_rule": incident.sigma_rule,
                         "tlp": incident.marking.tlp},
            "vehicles_affected": scope.vehicles_affected,
            "build_ids": scope.build_ids,
            "playbook_id": run.playbook_id,
            "run_id": run.id,
            "step_id": step.id,
        });
        let notification = Notification::PlaybookStep {
            data,
            marking: incident.marking.clone(),
        };
        let outcome = match self.inner.notifier.deliver_to_url(url, &notification).await {
            Ok(delivery) if delivery.status == "delivered" => (
                StepState::Done,
                format!(
                    "delivery {} to {url} accepted after {} attempts",
                    delivery.id, delivery.attempts
                ),
            ),
            Ok(delivery) => (
                StepState::Failed,
                format!(
                    "delivery {} to {url} failed after {} attempts: {}",
                    delivery.id,
                    delivery.attempts,
                    delivery.last_error.unwrap_or_default()
                ),
            ),
            Err(reason) => (StepState::Failed, reason),
        };
        Ok(outcome)
    }

    async fn escalate(
        &self,
        incident: &IncidentRecord,
        notes: &Option<String>,
        cvss_vector: &Option<String>,
    ) -> (StepState, String) {
        let store = &self.inner.store;
        match store.escalation_of_incident(&incident.id).await {
            Ok(Some(earlier)) => {
                return (
                    StepState::Skipped,
                    format!("already escalated to case {}", earlier.case_id),
                );
            }
            Ok(None) => {}
            Err(error) => return (StepState::Failed, error.to_string()),
        }
        let input = EscalationInput {
            notes: notes.clone(),
            cvss_vector: cvss_vector.clone(),
            ..EscalationInput::default()
        };
        let sla = &self.inner.config.case_sla_days;
        let reader = Principal::system();
        match escalate_incident(store, sla, SYSTEM_ACTOR, &reader, incident, &input).await {
            Ok(answer) => (
                StepState::Done,
                format!("escalated to case {}", answer.case.id),
            ),
            Err(error) => (StepState::Failed, error.message),
        }
    }

    async fn alerts_of(&self, incident_id: &str) -> Result<Vec<AlertRecord>, StoreError> {
        let store = &self.inner.store;
        let mut alerts = Vec::new();
        for alert_id in store.incident_alert_ids(incident_id).await? {
            alerts.extend(store.alert(&alert_id).await?);
        }
        Ok(alerts)
    }

    async fn facts(&self, incident: &IncidentRecord) -> Result<Facts, StoreError> {
        let scope = self.inner.store.incident_scope(&incident.id).await?;
        let alerts = self.alerts_of(&incident.id).await?;
        let tags: BTreeSet<String> = alerts.into_iter().flat_map(|a| a.atm_tags).collect();
        Ok(Facts {
            severity: Some(incident.severity),
            vehicle_count: scope.vehicles_affected,
            build_ids: scope.build_ids,
            rule: incident.sigma_rule.clone(),
            tags: tags.into_iter().collect(),
        })
    }

    /// Every stored playbook that still reads (one that does not is
    /// reported and passed over).
    async fn playbooks(&self) -> Result<Vec<Playbook>, StoreError> {
        let mut playbooks = Vec::new();
        for stored in self.inner.store.list_playbooks().await? {
            match super::parse(&stored.source) {
                Ok(playbook) => playbooks.push(playbook),
                Err(problems) => {
                    tracing::warn!(playbook_id = %stored.id, problem = %problems[0], "stored playbook does not read; it is not run");
                }
            }
        }
        Ok(playbooks)
    }
}

/// Whether any binding matches the incident and its alerts.
pub fn bound(bindings: &[Binding], incident: &IncidentRecord, alerts: &[AlertRecord]) -> bool {
    bindings.iter().any(|binding| {
        let rule = binding.rule.as_ref().is_none_or(|rule| {
            incident.sigma_rule == *rule
                || alerts
                    .iter()
                    .any(|alert| alert.sigma_rule == *rule || alert.rule_id == *rule)
        });
        let tag = binding
            .tag
            .as_ref()
            .is_none_or(|tag| alerts.iter().any(|alert| alert.atm_tags.contains(tag)));
        let severity = binding
            .min_severity
            .is_none_or(|least| incident.severity >= least);
        rule && tag && severity
    })
}

fn new_run(playbook: &Playbook, incident_id: &str, trigger: Trigger, actor: &str) -> NewRun {
    NewRun {
        incident_id: incident_id.to_owned(),
        playbook_id: playbook.id.clone(),
        playbook_version: playbook.version,
        trigger,
        started_by: actor.to_owned(),
        steps: playbook
            .steps
            .iter()
            .map(|step| NewStep {
                step_id: step.id.clone(),
                kind: step.action.kind().to_owned(),
                title: step.title.clone(),
                spec: serde_json::to_value(step).unwrap_or_default(),
            })
            .collect(),
    }
}
