//! Threat intelligence through the real router, on SQLite and PostgreSQL: every
//! OASIS example bundle imports with counts per type the test takes from the JSON,
//! exports pass the OASIS STIX validator, techniques are found by a rule's ATM
//! tag, and each partner's TAXII collection carries exactly what TLP lets that
//! organisation receive: CLEAR and GREEN to all, AMBER only when shared with it,
//! RED never.

mod support;

use std::collections::{BTreeMap, BTreeSet};

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use keelson_core::Role;
use keelson_server::config::Config;
use keelson_server::taxii::collection_id;
use serde_json::{Value, json};
use support::{TestApp, body_json, error_code};

const EXAMPLES: &str = "stix/cti-stix2-json-schemas/examples";
const KEPT: [&str; 4] = [
    "indicator",
    "attack-pattern",
    "vulnerability",
    "relationship",
];

fn atm_sample() -> Vec<u8> {
    let path =
        keelson_testkit::repo_root().join("crates/keelson-server/tests/data/atm_sample.stix.json");
    std::fs::read(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

/// Objects per type, counted from the JSON alone.
fn counted_types(json: &Value) -> BTreeMap<String, u64> {
    let objects = match json["type"].as_str() {
        Some("bundle") => json["objects"].as_array().cloned().unwrap_or_default(),
        _ => vec![json.clone()],
    };
    let mut counts = BTreeMap::new();
    for object in objects {
        *counts
            .entry(object["type"].as_str().unwrap_or("?").to_owned())
            .or_default() += 1;
    }
    counts
}

fn as_counts(value: &Value) -> BTreeMap<String, u64> {
    serde_json::from_value(value.clone()).unwrap_or_default()
}

fn total(value: &Value) -> u64 {
    as_counts(value).values().sum()
}

/// The IDs of the vulnerability objects of the files, read from the JSON alone.
fn vulnerability_ids(files: &[std::path::PathBuf]) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    for file in files {
        let json: Value =
            serde_json::from_slice(&std::fs::read(file).expect("file")).expect("json");
        for object in json["objects"].as_array().into_iter().flatten() {
            if object["type"] == "vulnerability"
                && let Some(id) = object["id"].as_str()
            {
                ids.insert(id.to_owned());
            }
        }
    }
    ids
}

async fn import(app: &TestApp, token: &str, query: &str, bytes: Vec<u8>) -> (StatusCode, Value) {
    app.post_raw(&format!("/api/v1/intel/import{query}"), token, bytes)
        .await
}

#[tokio::test]
async fn every_example_bundle_imports_with_its_counts_and_exports_validly() {
    let Some(dir) = keelson_testkit::corpus_path(EXAMPLES) else {
        return;
    };
    let files = keelson_testkit::files_under(&dir, |p| p.extension().is_some_and(|e| e == "json"));
    for app in TestApp::on_both_backends(Config::default()).await {
        let admin = app.token_for("root", Role::Admin, None).await;
        for file in &files {
            let bytes = std::fs::read(file).expect("example");
            let json: Value = serde_json::from_slice(&bytes).expect("json");
            let expected = counted_types(&json);
            let (status, report) = import(&app, &admin, "?tlp=GREEN", bytes.clone()).await;
            assert!(status.is_success(), "{}: {report}", file.display());
            assert_eq!(
                as_counts(&report["objects"]),
                expected,
                "{}",
                file.display()
            );
            let kept: u64 = expected
                .iter()
                .filter(|(k, _)| KEPT.contains(&k.as_str()))
                .map(|(_, n)| n)
                .sum();
            let handled =
                total(&report["stored"]) + total(&report["updated"]) + total(&report["unchanged"]);
            assert_eq!(handled, kept, "{}: {report}", file.display());
            assert_eq!(
                total(&report["not_kept"]),
                expected.values().sum::<u64>() - kept
            );

            let (status, again) = import(&app, &admin, "?tlp=GREEN", bytes).await;
            assert_eq!(status, StatusCode::OK, "{again}");
            assert_eq!(
                total(&again["unchanged"]),
                kept,
                "the same bundle stores nothing"
            );
        }

        let (status, bundle) = app
            .get("/api/v1/intel/export?partner=acme", Some(&admin))
            .await;
        assert_eq!(status, StatusCode::OK, "{bundle}");
        let text = serde_json::to_vec_pretty(&bundle).expect("json");
        if let Some(verdict) = keelson_testkit::stix_validator_verdict(&text, "103") {
            let verdict: Value = serde_json::from_str(&verdict).expect("verdict");
            assert_eq!(verdict["valid"], true, "{verdict}");
        }
        let (_, again) = app
            .get("/api/v1/intel/export?partner=acme", Some(&admin))
            .await;
        assert_eq!(
            again, bundle,
            "a re-export is the same bundle, IDs included"
        );
        let exported: BTreeSet<String> = bundle["objects"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|o| o["type"] == "vulnerability")
            .filter_map(|o| o["id"].as_str().map(str::to_owned))
            .collect();
        assert_eq!(
            exported,
            vulnerability_ids(&files),
            "every CVE of the corpus goes out"
        );
    }
}

#[tokio::test]
async fn a_malformed_bundle_is_refused_with_the_pointer_of_the_fault() {
    let app = TestApp::new().await;
    let admin = app.token_for("root", Role::Admin, None).await;
    let bundle = json!({"type": "bundle", "id": "bundle--2f9c6d7e-5b1a-4c3d-8e2f-7a6b5c4d3e21",
        "objects": [{"type": "indicator", "spec_version": "2.1",
            "id": "indicator--7c2f5e3a-0f4d-4a8c-9e9b-3d4f5a6b7c83",
            "created": "2026-11-02T09:00:00.000Z", "modified": "2026-11-02T09:00:00.000Z",
            "pattern_type": "stix", "valid_from": "2026-11-02T09:00:00Z"}]});
    let (status, body) = import(&app, &admin, "", bundle.to_string().into_bytes()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(error_code(&body), "invalid");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("/objects/0/pattern"), "{message}");
    let (_, list) = app.get("/api/v1/indicators", Some(&admin)).await;
    assert_eq!(list["total"], 0, "nothing of a refused bundle is stored");
}

#[tokio::test]
async fn a_rules_atm_tag_names_an_imported_technique() {
    for app in TestApp::on_both_backends(Config::default()).await {
        let engineer = app.token_for("dee", Role::DetectionEngineer, None).await;
        let (status, report) = import(&app, &engineer, "?tlp=CLEAR", atm_sample()).await;
        assert_eq!(status, StatusCode::CREATED, "{report}");
        assert_eq!(report["stored"]["attack-pattern"], 2);
        assert_eq!(report["not_kept"], json!({"course-of-action": 1}));

        let sigma = "title: Key fob relay\nid: 4b5c6d7e-1111-4a2b-9c3d-000000000031\n\
                     status: test\nlogsource:\n    product: vehicle\n    category: telematics\n\
                     detection:\n    selection:\n        kind: keyless.unlock\n    \
                     condition: selection\ntags:\n    - atm.t0031\nlevel: high\n";
        let (status, rule) = app
            .post("/api/v1/rules", &engineer, &json!({"sigma": sigma}))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{rule}");
        let tag = rule["atm_tags"][0].as_str().expect("an ATM tag").to_owned();

        let (status, technique) = app
            .get(&format!("/api/v1/attack-patterns/{tag}"), Some(&engineer))
            .await;
        assert_eq!(status, StatusCode::OK, "{technique}");
        assert_eq!(technique["name"], "Relay of keyless entry radio");
        assert_eq!(technique["tactic"], "initial-access");
        let (_, by_tactic) = app
            .get("/api/v1/attack-patterns?tactic=impact", Some(&engineer))
            .await;
        assert_eq!(by_tactic["total"], 1);
        assert_eq!(by_tactic["items"][0]["external_id"], "ATM-T0012");
        let (status, _) = app
            .get("/api/v1/attack-patterns/ATM-T9999", Some(&engineer))
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
}

/// An indicator created through the API with `marking`; returns its STIX ID.
async fn indicator(app: &TestApp, token: &str, name: &str, marking: Value) -> String {
    let body = json!({"name": name, "description": format!("{name} (test)"),
        "pattern": format!("[domain-name:value = '{name}.example.invalid']"),
        "marking": marking});
    let (status, created) = app.post("/api/v1/indicators", token, &body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created["stix_id"].as_str().expect("stix id").to_owned()
}

async fn taxii(app: &TestApp, path: &str, token: &str) -> (StatusCode, Value, Option<String>) {
    let request = Request::get(path)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::ACCEPT, "application/taxii+json;version=2.1")
        .body(Body::empty())
        .expect("request");
    let response = app.respond(request).await;
    let status = response.status();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    (status, body_json(response).await, content_type)
}

/// The IDs of every object of a collection, following `next` pages of two.
async fn collection_ids(app: &TestApp, org: &str, token: &str) -> BTreeSet<String> {
    let base = format!(
        "/taxii2/api/collections/{}/objects/?limit=2",
        collection_id(org)
    );
    let mut ids = BTreeSet::new();
    let mut path = base.clone();
    for _ in 0..50 {
        let (status, page, content_type) = taxii(app, &path, token).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert_eq!(
            content_type.as_deref(),
            Some("application/taxii+json;version=2.1")
        );
        let objects = page["objects"].as_array().cloned().unwrap_or_default();
        assert!(objects.len() <= 2, "a page holds at most `limit` objects");
        ids.extend(
            objects
                .iter()
                .filter_map(|o| o["id"].as_str().map(str::to_owned)),
        );
        match page["next"].as_str() {
            Some(next) if page["more"] == true => path = format!("{base}&next={next}"),
            _ => return ids,
        }
    }
    panic!("paging did not end");
}

fn shared(tlp: &str, orgs: &[&str], readers: &[&str]) -> Value {
    json!({"tlp": tlp, "shared_with_orgs": orgs, "named_readers": readers})
}

#[tokio::test]
async fn each_partner_collection_carries_only_what_tlp_lets_it_receive() {
    for app in TestApp::on_both_backends(Config::default()).await {
        let analyst = app.token_for("ana", Role::VsocAnalyst, None).await;
        let acme = app.token_for("pat", Role::Partner, Some("acme")).await;
        let globex = app.token_for("gus", Role::Partner, Some("globex")).await;

        let clear = indicator(&app, &analyst, "clear", shared("CLEAR", &[], &[])).await;
        let green = indicator(&app, &analyst, "green", shared("GREEN", &[], &[])).await;
        let amber_acme = indicator(
            &app,
            &analyst,
            "amber-acme",
            shared("AMBER", &["acme"], &[]),
        )
        .await;
        let strict_acme = indicator(
            &app,
            &analyst,
            "strict-acme",
            shared("AMBER+STRICT", &["acme"], &[]),
        )
        .await;
        let amber_globex = indicator(
            &app,
            &analyst,
            "amber-globex",
            shared("AMBER", &["globex"], &[]),
        )
        .await;
        let amber_nobody =
            indicator(&app, &analyst, "amber-nobody", shared("AMBER", &[], &[])).await;
        let red = indicator(
            &app,
            &analyst,
            "red",
            shared("RED", &["acme"], &["ana", "pat"]),
        )
        .await;
        let (status, _) = import(&app, &analyst, "", atm_sample()).await;
        assert_eq!(status, StatusCode::CREATED);

        let acme_ids = collection_ids(&app, "acme", &acme).await;
        for id in [&clear, &green, &amber_acme, &strict_acme] {
            assert!(acme_ids.contains(id), "acme should receive {id}");
        }
        for id in [&amber_globex, &amber_nobody, &red] {
            assert!(!acme_ids.contains(id), "acme must not receive {id}");
        }
        let globex_ids = collection_ids(&app, "globex", &globex).await;
        assert!(globex_ids.contains(&amber_globex) && globex_ids.contains(&clear));
        for id in [&amber_acme, &strict_acme, &amber_nobody, &red] {
            assert!(!globex_ids.contains(id), "globex must not receive {id}");
        }

        // The sample's AMBER indicator is shared with no one, so its CLEAR link to
        // a CLEAR technique stays home too; the technique itself goes.
        let technique = "attack-pattern--5a0f3c1e-8d2b-4e6a-9c7f-1b2d3e4f5a61";
        let link = "relationship--8d3a6f4b-1a5e-4b9d-8f0c-4e5a6b7c8d94";
        assert!(acme_ids.contains(technique) && !acme_ids.contains(link));

        // The RED indicator is absent even for a partner named on it, by ID too.
        let acme_collection = collection_id("acme");
        let path = format!("/taxii2/api/collections/{acme_collection}/objects/{red}/");
        assert_eq!(taxii(&app, &path, &acme).await.0, StatusCode::NOT_FOUND);
        let path =
            format!("/taxii2/api/collections/{acme_collection}/objects/{amber_acme}/versions/");
        let (status, versions, _) = taxii(&app, &path, &acme).await;
        assert_eq!(status, StatusCode::OK, "{versions}");
        assert_eq!(versions["versions"].as_array().map(Vec::len), Some(1));

        // A partner sees only its own collection; another's is a 404.
        let (_, collections, _) = taxii(&app, "/taxii2/api/collections/", &acme).await;
        let listed: Vec<&str> = collections["collections"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| c["id"].as_str())
            .collect();
        assert_eq!(listed, [acme_collection.as_str()]);
        assert_eq!(collections["collections"][0]["can_write"], false);
        let other = format!(
            "/taxii2/api/collections/{}/objects/",
            collection_id("globex")
        );
        let (status, error, _) = taxii(&app, &other, &acme).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{error}");
        assert_eq!(error["http_status"], "404");
    }
}

#[tokio::test]
async fn taxii_filters_page_and_name_its_media_type() {
    let app = TestApp::new().await;
    let analyst = app.token_for("ana", Role::VsocAnalyst, None).await;
    let acme = app.token_for("pat", Role::Partner, Some("acme")).await;
    let first = indicator(&app, &analyst, "first", shared("GREEN", &[], &[])).await;
    let (status, _) = import(&app, &analyst, "?tlp=GREEN", atm_sample()).await;
    assert_eq!(status, StatusCode::CREATED);
    let objects = format!("/taxii2/api/collections/{}/objects/", collection_id("acme"));

    let (status, discovery, _) = taxii(&app, "/taxii2/", &acme).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(discovery["api_roots"], json!(["/taxii2/api/"]));
    let (_, root, _) = taxii(&app, "/taxii2/api/", &acme).await;
    assert_eq!(
        root["versions"],
        json!(["application/taxii+json;version=2.1"])
    );

    let (_, indicators, _) = taxii(&app, &format!("{objects}?match[type]=indicator"), &acme).await;
    let kinds: BTreeSet<&str> = indicators["objects"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|o| o["type"].as_str())
        .collect();
    assert_eq!(kinds, BTreeSet::from(["indicator"]));
    // The sample's own indicator is marked AMBER (TLP 1.0), which `?tlp=GREEN`
    // does not override: only unmarked objects take the default.
    assert_eq!(indicators["objects"].as_array().map(Vec::len), Some(1));

    // Everything added after the API-created indicator is the imported sample.
    let manifest_path = format!(
        "/taxii2/api/collections/{}/manifest/",
        collection_id("acme")
    );
    let (status, manifest, _) = taxii(&app, &manifest_path, &acme).await;
    assert_eq!(status, StatusCode::OK, "{manifest}");
    let entry = manifest["objects"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|entry| entry["id"] == first.as_str())
        .cloned()
        .expect("the indicator is in the manifest");
    assert_eq!(entry["media_type"], "application/stix+json;version=2.1");
    let after = entry["date_added"].as_str().expect("date_added");
    let (_, later, _) = taxii(&app, &format!("{objects}?added_after={after}"), &acme).await;
    let later_ids: BTreeSet<&str> = later["objects"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|o| o["id"].as_str())
        .collect();
    assert!(!later_ids.contains(first.as_str()));
    assert!(later_ids.contains("attack-pattern--6b1e4d2f-9e3c-4f7b-8d8a-2c3e4f5a6b72"));

    let request = Request::get(&objects)
        .header(header::AUTHORIZATION, format!("Bearer {acme}"))
        .header(header::ACCEPT, "application/taxii+json;version=2.0")
        .body(Body::empty())
        .expect("request");
    assert_eq!(
        app.respond(request).await.status(),
        StatusCode::NOT_ACCEPTABLE
    );
    let anonymous = Request::get(&objects).body(Body::empty()).expect("request");
    assert_eq!(
        app.respond(anonymous).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn indicators_pass_the_clearance_gate_and_refuse_bad_fields() {
    let app = TestApp::new().await;
    let analyst = app.token_for("ana", Role::VsocAnalyst, None).await;
    let acme = app.token_for("pat", Role::Partner, Some("acme")).await;
    let green = indicator(&app, &analyst, "green", shared("GREEN", &[], &[])).await;
    let amber = indicator(&app, &analyst, "amber", shared("AMBER", &[], &[])).await;

    let (_, list) = app.get("/api/v1/indicators", Some(&acme)).await;
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["stix_id"], green.as_str());
    let (status, _) = app
        .get(&format!("/api/v1/indicators/{amber}"), Some(&acme))
        .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "above clearance looks absent"
    );
    let (_, amber_only) = app
        .get("/api/v1/indicators?tlp=AMBER", Some(&analyst))
        .await;
    assert_eq!(amber_only["total"], 1);

    let bad = json!({"name": "x", "pattern": "[x]", "valid_from": "yesterday"});
    let (status, body) = app.post("/api/v1/indicators", &analyst, &bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("/valid_from"), "{message}");
    let (status, _) = app
        .post(
            "/api/v1/indicators",
            &acme,
            &json!({"name": "x", "pattern": "[x]"}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "partners do not create indicators"
    );
}

#[tokio::test]
async fn intel_and_taxii_routes_are_in_the_openapi_document() {
    let app = TestApp::new().await;
    let (status, document) = app.get("/api/openapi.json", None).await;
    assert_eq!(status, StatusCode::OK);
    for path in [
        "/api/v1/indicators",
        "/api/v1/indicators/{id}",
        "/api/v1/attack-patterns",
        "/api/v1/attack-patterns/{id}",
        "/api/v1/intel/import",
        "/api/v1/intel/export",
        "/taxii2/",
        "/taxii2/api/collections/{id}/objects/",
        "/taxii2/api/collections/{id}/objects/{object_id}/versions/",
    ] {
        assert!(
            document["paths"][path].is_object(),
            "{path} missing from OpenAPI"
        );
    }
}
