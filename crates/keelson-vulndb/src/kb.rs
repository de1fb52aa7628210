//! The in-memory knowledge base: advisories merged by alias into one entry per
//! vulnerability, KEV and EPSS enrichment by CVE ID, idempotent imports (a content
//! digest per record), and the indexes the matcher uses instead of scanning.
//!
//! **Invariant: importing the same data twice changes nothing** - the second import
//! reports every record unchanged.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::advisory::{Advisory, EpssScore, KevEntry, Parsed, is_cve_id};
use crate::cpe::{Cpe, CpeValue};
use crate::error::Error;
use crate::purl::Purl;
use crate::touched::Touched;

/// What one upsert did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    /// The record was new.
    Added,
    /// A record with the same ID existed with different content and was replaced.
    Updated,
    /// The same content was already there.
    Unchanged,
}

/// Counts of one import, and the records that could not be read.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ImportReport {
    /// New records.
    pub added: usize,
    /// Records whose content changed.
    pub updated: usize,
    /// Records already present with the same content.
    pub unchanged: usize,
    /// Parse errors passed through from the parser, one per refused record.
    #[serde(serialize_with = "errors_as_text")]
    pub errors: Vec<Error>,
    /// The index keys and vulnerability IDs the added and updated records touched.
    #[serde(skip)]
    pub touched: Touched,
}

fn errors_as_text<S: serde::Serializer>(errors: &[Error], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(errors.iter().map(ToString::to_string))
}

impl ImportReport {
    fn count(&mut self, change: Change) {
        match change {
            Change::Added => self.added += 1,
            Change::Updated => self.updated += 1,
            Change::Unchanged => self.unchanged += 1,
        }
    }
}

/// One source record inside an entry, with the digest of its content.
#[derive(Debug, Clone)]
pub(crate) struct Record {
    pub(crate) digest: String,
    pub(crate) advisory: Advisory,
}

/// One vulnerability: every record that names it, keyed by record ID.
#[derive(Debug, Clone, Default)]
pub(crate) struct Entry {
    pub(crate) records: BTreeMap<String, Record>,
}

/// Advisories, enrichments and indexes, all in memory.
#[derive(Debug, Clone, Default)]
pub struct KnowledgeBase {
    /// Entry slots; a slot merged into another is left `None`.
    entries: Vec<Option<Entry>>,
    /// Every record ID and alias to the slot of its entry.
    by_id: HashMap<String, usize>,
    /// `type/namespace/name` of affected purls (OSV) and product purls (CSAF) to slots.
    by_package: HashMap<String, Vec<usize>>,
    /// `vendor:product` of vulnerable CPE criteria to slots.
    by_product: HashMap<String, Vec<usize>>,
    /// Slots with a vulnerable criterion whose vendor or product is a wildcard.
    any_product: Vec<usize>,
    kev: HashMap<String, KevEntry>,
    epss: HashMap<String, EpssScore>,
}

/// The index key of a package: type, namespace and name after purl normalisation.
pub(crate) fn package_key(purl: &Purl) -> String {
    let namespace = purl.namespace().unwrap_or_default();
    format!("{}/{}/{}", purl.ty(), namespace, purl.name())
}

/// The index key of a CPE: `vendor:product`, or `None` if either is not a plain value.
pub(crate) fn product_key(cpe: &Cpe) -> Option<String> {
    let plain = |i: usize| match cpe.value(i) {
        Some(CpeValue::Value(text)) => {
            let text = text.logical();
            (!text.contains(['*', '?'])).then_some(text)
        }
        _ => None,
    };
    Some(format!("{}:{}", plain(1)?, plain(2)?))
}

/// The keys an advisory is indexed under.
pub(crate) struct IndexKeys {
    /// Package keys of OSV affected purls and CSAF product purls.
    pub(crate) packages: Vec<String>,
    /// Product keys of vulnerable CPE criteria; `None` for a wildcard vendor or product.
    pub(crate) products: Vec<Option<String>>,
}

impl IndexKeys {
    pub(crate) fn of(advisory: &Advisory) -> Self {
        let csaf_purls = advisory
            .csaf
            .iter()
            .flat_map(|statement| &statement.products)
            .filter_map(|p| p.product.purl.as_ref());
        let osv_purls = advisory.affected.iter().filter_map(|a| a.purl.as_ref());
        let vulnerable = advisory
            .cpe_configurations
            .iter()
            .flat_map(|c| &c.nodes)
            .flat_map(|n| &n.cpe_match)
            .filter(|m| m.vulnerable);
        IndexKeys {
            packages: osv_purls.chain(csaf_purls).map(package_key).collect(),
            products: vulnerable.map(|m| product_key(&m.criteria)).collect(),
        }
    }
}

fn digest(advisory: &Advisory) -> String {
    // Serialization of the model is deterministic (no hash maps), so equal content
    // gives equal digests whatever the input's key order or whitespace.
    let bytes = serde_json::to_vec(advisory).unwrap_or_default();
    hex::encode(Sha256::digest(&bytes))
}

impl KnowledgeBase {
    /// An empty knowledge base.
    pub fn new() -> Self {
        KnowledgeBase::default()
    }

    /// Number of vulnerabilities (merged entries).
    pub fn len(&self) -> usize {
        self.entries.iter().flatten().count()
    }

    /// Whether there is no advisory.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of source records over all entries.
    pub fn record_count(&self) -> usize {
        self.entries.iter().flatten().map(|e| e.records.len()).sum()
    }

    /// Import parsed advisories; parse errors are passed into the report.
    pub fn import(&mut self, parsed: Parsed<Advisory>) -> ImportReport {
        let mut report = ImportReport {
            errors: parsed.errors,
            ..ImportReport::default()
        };
        for advisory in parsed.records {
            let change = self.upsert_touching(advisory, &mut report.touched);
            report.count(change);
        }
        report
    }

    /// Insert or replace one record, merging it with every entry that shares its ID
    /// or one of its aliases.
    pub fn upsert(&mut self, advisory: Advisory) -> Change {
        self.upsert_touching(advisory, &mut Touched::default())
    }

    /// [`Self::upsert`], noting in `touched` the old and new index keys of a changed
    /// record and every ID of the entry it lands in.
    fn upsert_touching(&mut self, mut advisory: Advisory, touched: &mut Touched) -> Change {
        // Enrichments are looked up at read time, never stored in records.
        advisory.kev = None;
        advisory.epss = None;
        let digest = digest(&advisory);

        let slot = self.merge_slots_for(&advisory);
        let entry = self.entry_mut(slot);
        let change = match entry.records.get(&advisory.id) {
            Some(old) if old.digest == digest => return Change::Unchanged,
            Some(old) => {
                touched.advisory(&old.advisory);
                Change::Updated
            }
            None => Change::Added,
        };
        touched.advisory(&advisory);
        self.link(slot, &advisory);
        let id = advisory.id.clone();
        let entry = self.entry_mut(slot);
        entry.records.insert(id, Record { digest, advisory });
        let ids = entry.records.values().flat_map(|r| r.advisory.ids());
        touched.vulnerabilities.extend(ids.map(str::to_owned));
        change
    }

    /// The slot this advisory belongs to: a new one, or the lowest of the entries its
    /// IDs already name, into which the others are merged.
    fn merge_slots_for(&mut self, advisory: &Advisory) -> usize {
        let mut slots: Vec<usize> = advisory
            .ids()
            .filter_map(|id| self.by_id.get(id).copied())
            .collect();
        slots.sort_unstable();
        slots.dedup();
        let Some((&target, others)) = slots.split_first() else {
            self.entries.push(Some(Entry::default()));
            return self.entries.len() - 1;
        };
        for &other in others {
            let moved = self.entries.get_mut(other).and_then(Option::take);
            for record in moved.into_iter().flat_map(|e| e.records.into_values()) {
                self.link(target, &record.advisory);
                let id = record.advisory.id.clone();
                self.entry_mut(target).records.insert(id, record);
            }
        }
        target
    }

    fn entry_mut(&mut self, slot: usize) -> &mut Entry {
        if self.entries.len() <= slot {
            self.entries.resize_with(slot + 1, || None);
        }
        self.entries[slot].get_or_insert_with(Entry::default)
    }

    /// Point the record's IDs and index keys at `slot`.
    // FIXME: an update that drops an alias or an affected package leaves the old link
    // in place, so the entry stays merged and indexed under it until the next rebuild.
    fn link(&mut self, slot: usize, advisory: &Advisory) {
        for id in advisory.ids() {
            self.by_id.insert(id.to_owned(), slot);
        }
        let keys = IndexKeys::of(advisory);
        for key in keys.packages {
            push_unique(self.by_package.entry(key).or_default(), slot);
        }
        for key in keys.products {
            match key {
                Some(key) => push_unique(self.by_product.entry(key).or_default(), slot),
                None => push_unique(&mut self.any_product, slot),
            }
        }
    }

    /// Import KEV entries; a CVE's entry is replaced when its content changed.
    pub fn import_kev(&mut self, parsed: Parsed<KevEntry>) -> ImportReport {
        let mut report = ImportReport {
            errors: parsed.errors,
            ..ImportReport::default()
        };
        for entry in parsed.records {
            let change = match self.kev.get(&entry.cve) {
                Some(old) if *old == entry => Change::Unchanged,
                Some(_) => Change::Updated,
                None => Change::Added,
            };
            if change != Change::Unchanged {
                report.touched.vulnerabilities.insert(entry.cve.clone());
            }
            self.kev.insert(entry.cve.clone(), entry);
            report.count(change);
        }
        report
    }

    /// Import EPSS scores; a CVE's score is replaced when it changed.
    pub fn import_epss(&mut self, parsed: Parsed<(String, EpssScore)>) -> ImportReport {
        let mut report = ImportReport {
            errors: parsed.errors,
            ..ImportReport::default()
        };
        for (cve, score) in parsed.records {
            let change = match self.epss.get(&cve) {
                Some(old) if *old == score => Change::Unchanged,
                Some(_) => Change::Updated,
                None => Change::Added,
            };
            if change != Change::Unchanged {
                report.touched.vulnerabilities.insert(cve.clone());
            }
            self.epss.insert(cve, score);
            report.count(change);
        }
        report
    }

    /// The merged view of the vulnerability that `id` (record ID or alias) names.
    pub fn get(&self, id: &str) -> Option<Advisory> {
        let slot = *self.by_id.get(id)?;
        self.entry(slot).map(|entry| self.merged(entry))
    }

    /// Every vulnerability, merged, in no particular order.
    pub fn advisories(&self) -> impl Iterator<Item = Advisory> + '_ {
        self.entries.iter().flatten().map(|e| self.merged(e))
    }

    pub(crate) fn entry(&self, slot: usize) -> Option<&Entry> {
        self.entries.get(slot).and_then(Option::as_ref)
    }

    pub(crate) fn slots_for_package(&self, purl: &Purl) -> &[usize] {
        self.by_package
            .get(&package_key(purl))
            .map_or(&[], Vec::as_slice)
    }

    pub(crate) fn slots_for_product(&self, key: &str) -> &[usize] {
        self.by_product.get(key).map_or(&[], Vec::as_slice)
    }

    pub(crate) fn slots_for_any_product(&self) -> &[usize] {
        &self.any_product
    }

    /// The KEV entry of the first of `ids` that KEV lists.
    pub fn kev_for<'a>(&self, mut ids: impl Iterator<Item = &'a str>) -> Option<&KevEntry> {
        ids.find_map(|id| self.kev.get(id))
    }

    /// The EPSS score of the first of `ids` that EPSS scores.
    pub fn epss_for<'a>(&self, mut ids: impl Iterator<Item = &'a str>) -> Option<EpssScore> {
        ids.find_map(|id| self.epss.get(id)).copied()
    }

    /// One advisory from all records of an entry (see [`merge_records`]).
    pub(crate) fn merged(&self, entry: &Entry) -> Advisory {
        let mut merged = merge_records(entry.records.values().map(|r| &r.advisory));
        let ids = || merged.ids().filter(|id| is_cve_id(id));
        let kev = self.kev_for(ids()).cloned();
        let epss = self.epss_for(ids()).map(|s| (s.score, s.percentile));
        (merged.kev, merged.epss) = (kev, epss);
        merged
    }
}

fn push_unique(slots: &mut Vec<usize>, slot: usize) {
    if slots.last() != Some(&slot) && !slots.contains(&slot) {
        slots.push(slot);
    }
}

/// The primary ID of a set of IDs: the lowest CVE ID, else the lowest ID.
pub(crate) fn primary_id<'a>(ids: impl Iterator<Item = &'a str> + Clone) -> Option<&'a str> {
    ids.clone()
        .filter(|id| is_cve_id(id))
        .min()
        .or_else(|| ids.min())
}

/// Merge the records of one vulnerability: the CVE ID is primary, every other ID is an
/// alias, and affected data, configurations, severities and CWEs are united.
pub(crate) fn merge_records<'a>(records: impl Iterator<Item = &'a Advisory> + Clone) -> Advisory {
    let all_ids = records.clone().flat_map(Advisory::ids);
    let primary = primary_id(all_ids.clone()).unwrap_or_default().to_owned();
    let main = records
        .clone()
        .find(|r| r.id == primary)
        .or(records.clone().next());
    let mut merged = main
        .cloned()
        .unwrap_or_else(|| Advisory::new("", crate::Source::Osv));
    merged.id = primary.clone();

    let mut aliases: Vec<String> = all_ids
        .filter(|id| *id != primary)
        .map(str::to_owned)
        .collect();
    aliases.sort();
    aliases.dedup();
    merged.aliases = aliases;

    for other in records.filter(|r| main.is_none_or(|m| !std::ptr::eq(*r, m))) {
        merged.summary = merged.summary.or_else(|| other.summary.clone());
        merged.published = merged.published.or_else(|| other.published.clone());
        extend_unique(&mut merged.severity, &other.severity);
        extend_unique(&mut merged.cwes, &other.cwes);
        extend_unique(&mut merged.affected, &other.affected);
        extend_unique(&mut merged.cpe_configurations, &other.cpe_configurations);
        extend_unique(&mut merged.csaf, &other.csaf);
    }
    merged
}

fn extend_unique<T: Clone + PartialEq>(into: &mut Vec<T>, from: &[T]) {
    for item in from {
        if !into.contains(item) {
            into.push(item.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::advisory::Source;

    fn advisory(id: &str, aliases: &[&str]) -> Advisory {
        let mut a = Advisory::new(id, Source::Osv);
        a.aliases = aliases.iter().map(|s| (*s).to_owned()).collect();
        a
    }

    #[test]
    fn aliases_join_entries_even_when_linked_late() {
        let mut kb = KnowledgeBase::new();
        assert_eq!(
            kb.upsert(advisory("GHSA-aaaa-bbbb-cccc", &[])),
            Change::Added
        );
        assert_eq!(kb.upsert(advisory("PYSEC-2020-1", &[])), Change::Added);
        assert_eq!(kb.len(), 2);
        let bridge = advisory("CVE-2020-0001", &["GHSA-aaaa-bbbb-cccc", "PYSEC-2020-1"]);
        assert_eq!(kb.upsert(bridge), Change::Added);
        assert_eq!(kb.len(), 1);
        assert_eq!(kb.record_count(), 3);
        let merged = kb.get("PYSEC-2020-1").map(|a| (a.id, a.aliases));
        let aliases = vec!["GHSA-aaaa-bbbb-cccc".to_owned(), "PYSEC-2020-1".to_owned()];
        assert_eq!(merged, Some(("CVE-2020-0001".to_owned(), aliases)));
    }

    #[test]
    fn same_content_is_unchanged_and_new_content_is_an_update() {
        let mut kb = KnowledgeBase::new();
        let mut a = advisory("GHSA-aaaa-bbbb-cccc", &["CVE-2020-0001"]);
        assert_eq!(kb.upsert(a.clone()), Change::Added);
        assert_eq!(kb.upsert(a.clone()), Change::Unchanged);
        a.summary = Some("changed".into());
        assert_eq!(kb.upsert(a), Change::Updated);
        assert_eq!(kb.record_count(), 1);
    }

    #[test]
    fn primary_id_prefers_the_cve() {
        let ids = ["GHSA-x", "CVE-2021-0002", "CVE-2021-0001", "A-1"];
        assert_eq!(primary_id(ids.iter().copied()), Some("CVE-2021-0001"));
        assert_eq!(primary_id(["GO-1", "A-1"].iter().copied()), Some("A-1"));
    }
}
