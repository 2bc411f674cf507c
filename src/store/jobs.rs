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
    /// The channel or member a moderation revert is about (the member, for
    /// a reminder by DM).
    pub target: Option<u64>,
    /// The reminder a reminder by DM belongs to.
    pub parent: Option<i64>,
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
    parent_id: Option<i64>,
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
            parent: self.parent_id,
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
const JOB_COLUMNS: &str = "id, kind, meeting_id, round_id, schedule_channel_id, guild_id, target_id, parent_id, occurrence, offset_min, due_ms, COALESCE(planned_ms, due_ms) AS planned_ms, attempts";

impl Db {
    /// Plans the meeting's jobs as of `now` (after a create, an edit or a
    /// cancel) without dropping what is owed: see
    /// [`crate::domain::meeting::replan`]. The meeting is read inside the
    /// transaction, alone with any other replan of it, so two edits at once
    /// never replan from a copy the other has made stale. Returns the plan,
    /// its `missed` the reminders that can no longer be sent (their time
    /// passed before they were ever planned); an empty plan when the meeting
    /// no longer exists.
    pub async fn replan_meeting(
        &self,
        meeting: MeetingId,
        now: DateTime<Utc>,
    ) -> StoreResult<crate::domain::meeting::Plan> {
        use crate::domain::meeting::{HeldJob, HeldState, Plan};
        on_pool!(self, |pool| {
            // Alone with other replans of the meeting (two edits at once),
            // and its rows locked for writing from the start: a claim skips
            // them until this commits, and no two transactions wait on each
            // other to upgrade a lock.
            let mut tx = pool
                .begin_alone(super::alone::REPLAN ^ meeting.0.rotate_left(20))
                .await?;
            let row: Option<super::meetings::Row> = sqlx::query_as(super::meetings::SELECT_MEETING)
                .bind(meeting.0)
                .fetch_optional(&mut *tx)
                .await?;
            let skips: Vec<String> = sqlx::query_scalar(super::meetings::SELECT_SKIPS)
                .bind(meeting.0)
                .fetch_all(&mut *tx)
                .await?;
            let Some(current) =
                row.and_then(|r| r.into_meeting(super::meetings::parse_skips(&skips)))
            else {
                return Ok(Plan::default());
            };
            let mut plan = current.plan(now);
            // The oldest occurrence a plan can name: the one in progress.
            let since = plan
                .jobs
                .iter()
                .chain(&plan.missed)
                .map(|j| j.occurrence.timestamp())
                .min()
                .unwrap_or(i64::MAX);
            let rows: Vec<(i64, String, i64, i64, i64, String)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT id, kind, occurrence, offset_min, COALESCE(planned_ms, due_ms), state FROM jobs
                 WHERE meeting_id = $1 AND (state IN ('pending', 'claimed') OR occurrence >= $2){lock}",
                lock = pool.for_update()
            )))
            .bind(meeting.0)
            .bind(since)
            .fetch_all(&mut *tx)
            .await?;
            let held: Vec<HeldJob> = rows
                .into_iter()
                .filter_map(|(id, kind, occurrence, offset, planned, state)| {
                    Some(HeldJob {
                        id,
                        kind: JobKind::parse(&kind)?,
                        occurrence: DateTime::from_timestamp(occurrence, 0)?,
                        offset: Duration::minutes(offset),
                        planned: DateTime::from_timestamp_millis(planned)?,
                        state: match state.as_str() {
                            "pending" => HeldState::Pending,
                            "claimed" => HeldState::Claimed,
                            _ => HeldState::Finished,
                        },
                    })
                })
                .collect();
            let replan = crate::domain::meeting::replan(&plan, &held);
            for id in &replan.delete {
                sqlx::query("DELETE FROM jobs WHERE id = $1 AND state = 'pending'")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
            for (id, due) in &replan.moves {
                sqlx::query(
                    "UPDATE jobs SET planned_ms = $1, due_ms = $1 WHERE id = $2 AND state IN ('pending', 'claimed')",
                )
                .bind(due.timestamp_millis())
                .bind(id)
                .execute(&mut *tx)
                .await?;
            }
            insert_jobs!(tx, meeting, &replan.insert);
            tx.commit().await?;
            plan.missed = replan.missed;
            Ok(plan)
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

    /// When the earliest pending job this process works is due (none of
    /// another process's: those are looked at by [`Db::takeover_due`]).
    pub async fn next_job_due(&self) -> StoreResult<Option<DateTime<Utc>>> {
        self.next_job_due_except(&Busy::default()).await
    }

    /// [`Db::next_job_due`], leaving aside the lanes that are `busy` here.
    pub async fn next_job_due_except(&self, busy: &Busy) -> StoreResult<Option<DateTime<Utc>>> {
        on_pool!(self, |pool| {
            // In due order and the first that fits: the partial index is
            // walked from its start and left at the first match (MIN() with
            // these filters would read every waiting job).
            let ms: Option<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT due_ms FROM jobs WHERE state = 'pending' AND {mine} AND {known}{busy}
                 ORDER BY due_ms LIMIT 1",
                mine = self.own_jobs(),
                known = known_kinds(),
                busy = busy.sql(),
            )))
            .fetch_optional(pool)
            .await?;
            Ok(ms.and_then(DateTime::from_timestamp_millis))
        })
    }

    /// Whether some other process's work is overdue at `now` (one
    /// statement, through the indexes): a claim that ended unrenewed, or a
    /// job of another process's servers waiting more than a lease. The
    /// engine asks this once a lease, and claims when it says yes.
    pub async fn takeover_due(&self, now: DateTime<Utc>) -> StoreResult<bool> {
        on_pool!(self, |pool| {
            let overdue: bool = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT EXISTS (SELECT 1 FROM jobs WHERE state = 'claimed' AND claimed_until_ms < $1)
                     OR EXISTS (SELECT 1 FROM jobs WHERE state = 'pending' AND due_ms <= $2 AND NOT {mine} AND {known})",
                mine = self.own_jobs(),
                known = known_kinds(),
            )))
            .bind(now.timestamp_millis())
            .bind((now - self.lease).timestamp_millis())
            .fetch_one(pool)
            .await?;
            Ok(overdue)
        })
    }

    /// How many of this process's jobs are due at `now` and waiting, and
    /// how many it is working on: the operator's backlog figures (through
    /// the partial indexes, never a scan of the table).
    pub async fn jobs_due(&self, now: DateTime<Utc>) -> StoreResult<(i64, i64)> {
        on_pool!(self, |pool| {
            // Each job counted by one process: its server's, or for jobs of
            // no server, the one running shard 0.
            let shared = if self.runs_shared_work() {
                "guild_id IS NULL OR "
            } else {
                ""
            };
            let waiting: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT COUNT(*) FROM jobs WHERE state = 'pending' AND due_ms <= $1 AND ({shared}{mine})",
                mine = self.own_guilds()
            )))
            .bind(now.timestamp_millis())
            .fetch_one(pool)
            .await?;
            let working: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM jobs WHERE state = 'claimed' AND claimed_by = $1",
            )
            .bind(&*self.owner)
            .fetch_one(pool)
            .await?;
            Ok((waiting, working))
        })
    }

    /// Atomically claims up to `limit` pending jobs due at `now`, earliest
    /// first, for this process's lease. Claims that ended unrenewed (their
    /// process died) are pending again first, so they are taken over; the
    /// work they name carries nonces and is fenced, so a takeover never
    /// shows twice.
    pub async fn claim_due_jobs(&self, now: DateTime<Utc>, limit: i64) -> StoreResult<Vec<Job>> {
        self.take_back_expired(now).await?;
        self.claim_due_jobs_except(now, limit, &Busy::default())
            .await
    }

    /// Claims that ended unrenewed (their process died or stalled) are
    /// pending again, to be claimed by whoever comes next.
    pub async fn take_back_expired(&self, now: DateTime<Utc>) -> StoreResult<u64> {
        on_pool!(self, |pool| {
            Ok(sqlx::query(
                "UPDATE jobs SET state = 'pending' WHERE state = 'claimed' AND claimed_until_ms < $1",
            )
            .bind(now.timestamp_millis())
            .execute(pool)
            .await?
            .rows_affected())
        })
    }

    /// [`Db::claim_due_jobs`] without taking back expired claims, leaving
    /// aside the lanes that are `busy` here: a job is claimed only when
    /// this process can start it.
    pub async fn claim_due_jobs_except(
        &self,
        now: DateTime<Utc>,
        limit: i64,
        busy: &Busy,
    ) -> StoreResult<Vec<Job>> {
        on_pool!(self, |pool| {
            // Two processes never pick the same job (PostgreSQL skips rows
            // another has locked; SQLite has one writer at a time). Another
            // process's jobs are taken once overdue by a lease: it died, or
            // it has more to send than its share of Discord's rate allows.
            let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            // Of the earliest due jobs, only what can start: one per lane
            // (a meeting's jobs in order, also across processes: none while
            // another holds one of its meeting), and per server no more than
            // its share, its direct messages apart. The rows are locked at
            // the level that says `state = 'pending'`, so PostgreSQL checks
            // it again on a row another process claimed meanwhile.
            "UPDATE jobs SET state = 'claimed', attempts = attempts + 1, claimed_by = $3, claimed_until_ms = $4
             WHERE id IN (SELECT id FROM jobs WHERE state = 'pending' AND id IN (
                 SELECT id FROM (
                     SELECT id, due_ms, kind,
                            ROW_NUMBER() OVER (PARTITION BY {lane} ORDER BY due_ms, id) AS in_lane,
                            ROW_NUMBER() OVER (PARTITION BY COALESCE(guild_id, 0), kind = 'reminder_dm' ORDER BY due_ms, id) AS in_server
                     FROM (SELECT * FROM jobs
                           WHERE state = 'pending' AND due_ms <= $1 AND ({mine} OR due_ms <= $5)
                           AND {known}{busy}
                           AND NOT EXISTS (SELECT 1 FROM jobs o WHERE o.state = 'claimed' AND o.meeting_id = jobs.meeting_id)
                           ORDER BY due_ms, id LIMIT {CANDIDATES}) AS candidates
                 ) AS ranked
                 WHERE in_lane = 1 AND in_server <= CASE WHEN kind = 'reminder_dm' THEN {dms} ELSE {work} END
                 ORDER BY due_ms, id LIMIT $2){skip})
             RETURNING {JOB_COLUMNS}",
            lane = LANE,
            mine = self.own_jobs(),
            known = known_kinds(),
            busy = busy.sql(),
            dms = busy.dm_share,
            work = busy.share,
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

    /// The kinds of the waiting jobs this version does not know (rows a
    /// newer version planned during a rolling deploy): never claimed here.
    pub async fn unknown_job_kinds(&self) -> StoreResult<Vec<String>> {
        on_pool!(self, |pool| {
            Ok(sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT DISTINCT kind FROM jobs WHERE state = 'pending' AND NOT {known}",
                known = known_kinds()
            )))
            .fetch_all(pool)
            .await?)
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

    /// Marks a job this process holds done (or skipped). A job whose claim
    /// another process has taken over since (or that went back to waiting
    /// when its claim ended) is left alone. Returns whether it was marked.
    pub async fn finish_job(&self, id: i64, skipped: bool) -> StoreResult<bool> {
        on_pool!(self, |pool| {
            Ok(sqlx::query(
                "UPDATE jobs SET state = $1 WHERE id = $2 AND state = 'claimed' AND claimed_by = $3",
            )
            .bind(if skipped { "skipped" } else { "done" })
            .bind(id)
            .bind(&*self.owner)
            .execute(pool)
            .await?
            .rows_affected()
                == 1)
        })
    }

    /// Puts a job this process holds back, to be tried again at
    /// `retry_at` (never one another process has taken over).
    pub async fn release_job(&self, id: i64, retry_at: DateTime<Utc>) -> StoreResult<()> {
        on_pool!(self, |pool| {
            // The job is its server's process's again (a retry is not
            // another process's to take before it is overdue).
            sqlx::query(
            "UPDATE jobs SET state = 'pending', due_ms = $1, claimed_by = NULL WHERE id = $2 AND state = 'claimed' AND claimed_by = $3",
        )
        .bind(retry_at.timestamp_millis())
        .bind(id)
        .bind(&*self.owner)
        .execute(pool)
        .await?;
            Ok(())
        })
    }

    /// Hands back jobs just claimed that this process cannot start now (their
    /// lane busy, their server at its share): waiting again, as if never
    /// claimed.
    pub async fn hand_back(&self, ids: &[i64]) -> StoreResult<u64> {
        if ids.is_empty() {
            return Ok(0);
        }
        on_pool!(self, |pool| {
            let list: Vec<String> = ids.iter().map(i64::to_string).collect();
            Ok(sqlx::query(sqlx::AssertSqlSafe(format!(
                "UPDATE jobs SET state = 'pending', attempts = attempts - 1, claimed_by = NULL
                 WHERE state = 'claimed' AND claimed_by = $1 AND id IN ({})",
                list.join(", ")
            )))
            .bind(&*self.owner)
            .execute(pool)
            .await?
            .rows_affected())
        })
    }

    /// On a graceful stop: the claims on `ids` (the work this process
    /// stopped) are pending again at once, for another process or the next
    /// start (any process may take them: their own one is stopping).
    pub async fn release_claims(&self, ids: &[i64]) -> StoreResult<u64> {
        if ids.is_empty() {
            return Ok(0);
        }
        on_pool!(self, |pool| {
            let list: Vec<String> = ids.iter().map(i64::to_string).collect();
            Ok(sqlx::query(sqlx::AssertSqlSafe(format!(
                "UPDATE jobs SET state = 'pending' WHERE state = 'claimed' AND claimed_by = $1 AND id IN ({})",
                list.join(", ")
            )))
            .bind(&*self.owner)
            .execute(pool)
            .await?
            .rows_affected())
        })
    }

    /// Finishes reminder `id` (done, or `skipped` when its channel refused
    /// it) and plans its direct messages, due at `now`, to every member who
    /// asked, in one transaction: a crash leaves either both or neither, so
    /// a confirmed post is never sent again and its messages never planned
    /// twice. Returns how many messages were planned (none when this
    /// process no longer holds the job).
    pub async fn finish_reminder(
        &self,
        id: i64,
        skipped: bool,
        now: DateTime<Utc>,
    ) -> StoreResult<u64> {
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let finished = sqlx::query(
                "UPDATE jobs SET state = $1 WHERE id = $2 AND state = 'claimed' AND claimed_by = $3",
            )
            .bind(if skipped { "skipped" } else { "done" })
            .bind(id)
            .bind(&*self.owner)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if finished == 0 {
                return Ok(0);
            }
            let planned = sqlx::query(
                "INSERT INTO jobs (kind, parent_id, guild_id, target_id, occurrence, offset_min, due_ms, planned_ms)
                 SELECT 'reminder_dm', j.id, j.guild_id, d.user_id, j.occurrence, j.offset_min, $2, COALESCE(j.planned_ms, j.due_ms)
                 FROM jobs j JOIN meeting_dms d ON d.meeting_id = j.meeting_id
                 WHERE j.id = $1 AND j.kind = 'reminder'
                 ON CONFLICT DO NOTHING",
            )
            .bind(id)
            .bind(now.timestamp_millis())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            tx.commit().await?;
            Ok(planned)
        })
    }

    /// A reminder's direct message this process holds, sent or skipped:
    /// deleted (its reminder is finished, so it is never planned again).
    pub async fn finish_dm(&self, id: i64) -> StoreResult<bool> {
        on_pool!(self, |pool| {
            Ok(sqlx::query(
                "DELETE FROM jobs WHERE id = $1 AND kind = 'reminder_dm' AND state = 'claimed' AND claimed_by = $2",
            )
            .bind(id)
            .bind(&*self.owner)
            .execute(pool)
            .await?
            .rows_affected()
                == 1)
        })
    }

    /// Puts a job this process holds back for `retry_at` without counting
    /// the try (nothing was attempted: its claim could not be checked).
    pub async fn retry_uncounted(&self, id: i64, retry_at: DateTime<Utc>) -> StoreResult<()> {
        on_pool!(self, |pool| {
            sqlx::query(
                "UPDATE jobs SET state = 'pending', due_ms = $1, attempts = attempts - 1, claimed_by = NULL
                 WHERE id = $2 AND state = 'claimed' AND claimed_by = $3",
            )
            .bind(retry_at.timestamp_millis())
            .bind(id)
            .bind(&*self.owner)
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    /// The fence before an external effect of job `id`: whether this
    /// process still holds its claim, renewed for a lease from `now` when
    /// it does. One conditional statement: once another process has taken
    /// the job over (after this one was paused past its lease), it is false.
    pub async fn hold_claim(&self, id: i64, now: DateTime<Utc>) -> StoreResult<bool> {
        on_pool!(self, |pool| {
            Ok(sqlx::query(
                "UPDATE jobs SET claimed_until_ms = $1 WHERE id = $2 AND state = 'claimed' AND claimed_by = $3",
            )
            .bind((now + self.lease).timestamp_millis())
            .bind(id)
            .bind(&*self.owner)
            .execute(pool)
            .await?
            .rows_affected()
                == 1)
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

    /// Keeps the claims on `ids` (the work in progress here) for another
    /// lease from `now`. Returns those still held: any missing was taken
    /// over (this process was paused past its lease) and must not go on.
    pub async fn renew_claims(&self, now: DateTime<Utc>, ids: &[i64]) -> StoreResult<Vec<i64>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        on_pool!(self, |pool| {
            let list: Vec<String> = ids.iter().map(i64::to_string).collect();
            Ok(sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "UPDATE jobs SET claimed_until_ms = $1 WHERE state = 'claimed' AND claimed_by = $2 AND id IN ({})
                 RETURNING id",
                list.join(", ")
            )))
            .bind((now + self.lease).timestamp_millis())
            .bind(&*self.owner)
            .fetch_all(pool)
            .await?)
        })
    }

    /// The meeting whose reminder job `id` is.
    pub async fn meeting_of_job(&self, id: i64) -> StoreResult<Option<MeetingId>> {
        on_pool!(self, |pool| {
            let meeting: Option<Option<i64>> =
                sqlx::query_scalar("SELECT meeting_id FROM jobs WHERE id = $1")
                    .bind(id)
                    .fetch_optional(pool)
                    .await?;
            Ok(meeting.flatten().map(MeetingId))
        })
    }

    /// Finished jobs older than `before` are deleted, in batches; a
    /// reminder or roll-over only once its occurrence is that old too (a
    /// reminder two weeks ahead still names itself sent when the meeting is
    /// edited).
    pub async fn prune_finished_jobs(&self, before: DateTime<Utc>) -> StoreResult<u64> {
        let mut deleted = 0;
        loop {
            let n = on_pool!(self, |pool| {
                sqlx::query(
                    "DELETE FROM jobs WHERE id IN (SELECT id FROM jobs WHERE state IN ('done', 'skipped') AND due_ms < $1
                     AND (kind NOT IN ('reminder', 'rollover') OR occurrence < $2)
                     AND NOT EXISTS (SELECT 1 FROM jobs c WHERE c.parent_id = jobs.id AND c.state IN ('pending', 'claimed'))
                     LIMIT 1000)",
                )
                .bind(before.timestamp_millis())
                .bind(before.timestamp())
                .execute(pool)
                .await?
                .rows_affected()
            });
            deleted += n;
            if n < 1000 {
                return Ok(deleted);
            }
        }
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

    /// Whether any job is being worked on, or waits due by `now`, in one
    /// statement: two separate questions could both miss a job claimed
    /// between them (for the sandbox's and the tests' clock).
    pub async fn work_in_hand(&self, now: DateTime<Utc>) -> StoreResult<bool> {
        on_pool!(self, |pool| {
            let busy: bool = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT EXISTS (SELECT 1 FROM jobs WHERE state = 'claimed')
                     OR EXISTS (SELECT 1 FROM jobs WHERE state = 'pending' AND due_ms <= $1
                                AND {mine} AND {known})",
                mine = self.own_jobs(),
                known = known_kinds(),
            )))
            .bind(now.timestamp_millis())
            .fetch_one(pool)
            .await?;
            Ok(busy)
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

/// The lanes busy in this process, for a claim to leave aside: a job of a
/// busy meeting, round, schedule or target waits for the one running, and
/// a server at its share of the work (or of direct messages) waits for a
/// slot. Built from integers only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Busy {
    pub meetings: Vec<i64>,
    pub rounds: Vec<i64>,
    pub schedules: Vec<i64>,
    pub targets: Vec<i64>,
    /// Servers running as many jobs (other than direct messages) as one may.
    pub guilds: Vec<i64>,
    /// Servers sending as many direct messages as one may.
    pub dm_guilds: Vec<i64>,
    /// As many direct messages are being sent as may be, in all.
    pub no_dms: bool,
    /// How many jobs of one server (other than direct messages) one claim
    /// may take, and how many of its direct messages.
    pub share: usize,
    pub dm_share: usize,
}

impl Default for Busy {
    /// Nothing busy; no share smaller than a claim.
    fn default() -> Self {
        Self {
            meetings: Vec::new(),
            rounds: Vec::new(),
            schedules: Vec::new(),
            targets: Vec::new(),
            guilds: Vec::new(),
            dm_guilds: Vec::new(),
            no_dms: false,
            share: usize::MAX >> 1,
            dm_share: usize::MAX >> 1,
        }
    }
}

impl Busy {
    fn sql(&self) -> String {
        fn not_in(column: &str, ids: &[i64]) -> String {
            if ids.is_empty() {
                return String::new();
            }
            let list: Vec<String> = ids.iter().map(i64::to_string).collect();
            format!(" AND COALESCE({column}, 0) NOT IN ({})", list.join(", "))
        }
        let mut sql = not_in("meeting_id", &self.meetings);
        sql += &not_in("round_id", &self.rounds);
        sql += &not_in("schedule_channel_id", &self.schedules);
        sql += &not_in("target_id", &self.targets);
        for (guilds, dms) in [(&self.guilds, "<>"), (&self.dm_guilds, "=")] {
            if !guilds.is_empty() {
                let list: Vec<String> = guilds.iter().map(i64::to_string).collect();
                sql += &format!(
                    " AND NOT (kind {dms} 'reminder_dm' AND COALESCE(guild_id, 0) IN ({}))",
                    list.join(", ")
                );
            }
        }
        if self.no_dms {
            sql += " AND kind <> 'reminder_dm'";
        }
        sql
    }
}

/// The lane of a job, as [`crate::scheduler`] runs them: its meeting,
/// round, prompt schedule or target, else the job alone.
const LANE: &str = "COALESCE('m' || meeting_id, 'r' || round_id, 's' || schedule_channel_id, 't' || target_id, 'j' || id)";

/// How many of the earliest due jobs a claim looks among.
const CANDIDATES: i64 = 1000;

/// The SQL condition naming the kinds this version knows.
fn known_kinds() -> String {
    let kinds: Vec<String> = JobKind::ALL
        .iter()
        .map(|k| format!("'{}'", k.as_str()))
        .collect();
    // `kind || ''` keeps SQLite's planner off the unique index that leads
    // with `kind` (which would read every job of a common kind, then sort):
    // the due-time index is walked instead, in order.
    format!("kind || '' IN ({})", kinds.join(", "))
}
