//! `keelson fleet import` on files the tests write: a good CSV imports
//! once and a second run changes nothing; a file with bad rows names each
//! bad row's file, line and reason and imports nothing; a VIN is kept only
//! as the keyed hash, with the key from the environment.

mod support;

use std::path::Path;
use std::process::{Command, Output, Stdio};

use keelson_store::testing::TempDir;
use keelson_store::{Store, StoreLocation};
use serde_json::Value;
use support::{stderr, stdout_json};

const KEY: &str = "test-vin-key-not-a-secret";

fn fleet_import(data_dir: &Path, file: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_keelson"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(["fleet", "import"])
        .arg(file)
        .env_remove("KEELSON_DATABASE")
        .env("KEELSON_VIN_HASH_KEY", KEY)
        .stdin(Stdio::null())
        .output()
        .expect("run keelson")
}

const HEADER: &str = "vehicle,vin,region,model,make,model_name,year,ecu,ecu_name,supplier,\
                      hardware_part_number,build,firmware_version,installed_at";

fn write(dir: &Path, name: &str, lines: &[&str]) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, lines.join("\n") + "\n").expect("write");
    path
}

async fn open(dir: &Path) -> Store {
    Store::open(&StoreLocation::DataDir(dir.to_owned()))
        .await
        .expect("open")
}

#[tokio::test]
async fn a_good_file_imports_once_and_a_second_run_changes_nothing() {
    let dir = TempDir::new().expect("dir");
    let vin = "1HGCM82633A004352";
    let file = write(
        &dir.path,
        "fleet.csv",
        &[
            HEADER,
            "v1,,EU,m1,Acme,Roadster,2025,tcu,Telematics,Acme Parts,HW-1,tcu-1,1.0,2026-01-01T00:00:00Z",
            "v1,,EU,m1,,,,gw,Gateway,,,gw-1,3.2,2026-01-01T00:00:00Z",
            &format!("v2,{vin},US,m1,,,,tcu,,,,tcu-1,,2026-02-01T00:00:00Z"),
            &format!(",{},US,m1,,,,,,,,,,", "JH4KA7561PC008269"),
        ],
    );

    let first = fleet_import(&dir.path, &file);
    let again = fleet_import(&dir.path, &file);

    assert!(first.status.success(), "{}", stderr(&first));
    let counts = stdout_json(&first);
    assert_eq!(counts["rows"], 4);
    assert_eq!(counts["models_created"], 1);
    assert_eq!(counts["vehicles_created"], 3);
    assert_eq!(counts["ecus_created"], 2);
    assert_eq!(counts["builds_created"], 2);
    assert_eq!(counts["installations_created"], 3);
    assert!(again.status.success(), "{}", stderr(&again));
    let counts = stdout_json(&again);
    for created in ["models", "vehicles", "ecus", "builds", "installations"] {
        assert_eq!(
            counts[format!("{created}_created")],
            0,
            "{created}: {counts}"
        );
    }
    assert_eq!(counts["installations_unchanged"], 3);

    let store = open(&dir.path).await;
    let v2 = store.vehicle("v2").await.expect("q").expect("v2");
    let expected = keelson_store::fleet::vin_hash(KEY.as_bytes(), vin);
    assert_eq!(v2.vin_hash.as_deref(), Some(expected.as_str()));
    let history = store.installations_of_vehicle("v1", true).await.expect("q");
    assert_eq!(history.len(), 2, "{history:?}");
    let ecu = store.ecu("tcu").await.expect("q").expect("tcu");
    assert_eq!(ecu.supplier.as_deref(), Some("Acme Parts"));
    let sqlite = std::fs::read(keelson_store::sqlite_file(&dir.path)).expect("db file");
    let needle = vin.as_bytes();
    assert!(!sqlite.windows(needle.len()).any(|window| window == needle));
}

#[tokio::test]
async fn bad_rows_are_named_by_line_and_nothing_is_imported() {
    let dir = TempDir::new().expect("dir");
    let file = write(
        &dir.path,
        "fleet.csv",
        &[
            HEADER,
            "v1,,EU,m1,Acme,Roadster,2025,tcu,,,,tcu-1,1.0,2026-01-01T00:00:00Z",
            "v2,,EU,m1,Other,,,,,,,,,",
            "v3,NOTAVIN,EU,,,,,,,,,,,",
            "v4,,EU,,,,,tcu,,,,tcu-2,2.0,",
            "v5,,EU",
            ",,,,,,,,,,,,,",
        ],
    );

    let output = fleet_import(&dir.path, &file);

    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let summary = stdout_json(&output);
    assert_eq!(summary["imported"], false);
    let bad: Vec<(u64, String)> = summary["bad_rows"]
        .as_array()
        .expect("bad rows")
        .iter()
        .map(|row| {
            assert_eq!(row["file"], file.display().to_string());
            let line = row["line"].as_u64().expect("line");
            (line, row["reason"].as_str().unwrap_or_default().to_owned())
        })
        .collect();
    let lines: Vec<u64> = bad.iter().map(|(line, _)| *line).collect();
    assert_eq!(lines, [3, 4, 5, 6, 7], "{bad:?}");
    assert!(bad[0].1.contains("make"), "{}", bad[0].1);
    assert!(bad[1].1.contains("vin"), "{}", bad[1].1);
    assert!(bad[2].1.contains("installed_at"), "{}", bad[2].1);
    assert!(bad[3].1.contains("fields"), "{}", bad[3].1);
    assert!(bad[4].1.contains("vehicle or vin"), "{}", bad[4].1);
    let logged = stderr(&output);
    assert!(
        logged.contains(&format!("{}:4: ", file.display())),
        "{logged}"
    );

    let store = open(&dir.path).await;
    assert!(store.list_vehicles().await.expect("q").is_empty());
    assert!(store.list_builds().await.expect("q").is_empty());
}

#[tokio::test]
async fn json_lines_import_like_csv() {
    let dir = TempDir::new().expect("dir");
    let file = write(
        &dir.path,
        "fleet.jsonl",
        &[
            r#"{"vehicle": "v1", "region": "EU", "ecu": "tcu", "build": "tcu-1", "firmware_version": "1.0", "installed_at": "2026-01-01T00:00:00Z"}"#,
            r#"{"vehicle": "v1", "ecu": "tcu", "build": "tcu-2", "firmware_version": "2.0", "installed_at": "2026-03-01T00:00:00Z"}"#,
        ],
    );

    let output = fleet_import(&dir.path, &file);

    assert!(output.status.success(), "{}", stderr(&output));
    let summary: Value = stdout_json(&output);
    assert_eq!(summary["installations_created"], 2);
    let store = open(&dir.path).await;
    let current = store
        .installations_of_vehicle("v1", false)
        .await
        .expect("q");
    let builds: Vec<&str> = current.iter().map(|i| i.build_id.as_str()).collect();
    assert_eq!(builds, ["tcu-2"]);
}
