//! Remediation packages and compensating controls of a case, on SQLite and
//! PostgreSQL: a checked plan naming builds of the inventory, replaced and
//! audited, and controls whose expiry is worked out on reading.

use keelson_core::remediation::{
    CompensatingControl, Fix, FixKind, Phase, RemediationPlan, RolloutPhase, Verification,
    VerificationStatus,
};
use keelson_core::{Marking, Role, Tlp};
use keelson_store::fleet::SoftwareBuild;
use keelson_store::users::NewUser;
use keelson_store::{ErrorKind, Store};

keelson_store::on_both_backends!(
    a_package_is_stored_replaced_and_audited,
    a_package_names_builds_of_the_inventory_and_a_checked_plan,
    a_control_shows_expired_after_its_day,
);

const ACTOR: &str = "bob";

async fn open_case(store: &Store) -> String {
    let build = SoftwareBuild {
        id: "tcu-4.2.1".to_owned(),
        ecu: "tcu".to_owned(),
        firmware_version: "4.2.1".to_owned(),
        digest: None,
        marking: Marking::new(Tlp::Amber),
    };
    store.create_build("test", &build).await.expect("build");
    keelson_store::testing::open_test_case(store, ACTOR, "OTA client skips the signature check")
        .await
}

fn plan(build: &str) -> RemediationPlan {
    RemediationPlan {
        title: "TCU 4.2.1 with signed OTA".to_owned(),
        fixes: vec![
            Fix {
                kind: FixKind::SoftwareBuild,
                reference: build.to_owned(),
                description: None,
            },
            Fix {
                kind: FixKind::BackendChange,
                reference: "ota-backend#812".to_owned(),
                description: Some("refuse unsigned manifests".to_owned()),
            },
        ],
        verifications: vec![Verification {
            platform: "MQB".to_owned(),
            status: VerificationStatus::Pending,
            note: None,
        }],
        phases: vec![Phase {
            phase: RolloutPhase::Lab,
            starts_on: "2026-12-01".to_owned(),
            ends_on: Some("2026-12-10".to_owned()),
            target_vehicles: Some(20),
        }],
    }
}

async fn a_package_is_stored_replaced_and_audited(store: &Store) {
    let case = open_case(store).await;
    let package = store
        .add_remediation(ACTOR, &case, &plan("tcu-4.2.1"))
        .await
        .expect("add");
    let mut verified = plan("tcu-4.2.1");
    verified.verifications[0].status = VerificationStatus::Passed;
    let same = store
        .update_remediation(ACTOR, &case, &package.id, &plan("tcu-4.2.1"))
        .await
        .expect("same plan");
    assert_eq!(same, package, "the same plan writes nothing");
    let updated = store
        .update_remediation(ACTOR, &case, &package.id, &verified)
        .await
        .expect("update");
    assert_eq!(
        updated.plan.verifications[0].status,
        VerificationStatus::Passed
    );

    let listed = store.case_remediations(&case).await.expect("list");
    assert_eq!(listed, [updated]);
    let history = store.case_history(&case).await.expect("history");
    let actions: Vec<&str> = history.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "case.create",
            "case.remediation.create",
            "case.remediation.update"
        ]
    );

    let elsewhere = store
        .update_remediation(ACTOR, "other-case", &package.id, &verified)
        .await;
    assert_eq!(
        elsewhere.map_err(|e| e.kind()).err(),
        Some(ErrorKind::NotFound)
    );
}

async fn a_package_names_builds_of_the_inventory_and_a_checked_plan(store: &Store) {
    let case = open_case(store).await;
    let unknown = store.add_remediation(ACTOR, &case, &plan("tcu-9.9")).await;
    let error = unknown.expect_err("no such build");
    assert_eq!(error.kind(), ErrorKind::Invalid);
    assert!(error.to_string().contains("tcu-9.9"), "{error}");

    let mut backwards = plan("tcu-4.2.1");
    backwards.phases[0].ends_on = Some("2026-11-30".to_owned());
    let refused = store.add_remediation(ACTOR, &case, &backwards).await;
    let error = refused.expect_err("ends before it starts");
    assert_eq!(
        error.to_string(),
        "invalid phases[0].ends_on: before starts_on"
    );
    assert!(
        store
            .case_remediations(&case)
            .await
            .expect("list")
            .is_empty()
    );
}

async fn a_control_shows_expired_after_its_day(store: &Store) {
    let case = open_case(store).await;
    let ana = NewUser {
        name: "ana".to_owned(),
        role: Role::PsirtEngineer,
        organisation: None,
        password_hash: "$argon2id$not-a-real-hash".to_owned(),
    };
    store.create_user("test", ana).await.expect("user");
    let control = CompensatingControl {
        owner: "ana".to_owned(),
        description: "Block OTA downloads over public Wi-Fi at the backend".to_owned(),
        expires_on: "2026-12-31".to_owned(),
    };
    let stored = store
        .add_control(ACTOR, &case, &control)
        .await
        .expect("add");

    let on_the_day = store
        .case_controls(&case, "2026-12-31")
        .await
        .expect("list");
    assert_eq!(
        on_the_day,
        [stored.clone()].map(|c| keelson_store::cases::remediation::Control {
            expired: false,
            ..c
        })
    );
    let after = store
        .case_controls(&case, "2027-01-01")
        .await
        .expect("list");
    assert!(after[0].expired);

    let nobody = CompensatingControl {
        owner: "zed".to_owned(),
        ..control
    };
    let refused = store.add_control(ACTOR, &case, &nobody).await;
    assert_eq!(
        refused.map_err(|e| e.kind()).err(),
        Some(ErrorKind::Invalid)
    );
}
