//! OSV records from the osv-schema repository: every range is evaluated at its own event
//! versions, where the OSV schema fixes the answer (introduced and last_affected
//! versions are affected, fixed versions are not, unless another interval covers them).

mod common;

use common::load;
use keelson_testkit::{corpus_path, files_under};
use keelson_vulndb::{OsvAffected, OsvEvent, OsvEvidence, OsvRangeType, RangeOutcome, Scheme};

/// Records that are broken on purpose, and what must happen to them.
const BROKEN: [(&str, &str); 1] = [(
    "nointroduced-CVE-2023-41045.json",
    "GIT range without introduced: not evaluated, so no error either",
)];

/// Whether `version` lies in another interval of the same range, which would make the
/// expected answer at a boundary differ.
fn covered_elsewhere(events: &[OsvEvent], scheme: Scheme, version: &str) -> bool {
    events.iter().any(|e| match e {
        OsvEvent::Introduced(v) => {
            v != version && scheme.compare(v, version).is_ok_and(|o| o.is_lt())
        }
        _ => false,
    }) && events
        .iter()
        .filter(|e| matches!(e, OsvEvent::Introduced(_)))
        .count()
        > 1
}

fn check_entry(entry: &OsvAffected, scheme: Scheme) -> Result<usize, String> {
    let mut checked = 0;
    for (index, range) in entry.ranges.iter().enumerate() {
        if range.kind == OsvRangeType::Git {
            continue;
        }
        let range_scheme = if range.kind == OsvRangeType::Semver {
            Scheme::Semver
        } else {
            scheme
        };
        for event in &range.events {
            let (version, want) = match event {
                OsvEvent::Introduced(v) if v == "0" => continue,
                OsvEvent::Introduced(v) | OsvEvent::LastAffected(v) => (v, true),
                OsvEvent::Fixed(v) if covered_elsewhere(&range.events, range_scheme, v) => continue,
                OsvEvent::Fixed(v) => (v, false),
                OsvEvent::Limit(_) => continue,
            };
            let outcome = range
                .evaluate(index, scheme, version)
                .map_err(|e| e.to_string())?;
            let got = matches!(outcome, RangeOutcome::Inside(_));
            if got != want {
                return Err(format!(
                    "range {index} at {version}: affected={got}, want {want}"
                ));
            }
            checked += 1;
        }
    }
    Ok(checked)
}

#[test]
fn osv_records_agree_at_their_event_versions() {
    let Some(dir) = corpus_path("osv/osv-schema/tools") else {
        return;
    };
    let files = files_under(&dir, |p| {
        let name = p.to_string_lossy();
        name.ends_with(".json") && (name.ends_with(".osv.json") || !name.contains("/ghsa/"))
    });
    let (mut records, mut checks, mut failures) = (0, 0, Vec::new());

    for file in &files {
        let name = file
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let doc = load(file);
        for entry in doc["affected"].as_array().into_iter().flatten() {
            let entry: OsvAffected = serde_json::from_value(entry.clone()).expect("affected entry");
            let ecosystem = entry.package.as_ref().map_or("", |p| p.ecosystem.as_str());
            let scheme = Scheme::for_ecosystem(ecosystem).unwrap_or(Scheme::Semver);
            match check_entry(&entry, scheme) {
                Ok(n) => checks += n,
                Err(e) => failures.push(format!("{name}: {e}")),
            }
        }
        records += 1;
    }
    for (name, what) in BROKEN {
        eprintln!("osv: {name}: {what}");
    }
    eprintln!("osv records: {records} files, {checks} boundary checks");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(
        records >= 25 && checks > 50,
        "ran {records} files, {checks} checks"
    );
}

#[test]
fn listed_versions_match_by_scheme_equality() {
    let Some(path) = corpus_path("osv/osv-schema/tools/osv-linter/testdata/PYSEC-2023-74.json")
    else {
        return;
    };
    let doc = load(&path);
    let entry: OsvAffected = serde_json::from_value(doc["affected"][0].clone()).expect("entry");
    let listed = entry.versions.first().cloned().expect("a listed version");
    let verdict = entry.evaluate(&listed).expect("evaluates");
    assert!(verdict.affected, "{listed} is listed");
    assert!(matches!(verdict.evidence, Some(OsvEvidence::Listed { .. })));

    let fixed = entry.evaluate("2.31.0").expect("evaluates");
    assert!(!fixed.affected, "2.31.0 is the fix");
    assert!(
        fixed.warnings.iter().any(|w| w.contains("GIT")),
        "{:?}",
        fixed.warnings
    );
}
