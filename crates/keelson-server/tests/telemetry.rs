//! Telemetry over HTTP: every NDJSON line gets a result, accepted events are
//! stored once however often they are sent, malformed lines are
//! quarantined with their line number and raw bytes, gzip bodies inflate,
//! and a full ingest queue answers 429 with Retry-After.

mod support;

use std::io::Write;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use keelson_core::Role;
use keelson_server::config::Config;
use serde_json::{Value, json};
use support::{TestApp, error_code};

/// Line numbers (1-based) that carry a malformed record in [`batch`].
const MALFORMED: [usize; 3] = [17, 500, 1000];

/// 1000 NDJSON lines: qualified security events from ten vehicles, with
/// three lines broken in three different ways.
fn batch() -> String {
    let mut lines = Vec::new();
    for line in 1..=1000 {
        let text = match MALFORMED.iter().position(|&bad| bad == line) {
            Some(0) => "{not json".to_owned(),
            Some(1) => json!({"source": "radio", "kind": "x"}).to_string(),
            Some(_) => json!({"source": "ids"}).to_string(),
            None => json!({
                "event_id": format!("evt-{line}"),
                "vehicle_id": format!("veh-{}", line % 10),
                "source": "ids",
                "kind": "ids.qsev",
                "attributes": {"sensor_id": 7, "event_id": line, "count": 1}
            })
            .to_string(),
        };
        lines.push(text);
    }
    lines.join("\n") + "\n"
}

fn telemetry_request(token: &str, body: Vec<u8>, gzip: bool) -> Request<Body> {
    let mut request = Request::post("/api/v1/telemetry")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/x-ndjson");
    if gzip {
        request = request.header(header::CONTENT_ENCODING, "gzip");
    }
    request.body(Body::from(body)).expect("request")
}

fn statuses(answer: &Value) -> Vec<(u64, String)> {
    let results = answer["results"].as_array().expect("results");
    results
        .iter()
        .map(|result| {
            let line = result["line"].as_u64().expect("line");
            (line, result["status"].as_str().expect("status").to_owned())
        })
        .collect()
}

#[tokio::test]
async fn every_line_gets_a_result_and_bad_lines_are_quarantined() {
    let app = TestApp::new().await;
    let token = app.token_for("ana", Role::VsocAnalyst, None).await;

    let (status, answer) = app
        .send(telemetry_request(&token, batch().into_bytes(), false))
        .await;

    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["accepted"], 997);
    assert_eq!(answer["duplicates"], 0);
    assert_eq!(answer["quarantined"], 3);
    let results = statuses(&answer);
    assert_eq!(results.len(), 1000);
    for (line, status) in results {
        let expected = if MALFORMED.contains(&(line as usize)) {
            "quarantined"
        } else {
            "accepted"
        };
        assert_eq!(status, expected, "line {line}");
    }
    assert_eq!(app.store.count_events().await.expect("count"), 997);

    let (_, quarantine) = app.get("/api/v1/quarantine", Some(&token)).await;
    assert_eq!(
        (&quarantine["total"], &quarantine["next"]),
        (&json!(3), &Value::Null)
    );
    let mut positions: Vec<&str> = quarantine["items"]
        .as_array()
        .expect("list")
        .iter()
        .map(|record| record["position"].as_str().expect("position"))
        .collect();
    positions.sort_unstable();
    assert_eq!(positions, ["line 1000", "line 17", "line 500"]);
    let first = &quarantine["items"][0];
    assert!(
        first["reason"]
            .as_str()
            .is_some_and(|reason| !reason.is_empty())
    );
}

#[tokio::test]
async fn the_same_batch_twice_is_stored_once() {
    let app = TestApp::new().await;
    let token = app.token_for("ana", Role::VsocAnalyst, None).await;

    app.send(telemetry_request(&token, batch().into_bytes(), false))
        .await;
    let (status, again) = app
        .send(telemetry_request(&token, batch().into_bytes(), false))
        .await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(again["accepted"], 0);
    assert_eq!(again["duplicates"], 997);
    assert_eq!(app.store.count_events().await.expect("count"), 997);
}

#[tokio::test]
async fn an_event_with_an_id_is_stored_once_whether_sent_or_read_from_a_file() {
    let app = TestApp::new().await;
    let token = app.token_for("ana", Role::VsocAnalyst, None).await;
    app.send(telemetry_request(&token, batch().into_bytes(), false))
        .await;

    let dir = keelson_store::testing::TempDir::new().expect("temp dir");
    let file = dir.path.join("events.ndjson");
    std::fs::write(&file, batch()).expect("write");
    let totals = ingest_file(&app, &file).await;

    assert_eq!((totals.accepted, totals.duplicates), (0, 997));
    assert_eq!(app.store.count_events().await.expect("count"), 997);
}

#[tokio::test]
async fn events_without_an_id_are_deduplicated_by_content() {
    let app = TestApp::new().await;
    let token = app.token_for("ana", Role::VsocAnalyst, None).await;
    let event = json!({"vehicle_id": "veh-1", "source": "telematics", "kind": "login.failed"});
    let body = format!("{event}\n{event}\n");

    let (_, answer) = app
        .send(telemetry_request(&token, body.into_bytes(), false))
        .await;

    assert_eq!(
        statuses(&answer),
        [(1, "accepted".into()), (2, "duplicate".into())]
    );
}

#[tokio::test]
async fn gzip_bodies_are_inflated_and_broken_gzip_is_a_clear_error() {
    let app = TestApp::new().await;
    let token = app.token_for("ana", Role::VsocAnalyst, None).await;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(batch().as_bytes()).expect("compress");
    let compressed = encoder.finish().expect("compress");

    let (status, answer) = app.send(telemetry_request(&token, compressed, true)).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["accepted"], 997);

    let (status, answer) = app
        .send(telemetry_request(&token, b"not gzip".to_vec(), true))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        answer["error"]["message"]
            .as_str()
            .expect("message")
            .contains("gzip")
    );
}

/// Reads `file` into the app's store the way `keelson ingest` does.
async fn ingest_file(
    app: &TestApp,
    file: &std::path::Path,
) -> keelson_server::ingest::IngestTotals {
    let options = keelson_server::ingest::file::FileOptions::default();
    keelson_server::ingest::file::ingest_file(
        &app.store,
        &app.state.detector,
        "test",
        file,
        &options,
        &mut |_| {},
    )
    .await
    .expect("ingest")
}

fn gzip(text: &str) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(text.as_bytes()).expect("compress");
    encoder.finish().expect("compress")
}

#[tokio::test]
async fn every_member_of_a_concatenated_gzip_body_is_read() {
    let app = TestApp::new().await;
    let token = app.token_for("ana", Role::VsocAnalyst, None).await;
    let event = |id: &str| json!({"event_id": id, "source": "log", "kind": "k"}).to_string();
    let mut body = gzip(&(event("mm-1") + "\n"));
    body.extend(gzip(&(event("mm-2") + "\n")));

    let (status, answer) = app.send(telemetry_request(&token, body, true)).await;

    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["accepted"], 2, "{answer}");
}

#[tokio::test]
async fn a_gzip_body_may_not_inflate_past_the_body_limit() {
    let config = Config {
        api_body_limit: 64 * 1024,
        ..Config::default()
    };
    let app = TestApp::with_config(config).await;
    let token = app.token_for("ana", Role::VsocAnalyst, None).await;
    let zeros = gzip(&" ".repeat(65 * 1024));
    assert!(zeros.len() < 1024, "the compressed body is small");

    let (status, answer) = app.send(telemetry_request(&token, zeros, true)).await;

    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{answer}");
    assert_eq!(error_code(&answer), "payload_too_large");
}

#[tokio::test]
async fn a_full_ingest_queue_answers_429_with_retry_after() {
    let app = TestApp::new().await;
    let token = app.token_for("ana", Role::VsocAnalyst, None).await;
    let permits = app.state.config.ingest_concurrency as u32;
    let _held = app
        .state
        .ingest_permits
        .clone()
        .acquire_many_owned(permits)
        .await;

    let response = app
        .respond(telemetry_request(&token, batch().into_bytes(), false))
        .await;

    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(response.headers()[header::RETRY_AFTER], "1");
    assert_eq!(app.store.count_events().await.expect("count"), 0);
}

#[tokio::test]
async fn partners_cannot_send_or_read_telemetry() {
    let app = TestApp::new().await;
    let partner = app
        .token_for("tier1", Role::Partner, Some("supplier-a"))
        .await;

    let (status, body) = app
        .send(telemetry_request(&partner, batch().into_bytes(), false))
        .await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::FORBIDDEN, "forbidden")
    );
    let (status, _) = app.get("/api/v1/events", Some(&partner)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_event_schema_is_served_as_json_schema() {
    let app = TestApp::new().await;
    let (status, schema) = app.get("/api/v1/schemas/event.json", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    let sources = &schema["properties"]["source"]["enum"];
    assert_eq!(sources.as_array().map(Vec::len), Some(7), "{sources}");
}

#[tokio::test]
async fn a_run_of_damaged_binary_records_keeps_each_records_own_bytes() {
    let app = TestApp::new().await;
    // Five DLT storage headers, each followed by a standard header whose
    // length (4) is shorter than the header itself: 20 bytes a record.
    let mut record = b"DLT\x01".to_vec();
    record.extend(1u32.to_le_bytes());
    record.extend(0u32.to_le_bytes());
    record.extend(b"ECU1");
    record.extend([0x21, 0]);
    record.extend(4u16.to_be_bytes());
    let dir = keelson_store::testing::TempDir::new().expect("temp dir");
    let file = dir.path.join("damaged.dlt");
    std::fs::write(&file, record.repeat(5)).expect("write");

    let totals = ingest_file(&app, &file).await;

    assert_eq!(totals.quarantined, 5);
    let stored = app
        .store
        .list_quarantine(false, None, 10)
        .await
        .expect("list")
        .items;
    let sizes: Vec<u64> = stored.iter().map(|record| record.raw_size).collect();
    assert_eq!(
        sizes,
        [record.len() as u64; 5],
        "each row holds its own 20 bytes"
    );
}

/// The `reason` of each quarantined result, by line.
fn quarantine_reasons(answer: &Value) -> Vec<(u64, String)> {
    let results = answer["results"].as_array().expect("results");
    results
        .iter()
        .filter(|result| result["status"] == "quarantined")
        .map(|result| {
            let line = result["line"].as_u64().expect("line");
            (line, result["reason"].as_str().expect("reason").to_owned())
        })
        .collect()
}

#[tokio::test]
async fn events_breaking_a_schema_limit_are_quarantined_with_line_and_reason() {
    let app = TestApp::new().await;
    let token = app.token_for("ana", Role::VsocAnalyst, None).await;
    let lines = [
        json!({"event_id": "", "source": "log", "kind": "first"}).to_string(),
        json!({"event_id": "", "source": "log", "kind": "second"}).to_string(),
        json!({"source": "can", "kind": "can.frame",
               "attributes": {"id": 0x800, "extended": false, "dlc": 0, "data": ""}})
        .to_string(),
        r#"{"source":"log","kind":"k","attributes":{"odometer":99999999999999999999}}"#.to_owned(),
        json!({"vehicle_id": "v".repeat(257), "source": "log", "kind": "k"}).to_string(),
        json!({"source": "log", "kind": "k", "attributes": {"blob": "x".repeat(40_000)}})
            .to_string(),
        json!({"event_id": "ok-1", "source": "log", "kind": "k"}).to_string(),
    ];
    let body = lines.join("\n").into_bytes();

    let (status, answer) = app.send(telemetry_request(&token, body, false)).await;

    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(
        (answer["accepted"].as_u64(), answer["quarantined"].as_u64()),
        (Some(1), Some(6))
    );
    let reasons = quarantine_reasons(&answer);
    let expected_fields = [
        (1, "event_id"),
        (2, "event_id"),
        (3, "attributes.id"),
        (4, "attributes.odometer"),
        (5, "vehicle_id"),
        (6, "attributes"),
    ];
    assert_eq!(reasons.len(), expected_fields.len(), "{reasons:?}");
    for ((line, reason), (expected_line, field)) in reasons.iter().zip(expected_fields) {
        assert_eq!(*line, expected_line);
        assert!(reason.contains(field), "line {line}: {reason}");
    }
    assert_eq!(app.store.count_events().await.expect("count"), 1);
}

/// The quarantine as the API lists it (one page of up to 1000).
async fn quarantine_page(app: &TestApp, token: &str) -> Value {
    let (status, page) = app.get("/api/v1/quarantine?limit=1000", Some(token)).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page
}

#[tokio::test]
async fn quarantined_bytes_come_back_exactly_whether_or_not_they_are_utf8() {
    let app = TestApp::new().await;
    let token = app.token_for("ana", Role::VsocAnalyst, None).await;
    let mut body = b"{\"source\":\"log\",\"kind\":\"\xff\"}\n".to_vec();
    body.extend("{\"source\":\"log\",\"kind\":\"é\"}\n".as_bytes());

    let (_, answer) = app.send(telemetry_request(&token, body, false)).await;
    assert_eq!(answer["quarantined"], 2, "{answer}");

    let page = quarantine_page(&app, &token).await;
    let by_line = |line: &str| {
        page["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|record| record["position"] == line)
            .cloned()
            .expect("record")
    };
    // The base64 of each line as sent, worked out apart from Keelson.
    let binary = by_line("line 1");
    assert_eq!(binary["raw_base64"], "eyJzb3VyY2UiOiJsb2ciLCJraW5kIjoi/yJ9");
    assert_eq!(
        (&binary["raw"], &binary["raw_size"]),
        (&Value::Null, &json!(27))
    );
    let text = by_line("line 2");
    assert_eq!(
        text["raw_base64"],
        "eyJzb3VyY2UiOiJsb2ciLCJraW5kIjoiw6kifQ=="
    );
    assert_eq!(text["raw"], "{\"source\":\"log\",\"kind\":\"é\"}");
}

#[tokio::test]
async fn a_retried_request_adds_no_quarantine_rows() {
    let app = TestApp::new().await;
    let token = app.token_for("ana", Role::VsocAnalyst, None).await;

    app.send(telemetry_request(&token, batch().into_bytes(), false))
        .await;
    let (_, again) = app
        .send(telemetry_request(&token, batch().into_bytes(), false))
        .await;

    assert_eq!(
        again["quarantined"], 3,
        "each line is still answered quarantined"
    );
    assert_eq!(quarantine_page(&app, &token).await["total"], 3);
}

#[tokio::test]
async fn equal_bad_lines_at_two_places_of_a_file_stay_two_records_once() {
    let app = TestApp::new().await;
    let token = app.token_for("ana", Role::VsocAnalyst, None).await;
    let good = |id: &str| json!({"event_id": id, "source": "log", "kind": "k"}).to_string();
    let bad = "{\"source\": \"log\", \"kind\": oops";
    let text = [good("f-1"), bad.to_owned(), good("f-2"), bad.to_owned()].join("\n");
    let dir = keelson_store::testing::TempDir::new().expect("temp dir");
    let file = dir.path.join("twice.ndjson");
    std::fs::write(&file, text).expect("write");

    let first = ingest_file(&app, &file).await;
    let copy = dir.path.join("copy.ndjson");
    std::fs::copy(&file, &copy).expect("copy");
    let second = ingest_file(&app, &copy).await;

    assert_eq!((first.accepted, first.quarantined), (2, 2));
    assert_eq!((second.duplicates, second.quarantined), (2, 2));
    let page = quarantine_page(&app, &token).await;
    assert_eq!(page["total"], 2, "{page}");
    let mut positions: Vec<&str> = page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|record| record["position"].as_str().expect("position"))
        .collect();
    positions.sort_unstable();
    assert_eq!(positions, ["line 2", "line 4"]);
}

#[tokio::test]
async fn an_mqtt_message_delivered_again_adds_no_quarantine_rows() {
    use keelson_server::ingest::Batch;
    use keelson_server::ingest::mqtt::message::{TopicLayout, add_message};

    let app = TestApp::new().await;
    let token = app.token_for("ana", Role::VsocAnalyst, None).await;
    let layout = TopicLayout::from_filter("vehicles/+/events");
    let payload = b"{broken\n{\"source\":\"log\",\"kind\":\"k\"}\n{broken\n";
    for delivery in ["first", "redelivery"] {
        let mut batch = Batch::default();
        add_message(&mut batch, &layout, "vehicles/v1/events", payload, 1);
        let (totals, _) = batch
            .write(&app.store, &app.state.detector, "mqtt")
            .await
            .expect(delivery);
        assert_eq!(totals.quarantined, 2, "{delivery}");
    }
    add_message_to_other_vehicle(&app, &layout, payload).await;

    let page = quarantine_page(&app, &token).await;
    let mut places: Vec<(String, String)> = page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|r| {
            (
                r["origin"].as_str().expect("origin").to_owned(),
                r["position"].as_str().expect("position").to_owned(),
            )
        })
        .collect();
    places.sort();
    assert_eq!(
        places,
        [
            ("vehicles/v1/events".to_owned(), "line 1".to_owned()),
            ("vehicles/v1/events".to_owned(), "line 3".to_owned()),
            ("vehicles/v2/events".to_owned(), "line 1".to_owned()),
            ("vehicles/v2/events".to_owned(), "line 3".to_owned()),
        ]
    );
}

/// The same payload from another vehicle: records of their own.
async fn add_message_to_other_vehicle(
    app: &TestApp,
    layout: &keelson_server::ingest::mqtt::message::TopicLayout,
    payload: &[u8],
) {
    let mut batch = keelson_server::ingest::Batch::default();
    keelson_server::ingest::mqtt::message::add_message(
        &mut batch,
        layout,
        "vehicles/v2/events",
        payload,
        1,
    );
    batch
        .write(&app.store, &app.state.detector, "mqtt")
        .await
        .expect("other vehicle");
}

/// Every page of `path`, following `next`; the items of each page and the
/// totals seen.
async fn pages(app: &TestApp, token: &str, path: &str) -> (Vec<Vec<Value>>, Vec<Value>) {
    let mut items = Vec::new();
    let mut totals = Vec::new();
    let mut url = path.to_owned();
    loop {
        let (status, page) = app.get(&url, Some(token)).await;
        assert_eq!(status, StatusCode::OK, "{url}: {page}");
        items.push(page["items"].as_array().expect("items").clone());
        totals.push(page["total"].clone());
        match page["next"].as_str() {
            Some(next) => url = format!("{path}&cursor={next}"),
            None => break,
        }
    }
    (items, totals)
}

#[tokio::test]
async fn events_and_quarantine_answer_pages_with_total_and_cursor() {
    let app = TestApp::new().await;
    let token = app.token_for("ana", Role::VsocAnalyst, None).await;
    let (_, answer) = app
        .send(telemetry_request(&token, batch().into_bytes(), false))
        .await;
    assert_eq!(answer["accepted"], 997);

    let (event_pages, totals) = pages(&app, &token, "/api/v1/events?limit=400").await;
    let sizes: Vec<usize> = event_pages.iter().map(Vec::len).collect();
    assert_eq!(sizes, [400, 400, 197]);
    assert!(totals.iter().all(|total| total == 997), "{totals:?}");
    let mut ids: Vec<&str> = event_pages
        .iter()
        .flatten()
        .map(|event| event["event_id"].as_str().expect("id"))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 997, "every event on exactly one page");

    let (one_vehicle, totals) =
        pages(&app, &token, "/api/v1/events?vehicle_id=veh-3&limit=60").await;
    let vehicle_events: usize = one_vehicle.iter().map(Vec::len).sum();
    // Lines 1..=1000 with line % 10 == 3, none of them malformed.
    assert_eq!((vehicle_events, &totals[0]), (100, &json!(100)));

    let (quarantine, totals) = pages(&app, &token, "/api/v1/quarantine?limit=2").await;
    let sizes: Vec<usize> = quarantine.iter().map(Vec::len).collect();
    assert_eq!((sizes, &totals[0]), (vec![2, 1], &json!(3)));
}

/// A cursor no list gave, or a limit out of range, is a 400 whose message
/// names the parameter, on the keyset-paged lists and the offset-paged ones.
#[tokio::test]
async fn a_bad_cursor_or_limit_on_a_list_is_a_400_naming_the_parameter() {
    let app = TestApp::new().await;
    let token = app.token_for("ana", Role::VsocAnalyst, None).await;
    for (path, parameter) in [
        ("/api/v1/events?cursor=nonsense", "cursor"),
        ("/api/v1/events?limit=0", "limit"),
        ("/api/v1/quarantine?limit=1001", "limit"),
        ("/api/v1/quarantine?cursor=%5B1%2C2%5D", "cursor"),
        ("/api/v1/alerts?cursor=%FF", "cursor"),
        ("/api/v1/findings?cursor=garbage", "cursor"),
    ] {
        let (status, body) = app.get(path, Some(&token)).await;
        assert_eq!(
            (status, error_code(&body)),
            (StatusCode::BAD_REQUEST, "bad_request"),
            "{path}"
        );
        let message = body["error"]["message"].as_str().unwrap_or_default();
        assert!(message.starts_with(parameter), "{path}: {message}");
    }
}

/// A schema object, following one `$ref` into the components.
fn resolved<'d>(document: &'d Value, schema: &'d Value) -> &'d Value {
    match schema["$ref"].as_str() {
        Some(reference) => {
            let name = reference.trim_start_matches("#/components/schemas/");
            &document["components"]["schemas"][name]
        }
        None => schema,
    }
}

#[tokio::test]
async fn the_openapi_document_describes_the_telemetry_lists_as_pages() {
    let app = TestApp::new().await;
    let (_, document) = app.get("/api/openapi.json", None).await;
    for path in ["/api/v1/events", "/api/v1/quarantine"] {
        let operation = &document["paths"][path]["get"];
        let schema = &operation["responses"]["200"]["content"]["application/json"]["schema"];
        let page = resolved(&document, schema);
        for field in ["items", "total", "next"] {
            assert!(
                page["properties"][field].is_object(),
                "{path}: no {field} in {page}"
            );
        }
        let parameters: Vec<&str> = operation["parameters"]
            .as_array()
            .expect("parameters")
            .iter()
            .filter_map(|parameter| parameter["name"].as_str())
            .collect();
        assert!(
            parameters.contains(&"cursor") && parameters.contains(&"limit"),
            "{path}: {parameters:?}"
        );
    }
    let record = &document["components"]["schemas"]["QuarantinedRecord"]["properties"];
    assert!(record["raw_base64"].is_object(), "{record}");
}
