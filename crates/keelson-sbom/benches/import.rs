//! Import and validation time on real SBOMs from the corpus: the largest one
//! (Keycloak 10.0.2, 2.2 MB, 904 components), its XML counterpart in size class
//! (Laravel 1.4 XML) and schema validation of the Laravel 1.4 JSON.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use keelson_testkit::corpus_path;

fn load(relative: &str) -> Option<Vec<u8>> {
    let path = corpus_path(relative)?;
    std::fs::read(path).ok()
}

fn bench_import(c: &mut Criterion) {
    let cases = [
        (
            "import/keycloak-json",
            "cyclonedx/bom-examples/SBOM/keycloak-10.0.2/bom.json",
        ),
        (
            "import/laravel-xml",
            "cyclonedx/bom-examples/SBOM/laravel-7.12.0/bom.1.4.xml",
        ),
        (
            "import/spdx-2.3-tag-value",
            "spdx/spec-examples/v2.3/SPDXTagExample-v2.3.spdx",
        ),
    ];
    let mut group = c.benchmark_group("sbom");
    for (name, relative) in cases {
        let Some(bytes) = load(relative) else {
            continue;
        };
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_function(name, |b| b.iter(|| keelson_sbom::import(black_box(&bytes))));
    }

    let laravel = "cyclonedx/bom-examples/SBOM/laravel-7.12.0/bom.1.4.json";
    if let Some(bytes) = load(laravel) {
        // Compile the schema outside the measurement: it is done once per process.
        let _ = keelson_sbom::validate(&bytes);
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_function("validate/laravel-json-1.4", |b| {
            b.iter(|| keelson_sbom::validate(black_box(&bytes)))
        });
    }
    group.finish();
}

criterion_group!(benches, bench_import);
criterion_main!(benches);
