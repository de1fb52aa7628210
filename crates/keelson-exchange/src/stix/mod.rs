//! STIX 2.1 bundles: the objects Keelson keeps from threat intelligence
//! (`indicator`, `attack-pattern`, `vulnerability`, `relationship`, and the TLP
//! `marking-definition`s that mark them) read from a bundle into a neutral model,
//! and written back as a bundle or as single objects (for TAXII).
//!
//! Reading is strict about what Keelson keeps: a kept object that breaks the
//! specification refuses the bundle with the JSON pointer of the fault. Objects
//! of other types are checked only for a well-formed `type` and `id` and are
//! counted per type in [`Bundle::not_kept`], never dropped silently.
//!
//! An object's TLP is the strictest TLP marking among its `object_marking_refs`
//! and granular markings: the TLP 1.0 definitions of the STIX 2.1 specification
//! (WHITE read as CLEAR), the published TLP 2.0 definitions, or a TLP
//! marking-definition in the same bundle. `None` when it names none.

mod read;
pub mod tlp;
mod write;

use std::collections::BTreeMap;

use keelson_core::Tlp;
use serde::{Deserialize, Serialize};

pub use read::read_bundle;
pub use write::{ExportObject, bundle, deterministic_id, object};

/// The types Keelson keeps, in the order an export lists them.
pub const KEPT_TYPES: [&str; 5] = [
    "marking-definition",
    "vulnerability",
    "attack-pattern",
    "indicator",
    "relationship",
];

/// What every kept object has.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Meta {
    /// `TYPE--UUID`.
    pub id: String,
    /// RFC 3339 with `Z`, as the object wrote it.
    pub created: String,
    pub modified: String,
    /// The strictest TLP its markings name, if any.
    pub tlp: Option<Tlp>,
}

/// A source outside STIX that an object refers to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExternalReference {
    pub source_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// A phase of a kill chain (for the Automotive Threat Matrix, a tactic).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KillChainPhase {
    pub kill_chain_name: String,
    pub phase_name: String,
}

/// A pattern that indicates suspicious or malicious activity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Indicator {
    pub name: Option<String>,
    pub description: Option<String>,
    pub pattern: String,
    /// `stix`, `sigma`, `snort`, ... (an open vocabulary).
    pub pattern_type: String,
    pub valid_from: String,
    pub valid_until: Option<String>,
    #[serde(default)]
    pub labels: Vec<String>,
}

/// An attack technique, such as an Automotive Threat Matrix technique.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttackPattern {
    pub name: String,
    pub description: Option<String>,
    #[serde(default)]
    pub external_references: Vec<ExternalReference>,
    #[serde(default)]
    pub kill_chain_phases: Vec<KillChainPhase>,
}

impl AttackPattern {
    /// The technique's ID: the first external reference's `external_id`.
    pub fn external_id(&self) -> Option<&str> {
        self.external_references
            .iter()
            .find_map(|reference| reference.external_id.as_deref())
    }

    /// The tactics (kill chain phase names), comma-separated, if any.
    pub fn tactic(&self) -> Option<String> {
        let phases: Vec<&str> = self
            .kill_chain_phases
            .iter()
            .map(|phase| phase.phase_name.as_str())
            .collect();
        (!phases.is_empty()).then(|| phases.join(","))
    }
}

/// A vulnerability; `name` is its CVE ID when it has one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vulnerability {
    pub name: String,
    pub description: Option<String>,
    #[serde(default)]
    pub external_references: Vec<ExternalReference>,
}

/// A link between two objects (`indicates`, `uses`, `targets`, ...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Relationship {
    pub relationship_type: String,
    pub source_ref: String,
    pub target_ref: String,
    pub description: Option<String>,
}

/// One kept object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Body {
    Indicator(Indicator),
    AttackPattern(AttackPattern),
    Vulnerability(Vulnerability),
    Relationship(Relationship),
}

impl Body {
    /// The STIX type name.
    pub fn type_name(&self) -> &'static str {
        match self {
            Body::Indicator(_) => "indicator",
            Body::AttackPattern(_) => "attack-pattern",
            Body::Vulnerability(_) => "vulnerability",
            Body::Relationship(_) => "relationship",
        }
    }
}

/// A kept object with its identity and marking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StixObject {
    pub meta: Meta,
    pub body: Body,
}

/// What a bundle holds, as Keelson reads it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Bundle {
    /// The kept objects, in bundle order.
    pub objects: Vec<StixObject>,
    /// Every object of the bundle counted per type (kept or not).
    pub counts: BTreeMap<String, u64>,
    /// Objects of types Keelson does not keep, per type; a marking-definition that
    /// is no TLP marking is counted here too.
    pub not_kept: BTreeMap<String, u64>,
}
