//! Playbooks, runs, log requests and incident evidence at rest, on SQLite
//! and on PostgreSQL: a replacement needs a higher version; an automatic run
//! starts once per incident and playbook; a step is settled once; an upload
//! fulfils its vehicle's open log requests; evidence is attached once per
//! incident and digest, and its custody log is its audit entries in order.

use keelson_core::{Marking, Severity, Tlp};
use keelson_store::Store;
use keelson_store::alerts::Sighting;
use keelson_store::evidence::{Attached, NewEvidence};
use keelson_store::incidents::IncidentFilter;
use keelson_store::log_requests::NewLogRequest;
use keelson_store::playbooks::{NewPlaybook, NewRun, NewStep, Saved, StepState, Trigger};
use keelson_store::{StoreError, uploads::NewUpload};
use serde_json::json;

keelson_store::on_both_backends!(
    a_replacement_needs_a_higher_version,
    an_automatic_run_starts_once_per_incident_and_playbook,
    a_step_is_settled_once_and_audited,
    an_upload_fulfils_the_open_requests_of_its_vehicle,
    evidence_is_attached_once_and_its_custody_is_read_from_the_chain,
);

async fn incident(store: &Store) -> String {
    let sighting = Sighting {
        rule_id: "r-uds".to_owned(),
        sigma_rule: "uds-brute-force".to_owned(),
        title: "UDS security access brute force".to_owned(),
        severity: Severity::High,
        test: false,
        correlation: true,
        heightened: false,
        vehicle_id: Some("veh-1".to_owned()),
        build_id: Some("gw-1.2.0".to_owned()),
        first_seen_us: 1_000_000,
        last_seen_us: 2_000_000,
        count: 1,
        evidence: Vec::new(),
        atm_tags: Vec::new(),
        marking: Marking::new(Tlp::Amber),
    };
    store
        .record_sightings("detection", vec![sighting], 60_000_000, 3_600_000_000)
        .await
        .expect("record");
    let all = store
        .list_incidents(&IncidentFilter::default())
        .await
        .expect("list");
    all[0].id.clone()
}

fn playbook(version: i64, source: &str) -> NewPlaybook {
    NewPlaybook {
        id: "uds".to_owned(),
        title: "UDS brute force".to_owned(),
        version,
        source: source.to_owned(),
        bindings: json!([{"rule": "uds-brute-force"}]),
    }
}

fn run(incident_id: &str, trigger: Trigger) -> NewRun {
    let step = |id: &str, kind: &str| NewStep {
        step_id: id.to_owned(),
        kind: kind.to_owned(),
        title: format!("{kind} step"),
        spec: json!({"id": id, "kind": kind}),
    };
    NewRun {
        incident_id: incident_id.to_owned(),
        playbook_id: "uds".to_owned(),
        playbook_version: 1,
        trigger,
        started_by: "system".to_owned(),
        steps: vec![step("contain", "containment"), step("check", "manual")],
    }
}

async fn a_replacement_needs_a_higher_version(store: &Store) {
    let created = store
        .save_playbook("ana", &playbook(1, "a"))
        .await
        .expect("create");
    assert!(matches!(created, Saved::Created(_)), "{created:?}");
    let again = store
        .save_playbook("ana", &playbook(1, "a"))
        .await
        .expect("same");
    assert!(matches!(again, Saved::Unchanged(_)), "{again:?}");

    let refused = store
        .save_playbook("ana", &playbook(1, "b"))
        .await
        .expect_err("same version, other text");
    assert!(matches!(refused, StoreError::Refused(_)), "{refused}");
    assert!(refused.to_string().contains("version 1"), "{refused}");

    let replaced = store
        .save_playbook("ana", &playbook(2, "b"))
        .await
        .expect("replace");
    let Saved::Replaced(stored) = replaced else {
        panic!("not replaced: {replaced:?}");
    };
    assert_eq!((stored.version, stored.source.as_str()), (2, "b"));
    assert_eq!(stored.bindings, json!([{"rule": "uds-brute-force"}]));
    let listed = store.list_playbooks().await.expect("list");
    assert_eq!(listed.len(), 1);
    let actions: Vec<String> = store
        .audit_entries(Some(("playbook", "uds")), 10, None)
        .await
        .expect("audit")
        .into_iter()
        .map(|entry| entry.action)
        .collect();
    assert_eq!(actions, ["playbook.replace", "playbook.create"]);
}

async fn an_automatic_run_starts_once_per_incident_and_playbook(store: &Store) {
    let incident_id = incident(store).await;

    let first = store
        .start_playbook_run("system", &run(&incident_id, Trigger::Automatic))
        .await
        .expect("start");
    let second = store
        .start_playbook_run("system", &run(&incident_id, Trigger::Automatic))
        .await
        .expect("again");
    let by_hand = store
        .start_playbook_run("ana", &run(&incident_id, Trigger::Manual))
        .await
        .expect("by hand");

    let first = first.expect("the first automatic run starts");
    assert!(second.is_none(), "{second:?}");
    assert!(by_hand.is_some());
    assert_eq!(first.state, "running");
    assert_eq!(first.steps.len(), 2);
    assert_eq!(first.steps[1].state, StepState::Pending);
    let runs = store
        .incident_playbook_runs(&incident_id)
        .await
        .expect("runs");
    let triggers: Vec<Trigger> = runs.iter().map(|run| run.trigger).collect();
    assert_eq!(triggers, [Trigger::Automatic, Trigger::Manual]);
    let missing = store
        .start_playbook_run("system", &run("no-such-incident", Trigger::Manual))
        .await
        .expect_err("no incident");
    assert!(
        missing.to_string().contains("no-such-incident"),
        "{missing}"
    );
}

async fn a_step_is_settled_once_and_audited(store: &Store) {
    let incident_id = incident(store).await;
    let started = store
        .start_playbook_run("system", &run(&incident_id, Trigger::Automatic))
        .await
        .expect("start")
        .expect("started");

    let done = store
        .settle_playbook_step("system", &started.id, 1, StepState::Done, "containment c1")
        .await
        .expect("settle");
    let twice = store
        .settle_playbook_step("system", &started.id, 1, StepState::Failed, "again")
        .await
        .expect_err("settled already");

    assert_eq!(done.state, StepState::Done);
    assert_eq!(done.actor.as_deref(), Some("system"));
    assert!(done.at.is_some());
    assert!(twice.to_string().contains("already done"), "{twice}");
    let run = store
        .playbook_run(&started.id)
        .await
        .expect("read")
        .expect("run");
    assert_eq!(run.state, "waiting", "only the manual step is pending");
    store
        .settle_playbook_step("ana", &started.id, 2, StepState::Done, "checked")
        .await
        .expect("manual");
    let run = store
        .playbook_run(&started.id)
        .await
        .expect("read")
        .expect("run");
    assert_eq!(run.state, "completed");
    assert_eq!(run.steps[1].actor.as_deref(), Some("ana"));
    let entries = store
        .audit_entries(Some(("incident", &incident_id)), 10, None)
        .await
        .expect("audit");
    let steps = entries
        .iter()
        .filter(|e| e.action == "playbook.step")
        .count();
    assert_eq!(steps, 2);
    assert!(store.verify_audit_chain().await.expect("verify").ok);
}

async fn an_upload_fulfils_the_open_requests_of_its_vehicle(store: &Store) {
    let incident_id = incident(store).await;
    let request = |vehicle: &str| NewLogRequest {
        vehicle_id: vehicle.to_owned(),
        incident_id: incident_id.clone(),
        run_id: None,
        note: "gateway DLT log, last 24 hours".to_owned(),
        marking: Marking::new(Tlp::Amber),
    };
    store
        .request_logs("system", &[request("veh-1"), request("veh-2")])
        .await
        .expect("request");
    let upload = NewUpload {
        id: "up-1".to_owned(),
        vehicle_id: "veh-1".to_owned(),
        sha256: "ab".repeat(32),
        size: 3,
        uploaded_by: "tcu".to_owned(),
        format: None,
    };
    store.record_upload("tcu", &upload).await.expect("upload");

    let fulfilled = store
        .fulfil_log_requests("tcu", "veh-1", "up-1")
        .await
        .expect("fulfil");

    assert_eq!(fulfilled.len(), 1);
    assert_eq!(fulfilled[0].upload_id.as_deref(), Some("up-1"));
    assert!(
        store
            .vehicle_log_requests("veh-1", true)
            .await
            .expect("open")
            .is_empty()
    );
    let waiting = store
        .vehicle_log_requests("veh-2", true)
        .await
        .expect("open");
    assert_eq!(waiting.len(), 1);
    assert_eq!(waiting[0].state, "open");
    assert_eq!(waiting[0].marking.tlp, Tlp::Amber);
    let all = store
        .incident_log_requests(&incident_id)
        .await
        .expect("all");
    assert_eq!(all.len(), 2);
}

async fn evidence_is_attached_once_and_its_custody_is_read_from_the_chain(store: &Store) {
    let incident_id = incident(store).await;
    let new = NewEvidence {
        incident_id: incident_id.clone(),
        sha256: "cd".repeat(32),
        size: 4096,
        kind: "memory_image".to_owned(),
        name: "tcu.mem".to_owned(),
        description: Some("TCU RAM after the attack".to_owned()),
    };

    let Attached::Created(item) = store.attach_evidence("ana", &new).await.expect("attach") else {
        panic!("not created");
    };
    let again = store.attach_evidence("bob", &new).await.expect("again");
    store
        .record_evidence_access("bob", "download", std::slice::from_ref(&item), "downloaded")
        .await
        .expect("access");
    let bad_kind = NewEvidence {
        kind: "photo".to_owned(),
        ..new.clone()
    };
    let refused = store
        .attach_evidence("ana", &bad_kind)
        .await
        .expect_err("kind");

    assert_eq!(again, Attached::Existing(item.clone()));
    assert!(refused.to_string().contains("photo"), "{refused}");
    assert_eq!((item.size, item.uploaded_by.as_str()), (4096, "ana"));
    let custody = store.evidence_custody(&item.id).await.expect("custody");
    let trail: Vec<(&str, &str)> = custody
        .iter()
        .map(|entry| (entry.actor.as_str(), entry.action.as_str()))
        .collect();
    assert_eq!(
        trail,
        [("ana", "evidence.upload"), ("bob", "evidence.download")]
    );
    assert!(custody[0].seq < custody[1].seq);
    let by_digest = store
        .evidence_with_digest(&new.sha256)
        .await
        .expect("digest");
    assert_eq!(by_digest, [item]);
}
