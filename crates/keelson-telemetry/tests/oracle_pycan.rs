//! Frames decoded from candump, ASC and TRC files equal what python-can's readers make of
//! the same files: identifier, flags, length, payload and time between frames.

use std::path::Path;
use std::process::Command;

use keelson_telemetry::frame::fd_dlc_to_len;
use keelson_telemetry::{CanFrame, Format, FrameKind, frames};
use serde_json::Value;

fn python_can(path: &Path) -> Vec<Value> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oracle/pycan_read.py");
    let Ok(output) = Command::new("python3").arg(script).arg(path).output() else {
        panic!("cannot run python3")
    };
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or(Value::Null))
        .collect()
}

fn ours(path: &Path, format: Format) -> Vec<CanFrame> {
    let Ok(file) = std::fs::File::open(path) else {
        panic!("{}", path.display())
    };
    let Some(decoder) = frames(format, std::io::BufReader::new(file)) else {
        panic!()
    };
    decoder
        .map(|r| r.unwrap_or_else(|e| panic!("{}: {e}", path.display())))
        .collect()
}

/// Compares one frame with python-can's message; `first` anchors the time deltas.
fn check(frame: &CanFrame, theirs: &Value, first: (&CanFrame, f64), at: &str) {
    let error = theirs["error"].as_bool().unwrap_or_default();
    assert_eq!(frame.kind == FrameKind::Error, error, "{at}: error flag");
    let delta_ours = (frame.timestamp_us - first.0.timestamp_us) as f64 / 1e6;
    let delta_theirs = theirs["t"].as_f64().unwrap_or(f64::NAN) - first.1;
    assert!(
        (delta_ours - delta_theirs).abs() < 2e-6,
        "{at}: {delta_ours} vs {delta_theirs}"
    );
    if error {
        return;
    }
    let remote = theirs["remote"].as_bool().unwrap_or_default();
    assert_eq!(frame.kind == FrameKind::Remote, remote, "{at}: remote flag");
    assert_eq!(
        u64::from(frame.id),
        theirs["id"].as_u64().unwrap_or(u64::MAX),
        "{at}: id"
    );
    assert_eq!(
        Some(frame.extended),
        theirs["extended"].as_bool(),
        "{at}: extended"
    );
    assert_eq!(
        hex::encode(frame.data()),
        theirs["data"].as_str().unwrap_or("?"),
        "{at}: data"
    );
    // python-can gives FD lengths in bytes where the log has a length code.
    let dlc = theirs["dlc"].as_u64().unwrap_or(u64::MAX) as usize;
    let ours = if frame.fd {
        fd_dlc_to_len(frame.dlc).unwrap_or(99)
    } else {
        usize::from(frame.dlc)
    };
    assert_eq!(ours, dlc, "{at}: dlc");
    if !remote {
        assert_eq!(Some(frame.fd), theirs["fd"].as_bool(), "{at}: fd flag");
    }
}

#[test]
fn candump_asc_and_trc_frames_equal_python_can() {
    let Some(root) = keelson_testkit::corpus_path("can") else {
        return;
    };
    if !keelson_testkit::python_oracle("can", "pip install cantools brings python-can") {
        return;
    }
    let files = [
        ("python-can/test/data/issue_1256.asc", Format::Asc),
        ("python-can/test/data/logfile.asc", Format::Asc),
        ("python-can/test/data/logfile_errorframes.asc", Format::Asc),
        ("python-can/test/data/test_CanErrorFrames.asc", Format::Asc),
        ("python-can/test/data/test_CanFdMessage64.asc", Format::Asc),
        ("python-can/test/data/test_CanMessage.asc", Format::Asc),
        ("python-can/test/data/test_CanMessage_V1_1.trc", Format::Trc),
        ("python-can/test/data/test_CanMessage_V2_1.trc", Format::Trc),
        (
            "eldominio-canbuslogs/yaris-2009/revstockecu.trc",
            Format::Trc,
        ),
        (
            "eldominio-canbuslogs/camaro/candump-2021-04-18_191854.log",
            Format::Candump,
        ),
        (
            "eldominio-canbuslogs/durango/revrev.first10000.log",
            Format::Candump,
        ),
    ];
    let mut total = 0;
    for (name, format) in files {
        let path = root.join(name);
        let (mine, theirs) = (ours(&path, format), python_can(&path));
        assert_eq!(mine.len(), theirs.len(), "{name}: frame count");
        let (Some(first), Some(first_t)) = (mine.first(), theirs.first()) else {
            continue;
        };
        let anchor = (first, first_t["t"].as_f64().unwrap_or(f64::NAN));
        for (index, (frame, message)) in mine.iter().zip(&theirs).enumerate() {
            check(
                frame,
                message,
                anchor,
                &format!("{name} frame {}", index + 1),
            );
        }
        eprintln!("{name}: {} frames equal to python-can", mine.len());
        total += mine.len();
    }
    eprintln!("python-can oracle: {} files, {total} frames", files.len());
    assert!(total > 10_000);
}
