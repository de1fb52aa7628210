//! What an incident's alerts tell the reports, kept on the incident row so
//! that a report reads one row per incident rather than all its alerts: the
//! union of their ATM tags and when a sighting of one of them was last
//! stored (its creation or the latest merge into it, on the store's clock).
//!
//! `resummarise` writes both in every transaction that adds, merges or
//! moves alerts, and a new incident starts with its first alert's; the
//! migration that added the columns worked them out with [`backfill`] for
//! the incidents already stored, and the bulk insert of the benchmarks
//! works them out from the alerts it links.

use std::collections::{BTreeMap, BTreeSet};

use sea_orm::sea_query::{Expr, JoinType, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, FromQueryResult};

use crate::StoreError;
use crate::entity::{alert, incident};
use crate::rules::json_list;

/// How many incident IDs one backfill `UPDATE` names.
const IDS_PER_UPDATE: usize = 500;

/// The facts of one incident's alerts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct AlertFacts {
    pub atm_tags: BTreeSet<String>,
    pub last_sighting_stored_us: Option<i64>,
}

impl AlertFacts {
    pub(crate) fn of(alerts: &[alert::Model]) -> Result<Self, StoreError> {
        let mut facts = AlertFacts::default();
        for alert in alerts {
            facts.add_tags(&alert.atm_tags)?;
            facts.stored_at(alert.created_at_us.max(alert.updated_at_us));
        }
        Ok(facts)
    }

    /// Adds the tags of an alert row (a JSON array).
    pub(crate) fn add_tags(&mut self, atm_tags: &str) -> Result<(), StoreError> {
        self.atm_tags.extend(json_list(atm_tags, "alert tags")?);
        Ok(())
    }

    pub(crate) fn stored_at(&mut self, at_us: i64) {
        self.last_sighting_stored_us = self.last_sighting_stored_us.max(Some(at_us));
    }

    /// The tags as the incident row keeps them: a sorted JSON array.
    pub(crate) fn tags_text(&self) -> String {
        tags_text(&self.atm_tags)
    }
}

fn tags_text(tags: &BTreeSet<String>) -> String {
    serde_json::to_string(tags).unwrap_or_else(|_| "[]".to_owned())
}

#[derive(Debug, FromQueryResult)]
struct IncidentTags {
    incident_id: String,
    atm_tags: String,
}

/// Works out both facts for every stored incident from its alerts.
pub(crate) async fn backfill<C: ConnectionTrait>(connection: &C) -> Result<(), StoreError> {
    backfill_last_sightings(connection).await?;
    backfill_tags(connection).await
}

/// Each incident's latest stored sighting: one correlated maximum.
async fn backfill_last_sightings<C: ConnectionTrait>(connection: &C) -> Result<(), StoreError> {
    connection
        .execute_unprepared(
            "UPDATE incidents SET last_sighting_stored_us = (\
             SELECT MAX(CASE WHEN a.updated_at_us > a.created_at_us \
             THEN a.updated_at_us ELSE a.created_at_us END) \
             FROM incident_alerts ia JOIN alerts a ON a.id = ia.alert_id \
             WHERE ia.incident_id = incidents.id)",
        )
        .await?;
    Ok(())
}

/// Each incident's tag union. Unions need JSON, so they are made here, and
/// written once per distinct union (a rule's incidents share one) rather
/// than once per incident.
async fn backfill_tags<C: ConnectionTrait>(connection: &C) -> Result<(), StoreError> {
    let per_tags = Query::select()
        .expr_as(Expr::cust("ia.incident_id"), "incident_id")
        .expr_as(Expr::cust("a.atm_tags"), "atm_tags")
        .from_as("incident_alerts", "ia")
        .join_as(
            JoinType::InnerJoin,
            "alerts",
            "a",
            Expr::cust("a.id = ia.alert_id"),
        )
        .add_group_by([Expr::cust("ia.incident_id"), Expr::cust("a.atm_tags")])
        .to_owned();
    let mut unions: BTreeMap<String, AlertFacts> = BTreeMap::new();
    for row in connection.query_all(&per_tags).await? {
        let row = IncidentTags::from_query_result(&row, "")?;
        unions
            .entry(row.incident_id)
            .or_default()
            .add_tags(&row.atm_tags)?;
    }

    let mut incidents_per_union: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (incident_id, facts) in unions {
        if !facts.atm_tags.is_empty() {
            incidents_per_union
                .entry(facts.tags_text())
                .or_default()
                .push(incident_id);
        }
    }
    for (text, ids) in incidents_per_union {
        for chunk in ids.chunks(IDS_PER_UPDATE) {
            let update = Query::update()
                .table(incident::Entity)
                .value(incident::Column::AtmTags, text.clone())
                .and_where(incident::Column::Id.is_in(chunk.iter().map(String::as_str)))
                .to_owned();
            connection.execute(&update).await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert_row(tags: &str, created_at_us: i64, updated_at_us: i64) -> alert::Model {
        alert::Model {
            id: format!("a-{created_at_us}"),
            rule_id: "r".to_owned(),
            sigma_rule: "s".to_owned(),
            title: "t".to_owned(),
            severity: "high".to_owned(),
            test: false,
            correlation: false,
            vehicle_id: None,
            build_id: None,
            first_seen_us: 0,
            last_seen_us: 0,
            count: 1,
            evidence: "[]".to_owned(),
            atm_tags: tags.to_owned(),
            status: "open".to_owned(),
            tlp: "AMBER".to_owned(),
            shared_with_orgs: "[]".to_owned(),
            named_readers: "[]".to_owned(),
            created_at_us,
            updated_at_us,
            heightened: false,
        }
    }

    #[test]
    fn the_facts_are_the_union_of_tags_and_the_latest_creation_or_merge() {
        let alerts = [
            alert_row(r#"["ATM-T0031","ATM-T0012"]"#, 10, 40),
            alert_row(r#"["ATM-T0031"]"#, 30, 30),
            alert_row("[]", 20, 20),
        ];
        let facts = AlertFacts::of(&alerts).expect("facts");
        assert_eq!(facts.tags_text(), r#"["ATM-T0012","ATM-T0031"]"#);
        assert_eq!(facts.last_sighting_stored_us, Some(40));
        assert_eq!(AlertFacts::of(&[]).expect("none").tags_text(), "[]");
        assert!(AlertFacts::of(&[alert_row("not json", 1, 1)]).is_err());
    }
}
