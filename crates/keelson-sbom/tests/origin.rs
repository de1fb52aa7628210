//! Supplier origin on real documents: the CycloneDX HBOM example names a
//! supplier per device; a register gives their countries and a policy flags
//! exactly the devices whose supplier the raw document names for a
//! prohibited country.

use keelson_sbom::origin::{CountrySource, OriginPolicy, SupplierRegister, origins};
use keelson_testkit::corpus_path;
use serde_json::Value;

const HBOM: &str = "cyclonedx/bom-examples/HBOM/PCIe-SATA-adapter-board/bom.json";

const REGISTER: &str = "\
name,country,aliases
Samtec,US,
Molex,United States of America,Molex LLC
3M,USA,
Multicomp,GB,Multicomp Pro
TE Connectivity,CHE,TE
";

/// The devices whose `supplier.name` is `supplier`, read from the raw JSON.
fn devices_supplied_by(raw: &Value, supplier: &str) -> Vec<String> {
    raw["components"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|component| component["supplier"]["name"] == supplier)
        .filter_map(|component| component["name"].as_str().map(str::to_owned))
        .collect()
}

#[test]
fn the_hbom_devices_of_a_prohibited_country_are_flagged_with_the_register_line() {
    let Some(path) = corpus_path(HBOM) else {
        return;
    };
    let bytes = std::fs::read(&path).expect("read");
    let raw: Value = serde_json::from_slice(&bytes).expect("json");
    let sbom = keelson_sbom::import(&bytes).expect("import");
    let register = SupplierRegister::from_csv(REGISTER.as_bytes()).expect("register");
    let policy = OriginPolicy::new(["Switzerland"]).expect("policy");

    let found = origins(&sbom, &register);
    let flagged = policy.violations(&found);

    let expected = devices_supplied_by(&raw, "TE Connectivity");
    assert!(
        !expected.is_empty(),
        "the example names a TE Connectivity part"
    );
    let names: Vec<&str> = flagged.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(names, expected);
    let register_line = CountrySource::Register {
        supplier: "TE Connectivity".to_owned(),
        line: 6,
    };
    assert_eq!(flagged[0].countries[0].source, register_line);
    assert!(
        flagged[0].evidence.contains("line 6"),
        "{}",
        flagged[0].evidence
    );
    let with_country = found.iter().filter(|o| !o.countries.is_empty()).count();
    let with_supplier = raw["components"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c["supplier"]["name"].is_string())
        .count();
    assert_eq!(
        with_country, with_supplier,
        "every supplier is in the register"
    );
}

#[test]
fn a_country_in_the_document_counts_even_when_the_register_disagrees() {
    let document = br#"{"bomFormat":"CycloneDX","specVersion":"1.6","components":[
        {"type":"device","name":"modem","supplier":{"name":"Acme","address":{"country":"CN"}}},
        {"type":"device","name":"gnss","supplier":{"name":"Acme"}},
        {"type":"device","name":"flash","supplier":{"name":"Other","address":{"country":"Ruritania"}}}]}"#;
    let sbom = keelson_sbom::import(document).expect("import");
    let register = SupplierRegister::from_csv(b"name,country\nAcme,DE\n").expect("register");
    let policy = OriginPolicy::new(["CN"]).expect("policy");

    let found = origins(&sbom, &register);
    let flagged = policy.violations(&found);

    let names: Vec<&str> = flagged.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(names, ["modem"]);
    assert_eq!(flagged[0].countries[0].source, CountrySource::Document);
    assert_eq!(found[1].countries.len(), 1, "gnss: the register's DE only");
    assert_eq!(found[2].unresolved_country.as_deref(), Some("Ruritania"));
}
