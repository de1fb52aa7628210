//! TLP at the API: for every record type that carries a marking, a
//! partner sees exactly what TLP 2.0 allows and gets 404 (never 403) for
//! the rest, on single reads and in lists. Add each new record type to
//! `RECORD_TYPES`; installations, which are not created by a POST to their
//! own collection, have their own test below with the same cases.

mod support;

use axum::http::StatusCode;
use keelson_core::Role;
use serde_json::{Value, json};
use support::TestApp;

/// A marked record type: its collection path and a body for a given ID.
struct RecordType {
    collection: &'static str,
    body: fn(&str) -> Value,
}

const RECORD_TYPES: &[RecordType] = &[
    RecordType {
        collection: "/api/v1/models",
        body: |id| json!({"id": id, "make": "Acme", "model": "Roadster"}),
    },
    RecordType {
        collection: "/api/v1/vehicles",
        body: |id| json!({"id": id, "region": "EU"}),
    },
    RecordType {
        collection: "/api/v1/builds",
        body: |id| json!({"id": id, "ecu": "tcu", "firmware_version": "1.0"}),
    },
    RecordType {
        collection: "/api/v1/ecus",
        body: |id| json!({"id": id, "name": "Telematics", "supplier": "Acme"}),
    },
    RecordType {
        collection: "/api/v1/rules",
        body: |id| json!({"sigma": sigma_rule(id)}),
    },
];

/// The event kind a test rule fires on (kinds are dotted lowercase words).
fn event_kind(id: &str) -> String {
    format!("ids.{}", id.replace('-', "_"))
}

/// A one-document Sigma rule that fires on events of its [`event_kind`].
fn sigma_rule(id: &str) -> String {
    format!(
        "title: Rule {id}\nid: {id}\nlogsource:\n  product: vehicle\n  category: ids\n\
         detection:\n  selection:\n    kind: {}\n  condition: selection\nlevel: low\n",
        event_kind(id)
    )
}

/// (record ID suffix, marking, visible to a partner of `acme`)
fn cases() -> Vec<(&'static str, Value, bool)> {
    vec![
        ("clear", json!({"tlp": "CLEAR"}), true),
        ("green", json!({"tlp": "GREEN"}), true),
        (
            "amber-acme",
            json!({"tlp": "AMBER", "shared_with_orgs": ["acme"]}),
            true,
        ),
        (
            "strict-acme",
            json!({"tlp": "AMBER+STRICT", "shared_with_orgs": ["acme"]}),
            true,
        ),
        (
            "amber-globex",
            json!({"tlp": "AMBER", "shared_with_orgs": ["globex"]}),
            false,
        ),
        ("strict-none", json!({"tlp": "AMBER+STRICT"}), false),
        ("amber-default", Value::Null, false),
        (
            "red-shared",
            json!({"tlp": "RED", "shared_with_orgs": ["acme"]}),
            false,
        ),
        (
            "red-named-ana",
            json!({"tlp": "RED", "named_readers": ["ana"]}),
            false,
        ),
    ]
}

#[tokio::test]
async fn partner_sees_only_what_tlp_allows_for_every_record_type() {
    let app = TestApp::new().await;
    let admin = app.token_for("root", Role::Admin, None).await;
    let partner = app.token_for("pat", Role::Partner, Some("acme")).await;

    for record_type in RECORD_TYPES {
        let mut expected_visible = Vec::new();
        for (suffix, marking, visible) in cases() {
            let id = format!("rec-{suffix}");
            let mut body = (record_type.body)(&id);
            if !marking.is_null() {
                body["marking"] = marking;
            }
            let (status, created) = app.post(record_type.collection, &admin, &body).await;
            assert_eq!(
                status,
                StatusCode::CREATED,
                "{}: {created}",
                record_type.collection
            );

            let path = format!("{}/{id}", record_type.collection);
            let (status, _) = app.get(&path, Some(&partner)).await;
            let expected = if visible {
                StatusCode::OK
            } else {
                StatusCode::NOT_FOUND
            };
            assert_eq!(status, expected, "partner reading {path}");
            if visible {
                expected_visible.push(id);
            }
        }
        let (_, list) = app.get(record_type.collection, Some(&partner)).await;
        let listed: Vec<&str> = list["items"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|r| r["id"].as_str())
            .collect();
        let mut expected: Vec<&str> = expected_visible.iter().map(String::as_str).collect();
        expected.sort_unstable();
        assert_eq!(
            listed, expected,
            "partner list of {}",
            record_type.collection
        );
        let paged = every_page(&app, record_type.collection, "id", &partner).await;
        assert_eq!(paged, expected, "{} two at a time", record_type.collection);
    }
}

/// The `field` of every item of a list read two items a page, following
/// `next`, sorted; asserts that every page gives the same `total`, equal to
/// the number of items.
async fn every_page(app: &TestApp, collection: &str, field: &str, token: &str) -> Vec<String> {
    let mut values = Vec::new();
    let mut totals = Vec::new();
    let mut path = format!("{collection}?limit=2");
    loop {
        let (status, page) = app.get(&path, Some(token)).await;
        assert_eq!(status, StatusCode::OK, "{path}: {page}");
        let items = page["items"].as_array().cloned().unwrap_or_default();
        assert!(items.len() <= 2, "{path} gave {} items", items.len());
        values.extend(
            items
                .iter()
                .filter_map(|item| item[field].as_str().map(str::to_owned)),
        );
        totals.push(page["total"].as_u64());
        match page["next"].as_str() {
            Some(next) => path = format!("{collection}?limit=2&cursor={next}"),
            None => break,
        }
    }
    assert!(
        totals
            .iter()
            .all(|total| *total == Some(values.len() as u64)),
        "{totals:?}"
    );
    values.sort_unstable();
    values
}

/// Alerts carry the marking of the rule that raised them: one rule per
/// case, one event firing each, then the partner's view of the alerts.
#[tokio::test]
async fn partner_sees_only_alerts_whose_marking_allows() {
    let app = TestApp::new().await;
    let admin = app.token_for("root", Role::Admin, None).await;
    let partner = app.token_for("pat", Role::Partner, Some("acme")).await;
    let mut events = Vec::new();
    for (suffix, marking, _) in cases() {
        let id = format!("rule-{suffix}");
        let mut body = json!({"sigma": sigma_rule(&id), "status": "active"});
        if !marking.is_null() {
            body["marking"] = marking;
        }
        let (status, answer) = app.post("/api/v1/rules", &admin, &body).await;
        assert_eq!(status, StatusCode::CREATED, "{answer}");
        events.push(
            json!({"event_id": format!("ev-{suffix}"), "vehicle_id": "veh-1",
                           "source": "ids", "kind": event_kind(&id),
                           "vehicle_time": "2026-06-01T08:00:00Z"}),
        );
    }
    let (status, answer) = app.ingest(&admin, &events).await;
    assert_eq!(status, StatusCode::OK, "{answer}");

    let ana = app.token_for("ana", Role::VsocAnalyst, None).await;
    let (_, all) = app.get("/api/v1/alerts?limit=1000", Some(&ana)).await;
    let all = all["items"].as_array().cloned().unwrap_or_default();
    // Everything but the RED rules' alerts (ana is named on one of them).
    assert_eq!(all.len(), cases().len() - 1, "{all:?}");

    let mut expected = Vec::new();
    for (suffix, _, visible) in cases() {
        let rule = format!("rule-{suffix}");
        let (_, by_rule) = app
            .get(&format!("/api/v1/alerts?rule={rule}"), Some(&ana))
            .await;
        let Some(alert_id) = by_rule["items"][0]["id"].as_str().map(str::to_owned) else {
            // Only the RED alert named on nobody is hidden from ana too.
            assert_eq!(suffix, "red-shared", "no alert for {rule}");
            continue;
        };
        let (status, _) = app
            .get(&format!("/api/v1/alerts/{alert_id}"), Some(&partner))
            .await;
        let want = if visible {
            StatusCode::OK
        } else {
            StatusCode::NOT_FOUND
        };
        assert_eq!(status, want, "partner reading the alert of {rule}");
        if visible {
            expected.push(alert_id);
        }
    }
    let (_, listed) = app.get("/api/v1/alerts?limit=1000", Some(&partner)).await;
    let mut listed: Vec<String> = listed["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|alert| alert["id"].as_str().map(str::to_owned))
        .collect();
    listed.sort_unstable();
    expected.sort_unstable();
    assert_eq!(listed, expected, "partner list of alerts");
    let paged = every_page(&app, "/api/v1/alerts", "id", &partner).await;
    assert_eq!(paged, expected, "the partner's alerts two at a time");

    // Each alert opened an incident of its rule's marking.
    let mut rules = every_page(&app, "/api/v1/incidents", "sigma_rule", &partner).await;
    rules.sort_unstable();
    let mut visible_rules: Vec<String> = cases()
        .into_iter()
        .filter(|(_, _, visible)| *visible)
        .map(|(suffix, _, _)| format!("rule-{suffix}"))
        .collect();
    visible_rules.sort_unstable();
    assert_eq!(
        rules, visible_rules,
        "the partner's incidents two at a time"
    );
}

#[tokio::test]
async fn red_records_are_seen_only_by_named_users_of_any_role() {
    let app = TestApp::new().await;
    let admin = app.token_for("root", Role::Admin, None).await;
    let ana = app.token_for("ana", Role::VsocAnalyst, None).await;
    let bob = app.token_for("bob", Role::PsirtEngineer, None).await;

    for record_type in RECORD_TYPES {
        let mut body = (record_type.body)("red-1");
        body["marking"] = json!({"tlp": "RED", "named_readers": ["ana"]});
        assert_eq!(
            app.post(record_type.collection, &admin, &body).await.0,
            StatusCode::CREATED
        );
        let path = format!("{}/red-1", record_type.collection);
        assert_eq!(app.get(&path, Some(&ana)).await.0, StatusCode::OK, "{path}");
        assert_eq!(
            app.get(&path, Some(&bob)).await.0,
            StatusCode::NOT_FOUND,
            "{path}"
        );
        assert_eq!(
            app.get(&path, Some(&admin)).await.0,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
}

#[tokio::test]
async fn partners_cannot_write_the_inventory() {
    let app = TestApp::new().await;
    let partner = app.token_for("pat", Role::Partner, Some("acme")).await;
    for record_type in RECORD_TYPES {
        let body = (record_type.body)("p-1");
        let (status, _) = app.post(record_type.collection, &partner, &body).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{}", record_type.collection);
    }
}

async fn put(app: &TestApp, path: &str, token: &str, body: &Value) -> (StatusCode, Value) {
    let request = axum::http::Request::put(path)
        .header(axum::http::header::AUTHORIZATION, format!("Bearer {token}"))
        .header(axum::http::header::CONTENT_TYPE, "application/json")
        .body(axum::body::Body::from(body.to_string()))
        .expect("request");
    app.send(request).await
}

#[tokio::test]
async fn partner_sees_only_the_installations_tlp_allows() {
    let app = TestApp::new().await;
    let admin = app.token_for("root", Role::Admin, None).await;
    let partner = app.token_for("pat", Role::Partner, Some("acme")).await;
    let clear = json!({"tlp": "CLEAR"});
    let vehicle = json!({"id": "v1", "marking": clear});
    assert_eq!(
        app.post("/api/v1/vehicles", &admin, &vehicle).await.0,
        StatusCode::CREATED
    );
    let build = json!({"id": "b1", "ecu": "any", "firmware_version": "1", "marking": clear});
    assert_eq!(
        app.post("/api/v1/builds", &admin, &build).await.0,
        StatusCode::CREATED
    );

    let mut expected = Vec::new();
    for (suffix, marking, visible) in cases() {
        let ecu = format!("ecu-{suffix}");
        let body = json!({"id": ecu, "name": ecu, "marking": clear});
        assert_eq!(
            app.post("/api/v1/ecus", &admin, &body).await.0,
            StatusCode::CREATED
        );
        let mut install = json!({"ecu": ecu, "build_id": "b1"});
        if !marking.is_null() {
            install["marking"] = marking;
        }
        let (status, answer) = put(&app, "/api/v1/vehicles/v1/builds", &admin, &install).await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        assert_eq!(answer["outcome"], "new", "{answer}");
        if visible {
            expected.push(ecu);
        }
    }

    let (status, list) = app.get("/api/v1/vehicles/v1/builds", Some(&partner)).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let listed: Vec<&str> = list["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|installation| installation["ecu_id"].as_str())
        .collect();
    expected.sort_unstable();
    assert_eq!(listed, expected, "installations are listed by ECU");
    let (status, _) = put(
        &app,
        "/api/v1/vehicles/v1/builds",
        &partner,
        &json!({
        "ecu": "ecu-clear", "build_id": "b1"}),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
