//! `keelson baseline learn` and `keelson eval`: CAN baselines learned from
//! clean captures, and detection scored on labelled ones.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, bail};
use keelson_canids::{Detector, Learner, Profile, evaluate_reader};
use keelson_server::ingest::file::detect;
use keelson_telemetry::Format;
use keelson_telemetry::dbc::{SignalDecoder, dbc_text, expand_imports};
use serde_json::json;

use crate::cli::BaselineCommand;

/// Learns the profile, writes it and prints a summary.
pub fn learn(command: BaselineCommand) -> anyhow::Result<ExitCode> {
    let BaselineCommand::Learn {
        captures,
        model,
        output,
        format,
        dbc,
    } = command;
    let mut learner = Learner::new(&model);
    if let Some(decoder) = read_dbc(&dbc)? {
        learner = learner.with_signals(decoder);
    }
    let (mut frames, mut malformed) = (0u64, 0u64);
    for path in &captures {
        let stats = learner
            .learn_reader(&file_name(path), can_format(&format, path)?, open(path)?)
            .with_context(|| format!("{}", path.display()))?;
        frames += stats.frames;
        malformed += stats.malformed;
    }
    let profile = learner.finish();
    let text = serde_json::to_string_pretty(&profile)?;
    std::fs::write(&output, text).with_context(|| format!("{}", output.display()))?;
    let summary = json!({
        "model": model,
        "captures": captures.len(),
        "frames": frames,
        "malformed": malformed,
        "ids": profile.ids.len(),
        "signals": profile.signals.len(),
        "profile": output.display().to_string(),
    });
    println!("{summary}");
    Ok(ExitCode::SUCCESS)
}

/// Prints one evaluation line per file; each file starts from a fresh
/// detector (captures are independent recordings).
pub fn eval(
    files: &[std::path::PathBuf],
    profile: &Path,
    format: &str,
) -> anyhow::Result<ExitCode> {
    let profile = read_profile(profile)?;
    for path in files {
        let mut detector = Detector::new(&profile);
        let (report, stats) =
            evaluate_reader(can_format(format, path)?, open(path)?, &mut detector)
                .with_context(|| format!("{}", path.display()))?;
        if stats.malformed > 0 {
            eprintln!(
                "{}: {} malformed records skipped",
                path.display(),
                stats.malformed
            );
        }
        println!("{}", report.to_ndjson(&path.display().to_string()));
    }
    Ok(ExitCode::SUCCESS)
}

/// One decoder for all the DBC files given (none: `None`); each file's opendbc
/// `CM_ "IMPORT x.dbc";` lines are expanded from its own folder.
pub fn read_dbc(paths: &[std::path::PathBuf]) -> anyhow::Result<Option<SignalDecoder>> {
    if paths.is_empty() {
        return Ok(None);
    }
    let mut texts = Vec::with_capacity(paths.len());
    for path in paths {
        let bytes = std::fs::read(path).with_context(|| format!("{}", path.display()))?;
        let folder = path.parent().unwrap_or(Path::new("."));
        let resolve = |name: &str| std::fs::read(folder.join(name)).ok().map(|b| dbc_text(&b));
        let name = path.display().to_string();
        let text = expand_imports(&name, &dbc_text(&bytes), resolve)?;
        texts.push((name, text));
    }
    let borrowed: Vec<(&str, &str)> = texts
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    Ok(Some(SignalDecoder::from_dbc_texts(&borrowed)?))
}

/// A profile written by `baseline learn`.
pub fn read_profile(path: &Path) -> anyhow::Result<Profile> {
    let text = std::fs::read_to_string(path).with_context(|| format!("{}", path.display()))?;
    Profile::from_json(&text).with_context(|| format!("{}", path.display()))
}

/// The capture's format, which must carry CAN frames.
pub fn can_format(name: &str, path: &Path) -> anyhow::Result<Format> {
    let format = if name == "auto" {
        detect(path).with_context(|| {
            format!(
                "{}: format not recognised; name it with --format",
                path.display()
            )
        })?
    } else {
        Format::from_name(name).with_context(|| format!("unknown --format {name:?}"))?
    };
    if !format.is_can() {
        bail!(
            "{}: {} carries events, not CAN frames",
            path.display(),
            format.name()
        );
    }
    Ok(format)
}

fn open(path: &Path) -> anyhow::Result<BufReader<File>> {
    let file = File::open(path).with_context(|| format!("{}", path.display()))?;
    Ok(BufReader::new(file))
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default()
}
