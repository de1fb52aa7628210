//! Telemetry lists and the quarantine on SQLite and PostgreSQL: a record is
//! kept once under its key with its exact bytes, given back losslessly, and
//! both lists page by keyset cursor with a filtered total.

use std::collections::HashSet;

use keelson_store::audit::state_digest;
use keelson_store::telemetry::{
    Cursor, EventFilter, NewEvent, NewQuarantined, Quarantined, Stored,
};
use keelson_store::{ErrorKind, Store};

keelson_store::on_both_backends!(
    raw_bytes_come_back_exactly_as_base64_and_as_text_when_utf8,
    a_record_arriving_again_is_kept_once,
    equal_bytes_at_two_places_stay_two_records,
    a_reason_quoting_a_nul_is_stored,
    events_page_newest_first_through_every_row_once,
    quarantine_pages_oldest_first_and_counts_what_it_lists,
    a_cursor_the_list_never_gave_is_invalid,
    a_large_batch_answers_each_event_exactly,
);

fn record(key: &str, position: &str, raw: &[u8]) -> NewQuarantined {
    NewQuarantined {
        dedup_key: key.to_owned(),
        source: "file".to_owned(),
        origin: "capture.log".to_owned(),
        position: position.to_owned(),
        reason: "bad hex".to_owned(),
        raw: raw.to_vec(),
        format: Some("candump".to_owned()),
        vehicle_id: None,
        record_key: None,
    }
}

fn added(outcomes: &[Quarantined]) -> usize {
    outcomes
        .iter()
        .filter(|outcome| matches!(outcome, Quarantined::Added { .. }))
        .count()
}

async fn all_quarantined(store: &Store) -> Vec<keelson_store::telemetry::QuarantinedRecord> {
    store
        .list_quarantine(true, None, 1000)
        .await
        .expect("list")
        .items
}

async fn raw_bytes_come_back_exactly_as_base64_and_as_text_when_utf8(store: &Store) {
    let records = vec![
        record("k-binary", "line 1", &[0xff, b'x', 0]),
        record("k-text", "line 2", "é\n".as_bytes()),
    ];
    store.quarantine("t", records).await.expect("quarantine");

    let listed = all_quarantined(store).await;
    let binary = listed
        .iter()
        .find(|r| r.position == "line 1")
        .expect("binary");
    // Base64 of ff 78 00 and of c3 a9 0a, worked out by hand from RFC 4648.
    assert_eq!(binary.raw_base64, "/3gA");
    assert_eq!((binary.raw.as_deref(), binary.raw_size), (None, 3));
    let text = listed
        .iter()
        .find(|r| r.position == "line 2")
        .expect("text");
    assert_eq!(text.raw_base64, "w6kK");
    assert_eq!((text.raw.as_deref(), text.raw_size), (Some("é\n"), 3));
}

async fn a_record_arriving_again_is_kept_once(store: &Store) {
    let first = store
        .quarantine("t", vec![record("k-1", "line 7", b"bad")])
        .await
        .expect("first");
    let audit_after_first = store.audit_len().await.expect("audit");

    let again = store
        .quarantine(
            "t",
            vec![
                record("k-1", "line 7", b"bad"),
                record("k-1", "line 7", b"bad"),
            ],
        )
        .await
        .expect("again");

    assert!(matches!(first.as_slice(), [Quarantined::Added { .. }]));
    assert_eq!(again, [Quarantined::AlreadyKept, Quarantined::AlreadyKept]);
    assert_eq!(all_quarantined(store).await.len(), 1);
    assert_eq!(
        store.audit_len().await.expect("audit"),
        audit_after_first,
        "nothing added, nothing audited"
    );
}

async fn equal_bytes_at_two_places_stay_two_records(store: &Store) {
    let outcomes = store
        .quarantine(
            "t",
            vec![
                record("k-line-3", "line 3", b"junk"),
                record("k-line-9", "line 9", b"junk"),
            ],
        )
        .await
        .expect("quarantine");

    assert_eq!(added(&outcomes), 2);
    let mut positions: Vec<String> = all_quarantined(store)
        .await
        .into_iter()
        .map(|r| r.position)
        .collect();
    positions.sort();
    assert_eq!(positions, ["line 3", "line 9"]);
}

async fn a_reason_quoting_a_nul_is_stored(store: &Store) {
    let mut hostile = record("k-nul", "line 1", b"{\"source\":\"\\u0000\"}");
    hostile.reason = "invalid event: unknown variant `\0`".to_owned();

    let outcomes = store.quarantine("t", vec![hostile]).await.expect("stored");

    assert_eq!(added(&outcomes), 1);
    let listed = all_quarantined(store).await;
    assert_eq!(listed[0].reason, "invalid event: unknown variant `\\0`");
}

fn event(key: &str, vehicle: &str, received_time_us: i64) -> NewEvent {
    NewEvent {
        dedup_key: key.to_owned(),
        event_id: Some(key.to_owned()),
        vehicle_id: Some(vehicle.to_owned()),
        source: "ids".to_owned(),
        kind: "ids.qsev".to_owned(),
        vehicle_time_us: None,
        received_time_us,
        ecu: None,
        build_id: None,
        attributes: "{}".to_owned(),
    }
}

/// Every page of the event list, following `next` until it is null.
async fn event_pages(store: &Store, filter: &EventFilter, limit: u64) -> (Vec<Vec<String>>, u64) {
    let mut pages = Vec::new();
    let mut cursor: Option<Cursor> = None;
    let mut totals = Vec::new();
    loop {
        let page = store
            .list_events(filter, cursor.as_ref(), limit)
            .await
            .expect("page");
        totals.push(page.total);
        pages.push(page.items.into_iter().filter_map(|e| e.event_id).collect());
        match page.next {
            Some(next) => cursor = Some(Cursor::decode(&next).expect("cursor")),
            None => break,
        }
    }
    totals.dedup();
    assert_eq!(totals.len(), 1, "the total is the same on every page");
    (pages, totals[0])
}

async fn events_page_newest_first_through_every_row_once(store: &Store) {
    // Three events share one received time, so the key breaks the tie.
    let events = vec![
        event("e1", "v1", 100),
        event("e2", "v2", 200),
        event("e3", "v1", 200),
        event("e4", "v1", 200),
        event("e5", "v1", 300),
    ];
    store.store_events("t", &events).await.expect("store");

    let (pages, total) = event_pages(store, &EventFilter::default(), 2).await;

    assert_eq!(total, 5);
    assert_eq!(pages, [vec!["e5", "e4"], vec!["e3", "e2"], vec!["e1"]]);
    let only_v1 = EventFilter {
        vehicle_id: Some("v1".to_owned()),
    };
    let (pages, total) = event_pages(store, &only_v1, 3).await;
    assert_eq!(total, 4);
    assert_eq!(pages, [vec!["e5", "e4", "e3"], vec!["e1"]]);
}

async fn quarantine_pages_oldest_first_and_counts_what_it_lists(store: &Store) {
    for batch in [["q-a", "q-b"], ["q-c", "q-d"]] {
        let records = batch.iter().map(|key| record(key, key, b"x")).collect();
        store.quarantine("t", records).await.expect("quarantine");
    }
    let first = store.list_quarantine(false, None, 3).await.expect("first");
    let next = Cursor::decode(first.next.as_deref().expect("a second page")).expect("cursor");
    let second = store
        .list_quarantine(false, Some(&next), 3)
        .await
        .expect("second");

    let mut seen: Vec<String> = first.items.iter().map(|r| r.position.clone()).collect();
    seen.extend(second.items.iter().map(|r| r.position.clone()));
    assert_eq!((first.total, second.total, second.next), (4, 4, None));
    assert_eq!(seen.len(), 4);
    let mut older = seen[..2].to_vec();
    older.sort();
    assert_eq!(older, ["q-a", "q-b"], "the older batch comes first");
    seen.sort();
    assert_eq!(seen, ["q-a", "q-b", "q-c", "q-d"]);

    store
        .mark_replayed("t", &first.items[0].id)
        .await
        .expect("replayed");
    let pending = store
        .list_quarantine(false, None, 10)
        .await
        .expect("pending");
    assert_eq!((pending.total, pending.items.len()), (3, 3));
}

async fn a_cursor_the_list_never_gave_is_invalid(store: &Store) {
    let error = Cursor::decode("not a cursor!").expect_err("garbage");
    assert_eq!(error.kind(), ErrorKind::Invalid);
    let page = store
        .list_events(&EventFilter::default(), None, 10)
        .await
        .expect("empty list");
    assert_eq!((page.items.len(), page.total, page.next), (0, 0, None));
}

/// A batch larger than one insert statement, with keys stored by an earlier
/// batch and keys repeated inside it (across statement boundaries too):
/// each event is answered as its own, the first place of a new key alone
/// is accepted, and the audit entry covers exactly the keys stored.
async fn a_large_batch_answers_each_event_exactly(store: &Store) {
    let earlier: Vec<NewEvent> = [5, 1_030, 2_050, 9_999]
        .iter()
        .map(|n| event(&format!("k-{n}"), "v1", 100))
        .collect();
    store
        .store_events("t", &earlier)
        .await
        .expect("earlier batch");

    let mut batch: Vec<NewEvent> = (0..2_900)
        .map(|n| event(&format!("k-{n}"), &format!("v{}", n % 7), 200))
        .collect();
    for n in (0..3_000).step_by(30) {
        batch.push(event(&format!("k-{n}"), "v1", 200));
    }
    let mut seen: HashSet<String> = earlier.iter().map(|e| e.dedup_key.clone()).collect();
    let expected: Vec<Stored> = batch
        .iter()
        .map(|e| match seen.insert(e.dedup_key.clone()) {
            true => Stored::Accepted,
            false => Stored::Duplicate,
        })
        .collect();
    let fresh: Vec<&str> = batch
        .iter()
        .zip(&expected)
        .filter(|(_, outcome)| **outcome == Stored::Accepted)
        .map(|(e, _)| e.dedup_key.as_str())
        .collect();

    let outcomes = store.store_events("t", &batch).await.expect("batch");

    assert_eq!(outcomes, expected);
    assert_eq!(
        fresh.len(),
        2_900,
        "2,897 of k-0 to k-2899, and k-2910, k-2940, k-2970"
    );
    let stored = store.count_events().await.expect("count");
    assert_eq!(stored, (earlier.len() + fresh.len()) as u64);
    let entry = store.audit_entries(None, 1, None).await.expect("audit");
    assert_eq!(entry[0].detail.as_deref(), Some("2900 accepted"));
    let digest = state_digest(&serde_json::json!(fresh));
    assert_eq!(entry[0].after_digest.as_deref(), Some(digest.as_str()));

    let again = store.store_events("t", &batch).await.expect("replay");
    assert!(again.iter().all(|outcome| *outcome == Stored::Duplicate));
    assert_eq!(
        store.audit_len().await.expect("audit"),
        2,
        "a replay adds no entry"
    );
}
