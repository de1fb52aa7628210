//! The alert and incident lists as the store pages, counts and tallies them
//! for one reader, on SQLite and on PostgreSQL, against the plain path: every
//! row read and `Principal::may_read` applied to each. The markings include
//! the cases where SQL can only narrow (RED rows named by user, AMBER rows
//! shared by organisation) and names that LIKE would misread: wildcards,
//! quotes, and a case that differs only in letters' case.

use std::collections::BTreeMap;

use keelson_core::{IncidentState, Marking, Principal, Role, Severity, Tlp};
use keelson_store::Store;
use keelson_store::alerts::{AlertFilter, AlertRecord, AlertTally, Sighting, UNKNOWN_REGION};
use keelson_store::fleet::Vehicle;
use keelson_store::incidents::{IncidentFilter, IncidentRecord};
use keelson_store::paging::{CappedCount, Cursor};
use keelson_store::readable::Readable;
use keelson_store::testing::marking;

keelson_store::on_both_backends!(
    pages_hold_exactly_what_the_reader_may_read_in_list_order,
    counts_and_the_overview_tally_equal_the_plain_path,
    incident_pages_counts_and_tally_equal_the_plain_path,
    vehicle_pages_and_count_equal_the_plain_path,
);

const HOUR_US: i64 = 3_600_000_000;
const DAY_US: i64 = 24 * HOUR_US;
const ODD_NAME: &str = "100%_o\"dd";

/// The markings the seeded alerts cycle through.
fn markings() -> Vec<Marking> {
    vec![
        marking(Tlp::Clear, &[], &[]),
        marking(Tlp::Green, &[], &[]),
        marking(Tlp::Amber, &[], &[]),
        marking(Tlp::Amber, &["acme"], &[]),
        marking(Tlp::AmberStrict, &["ACME"], &[]),
        marking(Tlp::Amber, &["acme-b"], &[]),
        marking(Tlp::Red, &[], &["rhea"]),
        marking(Tlp::Red, &[], &[ODD_NAME]),
        marking(Tlp::Red, &[], &["1000o\"dd"]),
    ]
}

fn readers() -> Vec<Principal> {
    vec![
        Principal::new("ana", Role::VsocAnalyst, None),
        Principal::new("rhea", Role::PsirtEngineer, None),
        Principal::new(ODD_NAME, Role::VsocAnalyst, None),
        Principal::new("pat", Role::Partner, Some("acme".to_owned())),
        Principal::new("rhea", Role::Partner, Some("acme-b".to_owned())),
        Principal::new("nobody", Role::Partner, None),
    ]
}

async fn seed(store: &Store) -> i64 {
    let vehicles = [
        ("v-eu", Some("EU"), marking(Tlp::Green, &[], &[])),
        ("v-na", Some("NA"), marking(Tlp::Amber, &["acme"], &[])),
        ("v-apac", Some("APAC"), marking(Tlp::Red, &[], &["rhea"])),
        ("v-none", None, marking(Tlp::Clear, &[], &[])),
    ];
    for (id, region, marking) in vehicles {
        let vehicle = Vehicle {
            id: id.to_owned(),
            model_id: None,
            vin_hash: None,
            region: region.map(str::to_owned),
            marking,
        };
        store
            .create_vehicle("test", &vehicle)
            .await
            .expect("vehicle");
    }

    let now = keelson_store::now_us();
    let vehicles = ["v-eu", "v-na", "v-apac", "v-none", "v-unregistered"];
    let tags = [
        vec![],
        vec!["ATM-T0001".to_owned()],
        vec!["ATM-T0001".to_owned(), "ATM-T0042".to_owned()],
    ];
    let markings = markings();
    let mut sightings = Vec::new();
    for n in 0..90_i64 {
        let seen = now - (n % 45) * 5 * HOUR_US;
        sightings.push(Sighting {
            rule_id: format!("rule-{n}"),
            sigma_rule: format!("sigma-{}", n % 4),
            title: format!("alert {n}"),
            severity: Severity::ALL[(n % 5) as usize],
            test: false,
            heightened: false,
            correlation: false,
            vehicle_id: Some(vehicles[(n % 5) as usize].to_owned()),
            build_id: None,
            first_seen_us: seen - HOUR_US,
            last_seen_us: seen,
            count: 1,
            evidence: Vec::new(),
            atm_tags: tags[(n % 3) as usize].clone(),
            marking: markings[(n % 9) as usize].clone(),
        });
    }
    // Each sighting has a rule of its own, so none merges into another's
    // alert, and a one-microsecond window keeps incidents apart.
    store
        .record_sightings("test", sightings, 0, 1)
        .await
        .expect("sightings");
    now
}

async fn plainly_read_alerts(
    store: &Store,
    reader: &Principal,
    filter: &AlertFilter,
) -> Vec<AlertRecord> {
    let all = store.list_alerts(filter).await.expect("list");
    all.into_iter()
        .filter(|alert| reader.may_read(&alert.marking))
        .collect()
}

async fn every_page(
    store: &Store,
    reader: &Principal,
    filter: &AlertFilter,
    limit: usize,
) -> Vec<String> {
    let readable = Readable::by(reader);
    let mut ids = Vec::new();
    let mut after: Option<Cursor> = None;
    loop {
        let page = store
            .alert_page(filter, &readable, after, limit)
            .await
            .expect("page");
        assert!(page.items.len() <= limit);
        ids.extend(page.items.into_iter().map(|alert| alert.id));
        match page.next {
            Some(next) => after = Some(next),
            None => return ids,
        }
    }
}

async fn pages_hold_exactly_what_the_reader_may_read_in_list_order(store: &Store) {
    let now = seed(store).await;
    let filters = [
        AlertFilter::default(),
        AlertFilter {
            severity: Some(Severity::High),
            ..AlertFilter::default()
        },
        AlertFilter {
            vehicle_id: Some("v-na".to_owned()),
            since_us: Some(now - 48 * HOUR_US),
            ..AlertFilter::default()
        },
    ];
    for reader in readers() {
        for filter in &filters {
            let expected: Vec<String> = plainly_read_alerts(store, &reader, filter)
                .await
                .into_iter()
                .map(|alert| alert.id)
                .collect();
            for limit in [1, 7, 1000] {
                let paged = every_page(store, &reader, filter, limit).await;
                assert_eq!(
                    paged, expected,
                    "{} ({:?}) with {filter:?}, pages of {limit}",
                    reader.user, reader.role
                );
            }
        }
    }
}

fn tally_of(
    alerts: &[AlertRecord],
    vehicles: &[Vehicle],
    reader: &Principal,
    recent_us: i64,
) -> AlertTally {
    let mut tally = AlertTally::default();
    for alert in alerts {
        let last_seen = micros(&alert.last_seen);
        if last_seen >= recent_us {
            tally.recent += 1;
        }
        *tally
            .per_day
            .entry((last_seen.div_euclid(86_400_000_000), alert.severity))
            .or_default() += 1;
        for tag in &alert.atm_tags {
            *tally.per_technique.entry(tag.clone()).or_default() += 1;
        }
        let region = vehicles
            .iter()
            .find(|vehicle| Some(&vehicle.id) == alert.vehicle_id.as_ref())
            .filter(|vehicle| reader.may_read(&vehicle.marking))
            .and_then(|vehicle| vehicle.region.clone())
            .unwrap_or_else(|| UNKNOWN_REGION.to_owned());
        *tally.per_region.entry(region).or_default() += 1;
    }
    tally
}

fn micros(text: &str) -> i64 {
    let at = time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .expect("RFC 3339");
    i64::try_from(at.unix_timestamp_nanos() / 1_000).expect("in range")
}

/// A sighting of one seeded alert's rule and vehicle, `back_h` hours ago.
fn sighting_again(rule: usize, vehicle: &str, now: i64, back_h: i64) -> Sighting {
    Sighting {
        rule_id: format!("rule-{rule}"),
        sigma_rule: format!("sigma-{}", rule % 4),
        title: format!("alert {rule}"),
        severity: Severity::ALL[rule % 5],
        test: false,
        heightened: false,
        correlation: false,
        vehicle_id: Some(vehicle.to_owned()),
        build_id: None,
        first_seen_us: now - back_h * HOUR_US,
        last_seen_us: now - back_h * HOUR_US,
        count: 1,
        evidence: Vec::new(),
        atm_tags: Vec::new(),
        marking: markings()[rule % 9].clone(),
    }
}

async fn counts_and_the_overview_tally_equal_the_plain_path(store: &Store) {
    let now = seed(store).await;
    // Seeded alert 5 (vehicle v-eu) was last seen 25 hours ago: a new
    // sighting merges into it and moves its last sighting to another day.
    let merged = vec![sighting_again(5, "v-eu", now, 0)];
    let merge_window = 48 * HOUR_US;
    let outcome = store
        .record_sightings("test", merged, merge_window, 1)
        .await
        .expect("merge");
    assert_eq!(outcome[0].0, keelson_store::alerts::Raised::Merged);
    // An alert on a vehicle registered only afterwards takes its region.
    let early = vec![sighting_again(40, "v-late", now, 2)];
    store
        .record_sightings("test", early, 0, 1)
        .await
        .expect("alert");
    let late = Vehicle {
        id: "v-late".to_owned(),
        model_id: None,
        vin_hash: None,
        region: Some("LATE".to_owned()),
        marking: marking(Tlp::Green, &[], &[]),
    };
    store.create_vehicle("test", &late).await.expect("vehicle");

    let vehicles = store.list_vehicles().await.expect("vehicles");
    let since = now - 7 * 24 * HOUR_US;
    let recent = now - 24 * HOUR_US;
    for reader in readers() {
        let readable = Readable::by(&reader);

        let all = plainly_read_alerts(store, &reader, &AlertFilter::default()).await;
        let count = store
            .count_alerts(&AlertFilter::default(), &readable)
            .await
            .expect("count");
        assert_eq!(
            count,
            CappedCount {
                count: all.len() as u64,
                more: false
            },
            "{}",
            reader.user
        );

        // The tally counts whole UTC days, from the start of `since`'s.
        let window = AlertFilter {
            since_us: Some(since.div_euclid(DAY_US) * DAY_US),
            ..AlertFilter::default()
        };
        let in_window = plainly_read_alerts(store, &reader, &window).await;
        let expected = tally_of(&in_window, &vehicles, &reader, recent);
        let tally = store
            .alert_tally(&readable, since, recent)
            .await
            .expect("tally");
        assert_eq!(tally, expected, "{} ({:?})", reader.user, reader.role);
    }

    // The seeded rows reach every part of the tally for an analyst.
    let ana = Principal::new("ana", Role::VsocAnalyst, None);
    let tally = store
        .alert_tally(&Readable::by(&ana), since, recent)
        .await
        .expect("tally");
    assert!(tally.recent > 0 && tally.recent < tally.per_day.values().sum::<u64>());
    for region in ["EU", "NA", "LATE", UNKNOWN_REGION] {
        assert!(tally.per_region.contains_key(region), "{region}: {tally:?}");
    }
    assert!(
        !tally.per_region.contains_key("APAC"),
        "a RED vehicle's region stays unknown to ana"
    );
}

async fn incident_pages_counts_and_tally_equal_the_plain_path(store: &Store) {
    let now = seed(store).await;
    let all = store
        .list_incidents(&IncidentFilter::default())
        .await
        .expect("list");
    assert!(
        all.len() > 20,
        "the seed forms many incidents: {}",
        all.len()
    );
    let first = all.first().expect("one").id.clone();
    store
        .transition_incident("test", &first, IncidentState::Resolved, "handled")
        .await
        .expect("resolve");

    let open = IncidentFilter {
        open_only: true,
        ..IncidentFilter::default()
    };
    for reader in readers() {
        let readable = Readable::by(&reader);
        let plain: Vec<IncidentRecord> = store
            .list_incidents(&open)
            .await
            .expect("list")
            .into_iter()
            .filter(|incident| reader.may_read(&incident.marking) && incident.state.is_open())
            .collect();

        let mut paged = Vec::new();
        let mut after = None;
        loop {
            let page = store
                .incident_page(&open, &readable, after, 5)
                .await
                .expect("page");
            paged.extend(page.items.into_iter().map(|incident| incident.id));
            match page.next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        let expected: Vec<String> = plain.iter().map(|incident| incident.id.clone()).collect();
        assert_eq!(paged, expected, "{}", reader.user);
        assert!(!paged.contains(&first), "the resolved incident is not open");

        let count = store
            .count_incidents(&open, &readable)
            .await
            .expect("count");
        assert_eq!(count.count, plain.len() as u64);

        let mut per_severity: BTreeMap<Severity, u64> = BTreeMap::new();
        for incident in &plain {
            *per_severity.entry(incident.severity).or_default() += 1;
        }
        let since = now - 2 * 24 * HOUR_US;
        let tally = store.incident_tally(&readable, since).await.expect("tally");
        assert_eq!(tally.open, per_severity, "{}", reader.user);
        let detected_since = store
            .list_incidents(&IncidentFilter::default())
            .await
            .expect("list")
            .into_iter()
            .filter(|incident| {
                reader.may_read(&incident.marking) && micros(&incident.detected) >= since
            })
            .count();
        assert_eq!(tally.detected.len(), detected_since, "{}", reader.user);
    }
}

async fn vehicle_pages_and_count_equal_the_plain_path(store: &Store) {
    for (n, marking) in markings().into_iter().cycle().take(27).enumerate() {
        let vehicle = Vehicle {
            id: format!("veh-{n:02}"),
            model_id: None,
            vin_hash: None,
            region: None,
            marking,
        };
        store
            .create_vehicle("test", &vehicle)
            .await
            .expect("vehicle");
    }
    let all = store.list_vehicles().await.expect("vehicles");

    for reader in readers() {
        let plain: Vec<String> = all
            .iter()
            .filter(|vehicle| reader.may_read(&vehicle.marking))
            .map(|vehicle| vehicle.id.clone())
            .collect();
        let readable = Readable::by(&reader);
        let mut paged = Vec::new();
        let mut after = None;
        for _ in 0..=all.len() {
            let page = store.vehicle_page(&readable, after, 2).await.expect("page");
            paged.extend(page.items.into_iter().map(|vehicle| vehicle.id));
            after = page.next;
            if after.is_none() {
                break;
            }
        }
        assert!(after.is_none(), "{}: the pages never ended", reader.user);
        assert_eq!(paged, plain, "{}", reader.user);
        let count = store.count_vehicles(&readable).await.expect("count");
        assert_eq!(count, plain.len() as u64, "{}", reader.user);
    }
}
