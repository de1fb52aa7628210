//! Alerts: what the engine reports, deduplicated per rule and vehicle within a window.

use std::collections::HashMap;

use serde::Serialize;

/// One alert: a rule (detection or correlation) that fired for a vehicle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Alert {
    /// The rule's id (else name, else title).
    pub rule_id: String,
    /// The rule's title.
    pub rule_title: String,
    /// The rule's level (`informational` .. `critical`), if given.
    pub level: Option<String>,
    /// Whether a correlation rule produced it.
    pub correlation: bool,
    /// The vehicle, when the events carry one.
    pub vehicle_id: Option<String>,
    /// The software build, when the events carry one.
    pub build_id: Option<String>,
    /// Earliest event time, milliseconds since the Unix epoch (`None` without event time).
    pub first_seen: Option<i64>,
    /// Latest event time, milliseconds since the Unix epoch.
    pub last_seen: Option<i64>,
    /// How many detections were merged into this alert.
    pub count: u64,
    /// Contributing event ids, oldest first (capped).
    pub evidence: Vec<String>,
    /// Automotive Threat Matrix technique tags of the rule (`ATM-T0001` form).
    pub tags: Vec<String>,
}

/// Merges detections of the same rule and vehicle that fall within `window_ms` of the
/// alert's last sighting; anything later opens a new alert.
#[derive(Debug, Clone)]
pub struct AlertBook {
    window_ms: i64,
    max_evidence: usize,
    open: HashMap<(String, Option<String>), Alert>,
    closed: Vec<Alert>,
}

impl AlertBook {
    /// An empty book.
    pub fn new(window_ms: i64, max_evidence: usize) -> Self {
        Self {
            window_ms,
            max_evidence,
            open: HashMap::new(),
            closed: Vec::new(),
        }
    }

    /// Records a detection; returns the alert when it opened a new one.
    pub fn record(&mut self, alert: Alert) -> Option<Alert> {
        let key = (alert.rule_id.clone(), alert.vehicle_id.clone());
        if let Some(open) = self.open.get_mut(&key) {
            if within(open.last_seen, alert.first_seen, self.window_ms) {
                merge(open, alert, self.max_evidence);
                return None;
            }
            if let Some(old) = self.open.remove(&key) {
                self.closed.push(old);
            }
        }
        self.open.insert(key, alert.clone());
        Some(alert)
    }

    /// Closes alerts whose window ended before `now` and returns every closed alert.
    pub fn drain_closed(&mut self, now: i64) -> Vec<Alert> {
        let window = self.window_ms;
        let mut done = std::mem::take(&mut self.closed);
        self.open.retain(|_, a| {
            let keep = a.last_seen.is_none_or(|t| t.saturating_add(window) >= now);
            if !keep {
                done.push(a.clone());
            }
            keep
        });
        sort_alerts(&mut done);
        done
    }

    /// Closes and returns every alert.
    pub fn finish(mut self) -> Vec<Alert> {
        let mut all = std::mem::take(&mut self.closed);
        all.extend(self.open.into_values());
        sort_alerts(&mut all);
        all
    }

    /// Alerts currently open.
    pub fn open_count(&self) -> usize {
        self.open.len()
    }
}

fn within(last: Option<i64>, next: Option<i64>, window: i64) -> bool {
    match (last, next) {
        (Some(l), Some(n)) => n.saturating_sub(l) <= window,
        // Without event times there is no window to leave: merge.
        _ => true,
    }
}

fn merge(open: &mut Alert, new: Alert, max_evidence: usize) {
    open.count = open.count.saturating_add(new.count);
    open.first_seen = min_opt(open.first_seen, new.first_seen);
    open.last_seen = open.last_seen.max(new.last_seen);
    if open.build_id.is_none() {
        open.build_id = new.build_id;
    }
    for id in new.evidence {
        if open.evidence.len() >= max_evidence {
            break;
        }
        if !open.evidence.contains(&id) {
            open.evidence.push(id);
        }
    }
}

fn min_opt(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, y) => x.or(y),
    }
}

fn sort_alerts(alerts: &mut [Alert]) {
    alerts.sort_by(|a, b| {
        (a.first_seen, &a.rule_id, &a.vehicle_id).cmp(&(b.first_seen, &b.rule_id, &b.vehicle_id))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert(vehicle: &str, t: i64, ev: &str) -> Alert {
        Alert {
            rule_id: "r1".into(),
            rule_title: "R".into(),
            level: Some("high".into()),
            correlation: false,
            vehicle_id: Some(vehicle.into()),
            build_id: None,
            first_seen: Some(t),
            last_seen: Some(t),
            count: 1,
            evidence: vec![ev.into()],
            tags: Vec::new(),
        }
    }

    #[test]
    fn same_rule_and_vehicle_within_window_merge() {
        let mut book = AlertBook::new(60_000, 10);
        assert!(book.record(alert("v1", 0, "e1")).is_some());
        assert!(book.record(alert("v1", 30_000, "e2")).is_none());
        assert!(book.record(alert("v2", 30_000, "e3")).is_some());
        // 90 s after the last sighting (30 s) is outside the 60 s window: a new alert.
        assert!(book.record(alert("v1", 120_000, "e4")).is_some());
        let all = book.finish();
        assert_eq!(all.len(), 3);
        let first = &all[0];
        assert_eq!(
            (first.count, first.first_seen, first.last_seen),
            (2, Some(0), Some(30_000))
        );
        assert_eq!(first.evidence, vec!["e1".to_string(), "e2".to_string()]);
    }

    #[test]
    fn drain_closed_returns_only_expired_alerts() {
        let mut book = AlertBook::new(1_000, 10);
        book.record(alert("v1", 0, "e1"));
        book.record(alert("v2", 5_000, "e2"));
        let closed = book.drain_closed(5_500);
        assert_eq!(closed.len(), 1);
        assert_eq!(closed[0].vehicle_id.as_deref(), Some("v1"));
        assert_eq!(book.open_count(), 1);
    }
}
