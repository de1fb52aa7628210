//! Decoded signal ranges: when the learner is given the vehicle model's DBC files, each
//! signal's smallest and largest physical value over the baseline, and the check of later
//! frames against them.

use std::collections::HashMap;

use keelson_telemetry::{CanFrame, FrameKind, SignalDecoder};
use serde::{Deserialize, Serialize};

/// The range one decoded signal took over the baseline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignalRange {
    /// Arbitration ID of the message carrying the signal.
    pub id: u32,
    /// Whether `id` is 29-bit.
    pub extended: bool,
    /// Signal name from the DBC.
    pub name: String,
    /// Unit from the DBC (may be empty).
    #[serde(default)]
    pub unit: String,
    /// Smallest physical value seen.
    pub min: f64,
    /// Largest physical value seen.
    pub max: f64,
    /// Values seen.
    pub samples: u64,
}

/// Running ranges while learning, keyed by message and signal name.
#[derive(Debug, Clone, Default)]
pub(crate) struct RangeAccumulator {
    ranges: HashMap<(bool, u32, String), SignalRange>,
}

impl RangeAccumulator {
    /// Adds the signals `decoder` finds in `frame` (data frames of known messages only).
    pub(crate) fn add(&mut self, decoder: &SignalDecoder, frame: &CanFrame) {
        if frame.kind != FrameKind::Data {
            return;
        }
        for signal in decoder.decode(frame) {
            if !signal.value.is_finite() {
                continue;
            }
            let key = (frame.extended, frame.id, signal.name);
            let range = self
                .ranges
                .entry(key)
                .or_insert_with_key(|key| SignalRange {
                    id: frame.id,
                    extended: frame.extended,
                    name: key.2.clone(),
                    unit: signal.unit,
                    min: signal.value,
                    max: signal.value,
                    samples: 0,
                });
            range.min = range.min.min(signal.value);
            range.max = range.max.max(signal.value);
            range.samples += 1;
        }
    }

    /// The ranges, sorted by (extended, id, name).
    pub(crate) fn finish(self) -> Vec<SignalRange> {
        let mut ranges: Vec<SignalRange> = self.ranges.into_values().collect();
        ranges.sort_by(|a, b| (a.extended, a.id, &a.name).cmp(&(b.extended, b.id, &b.name)));
        ranges
    }
}

/// The learned ranges of one message, for lookups by signal name while detecting.
#[derive(Debug, Clone, Default)]
pub(crate) struct RangeTable {
    by_message: HashMap<(bool, u32), Vec<SignalRange>>,
}

impl RangeTable {
    /// The table for `ranges`, each widened by `slack` times its span on both sides.
    pub(crate) fn new(ranges: &[SignalRange], slack: f64) -> RangeTable {
        let mut by_message: HashMap<(bool, u32), Vec<SignalRange>> = HashMap::new();
        for range in ranges {
            let widen = (range.max - range.min) * slack.max(0.0);
            let mut widened = range.clone();
            widened.min -= widen;
            widened.max += widen;
            by_message
                .entry((range.extended, range.id))
                .or_default()
                .push(widened);
        }
        RangeTable { by_message }
    }

    /// The first decoded signal of `frame` outside its range, with that range.
    pub(crate) fn first_outside(
        &self,
        decoder: &SignalDecoder,
        frame: &CanFrame,
    ) -> Option<(f64, &SignalRange)> {
        let ranges = self.by_message.get(&(frame.extended, frame.id))?;
        decoder.decode(frame).into_iter().find_map(|signal| {
            let range = ranges.iter().find(|range| range.name == signal.name)?;
            let outside = signal.value < range.min || signal.value > range.max;
            (outside && signal.value.is_finite()).then_some((signal.value, range))
        })
    }
}
