//! `keelson detect`: offline detection over files, alerts as NDJSON.
//!
//! Events are decoded by the same decoders `keelson ingest` uses, then run
//! through the Sigma engine with correlation by
//! `keelson_server::detection::offline`, the path the web UI's rule test
//! takes too. An event without an ID gets `FILE#N` (its record number in
//! the file) so each alert's evidence points back into the input.

use std::fs::File;
use std::io::{BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use keelson_detect::{Engine, EngineConfig, RuleStatus};
use keelson_server::detection::offline::run_capture;
use keelson_server::ingest::file::detect;
use keelson_telemetry::{ErrorKind, Format};

use keelson_canids::Detector;

use super::baseline::{read_dbc, read_profile};
use super::rules::load_rule_dir;

/// Runs the Sigma rules, the CAN baseline or both over every file.
pub fn run(
    files: &[PathBuf],
    rules: Option<&Path>,
    profile: Option<&Path>,
    dbc: &[PathBuf],
    format: &str,
) -> anyhow::Result<ExitCode> {
    if rules.is_none() && profile.is_none() {
        bail!("give --rules DIR, --profile PROFILE or both");
    }
    if profile.is_none() && !dbc.is_empty() {
        bail!("--dbc checks signals against a --profile learned with them");
    }
    if let Some(profile) = profile {
        run_baseline(files, profile, dbc, format)?;
    }
    if let Some(rules) = rules {
        run_rules(files, rules, format)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Checks the frames of every CAN capture against the profile; prints each
/// alert as it fires, with `"type": "can"` and the file it came from.
fn run_baseline(
    files: &[PathBuf],
    profile: &Path,
    dbc: &[PathBuf],
    format: &str,
) -> anyhow::Result<()> {
    let mut profile = read_profile(profile)?;
    let signals = read_dbc(dbc)?;
    if signals.is_some() {
        profile.margins.check_signal_ranges = true;
    }
    let mut stdout = std::io::stdout().lock();
    for path in files {
        let format = file_format(format, path)?;
        let Some(frames) = keelson_telemetry::frames(format, open(path)?) else {
            continue;
        };
        let mut detector = Detector::new(&profile);
        if let Some(decoder) = &signals {
            detector = detector.with_signal_decoder(decoder.clone());
        }
        let mut last_us = 0;
        for frame in frames {
            let frame = match frame {
                Ok(frame) => frame,
                Err(error) if error.kind() == ErrorKind::Record => continue,
                Err(error) => bail!("{}: {error}", path.display()),
            };
            last_us = frame.timestamp_us;
            for alert in detector.observe(&frame) {
                writeln!(stdout, "{}", can_alert_line(path, &alert)?)?;
            }
        }
        for alert in detector.finish(last_us) {
            writeln!(stdout, "{}", can_alert_line(path, &alert)?)?;
        }
    }
    Ok(())
}

fn can_alert_line(path: &Path, alert: &keelson_canids::Alert) -> anyhow::Result<String> {
    let mut line = serde_json::to_value(alert)?;
    if let Some(fields) = line.as_object_mut() {
        fields.insert("type".to_owned(), "can".into());
        fields.insert("file".to_owned(), path.display().to_string().into());
    }
    Ok(line.to_string())
}

/// Runs the rules over every file's events, then prints every alert with
/// its final count and evidence (alerts merge while input is read, so they
/// are printed once at the end).
fn run_rules(files: &[PathBuf], rules_dir: &Path, format: &str) -> anyhow::Result<()> {
    let (rules, reports) = load_rule_dir(rules_dir)?;
    report_skipped_rules(&reports);
    let mut engine = Engine::new(rules, EngineConfig::default());
    let mut malformed = 0u64;
    for path in files {
        let format = file_format(format, path)?;
        malformed += run_file(&mut engine, path, format)?;
    }
    let mut stdout = std::io::stdout().lock();
    for alert in engine.finish() {
        writeln!(stdout, "{}", serde_json::to_string(&alert)?)?;
    }
    if malformed > 0 {
        eprintln!("{malformed} malformed records skipped (use keelson ingest to quarantine them)");
    }
    Ok(())
}

fn open(path: &Path) -> anyhow::Result<BufReader<File>> {
    let file = File::open(path).with_context(|| format!("{}", path.display()))?;
    Ok(BufReader::new(file))
}

/// Warns on stderr about every rule that will not run, with its reason.
fn report_skipped_rules(reports: &[keelson_detect::RuleReport]) {
    for report in reports
        .iter()
        .filter(|report| report.status != RuleStatus::Ok)
    {
        let reason = report.status.reason().unwrap_or_default();
        eprintln!(
            "rule {} ({}:{}) {}: {reason}",
            report.rule,
            report.source,
            report.line,
            report.status.as_str()
        );
    }
}

fn file_format(name: &str, path: &Path) -> anyhow::Result<Format> {
    std::fs::metadata(path).with_context(|| format!("{}", path.display()))?;
    if name == "auto" {
        return detect(path).with_context(|| {
            format!(
                "{}: format not recognised; name it with --format",
                path.display()
            )
        });
    }
    Format::from_name(name).with_context(|| format!("unknown --format {name:?}"))
}

/// Feeds one file's events to the engine (the offline path the web UI's
/// rule test shares); returns its malformed records.
fn run_file(engine: &mut Engine, path: &Path, format: Format) -> anyhow::Result<u64> {
    let name = path
        .file_name()
        .map(|name| name.to_string_lossy())
        .unwrap_or_default();
    let run = run_capture(engine, &name, format, open(path)?)
        .with_context(|| format!("{}", path.display()))?;
    Ok(run.malformed)
}
