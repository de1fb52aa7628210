//! Capture and event files into the store: the file's SHA-256 first (so
//! every record gets a key that is the same on every run over the same
//! file), then one streaming decode pass writing batches, then a pass that
//! reads back the raw bytes of each malformed record for the quarantine.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use keelson_store::Store;
use keelson_store::telemetry::NewQuarantined;
use keelson_telemetry::{ErrorKind, Format, Position};
use sha2::{Digest, Sha256};

use crate::detection::Detector;

use keelson_telemetry::dbc::SignalDecoder;

use super::signals::{annotate, decoder_for_vehicle};
use super::{Batch, IngestTotals, file_event_key, file_record_key, new_event};

/// Records written to the store per transaction.
const BATCH_RECORDS: usize = 5_000;

/// The most raw bytes kept for one malformed binary record (a DLT message
/// is never longer).
const MAX_RAW_BINARY: u64 = 64 * 1024;

/// How to read one file.
#[derive(Debug, Clone, Default)]
pub struct FileOptions {
    /// The format, or `None` to detect it from the name and first bytes.
    pub format: Option<Format>,
    /// The vehicle for records that name none (CAN captures never do).
    pub vehicle_id: Option<String>,
    /// Where the DBC files that vehicle models name are found; with it, the
    /// CAN frames of a vehicle whose model names DBC files carry signals.
    pub dbc_dir: Option<std::path::PathBuf>,
    /// The channel quarantined records name (default `file`).
    pub source: Option<String>,
    /// The origin quarantined records name (default the file's path).
    pub origin: Option<String>,
}

/// Why a file could not be ingested (records already stored stay stored;
/// running again stores nothing twice).
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("{path}: {cause}")]
    Open {
        path: String,
        // Not named `source`: the message carries it, and callers that print
        // the error chain would say it twice.
        cause: std::io::Error,
    },
    #[error("{path}: format not recognised; name it with --format")]
    UnknownFormat { path: String },
    #[error("vehicle ID {vehicle:?}: {reason}")]
    Vehicle { vehicle: String, reason: String },
    #[error("{path}: {message}")]
    Read { path: String, message: String },
    #[error(transparent)]
    Signals(#[from] super::signals::SignalsError),
    #[error(transparent)]
    Store(#[from] keelson_store::StoreError),
}

/// A malformed record waiting for its raw bytes.
struct Rejected {
    index: usize,
    position: Position,
    reason: String,
}

/// A record that decoded but breaks the event schema's limits (a 40 KB
/// DLT payload, a candump channel name longer than an identifier may be).
/// Decoders do not say where a record they accepted lay, so it is kept as
/// the event it decoded to, under its place in the decode order.
struct Refused {
    index: usize,
    reason: String,
    event: Vec<u8>,
}

/// Ingests one file; `progress` is told how many bytes were read so far.
pub async fn ingest_file(
    store: &Store,
    detector: &Detector,
    actor: &str,
    path: &Path,
    options: &FileOptions,
    progress: &mut (dyn FnMut(u64) + Send),
) -> Result<IngestTotals, FileError> {
    let name = path.display().to_string();
    if let Some(vehicle) = &options.vehicle_id {
        keelson_telemetry::check_identifier("vehicle_id", Some(vehicle)).map_err(|error| {
            FileError::Vehicle {
                vehicle: vehicle.clone(),
                reason: error.to_string(),
            }
        })?;
    }
    // The file is read twice (digest, then records): a pipe or a device
    // would yield different bytes each time, so only regular files qualify.
    regular_file(path).map_err(|cause| FileError::Open {
        path: name.clone(),
        cause,
    })?;
    let digest = file_sha256(path).map_err(|cause| FileError::Open {
        path: name.clone(),
        cause,
    })?;
    let format = match options.format {
        Some(format) => format,
        None => detect(path).ok_or_else(|| FileError::UnknownFormat { path: name.clone() })?,
    };

    let signals = match &options.vehicle_id {
        Some(vehicle) => decoder_for_vehicle(store, options.dbc_dir.as_deref(), vehicle).await?,
        None => None,
    };

    let read = Reading {
        path,
        format,
        options,
        digest: &digest,
        signals: signals.as_ref(),
    };
    let (mut totals, rejected, refused) =
        store_records(store, detector, actor, &read, progress).await?;

    let records = quarantine_records(path, format, options, &digest, rejected)
        .map_err(|cause| FileError::Open { path: name, cause })?;
    let mut batch = Batch::default();
    for (index, record) in records {
        batch.reject(index, record);
    }
    for record in refused {
        let index = record.index;
        batch.reject(
            index,
            refused_record(path, format, options, &digest, record),
        );
    }
    let (quarantined, _) = batch.write(store, detector, actor).await?;
    totals.add(quarantined);
    Ok(totals)
}

fn regular_file(path: &Path) -> std::io::Result<()> {
    if std::fs::metadata(path)?.is_file() {
        return Ok(());
    }
    Err(std::io::Error::new(
        std::io::ErrorKind::InvalidInput,
        "not a regular file (pipes, devices and folders cannot be ingested)",
    ))
}

/// One file being read, and what its records are decoded with.
struct Reading<'a> {
    path: &'a Path,
    format: Format,
    options: &'a FileOptions,
    digest: &'a str,
    signals: Option<&'a SignalDecoder>,
}

async fn store_records(
    store: &Store,
    detector: &Detector,
    actor: &str,
    read: &Reading<'_>,
    progress: &mut (dyn FnMut(u64) + Send),
) -> Result<(IngestTotals, Vec<Rejected>, Vec<Refused>), FileError> {
    let Reading {
        path,
        format,
        options,
        digest,
        signals,
    } = *read;
    let name = path.display().to_string();
    let file = File::open(path).map_err(|cause| FileError::Open {
        path: name.clone(),
        cause,
    })?;
    let counter = CountingReader::new(file);
    let read = counter.count.clone();
    let received_us = keelson_store::now_us();
    let mut totals = IngestTotals::default();
    let mut rejected = Vec::new();
    let mut refused = Vec::new();
    let mut batch = Batch::default();

    for (index, item) in keelson_telemetry::events(format, BufReader::new(counter)).enumerate() {
        match item {
            Ok(mut event) => {
                if event.vehicle_id.is_none() {
                    event.vehicle_id.clone_from(&options.vehicle_id);
                }
                if let Some(decoder) = signals {
                    annotate(decoder, &mut event);
                }
                if let Err(error) = event.validate() {
                    refused.push(Refused {
                        index,
                        reason: format!("decoded event: {error}"),
                        event: serde_json::to_vec(&event).unwrap_or_default(),
                    });
                    continue;
                }
                let key = file_event_key(&event, digest, index as u64);
                batch.accept(index, new_event(&event, key, received_us));
            }
            Err(error) if error.kind() == ErrorKind::Record => {
                let position = error.position().unwrap_or(Position::Offset(0));
                rejected.push(Rejected {
                    index,
                    position,
                    reason: reason_of(&error),
                });
            }
            Err(error) => {
                return Err(FileError::Read {
                    path: name,
                    message: error.to_string(),
                });
            }
        }
        if batch.len() >= BATCH_RECORDS {
            totals.add(
                std::mem::take(&mut batch)
                    .write(store, detector, actor)
                    .await?
                    .0,
            );
            progress(read.get());
        }
    }
    totals.add(batch.write(store, detector, actor).await?.0);
    progress(read.get());
    Ok((totals, rejected, refused))
}

/// The reason without the position prefix the error's text carries (the
/// position is stored on its own).
fn reason_of(error: &keelson_telemetry::Error) -> String {
    match error {
        keelson_telemetry::Error::Record { reason, .. } => reason.clone(),
        other => other.to_string(),
    }
}

/// Turns rejected positions into quarantine rows with their raw bytes. A
/// record is kept under the key it would have been stored under (the
/// file's digest and its place), so ingesting the file again, under any
/// name or as an upload, finds its row instead of adding one.
fn quarantine_records(
    path: &Path,
    format: Format,
    options: &FileOptions,
    digest: &str,
    rejected: Vec<Rejected>,
) -> std::io::Result<Vec<(usize, NewQuarantined)>> {
    if rejected.is_empty() {
        return Ok(Vec::new());
    }
    let mut raw = raw_records(path, &rejected)?;
    let records = rejected
        .into_iter()
        .map(|record| {
            let bytes = raw
                .remove(&position_key(record.position))
                .unwrap_or_default();
            let at = Placed {
                index: record.index,
                position: record.position.to_string(),
            };
            let row = quarantine_row(path, format, options, digest, at, record.reason, bytes);
            (record.index, row)
        })
        .collect();
    Ok(records)
}

/// The quarantine row of a record that decoded but broke the limits.
fn refused_record(
    path: &Path,
    format: Format,
    options: &FileOptions,
    digest: &str,
    record: Refused,
) -> NewQuarantined {
    let at = Placed {
        index: record.index,
        position: format!("record {} (as decoded)", record.index + 1),
    };
    quarantine_row(
        path,
        format,
        options,
        digest,
        at,
        record.reason,
        record.event,
    )
}

/// Where a quarantined record was: its place in the decode order (which
/// keys it) and the position a reader is shown.
struct Placed {
    index: usize,
    position: String,
}

/// A quarantine row keyed by the file's digest and the record's place.
fn quarantine_row(
    path: &Path,
    format: Format,
    options: &FileOptions,
    digest: &str,
    at: Placed,
    reason: String,
    raw: Vec<u8>,
) -> NewQuarantined {
    let key = file_record_key(digest, at.index as u64);
    NewQuarantined {
        dedup_key: key.clone(),
        source: options.source.clone().unwrap_or_else(|| "file".to_owned()),
        origin: options
            .origin
            .clone()
            .unwrap_or_else(|| path.display().to_string()),
        position: at.position,
        reason,
        raw,
        format: Some(format.name().to_owned()),
        vehicle_id: options.vehicle_id.clone(),
        record_key: Some(key),
    }
}

fn position_key(position: Position) -> (bool, u64) {
    match position {
        Position::Line(line) => (true, line),
        Position::Offset(offset) => (false, offset),
    }
}

/// The raw bytes at each rejected position: the whole line for text
/// formats, up to [`MAX_RAW_BINARY`] bytes from the offset for binary ones.
fn raw_records(
    path: &Path,
    rejected: &[Rejected],
) -> std::io::Result<BTreeMap<(bool, u64), Vec<u8>>> {
    let mut raw = BTreeMap::new();
    let mut lines: Vec<u64> = Vec::new();
    let mut offsets: Vec<u64> = Vec::new();
    for record in rejected {
        match record.position {
            Position::Line(line) => lines.push(line),
            Position::Offset(offset) => offsets.push(offset),
        }
    }
    offsets.sort_unstable();
    offsets.dedup();
    let mut file = File::open(path)?;
    for (at, &offset) in offsets.iter().enumerate() {
        // A record's bytes end where the next malformed one starts, so runs of
        // damaged messages do not each store the rest of the file.
        let next = offsets.get(at + 1).map_or(u64::MAX, |&next| next);
        let length = MAX_RAW_BINARY.min(next.saturating_sub(offset));
        file.seek(SeekFrom::Start(offset))?;
        let mut bytes = Vec::new();
        (&mut file).take(length).read_to_end(&mut bytes)?;
        raw.insert((false, offset), bytes);
    }
    lines.sort_unstable();
    lines.dedup();
    for (line, bytes) in read_lines(path, &lines)? {
        raw.insert((true, line), bytes);
    }
    Ok(raw)
}

/// The given 1-based lines (sorted), numbered as the decoders number them.
fn read_lines(path: &Path, wanted: &[u64]) -> std::io::Result<Vec<(u64, Vec<u8>)>> {
    let reader = BufReader::new(File::open(path)?);
    keelson_telemetry::decode::lines_numbered(reader, wanted)
        .map_err(|error| std::io::Error::other(error.to_string()))
}

/// The file's SHA-256 as lowercase hex.
pub fn file_sha256(path: &Path) -> std::io::Result<String> {
    let mut file = File::open(path)?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher)?;
    Ok(hex::encode(hasher.finalize()))
}

/// The format from the file's name and first 4 KiB.
pub fn detect(path: &Path) -> Option<Format> {
    let mut first = Vec::with_capacity(4096);
    File::open(path)
        .ok()?
        .take(4096)
        .read_to_end(&mut first)
        .ok()?;
    let name = path.file_name()?.to_string_lossy();
    keelson_telemetry::detect_format(&name, &first)
}

/// A reader that counts the bytes read through it (for progress).
struct CountingReader<R> {
    inner: R,
    count: ByteCount,
}

#[derive(Clone, Default)]
struct ByteCount(Arc<AtomicU64>);

impl ByteCount {
    fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

impl<R> CountingReader<R> {
    fn new(inner: R) -> Self {
        Self {
            inner,
            count: ByteCount::default(),
        }
    }
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let read = self.inner.read(buf)?;
        self.count.0.fetch_add(read as u64, Ordering::Relaxed);
        Ok(read)
    }
}
