//! ISO/SAE 21434 risk determinations of a case per build, on SQLite and
//! PostgreSQL: recorded for a build on the case, replaced and audited, the
//! same inputs again writing nothing, and the matrix of the time kept.

use keelson_core::risk::{
    self, CvssExploitability, Feasibility, ImpactRating, Impacts, RawRiskMatrix, RiskMatrix,
};
use keelson_core::{BuildStatus, Marking, Tlp};
use keelson_store::cases::work::StatusOutcome;
use keelson_store::fleet::SoftwareBuild;
use keelson_store::{ErrorKind, Store};
use serde_json::json;

keelson_store::on_both_backends!(
    a_risk_is_recorded_per_build_replaced_and_audited,
    a_risk_needs_a_build_on_the_case,
    a_stored_risk_keeps_the_matrix_it_was_made_with,
);

const ACTOR: &str = "bob";

async fn case_with_build(store: &Store, build: &str) -> String {
    let record = SoftwareBuild {
        id: build.to_owned(),
        ecu: "tcu".to_owned(),
        firmware_version: "1.0".to_owned(),
        digest: None,
        marking: Marking::new(Tlp::Amber),
    };
    store.create_build("test", &record).await.expect("build");
    let case_id = keelson_store::testing::open_test_case(
        store,
        ACTOR,
        "Telematics unit accepts unsigned firmware",
    )
    .await;
    store
        .set_build_status(ACTOR, &case_id, build, BuildStatus::Affected, None)
        .await
        .expect("status");
    case_id
}

fn impacts(safety: ImpactRating) -> Impacts {
    Impacts {
        safety,
        financial: ImpactRating::Moderate,
        operational: ImpactRating::Negligible,
        privacy: ImpactRating::Negligible,
    }
}

fn cvss(vector: &str) -> Feasibility {
    Feasibility::Cvss(CvssExploitability::from_vector(vector).expect("vector"))
}

/// AV:N/AC:L/PR:N/UI:N: E = 3.89, high (Annex G.3).
const NETWORK: &str = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H";
/// AV:P/AC:L/PR:N/UI:N: E = 0.91, very low (Annex G.3).
const PHYSICAL: &str = "CVSS:3.1/AV:P/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H";

async fn a_risk_is_recorded_per_build_replaced_and_audited(store: &Store) {
    let case = case_with_build(store, "tcu-4.2.0").await;
    let matrix = RiskMatrix::default();
    let first = risk::determine(impacts(ImpactRating::Severe), cvss(NETWORK), &matrix);
    let second = risk::determine(impacts(ImpactRating::Severe), cvss(PHYSICAL), &matrix);

    let set = |found| store.set_case_risk(ACTOR, &case, "tcu-4.2.0", found);
    let (added, stored) = set(&first).await.expect("add");
    let (unchanged, _) = set(&first).await.expect("again");
    let (changed, replaced) = set(&second).await.expect("change");
    assert_eq!(
        (added, unchanged, changed),
        (
            StatusOutcome::Added,
            StatusOutcome::Unchanged,
            StatusOutcome::Changed
        )
    );
    // Annex H example matrix: severe at high feasibility 5, at very low 2.
    assert_eq!(stored.determination.risk_value, 5);
    assert_eq!(replaced.determination.risk_value, 2);

    let listed = store.case_risks(&case).await.expect("risks");
    assert_eq!(listed, [replaced]);
    let history = store.case_history(&case).await.expect("history");
    let risks: Vec<_> = history.iter().filter(|e| e.action == "case.risk").collect();
    assert_eq!(risks.len(), 2, "the unchanged write adds no entry");
    assert_eq!(
        risks[1].detail,
        json!({"build_id": "tcu-4.2.0", "from": 5, "to": 2, "feasibility_rating": "very_low"})
    );
}

async fn a_risk_needs_a_build_on_the_case(store: &Store) {
    let case = case_with_build(store, "tcu-4.2.0").await;
    let found = risk::determine(
        impacts(ImpactRating::Major),
        cvss(NETWORK),
        &RiskMatrix::default(),
    );
    let elsewhere = store.set_case_risk(ACTOR, &case, "bcm-1.0", &found).await;
    let error = elsewhere.expect_err("a build not on the case");
    assert_eq!(error.kind(), ErrorKind::Invalid);
    assert!(error.to_string().contains("bcm-1.0"), "{error}");
    let missing = store
        .set_case_risk(ACTOR, "no-such-case", "tcu-4.2.0", &found)
        .await;
    assert_eq!(
        missing.map_err(|e| e.kind()).err(),
        Some(ErrorKind::NotFound)
    );
}

async fn a_stored_risk_keeps_the_matrix_it_was_made_with(store: &Store) {
    let case = case_with_build(store, "tcu-4.2.0").await;
    let strict = RiskMatrix::try_from(RawRiskMatrix {
        severe: vec![5, 5, 5, 5],
        major: vec![4, 4, 4, 4],
        moderate: vec![3, 3, 3, 3],
        negligible: vec![1, 1, 1, 1],
    })
    .expect("matrix");
    let found = risk::determine(impacts(ImpactRating::Major), cvss(PHYSICAL), &strict);
    store
        .set_case_risk(ACTOR, &case, "tcu-4.2.0", &found)
        .await
        .expect("set");

    let listed = store.case_risks(&case).await.expect("risks");
    // The default matrix would say 1 for major at very low; this one says 4.
    assert_eq!(listed[0].determination.risk_value, 4);
    assert_eq!(listed[0].determination.matrix, strict);
}
