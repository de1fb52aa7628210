//! VSOC metrics over a period: response times (MTTD, MTTA, MTTC, MTTR from
//! `keelson_core::incident`), incidents per state, the false-positive rate
//! per rule, containment effectiveness, incidents per Automotive Threat
//! Matrix technique, alerts per severity and the vehicles monitored. The
//! incident routes and the reports both count with [`ResponseMetrics`].
//!
//! **Containment effectiveness** is the share of contained incidents that
//! stayed contained: of the incidents detected in the period that reached
//! `contained` (a stamp kept when they move on to `resolved`; false
//! positives excluded), those none of whose alerts took a sighting stored
//! after the contained stamp. A sighting after containment is either a new
//! alert joining the incident (it is still open while contained) or another
//! firing merged into one of its alerts; both mean the attack went on. Both
//! times are the store's clock, so vehicle clock skew cannot move them.
//!
//! Every count is over records the reader may see: the caller hands in only
//! visible records (see [`Observed::load`]).

use std::collections::{BTreeMap, BTreeSet};

use keelson_core::incident::MeanResponseTimes;
use keelson_core::{IncidentState, Marked, Principal, Tlp};
use keelson_store::incidents::IncidentRecord;
use keelson_store::reports::{IncidentFacts, RaisedAlert, RegisteredVehicle};
use keelson_store::{Store, StoreError};
use serde::Serialize;

use super::period::{Period, rfc3339};
use crate::clearance::visible_to as visible;

/// Response metrics over a set of incidents.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ResponseMetrics {
    /// MTTD, MTTA, MTTC and MTTR in microseconds, each over the incidents
    /// that reached the state.
    #[serde(flatten)]
    pub means: MeanResponseTimes,
    /// Incidents per state.
    pub by_state: BTreeMap<String, u64>,
    /// Per Sigma rule: incidents, false positives and their share.
    pub false_positives_by_rule: BTreeMap<String, FalsePositiveRate>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct FalsePositiveRate {
    pub incidents: u64,
    pub false_positives: u64,
    pub rate: f64,
}

impl ResponseMetrics {
    /// The metrics of these incidents.
    pub fn of<'a>(incidents: impl IntoIterator<Item = &'a IncidentRecord>) -> Self {
        let mut times = Vec::new();
        let mut by_state = BTreeMap::new();
        let mut by_rule: BTreeMap<String, FalsePositiveRate> = BTreeMap::new();
        for incident in incidents {
            times.push(incident.response_times);
            *by_state.entry(incident.state.to_string()).or_default() += 1;
            let rate = by_rule.entry(incident.sigma_rule.clone()).or_default();
            rate.incidents += 1;
            if incident.state == IncidentState::FalsePositive {
                rate.false_positives += 1;
            }
        }
        for rate in by_rule.values_mut() {
            rate.rate = rate.false_positives as f64 / rate.incidents as f64;
        }
        ResponseMetrics {
            means: MeanResponseTimes::of(&times),
            by_state,
            false_positives_by_rule: by_rule,
        }
    }
}

/// How many contained incidents stayed contained (see the module).
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ContainmentEffectiveness {
    /// Incidents that reached `contained` (false positives excluded).
    pub contained: u64,
    /// Of those, the ones with no alert sighting stored after the stamp.
    pub held: u64,
    /// `held / contained`; null when nothing was contained.
    pub rate: Option<f64>,
}

impl ContainmentEffectiveness {
    pub fn of<'a>(incidents: impl IntoIterator<Item = &'a IncidentFacts>) -> Self {
        let mut effect = ContainmentEffectiveness::default();
        for incident in incidents {
            let Some(contained_us) = incident.contained_us else {
                continue;
            };
            if incident.record.state == IncidentState::FalsePositive {
                continue;
            }
            effect.contained += 1;
            if incident
                .last_sighting_stored_us
                .is_none_or(|last| last <= contained_us)
            {
                effect.held += 1;
            }
        }
        effect.rate = (effect.contained > 0).then(|| effect.held as f64 / effect.contained as f64);
        effect
    }
}

/// The metrics of one period or bucket.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PeriodMetrics {
    pub start: String,
    pub end: String,
    /// `incidents` (detected in the period), the mean times, per state and
    /// per rule.
    #[serde(flatten)]
    pub response: ResponseMetrics,
    pub containment_effectiveness: ContainmentEffectiveness,
    /// Incidents per ATM technique of their alerts' rules; an incident with
    /// several techniques counts under each.
    pub incidents_by_technique: BTreeMap<String, u64>,
    pub incidents_without_technique: u64,
    /// Alerts raised in the period by rules not in `test` status.
    pub alerts: u64,
    pub alerts_by_severity: BTreeMap<String, u64>,
    /// Alerts of rules in `test` status, counted apart.
    pub test_alerts: u64,
    /// Inventory vehicles registered before the period's end.
    pub vehicles_monitored: u64,
    /// Of those, the vehicles that sent at least one stored event in it.
    pub vehicles_reporting: u64,
}

/// The records of a whole period that the reader may see, loaded once and
/// then cut into buckets.
#[derive(Debug, Clone)]
pub struct Observed {
    pub incidents: Vec<IncidentFacts>,
    pub alerts: Vec<RaisedAlert>,
    pub vehicles: Vec<RegisteredVehicle>,
    /// The strictest TLP of the records above.
    pub tlp: Tlp,
}

impl Observed {
    /// The reader's view of the period's incidents, alerts and vehicles.
    pub async fn load(
        store: &Store,
        reader: &Principal,
        period: &Period,
    ) -> Result<Self, StoreError> {
        let range = period.range();
        let incidents = visible(reader, store.incidents_detected_in(range).await?);
        let alerts = visible(reader, store.alerts_raised_in(range).await?);
        let vehicles = visible(reader, store.vehicles_registered_before(range.to_us).await?);
        let tlp = strictest(&incidents)
            .max(strictest(&alerts))
            .max(strictest(&vehicles));
        Ok(Self {
            incidents,
            alerts,
            vehicles,
            tlp,
        })
    }

    /// The metrics of one bucket of the loaded period; `reporting` is the
    /// vehicle IDs that sent events in the bucket.
    pub fn metrics(&self, bucket: &Period, reporting: &[String]) -> PeriodMetrics {
        let range = bucket.range();
        let incidents: Vec<&IncidentFacts> = self
            .incidents
            .iter()
            .filter(|incident| range.contains(incident.detected_us))
            .collect();
        let alerts: Vec<&RaisedAlert> = self
            .alerts
            .iter()
            .filter(|alert| range.contains(alert.raised_us))
            .collect();
        let monitored: BTreeSet<&str> = self
            .vehicles
            .iter()
            .filter(|v| v.registered_us < range.to_us)
            .map(|v| v.vehicle.id.as_str())
            .collect();
        let (by_technique, untagged) = by_technique(&incidents);
        let (counted, test): (Vec<&RaisedAlert>, Vec<&RaisedAlert>) =
            alerts.into_iter().partition(|alert| !alert.test);
        PeriodMetrics {
            start: rfc3339(bucket.start),
            end: rfc3339(bucket.end),
            response: ResponseMetrics::of(incidents.iter().map(|i| &i.record)),
            containment_effectiveness: ContainmentEffectiveness::of(incidents.iter().copied()),
            incidents_by_technique: by_technique,
            incidents_without_technique: untagged,
            alerts: counted.len() as u64,
            alerts_by_severity: count_by(&counted, |alert| alert.severity.to_string()),
            test_alerts: test.len() as u64,
            vehicles_monitored: monitored.len() as u64,
            vehicles_reporting: reporting
                .iter()
                .filter(|id| monitored.contains(id.as_str()))
                .count() as u64,
        }
    }
}

fn by_technique(incidents: &[&IncidentFacts]) -> (BTreeMap<String, u64>, u64) {
    let mut counts = BTreeMap::new();
    let mut untagged = 0;
    for incident in incidents {
        if incident.techniques.is_empty() {
            untagged += 1;
        }
        for technique in &incident.techniques {
            *counts.entry(technique.clone()).or_default() += 1;
        }
    }
    (counts, untagged)
}

/// How many items fall under each key.
pub fn count_by<T>(items: &[T], key: impl Fn(&T) -> String) -> BTreeMap<String, u64> {
    let mut counts = BTreeMap::new();
    for item in items {
        *counts.entry(key(item)).or_default() += 1;
    }
    counts
}

/// The strictest TLP among these records; CLEAR when there are none.
pub fn strictest<T: Marked>(records: &[T]) -> Tlp {
    records
        .iter()
        .map(|record| record.marking().tlp)
        .max()
        .unwrap_or(Tlp::Clear)
}

#[cfg(test)]
mod tests {
    use keelson_core::incident::Stamps;
    use keelson_core::{Marking, Severity};
    use keelson_store::fleet::Vehicle;

    use super::*;
    use crate::reports::period::{Granularity, micros};

    const HOUR: i64 = 3_600_000_000;

    fn at(text: &str) -> i64 {
        let at = time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
            .expect("RFC 3339");
        micros(at)
    }

    /// An incident of `rule` detected at `detected`, its events an hour
    /// earlier, with a contained stamp `contained_after` hours after detection.
    fn incident(
        rule: &str,
        detected: i64,
        contained_after: Option<i64>,
        state: IncidentState,
    ) -> IncidentFacts {
        let stamps = Stamps {
            first_event_us: detected - HOUR,
            detected_us: detected,
            acknowledged_us: contained_after.map(|h| detected + h * HOUR),
            contained_us: contained_after.map(|h| detected + h * HOUR),
            resolved_us: None,
        };
        let text = |us: i64| keelson_store::format_us(us);
        IncidentFacts {
            record: IncidentRecord {
                id: format!("i-{rule}-{detected}"),
                title: rule.to_owned(),
                state,
                severity: Severity::High,
                sigma_rule: rule.to_owned(),
                build_id: None,
                model_id: None,
                owner: None,
                custom_fields: BTreeMap::new(),
                first_event: text(stamps.first_event_us),
                detected: text(detected),
                last_seen: text(detected),
                acknowledged: stamps.acknowledged_us.map(text),
                investigating: None,
                contained: stamps.contained_us.map(text),
                resolved: None,
                false_positive: None,
                response_times: stamps.response_times(),
                marking: Marking::new(Tlp::Amber),
                created_at: text(detected),
                updated_at: text(detected),
            },
            detected_us: detected,
            contained_us: stamps.contained_us,
            techniques: BTreeSet::from(["ATM-T0031".to_owned()]),
            last_sighting_stored_us: Some(detected),
        }
    }

    fn observed(incidents: Vec<IncidentFacts>) -> Observed {
        let vehicle = |id: &str, registered_us: i64| RegisteredVehicle {
            vehicle: Vehicle {
                id: id.to_owned(),
                model_id: None,
                vin_hash: None,
                region: None,
                marking: Marking::new(Tlp::Green),
            },
            registered_us,
        };
        Observed {
            incidents,
            alerts: Vec::new(),
            vehicles: vec![
                vehicle("v1", at("2026-03-01T00:00:00Z")),
                vehicle("v2", at("2026-03-02T12:00:00Z")),
            ],
            tlp: Tlp::Amber,
        }
    }

    #[test]
    fn each_day_counts_the_incidents_detected_in_it_with_their_own_means() {
        let day1 = at("2026-03-01T10:00:00Z");
        let day2 = at("2026-03-02T10:00:00Z");
        let seen = observed(vec![
            incident("fob", day1, Some(2), IncidentState::Contained),
            incident("fob", day1 + HOUR, Some(4), IncidentState::Contained),
            incident("odo", day2, None, IncidentState::FalsePositive),
        ]);
        let period = Period::parse("2026-03-01", "2026-03-02").expect("period");
        let days = period.split(Granularity::Day).expect("two days");

        let first = seen.metrics(&days[0], &[]);
        assert_eq!(first.response.means.incidents, 2);
        // Contained 2 h and 4 h after detection: a mean of 3 h.
        assert_eq!(
            first.response.means.mean_time_to_contain_us,
            Some(3.0 * HOUR as f64)
        );
        assert_eq!(
            first.response.means.mean_time_to_detect_us,
            Some(HOUR as f64)
        );
        assert_eq!(first.vehicles_monitored, 1, "v2 is registered on day 2");
        assert_eq!(first.incidents_by_technique["ATM-T0031"], 2);

        let second = seen.metrics(&days[1], &["v2".to_owned(), "v9".to_owned()]);
        assert_eq!(second.response.means.incidents, 1);
        assert_eq!(second.response.means.mean_time_to_contain_us, None);
        assert_eq!(second.response.false_positives_by_rule["odo"].rate, 1.0);
        assert_eq!(second.vehicles_monitored, 2);
        assert_eq!(
            second.vehicles_reporting, 1,
            "v9 is no vehicle the reader sees"
        );
    }

    #[test]
    fn a_sighting_stored_after_the_contained_stamp_breaks_the_containment() {
        let detected = at("2026-03-01T10:00:00Z");
        let held = incident("fob", detected, Some(1), IncidentState::Resolved);
        let mut recurred = incident("uds", detected, Some(1), IncidentState::Contained);
        recurred.last_sighting_stored_us = Some(detected + 2 * HOUR);
        let mut at_the_stamp = incident("can", detected, Some(1), IncidentState::Contained);
        at_the_stamp.last_sighting_stored_us = at_the_stamp.contained_us;
        let mut dismissed = incident("odo", detected, Some(1), IncidentState::FalsePositive);
        dismissed.last_sighting_stored_us = Some(detected + 5 * HOUR);
        let open = incident("tcu", detected, None, IncidentState::New);

        let effect = ContainmentEffectiveness::of(&[held, recurred, at_the_stamp, dismissed, open]);

        assert_eq!(
            effect.contained, 3,
            "false positives and open incidents are out"
        );
        assert_eq!(effect.held, 2);
        assert_eq!(effect.rate, Some(2.0 / 3.0));
        assert_eq!(ContainmentEffectiveness::of(&[]).rate, None);
    }
}
