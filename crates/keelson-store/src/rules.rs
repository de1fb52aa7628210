//! Detection rules as data: the Sigma text of each rule with its lifecycle
//! status, scope, expiry date, Automotive Threat Matrix tags and TLP
//! marking. The store keeps what it is given; checking that the text is
//! valid Sigma is the caller's job (the server runs the detection loader
//! before it calls these methods).

use keelson_core::{Marked, Marking};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::audit::{self, AuditEvent};
use crate::entity::detection_rule;
use crate::marking::{MarkingColumns, marking_from_columns};
use crate::{Store, StoreError, format_us, now_us};

/// Where a rule is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum RuleStatus {
    /// Fires, but its alerts are marked as test alerts.
    Test,
    /// Fires.
    Active,
    /// Fires; set while a PSIRT case asks for closer watch.
    Heightened,
    /// Never fires again unless set back.
    Retired,
}

impl RuleStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RuleStatus::Test => "test",
            RuleStatus::Active => "active",
            RuleStatus::Heightened => "heightened",
            RuleStatus::Retired => "retired",
        }
    }

    /// Whether rules in this status run at all.
    pub fn fires(self) -> bool {
        self != RuleStatus::Retired
    }

    fn parse(text: &str) -> Result<Self, StoreError> {
        match text {
            "test" => Ok(RuleStatus::Test),
            "active" => Ok(RuleStatus::Active),
            "heightened" => Ok(RuleStatus::Heightened),
            "retired" => Ok(RuleStatus::Retired),
            other => Err(StoreError::Corrupt(format!("rule status {other:?}"))),
        }
    }
}

/// Which vehicles a rule watches; both lists empty means the whole fleet.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleScope {
    /// Vehicle model IDs (fleet inventory); a vehicle of another model is out.
    #[serde(default)]
    pub models: Vec<String>,
    /// Software build IDs; an event from another build is out.
    #[serde(default)]
    pub builds: Vec<String>,
}

impl RuleScope {
    pub fn is_fleet(&self) -> bool {
        self.models.is_empty() && self.builds.is_empty()
    }
}

/// A rule as the caller built it from checked Sigma text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRule {
    pub id: String,
    pub title: String,
    pub status: RuleStatus,
    pub level: Option<String>,
    pub sigma: String,
    pub scope: RuleScope,
    /// `YYYY-MM-DD`, checked by the caller.
    pub valid_until: Option<String>,
    pub atm_tags: Vec<String>,
    pub marking: Marking,
    /// The PSIRT case a generated rule watches for (none for rules written
    /// by hand); kept once set.
    pub case_id: Option<String>,
    /// The case's indicator the rule was generated from.
    pub indicator_id: Option<String>,
}

/// A stored rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct DetectionRule {
    pub id: String,
    pub title: String,
    pub status: RuleStatus,
    /// The Sigma `level` of the rule (the severity of its alerts).
    pub level: Option<String>,
    pub sigma: String,
    /// SHA-256 of the Sigma text.
    pub sha256: String,
    pub scope: RuleScope,
    pub valid_until: Option<String>,
    /// Automotive Threat Matrix technique IDs (`ATM-T0012`) from the rule's tags.
    pub atm_tags: Vec<String>,
    pub marking: Marking,
    /// The PSIRT case the rule was generated for, if any.
    pub case_id: Option<String>,
    /// The case's threat indicator the rule was generated from.
    pub indicator_id: Option<String>,
    pub created_by: String,
    pub created_at: String,
    pub updated_by: String,
    pub updated_at: String,
}

impl Marked for DetectionRule {
    fn marking(&self) -> &Marking {
        &self.marking
    }
}

/// What an import did with one rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Imported {
    Created,
    Updated,
    Unchanged,
}

/// SHA-256 of a rule's Sigma text, hex.
pub fn sigma_sha256(sigma: &str) -> String {
    hex::encode(Sha256::digest(sigma.as_bytes()))
}

impl Store {
    /// Stores a new rule; an existing ID is a conflict.
    pub async fn create_rule(
        &self,
        actor: &str,
        new: &NewRule,
    ) -> Result<DetectionRule, StoreError> {
        require_rule_id(&new.id)?;
        let _turn = self.audit_lock.lock().await;
        let txn = self.connection().begin().await?;
        let row = new_row(actor, new);
        detection_rule::Entity::insert(row.clone().into_active_model())
            .exec_without_returning(&txn)
            .await
            .map_err(|error| StoreError::from_insert(error, format!("rule {:?}", new.id)))?;
        let rule = rule_from_row(row)?;
        let event = AuditEvent::new(actor, "rule.create", "rule", &rule.id).after(audited(&rule));
        audit::append(&txn, event).await?;
        txn.commit().await?;
        Ok(rule)
    }

    /// Replaces a rule's text, title, scope, expiry, tags and marking (its
    /// status changes only through [`Store::set_rule_status`]).
    pub async fn update_rule(
        &self,
        actor: &str,
        new: &NewRule,
    ) -> Result<DetectionRule, StoreError> {
        let _turn = self.audit_lock.lock().await;
        let txn = self.connection().begin().await?;
        let row = find_rule(&txn, &new.id).await?;
        let before = rule_from_row(row.clone())?;
        let mut next = new_row(actor, new);
        next.status = row.status.clone();
        next.created_by = row.created_by.clone();
        next.created_at_us = row.created_at_us;
        next.case_id = row.case_id.clone().or(next.case_id);
        next.indicator_id = row.indicator_id.clone().or(next.indicator_id);
        // A model converted whole marks every column unchanged, which an
        // update would skip: mark them all as set.
        detection_rule::Entity::update(next.clone().into_active_model().reset_all())
            .exec(&txn)
            .await?;
        let rule = rule_from_row(next)?;
        let event = AuditEvent::new(actor, "rule.update", "rule", &rule.id)
            .before(audited(&before))
            .after(audited(&rule));
        audit::append(&txn, event).await?;
        txn.commit().await?;
        Ok(rule)
    }

    /// Moves a rule to another status; the reason goes into the audit entry.
    pub async fn set_rule_status(
        &self,
        actor: &str,
        id: &str,
        status: RuleStatus,
        reason: &str,
    ) -> Result<DetectionRule, StoreError> {
        let _turn = self.audit_lock.lock().await;
        let txn = self.connection().begin().await?;
        let row = find_rule(&txn, id).await?;
        let before = rule_from_row(row.clone())?;
        let mut change = row.into_active_model();
        change.status = Set(status.as_str().to_owned());
        change.updated_by = Set(actor.to_owned());
        change.updated_at_us = Set(now_us());
        let row = detection_rule::Entity::update(change).exec(&txn).await?;
        let rule = rule_from_row(row)?;
        let action = format!(
            "{} -> {}: {reason}",
            before.status.as_str(),
            status.as_str()
        );
        let event = AuditEvent::new(actor, "rule.status", "rule", id)
            .before(audited(&before))
            .after(audited(&rule))
            .detail(action);
        audit::append(&txn, event).await?;
        txn.commit().await?;
        Ok(rule)
    }

    /// Creates the rule, or updates its text when the digest differs, or
    /// does nothing when the same text is already stored under its ID. An
    /// update keeps the stored status: importing never revives a retired rule.
    pub async fn import_rule(&self, actor: &str, new: &NewRule) -> Result<Imported, StoreError> {
        match self.rule(&new.id).await? {
            None => self
                .create_rule(actor, new)
                .await
                .map(|_| Imported::Created),
            Some(old) if old.sha256 == sigma_sha256(&new.sigma) => Ok(Imported::Unchanged),
            Some(_) => self
                .update_rule(actor, new)
                .await
                .map(|_| Imported::Updated),
        }
    }

    pub async fn rule(&self, id: &str) -> Result<Option<DetectionRule>, StoreError> {
        let row = detection_rule::Entity::find_by_id(id.to_owned())
            .one(self.connection())
            .await?;
        row.map(rule_from_row).transpose()
    }

    /// The rules generated for a case, by ID.
    pub async fn case_rules(&self, case_id: &str) -> Result<Vec<DetectionRule>, StoreError> {
        let rows = detection_rule::Entity::find()
            .filter(detection_rule::Column::CaseId.eq(case_id))
            .order_by_asc(detection_rule::Column::Id)
            .all(self.connection())
            .await?;
        rows.into_iter().map(rule_from_row).collect()
    }

    /// Sets a rule's status and `valid_until` together, with the reason in
    /// the audit entry; writes nothing (and returns `None`) when both are
    /// already as asked.
    pub async fn set_rule_monitoring(
        &self,
        actor: &str,
        id: &str,
        level: &MonitoringLevel,
        reason: &str,
    ) -> Result<Option<DetectionRule>, StoreError> {
        let _turn = self.audit_lock.lock().await;
        let txn = self.connection().begin().await?;
        let row = find_rule(&txn, id).await?;
        let before = rule_from_row(row.clone())?;
        if before.status == level.status && before.valid_until == level.valid_until {
            return Ok(None);
        }
        let mut change = row.into_active_model();
        change.status = Set(level.status.as_str().to_owned());
        change.valid_until = Set(level.valid_until.clone());
        change.updated_by = Set(actor.to_owned());
        change.updated_at_us = Set(now_us());
        let row = detection_rule::Entity::update(change).exec(&txn).await?;
        let rule = rule_from_row(row)?;
        let detail = serde_json::json!({
            "from": {"status": before.status, "valid_until": before.valid_until},
            "to": {"status": rule.status, "valid_until": rule.valid_until},
            "case_id": rule.case_id,
            "reason": reason,
        });
        let event = AuditEvent::new(actor, "rule.monitoring", "rule", id)
            .before(audited(&before))
            .after(audited(&rule))
            .detail(detail.to_string());
        audit::append(&txn, event).await?;
        if let Some(case_id) = &rule.case_id {
            let mut on_case = detail.clone();
            on_case["rule_id"] = serde_json::Value::from(rule.id.clone());
            let entry = crate::cases::case_event(actor, "case.monitoring", case_id, on_case);
            audit::append(&txn, entry).await?;
        }
        txn.commit().await?;
        Ok(Some(rule))
    }

    /// Every rule, by ID.
    pub async fn list_rules(&self) -> Result<Vec<DetectionRule>, StoreError> {
        let rows = detection_rule::Entity::find()
            .order_by_asc(detection_rule::Column::Id)
            .all(self.connection())
            .await?;
        rows.into_iter().map(rule_from_row).collect()
    }
}

/// Where a generated rule's monitoring stands: its status and the last
/// day it fires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonitoringLevel {
    pub status: RuleStatus,
    pub valid_until: Option<String>,
}

/// Creates a generated rule in `status`, or replaces the text, title,
/// scope and marking of the one already stored under its ID (keeping its
/// status and `valid_until`), in the caller's transaction with its audit
/// entry; the same rule again writes nothing.
pub(crate) async fn put_generated_rule(
    txn: &sea_orm::DatabaseTransaction,
    actor: &str,
    new: &NewRule,
    reason: &str,
) -> Result<(Imported, DetectionRule), StoreError> {
    require_rule_id(&new.id)?;
    let stored = detection_rule::Entity::find_by_id(new.id.clone())
        .one(txn)
        .await?;
    let Some(row) = stored else {
        let row = new_row(actor, new);
        detection_rule::Entity::insert(row.clone().into_active_model())
            .exec_without_returning(txn)
            .await?;
        let rule = rule_from_row(row)?;
        let event = AuditEvent::new(actor, "rule.create", "rule", &rule.id)
            .after(audited(&rule))
            .detail(reason);
        audit::append(txn, event).await?;
        return Ok((Imported::Created, rule));
    };
    let before = rule_from_row(row.clone())?;
    let mut next = new_row(actor, new);
    next.status = row.status.clone();
    next.valid_until = row.valid_until.clone();
    next.created_by = row.created_by.clone();
    next.created_at_us = row.created_at_us;
    let same = |a: &detection_rule::Model, b: &detection_rule::Model| {
        (
            &a.sha256,
            &a.title,
            &a.scope_builds,
            &a.scope_models,
            &a.tlp,
        ) == (
            &b.sha256,
            &b.title,
            &b.scope_builds,
            &b.scope_models,
            &b.tlp,
        ) && (&a.shared_with_orgs, &a.named_readers, &a.case_id)
            == (&b.shared_with_orgs, &b.named_readers, &b.case_id)
    };
    if same(&row, &next) {
        return Ok((Imported::Unchanged, before));
    }
    detection_rule::Entity::update(next.clone().into_active_model().reset_all())
        .exec(txn)
        .await?;
    let rule = rule_from_row(next)?;
    let event = AuditEvent::new(actor, "rule.update", "rule", &rule.id)
        .before(audited(&before))
        .after(audited(&rule))
        .detail(reason);
    audit::append(txn, event).await?;
    Ok((Imported::Updated, rule))
}

async fn find_rule(
    txn: &sea_orm::DatabaseTransaction,
    id: &str,
) -> Result<detection_rule::Model, StoreError> {
    detection_rule::Entity::find_by_id(id.to_owned())
        .one(txn)
        .await?
        .ok_or_else(|| StoreError::not_found(format!("rule {id}")))
}

fn require_rule_id(id: &str) -> Result<(), StoreError> {
    let valid = !id.is_empty() && id.len() <= 128 && !id.chars().any(char::is_control);
    if valid {
        Ok(())
    } else {
        Err(StoreError::invalid("id", "1 to 128 printable characters"))
    }
}

/// The audited state leaves the Sigma text out (its digest stands for it),
/// so the audit entry stays small whatever the rule's size.
fn audited(rule: &DetectionRule) -> serde_json::Value {
    let mut state = serde_json::to_value(rule).unwrap_or_default();
    if let Some(object) = state.as_object_mut() {
        object.remove("sigma");
    }
    state
}

fn new_row(actor: &str, new: &NewRule) -> detection_rule::Model {
    let marking = MarkingColumns::from_marking(&new.marking);
    let now = now_us();
    detection_rule::Model {
        id: new.id.clone(),
        title: new.title.clone(),
        status: new.status.as_str().to_owned(),
        level: new.level.clone(),
        sigma: new.sigma.clone(),
        sha256: sigma_sha256(&new.sigma),
        scope_models: json_text(&new.scope.models),
        scope_builds: json_text(&new.scope.builds),
        valid_until: new.valid_until.clone(),
        atm_tags: json_text(&new.atm_tags),
        tlp: marking.tlp,
        shared_with_orgs: marking.shared_with_orgs,
        named_readers: marking.named_readers,
        created_by: actor.to_owned(),
        created_at_us: now,
        updated_by: actor.to_owned(),
        updated_at_us: now,
        case_id: new.case_id.clone(),
        indicator_id: new.indicator_id.clone(),
    }
}

pub(crate) fn json_text(items: &[String]) -> String {
    serde_json::to_string(items).unwrap_or_else(|_| "[]".to_owned())
}

pub(crate) fn json_list(text: &str, what: &str) -> Result<Vec<String>, StoreError> {
    serde_json::from_str(text).map_err(|error| StoreError::Corrupt(format!("{what}: {error}")))
}

fn rule_from_row(row: detection_rule::Model) -> Result<DetectionRule, StoreError> {
    let marking = marking_from_columns(&row.tlp, &row.shared_with_orgs, &row.named_readers)?;
    Ok(DetectionRule {
        status: RuleStatus::parse(&row.status)?,
        scope: RuleScope {
            models: json_list(&row.scope_models, "rule scope")?,
            builds: json_list(&row.scope_builds, "rule scope")?,
        },
        atm_tags: json_list(&row.atm_tags, "rule tags")?,
        id: row.id,
        title: row.title,
        level: row.level,
        sigma: row.sigma,
        sha256: row.sha256,
        valid_until: row.valid_until,
        marking,
        case_id: row.case_id,
        indicator_id: row.indicator_id,
        created_by: row.created_by,
        created_at: format_us(row.created_at_us),
        updated_by: row.updated_by,
        updated_at: format_us(row.updated_at_us),
    })
}
