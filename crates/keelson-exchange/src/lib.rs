//! Keelson's exchange library: what crosses organisations. CSAF 2.0 validation (the
//! official schema plus the mandatory tests of section 6.1) and VEX documents: written
//! from one neutral model as OpenVEX 0.2, CycloneDX 1.5/1.6 VEX and the CSAF 2.0 VEX
//! profile, and each of them read back into statements that change findings;
//! SARIF 2.1.0 security-test results; and STIX 2.1 threat intelligence bundles.
//!
//! The crate is pure: it takes bytes or values and returns values, fetches nothing,
//! logs nothing and does not panic on any input.

pub mod csaf;
pub mod cwe;
mod error;
mod json;
pub mod sarif;
pub mod stix;
pub mod vex;

pub use error::Error;
