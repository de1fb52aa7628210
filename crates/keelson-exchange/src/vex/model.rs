//! The neutral VEX model every format is written from and OpenVEX is read into.

use std::collections::BTreeMap;

use keelson_core::Tlp;
use keelson_vulndb::Purl;
use time::OffsetDateTime;

/// The prefix that turns a build ID into an IRI where a format asks for one.
pub(crate) const BUILD_URN: &str = "urn:keelson:build:";

/// What a statement is about: a package (purl) or one software build.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Product {
    /// A package URL, normalised (so `+` and `%2B` in a version compare equal).
    Purl(Purl),
    /// A Keelson software build ID.
    Build(String),
}

impl Product {
    /// The product as one identifier: the canonical purl, or `urn:keelson:build:ID`.
    pub fn iri(&self) -> String {
        match self {
            Self::Purl(purl) => purl.to_string(),
            Self::Build(id) => format!("{BUILD_URN}{id}"),
        }
    }

    /// A short human name.
    pub fn name(&self) -> String {
        match self {
            Self::Purl(purl) => match purl.version() {
                Some(version) => format!("{} {version}", purl.name()),
                None => purl.name().to_owned(),
            },
            Self::Build(id) => id.clone(),
        }
    }
}

/// A vulnerability by its main ID and the other names it is known by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vulnerability {
    /// The main identifier (`CVE-2024-1234`, `GHSA-…`).
    pub id: String,
    /// Other identifiers of the same vulnerability.
    pub aliases: Vec<String>,
    /// Free text, if any.
    pub description: Option<String>,
}

impl Vulnerability {
    /// Whether `id` names this vulnerability (its main ID or an alias).
    pub fn is_named(&self, id: &str) -> bool {
        self.id == id || self.aliases.iter().any(|alias| alias == id)
    }
}

/// Why a product is not affected (the five VEX justifications).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Justification {
    ComponentNotPresent,
    VulnerableCodeNotPresent,
    VulnerableCodeNotInExecutePath,
    VulnerableCodeCannotBeControlledByAdversary,
    InlineMitigationsAlreadyExist,
}

impl Justification {
    /// The label OpenVEX and CSAF flags both use.
    pub fn label(self) -> &'static str {
        match self {
            Self::ComponentNotPresent => "component_not_present",
            Self::VulnerableCodeNotPresent => "vulnerable_code_not_present",
            Self::VulnerableCodeNotInExecutePath => "vulnerable_code_not_in_execute_path",
            Self::VulnerableCodeCannotBeControlledByAdversary => {
                "vulnerable_code_cannot_be_controlled_by_adversary"
            }
            Self::InlineMitigationsAlreadyExist => "inline_mitigations_already_exist",
        }
    }

    /// The justification a label names.
    pub fn from_label(label: &str) -> Option<Self> {
        [
            Self::ComponentNotPresent,
            Self::VulnerableCodeNotPresent,
            Self::VulnerableCodeNotInExecutePath,
            Self::VulnerableCodeCannotBeControlledByAdversary,
            Self::InlineMitigationsAlreadyExist,
        ]
        .into_iter()
        .find(|j| j.label() == label)
    }
}

/// The status a statement gives, with what each status requires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// Not affected, with the justification and an optional impact statement.
    NotAffected {
        justification: Option<Justification>,
        impact: Option<String>,
    },
    /// Affected, with what to do about it.
    Affected { action: String },
    /// Fixed in these products.
    Fixed,
    /// Not known yet.
    UnderInvestigation,
}

impl Status {
    /// The OpenVEX status word.
    pub fn label(&self) -> &'static str {
        match self {
            Self::NotAffected { .. } => "not_affected",
            Self::Affected { .. } => "affected",
            Self::Fixed => "fixed",
            Self::UnderInvestigation => "under_investigation",
        }
    }
}

/// One VEX statement: these products, this vulnerability, this status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub vulnerability: Vulnerability,
    pub products: Vec<Product>,
    /// Per product, the components of it the statement is about (OpenVEX
    /// `subcomponents`, a CSAF `default_component_of` relationship). A product
    /// without an entry is meant whole.
    pub components: BTreeMap<Product, Vec<Purl>>,
    pub status: Status,
    /// When the statement was made; the document's timestamp when absent.
    pub timestamp: Option<OffsetDateTime>,
}

/// A VEX document in the neutral model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VexDocument {
    /// The document's identity (OpenVEX `@id`, CSAF tracking ID, CycloneDX serial when
    /// it is a `urn:uuid:`).
    pub id: String,
    /// Who states it.
    pub author: String,
    /// The author's namespace URL (CSAF `publisher.namespace`), if known.
    pub author_namespace: Option<String>,
    /// First issued.
    pub timestamp: OffsetDateTime,
    /// Last changed, when different from `timestamp`.
    pub last_updated: Option<OffsetDateTime>,
    /// Document version, counting from 1.
    pub version: u32,
    /// Who may see it.
    pub tlp: Tlp,
    pub statements: Vec<Statement>,
}

/// RFC 3339 text of a timestamp (UTC offsets as written).
pub(crate) fn rfc3339(at: OffsetDateTime) -> String {
    use time::format_description::well_known::Rfc3339;
    at.format(&Rfc3339).unwrap_or_else(|_| at.to_string())
}
