//! Parse-and-score throughput over a mix of v2.0, v3.0, v3.1 and v4.0 vectors.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

const VECTORS: &[&str] = &[
    "AV:A/AC:H/Au:S/C:N/I:P/A:P/E:POC/RL:OF/RC:C/CDP:LM/TD:M/CR:M/IR:L/AR:L",
    "CVSS:3.0/AV:N/AC:L/PR:N/UI:R/S:C/C:H/I:H/A:N/E:H/RL:O/RC:C/CR:H/IR:H/AR:H/MAV:N/MAC:L/MPR:L",
    "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H",
    "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
    "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/E:P/CR:H/IR:H/AR:H/MSI:S",
];

fn parse_and_score(c: &mut Criterion) {
    let mut group = c.benchmark_group("cvss");
    group.throughput(Throughput::Elements(VECTORS.len() as u64));
    group.bench_function("assess_mixed", |b| {
        b.iter(|| {
            for text in VECTORS {
                let _ = black_box(keelson_cvss::assess(black_box(text)));
            }
        })
    });
    group.finish();
}

criterion_group!(benches, parse_and_score);
criterion_main!(benches);
