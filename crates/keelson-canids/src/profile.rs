//! The learned baseline of one vehicle model, serialised as JSON.

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::margins::Margins;
use crate::signals::SignalRange;

/// The profile layout version this crate writes and reads.
pub const FORMAT_VERSION: u32 = 1;

/// What normal traffic of one vehicle model looks like, per CAN identifier.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    /// Layout version ([`FORMAT_VERSION`]).
    pub format_version: u32,
    /// Vehicle model (or dataset) the baseline describes.
    pub model: String,
    /// The captures learned from, in order.
    pub learned_from: Vec<CaptureSource>,
    /// Tolerances the detector applies.
    #[serde(default)]
    pub margins: Margins,
    /// One entry per identifier, sorted by (extended, id).
    pub ids: Vec<IdProfile>,
    /// Decoded signal ranges, sorted by (extended, id, name); empty when the profile was
    /// learned without DBC files.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub signals: Vec<SignalRange>,
}

/// One capture a profile was learned from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaptureSource {
    /// File (or stream) name as given by the caller.
    pub file: String,
    /// Frames learned from it (error frames excluded).
    pub frames: u64,
}

/// The baseline of one CAN identifier.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IdProfile {
    /// Arbitration ID.
    pub id: u32,
    /// Whether `id` is 29-bit.
    pub extended: bool,
    /// Frames seen.
    pub frames: u64,
    /// Data length codes seen, ascending.
    pub dlcs: Vec<u8>,
    /// Spacing between consecutive frames of this ID within one capture; `None` when
    /// fewer than two frames were seen in any capture.
    pub gaps: Option<GapStats>,
    /// Data frames the payload statistics come from.
    pub data_frames: u64,
    /// Per payload byte position, over the data frames long enough to have it.
    pub bytes: Vec<ByteStats>,
}

/// Inter-arrival statistics, in microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct GapStats {
    /// Gaps measured.
    pub count: u64,
    /// Smallest gap.
    pub min_us: i64,
    /// 1st percentile (nearest rank).
    pub p1_us: i64,
    /// Median.
    pub p50_us: i64,
    /// 99th percentile.
    pub p99_us: i64,
    /// Largest gap.
    pub max_us: i64,
    /// Shortest span of two consecutive gaps (three frames in a row); `None` in profiles
    /// learned before it was kept, or with fewer than three frames in any capture.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_two_gaps_us: Option<i64>,
}

/// Values seen at one payload byte position.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ByteStats {
    /// Smallest value.
    pub min: u8,
    /// Largest value.
    pub max: u8,
    /// Bits that were 0 at least once.
    pub ever_zero: u8,
    /// Bits that were 1 at least once.
    pub ever_one: u8,
    /// All distinct values, when there were few (at most [`MAX_VALUE_SET`]).
    pub values: Option<Vec<u8>>,
}

/// Largest value set kept per byte position.
pub const MAX_VALUE_SET: usize = 16;

impl ByteStats {
    /// Bits that never changed in the baseline.
    pub fn constant_mask(&self) -> u8 {
        !(self.ever_zero & self.ever_one)
    }
}

impl Profile {
    /// An empty profile for `model` (every frame is then an unknown ID).
    pub fn empty(model: &str) -> Profile {
        Profile {
            format_version: FORMAT_VERSION,
            model: model.to_owned(),
            learned_from: Vec::new(),
            margins: Margins::default(),
            ids: Vec::new(),
            signals: Vec::new(),
        }
    }

    /// Learns a profile from the frames of one capture.
    pub fn learn<'a, I>(model: &str, file: &str, frames: I) -> Profile
    where
        I: IntoIterator<Item = &'a keelson_telemetry::CanFrame>,
    {
        let mut learner = crate::Learner::new(model);
        learner.begin_capture(file);
        frames.into_iter().for_each(|frame| learner.learn(frame));
        learner.finish()
    }

    /// Reads a profile from JSON, checking its layout version.
    pub fn from_json(text: &str) -> Result<Profile, Error> {
        let profile: Profile = serde_json::from_str(text)?;
        if profile.format_version != FORMAT_VERSION {
            return Err(Error::ProfileVersion {
                found: profile.format_version,
                expected: FORMAT_VERSION,
            });
        }
        Ok(profile)
    }

    /// The profile as pretty-printed JSON.
    pub fn to_json(&self) -> String {
        // A profile holds only numbers, strings and lists, so serialising cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// The baseline of one identifier.
    pub fn id(&self, id: u32, extended: bool) -> Option<&IdProfile> {
        self.ids
            .binary_search_by_key(&(extended, id), |entry| (entry.extended, entry.id))
            .ok()
            .and_then(|at| self.ids.get(at))
    }
}
