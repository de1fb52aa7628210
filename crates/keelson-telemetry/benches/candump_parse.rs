//! Throughput of candump parsing into `CanFrame` on one core (the ingest hot path).

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use keelson_telemetry::{Format, frames};

/// The Civic capture repeated, or generated lines of the same shape when the corpus is absent.
fn input() -> Vec<u8> {
    let civic = "can/eldominio-canbuslogs/civic-2019-type-r/turnonanddrive.first20000.log";
    if let Some(bytes) = keelson_testkit::corpus_path(civic).and_then(|p| std::fs::read(p).ok()) {
        return bytes.repeat(5);
    }
    let mut text = String::new();
    for i in 0..100_000u32 {
        let id = 0x100 + i % 0x500;
        text.push_str(&format!(
            "(1674148739.{:06}) can0 {id:03X}#FF0015{:08X}\n",
            i % 1_000_000,
            i
        ));
    }
    text.into_bytes()
}

fn candump_parse(c: &mut Criterion) {
    let bytes = input();
    let count = bytes.iter().filter(|&&b| b == b'\n').count() as u64;
    let mut group = c.benchmark_group("candump_parse");
    group.throughput(Throughput::Elements(count));
    group.bench_function("frames", |b| {
        b.iter(|| {
            let Some(decoder) = frames(Format::Candump, black_box(bytes.as_slice())) else {
                return 0;
            };
            decoder.filter(Result::is_ok).count()
        });
    });
    group.finish();
}

criterion_group!(benches, candump_parse);
criterion_main!(benches);
