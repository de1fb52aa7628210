//! Learn on each dataset's clean capture only, then score its attack captures.
//!
//! Frame, attack-frame and episode counts are checked against `can/labelled/PROVENANCE.md`;
//! the 0.99 recall and precision target is asserted for the files that reach it, and every
//! score is printed as the NDJSON line `keelson eval` writes.

mod common;

use common::{DATASETS, file_name, load};
use keelson_canids::{Detector, EvalReport, Profile, evaluate};
use keelson_telemetry::{CsvLayout, Format};

/// Counts from the provenance: frames, attack frames, attack episodes (gaps ≤ 0.5 s).
const PROVENANCE: [(&str, u64, u64, Option<u64>); 9] = [
    (
        "DenialOfService_lowestID_V40_03.lines66360-77859.csv",
        11_500,
        630,
        Some(7),
    ),
    (
        "MessageIDFuzzing_V40_03.lines64056-75555.csv",
        11_500,
        7,
        Some(5),
    ),
    (
        "PayloadFuzzing_ID_2C5_V40_03.lines64136-75635.csv",
        11_500,
        21,
        Some(5),
    ),
    (
        "SingleIDReplay_ID_2C5_V40_03.lines64136-75635.csv",
        11_500,
        21,
        Some(3),
    ),
    (
        "OrderedSequenceReplay_n_5_V40_03.lines64576-76075.csv",
        11_500,
        98,
        Some(4),
    ),
    (
        "ArbitrarySequenceReplay_n_5_V40_03.lines64576-76075.csv",
        11_500,
        107,
        Some(5),
    ),
    ("fuzzing_attack_1.lines9001-24000.csv", 15_000, 592, None),
    ("labeled_TSC1.lines8001-19000.csv", 11_000, 923, Some(1)),
    (
        "labeled_address_claim.lines7001-13000.csv",
        6_000,
        2,
        Some(1),
    ),
];

/// Files where the detector reaches recall ≥ 0.99 at precision ≥ 0.99 with the default
/// margins. The others are reported as measured (see the README table).
const REACHES_TARGET: [&str; 5] = [
    "DenialOfService_lowestID_V40_03.lines66360-77859.csv",
    "MessageIDFuzzing_V40_03.lines64056-75555.csv",
    "PayloadFuzzing_ID_2C5_V40_03.lines64136-75635.csv",
    "fuzzing_attack_1.lines9001-24000.csv",
    "labeled_TSC1.lines8001-19000.csv",
];

fn scores() -> Option<Vec<(&'static str, EvalReport)>> {
    let mut rows = Vec::new();
    for dataset in &DATASETS {
        let (clean, format) = dataset.clean;
        let training = load(clean, format)?;
        let profile = Profile::learn(dataset.name, file_name(clean), &training);
        let mut detector = Detector::new(&profile);
        for &(attack, format, _) in dataset.attacks {
            let frames = load(attack, format)?;
            let report = evaluate(frames, &mut detector);
            println!("{}", report.to_ndjson(file_name(attack)));
            rows.push((file_name(attack), report));
        }
    }
    Some(rows)
}

#[test]
fn counts_match_the_provenance_and_every_attack_file_is_scored() {
    let Some(rows) = scores() else {
        return;
    };
    assert_eq!(rows.len(), PROVENANCE.len());
    for (file, frames, attack_frames, episodes) in PROVENANCE {
        let report = rows
            .iter()
            .find(|(name, _)| *name == file)
            .map(|(_, report)| report)
            .unwrap_or_else(|| panic!("{file} not scored"));
        assert_eq!(
            (report.frames, report.attack_frames),
            (frames, attack_frames),
            "{file}"
        );
        assert_eq!(report.tp + report.fn_, attack_frames, "{file}");
        if let Some(episodes) = episodes {
            assert_eq!(report.episodes, episodes, "{file}");
        }
    }
}

#[test]
fn dos_fuzzing_payload_fuzzing_and_tsc1_reach_ninety_nine_percent_recall_and_precision() {
    let Some(rows) = scores() else {
        return;
    };
    for (file, report) in rows
        .iter()
        .filter(|(file, _)| REACHES_TARGET.contains(file))
    {
        let recall = report.recall.unwrap_or(0.0);
        let precision = report.precision.unwrap_or(0.0);
        assert!(recall >= 0.99 && precision >= 0.99, "{file}: {report:?}");
        assert_eq!(report.episodes_detected, report.episodes, "{file}");
    }
}

#[test]
fn every_dos_frame_is_detected_without_false_alarms() {
    let Some(rows) = scores() else {
        return;
    };
    let dos = rows
        .iter()
        .find(|(file, _)| file.starts_with("DenialOfService"));
    let Some((_, report)) = dos else {
        panic!("DoS file not scored");
    };
    // Every frame of every burst is caught, the first one too (blamed when the second
    // arrives 0.222 ms later), with no alert on normal frames.
    assert_eq!(report.fp, 0);
    assert_eq!(report.tp, report.attack_frames);
    assert_eq!(report.episodes_detected, report.episodes);
}

#[test]
fn similarity_ids_dos_measured_against_its_own_normal_block() {
    let relative = "can/labelled/similarity-can-ids/test_data.log";
    let Some(frames) = load(relative, Format::Csv(CsvLayout::LabelPrefixed)) else {
        return;
    };
    // No clean capture exists for this dataset: learn from the normal-labelled frames of the
    // same file (in-sample, so only the attack block is a fair test). No timestamps, so the
    // timing checks stay off.
    let normal = frames
        .iter()
        .filter(|f| f.label.is_some_and(|l| !l.is_attack()));
    let profile = Profile::learn("similarity-can-ids", "test_data.log normal block", normal);
    let report = evaluate(frames.iter().copied(), &mut Detector::new(&profile));
    println!("{}", report.to_ndjson("test_data.log"));
    assert_eq!((report.frames, report.attack_frames), (2_000, 1_000));
    assert_eq!(
        report.false_alarms_per_hour, None,
        "the file has no timestamps"
    );
}
