//! Keelson's vulnerability knowledge library: package identifiers (purl, CPE), version
//! schemes per ecosystem, version ranges (`vers:`, OSV ranges) and NVD configurations.
//!
//! Everything here is pure: callers hand in text or parsed JSON and get values, verdicts
//! and the evidence behind them back. Nothing logs and nothing touches the file system.

pub mod advisory;
pub mod cpe;
mod error;
pub mod feed;
pub mod kb;
pub mod matcher;
pub mod osv_range;
mod percent;
pub mod purl;
mod touched;
pub mod vers;
pub mod version;

pub use advisory::{
    Advisory, AffectedPackage, CsafProduct, CsafProductStatus, CsafStatement, EpssFile, EpssScore,
    KevEntry, Parsed, ProductStatus, SeverityMetric, Source, parse_csaf, parse_epss_csv, parse_kev,
    parse_nvd, parse_nvd_cve, parse_osv, parse_osv_value, parse_osv_zip,
};
pub use cpe::nvd::{
    CpeMatch, Evidence, MatchedCriterion, NvdConfiguration, NvdNode, Operator,
    evaluate_configuration, evaluate_configurations,
};
pub use cpe::{Cpe, CpeValue, Relation};
pub use error::{Error, VersionError};
pub use feed::FeedKind;
pub use kb::{Change, ImportReport, KnowledgeBase};
pub use matcher::{Component, Finding, MatchReport, MatchWarning, match_components, scan};
pub use osv_range::{
    OsvAffected, OsvEvent, OsvEvidence, OsvRange, OsvRangeType, OsvVerdict, RangeOutcome,
};

pub use purl::{Purl, PurlParts};
pub use touched::Touched;
pub use vers::VersRange;
pub use version::Scheme;
