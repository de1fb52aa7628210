//! GitHub advisories and the OSV records converted from them (osv-schema ghsa tool
//! fixtures): at every version either side names, the OSV evaluation of the converted
//! record must agree with the advisory's own range, read comparator by comparator.

mod common;

use std::cmp::Ordering;

use common::load;
use keelson_testkit::{corpus_path, files_under};
use keelson_vulndb::{OsvAffected, OsvEvent, Scheme};

/// Advisories whose conversion widens the range on purpose: with no patched version the
/// converter drops the `<=` bound (no fix exists), so versions above it are affected in
/// OSV only. Those probes are counted, not compared.
const WIDENED: [(&str, &str); 1] = [(
    "less_than_equals_no_patch.json",
    "unpatched `<= 1.2.1` becomes `introduced: 0` with no upper event",
)];

/// A GitHub range such as `>= 2.5.0, < 2.5.16`: every comparator must hold.
fn in_ghsa_range(range: &str, scheme: Scheme, version: &str) -> bool {
    range.split(',').map(str::trim).all(|part| {
        let (op, bound) = part.split_once(' ').unwrap_or(("=", part));
        let Ok(order) = scheme.compare(version, bound.trim()) else {
            return false;
        };
        match op {
            ">=" => order != Ordering::Less,
            ">" => order == Ordering::Greater,
            "<=" => order != Ordering::Greater,
            "<" => order == Ordering::Less,
            _ => order == Ordering::Equal,
        }
    })
}

/// Every version named by the advisory or the converted record, plus the extremes.
fn probes(ranges: &[String], affected: &[OsvAffected]) -> Vec<String> {
    let mut out: Vec<String> = vec!["0.0.1".into(), "99.0.0".into()];
    for range in ranges {
        out.extend(
            range
                .split(',')
                .filter_map(|p| p.split_whitespace().last().map(Into::into)),
        );
    }
    for entry in affected {
        out.extend(entry.versions.iter().cloned());
        let events = entry.ranges.iter().flat_map(|r| &r.events);
        out.extend(
            events
                .map(OsvEvent::version)
                .filter(|v| *v != "0")
                .map(str::to_owned),
        );
    }
    out.sort();
    out.dedup();
    out
}

#[test]
fn converted_osv_records_agree_with_their_github_advisories() {
    let Some(dir) = corpus_path("osv/osv-schema/tools/ghsa/testdata") else {
        return;
    };
    let inputs = files_under(&dir, |p| {
        let name = p.to_string_lossy();
        name.ends_with(".json") && !name.ends_with(".osv.json")
    });
    let (mut pairs, mut checks, mut positives, mut widened) = (0, 0, 0, 0);

    for input in &inputs {
        let ghsa = load(input);
        let osv = load(&input.with_extension("osv.json"));
        let affected: Vec<OsvAffected> =
            serde_json::from_value(osv["affected"].clone()).expect("affected entries");
        let Some(package) = affected.first().and_then(|a| a.package.clone()) else {
            continue;
        };
        let scheme = Scheme::for_ecosystem(&package.ecosystem).expect("known ecosystem");
        // The GraphQL export wraps the list in `nodes`.
        let list = &ghsa["vulnerabilities"];
        let ranges: Vec<String> = list["nodes"]
            .as_array()
            .or(list.as_array())
            .into_iter()
            .flatten()
            .filter_map(|v| v["vulnerableVersionRange"].as_str().map(str::to_owned))
            .collect();

        for version in probes(&ranges, &affected) {
            if scheme.validate(&version).is_err() {
                continue;
            }
            let want = ranges.iter().any(|r| in_ghsa_range(r, scheme, &version));
            let got = affected
                .iter()
                .any(|a| a.evaluate(&version).is_ok_and(|v| v.affected));
            let name = input
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            if got && !want && WIDENED.iter().any(|(f, _)| *f == name) {
                widened += 1;
                continue;
            }
            assert_eq!(got, want, "{} at {version}", input.display());
            checks += 1;
            positives += usize::from(want);
        }
        pairs += 1;
    }
    eprintln!("ghsa -> osv pairs: {pairs} pairs, {checks} version checks ({positives} affected)");
    for (file, why) in WIDENED {
        eprintln!("ghsa -> osv: {file}: {widened} probe(s) above the bound not compared ({why})");
    }
    assert_eq!(pairs, 11);
    assert_eq!(widened, 1, "only 99.0.0 lies above the dropped bound");
    assert!(checks > 40, "ran {checks}");
    assert!(positives > 10, "only {positives} affected probes");
}
