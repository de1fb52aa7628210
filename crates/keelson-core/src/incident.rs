//! The VSOC incident vocabulary: the states an incident moves through and
//! the response times measured from their stamps.
//!
//! An incident moves forward along `new -> acknowledged -> investigating ->
//! contained -> resolved` and may skip states (an analyst who contains an
//! attack at once has acknowledged it too); `false_positive` closes it from
//! any open state. A closed incident (resolved or false positive) may be
//! reopened to `investigating`. Reaching a state stamps it and every state
//! it skipped with the same time, so each response time is defined as soon
//! as the incident is past its state.
//!
//! The response times, each in whole microseconds:
//!
//! - MTTD, time to detect: from the first event an incident's alerts cite
//!   (its earliest `first_seen`) to its detection (the first alert stored);
//! - MTTA, time to acknowledge: from detection to `acknowledged`;
//! - MTTC, time to contain: from detection to `contained`;
//! - MTTR, time to resolve: from detection to `resolved`.
//!
//! A false positive has a detection time but no containment or resolution.

use std::fmt;

use serde::Serialize;

use crate::case::{join_words, vocabulary};

vocabulary!(
    /// Where an incident is in its response.
    IncidentState, "incident state", {
        New => "new",
        Acknowledged => "acknowledged",
        Investigating => "investigating",
        Contained => "contained",
        Resolved => "resolved",
        FalsePositive => "false_positive",
    }
);

/// The forward line of states, in order.
const LINE: [IncidentState; 5] = [
    IncidentState::New,
    IncidentState::Acknowledged,
    IncidentState::Investigating,
    IncidentState::Contained,
    IncidentState::Resolved,
];

impl IncidentState {
    /// Whether the response goes on (not resolved, not a false positive).
    pub fn is_open(self) -> bool {
        !matches!(self, IncidentState::Resolved | IncidentState::FalsePositive)
    }

    /// Where the state lies on the forward line (`None` for false positive).
    fn rank(self) -> Option<usize> {
        LINE.iter().position(|state| *state == self)
    }

    /// The states an incident in this state may move to.
    pub fn allowed(self) -> Vec<IncidentState> {
        if !self.is_open() {
            return vec![IncidentState::Investigating];
        }
        let rank = self.rank().unwrap_or(0);
        let forward = LINE.iter().copied().skip(rank + 1);
        forward.chain([IncidentState::FalsePositive]).collect()
    }

    /// Whether moving to `to` is in the response workflow.
    pub fn check_transition(self, to: IncidentState) -> Result<(), IncidentMoveRefused> {
        let allowed = self.allowed();
        if allowed.contains(&to) {
            return Ok(());
        }
        Err(IncidentMoveRefused {
            from: self,
            to,
            allowed,
        })
    }

    /// The states a move from `self` to `to` reaches: `to` and every state of
    /// the forward line it skips (none for a false positive or a reopening).
    pub fn reached_by(self, to: IncidentState) -> Vec<IncidentState> {
        match (self.rank(), to.rank()) {
            (Some(from), Some(until)) if self.is_open() && until > from => {
                LINE[from + 1..=until].to_vec()
            }
            _ => vec![to],
        }
    }
}

/// A move the response workflow does not have.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct IncidentMoveRefused {
    pub from: IncidentState,
    pub to: IncidentState,
    pub allowed: Vec<IncidentState>,
}

impl fmt::Display for IncidentMoveRefused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let allowed = join_words(self.allowed.iter().map(|state| state.as_str()));
        write!(
            f,
            "an incident in {} cannot move to {}: it may move to {allowed}",
            self.from, self.to
        )
    }
}

/// The stamps an incident's response times are measured from, in
/// microseconds since the Unix epoch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stamps {
    pub first_event_us: i64,
    pub detected_us: i64,
    pub acknowledged_us: Option<i64>,
    pub contained_us: Option<i64>,
    pub resolved_us: Option<i64>,
}

/// One incident's response times, in microseconds; `None` until the
/// incident has reached the state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ResponseTimes {
    pub time_to_detect_us: i64,
    pub time_to_acknowledge_us: Option<i64>,
    pub time_to_contain_us: Option<i64>,
    pub time_to_resolve_us: Option<i64>,
}

impl Stamps {
    /// The response times these stamps give.
    pub fn response_times(&self) -> ResponseTimes {
        let since_detection = |at: Option<i64>| at.map(|at| at.saturating_sub(self.detected_us));
        ResponseTimes {
            time_to_detect_us: self.detected_us.saturating_sub(self.first_event_us),
            time_to_acknowledge_us: since_detection(self.acknowledged_us),
            time_to_contain_us: since_detection(self.contained_us),
            time_to_resolve_us: since_detection(self.resolved_us),
        }
    }
}

/// Mean response times over several incidents, each mean over the
/// incidents that have that time; `None` when none has.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct MeanResponseTimes {
    pub incidents: u64,
    /// MTTD.
    pub mean_time_to_detect_us: Option<f64>,
    /// MTTA.
    pub mean_time_to_acknowledge_us: Option<f64>,
    /// MTTC.
    pub mean_time_to_contain_us: Option<f64>,
    /// MTTR.
    pub mean_time_to_resolve_us: Option<f64>,
}

impl MeanResponseTimes {
    /// The means of these incidents' times.
    pub fn of(times: &[ResponseTimes]) -> Self {
        let mean = |pick: fn(&ResponseTimes) -> Option<i64>| {
            let values: Vec<i64> = times.iter().filter_map(pick).collect();
            let sum: i128 = values.iter().map(|value| i128::from(*value)).sum();
            (!values.is_empty()).then(|| sum as f64 / values.len() as f64)
        };
        MeanResponseTimes {
            incidents: times.len() as u64,
            mean_time_to_detect_us: mean(|t| Some(t.time_to_detect_us)),
            mean_time_to_acknowledge_us: mean(|t| t.time_to_acknowledge_us),
            mean_time_to_contain_us: mean(|t| t.time_to_contain_us),
            mean_time_to_resolve_us: mean(|t| t.time_to_resolve_us),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use IncidentState::*;

    #[test]
    fn an_incident_moves_forward_skipping_states_or_closes_as_false_positive() {
        assert!(New.check_transition(Contained).is_ok());
        assert!(Investigating.check_transition(FalsePositive).is_ok());
        assert!(Contained.check_transition(Acknowledged).is_err());
        assert!(Resolved.check_transition(Investigating).is_ok());
        assert!(Resolved.check_transition(Contained).is_err());
        let refused = New.check_transition(New).expect_err("no move to itself");
        assert!(refused.to_string().contains("acknowledged"), "{refused}");
    }

    #[test]
    fn a_move_stamps_the_states_it_skips() {
        assert_eq!(
            New.reached_by(Contained),
            [Acknowledged, Investigating, Contained]
        );
        assert_eq!(Acknowledged.reached_by(FalsePositive), [FalsePositive]);
        assert_eq!(Resolved.reached_by(Investigating), [Investigating]);
    }

    #[test]
    fn means_count_only_incidents_that_reached_the_state() {
        let resolved = ResponseTimes {
            time_to_detect_us: 10,
            time_to_acknowledge_us: Some(20),
            time_to_contain_us: Some(30),
            time_to_resolve_us: Some(40),
        };
        let open = ResponseTimes {
            time_to_detect_us: 30,
            ..ResponseTimes::default()
        };

        let means = MeanResponseTimes::of(&[resolved, open]);

        assert_eq!(means.mean_time_to_detect_us, Some(20.0));
        assert_eq!(means.mean_time_to_resolve_us, Some(40.0));
        assert_eq!(MeanResponseTimes::of(&[]).mean_time_to_detect_us, None);
    }
}
