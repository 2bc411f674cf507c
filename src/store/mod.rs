//! The database through sqlx, SQLite or PostgreSQL as `DATABASE_URL` says:
//! one file per aggregate, each adding methods to [`Db`] and returning domain
//! types. Times are always bound parameters, never `datetime('now')`.
//!
//! One statement text serves both databases: numbered `$N` placeholders
//! (SQLite binds them by number too, so one may repeat), `ON CONFLICT`
//! instead of `INSERT OR IGNORE`, upserts that name their table, no
//! `json_each`, integers (never booleans) for flags. Each method runs its body
//! on the concrete pool ([`on_pool!`]), so both are checked by the compiler
//! with their own types. What differs lives in [`Backend`]: how a
//! transaction that must run alone begins, row locks, the checkpoint.

/// Runs `$body` with `$pool` bound to the concrete pool of `$db`: the same
/// code, compiled once per database.
macro_rules! on_pool {
    ($db:expr, |$pool:ident| $body:expr) => {
        match &$db.pool {
            $crate::store::Pool::Sqlite($pool) => {
                #[allow(unused_imports)]
                use $crate::store::Backend as _;
                $body
            }
            $crate::store::Pool::Postgres($pool) => {
                #[allow(unused_imports)]
                use $crate::store::Backend as _;
                $body
            }
        }
    };
}

mod attendance;
mod cw_posts;
mod events;
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
mod web;

pub use cw_posts::CwPost;
pub use events::MeetingEvent;
pub use jobs::{Busy, Job};
pub use journal::{DEFAULT_RETENTION_DAYS, JournalEntry};
pub use meetings::{MeetingEdit, NewMeeting};
pub use moderation::{
    DRAFT_MINUTES, Filing, NewCase, NewReport, Report, ReportDraft, ReportForm, SavedLock,
    SlowmodeRevert, Tempban,
};
pub use prompts::{PromptSchedule, ServerPrompt, posting_date, posting_key};
pub use rounds::{Round, Tally};
pub use stats::RoundStats;
pub use strategies::{Shared, Status as SharedStatus};
pub use web::{LOGIN_LIFETIME, SESSION_IDLE, WebLogin, WebSession, random_token, same_secret};

use std::str::FromStr;
use std::time::Duration;

use chrono_tz::Tz;
use sqlx::postgres::{PgPool, PgPoolOptions};
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
    pool: Pool,
    /// This process, as its claims on jobs name it.
    owner: std::sync::Arc<str>,
    /// How long a claim on a job holds without being renewed: the jobs of a
    /// process that died are taken over once it has passed.
    lease: chrono::Duration,
    /// The SQL condition on `jobs` for those this process works when due
    /// (see [`Db::own_jobs`]): all, unless it runs some of the shards.
    own_jobs: std::sync::Arc<str>,
    /// The SQL condition on a table's `guild_id` for the servers of this
    /// process's shards (see [`Db::own_guilds`]).
    own_guilds: std::sync::Arc<str>,
    /// On PostgreSQL, where to open the job listener's own connection.
    url: Option<ListenUrl>,
    /// Whether this process runs shard 0 (every process does when it runs
    /// them all): the one that does work shared by the whole cluster.
    first_shard: bool,
    /// The shards this process runs, when only some.
    shards: Option<Shards>,
}

/// The database's URL, kept for the job listener's own connection; never
/// shown (it may hold a password).
#[derive(Clone)]
struct ListenUrl(std::sync::Arc<str>);

impl std::fmt::Debug for ListenUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ListenUrl(…)")
    }
}

/// [`Db::own_jobs`] of a process that runs every shard.
const ALL_JOBS: &str = "1 = 1";

/// Some of a bot's shards: `first` to `last` of `total`. A server belongs
/// to shard `(guild_id >> 22) % total`, as Discord routes its events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shards {
    pub first: u32,
    pub last: u32,
    pub total: u32,
}

/// Connections to PostgreSQL unless [`Db::open_with`] says otherwise.
pub const DEFAULT_POOL: u32 = 16;

/// How long a claim holds unless [`Db::with_lease`] says otherwise.
pub const DEFAULT_LEASE: chrono::Duration = chrono::Duration::seconds(30);

/// One of the two databases Haven runs on.
#[derive(Clone, Debug)]
pub(crate) enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// What differs between the databases, asked of the concrete pool inside
/// [`on_pool!`].
pub(crate) trait Backend {
    type Database: sqlx::Database;

    /// Begins a transaction that runs alone among those that ask for the
    /// same `key`: SQLite's `BEGIN IMMEDIATE` (one writer at a time), a
    /// transaction-scoped advisory lock on PostgreSQL.
    async fn begin_alone(
        &self,
        key: i64,
    ) -> StoreResult<sqlx::Transaction<'static, Self::Database>>;

    /// Begins a transaction that runs alone among those that ask for the
    /// same `part` of `whole`, beside those on other parts, and never beside
    /// one that asked [`Backend::begin_alone`] for `whole` itself: SQLite's
    /// `BEGIN IMMEDIATE`; on PostgreSQL a shared advisory lock on `whole`
    /// and an exclusive one on the part.
    async fn begin_alone_in(
        &self,
        whole: i64,
        part: i64,
    ) -> StoreResult<sqlx::Transaction<'static, Self::Database>>;

    /// What a `SELECT` that picks rows to claim adds so that two processes
    /// never pick the same ones: nothing on SQLite (one writer at a time),
    /// `FOR UPDATE SKIP LOCKED` on PostgreSQL.
    fn skip_locked(&self) -> &'static str;

    /// What a `SELECT` adds to keep the rows it read from changing until the
    /// transaction ends: nothing on SQLite, `FOR SHARE` on PostgreSQL.
    fn for_share(&self) -> &'static str;

    /// What a `SELECT` adds to lock the rows it read for writing them in the
    /// same transaction: nothing on SQLite (its writer runs alone),
    /// `FOR UPDATE` on PostgreSQL.
    fn for_update(&self) -> &'static str;
}

impl Backend for SqlitePool {
    type Database = sqlx::Sqlite;
    fn skip_locked(&self) -> &'static str {
        ""
    }

    fn for_share(&self) -> &'static str {
        ""
    }

    fn for_update(&self) -> &'static str {
        ""
    }

    async fn begin_alone(
        &self,
        _key: i64,
    ) -> StoreResult<sqlx::Transaction<'static, sqlx::Sqlite>> {
        Ok(self.begin_with("BEGIN IMMEDIATE").await?)
    }

    async fn begin_alone_in(
        &self,
        _whole: i64,
        _part: i64,
    ) -> StoreResult<sqlx::Transaction<'static, sqlx::Sqlite>> {
        Ok(self.begin_with("BEGIN IMMEDIATE").await?)
    }
}

impl Backend for PgPool {
    type Database = sqlx::Postgres;
    fn skip_locked(&self) -> &'static str {
        " FOR UPDATE SKIP LOCKED"
    }

    fn for_share(&self) -> &'static str {
        " FOR SHARE"
    }

    fn for_update(&self) -> &'static str {
        " FOR UPDATE"
    }

    async fn begin_alone(
        &self,
        key: i64,
    ) -> StoreResult<sqlx::Transaction<'static, sqlx::Postgres>> {
        let mut tx = self.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(key)
            .execute(&mut *tx)
            .await?;
        Ok(tx)
    }

    async fn begin_alone_in(
        &self,
        whole: i64,
        part: i64,
    ) -> StoreResult<sqlx::Transaction<'static, sqlx::Postgres>> {
        // The shared lock first, always: a transaction waiting for the whole
        // holds no part, so no two wait for each other.
        let mut tx = self.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock_shared($1), pg_advisory_xact_lock($2)")
            .bind(whole)
            .bind(whole ^ part.rotate_left(17))
            .execute(&mut *tx)
            .await?;
        Ok(tx)
    }
}

/// The keys of transactions that run alone ([`Backend::begin_alone`]).
pub(crate) mod alone {
    /// Counting people into a server's periods (alone per server), and
    /// closing periods or forgetting a member (alone among all).
    pub const PEOPLE: i64 = 0x4861_7665_6e01;
    /// Filing a report under its reporter's limit (combined with the
    /// reporter, so only their own filings wait for each other).
    pub const REPORTS: i64 = 0x4861_7665_6e02;
    /// Taking the next prompt of a server's rotations (combined with the
    /// server).
    pub const ROTATIONS: i64 = 0x4861_7665_6e03;
    /// Replanning one meeting's jobs (combined with the meeting).
    pub const REPLAN: i64 = 0x4861_7665_6e04;
    /// Changing an occurrence's attendance (combined with the meeting).
    pub const ATTENDANCE: i64 = 0x4861_7665_6e05;
}

impl Db {
    /// Opens the database at `url` (`sqlite://…`, created if missing, or
    /// `postgres://…`) and applies every migration of its kind.
    pub async fn open(url: &str) -> StoreResult<Self> {
        Self::open_with(url, DEFAULT_POOL).await
    }

    /// [`Db::open`] with `pool` connections to PostgreSQL (SQLite keeps its
    /// own few). Migrations this version does not know (a newer version
    /// applied them) are let be: they are additive, so an older binary can
    /// run beside a newer one during a rolling deploy, or after a rollback.
    pub async fn open_with(url: &str, pool: u32) -> StoreResult<Self> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Self::open_postgres(url, pool).await;
        }
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
        let mut migrator = sqlx::migrate!("./migrations");
        migrator.set_ignore_missing(true);
        migrator.run(&pool).await?;
        Ok(Self::on(Pool::Sqlite(pool)))
    }

    async fn open_postgres(url: &str, size: u32) -> StoreResult<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(size.max(2))
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await?;
        let mut migrator = sqlx::migrate!("./migrations/postgres");
        migrator.set_ignore_missing(true);
        migrator.run(&pool).await?;
        let mut db = Self::on(Pool::Postgres(pool));
        db.url = Some(ListenUrl(url.into()));
        Ok(db)
    }

    fn on(pool: Pool) -> Self {
        let owner = format!("{}-{:016x}", std::process::id(), rand::random::<u64>());
        Self {
            pool,
            owner: owner.into(),
            lease: DEFAULT_LEASE,
            own_jobs: ALL_JOBS.into(),
            own_guilds: ALL_JOBS.into(),
            url: None,
            first_shard: true,
            shards: None,
        }
    }

    /// The same database, for a process that runs only `shards`: it
    /// claims the jobs of their servers (and those of no server) when due,
    /// and the other processes' once they are overdue by a lease.
    /// A range that is not one (`first > last`, or past `total`) counts as
    /// all of them.
    pub fn with_shards(mut self, shards: Shards) -> Self {
        let Shards { first, last, total } = shards;
        let part = first <= last && last < total && (first > 0 || last < total - 1);
        (self.own_jobs, self.own_guilds) = match part {
            false => (ALL_JOBS.into(), ALL_JOBS.into()),
            true => (
                format!(
                    "(guild_id IS NULL OR claimed_by IS NOT NULL OR (guild_id / 4194304) % {total} BETWEEN {first} AND {last})"
                )
                .into(),
                format!("((guild_id / 4194304) % {total} BETWEEN {first} AND {last})").into(),
            ),
        };
        self.first_shard = !part || first == 0;
        self.shards = part.then_some(shards);
        self
    }

    /// Whether `guild`'s jobs are this process's to work when due (its
    /// server is on one of this process's shards).
    pub fn owns_guild(&self, guild: u64) -> bool {
        self.shards.is_none_or(|Shards { first, last, total }| {
            let shard = (guild >> 22) % u64::from(total);
            (u64::from(first)..=u64::from(last)).contains(&shard)
        })
    }

    /// The SQL condition on a table's `guild_id` for the servers of this
    /// process's shards (all of them unless it runs some). Built only from
    /// integers this process was configured with.
    pub(crate) fn own_guilds(&self) -> &str {
        &self.own_guilds
    }

    /// Whether this process does the work shared by the whole cluster
    /// (the one running shard 0).
    pub fn runs_shared_work(&self) -> bool {
        self.first_shard
    }

    /// The SQL condition on `jobs` for the jobs this process works when
    /// due: all of them, unless it runs some of the shards; then those of
    /// its shards' servers, those of no server, and those some process
    /// claimed before and gave back (a graceful stop, a claim that ended
    /// unrenewed, a retry), which any process may finish. Built only from
    /// integers this process was configured with.
    pub(crate) fn own_jobs(&self) -> &str {
        &self.own_jobs
    }

    /// The same database, with claims on jobs that hold for `lease`.
    pub fn with_lease(mut self, lease: chrono::Duration) -> Self {
        self.lease = lease;
        self
    }

    /// How long this process's claims hold unless renewed.
    pub fn lease(&self) -> chrono::Duration {
        self.lease
    }

    /// On PostgreSQL, a connection that hears when any process adds or moves
    /// a job (the `haven_jobs` channel); none on SQLite, where this process
    /// is the only one.
    pub async fn job_changes(&self) -> StoreResult<Option<sqlx::postgres::PgListener>> {
        let (Pool::Postgres(_), Some(ListenUrl(url))) = (&self.pool, &self.url) else {
            return Ok(None);
        };
        // A connection of its own, outside the pool: it is held for as long
        // as the process runs, and must never keep a renewal waiting.
        let mut listener = sqlx::postgres::PgListener::connect(url).await?;
        listener.listen("haven_jobs").await?;
        Ok(Some(listener))
    }

    /// Whether this is PostgreSQL (shared by several processes).
    pub fn is_postgres(&self) -> bool {
        matches!(self.pool, Pool::Postgres(_))
    }

    /// Whether the database answers (for `/healthz`).
    pub async fn ping(&self) -> StoreResult<()> {
        on_pool!(self, |pool| {
            sqlx::query("SELECT 1").execute(pool).await?;
            Ok(())
        })
    }

    /// Waits for open connections to finish and closes them.
    pub async fn close(&self) {
        on_pool!(self, |pool| pool.close().await)
    }

    /// Copies every page from the write-ahead log into the main file and
    /// truncates the log to zero bytes, so nothing deleted lingers there.
    /// Returns whether it completed (a busy database can hold it back; the
    /// next checkpoint then finishes the job).
    /// On PostgreSQL there is nothing to do here: deleted rows are removed
    /// by its own vacuum (see the README on its retention and backups).
    pub async fn checkpoint(&self) -> StoreResult<bool> {
        let Pool::Sqlite(pool) = &self.pool else {
            return Ok(true);
        };
        for attempt in 0..10 {
            let (busy,): (i64,) = sqlx::query_as("PRAGMA wal_checkpoint(TRUNCATE)")
                .fetch_one(pool)
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
