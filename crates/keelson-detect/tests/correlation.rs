//! Correlation rules (event_count, value_count, temporal, temporal_ordered) with group-by
//! and timespan, through the engine. Expected outcomes are reasoned from the Sigma
//! correlation specification and written beside each case.

use keelson_detect::sigma::window::Limits;
use keelson_detect::{Alert, Engine, EngineConfig, load_rules};
use serde_json::{Value, json};

const BASE_RULES: &str = "
title: UDS security access denied
id: 11111111-0000-4000-8000-000000000001
name: uds_denied
logsource:
    product: vehicle
    category: uds
detection:
    sel:
        kind: security_access_denied
    condition: sel
---
title: UDS security access granted
name: uds_granted
logsource:
    product: vehicle
    category: uds
detection:
    sel:
        kind: security_access_granted
    condition: sel
---
title: UDS DID read
name: uds_read
logsource:
    product: vehicle
    category: uds
detection:
    sel:
        kind: read_did
    condition: sel
";

fn engine(correlation: &str) -> Engine {
    engine_with(correlation, EngineConfig::default())
}

fn engine_with(correlation: &str, config: EngineConfig) -> Engine {
    let text = format!("{BASE_RULES}---\n{correlation}");
    let (set, reports) = load_rules(&[("corr.yml", text.as_str())]);
    for r in &reports {
        assert_eq!(
            r.status.as_str(),
            "ok",
            "{}: {:?}",
            r.rule,
            r.status.reason()
        );
    }
    Engine::new(set, config)
}

/// A UDS event `secs` seconds after 2026-01-01T00:00:00Z.
fn ev(id: &str, vehicle: &str, kind: &str, secs: u32) -> Value {
    let t = format!(
        "2026-01-01T{:02}:{:02}:{:02}Z",
        secs / 3600,
        (secs / 60) % 60,
        secs % 60
    );
    json!({"event_id": id, "vehicle_id": vehicle, "source": "uds", "kind": kind,
           "vehicle_time": t, "build_id": "tcu-4.2.1", "attributes": {"did": id}})
}

fn run(engine: &mut Engine, events: &[Value]) -> Vec<Alert> {
    events
        .iter()
        .flat_map(|e| engine.process(e).new_alerts)
        .collect()
}

const T0_MS: i64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z

#[test]
fn event_count_fires_when_count_reaches_threshold_within_timespan() {
    let mut e = engine(
        "title: Brute force
id: c1
correlation:
    type: event_count
    rules: uds_denied
    group-by:
        - vehicle_id
    timespan: 1m
    condition:
        gte: 3
",
    );
    // v1: three denials within 40 s -> one firing at the third. v2: one denial -> none.
    let alerts = run(
        &mut e,
        &[
            ev("e1", "v1", "security_access_denied", 0),
            ev("e2", "v1", "security_access_denied", 20),
            ev("x1", "v2", "security_access_denied", 25),
            ev("e3", "v1", "security_access_denied", 40),
        ],
    );
    assert_eq!(alerts.len(), 1);
    let a = &alerts[0];
    assert_eq!(
        (a.rule_id.as_str(), a.vehicle_id.as_deref()),
        ("c1", Some("v1"))
    );
    assert_eq!(a.evidence, vec!["e1", "e2", "e3"]);
    assert_eq!(
        (a.first_seen, a.last_seen),
        (Some(T0_MS), Some(T0_MS + 40_000))
    );
    assert!(a.correlation);
}

#[test]
fn event_count_ignores_events_outside_the_timespan() {
    let mut e = engine(
        "title: Brute force
id: c1
correlation:
    type: event_count
    rules: uds_denied
    group-by:
        - vehicle_id
    timespan: 1m
    condition:
        gte: 3
",
    );
    // Gaps of 70 s: never three inside one minute.
    let alerts = run(
        &mut e,
        &[
            ev("e1", "v1", "security_access_denied", 0),
            ev("e2", "v1", "security_access_denied", 70),
            ev("e3", "v1", "security_access_denied", 140),
        ],
    );
    assert!(alerts.is_empty());
}

#[test]
fn event_count_range_condition() {
    let mut e = engine(
        "title: Two denials
id: c2
correlation:
    type: event_count
    rules: uds_denied
    group-by: vehicle_id
    timespan: 5m
    condition:
        gt: 1
        lte: 2
",
    );
    // gt 1 and lte 2: holds at the second event.
    let alerts = run(
        &mut e,
        &[
            ev("e1", "v1", "security_access_denied", 0),
            ev("e2", "v1", "security_access_denied", 10),
        ],
    );
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].evidence, vec!["e1", "e2"]);
}

#[test]
fn event_count_upper_bound_is_judged_when_the_window_ends() {
    let mut e = engine(
        "title: Too few heartbeats
id: c3
correlation:
    type: event_count
    rules: uds_read
    group-by: vehicle_id
    timespan: 1m
    condition:
        lt: 2
",
    );
    // v1 has one read in its minute (1 < 2: fires when the window closes);
    // v2 has two (2 < 2 is false: no alert).
    let during = run(
        &mut e,
        &[
            ev("a1", "v1", "read_did", 0),
            ev("b1", "v2", "read_did", 5),
            ev("b2", "v2", "read_did", 10),
        ],
    );
    assert!(during.is_empty());
    let closed = e.advance(T0_MS + 120_000);
    assert_eq!(closed.len(), 1);
    assert_eq!(closed[0].vehicle_id.as_deref(), Some("v1"));
    assert_eq!(closed[0].evidence, vec!["a1"]);
}

#[test]
fn value_count_counts_distinct_values_per_group() {
    let mut e = engine(
        "title: DID scan
id: c4
correlation:
    type: value_count
    rules: uds_read
    group-by: vehicle_id
    timespan: 5m
    condition:
        field: did
        gte: 3
",
    );
    // The `did` attribute equals the event id here: d1, d1 again, d2 -> 2 distinct, no firing;
    // d3 makes 3 distinct within 5 minutes.
    let mut events = vec![
        ev("d1", "v1", "read_did", 0),
        ev("d2", "v1", "read_did", 20),
    ];
    let mut repeat = ev("dX", "v1", "read_did", 30);
    repeat["attributes"]["did"] = json!("d1");
    events.insert(1, repeat);
    assert!(run(&mut e, &events).is_empty());
    let alerts = run(&mut e, &[ev("d3", "v1", "read_did", 40)]);
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].evidence, vec!["d1", "dX", "d2", "d3"]);
}

#[test]
fn temporal_needs_every_rule_in_any_order_within_timespan() {
    let corr = "title: Denied and granted
id: c5
correlation:
    type: temporal
    rules:
        - uds_denied
        - uds_granted
    group-by: vehicle_id
    timespan: 30s
";
    let mut e = engine(corr);
    // Granted before denied, 10 s apart: any order is fine -> fires.
    let alerts = run(
        &mut e,
        &[
            ev("g1", "v1", "security_access_granted", 0),
            ev("d1", "v1", "security_access_denied", 10),
        ],
    );
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].evidence, vec!["g1", "d1"]);
    let mut late = engine(corr);
    // 60 s apart: outside the 30 s timespan.
    assert!(
        run(
            &mut late,
            &[
                ev("d1", "v1", "security_access_denied", 0),
                ev("g1", "v1", "security_access_granted", 60),
            ]
        )
        .is_empty()
    );
    let mut other = engine(corr);
    // Different vehicles are different groups.
    assert!(
        run(
            &mut other,
            &[
                ev("d1", "v1", "security_access_denied", 0),
                ev("g1", "v2", "security_access_granted", 5),
            ]
        )
        .is_empty()
    );
}

#[test]
fn temporal_ordered_needs_the_given_order() {
    let corr = "title: Denied then granted
id: c6
correlation:
    type: temporal_ordered
    rules:
        - uds_denied
        - uds_granted
    group-by: vehicle_id
    timespan: 1m
";
    let mut e = engine(corr);
    let alerts = run(
        &mut e,
        &[
            ev("d1", "v1", "security_access_denied", 0),
            ev("g1", "v1", "security_access_granted", 30),
        ],
    );
    assert_eq!(alerts.len(), 1);
    let mut wrong = engine(corr);
    // Granted first, then denied: the order is wrong, no firing.
    assert!(
        run(
            &mut wrong,
            &[
                ev("g1", "v1", "security_access_granted", 0),
                ev("d1", "v1", "security_access_denied", 30),
            ]
        )
        .is_empty()
    );
}

#[test]
fn chained_correlation_consumes_another_correlation() {
    // The specification's example shape: many failures, then a success, by one subject.
    let corr = "title: Brute force then access
id: c7
correlation:
    type: temporal_ordered
    rules:
        - many_denied
        - uds_granted
    group-by: vehicle_id
    timespan: 5m
---
title: Many denied
id: c8
name: many_denied
correlation:
    type: event_count
    rules: uds_denied
    group-by: vehicle_id
    timespan: 5m
    condition:
        gte: 2
";
    let mut e = engine(corr);
    let alerts = run(
        &mut e,
        &[
            ev("d1", "v1", "security_access_denied", 0),
            ev("d2", "v1", "security_access_denied", 10),
            ev("g1", "v1", "security_access_granted", 20),
        ],
    );
    // c8 feeds c7 only (no `generate`), so the one alert is the chain's.
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].rule_id, "c7");
    assert_eq!(alerts[0].evidence, vec!["d1", "d2", "g1"]);
}

#[test]
fn aliases_group_different_fields_together() {
    let corr = "title: Aliased
id: c9
correlation:
    type: temporal
    rules:
        - uds_denied
        - uds_granted
    group-by: ecu_pair
    timespan: 1m
    aliases:
        ecu_pair:
            uds_denied: tester
            uds_granted: client
";
    let mut e = engine(corr);
    let mut d = ev("d1", "v1", "security_access_denied", 0);
    d["attributes"]["tester"] = json!("T1");
    let mut g = ev("g1", "v9", "security_access_granted", 5);
    g["attributes"]["client"] = json!("T1");
    assert_eq!(run(&mut e, &[d, g]).len(), 1);
}

#[test]
fn referenced_rules_alert_alone_only_with_generate() {
    let base = "title: Brute force
id: c1
correlation:
    type: event_count
    rules: uds_denied
    group-by: vehicle_id
    timespan: 1m
    condition:
        gte: 5
";
    let mut quiet = engine(base);
    assert!(run(&mut quiet, &[ev("e1", "v1", "security_access_denied", 0)]).is_empty());
    let mut loud = engine(&format!("{base}    generate: true\n"));
    let alerts = run(&mut loud, &[ev("e1", "v1", "security_access_denied", 0)]);
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].rule_id, "11111111-0000-4000-8000-000000000001");
}

#[test]
fn time_field_is_configurable_and_missing_time_is_a_warning() {
    let corr = "title: Brute force
id: c1
correlation:
    type: event_count
    rules: uds_denied
    group-by: vehicle_id
    timespan: 1m
    condition:
        gte: 2
";
    let config = EngineConfig {
        time_field: "received_time".into(),
        ..EngineConfig::default()
    };
    let mut e = engine_with(corr, config);
    let mut a = ev("e1", "v1", "security_access_denied", 0);
    a["received_time"] = json!(1_767_225_600);
    let mut b = ev("e2", "v1", "security_access_denied", 0);
    b["received_time"] = json!(1_767_225_630_000_i64);
    assert!(e.process(&a).new_alerts.is_empty());
    assert_eq!(e.process(&b).new_alerts.len(), 1);
    let no_time = ev("e3", "v1", "security_access_denied", 0);
    assert_eq!(e.process(&no_time).warnings.len(), 1);
}

#[test]
fn correlation_state_is_bounded_and_evicts_expired_windows() {
    let corr = "title: Brute force
id: c1
correlation:
    type: event_count
    rules: uds_denied
    group-by: vehicle_id
    timespan: 1m
    condition:
        gte: 100
";
    let limits = Limits {
        max_groups: 2,
        ..Limits::default()
    };
    let mut e = engine_with(
        corr,
        EngineConfig {
            limits,
            ..EngineConfig::default()
        },
    );
    for (i, v) in ["v1", "v2", "v3", "v4"].iter().enumerate() {
        e.process(&ev(&format!("e{i}"), v, "security_access_denied", 0));
    }
    assert_eq!(e.correlation_state().group_count(), 2);
    e.advance(T0_MS + 61_000);
    assert_eq!(e.correlation_state().group_count(), 0);
}

#[test]
fn ended_window_is_judged_when_evicted_for_room() {
    let corr = "title: Too few heartbeats
id: c3
correlation:
    type: event_count
    rules: uds_read
    group-by: vehicle_id
    timespan: 1m
    condition:
        lt: 2
";
    let limits = Limits {
        max_groups: 1,
        ..Limits::default()
    };
    let mut e = engine_with(
        corr,
        EngineConfig {
            limits,
            ..EngineConfig::default()
        },
    );
    assert!(run(&mut e, &[ev("a1", "v1", "read_did", 0)]).is_empty());
    // v2 arrives two minutes later with the cap full: v1's ended window (one read, 1 < 2)
    // is judged while making room, not dropped.
    let alerts = run(&mut e, &[ev("b1", "v2", "read_did", 120)]);
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].vehicle_id.as_deref(), Some("v1"));
    assert_eq!(alerts[0].evidence, vec!["a1"]);
}
