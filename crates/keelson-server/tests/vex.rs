//! VEX through the API, on SQLite and PostgreSQL: a supplier's statement changes the
//! status of exactly the product and component it names, and a build's VEX validates
//! in each format (OpenVEX against the OpenVEX schema of the corpus, CycloneDX
//! against the CycloneDX schemas, CSAF with the reference validator).
//!
//! Two builds run the same npm package `i18next` 1.10.2, which the corpus's real
//! OSV record GHSA-f89g-whpf-6q9m (CVE-2017-16008) says is vulnerable.

mod support;

use keelson_core::{Marking, Role, Tlp};
use keelson_server::config::Config;
use keelson_server::findings;
use keelson_store::feeds::FeedFile;
use keelson_store::fleet::SoftwareBuild;
use keelson_store::sboms::Subject;
use serde_json::{Value, json};
use support::TestApp;

const OSV: &str = "osv/osv-schema/tools/ghsa/testdata/less_than_equals_with_patch.osv.json";
const CVE: &str = "CVE-2017-16008";
const COMPONENT: &str = "pkg:npm/i18next@1.10.2";
const TCU: &str = "tcu-4.2.0";
const TCU_PRODUCT: &str = "pkg:generic/acme/tcu-firmware@4.2.0";
const IVI: &str = "ivi-3.1.0";

/// A CycloneDX SBOM of a firmware (`subject`) that contains i18next.
fn sbom(subject: &str) -> Vec<u8> {
    let bom = json!({
        "bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
        "metadata": { "component": {
            "type": "firmware", "bom-ref": "fw", "name": "firmware", "purl": subject } },
        "components": [
            { "type": "firmware", "bom-ref": "fw-inner", "name": "firmware-image" },
            { "type": "library", "bom-ref": "i18n", "name": "i18next", "version": "1.10.2",
              "purl": COMPONENT }
        ]
    });
    bom.to_string().into_bytes()
}

/// Two builds with SBOMs and the corpus OSV record; `None` without the corpus.
async fn set_up(app: &TestApp, tlp: Tlp) -> Option<()> {
    let osv = keelson_testkit::corpus_path(OSV)?;
    let bytes = std::fs::read(&osv).expect("osv record");
    let feed = FeedFile {
        sha256: "corpus-osv".to_owned(),
        kind: "osv".to_owned(),
        name: "less_than_equals_with_patch.osv.json".to_owned(),
        bytes,
    };
    app.store.store_feed_file("test", feed).await.expect("feed");
    for (id, subject) in [
        (TCU, TCU_PRODUCT),
        (IVI, "pkg:generic/acme/ivi-firmware@3.1.0"),
    ] {
        let build = SoftwareBuild {
            id: id.to_owned(),
            ecu: id.split('-').next().unwrap_or(id).to_owned(),
            firmware_version: "1".to_owned(),
            digest: None,
            marking: Marking::new(tlp),
        };
        app.store.create_build("test", &build).await.expect("build");
        let bytes = sbom(subject);
        let parsed = keelson_sbom::import(&bytes).expect("sbom");
        let new = findings::new_sbom(Subject::Build(id.to_owned()), &parsed, bytes);
        app.store.attach_sbom("test", new).await.expect("attach");
    }
    Some(())
}

/// A supplier's OpenVEX: not affected on the TCU firmware's copy of i18next.
fn supplier_openvex() -> Value {
    json!({
        "@context": "https://openvex.dev/ns/v0.2.0",
        "@id": "https://supplier.example/vex/2026-001",
        "author": "Supplier PSIRT",
        "timestamp": "2026-11-20T10:00:00Z",
        "version": 1,
        "statements": [{
            "vulnerability": { "name": CVE },
            "products": [{ "@id": TCU_PRODUCT, "subcomponents": [{ "@id": COMPONENT }] }],
            "status": "not_affected",
            "justification": "vulnerable_code_not_in_execute_path",
            "impact_statement": "The TCU never formats user-supplied strings with i18next."
        }]
    })
}

fn finding<'a>(findings: &'a Value, vulnerability: &str) -> &'a Value {
    findings["items"]
        .as_array()
        .and_then(|items| items.iter().find(|f| f["vulnerability"] == vulnerability))
        .unwrap_or_else(|| panic!("no finding {vulnerability} in {findings}"))
}

#[tokio::test]
async fn a_supplier_not_affected_sets_its_product_and_leaves_the_other_product_untouched() {
    for app in TestApp::on_both_backends(Config::default()).await {
        if set_up(&app, Tlp::Amber).await.is_none() {
            return;
        }
        let token = app.token_for("pia", Role::PsirtEngineer, None).await;
        let before_b = app
            .get(&format!("/api/v1/builds/{IVI}/findings"), Some(&token))
            .await;
        assert_eq!(finding(&before_b.1, CVE)["vex"], Value::Null);

        let body = supplier_openvex().to_string();
        let (status, imported) = app.post_raw("/api/v1/vex", &token, body.clone()).await;
        assert_eq!(status, 201, "{imported}");
        assert_eq!(imported["statements"], 1);
        let (again, _) = app.post_raw("/api/v1/vex", &token, body).await;
        assert_eq!(again, 200, "the same document twice is stored once");

        let (_, a) = app
            .get(&format!("/api/v1/builds/{TCU}/findings"), Some(&token))
            .await;
        let vex = &finding(&a, CVE)["vex"];
        assert_eq!(vex["status"], "not_affected", "{a}");
        assert_eq!(vex["justification"], "vulnerable_code_not_in_execute_path");
        assert_eq!(vex["source"], "vex");
        assert_eq!(vex["author"], "Supplier PSIRT");

        let (_, b) = app
            .get(&format!("/api/v1/builds/{IVI}/findings"), Some(&token))
            .await;
        assert_eq!(finding(&b, CVE)["vex"], Value::Null, "{b}");

        // The portfolio lists the vulnerability on both builds, decided on one.
        let (_, portfolio) = app.get("/api/v1/findings", Some(&token)).await;
        let entry = finding(&portfolio, CVE);
        assert_eq!(entry["builds"], json!([IVI, TCU]));
        assert_eq!(entry["vex"], json!({ TCU: "not_affected" }), "{portfolio}");

        let audit = app
            .store
            .audit_entries(None, 1000, None)
            .await
            .expect("audit");
        assert!(
            audit
                .iter()
                .any(|e| e.action == "vex.import" && e.actor == "pia")
        );
    }
}

#[tokio::test]
async fn vex_import_needs_the_psirt_role_and_a_readable_document() {
    let app = TestApp::new().await;
    let analyst = app.token_for("val", Role::VsocAnalyst, None).await;
    let body = supplier_openvex().to_string();
    let (status, _) = app.post_raw("/api/v1/vex", &analyst, body).await;
    assert_eq!(status, 403);

    let psirt = app.token_for("pia", Role::PsirtEngineer, None).await;
    let mut bad = supplier_openvex();
    bad["statements"][0]["products"][0] = json!({ "@id": "tcu firmware" });
    let (status, answer) = app.post_raw("/api/v1/vex", &psirt, bad.to_string()).await;
    assert_eq!(status, 422, "{answer}");
    let message = answer["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("/statements/0/products/0"), "{message}");
}

fn openvex_schema_errors(document: &Value) -> Option<Vec<String>> {
    let path = keelson_testkit::corpus_path("openvex/spec/openvex_json_schema.json")?;
    let schema: Value = serde_json::from_slice(&std::fs::read(path).ok()?).ok()?;
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("schema");
    Some(
        validator
            .iter_errors(document)
            .map(|e| format!("{}: {e}", e.instance_path()))
            .collect(),
    )
}

fn reference_verdict(document: &Value) -> Option<Value> {
    let bytes = serde_json::to_vec(document).expect("json");
    let verdict = keelson_testkit::csaf_reference_verdict(&bytes)?;
    Some(serde_json::from_str(&verdict).expect("verdict"))
}

/// Opens a case for the CVE that says the IVI build is affected.
async fn case_affecting_ivi(app: &TestApp, token: &str) {
    let case = json!({
        "title": "i18next format string injection",
        "intake": { "kind": "finding", "source": "ivi-3.1.0/CVE-2017-16008" },
        "vulnerability_ids": [CVE], "severity": "medium",
        "builds": [{ "build_id": IVI, "status": "affected" }]
    });
    let (status, body) = app.post("/api/v1/cases", token, &case).await;
    assert_eq!(status, 201, "{body}");
}

#[tokio::test]
async fn a_builds_vex_validates_in_every_format_and_carries_each_decision() {
    for app in TestApp::on_both_backends(Config::default()).await {
        if set_up(&app, Tlp::Green).await.is_none() {
            return;
        }
        let token = app.token_for("pia", Role::PsirtEngineer, None).await;
        let body = supplier_openvex().to_string();
        let (status, _) = app.post_raw("/api/v1/vex?tlp=AMBER", &token, body).await;
        assert_eq!(status, 201);
        case_affecting_ivi(&app, &token).await;

        let path = format!("/api/v1/builds/{TCU}/vex?format=openvex");
        let (status, openvex) = app.get(&path, Some(&token)).await;
        assert_eq!(status, 200, "{openvex}");
        if let Some(errors) = openvex_schema_errors(&openvex) {
            assert!(errors.is_empty(), "{errors:#?}");
        }
        let statement = &openvex["statements"][0];
        assert_eq!(statement["status"], "not_affected", "{openvex}");
        assert_eq!(
            statement["justification"],
            "vulnerable_code_not_in_execute_path"
        );
        assert_eq!(
            statement["products"][0]["@id"],
            format!("urn:keelson:build:{TCU}")
        );
        assert_eq!(
            statement["products"][0]["subcomponents"][0]["@id"],
            COMPONENT
        );

        let path = format!("/api/v1/builds/{TCU}/vex?format=cyclonedx");
        let (_, bom) = app.get(&path, Some(&token)).await;
        let problems = keelson_sbom::validate(bom.to_string().as_bytes());
        assert!(problems.is_empty(), "{problems:#?}");
        assert_eq!(
            bom["vulnerabilities"][0]["analysis"]["state"],
            "not_affected"
        );
        assert_eq!(bom["vulnerabilities"][0]["affects"][0]["ref"], COMPONENT);

        for build in [TCU, IVI] {
            let path = format!("/api/v1/builds/{build}/vex?format=csaf");
            let (status, csaf) = app.get(&path, Some(&token)).await;
            assert_eq!(status, 200, "{csaf}");
            if let Some(verdict) = reference_verdict(&csaf) {
                assert_eq!(verdict["errors"], json!([]), "{build}: {verdict}");
                assert_eq!(verdict["isValid"], true);
            }
            // The supplier statement is AMBER and the case AMBER: the strictest wins.
            assert_eq!(csaf["document"]["distribution"]["tlp"]["label"], "AMBER");
            let status = &csaf["vulnerabilities"][0]["product_status"];
            let list = if build == TCU {
                "known_not_affected"
            } else {
                "known_affected"
            };
            assert_eq!(
                status[list].as_array().map(Vec::len),
                Some(1),
                "{build}: {csaf}"
            );
        }
    }
}

#[tokio::test]
async fn a_readers_vex_leaves_out_what_they_may_not_see() {
    let app = TestApp::new().await;
    if set_up(&app, Tlp::Green).await.is_none() {
        return;
    }
    let psirt = app.token_for("pia", Role::PsirtEngineer, None).await;
    let body = supplier_openvex().to_string();
    app.post_raw("/api/v1/vex?tlp=AMBER", &psirt, body).await;
    let partner = app.token_for("pat", Role::Partner, Some("other-org")).await;

    let path = format!("/api/v1/builds/{TCU}/vex?format=csaf");
    let (status, csaf) = app.get(&path, Some(&partner)).await;
    assert_eq!(status, 200, "{csaf}");
    assert_eq!(csaf["document"]["distribution"]["tlp"]["label"], "GREEN");
    let status = &csaf["vulnerabilities"][0]["product_status"];
    assert!(status.get("known_not_affected").is_none(), "{csaf}");
    assert_eq!(
        status["under_investigation"].as_array().map(Vec::len),
        Some(1)
    );

    let secret = SoftwareBuild {
        id: "gw-9.9.9".to_owned(),
        ecu: "gw".to_owned(),
        firmware_version: "9".to_owned(),
        digest: None,
        marking: Marking::new(Tlp::Red),
    };
    app.store
        .create_build("test", &secret)
        .await
        .expect("build");
    let (status, _) = app.get("/api/v1/builds/gw-9.9.9/vex", Some(&psirt)).await;
    assert_eq!(status, 404);
    let (status, _) = app
        .get(
            &format!("/api/v1/builds/{TCU}/vex?format=spdx"),
            Some(&psirt),
        )
        .await;
    assert_eq!(status, 400);
}
