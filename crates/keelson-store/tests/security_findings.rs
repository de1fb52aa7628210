//! Security-test findings per build on SQLite and PostgreSQL: kept once per
//! fingerprint, audited on the build, refused for a build that does not exist.

use keelson_core::{Marking, Severity, Tlp};
use keelson_store::Store;
use keelson_store::fleet::SoftwareBuild;
use keelson_store::security_findings::NewSecurityFinding;

keelson_store::on_both_backends!(
    a_report_imported_twice_is_stored_once,
    findings_need_an_existing_build,
);

fn finding(rule: &str) -> NewSecurityFinding {
    NewSecurityFinding {
        tool: "fuzzer".to_owned(),
        rule_id: rule.to_owned(),
        level: "error".to_owned(),
        severity: Severity::High,
        message: format!("{rule} crashed the ECU"),
        location: Some("uds:0x27".to_owned()),
        fingerprint: format!("fuzzer|{rule}"),
    }
}

async fn a_report_imported_twice_is_stored_once(store: &Store) {
    let build = SoftwareBuild {
        id: "tcu-4.2.0".to_owned(),
        ecu: "tcu".to_owned(),
        firmware_version: "4.2.0".to_owned(),
        digest: None,
        marking: Marking::new(Tlp::Amber),
    };
    store.create_build("test", &build).await.expect("build");
    let report = [finding("UDS-1"), finding("UDS-2"), finding("UDS-1")];
    let first = store
        .import_security_findings("tess", "tcu-4.2.0", &report)
        .await
        .expect("import");
    assert_eq!(first.stored.len(), 2);
    assert_eq!(first.duplicates, 1);
    let again = store
        .import_security_findings("tess", "tcu-4.2.0", &report)
        .await
        .expect("import");
    assert_eq!((again.stored.len(), again.duplicates), (0, 3));

    let kept = store.security_findings("tcu-4.2.0").await.expect("list");
    let rules: Vec<&str> = kept.iter().map(|f| f.rule_id.as_str()).collect();
    assert_eq!(rules, ["UDS-1", "UDS-2"]);
    assert_eq!(kept[0].imported_by, "tess");
    let audit = store.audit_entries(None, 100, None).await.expect("audit");
    let imports = audit
        .iter()
        .filter(|e| e.action == "security_findings.import")
        .count();
    assert_eq!(imports, 2);
}

async fn findings_need_an_existing_build(store: &Store) {
    let refused = store
        .import_security_findings("tess", "nope", &[finding("UDS-1")])
        .await;
    assert!(refused.is_err());
}
