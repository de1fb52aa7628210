//! The retention job: per-source retention periods from the configuration
//! turned into cut-off times and applied by the store (events cited by an
//! alert are kept), hourly in the server and on demand with
//! `keelson retention run`.

use std::collections::BTreeMap;
use std::time::Duration;

use keelson_store::Store;
use keelson_store::retention::{RetentionCount, RetentionRule};

/// How often the server applies retention.
const EVERY: Duration = Duration::from_secs(3600);

const MICROS_PER_DAY: i64 = 86_400 * 1_000_000;

/// The rules for `days` per source as of `now_us`.
pub fn rules(days: &BTreeMap<String, u32>, now_us: i64) -> Vec<RetentionRule> {
    days.iter()
        .map(|(source, days)| RetentionRule {
            source: source.clone(),
            cutoff_us: now_us.saturating_sub(i64::from(*days).saturating_mul(MICROS_PER_DAY)),
        })
        .collect()
}

/// One run: nothing to do (and no audit entry) when no source has a period.
pub async fn run_once(
    store: &Store,
    actor: &str,
    days: &BTreeMap<String, u32>,
) -> Result<Vec<RetentionCount>, keelson_store::StoreError> {
    if days.is_empty() {
        return Ok(Vec::new());
    }
    store
        .apply_retention(actor, &rules(days, keelson_store::now_us()))
        .await
}

/// Applies retention now and then every hour, for as long as the server runs.
pub fn spawn(store: Store, days: BTreeMap<String, u32>) {
    if days.is_empty() {
        return;
    }
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(EVERY);
        loop {
            ticks.tick().await;
            match run_once(&store, "system:retention", &days).await {
                Ok(counts) => {
                    let deleted: u64 = counts.iter().map(|count| count.deleted).sum();
                    tracing::info!(deleted, "retention applied");
                }
                Err(error) => tracing::error!(%error, "retention failed"),
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cutoffs_are_whole_days_before_now() {
        let days = BTreeMap::from([("can".to_owned(), 30), ("ids".to_owned(), 0)]);
        let now = 100 * MICROS_PER_DAY;
        let rules = rules(&days, now);
        assert_eq!(rules[0].source, "can");
        assert_eq!(rules[0].cutoff_us, 70 * MICROS_PER_DAY);
        assert_eq!(rules[1].cutoff_us, now);
    }
}
