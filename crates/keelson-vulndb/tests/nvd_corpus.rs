//! NVD records: CPE names from the NVD CPE dictionary, NVD's own expansion of match
//! criteria to CPE names, and real CVE configurations where a vulnerable firmware is
//! only vulnerable on a named vehicle (an AND with a `vulnerable: false` platform).

mod common;

use common::load;
use keelson_testkit::corpus_path;
use keelson_vulndb::{
    Cpe, CpeMatch, NvdConfiguration, evaluate_configuration, evaluate_configurations,
};
use serde_json::Value;

fn cpe(text: &str) -> Cpe {
    text.parse().unwrap_or_else(|e| panic!("{text}: {e}"))
}

#[test]
fn nvd_dictionary_names_parse_and_round_trip() {
    let Some(path) = corpus_path("nvd/nvd-go/responses/cpes-2023-first500.json") else {
        return;
    };
    let doc = load(&path);
    let names: Vec<&str> = doc["products"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["cpe"]["cpeName"].as_str())
        .collect();
    for name in &names {
        assert_eq!(cpe(name).to_string(), *name, "canonical form of {name}");
    }
    eprintln!("nvd cpe dictionary: {} names", names.len());
    assert_eq!(names.len(), 500);
}

#[test]
fn nvd_match_criteria_expansions_are_matched() {
    let Some(path) = corpus_path("nvd/nvd-go/responses/cpematch-CVE-2022-32223.json") else {
        return;
    };
    let doc = load(&path);
    let mut rules = Vec::new();
    for entry in doc["matchStrings"].as_array().into_iter().flatten() {
        let criterion = &entry["matchString"];
        let mut as_match = criterion.clone();
        as_match["vulnerable"] = Value::Bool(true);
        let rule: CpeMatch = serde_json::from_value(as_match).expect("a cpeMatch");
        let listed: Vec<String> = criterion["matches"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|m| m["cpeName"].as_str().map(str::to_owned))
            .collect();
        rules.push((rule, listed));
    }
    let everyone: Vec<String> = rules.iter().flat_map(|(_, l)| l.clone()).collect();

    // NVD's expansion is the oracle both ways: listed names match, every other name of
    // the response does not.
    let (mut positive, mut negative) = (0, 0);
    for (rule, listed) in &rules {
        for name in &everyone {
            let want = listed.contains(name);
            assert_eq!(
                rule.matches(&cpe(name)),
                want,
                "{} against {name}",
                rule.criteria
            );
            if want { positive += 1 } else { negative += 1 }
        }
    }
    eprintln!("nvd match criteria expansion: {positive} listed, {negative} unlisted pairs");
    assert_eq!(positive, 76);
    assert!(negative > 0);
}

/// The configurations of a CVE record in the NVD API 2.0 shape.
fn configurations(record: &Value) -> Vec<NvdConfiguration> {
    let list = record["configurations"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    list.into_iter()
        .map(|c| serde_json::from_value(c).expect("configuration"))
        .collect()
}

#[test]
fn nvd_cve_pages_deserialize() {
    let mut criteria = 0;
    for file in [
        "cves-2023.json",
        "cves-1999.json",
        "cves-CVE-2023-0001.json",
    ] {
        let Some(path) = corpus_path(&format!("nvd/nvd-go/responses/{file}")) else {
            return;
        };
        let doc = load(&path);
        for vuln in doc["vulnerabilities"].as_array().into_iter().flatten() {
            let configs = configurations(&vuln["cve"]);
            for config in &configs {
                criteria += config
                    .nodes
                    .iter()
                    .map(|n| n.cpe_match.len())
                    .sum::<usize>();
            }
            // Platforms alone are never a finding, whatever the configuration's shape.
            let platforms: Vec<Cpe> = configs
                .iter()
                .flat_map(|c| criteria_of(c, false))
                .map(|c| cpe(&c))
                .collect();
            assert!(evaluate_configurations(&configs, &platforms).is_empty());
            assert!(evaluate_configurations(&configs, &[]).is_empty());
        }
    }
    eprintln!("nvd cve pages: {criteria} cpeMatch criteria parsed");
    assert!(criteria > 1000, "parsed {criteria}");
}

/// Vehicle firmware records: each has one AND configuration of a vulnerable firmware
/// and a `vulnerable: false` vehicle.
const VEHICLE_RECORDS: [&str; 3] = [
    "CVE-2022-27254.json",
    "CVE-2022-38766.json",
    "CVE-2023-29389.json",
];

fn criteria_of(config: &NvdConfiguration, vulnerable: bool) -> Vec<String> {
    let all = config.nodes.iter().flat_map(|n| &n.cpe_match);
    all.filter(|m| m.vulnerable == vulnerable)
        .map(|m| m.criteria.to_string())
        .collect()
}

#[test]
fn firmware_in_and_with_platform_needs_the_platform() {
    for file in VEHICLE_RECORDS {
        let Some(path) = corpus_path(&format!("nvd/fkie-nvd-json-data-feeds/{file}")) else {
            return;
        };
        let configs = configurations(&load(&path));
        let [config] = configs.as_slice() else {
            panic!("{file}: one configuration")
        };
        let (firmware, vehicle) = (criteria_of(config, true), criteria_of(config, false));
        let (Some(firmware), Some(vehicle)) = (firmware.first(), vehicle.first()) else {
            panic!("{file}: a vulnerable and a platform criterion")
        };

        let alone = [cpe(firmware)];
        assert_eq!(
            evaluate_configuration(config, &alone),
            None,
            "{file}: firmware alone"
        );

        let with_vehicle = [cpe(firmware), cpe(vehicle)];
        let evidence = evaluate_configuration(config, &with_vehicle).expect("both present");
        assert_eq!(evidence.vulnerable.len(), 1, "{file}");
        assert_eq!(evidence.vulnerable[0].criteria.to_string(), *firmware);
        assert_eq!(evidence.platforms[0].criteria.to_string(), *vehicle);

        // `-` (NA) on the vehicle is not a wildcard: a model year is another vehicle.
        let other = vehicle.replacen(":-:", ":2019:", 1);
        let with_other = [cpe(firmware), cpe(&other)];
        assert_eq!(
            evaluate_configuration(config, &with_other),
            None,
            "{file}: {other}"
        );

        // The vehicle alone is a platform, never a finding.
        assert_eq!(
            evaluate_configuration(config, &[cpe(vehicle)]),
            None,
            "{file}"
        );
    }
    eprintln!(
        "nvd vehicle AND-platform records: {}",
        VEHICLE_RECORDS.len()
    );
}
