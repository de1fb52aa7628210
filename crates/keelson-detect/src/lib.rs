//! Keelson's detection engine: Sigma v2 detection and correlation rules over normalized
//! vehicle events, producing deduplicated alerts with evidence.
//!
//! A pure library: it reads rule text and events handed to it and returns results plus
//! reports; it performs no I/O and does not log. The `sigma` module owns the rule
//! language; CAN payload and timing analytics are meant to live beside it in a `can`
//! module sharing `event` and `alert`.

pub mod alert;
pub mod engine;
pub mod error;
pub mod event;
pub mod sigma;

pub use alert::{Alert, AlertBook};
pub use engine::{Engine, EngineConfig, NumericTime, Processed};
pub use error::DetectError;
pub use event::{EventFields, FieldValue};
pub use sigma::{RuleReport, RuleSet, RuleStatus, load_rules};
