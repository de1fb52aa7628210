//! Checking frames against a [`Profile`], one frame at a time.
//!
//! Per-identifier state lives in a table sized by the profile: a direct index for 11-bit
//! identifiers and a sorted list for the rest. Observing a frame that raises no alert
//! allocates nothing.

use std::ops::Range;

use keelson_telemetry::{CanFrame, FrameKind, SignalDecoder};

use crate::alert::{Alert, Check, Detail};
use crate::margins::Margins;
use crate::profile::{IdProfile, Profile};
use crate::signals::RangeTable;

/// Number of 11-bit identifiers.
const STANDARD_IDS: usize = 0x800;

/// Marks a free entry of the direct index.
const NO_SLOT: u32 = u32::MAX;

/// Bounds of the interval between sweeps for silent identifiers, µs.
const SWEEP_BOUNDS_US: (i64, i64) = (1_000, 1_000_000);

/// Checks frames of one stream against a profile.
#[derive(Debug, Clone)]
pub struct Detector {
    standard: Vec<u32>,
    others: Vec<(u64, u32)>,
    slots: Vec<Slot>,
    bytes: Vec<BytePolicy>,
    margins: Margins,
    sweep_every_us: i64,
    clock: Option<Clock>,
    signal_ranges: RangeTable,
    signal_decoder: Option<SignalDecoder>,
}

/// What the detector knows about one identifier: its limits, then its running state.
#[derive(Debug, Clone)]
struct Slot {
    id: u32,
    extended: bool,
    dlc_mask: u128,
    min_gap_us: i64,
    learned_min_us: i64,
    learned_max_us: i64,
    /// Gaps that keep the learned period (learned range widened by the band slack).
    period_band_us: (i64, i64),
    /// Shortest span of two gaps accepted (learned × `span_factor`); 0 when unchecked.
    min_span_us: i64,
    silence_us: i64,
    learned_p50_us: i64,
    sparse: bool,
    bytes: Range<usize>,
    /// The last frame taken as genuine: the timing anchor.
    last: Anchor,
    /// The genuine frame before `last`, while `last` may still turn out inserted.
    before: Option<Anchor>,
    seen: bool,
    silence_reported: bool,
    /// A rare ID is flooding: its first frame was reported already.
    flooding: bool,
}

/// A frame the timing checks measure from.
#[derive(Debug, Clone, Copy, Default)]
struct Anchor {
    at_us: i64,
    payload: Payload,
}

/// The first eight payload bytes and the length, enough to tell which of two frames
/// looks more like a third.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Payload {
    head: u64,
    len: u8,
}

#[derive(Debug, Clone)]
struct BytePolicy {
    min: u8,
    max: u8,
    constant_mask: u8,
    constant_value: u8,
    values: Option<[u64; 4]>,
}

#[derive(Debug, Clone, Copy)]
struct Clock {
    start_us: i64,
    next_sweep_us: i64,
}

impl Detector {
    /// A detector applying the margins stored in `profile`.
    pub fn new(profile: &Profile) -> Detector {
        Detector::with_margins(profile, profile.margins)
    }

    /// A detector applying `margins` instead of the profile's own.
    pub fn with_margins(profile: &Profile, margins: Margins) -> Detector {
        let mut detector = Detector {
            standard: vec![NO_SLOT; STANDARD_IDS],
            others: Vec::new(),
            slots: Vec::with_capacity(profile.ids.len()),
            bytes: Vec::new(),
            margins,
            sweep_every_us: SWEEP_BOUNDS_US.1,
            clock: None,
            signal_ranges: RangeTable::new(&profile.signals, margins.signal_slack),
            signal_decoder: None,
        };
        for entry in &profile.ids {
            detector.add_slot(entry);
        }
        if !learned_timing(profile) {
            detector.disable_timing();
        }
        detector.others.sort_unstable_by_key(|&(key, _)| key);
        detector.sweep_every_us = detector.sweep_interval();
        detector
    }

    /// Checks decoded signals against the profile's learned ranges, decoding frames with
    /// `decoder` (the DBC files the profile was learned with).
    pub fn with_signal_decoder(mut self, decoder: SignalDecoder) -> Detector {
        self.signal_decoder = Some(decoder);
        self
    }

    /// The margins in force.
    pub fn margins(&self) -> &Margins {
        &self.margins
    }

    /// Forgets all stream state, to start a new capture.
    pub fn reset(&mut self) {
        self.clock = None;
        for slot in &mut self.slots {
            slot.seen = false;
            slot.silence_reported = false;
            slot.before = None;
            slot.flooding = false;
        }
    }

    /// Checks one frame; an empty vector (no allocation) when nothing is wrong.
    pub fn observe(&mut self, frame: &CanFrame) -> Vec<Alert> {
        let mut alerts = Vec::new();
        self.observe_into(frame, &mut alerts);
        alerts
    }

    /// Checks one frame, appending alerts to `alerts`.
    ///
    /// Error frames are not checked. Remote frames get the identifier, DLC and timing
    /// checks but no payload checks.
    pub fn observe_into(&mut self, frame: &CanFrame, alerts: &mut Vec<Alert>) {
        if frame.kind == FrameKind::Error {
            return;
        }
        let now = frame.timestamp_us;
        self.advance_clock(now, alerts);

        let Some(at) = self.slot_of(frame.id, frame.extended) else {
            alerts.push(unknown_id(frame));
            return;
        };
        let start_us = self.clock.map_or(now, |clock| clock.start_us);
        let Some(slot) = self.slots.get_mut(at) else {
            return;
        };
        check_dlc(slot, frame, alerts);
        check_timing(
            slot,
            frame,
            start_us,
            self.margins.attribute_inserted,
            alerts,
        );
        if frame.kind == FrameKind::Data {
            let policies = self.bytes.get(slot.bytes.clone()).unwrap_or_default();
            check_payload(slot, policies, &self.margins, frame, alerts);
            self.check_signals(frame, alerts);
        }
    }

    /// At most one alert per frame: its first signal outside the learned range.
    fn check_signals(&self, frame: &CanFrame, alerts: &mut Vec<Alert>) {
        let Some(decoder) = &self.signal_decoder else {
            return;
        };
        if !self.margins.check_signal_ranges {
            return;
        }
        if let Some((value, range)) = self.signal_ranges.first_outside(decoder, frame) {
            alerts.push(Alert {
                check: Check::SignalOutOfRange,
                id: frame.id,
                extended: frame.extended,
                timestamp_us: frame.timestamp_us,
                earlier_frame_us: None,
                detail: Detail::Signal {
                    signal: range.name.clone(),
                    value,
                    lowest: range.min,
                    highest: range.max,
                    unit: range.unit.clone(),
                },
            });
        }
    }

    /// Reports every identifier silent for too long at time `at_us` (end of a stream).
    pub fn finish(&mut self, at_us: i64) -> Vec<Alert> {
        let mut alerts = Vec::new();
        if self.clock.is_none() {
            self.clock = Some(Clock {
                start_us: at_us,
                next_sweep_us: at_us,
            });
        }
        self.sweep(at_us, &mut alerts);
        alerts
    }

    /// A profile learned from captures without timestamps (every gap zero) says nothing
    /// about timing: no gap or silence check can be fair.
    fn disable_timing(&mut self) {
        for slot in &mut self.slots {
            slot.min_gap_us = 0;
            slot.silence_us = i64::MAX;
        }
    }

    fn add_slot(&mut self, entry: &IdProfile) {
        let index = self.slots.len() as u32;
        let key = slot_key(entry.id, entry.extended);
        match self.standard.get_mut(entry.id as usize) {
            Some(free) if !entry.extended => *free = index,
            _ => self.others.push((key, index)),
        }
        let bytes = self.add_byte_policies(entry);
        self.slots
            .push(Slot::from_profile(entry, &self.margins, bytes));
    }

    fn add_byte_policies(&mut self, entry: &IdProfile) -> Range<usize> {
        let start = self.bytes.len();
        if entry.data_frames >= self.margins.min_payload_frames {
            let slack = self.margins.byte_slack;
            let whole_only = self.margins.constant_whole_bytes_only;
            self.bytes.extend(entry.bytes.iter().map(|stats| {
                let mut constant_mask = stats.constant_mask();
                if whole_only && constant_mask != u8::MAX {
                    constant_mask = 0;
                }
                BytePolicy {
                    min: stats.min.saturating_sub(slack),
                    max: stats.max.saturating_add(slack),
                    constant_mask,
                    constant_value: stats.ever_one & constant_mask,
                    values: stats.values.as_deref().map(value_bitmap),
                }
            }));
        }
        start..self.bytes.len()
    }

    fn sweep_interval(&self) -> i64 {
        let shortest = self.slots.iter().map(|slot| slot.silence_us).min();
        shortest
            .unwrap_or(i64::MAX)
            .saturating_div(4)
            .clamp(SWEEP_BOUNDS_US.0, SWEEP_BOUNDS_US.1)
    }

    fn slot_of(&self, id: u32, extended: bool) -> Option<usize> {
        if !extended && let Some(&index) = self.standard.get(id as usize) {
            return (index != NO_SLOT).then_some(index as usize);
        }
        let key = slot_key(id, extended);
        let at = self.others.binary_search_by_key(&key, |&(k, _)| k).ok()?;
        self.others.get(at).map(|&(_, index)| index as usize)
    }

    /// Starts the stream clock, or runs a silence sweep when one is due.
    fn advance_clock(&mut self, now: i64, alerts: &mut Vec<Alert>) {
        let every = self.sweep_every_us;
        let clock = self.clock.get_or_insert(Clock {
            start_us: now,
            next_sweep_us: now.saturating_add(every),
        });
        if now < clock.next_sweep_us.saturating_sub(every) {
            // Time went backwards (a new capture appended): restart the sweep schedule.
            clock.next_sweep_us = now.saturating_add(every);
        } else if now >= clock.next_sweep_us {
            clock.next_sweep_us = now.saturating_add(every);
            self.sweep(now, alerts);
        }
    }

    fn sweep(&mut self, now: i64, alerts: &mut Vec<Alert>) {
        let start_us = self.clock.map_or(now, |clock| clock.start_us);
        for slot in &mut self.slots {
            let since = if slot.seen { slot.last.at_us } else { start_us };
            report_silence(slot, now, now.saturating_sub(since), alerts);
        }
    }
}

impl Slot {
    fn from_profile(entry: &IdProfile, margins: &Margins, bytes: Range<usize>) -> Slot {
        let dlc_mask = entry
            .dlcs
            .iter()
            .fold(0u128, |mask, &dlc| mask | 1u128 << dlc.min(127));
        let gaps = entry.gaps.filter(|gaps| gaps.count >= margins.min_gaps);
        let min_gap_us = gaps.map_or(margins.sparse_min_gap_us, |g| {
            (g.min_us as f64 * margins.early_factor) as i64
        });
        let silence_us = gaps.filter(|g| g.p50_us > 0).map_or(i64::MAX, |g| {
            let by_period = g.p50_us as f64 * margins.silence_periods;
            let by_max = g.max_us as f64 * margins.silence_max_gap_factor;
            by_period.max(by_max) as i64
        });
        let min_span_us = gaps.and_then(|g| g.min_two_gaps_us).map_or(0, |span| {
            (span as f64 * margins.span_factor.max(0.0)) as i64
        });
        let learned_min_us = gaps.map_or(0, |g| g.min_us);
        let learned_max_us = gaps.map_or(0, |g| g.max_us);
        let slack = margins.period_band_slack.max(0.0);
        Slot {
            id: entry.id,
            extended: entry.extended,
            dlc_mask,
            min_gap_us,
            learned_min_us,
            learned_max_us,
            period_band_us: (
                (learned_min_us as f64 * (1.0 - slack)) as i64,
                (learned_max_us as f64 * (1.0 + slack)) as i64,
            ),
            min_span_us,
            silence_us,
            learned_p50_us: gaps.map_or(0, |g| g.p50_us),
            sparse: gaps.is_none(),
            bytes,
            last: Anchor::default(),
            before: None,
            seen: false,
            silence_reported: false,
            flooding: false,
        }
    }
}

/// Whether any learned gap is positive, that is, the baseline captures had timestamps.
fn learned_timing(profile: &Profile) -> bool {
    profile
        .ids
        .iter()
        .any(|entry| entry.gaps.is_some_and(|gaps| gaps.max_us > 0))
}

fn slot_key(id: u32, extended: bool) -> u64 {
    u64::from(extended) << 32 | u64::from(id)
}

fn value_bitmap(values: &[u8]) -> [u64; 4] {
    let mut bitmap = [0u64; 4];
    for &value in values {
        bitmap[usize::from(value >> 6)] |= 1u64 << (value & 63);
    }
    bitmap
}

fn unknown_id(frame: &CanFrame) -> Alert {
    Alert {
        check: Check::UnknownId,
        id: frame.id,
        extended: frame.extended,
        timestamp_us: frame.timestamp_us,
        earlier_frame_us: None,
        detail: Detail::Identifier { dlc: frame.dlc },
    }
}

fn check_dlc(slot: &Slot, frame: &CanFrame, alerts: &mut Vec<Alert>) {
    if slot.dlc_mask & (1u128 << frame.dlc.min(127)) != 0 {
        return;
    }
    let learned = (0u8..128)
        .filter(|&dlc| slot.dlc_mask & (1u128 << dlc) != 0)
        .collect();
    alerts.push(Alert {
        check: Check::UnexpectedDlc,
        id: slot.id,
        extended: slot.extended,
        timestamp_us: frame.timestamp_us,
        earlier_frame_us: None,
        detail: Detail::Dlc {
            observed: frame.dlc,
            learned,
        },
    });
}

/// Gap and silence checks. For an ID with a learned period, a frame found too early does
/// not move the anchor, so the genuine frame after an injected one is measured from the
/// previous genuine frame. For a sparse ID it does, so that every frame of a flood counts.
fn check_timing(
    slot: &mut Slot,
    frame: &CanFrame,
    start_us: i64,
    attribute_inserted: bool,
    alerts: &mut Vec<Alert>,
) {
    let now = frame.timestamp_us;
    let since = if slot.seen { slot.last.at_us } else { start_us };
    let gap = now.saturating_sub(since);
    if slot.seen && (0..slot.min_gap_us).contains(&gap) {
        on_too_early(slot, frame, gap, attribute_inserted, alerts);
        return;
    }

    report_silence(slot, now, gap, alerts);
    slot.silence_reported = false;
    slot.flooding = false;
    if attribute_inserted && middle_was_inserted(slot, now) {
        alerts.push(about_earlier(
            slot,
            now,
            Check::InsertedFrame,
            inserted_detail(slot, now, gap),
        ));
    } else {
        slot.before = slot.seen.then_some(slot.last);
    }
    slot.seen = true;
    slot.last = Anchor::of(frame);
}

/// Whether the anchor sits between two genuine frames that came closer together than two
/// gaps ever did in the baseline: each gap alone may look normal for a jittery ID, but
/// together they fit in one period, so the frame between them is foreign. The anchor is
/// then dropped and the frame before it stays the genuine predecessor. Time that went
/// backwards (a new capture) is never a short span.
fn middle_was_inserted(slot: &Slot, now: i64) -> bool {
    let Some(before) = slot.before.filter(|_| slot.seen && slot.min_span_us > 0) else {
        return false;
    };
    let in_order = before.at_us <= slot.last.at_us && slot.last.at_us <= now;
    in_order && now.saturating_sub(before.at_us) < slot.min_span_us
}

fn inserted_detail(slot: &Slot, now: i64, gap: i64) -> Detail {
    Detail::Inserted {
        period_kept_us: slot
            .before
            .map_or(0, |before| now.saturating_sub(before.at_us)),
        gap_after_us: gap,
        learned_min_us: slot.learned_min_us,
        learned_max_us: slot.learned_max_us,
        min_span_us: (slot.min_span_us > 0).then_some(slot.min_span_us),
    }
}

/// Two frames of one ID came closer than the profile allows: decides which of them is the
/// intruder and reports it.
fn on_too_early(
    slot: &mut Slot,
    frame: &CanFrame,
    gap: i64,
    attribute_inserted: bool,
    alerts: &mut Vec<Alert>,
) {
    let now = frame.timestamp_us;
    if slot.sparse {
        if attribute_inserted && !slot.flooding {
            alerts.push(about_earlier(
                slot,
                now,
                Check::FloodStarted,
                too_early_detail(slot, gap),
            ));
        }
        slot.flooding = true;
        alerts.push(too_early(slot, now, gap));
        slot.last = Anchor::of(frame);
        return;
    }

    if attribute_inserted && earlier_was_inserted(slot, frame) {
        let detail = inserted_detail(slot, now, gap);
        alerts.push(about_earlier(slot, now, Check::InsertedFrame, detail));
        slot.last = Anchor::of(frame);
        slot.before = None;
        return;
    }
    alerts.push(too_early(slot, now, gap));
}

/// Whether the anchor, not `frame`, is the inserted one: `frame` keeps the learned period
/// from the genuine frame before both, and resembles that frame more (in payload bits, then
/// in timing) than the anchor does. A genuine sender's frames are regular in time and change
/// little from one to the next; an injector's land anywhere and carry its own payload.
fn earlier_was_inserted(slot: &Slot, frame: &CanFrame) -> bool {
    let Some(before) = slot.before else {
        return false;
    };
    let kept = frame.timestamp_us.saturating_sub(before.at_us);
    let (low, high) = slot.period_band_us;
    if !(low..=high).contains(&kept) {
        return false;
    }

    let anchor_distance = before.payload.distance(slot.last.payload);
    let frame_distance = before.payload.distance(Payload::of(frame));
    if anchor_distance != frame_distance {
        return anchor_distance > frame_distance;
    }
    let anchor_gap = slot.last.at_us.saturating_sub(before.at_us);
    kept.abs_diff(slot.learned_p50_us) < anchor_gap.abs_diff(slot.learned_p50_us)
}

fn too_early_detail(slot: &Slot, gap: i64) -> Detail {
    Detail::Gap {
        observed_us: gap,
        min_allowed_us: slot.min_gap_us,
        learned_min_us: slot.learned_min_us,
    }
}

fn too_early(slot: &Slot, now: i64, gap: i64) -> Alert {
    Alert {
        check: Check::TooEarly,
        id: slot.id,
        extended: slot.extended,
        timestamp_us: now,
        earlier_frame_us: None,
        detail: too_early_detail(slot, gap),
    }
}

/// An alert raised at `now` about the anchor frame of `slot`.
fn about_earlier(slot: &Slot, now: i64, check: Check, detail: Detail) -> Alert {
    Alert {
        check,
        id: slot.id,
        extended: slot.extended,
        timestamp_us: now,
        earlier_frame_us: Some(slot.last.at_us),
        detail,
    }
}

impl Anchor {
    fn of(frame: &CanFrame) -> Anchor {
        Anchor {
            at_us: frame.timestamp_us,
            payload: Payload::of(frame),
        }
    }
}

impl Payload {
    fn of(frame: &CanFrame) -> Payload {
        let data = frame.data();
        let mut head = [0u8; 8];
        let take = data.len().min(8);
        head[..take].copy_from_slice(&data[..take]);
        Payload {
            head: u64::from_le_bytes(head),
            len: data.len().min(usize::from(u8::MAX)) as u8,
        }
    }

    /// Bits that differ, counting each byte of length difference as eight.
    fn distance(self, other: Payload) -> u32 {
        (self.head ^ other.head).count_ones() + 8 * u32::from(self.len.abs_diff(other.len))
    }
}

fn report_silence(slot: &mut Slot, now: i64, silent_us: i64, alerts: &mut Vec<Alert>) {
    if slot.silence_reported || silent_us <= slot.silence_us {
        return;
    }
    slot.silence_reported = true;
    alerts.push(Alert {
        check: Check::IdSilent,
        id: slot.id,
        extended: slot.extended,
        timestamp_us: now,
        earlier_frame_us: None,
        detail: Detail::Silence {
            silent_us,
            max_allowed_us: slot.silence_us,
            learned_p50_us: slot.learned_p50_us,
        },
    });
}

/// Payload checks; at most one alert per check and frame (the first offending byte).
fn check_payload(
    slot: &Slot,
    policies: &[BytePolicy],
    margins: &Margins,
    frame: &CanFrame,
    alerts: &mut Vec<Alert>,
) {
    let mut fired = [false; 3];
    for (index, (policy, &value)) in policies.iter().zip(frame.data()).enumerate() {
        let failed = [
            margins.check_constant_bits
                && (value ^ policy.constant_value) & policy.constant_mask != 0,
            margins.check_byte_range && !(policy.min..=policy.max).contains(&value),
            margins.check_value_sets && policy.values.is_some_and(|set| !in_set(&set, value)),
        ];
        for (kind, &failed) in failed.iter().enumerate() {
            if failed && !fired[kind] {
                fired[kind] = true;
                alerts.push(byte_alert(slot, policy, kind, index, value, frame));
            }
        }
    }
}

fn in_set(set: &[u64; 4], value: u8) -> bool {
    set[usize::from(value >> 6)] & (1u64 << (value & 63)) != 0
}

fn byte_alert(
    slot: &Slot,
    policy: &BytePolicy,
    kind: usize,
    index: usize,
    value: u8,
    frame: &CanFrame,
) -> Alert {
    let check = match kind {
        0 => Check::ConstantBitFlipped,
        1 => Check::ByteOutOfRange,
        _ => Check::ByteValueUnseen,
    };
    Alert {
        check,
        id: slot.id,
        extended: slot.extended,
        timestamp_us: frame.timestamp_us,
        earlier_frame_us: None,
        detail: Detail::Byte {
            index: index as u8,
            observed: value,
            min: policy.min,
            max: policy.max,
            constant_mask: policy.constant_mask,
            constant_value: policy.constant_value,
        },
    }
}
