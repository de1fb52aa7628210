//! Stored VEX statements on SQLite and PostgreSQL: a statement is kept for the exact
//! product and component it names, with who imported it and when; the same document
//! is stored once; an open case tracking the vulnerability gets a `case.vex` entry.

use keelson_core::{IntakeKind, Marking, Principal, Role, Severity, SlaPolicy, Tlp};
use keelson_store::Store;
use keelson_store::cases::{Intake, NewCase, Opened};
use keelson_store::vex::{NewVexImport, NewVexStatement};

keelson_store::on_both_backends!(
    a_not_affected_statement_is_kept_for_its_product_only,
    the_same_document_is_stored_once,
    an_open_case_of_the_vulnerability_records_the_statement_in_its_history,
    an_unknown_status_is_refused,
);

const PRODUCT_A: &str = "pkg:generic/acme/tcu-firmware@4.2.0";
const PRODUCT_B: &str = "pkg:generic/acme/ivi-firmware@3.1.0";
const COMPONENT: &str = "pkg:npm/i18next@1.10.2";

fn supplier_import(sha256: &str, status: &str) -> NewVexImport {
    NewVexImport {
        sha256: sha256.to_owned(),
        document_id: "https://supplier.example/vex/2026-001".to_owned(),
        format: "openvex".to_owned(),
        author: "Supplier PSIRT".to_owned(),
        marking: Marking::new(Tlp::Amber),
        statements: vec![NewVexStatement {
            vulnerability_id: "CVE-2017-16008".to_owned(),
            aliases: vec!["GHSA-f89g-whpf-6q9m".to_owned()],
            product: PRODUCT_A.to_owned(),
            component: Some(COMPONENT.to_owned()),
            status: status.to_owned(),
            justification: Some("vulnerable_code_not_in_execute_path".to_owned()),
            impact: None,
            action: None,
            stated_at_us: None,
        }],
    }
}

async fn a_not_affected_statement_is_kept_for_its_product_only(store: &Store) {
    let imported = store
        .import_vex("pia", &supplier_import("d1", "not_affected"))
        .await
        .expect("import");
    assert_eq!(imported.statements, 1);

    let about_a = store
        .vex_statements_about(&[PRODUCT_A.to_owned()])
        .await
        .expect("read");
    assert_eq!(about_a.len(), 1);
    let statement = &about_a[0];
    assert_eq!(statement.status, "not_affected");
    assert_eq!(
        statement.justification.as_deref(),
        Some("vulnerable_code_not_in_execute_path")
    );
    assert_eq!(statement.component.as_deref(), Some(COMPONENT));
    assert_eq!(statement.imported_by, "pia");
    assert_eq!(statement.aliases, ["GHSA-f89g-whpf-6q9m"]);

    let about_b = store
        .vex_statements_about(&[PRODUCT_B.to_owned(), COMPONENT.to_owned()])
        .await
        .expect("read");
    assert!(about_b.is_empty(), "{about_b:?}");

    let audit = store.audit_entries(None, 100, None).await.expect("audit");
    let entry = audit.iter().find(|e| e.action == "vex.import");
    assert_eq!(
        entry.map(|e| e.object_id.as_str()),
        Some(imported.import_id.as_str())
    );
}

async fn the_same_document_is_stored_once(store: &Store) {
    let first = store
        .import_vex("pia", &supplier_import("d2", "not_affected"))
        .await
        .expect("import");
    let second = store
        .import_vex("pia", &supplier_import("d2", "not_affected"))
        .await
        .expect("import");
    assert!(second.already_imported);
    assert_eq!(second.import_id, first.import_id);
    let rows = store
        .vex_statements_about(&[PRODUCT_A.to_owned()])
        .await
        .expect("read");
    assert_eq!(rows.len(), 1);
}

async fn an_open_case_of_the_vulnerability_records_the_statement_in_its_history(store: &Store) {
    let new = NewCase {
        title: "i18next format string injection".to_owned(),
        intake: Intake {
            kind: IntakeKind::SupplierAdvisory,
            source: None,
        },
        // The case knows the vulnerability by its GHSA ID; the statement's alias.
        vulnerability_ids: vec!["GHSA-f89g-whpf-6q9m".parse().expect("id")],
        severity: Severity::Medium,
        owner: None,
        team: None,
        marking: Marking::new(Tlp::Amber),
        builds: Vec::new(),
    };
    let reader = Principal::new("pia", Role::PsirtEngineer, None);
    let opened = store
        .open_case("pia", &reader, &new, &SlaPolicy::default())
        .await
        .expect("case");
    let Opened::Created(case) = opened else {
        panic!("a new case")
    };
    let imported = store
        .import_vex("pia", &supplier_import("d3", "not_affected"))
        .await
        .expect("import");
    assert_eq!(imported.cases, std::slice::from_ref(&case.id));

    let history = store.case_history(&case.id).await.expect("history");
    let vex = history
        .iter()
        .find(|e| e.action == "case.vex")
        .expect("case.vex");
    assert_eq!(vex.detail["statements"][0]["status"], "not_affected");
    assert_eq!(vex.detail["statements"][0]["product"], PRODUCT_A);
}

async fn an_unknown_status_is_refused(store: &Store) {
    let refused = store
        .import_vex("pia", &supplier_import("d4", "maybe"))
        .await;
    let message = refused.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(message.contains("statements[0].status"), "{message}");
}
