//! How long the web UI's pages take to render with a production-sized
//! store: a million alerts in a hundred thousand incidents over a year,
//! ten thousand vehicles in eight regions, and a hundred thousand findings
//! (500 builds, each an SBOM of 200 components, matched by 2,000 OSV
//! advisories), with the forty rules the alerts name, two hundred PSIRT
//! cases and a dashboard of four widgets. Every page of the UI, and the
//! R155 monitoring report (HTML) over the reports page's default 30 days
//! and over a year, is requested through the whole router (session lookup,
//! handlers, HTML) by a signed-in analyst, once to warm the server's caches
//! (reported as the first request) and then `ROUNDS` times; the figures are
//! the median, the 95th percentile and the slowest request. The portfolio,
//! which the server keeps per reader until the fleet or its findings
//! change, is measured once more with an installation changed before every
//! request, as during an OTA roll-out.
//!
//! The alerts and incidents are written by `Store::bulk_insert_alerts` and
//! `bulk_insert_incidents` (no audit entries, no grouping), the rules and
//! cases through the API, everything else through the store's ordinary
//! methods.
//!
//! ```sh
//! cargo bench -p keelson-server --bench ui_render
//! # keep the seeded SQLite store between runs (seeding takes minutes):
//! KEELSON_UI_BENCH_DIR=/tmp/ui-bench cargo bench -p keelson-server --bench ui_render
//! # only the pages whose path contains one of the words given:
//! cargo bench -p keelson-server --bench ui_render -- psirt cases
//! # or measure on PostgreSQL (an empty database, seeded on the first run):
//! KEELSON_UI_BENCH_POSTGRES=postgres://postgres@127.0.0.1:5432/uibench \
//!   cargo bench -p keelson-server --bench ui_render
//! ```

use std::path::PathBuf;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use keelson_core::{IncidentState, Marking, Role, Severity, Tlp};
use keelson_server::config::Config;
use keelson_server::{AppState, app, auth};
use keelson_store::bulk::{BulkAlert, BulkIncident};
use keelson_store::dashboards::{GroupBy, QuerySource, SavedQuery, Widget, WidgetKind};
use keelson_store::feeds::FeedFile;
use keelson_store::fleet::{SoftwareBuild, Vehicle, VehicleModel};
use keelson_store::installations::{Ecu, NewInstallation};
use keelson_store::sboms::Subject;
use keelson_store::users::{NewUser, UserRecord};
use keelson_store::{Store, StoreLocation};
use sha2::{Digest, Sha256};
use tower::ServiceExt;

const VEHICLES: usize = 10_000;
const INCIDENTS: usize = 100_000;
const ALERTS_PER_INCIDENT: usize = 10;
const RULES: usize = 40;
const BUILDS: usize = 500;
const COMPONENTS_PER_BUILD: usize = 200;
const PACKAGES: usize = 2_000;
const CASES: usize = 200;
const ROUNDS: usize = 25;

const REGIONS: [&str; 8] = [
    "EU-North", "EU-West", "EU-South", "NA-East", "NA-West", "APAC", "LATAM", "MEA",
];
const MODELS: [&str; 3] = ["bench-sedan", "bench-suv", "bench-van"];
const ECUS: [&str; 4] = ["gateway", "tcu", "ivi", "adas"];
const TECHNIQUES: [&str; 12] = [
    "ATM-T0001",
    "ATM-T0005",
    "ATM-T0011",
    "ATM-T0013",
    "ATM-T0019",
    "ATM-T0022",
    "ATM-T0028",
    "ATM-T0031",
    "ATM-T0040",
    "ATM-T0042",
    "ATM-T0047",
    "ATM-T0052",
];
const CVSS: [&str; 4] = [
    "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
    "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:N",
    "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:L/I:L/A:N",
    "CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N",
];
const YEAR_US: i64 = 365 * 86_400_000_000;
const HOUR_US: i64 = 3_600_000_000;
const ACTOR: &str = "bench-seed";

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let (location, _temporary) = bench_location();
    let store = Store::open(&location).await.expect("open the store");
    let state = AppState::new(store.clone(), Config::default());
    let router = app(state);
    let analyst = analyst(&store).await;
    if !seeded(&store).await {
        let started = Instant::now();
        seed(&store, &router, &analyst).await;
        eprintln!("seeded in {:.0?}", started.elapsed());
    }

    let cookie = session(&store, &analyst).await;
    let wanted: Vec<String> = std::env::args()
        .skip(1)
        .filter(|word| !word.starts_with("--"))
        .collect();
    let pages = pages(&router, &cookie, &store)
        .await
        .into_iter()
        .filter(|path| wanted.is_empty() || wanted.iter().any(|word| path.contains(word.as_str())));

    println!("| page | first request | median | p95 | slowest |");
    println!("| --- | --- | --- | --- | --- |");
    for path in pages {
        let timings = measure(&router, &cookie, &path, None).await;
        print_row(&format!("`{path}`"), &timings);
    }
    if wanted.is_empty() || wanted.iter().any(|word| "/psirt".contains(word.as_str())) {
        let timings = measure(&router, &cookie, "/psirt", Some(&store)).await;
        print_row("`/psirt` after each roll-out step", &timings);
    }
}

fn print_row(page: &str, timings: &Timings) {
    println!(
        "| {page} | {} | {} | {} | {} |",
        ms(timings.first),
        ms(percentile(&timings.rounds, 50)),
        ms(percentile(&timings.rounds, 95)),
        ms(*timings.rounds.last().expect("rounds"))
    );
}

/// The store: `KEELSON_UI_BENCH_POSTGRES`, else the SQLite folder
/// `KEELSON_UI_BENCH_DIR` (kept), else a temporary SQLite folder.
fn bench_location() -> (StoreLocation, Option<keelson_store::testing::TempDir>) {
    if let Ok(url) = std::env::var("KEELSON_UI_BENCH_POSTGRES") {
        return (StoreLocation::Postgres(url), None);
    }
    if let Some(dir) = std::env::var_os("KEELSON_UI_BENCH_DIR") {
        return (StoreLocation::DataDir(PathBuf::from(dir)), None);
    }
    let temporary = keelson_store::testing::TempDir::new().expect("temp dir");
    (
        StoreLocation::DataDir(temporary.path.clone()),
        Some(temporary),
    )
}

/// Whether an earlier run seeded the store: the alerts come last.
async fn seeded(store: &Store) -> bool {
    let admin = keelson_core::Principal::new("bench", Role::Admin, None);
    let reader = keelson_store::readable::Readable::by(&admin);
    let filter = keelson_store::alerts::AlertFilter::default();
    let count = store.count_alerts(&filter, &reader).await.expect("count");
    count.more
}

/// Every page of the UI, with real IDs and second-page cursors from the
/// store.
async fn pages(router: &Router, cookie: &str, store: &Store) -> Vec<String> {
    let mut pages: Vec<String> = [
        "/",
        "/alerts",
        "/alerts?severity=critical&days=30",
        "/alerts/alert-000042-3",
        "/incidents",
        "/incidents?state=open",
        "/incidents/incident-000042",
        "/vehicles",
        "/vehicles/veh-00042",
        "/rules",
        "/rules/new",
        "/rules/rule-7",
        "/psirt",
        "/psirt/builds/gateway-bench-sedan-7",
        "/cases",
        "/reports",
        "/intel",
        "/playbooks",
        "/dashboards",
        "/admin/users",
        "/admin/tokens",
        "/admin/audit",
    ]
    .map(str::to_owned)
    .to_vec();
    for list in ["/alerts", "/incidents", "/vehicles"] {
        let (_, html) = get(router, cookie, list).await;
        pages.extend(next_page_link(&html));
    }
    let (_, board) = get(router, cookie, "/cases").await;
    pages.extend(first_link(&board, "/cases/"));
    let dashboard = dashboard(store).await;
    pages.push(format!("/dashboards/{dashboard}"));
    pages.extend(r155_reports());
    pages
}

/// The R155 report as the reports page links it (the last 30 days) and
/// over a year.
fn r155_reports() -> Vec<String> {
    let today = time::OffsetDateTime::now_utc().date();
    [30, 365]
        .map(|days| {
            let from = today - time::Duration::days(days);
            format!("/api/v1/reports/r155?from={from}&to={today}&format=html")
        })
        .to_vec()
}

/// The first link into `prefix` on a page.
fn first_link(html: &str, prefix: &str) -> Option<String> {
    let start = html.find(&format!("href=\"{prefix}"))? + "href=\"".len();
    let end = start + html[start..].find('"')?;
    Some(html[start..end].replace("&amp;", "&"))
}

fn next_page_link(html: &str) -> Option<String> {
    let before = html.split("\">Next page</a>").next()?;
    let start = before.rfind("href=\"")? + "href=\"".len();
    Some(before[start..].replace("&amp;", "&"))
}

/// A page's first request (caches cold, unless finding the benchmark's
/// links requested it before) and its `ROUNDS` timed requests, sorted.
struct Timings {
    first: Duration,
    rounds: Vec<Duration>,
}

/// Requests `path` once and then `ROUNDS` times. With `rolling_out`, one
/// vehicle's gateway moves to another build before each timed request (not
/// timed), as an OTA roll-out step does, so no kept answer can be reused.
async fn measure(
    router: &Router,
    cookie: &str,
    path: &str,
    rolling_out: Option<&Store>,
) -> Timings {
    let started = Instant::now();
    let (status, _) = get(router, cookie, path).await;
    let first = started.elapsed();
    assert_eq!(status, StatusCode::OK, "{path}");
    let mut rounds = Vec::with_capacity(ROUNDS);
    for round in 0..ROUNDS {
        if let Some(store) = rolling_out {
            roll_out_step(store, round).await;
        }
        let started = Instant::now();
        let (status, body) = get(router, cookie, path).await;
        rounds.push(started.elapsed());
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(body.contains("</html>"), "{path} rendered a whole page");
    }
    rounds.sort();
    Timings { first, rounds }
}

/// Installs the next gateway build on vehicle 0, audited like any
/// installation.
async fn roll_out_step(store: &Store, round: usize) {
    let model = MODELS[0];
    let installation = NewInstallation {
        vehicle_id: vehicle_id(0),
        ecu_id: format!("gateway-{model}"),
        build_id: build_id("gateway", model, (round + 1) % versions_per_ecu()),
        installed_at_us: keelson_store::now_us(),
        source: "ota".to_owned(),
        marking: amber(),
    };
    store
        .install_build(ACTOR, installation)
        .await
        .expect("roll-out step");
}

async fn get(router: &Router, cookie: &str, path: &str) -> (StatusCode, String) {
    let request = Request::get(path)
        .header(header::COOKIE, cookie)
        .body(Body::empty())
        .expect("request");
    send(router, request).await
}

/// The status and body of the router's answer to `request`.
async fn send(router: &Router, request: Request<Body>) -> (StatusCode, String) {
    let response = router.clone().oneshot(request).await.expect("infallible");
    let status = response.status();
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

/// Nearest-rank percentile of sorted timings.
fn percentile(sorted: &[Duration], percent: usize) -> Duration {
    let rank = (sorted.len() * percent).div_ceil(100).max(1);
    sorted[rank - 1]
}

fn ms(duration: Duration) -> String {
    format!("{:.1} ms", duration.as_secs_f64() * 1_000.0)
}

const ANALYST: &str = "bench-analyst";

/// The internal analyst who reads every page (admin, so every page opens).
async fn analyst(store: &Store) -> UserRecord {
    if let Some(user) = store.user_by_name(ANALYST).await.expect("read") {
        return user;
    }
    let new = NewUser {
        name: ANALYST.to_owned(),
        role: Role::Admin,
        organisation: None,
        password_hash: auth::hash_password("a-long-bench-password").expect("hash"),
    };
    store.create_user(ACTOR, new).await.expect("user")
}

/// A browser session of the analyst.
async fn session(store: &Store, analyst: &UserRecord) -> String {
    let secret = auth::random_secret(32);
    let expires = keelson_store::now_us() + HOUR_US;
    store
        .create_session(analyst, &auth::secret_hash(&secret), "bench-csrf", expires)
        .await
        .expect("session");
    format!("{}={secret}", auth::SESSION_COOKIE)
}

/// The analyst's one dashboard, made on the first run: a chart and a
/// table over alerts and over incidents.
async fn dashboard(store: &Store) -> String {
    let existing = store.dashboards_of(ANALYST).await.expect("dashboards");
    if let Some(dashboard) = existing.into_iter().next() {
        return dashboard.id;
    }
    let dashboard = store
        .create_dashboard(ANALYST, "Night shift")
        .await
        .expect("dashboard");
    let widgets = [
        (WidgetKind::Chart, QuerySource::Alerts, GroupBy::Day),
        (WidgetKind::Table, QuerySource::Alerts, GroupBy::Severity),
        (WidgetKind::Chart, QuerySource::Incidents, GroupBy::State),
        (WidgetKind::Table, QuerySource::Incidents, GroupBy::Severity),
    ];
    for (kind, source, group_by) in widgets {
        let widget = Widget {
            title: format!("{source:?} by {group_by:?}"),
            kind,
            query: SavedQuery {
                source,
                days: Some(30),
                group_by,
                ..SavedQuery::default()
            },
        };
        store
            .add_widget(ANALYST, &dashboard.id, widget)
            .await
            .expect("widget");
    }
    dashboard.id
}

async fn seed(store: &Store, router: &Router, analyst: &UserRecord) {
    seed_inventory(store).await;
    seed_feeds(store).await;
    seed_vehicles(store).await;
    let token = api_token(store, analyst).await;
    seed_rules(router, &token).await;
    seed_cases(router, &token).await;
    seed_alerts_and_incidents(store).await;
}

/// An API token of the analyst, for the records seeded through the API.
async fn api_token(store: &Store, analyst: &UserRecord) -> String {
    let secret = auth::new_token_secret();
    store
        .create_token(
            ACTOR,
            &analyst.id,
            "bench-seed",
            &auth::secret_hash(&secret),
            None,
        )
        .await
        .expect("token");
    secret
}

/// The rules the alerts name: `rule-N` with the Sigma ID `bench-rule-N`.
async fn seed_rules(router: &Router, token: &str) {
    for rule in 0..RULES {
        let sigma = format!(
            "title: Bench rule {rule}\nid: rule-{rule}\nstatus: stable\nlevel: {level}\n\
             logsource:\n  product: vehicle\n  category: uds\n\
             detection:\n  selection:\n    kind: uds.negative_response\n    \
             nrc: {nrc}\n  condition: selection\n",
            level = ["low", "medium", "high", "critical"][rule % 4],
            nrc = rule + 1,
        );
        let body = serde_json::json!({ "sigma": sigma, "marking": rule_marking(rule) });
        post(router, token, "/api/v1/rules", &body).await;
    }
}

/// PSIRT cases on the advisories' CVEs, each on three builds.
async fn seed_cases(router: &Router, token: &str) {
    let statuses = ["affected", "fixed", "not_affected"];
    for n in 0..CASES {
        let package = n * (PACKAGES / CASES);
        let builds: Vec<serde_json::Value> = (0..3)
            .map(|k| {
                let ecu = ECUS[(n + k) % ECUS.len()];
                let model = MODELS[n % MODELS.len()];
                let version = (n + k) % versions_per_ecu();
                serde_json::json!({
                    "build_id": build_id(ecu, model, version),
                    "status": statuses[k],
                })
            })
            .collect();
        let case = serde_json::json!({
            "title": format!("bench-pkg-{package} in the fleet's builds"),
            "intake": { "kind": "supplier_advisory", "source": format!("BENCH-{package:05}") },
            "vulnerability_ids": [format!("CVE-2026-{:05}", 10_000 + package)],
            "severity": Severity::ALL[n % Severity::ALL.len()],
            "builds": builds,
        });
        post(router, token, "/api/v1/cases", &case).await;
    }
}

async fn post(router: &Router, token: &str, path: &str, body: &serde_json::Value) {
    let request = Request::post(path)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .expect("request");
    let (status, answer) = send(router, request).await;
    assert_eq!(status, StatusCode::CREATED, "{path}: {answer}");
}

fn amber() -> Marking {
    Marking::new(Tlp::Amber)
}

fn build_id(ecu: &str, model: &str, version: usize) -> String {
    format!("{ecu}-{model}-{version}")
}

/// Builds per ECU of each model, so that `BUILDS` builds exist in all.
fn versions_per_ecu() -> usize {
    BUILDS / (MODELS.len() * ECUS.len())
}

async fn seed_inventory(store: &Store) {
    let mut build_index = 0;
    for model in MODELS {
        let record = VehicleModel {
            id: model.to_owned(),
            make: "Bench".to_owned(),
            model: model.to_owned(),
            year: Some(2026),
            platform: None,
            dbc_files: Vec::new(),
            marking: amber(),
        };
        store
            .create_vehicle_model(ACTOR, &record)
            .await
            .expect("model");
        for ecu in ECUS {
            let ecu_id = format!("{ecu}-{model}");
            let record = Ecu {
                id: ecu_id.clone(),
                name: ecu.to_owned(),
                supplier: Some("Bench Supplier".to_owned()),
                hardware_part_number: None,
                model_id: Some(model.to_owned()),
                marking: amber(),
            };
            store.create_ecu(ACTOR, &record).await.expect("ECU");
            for version in 0..versions_per_ecu() {
                seed_build(store, &ecu_id, &build_id(ecu, model, version), build_index).await;
                build_index += 1;
            }
        }
    }
}

async fn seed_build(store: &Store, ecu_id: &str, id: &str, index: usize) {
    let sbom = sbom_of(id, index);
    let record = SoftwareBuild {
        id: id.to_owned(),
        ecu: ecu_id.to_owned(),
        firmware_version: format!("1.{index}.0"),
        digest: Some(format!("sha256:{}", hex_sha256(&sbom))),
        marking: amber(),
    };
    store.create_build(ACTOR, &record).await.expect("build");
    let parsed = keelson_sbom::import(&sbom).expect("bench SBOM");
    let new = keelson_server::findings::new_sbom(Subject::Build(id.to_owned()), &parsed, sbom);
    store.attach_sbom(ACTOR, new).await.expect("SBOM");
}

/// A CycloneDX SBOM of `COMPONENTS_PER_BUILD` distinct packages, each at a
/// version every advisory of the package covers.
fn sbom_of(id: &str, index: usize) -> Vec<u8> {
    let components: Vec<serde_json::Value> = (0..COMPONENTS_PER_BUILD)
        .map(|k| {
            let package = (index * 7 + k * 13) % PACKAGES;
            let version = format!("1.{}.0", index % 10);
            serde_json::json!({
                "type": "library",
                "bom-ref": format!("pkg-{package}"),
                "name": format!("bench-pkg-{package}"),
                "version": version,
                "purl": format!("pkg:npm/bench-pkg-{package}@{version}"),
            })
        })
        .collect();
    let document = serde_json::json!({
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "version": 1,
        "metadata": { "component": { "type": "firmware", "name": id, "version": "1" } },
        "components": components,
    });
    serde_json::to_vec(&document).expect("JSON")
}

async fn seed_feeds(store: &Store) {
    for package in 0..PACKAGES {
        let advisory = serde_json::json!({
            "schema_version": "1.6.0",
            "id": format!("BENCH-{package:05}"),
            "modified": "2026-11-01T00:00:00Z",
            "aliases": [format!("CVE-2026-{:05}", 10_000 + package)],
            "summary": format!("Bench advisory for bench-pkg-{package}"),
            "severity": [{ "type": "CVSS_V3", "score": CVSS[package % CVSS.len()] }],
            "affected": [{
                "package": { "ecosystem": "npm", "name": format!("bench-pkg-{package}") },
                "ranges": [{ "type": "SEMVER", "events": [{ "introduced": "0" }, { "fixed": "2.0.0" }] }],
            }],
        });
        let bytes = serde_json::to_vec(&advisory).expect("JSON");
        let feed = FeedFile {
            sha256: hex_sha256(&bytes),
            kind: "osv".to_owned(),
            name: format!("BENCH-{package:05}.json"),
            bytes,
        };
        store.store_feed_file(ACTOR, feed).await.expect("feed");
    }
}

fn vehicle_id(n: usize) -> String {
    format!("veh-{n:05}")
}

async fn seed_vehicles(store: &Store) {
    let installed_at_us = keelson_store::now_us() - YEAR_US;
    for n in 0..VEHICLES {
        let model = MODELS[n % MODELS.len()];
        let record = Vehicle {
            id: vehicle_id(n),
            model_id: Some(model.to_owned()),
            vin_hash: None,
            region: Some(REGIONS[n % REGIONS.len()].to_owned()),
            marking: amber(),
        };
        store.create_vehicle(ACTOR, &record).await.expect("vehicle");
        for ecu in ECUS {
            let installation = NewInstallation {
                vehicle_id: vehicle_id(n),
                ecu_id: format!("{ecu}-{model}"),
                build_id: build_id(ecu, model, n % versions_per_ecu()),
                installed_at_us,
                source: "import".to_owned(),
                marking: amber(),
            };
            store
                .install_build(ACTOR, installation)
                .await
                .expect("installation");
        }
    }
}

/// The marking of a rule's alerts: most AMBER, two rules GREEN, one RED
/// for a named reader, so every clearance path is exercised.
fn rule_marking(rule: usize) -> Marking {
    match rule {
        37 | 38 => Marking::new(Tlp::Green),
        39 => Marking {
            tlp: Tlp::Red,
            shared_with_orgs: Vec::new(),
            named_readers: vec!["rhea".to_owned()],
        },
        _ => amber(),
    }
}

async fn seed_alerts_and_incidents(store: &Store) {
    let now = keelson_store::now_us();
    let mut random = Lcg(0x5eed);
    let batch = 10_000;
    for first in (0..INCIDENTS).step_by(batch) {
        let mut alerts = Vec::with_capacity(batch * ALERTS_PER_INCIDENT);
        let mut incidents = Vec::with_capacity(batch);
        for n in first..(first + batch).min(INCIDENTS) {
            let detected = now - (random.next() % YEAR_US as u64) as i64;
            let (incident, its_alerts) = incident_at(n, detected, now, &mut random);
            alerts.extend(its_alerts);
            incidents.push(incident);
        }
        store.bulk_insert_alerts(alerts).await.expect("alerts");
        store
            .bulk_insert_incidents(incidents)
            .await
            .expect("incidents");
    }
}

fn incident_at(
    n: usize,
    detected: i64,
    now: i64,
    random: &mut Lcg,
) -> (BulkIncident, Vec<BulkAlert>) {
    let rule = n % RULES;
    let severity = Severity::ALL[(rule * 3 + 1) % Severity::ALL.len()];
    let marking = rule_marking(rule);
    let tags: Vec<String> = (0..=rule % 2)
        .map(|k| TECHNIQUES[(rule + k * 5) % TECHNIQUES.len()].to_owned())
        .collect();
    let mut alerts = Vec::with_capacity(ALERTS_PER_INCIDENT);
    for k in 0..ALERTS_PER_INCIDENT {
        let vehicle = (random.next() % VEHICLES as u64) as usize;
        let last_seen = (detected + k as i64 * 6 * 60_000_000).min(now);
        alerts.push(BulkAlert {
            id: format!("alert-{n:06}-{k}"),
            rule_id: format!("rule-{rule}"),
            sigma_rule: format!("bench-rule-{rule}"),
            title: format!("Bench rule {rule} fired"),
            severity,
            vehicle_id: Some(vehicle_id(vehicle)),
            build_id: None,
            first_seen_us: last_seen - 60_000_000,
            last_seen_us: last_seen,
            atm_tags: tags.clone(),
            marking: marking.clone(),
        });
    }
    let age = now - detected;
    let open_states = [
        IncidentState::New,
        IncidentState::Acknowledged,
        IncidentState::Investigating,
        IncidentState::Contained,
    ];
    let state = if age < 7 * 24 * HOUR_US {
        open_states[n % open_states.len()]
    } else {
        IncidentState::Resolved
    };
    let reached = |offset: i64, needed: usize| {
        let rank = match state {
            IncidentState::New => 0,
            IncidentState::Acknowledged => 1,
            IncidentState::Investigating => 2,
            IncidentState::Contained => 3,
            _ => 4,
        };
        (rank >= needed).then_some(detected + offset)
    };
    let incident = BulkIncident {
        id: format!("incident-{n:06}"),
        title: format!("Bench rule {rule} on {}", MODELS[n % MODELS.len()]),
        state,
        severity,
        sigma_rule: format!("bench-rule-{rule}"),
        model_id: Some(MODELS[n % MODELS.len()].to_owned()),
        first_event_us: detected - 60_000_000,
        detected_us: detected,
        last_seen_us: alerts.last().map_or(detected, |alert| alert.last_seen_us),
        acknowledged_us: reached(10 * 60_000_000, 1),
        contained_us: reached(HOUR_US, 3),
        resolved_us: reached(24 * HOUR_US, 4),
        marking,
        alert_ids: alerts.iter().map(|alert| alert.id.clone()).collect(),
    };
    (incident, alerts)
}

/// A small deterministic generator, so every run seeds the same store.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 17
    }
}

fn hex_sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}
