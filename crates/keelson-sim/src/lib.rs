//! Keelson's simulated fleet, shared by `keelson demo` and `keelson
//! simulate`: the demo catalogue (vehicle models with their DBC files,
//! ECUs and builds), a fleet drawn from a seed, and a generator that turns
//! a seed and a clock into vehicle events, with attack scenarios that
//! Keelson's Sigma rules catch.
//!
//! Pure: no I/O, no clock, no logging. The caller says what time it is and
//! sends the events wherever they go.

pub mod can;
pub mod catalogue;
pub mod fleet;
pub mod generator;
mod random;
pub mod scenarios;

pub use catalogue::{BuildSpec, DBC_FILES, EcuSpec, MODELS, ModelSpec};
pub use fleet::{Fleet, SimVehicle};
pub use generator::{CYCLE_SECS, Generator, Settings};
pub use scenarios::Attack;
