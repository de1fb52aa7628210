//! Rows written straight into the alert and incident tables, for the
//! benchmarks that need a store of production size (a million alerts) in
//! minutes rather than hours: no audit entries, no deduplication, no
//! incident grouping and no detection, so nothing here is for a path a
//! user runs. Each call is one transaction of multi-row inserts; the
//! alerts are counted into their day tallies as they are written.

use std::collections::HashMap;

use keelson_core::{IncidentState, Marking, Severity};
use sea_orm::{
    ColumnTrait, Condition, DatabaseTransaction, EntityTrait, IntoActiveModel, QueryFilter,
    TransactionTrait,
};

use crate::alert_tallies::{self, Change};
use crate::entity::{alert, incident, incident_alert};
use crate::incidents::facts::AlertFacts;
use crate::marking::MarkingColumns;
use crate::rules::json_text;
use crate::{Store, StoreError};

/// Rows per multi-row insert: well inside SQLite's bound on parameters.
const ROWS_PER_INSERT: usize = 500;

/// An alert as the benchmark writes it.
#[derive(Debug, Clone)]
pub struct BulkAlert {
    pub id: String,
    pub rule_id: String,
    pub sigma_rule: String,
    pub title: String,
    pub severity: Severity,
    pub vehicle_id: Option<String>,
    pub build_id: Option<String>,
    pub first_seen_us: i64,
    pub last_seen_us: i64,
    pub atm_tags: Vec<String>,
    pub marking: Marking,
}

/// An incident and the IDs of its alerts.
#[derive(Debug, Clone)]
pub struct BulkIncident {
    pub id: String,
    pub title: String,
    pub state: IncidentState,
    pub severity: Severity,
    pub sigma_rule: String,
    pub model_id: Option<String>,
    pub first_event_us: i64,
    pub detected_us: i64,
    pub last_seen_us: i64,
    pub acknowledged_us: Option<i64>,
    pub contained_us: Option<i64>,
    pub resolved_us: Option<i64>,
    pub marking: Marking,
    pub alert_ids: Vec<String>,
}

impl Store {
    /// Writes the alerts as they are (see the module's caveats).
    pub async fn bulk_insert_alerts(&self, alerts: Vec<BulkAlert>) -> Result<(), StoreError> {
        let txn = self.connection().begin().await?;
        for chunk in alerts.chunks(ROWS_PER_INSERT) {
            let rows = chunk
                .iter()
                .map(|alert| alert_row(alert).into_active_model());
            alert::Entity::insert_many(rows)
                .exec_without_returning(&txn)
                .await?;
            let ids = chunk.iter().map(|alert| alert.id.as_str());
            let written = Condition::all().add(alert::Column::Id.is_in(ids));
            alert_tallies::count(&txn, written.clone(), Change::Add).await?;
            alert_tallies::count_raised(&txn, written).await?;
        }
        txn.commit().await?;
        Ok(())
    }

    /// Writes the incidents and their links to alerts already written;
    /// the facts reports read of an incident's alerts are worked out from
    /// those alerts as stored.
    pub async fn bulk_insert_incidents(
        &self,
        incidents: Vec<BulkIncident>,
    ) -> Result<(), StoreError> {
        let txn = self.connection().begin().await?;
        for chunk in incidents.chunks(ROWS_PER_INSERT) {
            let facts = facts_of_alerts(&txn, chunk).await?;
            let rows = chunk.iter().map(|one| {
                let facts = facts.get(&one.id).cloned().unwrap_or_default();
                incident_row(one, facts).into_active_model()
            });
            incident::Entity::insert_many(rows)
                .exec_without_returning(&txn)
                .await?;
        }
        let links: Vec<incident_alert::Model> = incidents
            .iter()
            .flat_map(|one| {
                one.alert_ids.iter().map(|alert_id| incident_alert::Model {
                    alert_id: alert_id.clone(),
                    incident_id: one.id.clone(),
                })
            })
            .collect();
        for chunk in links.chunks(ROWS_PER_INSERT) {
            let rows = chunk
                .iter()
                .cloned()
                .map(IntoActiveModel::into_active_model);
            incident_alert::Entity::insert_many(rows)
                .exec_without_returning(&txn)
                .await?;
        }
        txn.commit().await?;
        Ok(())
    }
}

fn alert_row(alert: &BulkAlert) -> alert::Model {
    let marking = MarkingColumns::from_marking(&alert.marking);
    alert::Model {
        id: alert.id.clone(),
        rule_id: alert.rule_id.clone(),
        sigma_rule: alert.sigma_rule.clone(),
        title: alert.title.clone(),
        severity: alert.severity.as_str().to_owned(),
        test: false,
        heightened: false,
        correlation: false,
        vehicle_id: alert.vehicle_id.clone(),
        build_id: alert.build_id.clone(),
        first_seen_us: alert.first_seen_us,
        last_seen_us: alert.last_seen_us,
        count: 1,
        evidence: "[]".to_owned(),
        atm_tags: json_text(&alert.atm_tags),
        status: "open".to_owned(),
        tlp: marking.tlp,
        shared_with_orgs: marking.shared_with_orgs,
        named_readers: marking.named_readers,
        created_at_us: alert.last_seen_us,
        updated_at_us: alert.last_seen_us,
    }
}

/// Per incident of `incidents`, the facts of its alerts as stored.
async fn facts_of_alerts(
    txn: &DatabaseTransaction,
    incidents: &[BulkIncident],
) -> Result<HashMap<String, AlertFacts>, StoreError> {
    let incident_of: HashMap<&str, &str> = incidents
        .iter()
        .flat_map(|one| {
            let alerts = one.alert_ids.iter().map(String::as_str);
            alerts.map(|alert_id| (alert_id, one.id.as_str()))
        })
        .collect();
    let ids: Vec<&str> = incident_of.keys().copied().collect();
    let mut facts: HashMap<String, AlertFacts> = HashMap::new();
    for chunk in ids.chunks(ROWS_PER_INSERT) {
        let rows = alert::Entity::find()
            .filter(alert::Column::Id.is_in(chunk.iter().copied()))
            .all(txn)
            .await?;
        for row in rows {
            let Some(incident_id) = incident_of.get(row.id.as_str()) else {
                continue;
            };
            let entry = facts.entry((*incident_id).to_owned()).or_default();
            entry.add_tags(&row.atm_tags)?;
            entry.stored_at(row.created_at_us.max(row.updated_at_us));
        }
    }
    Ok(facts)
}

fn incident_row(one: &BulkIncident, facts: AlertFacts) -> incident::Model {
    let marking = MarkingColumns::from_marking(&one.marking);
    incident::Model {
        id: one.id.clone(),
        title: one.title.clone(),
        state: one.state.as_str().to_owned(),
        severity: one.severity.as_str().to_owned(),
        sigma_rule: one.sigma_rule.clone(),
        build_id: None,
        model_id: one.model_id.clone(),
        owner: None,
        custom_fields: "{}".to_owned(),
        first_event_us: one.first_event_us,
        detected_us: one.detected_us,
        last_seen_us: one.last_seen_us,
        acknowledged_us: one.acknowledged_us,
        investigating_us: one.acknowledged_us,
        contained_us: one.contained_us,
        resolved_us: one.resolved_us,
        false_positive_us: None,
        tlp: marking.tlp,
        shared_with_orgs: marking.shared_with_orgs,
        named_readers: marking.named_readers,
        created_at_us: one.detected_us,
        updated_at_us: one.last_seen_us,
        atm_tags: facts.tags_text(),
        last_sighting_stored_us: facts.last_sighting_stored_us,
    }
}
