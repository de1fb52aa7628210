//! Findings from what the store holds: the knowledge base built from the
//! stored feed files, and the matcher run over the SBOMs attached to a
//! build. `keelson scan` and the API's build findings call the same
//! functions here, so a document yields the same findings offline and
//! online; there is one matcher (`keelson_vulndb::scan`).
//!
//! The server keeps both between requests in a [`FindingsCache`]: feed files
//! stored since (by any process on the store) are imported into the cached
//! knowledge base in import order, which gives the same base as building it
//! again, and only the builds whose components or findings the import touched
//! are matched again. Whether a build's documents changed is read for all
//! builds at once, so a portfolio of hundreds of builds costs a few queries.

use std::collections::HashMap;
use std::sync::Arc;

use keelson_sbom::{Encoding, Family, Format, Sbom};
use keelson_store::fleet::SoftwareBuild;
use keelson_store::sboms::{NewSbom, SbomRecord, Subject};
use keelson_store::{Store, StoreError};
use keelson_vulndb::{Component, Cpe, FeedKind, KnowledgeBase, MatchReport, Purl, Touched};
use sha2::{Digest, Sha256};
use tokio::sync::Mutex;

/// The knowledge base made of every stored feed file, in import order.
pub async fn knowledge_base(store: &Store) -> Result<KnowledgeBase, StoreError> {
    let mut kb = KnowledgeBase::new();
    for feed in store.feed_files().await? {
        import_feed(&mut kb, &feed)?;
    }
    Ok(kb)
}

fn import_feed(
    kb: &mut KnowledgeBase,
    feed: &keelson_store::feeds::FeedFile,
) -> Result<Touched, StoreError> {
    let kind = FeedKind::from_name(&feed.kind).ok_or_else(|| {
        StoreError::Corrupt(format!("feed {} has unknown kind {}", feed.name, feed.kind))
    })?;
    Ok(kb.import_feed(kind, &feed.bytes).touched)
}

/// The knowledge base and the findings of each build, kept between requests
/// and brought up to date with the store before each use.
#[derive(Default)]
pub struct FindingsCache {
    state: Mutex<Cached>,
}

#[derive(Default)]
struct Cached {
    kb: KnowledgeBase,
    /// The feed files imported into `kb`, in import order.
    feeds: Vec<String>,
    builds: HashMap<String, CachedBuild>,
}

/// One build's findings and what they were matched from.
struct CachedBuild {
    /// The build's documents and its hardware part's, by ID, in attach order.
    sboms: Vec<String>,
    components: Vec<Component>,
    found: Arc<BuildMatch>,
}

/// What the cache keeps of one build for its readers.
#[derive(Debug, Default)]
pub struct BuildMatch {
    pub report: MatchReport,
    /// The purls of what the build's SBOMs describe: the products a VEX
    /// statement may name the build by (see [`build_products`]).
    pub products: Vec<Purl>,
}

/// What bringing the cache up to date did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Refresh {
    /// Feed files imported into the cached knowledge base.
    pub feeds_imported: usize,
    /// Builds whose findings must be matched again, sorted.
    pub builds_touched: Vec<String>,
}

impl FindingsCache {
    /// Imports the feed files stored since the last use and forgets the
    /// findings of every build the import touched. When the stored feeds are
    /// no longer the cached ones followed by new files, starts again.
    pub async fn refresh(&self, store: &Store) -> Result<Refresh, StoreError> {
        let mut cached = self.state.lock().await;
        cached.refresh(store).await
    }

    /// The findings of every document attached to `build_id`, each finding
    /// once per (vulnerability, component), from an up-to-date cache.
    pub async fn build_report(
        &self,
        store: &Store,
        build_id: &str,
    ) -> Result<MatchReport, StoreError> {
        let mut cached = self.state.lock().await;
        cached.refresh(store).await?;
        cached.build_report(store, build_id).await
    }

    /// What `read` takes from the knowledge base, brought up to date with
    /// the stored feeds first.
    pub async fn read_knowledge_base<T>(
        &self,
        store: &Store,
        read: impl FnOnce(&KnowledgeBase) -> T,
    ) -> Result<T, StoreError> {
        let mut cached = self.state.lock().await;
        cached.refresh(store).await?;
        Ok(read(&cached.kb))
    }

    /// The findings of the HBOMs attached to a hardware part (its devices
    /// matched by CPE, such as `cpe:2.3:h:` criteria), not kept.
    pub async fn hardware_report(
        &self,
        store: &Store,
        part: &str,
    ) -> Result<MatchReport, StoreError> {
        let mut cached = self.state.lock().await;
        cached.refresh(store).await?;
        let subject = Subject::HardwarePart(part.to_owned());
        let (components, _) = components_of(store, &subject).await?;
        Ok(keelson_vulndb::scan(&cached.kb, &components, &[]))
    }

    /// What the cache holds for each of several builds, under one refresh;
    /// which builds' documents changed is read for all of them at once.
    pub async fn build_matches(
        &self,
        store: &Store,
        builds: &[SoftwareBuild],
    ) -> Result<Vec<Arc<BuildMatch>>, StoreError> {
        let mut cached = self.state.lock().await;
        cached.refresh(store).await?;
        let documents = store.sbom_ids_by_subject().await?;
        let part_of_ecu = hardware_parts(store).await?;
        let mut matches = Vec::with_capacity(builds.len());
        for build in builds {
            let part = part_of_ecu.get(&build.ecu).cloned();
            let sboms = subjects(&build.id, part)
                .iter()
                .flat_map(|subject| documents.get(subject).into_iter().flatten())
                .cloned()
                .collect();
            matches.push(cached.build_match(store, &build.id, sboms).await?);
        }
        Ok(matches)
    }
}

impl Cached {
    async fn refresh(&mut self, store: &Store) -> Result<Refresh, StoreError> {
        let stored = store.feed_digests().await?;
        if !stored.starts_with(&self.feeds) {
            *self = Cached::default();
        }

        let mut touched = Touched::default();
        let new: Vec<String> = stored[self.feeds.len()..].to_vec();
        for digest in &new {
            let feed = store
                .feed_file(digest)
                .await?
                .ok_or_else(|| StoreError::Corrupt(format!("feed {digest} vanished")))?;
            touched.extend(import_feed(&mut self.kb, &feed)?);
            self.feeds.push(digest.clone());
        }

        let mut builds_touched: Vec<String> = self
            .builds
            .iter()
            .filter(|(_, build)| touched.reaches(&build.components, &build.found.report.findings))
            .map(|(id, _)| id.clone())
            .collect();
        builds_touched.sort();
        for id in &builds_touched {
            self.builds.remove(id);
        }
        Ok(Refresh {
            feeds_imported: new.len(),
            builds_touched,
        })
    }

    async fn build_report(
        &mut self,
        store: &Store,
        build_id: &str,
    ) -> Result<MatchReport, StoreError> {
        let mut sboms = Vec::new();
        for subject in build_subjects(store, build_id).await? {
            let records = store.sbom_records_of(&subject).await?;
            sboms.extend(records.into_iter().map(|record| record.id));
        }
        let found = self.build_match(store, build_id, sboms).await?;
        Ok(found.report.clone())
    }

    /// The cached match of a build whose documents are `sboms`, matched
    /// again when they are not the ones it was matched from.
    async fn build_match(
        &mut self,
        store: &Store,
        build_id: &str,
        sboms: Vec<String>,
    ) -> Result<Arc<BuildMatch>, StoreError> {
        if let Some(build) = self.builds.get(build_id)
            && build.sboms == sboms
        {
            return Ok(build.found.clone());
        }

        let (components, report) = scan_build(store, &self.kb, build_id).await?;
        let products = build_products(store, build_id).await?;
        let found = Arc::new(BuildMatch { report, products });
        let build = CachedBuild {
            sboms,
            components,
            found: found.clone(),
        };
        self.builds.insert(build_id.to_owned(), build);
        Ok(found)
    }
}

/// The findings of one document: the one matcher over its components.
pub fn scan_sbom(kb: &KnowledgeBase, sbom: &Sbom) -> MatchReport {
    keelson_vulndb::scan(kb, &keelson_sbom::to_match_inputs(sbom), &[])
}

/// The components of every document attached to a build, and their
/// findings, each finding once per (vulnerability, component) even when two
/// documents list it. The CPEs of the HBOMs of the build's ECU hardware part
/// are platforms: they satisfy an NVD configuration's "running on"
/// condition but are never findings of the build themselves.
pub async fn scan_build(
    store: &Store,
    kb: &KnowledgeBase,
    build_id: &str,
) -> Result<(Vec<Component>, MatchReport), StoreError> {
    let mut platforms = Vec::new();
    if let Some(part) = hardware_part_of_build(store, build_id).await? {
        let (devices, _) = components_of(store, &Subject::HardwarePart(part)).await?;
        let cpes = devices.iter().filter_map(|device| device.cpe.as_deref());
        platforms.extend(cpes.filter_map(|text| text.parse::<Cpe>().ok()));
    }

    let (components, per_document) =
        components_of(store, &Subject::Build(build_id.to_owned())).await?;
    let mut report = MatchReport::default();
    for inputs in per_document {
        let found = keelson_vulndb::scan(kb, &inputs, &platforms);
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
    Ok((components, report))
}

/// Every component of a subject's documents, and the same per document.
async fn components_of(
    store: &Store,
    subject: &Subject,
) -> Result<(Vec<Component>, Vec<Vec<Component>>), StoreError> {
    let mut all = Vec::new();
    let mut per_document = Vec::new();
    for (record, bytes) in store.sboms_of(subject).await? {
        let sbom = read_stored(&record, &bytes)?;
        let inputs = keelson_sbom::to_match_inputs(&sbom);
        all.extend(inputs.iter().cloned());
        per_document.push(inputs);
    }
    Ok((all, per_document))
}

/// A stored document read again (it imported when it was attached).
pub(crate) fn read_stored(record: &SbomRecord, bytes: &[u8]) -> Result<Sbom, StoreError> {
    keelson_sbom::import(bytes)
        .map_err(|error| StoreError::Corrupt(format!("sbom {}: {error}", record.id)))
}

/// The subjects whose documents a build's findings come from: the build,
/// and the hardware part of its ECU when the ECU names one.
pub async fn build_subjects(store: &Store, build_id: &str) -> Result<Vec<Subject>, StoreError> {
    let part = hardware_part_of_build(store, build_id).await?;
    Ok(subjects(build_id, part))
}

fn subjects(build_id: &str, hardware_part: Option<String>) -> Vec<Subject> {
    let mut subjects = vec![Subject::Build(build_id.to_owned())];
    subjects.extend(hardware_part.map(Subject::HardwarePart));
    subjects
}

/// The hardware part number of each ECU that names one.
async fn hardware_parts(store: &Store) -> Result<HashMap<String, String>, StoreError> {
    let ecus = store.list_ecus().await?;
    let parts = ecus
        .into_iter()
        .filter_map(|ecu| Some((ecu.id, ecu.hardware_part_number?)));
    Ok(parts.collect())
}

/// The purls of what a build's SBOMs describe (CycloneDX `metadata.component`,
/// SPDX `DESCRIBES`): the products a VEX statement may name the build by.
pub async fn build_products(store: &Store, build_id: &str) -> Result<Vec<Purl>, StoreError> {
    let mut products = Vec::new();
    for (record, bytes) in store.sboms_of(&Subject::Build(build_id.to_owned())).await? {
        let sbom = read_stored(&record, &bytes)?;
        let purl = subject_purl(&sbom, &bytes).and_then(|p| p.parse::<Purl>().ok());
        if let Some(purl) = purl.filter(|p| !products.contains(p)) {
            products.push(purl);
        }
    }
    Ok(products)
}

async fn hardware_part_of_build(
    store: &Store,
    build_id: &str,
) -> Result<Option<String>, StoreError> {
    let Some(build) = store.build(build_id).await? else {
        return Ok(None);
    };
    let ecu = store.ecu(&build.ecu).await?;
    Ok(ecu.and_then(|ecu| ecu.hardware_part_number))
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

/// A document ready to attach to a build or hardware part.
pub fn new_sbom(subject: Subject, sbom: &Sbom, bytes: Vec<u8>) -> NewSbom {
    NewSbom {
        subject,
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
