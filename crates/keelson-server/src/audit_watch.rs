//! The hash chain as the audit page shows it: recomputed whole at the first
//! look (and whenever an admin asks), then, at each later look, only from
//! the last entry the previous look verified, after checking that this
//! entry still holds the hash it held then. A page view so costs the
//! entries appended since the last one rather than the whole log, which
//! grows by an entry for every change of state. `keelson audit verify` and
//! `GET /api/v1/audit/verify` always recompute the whole chain.

use keelson_store::audit::{ChainMark, ChainReport};
use keelson_store::{Store, StoreError, format_us, now_us};
use tokio::sync::Mutex;

/// What the last look at the chain left behind.
#[derive(Debug, Default)]
pub struct AuditWatch {
    last: Mutex<Option<Looked>>,
}

#[derive(Debug)]
struct Looked {
    /// Where the next look carries on; none when the chain was broken, so
    /// that the next look recomputes it whole.
    mark: Option<ChainMark>,
    whole_at_us: i64,
}

/// The chain's state, and when it was last recomputed from its first entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainStatus {
    pub report: ChainReport,
    pub whole_checked_at: String,
}

impl AuditWatch {
    /// Verifies the entries since the last look, or the whole chain when
    /// `whole` is asked for or there is nothing to carry on from.
    pub async fn look(&self, store: &Store, whole: bool) -> Result<ChainStatus, StoreError> {
        let mut last = self.last.lock().await;
        let carried = last.as_ref().filter(|_| !whole).and_then(|looked| {
            let mark = looked.mark.as_ref()?;
            Some((mark, looked.whole_at_us))
        });

        let (from, whole_at_us) = match carried {
            Some((mark, at_us)) => (Some(mark.clone()), at_us),
            None => (None, now_us()),
        };
        let (report, mark) = store.verify_audit_chain_after(from.as_ref()).await?;
        *last = Some(Looked { mark, whole_at_us });
        Ok(ChainStatus {
            report,
            whole_checked_at: format_us(whole_at_us),
        })
    }
}
