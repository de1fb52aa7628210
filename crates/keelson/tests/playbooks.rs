//! `keelson playbooks validate` and `import` as a user runs them: the
//! shipped playbooks are valid; a broken copy is reported with every
//! problem and its line; importing twice changes nothing the second time.

mod support;

use keelson_store::testing::TempDir;
use serde_json::Value;
use support::{keelson, stderr, stdout_lines};

fn shipped() -> std::path::PathBuf {
    keelson_testkit::repo_root().join("playbooks")
}

#[test]
fn the_shipped_playbooks_validate() {
    let dir = TempDir::new().expect("dir");

    let output = keelson(
        &dir.path,
        &["playbooks", "validate", shipped().to_str().expect("p")],
    );

    let reports = stdout_lines(&output);
    assert!(output.status.success(), "{reports:?} {}", stderr(&output));
    let ids: Vec<&str> = reports
        .iter()
        .filter_map(|r| r["playbook"].as_str())
        .collect();
    assert_eq!(
        ids,
        ["critical-incident-page", "uds-security-access-brute-force"]
    );
    assert!(
        reports.iter().all(|report| report["status"] == "ok"),
        "{reports:?}"
    );
}

#[test]
fn a_broken_playbook_names_each_problem_with_its_line() {
    let dir = TempDir::new().expect("dir");
    let shipped_text =
        std::fs::read_to_string(shipped().join("uds_security_access_brute_force.yml"))
            .expect("shipped playbook");
    let broken = shipped_text
        .replace("kind: heighten_rule", "kind: heighten_rules")
        .replace("vehicle_count >= 3", "vehicles >= 3");
    let file = dir.path.join("broken.yml");
    std::fs::write(&file, &broken).expect("write");

    let output = keelson(
        &dir.path,
        &["playbooks", "validate", file.to_str().expect("p")],
    );

    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let report = &stdout_lines(&output)[0];
    assert_eq!(report["status"], "error");
    let line_of = |needle: &str| {
        broken
            .lines()
            .position(|line| line.contains(needle))
            .expect("needle") as u64
            + 1
    };
    let problems: Vec<(u64, String)> = report["problems"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| {
            (
                p["line"].as_u64().unwrap_or(0),
                p["reason"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert_eq!(problems[0].0, line_of("heighten_rules"));
    assert!(
        problems[0].1.contains("unknown kind `heighten_rules`"),
        "{problems:?}"
    );
    assert_eq!(problems[1].0, line_of("vehicles >= 3"));
    assert!(
        problems[1].1.contains("unknown fact `vehicles`"),
        "{problems:?}"
    );
}

#[test]
fn importing_the_same_playbooks_again_changes_nothing() {
    let dir = TempDir::new().expect("dir");
    let path = shipped();
    let path = path.to_str().expect("p");

    let first = keelson(&dir.path, &["playbooks", "import", path]);
    let second = keelson(&dir.path, &["playbooks", "import", path]);

    assert!(first.status.success(), "{}", stderr(&first));
    let outcomes = |output| -> Vec<Value> {
        stdout_lines(output)
            .into_iter()
            .map(|line| line["outcome"].clone())
            .collect()
    };
    assert_eq!(outcomes(&first), ["created", "created"]);
    assert_eq!(outcomes(&second), ["unchanged", "unchanged"]);
}
