//! Every capture in the CAN corpus decodes with as many accepted records as an independent
//! count of its frame lines (plain string matching, or DLT storage-header magic) says.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use keelson_telemetry::{CsvLayout, Format, Label, events, frames};

/// One corpus file, the format to read it as and how to count its records independently.
struct Case {
    path: &'static str,
    format: Format,
    count: fn(&[u8]) -> Counted,
    /// Error items the decoder must report, with the reason.
    errors: usize,
}

/// What the independent count found.
struct Counted {
    records: usize,
    /// Lines that are not frames, excluded on purpose, and why.
    excluded: Vec<(usize, &'static str)>,
}

fn lines(bytes: &[u8]) -> impl Iterator<Item = &str> {
    std::str::from_utf8(bytes).unwrap_or_default().lines()
}

fn counted(records: usize) -> Counted {
    Counted {
        records,
        excluded: Vec::new(),
    }
}

/// candump -L: `(ts) iface ID#DATA`.
fn candump_lines(bytes: &[u8]) -> Counted {
    counted(
        lines(bytes)
            .filter(|l| l.trim_start().starts_with('(') && l.contains('#'))
            .count(),
    )
}

/// candump default layout: `(ts) iface ID [n] bytes`.
fn bracket_lines(bytes: &[u8]) -> Counted {
    counted(
        lines(bytes)
            .filter(|l| l.contains('[') && l.contains(']'))
            .count(),
    )
}

/// CSV with one header line.
fn csv_rows_after_header(bytes: &[u8]) -> Counted {
    counted(
        lines(bytes)
            .filter(|l| !l.trim().is_empty())
            .count()
            .saturating_sub(1),
    )
}

fn non_blank_lines(bytes: &[u8]) -> Counted {
    counted(lines(bytes).filter(|l| !l.trim().is_empty()).count())
}

/// TRC: message lines (not `;` comments) whose type is a frame, not a status report.
fn trc_frames(bytes: &[u8]) -> Counted {
    let mut records = 0;
    let mut status = 0;
    for line in lines(bytes)
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with(';'))
    {
        // Versions 1.1 and 2.x both put the message type in the third column.
        let kind = line.split_whitespace().nth(2).unwrap_or_default();
        if matches!(kind, "Warng" | "ST" | "EC" | "EV") {
            status += 1;
        } else {
            records += 1;
        }
    }
    Counted {
        records,
        excluded: vec![(status, "status line (bus state), not a frame")],
    }
}

/// ASC: timed lines whose second word is a channel number or `CANFD` and that carry a
/// direction (`Rx`/`Tx`) or an `ErrorFrame`; J1939TP lines are excluded.
fn asc_frames(bytes: &[u8]) -> Counted {
    let mut records = 0;
    let mut transport = 0;
    for line in lines(bytes) {
        let words: Vec<&str> = line.split_whitespace().collect();
        let [time, second, third, ..] = words.as_slice() else {
            continue;
        };
        if time.parse::<f64>().is_err() {
            continue;
        }
        let channel = second.chars().all(|c| c.is_ascii_digit()) || *second == "CANFD";
        let framed = words
            .iter()
            .any(|w| matches!(*w, "Rx" | "Tx" | "ErrorFrame"));
        if channel && *third == "J1939TP" {
            transport += 1;
        } else if channel && framed {
            records += 1;
        }
    }
    let reason = "J1939TP line: a reassembled transport-protocol message, not one bus frame";
    Counted {
        records,
        excluded: vec![(transport, reason)],
    }
}

fn dlt_magic(bytes: &[u8]) -> Counted {
    counted(bytes.windows(4).filter(|w| *w == b"DLT\x01").count())
}

const fn case(path: &'static str, format: Format, count: fn(&[u8]) -> Counted) -> Case {
    Case {
        path,
        format,
        count,
        errors: 0,
    }
}

fn cases() -> Vec<Case> {
    use CsvLayout::*;
    let daga = Format::Csv(Daga);
    let mut cases = vec![
        case(
            "eldominio-canbuslogs/camaro/candump-2021-04-18_191854.log",
            Format::Candump,
            candump_lines,
        ),
        case(
            "eldominio-canbuslogs/civic-2019-type-r/turnonanddrive.first20000.log",
            Format::Candump,
            candump_lines,
        ),
        case(
            "eldominio-canbuslogs/durango/revrev.first10000.log",
            Format::Candump,
            candump_lines,
        ),
        case(
            "eldominio-canbuslogs/yaris-2009/revstockecu.trc",
            Format::Trc,
            trc_frames,
        ),
        case(
            "python-can/test/data/test_CanMessage_V1_1.trc",
            Format::Trc,
            trc_frames,
        ),
        case(
            "python-can/test/data/test_CanMessage_V2_1.trc",
            Format::Trc,
            trc_frames,
        ),
        case(
            "python-can/test/data/issue_1256.asc",
            Format::Asc,
            asc_frames,
        ),
        case("python-can/test/data/logfile.asc", Format::Asc, asc_frames),
        case(
            "python-can/test/data/logfile_errorframes.asc",
            Format::Asc,
            asc_frames,
        ),
        case(
            "python-can/test/data/test_CanErrorFrames.asc",
            Format::Asc,
            asc_frames,
        ),
        case(
            "python-can/test/data/test_CanFdMessage64.asc",
            Format::Asc,
            asc_frames,
        ),
        case(
            "python-can/test/data/test_CanMessage.asc",
            Format::Asc,
            asc_frames,
        ),
        case(
            "labelled/road-processed-csc429-lccde/fuzzing_attack_1.lines9001-24000.csv",
            Format::Csv(Road),
            csv_rows_after_header,
        ),
        case(
            concat!(
                "labelled/road-processed-csc429-lccde/",
                "max_engine_coolant_temp_attack.preattack_lines2-20001.csv"
            ),
            Format::Csv(Road),
            csv_rows_after_header,
        ),
        case(
            "labelled/systemscyber-j1939/labeled_TSC1.lines8001-19000.csv",
            Format::Csv(J1939),
            csv_rows_after_header,
        ),
        case(
            "labelled/systemscyber-j1939/labeled_address_claim.lines7001-13000.csv",
            Format::Csv(J1939),
            csv_rows_after_header,
        ),
        case(
            "labelled/systemscyber-j1939/normal.lines1-10000.log",
            Format::Candump,
            bracket_lines,
        ),
        case(
            "labelled/similarity-can-ids/test_data.log",
            Format::Csv(LabelPrefixed),
            non_blank_lines,
        ),
        case("dlt-daemon/tests/testfile.dlt", Format::Dlt, dlt_magic),
        case(
            "dlt-daemon/tests/testfile_extended.dlt",
            Format::Dlt,
            dlt_magic,
        ),
    ];
    for name in [
        "ArbitrarySequenceReplay_n_5_V40_03.lines64576-76075.csv",
        "DenialOfService_lowestID_V40_03.lines66360-77859.csv",
        "MessageIDFuzzing_V40_03.lines64056-75555.csv",
        "OrderedSequenceReplay_n_5_V40_03.lines64576-76075.csv",
        "PayloadFuzzing_ID_2C5_V40_03.lines64136-75635.csv",
        "SingleIDReplay_ID_2C5_V40_03.lines64136-75635.csv",
        "clean_V40_03.lines2-19001.csv",
    ] {
        let path: &'static str =
            Box::leak(format!("labelled/secloud-acs-daga/{name}").into_boxed_str());
        cases.push(case(path, daga, csv_rows_after_header));
    }
    // The version 2 file has no version 1 magic; the decoder must say it is unsupported.
    cases.push(Case {
        errors: 1,
        ..case("dlt-daemon/tests/testfile-v2.dlt", Format::Dlt, dlt_magic)
    });
    cases
}

fn decode(path: &Path, format: Format) -> (usize, Vec<String>) {
    let Ok(file) = File::open(path) else {
        panic!("cannot open {}", path.display())
    };
    let mut accepted = 0;
    let mut errors = Vec::new();
    for item in events(format, BufReader::new(file)) {
        match item {
            Ok(_) => accepted += 1,
            Err(error) => errors.push(error.to_string()),
        }
    }
    (accepted, errors)
}

#[test]
fn every_corpus_capture_decodes_to_its_independent_frame_count() {
    let Some(root) = keelson_testkit::corpus_path("can") else {
        return;
    };
    let cases = cases();
    let mut total = 0;
    let mut excluded_total = 0;
    for case in &cases {
        let path = root.join(case.path);
        let Ok(bytes) = std::fs::read(&path) else {
            panic!("missing {}", path.display())
        };
        let expected = (case.count)(&bytes);
        let (accepted, errors) = decode(&path, case.format);
        eprintln!(
            "{:<90} {:>6} accepted (expected {})",
            case.path, accepted, expected.records
        );
        for (count, reason) in expected.excluded.iter().filter(|(count, _)| *count > 0) {
            eprintln!("    excluded {count} lines: {reason}");
            excluded_total += count;
        }
        for error in &errors {
            eprintln!("    error: {error}");
        }
        assert_eq!(accepted, expected.records, "{}", case.path);
        assert_eq!(errors.len(), case.errors, "{}: {errors:?}", case.path);
        total += accepted;
    }
    eprintln!(
        "can corpus: {} files, {total} records, {excluded_total} lines excluded",
        cases.len()
    );
    assert_eq!(cases.len(), 28);
    // logfile.asc holds two J1939TP lines; logfile_errorframes.asc none; TRC V1.1 and V2.1
    // one status line each.
    assert_eq!(excluded_total, 4);
}

#[test]
fn every_capture_file_in_the_corpus_is_covered() {
    let Some(root) = keelson_testkit::corpus_path("can") else {
        return;
    };
    let covered: Vec<_> = cases().iter().map(|c| root.join(c.path)).collect();
    let data = |p: &Path| {
        let name = p.to_string_lossy();
        !name.ends_with(".md") && !name.ends_with(".dbc")
    };
    let files = keelson_testkit::files_under(&root, data);
    let missing: Vec<_> = files.iter().filter(|f| !covered.contains(f)).collect();
    eprintln!("can corpus capture files: {}", files.len());
    assert!(
        missing.is_empty(),
        "captures without a count test: {missing:?}"
    );
    assert_eq!(files.len(), covered.len());
}

/// Attack-frame counts stated in labelled/PROVENANCE.md, per file.
#[test]
fn labelled_captures_carry_the_documented_attack_counts() {
    let Some(root) = keelson_testkit::corpus_path("can/labelled") else {
        return;
    };
    let documented: [(&str, Format, usize, usize); 11] = [
        (
            "secloud-acs-daga/clean_V40_03.lines2-19001.csv",
            Format::Csv(CsvLayout::Daga),
            19_000,
            0,
        ),
        (
            "secloud-acs-daga/DenialOfService_lowestID_V40_03.lines66360-77859.csv",
            Format::Csv(CsvLayout::Daga),
            11_500,
            630,
        ),
        (
            "secloud-acs-daga/MessageIDFuzzing_V40_03.lines64056-75555.csv",
            Format::Csv(CsvLayout::Daga),
            11_500,
            7,
        ),
        (
            "secloud-acs-daga/PayloadFuzzing_ID_2C5_V40_03.lines64136-75635.csv",
            Format::Csv(CsvLayout::Daga),
            11_500,
            21,
        ),
        (
            "secloud-acs-daga/SingleIDReplay_ID_2C5_V40_03.lines64136-75635.csv",
            Format::Csv(CsvLayout::Daga),
            11_500,
            21,
        ),
        (
            "secloud-acs-daga/OrderedSequenceReplay_n_5_V40_03.lines64576-76075.csv",
            Format::Csv(CsvLayout::Daga),
            11_500,
            98,
        ),
        (
            "secloud-acs-daga/ArbitrarySequenceReplay_n_5_V40_03.lines64576-76075.csv",
            Format::Csv(CsvLayout::Daga),
            11_500,
            107,
        ),
        (
            "road-processed-csc429-lccde/fuzzing_attack_1.lines9001-24000.csv",
            Format::Csv(CsvLayout::Road),
            15_000,
            592,
        ),
        (
            "systemscyber-j1939/labeled_TSC1.lines8001-19000.csv",
            Format::Csv(CsvLayout::J1939),
            11_000,
            923,
        ),
        (
            "systemscyber-j1939/labeled_address_claim.lines7001-13000.csv",
            Format::Csv(CsvLayout::J1939),
            6_000,
            2,
        ),
        (
            "similarity-can-ids/test_data.log",
            Format::Csv(CsvLayout::LabelPrefixed),
            2_000,
            1_000,
        ),
    ];
    for (name, format, frame_count, attack_count) in documented {
        let Ok(file) = File::open(root.join(name)) else {
            panic!("missing {name}")
        };
        let Some(decoder) = frames(format, BufReader::new(file)) else {
            panic!("{name}")
        };
        let decoded: Vec<_> = decoder.filter_map(Result::ok).collect();
        let attacks = decoded
            .iter()
            .filter(|f| f.label.is_some_and(Label::is_attack))
            .count();
        eprintln!("{name}: {} frames, {attacks} attack", decoded.len());
        assert_eq!(
            (decoded.len(), attacks),
            (frame_count, attack_count),
            "{name}"
        );
    }
    eprintln!("labelled files checked: {}", documented.len());
}
