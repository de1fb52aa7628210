//! The store suite, run once on SQLite and once on PostgreSQL: every test
//! body takes an open store and must pass on both back ends.

use keelson_core::{Marking, Role, Severity, Tlp};
use keelson_store::alerts::{AlertFilter, Raised, Sighting};
use keelson_store::feeds::FeedFile;
use keelson_store::fleet::{SoftwareBuild, Vehicle, VehicleModel};
use keelson_store::installations::{Ecu, Installed, NewInstallation};
use keelson_store::rules::{Imported, NewRule, RuleScope, RuleStatus};
use keelson_store::sboms::{Attached, NewSbom, Subject};
use keelson_store::suppliers::{RegisterChange, SupplierEntry};
use keelson_store::telemetry::{EventFilter, NewEvent, NewQuarantined, Quarantined, Stored};
use keelson_store::users::NewUser;
use keelson_store::{ErrorKind, Store};
use sha2::Digest;

keelson_store::on_both_backends!(
    users_are_created_found_and_unique,
    partner_without_organisation_is_refused,
    tokens_authenticate_until_revoked_or_expired,
    every_change_extends_a_verifying_chain,
    a_verification_from_a_mark_checks_the_marked_entry_and_those_after,
    fleet_records_keep_their_marking,
    a_vehicle_keeps_a_vin_only_as_its_keyed_hash,
    reopening_applies_no_migration_twice,
    events_are_stored_once_across_batches,
    quarantine_keeps_raw_bytes_until_replayed,
    feed_files_are_kept_once_in_import_order,
    sboms_attach_to_existing_builds_once,
    the_supplier_register_is_replaced_whole_and_idempotently,
    installing_a_build_closes_the_slot_and_keeps_history,
    rules_keep_status_scope_and_marking_with_audit,
    rule_import_is_idempotent_by_id_and_digest,
    sightings_merge_within_the_window_and_link_their_events,
);

fn new_user(name: &str, role: Role, org: Option<&str>) -> NewUser {
    NewUser {
        name: name.to_owned(),
        role,
        organisation: org.map(str::to_owned),
        password_hash: "$argon2id$not-a-real-hash".to_owned(),
    }
}

async fn users_are_created_found_and_unique(store: &Store) {
    let created = store
        .create_user("system", new_user("ana", Role::VsocAnalyst, None))
        .await;
    let created = created.expect("create");
    assert_eq!(created.role, Role::VsocAnalyst);

    let found = store
        .user_by_name("ana")
        .await
        .expect("query")
        .expect("found");
    assert_eq!(found, created);
    let (_, hash) = store
        .user_credentials("ana")
        .await
        .expect("query")
        .expect("found");
    assert_eq!(hash, "$argon2id$not-a-real-hash");

    let again = store
        .create_user("system", new_user("ana", Role::Admin, None))
        .await;
    assert_eq!(again.expect_err("duplicate").kind(), ErrorKind::Conflict);
    assert_eq!(store.count_users().await.expect("count"), 1);
}

async fn partner_without_organisation_is_refused(store: &Store) {
    let refused = store
        .create_user("system", new_user("pat", Role::Partner, None))
        .await;
    assert_eq!(refused.expect_err("no org").kind(), ErrorKind::Invalid);
    let bad_name = store
        .create_user("system", new_user("a b", Role::Admin, None))
        .await;
    assert_eq!(bad_name.expect_err("space").kind(), ErrorKind::Invalid);
    assert_eq!(store.count_users().await.expect("count"), 0);
}

async fn tokens_authenticate_until_revoked_or_expired(store: &Store) {
    let user = store
        .create_user("system", new_user("ana", Role::Admin, None))
        .await
        .expect("user");
    let live = store
        .create_token("system", &user.id, "ci", "hash-live", None)
        .await
        .expect("t");
    let past = keelson_store::now_us() - 1;
    store
        .create_token("system", &user.id, "old", "hash-expired", Some(past))
        .await
        .expect("t");

    let (token, who) = store
        .authenticate_token("hash-live")
        .await
        .expect("q")
        .expect("live");
    assert_eq!(
        (token.id.as_str(), who.name.as_str()),
        (live.id.as_str(), "ana")
    );
    assert!(
        store
            .authenticate_token("hash-expired")
            .await
            .expect("q")
            .is_none()
    );
    assert!(
        store
            .authenticate_token("hash-unknown")
            .await
            .expect("q")
            .is_none()
    );

    let revoked = store
        .revoke_token("system", &live.id)
        .await
        .expect("revoke");
    assert!(revoked.revoked_at.is_some());
    assert!(
        store
            .authenticate_token("hash-live")
            .await
            .expect("q")
            .is_none()
    );
}

async fn every_change_extends_a_verifying_chain(store: &Store) {
    let fresh = store.verify_audit_chain().await.expect("verify");
    assert!(fresh.ok);
    assert_eq!(fresh.entries, 0);

    let user = store
        .create_user("system", new_user("ana", Role::Admin, None))
        .await
        .expect("u");
    let token = store
        .create_token("ana", &user.id, "t", "h", None)
        .await
        .expect("t");
    store.revoke_token("ana", &token.id).await.expect("revoke");

    let report = store.verify_audit_chain().await.expect("verify");
    assert_eq!(
        (report.ok, report.entries, report.first_broken),
        (true, 3, None)
    );
    let entries = store.audit_entries(None, 10, None).await.expect("entries");
    let actions: Vec<&str> = entries.iter().map(|entry| entry.action.as_str()).collect();
    assert_eq!(actions, ["token.revoke", "token.create", "user.create"]);
    assert_eq!(entries[1].hash, entries[0].prev_hash);
    assert!(entries[0].before_digest.is_some() && entries[0].after_digest.is_some());
}

async fn a_verification_from_a_mark_checks_the_marked_entry_and_those_after(store: &Store) {
    let add_user =
        |name: &'static str| store.create_user("system", new_user(name, Role::Admin, None));
    for name in ["ana", "bob", "cat"] {
        add_user(name).await.expect("user");
    }
    let (whole, mark) = store.verify_audit_chain_after(None).await.expect("verify");
    assert_eq!((whole.ok, whole.entries), (true, 3));
    let mark = mark.expect("a mark after three entries");
    assert_eq!((mark.seq, mark.entries), (3, 3));

    add_user("dan").await.expect("user");
    let (carried, next) = store
        .verify_audit_chain_after(Some(&mark))
        .await
        .expect("verify");
    assert_eq!((carried.ok, carried.entries), (true, 4));
    let next = next.expect("a mark after four entries");
    assert_eq!(next.seq, 4);

    // An entry before the mark is not read again: only a whole recompute sees it.
    let tamper = |sql: &'static str| keelson_store::testing::tamper(store, sql);
    tamper("UPDATE audit_log SET actor = 'mallory' WHERE seq = 2")
        .await
        .expect("tamper");
    let (carried, _) = store
        .verify_audit_chain_after(Some(&next))
        .await
        .expect("verify");
    assert!(carried.ok, "entries before the mark are trusted");
    let whole = store.verify_audit_chain().await.expect("verify");
    assert_eq!(whole.first_broken, Some(2));

    // The marked entry itself is checked again, and so is each one after it.
    tamper("UPDATE audit_log SET actor = 'mallory' WHERE seq = 4")
        .await
        .expect("tamper");
    let (at_mark, none) = store
        .verify_audit_chain_after(Some(&next))
        .await
        .expect("verify");
    assert_eq!(
        (at_mark.ok, at_mark.first_broken, at_mark.entries),
        (false, Some(4), 3)
    );
    assert!(
        none.is_none(),
        "a broken chain leaves no mark to carry on from"
    );
    add_user("eve").await.expect("user");
    tamper("UPDATE audit_log SET actor = 'mallory' WHERE seq = 5")
        .await
        .expect("tamper");
    let (after, _) = store
        .verify_audit_chain_after(Some(&mark))
        .await
        .expect("verify");
    assert_eq!(
        after.first_broken,
        Some(4),
        "the first entry after the mark"
    );
}

fn marking(tlp: Tlp, orgs: &[&str]) -> Marking {
    Marking {
        tlp,
        shared_with_orgs: orgs.iter().map(|org| (*org).to_owned()).collect(),
        named_readers: vec!["ana".to_owned()],
    }
}

async fn a_vehicle_keeps_a_vin_only_as_its_keyed_hash(store: &Store) {
    let vin = "1HGCM82633A004352";
    let vehicle = |id: &str, vin_hash: &str| Vehicle {
        id: id.to_owned(),
        model_id: None,
        vin_hash: Some(vin_hash.to_owned()),
        region: None,
        marking: marking(Tlp::Green, &[]),
    };

    let plain = store
        .create_vehicle("system", &vehicle("v-plain", vin))
        .await;
    let hashed = keelson_store::fleet::vin_hash(b"key", vin);
    let keyed = store
        .create_vehicle("system", &vehicle("v-keyed", &hashed))
        .await;

    let error = plain.expect_err("a plain VIN");
    assert_eq!(error.kind(), ErrorKind::Invalid);
    assert!(error.to_string().contains("plain VIN"), "{error}");
    assert!(store.vehicle("v-plain").await.expect("read").is_none());
    keyed.expect("a keyed hash");
    let stored = store
        .vehicle("v-keyed")
        .await
        .expect("read")
        .expect("found");
    assert_eq!(stored.vin_hash, Some(hashed));
}

async fn fleet_records_keep_their_marking(store: &Store) {
    let model = VehicleModel {
        id: "m1".to_owned(),
        make: "Acme".to_owned(),
        model: "Roadster".to_owned(),
        year: Some(2025),
        platform: None,
        dbc_files: vec!["acme.dbc".to_owned()],
        marking: marking(Tlp::AmberStrict, &["supplier-a"]),
    };
    store
        .create_vehicle_model("system", &model)
        .await
        .expect("model");
    let vehicle = Vehicle {
        id: "v1".to_owned(),
        model_id: Some("m1".to_owned()),
        vin_hash: None,
        region: Some("EU".to_owned()),
        marking: marking(Tlp::Red, &[]),
    };
    store
        .create_vehicle("system", &vehicle)
        .await
        .expect("vehicle");
    let build = SoftwareBuild {
        id: "tcu-1.2.3-abc".to_owned(),
        ecu: "tcu".to_owned(),
        firmware_version: "1.2.3".to_owned(),
        digest: Some("abc".to_owned()),
        marking: marking(Tlp::Green, &[]),
    };
    store.create_build("system", &build).await.expect("build");

    assert_eq!(store.vehicle_model("m1").await.expect("q"), Some(model));
    assert_eq!(store.vehicle("v1").await.expect("q"), Some(vehicle));
    assert_eq!(store.list_builds().await.expect("q"), vec![build.clone()]);
    let duplicate = store
        .create_build("system", &build)
        .await
        .expect_err("duplicate");
    assert_eq!(duplicate.kind(), ErrorKind::Conflict);
    assert_eq!(store.audit_len().await.expect("len"), 3);
}

async fn reopening_applies_no_migration_twice(store: &Store) {
    store
        .create_user("system", new_user("ana", Role::Admin, None))
        .await
        .expect("user");
    store.ping().await.expect("ping");
    assert_eq!(store.count_users().await.expect("count"), 1);
}

fn event(key: &str) -> NewEvent {
    NewEvent {
        dedup_key: key.to_owned(),
        event_id: Some(key.to_owned()),
        vehicle_id: Some("v1".to_owned()),
        source: "ids".to_owned(),
        kind: "ids.qsev".to_owned(),
        vehicle_time_us: Some(1_000),
        received_time_us: 2_000,
        ecu: None,
        build_id: None,
        attributes: "{\"sensor_id\":1}".to_owned(),
    }
}

async fn events_are_stored_once_across_batches(store: &Store) {
    let first = store
        .store_events("t", &[event("a"), event("b"), event("a")])
        .await;
    assert_eq!(
        first.expect("store"),
        [Stored::Accepted, Stored::Accepted, Stored::Duplicate]
    );
    let second = store
        .store_events("t", &[event("b"), event("c")])
        .await
        .expect("store");
    assert_eq!(second, [Stored::Duplicate, Stored::Accepted]);
    assert_eq!(store.count_events().await.expect("count"), 3);

    let only_v1 = EventFilter {
        vehicle_id: Some("v1".to_owned()),
    };
    let listed = store
        .list_events(&only_v1, None, 10)
        .await
        .expect("list")
        .items;
    assert_eq!(listed.len(), 3);
    assert_eq!(listed[0].attributes["sensor_id"], 1);
    assert_eq!(
        store.audit_len().await.expect("audit"),
        2,
        "one audit entry per batch"
    );
}

async fn quarantine_keeps_raw_bytes_until_replayed(store: &Store) {
    let record = NewQuarantined {
        dedup_key: "file:k7".to_owned(),
        source: "file".to_owned(),
        origin: "capture.log".to_owned(),
        position: "line 7".to_owned(),
        reason: "bad hex".to_owned(),
        raw: vec![0xff, b'x', 0],
        format: Some("candump".to_owned()),
        vehicle_id: None,
        record_key: None,
    };
    let outcomes = store
        .quarantine("t", vec![record])
        .await
        .expect("quarantine");
    let [Quarantined::Added { id }] = outcomes.as_slice() else {
        panic!("{outcomes:?}")
    };
    let ids = [id.clone()];
    let pending = store
        .list_quarantine(false, None, 10)
        .await
        .expect("list")
        .items;
    assert_eq!((pending.len(), pending[0].position.as_str()), (1, "line 7"));
    let (_, raw) = store
        .quarantined_raw(&ids[0])
        .await
        .expect("q")
        .expect("found");
    assert_eq!(raw, vec![0xff, b'x', 0]);

    store.mark_replayed("t", &ids[0]).await.expect("replayed");
    let pending = store.list_quarantine(false, None, 10).await.expect("list");
    assert_eq!(pending.total, 0);
    let all = store.list_quarantine(true, None, 10).await.expect("list");
    assert_eq!(all.total, 1);
}

async fn feed_files_are_kept_once_in_import_order(store: &Store) {
    let file = |name: &str, bytes: &[u8]| FeedFile {
        sha256: format!("{:x}", sha2::Sha256::digest(bytes)),
        kind: "osv".to_owned(),
        name: name.to_owned(),
        bytes: bytes.to_vec(),
    };

    let first = store
        .store_feed_file("t", file("a.json", b"{\"id\":\"A\"}"))
        .await;
    let second = store
        .store_feed_file("t", file("b.json", b"{\"id\":\"B\"}"))
        .await;
    let again = store
        .store_feed_file("t", file("a-copy.json", b"{\"id\":\"A\"}"))
        .await;

    assert_eq!(
        (first.ok(), second.ok(), again.ok()),
        (Some(true), Some(true), Some(false))
    );
    let stored = store.feed_files().await.expect("feeds");
    let names: Vec<&str> = stored.iter().map(|feed| feed.name.as_str()).collect();
    assert_eq!(names, ["a.json", "b.json"]);
    assert_eq!(stored[1].bytes, b"{\"id\":\"B\"}");
    assert!(store.verify_audit_chain().await.expect("verify").ok);
}

async fn sboms_attach_to_existing_builds_once(store: &Store) {
    let build = SoftwareBuild {
        id: "tcu-4.2.0".to_owned(),
        ecu: "tcu".to_owned(),
        firmware_version: "4.2.0".to_owned(),
        digest: Some("00".to_owned()),
        marking: marking(Tlp::Amber, &[]),
    };
    store.create_build("t", &build).await.expect("build");
    let sbom = |build_id: &str| NewSbom {
        subject: Subject::Build(build_id.to_owned()),
        sha256: "ab".repeat(32),
        format: "CycloneDX 1.6 JSON".to_owned(),
        components: 3,
        bytes: b"{}".to_vec(),
    };

    let first = store
        .attach_sbom("t", sbom("tcu-4.2.0"))
        .await
        .expect("attach");
    let again = store
        .attach_sbom("t", sbom("tcu-4.2.0"))
        .await
        .expect("attach");
    let missing = store.attach_sbom("t", sbom("no-such-build")).await;

    assert!(matches!(first, Attached::New(_)), "{first:?}");
    assert!(matches!(again, Attached::Already(_)), "{again:?}");
    assert_eq!(
        missing.map_err(|error| error.kind()).err(),
        Some(ErrorKind::NotFound)
    );
    let attached = store.sboms_of_build("tcu-4.2.0").await.expect("list");
    assert_eq!(attached.len(), 1);
    assert_eq!(attached[0].0.components, 3);
}

/// A vehicle with one ECU and two builds for it, everything AMBER.
async fn one_vehicle_slot(store: &Store) {
    let vehicle = Vehicle {
        id: "v1".to_owned(),
        model_id: None,
        vin_hash: None,
        region: None,
        marking: marking(Tlp::Amber, &[]),
    };
    store.create_vehicle("t", &vehicle).await.expect("vehicle");
    let ecu = Ecu {
        id: "tcu".to_owned(),
        name: "Telematics".to_owned(),
        supplier: Some("Acme".to_owned()),
        hardware_part_number: Some("HW-1".to_owned()),
        model_id: None,
        marking: marking(Tlp::Amber, &[]),
    };
    store.create_ecu("t", &ecu).await.expect("ecu");
    assert_eq!(store.ecu("tcu").await.expect("q"), Some(ecu));
    for id in ["tcu-1", "tcu-2"] {
        let build = SoftwareBuild {
            id: id.to_owned(),
            ecu: "tcu".to_owned(),
            firmware_version: id.to_owned(),
            digest: None,
            marking: marking(Tlp::Amber, &[]),
        };
        store.create_build("t", &build).await.expect("build");
    }
}

fn install(build: &str, at_us: i64) -> NewInstallation {
    NewInstallation {
        vehicle_id: "v1".to_owned(),
        ecu_id: "tcu".to_owned(),
        build_id: build.to_owned(),
        installed_at_us: at_us,
        source: "import".to_owned(),
        marking: marking(Tlp::Amber, &[]),
    }
}

async fn installing_a_build_closes_the_slot_and_keeps_history(store: &Store) {
    one_vehicle_slot(store).await;
    let entries_before = store.audit_len().await.expect("len");

    let first = store.install_build("t", install("tcu-1", 1_000_000)).await;
    let again = store.install_build("t", install("tcu-1", 5_000_000)).await;
    let second = store.install_build("t", install("tcu-2", 2_000_000)).await;
    let replayed_first = store.install_build("t", install("tcu-1", 1_000_000)).await;
    let older = store.install_build("t", install("tcu-1", 1_500_000)).await;
    let unknown = store.install_build("t", install("tcu-9", 3_000_000)).await;

    assert!(
        matches!(first, Ok(Installed::New { replaced: None, .. })),
        "{first:?}"
    );
    assert!(
        matches!(again, Ok(Installed::Unchanged { .. })),
        "{again:?}"
    );
    let Ok(Installed::New {
        replaced: Some(closed),
        ..
    }) = second
    else {
        panic!("second install: {second:?}");
    };
    assert_eq!(closed.build_id, "tcu-1");
    assert_eq!(closed.removed_at.as_deref(), Some("1970-01-01T00:00:02Z"));
    assert!(
        matches!(replayed_first, Ok(Installed::Unchanged { .. })),
        "{replayed_first:?}"
    );
    assert_eq!(
        older.map(|_| ()).map_err(|e| e.kind()),
        Err(ErrorKind::Conflict)
    );
    assert_eq!(
        unknown.map(|_| ()).map_err(|e| e.kind()),
        Err(ErrorKind::NotFound)
    );

    let current = store
        .installations_of_vehicle("v1", false)
        .await
        .expect("q");
    let builds: Vec<&str> = current.iter().map(|i| i.build_id.as_str()).collect();
    assert_eq!(builds, ["tcu-2"]);
    let history = store.installations_of_vehicle("v1", true).await.expect("q");
    let builds: Vec<&str> = history.iter().map(|i| i.build_id.as_str()).collect();
    assert_eq!(builds, ["tcu-1", "tcu-2"]);
    assert_eq!(store.current_installations().await.expect("q").len(), 1);
    // first: one create; second: one remove and one create.
    assert_eq!(store.audit_len().await.expect("len"), entries_before + 3);
    assert!(store.verify_audit_chain().await.expect("verify").ok);
}

fn new_rule(id: &str, sigma: &str) -> NewRule {
    NewRule {
        id: id.to_owned(),
        title: "Rejected keys".to_owned(),
        status: RuleStatus::Test,
        level: Some("high".to_owned()),
        sigma: sigma.to_owned(),
        scope: RuleScope {
            models: Vec::new(),
            builds: vec!["gw-1.2.0".to_owned()],
        },
        valid_until: Some("2027-01-31".to_owned()),
        atm_tags: vec!["ATM-T0012".to_owned()],
        marking: Marking {
            tlp: Tlp::Amber,
            shared_with_orgs: vec!["acme".to_owned()],
            named_readers: Vec::new(),
        },
        case_id: None,
        indicator_id: None,
    }
}

async fn rules_keep_status_scope_and_marking_with_audit(store: &Store) {
    let audit_before = store.audit_len().await.expect("audit");
    let created = store
        .create_rule("dee", &new_rule("r-1", "title: a"))
        .await
        .expect("create");
    assert_eq!(created.created_by, "dee");
    let again = store.create_rule("dee", &new_rule("r-1", "title: b")).await;
    assert_eq!(
        again.map(|_| ()).map_err(|e| e.kind()),
        Err(ErrorKind::Conflict)
    );

    let mut changed = new_rule("r-1", "title: c");
    changed.status = RuleStatus::Active;
    let updated = store.update_rule("eve", &changed).await.expect("update");
    assert_eq!(
        updated.status,
        RuleStatus::Test,
        "an update keeps the status"
    );
    assert_eq!(updated.sigma, "title: c");
    let stored = store.rule("r-1").await.expect("read").expect("found");
    assert_eq!(stored.sigma, "title: c", "the update reached the database");
    assert_eq!(
        (updated.created_by.as_str(), updated.updated_by.as_str()),
        ("dee", "eve")
    );

    let retired = store
        .set_rule_status("eve", "r-1", RuleStatus::Retired, "too noisy")
        .await
        .expect("status");
    assert_eq!(retired.status, RuleStatus::Retired);
    let found = store.rule("r-1").await.expect("read").expect("found");
    assert_eq!(found.scope.builds, vec!["gw-1.2.0".to_owned()]);
    assert_eq!(found.marking.shared_with_orgs, vec!["acme".to_owned()]);
    assert_eq!(found.valid_until.as_deref(), Some("2027-01-31"));
    assert_eq!(found.atm_tags, vec!["ATM-T0012".to_owned()]);
    let missing = store
        .set_rule_status("eve", "r-9", RuleStatus::Active, "x")
        .await;
    assert_eq!(
        missing.map(|_| ()).map_err(|e| e.kind()),
        Err(ErrorKind::NotFound)
    );

    assert_eq!(store.audit_len().await.expect("audit"), audit_before + 3);
    let entries = store.audit_entries(None, 10, None).await.expect("entries");
    let status_entry = entries
        .iter()
        .find(|entry| entry.action == "rule.status")
        .expect("status change audited");
    assert_eq!(
        status_entry.detail.as_deref(),
        Some("test -> retired: too noisy")
    );
    assert!(store.verify_audit_chain().await.expect("verify").ok);
}

async fn rule_import_is_idempotent_by_id_and_digest(store: &Store) {
    let first = store.import_rule("cli", &new_rule("r-2", "title: a")).await;
    assert_eq!(first.expect("import"), Imported::Created);
    let same = store.import_rule("cli", &new_rule("r-2", "title: a")).await;
    assert_eq!(same.expect("import"), Imported::Unchanged);
    let edited = store.import_rule("cli", &new_rule("r-2", "title: b")).await;
    assert_eq!(edited.expect("import"), Imported::Updated);
    assert_eq!(store.list_rules().await.expect("list").len(), 1);
}

fn sighting(at_s: i64, evidence: &[&str]) -> Sighting {
    Sighting {
        rule_id: "r-1".to_owned(),
        sigma_rule: "r-1".to_owned(),
        title: "Rejected keys".to_owned(),
        severity: Severity::High,
        test: false,
        heightened: false,
        correlation: true,
        vehicle_id: Some("v1".to_owned()),
        build_id: Some("gw-1.2.0".to_owned()),
        first_seen_us: at_s * 1_000_000,
        last_seen_us: (at_s + 40) * 1_000_000,
        count: 1,
        evidence: evidence.iter().map(|key| (*key).to_owned()).collect(),
        atm_tags: Vec::new(),
        marking: Marking::new(Tlp::Green),
    }
}

async fn sightings_merge_within_the_window_and_link_their_events(store: &Store) {
    let stored = store
        .store_events("t", &[event("a"), event("b"), event("c")])
        .await
        .expect("events");
    assert_eq!(stored.len(), 3);
    let window_us = 600 * 1_000_000;

    let first = store
        .record_sightings("detection", vec![sighting(0, &["a", "b"])], window_us, 0)
        .await
        .expect("record");
    assert_eq!(first[0].0, Raised::New);
    // 100 s after the last sighting (40 s): inside the ten-minute window.
    let second = store
        .record_sightings("detection", vec![sighting(140, &["b", "c"])], window_us, 0)
        .await
        .expect("record");
    assert_eq!(second[0].0, Raised::Merged);
    assert_eq!(second[0].1.id, first[0].1.id);
    assert_eq!(second[0].1.count, 2);
    assert_eq!(second[0].1.evidence, vec!["a", "b", "c"]);
    assert_eq!(second[0].1.last_seen, "1970-01-01T00:03:00Z");
    // 20 minutes after the last sighting (180 s): a new alert.
    let third = store
        .record_sightings("detection", vec![sighting(1_380, &["c"])], window_us, 0)
        .await
        .expect("record");
    assert_eq!(third[0].0, Raised::New);

    let all = store
        .list_alerts(&AlertFilter::default())
        .await
        .expect("list");
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].id, third[0].1.id, "most recently seen first");
    let cited = store.cited_events(&first[0].1.id).await.expect("cited");
    let keys: Vec<&str> = cited.iter().map(|event| event.key.as_str()).collect();
    assert_eq!(keys.len(), 3);
    for key in ["a", "b", "c"] {
        assert!(keys.contains(&key), "{key} not linked: {keys:?}");
    }
    let filter = AlertFilter {
        severity: Some(Severity::Low),
        ..AlertFilter::default()
    };
    assert!(store.list_alerts(&filter).await.expect("list").is_empty());
    let filter = AlertFilter {
        since_us: Some(1_000 * 1_000_000),
        ..AlertFilter::default()
    };
    assert_eq!(store.list_alerts(&filter).await.expect("list").len(), 1);
    assert!(store.verify_audit_chain().await.expect("verify").ok);
}

fn supplier(key: &str, country: &str, line: u64) -> SupplierEntry {
    SupplierEntry {
        key: key.to_owned(),
        name: key.to_uppercase(),
        country: country.to_owned(),
        aliases: vec![format!("{key} gmbh")],
        line,
    }
}

async fn the_supplier_register_is_replaced_whole_and_idempotently(store: &Store) {
    let first = vec![supplier("bosch", "DE", 2), supplier("denso", "JP", 3)];
    let second = vec![
        supplier("denso", "JP", 2),
        supplier("bosch", "CN", 3),
        supplier("molex", "US", 4),
    ];

    let added = store
        .replace_supplier_register("t", first)
        .await
        .expect("first");
    let changed = store
        .replace_supplier_register("t", second.clone())
        .await
        .expect("second");
    let again = store
        .replace_supplier_register("t", second.clone())
        .await
        .expect("again");
    let fewer = store
        .replace_supplier_register("t", vec![supplier("molex", "US", 2)])
        .await
        .expect("fewer");

    let counts = |added, updated, removed, unchanged| RegisterChange {
        added,
        updated,
        removed,
        unchanged,
    };
    assert_eq!(added, counts(2, 0, 0, 0));
    assert_eq!(changed, counts(1, 1, 0, 1));
    assert_eq!(again, counts(0, 0, 0, 3));
    assert_eq!(fewer, counts(0, 0, 2, 1));
    let register = store.supplier_register().await.expect("list");
    assert_eq!(register, [supplier("molex", "US", 2)]);
    let imports = store
        .audit_entries(Some(("supplier_register", "register")), 100, None)
        .await
        .expect("audit")
        .into_iter()
        .filter(|entry| entry.action == "suppliers.import")
        .count();
    assert_eq!(imports, 3, "the unchanged import writes no audit entry");
}
