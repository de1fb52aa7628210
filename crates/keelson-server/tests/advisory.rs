//! A case's CSAF security advisory through the API, on SQLite and PostgreSQL: the
//! document passes the reference validator (BSI's csaf-validator-lib: the strict
//! schema and every mandatory test) with zero errors, a second publication adds a
//! revision, and the case's history shows transitions, CVSS changes, VEX and
//! advisory revisions. A vulnerability the knowledge base gives a CWE carries
//! it with the catalogue's name.

mod support;

use keelson_core::{Marking, Role, Tlp};
use keelson_server::config::Config;
use keelson_store::feeds::FeedFile;
use keelson_store::fleet::SoftwareBuild;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use support::TestApp;

const CVE: &str = "CVE-2024-3094";
const VECTOR: &str = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H";

async fn add_build(app: &TestApp, id: &str, tlp: Tlp) {
    let build = SoftwareBuild {
        id: id.to_owned(),
        ecu: "tcu".to_owned(),
        firmware_version: id.trim_start_matches("tcu-").to_owned(),
        digest: None,
        marking: Marking::new(tlp),
    };
    app.store.create_build("test", &build).await.expect("build");
}

/// A case on three TCU builds: 4.2.0 affected, 4.2.1 fixed, 4.1.0 not affected.
async fn open_case(app: &TestApp, token: &str) -> String {
    for id in ["tcu-4.1.0", "tcu-4.2.0", "tcu-4.2.1"] {
        add_build(app, id, Tlp::Amber).await;
    }
    let case = json!({
        "title": "xz backdoor in the TCU's sshd",
        "intake": { "kind": "supplier_advisory", "source": "supplier/SA-2024-01" },
        "vulnerability_ids": [CVE], "severity": "critical",
        "builds": [
            { "build_id": "tcu-4.2.0", "status": "affected" },
            { "build_id": "tcu-4.2.1", "status": "fixed" },
            { "build_id": "tcu-4.1.0", "status": "not_affected" }
        ]
    });
    let (status, body) = app.post("/api/v1/cases", token, &case).await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_str().expect("case id").to_owned()
}

async fn patch(app: &TestApp, token: &str, path: &str, body: &Value) -> (u16, Value) {
    use axum::body::Body;
    use axum::http::{Request, header};
    let request = Request::patch(path)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .expect("request");
    let (status, body) = app.send(request).await;
    (status.as_u16(), body)
}

/// The base score Red Hat's CVSS test vectors give (lines `VECTOR - (base, ...)`).
fn corpus_base_score(vector: &str) -> Option<f64> {
    let path = keelson_testkit::corpus_path("cvss/redhat-cvss/vectors_simple31")?;
    let text = std::fs::read_to_string(path).ok()?;
    let line = text
        .lines()
        .find(|l| l.starts_with(&format!("{vector} - (")))?;
    let scores = line.split_once("- (")?.1;
    scores.split(',').next()?.trim().parse().ok()
}

fn assert_reference_valid(document: &Value) {
    let bytes = serde_json::to_vec(document).expect("json");
    let Some(verdict) = keelson_testkit::csaf_reference_verdict(&bytes) else {
        return;
    };
    let verdict: Value = serde_json::from_str(&verdict).expect("verdict");
    assert!(verdict["tests"].as_u64().unwrap_or(0) > 40, "{verdict}");
    assert_eq!(verdict["errors"], json!([]), "{verdict}");
    assert_eq!(verdict["isValid"], true);
}

#[tokio::test]
async fn the_advisory_passes_the_reference_validator_and_a_second_publish_adds_a_revision() {
    for app in TestApp::on_both_backends(Config::default()).await {
        let token = app.token_for("pia", Role::PsirtEngineer, None).await;
        let case = open_case(&app, &token).await;
        let scored = patch(
            &app,
            &token,
            &format!("/api/v1/cases/{case}"),
            &json!({ "cvss_vector": VECTOR }),
        )
        .await;
        assert_eq!(scored.0, 200, "{}", scored.1);

        let path = format!("/api/v1/cases/{case}/csaf");
        let (status, preview) = app.get(&path, Some(&token)).await;
        assert_eq!(status, 200, "{preview}");
        assert_eq!(preview["document"]["tracking"]["status"], "draft");
        assert_reference_valid(&preview);

        let (status, first) = app
            .post(&path, &token, &json!({ "summary": "Initial release." }))
            .await;
        assert_eq!(status, 201, "{first}");
        assert_eq!(first["revision"], 1);
        let document = &first["document"];
        assert_reference_valid(document);
        assert_eq!(document["document"]["tracking"]["status"], "final");
        assert_eq!(
            document["document"]["distribution"]["tlp"]["label"],
            "AMBER"
        );
        let vulnerability = &document["vulnerabilities"][0];
        assert_eq!(vulnerability["cve"], CVE);
        if let Some(expected) = corpus_base_score(VECTOR) {
            assert_eq!(vulnerability["scores"][0]["cvss_v3"]["baseScore"], expected);
        }
        assert_eq!(
            vulnerability["scores"][0]["cvss_v3"]["vectorString"],
            VECTOR
        );
        assert_eq!(
            vulnerability["product_status"]["known_affected"]
                .as_array()
                .map(Vec::len),
            Some(1)
        );
        assert_eq!(vulnerability["remediations"][0]["category"], "vendor_fix");
        assert!(
            vulnerability["remediations"][0]["details"]
                .as_str()
                .unwrap_or("")
                .contains("tcu-4.2.1")
        );

        let (status, second) = app
            .post(&path, &token, &json!({ "summary": "Fix rolled out." }))
            .await;
        assert_eq!(status, 201, "{second}");
        assert_eq!(second["revision"], 2);
        let tracking = &second["document"]["document"]["tracking"];
        assert_reference_valid(&second["document"]);
        assert_eq!(tracking["version"], "2");
        let history = tracking["revision_history"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let numbers: Vec<&str> = history
            .iter()
            .filter_map(|r| r["number"].as_str())
            .collect();
        assert_eq!(numbers, ["1", "2"]);
        assert_eq!(history[0]["summary"], "Initial release.");
        assert_eq!(
            tracking["initial_release_date"],
            document["document"]["tracking"]["current_release_date"]
        );

        let (status, stored) = app.get(&format!("{path}?revision=1"), Some(&token)).await;
        assert_eq!(status, 200);
        assert_eq!(&stored, document);
    }
}

#[tokio::test]
async fn a_cases_history_shows_transitions_cvss_vex_and_advisory_revisions() {
    for app in TestApp::on_both_backends(Config::default()).await {
        let token = app.token_for("pia", Role::PsirtEngineer, None).await;
        let case = open_case(&app, &token).await;
        let moved = app
            .post(
                &format!("/api/v1/cases/{case}/transitions"),
                &token,
                &json!({ "to": "triage", "reason": "reproduced" }),
            )
            .await;
        assert_eq!(moved.0, 200, "{}", moved.1);
        patch(
            &app,
            &token,
            &format!("/api/v1/cases/{case}"),
            &json!({ "cvss_vector": VECTOR }),
        )
        .await;
        let vex = json!({
            "@context": "https://openvex.dev/ns/v0.2.0", "@id": "https://supplier.example/vex/9",
            "author": "Supplier PSIRT", "timestamp": "2026-11-20T10:00:00Z", "version": 1,
            "statements": [{ "vulnerability": { "name": CVE },
                "products": [{ "@id": "urn:keelson:build:tcu-4.1.0" }],
                "status": "not_affected", "justification": "component_not_present" }]
        });
        let imported = app.post_raw("/api/v1/vex", &token, vex.to_string()).await;
        assert_eq!(imported.1["cases"], json!([case]));
        app.post(
            &format!("/api/v1/cases/{case}/csaf"),
            &token,
            &json!({ "summary": "First." }),
        )
        .await;

        let (status, history) = app
            .get(&format!("/api/v1/cases/{case}/history"), Some(&token))
            .await;
        assert_eq!(status, 200, "{history}");
        let entries = history["items"]
            .as_array()
            .or(history.as_array())
            .cloned()
            .unwrap_or_default();
        let find = |action: &str| entries.iter().find(|e| e["action"] == action).cloned();
        let transition = find("case.transition").expect("transition");
        assert_eq!(transition["detail"]["to"], "triage");
        let cvss = entries.iter().find(|e| {
            e["action"] == "case.update" && e["detail"]["changes"][0]["field"] == "cvss_vector"
        });
        assert_eq!(
            cvss.map(|e| e["detail"]["changes"][0]["to"].clone()),
            Some(json!(VECTOR))
        );
        let vex = find("case.vex").expect("vex");
        assert_eq!(vex["detail"]["statements"][0]["status"], "not_affected");
        let advisory = find("case.advisory").expect("advisory");
        assert_eq!(advisory["detail"]["revision"], 1);
    }
}

#[tokio::test]
async fn an_advisory_of_a_case_the_reader_may_not_see_is_a_404() {
    let app = TestApp::new().await;
    let token = app.token_for("pia", Role::PsirtEngineer, None).await;
    let case = open_case(&app, &token).await;
    let partner = app.token_for("pat", Role::Partner, Some("other-org")).await;
    let (status, _) = app
        .get(&format!("/api/v1/cases/{case}/csaf"), Some(&partner))
        .await;
    assert_eq!(status, 404);
    let bad = patch(
        &app,
        &token,
        &format!("/api/v1/cases/{case}"),
        &json!({ "cvss_vector": "CVSS:3.1/AV:Q" }),
    )
    .await;
    assert_eq!(bad.0, 422, "{}", bad.1);
}

/// The corpus NVD record of the Honda key-fob replay (CVE-2022-27254); its
/// weakness is CWE-294.
const KEY_FOB_RECORD: &str = "nvd/fkie-nvd-json-data-feeds/CVE-2022-27254.json";

#[tokio::test]
async fn the_advisory_names_the_knowledge_bases_cwe_as_the_reference_validator_knows_it() {
    let Some(record) = keelson_testkit::corpus_path(KEY_FOB_RECORD) else {
        return;
    };
    let bytes = std::fs::read(&record).expect("read the record");
    let expected: Value = serde_json::from_slice(&bytes).expect("JSON");
    let cwe = expected["weaknesses"][0]["description"][0]["value"].clone();
    let app = TestApp::new().await;
    let token = app.token_for("pia", Role::PsirtEngineer, None).await;
    let file = FeedFile {
        sha256: hex::encode(Sha256::digest(&bytes)),
        kind: "nvd".to_owned(),
        name: "CVE-2022-27254.json".to_owned(),
        bytes,
    };
    app.store.store_feed_file("test", file).await.expect("feed");
    add_build(&app, "tcu-4.2.0", Tlp::Amber).await;
    let case = json!({
        "title": "Remote keyless entry accepts replayed codes",
        "intake": { "kind": "disclosure", "source": "report-7" },
        "vulnerability_ids": ["CVE-2022-27254"], "severity": "medium",
        "builds": [{ "build_id": "tcu-4.2.0", "status": "affected" }]
    });
    let (status, body) = app.post("/api/v1/cases", &token, &case).await;
    assert_eq!(status, 201, "{body}");

    let path = format!("/api/v1/cases/{}/csaf", body["id"].as_str().expect("id"));
    let (status, preview) = app.get(&path, Some(&token)).await;

    assert_eq!(status, 200, "{preview}");
    let written = &preview["vulnerabilities"][0]["cwe"];
    assert_eq!(written["id"], cwe, "{preview}");
    assert!(
        written["name"]
            .as_str()
            .is_some_and(|name| !name.is_empty())
    );
    // The reference validator checks the name against its own CWE catalogue
    // (mandatory test 6.1.11).
    assert_reference_valid(&preview);
}
