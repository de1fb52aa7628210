//! Threat intelligence at rest on SQLite and PostgreSQL: an import stores each
//! object once per STIX ID and version (the same file again changes nothing and
//! appends no audit entry), a later `modified` replaces the row and an earlier one
//! does not, and a created indicator is audited and found by either of its IDs.

use keelson_core::{Marking, Tlp};
use keelson_store::Store;
use keelson_store::intel::NewIntelObject;
use serde_json::json;

keelson_store::on_both_backends!(
    an_import_is_idempotent_per_stix_id_and_version,
    a_created_indicator_is_audited_and_found_by_either_id,
    a_technique_is_found_by_its_external_id,
);

const ACTOR: &str = "ana";
const SOURCE: &str = "import:sha256:00ff";
const TECHNIQUE: &str = "attack-pattern--0f3e6f9c-4a59-4f1e-9d8e-0b7c6c1f2a10";

fn technique(modified: &str, modified_us: i64, name: &str) -> NewIntelObject {
    NewIntelObject {
        kind: "attack-pattern".to_owned(),
        stix_id: TECHNIQUE.to_owned(),
        created: "2026-01-01T00:00:00.000Z".to_owned(),
        modified: modified.to_owned(),
        modified_us,
        name: Some(name.to_owned()),
        external_id: Some("ATM-T0031".to_owned()),
        tactic: Some("initial-access".to_owned()),
        valid_from: None,
        valid_until: None,
        body: json!({"type": "attack-pattern", "name": name}),
        marking: Marking::new(Tlp::Green),
    }
}

async fn import_entries(store: &Store) -> usize {
    let entries = store
        .audit_entries(Some(("intel_import", SOURCE)), 1000, None)
        .await
        .expect("audit");
    entries
        .iter()
        .filter(|e| e.action == "intel.import")
        .count()
}

async fn an_import_is_idempotent_per_stix_id_and_version(store: &Store) {
    let first = vec![technique(
        "2026-01-01T00:00:00.000Z",
        1_000,
        "CAN injection",
    )];
    let stored = store
        .import_intel(ACTOR, SOURCE, &first)
        .await
        .expect("import");
    assert_eq!(stored.stored.get("attack-pattern"), Some(&1));
    let again = store
        .import_intel(ACTOR, SOURCE, &first)
        .await
        .expect("again");
    assert_eq!(again.unchanged.get("attack-pattern"), Some(&1));
    assert!(again.stored.is_empty() && again.updated.is_empty());
    assert_eq!(
        import_entries(store).await,
        1,
        "an unchanged import is not audited"
    );

    let later = vec![technique(
        "2026-02-01T00:00:00.000Z",
        2_000,
        "CAN frame injection",
    )];
    let updated = store
        .import_intel(ACTOR, SOURCE, &later)
        .await
        .expect("later");
    assert_eq!(updated.updated.get("attack-pattern"), Some(&1));
    let older = vec![technique("2025-12-01T00:00:00.000Z", 500, "stale")];
    let unchanged = store
        .import_intel(ACTOR, SOURCE, &older)
        .await
        .expect("older");
    assert_eq!(unchanged.unchanged.get("attack-pattern"), Some(&1));

    let rows = store
        .intel_objects(Some("attack-pattern"))
        .await
        .expect("list");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].name.as_deref(), Some("CAN frame injection"));
    assert_eq!(rows[0].modified, "2026-02-01T00:00:00.000Z");
    assert_eq!(import_entries(store).await, 2);
    assert!(store.verify_audit_chain().await.expect("chain").ok);
}

async fn a_created_indicator_is_audited_and_found_by_either_id(store: &Store) {
    let mut marking = Marking::new(Tlp::Amber);
    marking.shared_with_orgs.push("tier1".to_owned());
    let indicator = NewIntelObject {
        kind: "indicator".to_owned(),
        stix_id: "indicator--7b0e4e52-3c33-5f0a-9d1e-2f4b6a8c0d11".to_owned(),
        created: "2026-03-01T10:00:00.000Z".to_owned(),
        modified: "2026-03-01T10:00:00.000Z".to_owned(),
        modified_us: 3_000,
        name: Some("TCU C2 domain".to_owned()),
        external_id: None,
        tactic: None,
        valid_from: Some("2026-03-01T10:00:00Z".to_owned()),
        valid_until: None,
        body: json!({"type": "indicator", "pattern": "[domain-name:value = 'c2.example']"}),
        marking: marking.clone(),
    };
    let record = store
        .create_intel_object(ACTOR, "rec-1", &indicator)
        .await
        .expect("create");
    assert_eq!(record.source, "user:ana");
    assert_eq!(record.marking, marking);

    let by_stix = store
        .intel_object(&indicator.stix_id)
        .await
        .expect("by stix id");
    let by_id = store.intel_object("rec-1").await.expect("by id");
    assert_eq!(by_stix.as_ref().map(|r| r.id.as_str()), Some("rec-1"));
    assert_eq!(by_id.map(|r| r.stix_id), Some(indicator.stix_id.clone()));
    let entries = store
        .audit_entries(Some(("indicator", "rec-1")), 10, None)
        .await
        .expect("audit");
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].action, "indicator.create");

    let wrong = NewIntelObject {
        stix_id: "campaign--7b0e4e52-3c33-5f0a-9d1e-2f4b6a8c0d11".to_owned(),
        ..indicator
    };
    let refused = store.create_intel_object(ACTOR, "rec-2", &wrong).await;
    assert!(
        refused.is_err(),
        "an indicator under a campaign ID is refused"
    );
}

async fn a_technique_is_found_by_its_external_id(store: &Store) {
    let objects = vec![technique(
        "2026-01-01T00:00:00.000Z",
        1_000,
        "CAN injection",
    )];
    store
        .import_intel(ACTOR, SOURCE, &objects)
        .await
        .expect("import");
    let found = store
        .attack_patterns_by_external_id("ATM-T0031")
        .await
        .expect("lookup");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].tactic.as_deref(), Some("initial-access"));
    let none = store
        .attack_patterns_by_external_id("ATM-T9999")
        .await
        .expect("lookup");
    assert!(none.is_empty());
}
