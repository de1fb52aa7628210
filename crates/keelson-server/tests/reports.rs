//! VSOC reports through the API, on SQLite and PostgreSQL, over a scripted
//! store: four vehicles (one TLP:RED), alerts of four rules (one RED, one
//! GREEN, one under test), incidents moved along their states, containment
//! actions, an escalation to a case and a second case closed as not
//! affected, an advisory revision. The metrics must equal what this file
//! works out from the seeded records' own stamps; the R155 PDF, read back
//! by poppler's `pdftotext` (written apart from Keelson), and the HTML must
//! show the counts made here from the script; the RED records count only
//! for the user named on them, and a partner's report counts only what is
//! shared with it.

mod support;

use std::collections::BTreeSet;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use keelson_core::{Marking, Role, Severity, Tlp};
use keelson_server::config::Config;
use keelson_store::alerts::Sighting;
use keelson_store::cases::advisory::NewRevision;
use keelson_store::fleet::{Vehicle, VehicleModel};
use serde_json::{Value, json};
use support::{TestApp, body_bytes};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

const MINUTE_US: i64 = 60_000_000;

fn now_us() -> i64 {
    (OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000) as i64
}

fn micros(stamp: &Value) -> i64 {
    let text = stamp
        .as_str()
        .unwrap_or_else(|| panic!("not a stamp: {stamp}"));
    let at = OffsetDateTime::parse(text, &Rfc3339).expect("RFC 3339");
    (at.unix_timestamp_nanos() / 1_000) as i64
}

fn red_for_rosa() -> Marking {
    Marking {
        tlp: Tlp::Red,
        shared_with_orgs: Vec::new(),
        named_readers: vec!["rosa".to_owned()],
    }
}

fn green() -> Marking {
    Marking::new(Tlp::Green)
}

fn amber() -> Marking {
    Marking::new(Tlp::Amber)
}

/// One sighting of a rule on a vehicle, its events `ago_minutes` back.
fn sighting(
    rule: &str,
    severity: Severity,
    tags: &[&str],
    vehicle: &str,
    ago_minutes: i64,
    marking: Marking,
) -> Sighting {
    let first = now_us() - ago_minutes * MINUTE_US;
    Sighting {
        rule_id: format!("rec-{rule}"),
        sigma_rule: rule.to_owned(),
        title: format!("{rule} fired"),
        severity,
        test: false,
        correlation: false,
        heightened: false,
        vehicle_id: Some(vehicle.to_owned()),
        build_id: None,
        first_seen_us: first,
        last_seen_us: first + MINUTE_US,
        count: 1,
        evidence: Vec::new(),
        atm_tags: tags.iter().map(|t| (*t).to_owned()).collect(),
        marking,
    }
}

async fn raise(app: &TestApp, sightings: Vec<Sighting>) {
    app.store
        .record_sightings("detector", sightings, 10 * MINUTE_US, 30 * MINUTE_US)
        .await
        .expect("sightings stored");
}

struct Seeded {
    analyst: String,
    rosa: String,
    partner: String,
}

/// The scripted records (see the module); the counts the tests expect are
/// read off this script.
async fn seed(app: &TestApp) -> Seeded {
    let analyst = app.token_for("ana", Role::VsocAnalyst, None).await;
    let rosa = app.token_for("rosa", Role::VsocAnalyst, None).await;
    let partner = app.token_for("pat", Role::Partner, Some("acme")).await;
    let engineer = app.token_for("dee", Role::DetectionEngineer, None).await;
    let psirt = app.token_for("pia", Role::PsirtEngineer, None).await;

    for (id, model) in [("m-sedan", "Sedan"), ("m-van", "Van")] {
        let record = VehicleModel {
            id: id.to_owned(),
            make: "Keel".to_owned(),
            model: model.to_owned(),
            year: Some(2026),
            platform: None,
            dbc_files: Vec::new(),
            marking: amber(),
        };
        app.store
            .create_vehicle_model("test", &record)
            .await
            .expect("model");
    }
    let vehicles = [
        ("v1", "m-sedan", "EU", amber()),
        ("v2", "m-sedan", "EU", amber()),
        ("v3", "m-van", "NA", green()),
        ("v4", "m-van", "APAC", red_for_rosa()),
    ];
    for (id, model, region, marking) in vehicles {
        let record = Vehicle {
            id: id.to_owned(),
            model_id: Some(model.to_owned()),
            vin_hash: None,
            region: Some(region.to_owned()),
            marking,
        };
        app.store
            .create_vehicle("test", &record)
            .await
            .expect("vehicle");
    }
    let events: Vec<Value> = ["v1", "v3", "v4"]
        .iter()
        .map(|v| {
            json!({"event_id": format!("hb-{v}"), "vehicle_id": v, "source": "telematics",
                        "kind": "heartbeat", "attributes": {}})
        })
        .collect();
    let (status, answer) = app.ingest(&engineer, &events).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["accepted"], 3, "{answer}");

    raise(
        app,
        vec![
            sighting(
                "fob-relay",
                Severity::High,
                &["ATM-T0031"],
                "v1",
                120,
                amber(),
            ),
            sighting(
                "uds-brute",
                Severity::Critical,
                &["ATM-T0012"],
                "v2",
                60,
                amber(),
            ),
            sighting("odo-rollback", Severity::Medium, &[], "v3", 30, green()),
            sighting(
                "hidden",
                Severity::Critical,
                &["ATM-T0099"],
                "v4",
                90,
                red_for_rosa(),
            ),
            Sighting {
                test: true,
                ..sighting("trial", Severity::Low, &["ATM-T0031"], "v1", 10, amber())
            },
        ],
    )
    .await;

    let fob = incident_of(app, &analyst, "fob-relay").await;
    let uds = incident_of(app, &analyst, "uds-brute").await;
    let odo = incident_of(app, &analyst, "odo-rollback").await;
    let hidden = incident_of(app, &rosa, "hidden").await;

    move_incident(app, &analyst, &fob, "acknowledged").await;
    move_incident(app, &analyst, &fob, "contained").await;
    contain(app, &analyst, &fob, "relay attack: keyless entry off").await;
    // The fob relay goes on after containment: the alert takes a new sighting.
    // Its events follow the first ones within the merge window.
    let again = sighting(
        "fob-relay",
        Severity::High,
        &["ATM-T0031"],
        "v1",
        118,
        amber(),
    );
    raise(app, vec![again]).await;
    move_incident(app, &analyst, &fob, "resolved").await;

    move_incident(app, &analyst, &uds, "contained").await;
    contain(app, &analyst, &uds, "SecurityAccess blocked at the gateway").await;
    let escalate = format!("/api/v1/incidents/{uds}/escalate");
    let body = json!({"vulnerability_ids": ["CVE-2026-1001"]});
    let (status, answer) = app.post(&escalate, &analyst, &body).await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    let escalated_case = answer["case"]["id"].as_str().expect("case").to_owned();

    move_incident(app, &analyst, &odo, "false_positive").await;
    move_incident(app, &rosa, &hidden, "contained").await;
    contain(app, &rosa, &hidden, "secret containment").await;

    let case = json!({"title": "Telematics library flaw", "intake": {"kind": "manual"},
                      "vulnerability_ids": ["CVE-2026-1002"]});
    let (status, opened) = app.post("/api/v1/cases", &psirt, &case).await;
    assert_eq!(status, StatusCode::CREATED, "{opened}");
    let manual = opened["id"].as_str().expect("case id").to_owned();
    let path = format!("/api/v1/cases/{manual}/transitions");
    let close = json!({"to": "not_affected", "reason": "the library is not linked"});
    let (status, moved) = app.post(&path, &psirt, &close).await;
    assert_eq!(status, StatusCode::OK, "{moved}");

    let revision = NewRevision {
        revision: 1,
        tracking_id: "KEELSON-2026-0001".to_owned(),
        summary: "Initial release".to_owned(),
        document: json!({"document": {"title": "advisory"}}),
        published_at_us: now_us(),
        rules: Vec::new(),
    };
    app.store
        .publish_case_advisory("pia", &escalated_case, revision)
        .await
        .expect("advisory published");

    Seeded {
        analyst,
        rosa,
        partner,
    }
}

async fn incident_of(app: &TestApp, token: &str, rule: &str) -> String {
    let (status, page) = app
        .get(&format!("/api/v1/incidents?rule={rule}"), Some(token))
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["items"][0]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no incident of {rule}: {page}"))
        .to_owned()
}

async fn move_incident(app: &TestApp, token: &str, id: &str, to: &str) {
    let path = format!("/api/v1/incidents/{id}/transitions");
    let (status, answer) = app
        .post(&path, token, &json!({"to": to, "reason": "scripted"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
}

async fn contain(app: &TestApp, token: &str, id: &str, action: &str) {
    let path = format!("/api/v1/incidents/{id}/containment");
    let body = json!({"action": action, "scope": "fleet"});
    let (status, answer) = app.post(&path, token, &body).await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
}

/// The incidents the reader sees, as the incident list gives them.
async fn incidents(app: &TestApp, token: &str) -> Vec<Value> {
    let (status, page) = app.get("/api/v1/incidents", Some(token)).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["items"].as_array().cloned().unwrap_or_default()
}

/// Means worked out here from the records' stamps: (MTTD, MTTA, MTTC, MTTR)
/// in microseconds, each over the incidents that have the stamp.
fn means_from_stamps(incidents: &[Value]) -> [Option<f64>; 4] {
    let mean = |values: Vec<i64>| {
        let n = values.len();
        (n > 0).then(|| values.iter().map(|v| i128::from(*v)).sum::<i128>() as f64 / n as f64)
    };
    let since_detection = |field: &str| {
        incidents
            .iter()
            .filter(|i| i[field].is_string())
            .map(|i| micros(&i[field]) - micros(&i["detected"]))
            .collect::<Vec<i64>>()
    };
    let detect = incidents
        .iter()
        .map(|i| micros(&i["detected"]) - micros(&i["first_event"]))
        .collect();
    [
        mean(detect),
        mean(since_detection("acknowledged")),
        mean(since_detection("contained")),
        mean(since_detection("resolved")),
    ]
}

fn today_and_tomorrow() -> (String, String) {
    let today = OffsetDateTime::now_utc().date();
    let tomorrow = today.next_day().expect("a tomorrow");
    (today.to_string(), tomorrow.to_string())
}

#[tokio::test]
async fn metrics_per_day_follow_the_seeded_stamps_and_the_readers_clearance() {
    for app in TestApp::on_both_backends(Config::default()).await {
        let seeded = seed(&app).await;
        let (today, tomorrow) = today_and_tomorrow();
        let yesterday = OffsetDateTime::now_utc()
            .date()
            .previous_day()
            .expect("a yesterday")
            .to_string();
        let path = format!("/api/v1/reports/metrics?from={yesterday}&to={tomorrow}&period=day");
        let (status, report) = app.get(&path, Some(&seeded.analyst)).await;
        assert_eq!(status, StatusCode::OK, "{report}");

        let buckets = report["buckets"].as_array().expect("buckets");
        assert_eq!(buckets.len(), 3, "{report}");
        assert_eq!(buckets[0]["incidents"], 0);
        assert_eq!(buckets[2]["incidents"], 0);
        assert_eq!(buckets[1]["start"], format!("{today}T00:00:00Z"));
        let day = &buckets[1];
        assert_eq!(day, &report["total"].clone().with_bounds(day), "{report}");

        let seen = incidents(&app, &seeded.analyst).await;
        assert_eq!(seen.len(), 3, "the RED incident stays hidden: {seen:?}");
        let [mttd, mtta, mttc, mttr] = means_from_stamps(&seen);
        assert_eq!(day["mean_time_to_detect_us"].as_f64(), mttd);
        assert_eq!(day["mean_time_to_acknowledge_us"].as_f64(), mtta);
        assert_eq!(day["mean_time_to_contain_us"].as_f64(), mttc);
        assert_eq!(day["mean_time_to_resolve_us"].as_f64(), mttr);
        assert!(
            mttd.is_some_and(|us| us > 29.0 * MINUTE_US as f64),
            "{mttd:?}"
        );

        assert_eq!(
            day["by_state"],
            json!({"resolved": 1, "contained": 1, "false_positive": 1})
        );
        assert_eq!(
            day["containment_effectiveness"],
            json!({"contained": 2, "held": 1, "rate": 0.5}),
            "the fob relay went on after containment"
        );
        assert_eq!(
            day["incidents_by_technique"],
            json!({"ATM-T0012": 1, "ATM-T0031": 1})
        );
        assert_eq!(day["incidents_without_technique"], 1);
        assert_eq!(day["false_positives_by_rule"]["odo-rollback"]["rate"], 1.0);
        assert_eq!(day["false_positives_by_rule"]["fob-relay"]["rate"], 0.0);
        assert_eq!(day["alerts"], 3);
        assert_eq!(day["test_alerts"], 1);
        assert_eq!(
            day["alerts_by_severity"],
            json!({"critical": 1, "high": 1, "medium": 1})
        );
        assert_eq!(day["vehicles_monitored"], 3);
        assert_eq!(day["vehicles_reporting"], 2);
        assert_eq!(report["tlp"], "AMBER");

        let (_, named) = app.get(&path, Some(&seeded.rosa)).await;
        assert_eq!(named["total"]["incidents"], 4, "{named}");
        assert_eq!(named["total"]["vehicles_monitored"], 4);
        assert_eq!(named["total"]["vehicles_reporting"], 3);
        assert_eq!(named["total"]["incidents_by_technique"]["ATM-T0099"], 1);
        assert_eq!(named["tlp"], "RED");

        let (_, shared) = app.get(&path, Some(&seeded.partner)).await;
        assert_eq!(shared["total"]["incidents"], 1, "{shared}");
        assert_eq!(shared["total"]["vehicles_monitored"], 1);
        assert_eq!(shared["tlp"], "GREEN");

        let (status, refused) = app
            .get(
                &format!("/api/v1/reports/metrics?from={tomorrow}&to={yesterday}"),
                Some(&seeded.analyst),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
        assert!(
            refused["error"]["message"]
                .as_str()
                .unwrap_or("")
                .starts_with("to:")
        );
        let (status, _) = app.get(&path, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let (status, missing) = app
            .get(
                "/api/v1/reports/r155?from=2026-01-01",
                Some(&seeded.analyst),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{missing}");
    }
}

/// The bucket's own bounds on a copy of the total, so the two compare whole.
trait WithBounds {
    fn with_bounds(self, bucket: &Value) -> Value;
}

impl WithBounds for Value {
    fn with_bounds(mut self, bucket: &Value) -> Value {
        self["start"] = bucket["start"].clone();
        self["end"] = bucket["end"].clone();
        self
    }
}

async fn r155(app: &TestApp, token: &str, format: &str) -> (String, Vec<u8>) {
    let (from, to) = today_and_tomorrow();
    let request = Request::get(format!(
        "/api/v1/reports/r155?from={from}&to={to}&format={format}"
    ))
    .header(header::AUTHORIZATION, format!("Bearer {token}"))
    .body(Body::empty())
    .expect("request");
    let response = app.respond(request).await;
    assert_eq!(response.status(), StatusCode::OK);
    let tlp = response.headers()["x-tlp"]
        .to_str()
        .expect("ascii")
        .to_owned();
    (tlp, body_bytes(response).await)
}

/// The PDF's text as poppler reads it, each run of blanks made one space.
fn pdf_text(pdf: &[u8]) -> String {
    let dir = keelson_store::testing::TempDir::new().expect("temp dir");
    let file = dir.path.join("report.pdf");
    std::fs::write(&file, pdf).expect("written");
    let output = std::process::Command::new("pdftotext")
        .arg("-layout")
        .arg(&file)
        .arg("-")
        .output()
        .expect("pdftotext (Debian poppler-utils; .ci/run installs it) must be installed");
    assert!(output.status.success(), "{output:?}");
    let text = String::from_utf8_lossy(&output.stdout);
    text.lines()
        .map(|line| line.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join("\n")
}

/// What the script put in the store, counted here for the analyst.
struct Expected {
    lines: Vec<String>,
}

fn expected_for_analyst(seen: &[Value]) -> Expected {
    let [mttd, mtta, mttc, mttr] = means_from_stamps(seen);
    let seconds = |us: Option<f64>| format!("{:.3} s", us.expect("reached") / 1_000_000.0);
    let lines = [
        "Vehicles in the inventory: 3".to_owned(),
        "Vehicles that sent telemetry: 2".to_owned(),
        "m-sedan 2".to_owned(),
        "m-van 1".to_owned(),
        "EU 2".to_owned(),
        "NA 1".to_owned(),
        "Alerts raised: 3".to_owned(),
        "Alerts of rules under test: 1".to_owned(),
        // Technique, then critical, high, medium, low, none and the total.
        "ATM-T0012 1 0 0 0 0 1".to_owned(),
        "ATM-T0031 0 1 0 0 0 1".to_owned(),
        "(no technique) 0 0 1 0 0 1".to_owned(),
        "Incidents detected: 3".to_owned(),
        format!("MTTD (mean time to detect): {}", seconds(mttd)),
        format!("MTTA (mean time to acknowledge): {}", seconds(mtta)),
        format!("MTTC (mean time to contain): {}", seconds(mttc)),
        format!("MTTR (mean time to resolve): {}", seconds(mttr)),
        "Incidents contained: 2".to_owned(),
        "Contained with no later sighting: 1".to_owned(),
        "Containment effectiveness: 50.0 %".to_owned(),
        "false_positive 1".to_owned(),
        "odo-rollback 1 1 100.0 %".to_owned(),
        "Containment actions recorded: 2".to_owned(),
        "Incidents escalated: 1".to_owned(),
        "Cases opened: 2".to_owned(),
        "vsoc_escalation 1".to_owned(),
        "not_affected 1".to_owned(),
        "Advisory revisions published: 1".to_owned(),
        "Vulnerabilities handled: 2".to_owned(),
        "Vulnerabilities whose case finished: 1".to_owned(),
    ];
    Expected {
        lines: lines.to_vec(),
    }
}

#[tokio::test]
async fn the_r155_pdf_and_html_show_the_stores_counts_for_what_the_reader_may_see() {
    for app in TestApp::on_both_backends(Config::default()).await {
        let seeded = seed(&app).await;
        let seen = incidents(&app, &seeded.analyst).await;
        let expected = expected_for_analyst(&seen);

        let (tlp, pdf) = r155(&app, &seeded.analyst, "pdf").await;
        assert!(pdf.starts_with(b"%PDF-"), "not a PDF");
        assert_eq!(tlp, "AMBER");
        let text = pdf_text(&pdf);
        let lines: BTreeSet<&str> = text.lines().collect();
        for line in &expected.lines {
            assert!(lines.contains(line.as_str()), "PDF lacks {line:?}:\n{text}");
        }
        assert!(text.contains("TLP:AMBER"), "{text}");
        assert!(text.contains("page 1 of"), "{text}");
        assert!(
            !text.contains("ATM-T0099"),
            "a RED technique leaked:\n{text}"
        );
        assert!(!text.contains("secret containment"), "{text}");
        assert!(!text.contains("APAC"), "{text}");

        let (_, html) = r155(&app, &seeded.analyst, "html").await;
        let html = String::from_utf8(html).expect("UTF-8");
        let cells = html_lines(&html);
        for line in &expected.lines {
            assert!(cells.contains(line), "HTML lacks {line:?}:\n{html}");
        }
        assert!(!html.contains("ATM-T0099"));

        let (named_tlp, named) = r155(&app, &seeded.rosa, "pdf").await;
        assert_eq!(named_tlp, "RED");
        let named = pdf_text(&named);
        assert!(named.contains("Vehicles in the inventory: 4"), "{named}");
        assert!(named.contains("ATM-T0099 1 0 0 0 0 1"), "{named}");
        assert!(named.contains("TLP:RED"), "{named}");

        let (shared_tlp, shared) = r155(&app, &seeded.partner, "pdf").await;
        assert_eq!(shared_tlp, "GREEN");
        let shared = pdf_text(&shared);
        assert!(shared.contains("Incidents detected: 1"), "{shared}");
        assert!(shared.contains("Incidents escalated: 0"), "{shared}");

        let entries = app
            .store
            .audit_entries(None, 1000, None)
            .await
            .expect("audit");
        let exports = entries.iter().filter(|e| e.action == "report.r155").count();
        assert_eq!(exports, 4, "each export is audited");
    }
}

/// The HTML's facts and table rows as `label: value` and space-joined cells.
fn html_lines(html: &str) -> BTreeSet<String> {
    let mut lines = BTreeSet::new();
    for row in html.split("<tr>").skip(1) {
        let row = row.split("</tr>").next().unwrap_or("");
        let cells: Vec<String> = row
            .split(['<', '>'])
            .enumerate()
            .filter(|(i, part)| i % 2 == 0 && !part.is_empty())
            .map(|(_, part)| part.replace("&amp;", "&"))
            .collect();
        if row.starts_with("<th>") && row.contains("<td>") && cells.len() == 2 {
            lines.insert(format!("{}: {}", cells[0], cells[1]));
        }
        lines.insert(cells.join(" "));
    }
    lines
}
