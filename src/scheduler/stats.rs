//! Closing statistics periods: when a week, month, quarter or year ends in a
//! server's zone, its salt and keyed hashes are deleted and only the counts
//! of people remain.

use chrono::{DateTime, Utc};

use crate::store::Db;

/// The scheduler's entry: closes every period that ended by `now` (the
/// store checkpoints the write-ahead log when it deleted anything).
pub async fn close_periods(db: &Db, now: DateTime<Utc>) -> Result<(), String> {
    let closed = db.close_periods(now).await.map_err(|e| e.to_string())?;
    // A checkpoint held back by a busy database is owed: try again now
    // (cheap when there is nothing to copy), and fail the job if it still
    // cannot complete, so it is retried.
    if !db.checkpoint().await.map_err(|e| e.to_string())? {
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
