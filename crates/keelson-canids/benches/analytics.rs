//! Frames per second through `Detector::observe` on real captures held in memory.
//!
//! `clean`: the Volvo V40 clean capture checked against a profile learned from itself (no
//! alert fires, the no-allocation path), with default margins and with every payload
//! check on. `dos`: a DoS capture against that profile (about
//! 5% of frames raise an alert). `fuzzing`: ROAD fuzzing against the ROAD baseline.

use std::fs::File;
use std::hint::black_box;
use std::io::BufReader;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use keelson_canids::{Detector, Profile};
use keelson_telemetry::{CanFrame, CsvLayout, Format};

fn load(relative: &str, format: Format) -> Option<Vec<CanFrame>> {
    let path = keelson_testkit::corpus_path(relative)?;
    let file = File::open(path).ok()?;
    let frames = keelson_telemetry::frames(format, BufReader::new(file))?;
    Some(frames.filter_map(Result::ok).collect())
}

fn run(c: &mut Criterion, name: &str, profile: &Profile, frames: &[CanFrame]) {
    let mut group = c.benchmark_group("observe");
    group.throughput(Throughput::Elements(frames.len() as u64));
    group.bench_function(name, |b| {
        let mut detector = Detector::new(profile);
        b.iter(|| {
            detector.reset();
            let mut alerts = 0usize;
            for frame in frames {
                alerts += detector.observe(black_box(frame)).len();
            }
            black_box(alerts)
        });
    });
    group.finish();
}

fn analytics(c: &mut Criterion) {
    let daga = Format::Csv(CsvLayout::Daga);
    let dir = "can/labelled/secloud-acs-daga/";
    let Some(clean) = load(&format!("{dir}clean_V40_03.lines2-19001.csv"), daga) else {
        return;
    };
    let profile = Profile::learn("volvo-v40", "clean_V40_03", &clean);
    run(c, "clean", &profile, &clean);
    let mut all_checks = profile.clone();
    all_checks.margins.check_constant_bits = true;
    all_checks.margins.check_byte_range = true;
    all_checks.margins.check_value_sets = true;
    run(c, "clean_all_payload_checks", &all_checks, &clean);

    let dos_file = format!("{dir}DenialOfService_lowestID_V40_03.lines66360-77859.csv");
    if let Some(dos) = load(&dos_file, daga) {
        run(c, "dos", &profile, &dos);
    }

    let road = Format::Csv(CsvLayout::Road);
    let road_dir = "can/labelled/road-processed-csc429-lccde/";
    let baseline = load(
        &format!("{road_dir}max_engine_coolant_temp_attack.preattack_lines2-20001.csv"),
        road,
    );
    let fuzzing = load(
        &format!("{road_dir}fuzzing_attack_1.lines9001-24000.csv"),
        road,
    );
    if let (Some(baseline), Some(fuzzing)) = (baseline, fuzzing) {
        let profile = Profile::learn("road", "preattack", &baseline);
        run(c, "fuzzing", &profile, &fuzzing);
    }
}

criterion_group!(benches, analytics);
criterion_main!(benches);
