//! The generator's CAN frames, decoded by cantools (the Python reference
//! decoder, run as an oracle) with the demo DBC files, give the same
//! signals and values as Keelson's decoder: the bit layouts the generator
//! encodes with are the files'.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

use keelson_sim::{DBC_FILES, Generator, MODELS, Settings};
use keelson_telemetry::{CanFrame, SignalDecoder};
use serde_json::Value;
use time::{Duration, OffsetDateTime};

fn oracle_script() -> PathBuf {
    keelson_testkit::repo_root().join("crates/keelson-telemetry/tests/oracle/cantools_decode.py")
}

/// Frames of the model's vehicles over a simulated minute, as candump -L lines.
fn capture(model: &str) -> Vec<CanFrame> {
    let start = OffsetDateTime::from_unix_timestamp(1_780_000_000).expect("time");
    let settings = Settings {
        seed: 3,
        vehicles: 6,
        rate: 60.0,
        start,
        attacks: false,
    };
    let mut generator = Generator::new(settings);
    let ecus: Vec<&str> = MODELS
        .iter()
        .filter(|m| m.id == model)
        .flat_map(|m| m.ecus.iter().map(|e| e.id))
        .collect();
    (1..=60)
        .flat_map(|second| generator.advance_to(start + Duration::seconds(second)))
        .filter(|e| e.kind == "can.frame" && e.ecu.as_deref().is_some_and(|id| ecus.contains(&id)))
        .map(|event| {
            let mut frame = CanFrame::default();
            frame.id = event.attributes["id"].as_u64().expect("id") as u32;
            let data = hex::decode(event.attributes["data"].as_str().expect("data")).expect("hex");
            assert!(frame.set_data(&data));
            frame
        })
        .collect()
}

#[test]
fn generated_frames_decode_alike_in_cantools_and_keelson() {
    if !keelson_testkit::python_oracle("cantools", "pip install cantools") {
        return;
    }
    let dir = std::env::temp_dir().join(format!("keelson-sim-oracle-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let mut compared = 0;
    for model in &MODELS {
        let dbc = DBC_FILES
            .iter()
            .find(|f| f.name == model.dbc_file)
            .expect("dbc");
        let frames = capture(model.id);
        let lines: Vec<String> = frames
            .iter()
            .enumerate()
            .map(|(n, f)| {
                format!(
                    "({n}.000000) can0 {:03X}#{}",
                    f.id,
                    hex::encode_upper(f.data())
                )
            })
            .collect();
        let capture_path = dir.join(format!("{}.log", model.id));
        std::fs::write(&capture_path, lines.join("\n") + "\n").expect("write capture");
        let dbc_path = keelson_testkit::repo_root().join("demo/dbc").join(dbc.name);

        let output = Command::new("python3")
            .arg(oracle_script())
            .arg(&capture_path)
            .arg(&dbc_path)
            .output()
            .expect("run the oracle");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );

        let decoder = SignalDecoder::from_dbc_texts(&[(dbc.name, dbc.text)]).expect("dbc");
        for line in String::from_utf8_lossy(&output.stdout).lines() {
            let record: Value = serde_json::from_str(line).expect("oracle JSON");
            let number = record["line"].as_u64().expect("line") as usize;
            let oracle: BTreeMap<String, f64> = serde_json::from_value(record["signals"].clone())
                .unwrap_or_else(|_| panic!("{record}"));
            let ours: BTreeMap<String, f64> = decoder
                .decode(&frames[number - 1])
                .into_iter()
                .map(|signal| (signal.name, signal.value))
                .collect();
            assert_eq!(oracle.len(), ours.len(), "{record} vs {ours:?}");
            for (name, value) in &oracle {
                let mine = ours.get(name).unwrap_or_else(|| panic!("{name} missing"));
                assert!((mine - value).abs() < 1e-6, "{name}: {mine} vs {value}");
            }
            compared += 1;
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(compared > 300, "{compared} frames compared");
}
