//! Findings from what the store holds: the knowledge base rebuilt from the
//! stored feed files, and the matcher run over the SBOMs attached to a
//! build. `keelson scan` and the API's build findings call the same
//! functions here, so a document yields the same findings offline and
//! online; there is one matcher (`keelson_vulndb::scan`).

use keelson_sbom::{Encoding, Family, Format, Sbom};
use keelson_store::sboms::NewSbom;
use keelson_store::{Store, StoreError};
use keelson_vulndb::{FeedKind, KnowledgeBase, MatchReport, Purl};
use sha2::{Digest, Sha256};

/// The knowledge base made of every stored feed file, in import order.
// FIXME: the API rebuilds this on every findings request, which is correct
// but costs a parse of every stored feed each time; a large feed set needs
// a cached base invalidated when a feed file is stored.
pub async fn knowledge_base(store: &Store) -> Result<KnowledgeBase, StoreError> {
    let mut kb = KnowledgeBase::new();
    for feed in store.feed_files().await? {
        let kind = FeedKind::from_name(&feed.kind).ok_or_else(|| {
            StoreError::Corrupt(format!("feed {} has unknown kind {}", feed.name, feed.kind))
        })?;
        kb.import_feed(kind, &feed.bytes);
    }
    Ok(kb)
}

/// The findings of one document: the one matcher over its components.
pub fn scan_sbom(kb: &KnowledgeBase, sbom: &Sbom) -> MatchReport {
    keelson_vulndb::scan(kb, &keelson_sbom::to_match_inputs(sbom), &[])
}

/// The findings of every document attached to a build, each finding once
/// per (vulnerability, component) even when two documents list it.
pub async fn scan_build(
    store: &Store,
    kb: &KnowledgeBase,
    build_id: &str,
) -> Result<MatchReport, StoreError> {
    let mut report = MatchReport::default();
    for (record, bytes) in store.sboms_of_build(build_id).await? {
        let sbom = keelson_sbom::import(&bytes)
            .map_err(|error| StoreError::Corrupt(format!("sbom {}: {error}", record.id)))?;
        let found = scan_sbom(kb, &sbom);
        for finding in found.findings {
            let seen = report.findings.iter().any(|known| {
                known.vulnerability == finding.vulnerability && known.component == finding.component
            });
            if !seen {
                report.findings.push(finding);
            }
        }
        report.warnings.extend(found.warnings);
    }
    Ok(report)
}

/// The purls of what a build's SBOMs describe (CycloneDX `metadata.component`,
/// SPDX `DESCRIBES`): the products a VEX statement may name the build by.
pub async fn build_subjects(store: &Store, build_id: &str) -> Result<Vec<Purl>, StoreError> {
    let mut subjects = Vec::new();
    for (record, bytes) in store.sboms_of_build(build_id).await? {
        let sbom = keelson_sbom::import(&bytes)
            .map_err(|error| StoreError::Corrupt(format!("sbom {}: {error}", record.id)))?;
        let purl = subject_purl(&sbom, &bytes).and_then(|p| p.parse::<Purl>().ok());
        if let Some(purl) = purl.filter(|p| !subjects.contains(p)) {
            subjects.push(purl);
        }
    }
    Ok(subjects)
}

/// The purl of the described component. For CycloneDX JSON it is read from
/// `metadata.component` itself: the SBOM library's `subject` names the first
/// component of such a document rather than its subject (its FIXME), so it is
/// trusted for SPDX only. CycloneDX XML gives no subject here.
fn subject_purl(sbom: &Sbom, bytes: &[u8]) -> Option<String> {
    match (sbom.format.family, sbom.format.encoding) {
        (Family::CycloneDx, Encoding::Json) => {
            let root: serde_json::Value = serde_json::from_slice(bytes).ok()?;
            let purl = root.pointer("/metadata/component/purl")?.as_str()?;
            Some(purl.to_owned())
        }
        (Family::Spdx, _) => {
            let subject = sbom.subject.as_ref()?;
            let component = sbom.components.iter().find(|c| &c.bom_ref == subject)?;
            component.purl.clone()
        }
        (Family::CycloneDx, _) => None,
    }
}

/// A document ready to attach to a build.
pub fn new_sbom(build_id: &str, sbom: &Sbom, bytes: Vec<u8>) -> NewSbom {
    NewSbom {
        build_id: build_id.to_owned(),
        sha256: hex::encode(Sha256::digest(&bytes)),
        format: format_name(&sbom.format),
        components: sbom.components.len() as u64,
        bytes,
    }
}

/// Such as `CycloneDX 1.6 JSON` or `SPDX 2.3 tag-value`.
pub fn format_name(format: &Format) -> String {
    let family = match format.family {
        Family::CycloneDx => "CycloneDX",
        Family::Spdx => "SPDX",
    };
    let encoding = match format.encoding {
        Encoding::Json => "JSON",
        Encoding::Xml => "XML",
        Encoding::TagValue => "tag-value",
    };
    format!("{family} {} {encoding}", format.spec_version)
}
