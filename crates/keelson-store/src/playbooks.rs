//! Incident playbooks at rest and their runs. A playbook is kept as its
//! YAML source (the server checks it before the store sees it) with the
//! bindings as JSON; a replacement must carry a higher version. A run copies
//! each step's definition (`spec`) when it starts, so replacing a playbook
//! never changes a run under way. Every step is settled once, from
//! `pending` to `done`, `failed` or `skipped`, with who, when and why; the
//! start of a run and each settled step are audited on the incident.
//!
//! An automatic run carries the key `incident/playbook` under a unique
//! index, so a playbook starts by itself at most once per incident, however
//! many alerts reach it and however many instances see them.

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, TransactionTrait,
};
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::audit::{self, AuditEvent};
use crate::entity::{incident, playbook, playbook_run, playbook_step};
use crate::{Store, StoreError, format_us, new_id, now_us};

/// The step kind a person completes; every other kind is automated.
pub const MANUAL: &str = "manual";

/// A checked playbook to store.
#[derive(Debug, Clone, PartialEq)]
pub struct NewPlaybook {
    pub id: String,
    pub title: String,
    pub version: i64,
    /// The YAML text as written.
    pub source: String,
    /// The bindings, as the server matches them.
    pub bindings: Value,
}

/// A stored playbook.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct StoredPlaybook {
    pub id: String,
    pub title: String,
    pub version: i64,
    /// The YAML text as imported.
    pub source: String,
    /// SHA-256 of the source.
    pub sha256: String,
    #[schema(value_type = Object)]
    pub bindings: Value,
    pub updated_by: String,
    pub created_at: String,
    pub updated_at: String,
}

/// What saving a playbook did.
#[derive(Debug, Clone, PartialEq)]
pub enum Saved {
    Created(StoredPlaybook),
    Replaced(StoredPlaybook),
    /// The same source was already stored; nothing was written.
    Unchanged(StoredPlaybook),
}

impl Saved {
    pub fn playbook(&self) -> &StoredPlaybook {
        match self {
            Saved::Created(p) | Saved::Replaced(p) | Saved::Unchanged(p) => p,
        }
    }
}

/// How a run started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    /// The incident formed or gained an alert the playbook is bound to.
    Automatic,
    /// An analyst started it.
    Manual,
}

impl Trigger {
    fn as_str(self) -> &'static str {
        match self {
            Trigger::Automatic => "automatic",
            Trigger::Manual => "manual",
        }
    }
}

/// A run to start.
#[derive(Debug, Clone, PartialEq)]
pub struct NewRun {
    pub incident_id: String,
    pub playbook_id: String,
    pub playbook_version: i64,
    pub trigger: Trigger,
    pub started_by: String,
    pub steps: Vec<NewStep>,
}

/// One step of a run to start, as the playbook defines it.
#[derive(Debug, Clone, PartialEq)]
pub struct NewStep {
    pub step_id: String,
    pub kind: String,
    pub title: String,
    /// The step's whole definition, kept for its execution.
    pub spec: Value,
}

/// Where a step stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StepState {
    Pending,
    Done,
    Failed,
    /// Its condition did not hold, or an analyst passed it over.
    Skipped,
}

impl StepState {
    pub fn as_str(self) -> &'static str {
        match self {
            StepState::Pending => "pending",
            StepState::Done => "done",
            StepState::Failed => "failed",
            StepState::Skipped => "skipped",
        }
    }

    fn parse(text: &str) -> Result<Self, StoreError> {
        [
            StepState::Pending,
            StepState::Done,
            StepState::Failed,
            StepState::Skipped,
        ]
        .into_iter()
        .find(|state| state.as_str() == text)
        .ok_or_else(|| StoreError::Corrupt(format!("step state {text:?}")))
    }
}

/// A step of a run.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct RunStep {
    /// Its place in the playbook, from 1.
    pub position: i32,
    pub step_id: String,
    pub kind: String,
    pub title: String,
    pub state: StepState,
    /// Who settled it: `system` for an automated step, else the analyst.
    pub actor: Option<String>,
    pub at: Option<String>,
    /// The outcome in words: what was recorded, or why it failed.
    pub detail: Option<String>,
    /// The definition the run took.
    #[schema(value_type = Object)]
    pub spec: Value,
}

/// A run and its steps. `state` is worked out from the steps: `running`
/// while an automated step is pending, `waiting` while only manual steps
/// are, `completed` when every step is settled.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PlaybookRun {
    pub id: String,
    pub incident_id: String,
    pub playbook_id: String,
    pub playbook_version: i64,
    pub trigger: Trigger,
    pub started_by: String,
    pub started_at: String,
    pub state: String,
    pub steps: Vec<RunStep>,
}

/// SHA-256 of a playbook's source, hex.
pub fn source_sha256(source: &str) -> String {
    hex::encode(Sha256::digest(source.as_bytes()))
}

impl Store {
    /// Stores a new playbook or replaces one with a higher version; the
    /// same source again writes nothing, and another source at the same or
    /// a lower version is refused.
    pub async fn save_playbook(&self, actor: &str, new: &NewPlaybook) -> Result<Saved, StoreError> {
        let _turn = self.audit_lock.lock().await;
        let txn = self.connection().begin().await?;
        let earlier = playbook::Entity::find_by_id(new.id.clone())
            .one(&txn)
            .await?;
        let sha256 = source_sha256(&new.source);
        if let Some(row) = &earlier {
            if row.sha256 == sha256 {
                return Ok(Saved::Unchanged(playbook_from_row(row.clone())?));
            }
            if new.version <= row.version {
                return Err(StoreError::Refused(format!(
                    "playbook {} is stored at version {}; a replacement needs a higher version",
                    new.id, row.version
                )));
            }
        }
        let now = now_us();
        let row = playbook::Model {
            id: new.id.clone(),
            title: new.title.clone(),
            version: new.version,
            source: new.source.clone(),
            sha256,
            bindings: new.bindings.to_string(),
            updated_by: actor.to_owned(),
            created_at_us: earlier.as_ref().map_or(now, |row| row.created_at_us),
            updated_at_us: now,
        };
        let before = earlier.map(playbook_from_row).transpose()?;
        match &before {
            Some(_) => {
                playbook::Entity::update(row.clone().into_active_model().reset_all())
                    .exec(&txn)
                    .await?;
            }
            None => {
                playbook::Entity::insert(row.clone().into_active_model())
                    .exec_without_returning(&txn)
                    .await?;
            }
        }
        let after = playbook_from_row(row)?;
        let action = if before.is_some() {
            "playbook.replace"
        } else {
            "playbook.create"
        };
        let mut entry = AuditEvent::new(actor, action, "playbook", &new.id)
            .after(audited_playbook(&after))
            .detail(format!("version {}", after.version));
        if let Some(before) = &before {
            entry = entry.before(audited_playbook(before));
        }
        audit::append(&txn, entry).await?;
        txn.commit().await?;
        Ok(match before {
            Some(_) => Saved::Replaced(after),
            None => Saved::Created(after),
        })
    }

    pub async fn playbook(&self, id: &str) -> Result<Option<StoredPlaybook>, StoreError> {
        let row = playbook::Entity::find_by_id(id.to_owned())
            .one(self.connection())
            .await?;
        row.map(playbook_from_row).transpose()
    }

    /// Every playbook, by ID.
    pub async fn list_playbooks(&self) -> Result<Vec<StoredPlaybook>, StoreError> {
        let rows = playbook::Entity::find()
            .order_by_asc(playbook::Column::Id)
            .all(self.connection())
            .await?;
        rows.into_iter().map(playbook_from_row).collect()
    }

    /// Starts a run with its steps pending. An automatic run of a playbook
    /// that already ran by itself on the incident starts nothing: `None`.
    pub async fn start_playbook_run(
        &self,
        actor: &str,
        new: &NewRun,
    ) -> Result<Option<PlaybookRun>, StoreError> {
        let _turn = self.audit_lock.lock().await;
        let txn = self.connection().begin().await?;
        require_incident(&txn, &new.incident_id).await?;
        let automatic_key = (new.trigger == Trigger::Automatic)
            .then(|| format!("{}/{}", new.incident_id, new.playbook_id));
        if let Some(key) = &automatic_key {
            let earlier = playbook_run::Entity::find()
                .filter(playbook_run::Column::AutomaticKey.eq(key.as_str()))
                .one(&txn)
                .await?;
            if earlier.is_some() {
                return Ok(None);
            }
        }
        let run = playbook_run::Model {
            id: new_id(),
            incident_id: new.incident_id.clone(),
            playbook_id: new.playbook_id.clone(),
            playbook_version: new.playbook_version,
            trigger: new.trigger.as_str().to_owned(),
            automatic_key,
            started_by: new.started_by.clone(),
            started_at_us: now_us(),
        };
        playbook_run::Entity::insert(run.clone().into_active_model())
            .exec_without_returning(&txn)
            .await
            .map_err(|error| StoreError::from_insert(error, "automatic run"))?;
        let steps = step_rows(&run.id, &new.steps);
        for step in &steps {
            playbook_step::Entity::insert(step.clone().into_active_model())
                .exec_without_returning(&txn)
                .await?;
        }
        let record = run_from_rows(run, steps)?;
        let entry = AuditEvent::new(actor, "playbook.run", "incident", &new.incident_id)
            .after(serde_json::to_value(&record).unwrap_or_default())
            .detail(format!(
                "run {} of playbook {} version {} ({})",
                record.id,
                new.playbook_id,
                new.playbook_version,
                new.trigger.as_str()
            ));
        audit::append(&txn, entry).await?;
        txn.commit().await?;
        Ok(Some(record))
    }

    /// Settles a pending step of a run; a step already settled is refused,
    /// so no step is done twice.
    pub async fn settle_playbook_step(
        &self,
        actor: &str,
        run_id: &str,
        position: i32,
        state: StepState,
        detail: &str,
    ) -> Result<RunStep, StoreError> {
        if state == StepState::Pending {
            return Err(StoreError::invalid(
                "state",
                "a step is settled as done, failed or skipped",
            ));
        }
        let _turn = self.audit_lock.lock().await;
        let txn = self.connection().begin().await?;
        let run = playbook_run::Entity::find_by_id(run_id.to_owned())
            .one(&txn)
            .await?
            .ok_or_else(|| StoreError::not_found(format!("playbook run {run_id}")))?;
        let row = playbook_step::Entity::find()
            .filter(playbook_step::Column::RunId.eq(run_id))
            .filter(playbook_step::Column::Position.eq(position))
            .one(&txn)
            .await?
            .ok_or_else(|| StoreError::not_found(format!("step {position} of run {run_id}")))?;
        if row.state != StepState::Pending.as_str() {
            return Err(StoreError::Refused(format!(
                "step {} of run {run_id} is already {}",
                row.step_id, row.state
            )));
        }
        let mut change = row.into_active_model();
        change.state = Set(state.as_str().to_owned());
        change.actor = Set(Some(actor.to_owned()));
        change.at_us = Set(Some(now_us()));
        change.detail = Set(Some(detail.to_owned()));
        let step = step_from_row(playbook_step::Entity::update(change).exec(&txn).await?)?;
        let entry = AuditEvent::new(actor, "playbook.step", "incident", &run.incident_id)
            .after(serde_json::to_value(&step).unwrap_or_default())
            .detail(format!(
                "run {run_id} step {} {}: {detail}",
                step.step_id,
                state.as_str()
            ));
        audit::append(&txn, entry).await?;
        txn.commit().await?;
        Ok(step)
    }

    pub async fn playbook_run(&self, id: &str) -> Result<Option<PlaybookRun>, StoreError> {
        let Some(run) = playbook_run::Entity::find_by_id(id.to_owned())
            .one(self.connection())
            .await?
        else {
            return Ok(None);
        };
        let steps = steps_of(self.connection(), id).await?;
        run_from_rows(run, steps).map(Some)
    }

    /// An incident's runs, oldest first.
    pub async fn incident_playbook_runs(
        &self,
        incident_id: &str,
    ) -> Result<Vec<PlaybookRun>, StoreError> {
        let runs = playbook_run::Entity::find()
            .filter(playbook_run::Column::IncidentId.eq(incident_id))
            .order_by_asc(playbook_run::Column::StartedAtUs)
            .order_by_asc(playbook_run::Column::Id)
            .all(self.connection())
            .await?;
        let mut records = Vec::with_capacity(runs.len());
        for run in runs {
            let steps = steps_of(self.connection(), &run.id).await?;
            records.push(run_from_rows(run, steps)?);
        }
        Ok(records)
    }

    /// Runs that still have an automated step pending (a stop interrupted
    /// them), oldest first, so a starting server can finish them.
    pub async fn unfinished_playbook_runs(&self) -> Result<Vec<PlaybookRun>, StoreError> {
        let pending = playbook_step::Entity::find()
            .filter(playbook_step::Column::State.eq(StepState::Pending.as_str()))
            .filter(playbook_step::Column::Kind.ne(MANUAL))
            .all(self.connection())
            .await?;
        let mut ids: Vec<String> = pending.into_iter().map(|step| step.run_id).collect();
        ids.sort();
        ids.dedup();
        let mut runs = Vec::new();
        for id in ids {
            runs.extend(self.playbook_run(&id).await?);
        }
        runs.sort_by(|a, b| a.started_at.cmp(&b.started_at));
        Ok(runs)
    }
}

async fn require_incident(txn: &DatabaseTransaction, id: &str) -> Result<(), StoreError> {
    incident::Entity::find_by_id(id.to_owned())
        .one(txn)
        .await?
        .map(|_| ())
        .ok_or_else(|| StoreError::not_found(format!("incident {id}")))
}

fn step_rows(run_id: &str, steps: &[NewStep]) -> Vec<playbook_step::Model> {
    steps
        .iter()
        .zip(1..)
        .map(|(step, position)| playbook_step::Model {
            id: new_id(),
            run_id: run_id.to_owned(),
            position,
            step_id: step.step_id.clone(),
            kind: step.kind.clone(),
            title: step.title.clone(),
            spec: step.spec.to_string(),
            state: StepState::Pending.as_str().to_owned(),
            actor: None,
            at_us: None,
            detail: None,
        })
        .collect()
}

async fn steps_of(
    db: &impl sea_orm::ConnectionTrait,
    run_id: &str,
) -> Result<Vec<playbook_step::Model>, StoreError> {
    Ok(playbook_step::Entity::find()
        .filter(playbook_step::Column::RunId.eq(run_id))
        .order_by_asc(playbook_step::Column::Position)
        .all(db)
        .await?)
}

fn run_from_rows(
    run: playbook_run::Model,
    steps: Vec<playbook_step::Model>,
) -> Result<PlaybookRun, StoreError> {
    let steps: Vec<RunStep> = steps
        .into_iter()
        .map(step_from_row)
        .collect::<Result<_, _>>()?;
    let trigger = match run.trigger.as_str() {
        "automatic" => Trigger::Automatic,
        "manual" => Trigger::Manual,
        other => return Err(StoreError::Corrupt(format!("run trigger {other:?}"))),
    };
    Ok(PlaybookRun {
        state: run_state(&steps).to_owned(),
        started_at: format_us(run.started_at_us),
        id: run.id,
        incident_id: run.incident_id,
        playbook_id: run.playbook_id,
        playbook_version: run.playbook_version,
        trigger,
        started_by: run.started_by,
        steps,
    })
}

fn run_state(steps: &[RunStep]) -> &'static str {
    let pending = |manual: bool| {
        steps
            .iter()
            .any(|step| step.state == StepState::Pending && (step.kind == MANUAL) == manual)
    };
    if pending(false) {
        "running"
    } else if pending(true) {
        "waiting"
    } else {
        "completed"
    }
}

fn step_from_row(row: playbook_step::Model) -> Result<RunStep, StoreError> {
    let spec = serde_json::from_str(&row.spec)
        .map_err(|error| StoreError::Corrupt(format!("step {} spec: {error}", row.id)))?;
    Ok(RunStep {
        state: StepState::parse(&row.state)?,
        at: row.at_us.map(format_us),
        position: row.position,
        step_id: row.step_id,
        kind: row.kind,
        title: row.title,
        actor: row.actor,
        detail: row.detail,
        spec,
    })
}

/// The audited state leaves the source out (its digest stands for it).
fn audited_playbook(playbook: &StoredPlaybook) -> Value {
    let mut state = serde_json::to_value(playbook).unwrap_or_default();
    if let Some(object) = state.as_object_mut() {
        object.remove("source");
    }
    state
}

fn playbook_from_row(row: playbook::Model) -> Result<StoredPlaybook, StoreError> {
    let bindings = serde_json::from_str(&row.bindings)
        .map_err(|error| StoreError::Corrupt(format!("playbook {} bindings: {error}", row.id)))?;
    Ok(StoredPlaybook {
        created_at: format_us(row.created_at_us),
        updated_at: format_us(row.updated_at_us),
        id: row.id,
        title: row.title,
        version: row.version,
        source: row.source,
        sha256: row.sha256,
        bindings,
        updated_by: row.updated_by,
    })
}
