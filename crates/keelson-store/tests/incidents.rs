//! Incidents at rest, on SQLite and on PostgreSQL: alerts group by rule,
//! scope, marking and time window; moves along the response states are
//! stamped and give the response times; merge and split keep every alert.

use keelson_core::{IncidentState, Marking, Severity, Tlp};
use keelson_store::Store;
use keelson_store::alerts::Sighting;
use keelson_store::fleet::Vehicle;
use keelson_store::incidents::{IncidentError, IncidentFilter, IncidentRecord};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

keelson_store::on_both_backends!(
    alerts_of_one_rule_and_build_within_the_window_form_one_incident,
    response_times_are_the_differences_of_the_recorded_stamps,
    a_move_outside_the_workflow_or_without_reason_is_refused,
    merge_and_split_keep_every_alert_in_exactly_one_incident,
);

/// Grouping window of these tests: one hour.
const WINDOW_US: i64 = 3_600 * 1_000_000;
/// Alert dedup window: one minute, so sightings far apart are new alerts.
const DEDUP_US: i64 = 60 * 1_000_000;

fn sighting(vehicle: &str, build: &str, at_s: i64) -> Sighting {
    Sighting {
        rule_id: "r-uds".to_owned(),
        sigma_rule: "uds-brute-force".to_owned(),
        title: "UDS security access brute force".to_owned(),
        severity: Severity::High,
        test: false,
        heightened: false,
        correlation: true,
        vehicle_id: Some(vehicle.to_owned()),
        build_id: Some(build.to_owned()),
        first_seen_us: at_s * 1_000_000,
        last_seen_us: (at_s + 30) * 1_000_000,
        count: 1,
        evidence: Vec::new(),
        atm_tags: Vec::new(),
        marking: Marking::new(Tlp::Amber),
    }
}

async fn raise(store: &Store, sightings: Vec<Sighting>) {
    store
        .record_sightings("detection", sightings, DEDUP_US, WINDOW_US)
        .await
        .expect("record");
}

async fn only_incident(store: &Store) -> IncidentRecord {
    let all = store
        .list_incidents(&IncidentFilter::default())
        .await
        .expect("list");
    assert_eq!(all.len(), 1, "{all:?}");
    all.into_iter().next().expect("one")
}

fn micros(text: &str) -> i64 {
    let at = OffsetDateTime::parse(text, &Rfc3339).expect("an RFC 3339 stamp");
    i64::try_from(at.unix_timestamp_nanos() / 1_000).expect("in range")
}

async fn add_vehicle(store: &Store, id: &str, region: &str) {
    let vehicle = Vehicle {
        id: id.to_owned(),
        model_id: None,
        vin_hash: None,
        region: Some(region.to_owned()),
        marking: Marking::new(Tlp::Green),
    };
    store
        .create_vehicle("test", &vehicle)
        .await
        .expect("vehicle");
}

async fn alerts_of_one_rule_and_build_within_the_window_form_one_incident(store: &Store) {
    add_vehicle(store, "v1", "EU").await;
    add_vehicle(store, "v2", "NA").await;
    // Two vehicles on gw-1.2.0 ten minutes apart, one on another build, and
    // one on gw-1.2.0 again two hours after the first vehicle's last alert.
    raise(store, vec![sighting("v1", "gw-1.2.0", 0)]).await;
    raise(store, vec![sighting("v2", "gw-1.2.0", 600)]).await;
    raise(store, vec![sighting("v1", "gw-1.3.0", 900)]).await;
    raise(store, vec![sighting("v1", "gw-1.2.0", 600 + 30 + 7_200)]).await;
    // A rule on trial raises an alert but opens no incident.
    let trial = Sighting {
        test: true,
        heightened: false,
        ..sighting("v2", "gw-1.4.0", 900)
    };
    raise(store, vec![trial]).await;

    let all = store
        .list_incidents(&IncidentFilter::default())
        .await
        .expect("list");
    assert_eq!(all.len(), 3, "{all:#?}");
    let on_old_build: Vec<&IncidentRecord> = all
        .iter()
        .filter(|i| i.build_id.as_deref() == Some("gw-1.2.0"))
        .collect();
    assert_eq!(on_old_build.len(), 2);
    let first = on_old_build
        .iter()
        .find(|i| i.first_event == "1970-01-01T00:00:00Z")
        .expect("the first incident");
    let alerts = store.incident_alert_ids(&first.id).await.expect("alerts");
    assert_eq!(alerts.len(), 2);
    assert_eq!(first.last_seen, "1970-01-01T00:10:30Z");
    assert_eq!(first.state, IncidentState::New);
    assert_eq!(first.marking.tlp, Tlp::Amber);
    let scope = store.incident_scope(&first.id).await.expect("scope");
    assert_eq!(scope.vehicles_affected, 2);
    assert_eq!(scope.build_ids, ["gw-1.2.0"]);
    assert_eq!(scope.regions, ["EU", "NA"]);
    for alert in alerts {
        let owner = store.incident_of_alert(&alert).await.expect("owner");
        assert_eq!(owner.as_deref(), Some(first.id.as_str()));
    }
    assert!(store.verify_audit_chain().await.expect("verify").ok);
}

async fn response_times_are_the_differences_of_the_recorded_stamps(store: &Store) {
    raise(store, vec![sighting("v1", "gw-1.2.0", 1_000)]).await;
    let id = only_incident(store).await.id;

    store
        .transition_incident("ana", &id, IncidentState::Acknowledged, "looking")
        .await
        .expect("acknowledge");
    // Containing from acknowledged stamps investigating on the way.
    store
        .transition_incident("ana", &id, IncidentState::Contained, "gateway rule")
        .await
        .expect("contain");
    let resolved = store
        .transition_incident("ana", &id, IncidentState::Resolved, "patched")
        .await
        .expect("resolve");

    let detected = micros(&resolved.detected);
    let expected_detect = detected - micros("1970-01-01T00:16:40Z");
    let times = resolved.response_times;
    assert_eq!(times.time_to_detect_us, expected_detect);
    let since = |stamp: &Option<String>| micros(stamp.as_deref().expect("stamped")) - detected;
    assert_eq!(
        times.time_to_acknowledge_us,
        Some(since(&resolved.acknowledged))
    );
    assert_eq!(times.time_to_contain_us, Some(since(&resolved.contained)));
    assert_eq!(times.time_to_resolve_us, Some(since(&resolved.resolved)));
    assert_eq!(resolved.investigating, resolved.contained);
    assert!(resolved.false_positive.is_none());
    assert_eq!(resolved.state, IncidentState::Resolved);
    let stored = store.incident(&id).await.expect("read").expect("found");
    assert_eq!(stored, resolved);
}

async fn a_move_outside_the_workflow_or_without_reason_is_refused(store: &Store) {
    raise(store, vec![sighting("v1", "gw-1.2.0", 0)]).await;
    let id = only_incident(store).await.id;
    store
        .transition_incident("ana", &id, IncidentState::Investigating, "triage")
        .await
        .expect("investigate");

    let backwards = store
        .transition_incident("ana", &id, IncidentState::Acknowledged, "oops")
        .await
        .expect_err("backwards");
    let silent = store
        .transition_incident("ana", &id, IncidentState::Contained, "  ")
        .await
        .expect_err("no reason");
    let missing = store
        .transition_incident("ana", "no-such", IncidentState::Contained, "x")
        .await
        .expect_err("missing");

    assert!(matches!(backwards, IncidentError::Move(_)), "{backwards}");
    assert!(backwards.to_string().contains("contained"), "{backwards}");
    assert!(matches!(silent, IncidentError::Invalid(_)), "{silent}");
    assert!(matches!(missing, IncidentError::NotFound(_)), "{missing}");
    let unchanged = store.incident(&id).await.expect("read").expect("found");
    assert_eq!(unchanged.state, IncidentState::Investigating);
    assert!(unchanged.contained.is_none());
}

async fn merge_and_split_keep_every_alert_in_exactly_one_incident(store: &Store) {
    raise(store, vec![sighting("v1", "gw-1.2.0", 0)]).await;
    raise(store, vec![sighting("v2", "gw-1.2.0", 120)]).await;
    raise(store, vec![sighting("v3", "gw-1.3.0", 240)]).await;
    let all = store
        .list_incidents(&IncidentFilter::default())
        .await
        .expect("list");
    assert_eq!(all.len(), 2);
    let (old, new) = match all[0].build_id.as_deref() {
        Some("gw-1.2.0") => (&all[0], &all[1]),
        _ => (&all[1], &all[0]),
    };
    store
        .comment_incident("ana", &new.id, "same attacker")
        .await
        .expect("comment");

    let merged = store
        .merge_incidents("ana", &old.id, std::slice::from_ref(&new.id))
        .await
        .expect("merge");
    let members = store.incident_alert_ids(&merged.id).await.expect("alerts");
    assert_eq!(members.len(), 3);
    assert!(store.incident(&new.id).await.expect("read").is_none());
    let comments = store.incident_comments(&merged.id).await.expect("comments");
    assert_eq!(comments.len(), 1);
    assert_eq!(merged.last_seen, "1970-01-01T00:04:30Z");

    let moving = vec![members[2].clone()];
    let split = store
        .split_incident("ana", &merged.id, &moving)
        .await
        .expect("split");
    let kept = store.incident_alert_ids(&merged.id).await.expect("kept");
    let taken = store.incident_alert_ids(&split.id).await.expect("taken");
    assert_eq!(kept, members[..2]);
    assert_eq!(taken, moving);
    assert_eq!(split.state, IncidentState::New);
    let everything = store.incident_alert_ids(&merged.id).await.expect("kept");
    let refused = store
        .split_incident("ana", &merged.id, &everything)
        .await
        .expect_err("cannot empty an incident");
    assert!(matches!(refused, IncidentError::Invalid(_)), "{refused}");
    let into_itself = store
        .merge_incidents("ana", &merged.id, std::slice::from_ref(&merged.id))
        .await
        .expect_err("itself");
    assert!(
        matches!(into_itself, IncidentError::Invalid(_)),
        "{into_itself}"
    );
    assert!(store.verify_audit_chain().await.expect("verify").ok);
}
