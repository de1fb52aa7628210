//! The store's side of the monitoring loop, on SQLite and PostgreSQL:
//! heightened sightings merge only within their batch; a generated rule is
//! stored with its advisory revision and updated (never duplicated) by a
//! later one; a monitoring switch is audited on the rule and on the case and
//! writes nothing when nothing changes; milestones are each once per package;
//! a control is withdrawn once; and the coverage queries follow installations.

use std::collections::BTreeSet;

use keelson_core::indicator::Indicator;
use keelson_core::remediation::{CompensatingControl, Fix, FixKind, RemediationPlan, RolloutPhase};
use keelson_core::{Marking, Role, Severity, Tlp};
use keelson_store::alerts::{AlertFilter, Raised, Sighting};
use keelson_store::cases::advisory::NewRevision;
use keelson_store::fleet::{SoftwareBuild, Vehicle};
use keelson_store::installations::{Ecu, NewInstallation};
use keelson_store::rules::{MonitoringLevel, NewRule, RuleScope, RuleStatus};
use keelson_store::users::NewUser;
use keelson_store::{ErrorKind, Store};

keelson_store::on_both_backends!(
    heightened_sightings_merge_only_within_their_batch,
    generated_rules_come_with_their_revision_and_switch_with_a_reason,
    milestones_and_withdrawals_happen_once,
    coverage_queries_follow_the_installations,
);

const ACTOR: &str = "pia";
const DEDUP_US: i64 = 600 * 1_000_000;
const INCIDENT_US: i64 = 3_600 * 1_000_000;

fn sighting(at_s: i64, heightened: bool) -> Sighting {
    Sighting {
        rule_id: "r-case".to_owned(),
        sigma_rule: "r-case".to_owned(),
        title: "Case rule".to_owned(),
        severity: Severity::Critical,
        test: false,
        heightened,
        correlation: false,
        vehicle_id: Some("veh-1".to_owned()),
        build_id: Some("gw-1.2.0".to_owned()),
        first_seen_us: at_s * 1_000_000,
        last_seen_us: at_s * 1_000_000,
        count: 1,
        evidence: vec![format!("event-{at_s}")],
        atm_tags: Vec::new(),
        marking: Marking::new(Tlp::Amber),
    }
}

async fn record(store: &Store, sightings: Vec<Sighting>) -> Vec<Raised> {
    let outcomes = store
        .record_sightings("detection", sightings, DEDUP_US, INCIDENT_US)
        .await
        .expect("record");
    outcomes.into_iter().map(|(raised, _)| raised).collect()
}

async fn heightened_sightings_merge_only_within_their_batch(store: &Store) {
    // One batch: the second sighting merges into the alert the first opened.
    let first = record(store, vec![sighting(0, true), sighting(1, true)]).await;
    assert_eq!(first, [Raised::New, Raised::Merged]);
    // The next batch, well within the window, opens an alert of its own.
    let second = record(store, vec![sighting(2, true)]).await;
    assert_eq!(second, [Raised::New]);
    // An ordinary sighting never joins a heightened alert.
    let ordinary = record(store, vec![sighting(3, false)]).await;
    assert_eq!(ordinary, [Raised::New]);
    let again = record(store, vec![sighting(4, false)]).await;
    assert_eq!(
        again,
        [Raised::Merged],
        "ordinary sightings still merge in the window"
    );

    let alerts = store
        .list_alerts(&AlertFilter::default())
        .await
        .expect("list");
    let heightened: Vec<u64> = alerts
        .iter()
        .filter(|a| a.heightened)
        .map(|a| a.count)
        .collect();
    assert_eq!(heightened.len(), 2);
    assert_eq!(heightened.iter().sum::<u64>(), 3);
}

async fn add_inventory(store: &Store) {
    let green = Marking::new(Tlp::Green);
    for id in ["gw-1.2.0", "gw-1.3.0"] {
        let build = SoftwareBuild {
            id: id.to_owned(),
            ecu: "gateway".to_owned(),
            firmware_version: id.trim_start_matches("gw-").to_owned(),
            digest: None,
            marking: green.clone(),
        };
        store.create_build("test", &build).await.expect("build");
    }
    let ecu = Ecu {
        id: "gateway".to_owned(),
        name: "Gateway".to_owned(),
        supplier: None,
        hardware_part_number: None,
        model_id: None,
        marking: green.clone(),
    };
    store.create_ecu("test", &ecu).await.expect("ecu");
    for id in ["veh-1", "veh-2", "veh-3"] {
        let vehicle = Vehicle {
            id: id.to_owned(),
            model_id: None,
            vin_hash: None,
            region: None,
            marking: green.clone(),
        };
        store
            .create_vehicle("test", &vehicle)
            .await
            .expect("vehicle");
    }
    let user = NewUser {
        name: ACTOR.to_owned(),
        role: Role::PsirtEngineer,
        organisation: None,
        password_hash: "x".to_owned(),
    };
    store.create_user("test", user).await.expect("user");
}

fn install(vehicle: &str, build: &str, at_s: i64) -> NewInstallation {
    NewInstallation {
        vehicle_id: vehicle.to_owned(),
        ecu_id: "gateway".to_owned(),
        build_id: build.to_owned(),
        installed_at_us: at_s * 1_000_000,
        source: "import".to_owned(),
        marking: Marking::new(Tlp::Green),
    }
}

fn generated(case_id: &str, builds: &[&str], sigma: &str) -> NewRule {
    NewRule {
        id: format!("rule-of-{case_id}"),
        title: "Case rule".to_owned(),
        status: RuleStatus::Heightened,
        level: Some("high".to_owned()),
        sigma: sigma.to_owned(),
        scope: RuleScope {
            models: Vec::new(),
            builds: builds.iter().map(|b| (*b).to_owned()).collect(),
        },
        valid_until: None,
        atm_tags: Vec::new(),
        marking: Marking::new(Tlp::Amber),
        case_id: Some(case_id.to_owned()),
        indicator_id: Some("ind-1".to_owned()),
    }
}

fn revision(number: i64, rules: Vec<NewRule>) -> NewRevision {
    NewRevision {
        revision: number,
        tracking_id: "KEELSON-CASE-X".to_owned(),
        summary: format!("revision {number}"),
        document: serde_json::json!({"document": {}}),
        published_at_us: number * 1_000_000,
        rules,
    }
}

async fn generated_rules_come_with_their_revision_and_switch_with_a_reason(store: &Store) {
    add_inventory(store).await;
    let case = keelson_store::testing::open_test_case(store, ACTOR, "Gateway overflow").await;
    let first = generated(&case, &["gw-1.2.0"], "title: a\n");
    store
        .publish_case_advisory(ACTOR, &case, revision(1, vec![first.clone()]))
        .await
        .expect("publish");
    let rules = store.case_rules(&case).await.expect("rules");
    assert_eq!(rules.len(), 1);
    assert_eq!(rules[0].status, RuleStatus::Heightened);

    // A stale revision stores neither the revision nor its rules.
    let other = NewRule {
        id: "another".to_owned(),
        ..first.clone()
    };
    let stale = store
        .publish_case_advisory(ACTOR, &case, revision(1, vec![other]))
        .await;
    assert!(stale.is_err());
    assert!(store.rule("another").await.expect("read").is_none());

    let active = MonitoringLevel {
        status: RuleStatus::Active,
        valid_until: None,
    };
    let switched = store
        .set_rule_monitoring(ACTOR, &first.id, &active, "full roll-out")
        .await
        .expect("switch");
    assert!(switched.is_some());
    let audit_len = store.audit_len().await.expect("audit");
    let unchanged = store
        .set_rule_monitoring(ACTOR, &first.id, &active, "full roll-out")
        .await
        .expect("same level");
    assert!(unchanged.is_none());
    assert_eq!(store.audit_len().await.expect("audit"), audit_len);

    // A later revision with new text and scope updates the one rule and keeps its level.
    let second = generated(&case, &["gw-1.2.0", "gw-1.3.0"], "title: b\n");
    store
        .publish_case_advisory(ACTOR, &case, revision(2, vec![second]))
        .await
        .expect("second revision");
    let rules = store.case_rules(&case).await.expect("rules");
    assert_eq!(rules.len(), 1);
    assert_eq!(rules[0].status, RuleStatus::Active);
    assert_eq!(rules[0].scope.builds, ["gw-1.2.0", "gw-1.3.0"]);
    assert_eq!(rules[0].sigma, "title: b\n");

    let history = store.case_history(&case).await.expect("history");
    let switch = history
        .iter()
        .find(|entry| entry.action == "case.monitoring")
        .expect("the switch is on the case");
    let detail = serde_json::to_string(&switch.detail).expect("detail");
    assert!(detail.contains("full roll-out"), "{detail}");
    assert!(store.verify_audit_chain().await.expect("verify").ok);
}

fn plan() -> RemediationPlan {
    RemediationPlan {
        title: "Gateway 1.3.0".to_owned(),
        fixes: vec![Fix {
            kind: FixKind::SoftwareBuild,
            reference: "gw-1.3.0".to_owned(),
            description: None,
        }],
        verifications: Vec::new(),
        phases: Vec::new(),
    }
}

async fn milestones_and_withdrawals_happen_once(store: &Store) {
    add_inventory(store).await;
    let case = keelson_store::testing::open_test_case(store, ACTOR, "Gateway overflow").await;
    let package = store
        .add_remediation(ACTOR, &case, &plan())
        .await
        .expect("package");
    store
        .record_milestone(ACTOR, &case, &package.id, RolloutPhase::Lab, Some("bench"))
        .await
        .expect("lab");
    let twice = store
        .record_milestone(ACTOR, &case, &package.id, RolloutPhase::Lab, None)
        .await
        .expect_err("lab again");
    assert_eq!(twice.kind(), ErrorKind::Conflict);
    let elsewhere = store
        .record_milestone(
            ACTOR,
            "no-such-case",
            &package.id,
            RolloutPhase::Pilot,
            None,
        )
        .await
        .expect_err("the package belongs to another case");
    assert_eq!(elsewhere.kind(), ErrorKind::NotFound);
    let milestones = store.case_milestones(&case).await.expect("milestones");
    assert_eq!(milestones.len(), 1);
    assert_eq!(milestones[0].phase, RolloutPhase::Lab);
    assert_eq!(milestones[0].note.as_deref(), Some("bench"));

    let control = CompensatingControl {
        owner: ACTOR.to_owned(),
        description: "drop unknown frames".to_owned(),
        expires_on: "2099-12-31".to_owned(),
    };
    let stored = store
        .add_control(ACTOR, &case, &control)
        .await
        .expect("control");
    assert!(stored.in_force());
    let withdrawn = store
        .withdraw_control(ACTOR, &case, &stored.id, "filter removed")
        .await
        .expect("withdraw");
    assert!(!withdrawn.in_force());
    assert_eq!(
        withdrawn.withdrawn.as_ref().map(|w| w.reason.as_str()),
        Some("filter removed")
    );
    let again = store
        .withdraw_control(ACTOR, &case, &stored.id, "twice")
        .await
        .expect_err("already withdrawn");
    assert_eq!(again.kind(), ErrorKind::Conflict);

    let indicator = Indicator::Hash {
        sha256: "AB".repeat(32),
        field: "sha256".to_owned(),
        description: None,
    };
    let kept = store
        .add_indicator(ACTOR, &case, indicator)
        .await
        .expect("indicator");
    let Indicator::Hash { sha256, .. } = &kept.indicator else {
        panic!("a hash indicator");
    };
    assert_eq!(sha256, &"ab".repeat(32));
    assert_eq!(store.case_indicators(&case).await.expect("list"), [kept]);
}

async fn coverage_queries_follow_the_installations(store: &Store) {
    add_inventory(store).await;
    for vehicle in ["veh-1", "veh-2"] {
        store
            .install_build("test", install(vehicle, "gw-1.2.0", 10))
            .await
            .expect("install");
    }
    store
        .install_build("test", install("veh-3", "gw-1.3.0", 10))
        .await
        .expect("install");
    store
        .install_build("test", install("veh-1", "gw-1.3.0", 20))
        .await
        .expect("update");

    let affected = BTreeSet::from(["gw-1.2.0".to_owned()]);
    let fixed = BTreeSet::from(["gw-1.3.0".to_owned()]);
    let ran = store.vehicles_that_ran(&affected).await.expect("ran");
    assert_eq!(
        ran,
        BTreeSet::from(["veh-1".to_owned(), "veh-2".to_owned()])
    );
    let running = store.vehicles_running(&fixed).await.expect("running");
    assert_eq!(
        running,
        BTreeSet::from(["veh-1".to_owned(), "veh-3".to_owned()])
    );
    let still = store.vehicles_running(&affected).await.expect("still");
    assert_eq!(still, BTreeSet::from(["veh-2".to_owned()]));
    assert!(
        store
            .vehicles_running(&BTreeSet::new())
            .await
            .expect("none")
            .is_empty()
    );
}
