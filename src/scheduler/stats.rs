//! Closing statistics periods: when a week, month, quarter or year ends in a
//! server's zone, its salt and keyed hashes are deleted and only the counts
//! of people remain.

use chrono::{DateTime, Utc};

use crate::store::Db;

/// The scheduler's entry: closes every period that ended by `now`, and
/// checkpoints the write-ahead log.
pub async fn close_periods(db: &Db, now: DateTime<Utc>) -> Result<(), String> {
    let (closed, checkpointed) = db
        .close_periods_and_checkpoint(now)
        .await
        .map_err(|e| e.to_string())?;
    // A checkpoint that cannot complete fails the job, so it is retried.
    if !checkpointed {
        return Err("the write-ahead log could not be truncated yet".into());
    }
    if closed > 0 {
        tracing::info!(
            periods = closed,
            "statistics periods closed: salts and hashes deleted"
        );
    }
    Ok(())
}
