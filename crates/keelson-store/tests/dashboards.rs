//! Custom dashboards at rest, on SQLite and PostgreSQL: a user's
//! dashboards list only their own, widgets keep their saved queries in
//! order, bad changes are refused with the field, and every change extends
//! the audit chain.

use keelson_core::Severity;
use keelson_store::Store;
use keelson_store::dashboards::{GroupBy, QuerySource, SavedQuery, Widget, WidgetKind};

keelson_store::on_both_backends!(
    widgets_keep_their_queries_in_order_and_each_change_is_audited,
    a_user_lists_only_their_own_dashboards_and_bad_changes_are_refused,
);

fn widget(title: &str, kind: WidgetKind, source: QuerySource) -> Widget {
    Widget {
        title: title.to_owned(),
        kind,
        query: SavedQuery {
            source,
            severity: Some(Severity::High),
            days: Some(7),
            group_by: GroupBy::Vehicle,
            ..SavedQuery::default()
        },
    }
}

async fn widgets_keep_their_queries_in_order_and_each_change_is_audited(store: &Store) {
    let audit_before = store.audit_len().await.expect("audit");
    let board = store
        .create_dashboard("ana", "Night shift")
        .await
        .expect("create");
    let first = widget(
        "High alerts per vehicle",
        WidgetKind::Chart,
        QuerySource::Alerts,
    );
    let second = widget("Open incidents", WidgetKind::Table, QuerySource::Incidents);
    store
        .add_widget("ana", &board.id, first.clone())
        .await
        .expect("first");
    store
        .add_widget("ana", &board.id, second.clone())
        .await
        .expect("second");

    let read = store
        .dashboard(&board.id)
        .await
        .expect("read")
        .expect("stored");
    assert_eq!(read.widgets, [first, second.clone()]);
    let after_removal = store
        .remove_widget("ana", &board.id, 0)
        .await
        .expect("remove");
    assert_eq!(after_removal.widgets, [second]);

    assert_eq!(store.audit_len().await.expect("audit"), audit_before + 4);
    let report = store.verify_audit_chain().await.expect("verify");
    assert!(report.ok, "{report:?}");
}

async fn a_user_lists_only_their_own_dashboards_and_bad_changes_are_refused(store: &Store) {
    let mine = store.create_dashboard("ana", "Mine").await.expect("mine");
    store.create_dashboard("bob", "Bob's").await.expect("bob's");
    let listed: Vec<String> = store
        .dashboards_of("ana")
        .await
        .expect("list")
        .into_iter()
        .map(|board| board.title)
        .collect();
    assert_eq!(listed, ["Mine"]);

    let blank = store.create_dashboard("ana", "  ").await;
    assert!(
        matches!(blank, Err(keelson_store::StoreError::Invalid { ref field, .. }) if field == "title"),
        "{blank:?}"
    );
    let missing = store.remove_widget("ana", &mine.id, 3).await;
    assert!(
        matches!(missing, Err(keelson_store::StoreError::NotFound { .. })),
        "{missing:?}"
    );
    let untitled = widget(" ", WidgetKind::Chart, QuerySource::Alerts);
    assert!(store.add_widget("ana", &mine.id, untitled).await.is_err());
    for index in 0..keelson_store::dashboards::MAX_WIDGETS {
        let one = widget(&format!("w{index}"), WidgetKind::Table, QuerySource::Alerts);
        store
            .add_widget("ana", &mine.id, one)
            .await
            .expect("within the cap");
    }
    let over = widget("one too many", WidgetKind::Table, QuerySource::Alerts);
    assert!(store.add_widget("ana", &mine.id, over).await.is_err());
}
