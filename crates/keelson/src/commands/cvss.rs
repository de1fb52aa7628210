//! `keelson cvss`: one JSON line per vector, the score or the error.

use std::io::Write;
use std::process::ExitCode;

use serde_json::json;

/// Exit 0 when every vector scored, 2 when any was malformed.
pub fn run(vectors: &[String]) -> ExitCode {
    let mut all_valid = true;
    let mut stdout = std::io::stdout().lock();
    for text in vectors {
        let line = match keelson_cvss::assess(text) {
            Ok(assessment) => serde_json::to_value(&assessment).unwrap_or_default(),
            Err(error) => {
                all_valid = false;
                json!({"vector": text, "error": error.to_string()})
            }
        };
        if writeln!(stdout, "{line}").is_err() {
            // The reader went away (`| head`): nothing more to say.
            return ExitCode::SUCCESS;
        }
    }
    if all_valid {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    }
}
