//! The official purl test suite (purl-spec `tests/**`) and the legacy
//! `test-suite-data.json`: parsing, building, canonical output and expected failures.

mod common;

use std::collections::BTreeMap;

use common::load;
use keelson_testkit::{corpus_path, files_under};
use keelson_vulndb::{Purl, PurlParts};
use serde_json::Value;

/// Parse cases that contradict another case of the corpus and the brief, by file and
/// input; only `parse` cases with these inputs are excluded.
const EXCLUDED: [(&str, &str, &str); 2] = [
    (
        "gem-test.json",
        "pkg:gem/jruby-launcher@1.1.2?Platform=java",
        "parse expects failure for an upper-case qualifier key, while the validate case with \
         the same input and the legacy suite expect the key lowercased (Keelson lowercases)",
    ),
    (
        "rpm-test.json",
        "pkg:Rpm/fedora/curl@7.50.3-1.fc25?Arch=i386&Distro=fedora-25",
        "same conflict as above: upper-case qualifier keys are lowercased, not refused",
    ),
];

const SLASH: &str = "the current suite percent-encodes / in qualifier values (%2F); the \
    legacy suite left it bare";

/// Legacy cases that the current purl suite or type definitions overrule, by input.
const LEGACY_EXCLUDED: [(&str, &str); 13] = [
    (
        "pkg:Maven/org.apache.xmlgraphics/batik-anim@1.9.1?classifier=sources&r\
         epositorY_url=repo.spring.io/release",
        SLASH,
    ),
    (
        "pkg:Maven/org.apache.xmlgraphics/batik-anim@1.9.1?extension=pom&reposi\
         torY_url=repo.spring.io/release",
        SLASH,
    ),
    (
        "pkg:huggingface/microsoft/deberta-v3-base@559062ad13d311b87b2c455e67dc\
         d5f1c8f65111?repository_url=https://hub-ci.huggingface.co",
        SLASH,
    ),
    (
        "pkg:mlflow/CreditFraud@3?repository_url=https://adb-5245952564735461.0\
         .azuredatabricks.net/api/2.0/mlflow",
        SLASH,
    ),
    (
        "pkg:mlflow/CreditFraud@3?repository_url=https://westus2.api.azureml.ms\
         /mlflow/v1.0/subscriptions/a50f2011-fab8-4164-af23-c62881ef8c95/resour\
         ceGroups/TestResourceGroup/providers/Microsoft.MachineLearningServices\
         /workspaces/TestWorkspace",
        SLASH,
    ),
    (
        "pkg:mlflow/trafficsigns@10?model_uuid=36233173b22f4c89b451f1228d700d49\
         &run_id=410a3121-2709-4f88-98dd-dba0ef056b0a&repository_url=https://ad\
         b-5245952564735461.0.azuredatabricks.net/api/2.0/mlflow",
        SLASH,
    ),
    (
        "pkg:conan/bincrafters/cctz@2.3",
        "the current conan definition and tests allow a namespace without a channel qualifier",
    ),
    (
        "pkg:conan/cctz@2.3?channel=stable",
        "the current conan definition makes channel optional and independent of the namespace",
    ),
    (
        "pkg:cran/A3",
        "the current cran definition makes the version optional",
    ),
    (
        "pkg:swift/github.com/Alamofire/Alamofire",
        "the current swift definition makes the version optional",
    ),
    (
        "pkg:huggingface/distilbert-base-uncased@043235d6088ecd3dd5fb5ca3592b6913fd516027",
        "the current huggingface definition requires a namespace",
    ),
    (
        "pkg:cpan/URI::PackageURL@2.11",
        "the current cpan definition forbids :: in a distribution name and its \
         tests refuse this purl",
    ),
    (
        "pkg:cpan/Perl-Version@1.013",
        "the current cpan tests accept a distribution name without namespace",
    ),
];

/// Legacy cases whose expected components contradict their own expected canonical
/// form: only the canonical form is checked.
const LEGACY_CANONICAL_ONLY: [(&str, &str); 2] = [
    (
        "pkg:GOLANG/google.golang.org/genproto@abcdedf#/googleapis/%2E%2E/api/annotations/",
        "expected subpath keeps .. while the expected canonical form drops it; Keelson drops it",
    ),
    (
        "pkg:GOLANG/google.golang.org/genproto@abcdedf#/googleapis/%2E/api/annotations/",
        "expected subpath keeps . while the expected canonical form drops it; Keelson drops it",
    ),
];

fn opt(value: &Value) -> Option<String> {
    value.as_str().map(str::to_owned)
}

fn qualifiers(value: &Value) -> BTreeMap<String, String> {
    let Some(map) = value.as_object() else {
        return BTreeMap::new();
    };
    map.iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_owned()))
        .collect()
}

fn parts_of(value: &Value) -> Option<PurlParts> {
    Some(PurlParts {
        ty: value["type"].as_str()?.to_owned(),
        namespace: opt(&value["namespace"]),
        name: value["name"].as_str()?.to_owned(),
        version: opt(&value["version"]),
        qualifiers: qualifiers(&value["qualifiers"]),
        subpath: opt(&value["subpath"]),
    })
}

/// Compare parsed components with the expected ones.
fn same_components(purl: &Purl, want: &Value) -> bool {
    purl.ty() == want["type"].as_str().unwrap_or_default()
        && purl.namespace() == opt(&want["namespace"])
        && purl.name() == want["name"].as_str().unwrap_or_default()
        && purl.version().map(str::to_owned) == opt(&want["version"])
        && *purl.qualifiers() == qualifiers(&want["qualifiers"])
        && purl.subpath() == opt(&want["subpath"])
}

fn check_case(case: &Value) -> Result<(), String> {
    let failure = case["expected_failure"].as_bool().unwrap_or(false);
    let want = &case["expected_output"];
    let result = match case["test_type"].as_str() {
        Some("build") => parts_of(&case["input"])
            .ok_or_else(|| "missing type or name".to_owned())
            .and_then(|p| Purl::from_parts(p).map_err(|e| e.to_string())),
        _ => case["input"]
            .as_str()
            .unwrap_or_default()
            .parse::<Purl>()
            .map_err(|e| e.to_string()),
    };
    match (result, failure) {
        (Err(_), true) => Ok(()),
        (Ok(p), true) => Err(format!("accepted, gave {p}")),
        (Err(e), false) => Err(format!("refused: {e}")),
        (Ok(p), false) => {
            let ok = match case["test_type"].as_str() {
                Some("parse") => same_components(&p, want),
                _ => Some(p.to_string().as_str()) == want.as_str(),
            };
            if ok {
                Ok(())
            } else {
                Err(format!("gave {p} ({p:?})"))
            }
        }
    }
}

#[test]
fn purl_spec_suite_passes() {
    let Some(dir) = corpus_path("purl/purl-spec/tests") else {
        return;
    };
    let files = files_under(&dir, |p| p.extension().is_some_and(|e| e == "json"));
    let (mut total, mut excluded, mut failures) = (0, 0, Vec::new());

    for file in &files {
        let name = file
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned();
        let doc = load(file);
        let mut count = 0;
        for case in doc["tests"].as_array().into_iter().flatten() {
            let input = case["input"].as_str().unwrap_or_default();
            let parse = case["test_type"].as_str() == Some("parse");
            let skip = EXCLUDED
                .iter()
                .find(|(f, i, _)| parse && *f == name && *i == input);
            if let Some((_, _, why)) = skip {
                eprintln!("purl: {name}: excluded {input:?} ({why})");
                excluded += 1;
                continue;
            }
            count += 1;
            if let Err(e) = check_case(case) {
                failures.push(format!("{name}: {} {case}: {e}", case["test_type"]));
            }
        }
        eprintln!("purl: {name}: {count} cases");
        total += count;
    }

    eprintln!(
        "purl-spec: {total} cases, {excluded} excluded, {} failures",
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(excluded, EXCLUDED.len());
    assert_eq!(
        total + excluded,
        586,
        "the suite at the pinned commit has 586 cases"
    );
}

#[test]
fn legacy_purl_suite_passes() {
    let Some(path) = corpus_path("purl/purl-spec/legacy/test-suite-data.json") else {
        return;
    };
    let cases = load(&path);
    let (mut ran, mut excluded, mut partial, mut failures) = (0, 0, 0, Vec::new());
    for case in cases.as_array().into_iter().flatten() {
        let input = case["purl"].as_str().unwrap_or_default();
        if let Some((_, why)) = LEGACY_EXCLUDED.iter().find(|(i, _)| *i == input) {
            eprintln!("legacy purl: excluded {input:?} ({why})");
            excluded += 1;
            continue;
        }
        ran += 1;
        let invalid = case["is_invalid"].as_bool().unwrap_or(false);
        match (input.parse::<Purl>(), invalid) {
            (Err(_), true) => {}
            (Ok(p), true) => failures.push(format!("{input}: accepted as {p}")),
            (Err(e), false) => failures.push(format!("{input}: refused: {e}")),
            (Ok(p), false) => {
                let canonical = case["canonical_purl"].as_str();
                let canonical_only = LEGACY_CANONICAL_ONLY.iter().any(|(i, _)| *i == input);
                if canonical_only {
                    partial += 1;
                }
                let components = canonical_only || same_components(&p, case);
                if Some(p.to_string().as_str()) != canonical || !components {
                    failures.push(format!("{input}: gave {p} ({p:?})"));
                }
            }
        }
    }
    eprintln!("legacy purl suite: {ran} cases ({partial} canonical only), {excluded} excluded");
    for (input, why) in LEGACY_CANONICAL_ONLY {
        eprintln!("legacy purl: canonical form only for {input:?} ({why})");
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(excluded, LEGACY_EXCLUDED.len());
    assert_eq!(partial, LEGACY_CANONICAL_ONLY.len());
    assert_eq!(ran + excluded, 59, "the legacy suite has 59 cases");
}
