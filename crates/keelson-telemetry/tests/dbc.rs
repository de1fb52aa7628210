//! DBC databases from the corpus parse (opendbc generator includes expanded), and the
//! decoder's message coverage of real captures matches the corpus provenance.

use std::collections::BTreeSet;
use std::path::Path;

use keelson_telemetry::dbc::{SignalDecoder, dbc_text, expand_imports};
use keelson_telemetry::{Format, frames};

/// A DBC file's text with opendbc `CM_ "IMPORT x.dbc";` lines expanded from its folder.
fn expanded(path: &Path) -> String {
    let Ok(bytes) = std::fs::read(path) else {
        panic!("{}", path.display())
    };
    let folder = path.parent().unwrap_or(Path::new("."));
    let resolve = |name: &str| std::fs::read(folder.join(name)).ok().map(|b| dbc_text(&b));
    match expand_imports(&path.display().to_string(), &dbc_text(&bytes), resolve) {
        Ok(text) => text,
        Err(error) => panic!("{error}"),
    }
}

fn decoder(paths: &[&Path]) -> SignalDecoder {
    let texts: Vec<(String, String)> = paths
        .iter()
        .map(|p| (p.display().to_string(), expanded(p)))
        .collect();
    let borrowed: Vec<(&str, &str)> = texts
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    match SignalDecoder::from_dbc_texts(&borrowed) {
        Ok(decoder) => decoder,
        Err(error) => panic!("{error}"),
    }
}

#[test]
fn every_corpus_dbc_parses() {
    let Some(root) = keelson_testkit::corpus_path("can") else {
        return;
    };
    let files = keelson_testkit::files_under(&root, |p| {
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        // Underscore files are opendbc include fragments, parsed inside their includer.
        name.ends_with(".dbc") && !name.starts_with('_')
    });
    let mut rejected = Vec::new();
    for file in &files {
        let text = expanded(file);
        let name = file.display().to_string();
        match SignalDecoder::from_dbc_texts(&[(name.as_str(), text.as_str())]) {
            Ok(decoder) => eprintln!("{name}: {} messages", decoder.message_count()),
            Err(error) => {
                eprintln!("{name}: REJECTED {error}");
                rejected.push(file.file_name().map(|n| n.to_string_lossy().into_owned()));
            }
        }
    }
    eprintln!("dbc files: {}, rejected: {}", files.len(), rejected.len());
    assert!(rejected.is_empty(), "can-dbc rejected {rejected:?}");
    assert!(files.len() > 30, "{}", files.len());
}

fn distinct_ids(path: &Path) -> BTreeSet<(u32, bool)> {
    let Ok(file) = std::fs::File::open(path) else {
        panic!("{}", path.display())
    };
    let Some(decoder) = frames(Format::Candump, std::io::BufReader::new(file)) else {
        panic!()
    };
    decoder
        .filter_map(Result::ok)
        .map(|f| (f.id, f.extended))
        .collect()
}

/// can/PROVENANCE.md: "22 of the 57 CAN IDs in the slice are defined" (Civic) and
/// "24 of the 58 CAN IDs in the log are defined" (Camaro).
#[test]
fn capture_ids_covered_by_their_paired_dbc_match_the_provenance() {
    let Some(root) = keelson_testkit::corpus_path("can") else {
        return;
    };
    let civic =
        decoder(&[&root.join("opendbc/dbc/generator/honda/honda_civic_hatchback_ex_2017_can.dbc")]);
    let camaro = decoder(&[
        &root.join("opendbc/dbc/generator/gm/gm_global_a_powertrain.dbc"),
        &root.join("opendbc/dbc/gm_global_a_powertrain_expansion.dbc"),
    ]);
    let pairs = [
        (
            "eldominio-canbuslogs/civic-2019-type-r/turnonanddrive.first20000.log",
            &civic,
            57,
            22,
        ),
        (
            "eldominio-canbuslogs/camaro/candump-2021-04-18_191854.log",
            &camaro,
            58,
            24,
        ),
    ];
    for (capture, decoder, ids_in_capture, defined) in pairs {
        let ids = distinct_ids(&root.join(capture));
        let known = ids
            .iter()
            .filter(|(id, ext)| decoder.message_name(*id, *ext).is_some())
            .count();
        eprintln!("{capture}: {} ids, {known} defined", ids.len());
        assert_eq!((ids.len(), known), (ids_in_capture, defined), "{capture}");
    }
}
