//! No panic on any input: every prefix of real rule files loads to reports, and odd
//! event shapes run through the loaded rules.

use keelson_detect::{Engine, EngineConfig, load_rules};
use serde_json::json;

const RULE: &str = "title: Denied
id: 33333333-0000-4000-8000-000000000001
name: denied
tags: [atm.t0001]
logsource:
    product: vehicle
    category: uds
detection:
    sel:
        kind|startswith: 'uds.'
        nrc|re|i: '^0x3[35]$'
        tester|cidr: 10.0.0.0/8
    kw:
        - 'seed*key'
    filter:
        level|gte: 3
    condition: (sel or kw) and not filter
---
title: Brute force
id: bf
correlation:
    type: value_count
    rules: denied
    group-by: [vehicle_id, ecu]
    timespan: 10m
    condition:
        field: tester
        gte: 2
        lte: 50
";

#[test]
fn every_prefix_of_a_rule_file_loads_without_panic() {
    let mut cases = 0;
    for (i, _) in RULE.char_indices() {
        let prefix = RULE.get(..i).unwrap_or_default();
        let (_, reports) = load_rules(&[("prefix.yml", prefix)]);
        assert!(!reports.is_empty(), "prefix of {i} bytes gave no report");
        cases += 1;
    }
    eprintln!("rule prefixes: {cases} cases");
    assert_eq!(cases, RULE.chars().count());
}

#[test]
fn odd_event_shapes_do_not_panic() {
    let (set, reports) = load_rules(&[("r.yml", RULE)]);
    assert!(
        reports.iter().all(|r| r.status.as_str() == "ok"),
        "{reports:?}"
    );
    let mut engine = Engine::new(set, EngineConfig::default());
    let events = [
        json!(null),
        json!([1, 2, 3]),
        json!("a string"),
        json!({}),
        json!({"source": 5, "kind": null}),
        json!({"source": "uds", "kind": ["uds.x", {"a": 1}], "nrc": [true, 1.5e300],
               "tester": "10.1.2.3", "vehicle_time": -1}),
        json!({"source": "UDS", "kind": "uds.rx", "nrc": "0x35", "tester": "10.0.0.1",
               "vehicle_time": 1e300, "attributes": "not an object"}),
        json!({"source": "uds", "kind": "uds.rx", "nrc": "0x33", "tester": "10.9.9.9",
               "vehicle_time": "2026-13-45T99:99:99Z", "event_id": {"x": 1}}),
        json!({"source": "uds", "attributes": {"msg": "SEED then KEY"},
               "vehicle_time": "2026-01-01T00:00:00Z", "vehicle_id": "v", "tester": "::1"}),
    ];
    let mut matched = 0;
    for e in &events {
        matched += engine.process(e).matched_rules;
    }
    // The UDS events with nrc 0x35 and 0x33 in 10/8 match `sel`; the last matches `kw`.
    assert_eq!(matched, 3);
    let _ = engine.finish();
}
