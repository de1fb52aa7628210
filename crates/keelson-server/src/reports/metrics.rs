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
//! visible records (see [`Observed::load`]). Incidents are read one by one
//! (their means need each one's stamps); alerts arrive counted per UTC day,
//! kind and marking, so a period's alerts cost a row per day and kind
//! however many there are.

use std::collections::BTreeMap;

use keelson_core::incident::{MeanResponseTimes, ResponseTimes};
use keelson_core::{IncidentState, Marked, Principal, Tlp};
use keelson_store::incidents::IncidentRecord;
use keelson_store::reports::{IncidentFacts, RaisedAlerts, Range, RegisteredVehicles};
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

/// What response metrics read of an incident: a stored record (the
/// incident routes) or the facts a report reads (see [`Observed`]).
pub trait Responded {
    fn state(&self) -> IncidentState;
    fn sigma_rule(&self) -> &str;
    fn response_times(&self) -> ResponseTimes;
}

impl Responded for IncidentRecord {
    fn state(&self) -> IncidentState {
        self.state
    }

    fn sigma_rule(&self) -> &str {
        &self.sigma_rule
    }

    fn response_times(&self) -> ResponseTimes {
        self.response_times
    }
}

impl Responded for IncidentFacts {
    fn state(&self) -> IncidentState {
        self.state
    }

    fn sigma_rule(&self) -> &str {
        &self.sigma_rule
    }

    fn response_times(&self) -> ResponseTimes {
        self.response_times
    }
}

impl ResponseMetrics {
    /// The metrics of these incidents.
    pub fn of<'a, T: Responded + 'a>(incidents: impl IntoIterator<Item = &'a T>) -> Self {
        let mut times = Vec::new();
        let mut by_state: BTreeMap<&str, u64> = BTreeMap::new();
        let mut by_rule: BTreeMap<&str, FalsePositiveRate> = BTreeMap::new();
        for incident in incidents {
            let state = incident.state();
            times.push(incident.response_times());
            *by_state.entry(state.as_str()).or_default() += 1;
            let rate = by_rule.entry(incident.sigma_rule()).or_default();
            rate.incidents += 1;
            if state == IncidentState::FalsePositive {
                rate.false_positives += 1;
            }
        }
        for rate in by_rule.values_mut() {
            rate.rate = rate.false_positives as f64 / rate.incidents as f64;
        }
        ResponseMetrics {
            means: MeanResponseTimes::of(&times),
            by_state: owned_keys(by_state),
            false_positives_by_rule: owned_keys(by_rule),
        }
    }
}

fn owned_keys<V>(map: BTreeMap<&str, V>) -> BTreeMap<String, V> {
    map.into_iter()
        .map(|(key, value)| (key.to_owned(), value))
        .collect()
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
            if incident.state == IncidentState::FalsePositive {
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
    /// The alerts raised, counted per UTC day, kind and marking.
    pub alerts: Vec<RaisedAlerts>,
    /// The inventory vehicles registered before the period's end, counted
    /// per day of registration, model, region and marking.
    pub vehicles: Vec<RegisteredVehicles>,
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
        // Three reads on three pooled connections: the database reads one
        // while the rows of another are decoded here.
        let (incidents, alerts, vehicles) = tokio::try_join!(
            store.incidents_detected_in(range),
            store.alerts_raised_per_day(range),
            store.vehicles_registered_per_day(range.to_us),
        )?;
        let incidents = visible(reader, incidents);
        let alerts = visible(reader, alerts);
        let vehicles = visible(reader, vehicles);
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

    /// The vehicles the reader may see that were registered before the
    /// range's end and sent an event received in it, for [`Self::metrics`].
    pub async fn reporting(
        store: &Store,
        reader: &Principal,
        range: Range,
    ) -> Result<Vec<RegisteredVehicles>, StoreError> {
        let reporting = store.vehicles_reporting_per_day(range).await?;
        Ok(visible(reader, reporting))
    }

    /// The metrics of one bucket of the loaded period; `reporting` is the
    /// vehicles the reader may see that were registered before the
    /// bucket's end and sent events in it.
    pub fn metrics(&self, bucket: &Period, reporting: &[RegisteredVehicles]) -> PeriodMetrics {
        let range = bucket.range();
        let incidents: Vec<&IncidentFacts> = self
            .incidents
            .iter()
            .filter(|incident| range.contains(incident.detected_us))
            .collect();
        let alerts: Vec<&RaisedAlerts> = self
            .alerts
            .iter()
            .filter(|group| range.contains(group.span.from_us))
            .collect();
        let monitored = self
            .vehicles
            .iter()
            .filter(|group| group.registered_day_us < range.to_us)
            .map(|group| group.vehicles)
            .sum();
        let (by_technique, untagged) = by_technique(&incidents);
        let (counted, test): (Vec<&RaisedAlerts>, Vec<&RaisedAlerts>) =
            alerts.into_iter().partition(|group| !group.test);
        PeriodMetrics {
            start: rfc3339(bucket.start),
            end: rfc3339(bucket.end),
            response: ResponseMetrics::of(incidents.iter().copied()),
            containment_effectiveness: ContainmentEffectiveness::of(incidents.iter().copied()),
            incidents_by_technique: by_technique,
            incidents_without_technique: untagged,
            alerts: counted.iter().map(|group| group.alerts).sum(),
            alerts_by_severity: alerts_by(&counted, |group| group.severity.to_string()),
            test_alerts: test.iter().map(|group| group.alerts).sum(),
            vehicles_monitored: monitored,
            vehicles_reporting: reporting.iter().map(|group| group.vehicles).sum(),
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

/// How many alerts of these groups fall under each key.
fn alerts_by(
    groups: &[&RaisedAlerts],
    key: impl Fn(&RaisedAlerts) -> String,
) -> BTreeMap<String, u64> {
    let mut counts = BTreeMap::new();
    for group in groups {
        *counts.entry(key(group)).or_default() += group.alerts;
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
    use std::collections::BTreeSet;

    use keelson_core::incident::Stamps;
    use keelson_core::{Marking, Severity};

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
        IncidentFacts {
            id: format!("i-{rule}-{detected}"),
            state,
            severity: Severity::High,
            sigma_rule: rule.to_owned(),
            detected_us: detected,
            contained_us: stamps.contained_us,
            response_times: stamps.response_times(),
            techniques: BTreeSet::from(["ATM-T0031".to_owned()]),
            last_sighting_stored_us: Some(detected),
            marking: Marking::new(Tlp::Amber),
        }
    }

    /// One vehicle registered at `registered_us`, as the store counts it.
    fn registered(registered_us: i64) -> RegisteredVehicles {
        const DAY: i64 = 24 * HOUR;
        RegisteredVehicles {
            registered_day_us: registered_us.div_euclid(DAY) * DAY,
            model_id: None,
            region: None,
            marking: Marking::new(Tlp::Green),
            vehicles: 1,
        }
    }

    fn observed(incidents: Vec<IncidentFacts>) -> Observed {
        Observed {
            incidents,
            alerts: Vec::new(),
            vehicles: vec![
                registered(at("2026-03-01T00:00:00Z")),
                registered(at("2026-03-02T12:00:00Z")),
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

        let reporting = [registered(at("2026-03-02T12:00:00Z"))];
        let second = seen.metrics(&days[1], &reporting);
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
