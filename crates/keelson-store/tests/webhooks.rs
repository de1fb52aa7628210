//! Webhook deliveries on SQLite and PostgreSQL: a delivery starts pending,
//! each attempt is counted with its outcome, the last failed attempt fails
//! it, and the list filters by status.

use keelson_store::Store;
use keelson_store::webhooks::{Attempt, new_delivery_id};

keelson_store::on_both_backends!(every_attempt_is_recorded_and_the_last_one_decides,);

fn refused(last: bool) -> Attempt {
    Attempt {
        delivered: false,
        status_code: Some(503),
        error: Some("answered 503 Service Unavailable".to_owned()),
        last,
    }
}

async fn every_attempt_is_recorded_and_the_last_one_decides(store: &Store) {
    let url = "http://127.0.0.1:9/hook";
    let body = r#"{"id":"d","event":"case.transition","data":{}}"#;
    let failing = new_delivery_id();
    let created = store
        .create_delivery(url, "case.transition", &failing, body)
        .await
        .expect("create");
    assert_eq!((created.status.as_str(), created.attempts), ("pending", 0));

    let first = store
        .record_attempt(&failing, &refused(false))
        .await
        .expect("first");
    assert_eq!((first.status.as_str(), first.attempts), ("pending", 1));
    let last = store
        .record_attempt(&failing, &refused(true))
        .await
        .expect("last");
    assert_eq!((last.status.as_str(), last.attempts), ("failed", 2));
    assert_eq!(last.last_status_code, Some(503));
    assert_eq!(last.payload, body);

    let fine = new_delivery_id();
    store
        .create_delivery(url, "finding.kev", &fine, body)
        .await
        .expect("create");
    let accepted = Attempt {
        delivered: true,
        status_code: Some(204),
        error: None,
        last: false,
    };
    let delivered = store.record_attempt(&fine, &accepted).await.expect("ok");
    assert_eq!(
        (delivered.status.as_str(), delivered.last_error),
        ("delivered", None)
    );

    let failed = store.list_deliveries(Some("failed")).await.expect("list");
    assert_eq!(
        failed.iter().map(|d| d.id.as_str()).collect::<Vec<_>>(),
        [failing.as_str()]
    );
    assert_eq!(store.list_deliveries(None).await.expect("all").len(), 2);

    let unknown = store.list_deliveries(Some("sent")).await;
    let message = unknown.expect_err("an unknown status").to_string();
    assert_eq!(
        message,
        "invalid status: \"sent\" is not one of pending, delivered or failed"
    );
}
