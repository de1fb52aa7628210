//! `keelson report r155` and `keelson report metrics` as a user runs them:
//! the built binary over a data folder the test filled through the store,
//! the report written to the named file (its text read back by poppler's
//! `pdftotext`), the clearance of `--as`, and a bad period refused with
//! exit 2 naming the flag.

mod support;

use std::path::Path;

use keelson_core::{Marking, Role, Severity, Tlp};
use keelson_store::alerts::Sighting;
use keelson_store::fleet::Vehicle;
use keelson_store::testing::TempDir;
use keelson_store::users::NewUser;
use keelson_store::{Store, StoreLocation};
use support::{keelson, stderr, stdout_json};
use time::OffsetDateTime;

const MINUTE_US: i64 = 60_000_000;

fn sighting(rule: &str, severity: Severity, vehicle: &str, tlp: Tlp) -> Sighting {
    let now = (OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000) as i64;
    Sighting {
        rule_id: format!("rec-{rule}"),
        sigma_rule: rule.to_owned(),
        title: rule.to_owned(),
        severity,
        test: false,
        correlation: false,
        heightened: false,
        vehicle_id: Some(vehicle.to_owned()),
        build_id: None,
        first_seen_us: now - 5 * MINUTE_US,
        last_seen_us: now - 4 * MINUTE_US,
        count: 1,
        evidence: Vec::new(),
        atm_tags: vec!["ATM-T0031".to_owned()],
        marking: Marking::new(tlp),
    }
}

/// Two AMBER vehicles with one alert, a GREEN vehicle with one, and a
/// partner who may see only the GREEN records.
fn seed(dir: &Path) {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let store = Store::open(&StoreLocation::DataDir(dir.to_owned()))
            .await
            .expect("store");
        let partner = NewUser {
            name: "pat".to_owned(),
            role: Role::Partner,
            organisation: Some("acme".to_owned()),
            password_hash: "$argon2id$not-a-real-hash".to_owned(),
        };
        store.create_user("test", partner).await.expect("user");
        for (id, tlp) in [("v1", Tlp::Amber), ("v2", Tlp::Amber), ("v3", Tlp::Green)] {
            let vehicle = Vehicle {
                id: id.to_owned(),
                model_id: None,
                vin_hash: None,
                region: Some("EU".to_owned()),
                marking: Marking::new(tlp),
            };
            store
                .create_vehicle("test", &vehicle)
                .await
                .expect("vehicle");
        }
        let sightings = vec![
            sighting("fob-relay", Severity::High, "v1", Tlp::Amber),
            sighting("odo-rollback", Severity::Medium, "v3", Tlp::Green),
        ];
        store
            .record_sightings("test", sightings, 10 * MINUTE_US, 30 * MINUTE_US)
            .await
            .expect("sightings");
        store.close().await.expect("close");
    });
}

fn pdf_text(file: &Path) -> String {
    let output = std::process::Command::new("pdftotext")
        .arg("-layout")
        .arg(file)
        .arg("-")
        .output()
        .expect("pdftotext (Debian poppler-utils; .ci/run installs it) must be installed");
    assert!(output.status.success(), "{output:?}");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| line.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join("\n")
}

fn period() -> (String, String) {
    let today = OffsetDateTime::now_utc().date();
    (
        today.to_string(),
        today.next_day().expect("tomorrow").to_string(),
    )
}

#[test]
fn the_r155_report_is_written_to_the_file_with_the_readers_counts() {
    let dir = TempDir::new().expect("temp dir");
    seed(&dir.path);
    let (from, to) = period();
    let pdf = dir.path.join("r155.pdf");
    let pdf_arg = pdf.to_string_lossy().into_owned();

    let args = [
        "report", "r155", "--from", &from, "--to", &to, "--format", "pdf", "-o", &pdf_arg,
    ];
    let output = keelson(&dir.path, &args);
    assert!(output.status.success(), "{}", stderr(&output));
    let answer = stdout_json(&output);
    assert_eq!(answer["tlp"], "AMBER", "{answer}");
    assert_eq!(answer["format"], "pdf");
    let text = pdf_text(&pdf);
    for line in [
        "Vehicles in the inventory: 3",
        "Alerts raised: 2",
        "Incidents detected: 2",
        "ATM-T0031 0 1 1 0 0 2",
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "PDF lacks {line:?}:\n{text}"
        );
    }

    let html = dir.path.join("r155.html");
    let html_arg = html.to_string_lossy().into_owned();
    let partner = [
        "report", "r155", "--from", &from, "--to", &to, "--format", "html", "-o", &html_arg,
        "--as", "pat",
    ];
    let output = keelson(&dir.path, &partner);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(stdout_json(&output)["tlp"], "GREEN");
    let page = std::fs::read_to_string(&html).expect("HTML written");
    assert!(
        page.contains("<tr><th>Vehicles in the inventory</th><td>1</td></tr>"),
        "{page}"
    );
    assert!(
        page.contains("<tr><th>Alerts raised</th><td>1</td></tr>"),
        "{page}"
    );
}

#[test]
fn metrics_print_as_json_and_a_bad_period_is_refused_naming_the_flag() {
    let dir = TempDir::new().expect("temp dir");
    seed(&dir.path);
    let (from, to) = period();

    let output = keelson(
        &dir.path,
        &["report", "metrics", "--from", &from, "--to", &to],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let metrics = stdout_json(&output);
    assert_eq!(metrics["total"]["alerts"], 2, "{metrics}");
    assert_eq!(metrics["total"]["vehicles_monitored"], 3);
    assert_eq!(metrics["buckets"].as_array().map(Vec::len), Some(1));

    let output = keelson(
        &dir.path,
        &["report", "metrics", "--from", "soon", "--to", &to],
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("from:"), "{}", stderr(&output));
    let bad_format = [
        "report", "r155", "--from", &from, "--to", &to, "--format", "docx", "-o", "x.docx",
    ];
    let output = keelson(&dir.path, &bad_format);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("format:"), "{}", stderr(&output));
}
