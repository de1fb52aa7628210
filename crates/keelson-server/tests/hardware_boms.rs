//! HBOMs on ECU hardware parts: a device's CPE is the "running on" platform
//! that an NVD configuration ANDs with a firmware criterion, so a build on
//! an ECU with that part matches and the same build elsewhere does not; the
//! hardware part's own findings and routes honour TLP.

mod support;

use axum::http::StatusCode;
use keelson_core::tlp::default_marking;
use keelson_core::{Marking, Role, Tlp};
use keelson_server::findings::{self, FindingsCache};
use keelson_store::Store;
use keelson_store::feeds::FeedFile;
use keelson_store::fleet::SoftwareBuild;
use keelson_store::installations::Ecu;
use keelson_store::sboms::Subject;
use sha2::{Digest, Sha256};
use support::TestApp;

/// The Renault ZOE record: `renault:zoe_e-tech_firmware:2021` (vulnerable)
/// AND `renault:zoe_e-tech` hardware (`vulnerable: false`).
const ZOE_CVE: &str = "nvd/fkie-nvd-json-data-feeds/CVE-2022-38766.json";
const ZOE_FIRMWARE: &str = "cpe:2.3:o:renault:zoe_e-tech_firmware:2021:*:*:*:*:*:*:*";
const ZOE_HARDWARE: &str = "cpe:2.3:h:renault:zoe_e-tech:-:*:*:*:*:*:*:*";

keelson_store::on_both_backends!(
    the_hardware_part_of_the_ecu_completes_the_nvd_configuration,
    a_hardware_cpe_criterion_is_a_finding_of_the_part,
);

async fn the_hardware_part_of_the_ecu_completes_the_nvd_configuration(store: &Store) {
    let Some(record) = keelson_testkit::corpus_path(ZOE_CVE) else {
        return;
    };
    store_feed(store, "nvd", std::fs::read(record).expect("read")).await;
    ecu(store, "zoe-bcm", Some("ZOE-BCM-01"), default_marking()).await;
    ecu(store, "bench-bcm", Some("BENCH-01"), default_marking()).await;
    build(store, "zoe-bcm-2021", "zoe-bcm", &[ZOE_FIRMWARE]).await;
    build(store, "bench-bcm-2021", "bench-bcm", &[ZOE_FIRMWARE]).await;
    let cache = FindingsCache::default();
    assert!(
        vulnerabilities(&cache, store, "zoe-bcm-2021")
            .await
            .is_empty()
    );

    let hbom = document(&[ZOE_HARDWARE], "device");
    attach(store, Subject::HardwarePart("ZOE-BCM-01".into()), hbom).await;

    assert_eq!(
        vulnerabilities(&cache, store, "zoe-bcm-2021").await,
        ["CVE-2022-38766"]
    );
    assert!(
        vulnerabilities(&cache, store, "bench-bcm-2021")
            .await
            .is_empty()
    );
    let part = cache
        .hardware_report(store, "ZOE-BCM-01")
        .await
        .expect("part");
    assert!(part.findings.is_empty(), "a platform is never a finding");
}

async fn a_hardware_cpe_criterion_is_a_finding_of_the_part(store: &Store) {
    let nvd = serde_json::json!({
        "format": "NVD_CVE", "vulnerabilities": [{"cve": {
            "id": "CVE-2099-0001", "sourceIdentifier": "test", "published": "2099-01-01T00:00:00",
            "lastModified": "2099-01-01T00:00:00", "vulnStatus": "Analyzed",
            "descriptions": [{"lang": "en", "value": "a gateway board flaw"}],
            "configurations": [{"nodes": [{"operator": "OR", "negate": false, "cpeMatch": [
                {"vulnerable": true, "criteria": "cpe:2.3:h:acme:gw_board:2:*:*:*:*:*:*:*",
                 "matchCriteriaId": "00000000-0000-0000-0000-000000000001"}
            ]}]}]
        }}]
    });
    store_feed(store, "nvd", nvd.to_string().into_bytes()).await;
    ecu(store, "gateway", Some("ACME-GW-2"), default_marking()).await;
    let hbom = document(&["cpe:2.3:h:acme:gw_board:2:*:*:*:*:*:*:*"], "device");
    attach(store, Subject::HardwarePart("ACME-GW-2".into()), hbom).await;

    let cache = FindingsCache::default();
    let part = cache
        .hardware_report(store, "ACME-GW-2")
        .await
        .expect("part");

    let found: Vec<&str> = part
        .findings
        .iter()
        .map(|f| f.vulnerability.as_str())
        .collect();
    assert_eq!(found, ["CVE-2099-0001"]);
}

#[tokio::test]
async fn hardware_part_routes_answer_404_for_a_part_the_caller_cannot_see() {
    let app = TestApp::new().await;
    let store = &app.store;
    ecu(store, "amber-ecu", Some("AMBER-PART"), default_marking()).await;
    ecu(store, "red-ecu", Some("RED-PART"), Marking::new(Tlp::Red)).await;
    let psirt = app.token_for("pat", Role::PsirtEngineer, None).await;
    let hbom = String::from_utf8(document(&[ZOE_HARDWARE], "device")).expect("utf-8");

    let (created, body) = app
        .post_raw(
            "/api/v1/hardware-parts/AMBER-PART/hbom",
            &psirt,
            hbom.clone(),
        )
        .await;
    let (again, _) = app
        .post_raw(
            "/api/v1/hardware-parts/AMBER-PART/hbom",
            &psirt,
            hbom.clone(),
        )
        .await;
    let (hidden, _) = app
        .post_raw("/api/v1/hardware-parts/RED-PART/hbom", &psirt, hbom.clone())
        .await;
    let (unknown, _) = app
        .get("/api/v1/hardware-parts/NO-SUCH-PART/findings", Some(&psirt))
        .await;
    let (listed, findings) = app
        .get("/api/v1/hardware-parts/AMBER-PART/findings", Some(&psirt))
        .await;

    assert_eq!(created, StatusCode::CREATED, "{body}");
    assert_eq!(body["sbom"]["hardware_part"], "AMBER-PART");
    assert_eq!(again, StatusCode::OK);
    assert_eq!(hidden, StatusCode::NOT_FOUND);
    assert_eq!(unknown, StatusCode::NOT_FOUND);
    assert_eq!(listed, StatusCode::OK);
    assert_eq!(findings["ecus"], serde_json::json!(["amber-ecu"]));
}

async fn vulnerabilities(cache: &FindingsCache, store: &Store, build: &str) -> Vec<String> {
    let report = cache.build_report(store, build).await.expect("report");
    report
        .findings
        .iter()
        .map(|finding| finding.vulnerability.clone())
        .collect()
}

async fn ecu(store: &Store, id: &str, part: Option<&str>, marking: Marking) {
    let record = Ecu {
        id: id.to_owned(),
        name: id.to_owned(),
        supplier: None,
        hardware_part_number: part.map(str::to_owned),
        model_id: None,
        marking,
    };
    store.create_ecu("test", &record).await.expect("ecu");
}

async fn build(store: &Store, id: &str, ecu: &str, cpes: &[&str]) {
    let record = SoftwareBuild {
        id: id.to_owned(),
        ecu: ecu.to_owned(),
        firmware_version: "2021".to_owned(),
        digest: None,
        marking: default_marking(),
    };
    store.create_build("test", &record).await.expect("build");
    attach(
        store,
        Subject::Build(id.to_owned()),
        document(cpes, "firmware"),
    )
    .await;
}

/// A CycloneDX 1.6 document with one component per CPE.
fn document(cpes: &[&str], kind: &str) -> Vec<u8> {
    let components: Vec<serde_json::Value> = cpes
        .iter()
        .map(|cpe| serde_json::json!({"type": kind, "bom-ref": cpe, "name": cpe, "cpe": cpe}))
        .collect();
    serde_json::json!({
        "bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1, "components": components
    })
    .to_string()
    .into_bytes()
}

async fn attach(store: &Store, subject: Subject, bytes: Vec<u8>) {
    let sbom = keelson_sbom::import(&bytes).expect("sbom");
    let new = findings::new_sbom(subject, &sbom, bytes);
    store.attach_sbom("test", new).await.expect("attach");
}

async fn store_feed(store: &Store, kind: &str, bytes: Vec<u8>) {
    let file = FeedFile {
        sha256: hex::encode(Sha256::digest(&bytes)),
        kind: kind.to_owned(),
        name: format!("{kind}.json"),
        bytes,
    };
    assert!(store.store_feed_file("test", file).await.expect("feed"));
}

#[tokio::test]
async fn a_build_origin_covers_its_hardware_part_and_the_configured_policy() {
    let config = keelson_server::config::Config {
        prohibited_supplier_countries: vec!["China".to_owned()].try_into().expect("policy"),
        ..keelson_server::config::Config::default()
    };
    let app = TestApp::with_config(config).await;
    let store = &app.store;
    ecu(store, "tcu", Some("TCU-HW-3"), default_marking()).await;
    build(store, "tcu-5.0", "tcu", &[]).await;
    let modem = br#"{"bomFormat":"CycloneDX","specVersion":"1.6","components":[
        {"type":"device","bom-ref":"modem","name":"LTE modem","supplier":{"name":"Quectel Wireless"}}]}"#;
    attach(
        store,
        Subject::HardwarePart("TCU-HW-3".into()),
        modem.to_vec(),
    )
    .await;
    let psirt = app.token_for("pat", Role::PsirtEngineer, None).await;
    let partner = app
        .token_for("sup", Role::Partner, Some("supplier-a"))
        .await;

    let refused = app
        .put_text(
            "/api/v1/suppliers",
            &psirt,
            "name,country\nQuectel,Atlantis\n",
        )
        .await;
    let stored = app
        .put_text(
            "/api/v1/suppliers",
            &psirt,
            "name,country,aliases\nQuectel,CN,Quectel Wireless\n",
        )
        .await;
    let (status, origin) = app.get("/api/v1/builds/tcu-5.0/origin", Some(&psirt)).await;
    let (forbidden, _) = app.get("/api/v1/suppliers", Some(&partner)).await;

    assert_eq!(refused.0, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.1.to_string().contains("line 2"), "{}", refused.1);
    assert_eq!(stored.0, StatusCode::OK, "{}", stored.1);
    assert_eq!(status, StatusCode::OK, "{origin}");
    assert_eq!(origin["prohibited_countries"], serde_json::json!(["CN"]));
    assert_eq!(origin["prohibited"][0]["component"], "modem");
    assert_eq!(origin["prohibited"][0]["countries"][0]["line"], 2);
    assert_eq!(forbidden, StatusCode::FORBIDDEN);
}
