//! The CPE fallback: NVD configurations evaluated over the SBOM's CPEs and the caller's
//! platform CPEs, restricted to the inventory CPEs that share a vendor and product with
//! some criterion so that a large SBOM is not compared with every criterion.

use std::collections::{BTreeSet, HashMap};

use super::{CriterionMatch, Evidence, EvidenceDetail, MatchMethod, Prepared, Scan};
use crate::cpe::Cpe;
use crate::cpe::nvd::{MatchedCriterion, NvdConfiguration, evaluate_configuration};
use crate::kb::product_key;

/// Every CPE the configurations are evaluated against, and whose it is.
struct Inventory {
    cpes: Vec<Cpe>,
    /// The component owning each CPE; `None` for the caller's platforms.
    owner: Vec<Option<usize>>,
    by_product: HashMap<String, Vec<usize>>,
}

impl Inventory {
    fn new(prepared: &[Prepared], platforms: &[Cpe]) -> Self {
        let mut inventory = Inventory {
            cpes: Vec::new(),
            owner: Vec::new(),
            by_product: HashMap::new(),
        };
        for (index, item) in prepared.iter().enumerate() {
            if let Some(cpe) = &item.cpe {
                inventory.add(cpe.clone(), Some(index));
            }
        }
        for cpe in platforms {
            inventory.add(cpe.clone(), None);
        }
        inventory
    }

    fn add(&mut self, cpe: Cpe, owner: Option<usize>) {
        if let Some(key) = product_key(&cpe) {
            self.by_product
                .entry(key)
                .or_default()
                .push(self.cpes.len());
        }
        self.cpes.push(cpe);
        self.owner.push(owner);
    }

    /// Inventory positions that any criterion of `config` could match: a criterion
    /// with a wildcard vendor or product could match anything.
    fn relevant(&self, config: &NvdConfiguration) -> BTreeSet<usize> {
        let mut positions = BTreeSet::new();
        let criteria = config.nodes.iter().flat_map(|n| &n.cpe_match);
        for criterion in criteria {
            match product_key(&criterion.criteria) {
                Some(key) => positions.extend(self.by_product.get(&key).into_iter().flatten()),
                None => return (0..self.cpes.len()).collect(),
            }
        }
        positions
    }
}

pub(super) fn run(scan: &mut Scan, prepared: &[Prepared], platforms: &[Cpe]) {
    let inventory = Inventory::new(prepared, platforms);
    let mut candidates = BTreeSet::new();
    for (item, cpe) in prepared
        .iter()
        .filter_map(|p| p.cpe.as_ref().map(|c| (p, c)))
    {
        if item.version.is_none() {
            continue;
        }
        if let Some(key) = product_key(cpe) {
            candidates.extend(scan.kb.slots_for_product(&key));
        }
    }
    if !candidates.is_empty() {
        candidates.extend(scan.kb.slots_for_any_product());
    }

    for slot in candidates {
        evaluate_entry(scan, slot, prepared, &inventory);
    }
}

fn evaluate_entry(scan: &mut Scan, slot: usize, prepared: &[Prepared], inventory: &Inventory) {
    let Some(entry) = scan.kb.entry(slot) else {
        return;
    };
    let live = entry
        .records
        .values()
        .filter(|r| r.advisory.withdrawn.is_none());
    for record in live {
        let configs = record.advisory.cpe_configurations.iter().enumerate();
        for (index, config) in configs {
            let Some(evidence) = evaluate(config, inventory) else {
                continue;
            };
            for matched in &evidence.vulnerable {
                let Some(Some(owner)) = inventory.owner.get(matched.inventory).copied() else {
                    continue;
                };
                let Some(item) = prepared.get(owner) else {
                    continue;
                };
                if item.version.is_none() || scan.decided.contains(&(owner, slot)) {
                    continue;
                }
                let found = describe(&record.advisory.id, index, matched, &evidence, inventory);
                scan.push(owner, slot, entry, item, found);
            }
        }
    }
}

/// Evaluate on the relevant part of the inventory; matched positions are mapped back
/// to positions in the whole inventory.
fn evaluate(config: &NvdConfiguration, inventory: &Inventory) -> Option<crate::Evidence> {
    let positions: Vec<usize> = inventory.relevant(config).into_iter().collect();
    if positions.is_empty() {
        return None;
    }
    let subset: Vec<Cpe> = positions
        .iter()
        .filter_map(|&p| inventory.cpes.get(p).cloned())
        .collect();
    let mut evidence = evaluate_configuration(config, &subset)?;
    let remap = |m: &mut MatchedCriterion| {
        m.inventory = positions.get(m.inventory).copied().unwrap_or(usize::MAX);
    };
    evidence.vulnerable.iter_mut().for_each(remap);
    evidence.platforms.iter_mut().for_each(remap);
    Some(evidence)
}

fn describe(
    record: &str,
    configuration: usize,
    matched: &MatchedCriterion,
    evidence: &crate::Evidence,
    inventory: &Inventory,
) -> Evidence {
    let cite = |m: &MatchedCriterion| CriterionMatch {
        node: m.node,
        cpe_match: m.cpe_match,
        criteria: m.criteria.to_string(),
        match_criteria_id: m.match_criteria_id.clone(),
        matched: inventory
            .cpes
            .get(m.inventory)
            .map(ToString::to_string)
            .unwrap_or_default(),
    };
    let vulnerable = cite(matched);
    let platforms: Vec<CriterionMatch> = evidence.platforms.iter().map(cite).collect();
    let mut reason = format!(
        "{} matches {record} configuration {configuration} node {} criterion {}",
        vulnerable.matched, vulnerable.node, vulnerable.criteria
    );
    if !platforms.is_empty() {
        let names: Vec<&str> = platforms.iter().map(|p| p.matched.as_str()).collect();
        reason.push_str(&format!(", on platform {}", names.join(", ")));
    }
    Evidence {
        method: MatchMethod::Cpe,
        identifier: vulnerable.matched.clone(),
        record: record.to_owned(),
        reason,
        detail: EvidenceDetail::NvdConfiguration {
            configuration,
            vulnerable: vec![vulnerable],
            platforms,
        },
    }
}
