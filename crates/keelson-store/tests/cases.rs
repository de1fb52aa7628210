//! PSIRT cases and disclosures in the store, on SQLite and PostgreSQL:
//! opening from intakes (one open case per vulnerability), the workflow,
//! field changes with the SLA due date, build statuses, comments, tasks,
//! and the history read back from the audit log.

use keelson_core::case::Transition;
use keelson_core::{
    BuildStatus, CaseState, IntakeKind, Marking, Principal, Role, Severity, SlaPolicy, Team, Tlp,
};
use keelson_store::cases::work::{StatusOutcome, TaskChanges};
use keelson_store::cases::workflow::CaseChanges;
use keelson_store::cases::{BuildAssessment, Case, CaseFilter, Intake, NewCase, Opened};
use keelson_store::disclosures::{DISCLOSURE_ACTOR, NewDisclosure};
use keelson_store::fleet::SoftwareBuild;
use keelson_store::users::NewUser;
use keelson_store::{ErrorKind, Store, StoreError};
use serde_json::json;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

keelson_store::on_both_backends!(
    a_case_opens_received_and_due_by_its_severity,
    the_same_vulnerability_in_another_build_joins_the_open_case,
    an_intake_is_not_merged_into_a_case_the_reader_cannot_see,
    transitions_follow_the_workflow_and_are_audited,
    a_duplicate_names_an_existing_case_that_is_no_duplicate,
    a_severity_change_moves_the_due_date_and_is_in_the_history,
    build_statuses_comments_and_tasks_are_in_the_history,
    owners_assignees_and_builds_must_exist,
    cases_are_listed_by_filter,
    a_disclosure_opens_a_received_case_with_its_report,
);

const ACTOR: &str = "bob";

fn internal() -> Principal {
    Principal::new(ACTOR, Role::PsirtEngineer, None)
}

async fn add_user(store: &Store, name: &str) {
    let new = NewUser {
        name: name.to_owned(),
        role: Role::PsirtEngineer,
        organisation: None,
        password_hash: "$argon2id$not-a-real-hash".to_owned(),
    };
    store.create_user("test", new).await.expect("user");
}

async fn add_build(store: &Store, id: &str) {
    let build = SoftwareBuild {
        id: id.to_owned(),
        ecu: "tcu".to_owned(),
        firmware_version: "1.0".to_owned(),
        digest: None,
        marking: Marking::new(Tlp::Amber),
    };
    store.create_build("test", &build).await.expect("build");
}

fn intake(ids: &[&str], builds: &[(&str, BuildStatus)]) -> NewCase {
    NewCase {
        title: "Telematics unit accepts unsigned firmware".to_owned(),
        intake: Intake {
            kind: IntakeKind::Finding,
            source: Some("finding-17".to_owned()),
        },
        vulnerability_ids: ids.iter().map(|id| id.parse().expect("id")).collect(),
        severity: Severity::High,
        owner: None,
        team: None,
        marking: Marking::new(Tlp::Amber),
        builds: builds
            .iter()
            .map(|(build, status)| BuildAssessment {
                build_id: (*build).to_owned(),
                status: *status,
            })
            .collect(),
    }
}

async fn open(store: &Store, new: &NewCase) -> Opened {
    store
        .open_case(ACTOR, &internal(), new, &SlaPolicy::default())
        .await
        .expect("open case")
}

async fn open_new(store: &Store, new: &NewCase) -> Case {
    match open(store, new).await {
        Opened::Created(case) => case,
        Opened::Merged(case) => panic!("expected a new case, merged into {}", case.id),
    }
}

fn move_to(to: CaseState, reason: &str) -> Transition {
    Transition::new(to, reason, None).expect("transition")
}

fn micros(rfc3339: &str) -> i128 {
    OffsetDateTime::parse(rfc3339, &Rfc3339)
        .expect("RFC 3339")
        .unix_timestamp_nanos()
        / 1_000
}

const DAY_US: i128 = 86_400_000_000;

async fn a_case_opens_received_and_due_by_its_severity(store: &Store) {
    add_build(store, "tcu-4.2.0").await;
    let new = intake(
        &["cve-2024-3094", "GHSA-jfh8-c2jp-5v3q", "CVE-2024-3094"],
        &[("tcu-4.2.0", BuildStatus::UnderInvestigation)],
    );
    let case = open_new(store, &new).await;

    assert_eq!(case.state, CaseState::Received);
    assert_eq!(case.intake.kind, IntakeKind::Finding);
    assert_eq!(case.intake.source.as_deref(), Some("finding-17"));
    let ids: Vec<&str> = case
        .vulnerability_ids
        .iter()
        .map(|id| id.as_str())
        .collect();
    assert_eq!(ids, ["CVE-2024-3094", "GHSA-jfh8-c2jp-5v3q"]);
    // The documented default SLA for high severity is 30 days.
    let due = case.due_at.as_deref().map(micros);
    assert_eq!(due, Some(micros(&case.received_at) + 30 * DAY_US));

    let builds = store.case_builds(&case.id).await.expect("builds");
    assert_eq!(builds.len(), 1);
    assert_eq!(builds[0].status, BuildStatus::UnderInvestigation);
    assert_eq!(store.case(&case.id).await.expect("read"), Some(case));
}

async fn the_same_vulnerability_in_another_build_joins_the_open_case(store: &Store) {
    for build in ["gw-1.0", "gw-1.1", "gw-2.0"] {
        add_build(store, build).await;
    }
    let first = open_new(
        store,
        &intake(&["CVE-2024-3094"], &[("gw-1.0", BuildStatus::Affected)]),
    )
    .await;
    let again = intake(
        &["CVE-2024-3094", "CVE-2024-0001"],
        &[
            ("gw-1.0", BuildStatus::Fixed),
            ("gw-1.1", BuildStatus::Affected),
        ],
    );
    let Opened::Merged(merged) = open(store, &again).await else {
        panic!("a second intake of the same vulnerability opened a new case");
    };
    assert_eq!(merged.id, first.id);
    assert_eq!(merged.vulnerability_ids.len(), 2);
    assert_eq!(merged.version, first.version + 1);

    let builds = store.case_builds(&first.id).await.expect("builds");
    let statuses: Vec<(&str, BuildStatus)> = builds
        .iter()
        .map(|build| (build.build_id.as_str(), build.status))
        .collect();
    // gw-1.0 keeps the status the case gave it; gw-1.1 is added.
    assert_eq!(
        statuses,
        [
            ("gw-1.0", BuildStatus::Affected),
            ("gw-1.1", BuildStatus::Affected)
        ]
    );
    let all = store
        .list_cases(&CaseFilter::default())
        .await
        .expect("list");
    assert_eq!(all.len(), 1);

    // Once the case is finished, the vulnerability may open a new one.
    let rejected = move_to(CaseState::Rejected, "supplier withdrew the advisory");
    store
        .transition_case(ACTOR, &first.id, &rejected)
        .await
        .expect("reject");
    let later = intake(&["CVE-2024-3094"], &[("gw-2.0", BuildStatus::Affected)]);
    let second = open_new(store, &later).await;
    assert_ne!(second.id, first.id);
}

async fn an_intake_is_not_merged_into_a_case_the_reader_cannot_see(store: &Store) {
    let mut red = intake(&["CVE-2023-4863"], &[]);
    red.marking = Marking::new(Tlp::Red);
    red.marking.named_readers.push("carol".to_owned());
    open_new(store, &red).await;

    let again = intake(&["CVE-2023-4863"], &[]);
    let refused = store
        .open_case(ACTOR, &internal(), &again, &SlaPolicy::default())
        .await;
    let error = refused.expect_err("refused");
    assert_eq!(error.kind(), ErrorKind::Conflict);
    assert!(error.to_string().contains("may not read"), "{error}");
    let all = store
        .list_cases(&CaseFilter::default())
        .await
        .expect("list");
    assert_eq!(all.len(), 1, "no second case was opened");
}

async fn transitions_follow_the_workflow_and_are_audited(store: &Store) {
    let case = open_new(store, &intake(&["CVE-2024-3094"], &[])).await;
    let triaged = store
        .transition_case(ACTOR, &case.id, &move_to(CaseState::Triage, "reproduced"))
        .await
        .expect("triage");
    assert_eq!(triaged.state, CaseState::Triage);
    assert_eq!(triaged.finished_at, None);

    let refused = store
        .transition_case(ACTOR, &case.id, &move_to(CaseState::Closed, "done"))
        .await;
    let Err(StoreError::Transition(refusal)) = refused else {
        panic!("triage -> closed was not refused: {refused:?}");
    };
    assert_eq!(
        refusal.allowed,
        [
            CaseState::Analysis,
            CaseState::NotAffected,
            CaseState::Duplicate,
            CaseState::Rejected
        ]
    );
    assert_eq!(
        store.case(&case.id).await.expect("read").map(|c| c.state),
        Some(CaseState::Triage),
        "a refused move changes nothing"
    );

    let finished = store
        .transition_case(
            ACTOR,
            &case.id,
            &move_to(CaseState::NotAffected, "code absent"),
        )
        .await
        .expect("not affected");
    assert!(finished.finished_at.is_some());

    let history = store.case_history(&case.id).await.expect("history");
    let actions: Vec<&str> = history.iter().map(|entry| entry.action.as_str()).collect();
    assert_eq!(
        actions,
        ["case.create", "case.transition", "case.transition"]
    );
    assert_eq!(
        history[1].detail,
        json!({"from": "received", "to": "triage", "reason": "reproduced"})
    );
    assert_eq!(
        history[2].detail,
        json!({"from": "triage", "to": "not_affected", "reason": "code absent"})
    );
    assert!(history.iter().all(|entry| entry.actor == ACTOR));
    assert!(history.windows(2).all(|pair| pair[0].seq < pair[1].seq));
    assert!(store.verify_audit_chain().await.expect("verify").ok);
}

async fn a_duplicate_names_an_existing_case_that_is_no_duplicate(store: &Store) {
    let original = open_new(store, &intake(&["CVE-2024-0001"], &[])).await;
    let copy = open_new(store, &intake(&["CVE-2024-0002"], &[])).await;
    let third = open_new(store, &intake(&["CVE-2024-0003"], &[])).await;
    let duplicate = |of: &str| {
        Transition::new(CaseState::Duplicate, "same report", Some(of.to_owned())).expect("shape")
    };

    for of in ["no-such-case", copy.id.as_str()] {
        let refused = store.transition_case(ACTOR, &copy.id, &duplicate(of)).await;
        let error = refused.expect_err("refused");
        assert!(
            matches!(&error, StoreError::Invalid { field, .. } if field == "duplicate_of"),
            "{of}: {error}"
        );
    }
    let marked = store
        .transition_case(ACTOR, &copy.id, &duplicate(&original.id))
        .await
        .expect("duplicate");
    assert_eq!(marked.state, CaseState::Duplicate);
    assert_eq!(marked.duplicate_of.as_deref(), Some(original.id.as_str()));

    // Pointing at a duplicate would start a chain: name the original.
    let refused = store
        .transition_case(ACTOR, &third.id, &duplicate(&copy.id))
        .await;
    let message = refused.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(message.contains(&original.id), "{message}");
}

async fn a_severity_change_moves_the_due_date_and_is_in_the_history(store: &Store) {
    add_user(store, "ana").await;
    let case = open_new(store, &intake(&["CVE-2024-3094"], &[])).await;
    let changes = CaseChanges {
        severity: Some(Severity::Critical),
        owner: Some(Some("ana".to_owned())),
        team: Some(Some(Team::SupplyChain)),
        ..CaseChanges::default()
    };
    let sla = SlaPolicy::default();
    let changed = store
        .update_case(ACTOR, &case.id, &changes, &sla)
        .await
        .expect("update");
    // Critical: 7 days from receipt, not from the change.
    let due = changed.due_at.as_deref().map(micros);
    assert_eq!(due, Some(micros(&case.received_at) + 7 * DAY_US));
    assert_eq!(changed.owner.as_deref(), Some("ana"));
    assert_eq!(changed.team, Some(Team::SupplyChain));

    let again = store
        .update_case(ACTOR, &case.id, &changes, &sla)
        .await
        .expect("same again");
    assert_eq!(again.version, changed.version, "no change, no write");

    let history = store.case_history(&case.id).await.expect("history");
    assert_eq!(history.len(), 2, "{history:?}");
    let fields: Vec<&str> = history[1].detail["changes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|change| change["field"].as_str())
        .collect();
    assert_eq!(fields, ["severity", "owner", "team", "due_at"]);
    assert_eq!(
        history[1].detail["changes"][0],
        json!({"field": "severity", "from": "high", "to": "critical"})
    );
}

async fn build_statuses_comments_and_tasks_are_in_the_history(store: &Store) {
    add_build(store, "bcm-7.1").await;
    add_user(store, "ana").await;
    let case = open_new(store, &intake(&["CVE-2024-3094"], &[])).await;

    let set = |status| store.set_build_status(ACTOR, &case.id, "bcm-7.1", status, Some("lab"));
    let (added, _) = set(BuildStatus::UnderInvestigation).await.expect("add");
    let (changed, build) = set(BuildStatus::Fixed).await.expect("change");
    let (unchanged, _) = set(BuildStatus::Fixed).await.expect("again");
    assert_eq!(
        (added, changed, unchanged),
        (
            StatusOutcome::Added,
            StatusOutcome::Changed,
            StatusOutcome::Unchanged
        )
    );
    assert_eq!(build.status, BuildStatus::Fixed);

    let comment = store
        .add_comment(ACTOR, &case.id, "Supplier confirms the fix in 7.1.3.")
        .await
        .expect("comment");
    let task = store
        .add_task(ACTOR, &case.id, "Write the advisory", Some("ana"))
        .await
        .expect("task");
    let done = TaskChanges {
        done: Some(true),
        ..TaskChanges::default()
    };
    let task = store
        .update_task(ACTOR, &case.id, &task.id, &done)
        .await
        .expect("done");
    assert!(task.done);
    assert_eq!(
        store.case_comments(&case.id).await.expect("comments"),
        std::slice::from_ref(&comment)
    );
    assert_eq!(
        store.case_tasks(&case.id).await.expect("tasks"),
        std::slice::from_ref(&task)
    );

    let history = store.case_history(&case.id).await.expect("history");
    let actions: Vec<&str> = history.iter().map(|entry| entry.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "case.create",
            "case.build_status",
            "case.build_status",
            "case.comment",
            "case.task.create",
            "case.task.update"
        ]
    );
    assert_eq!(
        history[2].detail,
        json!({"build_id": "bcm-7.1", "from": "under_investigation", "to": "fixed",
               "reason": "lab"})
    );
    assert_eq!(history[3].detail, json!({"comment_id": comment.id}));
    assert_eq!(
        history[5].detail,
        json!({"task_id": task.id, "changes": [{"field": "done", "from": false, "to": true}]})
    );
}

async fn owners_assignees_and_builds_must_exist(store: &Store) {
    let mut new = intake(&["CVE-2024-3094"], &[]);
    new.owner = Some("nobody".to_owned());
    let error = store
        .open_case(ACTOR, &internal(), &new, &SlaPolicy::default())
        .await
        .expect_err("unknown owner");
    assert!(
        matches!(&error, StoreError::Invalid { field, .. } if field == "owner"),
        "{error}"
    );

    let new = intake(
        &["CVE-2024-3094"],
        &[("no-such-build", BuildStatus::Affected)],
    );
    let error = store
        .open_case(ACTOR, &internal(), &new, &SlaPolicy::default())
        .await
        .expect_err("unknown build");
    assert!(
        matches!(&error, StoreError::Invalid { field, .. } if field == "build_id"),
        "{error}"
    );

    let case = open_new(store, &intake(&["CVE-2024-3094"], &[])).await;
    let error = store
        .add_task(ACTOR, &case.id, "Patch", Some("nobody"))
        .await
        .expect_err("unknown assignee");
    assert_eq!(error.kind(), ErrorKind::Invalid);
    let error = store
        .set_build_status(ACTOR, &case.id, "no-such-build", BuildStatus::Fixed, None)
        .await
        .expect_err("unknown build");
    assert_eq!(error.kind(), ErrorKind::Invalid);
    let error = store
        .add_comment(ACTOR, "no-such-case", "hello")
        .await
        .err();
    assert_eq!(error.map(|e| e.kind()), Some(ErrorKind::NotFound));
}

async fn cases_are_listed_by_filter(store: &Store) {
    add_build(store, "tcu-1").await;
    add_user(store, "ana").await;
    let mut critical = intake(&["CVE-2024-0001"], &[("tcu-1", BuildStatus::Affected)]);
    critical.severity = Severity::Critical;
    critical.owner = Some("ana".to_owned());
    let critical = open_new(store, &critical).await;
    let low = {
        let mut new = intake(&["CVE-2024-0002"], &[]);
        new.severity = Severity::Low;
        open_new(store, &new).await
    };
    store
        .transition_case(ACTOR, &low.id, &move_to(CaseState::Triage, "seen"))
        .await
        .expect("triage");

    let ids = |cases: Vec<Case>| cases.into_iter().map(|c| c.id).collect::<Vec<_>>();
    let by =
        |filter: CaseFilter| async move { ids(store.list_cases(&filter).await.expect("list")) };
    assert_eq!(
        by(CaseFilter::default()).await,
        [low.id.clone(), critical.id.clone()],
        "newest first"
    );
    let state = CaseFilter {
        state: Some(CaseState::Triage),
        ..CaseFilter::default()
    };
    assert_eq!(by(state).await, [low.id.as_str()]);
    let severity = CaseFilter {
        severity: Some(Severity::Critical),
        ..CaseFilter::default()
    };
    assert_eq!(by(severity).await, [critical.id.as_str()]);
    let owner = CaseFilter {
        owner: Some("ana".to_owned()),
        ..CaseFilter::default()
    };
    assert_eq!(by(owner).await, [critical.id.as_str()]);
    let vulnerability = CaseFilter {
        vulnerability: Some("CVE-2024-0002".parse().expect("id")),
        ..CaseFilter::default()
    };
    assert_eq!(by(vulnerability).await, [low.id.as_str()]);
    let build = CaseFilter {
        build_id: Some("tcu-1".to_owned()),
        ..CaseFilter::default()
    };
    assert_eq!(by(build).await, [critical.id.as_str()]);
}

async fn a_disclosure_opens_a_received_case_with_its_report(store: &Store) {
    let new = NewDisclosure {
        title: "Unauthenticated UDS routine control".to_owned(),
        description: "RoutineControl 0x31 runs before SecurityAccess.".to_owned(),
        reporter_contact: Some("mailto:researcher@example.org".to_owned()),
        affected_product: "Gateway ECU firmware 2.3".to_owned(),
        cvss_vector: None,
        severity: Severity::Medium,
        marking: Marking::new(Tlp::Amber),
    };
    let (report, case) = store
        .receive_disclosure(&new, &SlaPolicy::default())
        .await
        .expect("receive");

    assert_eq!(case.state, CaseState::Received);
    assert_eq!(case.intake.kind, IntakeKind::Disclosure);
    assert_eq!(case.intake.source.as_deref(), Some(report.id.as_str()));
    assert_eq!(case.marking.tlp, Tlp::Amber);
    assert_eq!(case.opened_by, DISCLOSURE_ACTOR);
    assert_eq!(report.case_id, case.id);
    assert_eq!(
        store.disclosure(&report.id).await.expect("read"),
        Some(report)
    );

    let history = store.case_history(&case.id).await.expect("history");
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].action, "case.create");
    assert_eq!(history[0].actor, DISCLOSURE_ACTOR);
}
