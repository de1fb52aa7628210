//! Log set-up: tracing to stderr, human-readable or JSON, filtered by the
//! configured level. Level policy: `error` means data loss or an operator
//! must act; `warn` a recovered anomaly; `info` lifecycle; `debug` per batch;
//! per-event detail only at `trace`.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Installs the global subscriber; a second call does nothing.
pub fn init(format: LogFormat, level: &str) {
    let filter = EnvFilter::try_new(with_quiet_dependencies(level))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    // Colour codes only help a person at a terminal; in a log file or a
    // pipe they are noise that breaks grep.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Human => builder.try_init(),
    };
}

/// Dependencies that narrate routine work at `info` (each applied
/// migration) are held to `warn` unless the filter names them itself.
fn with_quiet_dependencies(level: &str) -> String {
    if level.contains("sea_orm") {
        return level.to_owned();
    }
    format!("{level},sea_orm_migration=warn,sqlx=warn")
}
