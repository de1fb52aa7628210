//! Each attack scenario, run through Keelson's Sigma engine with the
//! shipped rules (`rules/`) and the demo's (`demo/rules/`), fires the rules
//! it is meant to; the background traffic alone fires none of them.

use std::collections::BTreeSet;
use std::path::Path;

use keelson_detect::{Engine, EngineConfig, RuleSet, load_rules};
use keelson_sim::{Attack, CYCLE_SECS, Generator, Settings};
use keelson_telemetry::Event;
use time::{Duration, OffsetDateTime};

fn rule_files(dir: &Path, into: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(dir).expect("rules dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rule_files(&path, into);
        } else if path.extension().is_some_and(|e| e == "yml") {
            let text = std::fs::read_to_string(&path).expect("rule text");
            into.push((path.display().to_string(), text));
        }
    }
}

fn rules() -> RuleSet {
    let root = keelson_testkit::repo_root();
    let mut sources = Vec::new();
    rule_files(&root.join("rules"), &mut sources);
    rule_files(&root.join("demo/rules"), &mut sources);
    let (set, reports) = load_rules(&sources);
    for report in &reports {
        assert_eq!(report.status, keelson_detect::RuleStatus::Ok, "{report:?}");
    }
    set
}

/// The rule IDs that alert on `events`.
fn fired(events: &[Event]) -> BTreeSet<String> {
    let mut engine = Engine::new(rules(), EngineConfig::default());
    for event in events {
        let value = serde_json::to_value(event).expect("json");
        engine.process(&value);
    }
    let alerts = engine.finish();
    alerts.into_iter().map(|alert| alert.rule_id).collect()
}

fn generate(attacks: bool, seconds: i64) -> Vec<Event> {
    let start = OffsetDateTime::from_unix_timestamp(1_780_000_000).expect("time");
    let settings = Settings {
        seed: 5,
        vehicles: 24,
        rate: 30.0,
        start,
        attacks,
    };
    let mut generator = Generator::new(settings);
    (1..=seconds)
        .flat_map(|second| generator.advance_to(start + Duration::seconds(second)))
        .collect()
}

#[test]
fn one_cycle_of_attacks_fires_every_intended_rule() {
    let found = fired(&generate(true, CYCLE_SECS));
    for attack in Attack::ALL {
        for rule in attack.rule_ids() {
            assert!(
                found.contains(*rule),
                "{} did not fire {rule}: {found:?}",
                attack.name()
            );
        }
    }
}

#[test]
fn fan_out_fires_with_twenty_vehicles_or_more() {
    let found = fired(&generate(true, 90));
    assert!(
        found.contains("6f1d2a0e-3c4b-4e8a-9d11-5a0c7b2e4f07"),
        "{found:?}"
    );
}

#[test]
fn background_traffic_alone_fires_no_attack_rule() {
    let found = fired(&generate(false, CYCLE_SECS));
    let attack_rules: BTreeSet<String> = Attack::ALL
        .iter()
        .flat_map(|attack| attack.rule_ids().iter().map(|id| (*id).to_owned()))
        .collect();
    let overlap: Vec<&String> = found.intersection(&attack_rules).collect();
    assert!(overlap.is_empty(), "{overlap:?}");
}
