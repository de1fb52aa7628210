//! The counts the store groups in SQL for dashboards and reports, on SQLite
//! and on PostgreSQL, against the plain path: every row read and
//! `Principal::may_read` applied to each, then counted here. Dashboard
//! charts over alerts and incidents for every grouping and filter, the
//! alerts raised per day that reports count (whole days from the tallies,
//! the parts of a day a range cuts through from the alerts), and the facts
//! an incident keeps of its alerts through splits and merges. The markings
//! include those SQL can only narrow (RED named by user, AMBER shared by
//! organisation), and a row above the reader's clearance is left out.

use std::collections::{BTreeMap, BTreeSet};

use keelson_core::{IncidentState, Marking, Principal, Role, Severity, Tlp};
use keelson_store::Store;
use keelson_store::alerts::{AlertFilter, AlertRecord, Sighting};
use keelson_store::bulk::{BulkAlert, BulkIncident};
use keelson_store::dashboards::GroupBy;
use keelson_store::fleet::{Vehicle, VehicleModel};
use keelson_store::incidents::{IncidentFilter, IncidentRecord};
use keelson_store::readable::Readable;
use keelson_store::reports::Range;
use keelson_store::testing::marking;
use keelson_store::widget_counts::NO_VALUE;

keelson_store::on_both_backends!(
    alert_chart_counts_equal_the_plain_path,
    incident_chart_counts_equal_the_plain_path,
    alerts_raised_per_day_equal_the_plain_path,
    a_row_above_the_readers_clearance_is_left_out_of_grouped_counts,
    incident_facts_follow_their_alerts_through_splits_and_merges,
);

const HOUR_US: i64 = 3_600_000_000;
const DAY_US: i64 = 24 * HOUR_US;
const GROUPINGS: [GroupBy; 6] = [
    GroupBy::Severity,
    GroupBy::Day,
    GroupBy::Rule,
    GroupBy::Vehicle,
    GroupBy::Technique,
    GroupBy::State,
];

fn markings() -> Vec<Marking> {
    vec![
        marking(Tlp::Clear, &[], &[]),
        marking(Tlp::Green, &[], &[]),
        marking(Tlp::Amber, &[], &[]),
        marking(Tlp::Amber, &["acme"], &[]),
        marking(Tlp::AmberStrict, &["ACME"], &[]),
        marking(Tlp::Red, &[], &["rhea"]),
        marking(Tlp::Red, &[], &["100%_o\"dd"]),
    ]
}

fn readers() -> Vec<Principal> {
    vec![
        Principal::new("ana", Role::VsocAnalyst, None),
        Principal::new("rhea", Role::PsirtEngineer, None),
        Principal::new("pat", Role::Partner, Some("acme".to_owned())),
        Principal::new("nobody", Role::Partner, None),
    ]
}

fn tags(n: i64) -> Vec<String> {
    match n % 4 {
        0 => Vec::new(),
        1 => vec!["ATM-T0001".to_owned()],
        2 => vec!["ATM-T0042".to_owned(), "ATM-T0001".to_owned()],
        _ => vec!["ATM-T0042".to_owned()],
    }
}

/// Vehicles of two models, alerts spread over forty days (written in bulk,
/// each raised when last seen) and alerts raised now through detection,
/// some of which merge into another day. Returns the current time.
async fn seed(store: &Store) -> i64 {
    for model in ["m-sedan", "m-van"] {
        let record = VehicleModel {
            id: model.to_owned(),
            make: "Keel".to_owned(),
            model: model.to_owned(),
            year: None,
            platform: None,
            dbc_files: Vec::new(),
            marking: marking(Tlp::Green, &[], &[]),
        };
        store
            .create_vehicle_model("test", &record)
            .await
            .expect("model");
    }
    for (id, model) in [("v-1", "m-sedan"), ("v-2", "m-van")] {
        let vehicle = Vehicle {
            id: id.to_owned(),
            model_id: Some(model.to_owned()),
            vin_hash: None,
            region: Some("EU".to_owned()),
            marking: marking(Tlp::Green, &[], &[]),
        };
        store
            .create_vehicle("test", &vehicle)
            .await
            .expect("vehicle");
    }

    let now = keelson_store::now_us();
    let vehicles = [Some("v-1"), Some("v-2"), None];
    let markings = markings();
    let bulk: Vec<BulkAlert> = (0..120_i64)
        .map(|n| {
            let seen = now - n * 8 * HOUR_US - 7 * 60_000_000;
            BulkAlert {
                id: format!("bulk-{n:03}"),
                rule_id: format!("rule-{}", n % 6),
                sigma_rule: format!("sigma-{}", n % 6),
                title: format!("Rule {} fired", n % 6),
                severity: Severity::ALL[(n % 5) as usize],
                vehicle_id: vehicles[(n % 3) as usize].map(str::to_owned),
                build_id: None,
                first_seen_us: seen - HOUR_US,
                last_seen_us: seen,
                atm_tags: tags(n),
                marking: markings[(n % 7) as usize].clone(),
            }
        })
        .collect();
    store.bulk_insert_alerts(bulk).await.expect("bulk alerts");

    let mut sightings = Vec::new();
    for n in 0..28_i64 {
        let seen = now - (n % 7) * 13 * HOUR_US;
        sightings.push(sighting(n, vehicles[(n % 3) as usize], seen));
    }
    store
        .record_sightings("test", sightings, 0, HOUR_US)
        .await
        .expect("sightings");
    // Later sightings of two of them move their last sighting to today.
    let again = vec![sighting(5, vehicles[2], now), sighting(9, vehicles[0], now)];
    store
        .record_sightings("test", again, 3 * DAY_US, HOUR_US)
        .await
        .expect("merges");
    now
}

fn sighting(n: i64, vehicle: Option<&str>, seen: i64) -> Sighting {
    Sighting {
        rule_id: format!("live-{n}"),
        sigma_rule: format!("sigma-live-{}", n % 3),
        title: format!("Live rule {n}"),
        severity: Severity::ALL[(n % 5) as usize],
        test: n % 11 == 0,
        heightened: false,
        correlation: false,
        vehicle_id: vehicle.map(str::to_owned),
        build_id: (n % 4 == 0).then(|| "tcu-4.2.0".to_owned()),
        first_seen_us: seen - HOUR_US,
        last_seen_us: seen,
        count: 1,
        evidence: Vec::new(),
        atm_tags: tags(n),
        marking: markings()[(n % 7) as usize].clone(),
    }
}

async fn readable_alerts(
    store: &Store,
    reader: &Principal,
    filter: &AlertFilter,
) -> Vec<AlertRecord> {
    let all = store.list_alerts(filter).await.expect("list");
    all.into_iter()
        .filter(|alert| reader.may_read(&alert.marking))
        .collect()
}

/// What a chart of these alerts shows, worked out one alert at a time.
fn alert_chart(alerts: &[AlertRecord], per: GroupBy) -> BTreeMap<String, u64> {
    let mut counts = BTreeMap::new();
    for alert in alerts {
        let keys = match per {
            GroupBy::Severity => vec![alert.severity.as_str().to_owned()],
            GroupBy::Day => vec![alert.last_seen[..10].to_owned()],
            GroupBy::Rule => vec![alert.title.clone()],
            GroupBy::Vehicle => vec![alert.vehicle_id.clone().unwrap_or(NO_VALUE.to_owned())],
            GroupBy::Technique => alert.atm_tags.clone(),
            GroupBy::State => vec![alert.status.clone()],
        };
        for key in keys {
            *counts.entry(key).or_default() += 1;
        }
    }
    counts
}

async fn alert_chart_counts_equal_the_plain_path(store: &Store) {
    let now = seed(store).await;
    let midnight = (now - 9 * DAY_US).div_euclid(DAY_US) * DAY_US;
    let filters = [
        AlertFilter::default(),
        AlertFilter {
            since_us: Some(now - 10 * DAY_US),
            ..AlertFilter::default()
        },
        AlertFilter {
            since_us: Some(midnight),
            ..AlertFilter::default()
        },
        AlertFilter {
            since_us: Some(now - 20 * DAY_US),
            severity: Some(Severity::High),
            ..AlertFilter::default()
        },
        AlertFilter {
            since_us: Some(now - 20 * DAY_US),
            rule_id: Some("rule-2".to_owned()),
            ..AlertFilter::default()
        },
        AlertFilter {
            since_us: Some(i64::MIN),
            ..AlertFilter::default()
        },
    ];
    for reader in readers() {
        let readable = Readable::by(&reader);
        for filter in &filters {
            let alerts = readable_alerts(store, &reader, filter).await;
            for per in GROUPINGS {
                let counts = store
                    .alert_counts(filter, per, &readable)
                    .await
                    .expect("counts");
                assert_eq!(
                    counts,
                    alert_chart(&alerts, per),
                    "{} ({:?}) per {per:?} with {filter:?}",
                    reader.user,
                    reader.role
                );
            }
        }
    }

    // The seed reaches many days and every technique for an analyst.
    let ana = Principal::new("ana", Role::VsocAnalyst, None);
    let days = store
        .alert_counts(&filters[1], GroupBy::Day, &Readable::by(&ana))
        .await
        .expect("days");
    assert!(days.len() >= 10, "{days:?}");
    let techniques = store
        .alert_counts(&filters[0], GroupBy::Technique, &Readable::by(&ana))
        .await
        .expect("techniques");
    assert_eq!(techniques.len(), 2, "{techniques:?}");
}

/// What a chart of these incidents shows, worked out one at a time.
fn incident_chart(incidents: &[IncidentRecord], per: GroupBy) -> BTreeMap<String, u64> {
    let mut counts = BTreeMap::new();
    for incident in incidents {
        let key = match per {
            GroupBy::Severity => incident.severity.as_str().to_owned(),
            GroupBy::Day => incident.detected[..10].to_owned(),
            GroupBy::Rule | GroupBy::Technique => incident.sigma_rule.clone(),
            GroupBy::Vehicle => incident
                .build_id
                .clone()
                .or(incident.model_id.clone())
                .unwrap_or(NO_VALUE.to_owned()),
            GroupBy::State => incident.state.as_str().to_owned(),
        };
        *counts.entry(key).or_default() += 1;
    }
    counts
}

/// Incidents of the seeded alerts: the live ones from detection, and one
/// bulk incident per six bulk alerts, detected over the forty days.
async fn seed_incidents(store: &Store, now: i64) {
    let incidents: Vec<BulkIncident> = (0..20_i64)
        .map(|n| {
            let detected = now - n * 2 * DAY_US - 5 * HOUR_US;
            BulkIncident {
                id: format!("bulk-incident-{n:02}"),
                title: format!("Bulk incident {n}"),
                state: IncidentState::ALL[(n % 6) as usize],
                severity: Severity::ALL[(n % 5) as usize],
                sigma_rule: format!("sigma-{}", n % 6),
                model_id: (n % 3 != 0).then(|| "m-van".to_owned()),
                first_event_us: detected - HOUR_US,
                detected_us: detected,
                last_seen_us: detected + HOUR_US,
                acknowledged_us: None,
                contained_us: None,
                resolved_us: None,
                marking: markings()[(n % 7) as usize].clone(),
                alert_ids: (0..6).map(|k| format!("bulk-{:03}", n * 6 + k)).collect(),
            }
        })
        .collect();
    store
        .bulk_insert_incidents(incidents)
        .await
        .expect("bulk incidents");
}

async fn incident_chart_counts_equal_the_plain_path(store: &Store) {
    let now = seed(store).await;
    seed_incidents(store, now).await;
    let filters = [
        IncidentFilter::default(),
        IncidentFilter {
            seen_since_us: Some(now - 15 * DAY_US),
            ..IncidentFilter::default()
        },
        IncidentFilter {
            open_only: true,
            seen_since_us: Some(now - 30 * DAY_US),
            ..IncidentFilter::default()
        },
        IncidentFilter {
            state: Some(IncidentState::Resolved),
            ..IncidentFilter::default()
        },
        IncidentFilter {
            severity: Some(Severity::Medium),
            sigma_rule: Some("sigma-2".to_owned()),
            ..IncidentFilter::default()
        },
    ];
    for reader in readers() {
        let readable = Readable::by(&reader);
        for filter in &filters {
            let incidents: Vec<IncidentRecord> = store
                .list_incidents(filter)
                .await
                .expect("list")
                .into_iter()
                .filter(|incident| reader.may_read(&incident.marking))
                .filter(|incident| !filter.open_only || incident.state.is_open())
                .collect();
            for per in GROUPINGS {
                let counts = store
                    .incident_counts(filter, per, &readable)
                    .await
                    .expect("counts");
                assert_eq!(
                    counts,
                    incident_chart(&incidents, per),
                    "{} per {per:?} with {filter:?}",
                    reader.user
                );
            }
        }
    }
}

/// Raised alerts per (UTC day, test, severity, tags).
type RaisedKey = (i64, bool, Severity, Vec<String>);

async fn alerts_raised_per_day_equal_the_plain_path(store: &Store) {
    let now = seed(store).await;
    let today = now.div_euclid(DAY_US) * DAY_US;
    let ranges = [
        Range {
            from_us: now - 20 * DAY_US,
            to_us: now + HOUR_US,
        },
        Range {
            from_us: today - 30 * DAY_US,
            to_us: today + DAY_US,
        },
        Range {
            from_us: today - 3 * DAY_US + 5,
            to_us: today - 3 * DAY_US + 9 * HOUR_US,
        },
        Range {
            from_us: 0,
            to_us: i64::MAX,
        },
        Range {
            from_us: i64::MIN,
            to_us: 0,
        },
    ];
    let month = store
        .alerts_raised_per_day(ranges[0])
        .await
        .expect("groups");
    let days: BTreeSet<i64> = month
        .iter()
        .map(|g| g.span.from_us.div_euclid(DAY_US))
        .collect();
    assert!(
        days.len() >= 15,
        "bulk alerts are raised over many days: {days:?}"
    );
    for range in ranges {
        let groups = store.alerts_raised_per_day(range).await.expect("groups");
        for group in &groups {
            let day = group.span.from_us.div_euclid(DAY_US);
            assert!(group.span.from_us < group.span.to_us, "{group:?}");
            assert_eq!((group.span.to_us - 1).div_euclid(DAY_US), day, "{group:?}");
            assert!(range.from_us <= group.span.from_us && group.span.to_us <= range.to_us);
        }
        for reader in readers() {
            let mut expected: BTreeMap<RaisedKey, u64> = BTreeMap::new();
            for alert in store.alerts_raised_in(range).await.expect("alerts") {
                if reader.may_read(&alert.marking) {
                    let key = (
                        alert.raised_us.div_euclid(DAY_US),
                        alert.test,
                        alert.severity,
                        alert.atm_tags.clone(),
                    );
                    *expected.entry(key).or_default() += 1;
                }
            }
            let mut counted: BTreeMap<RaisedKey, u64> = BTreeMap::new();
            for group in groups
                .iter()
                .filter(|group| reader.may_read(&group.marking))
            {
                let key = (
                    group.span.from_us.div_euclid(DAY_US),
                    group.test,
                    group.severity,
                    group.atm_tags.clone(),
                );
                *counted.entry(key).or_default() += group.alerts;
            }
            assert_eq!(counted, expected, "{} over {range:?}", reader.user);
        }
    }
}

async fn a_row_above_the_readers_clearance_is_left_out_of_grouped_counts(store: &Store) {
    let now = keelson_store::now_us();
    let sealed = marking(Tlp::Red, &[], &["rhea"]);
    let mut open = sighting(1, Some("v-9"), now - HOUR_US);
    open.marking = marking(Tlp::Green, &[], &[]);
    let mut hidden = sighting(2, Some("v-9"), now - HOUR_US);
    hidden.marking = sealed.clone();
    hidden.severity = open.severity;
    hidden.test = false;
    store
        .record_sightings("test", vec![open, hidden], 0, HOUR_US)
        .await
        .expect("sightings");

    let ana = Principal::new("ana", Role::VsocAnalyst, None);
    let rhea = Principal::new("rhea", Role::VsocAnalyst, None);
    let week = AlertFilter {
        since_us: Some(now - 7 * DAY_US),
        ..AlertFilter::default()
    };
    let ragged = AlertFilter {
        since_us: Some(now - 2 * HOUR_US),
        ..AlertFilter::default()
    };
    for filter in [&week, &ragged] {
        // Per severity from the tallies and the alerts, per rule from the alerts.
        for per in [GroupBy::Severity, GroupBy::Day, GroupBy::Rule] {
            let seen = store
                .alert_counts(filter, per, &Readable::by(&ana))
                .await
                .expect("ana");
            assert_eq!(seen.values().sum::<u64>(), 1, "{per:?}: {seen:?}");
            assert!(!seen.contains_key("Live rule 2"), "{seen:?}");
            let named = store
                .alert_counts(filter, per, &Readable::by(&rhea))
                .await
                .expect("rhea");
            assert_eq!(named.values().sum::<u64>(), 2, "{per:?}: {named:?}");
        }
    }
    let incidents = IncidentFilter::default();
    let seen = store
        .incident_counts(&incidents, GroupBy::Rule, &Readable::by(&ana))
        .await
        .expect("incidents");
    assert_eq!(seen, BTreeMap::from([("sigma-live-1".to_owned(), 1)]));
    let named = store
        .incident_counts(&incidents, GroupBy::Rule, &Readable::by(&rhea))
        .await
        .expect("incidents");
    assert_eq!(named.values().sum::<u64>(), 2);

    // Raised alerts come counted per marking, for the caller's clearance rule.
    let today = Range {
        from_us: now - DAY_US,
        to_us: now + DAY_US,
    };
    let groups = store.alerts_raised_per_day(today).await.expect("raised");
    let for_ana: u64 = groups
        .iter()
        .filter(|g| ana.may_read(&g.marking))
        .map(|g| g.alerts)
        .sum();
    let for_rhea: u64 = groups
        .iter()
        .filter(|g| rhea.may_read(&g.marking))
        .map(|g| g.alerts)
        .sum();
    assert_eq!((for_ana, for_rhea), (1, 2), "{groups:?}");
    assert!(groups.iter().any(|g| g.marking == sealed));
}

/// The union of the alerts' tags and their latest creation or update.
async fn facts_from_alerts(store: &Store, incident: &str) -> (BTreeSet<String>, Option<i64>) {
    let mut tags = BTreeSet::new();
    let mut last = None;
    for id in store.incident_alert_ids(incident).await.expect("alerts") {
        let alert = store.alert(&id).await.expect("read").expect("alert");
        tags.extend(alert.atm_tags.iter().cloned());
        let stored = micros(&alert.created_at).max(micros(&alert.updated_at));
        last = last.max(Some(stored));
    }
    (tags, last)
}

fn micros(text: &str) -> i64 {
    let at = time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .expect("RFC 3339");
    i64::try_from(at.unix_timestamp_nanos() / 1_000).expect("in range")
}

async fn incident_facts_follow_their_alerts_through_splits_and_merges(store: &Store) {
    let now = seed(store).await;
    seed_incidents(store, now).await;
    let all = Range {
        from_us: i64::MIN,
        to_us: i64::MAX,
    };

    // Split two alerts off an incident with several, then merge it back.
    let facts = store.incidents_detected_in(all).await.expect("incidents");
    let crowded = facts
        .iter()
        .find(|f| f.id.starts_with("bulk-incident"))
        .expect("a bulk incident")
        .id
        .clone();
    let alerts = store.incident_alert_ids(&crowded).await.expect("alerts");
    let split = store
        .split_incident("test", &crowded, &alerts[..2])
        .await
        .expect("split");
    for facts in store.incidents_detected_in(all).await.expect("incidents") {
        let expected = facts_from_alerts(store, &facts.id).await;
        assert_eq!(
            (facts.techniques, facts.last_sighting_stored_us),
            expected,
            "{} after the split",
            facts.id
        );
    }
    store
        .merge_incidents("test", &crowded, std::slice::from_ref(&split.id))
        .await
        .expect("merge");
    let merged = store.incidents_detected_in(all).await.expect("incidents");
    let back = merged.iter().find(|f| f.id == crowded).expect("merged");
    let expected = facts_from_alerts(store, &crowded).await;
    assert_eq!(
        (back.techniques.clone(), back.last_sighting_stored_us),
        expected
    );
    assert_eq!(back.techniques.len(), 2, "its alerts carry both techniques");
}
