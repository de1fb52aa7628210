//! Imported TARAs on SQLite and PostgreSQL: an import stores every record,
//! the same file again writes nothing and appends no audit entry, a changed
//! record is updated, and a case links to and unlinks from the threat
//! scenarios it realises, each audited on the case.

use keelson_core::Tlp;
use keelson_core::tara::{self, TaraDocument};
use keelson_store::{ErrorKind, Store};
use serde_json::json;

keelson_store::on_both_backends!(
    an_import_stores_the_tara_and_a_second_import_writes_nothing,
    a_changed_record_is_updated_and_audited,
    a_case_links_and_unlinks_threat_scenarios,
);

const ACTOR: &str = "bob";

const TARA: &str = r#"{"kind": "tara", "id": "tcu-gen3", "title": "Telematics unit gen 3", "marking": {"tlp": "GREEN"}}
{"kind": "asset", "id": "A-1", "name": "Firmware image", "properties": ["integrity", "authenticity"]}
{"kind": "damage_scenario", "id": "DS-1", "description": "Vehicle runs foreign firmware", "assets": ["A-1"], "impacts": {"safety": "severe", "financial": "major", "operational": "major", "privacy": "negligible"}}
{"kind": "threat_scenario", "id": "TS-1", "description": "Unsigned image accepted over the air", "damage_scenarios": ["DS-1"], "feasibility": "medium", "risk_value": 4}
{"kind": "threat_scenario", "id": "TS-2", "description": "Image replaced on the bench", "damage_scenarios": ["DS-1"], "feasibility": "low", "risk_value": 3}
"#;

fn document(text: &str) -> TaraDocument {
    tara::parse(text).unwrap_or_else(|problems| panic!("{problems:?}"))
}

async fn import_entries(store: &Store) -> usize {
    let object = Some(("tara", "tcu-gen3"));
    let entries = store
        .audit_entries(object, 1000, None)
        .await
        .expect("audit");
    entries.iter().filter(|e| e.action == "tara.import").count()
}

async fn an_import_stores_the_tara_and_a_second_import_writes_nothing(store: &Store) {
    let first = store
        .import_tara(ACTOR, &document(TARA))
        .await
        .expect("import");
    assert_eq!((first.created, first.updated, first.unchanged), (4, 0, 0));
    assert_eq!(first.tara.marking.tlp, Tlp::Green);

    let again = store
        .import_tara(ACTOR, &document(TARA))
        .await
        .expect("again");
    assert_eq!((again.created, again.updated, again.unchanged), (0, 0, 4));
    assert_eq!(import_entries(store).await, 1);

    let content = store.tara_content("tcu-gen3").await.expect("content");
    let threats: Vec<&str> = content
        .threat_scenarios
        .iter()
        .map(|t| t.id.as_str())
        .collect();
    assert_eq!(threats, ["TS-1", "TS-2"]);
    assert_eq!(content.assets[0].properties, ["integrity", "authenticity"]);
}

async fn a_changed_record_is_updated_and_audited(store: &Store) {
    store
        .import_tara(ACTOR, &document(TARA))
        .await
        .expect("import");
    let changed = TARA.replace("\"risk_value\": 3", "\"risk_value\": 2");
    let second = store
        .import_tara(ACTOR, &document(&changed))
        .await
        .expect("again");
    assert_eq!(
        (second.created, second.updated, second.unchanged),
        (0, 1, 3)
    );
    assert_eq!(import_entries(store).await, 2);
    let content = store.tara_content("tcu-gen3").await.expect("content");
    assert_eq!(content.threat_scenarios[1].risk_value, 2);
}

async fn a_case_links_and_unlinks_threat_scenarios(store: &Store) {
    store
        .import_tara(ACTOR, &document(TARA))
        .await
        .expect("import");
    let case_id = keelson_store::testing::open_test_case(
        store,
        ACTOR,
        "OTA client skips the signature check",
    )
    .await;

    let link = |threat: &'static str| store.link_threat(ACTOR, &case_id, "tcu-gen3", threat);
    assert!(link("TS-1").await.expect("link"));
    assert!(
        !link("TS-1").await.expect("again"),
        "a second link writes nothing"
    );
    let missing = link("TS-9").await.expect_err("no such threat");
    assert_eq!(missing.kind(), ErrorKind::Invalid);

    let linked = store.case_threats(&case_id).await.expect("threats");
    assert_eq!(linked.len(), 1);
    assert_eq!(
        linked[0].threat.description,
        "Unsigned image accepted over the air"
    );
    assert_eq!(linked[0].marking.tlp, Tlp::Green);

    store
        .unlink_threat(ACTOR, &case_id, "tcu-gen3", "TS-1")
        .await
        .expect("unlink");
    let gone = store
        .unlink_threat(ACTOR, &case_id, "tcu-gen3", "TS-1")
        .await;
    assert_eq!(gone.map_err(|e| e.kind()).err(), Some(ErrorKind::NotFound));
    assert!(
        store
            .case_threats(&case_id)
            .await
            .expect("threats")
            .is_empty()
    );

    let history = store.case_history(&case_id).await.expect("history");
    let links: Vec<_> = history
        .iter()
        .filter(|e| e.action.starts_with("case.threat"))
        .map(|e| (e.action.as_str(), e.detail.clone()))
        .collect();
    let detail = json!({"tara_id": "tcu-gen3", "threat_id": "TS-1"});
    assert_eq!(
        links,
        [
            ("case.threat.link", detail.clone()),
            ("case.threat.unlink", detail)
        ]
    );
}
