//! The web UI's pages through the router, without a browser: a record
//! above the reader's clearance is missing from every page that lists it
//! and its own page answers 404, as the API does; a page without a session
//! sends the reader to sign in; a form posted without the session's CSRF
//! token changes nothing; the rule editor refuses malformed Sigma with the
//! loader's line; the reports and threat intel pages count and list only
//! what the reader may see.

mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use keelson_core::Role;
use keelson_server::auth;
use serde_json::json;
use support::{TestApp, body_bytes};

const CSRF: &str = "csrf-token-of-the-test-session";

/// A browser session for `name`; returns the cookie header value.
async fn session(app: &TestApp, name: &str, role: Role) -> String {
    app.token_for(name, role, None).await;
    let user = app
        .store
        .user_by_name(name)
        .await
        .expect("read")
        .expect("user");
    let secret = auth::random_secret(32);
    let expires = keelson_store::now_us() + 3_600_000_000;
    app.store
        .create_session(&user, &auth::secret_hash(&secret), CSRF, expires)
        .await
        .expect("session");
    format!("{}={secret}", auth::SESSION_COOKIE)
}

async fn page(app: &TestApp, cookie: &str, path: &str) -> (StatusCode, String) {
    let request = Request::get(path)
        .header(header::COOKIE, cookie)
        .body(Body::empty())
        .expect("request");
    let response = app.respond(request).await;
    let status = response.status();
    (
        status,
        String::from_utf8_lossy(&body_bytes(response).await).into_owned(),
    )
}

async fn post_form(app: &TestApp, cookie: &str, path: &str, form: &str) -> (StatusCode, String) {
    let request = Request::post(path)
        .header(header::COOKIE, cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(form.to_owned()))
        .expect("request");
    let response = app.respond(request).await;
    let status = response.status();
    (
        status,
        String::from_utf8_lossy(&body_bytes(response).await).into_owned(),
    )
}

/// One GREEN and one RED rule, each fired once on the same vehicle.
async fn two_incidents(app: &TestApp) -> (String, String) {
    let engineer = app.token_for("dee", Role::DetectionEngineer, None).await;
    let vehicle = keelson_store::fleet::Vehicle {
        id: "veh-1".to_owned(),
        model_id: None,
        vin_hash: None,
        region: Some("EU".to_owned()),
        marking: keelson_core::Marking::new(keelson_core::Tlp::Green),
    };
    app.store
        .create_vehicle("test", &vehicle)
        .await
        .expect("vehicle");
    for (id, title, kind, marking) in [
        (
            "0b7e3c1a-0000-4c55-8e61-000000000001",
            "Open door while driving",
            "body.door_open",
            json!({"tlp": "GREEN"}),
        ),
        (
            "0b7e3c1a-0000-4c55-8e61-000000000002",
            "Sealed odometer investigation",
            "telematics.odometer_jump",
            json!({"tlp": "RED", "named_readers": ["dee"]}),
        ),
    ] {
        let sigma = format!(
            "title: {title}\nid: {id}\nstatus: stable\nlogsource:\n    product: vehicle\ndetection:\n    \
             selection:\n        kind: {kind}\n    condition: selection\nlevel: high\n"
        );
        let (status, rule) = app
            .post(
                "/api/v1/rules",
                &engineer,
                &json!({"sigma": sigma, "status": "active", "marking": marking}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{rule}");
        let event = json!({"event_id": format!("{kind}-1"), "vehicle_id": "veh-1", "source": "telematics", "kind": kind,
                           "vehicle_time": "2026-12-01T08:00:00Z", "attributes": {}});
        let (status, answer) = app.ingest(&engineer, &[event]).await;
        assert_eq!(status, StatusCode::OK, "{answer}");
    }
    let incidents = app
        .store
        .list_incidents(&Default::default())
        .await
        .expect("incidents");
    let red = incidents
        .iter()
        .find(|i| i.marking.tlp == keelson_core::Tlp::Red)
        .expect("red")
        .id
        .clone();
    let green = incidents
        .iter()
        .find(|i| i.marking.tlp != keelson_core::Tlp::Red)
        .expect("green")
        .id
        .clone();
    (green, red)
}

#[tokio::test]
async fn a_record_above_the_readers_clearance_is_missing_from_every_page() {
    let app = TestApp::new().await;
    let (green, red) = two_incidents(&app).await;
    let analyst = session(&app, "ana", Role::VsocAnalyst).await;
    let named = session(&app, "dee-reader", Role::VsocAnalyst).await;

    for path in ["/", "/incidents", "/alerts", "/vehicles/veh-1"] {
        let (status, html) = page(&app, &analyst, path).await;
        assert_eq!(status, StatusCode::OK, "{path}: {html}");
        assert!(
            html.contains("Open door while driving") || path == "/",
            "{path} lacks the GREEN record"
        );
        assert!(
            !html.contains("Sealed odometer"),
            "{path} shows the RED record"
        );
    }
    let (status, html) = page(&app, &analyst, &format!("/incidents/{red}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{html}");
    assert!(!html.contains("Sealed odometer"));
    let (status, _) = page(&app, &analyst, &format!("/incidents/{green}")).await;
    assert_eq!(status, StatusCode::OK);
    let red_alert = app
        .store
        .incident_alert_ids(&red)
        .await
        .expect("alerts")
        .remove(0);
    let (status, _) = page(&app, &analyst, &format!("/alerts/{red_alert}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Named on the marking by user name only: "dee-reader" is not "dee".
    let (status, _) = page(&app, &named, &format!("/incidents/{red}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_page_without_a_session_sends_the_reader_to_sign_in() {
    let app = TestApp::new().await;
    for path in [
        "/",
        "/incidents",
        "/cases",
        "/admin/users",
        "/dashboards",
        "/reports",
        "/intel",
        "/playbooks",
    ] {
        let response = app
            .respond(Request::get(path).body(Body::empty()).expect("request"))
            .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(response.headers()[header::LOCATION], "/login", "{path}");
    }
    let (status, html) = {
        let response = app
            .respond(Request::get("/login").body(Body::empty()).expect("request"))
            .await;
        (
            response.status(),
            String::from_utf8_lossy(&body_bytes(response).await).into_owned(),
        )
    };
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("name=\"csrf_token\"") && html.contains("<label for=\"password\">"),
        "{html}"
    );
}

#[tokio::test]
async fn a_form_without_the_sessions_csrf_token_changes_nothing() {
    let app = TestApp::new().await;
    let (green, _) = two_incidents(&app).await;
    let analyst = session(&app, "ana", Role::VsocAnalyst).await;
    let path = format!("/incidents/{green}/transition");

    let (status, _) = post_form(
        &app,
        &analyst,
        &path,
        "csrf_token=forged&to=acknowledged&reason=x",
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let unchanged = app
        .store
        .incident(&green)
        .await
        .expect("read")
        .expect("incident");
    assert_eq!(unchanged.state, keelson_core::IncidentState::New);

    let (status, _) = post_form(
        &app,
        &analyst,
        &path,
        &format!("csrf_token={CSRF}&to=acknowledged&reason=seen"),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let moved = app
        .store
        .incident(&green)
        .await
        .expect("read")
        .expect("incident");
    assert_eq!(moved.state, keelson_core::IncidentState::Acknowledged);
}

#[tokio::test]
async fn the_rule_editor_refuses_malformed_sigma_with_its_line_and_keeps_the_text() {
    let app = TestApp::new().await;
    let engineer = session(&app, "eng", Role::DetectionEngineer).await;
    let sigma = "title: Broken\nid: 0b7e3c1a-0000-4c55-8e61-0000000000ff\ndetection:\n  selection:\n    kind: [unclosed\n";
    let form = format!("csrf_token={CSRF}&sigma={}", urlencode(sigma));
    let (status, html) = post_form(&app, &engineer, "/rules", &form).await;

    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(html.contains("The rule was not saved: line "), "{html}");
    assert!(
        html.contains("kind: [unclosed"),
        "the editor lost the text: {html}"
    );
    assert!(app.store.list_rules().await.expect("rules").is_empty());
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => {
                (byte as char).to_string()
            }
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

/// The reports and threat intel pages count and list only what the reader
/// may see: the RED incident and a RED indicator naming someone else are
/// left out, as the API leaves them out.
#[tokio::test]
async fn reports_and_intel_pages_leave_out_what_the_reader_may_not_see() {
    let app = TestApp::new().await;
    two_incidents(&app).await;
    let engineer = app.token_for("eve", Role::DetectionEngineer, None).await;
    for (name, marking) in [
        ("Shared tester address", json!({"tlp": "GREEN"})),
        (
            "Sealed informant address",
            json!({"tlp": "RED", "named_readers": ["dee"]}),
        ),
    ] {
        let indicator = json!({"name": name, "pattern": "[ipv4-addr:value = '198.51.100.7']",
                               "marking": marking});
        let (status, stored) = app.post("/api/v1/indicators", &engineer, &indicator).await;
        assert_eq!(status, StatusCode::CREATED, "{stored}");
    }
    let analyst = session(&app, "ana", Role::VsocAnalyst).await;

    let (status, html) = page(&app, &analyst, "/intel").await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("Shared tester address"), "{html}");
    assert!(
        !html.contains("Sealed informant"),
        "/intel shows the RED indicator"
    );

    let (status, html) = page(&app, &analyst, "/reports?period=day").await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(
        html.contains("<dt>Incidents</dt><dd>1</dd>"),
        "the report does not count the one GREEN incident alone: {html}"
    );
    assert!(html.contains("format=pdf") && html.contains("format=html"));

    let (status, html) = page(&app, &analyst, "/reports?from=2026-13-01&to=2026-12-31").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{html}");
    assert!(
        html.contains("from"),
        "the refusal does not name the field: {html}"
    );
}

/// The count the audit page gives, from its status line.
fn verified_entries(html: &str) -> Option<u64> {
    let after = html.split("The hash chain verifies: ").nth(1)?;
    after.split(' ').next()?.parse().ok()
}

#[tokio::test]
async fn the_audit_page_checks_new_entries_and_a_whole_recompute_finds_a_changed_one() {
    let app = TestApp::new().await;
    let admin = session(&app, "ada", Role::Admin).await;
    let stored = |app: &TestApp| {
        let store = app.store.clone();
        async move {
            store
                .audit_entries(None, 1_000, None)
                .await
                .expect("entries")
                .len() as u64
        }
    };

    let (status, first) = page(&app, &admin, "/admin/audit").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(verified_entries(&first), Some(stored(&app).await));

    app.token_for("bea", Role::VsocAnalyst, None).await;
    let (_, second) = page(&app, &admin, "/admin/audit").await;
    assert_eq!(verified_entries(&second), Some(stored(&app).await));

    keelson_store::testing::tamper(
        &app.store,
        "UPDATE audit_log SET actor = 'mallory' WHERE seq = 1",
    )
    .await
    .expect("tamper");
    let (_, carried) = page(&app, &admin, "/admin/audit").await;
    assert!(
        verified_entries(&carried).is_some(),
        "entries before the last look are trusted"
    );
    let (_, whole) = page(&app, &admin, "/admin/audit?whole=1").await;
    assert!(
        whole.contains("The hash chain is broken at entry 1"),
        "{whole}"
    );

    let analyst = session(&app, "cy", Role::VsocAnalyst).await;
    let (status, _) = page(&app, &analyst, "/admin/audit").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

/// A dashboard's charts and tables, counted in SQL per marking, leave out
/// the RED alert and incident for a reader not named on them: every chart
/// counts the one GREEN record alone, and no table or label names the RED
/// one.
#[tokio::test]
async fn dashboard_widgets_leave_out_what_the_reader_may_not_see() {
    use keelson_store::dashboards::QuerySource::{Alerts, Incidents};
    use keelson_store::dashboards::WidgetKind::{Chart, Table};
    use keelson_store::dashboards::{GroupBy, SavedQuery, Widget};

    for app in TestApp::on_both_backends(Default::default()).await {
        two_incidents(&app).await;
        let analyst = session(&app, "ana", Role::VsocAnalyst).await;
        let board = app
            .store
            .create_dashboard("ana", "Night shift")
            .await
            .expect("dashboard");
        let widgets = [
            (Chart, Alerts, GroupBy::Rule, None),
            (Chart, Alerts, GroupBy::Severity, Some(36_500)),
            (Table, Alerts, GroupBy::Severity, None),
            (Chart, Incidents, GroupBy::Rule, None),
            (Chart, Incidents, GroupBy::State, Some(36_500)),
            (Table, Incidents, GroupBy::Severity, None),
        ];
        for (n, (kind, source, group_by, days)) in widgets.into_iter().enumerate() {
            let widget = Widget {
                title: format!("Widget {n}"),
                kind,
                query: SavedQuery {
                    source,
                    days,
                    group_by,
                    ..SavedQuery::default()
                },
            };
            app.store
                .add_widget("ana", &board.id, widget)
                .await
                .expect("widget");
        }

        let (status, html) = page(&app, &analyst, &format!("/dashboards/{}", board.id)).await;
        assert_eq!(status, StatusCode::OK, "{html}");
        assert!(html.contains("Open door while driving"), "{html}");
        assert!(
            !html.contains("Sealed odometer"),
            "a widget shows the RED record"
        );
        assert!(
            !html.contains("0b7e3c1a-0000-4c55-8e61-000000000002"),
            "a chart names the RED rule"
        );
        for counted in [
            "<title>Open door while driving: 1</title>",
            "<title>high: 1</title>",
            "<title>0b7e3c1a-0000-4c55-8e61-000000000001: 1</title>",
            "<title>new: 1</title>",
        ] {
            assert!(html.contains(counted), "no {counted:?} in {html}");
        }
    }
}
