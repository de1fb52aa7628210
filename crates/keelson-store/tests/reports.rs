//! What reports read by time range, on SQLite and on PostgreSQL: each range
//! is half-open (a record at its start is in, one at its end is out), an
//! incident carries the union of its alerts' ATM techniques and the time
//! its last sighting was stored, and a case counts as active while it is
//! open at some time in the range.

use keelson_core::case::Transition;
use keelson_core::{CaseState, IntakeKind, Marking, Principal, Severity, SlaPolicy, Tlp};
use keelson_store::Store;
use keelson_store::alerts::Sighting;
use keelson_store::cases::{Intake, NewCase, Opened};
use keelson_store::fleet::Vehicle;
use keelson_store::reports::Range;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

keelson_store::on_both_backends!(
    ranges_hold_their_start_and_not_their_end,
    an_incident_carries_its_alerts_techniques_and_last_stored_sighting,
    a_case_is_active_from_its_receipt_until_it_finishes,
);

const MINUTE_US: i64 = 60_000_000;

fn micros(text: &str) -> i64 {
    let at = OffsetDateTime::parse(text, &Rfc3339).expect("an RFC 3339 stamp");
    i64::try_from(at.unix_timestamp_nanos() / 1_000).expect("in range")
}

fn sighting(vehicle: &str, at_us: i64, tags: &[&str]) -> Sighting {
    Sighting {
        rule_id: "r-fob".to_owned(),
        sigma_rule: "fob-relay".to_owned(),
        title: "Key fob relay".to_owned(),
        severity: Severity::High,
        test: false,
        correlation: false,
        heightened: false,
        vehicle_id: Some(vehicle.to_owned()),
        build_id: None,
        first_seen_us: at_us,
        last_seen_us: at_us + MINUTE_US,
        count: 1,
        evidence: Vec::new(),
        atm_tags: tags.iter().map(|t| (*t).to_owned()).collect(),
        marking: Marking::new(Tlp::Amber),
    }
}

async fn raise(store: &Store, sightings: Vec<Sighting>) {
    store
        .record_sightings("detection", sightings, 10 * MINUTE_US, 60 * MINUTE_US)
        .await
        .expect("record");
}

fn range(from_us: i64, to_us: i64) -> Range {
    Range { from_us, to_us }
}

async fn ranges_hold_their_start_and_not_their_end(store: &Store) {
    let vehicle = Vehicle {
        id: "v1".to_owned(),
        model_id: None,
        vin_hash: None,
        region: None,
        marking: Marking::new(Tlp::Green),
    };
    store
        .create_vehicle("test", &vehicle)
        .await
        .expect("vehicle");
    raise(store, vec![sighting("v1", 1_000 * MINUTE_US, &[])]).await;

    let alerts = store
        .alerts_raised_in(range(0, i64::MAX))
        .await
        .expect("alerts");
    assert_eq!(alerts.len(), 1);
    let raised = alerts[0].raised_us;
    let at_start = store
        .alerts_raised_in(range(raised, raised + 1))
        .await
        .expect("in");
    assert_eq!(at_start.len(), 1);
    let at_end = store
        .alerts_raised_in(range(raised - 1, raised))
        .await
        .expect("out");
    assert!(at_end.is_empty(), "{at_end:?}");

    let registered = store
        .vehicles_registered_before(i64::MAX)
        .await
        .expect("all");
    let at = registered[0].registered_us;
    assert_eq!(
        store
            .vehicles_registered_before(at + 1)
            .await
            .expect("in")
            .len(),
        1
    );
    assert!(
        store
            .vehicles_registered_before(at)
            .await
            .expect("out")
            .is_empty()
    );

    let incidents = store
        .incidents_detected_in(range(raised, raised + 1))
        .await
        .expect("in");
    assert_eq!(
        incidents.len(),
        1,
        "detected when its first alert was stored"
    );
    let before = store
        .incidents_detected_in(range(0, raised))
        .await
        .expect("out");
    assert!(before.is_empty());
}

async fn an_incident_carries_its_alerts_techniques_and_last_stored_sighting(store: &Store) {
    // Two vehicles of no model and no build share one scope: one incident.
    raise(
        store,
        vec![sighting("v1", 1_000 * MINUTE_US, &["ATM-T0031"])],
    )
    .await;
    raise(
        store,
        vec![sighting(
            "v2",
            1_005 * MINUTE_US,
            &["ATM-T0012", "ATM-T0031"],
        )],
    )
    .await;
    let alerts = store
        .alerts_raised_in(range(0, i64::MAX))
        .await
        .expect("alerts");
    assert_eq!(alerts.len(), 2);
    let first = alerts[0].raised_us;

    let before_merge = store
        .incidents_detected_in(range(0, i64::MAX))
        .await
        .expect("one");
    assert_eq!(before_merge.len(), 1, "{before_merge:?}");
    let incident = &before_merge[0];
    assert_eq!(incident.detected_us, first);
    let techniques: Vec<&str> = incident.techniques.iter().map(String::as_str).collect();
    assert_eq!(techniques, ["ATM-T0012", "ATM-T0031"]);
    assert_eq!(incident.last_sighting_stored_us, Some(alerts[1].raised_us));

    // Another firing on v1 merges into its alert, which is stored again later.
    raise(
        store,
        vec![sighting("v1", 1_002 * MINUTE_US, &["ATM-T0031"])],
    )
    .await;
    let merged = store
        .incidents_detected_in(range(0, i64::MAX))
        .await
        .expect("one");
    let last = merged[0].last_sighting_stored_us.expect("a sighting");
    assert!(
        last > alerts[1].raised_us,
        "{last} after {}",
        alerts[1].raised_us
    );
    let still = store
        .alerts_raised_in(range(0, i64::MAX))
        .await
        .expect("alerts");
    assert_eq!(still.len(), 2, "a merge raises no new alert");
}

async fn a_case_is_active_from_its_receipt_until_it_finishes(store: &Store) {
    let new = NewCase {
        title: "Telematics library flaw".to_owned(),
        intake: Intake {
            kind: IntakeKind::Manual,
            source: None,
        },
        vulnerability_ids: vec!["CVE-2026-1002".parse().expect("id")],
        severity: Severity::Medium,
        owner: None,
        team: None,
        marking: Marking::new(Tlp::Amber),
        builds: Vec::new(),
    };
    let opened = store
        .open_case("test", &Principal::system(), &new, &SlaPolicy::default())
        .await
        .expect("open");
    let Opened::Created(case) = opened else {
        panic!("a new case");
    };
    let received = micros(&case.received_at);
    assert!(
        store
            .cases_active_in(range(0, received))
            .await
            .expect("before")
            .is_empty()
    );
    let open_now = store
        .cases_active_in(range(received, received + 1))
        .await
        .expect("in");
    assert_eq!(open_now.len(), 1);
    assert_eq!(open_now[0].finished_us, None);

    let close = Transition::new(CaseState::NotAffected, "not linked", None).expect("move");
    let closed = store
        .transition_case("test", &case.id, &close)
        .await
        .expect("closed");
    let finished = micros(closed.finished_at.as_deref().expect("finished"));
    let last_day = store
        .cases_active_in(range(finished, finished + 1))
        .await
        .expect("in");
    assert_eq!(
        last_day.len(),
        1,
        "it finished in that range, so it was active in it"
    );
    assert_eq!(last_day[0].finished_us, Some(finished));
    let after = store
        .cases_active_in(range(finished + 1, i64::MAX))
        .await
        .expect("after");
    assert!(after.is_empty(), "{after:?}");
}
