//! What a dashboard chart counts: how many of the alerts or incidents that
//! match a widget's saved query fall in each group, as one reader may see
//! them. SQL groups the rows by the chart's key and by marking and the
//! clearance rule is applied once per marking (see `tally`), so a chart
//! over a month of a million alerts reads a few hundred grouped rows.
//! Alert charts per day, severity or technique read whole UTC days from
//! the per-day tallies (`alert_tallies`) and count only the part of a day
//! the query cuts through from the alerts.

use std::collections::BTreeMap;

use sea_orm::sea_query::{Expr, SelectStatement};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QuerySelect, QueryTrait};

use crate::alerts::{ALERT_MARKING, AlertFilter, TALLY_MARKING};
use crate::dashboards::GroupBy;
use crate::entity::{alert, alert_day_tally, incident};
use crate::incidents::{INCIDENT_MARKING, IncidentFilter};
use crate::readable::Readable;
use crate::rules::json_list;
use crate::tally::{DAY_US, cut_days, day_sql, readable_per_key};
use crate::{Store, StoreError, format_us};

/// The group of records that have no value for the chart's key (an alert
/// without a vehicle, an incident with neither build nor model).
pub const NO_VALUE: &str = "none";

impl Store {
    /// How many alerts matching the filter that the reader may read fall
    /// in each group: per severity, UTC day of the last sighting
    /// (`YYYY-MM-DD`), rule title, vehicle, ATM technique (an alert counts
    /// once per tag it lists) or triage status.
    pub async fn alert_counts(
        &self,
        filter: &AlertFilter,
        per: GroupBy,
        reader: &Readable<'_>,
    ) -> Result<BTreeMap<String, u64>, StoreError> {
        let from_us = filter.since_us.unwrap_or(i64::MIN);
        let cut = cut_days(from_us, None);
        let tallied = match cut.days {
            Some((first, _)) if tallies_answer(filter, per) => Some(first),
            _ => None,
        };
        let Some(first) = tallied else {
            let grouped = alerts_per_key(filter.condition(), per, reader);
            return labelled(
                per,
                readable_per_key(self.connection(), grouped, reader).await?,
            );
        };

        let mut counts = readable_per_key(
            self.connection(),
            tallies_per_key(filter, per, first, reader),
            reader,
        )
        .await?;
        for (from_us, to_us) in cut.rest {
            let mut part = filter
                .condition()
                .add(alert::Column::LastSeenUs.gte(from_us));
            if let Some(to_us) = to_us {
                part = part.add(alert::Column::LastSeenUs.lt(to_us));
            }
            let grouped = alerts_per_key(part, per, reader);
            for (key, n) in readable_per_key(self.connection(), grouped, reader).await? {
                *counts.entry(key).or_default() += n;
            }
        }
        labelled(per, counts)
    }

    /// How many incidents matching the filter that the reader may read
    /// fall in each group: per severity, UTC day of detection
    /// (`YYYY-MM-DD`), Sigma rule (also for `technique`, which incidents do
    /// not carry one by one), build else vehicle model, or response state.
    pub async fn incident_counts(
        &self,
        filter: &IncidentFilter,
        per: GroupBy,
        reader: &Readable<'_>,
    ) -> Result<BTreeMap<String, u64>, StoreError> {
        let key = match per {
            GroupBy::Severity => "severity".to_owned(),
            GroupBy::Day => format!("CAST({} AS TEXT)", day_sql("detected_us")),
            GroupBy::Rule | GroupBy::Technique => "sigma_rule".to_owned(),
            GroupBy::Vehicle => "COALESCE(build_id, model_id)".to_owned(),
            GroupBy::State => "state".to_owned(),
        };
        let grouped = incident::Entity::find()
            .select_only()
            .column_as(Expr::cust(key), "key")
            .columns([
                incident::Column::Tlp,
                incident::Column::SharedWithOrgs,
                incident::Column::NamedReaders,
            ])
            .column_as(Expr::cust("COUNT(*)"), "n")
            .filter(filter.condition().add(reader.condition(INCIDENT_MARKING)))
            .group_by(Expr::cust("1"))
            .group_by(incident::Column::Tlp)
            .group_by(incident::Column::SharedWithOrgs)
            .group_by(incident::Column::NamedReaders)
            .into_query();
        let per = match per {
            GroupBy::Technique => GroupBy::Rule,
            other => other,
        };
        labelled(
            per,
            readable_per_key(self.connection(), grouped, reader).await?,
        )
    }
}

/// Whether the per-day tallies hold what the chart needs: they know
/// severity, day and tags, but neither rule nor vehicle.
fn tallies_answer(filter: &AlertFilter, per: GroupBy) -> bool {
    let by_what_they_know = matches!(per, GroupBy::Severity | GroupBy::Day | GroupBy::Technique);
    by_what_they_know && filter.rule_id.is_none() && filter.vehicle_id.is_none()
}

/// The alerts matching `which`, counted per key and marking.
fn alerts_per_key(which: Condition, per: GroupBy, reader: &Readable<'_>) -> SelectStatement {
    let key = match per {
        GroupBy::Severity => "severity".to_owned(),
        GroupBy::Day => format!("CAST({} AS TEXT)", day_sql("last_seen_us")),
        GroupBy::Rule => "title".to_owned(),
        GroupBy::Vehicle => "vehicle_id".to_owned(),
        GroupBy::Technique => "atm_tags".to_owned(),
        GroupBy::State => "status".to_owned(),
    };
    alert::Entity::find()
        .select_only()
        .column_as(Expr::cust(key), "key")
        .columns([
            alert::Column::Tlp,
            alert::Column::SharedWithOrgs,
            alert::Column::NamedReaders,
        ])
        .column_as(Expr::cust("COUNT(*)"), "n")
        .filter(which.add(reader.condition(ALERT_MARKING)))
        .group_by(Expr::cust("1"))
        .group_by(alert::Column::Tlp)
        .group_by(alert::Column::SharedWithOrgs)
        .group_by(alert::Column::NamedReaders)
        .into_query()
}

/// The day tallies from day `first` on, summed per key and marking; only
/// for what [`tallies_answer`] allows.
fn tallies_per_key(
    filter: &AlertFilter,
    per: GroupBy,
    first: i64,
    reader: &Readable<'_>,
) -> SelectStatement {
    let key = match per {
        GroupBy::Day => "CAST(day AS TEXT)",
        GroupBy::Technique => "atm_tags",
        _ => "severity",
    };
    let mut which = Condition::all()
        .add(alert_day_tally::Column::Day.gte(first))
        .add(alert_day_tally::Column::Alerts.ne(0))
        .add(reader.condition(TALLY_MARKING));
    if let Some(severity) = filter.severity {
        which = which.add(alert_day_tally::Column::Severity.eq(severity.as_str()));
    }
    alert_day_tally::Entity::find()
        .select_only()
        .column_as(Expr::cust(key), "key")
        .columns([
            alert_day_tally::Column::Tlp,
            alert_day_tally::Column::SharedWithOrgs,
            alert_day_tally::Column::NamedReaders,
        ])
        .column_as(Expr::cust("CAST(SUM(alerts) AS BIGINT)"), "n")
        .filter(which)
        .group_by(Expr::cust("1"))
        .group_by(alert_day_tally::Column::Tlp)
        .group_by(alert_day_tally::Column::SharedWithOrgs)
        .group_by(alert_day_tally::Column::NamedReaders)
        .into_query()
}

/// The counts under the labels a chart shows.
fn labelled(
    per: GroupBy,
    counts: BTreeMap<Option<String>, u64>,
) -> Result<BTreeMap<String, u64>, StoreError> {
    let mut labels = BTreeMap::new();
    for (key, n) in counts {
        let Some(key) = key else {
            *labels.entry(NO_VALUE.to_owned()).or_default() += n;
            continue;
        };
        match per {
            GroupBy::Day => *labels.entry(day_label(&key)?).or_default() += n,
            GroupBy::Technique => {
                for tag in json_list(&key, "alert tags")? {
                    *labels.entry(tag).or_default() += n;
                }
            }
            _ => *labels.entry(key).or_default() += n,
        }
    }
    Ok(labels)
}

/// `YYYY-MM-DD` of a day number as SQL wrote it, as an alert or incident
/// page shows the date of a time that day.
fn day_label(day: &str) -> Result<String, StoreError> {
    let day: i64 = day
        .trim()
        .parse()
        .map_err(|error| StoreError::Corrupt(format!("day {day:?}: {error}")))?;
    let start = day.checked_mul(DAY_US).map(format_us).unwrap_or_default();
    Ok(start.get(..10).unwrap_or_default().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_is_labelled_with_its_utc_date_on_either_side_of_1970() {
        assert_eq!(day_label("0").expect("day"), "1970-01-01");
        assert_eq!(day_label("-1").expect("day"), "1969-12-31");
        assert_eq!(day_label("20426").expect("day"), "2025-12-04");
        assert_eq!(day_label(&i64::MAX.to_string()).expect("day"), "");
        assert!(day_label("x").is_err());
    }
}
