//! Signal ranges learned with a DBC: on the Honda Civic capture of the corpus and its
//! opendbc database, the learned minimum and maximum of every signal equal those of
//! cantools' decoding of the same frames (the Python reference decoder, run as an oracle),
//! held-out traffic is measured, and a frame pushed out of range is caught.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use keelson_canids::{Check, Detail, Detector, Learner};
use keelson_telemetry::dbc::{SignalDecoder, dbc_text, expand_imports};
use keelson_telemetry::{CanFrame, Format, frames};

const CAPTURE: &str = "can/eldominio-canbuslogs/civic-2019-type-r/turnonanddrive.first20000.log";
const DBC: &str = "can/opendbc/dbc/generator/honda/honda_civic_hatchback_ex_2017_can.dbc";

/// The share of the capture learned from; the rest is held out.
const LEARNED_SHARE: f64 = 0.7;

fn oracle_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../keelson-telemetry/tests/oracle/cantools_decode.py")
}

fn decoder(dbc: &Path) -> SignalDecoder {
    let bytes = std::fs::read(dbc).unwrap_or_else(|e| panic!("{}: {e}", dbc.display()));
    let folder = dbc.parent().unwrap_or(Path::new("."));
    let resolve = |name: &str| std::fs::read(folder.join(name)).ok().map(|b| dbc_text(&b));
    let name = dbc.display().to_string();
    let text = expand_imports(&name, &dbc_text(&bytes), resolve).unwrap_or_else(|e| panic!("{e}"));
    SignalDecoder::from_dbc_texts(&[(&name, &text)]).unwrap_or_else(|e| panic!("{e}"))
}

fn capture_frames(capture: &Path) -> Vec<CanFrame> {
    let file = std::fs::File::open(capture).unwrap_or_else(|e| panic!("{e}"));
    let Some(decoded) = frames(Format::Candump, std::io::BufReader::new(file)) else {
        panic!("candump is a CAN format")
    };
    decoded
        .map(|r| r.unwrap_or_else(|e| panic!("{e}")))
        .collect()
}

/// cantools' (min, max) per (message ID, signal) over the first `lines` lines.
fn oracle_ranges(capture: &Path, dbc: &Path, frames: &[CanFrame], lines: usize) -> Ranges {
    let output = Command::new("python3")
        .arg(oracle_script())
        .arg(capture)
        .arg(dbc)
        .output()
        .unwrap_or_else(|e| panic!("cannot run the oracle: {e}"));
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    let mut ranges = Ranges::new();
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let record: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}"));
        let number = record["line"].as_u64().unwrap_or(0) as usize;
        let (Some(signals), Some(frame)) = (record["signals"].as_object(), frames.get(number - 1))
        else {
            continue;
        };
        if number > lines {
            break;
        }
        for (name, value) in signals {
            let Some(value) = value.as_f64() else {
                continue;
            };
            let range = ranges
                .entry((frame.id, name.clone()))
                .or_insert((value, value));
            *range = (range.0.min(value), range.1.max(value));
        }
    }
    ranges
}

type Ranges = BTreeMap<(u32, String), (f64, f64)>;

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(1.0)
}

#[test]
fn learned_signal_ranges_equal_cantools_and_an_out_of_range_frame_is_caught() {
    let (Some(capture), Some(dbc)) = (
        keelson_testkit::corpus_path(CAPTURE),
        keelson_testkit::corpus_path(DBC),
    ) else {
        return;
    };
    if !keelson_testkit::python_oracle("cantools", "pip install cantools") {
        return;
    }
    let frames = capture_frames(&capture);
    let cut = (frames.len() as f64 * LEARNED_SHARE) as usize;
    let decoder = decoder(&dbc);

    let mut learner = Learner::new("civic-2019").with_signals(decoder.clone());
    learner.begin_capture("first 70%");
    frames[..cut].iter().for_each(|frame| learner.learn(frame));
    let mut profile = learner.finish();
    // Off by default: a short baseline does not cover the vehicle's driving states.
    profile.margins.check_signal_ranges = true;

    let expected = oracle_ranges(&capture, &dbc, &frames, cut);
    let learned: Ranges = profile
        .signals
        .iter()
        .map(|s| ((s.id, s.name.clone()), (s.min, s.max)))
        .collect();
    assert_eq!(
        learned.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>()
    );
    for (key, &(min, max)) in &expected {
        let (our_min, our_max) = learned[key];
        assert!(
            close(our_min, min) && close(our_max, max),
            "{key:?}: ours {our_min}..{our_max}, cantools {min}..{max}"
        );
    }
    println!(
        "{} signals of {} messages: ranges equal to cantools",
        expected.len(),
        profile.ids.len()
    );

    let mut detector = Detector::new(&profile).with_signal_decoder(decoder.clone());
    let held_out: Vec<_> = frames[cut..]
        .iter()
        .flat_map(|f| detector.observe(f))
        .collect();
    let out_of_range = held_out
        .iter()
        .filter(|a| a.check == Check::SignalOutOfRange)
        .count();
    println!(
        "held-out {} frames: {out_of_range} signal_out_of_range alerts",
        frames.len() - cut
    );

    let narrowest = profile
        .signals
        .iter()
        .filter(|s| s.samples > 100 && s.max > s.min)
        .min_by(|a, b| (a.max - a.min).total_cmp(&(b.max - b.min)))
        .unwrap_or_else(|| panic!("no signal with a range"));
    let mut forged = *frames[cut..]
        .iter()
        .find(|f| f.id == narrowest.id)
        .unwrap_or_else(|| panic!("no held-out frame of {:#x}", narrowest.id));
    forged.set_data(&[0xFF; 8][..forged.data().len()]);
    forged.timestamp_us += 1;
    let alerts = Detector::new(&profile)
        .with_signal_decoder(decoder)
        .observe(&forged);
    let caught = alerts.iter().find(|a| a.check == Check::SignalOutOfRange);
    let Some(Detail::Signal {
        value,
        lowest,
        highest,
        ..
    }) = caught.map(|a| &a.detail)
    else {
        panic!("{alerts:?}");
    };
    assert!(*value < *lowest || *value > *highest, "{alerts:?}");
}
