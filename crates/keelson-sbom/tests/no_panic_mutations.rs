//! Random mutations of corpus documents must never panic the importer, the validator or
//! format detection. This runs in the ordinary test suite because cargo-fuzz (in
//! `fuzz/`) needs a nightly toolchain this machine lacks; the mutations are seeded and
//! deterministic, so a failure names the seed file and round that reproduce it.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use keelson_testkit::{corpus_path, files_under};

/// Mutations per seed file; raise with `KEELSON_SBOM_MUTATIONS` for a longer hunt.
const DEFAULT_ROUNDS: usize = 300;

/// Fragments that steer mutations into the readers' interesting corners.
const FRAGMENTS: [&[u8]; 12] = [
    b"{",
    b"}",
    b"[",
    b"\"",
    b"<",
    b"</",
    b"<text>",
    b"</text>",
    b":",
    b"\n",
    b"\"components\":[{\"type\":\"library\"}]",
    b"PackageName: x\n",
];

/// xorshift64*: small, deterministic, good enough to pick mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, bound: usize) -> usize {
        if bound == 0 {
            0
        } else {
            (self.next() % bound as u64) as usize
        }
    }
}

fn mutate(input: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut bytes = input.to_vec();
    for _ in 0..=rng.below(4) {
        let at = rng.below(bytes.len() + 1);
        match rng.below(5) {
            0 if !bytes.is_empty() => {
                let index = at.min(bytes.len() - 1);
                bytes[index] ^= 1 << rng.below(8);
            }
            1 => bytes.truncate(at),
            2 => {
                let end = (at + rng.below(64)).min(bytes.len());
                bytes.drain(at..end);
            }
            3 => {
                let fragment = FRAGMENTS[rng.below(FRAGMENTS.len())];
                bytes.splice(at..at, fragment.iter().copied());
            }
            _ => {
                let end = (at + rng.below(256)).min(bytes.len());
                let copy = bytes[at..end].to_vec();
                let to = rng.below(bytes.len() + 1);
                bytes.splice(to..to, copy);
            }
        }
    }
    bytes
}

fn seeds() -> Option<Vec<PathBuf>> {
    let mut seeds = Vec::new();
    for folder in ["1.4", "1.5", "1.6", "1.6-xml"] {
        let dir = corpus_path(&format!("cyclonedx/spec-tests/{folder}"))?;
        seeds.extend(files_under(&dir, |p| {
            p.to_string_lossy().contains("valid-bom")
        }));
    }
    let spdx = corpus_path("spdx/spec-examples")?;
    seeds.extend(files_under(&spdx, |p| {
        let name = p.to_string_lossy();
        name.ends_with(".spdx") || name.ends_with(".spdx.json")
    }));
    let hbom = corpus_path("cyclonedx/bom-examples/HBOM/PCIe-SATA-adapter-board/bom.json")?;
    seeds.push(hbom);
    Some(seeds)
}

fn exercise(bytes: &[u8]) {
    let _ = keelson_sbom::detect(bytes);
    let _ = keelson_sbom::import(bytes);
    let _ = keelson_sbom::validate(bytes);
}

fn hunt(seed_path: &Path, rounds: usize) -> Result<(), String> {
    let seed = std::fs::read(seed_path).map_err(|e| e.to_string())?;
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ seed.len() as u64);
    for round in 0..rounds {
        let input = mutate(&seed, &mut rng);
        if catch_unwind(AssertUnwindSafe(|| exercise(&input))).is_err() {
            return Err(format!("{} round {round} panicked", seed_path.display()));
        }
    }
    Ok(())
}

#[test]
fn mutated_corpus_documents_never_panic() {
    let Some(seeds) = seeds() else { return };
    assert!(seeds.len() >= 8, "too few seeds: {}", seeds.len());
    let rounds = std::env::var("KEELSON_SBOM_MUTATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_ROUNDS);

    let failures: Vec<String> = seeds.iter().filter_map(|s| hunt(s, rounds).err()).collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    println!("{} seeds x {rounds} mutations: no panic", seeds.len());
}

#[test]
fn deeply_nested_components_do_not_overflow_the_stack() {
    let depth = 20_000;
    let namespace = "http://cyclonedx.org/schema/bom/1.6";
    let open = "<components><component type=\"library\"><name>n</name>".repeat(depth);
    let close = "</component></components>".repeat(depth);
    let xml = format!("<bom xmlns=\"{namespace}\" version=\"1\">{open}{close}</bom>");

    let outcome = keelson_sbom::import(xml.as_bytes());
    // Either read completely (every level a component) or refused with a reason.
    match outcome {
        Ok(sbom) => assert_eq!(sbom.components.len(), depth),
        Err(error) => assert!(!error.to_string().is_empty()),
    }
    let _ = keelson_sbom::validate(xml.as_bytes());

    let json = format!(
        "{{\"bomFormat\":\"CycloneDX\",\"specVersion\":\"1.6\",\"components\":{}{}}}",
        "[{\"type\":\"library\",\"name\":\"n\",\"components\":".repeat(depth),
        "[]}]".repeat(depth)
    );
    let error = keelson_sbom::import(json.as_bytes())
        .err()
        .map(|e| e.kind());
    assert_eq!(
        error,
        Some(keelson_sbom::ErrorKind::Syntax),
        "serde_json's depth limit"
    );
}
