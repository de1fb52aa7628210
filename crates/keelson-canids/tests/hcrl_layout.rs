//! An HCRL Car-Hacking layout file written from corpus frames with an injected flood, read
//! back through the decoder and scored: the counts must equal what was written.

mod common;

use std::fmt::Write as _;
use std::fs::File;
use std::io::BufReader;
use std::path::PathBuf;

use common::load;
use keelson_canids::{Detector, Profile, evaluate_reader};
use keelson_telemetry::{CanFrame, CsvLayout, Format, detect_format};

/// HCRL captures carry epoch seconds; this shifts the relative corpus times onto one.
const EPOCH_BASE_US: i64 = 1_478_198_376_000_000;

/// The flood identifier: absent from the Volvo trace (checked below).
const FLOOD_ID: u32 = 0x000;

fn hcrl_row(out: &mut String, frame: &CanFrame, injected: bool) {
    let at = EPOCH_BASE_US + frame.timestamp_us;
    let _ = write!(
        out,
        "{}.{:06},{:04x},{}",
        at / 1_000_000,
        at % 1_000_000,
        frame.id,
        frame.dlc
    );
    for byte in frame.data() {
        let _ = write!(out, ",{byte:02x}");
    }
    out.push_str(if injected { ",T\n" } else { ",R\n" });
}

fn temp_file(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("keelson-canids-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|error| panic!("{}: {error}", dir.display()));
    dir.join(name)
}

#[test]
fn hcrl_flood_is_counted_exactly_as_written() {
    let relative = "can/labelled/secloud-acs-daga/clean_V40_03.lines2-19001.csv";
    let Some(frames) = load(relative, Format::Csv(CsvLayout::Daga)) else {
        return;
    };
    let normal = &frames[..4_000];
    let profile = Profile::learn("volvo-v40", "clean_V40_03 first 4000", normal);
    assert!(
        profile.id(FLOOD_ID, false).is_none(),
        "flood ID must be unknown"
    );

    // Every 10th normal row is followed by one injected frame of the flood ID.
    let mut text = String::new();
    let mut injected = 0u64;
    for (at, frame) in normal.iter().enumerate() {
        hcrl_row(&mut text, frame, false);
        if at % 10 == 9 {
            let mut flood = *frame;
            flood.id = FLOOD_ID;
            hcrl_row(&mut text, &flood, true);
            injected += 1;
        }
    }
    let path = temp_file("flood.csv");
    std::fs::write(&path, &text).unwrap_or_else(|error| panic!("{}: {error}", path.display()));

    let format = detect_format("flood.csv", text.as_bytes());
    assert_eq!(format, Some(Format::Csv(CsvLayout::Hcrl)));
    let file = File::open(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    let mut detector = Detector::new(&profile);
    let result = evaluate_reader(
        Format::Csv(CsvLayout::Hcrl),
        BufReader::new(file),
        &mut detector,
    );
    let _ = std::fs::remove_file(&path);
    let Ok((report, read)) = result else {
        panic!("evaluation failed: {result:?}");
    };

    println!("{}", report.to_ndjson("flood.csv"));
    assert_eq!(
        (read.frames, read.malformed),
        (normal.len() as u64 + injected, 0)
    );
    assert_eq!(report.frames, normal.len() as u64 + injected);
    assert_eq!(report.attack_frames, injected);
    // Each flood frame has an unknown ID; the normal rows are the training frames themselves.
    assert_eq!((report.tp, report.fp, report.fn_), (injected, 0, 0));
    assert_eq!(
        report.episodes, 1,
        "flood frames are well under 0.5 s apart"
    );
    assert_eq!(report.median_latency_ms, Some(0.0));
}
