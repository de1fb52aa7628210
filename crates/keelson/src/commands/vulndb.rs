//! `keelson vulndb import`: feed files into the store, counted per source
//! against the knowledge base the stored files already make up. Webhook
//! subscribers hear of each critical or KEV finding the import adds to a
//! build (a KEV catalogue that now lists a CVE a build has, say).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use keelson_server::config::Config;
use keelson_server::finding_events::FindingEvents;
use keelson_server::findings::FindingsCache;
use keelson_server::webhooks::Notifier;
use keelson_store::Store;
use keelson_store::feeds::FeedFile;
use keelson_vulndb::{FeedKind, ImportReport, KnowledgeBase};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::open_store;
use crate::cli::VulndbCommand;

/// Counts for one source over every file of it in this run.
#[derive(Debug, Default, Serialize)]
struct SourceCounts {
    files: u64,
    /// Files whose exact bytes were imported before.
    files_already_stored: u64,
    added: usize,
    updated: usize,
    unchanged: usize,
    /// Records refused by the parser (each printed on stderr).
    errors: usize,
}

impl SourceCounts {
    fn add(&mut self, report: &ImportReport, new_file: bool) {
        self.files += 1;
        self.files_already_stored += u64::from(!new_file);
        self.added += report.added;
        self.updated += report.updated;
        self.unchanged += report.unchanged;
        self.errors += report.errors.len();
    }
}

/// Prints `{"osv": {...}, "nvd": {...}, ...}`; exit 1 when a record was
/// refused. Every file is read and recognised before any is stored, so a
/// file that is no feed at all stops the run with nothing imported.
pub async fn run(config: Config, command: VulndbCommand) -> anyhow::Result<ExitCode> {
    let VulndbCommand::Import { files } = command;
    let store = open_store(&config).await?;
    let notifier = Notifier::from_config(store.clone(), &config);
    let cache = FindingsCache::default();
    let events = FindingEvents {
        store: &store,
        cache: &cache,
        notifier: &notifier,
    };
    let before = events.before_feed_import().await?;
    let mut kb = load_knowledge_base(&store).await?;
    let feeds: Vec<FeedFile> = files
        .iter()
        .map(|path| read_feed(path))
        .collect::<Result<_, _>>()?;
    let mut counts: BTreeMap<&'static str, SourceCounts> = BTreeMap::new();
    for (path, feed) in files.iter().zip(feeds) {
        let kind = FeedKind::from_name(&feed.kind).context("feed kind")?;
        let report = kb.import_feed(kind, &feed.bytes);
        for error in &report.errors {
            eprintln!("{}: {error}", path.display());
        }
        let new_file = store.store_feed_file(&super::local_actor(), feed).await?;
        counts
            .entry(kind.name())
            .or_default()
            .add(&report, new_file);
    }
    events.announce_new(&before).await?;
    notifier.flush().await;
    store.close().await?;
    println!("{}", serde_json::to_string(&counts)?);
    let refused = counts.values().any(|source| source.errors > 0);
    Ok(if refused {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn read_feed(path: &Path) -> anyhow::Result<FeedFile> {
    let bytes = std::fs::read(path).with_context(|| format!("{}", path.display()))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let kind = FeedKind::detect(&name, &bytes).map_err(anyhow::Error::msg)?;
    Ok(FeedFile {
        sha256: hex::encode(Sha256::digest(&bytes)),
        kind: kind.name().to_owned(),
        name,
        bytes,
    })
}

/// The knowledge base made of every stored feed file, in import order.
pub async fn load_knowledge_base(store: &Store) -> anyhow::Result<KnowledgeBase> {
    Ok(keelson_server::findings::knowledge_base(store).await?)
}
