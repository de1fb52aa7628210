//! `keelson csaf validate`: the CSAF 2.0 schema and mandatory tests, one JSON line
//! per file.

use std::path::PathBuf;
use std::process::ExitCode;

use serde_json::json;

use crate::cli::CsafCommand;

pub fn run(command: CsafCommand) -> ExitCode {
    match command {
        CsafCommand::Validate { files } => validate(&files),
    }
}

/// Prints `{"file", "valid", "errors": [{"test", "path", "message"}]}` per file.
/// Exit 2 when a file cannot be read (the others are still checked), else 1 when
/// any document is invalid (bytes that are not JSON count as invalid).
fn validate(files: &[PathBuf]) -> ExitCode {
    let mut unreadable = false;
    let mut all_valid = true;
    for path in files {
        let file = path.display().to_string();
        let line = match std::fs::read(path) {
            Ok(bytes) => {
                let verdict = keelson_exchange::csaf::validate(&bytes);
                all_valid &= verdict.valid;
                json!({ "file": file, "valid": verdict.valid, "errors": verdict.errors })
            }
            Err(error) => {
                unreadable = true;
                let reason = format!("cannot read: {error}");
                let errors = [json!({ "test": "input", "path": "", "message": reason })];
                json!({ "file": file, "valid": false, "errors": errors })
            }
        };
        println!("{line}");
    }
    if unreadable {
        ExitCode::from(2)
    } else if all_valid {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
