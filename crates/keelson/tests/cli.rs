//! The command-line contract, run as a user would: the built binary, a
//! fresh data folder, stdout parsed as JSON, exit codes checked.

mod support;

use std::path::Path;
use std::process::Command;

use keelson_store::testing::TempDir;
use sea_orm::{ConnectionTrait, Database};
use support::{keelson, stdout_json};

#[test]
fn created_user_gets_a_generated_password_once() {
    let dir = TempDir::new().expect("dir");
    let output = keelson(
        &dir.path,
        &[
            "admin",
            "create-user",
            "pat",
            "--role",
            "partner",
            "--org",
            "acme",
        ],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let created = stdout_json(&output);
    assert_eq!(created["user"]["role"], "partner");
    assert_eq!(created["user"]["organisation"], "acme");
    assert!(created["password"].as_str().is_some_and(|p| p.len() >= 12));

    let token = keelson(
        &dir.path,
        &["admin", "create-token", "pat", "--expires-days", "1"],
    );
    let line = String::from_utf8_lossy(&token.stdout);
    assert_eq!(line.lines().count(), 1);
    assert!(line.starts_with("kls_"), "{line}");

    let again = keelson(
        &dir.path,
        &["admin", "create-user", "pat", "--role", "admin"],
    );
    assert_eq!(again.status.code(), Some(2));
    let unknown_role = keelson(&dir.path, &["admin", "create-user", "x", "--role", "root"]);
    assert_eq!(unknown_role.status.code(), Some(2));
}

#[test]
fn audit_verify_names_the_row_changed_in_the_sqlite_file() {
    let dir = TempDir::new().expect("dir");
    let fresh = keelson(&dir.path, &["audit", "verify"]);
    assert_eq!(fresh.status.code(), Some(0));
    assert_eq!(stdout_json(&fresh)["ok"], true);

    for name in ["ana", "bob", "cat"] {
        let made = keelson(
            &dir.path,
            &["admin", "create-user", name, "--role", "vsoc-analyst"],
        );
        assert!(made.status.success());
    }
    let intact = stdout_json(&keelson(&dir.path, &["audit", "verify"]));
    assert_eq!(
        (intact["ok"].as_bool(), intact["entries"].as_u64()),
        (Some(true), Some(3))
    );

    tamper(
        &dir.path.join("keelson.sqlite3"),
        "UPDATE audit_log SET actor = 'mallory' WHERE seq = 2",
    );
    let broken = keelson(&dir.path, &["audit", "verify"]);
    assert_eq!(broken.status.code(), Some(1));
    let report = stdout_json(&broken);
    assert_eq!(report["ok"], false);
    assert_eq!(report["first_broken"], 2);
}

#[test]
fn deleting_an_audit_row_breaks_the_chain_at_the_gap() {
    let dir = TempDir::new().expect("dir");
    for name in ["ana", "bob", "cat"] {
        keelson(
            &dir.path,
            &["admin", "create-user", name, "--role", "vsoc-analyst"],
        );
    }
    tamper(
        &dir.path.join("keelson.sqlite3"),
        "DELETE FROM audit_log WHERE seq = 2",
    );
    let report = stdout_json(&keelson(&dir.path, &["audit", "verify"]));
    assert_eq!(
        (report["ok"].as_bool(), report["first_broken"].as_i64()),
        (Some(false), Some(3))
    );
}

/// Changes the SQLite file directly, as an attacker with file access would.
fn tamper(file: &Path, sql: &str) {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let db = Database::connect(format!("sqlite://{}", file.display()))
            .await
            .expect("open");
        db.execute_unprepared(sql).await.expect("tamper");
        db.close().await.expect("close");
    });
}

#[test]
fn cvss_scores_vectors_and_rejects_malformed_ones() {
    let dir = TempDir::new().expect("dir");
    let output = keelson(
        &dir.path,
        &["cvss", "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H"],
    );
    assert!(output.status.success());
    let line = stdout_json(&output);
    assert_eq!(
        (line["score"].as_f64(), line["version"].as_str()),
        (Some(9.9), Some("3.1"))
    );

    let bad = keelson(&dir.path, &["cvss", "CVSS:3.1/AV:Q"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(stdout_json(&bad)["error"].is_string());
}

#[test]
fn config_show_masks_the_database_password() {
    let dir = TempDir::new().expect("dir");
    let output = Command::new(env!("CARGO_BIN_EXE_keelson"))
        .args(["config", "show", "--database", "postgres://k:hunter2@db/k"])
        .env("KEELSON_LISTEN", "127.0.0.1:9999")
        .env("KEELSON_DATA_DIR", &dir.path)
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success());
    assert!(!text.contains("hunter2"), "{text}");
    assert!(text.contains("127.0.0.1:9999"), "{text}");
}

#[test]
fn webhooks_deliveries_lists_nothing_on_a_fresh_store_and_refuses_bad_config() {
    let dir = keelson_store::testing::TempDir::new().expect("dir");
    let output = support::keelson(&dir.path, &["webhooks", "deliveries"]);
    assert!(output.status.success(), "{}", support::stderr(&output));
    assert!(output.stdout.is_empty());
    let output = support::keelson(&dir.path, &["webhooks", "deliveries", "--status", "sent"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        support::stderr(&output).contains("\"sent\" is not one of pending, delivered or failed"),
        "{}",
        support::stderr(&output)
    );

    let config = dir.path.join("keelson.toml");
    let bad = "[[webhooks]]\nurl = \"http://127.0.0.1:9/hook\"\nsecret = \"\"\nevents = [\"finding.kev\"]\n";
    std::fs::write(&config, bad).expect("write");
    let config = config.to_string_lossy().into_owned();
    let output = support::keelson(&dir.path, &["--config", &config, "webhooks", "deliveries"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        support::stderr(&output).contains("a secret is required"),
        "{}",
        support::stderr(&output)
    );
}
