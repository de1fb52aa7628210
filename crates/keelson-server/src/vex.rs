//! VEX in Keelson, without HTTP: a supplier document read into stored statements,
//! the VEX status of each finding of a build, and the VEX document of a build.
//! The API (`api/vex.rs`, `api/findings.rs`) and the CLI (`keelson vex`) call these
//! same functions, so online and offline answers cannot drift apart.
//!
//! **How a VEX product maps to a Keelson build.** A build is the product
//! `urn:keelson:build:ID`, and also the product named by the purl of what each of
//! its SBOMs describes (CycloneDX `metadata.component`, SPDX `DESCRIBES`). A
//! finding is a vulnerability on a component inside those products. A statement
//! applies to it when it names the vulnerability (ID or alias) and
//! - names one of the build's products with this component as a subcomponent, or
//! - names one of the build's products whole, or
//! - names this component's purl itself (a supplier speaking of its package).
//!
//! Purls compare after normalisation (keelson-vulndb's `Purl`). Among the stored
//! statements and the case build statuses that apply, the latest recorded one
//! decides; a finding nobody has decided on is `under_investigation` in an export.

use std::collections::{BTreeMap, HashMap};

use keelson_core::{BuildStatus, Marking, Principal, Tlp};
use keelson_exchange::vex::{
    self, CycloneDxVersion, Justification, Product, Statement, Status, VexDocument, VexFormat,
    Vulnerability,
};
use keelson_store::cases::Case;
use keelson_store::cases::work::CaseBuild;
use keelson_store::vex::{NewVexImport, NewVexStatement, VexImported, VexStatementRecord};
use keelson_store::{Store, StoreError};
use keelson_vulndb::{Finding, Purl};
use serde::Serialize;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::findings;

/// Why a VEX document could not be imported or written.
#[derive(Debug, thiserror::Error)]
pub enum VexError {
    /// The document is not VEX Keelson can read; the reason names where.
    #[error(transparent)]
    Document(#[from] keelson_exchange::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// No such output format.
    #[error("format {0:?}: expected openvex, cyclonedx, cyclonedx-1.5 or csaf")]
    Format(String),
}

/// A document written in `format`: `openvex`, `cyclonedx` (1.6), `cyclonedx-1.5`
/// or `csaf`.
pub fn write(document: &VexDocument, format: &str) -> Result<serde_json::Value, VexError> {
    match format {
        "openvex" => Ok(vex::to_openvex(document)),
        "cyclonedx" | "cyclonedx-1.6" => Ok(vex::to_cyclonedx(document, CycloneDxVersion::V1_6)),
        "cyclonedx-1.5" => Ok(vex::to_cyclonedx(document, CycloneDxVersion::V1_5)),
        "csaf" => Ok(vex::to_csaf(document)?),
        other => Err(VexError::Format(other.to_owned())),
    }
}

/// The statements of a document, ready to store. `marking` is the caller's; without
/// one a CSAF document's own TLP applies, else AMBER (a supplier's VEX is not
/// public unless said so).
pub fn new_import(bytes: &[u8], marking: Option<Marking>) -> Result<NewVexImport, VexError> {
    let (format, document) = vex::read(bytes)?;
    let marking = marking.unwrap_or_else(|| {
        Marking::new(match format {
            VexFormat::Csaf => document.tlp,
            VexFormat::OpenVex | VexFormat::CycloneDx => Tlp::Amber,
        })
    });
    let statements = document.statements.iter().flat_map(rows_of).collect();
    Ok(NewVexImport {
        sha256: hex::encode(Sha256::digest(bytes)),
        document_id: document.id.clone(),
        format: format.as_str().to_owned(),
        author: document.author.clone(),
        marking,
        statements,
    })
}

/// Reads and stores a document.
pub async fn import(
    store: &Store,
    actor: &str,
    bytes: &[u8],
    marking: Option<Marking>,
) -> Result<VexImported, VexError> {
    let import = new_import(bytes, marking)?;
    Ok(store.import_vex(actor, &import).await?)
}

/// One row per product, or per component where the statement names components.
fn rows_of(statement: &Statement) -> Vec<NewVexStatement> {
    let (justification, impact, action) = match &statement.status {
        Status::NotAffected {
            justification,
            impact,
        } => (
            justification.map(|j| j.label().to_owned()),
            impact.clone(),
            None,
        ),
        Status::Affected { action } => (None, None, Some(action.clone())),
        Status::Fixed | Status::UnderInvestigation => (None, None, None),
    };
    let row = |product: &Product, component: Option<&Purl>| NewVexStatement {
        vulnerability_id: statement.vulnerability.id.clone(),
        aliases: statement.vulnerability.aliases.clone(),
        product: product.iri(),
        component: component.map(Purl::to_string),
        status: statement.status.label().to_owned(),
        justification: justification.clone(),
        impact: impact.clone(),
        action: action.clone(),
        stated_at_us: statement.timestamp.map(micros),
    };
    let mut rows = Vec::new();
    for product in &statement.products {
        match statement.components.get(product) {
            Some(parts) if !parts.is_empty() => {
                rows.extend(parts.iter().map(|part| row(product, Some(part))));
            }
            _ => rows.push(row(product, None)),
        }
    }
    rows
}

fn micros(at: OffsetDateTime) -> i64 {
    i64::try_from(at.unix_timestamp_nanos() / 1_000).unwrap_or(i64::MAX)
}

/// What Keelson holds on one finding: the deciding statement or case status.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct VexStatus {
    /// `not_affected`, `affected`, `fixed` or `under_investigation`.
    pub status: String,
    pub justification: Option<String>,
    pub impact_statement: Option<String>,
    pub action_statement: Option<String>,
    /// `vex` (a stored VEX statement) or `case` (a case's status for the build).
    pub source: String,
    /// The statement's or the case's ID.
    pub source_id: String,
    /// The document's author, or who set the case status.
    pub author: String,
    /// When Keelson recorded it.
    pub at: String,
    #[serde(skip)]
    at_us: i64,
    #[serde(skip)]
    tlp: Tlp,
}

/// The stored decisions that may concern one build's findings, as the reader may
/// see them.
pub struct BuildDecisions {
    within: Vec<Product>,
    statements: Vec<(VexStatementRecord, Statement)>,
    cases: Vec<(Case, CaseBuild)>,
}

/// A build whose decisions are wanted: its ID, the purls of what its SBOMs
/// describe, and its findings.
#[derive(Debug, Clone, Copy)]
pub struct BuildFound<'a> {
    pub build_id: &'a str,
    pub products: &'a [Purl],
    pub findings: &'a [Finding],
}

impl BuildDecisions {
    /// Loads what applies to `build_id`'s findings: statements about the build, its
    /// SBOM subjects or the findings' components, and the cases listing the build.
    pub async fn load(
        store: &Store,
        reader: &Principal,
        build_id: &str,
        found: &[Finding],
    ) -> Result<Self, StoreError> {
        let products = findings::build_products(store, build_id).await?;
        let build = BuildFound {
            build_id,
            products: &products,
            findings: found,
        };
        let mut decisions = Self::for_builds(store, reader, &[build]).await?;
        Ok(decisions.pop().unwrap_or_else(|| Self::none(build_id)))
    }

    /// [`Self::load`] for many builds at once, one per build in order: the
    /// statements about any of them are read in one pass, then shared out
    /// by the products and components each build names.
    pub async fn for_builds(
        store: &Store,
        reader: &Principal,
        builds: &[BuildFound<'_>],
    ) -> Result<Vec<Self>, StoreError> {
        let mut spelt = HashMap::new();
        let keys: Vec<Vec<String>> = builds
            .iter()
            .map(|build| statement_keys(build, &mut spelt))
            .collect();
        let statements = readable_statements(store, reader, &keys).await?;
        let mut by_key: HashMap<&str, Vec<usize>> = HashMap::new();
        for (index, (record, _)) in statements.iter().enumerate() {
            by_key
                .entry(record.product.as_str())
                .or_default()
                .push(index);
        }
        let ids: Vec<String> = builds.iter().map(|b| b.build_id.to_owned()).collect();
        let cases = readable_case_builds(store, reader, &ids).await?;

        let decisions = builds.iter().zip(&keys).map(|(build, keys)| {
            let mut about: Vec<usize> = keys
                .iter()
                .flat_map(|key| by_key.get(key.as_str()).into_iter().flatten().copied())
                .collect();
            about.sort_unstable();
            about.dedup();
            BuildDecisions {
                within: within(build),
                statements: about.iter().map(|&i| statements[i].clone()).collect(),
                cases: statuses_of(&cases, build.build_id),
            }
        });
        Ok(decisions.collect())
    }

    fn none(build_id: &str) -> Self {
        BuildDecisions {
            within: vec![Product::Build(build_id.to_owned())],
            statements: Vec::new(),
            cases: Vec::new(),
        }
    }

    /// The latest decision on `vulnerability` (or an alias) on `component`, if any.
    pub fn status_of(&self, names: &[&str], component: Option<&Purl>) -> Option<VexStatus> {
        let from_vex = self
            .statements
            .iter()
            .filter(|(_, s)| {
                names
                    .iter()
                    .any(|n| s.applies_to(&self.within, component, n))
            })
            .map(|(record, _)| status_of_record(record));
        let from_cases = self
            .cases
            .iter()
            .filter(|(case, _)| names.iter().any(|n| tracks(case, n)))
            .map(|(case, build)| status_of_case(case, build));
        from_vex.chain(from_cases).max_by_key(|status| status.at_us)
    }

    /// The latest decision of the finding.
    pub fn status_of_finding(&self, finding: &Finding) -> Option<VexStatus> {
        let mut names = vec![finding.vulnerability.as_str()];
        names.extend(finding.aliases.iter().map(String::as_str));
        // Only a statement looks at the component; cases speak of the build.
        let component = if self.statements.is_empty() {
            None
        } else {
            component_of(finding)
        };
        self.status_of(&names, component.as_ref())
    }
}

fn component_of(finding: &Finding) -> Option<Purl> {
    finding.purl.as_deref().and_then(|p| p.parse().ok())
}

fn tracks(case: &Case, name: &str) -> bool {
    case.vulnerability_ids.iter().any(|id| id.as_str() == name)
}

/// The build as a VEX product, and the products its SBOMs describe.
fn within(build: &BuildFound<'_>) -> Vec<Product> {
    let mut within = vec![Product::Build(build.build_id.to_owned())];
    within.extend(build.products.iter().cloned().map(Product::Purl));
    within
}

/// The product texts a statement about the build or one of its findings'
/// components names. `spelt` keeps each purl's normal spelling, so a
/// component found in many builds is parsed once.
fn statement_keys<'a>(
    build: &BuildFound<'a>,
    spelt: &mut HashMap<&'a str, Option<String>>,
) -> Vec<String> {
    let mut keys: Vec<String> = within(build).iter().map(Product::iri).collect();
    for purl in build.findings.iter().filter_map(|f| f.purl.as_deref()) {
        let normal = spelt
            .entry(purl)
            .or_insert_with(|| purl.parse::<Purl>().ok().map(|p| p.to_string()));
        keys.extend(normal.clone());
    }
    keys
}

/// The stored statements naming any of `keys` that the reader may read,
/// oldest first.
async fn readable_statements(
    store: &Store,
    reader: &Principal,
    keys: &[Vec<String>],
) -> Result<Vec<(VexStatementRecord, Statement)>, StoreError> {
    let all: Vec<String> = keys.iter().flatten().cloned().collect();
    let mut statements = Vec::new();
    for record in store.vex_statements_about(&all).await? {
        if reader.may_read(&record.marking) {
            let statement = statement_of(&record)?;
            statements.push((record, statement));
        }
    }
    Ok(statements)
}

/// The cases the reader may see that give any of `build_ids` a status, in
/// the order the case list gives them (newest received first).
async fn readable_case_builds(
    store: &Store,
    reader: &Principal,
    build_ids: &[String],
) -> Result<Vec<(Case, Vec<CaseBuild>)>, StoreError> {
    let mut cases = store.cases_concerning_builds(build_ids).await?;
    cases.retain(|(case, _)| reader.may_read(&case.marking));
    cases.sort_by_cached_key(|(case, _)| {
        let received = OffsetDateTime::parse(&case.received_at, &Rfc3339).map(micros);
        (std::cmp::Reverse(received.unwrap_or(0)), case.id.clone())
    });
    Ok(cases)
}

/// The statuses the cases give one build.
fn statuses_of(cases: &[(Case, Vec<CaseBuild>)], build_id: &str) -> Vec<(Case, CaseBuild)> {
    cases
        .iter()
        .filter_map(|(case, builds)| {
            let build = builds.iter().find(|b| b.build_id == build_id)?;
            Some((case.clone(), build.clone()))
        })
        .collect()
}

/// A stored row as a model statement (the one matching rule lives in the model).
fn statement_of(record: &VexStatementRecord) -> Result<Statement, StoreError> {
    let corrupt = |why: String| StoreError::Corrupt(format!("vex {}: {why}", record.id));
    let product = match record.product.strip_prefix("urn:keelson:build:") {
        Some(build) => Product::Build(build.to_owned()),
        None => Product::Purl(
            record
                .product
                .parse()
                .map_err(|e| corrupt(format!("{e}")))?,
        ),
    };
    let mut components = BTreeMap::new();
    if let Some(component) = &record.component {
        let part: Purl = component.parse().map_err(|e| corrupt(format!("{e}")))?;
        components.insert(product.clone(), vec![part]);
    }
    Ok(Statement {
        vulnerability: Vulnerability {
            id: record.vulnerability_id.clone(),
            aliases: record.aliases.clone(),
            description: None,
        },
        products: vec![product],
        components,
        status: Status::UnderInvestigation,
        timestamp: None,
    })
}

fn status_of_record(record: &VexStatementRecord) -> VexStatus {
    VexStatus {
        status: record.status.clone(),
        justification: record.justification.clone(),
        impact_statement: record.impact_statement.clone(),
        action_statement: record.action_statement.clone(),
        source: "vex".to_owned(),
        source_id: record.id.clone(),
        author: record.author.clone(),
        at: record.imported_at.clone(),
        at_us: record.imported_at_us,
        tlp: record.marking.tlp,
    }
}

fn status_of_case(case: &Case, build: &CaseBuild) -> VexStatus {
    let at_us = OffsetDateTime::parse(&build.updated_at, &Rfc3339)
        .map(micros)
        .unwrap_or(0);
    let note = format!("Assessed in PSIRT case {}.", case.id);
    let (impact, action) = match build.status {
        BuildStatus::NotAffected => (Some(note), None),
        BuildStatus::Affected => (None, Some(note)),
        BuildStatus::Fixed | BuildStatus::UnderInvestigation => (None, None),
    };
    VexStatus {
        status: build.status.as_str().to_owned(),
        justification: None,
        impact_statement: impact,
        action_statement: action,
        source: "case".to_owned(),
        source_id: case.id.clone(),
        author: build.updated_by.clone(),
        at: build.updated_at.clone(),
        at_us,
        tlp: case.marking.tlp,
    }
}

/// Who publishes the documents Keelson writes.
#[derive(Debug, Clone)]
pub struct Publisher {
    pub name: String,
    pub namespace: String,
}

/// The VEX of one build the reader may see: a statement per finding (the
/// component as a subcomponent of the build), with the deciding status or
/// `under_investigation`, plus the decisions on the build about vulnerabilities
/// the matcher did not find (`found` is the build's findings). Its TLP is the strictest of the build's and of every
/// record it draws on.
pub async fn build_vex(
    store: &Store,
    reader: &Principal,
    publisher: &Publisher,
    build_id: &str,
    build_tlp: Tlp,
    found: &[Finding],
) -> Result<VexDocument, StoreError> {
    let decisions = BuildDecisions::load(store, reader, build_id, found).await?;
    let build = Product::Build(build_id.to_owned());

    let mut tlp = build_tlp;
    let mut statements = Vec::new();
    for finding in found {
        let decided = decisions.status_of_finding(finding);
        if let Some(decided) = &decided {
            tlp = tlp.max(decided.tlp);
        }
        let vulnerability = Vulnerability {
            id: finding.vulnerability.clone(),
            aliases: finding.aliases.clone(),
            description: None,
        };
        let mut components = BTreeMap::new();
        if let Some(part) = component_of(finding) {
            components.insert(build.clone(), vec![part]);
        }
        statements.push(Statement {
            vulnerability,
            products: vec![build.clone()],
            components,
            status: export_status(decided.as_ref()),
            timestamp: None,
        });
    }
    statements.extend(undiscovered(&decisions, found, &build, &mut tlp));

    let now = OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    Ok(VexDocument {
        id: format!("KEELSON-VEX-{build_id}"),
        author: publisher.name.clone(),
        author_namespace: Some(publisher.namespace.clone()),
        timestamp: now,
        last_updated: None,
        version: 1,
        tlp,
        statements,
    })
}

/// Decisions on the build itself about vulnerabilities no finding names.
fn undiscovered(
    decisions: &BuildDecisions,
    found: &[Finding],
    build: &Product,
    tlp: &mut Tlp,
) -> Vec<Statement> {
    let found_names = |name: &str| {
        found
            .iter()
            .any(|f| f.vulnerability == name || f.aliases.iter().any(|a| a == name))
    };
    let mut names: Vec<String> = Vec::new();
    for (record, _) in &decisions.statements {
        if record.product == build.iri() {
            names.push(record.vulnerability_id.clone());
        }
    }
    for (case, _) in &decisions.cases {
        names.extend(
            case.vulnerability_ids
                .iter()
                .map(|id| id.as_str().to_owned()),
        );
    }
    names.sort();
    names.dedup();

    let mut out = Vec::new();
    for name in names.into_iter().filter(|n| !found_names(n)) {
        let Some(decided) = decisions.status_of(&[name.as_str()], None) else {
            continue;
        };
        *tlp = (*tlp).max(decided.tlp);
        out.push(Statement {
            vulnerability: Vulnerability {
                id: name,
                aliases: Vec::new(),
                description: None,
            },
            products: vec![build.clone()],
            components: BTreeMap::new(),
            status: export_status(Some(&decided)),
            timestamp: None,
        });
    }
    out
}

/// The model status of a decision; every status carries what its formats require
/// (a justification or impact for not_affected, an action for affected).
fn export_status(decided: Option<&VexStatus>) -> Status {
    let Some(decided) = decided else {
        return Status::UnderInvestigation;
    };
    match decided.status.as_str() {
        "not_affected" => {
            let justification = decided
                .justification
                .as_deref()
                .and_then(Justification::from_label);
            let impact = decided.impact_statement.clone().or_else(|| {
                justification
                    .is_none()
                    .then(|| format!("Stated not affected by {}.", decided.author))
            });
            Status::NotAffected {
                justification,
                impact,
            }
        }
        "affected" => Status::Affected {
            action: decided
                .action_statement
                .clone()
                .filter(|a| !a.trim().is_empty())
                .unwrap_or_else(|| "No remediation has been published yet.".to_owned()),
        },
        "fixed" => Status::Fixed,
        _ => Status::UnderInvestigation,
    }
}
