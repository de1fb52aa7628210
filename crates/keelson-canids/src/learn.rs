//! Learning a [`Profile`] from clean captures.
//!
//! Timestamps restart between captures, so a gap is only measured between two frames of
//! the same capture; a timestamp that goes backwards re-anchors the gap instead of
//! producing a negative one.

use std::collections::HashMap;
use std::io::BufRead;

use keelson_telemetry::{CanFrame, ErrorKind, Format, FrameKind, SignalDecoder};

use crate::error::Error;
use crate::margins::Margins;
use crate::profile::{
    ByteStats, CaptureSource, FORMAT_VERSION, GapStats, IdProfile, MAX_VALUE_SET, Profile,
};
use crate::signals::RangeAccumulator;

/// Accumulates frames from one or more clean captures into a [`Profile`].
#[derive(Debug, Clone)]
pub struct Learner {
    model: String,
    captures: Vec<CaptureSource>,
    ids: HashMap<(bool, u32), IdAccumulator>,
    /// The model's DBC messages and the signal ranges seen so far, when given.
    signals: Option<(SignalDecoder, RangeAccumulator)>,
}

/// Records read from one capture by a `*_reader` function.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReadStats {
    /// Frames decoded and used.
    pub frames: u64,
    /// Malformed records skipped (the decoder reported them as record errors).
    pub malformed: u64,
}

#[derive(Debug, Clone, Default)]
struct IdAccumulator {
    frames: u64,
    dlc_mask: u128,
    last: Option<(usize, i64)>,
    gaps: Vec<i64>,
    /// The previous gap of the current capture, to measure spans of two gaps.
    last_gap: Option<i64>,
    min_two_gaps: Option<i64>,
    data_frames: u64,
    bytes: Vec<ByteAccumulator>,
}

#[derive(Debug, Clone)]
struct ByteAccumulator {
    min: u8,
    max: u8,
    ever_zero: u8,
    ever_one: u8,
    seen: [u64; 4],
}

impl Default for ByteAccumulator {
    fn default() -> Self {
        ByteAccumulator {
            min: u8::MAX,
            max: 0,
            ever_zero: 0,
            ever_one: 0,
            seen: [0; 4],
        }
    }
}

impl Learner {
    /// A learner for `model` with no captures yet.
    pub fn new(model: &str) -> Learner {
        Learner {
            model: model.to_owned(),
            captures: Vec::new(),
            ids: HashMap::new(),
            signals: None,
        }
    }

    /// Also learns the range of every signal `decoder` decodes (the model's DBC files).
    pub fn with_signals(mut self, decoder: SignalDecoder) -> Learner {
        self.signals = Some((decoder, RangeAccumulator::default()));
        self
    }

    /// Starts a new capture: no gap is measured across this boundary.
    pub fn begin_capture(&mut self, file: &str) {
        self.captures.push(CaptureSource {
            file: file.to_owned(),
            frames: 0,
        });
    }

    /// Adds one frame to the current capture (an unnamed one if none was begun).
    ///
    /// Error frames are ignored: they say nothing about an identifier's traffic.
    pub fn learn(&mut self, frame: &CanFrame) {
        if frame.kind == FrameKind::Error {
            return;
        }
        if self.captures.is_empty() {
            self.begin_capture("");
        }
        let capture = self.captures.len() - 1;
        if let Some(source) = self.captures.last_mut() {
            source.frames += 1;
        }
        let entry = self.ids.entry((frame.extended, frame.id)).or_default();
        entry.add(capture, frame);
        if let Some((decoder, ranges)) = &mut self.signals {
            ranges.add(decoder, frame);
        }
    }

    /// Decodes `reader` as `format` and learns every frame, as one capture named `file`.
    ///
    /// Malformed records are skipped and counted; an I/O error ends the read.
    pub fn learn_reader<R: BufRead>(
        &mut self,
        file: &str,
        format: Format,
        reader: R,
    ) -> Result<ReadStats, Error> {
        let decoder = keelson_telemetry::frames(format, reader).ok_or(Error::NotCan(format))?;
        self.begin_capture(file);
        let mut stats = ReadStats::default();
        for item in decoder {
            match item {
                Ok(frame) => {
                    stats.frames += 1;
                    self.learn(&frame);
                }
                Err(error) if error.kind() == ErrorKind::Record => stats.malformed += 1,
                Err(error) => return Err(Error::Read(error)),
            }
        }
        Ok(stats)
    }

    /// The profile learned so far, with default margins.
    pub fn finish(self) -> Profile {
        let mut ids: Vec<IdProfile> = self
            .ids
            .into_iter()
            .map(|((extended, id), acc)| acc.into_profile(id, extended))
            .collect();
        ids.sort_by_key(|entry| (entry.extended, entry.id));
        Profile {
            format_version: FORMAT_VERSION,
            model: self.model,
            learned_from: self.captures,
            margins: Margins::default(),
            ids,
            signals: self
                .signals
                .map(|(_, ranges)| ranges.finish())
                .unwrap_or_default(),
        }
    }
}

impl IdAccumulator {
    fn add(&mut self, capture: usize, frame: &CanFrame) {
        self.frames += 1;
        self.dlc_mask |= 1u128 << frame.dlc.min(127);

        let same_capture = self
            .last
            .filter(|&(last_capture, _)| last_capture == capture);
        match same_capture {
            Some((_, last_us)) if frame.timestamp_us >= last_us => {
                self.add_gap(frame.timestamp_us.saturating_sub(last_us));
            }
            _ => self.last_gap = None,
        }
        self.last = Some((capture, frame.timestamp_us));

        if frame.kind == FrameKind::Data {
            self.add_payload(frame.data());
        }
    }

    fn add_gap(&mut self, gap: i64) {
        if let Some(previous) = self.last_gap {
            let span = previous.saturating_add(gap);
            self.min_two_gaps = Some(self.min_two_gaps.map_or(span, |min| min.min(span)));
        }
        self.last_gap = Some(gap);
        self.gaps.push(gap);
    }

    fn add_payload(&mut self, data: &[u8]) {
        self.data_frames += 1;
        if self.bytes.len() < data.len() {
            self.bytes.resize_with(data.len(), ByteAccumulator::default);
        }
        for (acc, &value) in self.bytes.iter_mut().zip(data) {
            acc.min = acc.min.min(value);
            acc.max = acc.max.max(value);
            acc.ever_one |= value;
            acc.ever_zero |= !value;
            acc.seen[usize::from(value >> 6)] |= 1u64 << (value & 63);
        }
    }

    fn into_profile(mut self, id: u32, extended: bool) -> IdProfile {
        let dlcs = (0u8..128)
            .filter(|&dlc| self.dlc_mask & (1u128 << dlc) != 0)
            .collect();
        IdProfile {
            id,
            extended,
            frames: self.frames,
            dlcs,
            gaps: gap_stats(&mut self.gaps).map(|stats| GapStats {
                min_two_gaps_us: self.min_two_gaps,
                ..stats
            }),
            data_frames: self.data_frames,
            bytes: self.bytes.iter().map(ByteAccumulator::stats).collect(),
        }
    }
}

impl ByteAccumulator {
    fn stats(&self) -> ByteStats {
        let distinct: u32 = self.seen.iter().map(|word| word.count_ones()).sum();
        let values = (distinct as usize <= MAX_VALUE_SET).then(|| {
            (0u8..=255)
                .filter(|&v| self.seen[usize::from(v >> 6)] & (1u64 << (v & 63)) != 0)
                .collect()
        });
        ByteStats {
            min: self.min,
            max: self.max,
            ever_zero: self.ever_zero,
            ever_one: self.ever_one,
            values,
        }
    }
}

/// Nearest-rank percentiles of the gaps; `None` when there are none.
fn gap_stats(gaps: &mut [i64]) -> Option<GapStats> {
    gaps.sort_unstable();
    let last = gaps.len().checked_sub(1)?;
    // Nearest rank: the value at 1-based position ceil(P/100 × N).
    let rank = |percent: usize| gaps[(gaps.len() * percent).div_ceil(100).saturating_sub(1)];
    Some(GapStats {
        count: gaps.len() as u64,
        min_us: gaps[0],
        p1_us: rank(1),
        p50_us: rank(50),
        p99_us: rank(99),
        max_us: gaps[last],
        min_two_gaps_us: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(id: u32, at: i64, data: &[u8]) -> CanFrame {
        let mut frame = CanFrame::default();
        frame.id = id;
        frame.timestamp_us = at;
        frame.dlc = data.len() as u8;
        frame.set_data(data);
        frame
    }

    #[test]
    fn gaps_are_not_measured_across_captures() {
        let mut learner = Learner::new("m");
        learner.begin_capture("a");
        learner.learn(&frame(1, 1_000, &[0]));
        learner.learn(&frame(1, 2_000, &[0]));
        learner.begin_capture("b");
        learner.learn(&frame(1, 10, &[0]));
        learner.learn(&frame(1, 510, &[0]));
        let profile = learner.finish();
        let gaps = profile.id(1, false).and_then(|p| p.gaps);
        assert_eq!(
            gaps.map(|g| (g.count, g.min_us, g.max_us)),
            Some((2, 500, 1_000))
        );
        assert_eq!(profile.learned_from[1].frames, 2);
    }

    #[test]
    fn spans_of_two_gaps_stay_within_a_capture_and_forward_in_time() {
        let mut learner = Learner::new("m");
        learner.begin_capture("a");
        for at in [0, 10_000, 14_000, 24_000] {
            learner.learn(&frame(1, at, &[0]));
        }
        learner.learn(&frame(1, 1_000, &[0]));
        learner.learn(&frame(1, 3_000, &[0]));
        learner.begin_capture("b");
        learner.learn(&frame(1, 100, &[0]));
        learner.learn(&frame(1, 200, &[0]));
        let profile = learner.finish();
        let span = profile.id(1, false).and_then(|p| p.gaps?.min_two_gaps_us);
        // 4 + 10 ms in capture a; the backwards step and the capture change break the chain.
        assert_eq!(span, Some(14_000));
    }

    #[test]
    fn constant_bits_and_small_value_sets_are_kept() {
        let mut learner = Learner::new("m");
        for value in [0x10u8, 0x12, 0x10, 0x30] {
            learner.learn(&frame(7, 0, &[value]));
        }
        let profile = learner.finish();
        let byte = &profile.ids[0].bytes[0];
        assert_eq!((byte.min, byte.max), (0x10, 0x30));
        assert_eq!(byte.constant_mask(), !0x22);
        assert_eq!(byte.values.as_deref(), Some(&[0x10, 0x12, 0x30][..]));
    }

    #[test]
    fn percentiles_follow_nearest_rank() {
        let mut gaps: Vec<i64> = (1..=200).collect();
        let stats = gap_stats(&mut gaps);
        assert_eq!(
            stats.map(|s| (s.p1_us, s.p50_us, s.p99_us)),
            Some((2, 100, 198))
        );
        assert_eq!(gap_stats(&mut []), None);
    }
}
