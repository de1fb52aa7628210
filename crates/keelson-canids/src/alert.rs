//! What a detector reports: which check fired, on which identifier, when, and by how much.

use serde::{Deserialize, Serialize};

/// The check that raised an alert; the snake_case names are stable (used in NDJSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Check {
    /// The identifier is not in the profile.
    UnknownId,
    /// The data length code was never seen for this identifier.
    UnexpectedDlc,
    /// The frame came sooner after the previous one of its ID than the profile allows
    /// (injection, flooding, spoofing next to the real sender).
    TooEarly,
    /// No frame of this identifier came for longer than the profile allows (suspension).
    IdSilent,
    /// A frame came between two frames of its ID that keep the learned period: it was
    /// inserted next to the genuine sender. Reported when the next frame arrives, about the
    /// earlier one.
    InsertedFrame,
    /// A decoded signal is outside the range it took in the baseline (the profile was
    /// learned with the model's DBC files).
    SignalOutOfRange,
    /// The frame that began a flood of a rarely seen ID. Reported with the flood's second
    /// frame, about the first.
    FloodStarted,
    /// A payload bit that never changed in the baseline has flipped.
    ConstantBitFlipped,
    /// A payload byte is outside its learned range.
    ByteOutOfRange,
    /// A payload byte with a small learned value set holds a value outside it.
    ByteValueUnseen,
}

impl Check {
    /// The stable name (`too_early`, `unknown_id`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Check::UnknownId => "unknown_id",
            Check::UnexpectedDlc => "unexpected_dlc",
            Check::TooEarly => "too_early",
            Check::IdSilent => "id_silent",
            Check::InsertedFrame => "inserted_frame",
            Check::FloodStarted => "flood_started",
            Check::SignalOutOfRange => "signal_out_of_range",
            Check::ConstantBitFlipped => "constant_bit_flipped",
            Check::ByteOutOfRange => "byte_out_of_range",
            Check::ByteValueUnseen => "byte_value_unseen",
        }
    }
}

/// One anomaly found by a [`crate::Detector`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// Which check fired.
    pub check: Check,
    /// Arbitration ID concerned (for `id_silent`, the silent ID, not the frame's).
    pub id: u32,
    /// Whether `id` is 29-bit.
    pub extended: bool,
    /// Timestamp of the frame being observed when the alert fired (µs, the frame's base);
    /// for alerts from `Detector::finish`, the time given to it.
    pub timestamp_us: i64,
    /// Set when the alert is about an earlier frame of the same ID, recognised only once a
    /// later frame arrived (`inserted_frame`, `flood_started`): that frame's timestamp.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub earlier_frame_us: Option<i64>,
    /// Observed against expected values.
    pub detail: Detail,
}

/// The observed value and what the profile expected, per kind of check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Detail {
    /// A gap between frames of one ID.
    Gap {
        /// Gap observed, µs.
        observed_us: i64,
        /// Smallest gap accepted (learned minimum × `early_factor`), µs.
        min_allowed_us: i64,
        /// Smallest gap learned, µs (0 for an ID with too few learned gaps).
        learned_min_us: i64,
    },
    /// An inserted frame and the two frames of its ID around it.
    Inserted {
        /// From the frame before the inserted one to the frame after it, µs: close to the
        /// learned period, which the inserted frame would have broken.
        period_kept_us: i64,
        /// From the inserted frame to the frame after it, µs.
        gap_after_us: i64,
        /// Smallest gap learned for the ID, µs.
        learned_min_us: i64,
        /// Largest gap learned for the ID, µs.
        learned_max_us: i64,
        /// Shortest span of two gaps accepted for the ID, µs (when it was checked).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min_span_us: Option<i64>,
    },
    /// Time without a frame of one ID.
    Silence {
        /// Time since the last frame (or since the start of the stream), µs.
        silent_us: i64,
        /// Longest silence accepted, µs.
        max_allowed_us: i64,
        /// Median gap learned, µs.
        learned_p50_us: i64,
    },
    /// A data length code.
    Dlc {
        /// DLC observed.
        observed: u8,
        /// DLCs learned.
        learned: Vec<u8>,
    },
    /// One payload byte (range, value-set and constant-bit checks).
    Byte {
        /// Byte position (0-based).
        index: u8,
        /// Value observed.
        observed: u8,
        /// Smallest value accepted.
        min: u8,
        /// Largest value accepted.
        max: u8,
        /// Bits that never changed in the baseline.
        constant_mask: u8,
        /// Their learned values.
        constant_value: u8,
    },
    /// One decoded signal.
    Signal {
        /// Signal name from the DBC.
        signal: String,
        /// Physical value observed.
        value: f64,
        /// Smallest value accepted (learned minimum less the slack).
        lowest: f64,
        /// Largest value accepted (learned maximum plus the slack).
        highest: f64,
        /// Unit from the DBC.
        unit: String,
    },
    /// No detail beyond the identifier (unknown ID).
    Identifier {
        /// Data length code of the frame.
        dlc: u8,
    },
}
