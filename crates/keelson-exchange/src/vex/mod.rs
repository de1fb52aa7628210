//! VEX: one neutral model of "is this product affected by that vulnerability", written
//! as OpenVEX 0.2, CycloneDX 1.5/1.6 VEX or a CSAF 2.0 VEX document, and each of the
//! three read back into statements that change findings.

mod apply;
mod csaf_vex;
mod csaf_vex_in;
mod cyclonedx;
mod cyclonedx_in;
mod model;
mod openvex;
mod read;

pub use apply::{Finding, FindingStatus, apply};
pub use csaf_vex::to_csaf;
pub use csaf_vex_in::parse_csaf_vex;
pub use cyclonedx::{CycloneDxVersion, to_cyclonedx};
pub use cyclonedx_in::parse_cyclonedx;
pub use model::{Justification, Product, Statement, Status, VexDocument, Vulnerability};
pub use openvex::{parse_openvex, to_openvex};
pub use read::{VexFormat, read};
