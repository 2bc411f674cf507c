//! The scheduler's durable jobs. A job is claimed atomically before it is
//! worked on and marked done only after its effect succeeded, so delivery is
//! at least once; the work itself carries an idempotency key (a message nonce)
//! so that it shows exactly once.

use chrono::{DateTime, Duration, Utc};

use super::{Db, StoreResult};
use crate::domain::jobs::JobKind;
use crate::domain::meeting::{MeetingId, PlannedJob};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub id: i64,
    pub kind: JobKind,
    /// The meeting a reminder or roll-over is about.
    pub meeting: Option<MeetingId>,
    /// The round a round-close is about.
    pub round: Option<i64>,
    /// The channel whose prompt schedule a posting is for.
    pub schedule_channel: Option<crate::domain::ChannelId>,
    /// The server the job is for (none for housekeeping across servers).
    pub guild: Option<crate::domain::GuildId>,
    /// The channel or member a moderation revert is about.
    pub target: Option<u64>,
    pub occurrence: DateTime<Utc>,
    pub offset: Duration,
    /// When it is (next) tried.
    pub due: DateTime<Utc>,
    /// When it was planned for; a retry does not move it.
    pub planned: DateTime<Utc>,
    pub attempts: i64,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    kind: String,
    meeting_id: Option<i64>,
    round_id: Option<i64>,
    schedule_channel_id: Option<i64>,
    guild_id: Option<i64>,
    target_id: Option<i64>,
    occurrence: i64,
    offset_min: i64,
    due_ms: i64,
    planned_ms: i64,
    attempts: i64,
}

impl Row {
    fn into_job(self) -> Option<Job> {
        Some(Job {
            id: self.id,
            kind: JobKind::parse(&self.kind)?,
            meeting: self.meeting_id.map(MeetingId),
            round: self.round_id,
            schedule_channel: self
                .schedule_channel_id
                .map(crate::domain::ChannelId::from_db),
            guild: self.guild_id.map(crate::domain::GuildId::from_db),
            target: self.target_id.map(|t| t as u64),
            occurrence: DateTime::from_timestamp(self.occurrence, 0)?,
            offset: Duration::minutes(self.offset_min),
            due: DateTime::from_timestamp_millis(self.due_ms)?,
            planned: DateTime::from_timestamp_millis(self.planned_ms)?,
            attempts: self.attempts,
        })
    }
}

/// Plans `jobs` for a meeting in the transaction `tx` (either database); a
/// job that exists in any state is kept as it is.
macro_rules! insert_jobs {
    ($tx:expr, $meeting:expr, $jobs:expr) => {
        for job in $jobs {
            sqlx::query("INSERT INTO jobs (kind, meeting_id, guild_id, occurrence, offset_min, due_ms, planned_ms)
                         VALUES ($1, $2, (SELECT guild_id FROM meetings WHERE id = $2), $3, $4, $5, $5) ON CONFLICT DO NOTHING")
                .bind(job.kind.as_str())
                .bind($meeting.0)
                .bind(job.occurrence.timestamp())
                .bind(job.offset.num_minutes())
                .bind(job.due.timestamp_millis())
                .execute(&mut *$tx)
                .await?;
        }
    };
}

/// A job's columns as [`Row`] reads them (a job planned before planned
/// instants were kept counts as planned when due).
const JOB_COLUMNS: &str = "id, kind, meeting_id, round_id, schedule_channel_id, guild_id, target_id, occurrence, offset_min, due_ms, COALESCE(planned_ms, due_ms) AS planned_ms, attempts";

impl Db {
    /// Replaces the meeting's pending jobs with `jobs` (after a create, an
    /// edit or a cancel). Jobs already done stay done: a job that exists in
    /// any state is not planned again. A job being worked on right now
    /// (claimed) is left alone: its worker reads the meeting afresh.
    pub async fn replace_jobs(&self, meeting: MeetingId, jobs: &[PlannedJob]) -> StoreResult<()> {
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            sqlx::query("DELETE FROM jobs WHERE meeting_id = $1 AND state = 'pending'")
                .bind(meeting.0)
                .execute(&mut *tx)
                .await?;
            insert_jobs!(tx, meeting, jobs);
            tx.commit().await?;
            Ok(())
        })
    }

    /// Adds jobs without touching existing ones.
    pub async fn add_jobs(&self, meeting: MeetingId, jobs: &[PlannedJob]) -> StoreResult<()> {
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            insert_jobs!(tx, meeting, jobs);
            tx.commit().await?;
            Ok(())
        })
    }

    /// When the earliest pending job is due.
    pub async fn next_job_due(&self) -> StoreResult<Option<DateTime<Utc>>> {
        on_pool!(self, |pool| {
            // A claim of another process that ends unrenewed is due too: its
            // jobs are taken over then. Another process's jobs are due here
            // once overdue by a lease (none are another's when this process
            // runs every shard: that branch is then constantly empty).
            let ms: Option<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT MIN(t) FROM (
                     SELECT MIN(due_ms) AS t FROM jobs WHERE state = 'pending' AND {mine}
                     UNION ALL
                     SELECT MIN(due_ms) + $2 AS t FROM jobs WHERE state = 'pending' AND NOT {mine}
                     UNION ALL
                     SELECT MIN(claimed_until_ms) AS t FROM jobs WHERE state = 'claimed' AND claimed_by <> $1
                 ) AS next",
                mine = self.own_jobs()
            )))
            .bind(&*self.owner)
            .bind(self.lease.num_milliseconds())
            .fetch_one(pool)
            .await?;
            Ok(ms.and_then(DateTime::from_timestamp_millis))
        })
    }

    /// How many jobs are due at `now` and not finished (waiting or being
    /// worked): the operator's backlog figure.
    pub async fn jobs_due(&self, now: DateTime<Utc>) -> StoreResult<i64> {
        on_pool!(self, |pool| {
            Ok(sqlx::query_scalar(
                "SELECT COUNT(*) FROM jobs WHERE state IN ('pending', 'claimed') AND due_ms <= $1",
            )
            .bind(now.timestamp_millis())
            .fetch_one(pool)
            .await?)
        })
    }

    /// Atomically claims up to `limit` pending jobs due at `now`, earliest
    /// first, for this process's lease. Claims that ended unrenewed (their
    /// process died) are pending again first, so they are taken over; the
    /// work they name carries nonces, so a takeover never shows twice.
    pub async fn claim_due_jobs(&self, now: DateTime<Utc>, limit: i64) -> StoreResult<Vec<Job>> {
        on_pool!(self, |pool| {
            sqlx::query(
            "UPDATE jobs SET state = 'pending' WHERE state = 'claimed' AND claimed_until_ms < $1",
        )
        .bind(now.timestamp_millis())
        .execute(pool)
        .await?;
            // Two processes never pick the same job (PostgreSQL skips rows
            // another has locked; SQLite has one writer at a time). Another
            // process's jobs are taken once overdue by a lease: it died, or
            // it has more to send than its share of Discord's rate allows.
            let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "UPDATE jobs SET state = 'claimed', attempts = attempts + 1, claimed_by = $3, claimed_until_ms = $4
             WHERE id IN (SELECT id FROM jobs WHERE state = 'pending' AND due_ms <= $1 AND ({mine} OR due_ms <= $5)
                          ORDER BY due_ms, id LIMIT $2{skip})
             RETURNING {JOB_COLUMNS}",
            mine = self.own_jobs(),
            skip = pool.skip_locked()
        )))
        .bind(now.timestamp_millis())
        .bind(limit)
        .bind(&*self.owner)
        .bind((now + self.lease).timestamp_millis())
        .bind((now - self.lease).timestamp_millis())
        .fetch_all(pool)
        .await?;
            let mut jobs: Vec<Job> = rows.into_iter().filter_map(Row::into_job).collect();
            jobs.sort_by_key(|j| (j.due, j.id));
            Ok(jobs)
        })
    }

    /// Report deliveries of `guild` still waiting are tried now (a log
    /// channel or someone taking notices by DM has just been set).
    pub async fn retry_report_deliveries(
        &self,
        guild: crate::domain::GuildId,
        now: DateTime<Utc>,
    ) -> StoreResult<u64> {
        on_pool!(self, |pool| {
            Ok(sqlx::query(
            "UPDATE jobs SET due_ms = $1 WHERE kind = 'report_delivery' AND state = 'pending' AND guild_id = $2 AND due_ms > $1",
        )
        .bind(now.timestamp_millis())
        .bind(guild.as_db())
        .execute(pool)
        .await?
        .rows_affected())
        })
    }

    /// Finished report jobs older than `before` are deleted (nothing reads
    /// them; other kinds' finished jobs are kept as their records).
    pub async fn prune_report_jobs(&self, before: DateTime<Utc>) -> StoreResult<u64> {
        on_pool!(self, |pool| {
            Ok(sqlx::query(
            "DELETE FROM jobs WHERE kind IN ('report_delivery', 'report_tidy') AND state IN ('done', 'skipped') AND due_ms < $1",
        )
        .bind(before.timestamp_millis())
        .execute(pool)
        .await?
        .rows_affected())
        })
    }

    /// Claims one pending job, whenever it is due (the work it names is
    /// being done now, by whoever calls). Returns whether it was claimed:
    /// false when another claimed it first or it is finished.
    pub async fn claim_job(&self, id: i64, now: DateTime<Utc>) -> StoreResult<bool> {
        on_pool!(self, |pool| {
            Ok(sqlx::query(
            "UPDATE jobs SET state = 'claimed', attempts = attempts + 1, claimed_by = $2, claimed_until_ms = $3
             WHERE id = $1 AND state = 'pending'",
        )
        .bind(id)
        .bind(&*self.owner)
        .bind((now + self.lease).timestamp_millis())
        .execute(pool)
        .await?
        .rows_affected()
            == 1)
        })
    }

    /// Marks a job this process worked on done (or skipped). A job whose
    /// claim another process has taken over since is left to that process.
    pub async fn finish_job(&self, id: i64, skipped: bool) -> StoreResult<()> {
        on_pool!(self, |pool| {
            sqlx::query(
                "UPDATE jobs SET state = $1 WHERE id = $2 AND (claimed_by = $3 OR claimed_by IS NULL)",
            )
            .bind(if skipped { "skipped" } else { "done" })
            .bind(id)
            .bind(&*self.owner)
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    /// Puts a job this process claimed back, to be tried again at
    /// `retry_at` (never one another process has taken over).
    pub async fn release_job(&self, id: i64, retry_at: DateTime<Utc>) -> StoreResult<()> {
        on_pool!(self, |pool| {
            sqlx::query(
            "UPDATE jobs SET state = 'pending', due_ms = $1 WHERE id = $2 AND state = 'claimed' AND claimed_by = $3",
        )
        .bind(retry_at.timestamp_millis())
        .bind(id)
        .bind(&*self.owner)
        .execute(pool)
        .await?;
            Ok(())
        })
    }

    /// After a restart: jobs claimed by a process that stopped are pending
    /// again. On SQLite this process is the only one, so that is every
    /// claim; on PostgreSQL other processes' claims stay theirs (those of a
    /// process that died end with their lease), and only claims from before
    /// leases were kept are put back.
    pub async fn reset_claimed_jobs(&self) -> StoreResult<u64> {
        let only_old = match self.pool {
            super::Pool::Sqlite(_) => "",
            super::Pool::Postgres(_) => " AND claimed_by IS NULL",
        };
        on_pool!(self, |pool| {
            Ok(sqlx::query(sqlx::AssertSqlSafe(format!(
                "UPDATE jobs SET state = 'pending' WHERE state = 'claimed'{only_old}"
            )))
            .execute(pool)
            .await?
            .rows_affected())
        })
    }

    /// Keeps this process's claims for another lease from `now` (while it
    /// works on a long batch).
    pub async fn renew_claims(&self, now: DateTime<Utc>) -> StoreResult<u64> {
        on_pool!(self, |pool| {
            Ok(sqlx::query(
                "UPDATE jobs SET claimed_until_ms = $1 WHERE state = 'claimed' AND claimed_by = $2",
            )
            .bind((now + self.lease).timestamp_millis())
            .bind(&*self.owner)
            .execute(pool)
            .await?
            .rows_affected())
        })
    }

    /// On a graceful stop: this process's claims are pending again, for
    /// another process (or the next start) to take at once.
    pub async fn release_own_claims(&self) -> StoreResult<u64> {
        on_pool!(self, |pool| {
            Ok(sqlx::query(
                "UPDATE jobs SET state = 'pending' WHERE state = 'claimed' AND claimed_by = $1",
            )
            .bind(&*self.owner)
            .execute(pool)
            .await?
            .rows_affected())
        })
    }

    /// The offsets (minutes) of the occurrence's reminders already sent or
    /// being sent.
    pub async fn handled_reminders(
        &self,
        meeting: MeetingId,
        occurrence: DateTime<Utc>,
    ) -> StoreResult<Vec<i64>> {
        on_pool!(self, |pool| {
            Ok(sqlx::query_scalar(
            "SELECT offset_min FROM jobs WHERE meeting_id = $1 AND occurrence = $2 AND kind = 'reminder'
             AND state IN ('claimed', 'done', 'skipped')",
        )
        .bind(meeting.0)
        .bind(occurrence.timestamp())
        .fetch_all(pool)
        .await?)
        })
    }

    /// Plans closing a round at `due`.
    pub async fn add_round_close_job(&self, round: i64, due: DateTime<Utc>) -> StoreResult<()> {
        on_pool!(self, |pool| {
            sqlx::query("INSERT INTO jobs (kind, round_id, guild_id, occurrence, due_ms, planned_ms)
                         VALUES ('round_close', $1, (SELECT guild_id FROM rounds WHERE id = $1), $1, $2, $2) ON CONFLICT DO NOTHING")
            .bind(round)
            .bind(due.timestamp_millis())
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    /// Makes sure a housekeeping job is planned for `due` (one per day: the
    /// day number is its key).
    pub async fn ensure_purge_job(&self, due: DateTime<Utc>) -> StoreResult<()> {
        on_pool!(self, |pool| {
            sqlx::query("INSERT INTO jobs (kind, occurrence, due_ms, planned_ms) VALUES ('purge', $1, $2, $2) ON CONFLICT DO NOTHING")
            .bind(due.timestamp() / 86_400)
            .bind(due.timestamp_millis())
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    /// Plans a moderation revert (`unban`, `slowmode_revert`, `lock_revert`)
    /// of `target` (a member or a channel) in `guild` at `due`.
    pub async fn add_mod_job(
        &self,
        kind: JobKind,
        guild: crate::domain::GuildId,
        target: u64,
        due: DateTime<Utc>,
    ) -> StoreResult<()> {
        on_pool!(self, |pool| {
            sqlx::query("INSERT INTO jobs (kind, guild_id, target_id, occurrence, due_ms, planned_ms) VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT DO NOTHING")
            .bind(kind.as_str())
            .bind(guild.as_db())
            .bind(target as i64)
            .bind(due.timestamp())
            .bind(due.timestamp_millis())
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    /// Pending moderation reverts of one kind, earliest first (for tests).
    pub async fn pending_mod_jobs(&self, kind: JobKind) -> StoreResult<Vec<Job>> {
        on_pool!(self, |pool| {
            let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {JOB_COLUMNS} FROM jobs
             WHERE kind = $1 AND state = 'pending' ORDER BY due_ms, id"
            )))
            .bind(kind.as_str())
            .fetch_all(pool)
            .await?;
            Ok(rows.into_iter().filter_map(Row::into_job).collect())
        })
    }

    /// How many jobs are being worked on right now.
    pub async fn claimed_job_count(&self) -> StoreResult<i64> {
        on_pool!(self, |pool| {
            Ok(
                sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE state = 'claimed'")
                    .fetch_one(pool)
                    .await?,
            )
        })
    }

    /// Pending jobs of a meeting, earliest first (for tests and `/meeting info`).
    pub async fn pending_jobs(&self, meeting: MeetingId) -> StoreResult<Vec<Job>> {
        on_pool!(self, |pool| {
            let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {JOB_COLUMNS} FROM jobs
             WHERE meeting_id = $1 AND state = 'pending' ORDER BY due_ms, id"
            )))
            .bind(meeting.0)
            .fetch_all(pool)
            .await?;
            Ok(rows.into_iter().filter_map(Row::into_job).collect())
        })
    }
}
