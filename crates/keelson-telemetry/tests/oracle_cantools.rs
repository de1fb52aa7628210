//! Signal values match cantools (the Python reference decoder) on real captures paired with
//! opendbc databases, and on generated frames for cantools' own edge-case databases.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use keelson_telemetry::dbc::{SignalDecoder, dbc_text, expand_imports};
use keelson_telemetry::{CanFrame, Format, frames};

type Decoded = BTreeMap<String, f64>;

fn oracle_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oracle/cantools_decode.py")
}

fn run_oracle(capture: &Path, dbcs: &[PathBuf]) -> Vec<(usize, Result<Decoded, String>)> {
    let output = Command::new("python3")
        .arg(oracle_script())
        .arg(capture)
        .args(dbcs)
        .output();
    let Ok(output) = output else {
        panic!("cannot run the oracle")
    };
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "oracle failed: {stderr}");
    let mut records = Vec::new();
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let Ok(value) = serde_json::from_str::<serde_json::Value>(line) else {
            panic!("{line}")
        };
        let number = value["line"].as_u64().unwrap_or_default() as usize;
        let decoded = match value["signals"].as_object() {
            Some(map) => Ok(map
                .iter()
                .map(|(k, v)| (k.clone(), v.as_f64().unwrap_or(f64::NAN)))
                .collect()),
            None => Err(value["error"].as_str().unwrap_or("?").to_string()),
        };
        records.push((number, decoded));
    }
    records
}

fn ours(dbcs: &[PathBuf]) -> SignalDecoder {
    let mut texts = Vec::new();
    for path in dbcs {
        let Ok(bytes) = std::fs::read(path) else {
            panic!("{}", path.display())
        };
        let folder = path.parent().unwrap_or(Path::new("."));
        let resolve = |name: &str| std::fs::read(folder.join(name)).ok().map(|b| dbc_text(&b));
        let name = path.display().to_string();
        match expand_imports(&name, &dbc_text(&bytes), resolve) {
            Ok(text) => texts.push((name, text)),
            Err(error) => panic!("{error}"),
        }
    }
    let borrowed: Vec<(&str, &str)> = texts
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    match SignalDecoder::from_dbc_texts(&borrowed) {
        Ok(decoder) => decoder,
        Err(error) => panic!("{error}"),
    }
}

/// Frames by line number (every line of these captures is one frame).
fn frames_by_line(capture: &Path) -> Vec<CanFrame> {
    let Ok(file) = std::fs::File::open(capture) else {
        panic!("{}", capture.display())
    };
    let Some(decoder) = frames(Format::Candump, std::io::BufReader::new(file)) else {
        panic!()
    };
    decoder
        .map(|r| r.unwrap_or_else(|e| panic!("{e}")))
        .collect()
}

fn close(a: f64, b: f64) -> bool {
    (a.is_nan() && b.is_nan()) || (a - b).abs() <= 1e-9 * a.abs().max(1.0)
}

/// What one comparison covered.
struct Compared {
    frames: usize,
    values: usize,
    /// Frames cantools refuses because the multiplexer value has no signals defined.
    unknown_mux: usize,
}

/// Compares every frame the oracle decoded.
fn compare(capture: &Path, dbcs: &[PathBuf]) -> Compared {
    let decoder = ours(dbcs);
    let captured = frames_by_line(capture);
    let records = run_oracle(capture, dbcs);
    let mut compared = Compared {
        frames: 0,
        values: 0,
        unknown_mux: 0,
    };
    for (line, expected) in &records {
        let expected = match expected {
            Ok(expected) => expected,
            Err(reason) if reason.contains("multiplexer id") => {
                compared.unknown_mux += 1;
                continue;
            }
            Err(reason) => panic!("line {line}: cantools could not decode: {reason}"),
        };
        let Some(frame) = captured.get(line - 1) else {
            panic!("line {line} missing")
        };
        let got: Decoded = decoder
            .decode(frame)
            .into_iter()
            .map(|s| (s.name, s.value))
            .collect();
        let names: Vec<_> = got.keys().collect();
        assert_eq!(
            names,
            expected.keys().collect::<Vec<_>>(),
            "line {line} of {}",
            capture.display()
        );
        for (name, want) in expected {
            let have = got[name];
            assert!(
                close(have, *want),
                "line {line} {name}: ours {have}, cantools {want}"
            );
            compared.values += 1;
        }
        compared.frames += 1;
    }
    compared
}

#[test]
fn opendbc_signals_match_cantools_on_real_captures() {
    let Some(root) = keelson_testkit::corpus_path("can") else {
        return;
    };
    if !keelson_testkit::python_oracle("cantools", "pip install cantools") {
        return;
    }
    let civic = (
        "eldominio-canbuslogs/civic-2019-type-r/turnonanddrive.first20000.log",
        vec![root.join("opendbc/dbc/generator/honda/honda_civic_hatchback_ex_2017_can.dbc")],
    );
    let camaro = (
        "eldominio-canbuslogs/camaro/candump-2021-04-18_191854.log",
        vec![
            root.join("opendbc/dbc/generator/gm/gm_global_a_powertrain.dbc"),
            root.join("opendbc/dbc/gm_global_a_powertrain_expansion.dbc"),
        ],
    );
    for (capture, dbcs) in [civic, camaro] {
        let c = compare(&root.join(capture), &dbcs);
        eprintln!(
            "{capture}: {} frames, {} signal values equal to cantools",
            c.frames, c.values
        );
        assert!(
            c.frames > 400 && c.values > c.frames && c.unknown_mux == 0,
            "{capture}"
        );
    }
}

/// Writes a candump file with pseudo-random payloads for every message of a DBC.
fn synthetic_capture(decoder: &SignalDecoder, name: &str, per_message: usize) -> PathBuf {
    let mut ids: Vec<_> = decoder
        .message_ids()
        .filter(|(id, ext)| *ext || *id <= 0x7FF)
        .collect();
    ids.sort_unstable();
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    let mut text = String::new();
    // Narrow masks in some rounds make small switch values (and so multiplexed signals) common.
    let masks = [0xFFu64, 0x03, 0x01, 0x7F];
    for round in 0..per_message {
        let mask = masks[round % masks.len()];
        for (id, extended) in &ids {
            let mut data = String::new();
            for _ in 0..8 {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                data.push_str(&format!("{:02X}", (seed >> 56) & mask));
            }
            let id = if *extended {
                format!("{id:08X}")
            } else {
                format!("{id:03X}")
            };
            text.push_str(&format!("({round}.000000) can0 {id}#{data}\n"));
        }
    }
    let path =
        std::env::temp_dir().join(format!("keelson-oracle-{}-{name}.log", std::process::id()));
    if let Err(error) = std::fs::write(&path, text) {
        panic!("{error}");
    }
    path
}

#[test]
fn cantools_edge_case_databases_match_on_generated_frames() {
    let Some(root) = keelson_testkit::corpus_path("can/cantools/tests/files/dbc") else {
        return;
    };
    if !keelson_testkit::python_oracle("cantools", "pip install cantools") {
        return;
    }
    let names = [
        "motohawk.dbc",
        "signed.dbc",
        "multiplex.dbc",
        "multiplex_choices.dbc",
        "issue_184_extended_mux_cascaded.dbc",
        "floating_point.dbc",
        "big_numbers.dbc",
        "padding_bit_order.dbc",
        "abs.dbc",
        "vehicle.dbc",
    ];
    let mut total = 0;
    for name in names {
        let dbcs = vec![root.join(name)];
        let capture = synthetic_capture(&ours(&dbcs), name, 200);
        let c = compare(&capture, &dbcs);
        let _ = std::fs::remove_file(&capture);
        eprintln!(
            "{name}: {} generated frames, {} values equal to cantools",
            c.frames, c.values
        );
        if c.unknown_mux > 0 {
            eprintln!(
                "    excluded {} frames: multiplexer value without signals",
                c.unknown_mux
            );
        }
        assert!(c.frames > 0 && c.values > 0, "{name}");
        total += c.values;
    }
    eprintln!(
        "cantools edge-case databases: {} files, {total} values",
        names.len()
    );
}
