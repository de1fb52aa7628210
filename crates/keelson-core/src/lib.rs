//! Keelson's shared vocabulary: the words that the VSOC and the PSIRT sides
//! both speak, defined once so that every crate means the same thing by them.
//!
//! - [`tlp`]: the Traffic Light Protocol 2.0 label and the one clearance check
//!   that every read and export path goes through;
//! - [`role`]: account roles and the principal (who is asking);
//! - [`severity`]: the severity scale shared by alerts, findings and cases;
//! - [`case`]: the PSIRT case workflow, intake kinds, teams, build statuses;
//! - [`incident`]: the VSOC incident states and response times (MTTD..MTTR);
//! - [`vulnerability`]: checked vulnerability identifiers (CVE, GHSA, ...);
//! - [`sla`]: response deadlines per severity;
//! - [`risk`]: ISO/SAE 21434 impact, attack feasibility and risk values;
//! - [`tara`]: the TARA import format and its checks;
//! - [`remediation`]: remediation packages and compensating controls;
//! - [`indicator`]: a case's threat indicators (hash, protocol marker, behaviour).

pub mod case;
pub mod incident;
pub mod indicator;
pub mod remediation;
pub mod risk;
pub mod role;
pub mod severity;
pub mod sla;
pub mod tara;
pub mod tlp;
pub mod vulnerability;

pub use case::{BuildStatus, CaseState, IntakeKind, Team};
pub use incident::IncidentState;
pub use role::{Principal, Role};
pub use severity::Severity;
pub use sla::SlaPolicy;
pub use tlp::{Marked, Marking, Tlp};
pub use vulnerability::VulnerabilityId;
