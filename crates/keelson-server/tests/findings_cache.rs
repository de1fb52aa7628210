//! The server's findings cache: a feed stored after the first request is
//! imported once, only the builds it touches are matched again, and the
//! answer equals the knowledge base built again from every stored feed.

use keelson_core::tlp::default_marking;
use keelson_server::findings::{self, FindingsCache};
use keelson_store::Store;
use keelson_store::feeds::FeedFile;
use keelson_store::fleet::SoftwareBuild;
use keelson_store::sboms::Subject;
use sha2::{Digest, Sha256};

keelson_store::on_both_backends!(
    a_new_feed_rematches_only_the_builds_it_touches,
    a_kev_entry_rematches_the_build_that_has_its_cve,
);

async fn a_new_feed_rematches_only_the_builds_it_touches(store: &Store) {
    attach(store, "telematics-1.0", "pkg:npm/left-pad@1.0.0").await;
    attach(store, "infotainment-2.0", "pkg:pypi/requests@2.0.0").await;
    store_feed(
        store,
        "osv",
        &osv("GHSA-aaaa", "CVE-2024-0001", "npm", "left-pad"),
    )
    .await;
    let cache = FindingsCache::default();
    let before = vulnerabilities(&cache, store, "telematics-1.0").await;
    assert_eq!(before, ["CVE-2024-0001"]);
    assert!(
        vulnerabilities(&cache, store, "infotainment-2.0")
            .await
            .is_empty()
    );

    store_feed(
        store,
        "osv",
        &osv("GHSA-bbbb", "CVE-2024-0002", "npm", "left-pad"),
    )
    .await;
    let refresh = cache.refresh(store).await.expect("refresh");

    assert_eq!(refresh.feeds_imported, 1);
    assert_eq!(refresh.builds_touched, ["telematics-1.0"]);
    let after = vulnerabilities(&cache, store, "telematics-1.0").await;
    assert_eq!(after, ["CVE-2024-0001", "CVE-2024-0002"]);
    assert_eq!(after, rebuilt(store, "telematics-1.0").await);
    assert!(
        cache
            .refresh(store)
            .await
            .expect("again")
            .builds_touched
            .is_empty()
    );
}

async fn a_kev_entry_rematches_the_build_that_has_its_cve(store: &Store) {
    attach(store, "telematics-1.0", "pkg:npm/left-pad@1.0.0").await;
    attach(store, "gateway-3.1", "pkg:npm/lodash@4.0.0").await;
    store_feed(
        store,
        "osv",
        &osv("GHSA-aaaa", "CVE-2024-0001", "npm", "left-pad"),
    )
    .await;
    store_feed(
        store,
        "osv",
        &osv("GHSA-cccc", "CVE-2024-0003", "npm", "lodash"),
    )
    .await;
    let cache = FindingsCache::default();
    let kev_of = |build: &'static str| {
        let cache = &cache;
        async move {
            let report = cache.build_report(store, build).await.expect("report");
            report.findings.iter().map(|f| f.kev).collect::<Vec<_>>()
        }
    };
    assert_eq!(kev_of("telematics-1.0").await, [false]);
    assert_eq!(kev_of("gateway-3.1").await, [false]);

    let kev = serde_json::json!({"catalogVersion": "2024.01.01", "vulnerabilities": [
        {"cveID": "CVE-2024-0001", "dateAdded": "2024-01-02"}
    ]});
    store_feed(store, "kev", &kev.to_string()).await;
    let refresh = cache.refresh(store).await.expect("refresh");

    assert_eq!(refresh.builds_touched, ["telematics-1.0"]);
    assert_eq!(kev_of("telematics-1.0").await, [true]);
    assert_eq!(kev_of("gateway-3.1").await, [false]);
}

async fn vulnerabilities(cache: &FindingsCache, store: &Store, build: &str) -> Vec<String> {
    let report = cache.build_report(store, build).await.expect("report");
    sorted_ids(&report)
}

/// The findings the uncached path gives: every stored feed imported again.
async fn rebuilt(store: &Store, build: &str) -> Vec<String> {
    let kb = findings::knowledge_base(store).await.expect("kb");
    let (_, report) = findings::scan_build(store, &kb, build).await.expect("scan");
    sorted_ids(&report)
}

fn sorted_ids(report: &keelson_vulndb::MatchReport) -> Vec<String> {
    let mut ids: Vec<String> = report
        .findings
        .iter()
        .map(|finding| finding.vulnerability.clone())
        .collect();
    ids.sort();
    ids
}

async fn attach(store: &Store, build: &str, purl: &str) {
    let record = SoftwareBuild {
        id: build.to_owned(),
        ecu: "ecu".to_owned(),
        firmware_version: "1".to_owned(),
        digest: None,
        marking: default_marking(),
    };
    store.create_build("test", &record).await.expect("build");
    let document = serde_json::json!({
        "bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
        "components": [{"type": "library", "bom-ref": purl, "name": purl, "purl": purl}]
    })
    .to_string()
    .into_bytes();
    let sbom = keelson_sbom::import(&document).expect("sbom");
    let new = findings::new_sbom(Subject::Build(build.to_owned()), &sbom, document);
    store.attach_sbom("test", new).await.expect("attach");
}

fn osv(id: &str, cve: &str, ecosystem: &str, name: &str) -> String {
    serde_json::json!({
        "id": id, "modified": "2024-01-01T00:00:00Z", "aliases": [cve],
        "affected": [{
            "package": {"ecosystem": ecosystem, "name": name,
                        "purl": format!("pkg:{ecosystem}/{name}")},
            "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "9.9.9"}]}]
        }]
    })
    .to_string()
}

async fn store_feed(store: &Store, kind: &str, text: &str) {
    let bytes = text.as_bytes().to_vec();
    let file = FeedFile {
        sha256: hex::encode(Sha256::digest(&bytes)),
        kind: kind.to_owned(),
        name: format!("{kind}.json"),
        bytes,
    };
    assert!(store.store_feed_file("test", file).await.expect("feed"));
}
