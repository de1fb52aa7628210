//! The single clearance gate of the API: every read of a marked record goes
//! through [`visible`], [`visible_only`] or [`visible_to`], which apply the TLP rule of
//! `Principal::may_read`. A record the reader may not see is answered
//! exactly like one that does not exist.

use keelson_core::{Marked, Principal};

use crate::auth::Caller;
use crate::error::ApiError;

/// The record if it exists and the caller may read it; otherwise 404.
pub fn visible<T: Marked>(caller: &Caller, record: Option<T>, what: &str) -> Result<T, ApiError> {
    record
        .filter(|record| caller.principal.may_read(record.marking()))
        .ok_or_else(|| ApiError::not_found(what))
}

/// The records of a list that the caller may read.
pub fn visible_only<T: Marked>(caller: &Caller, records: Vec<T>) -> Vec<T> {
    visible_to(&caller.principal, records)
}

/// The records of a list that this reader may read, for the paths that
/// serve the API and the command line alike (reports, exports).
pub fn visible_to<T: Marked>(reader: &Principal, records: Vec<T>) -> Vec<T> {
    records
        .into_iter()
        .filter(|record| reader.may_read(record.marking()))
        .collect()
}
