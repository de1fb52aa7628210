//! Fuzz the NVD CVE API 2.0 reader, then evaluate every configuration against the
//! criteria's own CPEs: no input may panic.

#![no_main]

use keelson_vulndb::{Cpe, evaluate_configurations, parse_nvd};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let parsed = parse_nvd(data);
    for advisory in &parsed.records {
        let inventory: Vec<Cpe> = advisory
            .cpe_configurations
            .iter()
            .flat_map(|c| &c.nodes)
            .flat_map(|n| &n.cpe_match)
            .map(|m| m.criteria.clone())
            .take(64)
            .collect();
        let _ = evaluate_configurations(&advisory.cpe_configurations, &inventory);
    }
});
