//! VEX: one neutral model of "is this product affected by that vulnerability", written
//! as OpenVEX 0.2, CycloneDX 1.5/1.6 VEX or a CSAF 2.0 VEX document, and OpenVEX read
//! back into statements that change findings.

mod apply;
mod csaf_vex;
mod cyclonedx;
mod model;
mod openvex;

pub use apply::{Finding, FindingStatus, apply};
pub use csaf_vex::to_csaf;
pub use cyclonedx::{CycloneDxVersion, to_cyclonedx};
pub use model::{Justification, Product, Statement, Status, VexDocument, Vulnerability};
pub use openvex::{parse_openvex, to_openvex};
