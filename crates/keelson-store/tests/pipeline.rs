//! The telemetry pipeline's store parts on SQLite and PostgreSQL: log
//! uploads through their states, retention per source with one audit entry
//! per run, and quarantine replays settled under the original keys.

use keelson_core::{Marking, Severity, Tlp};
use keelson_store::Store;
use keelson_store::alerts::Sighting;
use keelson_store::replay::Replayed;
use keelson_store::retention::RetentionRule;
use keelson_store::telemetry::{EventFilter, NewEvent, NewQuarantined, Quarantined};
use keelson_store::uploads::{NewUpload, UploadStatus, UploadTotals};

keelson_store::on_both_backends!(
    uploads_move_from_queued_to_done_with_totals,
    retention_deletes_only_old_events_of_the_named_source,
    retention_keeps_events_an_alert_cites,
    replay_stores_decoded_records_under_their_key_and_keeps_failures,
);

fn event(key: &str, source: &str, received_time_us: i64) -> NewEvent {
    NewEvent {
        dedup_key: key.to_owned(),
        event_id: None,
        vehicle_id: Some("veh-1".to_owned()),
        source: source.to_owned(),
        kind: "can.frame".to_owned(),
        vehicle_time_us: None,
        received_time_us,
        ecu: None,
        build_id: None,
        attributes: "{}".to_owned(),
    }
}

async fn actions(store: &Store) -> Vec<String> {
    let entries = store.audit_entries(None, 1000, None).await.expect("audit");
    // Oldest first.
    entries
        .into_iter()
        .rev()
        .map(|entry| entry.action)
        .collect()
}

async fn uploads_move_from_queued_to_done_with_totals(store: &Store) {
    let new = NewUpload {
        id: "job-1".to_owned(),
        vehicle_id: "veh-1".to_owned(),
        sha256: "ab".repeat(32),
        size: 1234,
        uploaded_by: "ana".to_owned(),
        format: Some("candump".to_owned()),
    };
    store.record_upload("ana", &new).await.expect("record");
    assert_eq!(
        store.unfinished_uploads().await.expect("unfinished").len(),
        1
    );

    let totals = UploadTotals {
        accepted: 10,
        duplicates: 2,
        quarantined: 1,
    };
    store
        .set_upload_status("upload:ana", "job-1", UploadStatus::Done, totals, None)
        .await
        .expect("done");

    let listed = store.list_uploads("veh-1").await.expect("list");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].status, UploadStatus::Done);
    assert_eq!(listed[0].totals, totals);
    assert_eq!(listed[0].size, 1234);
    assert!(listed[0].finished_at.is_some());
    assert!(store.unfinished_uploads().await.expect("none").is_empty());
    assert!(store.list_uploads("veh-2").await.expect("other").is_empty());
    let audit = actions(store).await;
    assert!(audit.contains(&"log_upload.create".to_owned()), "{audit:?}");
    assert!(audit.contains(&"log_upload.done".to_owned()), "{audit:?}");
    let missing = store
        .set_upload_status("x", "no-such-job", UploadStatus::Done, totals, None)
        .await;
    assert!(missing.is_err());
}

async fn retention_deletes_only_old_events_of_the_named_source(store: &Store) {
    let day = 86_400_000_000i64;
    let events = vec![
        event("old-can", "can", 10 * day),
        event("new-can", "can", 40 * day),
        event("old-ids", "ids", 10 * day),
    ];
    store.store_events("test", &events).await.expect("store");
    let before = actions(store).await.len();

    let rules = [RetentionRule {
        source: "can".to_owned(),
        cutoff_us: 30 * day,
    }];
    let counts = store
        .apply_retention("system:retention", &rules)
        .await
        .expect("apply");

    assert_eq!(counts.len(), 1);
    assert_eq!(counts[0].deleted, 1);
    assert_eq!(counts[0].kept_cited, 0);
    let mut left: Vec<String> = store
        .list_events(&EventFilter::default(), None, 10)
        .await
        .expect("list")
        .items
        .into_iter()
        .map(|event| format!("{}@{}", event.source, event.received_time))
        .collect();
    left.sort();
    assert_eq!(
        left,
        vec!["can@1970-02-10T00:00:00Z", "ids@1970-01-11T00:00:00Z"]
    );
    let audit = actions(store).await;
    assert_eq!(audit.len(), before + 1, "one entry per run");
    assert_eq!(
        audit.last().map(String::as_str),
        Some("telemetry.retention")
    );
    assert!(store.verify_audit_chain().await.expect("verify").ok);
}

/// An alert citing the events stored under `keys`.
fn citing(keys: &[&str]) -> Sighting {
    Sighting {
        rule_id: "r-1".to_owned(),
        sigma_rule: "r-1".to_owned(),
        title: "Injected frames".to_owned(),
        severity: Severity::High,
        test: false,
        heightened: false,
        correlation: false,
        vehicle_id: Some("veh-1".to_owned()),
        build_id: None,
        first_seen_us: 0,
        last_seen_us: 0,
        count: 1,
        evidence: keys.iter().map(|key| (*key).to_owned()).collect(),
        atm_tags: Vec::new(),
        marking: Marking::new(Tlp::Green),
    }
}

async fn retention_keeps_events_an_alert_cites(store: &Store) {
    let day = 86_400_000_000i64;
    let events = vec![
        event("old-cited", "can", 10 * day),
        event("old-uncited", "can", 10 * day),
    ];
    store.store_events("test", &events).await.expect("store");
    let raised = store
        .record_sightings("test", vec![citing(&["old-cited"])], 0, 0)
        .await
        .expect("alert");
    let alert_id = raised[0].1.id.clone();

    let rules = [RetentionRule {
        source: "can".to_owned(),
        cutoff_us: 30 * day,
    }];
    let counts = store
        .apply_retention("system:retention", &rules)
        .await
        .expect("apply");

    assert_eq!((counts[0].deleted, counts[0].kept_cited), (1, 1));
    assert_eq!(store.count_events().await.expect("count"), 1);
    let cited = store.cited_events(&alert_id).await.expect("cited");
    let keys: Vec<&str> = cited.iter().map(|event| event.key.as_str()).collect();
    assert_eq!(keys, ["old-cited"]);
}

async fn replay_stores_decoded_records_under_their_key_and_keeps_failures(store: &Store) {
    let record = |position: &str, key: &str| NewQuarantined {
        dedup_key: key.to_owned(),
        source: "file".to_owned(),
        origin: "capture.log".to_owned(),
        position: position.to_owned(),
        reason: "invalid event".to_owned(),
        raw: b"raw".to_vec(),
        format: Some("ndjson".to_owned()),
        vehicle_id: Some("veh-1".to_owned()),
        record_key: Some(key.to_owned()),
    };
    let outcomes = store
        .quarantine(
            "test",
            vec![record("line 1", "file:k1"), record("line 2", "file:k2")],
        )
        .await
        .expect("quarantine");
    let ids: Vec<String> = outcomes
        .into_iter()
        .filter_map(|outcome| match outcome {
            Quarantined::Added { id } => Some(id),
            Quarantined::AlreadyKept => None,
        })
        .collect();

    let pending = store.pending_quarantine(None, 10).await.expect("pending");
    assert_eq!(pending.len(), 2);
    assert_eq!(pending[0].record_key.as_deref(), Some("file:k1"));
    assert_eq!(pending[0].raw, b"raw");

    let results = vec![
        Replayed::Decoded {
            id: ids[0].clone(),
            events: vec![event("file:k1", "can", 5)],
        },
        Replayed::StillFailing {
            id: ids[1].clone(),
            reason: "still broken".to_owned(),
        },
    ];
    let counts = store.settle_replay("test", results).await.expect("settle");

    assert_eq!(
        (counts.replayed, counts.accepted, counts.still_quarantined),
        (1, 1, 1)
    );
    let left = store
        .list_quarantine(false, None, 10)
        .await
        .expect("left")
        .items;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].reason, "still broken");
    assert_eq!(store.count_events().await.expect("count"), 1);
    let again = store
        .pending_quarantine(Some(&ids[1]), 10)
        .await
        .expect("after");
    assert!(again.is_empty());
    let replayed = store
        .list_quarantine(true, None, 10)
        .await
        .expect("all")
        .items;
    assert!(
        replayed
            .iter()
            .any(|r| r.id == ids[0] && r.replayed_at.is_some())
    );
}
