//! Forensic packages: everything Keelson holds about an incident, written as
//! one ZIP archive whose manifest lists every file with its SHA-256 and is
//! signed with Ed25519 by the instance key, so a recipient can prove that
//! nothing was changed since the export.
//!
//! A package holds `incident.json` (the incident, its scope, comments,
//! containment notes and escalation), `alerts.json`, `events.ndjson` (every
//! event its alerts cite, as stored), `timeline.json` (those events merged in
//! time order: vehicle time where the event has one, else the time Keelson
//! received it), the log uploads of the affected vehicles and the evidence
//! analysts attached to the incident under `evidence/SHA256` (with
//! `evidence.json` naming each attached item: name, kind, uploader, time and
//! digest), then `manifest.json` and `manifest.sig` (the hex
//! signature of the manifest's exact bytes). Entries are stored
//! uncompressed (a changed byte stays a changed byte of one named file) and
//! dated with the export's time in UTC.
//! Every export is audited (`incident.export`, with the package's digest),
//! and written to the custody log of every attached item it carries
//! (`evidence.export`).

use std::collections::BTreeMap;
use std::io::{Cursor, Read, Write};
use std::path::{Path, PathBuf};

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use keelson_core::Principal;
use keelson_store::alerts::{AlertRecord, CitedEvent};
use keelson_store::audit::AuditEvent;
use keelson_store::{Store, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use zip::write::SimpleFileOptions;

use crate::evidence::EvidenceFiles;

/// The manifest's `format`.
pub const PACKAGE_FORMAT: &str = "keelson-evidence/1";
const MANIFEST: &str = "manifest.json";
const SIGNATURE: &str = "manifest.sig";

/// The instance's signing key, kept as a hex seed in
/// `DATA_DIR/keys/instance.ed25519` (created on first use, owner-only).
pub struct InstanceKey {
    signing: SigningKey,
}

impl InstanceKey {
    pub fn load_or_create(data_dir: &Path) -> std::io::Result<Self> {
        let path = key_path(data_dir);
        if path.is_file() {
            return Self::read(&path);
        }
        let mut seed = [0_u8; 32];
        rand::fill(&mut seed);
        write_private(&path, hex::encode(seed).as_bytes())?;
        Ok(Self {
            signing: SigningKey::from_bytes(&seed),
        })
    }

    fn read(path: &Path) -> std::io::Result<Self> {
        let text = std::fs::read_to_string(path)?;
        let bad = |why: &str| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("{}: {why}", path.display()),
            )
        };
        let bytes = hex::decode(text.trim()).map_err(|_| bad("not hex"))?;
        let seed: [u8; 32] = bytes
            .try_into()
            .map_err(|_| bad("not a 32-byte Ed25519 seed"))?;
        Ok(Self {
            signing: SigningKey::from_bytes(&seed),
        })
    }

    /// The public key, hex, as packages name their signer.
    pub fn public_hex(&self) -> String {
        hex::encode(self.signing.verifying_key().as_bytes())
    }
}

fn key_path(data_dir: &Path) -> PathBuf {
    data_dir.join("keys").join("instance.ed25519")
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(folder) = path.parent() {
        std::fs::create_dir_all(folder)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(bytes)
}

/// The signed list of a package's files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub incident_id: String,
    pub exported_by: String,
    pub exported_at: String,
    /// The Ed25519 public key (hex) the manifest is signed with.
    pub signing_key: String,
    pub files: Vec<ManifestFile>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestFile {
    pub path: String,
    pub sha256: String,
    pub bytes: u64,
}

/// Why a package cannot be written.
#[derive(Debug, thiserror::Error)]
pub enum PackageError {
    #[error("incident {0} not found")]
    NotFound(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("evidence file {0}: {1}")]
    Evidence(String, std::io::Error),
    #[error("writing the archive: {0}")]
    Archive(String),
}

/// A written package and the digest of its bytes.
pub struct Package {
    pub bytes: Vec<u8>,
    pub sha256: String,
    pub manifest: Manifest,
}

/// Writes the package of an incident the reader may see, and audits it.
pub async fn export_incident(
    store: &Store,
    reader: &Principal,
    actor: &str,
    incident_id: &str,
    key: &InstanceKey,
    evidence: &EvidenceFiles,
) -> Result<Package, PackageError> {
    let files = package_files(store, reader, incident_id, evidence).await?;
    let manifest = Manifest {
        format: PACKAGE_FORMAT.to_owned(),
        incident_id: incident_id.to_owned(),
        exported_by: actor.to_owned(),
        exported_at: keelson_store::format_us(keelson_store::now_us()),
        signing_key: key.public_hex(),
        files: files
            .iter()
            .map(|(path, bytes)| ManifestFile {
                path: path.clone(),
                sha256: hex::encode(Sha256::digest(bytes)),
                bytes: bytes.len() as u64,
            })
            .collect(),
    };
    let bytes = write_archive(&files, &manifest, key)?;
    let sha256 = hex::encode(Sha256::digest(&bytes));

    let entry = AuditEvent::new(actor, "incident.export", "incident", incident_id)
        .detail(format!("package sha256 {sha256}, {} files", files.len()));
    store.record_audit(entry).await?;
    let attached = store.incident_evidence(incident_id).await?;
    let detail = format!("exported in package sha256 {sha256}");
    store
        .record_evidence_access(actor, "export", &attached, &detail)
        .await?;
    Ok(Package {
        bytes,
        sha256,
        manifest,
    })
}

/// The package's files by path (sorted), before the manifest.
async fn package_files(
    store: &Store,
    reader: &Principal,
    incident_id: &str,
    evidence: &EvidenceFiles,
) -> Result<BTreeMap<String, Vec<u8>>, PackageError> {
    let incident = store
        .incident(incident_id)
        .await?
        .filter(|incident| reader.may_read(&incident.marking))
        .ok_or_else(|| PackageError::NotFound(incident_id.to_owned()))?;
    let scope = store.incident_scope(incident_id).await?;
    let (alerts, cited) = cited_events(store, reader, incident_id).await?;

    let mut files = BTreeMap::new();
    let summary = json!({
        "incident": incident,
        "scope": scope,
        "comments": store.incident_comments(incident_id).await?,
        "containment": store.incident_containments(incident_id).await?,
        "escalation": store.escalation_of_incident(incident_id).await?,
        "playbook_runs": store.incident_playbook_runs(incident_id).await?,
        "log_requests": store.incident_log_requests(incident_id).await?,
    });
    files.insert("incident.json".to_owned(), pretty(&summary));
    files.insert("alerts.json".to_owned(), pretty(&json!(alerts)));
    let lines: Vec<String> = cited
        .values()
        .map(|(event, _)| json!(event).to_string())
        .collect();
    files.insert("events.ndjson".to_owned(), lines.join("\n").into_bytes());
    files.insert(
        "timeline.json".to_owned(),
        pretty(&timeline(cited.into_values())),
    );
    for vehicle in &scope.vehicle_ids {
        for upload in store.list_uploads(vehicle).await? {
            let bytes = std::fs::read(evidence.path(&upload.sha256))
                .map_err(|error| PackageError::Evidence(upload.sha256.clone(), error))?;
            files.insert(format!("evidence/{}", upload.sha256), bytes);
        }
    }
    let attached = store.incident_evidence(incident_id).await?;
    for item in &attached {
        let bytes = std::fs::read(evidence.path(&item.sha256))
            .map_err(|error| PackageError::Evidence(item.sha256.clone(), error))?;
        files.insert(format!("evidence/{}", item.sha256), bytes);
    }
    files.insert("evidence.json".to_owned(), pretty(&json!(attached)));
    Ok(files)
}

/// Each event cited by an alert, by store key, with the alerts citing it.
type Cited = BTreeMap<String, (CitedEvent, Vec<String>)>;

/// An incident's alerts the reader may see and the events they cite.
async fn cited_events(
    store: &Store,
    reader: &Principal,
    incident_id: &str,
) -> Result<(Vec<AlertRecord>, Cited), StoreError> {
    let mut alerts = Vec::new();
    for alert_id in store.incident_alert_ids(incident_id).await? {
        let alert = store.alert(&alert_id).await?;
        alerts.extend(alert.filter(|alert| reader.may_read(&alert.marking)));
    }
    let mut cited = Cited::new();
    for alert in &alerts {
        for event in store.cited_events(&alert.id).await? {
            let entry = cited
                .entry(event.key.clone())
                .or_insert((event, Vec::new()));
            entry.1.push(alert.id.clone());
        }
    }
    Ok((alerts, cited))
}

/// The attack timeline of an incident the reader may see: every event its
/// alerts cite (vehicle, ECU and backend alike) in time order, vehicle time
/// where the event has one, else the time Keelson received it.
pub async fn incident_timeline(
    store: &Store,
    reader: &Principal,
    incident_id: &str,
) -> Result<Value, StoreError> {
    let (_, cited) = cited_events(store, reader, incident_id).await?;
    Ok(timeline(cited.into_values()))
}

/// The cited events in time order, each with the alerts citing it.
fn timeline(events: impl Iterator<Item = (CitedEvent, Vec<String>)>) -> Value {
    let mut entries: Vec<(String, Value)> = events
        .map(|(cited, alerts)| {
            let event = &cited.event;
            let (at, clock) = match &event.vehicle_time {
                Some(at) => (at.clone(), "vehicle"),
                None => (event.received_time.clone(), "received"),
            };
            let entry = json!({"at": at, "clock": clock, "vehicle_id": event.vehicle_id,
                               "ecu": event.ecu, "source": event.source, "kind": event.kind,
                               "event_id": event.event_id, "key": cited.key,
                               "alerts": alerts});
            (at, entry)
        })
        .collect();
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    Value::Array(entries.into_iter().map(|(_, entry)| entry).collect())
}

fn pretty(value: &Value) -> Vec<u8> {
    serde_json::to_vec_pretty(value).unwrap_or_default()
}

fn write_archive(
    files: &BTreeMap<String, Vec<u8>>,
    manifest: &Manifest,
    key: &InstanceKey,
) -> Result<Vec<u8>, PackageError> {
    let archive_error = |error: &dyn std::fmt::Display| PackageError::Archive(error.to_string());
    let manifest_bytes = serde_json::to_vec_pretty(manifest).map_err(|e| archive_error(&e))?;
    let signature = key.signing.sign(&manifest_bytes);
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored)
        .last_modified_time(zip_time(time::OffsetDateTime::now_utc()));
    let signed = [
        (MANIFEST.to_owned(), manifest_bytes),
        (
            SIGNATURE.to_owned(),
            hex::encode(signature.to_bytes()).into_bytes(),
        ),
    ];
    let all = files.iter().map(|(p, b)| (p, b.as_slice()));
    for (path, bytes) in all.chain(signed.iter().map(|(p, b)| (p, b.as_slice()))) {
        zip.start_file(path.as_str(), options)
            .map_err(|e| archive_error(&e))?;
        zip.write_all(bytes).map_err(|e| archive_error(&e))?;
    }
    let cursor = zip.finish().map_err(|e| archive_error(&e))?;
    Ok(cursor.into_inner())
}

/// The archive's entry time (ZIP keeps local date and time to two seconds,
/// from 1980); UTC here, as the manifest's `exported_at`.
fn zip_time(at: time::OffsetDateTime) -> zip::DateTime {
    let year = u16::try_from(at.year()).unwrap_or(1980);
    let time = zip::DateTime::from_date_and_time(
        year,
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second(),
    );
    time.unwrap_or_default()
}

/// One thing wrong with a package, naming the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub file: String,
    pub reason: String,
}

/// What checking a package found.
#[derive(Debug, Clone, Serialize)]
pub struct Verification {
    pub valid: bool,
    pub incident_id: Option<String>,
    pub signing_key: Option<String>,
    pub files: usize,
    pub problems: Vec<Problem>,
}

/// Checks a package: the manifest's signature (by `trusted_key` when given,
/// else by the key the manifest names), and every file against the
/// manifest, both ways.
pub fn verify_package(bytes: &[u8], trusted_key: Option<&str>) -> Verification {
    let mut problems = Vec::new();
    let mut entries = match read_entries(bytes) {
        Ok(entries) => entries,
        Err(reason) => return invalid(vec![problem("(archive)", reason)]),
    };
    let (Some(manifest_bytes), Some(signature)) =
        (entries.remove(MANIFEST), entries.remove(SIGNATURE))
    else {
        let reason = "a package needs manifest.json and manifest.sig";
        return invalid(vec![problem(MANIFEST, reason.to_owned())]);
    };
    let manifest: Manifest = match serde_json::from_slice(&manifest_bytes) {
        Ok(manifest) => manifest,
        Err(error) => return invalid(vec![problem(MANIFEST, format!("not a manifest: {error}"))]),
    };
    let key = trusted_key.unwrap_or(&manifest.signing_key);
    if let Err(reason) = check_signature(key, &manifest_bytes, &signature) {
        problems.push(problem(MANIFEST, reason));
    }
    if manifest.format != PACKAGE_FORMAT {
        let reason = format!("format {:?}, expected {PACKAGE_FORMAT:?}", manifest.format);
        problems.push(problem(MANIFEST, reason));
    }
    for listed in &manifest.files {
        match entries.remove(&listed.path) {
            None => problems.push(problem(
                &listed.path,
                "listed in the manifest but missing".into(),
            )),
            Some(content) => {
                let digest = hex::encode(Sha256::digest(&content));
                if digest != listed.sha256 {
                    let reason =
                        format!("SHA-256 is {digest}, the manifest says {}", listed.sha256);
                    problems.push(problem(&listed.path, reason));
                }
            }
        }
    }
    for extra in entries.keys() {
        problems.push(problem(extra, "not listed in the manifest".into()));
    }
    Verification {
        valid: problems.is_empty(),
        incident_id: Some(manifest.incident_id),
        signing_key: Some(key.to_owned()),
        files: manifest.files.len(),
        problems,
    }
}

fn invalid(problems: Vec<Problem>) -> Verification {
    Verification {
        valid: false,
        incident_id: None,
        signing_key: None,
        files: 0,
        problems,
    }
}

fn problem(file: &str, reason: String) -> Problem {
    Problem {
        file: file.to_owned(),
        reason,
    }
}

/// Every entry's stored bytes by name. Raw reads skip the archive's own
/// CRC check, so a changed byte is reported against the manifest's digest
/// with the file's name rather than as a damaged archive.
fn read_entries(bytes: &[u8]) -> Result<BTreeMap<String, Vec<u8>>, String> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|error| format!("not a ZIP archive: {error}"))?;
    let mut entries = BTreeMap::new();
    for index in 0..archive.len() {
        let mut entry = archive
            .by_index_raw(index)
            .map_err(|error| format!("entry {index}: {error}"))?;
        let name = entry
            .name()
            .map_err(|error| format!("entry {index}: {error}"))?
            .into_owned();
        if entry.compression() != zip::CompressionMethod::Stored {
            return Err(format!("{name}: compressed entries are not Keelson's"));
        }
        let mut content = Vec::new();
        entry
            .read_to_end(&mut content)
            .map_err(|error| format!("{name}: {error}"))?;
        if entries.insert(name.clone(), content).is_some() {
            return Err(format!("{name}: appears twice"));
        }
    }
    Ok(entries)
}

fn check_signature(key_hex: &str, message: &[u8], signature_hex: &[u8]) -> Result<(), String> {
    let key: [u8; 32] = hex::decode(key_hex.trim())
        .ok()
        .and_then(|bytes| bytes.try_into().ok())
        .ok_or_else(|| format!("signing key {key_hex:?} is not a hex Ed25519 public key"))?;
    let key = VerifyingKey::from_bytes(&key)
        .map_err(|_| "signing key is not a curve point".to_owned())?;
    let signature: [u8; 64] = std::str::from_utf8(signature_hex)
        .ok()
        .and_then(|text| hex::decode(text.trim()).ok())
        .and_then(|bytes| bytes.try_into().ok())
        .ok_or_else(|| "manifest.sig is not a hex Ed25519 signature".to_owned())?;
    key.verify(message, &Signature::from_bytes(&signature))
        .map_err(|_| {
            "the signature does not verify: the manifest was changed or signed by another key"
                .to_owned()
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> InstanceKey {
        InstanceKey {
            signing: SigningKey::from_bytes(&[7; 32]),
        }
    }

    fn manifest_of(files: &[(&str, &[u8])], key: &InstanceKey) -> Manifest {
        Manifest {
            format: PACKAGE_FORMAT.to_owned(),
            incident_id: "i-1".to_owned(),
            exported_by: "ana".to_owned(),
            exported_at: "2026-12-04T00:00:00Z".to_owned(),
            signing_key: key.public_hex(),
            files: files
                .iter()
                .map(|(path, bytes)| ManifestFile {
                    path: (*path).to_owned(),
                    sha256: hex::encode(Sha256::digest(bytes)),
                    bytes: bytes.len() as u64,
                })
                .collect(),
        }
    }

    #[test]
    fn a_file_the_manifest_does_not_list_and_one_it_lists_but_lacks_are_both_named() {
        let key = key();
        let files = BTreeMap::from([
            ("alerts.json".to_owned(), b"[]".to_vec()),
            ("planted.bin".to_owned(), b"x".to_vec()),
        ]);
        let manifest = manifest_of(&[("alerts.json", b"[]"), ("events.ndjson", b"")], &key);
        let bytes = write_archive(&files, &manifest, &key).expect("archive");

        let verification = verify_package(&bytes, Some(&key.public_hex()));

        let named: Vec<&str> = verification
            .problems
            .iter()
            .map(|p| p.file.as_str())
            .collect();
        assert_eq!(named, ["events.ndjson", "planted.bin"]);
        assert!(!verification.valid);
    }

    #[test]
    fn entries_are_dated_with_the_export_time() {
        let at = time::macros::datetime!(2026-12-04 08:38:21 UTC);
        let dated = zip_time(at);
        assert_eq!((dated.year(), dated.month(), dated.day()), (2026, 12, 4));
        assert_eq!((dated.hour(), dated.minute(), dated.second()), (8, 38, 20));
    }

    #[test]
    fn bytes_that_are_not_a_package_are_refused_without_panicking() {
        for bytes in [&b""[..], b"PK\x03\x04 not really", &[0xff; 64]] {
            let verification = verify_package(bytes, None);
            assert!(!verification.valid);
            assert_eq!(verification.problems[0].file, "(archive)");
        }
    }
}
