//! CAN-bus anomaly detection on learned per-vehicle-model baselines.
//!
//! A [`Learner`] reads clean captures of one vehicle model and produces a [`Profile`]: per
//! CAN identifier the data lengths seen, the spacing between frames and which payload bits
//! and byte values occur. A [`Detector`] built from that profile checks each frame against
//! it and returns [`Alert`]s that name the check, the identifier, the time and the
//! observed against the expected value. Given the vehicle model's DBC files, the learner
//! also keeps each decoded signal's range and the detector checks signals against it. [`evaluate`] scores a detector on a labelled
//! capture frame by frame.
//!
//! The crate is pure: it reads only the frames or `BufRead` the caller passes, never logs
//! and never panics on input.

pub mod alert;
pub mod detector;
pub mod error;
pub mod eval;
pub mod learn;
pub mod margins;
pub mod profile;
pub mod signals;

pub use alert::{Alert, Check, Detail};
pub use detector::Detector;
pub use error::Error;
pub use eval::{EvalOptions, EvalReport, evaluate, evaluate_reader, evaluate_with};
pub use learn::{Learner, ReadStats};
pub use margins::Margins;
pub use profile::{ByteStats, CaptureSource, FORMAT_VERSION, GapStats, IdProfile, Profile};
pub use signals::SignalRange;
