//! PSIRT cases at rest: opening a case from an intake, reading and listing
//! cases, and the rows they are made of. The workflow moves and field
//! changes are in [`workflow`], comments, tasks and build statuses in
//! [`work`], the ISO/SAE 21434 risk per build in [`risk`], the history
//! read back from the audit log in [`history`], the threat indicators in
//! [`indicators`].
//!
//! **Invariant:** a vulnerability is tracked by at most one open case. An
//! intake naming a vulnerability that an open case already tracks adds its
//! builds to that case instead of opening a second one.
//!
//! Every change appends an audit entry on object type `case` and the case's
//! ID, in the same transaction, with a JSON `detail` that says what changed
//! (from, to, reason); the case's history is those entries in order.

pub mod advisory;
pub mod history;
pub mod indicators;
pub mod remediation;
pub mod risk;
pub mod work;
pub mod workflow;

use std::collections::{BTreeMap, BTreeSet};

use keelson_core::case::UnknownWord;
use keelson_core::{
    BuildStatus, CaseState, IntakeKind, Marked, Marking, Principal, Severity, SlaPolicy, Team,
    VulnerabilityId,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::audit::{self, AuditEvent};
use crate::entity::{case, case_build, case_vulnerability, software_build, user};
use crate::marking::{MarkingColumns, marking_from_columns};
use crate::{IN_CHUNK, Store, StoreError, format_us, new_id, now_us};

/// The audit object type of every case entry.
pub const CASE_OBJECT: &str = "case";

/// The longest case or task title.
pub const MAX_TITLE_CHARS: usize = 300;

/// Where a case came from and what the intake names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Intake {
    pub kind: IntakeKind,
    /// The intake's own reference: a finding, a disclosure's tracking ID,
    /// an advisory ID, a test report.
    #[serde(default)]
    pub source: Option<String>,
}

/// One build a case concerns and the vulnerability's status in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BuildAssessment {
    pub build_id: String,
    pub status: BuildStatus,
}

/// A case to open, as the caller checked it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCase {
    pub title: String,
    pub intake: Intake,
    pub vulnerability_ids: Vec<VulnerabilityId>,
    pub severity: Severity,
    pub owner: Option<String>,
    pub team: Option<Team>,
    pub marking: Marking,
    pub builds: Vec<BuildAssessment>,
}

/// A stored case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Case {
    pub id: String,
    pub title: String,
    pub intake: Intake,
    pub state: CaseState,
    /// Sorted, canonical spelling.
    pub vulnerability_ids: Vec<VulnerabilityId>,
    pub severity: Severity,
    /// The PSIRT's CVSS vector (canonical form), once scored.
    pub cvss_vector: Option<String>,
    /// The user who owns the case.
    pub owner: Option<String>,
    pub team: Option<Team>,
    pub marking: Marking,
    /// The case this one duplicates (state `duplicate`).
    pub duplicate_of: Option<String>,
    pub received_at: String,
    /// `received_at` plus the SLA days of the severity; null when the
    /// severity has none.
    pub due_at: Option<String>,
    /// When the case reached `closed`, `not_affected`, `duplicate` or `rejected`.
    pub finished_at: Option<String>,
    pub opened_by: String,
    pub updated_at: String,
    /// Grows with every change of the case's fields or state.
    pub version: i64,
}

impl Marked for Case {
    fn marking(&self) -> &Marking {
        &self.marking
    }
}

/// What opening an intake did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Opened {
    /// A new case.
    Created(Case),
    /// An open case already tracked the vulnerability; the intake's builds
    /// and vulnerability IDs were added to it.
    Merged(Case),
}

/// Filters of the case list; `None` matches everything.
#[derive(Debug, Clone, Default)]
pub struct CaseFilter {
    pub state: Option<CaseState>,
    pub severity: Option<Severity>,
    pub owner: Option<String>,
    pub team: Option<Team>,
    pub intake_kind: Option<IntakeKind>,
    pub vulnerability: Option<VulnerabilityId>,
    pub build_id: Option<String>,
}

impl Store {
    /// Opens a case from an intake, or adds the intake to the one open case
    /// that already tracks one of its vulnerabilities. `reader` is who asks:
    /// an intake is never merged into a case the reader may not see.
    pub async fn open_case(
        &self,
        actor: &str,
        reader: &Principal,
        new: &NewCase,
        sla: &SlaPolicy,
    ) -> Result<Opened, StoreError> {
        check_new_case(new)?;
        let _turn = self.audit_lock.lock().await;
        let txn = self.connection().begin().await?;
        // Other processes open cases too: take the chain's turn before the
        // one-case-per-vulnerability check, so two intakes of one
        // vulnerability cannot both find it untracked.
        audit::lock_chain_head(&txn).await?;
        require_user(&txn, "owner", new.owner.as_deref()).await?;
        for build in &new.builds {
            require_build(&txn, &build.build_id).await?;
        }

        let tracking = open_cases_tracking(&txn, &new.vulnerability_ids, None).await?;
        let opened = match tracking.as_slice() {
            [] => Opened::Created(create(&txn, actor, new, now_us(), sla).await?),
            [existing] if reader.may_read(&existing.marking) => {
                Opened::Merged(merge_intake(&txn, actor, existing, new).await?)
            }
            [_] => return Err(StoreError::Refused(hidden_tracker(&new.vulnerability_ids))),
            several => return Err(StoreError::Refused(several_trackers(several.len()))),
        };
        txn.commit().await?;
        Ok(opened)
    }

    pub async fn case(&self, id: &str) -> Result<Option<Case>, StoreError> {
        load_case(self.connection(), id).await
    }

    /// Cases matching the filter, most recently received first.
    pub async fn list_cases(&self, filter: &CaseFilter) -> Result<Vec<Case>, StoreError> {
        let db = self.connection();
        let mut query = case::Entity::find();
        if let Some(state) = filter.state {
            query = query.filter(case::Column::State.eq(state.as_str()));
        }
        if let Some(severity) = filter.severity {
            query = query.filter(case::Column::Severity.eq(severity.as_str()));
        }
        if let Some(owner) = &filter.owner {
            query = query.filter(case::Column::Owner.eq(owner.as_str()));
        }
        if let Some(team) = filter.team {
            query = query.filter(case::Column::Team.eq(team.as_str()));
        }
        if let Some(kind) = filter.intake_kind {
            query = query.filter(case::Column::IntakeKind.eq(kind.as_str()));
        }
        if let Some(vulnerability) = &filter.vulnerability {
            let ids = cases_naming(db, vulnerability).await?;
            query = query.filter(case::Column::Id.is_in(ids));
        }
        if let Some(build) = &filter.build_id {
            let ids = cases_concerning(db, build).await?;
            query = query.filter(case::Column::Id.is_in(ids));
        }
        let rows = query
            .order_by_desc(case::Column::ReceivedAtUs)
            .order_by_asc(case::Column::Id)
            .all(db)
            .await?;
        cases_from_rows(db, rows).await
    }
}

fn check_new_case(new: &NewCase) -> Result<(), StoreError> {
    check_title("title", &new.title)?;
    let mut seen = BTreeSet::new();
    for build in &new.builds {
        if !seen.insert(build.build_id.as_str()) {
            let reason = format!("build {:?} is named twice", build.build_id);
            return Err(StoreError::invalid("builds", reason));
        }
    }
    Ok(())
}

/// A title (of a case or a task): not blank, at most [`MAX_TITLE_CHARS`].
pub(crate) fn check_title(field: &str, title: &str) -> Result<(), StoreError> {
    if title.trim().is_empty() {
        return Err(StoreError::invalid(field, "must not be empty"));
    }
    if title.chars().count() > MAX_TITLE_CHARS {
        return Err(StoreError::invalid(field, "longer than 300 characters"));
    }
    Ok(())
}

/// Refuses a user name that names no account.
pub(crate) async fn require_user(
    db: &impl ConnectionTrait,
    field: &str,
    name: Option<&str>,
) -> Result<(), StoreError> {
    let Some(name) = name else { return Ok(()) };
    let found = user::Entity::find()
        .filter(user::Column::Name.eq(name))
        .one(db)
        .await?;
    match found {
        Some(_) => Ok(()),
        None => Err(StoreError::invalid(
            field,
            format!("no user named {name:?}"),
        )),
    }
}

/// Refuses a build ID that names no build of the inventory.
pub(crate) async fn require_build(db: &impl ConnectionTrait, id: &str) -> Result<(), StoreError> {
    let found = software_build::Entity::find_by_id(id.to_owned())
        .one(db)
        .await?;
    match found {
        Some(_) => Ok(()),
        None => Err(StoreError::invalid("build_id", format!("no build {id:?}"))),
    }
}

fn hidden_tracker(ids: &[VulnerabilityId]) -> String {
    let names: Vec<&str> = ids.iter().map(VulnerabilityId::as_str).collect();
    format!(
        "an open case you may not read already tracks {}; ask its owner to add the intake",
        names.join(", ")
    )
}

fn several_trackers(count: usize) -> String {
    format!(
        "the vulnerability IDs are tracked by {count} open cases; open the intake with the IDs of one"
    )
}

/// Inserts a case received at `now` in state `received`, with its
/// vulnerability IDs and builds, and its `case.create` entry.
pub(crate) async fn create(
    txn: &DatabaseTransaction,
    actor: &str,
    new: &NewCase,
    now: i64,
    sla: &SlaPolicy,
) -> Result<Case, StoreError> {
    let marking = MarkingColumns::from_marking(&new.marking);
    let row = case::Model {
        id: new_id(),
        title: new.title.trim().to_owned(),
        intake_kind: new.intake.kind.as_str().to_owned(),
        intake_source: new.intake.source.clone(),
        state: CaseState::Received.as_str().to_owned(),
        severity: new.severity.as_str().to_owned(),
        owner: new.owner.clone(),
        team: new.team.map(|team| team.as_str().to_owned()),
        duplicate_of: None,
        received_at_us: now,
        due_at_us: sla.due_at_us(now, new.severity),
        finished_at_us: None,
        opened_by: actor.to_owned(),
        updated_at_us: now,
        version: 1,
        cvss_vector: None,
        tlp: marking.tlp,
        shared_with_orgs: marking.shared_with_orgs,
        named_readers: marking.named_readers,
    };
    case::Entity::insert(row.clone().into_active_model())
        .exec_without_returning(txn)
        .await?;
    let mut ids = new.vulnerability_ids.clone();
    ids.sort();
    ids.dedup();
    insert_vulnerabilities(txn, &row.id, &ids).await?;
    for build in &new.builds {
        insert_build(txn, actor, &row.id, build, now).await?;
    }

    let opened = case_from_row(row, ids)?;
    let detail = json!({"state": opened.state, "intake": opened.intake, "builds": new.builds});
    let event = case_event(actor, "case.create", &opened.id, detail).after(to_value(&opened));
    audit::append(txn, event).await?;
    Ok(opened)
}

/// Adds an intake to the open case that tracks its vulnerability: new
/// builds with their statuses, new vulnerability IDs. Builds the case
/// already has keep the status the case gave them.
async fn merge_intake(
    txn: &DatabaseTransaction,
    actor: &str,
    existing: &Case,
    new: &NewCase,
) -> Result<Case, StoreError> {
    let now = now_us();
    let known: BTreeSet<String> = work::builds_of(txn, &existing.id)
        .await?
        .into_iter()
        .map(|build| build.build_id)
        .collect();
    let added_builds: Vec<&BuildAssessment> = new
        .builds
        .iter()
        .filter(|build| !known.contains(&build.build_id))
        .collect();
    let added_ids: Vec<VulnerabilityId> = new
        .vulnerability_ids
        .iter()
        .filter(|id| !existing.vulnerability_ids.contains(id))
        .cloned()
        .collect();

    insert_vulnerabilities(txn, &existing.id, &added_ids).await?;
    for build in &added_builds {
        insert_build(txn, actor, &existing.id, build, now).await?;
    }
    let merged = workflow::bump(txn, existing, |_| {}).await?;

    let detail = json!({
        "intake": new.intake,
        "added_vulnerability_ids": added_ids,
        "added_builds": added_builds,
    });
    let event = case_event(actor, "case.intake", &existing.id, detail)
        .before(to_value(existing))
        .after(to_value(&merged));
    audit::append(txn, event).await?;
    Ok(merged)
}

async fn insert_vulnerabilities(
    txn: &DatabaseTransaction,
    case_id: &str,
    ids: &[VulnerabilityId],
) -> Result<(), StoreError> {
    if ids.is_empty() {
        return Ok(());
    }
    let rows = ids.iter().map(|id| {
        case_vulnerability::Model {
            case_id: case_id.to_owned(),
            vulnerability_id: id.as_str().to_owned(),
        }
        .into_active_model()
    });
    case_vulnerability::Entity::insert_many(rows)
        .on_conflict_do_nothing_on([
            case_vulnerability::Column::CaseId,
            case_vulnerability::Column::VulnerabilityId,
        ])
        .exec_without_returning(txn)
        .await?;
    Ok(())
}

async fn insert_build(
    txn: &DatabaseTransaction,
    actor: &str,
    case_id: &str,
    build: &BuildAssessment,
    now: i64,
) -> Result<(), StoreError> {
    let row = case_build::Model {
        case_id: case_id.to_owned(),
        build_id: build.build_id.clone(),
        status: build.status.as_str().to_owned(),
        updated_by: actor.to_owned(),
        updated_at_us: now,
    };
    case_build::Entity::insert(row.into_active_model())
        .exec_without_returning(txn)
        .await?;
    Ok(())
}

/// The open cases (other than `except`) that track any of `ids`, oldest first.
pub(crate) async fn open_cases_tracking(
    db: &impl ConnectionTrait,
    ids: &[VulnerabilityId],
    except: Option<&str>,
) -> Result<Vec<Case>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let names: Vec<&str> = ids.iter().map(VulnerabilityId::as_str).collect();
    let mut case_ids: Vec<String> = case_vulnerability::Entity::find()
        .filter(case_vulnerability::Column::VulnerabilityId.is_in(names))
        .all(db)
        .await?
        .into_iter()
        .map(|row| row.case_id)
        .filter(|id| Some(id.as_str()) != except)
        .collect();
    case_ids.sort_unstable();
    case_ids.dedup();
    let open: Vec<&str> = CaseState::ALL
        .iter()
        .filter(|state| state.is_open())
        .map(|state| state.as_str())
        .collect();
    let rows = case::Entity::find()
        .filter(case::Column::Id.is_in(case_ids))
        .filter(case::Column::State.is_in(open))
        .order_by_asc(case::Column::ReceivedAtUs)
        .all(db)
        .await?;
    cases_from_rows(db, rows).await
}

async fn cases_naming(
    db: &impl ConnectionTrait,
    vulnerability: &VulnerabilityId,
) -> Result<Vec<String>, StoreError> {
    let rows = case_vulnerability::Entity::find()
        .filter(case_vulnerability::Column::VulnerabilityId.eq(vulnerability.as_str()))
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|row| row.case_id).collect())
}

async fn cases_concerning(
    db: &impl ConnectionTrait,
    build_id: &str,
) -> Result<Vec<String>, StoreError> {
    let rows = case_build::Entity::find()
        .filter(case_build::Column::BuildId.eq(build_id))
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|row| row.case_id).collect())
}

/// One case with its vulnerability IDs.
pub(crate) async fn load_case(
    db: &impl ConnectionTrait,
    id: &str,
) -> Result<Option<Case>, StoreError> {
    let Some(row) = case::Entity::find_by_id(id.to_owned()).one(db).await? else {
        return Ok(None);
    };
    let mut cases = cases_from_rows(db, vec![row]).await?;
    Ok(cases.pop())
}

/// The case or a `NotFound` naming it.
pub(crate) async fn require_case(db: &impl ConnectionTrait, id: &str) -> Result<Case, StoreError> {
    load_case(db, id)
        .await?
        .ok_or_else(|| StoreError::not_found(format!("case {id}")))
}

pub(crate) async fn cases_from_rows(
    db: &impl ConnectionTrait,
    rows: Vec<case::Model>,
) -> Result<Vec<Case>, StoreError> {
    let mut vulnerabilities: BTreeMap<String, Vec<VulnerabilityId>> = BTreeMap::new();
    let ids: Vec<&str> = rows.iter().map(|row| row.id.as_str()).collect();
    for chunk in ids.chunks(IN_CHUNK) {
        let links = case_vulnerability::Entity::find()
            .filter(case_vulnerability::Column::CaseId.is_in(chunk.iter().copied()))
            .all(db)
            .await?;
        for link in links {
            let id = link
                .vulnerability_id
                .parse()
                .map_err(|error| StoreError::Corrupt(format!("case {}: {error}", link.case_id)))?;
            vulnerabilities.entry(link.case_id).or_default().push(id);
        }
    }
    rows.into_iter()
        .map(|row| {
            let ids = vulnerabilities.remove(&row.id).unwrap_or_default();
            case_from_row(row, ids)
        })
        .collect()
}

pub(crate) fn case_from_row(
    row: case::Model,
    mut vulnerability_ids: Vec<VulnerabilityId>,
) -> Result<Case, StoreError> {
    vulnerability_ids.sort();
    let corrupt = |error: UnknownWord| StoreError::Corrupt(format!("case {}: {error}", row.id));
    let severity = row
        .severity
        .parse()
        .map_err(|error| StoreError::Corrupt(format!("case {}: {error}", row.id)))?;
    let team = row
        .team
        .as_deref()
        .map(str::parse)
        .transpose()
        .map_err(corrupt)?;
    Ok(Case {
        intake: Intake {
            kind: row.intake_kind.parse().map_err(corrupt)?,
            source: row.intake_source.clone(),
        },
        state: row.state.parse().map_err(corrupt)?,
        team,
        severity,
        marking: marking_from_columns(&row.tlp, &row.shared_with_orgs, &row.named_readers)?,
        vulnerability_ids,
        title: row.title,
        owner: row.owner,
        duplicate_of: row.duplicate_of,
        received_at: format_us(row.received_at_us),
        due_at: row.due_at_us.map(format_us),
        finished_at: row.finished_at_us.map(format_us),
        opened_by: row.opened_by,
        updated_at: format_us(row.updated_at_us),
        version: row.version,
        cvss_vector: row.cvss_vector,
        id: row.id,
    })
}

/// An audit event on a case with its JSON detail.
pub(crate) fn case_event(actor: &str, action: &str, case_id: &str, detail: Value) -> AuditEvent {
    AuditEvent::new(actor, action, CASE_OBJECT, case_id).detail(detail.to_string())
}

pub(crate) fn to_value(record: &impl Serialize) -> Value {
    serde_json::to_value(record).unwrap_or_default()
}
