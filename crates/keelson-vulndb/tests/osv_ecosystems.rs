//! Every OSV ecosystem either has a version scheme or is listed here with the reason it
//! has none, so a new ecosystem is never compared with the wrong rules by accident.

use keelson_testkit::corpus_path;
use keelson_vulndb::Scheme;
use serde_json::Value;

const NO_SCHEME: [(&str, &str); 19] = [
    (
        "Android",
        "versions are Android releases or commits, not a package scheme",
    ),
    ("Bioconductor", "R package_version rules not implemented"),
    ("CleanStart", "scheme not documented"),
    ("ConanCenter", "conan scheme not implemented"),
    ("CRAN", "R package_version rules not implemented"),
    ("Docker Hardened Images", "scheme not documented"),
    ("Echo", "scheme not documented"),
    ("FreeBSD", "pkg version rules not implemented"),
    ("GHC", "Haskell PVP rules not implemented"),
    ("GitHub Actions", "tags or commits, no single scheme"),
    ("Hackage", "Haskell PVP rules not implemented"),
    ("Kubernetes", "scheme not documented"),
    ("Linux", "kernel ranges are commit-based"),
    ("opam", "opam (Debian-like) rules not implemented"),
    ("OSS-Fuzz", "ranges are commit-based"),
    ("Packagist", "composer rules not implemented"),
    ("Root", "scheme not documented"),
    ("TuxCare", "mixes rpm and deb distributions"),
    ("VSCode", "scheme not documented"),
];

#[test]
fn osv_ecosystems_map_to_schemes_or_are_listed() {
    let Some(path) = corpus_path("osv/osv-schema/ecosystems.json") else {
        return;
    };
    let text = std::fs::read_to_string(path).expect("readable");
    let doc: Value = serde_json::from_str(&text).expect("JSON");
    let names: Vec<&String> = doc.as_object().expect("an object").keys().collect();

    let (mut mapped, mut listed) = (0, 0);
    for name in &names {
        let scheme = Scheme::for_ecosystem(name);
        let reason = NO_SCHEME.iter().find(|(n, _)| n == name);
        match (scheme, reason) {
            (Some(_), None) => mapped += 1,
            (None, Some((_, why))) => {
                eprintln!("osv ecosystem {name}: no scheme ({why})");
                listed += 1;
            }
            (Some(s), Some(_)) => {
                panic!("{name} maps to {} but is listed as unsupported", s.name())
            }
            (None, None) => panic!("{name} has no scheme and no reason"),
        }
    }
    eprintln!("osv ecosystems: {mapped} mapped, {listed} without a scheme");
    assert_eq!(mapped + listed, names.len());
    assert_eq!(listed, NO_SCHEME.len());
}
