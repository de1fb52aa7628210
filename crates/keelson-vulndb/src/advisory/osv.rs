//! OSV records: single JSON documents and the per-ecosystem `all.zip` archives OSV
//! publishes, read into [`Advisory`] with each `affected[]` package keyed by purl.

use std::io::{Cursor, Read};

use serde::Deserialize;
use serde_json::Value;

use super::{Advisory, AffectedPackage, Parsed, SeverityMetric, Source};
use crate::error::Error;
use crate::osv_range::OsvAffected;
use crate::purl::{Purl, PurlParts};

/// Largest entry read from an archive; OSV records are kilobytes, so anything larger is
/// refused rather than inflated into memory.
const MAX_ENTRY_BYTES: u64 = 16 * 1024 * 1024;

#[derive(Deserialize)]
struct RawOsv {
    id: String,
    #[serde(default)]
    aliases: Option<Vec<String>>,
    #[serde(default)]
    summary: Option<String>,
    #[serde(default)]
    details: Option<String>,
    #[serde(default)]
    published: Option<String>,
    #[serde(default)]
    modified: Option<String>,
    #[serde(default)]
    withdrawn: Option<String>,
    #[serde(default)]
    severity: Option<Vec<RawSeverity>>,
    #[serde(default)]
    affected: Option<Vec<Value>>,
    #[serde(default)]
    database_specific: Option<Value>,
}

#[derive(Deserialize)]
struct RawSeverity {
    #[serde(rename = "type")]
    kind: String,
    score: String,
}

/// Read one OSV record from JSON text.
pub fn parse_osv(bytes: &[u8]) -> Result<Advisory, Error> {
    let value: Value =
        serde_json::from_slice(bytes).map_err(|e| Error::record("osv", "document", e))?;
    parse_osv_value(&value)
}

/// Read one OSV record from a parsed JSON value.
pub fn parse_osv_value(value: &Value) -> Result<Advisory, Error> {
    let label = value
        .get("id")
        .and_then(Value::as_str)
        .unwrap_or("without id")
        .to_owned();
    let raw = RawOsv::deserialize(value).map_err(|e| Error::record("osv", &label, e))?;

    let affected = raw
        .affected
        .unwrap_or_default()
        .iter()
        .enumerate()
        .map(|(i, entry)| affected_package(entry).map_err(|e| (i, e)))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|(i, e)| Error::record("osv", &label, format!("affected[{i}]: {e}")))?;

    let mut advisory = Advisory::new(raw.id, Source::Osv);
    advisory.aliases = raw.aliases.unwrap_or_default();
    advisory.summary = raw.summary.or(raw.details).filter(|s| !s.is_empty());
    advisory.published = raw.published;
    advisory.modified = raw.modified;
    advisory.withdrawn = raw.withdrawn;
    advisory.severity = severities(raw.severity.unwrap_or_default());
    advisory.cwes = cwe_ids(raw.database_specific.as_ref());
    advisory.affected = affected;
    Ok(advisory)
}

fn affected_package(entry: &Value) -> Result<AffectedPackage, serde_json::Error> {
    let entry = OsvAffected::deserialize(entry)?;
    let purl = entry
        .package
        .as_ref()
        .and_then(|p| osv_package_purl(&p.ecosystem, &p.name, p.purl.as_deref()));
    Ok(AffectedPackage { purl, entry })
}

fn severities(raw: Vec<RawSeverity>) -> Vec<SeverityMetric> {
    raw.into_iter()
        .map(|s| SeverityMetric {
            scheme: s.kind,
            value: s.score,
            source: None,
        })
        .collect()
}

/// GitHub's records list CWEs under `database_specific.cwe_ids`.
fn cwe_ids(specific: Option<&Value>) -> Vec<String> {
    specific
        .and_then(|v| v.get("cwe_ids"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect()
}

/// The purl (without version) of an OSV package: the record's own `purl` when it parses,
/// else one built from the ecosystem and name by the purl-spec type of that ecosystem.
///
/// `None` for ecosystems without a purl type, whose packages are then only matched by
/// CPE, never by a guessed identity.
pub fn osv_package_purl(ecosystem: &str, name: &str, purl: Option<&str>) -> Option<Purl> {
    if let Some(purl) = purl.and_then(|p| p.parse::<Purl>().ok()) {
        return Some(purl.package());
    }
    let base = ecosystem.split(':').next().unwrap_or(ecosystem);
    let (ty, namespace, name) = match base {
        "npm" => split_last(name, '/', "npm"),
        "Go" => split_last(name, '/', "golang"),
        "Packagist" => split_last(name, '/', "composer"),
        "Maven" => {
            let (group, artifact) = name.split_once(':')?;
            ("maven", Some(group.to_owned()), artifact.to_owned())
        }
        "Debian" => ("deb", Some("debian".into()), name.to_owned()),
        "Ubuntu" => ("deb", Some("ubuntu".into()), name.to_owned()),
        "Alpine" => ("apk", Some("alpine".into()), name.to_owned()),
        other => (simple_type(other)?, None, name.to_owned()),
    };
    let parts = PurlParts {
        ty: ty.to_owned(),
        namespace,
        name,
        ..PurlParts::default()
    };
    Purl::from_parts(parts).ok()
}

/// Ecosystems whose names carry no namespace.
fn simple_type(ecosystem: &str) -> Option<&'static str> {
    Some(match ecosystem {
        "PyPI" => "pypi",
        "crates.io" => "cargo",
        "RubyGems" => "gem",
        "NuGet" => "nuget",
        "Hex" => "hex",
        "Pub" => "pub",
        "Hackage" => "hackage",
        "CRAN" => "cran",
        _ => return None,
    })
}

fn split_last(name: &str, sep: char, ty: &'static str) -> (&'static str, Option<String>, String) {
    match name.rsplit_once(sep) {
        Some((namespace, last)) => (ty, Some(namespace.to_owned()), last.to_owned()),
        None => (ty, None, name.to_owned()),
    }
}

/// Read every `.json` entry of an OSV archive (as published per ecosystem, `all.zip`).
///
/// An archive that cannot be opened is one error; an entry that cannot be read or
/// parsed is an error naming the entry, and the other entries are still read.
pub fn parse_osv_zip(bytes: &[u8]) -> Parsed<Advisory> {
    let mut parsed = Parsed::default();
    let mut archive = match zip::ZipArchive::new(Cursor::new(bytes)) {
        Ok(archive) => archive,
        Err(e) => {
            parsed.errors.push(Error::record("osv zip", "archive", e));
            return parsed;
        }
    };
    for index in 0..archive.len() {
        if let Some(result) = read_entry(&mut archive, index) {
            parsed.push(result);
        }
    }
    parsed
}

/// One archive entry; `None` for directories and files that are not JSON.
fn read_entry(
    archive: &mut zip::ZipArchive<Cursor<&[u8]>>,
    index: usize,
) -> Option<Result<Advisory, Error>> {
    let mut file = match archive.by_index(index) {
        Ok(file) => file,
        Err(e) => return Some(Err(Error::record("osv zip", format!("entry {index}"), e))),
    };
    let name = match file.name() {
        Ok(name) => name.into_owned(),
        Err(e) => return Some(Err(Error::record("osv zip", format!("entry {index}"), e))),
    };
    if file.is_dir() || !name.ends_with(".json") {
        return None;
    }

    let mut bytes = Vec::new();
    let read = (&mut file)
        .take(MAX_ENTRY_BYTES + 1)
        .read_to_end(&mut bytes);
    let result = match read {
        Err(e) => Err(Error::record("osv zip", &name, e)),
        Ok(n) if n as u64 > MAX_ENTRY_BYTES => {
            Err(Error::record("osv zip", &name, "entry larger than 16 MiB"))
        }
        Ok(_) => parse_osv(&bytes).map_err(|e| Error::record("osv zip", &name, e)),
    };
    Some(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn purl_of(ecosystem: &str, name: &str) -> Option<String> {
        osv_package_purl(ecosystem, name, None).map(|p| p.to_string())
    }

    #[test]
    fn ecosystem_names_become_purl_identities() {
        assert_eq!(
            purl_of("npm", "@babel/core").as_deref(),
            Some("pkg:npm/%40babel/core")
        );
        assert_eq!(
            purl_of("Maven", "org.apache.logging.log4j:log4j-core").as_deref(),
            Some("pkg:maven/org.apache.logging.log4j/log4j-core")
        );
        assert_eq!(
            purl_of("Debian:12", "openssl").as_deref(),
            Some("pkg:deb/debian/openssl")
        );
        assert_eq!(
            purl_of("PyPI", "Django").as_deref(),
            Some("pkg:pypi/django")
        );
        assert_eq!(
            purl_of("Go", "golang.org/x/net").as_deref(),
            Some("pkg:golang/golang.org/x/net")
        );
        assert_eq!(purl_of("Linux", "kernel"), None);
        assert_eq!(purl_of("Maven", "no-group"), None);
    }

    #[test]
    fn a_record_purl_wins_and_loses_its_version() {
        let p = osv_package_purl("PyPI", "x", Some("pkg:pypi/requests@2.0"));
        assert_eq!(
            p.map(|p| p.to_string()).as_deref(),
            Some("pkg:pypi/requests")
        );
    }

    #[test]
    fn a_bad_affected_entry_names_the_record_and_index() {
        let doc = br#"{"id": "X-1", "affected": [{"ranges": [{"type": "SEMVER",
            "events": [{"introduced": "0", "fixed": "1"}]}]}]}"#;
        let err = parse_osv(doc).map(|_| ()).expect_err("refused").to_string();
        assert!(err.contains("X-1") && err.contains("affected[0]"), "{err}");
    }

    #[test]
    fn garbage_is_not_an_archive() {
        let parsed = parse_osv_zip(b"not a zip");
        assert!(parsed.records.is_empty());
        assert_eq!(parsed.errors.len(), 1);
    }
}
