//! SQLite through sqlx: one file per aggregate, each adding methods to [`Db`]
//! and returning domain types. Times are always bound parameters, never
//! `datetime('now')`.
//!
//! The SQL text keeps to what PostgreSQL runs as well: numbered `$N`
//! placeholders (SQLite binds them by number too, so one may repeat),
//! `ON CONFLICT` instead of `INSERT OR IGNORE`, upserts that name their
//! table, no `json_each`. Only the connection set-up, the checkpoint and the
//! `BEGIN IMMEDIATE` transactions are SQLite's own.

mod guild_settings;
mod jobs;
mod journal;
mod meetings;
mod member_prefs;
mod moderation;
mod people;
mod privacy;
mod prompts;
mod rounds;
mod rsvps;
mod stats;
mod strategies;

pub use jobs::Job;
pub use journal::{DEFAULT_RETENTION_DAYS, JournalEntry};
pub use meetings::{MeetingEdit, NewMeeting};
pub use moderation::{
    DRAFT_MINUTES, Filing, NewCase, NewReport, Report, ReportDraft, ReportForm, SavedLock,
};
pub use prompts::{PromptSchedule, ServerPrompt, posting_date, posting_key};
pub use rounds::{Round, Tally};
pub use stats::RoundStats;
pub use strategies::{Shared, Status as SharedStatus};

use std::str::FromStr;
use std::time::Duration;

use chrono_tz::Tz;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

/// Something went wrong talking to the database. Always an internal failure,
/// never a member's mistake.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Sqlx(#[from] sqlx::Error),
    #[error("database migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// The database. Cheap to clone: it is a handle to a connection pool.
#[derive(Clone, Debug)]
pub struct Db {
    pool: SqlitePool,
}

impl Db {
    /// Opens (creating if missing) the SQLite database at `url` and applies
    /// every migration.
    pub async fn open(url: &str) -> StoreResult<Self> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(5))
            .foreign_keys(true)
            // Deleted rows are overwritten with zeros, so a forgotten member
            // leaves no bytes behind in free pages.
            .pragma("secure_delete", "ON");
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        Ok(Self { pool })
    }

    /// Waits for open connections to finish and closes them.
    /// Whether the database answers (for `/healthz`).
    pub async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Copies every page from the write-ahead log into the main file and
    /// truncates the log to zero bytes, so nothing deleted lingers there.
    /// Returns whether it completed (a busy database can hold it back; the
    /// next checkpoint then finishes the job).
    pub async fn checkpoint(&self) -> StoreResult<bool> {
        for attempt in 0..10 {
            let (busy,): (i64,) = sqlx::query_as("PRAGMA wal_checkpoint(TRUNCATE)")
                .fetch_one(&self.pool)
                .await?;
            if busy == 0 {
                return Ok(true);
            }
            tracing::debug!(attempt, "checkpoint busy, retrying");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        tracing::warn!(
            "write-ahead log could not be fully checkpointed; it will be on the next one"
        );
        Ok(false)
    }
}

/// `rows` groups of `columns` numbered placeholders each, numbered on from
/// `$first`: `params(2, 2, 3)` is `($2, $3, $4), ($5, $6, $7)`. One row is an
/// `IN` list. A statement built with it binds its values in that order.
fn params(first: usize, rows: usize, columns: usize) -> String {
    (0..rows)
        .map(|row| {
            let start = first + row * columns;
            let names: Vec<String> = (start..start + columns).map(|n| format!("${n}")).collect();
            format!("({})", names.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A `LIKE … ESCAPE '\\'` pattern matching text that contains `text` as
/// typed (its `%`, `_` and `\\` taken literally).
fn like_containing(text: &str) -> String {
    format!(
        "%{}%",
        text.replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    )
}

/// Reads a zone name stored earlier. A name the zone database no longer knows
/// is treated as unset (and logged), never as a failure.
fn zone_from_db(name: Option<String>) -> Option<Tz> {
    let name = name?;
    match Tz::from_str(&name) {
        Ok(tz) => Some(tz),
        Err(_) => {
            tracing::warn!(zone = %name, "stored time zone is no longer known; ignoring it");
            None
        }
    }
}
