//! The tolerances between what a profile learned and what a detector accepts.
//!
//! They are stored in the profile so that a profile carries the margins it was validated
//! with; a caller may override them when building a detector.

use serde::{Deserialize, Serialize};

/// Tolerances of the detector's checks.
///
/// The defaults were tuned on the corpus so that held-out clean traffic (the last 30% of
/// each clean capture, learned on the first 70%) raises no alert; see the crate README.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Margins {
    /// A frame is too early when its gap to the previous frame of its ID is below this
    /// fraction of the smallest gap learned for that ID.
    pub early_factor: f64,
    /// An ID is silent when no frame came for this many median gaps ...
    pub silence_periods: f64,
    /// ... and for this multiple of the largest learned gap (the larger of the two holds).
    pub silence_max_gap_factor: f64,
    /// Timing checks run only for IDs with at least this many learned gaps.
    pub min_gaps: u64,
    /// Payload checks run only for IDs with at least this many learned data frames.
    pub min_payload_frames: u64,
    /// The learned byte range is widened by this many units on each side.
    pub byte_slack: u8,
    /// Check that bits constant in the baseline stay constant.
    pub check_constant_bits: bool,
    /// Limit the constant-bit check to bytes whose eight bits were all constant: a byte
    /// where some bits moved is a signal whose other bits may move later.
    pub constant_whole_bytes_only: bool,
    /// Smallest gap accepted for an ID with fewer than `min_gaps` learned gaps (a rare ID
    /// that suddenly floods), µs; 0 turns this off.
    pub sparse_min_gap_us: i64,
    /// Check that each byte stays within its learned range (plus `byte_slack`).
    pub check_byte_range: bool,
    /// Check that bytes with a small learned value set keep to that set.
    pub check_value_sets: bool,
    /// Blame the earlier of two frames that came too close together when the later one
    /// keeps the learned period from the frame before both (`inserted_frame`), and the
    /// first frame of a rare ID's flood (`flood_started`). Costs one frame of delay for
    /// those alerts.
    pub attribute_inserted: bool,
    /// How far outside the learned gap range (as a fraction of its bounds) a gap still
    /// counts as keeping the period.
    pub period_band_slack: f64,
    /// A frame was inserted when the frame before it and the frame after it are closer
    /// together than this fraction of the shortest span of two consecutive gaps learned
    /// for the ID (`inserted_frame`, even when neither gap alone is too early); 0 turns
    /// this off.
    pub span_factor: f64,
    /// Check decoded signals against their learned ranges (needs a profile learned with
    /// DBC files and a detector given the same files).
    pub check_signal_ranges: bool,
    /// Learned signal ranges are widened by this fraction of their span on each side.
    pub signal_slack: f64,
}

impl Default for Margins {
    fn default() -> Self {
        Margins {
            early_factor: 0.75,
            silence_periods: 10.0,
            silence_max_gap_factor: 2.0,
            min_gaps: 20,
            min_payload_frames: 50,
            byte_slack: 0,
            check_constant_bits: false,
            constant_whole_bytes_only: true,
            sparse_min_gap_us: 1_000,
            check_byte_range: false,
            check_value_sets: false,
            attribute_inserted: true,
            period_band_slack: 0.1,
            span_factor: 0.8,
            check_signal_ranges: false,
            signal_slack: 0.1,
        }
    }
}
