//! `keelson vex import`, `keelson vex export`, `keelson csaf export` and `keelson
//! cases history` as a user runs them: the built binary over a data folder with a
//! build, its SBOM and the corpus's real OSV record for the component.

mod support;

use std::path::Path;

use keelson_core::{BuildStatus, IntakeKind, Marking, Principal, Severity, SlaPolicy, Tlp};
use keelson_store::cases::{BuildAssessment, Intake, NewCase, Opened};
use keelson_store::fleet::SoftwareBuild;
use keelson_store::testing::TempDir;
use keelson_store::{Store, StoreLocation};
use serde_json::json;
use support::{keelson, stderr, stdout_json, stdout_lines};

const OSV: &str = "osv/osv-schema/tools/ghsa/testdata/less_than_equals_with_patch.osv.json";
const CVE: &str = "CVE-2017-16008";
const BUILD: &str = "tcu-4.2.0";

/// A build with an open case for the CVE; returns the case ID.
fn seed(dir: &Path) -> String {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let store = Store::open(&StoreLocation::DataDir(dir.to_owned()))
            .await
            .expect("store");
        let build = SoftwareBuild {
            id: BUILD.to_owned(),
            ecu: "tcu".to_owned(),
            firmware_version: "4.2.0".to_owned(),
            digest: None,
            marking: Marking::new(Tlp::Green),
        };
        store.create_build("test", &build).await.expect("build");
        let case = NewCase {
            title: "i18next in the TCU".to_owned(),
            intake: Intake {
                kind: IntakeKind::Finding,
                source: None,
            },
            vulnerability_ids: vec![CVE.parse().expect("id")],
            severity: Severity::Medium,
            owner: None,
            team: None,
            marking: Marking::new(Tlp::Amber),
            builds: vec![BuildAssessment {
                build_id: BUILD.to_owned(),
                status: BuildStatus::UnderInvestigation,
            }],
        };
        let opened = store
            .open_case("test", &Principal::system(), &case, &SlaPolicy::default())
            .await
            .expect("case");
        store.close().await.expect("close");
        let (Opened::Created(case) | Opened::Merged(case)) = opened;
        case.id
    })
}

fn write(dir: &Path, name: &str, value: &serde_json::Value) -> String {
    let path = dir.join(name);
    std::fs::write(&path, value.to_string()).expect("write");
    path.display().to_string()
}

#[test]
fn vex_import_export_and_advisory_revisions_from_the_command_line() {
    let Some(osv) = keelson_testkit::corpus_path(OSV) else {
        return;
    };
    let data = TempDir::new().expect("dir");
    let files = TempDir::new().expect("dir");
    let case = seed(&data.path);
    let sbom = json!({
        "bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
        "metadata": { "component": { "type": "firmware", "bom-ref": "fw", "name": "tcu",
                                     "purl": "pkg:generic/acme/tcu-firmware@4.2.0" } },
        "components": [{ "type": "library", "bom-ref": "i18n", "name": "i18next",
                         "version": "1.10.2", "purl": "pkg:npm/i18next@1.10.2" }]
    });
    let sbom = write(&files.path, "bom.json", &sbom);
    let osv = osv.display().to_string();
    for args in [
        vec!["sbom", "import", &sbom, "--build", BUILD],
        vec!["vulndb", "import", &osv],
    ] {
        let out = keelson(&data.path, &args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    }

    let vex = json!({
        "@context": "https://openvex.dev/ns/v0.2.0", "@id": "https://supplier.example/vex/1",
        "author": "Supplier PSIRT", "timestamp": "2026-11-20T10:00:00Z", "version": 1,
        "statements": [{ "vulnerability": { "name": CVE },
            "products": [{ "@id": "pkg:npm/i18next@1.10.2" }],
            "status": "affected", "action_statement": "Update i18next to 1.10.3." }]
    });
    let vex = write(&files.path, "supplier.openvex.json", &vex);
    let imported = keelson(&data.path, &["vex", "import", &vex, "--tlp", "GREEN"]);
    assert!(imported.status.success(), "{}", stderr(&imported));
    let line = stdout_json(&imported);
    assert_eq!(line["statements"], 1);
    assert_eq!(line["cases"], json!([case]));
    let again = stdout_json(&keelson(&data.path, &["vex", "import", &vex]));
    assert_eq!(again["already_imported"], true);
    let not_vex = write(&files.path, "other.json", &json!({ "hello": "world" }));
    let refused = keelson(&data.path, &["vex", "import", &not_vex]);
    assert_eq!(refused.status.code(), Some(2));
    let reason = "neither OpenVEX (@context, statements), CycloneDX (bomFormat) nor CSAF";
    assert_eq!(
        stderr(&refused).matches(reason).count(),
        1,
        "said once: {}",
        stderr(&refused)
    );
    let truncated = files.path.join("truncated.json");
    std::fs::write(&truncated, "{\"statements\": [").expect("write");
    let refused = keelson(
        &data.path,
        &["vex", "import", &truncated.display().to_string()],
    );
    assert_eq!(refused.status.code(), Some(2));
    let message = stderr(&refused);
    assert!(
        message.contains("truncated.json: line 1 column 16"),
        "{message}"
    );
    assert_eq!(message.matches("EOF while parsing").count(), 1, "{message}");

    let exported = keelson(&data.path, &["vex", "export", "--build", BUILD]);
    assert!(exported.status.success(), "{}", stderr(&exported));
    let openvex = stdout_json(&exported);
    assert_eq!(openvex["statements"][0]["status"], "affected");
    assert_eq!(
        openvex["statements"][0]["action_statement"],
        "Update i18next to 1.10.3."
    );
    let missing = keelson(&data.path, &["vex", "export", "--build", "nope"]);
    assert_eq!(missing.status.code(), Some(2));

    for summary in ["Initial release.", "Supplier fix."] {
        let args = ["csaf", "export", &case, "--publish", "--summary", summary];
        let published = keelson(&data.path, &args);
        assert!(published.status.success(), "{}", stderr(&published));
    }
    let output = files.path.join("advisory.json");
    let output_arg = output.display().to_string();
    let revision = keelson(
        &data.path,
        &[
            "csaf",
            "export",
            &case,
            "--revision",
            "2",
            "-o",
            &output_arg,
        ],
    );
    assert!(revision.status.success(), "{}", stderr(&revision));
    let document: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&output).expect("read")).expect("json");
    let history = &document["document"]["tracking"]["revision_history"];
    assert_eq!(history.as_array().map(Vec::len), Some(2));
    assert_eq!(history[1]["summary"], "Supplier fix.");

    let entries = stdout_lines(&keelson(&data.path, &["cases", "history", &case]));
    let actions: Vec<&str> = entries
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert_eq!(
        actions,
        ["case.create", "case.vex", "case.advisory", "case.advisory"]
    );
    assert_eq!(
        keelson(&data.path, &["csaf", "export", "no-such-case"])
            .status
            .code(),
        Some(2)
    );
}
