//! The demo on a fresh store, stepped on a simulated clock (nothing waits
//! for real time): after the seeding the PSIRT portfolio already shows the
//! findings the demo SBOMs and knowledge base make, and after three
//! simulated minutes every attack has raised its alerts, incidents are
//! open, one was escalated to a case by the demo analyst and the case's
//! advisory was published by the demo PSIRT account, all through the API
//! (and passes BSI's reference CSAF validator).

mod support;

use keelson_core::Role;
use keelson_server::config::Config;
use keelson_server::demo::Simulation;
use keelson_server::demo::responder::{ANALYST, DEMO_VULNERABILITY, PSIRT};
use keelson_sim::{Attack, Settings};
use keelson_store::alerts::AlertFilter;
use keelson_store::incidents::IncidentFilter;
use keelson_store::testing::TempDir;
use serde_json::Value;
use support::TestApp;
use time::{Duration, OffsetDateTime};

const SECONDS: i64 = 180;

fn settings(start: OffsetDateTime) -> Settings {
    Settings {
        seed: 2026,
        vehicles: 24,
        rate: 15.0,
        start,
        attacks: true,
    }
}

fn demo_config(dbc: &TempDir) -> Config {
    Config {
        dbc_dir: Some(dbc.path.join("dbc")),
        ..Config::default()
    }
}

async fn demo_app(dbc: &TempDir) -> TestApp {
    TestApp::with_config(demo_config(dbc)).await
}

/// The seeded demo and the simulation's start.
async fn seeded(app: &TestApp) -> (Simulation, OffsetDateTime) {
    let start = OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .expect("time");
    let (simulation, seeded) = Simulation::seed(app.state.clone(), settings(start))
        .await
        .expect("seed");
    assert_eq!(seeded.vehicles, 24);
    assert_eq!(seeded.sboms, seeded.builds);
    (simulation, start)
}

fn portfolio_ids(body: &Value) -> Vec<String> {
    let items = body["items"].as_array().expect("items");
    items
        .iter()
        .flat_map(|item| {
            let own = item["vulnerability"].as_str().map(str::to_owned);
            let aliases = item["aliases"].as_array().cloned().unwrap_or_default();
            own.into_iter().chain(
                aliases
                    .into_iter()
                    .filter_map(|a| a.as_str().map(str::to_owned)),
            )
        })
        .collect()
}

#[tokio::test]
async fn the_portfolio_has_findings_right_after_seeding() {
    let dbc = TempDir::new().expect("dir");
    let app = demo_app(&dbc).await;
    let _demo = seeded(&app).await;
    let admin = app.token_for("ana", Role::Admin, None).await;

    let (status, body) = app.get("/api/v1/findings?limit=100", Some(&admin)).await;

    assert_eq!(status, 200, "{body}");
    let ids = portfolio_ids(&body);
    // From the demo files: NVD ranges against the SBOM versions (linux
    // 5.10.90 is inside Dirty Pipe's 5.8 to 5.10.102, busybox 1.31.1 up to
    // 1.35.0, openssl 1.1.1k before 1.1.1l and 1.1.1n, zlib 1.2.11 before
    // 1.2.12) and the OSV ranges (x/net before 0.17.0).
    for cve in [
        "CVE-2022-0847",
        "CVE-2022-28391",
        "CVE-2021-3711",
        "CVE-2022-0778",
        "CVE-2018-25032",
        "CVE-2023-39325",
        "CVE-2023-48795",
    ] {
        assert!(ids.iter().any(|id| id == cve), "{cve} missing from {ids:?}");
    }
    let items = body["items"].as_array().expect("items");
    let dirty_pipe = items
        .iter()
        .find(|item| item["vulnerability"] == "CVE-2022-0847")
        .expect("dirty pipe");
    assert_eq!(dirty_pipe["kev"], true);
    let builds = dirty_pipe["builds"].as_array().expect("builds");
    assert!(builds.iter().any(|b| b == "nv-e1-tcu-3.1.0"), "{builds:?}");
    // The updates are the fix: 5.10.110 and 5.10.160 are past 5.10.102.
    assert!(!builds.iter().any(|b| b == "nv-e1-tcu-3.2.0"), "{builds:?}");
    assert!(!builds.iter().any(|b| b == "hm-v2-tcu-2.1.0"), "{builds:?}");
    assert!(dirty_pipe["vehicles_affected"].as_u64() > Some(0));
}

/// On SQLite, and on PostgreSQL when `KEELSON_TEST_POSTGRES_URL` names a server.
#[tokio::test]
async fn three_simulated_minutes_raise_alerts_incidents_a_case_and_an_advisory() {
    let dbc = TempDir::new().expect("dir");
    for app in TestApp::on_both_backends(demo_config(&dbc)).await {
        three_minutes_on(&app).await;
    }
}

async fn three_minutes_on(app: &TestApp) {
    let (mut demo, start) = seeded(app).await;

    for second in 1..=SECONDS {
        demo.step(start + Duration::seconds(second))
            .await
            .expect("step");
    }

    let store = &app.store;
    for attack in Attack::ALL {
        for rule in attack.rule_ids() {
            let filter = AlertFilter {
                rule_id: Some((*rule).to_owned()),
                ..AlertFilter::default()
            };
            let alerts = store.list_alerts(&filter).await.expect("alerts");
            assert!(!alerts.is_empty(), "{}: no alert of {rule}", attack.name());
        }
    }
    let incidents = store
        .list_incidents(&IncidentFilter::default())
        .await
        .expect("incidents");
    assert!(incidents.len() >= Attack::ALL.len(), "{incidents:?}");

    let progress = demo.progress().clone();
    let case = progress.escalated_case.expect("an escalated case");
    let admin = app.token_for("ana", Role::Admin, None).await;
    let (status, body) = app
        .get(&format!("/api/v1/cases/{case}"), Some(&admin))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["intake"]["kind"], "vsoc_escalation", "{body}");
    let ids = body["vulnerability_ids"].as_array().expect("ids");
    assert!(ids.iter().any(|id| id == DEMO_VULNERABILITY), "{body}");

    let (status, history) = app
        .get(&format!("/api/v1/cases/{case}/history"), Some(&admin))
        .await;
    assert_eq!(status, 200, "{history}");
    let actors: Vec<&str> = history
        .as_array()
        .or_else(|| history["items"].as_array())
        .expect("entries")
        .iter()
        .filter_map(|entry| entry["actor"].as_str())
        .collect();
    assert!(actors.contains(&ANALYST), "{actors:?}");
    assert!(actors.contains(&PSIRT), "{actors:?}");

    let tracking = progress.advisory.expect("a published advisory");
    let (status, document) = app
        .get(
            &format!("/api/v1/cases/{case}/csaf?revision=1"),
            Some(&admin),
        )
        .await;
    assert_eq!(status, 200, "{document}");
    assert_eq!(document["document"]["tracking"]["id"], tracking.as_str());
    assert_eq!(document["document"]["tracking"]["status"], "final");
    let verdict = keelson_exchange::csaf::validate_value(&document);
    assert!(verdict.valid, "{:?}", verdict.errors);
    let bytes = serde_json::to_vec(&document).expect("json");
    if let Some(reference) = keelson_testkit::csaf_reference_verdict(&bytes) {
        let reference: Value = serde_json::from_str(&reference).expect("verdict");
        assert_eq!(reference["isValid"], true, "{reference}");
    }
}

#[tokio::test]
async fn the_ota_campaign_moves_vehicles_to_the_update() {
    let dbc = TempDir::new().expect("dir");
    let app = demo_app(&dbc).await;
    let (mut demo, start) = seeded(&app).await;

    for second in 1..=SECONDS {
        demo.step(start + Duration::seconds(second))
            .await
            .expect("step");
    }

    let current = app.store.current_installations().await.expect("installed");
    let updated = current
        .iter()
        .filter(|i| i.build_id == "nv-e1-tcu-3.2.0" || i.build_id == "hm-v2-tcu-2.1.0")
        .count();
    let factory = current
        .iter()
        .filter(|i| i.build_id == "nv-e1-tcu-3.1.0" || i.build_id == "hm-v2-tcu-2.0.4")
        .count();
    assert!(updated > 0, "{current:?}");
    // Sixteen vehicles (aurora and courier) carry an updatable TCU.
    assert_eq!(updated + factory, 16);
    assert!(dbc.path.join("dbc/nordvik_e1.dbc").is_file());
}

#[test]
fn every_demo_sbom_passes_the_official_cyclonedx_schema() {
    let files = keelson_server::demo::data::SBOMS;
    assert_eq!(files.len(), keelson_sim::catalogue::all_builds().len());
    for file in files {
        let problems = keelson_sbom::validate(file.bytes);
        assert!(problems.is_empty(), "{}: {problems:?}", file.name);
        let text = std::str::from_utf8(file.bytes).expect("utf-8");
        assert!(text.contains("\"specVersion\": \"1.5\""), "{}", file.name);
    }
}
