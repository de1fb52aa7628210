//! `keelson cases list` and `keelson cases show` as a user runs them: the
//! built binary over a data folder the test filled through the store,
//! JSON on stdout, the clearance of `--as`, exit codes, and a reader that
//! closes the pipe early.

mod support;

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};

use keelson_core::remediation::{CompensatingControl, RemediationPlan};
use keelson_core::{BuildStatus, IntakeKind, Marking, Principal, Role, Severity, SlaPolicy, Tlp};
use keelson_store::cases::{BuildAssessment, Intake, NewCase, Opened};
use keelson_store::fleet::SoftwareBuild;
use keelson_store::testing::TempDir;
use keelson_store::users::NewUser;
use keelson_store::{Store, StoreLocation};
use support::{keelson, stderr, stdout_json, stdout_lines};

fn new_case(cve: &str, severity: Severity, tlp: Tlp) -> NewCase {
    NewCase {
        title: format!("Case for {cve}"),
        intake: Intake {
            kind: IntakeKind::Manual,
            source: None,
        },
        vulnerability_ids: vec![cve.parse().expect("id")],
        severity,
        owner: None,
        team: None,
        marking: Marking::new(tlp),
        builds: Vec::new(),
    }
}

/// Opens the cases in the folder's store and returns their IDs in order.
fn seed(dir: &Path, cases: &[NewCase]) -> Vec<String> {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let store = Store::open(&StoreLocation::DataDir(dir.to_owned()))
            .await
            .expect("store");
        let partner = NewUser {
            name: "pat".to_owned(),
            role: Role::Partner,
            organisation: Some("acme".to_owned()),
            password_hash: "$argon2id$not-a-real-hash".to_owned(),
        };
        store.create_user("test", partner).await.expect("user");
        let mut ids = Vec::new();
        for new in cases {
            let opened = store
                .open_case("test", &Principal::system(), new, &SlaPolicy::default())
                .await
                .expect("open");
            let (Opened::Created(case) | Opened::Merged(case)) = opened;
            ids.push(case.id);
        }
        store.close().await.expect("close");
        ids
    })
}

#[test]
fn cases_list_prints_one_json_line_per_case_the_reader_may_see() {
    let dir = TempDir::new().expect("dir");
    let ids = seed(
        &dir.path,
        &[
            new_case("CVE-2024-0001", Severity::High, Tlp::Green),
            new_case("CVE-2024-0002", Severity::Low, Tlp::Amber),
        ],
    );

    let output = keelson(&dir.path, &["cases", "list"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let listed: Vec<String> = stdout_lines(&output)
        .iter()
        .filter_map(|case| case["id"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(listed, [ids[1].clone(), ids[0].clone()], "newest first");

    let output = keelson(&dir.path, &["cases", "list", "--severity", "high"]);
    let lines = stdout_lines(&output);
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["id"], ids[0].as_str());

    // A partner of acme sees the GREEN case, not the unshared AMBER one.
    let output = keelson(&dir.path, &["cases", "list", "--as", "pat"]);
    let lines = stdout_lines(&output);
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["marking"]["tlp"], "GREEN");

    let output = keelson(&dir.path, &["cases", "list", "--state", "done"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("unknown case state"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn cases_show_prints_the_case_or_exits_2() {
    let dir = TempDir::new().expect("dir");
    let ids = seed(
        &dir.path,
        &[new_case("CVE-2024-0003", Severity::Critical, Tlp::Amber)],
    );

    let output = keelson(&dir.path, &["cases", "show", &ids[0]]);
    assert!(output.status.success(), "{}", stderr(&output));
    let case = stdout_json(&output);
    assert_eq!(case["id"], ids[0].as_str());
    assert_eq!(case["state"], "received");
    assert_eq!(case["vulnerability_ids"][0], "CVE-2024-0003");
    assert!(case["builds"].is_array() && case["tasks"].is_array() && case["comments"].is_array());

    for (args, why) in [
        (vec!["cases", "show", "no-such-case"], "missing"),
        (
            vec!["cases", "show", &ids[0], "--as", "pat"],
            "above the partner's clearance",
        ),
    ] {
        let output = keelson(&dir.path, &args);
        assert_eq!(output.status.code(), Some(2), "{why}");
        assert!(output.stdout.is_empty(), "{why}");
        assert!(
            stderr(&output).contains("not found"),
            "{why}: {}",
            stderr(&output)
        );
    }
}

#[test]
fn cases_list_into_a_closed_pipe_ends_quietly() {
    let dir = TempDir::new().expect("dir");
    // Enough output (well over a pipe buffer of 64 KiB) that writing into
    // the closed pipe must fail, whatever the timing.
    let cases: Vec<NewCase> = (0..150)
        .map(|n| {
            let mut case = new_case(
                &format!("CVE-2024-{:04}", 1000 + n),
                Severity::Low,
                Tlp::Green,
            );
            case.title = format!("{n} {}", "x".repeat(280));
            case
        })
        .collect();
    seed(&dir.path, &cases);

    let mut child = Command::new(env!("CARGO_BIN_EXE_keelson"))
        .arg("--data-dir")
        .arg(&dir.path)
        .args(["cases", "list"])
        .env_remove("KEELSON_DATABASE")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    drop(child.stdout.take());
    let mut errors = String::new();
    if let Some(mut stream) = child.stderr.take() {
        stream.read_to_string(&mut errors).expect("stderr");
    }
    let status = child.wait().expect("wait");
    assert!(status.success(), "{status}: {errors}");
    assert!(!errors.contains("panicked"), "{errors}");
}

/// Opens a case on one build of the inventory and returns its ID.
fn seed_case_on_build(dir: &Path, build: &str) -> String {
    let mut case = new_case("CVE-2024-0100", Severity::High, Tlp::Amber);
    case.builds = vec![BuildAssessment {
        build_id: build.to_owned(),
        status: BuildStatus::Affected,
    }];
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let store = Store::open(&StoreLocation::DataDir(dir.to_owned()))
            .await
            .expect("store");
        let record = SoftwareBuild {
            id: build.to_owned(),
            ecu: "tcu".to_owned(),
            firmware_version: "4.2".to_owned(),
            digest: None,
            marking: Marking::new(Tlp::Amber),
        };
        store.create_build("test", &record).await.expect("build");
        store.close().await.expect("close");
    });
    seed(dir, &[case]).remove(0)
}

#[test]
fn cases_risk_records_the_determination_by_the_configured_matrix() {
    let dir = TempDir::new().expect("dir");
    let id = seed_case_on_build(&dir.path, "tcu-4.2.0");
    let input = dir.path.join("risk.json");
    let request = serde_json::json!({
        "impacts": {"safety": "major", "financial": "negligible",
                    "operational": "negligible", "privacy": "negligible"},
        "feasibility": {"method": "attack_potential", "elapsed_time": "more_than_six_months",
            "specialist_expertise": "layman", "item_knowledge": "public",
            "window_of_opportunity": "easy", "equipment": "standard"},
    });
    std::fs::write(&input, request.to_string()).expect("write");
    let input = input.to_string_lossy().into_owned();

    // Annex G.2: 19 + 0 + 0 + 1 + 0 = 20, low; Annex H: major at low is 2.
    let args = [
        "cases",
        "risk",
        &id,
        "--build",
        "tcu-4.2.0",
        "--input",
        &input,
    ];
    let output = keelson(&dir.path, &args);
    assert!(output.status.success(), "{}", stderr(&output));
    let answer = stdout_json(&output);
    assert_eq!(answer["outcome"], "added");
    assert_eq!(answer["risk"]["determination"]["attack_potential"], 20);
    assert_eq!(answer["risk"]["determination"]["risk_value"], 2);

    // A matrix of the configuration's own gives its value instead.
    let config = dir.path.join("keelson.toml");
    let matrix = "[risk_matrix]\nsevere = [5, 5, 5, 5]\nmajor = [3, 3, 4, 4]\n\
                  moderate = [1, 2, 2, 3]\nnegligible = [1, 1, 1, 1]\n";
    std::fs::write(&config, matrix).expect("write");
    let config = config.to_string_lossy().into_owned();
    let mut with_config = vec!["--config", &config];
    with_config.extend(args);
    let output = keelson(&dir.path, &with_config);
    assert!(output.status.success(), "{}", stderr(&output));
    let answer = stdout_json(&output);
    assert_eq!(answer["outcome"], "changed");
    assert_eq!(answer["risk"]["determination"]["risk_value"], 3);

    let output = keelson(&dir.path, &["cases", "show", &id]);
    assert_eq!(
        stdout_json(&output)["risks"][0]["determination"]["risk_value"],
        3
    );
}

#[test]
fn cases_risk_refuses_bad_input_naming_the_file() {
    let dir = TempDir::new().expect("dir");
    let id = seed_case_on_build(&dir.path, "tcu-4.2.0");
    let input = dir.path.join("risk.json");
    let request = serde_json::json!({
        "impacts": {"safety": "major", "financial": "negligible",
                    "operational": "negligible", "privacy": "negligible"},
        "feasibility": {"method": "cvss", "vector": "CVSS:3.1/AV:N/AC:L"},
    });
    std::fs::write(&input, request.to_string()).expect("write");
    let input = input.to_string_lossy().into_owned();
    let args = [
        "cases",
        "risk",
        &id,
        "--build",
        "tcu-4.2.0",
        "--input",
        &input,
    ];
    let output = keelson(&dir.path, &args);
    assert_eq!(output.status.code(), Some(2));
    let errors = stderr(&output);
    assert!(
        errors.contains("risk.json") && errors.contains("feasibility.vector"),
        "{errors}"
    );

    let output = keelson(&dir.path, &["cases", "show", &id]);
    assert_eq!(stdout_json(&output)["risks"], serde_json::json!([]));
}

#[test]
fn cases_remediation_prints_packages_and_controls_or_exits_2() {
    let dir = TempDir::new().expect("dir");
    let id = seed_case_on_build(&dir.path, "tcu-4.2.0");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let store = Store::open(&StoreLocation::DataDir(dir.path.clone()))
            .await
            .expect("store");
        let plan: RemediationPlan = serde_json::from_value(serde_json::json!({
            "title": "TCU 4.2.0 rebuilt with signed OTA",
            "fixes": [{"kind": "software_build", "reference": "tcu-4.2.0"}],
            "phases": [{"phase": "lab", "starts_on": "2026-12-01"}],
        }))
        .expect("plan");
        store
            .add_remediation("test", &id, &plan)
            .await
            .expect("package");
        let control = CompensatingControl {
            owner: "pat".to_owned(),
            description: "Backend refuses unsigned manifests".to_owned(),
            expires_on: "2020-06-30".to_owned(),
        };
        store
            .add_control("test", &id, &control)
            .await
            .expect("control");
        store.close().await.expect("close");
    });

    let output = keelson(&dir.path, &["cases", "remediation", &id]);
    assert!(output.status.success(), "{}", stderr(&output));
    let shown = stdout_json(&output);
    assert_eq!(
        shown["packages"][0]["title"],
        "TCU 4.2.0 rebuilt with signed OTA"
    );
    assert_eq!(
        shown["packages"][0]["vehicles_on_fixed_builds"], 0,
        "no vehicle in the inventory"
    );
    assert_eq!(shown["controls"][0]["expired"], true);

    let output = keelson(&dir.path, &["cases", "remediation", &id, "--as", "pat"]);
    assert_eq!(
        output.status.code(),
        Some(2),
        "the AMBER case is above the partner"
    );
    assert!(output.stdout.is_empty());
}
