//! Scoring a detector on a labelled capture, frame by frame.
//!
//! A frame counts as predicted attack when observing it raised any alert; its truth is its
//! [`Label`](keelson_telemetry::Label) (unlabelled frames count as normal). An attack
//! episode is a run of attack frames whose gaps are at most `EvalOptions::episode_gap_us`;
//! its detection latency runs from its first frame to its first alerted attack frame.

use std::collections::VecDeque;
use std::io::BufRead;

use keelson_telemetry::{CanFrame, ErrorKind, Format};
use serde::{Deserialize, Serialize};

use crate::alert::Alert;
use crate::detector::Detector;
use crate::error::Error;
use crate::learn::ReadStats;

/// Microseconds in an hour.
const US_PER_HOUR: f64 = 3_600_000_000.0;

/// Frames held back from the tally so that an alert about an earlier frame (an inserted
/// frame is recognised when the next frame of its ID arrives) can still mark it; more than
/// one period of the slowest periodic ID on a busy bus.
const PENDING_FRAMES: usize = 16_384;

/// How frames are grouped into attack episodes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EvalOptions {
    /// Largest gap between attack frames of one episode, µs (0.5 s by default, as in the
    /// corpus provenance).
    pub episode_gap_us: i64,
}

impl Default for EvalOptions {
    fn default() -> Self {
        EvalOptions {
            episode_gap_us: 500_000,
        }
    }
}

/// Per-frame detection scores of one capture.
///
/// Serialised fields, in order: frames, attack_frames, tp, fp, fn, precision, recall, f1,
/// false_alarms_per_hour, median_latency_ms. A ratio with a zero denominator is `null`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvalReport {
    /// Frames scored.
    pub frames: u64,
    /// Frames labelled attack.
    pub attack_frames: u64,
    /// Attack frames with an alert.
    pub tp: u64,
    /// Normal frames with an alert.
    pub fp: u64,
    /// Attack frames without an alert.
    #[serde(rename = "fn")]
    pub fn_: u64,
    /// tp / (tp + fp).
    pub precision: Option<f64>,
    /// tp / attack_frames.
    pub recall: Option<f64>,
    /// Harmonic mean of precision and recall.
    pub f1: Option<f64>,
    /// fp per hour of capture time; `null` when the capture has no time span.
    pub false_alarms_per_hour: Option<f64>,
    /// Median over detected episodes of the time to the first true alert, ms.
    pub median_latency_ms: Option<f64>,
    /// Attack episodes found.
    #[serde(skip)]
    pub episodes: u64,
    /// Episodes with at least one true alert.
    #[serde(skip)]
    pub episodes_detected: u64,
}

impl EvalReport {
    /// One NDJSON line (no newline): `file` first, then the report's fields in order.
    pub fn to_ndjson(&self, file: &str) -> String {
        #[derive(Serialize)]
        struct Line<'a> {
            file: &'a str,
            #[serde(flatten)]
            report: &'a EvalReport,
        }
        serde_json::to_string(&Line { file, report: self }).unwrap_or_default()
    }
}

/// Scores `detector` on labelled frames with default options. The detector is reset first.
pub fn evaluate<I>(frames: I, detector: &mut Detector) -> EvalReport
where
    I: IntoIterator<Item = CanFrame>,
{
    evaluate_with(frames, detector, &EvalOptions::default())
}

/// Scores `detector` on labelled frames. The detector is reset first.
pub fn evaluate_with<I>(frames: I, detector: &mut Detector, options: &EvalOptions) -> EvalReport
where
    I: IntoIterator<Item = CanFrame>,
{
    detector.reset();
    let mut tally = Tally::new(options.episode_gap_us);
    let mut pending = Pending::default();
    let mut alerts = Vec::new();
    for frame in frames {
        alerts.clear();
        detector.observe_into(&frame, &mut alerts);
        pending.push(frame, &alerts, &mut tally);
    }
    pending.flush(&mut tally);
    tally.report()
}

/// Decodes `reader` as `format` and scores `detector` on it; malformed records are
/// skipped and counted, an I/O error ends the read.
pub fn evaluate_reader<R: BufRead>(
    format: Format,
    reader: R,
    detector: &mut Detector,
) -> Result<(EvalReport, ReadStats), Error> {
    let decoder = keelson_telemetry::frames(format, reader).ok_or(Error::NotCan(format))?;
    let mut stats = ReadStats::default();
    let mut failure = None;
    let frames = decoder.map_while(|item| match item {
        Ok(frame) => Some(Some(frame)),
        Err(error) if error.kind() == ErrorKind::Record => Some(None),
        Err(error) => {
            failure = Some(error);
            None
        }
    });
    let report = evaluate(
        frames.filter_map(|frame| {
            match frame {
                Some(_) => stats.frames += 1,
                None => stats.malformed += 1,
            }
            frame
        }),
        detector,
    );
    match failure {
        Some(error) => Err(Error::Read(error)),
        None => Ok((report, stats)),
    }
}

/// Frames observed but not yet tallied, each with the time an alert first marked it.
#[derive(Default)]
struct Pending {
    frames: VecDeque<(CanFrame, Option<i64>)>,
}

impl Pending {
    /// Adds `frame` with the alerts raised while observing it: those about the frame itself
    /// mark it, those about an earlier frame mark that one (found by ID and timestamp).
    fn push(&mut self, frame: CanFrame, alerts: &[Alert], tally: &mut Tally) {
        let now = frame.timestamp_us;
        for alert in alerts {
            if let Some(at) = alert.earlier_frame_us {
                self.mark_earlier(alert, at, now);
            }
        }
        let about_this = alerts.iter().any(|alert| alert.earlier_frame_us.is_none());
        self.frames.push_back((frame, about_this.then_some(now)));
        while self.frames.len() > PENDING_FRAMES {
            if let Some((frame, alerted_at)) = self.frames.pop_front() {
                tally.add(&frame, alerted_at);
            }
        }
    }

    fn mark_earlier(&mut self, alert: &Alert, at: i64, now: i64) {
        let earlier = self.frames.iter_mut().rev().find(|(frame, _)| {
            frame.id == alert.id && frame.extended == alert.extended && frame.timestamp_us == at
        });
        if let Some((_, alerted_at)) = earlier {
            alerted_at.get_or_insert(now);
        }
    }

    fn flush(&mut self, tally: &mut Tally) {
        for (frame, alerted_at) in self.frames.drain(..) {
            tally.add(&frame, alerted_at);
        }
    }
}

/// Running counts while scoring.
struct Tally {
    episode_gap_us: i64,
    frames: u64,
    attack_frames: u64,
    tp: u64,
    fp: u64,
    span: Span,
    episode: Option<Episode>,
    episodes: u64,
    latencies_us: Vec<i64>,
}

/// One attack episode in progress.
struct Episode {
    start_us: i64,
    last_us: i64,
    detected: bool,
}

/// Capture time covered, summing forward steps so that restarts do not count negative.
#[derive(Default)]
struct Span {
    last_us: Option<i64>,
    total_us: i64,
}

impl Tally {
    fn new(episode_gap_us: i64) -> Tally {
        Tally {
            episode_gap_us,
            frames: 0,
            attack_frames: 0,
            tp: 0,
            fp: 0,
            span: Span::default(),
            episode: None,
            episodes: 0,
            latencies_us: Vec::new(),
        }
    }

    /// Counts one frame; `alerted_at` is when an alert first marked it, if one did.
    fn add(&mut self, frame: &CanFrame, alerted_at: Option<i64>) {
        let now = frame.timestamp_us;
        let alerted = alerted_at.is_some();
        self.frames += 1;
        self.span.advance(now);
        let attack = frame.label.is_some_and(|label| label.is_attack());
        if !attack {
            self.fp += u64::from(alerted);
            return;
        }

        self.attack_frames += 1;
        self.tp += u64::from(alerted);
        let gap = self.episode_gap_us;
        let episode = match self.episode.as_mut() {
            Some(open) if (0..=gap).contains(&now.saturating_sub(open.last_us)) => open,
            _ => {
                self.episodes += 1;
                self.episode.insert(Episode {
                    start_us: now,
                    last_us: now,
                    detected: false,
                })
            }
        };
        episode.last_us = now;
        if let Some(alerted_at) = alerted_at
            && !episode.detected
        {
            episode.detected = true;
            self.latencies_us
                .push(alerted_at.max(now).saturating_sub(episode.start_us));
        }
    }

    fn report(mut self) -> EvalReport {
        let fn_ = self.attack_frames - self.tp;
        let precision = ratio(self.tp, self.tp + self.fp);
        let recall = ratio(self.tp, self.attack_frames);
        let f1 = match (precision, recall) {
            (Some(p), Some(r)) if p + r > 0.0 => Some(2.0 * p * r / (p + r)),
            (Some(_), Some(_)) => Some(0.0),
            _ => None,
        };
        let hours = self.span.total_us as f64 / US_PER_HOUR;
        let false_alarms_per_hour = (hours > 0.0).then(|| self.fp as f64 / hours);
        EvalReport {
            frames: self.frames,
            attack_frames: self.attack_frames,
            tp: self.tp,
            fp: self.fp,
            fn_,
            precision,
            recall,
            f1,
            false_alarms_per_hour,
            median_latency_ms: median(&mut self.latencies_us).map(|us| us / 1_000.0),
            episodes: self.episodes,
            episodes_detected: self.latencies_us.len() as u64,
        }
    }
}

impl Span {
    fn advance(&mut self, now: i64) {
        if let Some(last) = self.last_us
            && now > last
        {
            self.total_us = self.total_us.saturating_add(now.saturating_sub(last));
        }
        self.last_us = Some(now);
    }
}

fn ratio(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// Median (mean of the middle two for an even count).
fn median(values: &mut [i64]) -> Option<f64> {
    values.sort_unstable();
    let middle = values.len() / 2;
    match values.len() {
        0 => None,
        n if n % 2 == 1 => Some(values[middle] as f64),
        _ => Some((values[middle - 1] as f64 + values[middle] as f64) / 2.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use keelson_telemetry::{AttackClass, Label};

    fn labelled(at: i64, attack: bool) -> CanFrame {
        let label = if attack {
            Label::Attack(AttackClass::Unspecified)
        } else {
            Label::Normal
        };
        let mut frame = CanFrame::default();
        frame.timestamp_us = at;
        frame.label = Some(label);
        frame
    }

    #[test]
    fn episodes_split_on_long_gaps_and_latency_is_to_first_true_alert() {
        let mut tally = Tally::new(500_000);
        tally.add(&labelled(0, true), None);
        tally.add(&labelled(100_000, false), Some(100_000));
        tally.add(&labelled(300_000, true), Some(300_000));
        tally.add(&labelled(2_000_000, true), Some(2_000_000));
        let report = tally.report();
        assert_eq!((report.episodes, report.episodes_detected), (2, 2));
        assert_eq!((report.tp, report.fp, report.fn_), (2, 1, 1));
        // Latencies 300 ms and 0 ms: the median of two is their mean.
        assert_eq!(report.median_latency_ms, Some(150.0));
        assert_eq!(report.precision, Some(2.0 / 3.0));
    }

    #[test]
    fn ndjson_fields_come_in_the_documented_order() {
        let report = Tally::new(1).report();
        let line = report.to_ndjson("x.csv");
        let keys = [
            "file",
            "frames",
            "attack_frames",
            "tp",
            "fp",
            "fn",
            "precision",
            "recall",
            "f1",
            "false_alarms_per_hour",
            "median_latency_ms",
        ];
        let positions: Vec<Option<usize>> = keys
            .iter()
            .map(|key| line.find(&format!("\"{key}\":")))
            .collect();
        assert!(positions.iter().all(Option::is_some), "{line}");
        assert!(positions.windows(2).all(|pair| pair[0] < pair[1]), "{line}");
        assert_eq!(line.matches(':').count(), keys.len(), "{line}");
        assert!(line.starts_with("{\"file\":\"x.csv\",\"frames\":0,"));
    }
}
