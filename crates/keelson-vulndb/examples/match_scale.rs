//! `cargo run --release --example match_scale -- [ADVISORIES...]`: builds a synthetic
//! knowledge base of each size (default 50,000, 100,000 and 200,000 advisories) and
//! matches a 10,000-component SBOM against it, printing load time and the median of
//! seven match runs. The advisories have real shapes and go through the real readers:
//! OSV records (ten ecosystems, ranges with four events, a CVSS vector) and NVD CVE
//! records (CPE criteria with version bounds, some ANDed with a `vulnerable: false`
//! platform). The SBOM mixes purls and CPEs of the same package pools, so components
//! hit the indexes the way a real firmware SBOM does.

use std::time::{Duration, Instant};

use keelson_vulndb::{Component, KnowledgeBase, parse_nvd_cve, parse_osv_value, scan};
use serde_json::{Value, json};

const COMPONENTS: usize = 10_000;
const RUNS: usize = 7;

/// (OSV ecosystem, purl type and namespace, OSV range type).
const ECOSYSTEMS: [(&str, &str, &str); 10] = [
    ("npm", "npm", "SEMVER"),
    ("PyPI", "pypi", "ECOSYSTEM"),
    ("Maven", "maven/org.example", "ECOSYSTEM"),
    ("Go", "golang/example.com", "SEMVER"),
    ("crates.io", "cargo", "SEMVER"),
    ("Debian:12", "deb/debian", "ECOSYSTEM"),
    ("Red Hat", "rpm/redhat", "ECOSYSTEM"),
    ("RubyGems", "gem", "ECOSYSTEM"),
    ("NuGet", "nuget", "ECOSYSTEM"),
    ("Packagist", "composer/example", "ECOSYSTEM"),
];

fn main() {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let sizes = if sizes.is_empty() {
        vec![50_000, 100_000, 200_000]
    } else {
        sizes
    };
    println!("advisories,load_s,match_median_ms,match_min_ms,match_max_ms,match_cpu_ms,findings");
    for size in sizes {
        measure(size);
    }
}

fn measure(advisories: usize) {
    let started = Instant::now();
    let kb = knowledge_base(advisories);
    let load = started.elapsed();
    let components = sbom(advisories);

    let mut times: Vec<Duration> = Vec::new();
    let mut findings = 0;
    let cpu_before = cpu_time();
    for _ in 0..RUNS {
        let started = Instant::now();
        findings = scan(&kb, &components, &[]).findings.len();
        times.push(started.elapsed());
    }
    let cpu_per_run = cpu_time().saturating_sub(cpu_before) / RUNS as u32;
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{advisories},{:.2},{:.1},{:.1},{:.1},{:.1},{findings}",
        load.as_secs_f64(),
        ms(times[RUNS / 2]),
        ms(times[0]),
        ms(times[RUNS - 1]),
        ms(cpu_per_run)
    );
}

/// CPU time this thread has run (Linux `/proc/thread-self/schedstat`), so that a figure
/// taken on a shared machine is not the wall time spent waiting for a core.
fn cpu_time() -> Duration {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap_or_default();
    let nanos = text.split_whitespace().next().and_then(|n| n.parse().ok());
    Duration::from_nanos(nanos.unwrap_or(0))
}

/// Packages per pool: half as many as advisories, so most packages have two.
fn pool(advisories: usize) -> usize {
    (advisories / 2).max(1)
}

fn knowledge_base(advisories: usize) -> KnowledgeBase {
    let mut kb = KnowledgeBase::new();
    for index in 0..advisories {
        let parsed = if index % 5 == 4 {
            parse_nvd_cve(&nvd_record(index, pool(advisories)))
        } else {
            parse_osv_value(&osv_record(index, pool(advisories)))
        };
        match parsed {
            Ok(advisory) => {
                kb.upsert(advisory);
            }
            Err(error) => eprintln!("synthetic record {index} refused: {error}"),
        }
    }
    kb
}

/// The version of `package` in its ecosystem's spelling for release `(a, b, c)`.
fn version(ecosystem: usize, (a, b, c): (usize, usize, usize)) -> String {
    match ECOSYSTEMS[ecosystem].0 {
        "Debian:12" => format!("1:{a}.{b}.{c}-{}", c + 1),
        "Red Hat" => format!("{a}.{b}.{c}-{}.el9", c + 1),
        _ => format!("{a}.{b}.{c}"),
    }
}

fn package(number: usize) -> (usize, String) {
    (number % ECOSYSTEMS.len(), format!("pkg-{number}"))
}

fn osv_record(index: usize, pool: usize) -> Value {
    let (ecosystem, name) = package((index * 7919) % pool);
    let (osv_ecosystem, _, range_type) = ECOSYSTEMS[ecosystem];
    let osv_name = match osv_ecosystem {
        "Maven" => format!("org.example:{name}"),
        "Go" => format!("example.com/{name}"),
        "Packagist" => format!("example/{name}"),
        _ => name,
    };
    let major = index % 4 + 1;
    let events = json!([
        {"introduced": "0"},
        {"fixed": version(ecosystem, (major, 2, index % 9))},
        {"introduced": version(ecosystem, (major + 1, 0, 0))},
        {"fixed": version(ecosystem, (major + 1, 4, index % 7 + 1))},
    ]);
    json!({
        "id": format!("GHSA-synt-{index:04x}-{:04x}", index / 65536),
        "modified": "2025-01-01T00:00:00Z",
        "aliases": [format!("CVE-2099-{index:07}")],
        "summary": "synthetic advisory",
        "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
        "affected": [{
            "package": {"ecosystem": osv_ecosystem, "name": osv_name},
            "ranges": [{"type": range_type, "events": events}]
        }]
    })
}

fn nvd_record(index: usize, pool: usize) -> Value {
    let product = (index * 104_729) % pool;
    let criterion = json!({
        "vulnerable": true,
        "criteria": format!("cpe:2.3:a:vendor{product}:product{product}:*:*:*:*:*:*:*:*"),
        "versionStartIncluding": "1.0",
        "versionEndExcluding": format!("{}.{}.1", index % 4 + 1, index % 9),
        "matchCriteriaId": format!("00000000-0000-4000-8000-{index:012}"),
    });
    let mut nodes = vec![json!({"operator": "OR", "negate": false, "cpeMatch": [criterion]})];
    if index.is_multiple_of(3) {
        let platform = json!({
            "vulnerable": false,
            "criteria": format!("cpe:2.3:h:vendor{product}:board{}:-:*:*:*:*:*:*:*", index % 5),
            "matchCriteriaId": format!("00000000-0000-4000-9000-{index:012}"),
        });
        nodes.push(json!({"operator": "OR", "negate": false, "cpeMatch": [platform]}));
    }
    let operator = if nodes.len() > 1 { "AND" } else { "OR" };
    json!({
        "id": format!("CVE-2098-{index:07}"),
        "sourceIdentifier": "synthetic@example.com",
        "published": "2025-01-01T00:00:00.000",
        "lastModified": "2025-01-02T00:00:00.000",
        "vulnStatus": "Analyzed",
        "descriptions": [{"lang": "en", "value": "synthetic CVE"}],
        "configurations": [{"operator": operator, "nodes": nodes}]
    })
}

/// 8,000 purl components and 2,000 CPE components (plus the boards some CPE
/// configurations need), drawn from the advisory pools.
fn sbom(advisories: usize) -> Vec<Component> {
    let pool = pool(advisories);
    (0..COMPONENTS)
        .map(|index| {
            let number = (index * 15_485_863) % pool;
            let reference = format!("c{index}");
            if index % 5 == 4 {
                let cpe = match index % 50 {
                    49 => format!(
                        "cpe:2.3:h:vendor{number}:board{}:-:*:*:*:*:*:*:*",
                        index % 5
                    ),
                    _ => format!(
                        "cpe:2.3:a:vendor{number}:product{number}:2.{}:*:*:*:*:*:*:*",
                        index % 9
                    ),
                };
                return Component {
                    reference,
                    name: format!("product{number}"),
                    version: None,
                    purl: None,
                    cpe: Some(cpe),
                };
            }
            let (ecosystem, name) = package(number);
            let purl_type = ECOSYSTEMS[ecosystem].1;
            let version = version(ecosystem, (index % 4 + 1, index % 3, index % 9));
            let purl = format!("pkg:{purl_type}/{name}@{version}");
            Component {
                reference,
                name,
                version: Some(version),
                purl: Some(purl),
                cpe: None,
            }
        })
        .collect()
}
