//! `keelson csaf validate` and `keelson vex convert`, run as a user would on real
//! corpus documents.

mod support;

use keelson_store::testing::TempDir;
use support::{keelson, stderr, stdout_json, stdout_lines};

const CISA: &str = "csaf/cisa-csaf/csaf_files/OT/white/2024/icsa-24-093-01.json";
const MISSING_PRODUCT: &str = "csaf/oasis-csaf/csaf_2.0/test/validator/data/mandatory/oasis_csaf_tc-csaf_2_0-2021-6-1-01-01.json";
const DEMO_VEX: &str = "openvex/vexctl/examples/sarif/sample-2vulns.openvex.json";

#[test]
fn csaf_validate_prints_one_line_per_file_and_exits_1_on_an_invalid_one() {
    let (Some(good), Some(bad)) = (
        keelson_testkit::corpus_path(CISA),
        keelson_testkit::corpus_path(MISSING_PRODUCT),
    ) else {
        return;
    };
    let dir = TempDir::new().expect("dir");
    let good = good.display().to_string();
    let bad = bad.display().to_string();
    let output = keelson(&dir.path, &["csaf", "validate", &good, &bad]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let lines = stdout_lines(&output);
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["valid"], true);
    assert_eq!(lines[0]["errors"], serde_json::json!([]));
    assert_eq!(lines[1]["valid"], false);
    assert_eq!(lines[1]["errors"][0]["test"], "6.1.1");
    assert_eq!(
        lines[1]["errors"][0]["path"],
        "/product_tree/product_groups/0/product_ids/0"
    );

    let only_good = keelson(&dir.path, &["csaf", "validate", &good]);
    assert_eq!(only_good.status.code(), Some(0));
    let missing = keelson(&dir.path, &["csaf", "validate", &good, "/nonexistent.json"]);
    assert_eq!(missing.status.code(), Some(2));
    assert_eq!(stdout_lines(&missing).len(), 2);
}

#[test]
fn vex_convert_writes_csaf_that_validates_and_cyclonedx_that_validates() {
    let Some(input) = keelson_testkit::corpus_path(DEMO_VEX) else {
        return;
    };
    let dir = TempDir::new().expect("dir");
    let input = input.display().to_string();
    let csaf = keelson(
        &dir.path,
        &[
            "vex",
            "convert",
            &input,
            "--to",
            "csaf",
            "--tlp",
            "GREEN",
            "--namespace",
            "https://openvex.dev",
        ],
    );
    assert!(csaf.status.success(), "{}", stderr(&csaf));
    let document = stdout_json(&csaf);
    assert_eq!(document["document"]["category"], "csaf_vex");
    let file = dir.path.join("converted.json");
    std::fs::write(&file, &csaf.stdout).expect("write");
    let file = file.display().to_string();
    let verdict = keelson(&dir.path, &["csaf", "validate", &file]);
    assert_eq!(
        verdict.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&verdict.stdout)
    );

    let bom = keelson(&dir.path, &["vex", "convert", &input, "--to", "cyclonedx"]);
    assert!(bom.status.success(), "{}", stderr(&bom));
    assert!(keelson_sbom::validate(&bom.stdout).is_empty());

    let no_tlp = keelson(&dir.path, &["vex", "convert", &input, "--to", "csaf"]);
    assert_eq!(no_tlp.status.code(), Some(2));
    assert!(stderr(&no_tlp).contains("--tlp"), "{}", stderr(&no_tlp));
}
