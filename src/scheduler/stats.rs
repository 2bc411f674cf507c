//! Closing statistics periods: when a week, month, quarter or year ends in a
//! server's zone, its salt and keyed hashes are deleted and only the counts
//! of people remain.

use chrono::{DateTime, Utc};

use crate::store::Db;

/// The scheduler's entry: closes every period that ended by `now` (the
/// store checkpoints the write-ahead log when it deleted anything).
pub async fn close_periods(db: &Db, now: DateTime<Utc>) -> Result<(), String> {
    let closed = db.close_periods(now).await.map_err(|e| e.to_string())?;
    if closed > 0 {
        tracing::info!(
            periods = closed,
            "statistics periods closed: salts and hashes deleted"
        );
    }
    Ok(())
}
