//! The crate's error type.

use keelson_telemetry::Format;

/// What went wrong while loading a profile or reading a capture.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The profile text is not valid profile JSON.
    #[error("profile is not valid JSON: {0}")]
    ProfileJson(#[from] serde_json::Error),
    /// The profile was written by an incompatible version of this crate.
    #[error("profile format version {found} is not supported (expected {expected})")]
    ProfileVersion {
        /// Version found in the profile.
        found: u32,
        /// Version this crate reads.
        expected: u32,
    },
    /// The capture format does not carry CAN frames.
    #[error("format {} does not carry CAN frames", .0.name())]
    NotCan(Format),
    /// Reading the capture failed (an I/O error ends the stream).
    #[error("reading capture failed: {0}")]
    Read(#[from] keelson_telemetry::Error),
}
