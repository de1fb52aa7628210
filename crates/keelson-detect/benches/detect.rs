//! Throughput of detection through 100 active rules with field conditions, and the
//! memory of correlation state per monitored vehicle.
//!
//! Run: `cargo bench -p keelson-detect --bench detect`

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use keelson_detect::{Engine, EngineConfig, RuleSet, load_rules};
use serde_json::{Value, json};

const CATEGORIES: [&str; 6] = ["can", "ids", "uds", "telematics", "backend", "ota"];

/// Rule `i`: a vehicle category, an exact `kind`, an `ecu` prefix, a substring list on
/// `message` and a filter on `user`.
fn bench_rule(i: usize) -> String {
    format!(
        "title: Bench rule {i}
id: 00000000-0000-4000-8000-{i:012}
logsource:
    product: vehicle
    category: {cat}
detection:
    selection:
        kind: 'kind_{k}'
        ecu|startswith: 'ecu_{e}'
    payload:
        message|contains:
            - 'attack_{i}'
            - 'exploit_{i}'
    filter:
        user: 'root'
    condition: selection and payload and not filter
level: high
",
        cat = CATEGORIES[i % 6],
        k = i % 20,
        e = i % 10
    )
}

/// Event `n`: one in a hundred carries a payload that rule 0 matches.
fn bench_event(n: usize) -> Value {
    let hit = n.is_multiple_of(100);
    let source = if hit { "can" } else { CATEGORIES[n % 6] };
    let message = if hit {
        format!("saw attack_{} here", n % 100)
    } else {
        format!("normal frame {n}")
    };
    json!({"event_id": format!("e{n}"), "vehicle_id": format!("v{}", n % 1000),
           "source": source, "kind": format!("kind_{}", n % 20), "ecu": format!("ecu_{}_x", n % 10),
           "vehicle_time": "2026-01-01T00:00:00Z",
           "attributes": {"message": message, "user": "svc"}})
}

fn rules_100() -> RuleSet {
    let sources: Vec<(String, String)> = (0..100)
        .map(|i| (format!("r{i}.yml"), bench_rule(i)))
        .collect();
    load_rules(&sources).0
}

fn throughput(c: &mut Criterion) {
    let set = rules_100();
    let events: Vec<Value> = (0..10_000).map(bench_event).collect();
    let hits: usize = events.iter().map(|e| set.matching(e).len()).sum();
    eprintln!("100 rules, 10000 events: {hits} matches (expected 100)");
    let mut group = c.benchmark_group("detect");
    group.throughput(Throughput::Elements(events.len() as u64));
    group.bench_function("ruleset_matching_100_rules", |b| {
        b.iter(|| {
            events
                .iter()
                .map(|e| set.matching(black_box(e)).len())
                .sum::<usize>()
        })
    });
    group.bench_function("engine_process_100_rules", |b| {
        b.iter_batched(
            || Engine::new(set.clone(), EngineConfig::default()),
            |mut engine| {
                events
                    .iter()
                    .map(|e| engine.process(black_box(e)).matched_rules)
                    .sum::<usize>()
            },
            criterion::BatchSize::LargeInput,
        )
    });
    group.finish();
}

const CORRELATION: &str = "title: Denied
name: denied
logsource:
    product: vehicle
    category: uds
detection:
    sel:
        kind: security_access_denied
    condition: sel
---
title: Brute force
id: bf
correlation:
    type: event_count
    rules: denied
    group-by:
        - vehicle_id
    timespan: 1h
    condition:
        gte: 1000
";

/// Approximate bytes of correlation state per vehicle with `per_vehicle` live hits each.
fn state_bytes_per_vehicle(vehicles: usize, per_vehicle: usize) -> (usize, usize) {
    let (set, _) = load_rules(&[("c.yml", CORRELATION)]);
    let mut engine = Engine::new(set, EngineConfig::default());
    for v in 0..vehicles {
        for k in 0..per_vehicle {
            engine.process(
                &json!({"event_id": format!("ev-{v}-{k}"), "vehicle_id": format!("VIN{v:014}"),
                "source": "uds", "kind": "security_access_denied",
                "vehicle_time": 1_767_225_600_000_i64 + k as i64}),
            );
        }
    }
    let state = engine.correlation_state();
    (state.group_count(), state.approx_bytes())
}

fn correlation_memory(c: &mut Criterion) {
    for per_vehicle in [1, 10] {
        let (groups, bytes) = state_bytes_per_vehicle(10_000, per_vehicle);
        eprintln!(
            "correlation state: {groups} vehicles, {per_vehicle} live hits each: \
             {bytes} bytes, {} bytes per vehicle",
            bytes / groups.max(1)
        );
    }
    c.bench_function("correlation_event_count_10k_vehicles", |b| {
        b.iter(|| state_bytes_per_vehicle(1_000, 3))
    });
}

criterion_group!(benches, throughput, correlation_memory);
criterion_main!(benches);
