//! The roll-up from SBOM to road: a real corpus SBOM attached to a build,
//! the corpus's real OSV and NVD records imported, the build installed on
//! vehicles by `keelson fleet import`. The API's findings for the build
//! are exactly `keelson scan`'s for the same document, each says how many
//! vehicles run the build, and an OTA event that moves one vehicle to
//! another build lowers that count by one and leaves both builds in the
//! vehicle's history.

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use keelson_core::Role;
use keelson_server::config::Config;
use keelson_server::{AppState, app, auth};
use keelson_store::testing::TempDir;
use keelson_store::users::NewUser;
use keelson_store::{Store, StoreLocation};
use keelson_testkit::{corpus_path, files_under};
use serde_json::{Value, json};
use support::{keelson, stderr, stdout_json};
use tower::ServiceExt;

/// The largest corpus SBOM that the corpus's OSV and NVD records reach
/// (202 Go components). The largest of all, Keycloak's (903 Maven
/// packages), has no component those records name, so it yields no
/// finding to compare.
const SBOM: &str = "cyclonedx/bom-examples/SBOM/proton-bridge/proton-bridge-v1.8.0.bom.json";

/// The corpus's NVD CVE records and OSV records (as `vulndb.rs` uses them).
fn feed_files() -> Option<Vec<PathBuf>> {
    let nvd = corpus_path("nvd/fkie-nvd-json-data-feeds")?;
    let linter = corpus_path("osv/osv-schema/tools/osv-linter/testdata")?;
    let ghsa = corpus_path("osv/osv-schema/tools/ghsa/testdata")?;
    let json = |path: &Path| path.extension().is_some_and(|ext| ext == "json");
    let mut files = files_under(&nvd, json);
    files.extend(files_under(&linter, json));
    files.extend(files_under(&ghsa, |path: &Path| {
        path.to_string_lossy().ends_with(".osv.json")
    }));
    Some(files)
}

fn run(dir: &Path, args: &[&str]) -> Value {
    let output = keelson(dir, args);
    assert!(output.status.success(), "{args:?}: {}", stderr(&output));
    stdout_json(&output)
}

/// Four vehicles: three run `tcu-a` on their TCU, one runs `tcu-b`.
fn write_fleet(dir: &Path) -> PathBuf {
    let mut lines =
        vec!["vehicle,model,make,model_name,ecu,build,firmware_version,installed_at".to_owned()];
    for (vehicle, build) in [
        ("v1", "tcu-a"),
        ("v2", "tcu-a"),
        ("v3", "tcu-a"),
        ("v4", "tcu-b"),
    ] {
        let version = if build == "tcu-a" { "1.8.0" } else { "1.9.0" };
        lines.push(format!(
            "{vehicle},m1,Acme,Roadster,tcu,{build},{version},2026-01-01T00:00:00Z"
        ));
    }
    let path = dir.join("fleet.csv");
    std::fs::write(&path, lines.join("\n")).expect("write fleet");
    path
}

/// What identifies a finding: vulnerability, component and advisory record.
fn finding_keys(findings: &Value) -> BTreeSet<(String, String, String)> {
    findings
        .as_array()
        .expect("findings array")
        .iter()
        .map(|finding| {
            let text = |value: &Value| value.as_str().unwrap_or_default().to_owned();
            (
                text(&finding["vulnerability"]),
                text(&finding["component"]),
                text(&finding["evidence"]["record"]),
            )
        })
        .collect()
}

struct Api {
    router: axum::Router,
    token: String,
}

impl Api {
    async fn over(dir: &Path) -> Self {
        let store = Store::open(&StoreLocation::DataDir(dir.to_owned()))
            .await
            .expect("open");
        let user = NewUser {
            name: "pia".to_owned(),
            role: Role::PsirtEngineer,
            organisation: None,
            password_hash: auth::hash_password("a-long-test-password").expect("hash"),
        };
        let user = store.create_user("test", user).await.expect("user");
        let token = auth::new_token_secret();
        let hash = auth::secret_hash(&token);
        store
            .create_token("test", &user.id, "t", &hash, None)
            .await
            .expect("token");
        let router = app(AppState::new(store, Config::default()));
        Self { router, token }
    }

    async fn send(&self, request: axum::http::request::Builder, body: Body) -> (StatusCode, Value) {
        let request = request
            .header(header::AUTHORIZATION, format!("Bearer {}", self.token))
            .body(body)
            .expect("request");
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("infallible");
        let status = response.status();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    async fn get(&self, path: &str) -> Value {
        let (status, body) = self.send(Request::get(path), Body::empty()).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
        body
    }
}

fn vehicles_affected(findings: &Value) -> BTreeSet<u64> {
    findings["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|finding| finding["vehicles_affected"].as_u64())
        .collect()
}

#[tokio::test]
async fn build_findings_equal_the_scan_and_count_the_vehicles_running_the_build() {
    let (Some(sbom), Some(feeds)) = (corpus_path(SBOM), feed_files()) else {
        return;
    };
    let dir = TempDir::new().expect("dir");
    let sbom_arg = sbom.display().to_string();
    let mut import = vec!["vulndb".to_owned(), "import".to_owned()];
    import.extend(feeds.iter().map(|path| path.display().to_string()));
    let import: Vec<&str> = import.iter().map(String::as_str).collect();
    run(&dir.path, &import);
    let fleet = write_fleet(&dir.path);
    run(
        &dir.path,
        &["fleet", "import", &fleet.display().to_string()],
    );
    run(
        &dir.path,
        &["sbom", "import", &sbom_arg, "--build", "tcu-a"],
    );
    let scanned = finding_keys(&run(&dir.path, &["scan", &sbom_arg])["findings"]);
    assert!(!scanned.is_empty(), "the corpus SBOM should have findings");

    let api = Api::over(&dir.path).await;
    let before = api.get("/api/v1/builds/tcu-a/findings").await;
    assert_eq!(finding_keys(&before["items"]), scanned);
    assert_eq!(vehicles_affected(&before), BTreeSet::from([3]));

    let ota = json!({"event_id": "ota-v1-1", "vehicle_id": "v1", "source": "ota",
                     "kind": "ota.install_completed", "ecu": "tcu", "build_id": "tcu-b",
                     "vehicle_time": "2026-06-01T00:00:00Z"});
    let request =
        Request::post("/api/v1/telemetry").header(header::CONTENT_TYPE, "application/x-ndjson");
    let (status, answer) = api.send(request, Body::from(format!("{ota}\n"))).await;
    assert_eq!(status, StatusCode::OK, "{answer}");

    let after = api.get("/api/v1/builds/tcu-a/findings").await;
    assert_eq!(finding_keys(&after["items"]), scanned);
    assert_eq!(vehicles_affected(&after), BTreeSet::from([2]));
    let history = api.get("/api/v1/vehicles/v1/builds?history=true").await;
    let builds: Vec<(&str, bool)> = history["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| {
            (
                i["build_id"].as_str().unwrap_or(""),
                i["removed_at"].is_null(),
            )
        })
        .collect();
    assert_eq!(builds, [("tcu-a", false), ("tcu-b", true)]);
    assert_eq!(history["items"][1]["source"], "ota");

    let portfolio = api.get("/api/v1/findings").await;
    let entries = portfolio["items"].as_array().expect("items");
    let vulnerabilities: BTreeSet<String> = scanned.iter().map(|key| key.0.clone()).collect();
    assert_eq!(entries.len(), vulnerabilities.len(), "{portfolio}");
    for entry in entries {
        assert_eq!(entry["builds"], json!(["tcu-a"]), "{entry}");
        assert_eq!(entry["vehicles_affected"], 2, "{entry}");
        assert_eq!(
            entry["models"],
            json!([{"id": "m1", "vehicles": 2}]),
            "{entry}"
        );
        assert_eq!(
            entry["ecus"],
            json!([{"id": "tcu", "vehicles": 2}]),
            "{entry}"
        );
    }
}
