//! The compiled rule set: the store's firing rules (`test`, `active`,
//! `heightened`, not past `valid_until`) grouped by scope, one engine per
//! group, so that an event reaches only the rules whose scope admits it and
//! a scoped correlation counts only events from its scope.

use std::collections::HashMap;

use keelson_core::{Marking, Severity};
use keelson_detect::{
    Alert, Engine, EngineConfig, NumericTime, RuleStatus as LoadStatus, load_rules,
};
use keelson_store::alerts::Sighting;
use keelson_store::rules::{DetectionRule, RuleScope, RuleStatus};
use keelson_store::telemetry::NewEvent;
use serde_json::{Map, Value};

use super::rules::parse_date;

/// The event field that carries the store key (cited as evidence).
pub(crate) const KEY_FIELD: &str = "_key";
/// The event field that carries the event time in milliseconds: the
/// vehicle's clock, else the time Keelson received it.
pub(crate) const TIME_FIELD: &str = "_time_ms";

/// What detection needs to know about a stored rule.
#[derive(Debug, Clone)]
struct RuleInfo {
    record_id: String,
    status: RuleStatus,
    valid_until: Option<time::Date>,
    marking: Marking,
    atm_tags: Vec<String>,
}

/// One scope with its engine and the rules in it, by Sigma label.
#[derive(Debug)]
pub(crate) struct ScopedEngine {
    pub scope: RuleScope,
    pub engine: Engine,
    rules: HashMap<String, RuleInfo>,
}

/// The whole compiled set; empty when no rule fires.
#[derive(Debug, Default)]
pub(crate) struct Compiled {
    pub groups: Vec<ScopedEngine>,
    /// Rules that no longer loaded (a stored rule the current engine refuses).
    pub problems: Vec<String>,
}

impl Compiled {
    /// Compiles every rule that may fire on `today`.
    pub fn build(rules: &[DetectionRule], today: time::Date, dedup_window_ms: i64) -> Self {
        let mut by_scope: Vec<(RuleScope, Vec<&DetectionRule>)> = Vec::new();
        for rule in rules.iter().filter(|rule| may_fire(rule, today)) {
            match by_scope.iter_mut().find(|(scope, _)| *scope == rule.scope) {
                Some((_, members)) => members.push(rule),
                None => by_scope.push((rule.scope.clone(), vec![rule])),
            }
        }
        let mut compiled = Compiled::default();
        for (scope, members) in by_scope {
            let group = compile_group(scope, &members, dedup_window_ms, &mut compiled.problems);
            compiled.groups.push(group);
        }
        compiled
    }

    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    pub fn needs_models(&self) -> bool {
        self.groups
            .iter()
            .any(|group| !group.scope.models.is_empty())
    }
}

fn may_fire(rule: &DetectionRule, today: time::Date) -> bool {
    let expired = rule
        .valid_until
        .as_deref()
        .and_then(parse_date)
        .is_some_and(|last_day| today > last_day);
    rule.status.fires() && !expired
}

fn compile_group(
    scope: RuleScope,
    members: &[&DetectionRule],
    dedup_window_ms: i64,
    problems: &mut Vec<String>,
) -> ScopedEngine {
    let sources: Vec<(&str, &str)> = members
        .iter()
        .map(|rule| (rule.id.as_str(), rule.sigma.as_str()))
        .collect();
    let (set, reports) = load_rules(&sources);
    let mut rules = HashMap::new();
    for report in reports {
        if report.status != LoadStatus::Ok {
            problems.push(format!("rule {}: {:?}", report.source, report.status));
            continue;
        }
        if let Some(rule) = members.iter().find(|rule| rule.id == report.source) {
            rules.insert(report.rule, info(rule));
        }
    }
    let config = EngineConfig {
        time_field: TIME_FIELD.to_owned(),
        event_id_field: KEY_FIELD.to_owned(),
        numeric_time: NumericTime::Millis,
        dedup_window_ms,
        ..EngineConfig::default()
    };
    ScopedEngine {
        scope,
        engine: Engine::new(set, config),
        rules,
    }
}

fn info(rule: &DetectionRule) -> RuleInfo {
    RuleInfo {
        record_id: rule.id.clone(),
        status: rule.status,
        valid_until: rule.valid_until.as_deref().and_then(parse_date),
        marking: rule.marking.clone(),
        atm_tags: rule.atm_tags.clone(),
    }
}

impl ScopedEngine {
    /// Whether the scope admits an event of this build from a vehicle of this model.
    pub fn admits(&self, build: Option<&str>, model: Option<&str>) -> bool {
        let build_ok = self.scope.builds.is_empty()
            || build.is_some_and(|b| self.scope.builds.iter().any(|s| s == b));
        let model_ok = self.scope.models.is_empty()
            || model.is_some_and(|m| self.scope.models.iter().any(|s| s == m));
        build_ok && model_ok
    }

    /// The engine's alert as a sighting to store, unless its rule expired
    /// since the set was compiled. `now_us` stands in for a missing time.
    pub fn sighting(&self, alert: Alert, today: time::Date, now_us: i64) -> Option<Sighting> {
        let rule = self.rules.get(&alert.rule_id)?;
        if rule.valid_until.is_some_and(|last_day| today > last_day) {
            return None;
        }
        let level = alert
            .level
            .as_deref()
            .and_then(|level| level.parse().ok())
            .unwrap_or(Severity::Medium);
        // Heightened monitoring: the alert stands one step above the rule's level.
        let heightened = rule.status == RuleStatus::Heightened;
        let severity = if heightened { level.raised() } else { level };
        let micros = |ms: Option<i64>| ms.map_or(now_us, |ms| ms.saturating_mul(1_000));
        Some(Sighting {
            rule_id: rule.record_id.clone(),
            sigma_rule: alert.rule_id,
            title: alert.rule_title,
            severity,
            test: rule.status == RuleStatus::Test,
            heightened,
            correlation: alert.correlation,
            vehicle_id: alert.vehicle_id,
            build_id: alert.build_id,
            first_seen_us: micros(alert.first_seen),
            last_seen_us: micros(alert.last_seen),
            count: alert.count,
            evidence: alert.evidence,
            atm_tags: rule.atm_tags.clone(),
            marking: rule.marking.clone(),
        })
    }
}

/// A stored event as the engine reads it: the normalized event's fields
/// (absent ones left out, as in offline detection) plus the store key and
/// a millisecond time.
pub(crate) fn event_value(event: &NewEvent) -> Value {
    let mut object = Map::new();
    let mut put = |name: &str, value: Option<Value>| {
        if let Some(value) = value {
            object.insert(name.to_owned(), value);
        }
    };
    put("event_id", event.event_id.clone().map(Value::String));
    put("vehicle_id", event.vehicle_id.clone().map(Value::String));
    put("source", Some(Value::String(event.source.clone())));
    put("kind", Some(Value::String(event.kind.clone())));
    put(
        "vehicle_time",
        event
            .vehicle_time_us
            .map(|t| keelson_store::format_us(t).into()),
    );
    put(
        "received_time",
        Some(keelson_store::format_us(event.received_time_us).into()),
    );
    put("ecu", event.ecu.clone().map(Value::String));
    put("build_id", event.build_id.clone().map(Value::String));
    let attributes = serde_json::from_str(&event.attributes).unwrap_or(Value::Object(Map::new()));
    put("attributes", Some(attributes));
    put(KEY_FIELD, Some(Value::String(event.dedup_key.clone())));
    let time_us = event.vehicle_time_us.unwrap_or(event.received_time_us);
    put(TIME_FIELD, Some(Value::from(time_us / 1_000)));
    Value::Object(object)
}
