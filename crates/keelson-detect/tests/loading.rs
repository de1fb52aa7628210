//! Rule loading reports (ok, unsupported, error with line), the vehicle log-source
//! prefilter, and the alert shape.

use keelson_detect::{Engine, EngineConfig, load_rules};
use serde_json::json;

const GOOD: &str = "title: CAN diagnostic flood
id: 22222222-0000-4000-8000-000000000001
tags:
    - atm.t0012
    - attack.t1498
level: high
logsource:
    product: vehicle
    category: can
detection:
    sel:
        kind: diag_request
        can_id|startswith: '0x7'
    condition: sel
";

#[test]
fn malformed_file_is_an_error_with_line_and_others_keep_working() {
    let broken =
        "title: broken\nlogsource:\n    product: vehicle\ndetection:\n    sel: [unclosed\n";
    let (set, reports) = load_rules(&[("broken.yml", broken), ("good.yml", GOOD)]);
    assert_eq!(reports.len(), 2);
    assert_eq!(reports[0].source, "broken.yml");
    assert_eq!(reports[0].status.as_str(), "error");
    // The flow sequence opened on line 5 is never closed; the parser notices at or after it.
    assert!(reports[0].line >= 5, "line {}", reports[0].line);
    assert!(
        reports[0]
            .status
            .reason()
            .unwrap_or_default()
            .starts_with("yaml syntax")
    );
    assert_eq!(reports[1].status.as_str(), "ok");
    assert_eq!(set.rules().len(), 1);
    let err = reports[0]
        .error()
        .map(|e| (e.kind(), e.line(), e.to_string()));
    let (kind, line, text) = err.unwrap_or_default();
    assert_eq!((kind, line), ("yaml", reports[0].line));
    assert!(text.starts_with("broken.yml:"), "{text}");
    assert!(reports[1].error().is_none());
}

#[test]
fn invalid_rule_reports_its_document_line() {
    let text = format!("{GOOD}---\ntitle: no detection\nlogsource:\n    product: vehicle\n");
    let (set, reports) = load_rules(&[("multi.yml", text.as_str())]);
    assert_eq!(reports.len(), 2);
    assert_eq!(reports[1].status.as_str(), "error");
    // GOOD has 14 lines; the separator is line 15, the second document starts on 16.
    assert_eq!(reports[1].line, 16);
    assert_eq!(set.rules().len(), 1);
}

#[test]
fn an_invalid_value_is_reported_at_its_own_line() {
    let text = "title: bad values
logsource:
    product: vehicle
    category: uds
detection:
    sel:
        kind: uds_response
        nrc|gte: many
    other:
        - a: 1
        - plain keyword
    condition: sel or other
";
    let (set, reports) = load_rules(&[("values.yml", text)]);
    assert_eq!(reports[0].status.as_str(), "error");
    assert_eq!(reports[0].line, 8, "{:?}", reports[0]);
    assert!(
        reports[0]
            .status
            .reason()
            .unwrap_or_default()
            .contains("'many' is not a number"),
        "{:?}",
        reports[0]
    );
    let text = text.replace("nrc|gte: many", "nrc|gte: 35");
    let (_, reports) = load_rules(&[("values.yml", text.as_str())]);
    assert_eq!(reports[0].status.as_str(), "error");
    assert_eq!(reports[0].line, 10, "{:?}", reports[0]);
    let err = reports[0]
        .error()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(err.starts_with("values.yml:10: invalid rule:"), "{err}");
    assert!(set.rules().is_empty());
}

#[test]
fn unsupported_constructs_are_reported_with_reasons() {
    // Each body starts on line 5 of its file; the number is the line of the construct.
    let cases = [
        (
            "sel:\n        cmd|wide|base64offset|contains: x\n    condition: sel",
            "wide",
            6,
        ),
        (
            "sel:\n        a: 1\n    timeframe: 5m\n    condition: sel",
            "timeframe",
            7,
        ),
        (
            "sel:\n        a: 1\n    condition: sel | count() > 5",
            "aggregation",
            7,
        ),
        (
            "sel:\n        m|re: '(?<=x)y'\n    condition: sel",
            "regular expression",
            6,
        ),
    ];
    for (body, reason, line) in cases {
        let text = format!("title: t\nlogsource:\n    product: vehicle\ndetection:\n    {body}\n");
        let (set, reports) = load_rules(&[("u.yml", text.as_str())]);
        assert_eq!(reports[0].status.as_str(), "unsupported", "{body}");
        assert!(
            reports[0]
                .status
                .reason()
                .unwrap_or_default()
                .contains(reason),
            "{body}"
        );
        assert_eq!(reports[0].line, line, "{body}");
        assert!(set.rules().is_empty());
    }
    let vsum = "title: s
correlation:
    type: value_sum
    rules: x
    timespan: 1h
    condition:
        field: b
        gt: 1
";
    let (_, reports) = load_rules(&[("s.yml", vsum)]);
    assert_eq!(reports[0].status.as_str(), "unsupported");
    let bad_category = "title: t
logsource:
    product: vehicle
    category: lidar
detection:
    s:
        a: 1
    condition: s
";
    let (_, reports) = load_rules(&[("c.yml", bad_category)]);
    assert_eq!(reports[0].status.as_str(), "unsupported");
    assert!(
        reports[0]
            .status
            .reason()
            .unwrap_or_default()
            .contains("lidar")
    );
}

#[test]
fn unknown_modifier_is_an_error() {
    let text = "title: t
logsource:
    product: vehicle
detection:
    sel:
        a|bogus: 1
    condition: sel
";
    let (_, reports) = load_rules(&[("e.yml", text)]);
    assert_eq!(reports[0].status.as_str(), "error");
}

#[test]
fn vehicle_category_rules_only_see_their_source() {
    let (set, _) = load_rules(&[("good.yml", GOOD)]);
    let can = json!({"event_id": "e1", "source": "can", "kind": "diag_request",
                     "attributes": {"can_id": "0x7DF"}});
    let mut ids = can.clone();
    ids["source"] = json!("ids");
    assert_eq!(set.matching(&can), vec![0]);
    assert!(set.matching(&ids).is_empty());
}

#[test]
fn foreign_product_rules_skip_vehicle_events_but_see_ecu_logs() {
    let linux = "title: Stack smashing
logsource:
    product: linux
detection:
    k:
        - 'stack smashing detected'
    condition: k
";
    let (set, _) = load_rules(&[("l.yml", linux)]);
    let msg = "*** stack smashing detected ***";
    let can = json!({"source": "can", "attributes": {"msg": msg}});
    let log = json!({"source": "log", "attributes": {"msg": msg}});
    let raw = json!({"msg": msg});
    assert!(set.matching(&can).is_empty());
    assert_eq!(set.matching(&log), vec![0]);
    assert_eq!(set.matching(&raw), vec![0]);
}

#[test]
fn alert_carries_vehicle_build_evidence_and_atm_tags_and_dedups() {
    let (set, _) = load_rules(&[("good.yml", GOOD)]);
    let mut engine = Engine::new(set, EngineConfig::default());
    let event = |id: &str, t: &str| {
        json!({"event_id": id, "vehicle_id": "VIN1", "build_id": "gw-1.0", "source": "can",
               "kind": "diag_request", "vehicle_time": t, "attributes": {"can_id": "0x7E0"}})
    };
    let first = engine
        .process(&event("e1", "2026-01-01T00:00:00Z"))
        .new_alerts;
    let second = engine
        .process(&event("e2", "2026-01-01T00:05:00Z"))
        .new_alerts;
    assert_eq!(first.len(), 1);
    // Five minutes later is inside the default 15-minute window: merged, not new.
    assert!(second.is_empty());
    let alerts = engine.finish();
    assert_eq!(alerts.len(), 1);
    let a = &alerts[0];
    assert_eq!(a.rule_id, "22222222-0000-4000-8000-000000000001");
    assert_eq!(a.rule_title, "CAN diagnostic flood");
    assert_eq!(
        (a.vehicle_id.as_deref(), a.build_id.as_deref()),
        (Some("VIN1"), Some("gw-1.0"))
    );
    assert_eq!(a.count, 2);
    assert_eq!(a.evidence, vec!["e1", "e2"]);
    assert_eq!(a.tags, vec!["ATM-T0012"]);
    // 2026-01-01T00:00:00Z and five minutes later, in epoch milliseconds.
    assert_eq!(
        (a.first_seen, a.last_seen),
        (Some(1_767_225_600_000), Some(1_767_225_900_000))
    );
}

#[test]
fn hostile_inputs_do_not_panic() {
    let inputs = [
        "",
        "---",
        "- a\n- b",
        "title: [",
        "title: t\ndetection: 5\nlogsource: {}",
        "title: t\nlogsource: {}\ndetection:\n  condition: ((((",
        "title: t\nlogsource: {}\ndetection:\n  s: {a|re: '('}\n  condition: s",
        "title: t\ncorrelation:\n  type: temporal\n  rules: [t]\n  timespan: 99999999999999999d",
    ];
    for text in inputs {
        let (set, reports) = load_rules(&[("h.yml", text)]);
        // Every input yields exactly one report, an error, and no active rule.
        assert_eq!(reports.len(), 1, "{text:?}");
        assert_eq!(reports[0].status.as_str(), "error", "{text:?}");
        assert!(set.rules().is_empty() && set.correlations().is_empty());
    }
}

#[test]
fn value_index_is_case_insensitive_like_the_matcher() {
    let (set, _) = load_rules(&[("good.yml", GOOD)]);
    let upper = json!({"source": "can", "kind": "DIAG_Request", "attributes": {"can_id": "0x7DF"}});
    let listed = json!({"source": "can", "kind": ["other", "diag_request"],
                        "attributes": {"can_id": "0x7DF"}});
    let wrong =
        json!({"source": "can", "kind": "diag_response", "attributes": {"can_id": "0x7DF"}});
    assert_eq!(set.matching(&upper), vec![0]);
    assert_eq!(set.matching(&listed), vec![0]);
    assert!(set.matching(&wrong).is_empty());
    // Reached through the index on `kind`, the rule still tests its other fields.
    let other_id =
        json!({"source": "can", "kind": "diag_request", "attributes": {"can_id": "0x100"}});
    assert!(set.matching(&other_id).is_empty());
}

#[test]
fn deeply_nested_yaml_does_not_overflow() {
    let deep = format!(
        "title: t\nx: {}{}\n",
        "[".repeat(20_000),
        "]".repeat(20_000)
    );
    let (_, reports) = load_rules(&[("deep.yml", deep.as_str())]);
    assert_eq!(reports.len(), 1);
    assert_ne!(reports[0].status.as_str(), "ok");
}

#[test]
fn reports_serialise_for_the_validate_command() {
    let bad = "title: t
logsource:
    product: vehicle
detection:
    s:
        a|wide: x
    condition: s
";
    let (_, reports) = load_rules(&[("good.yml", GOOD), ("bad.yml", bad)]);
    let json = serde_json::to_value(&reports).unwrap_or_default();
    assert_eq!(
        json[0],
        json!({"source": "good.yml", "rule": "22222222-0000-4000-8000-000000000001",
               "status": "ok", "line": 1})
    );
    assert_eq!(json[1]["status"], "unsupported");
    assert_eq!(json[1]["rule"], "t");
    assert!(
        json[1]["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("wide")
    );
}

#[test]
fn every_firing_is_a_sighting_even_when_it_merges() {
    let (set, _) = load_rules(&[("good.yml", GOOD)]);
    let mut engine = Engine::new(set, EngineConfig::default());
    let event = |id: &str, t: &str| {
        json!({"event_id": id, "vehicle_id": "VIN1", "source": "can", "kind": "diag_request",
               "vehicle_time": t, "attributes": {"can_id": "0x7E0"}})
    };
    let first = engine.process(&event("e1", "2026-01-01T00:00:00Z"));
    let second = engine.process(&event("e2", "2026-01-01T00:05:00Z"));
    assert_eq!((first.new_alerts.len(), first.sightings.len()), (1, 1));
    // Merged into the open alert, yet still handed over as a sighting of its own.
    assert_eq!((second.new_alerts.len(), second.sightings.len()), (0, 1));
    assert_eq!(second.sightings[0].evidence, vec!["e2"]);
    assert_eq!(second.sightings[0].count, 1);
}
