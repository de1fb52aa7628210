//! The detection engine: runs a `RuleSet` over events, feeds correlations, and turns
//! matches and firings into deduplicated alerts.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::alert::{Alert, AlertBook};
use crate::event::{EventFields, FieldValue};
use crate::sigma::correlation::RuleRef;
use crate::sigma::rule::RuleMeta;
use crate::sigma::window::{CorrelationState, Firing, Hit, Limits};
use crate::sigma::{CorrelationRule, RuleSet};

/// Which event fields the engine reads for time and identity, and its bounds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineConfig {
    /// Field holding the event time (RFC 3339 text, or epoch seconds/milliseconds).
    pub time_field: String,
    /// Field holding the event id cited as evidence.
    pub event_id_field: String,
    /// Field holding the vehicle id.
    pub vehicle_field: String,
    /// Field holding the software build id.
    pub build_field: String,
    /// Alerts of one rule and vehicle closer than this merge into one.
    pub dedup_window_ms: i64,
    /// How a numeric time field is read.
    pub numeric_time: NumericTime,
    /// Bounds of the correlation state.
    pub limits: Limits,
}

/// The unit of a numeric event time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NumericTime {
    /// Epoch seconds below 10^11, epoch milliseconds above.
    #[default]
    Auto,
    /// Seconds.
    Seconds,
    /// Milliseconds.
    Millis,
    /// Microseconds (such as the `offset_us` attribute of relative-clock captures).
    Micros,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            time_field: "vehicle_time".into(),
            event_id_field: "event_id".into(),
            vehicle_field: "vehicle_id".into(),
            build_field: "build_id".into(),
            dedup_window_ms: 15 * 60_000,
            numeric_time: NumericTime::Auto,
            limits: Limits::default(),
        }
    }
}

/// What processing one event produced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Processed {
    /// Detection rules the event matched.
    pub matched_rules: usize,
    /// Alerts opened by this event (later sightings merge into them silently).
    pub new_alerts: Vec<Alert>,
    /// Every detection or correlation firing of this event, before merging: what a
    /// caller that keeps its own alert book (the server's store) records.
    pub sightings: Vec<Alert>,
    /// Problems that did not stop processing (such as a missing event time).
    pub warnings: Vec<String>,
}

/// Identity fields of the event being processed.
struct EventInfo {
    time: Option<i64>,
    event_id: Option<String>,
    vehicle: Option<String>,
    build: Option<String>,
}

/// Detection, correlation and alerting over a stream of events.
#[derive(Debug, Clone)]
pub struct Engine {
    rules: RuleSet,
    config: EngineConfig,
    state: CorrelationState,
    alerts: AlertBook,
    rule_consumers: Vec<Vec<(usize, usize)>>,
    corr_consumers: Vec<Vec<(usize, usize)>>,
    rule_alerts: Vec<bool>,
    corr_alerts: Vec<bool>,
}

impl Engine {
    /// An engine over `rules`.
    pub fn new(rules: RuleSet, config: EngineConfig) -> Self {
        let corrs = rules.correlations();
        let mut rule_consumers = vec![Vec::new(); rules.rules().len()];
        let mut corr_consumers = vec![Vec::new(); corrs.len()];
        let mut rule_alerts = vec![true; rules.rules().len()];
        let mut corr_alerts = vec![true; corrs.len()];
        for (c, corr) in corrs.iter().enumerate() {
            for (pos, target) in corr.targets.iter().enumerate() {
                let (consumers, alerts, i) = match *target {
                    RuleRef::Detection(i) => (&mut rule_consumers, &mut rule_alerts, i),
                    RuleRef::Correlation(i) => (&mut corr_consumers, &mut corr_alerts, i),
                };
                if let Some(list) = consumers.get_mut(i) {
                    list.push((c, pos));
                }
                // Without `generate: true` a referenced rule only feeds the correlation.
                if !corr.generate
                    && let Some(a) = alerts.get_mut(i)
                {
                    *a = false;
                }
            }
        }
        let state = CorrelationState::new(corrs.len(), config.limits);
        let alerts = AlertBook::new(config.dedup_window_ms, config.limits.max_evidence);
        Self {
            rules,
            config,
            state,
            alerts,
            rule_consumers,
            corr_consumers,
            rule_alerts,
            corr_alerts,
        }
    }

    /// The loaded rules.
    pub fn rules(&self) -> &RuleSet {
        &self.rules
    }

    /// The live correlation state (for memory accounting).
    pub fn correlation_state(&self) -> &CorrelationState {
        &self.state
    }

    /// Runs every rule over one event.
    pub fn process<E: EventFields + ?Sized>(&mut self, event: &E) -> Processed {
        let matched = self.rules.matching(event);
        let mut out = Processed {
            matched_rules: matched.len(),
            ..Processed::default()
        };
        if matched.is_empty() {
            return out;
        }
        let info = self.event_info(event);
        for &i in &matched {
            if self.rule_alerts.get(i) == Some(&true)
                && let Some(alert) = self.detection_alert(i, &info)
            {
                self.sight(alert, &mut out);
            }
            self.feed_correlations(i, event, &info, &mut out);
        }
        out
    }

    /// Moves time to `now_ms`: closes correlation windows that ended and returns the
    /// alerts their window-end conditions opened.
    pub fn advance(&mut self, now_ms: i64) -> Vec<Alert> {
        self.advance_processed(now_ms).new_alerts
    }

    /// Like [`Engine::advance`], also returning every firing (`Processed::sightings`).
    pub fn advance_processed(&mut self, now_ms: i64) -> Processed {
        let firings = self.state.advance(now_ms, self.rules.correlations());
        let info = EventInfo {
            time: Some(now_ms),
            event_id: None,
            vehicle: None,
            build: None,
        };
        let mut sink = Processed::default();
        for f in firings {
            self.on_firing(f, None::<&serde_json::Value>, &info, &mut sink);
        }
        sink
    }

    /// Alerts whose deduplication window ended before `now_ms`: final, safe to store.
    pub fn drain_closed(&mut self, now_ms: i64) -> Vec<Alert> {
        self.alerts.drain_closed(now_ms)
    }

    /// Ends the stream: judges open windows and returns every alert.
    pub fn finish(mut self) -> Vec<Alert> {
        self.advance(i64::MAX);
        self.alerts.finish()
    }

    /// Records one firing: as a sighting, and as a new alert when it opens one.
    fn sight(&mut self, alert: Alert, out: &mut Processed) {
        out.sightings.push(alert.clone());
        out.new_alerts.extend(self.alerts.record(alert));
    }

    fn event_info<E: EventFields + ?Sized>(&self, event: &E) -> EventInfo {
        let text = |f: &str| {
            event
                .field(f)
                .and_then(|v| v.as_text().map(|t| t.into_owned()))
        };
        EventInfo {
            time: event
                .field(&self.config.time_field)
                .as_ref()
                .and_then(|v| event_time(v, self.config.numeric_time)),
            event_id: text(&self.config.event_id_field),
            vehicle: text(&self.config.vehicle_field),
            build: text(&self.config.build_field),
        }
    }

    fn detection_alert(&self, rule: usize, info: &EventInfo) -> Option<Alert> {
        let meta = &self.rules.rules().get(rule)?.meta;
        let mut alert = base_alert(meta, false);
        alert.vehicle_id = info.vehicle.clone();
        alert.build_id = info.build.clone();
        alert.first_seen = info.time;
        alert.last_seen = info.time;
        alert.evidence = info.event_id.iter().cloned().collect();
        Some(alert)
    }

    fn feed_correlations<E: EventFields + ?Sized>(
        &mut self,
        rule: usize,
        event: &E,
        info: &EventInfo,
        out: &mut Processed,
    ) {
        let consumers = self.rule_consumers.get(rule).cloned().unwrap_or_default();
        if consumers.is_empty() {
            return;
        }
        let Some(time) = info.time else {
            out.warnings.push(format!(
                "event {} has no usable '{}': correlations skipped",
                info.event_id.as_deref().unwrap_or("?"),
                self.config.time_field
            ));
            return;
        };
        for (c, pos) in consumers {
            let Some(corr) = self.rules.correlations().get(c) else {
                continue;
            };
            let group = group_values(corr, pos, |f| event_text(event, f));
            let value = corr.field.as_deref().and_then(|f| event_text(event, f));
            let hit = Hit {
                time,
                source_pos: pos,
                event_ids: info.event_id.iter().cloned().collect(),
                value,
            };
            for f in self.state.observe(c, corr, group, hit) {
                self.on_firing(f, Some(event), info, out);
            }
        }
    }

    fn on_firing<E: EventFields + ?Sized>(
        &mut self,
        firing: Firing,
        event: Option<&E>,
        info: &EventInfo,
        out: &mut Processed,
    ) {
        let c = firing.correlation;
        if self.corr_alerts.get(c) == Some(&true)
            && let Some(alert) = self.firing_alert(&firing, info)
        {
            self.sight(alert, out);
        }
        let consumers = self.corr_consumers.get(c).cloned().unwrap_or_default();
        for (next, pos) in consumers {
            let Some(corr) = self.rules.correlations().get(next) else {
                continue;
            };
            let lookup = |f: &str| {
                firing
                    .group
                    .iter()
                    .find(|(k, _)| k == f)
                    .map(|(_, v)| v.clone())
                    .or_else(|| event.and_then(|e| event_text(e, f)))
            };
            let group = group_values(corr, pos, lookup);
            let value = corr.field.as_deref().and_then(lookup);
            let hit = Hit {
                time: firing.last,
                source_pos: pos,
                event_ids: firing.event_ids.clone(),
                value,
            };
            for f in self.state.observe(next, corr, group, hit) {
                self.on_firing(f, event, info, out);
            }
        }
    }

    fn firing_alert(&self, firing: &Firing, info: &EventInfo) -> Option<Alert> {
        let corr = self.rules.correlations().get(firing.correlation)?;
        let mut alert = base_alert(&corr.meta, true);
        let from_group = firing
            .group
            .iter()
            .find(|(k, _)| *k == self.config.vehicle_field);
        alert.vehicle_id = from_group
            .map(|(_, v)| v.clone())
            .or_else(|| info.vehicle.clone());
        alert.build_id = info.build.clone();
        alert.first_seen = Some(firing.first);
        alert.last_seen = Some(firing.last);
        alert.evidence = firing.event_ids.clone();
        Some(alert)
    }
}

fn base_alert(meta: &RuleMeta, correlation: bool) -> Alert {
    Alert {
        rule_id: meta.label(),
        rule_title: meta.title.clone(),
        level: meta.level.clone(),
        correlation,
        vehicle_id: None,
        build_id: None,
        first_seen: None,
        last_seen: None,
        count: 1,
        evidence: Vec::new(),
        tags: meta.atm_techniques(),
    }
}

/// The group-by values for a hit from the correlation's `pos`-th rule, honouring aliases.
fn group_values(
    corr: &CorrelationRule,
    pos: usize,
    lookup: impl Fn(&str) -> Option<String>,
) -> Vec<(String, String)> {
    let reference = corr.rules.get(pos).map(String::as_str).unwrap_or_default();
    corr.group_by
        .iter()
        .map(|g| {
            let field = corr
                .aliases
                .get(g)
                .and_then(|per_rule| per_rule.get(reference))
                .map_or(g.as_str(), String::as_str);
            (g.clone(), lookup(field).unwrap_or_default())
        })
        .collect()
}

fn event_text<E: EventFields + ?Sized>(event: &E, field: &str) -> Option<String> {
    event
        .field(field)
        .and_then(|v| v.as_text().map(|t| t.into_owned()))
}

/// Reads an event time in epoch milliseconds: RFC 3339 text, or a number in `unit`.
pub fn event_time(value: &FieldValue<'_>, unit: NumericTime) -> Option<i64> {
    let number = match value {
        FieldValue::Str(s) => {
            return OffsetDateTime::parse(s.trim(), &Rfc3339)
                .ok()
                .and_then(|t| i64::try_from(t.unix_timestamp_nanos() / 1_000_000).ok());
        }
        FieldValue::Int(i) => *i as f64,
        FieldValue::Float(f) if f.is_finite() => *f,
        _ => return None,
    };
    let factor = match unit {
        NumericTime::Auto if number.abs() < 1e11 => 1_000.0,
        NumericTime::Auto | NumericTime::Millis => 1.0,
        NumericTime::Seconds => 1_000.0,
        NumericTime::Micros => 0.001,
    };
    let ms = number * factor;
    // Outside about +-292 million years the value is not a time.
    (ms.abs() < 9.2e18).then_some(ms as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_time_forms() {
        let text = FieldValue::Str("2026-01-01T00:00:01.5+01:00".into());
        // 2025-12-31T23:00:01.5Z = 1767222001500 ms.
        assert_eq!(
            event_time(&text, NumericTime::Auto),
            Some(1_767_222_001_500)
        );
        assert_eq!(
            event_time(&FieldValue::Int(1_767_225_600), NumericTime::Auto),
            Some(1_767_225_600_000)
        );
        assert_eq!(
            event_time(&FieldValue::Int(1_767_225_600_000), NumericTime::Auto),
            Some(1_767_225_600_000)
        );
        assert_eq!(
            event_time(&FieldValue::Int(2_500_000), NumericTime::Micros),
            Some(2_500)
        );
        assert_eq!(
            event_time(&FieldValue::Str("yesterday".into()), NumericTime::Auto),
            None
        );
        assert_eq!(
            event_time(&FieldValue::Float(f64::MAX), NumericTime::Auto),
            None
        );
    }
}
