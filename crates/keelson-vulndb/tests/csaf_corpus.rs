//! CSAF 2.0 documents of the corpus (OASIS examples, CISA and Red Hat advisories) read
//! into the knowledge base. The expected counts are taken from the documents by walking
//! `serde_json::Value` here, not from the reader; the matching cases use a real Red Hat
//! advisory whose `fixed` list is moved to another status in the test.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use keelson_testkit::{corpus_path, files_under};
use keelson_vulndb::matcher::EvidenceDetail;
use keelson_vulndb::{
    Component, Error, FeedKind, KnowledgeBase, ProductStatus, Source, match_components, parse_csaf,
};
use serde_json::Value;

/// Every CSAF 2.0 document of the corpus that is an advisory (not a validator test case,
/// not a 2.1 draft, not a ROLIE feed or provider metadata).
fn csaf_documents() -> Option<Vec<PathBuf>> {
    let root = corpus_path("csaf")?;
    let json = |path: &Path| path.extension().is_some_and(|e| e == "json");
    let documents = files_under(&root, json)
        .into_iter()
        .filter(|path| {
            let text = path.to_string_lossy();
            !text.contains("/test/") && !text.contains("csaf_2.1")
        })
        .filter(|path| {
            common::load(path)
                .pointer("/document/csaf_version")
                .is_some()
        })
        .collect();
    Some(documents)
}

/// Per status name, the number of product IDs listed over all vulnerabilities.
fn listed_statuses(document: &Value) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    let vulnerabilities = document["vulnerabilities"].as_array().cloned();
    for vulnerability in vulnerabilities.unwrap_or_default() {
        let statuses = vulnerability["product_status"].as_object().cloned();
        for (status, ids) in statuses.unwrap_or_default() {
            let listed = ids.as_array().map_or(0, Vec::len);
            *counts.entry(status).or_default() += listed;
        }
    }
    counts
}

#[test]
fn every_corpus_document_gives_one_record_per_vulnerability_and_every_listed_status() {
    let Some(documents) = csaf_documents() else {
        return;
    };
    // 29 documents, 241 vulnerabilities, 499 known_affected IDs: counted in the corpus
    // with a separate script when this test was written.
    assert_eq!(documents.len(), 29);
    let mut known_affected = 0;
    for path in &documents {
        let bytes = std::fs::read(path).expect("readable");
        let value: Value = serde_json::from_slice(&bytes).expect("json");
        assert_eq!(FeedKind::detect("f", &bytes), Ok(FeedKind::Csaf));

        let parsed = parse_csaf(&bytes);
        assert_eq!(parsed.errors, Vec::<Error>::new(), "{}", path.display());
        let vulnerabilities = value["vulnerabilities"].as_array().map_or(0, Vec::len);
        assert_eq!(parsed.records.len(), vulnerabilities, "{}", path.display());

        let mut read: BTreeMap<String, usize> = BTreeMap::new();
        let statements = parsed.records.iter().flat_map(|r| &r.csaf);
        for status in statements.flat_map(|s| &s.products) {
            *read.entry(status.status.name().to_owned()).or_default() += 1;
        }
        let expected = listed_statuses(&value);
        assert_eq!(read, expected, "{}", path.display());
        known_affected += expected.get("known_affected").copied().unwrap_or(0);
    }
    assert!(
        known_affected > 100,
        "only {known_affected} known_affected IDs"
    );
}

#[test]
fn csaf_records_merge_with_other_sources_by_cve() {
    let Some(path) = corpus_path("csaf/redhat/rhsa-2024_4546.json") else {
        return;
    };
    let value = common::load(&path);
    let cve = value["vulnerabilities"][0]["cve"].as_str().expect("cve");
    let tracking = value["document"]["tracking"]["id"].as_str().expect("id");

    let mut kb = KnowledgeBase::new();
    let mut nvd = keelson_vulndb::Advisory::new(cve, Source::Nvd);
    nvd.summary = Some("from nvd".into());
    kb.upsert(nvd);
    let bytes = serde_json::to_vec(&value).expect("json");
    let report = kb.import_feed(FeedKind::Csaf, &bytes);
    assert_eq!((report.added, report.errors.len()), (1, 0));

    assert_eq!(kb.len(), 1, "the CSAF record joins the NVD entry");
    let merged = kb.get(cve).expect("entry");
    assert_eq!(merged.id, cve);
    assert_eq!(merged.aliases, vec![format!("{tracking}/{cve}")]);
    assert_eq!(merged.csaf.len(), 1);
    let again = kb.import_feed(FeedKind::Csaf, &bytes);
    assert_eq!((again.added, again.unchanged), (0, 1));
}

/// The Red Hat advisory with its `fixed` product IDs moved to `status`, and the purl of
/// the first listed product that has one (read from the product tree here).
fn red_hat_with_status(status: &str) -> Option<(Vec<u8>, String, String, String)> {
    let path = corpus_path("csaf/redhat/rhsa-2024_4546.json")?;
    let mut value = common::load(&path);
    let fixed = value["vulnerabilities"][0]["product_status"]["fixed"].clone();
    let status_object = &mut value["vulnerabilities"][0]["product_status"];
    status_object
        .as_object_mut()
        .expect("product_status")
        .remove("fixed");
    status_object[status] = fixed.clone();

    let purls = product_purls(&value["product_tree"]);
    let relationships = value["product_tree"]["relationships"].as_array().cloned();
    let (product_id, purl) = fixed
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .find_map(|id| {
            let reference = relationships.iter().flatten().find_map(|r| {
                (r["full_product_name"]["product_id"] == id)
                    .then(|| r["product_reference"].as_str())
                    .flatten()
            })?;
            Some((id.to_owned(), purls.get(reference)?.clone()))
        })?;
    let tracking = value["document"]["tracking"]["id"].as_str()?.to_owned();
    Some((serde_json::to_vec(&value).ok()?, tracking, product_id, purl))
}

/// product ID to purl of every product under `branches`.
fn product_purls(tree: &Value) -> BTreeMap<String, String> {
    fn walk(branch: &Value, found: &mut BTreeMap<String, String>) {
        let product = &branch["product"];
        let purl = product["product_identification_helper"]["purl"].as_str();
        if let (Some(id), Some(purl)) = (product["product_id"].as_str(), purl) {
            found.insert(id.to_owned(), purl.to_owned());
        }
        for inner in branch["branches"].as_array().into_iter().flatten() {
            walk(inner, found);
        }
    }
    let mut found = BTreeMap::new();
    for branch in tree["branches"].as_array().into_iter().flatten() {
        walk(branch, &mut found);
    }
    found
}

fn component(purl: &str) -> Component {
    Component {
        reference: "c1".into(),
        name: "from the test".into(),
        version: None,
        purl: Some(purl.to_owned()),
        cpe: None,
    }
}

fn kb_of(bytes: &[u8]) -> KnowledgeBase {
    let mut kb = KnowledgeBase::new();
    let report = kb.import_feed(FeedKind::Csaf, bytes);
    assert_eq!(report.errors, Vec::<Error>::new());
    kb
}

#[test]
fn a_known_affected_product_purl_is_a_finding_naming_the_document_and_product() {
    let Some((bytes, tracking, product_id, purl)) = red_hat_with_status("known_affected") else {
        return;
    };
    let findings = match_components(&kb_of(&bytes), &[component(&purl)]);

    assert_eq!(findings.len(), 1, "{findings:#?}");
    let evidence = &findings[0].evidence;
    assert!(evidence.reason.contains(&tracking), "{}", evidence.reason);
    let EvidenceDetail::CsafProduct {
        document,
        product_id: matched,
        status,
        ..
    } = &evidence.detail
    else {
        panic!("not CSAF evidence: {evidence:?}");
    };
    assert_eq!(
        (document.as_str(), status.as_str()),
        (tracking.as_str(), "known_affected")
    );
    // The first listed product with a purl is the one whose purl the component has.
    assert_eq!(matched, &product_id);
    assert!(
        findings[0].severity.is_some(),
        "the CSAF CVSS vector is scored"
    );
}

#[test]
fn fixed_and_known_not_affected_products_are_no_findings() {
    let path = corpus_path("csaf/redhat/rhsa-2024_4546.json");
    let Some(original) = path.map(|p| std::fs::read(p).expect("readable")) else {
        return;
    };
    let Some((not_affected, _, _, purl)) = red_hat_with_status("known_not_affected") else {
        return;
    };
    for bytes in [original, not_affected] {
        assert_eq!(
            match_components(&kb_of(&bytes), &[component(&purl)]),
            vec![]
        );
    }
}

#[test]
fn another_version_of_an_affected_product_is_no_finding() {
    let Some((bytes, _, _, purl)) = red_hat_with_status("known_affected") else {
        return;
    };
    let (package, _) = purl.split_once('@').expect("versioned purl");
    let other = format!("{package}@0.0.1-1.el8");
    assert_eq!(
        match_components(&kb_of(&bytes), &[component(&other)]),
        vec![]
    );
}

#[test]
fn a_malformed_document_is_refused_with_the_json_pointer_of_the_fault() {
    let Some(path) = corpus_path("csaf/cisa-csaf/csaf_files/OT/white/2024/icsa-24-093-01.json")
    else {
        return;
    };
    let mut value = common::load(&path);
    let vulnerabilities = value["vulnerabilities"].as_array().map_or(0, Vec::len);
    value["vulnerabilities"][1]["product_status"]["known_affected"][0] = Value::from(7);
    let parsed = parse_csaf(&serde_json::to_vec(&value).expect("json"));
    assert_eq!(
        parsed.records.len(),
        vulnerabilities - 1,
        "the other ones are kept"
    );
    let pointer = parsed.errors.first().map(|e| e.to_string());
    let expected = "/vulnerabilities/1/product_status/known_affected/0: expected a string";
    assert!(
        pointer.as_deref().is_some_and(|p| p.contains(expected)),
        "{pointer:?}"
    );

    value["product_tree"]["branches"][0]["category"] = Value::Null;
    let parsed = parse_csaf(&serde_json::to_vec(&value).expect("json"));
    assert_eq!(parsed.records.len(), 0);
    let message = parsed
        .errors
        .first()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        message.contains("at /product_tree/branches/0: required member \"category\""),
        "{message}"
    );
    assert!(message.contains("ICSA-24-093-01"), "{message}");
}

#[test]
fn a_status_naming_an_undefined_product_is_refused() {
    let Some(path) =
        corpus_path("csaf/oasis-csaf/csaf_2.0/examples/csaf/csaf_vex/2022-evd-uc-01-a-001.json")
    else {
        return;
    };
    let mut value = common::load(&path);
    value["vulnerabilities"][0]["product_status"]["known_affected"][0] = "CSAFPID-9999".into();
    let parsed = parse_csaf(&serde_json::to_vec(&value).expect("json"));
    let message = parsed
        .errors
        .first()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        message.contains("\"CSAFPID-9999\" is not defined"),
        "{message}"
    );
    assert!(ProductStatus::from_name("known_affected").is_some());
}
