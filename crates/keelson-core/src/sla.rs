//! Response deadlines per severity: a case is due a set number of days
//! after it was received, the number chosen by its severity.

use serde::{Deserialize, Serialize};

use crate::Severity;

const MICROS_PER_DAY: i64 = 86_400_000_000;

/// Days from receipt to the due date, per severity. A severity without a
/// number gets no due date. The defaults are 7, 30, 60 and 90 days for
/// critical, high, medium and low, and none for `none`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SlaPolicy {
    pub critical: Option<u32>,
    pub high: Option<u32>,
    pub medium: Option<u32>,
    pub low: Option<u32>,
    pub none: Option<u32>,
}

impl Default for SlaPolicy {
    fn default() -> Self {
        Self {
            critical: Some(7),
            high: Some(30),
            medium: Some(60),
            low: Some(90),
            none: None,
        }
    }
}

impl SlaPolicy {
    /// The days allowed for a case of this severity, if any.
    pub fn days(&self, severity: Severity) -> Option<u32> {
        match severity {
            Severity::Critical => self.critical,
            Severity::High => self.high,
            Severity::Medium => self.medium,
            Severity::Low => self.low,
            Severity::None => self.none,
        }
    }

    /// When a case received at `received_at_us` (microseconds since the
    /// epoch) with this severity is due.
    pub fn due_at_us(&self, received_at_us: i64, severity: Severity) -> Option<i64> {
        let days = i64::from(self.days(severity)?);
        Some(received_at_us.saturating_add(days.saturating_mul(MICROS_PER_DAY)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn due_dates_count_whole_days_from_receipt() {
        let policy = SlaPolicy::default();
        // 2026-01-01T00:00:00Z and the documented defaults.
        let received = 1_767_225_600_000_000;
        let day = 86_400_000_000;
        assert_eq!(
            policy.due_at_us(received, Severity::Critical),
            Some(received + 7 * day)
        );
        assert_eq!(
            policy.due_at_us(received, Severity::Low),
            Some(received + 90 * day)
        );
        assert_eq!(policy.due_at_us(received, Severity::None), None);
    }

    #[test]
    fn a_partial_table_keeps_the_other_defaults() {
        let policy: SlaPolicy = serde_json::from_str(r#"{"critical": 3}"#).unwrap_or_default();
        assert_eq!(policy.days(Severity::Critical), Some(3));
        assert_eq!(policy.days(Severity::High), Some(30));
        assert!(serde_json::from_str::<SlaPolicy>(r#"{"urgent": 1}"#).is_err());
    }
}
