//! Moderation records: cases numbered per server, notes, reports, the state
//! a timed slowmode or lock returns to, temporary bans, guidelines, and the
//! retention purge.

use chrono::{DateTime, Duration, Utc};

use super::{Db, StoreResult};
use crate::domain::moderation::{
    Case, CaseKind, DEFAULT_RETENTION_DAYS, Note, Overwrite, REPORT_WINDOW_MINUTES, ReportKind,
    ReportStatus,
};
use crate::domain::privacy::StoredModeration;
use crate::domain::settings::Tier;
use crate::domain::{ChannelId, GuildId, RoleId, UserId};

/// A case about to be recorded (it gets its number on insert).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCase {
    pub kind: CaseKind,
    pub moderator: UserId,
    pub target: Option<UserId>,
    pub channel: Option<ChannelId>,
    pub reason: String,
    pub at: DateTime<Utc>,
    pub until: Option<DateTime<Utc>>,
}

/// A report about to be recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewReport {
    pub guild: GuildId,
    pub reporter: UserId,
    /// Whether the reporter chose to be named to facilitators.
    pub named: bool,
    pub kind: ReportKind,
    pub note: Option<String>,
    pub channel: ChannelId,
    pub message: u64,
    pub author: Option<UserId>,
    pub excerpt: String,
    pub at: DateTime<Utc>,
}

/// A report as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub id: i64,
    pub guild: GuildId,
    /// Who reported, while they have not asked Haven to forget them.
    pub reporter: Option<UserId>,
    pub named: bool,
    pub kind: ReportKind,
    pub note: Option<String>,
    pub channel: ChannelId,
    pub message: u64,
    pub author: Option<UserId>,
    pub excerpt: String,
    pub status: ReportStatus,
    pub handled_by: Option<UserId>,
    pub log_message: Option<u64>,
    /// The channel of that post (none: posted before Haven kept it).
    pub log_channel: Option<ChannelId>,
    /// Whether it has reached someone (the log channel, or a DM).
    pub delivered: bool,
    pub at: DateTime<Utc>,
    /// The rank of the person it is about when it was last routed (none:
    /// not routed yet).
    pub about: Option<Tier>,
}

impl NewReport {
    /// The report as it reads before (or without) being stored: id 0,
    /// open, posted nowhere yet.
    pub fn unsaved(&self) -> Report {
        Report {
            id: 0,
            guild: self.guild,
            reporter: Some(self.reporter),
            named: self.named,
            kind: self.kind,
            note: self.note.clone(),
            channel: self.channel,
            message: self.message,
            author: self.author,
            excerpt: self.excerpt.clone(),
            status: ReportStatus::Open,
            handled_by: None,
            log_message: None,
            log_channel: None,
            delivered: false,
            at: self.at,
            about: None,
        }
    }
}

/// A report form as sent, with the rate limit that applies to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportForm {
    pub guild: GuildId,
    pub reporter: UserId,
    /// The draft the form names.
    pub draft: i64,
    pub named: bool,
    pub kind: ReportKind,
    pub note: Option<String>,
    pub at: DateTime<Utc>,
    /// Reports counted for the limit are those made after this.
    pub window_start: DateTime<Utc>,
    pub limit: i64,
    /// When the scheduler tries delivery if the form's answer does not.
    pub retry_at: DateTime<Utc>,
}

/// What became of a report form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filing {
    /// Stored, with its delivery job.
    Filed { report: Report, job: i64 },
    /// Over the reporter's limit: nothing kept.
    TooMany,
    /// The draft is gone (sent already, expired, someone else's).
    NoDraft,
}

/// How long a report form's draft is kept, at most.
pub const DRAFT_MINUTES: i64 = 60;

/// Plans the tidying of reports, in the transaction `tx` (either database),
/// at the first five-minute instant strictly after `at` (one job per
/// instant): what was due at `at` is then past.
macro_rules! plan_tidy {
    ($tx:expr, $at:expr) => {{
        let step = 300;
        let instant = ($at.timestamp().div_euclid(step) + 1) * step;
        sqlx::query(
            "INSERT INTO jobs (kind, occurrence, due_ms, planned_ms) VALUES ('report_tidy', $1, $2, $2) ON CONFLICT DO NOTHING",
        )
        .bind(instant)
        .bind(instant * 1000)
        .execute(&mut *$tx)
        .await?;
    }};
}

/// What a report menu saw of a message, until the form is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportDraft {
    pub guild: GuildId,
    pub reporter: UserId,
    pub channel: ChannelId,
    pub message: u64,
    pub author: UserId,
    pub excerpt: String,
    pub at: DateTime<Utc>,
}

/// A timed slowmode: what it returns to, when, and what Haven set (none:
/// set before Haven kept it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlowmodeRevert {
    pub before: u32,
    pub until: DateTime<Utc>,
    pub set: Option<u32>,
}

/// A temporary ban: when it ends, and the reason Haven sent with it (none:
/// banned before Haven kept it), by which Haven tells its ban from another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tempban {
    pub until: DateTime<Utc>,
    pub reason: Option<String>,
    /// Whether Haven's own unban of it is under way (or its answer lost).
    pub lifting: bool,
}

/// A locked channel's overwrites as they were before the lock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedLock {
    pub guild: GuildId,
    pub channel: ChannelId,
    pub before: Vec<(RoleId, Option<Overwrite>)>,
    pub until: Option<DateTime<Utc>>,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct SavedOverwrite {
    role: RoleId,
    before: Option<Overwrite>,
}

#[derive(sqlx::FromRow)]
struct CaseRow {
    number: i64,
    kind: String,
    moderator_id: i64,
    target_id: Option<i64>,
    channel_id: Option<i64>,
    reason: String,
    created_ms: i64,
    until_ms: Option<i64>,
    log_message_id: Option<i64>,
    log_channel_id: Option<i64>,
    edited_by: Option<i64>,
}

impl CaseRow {
    fn into_case(self) -> Option<Case> {
        Some(Case {
            number: self.number,
            kind: CaseKind::parse(&self.kind)?,
            moderator: UserId::from_db(self.moderator_id),
            target: self.target_id.map(UserId::from_db),
            channel: self.channel_id.map(ChannelId::from_db),
            reason: self.reason,
            at: DateTime::from_timestamp_millis(self.created_ms)?,
            until: self.until_ms.and_then(DateTime::from_timestamp_millis),
            log_message: self.log_message_id.map(|m| m as u64),
            log_channel: self.log_channel_id.map(ChannelId::from_db),
            edited_by: self.edited_by.map(UserId::from_db),
            amendments: Vec::new(),
        })
    }
}

/// Records `$case` in `$guild` inside the transaction `$tx` under the next
/// case number, naming the job that records it (if any): evaluates to the
/// number and whether it was added (a job's case already recorded is not).
macro_rules! insert_case {
    ($tx:expr, $guild:expr, $case:expr, $job:expr) => {{
        let number: i64 = sqlx::query_scalar(
            "INSERT INTO mod_case_numbers (guild_id, last) VALUES ($1, 1)
             ON CONFLICT (guild_id) DO UPDATE SET last = mod_case_numbers.last + 1 RETURNING last",
        )
        .bind($guild.as_db())
        .fetch_one(&mut *$tx)
        .await?;
        let added = sqlx::query(
            "INSERT INTO mod_cases (guild_id, number, kind, moderator_id, target_id, channel_id, reason, created_ms, until_ms, job_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
             ON CONFLICT (guild_id, job_id) WHERE job_id IS NOT NULL DO NOTHING",
        )
        .bind($guild.as_db())
        .bind(number)
        .bind($case.kind.as_str())
        .bind($case.moderator.as_db())
        .bind($case.target.map(UserId::as_db))
        .bind($case.channel.map(ChannelId::as_db))
        .bind(&$case.reason)
        .bind($case.at.timestamp_millis())
        .bind($case.until.map(|u| u.timestamp_millis()))
        .bind($job)
        .execute(&mut *$tx)
        .await?
        .rows_affected();
        (number, added == 1)
    }};
}

const CASE_COLUMNS: &str = "number, kind, moderator_id, target_id, channel_id, reason, created_ms, until_ms, log_message_id, log_channel_id, edited_by";

#[derive(sqlx::FromRow)]
struct ReportRow {
    id: i64,
    guild_id: i64,
    reporter_id: Option<i64>,
    named: i64,
    kind: String,
    note: Option<String>,
    channel_id: i64,
    message_id: i64,
    author_id: Option<i64>,
    excerpt: String,
    status: String,
    handled_by: Option<i64>,
    log_message_id: Option<i64>,
    log_channel_id: Option<i64>,
    delivered: i64,
    created_ms: i64,
    about_rank: Option<i64>,
}

impl ReportRow {
    fn into_report(self) -> Option<Report> {
        Some(Report {
            id: self.id,
            guild: GuildId::from_db(self.guild_id),
            reporter: self.reporter_id.map(UserId::from_db),
            named: self.named != 0,
            kind: ReportKind::parse(&self.kind)?,
            note: self.note,
            channel: ChannelId::from_db(self.channel_id),
            message: self.message_id as u64,
            author: self.author_id.map(UserId::from_db),
            excerpt: self.excerpt,
            status: ReportStatus::parse(&self.status)?,
            handled_by: self.handled_by.map(UserId::from_db),
            log_message: self.log_message_id.map(|m| m as u64),
            log_channel: self.log_channel_id.map(ChannelId::from_db),
            delivered: self.delivered != 0,
            at: DateTime::from_timestamp_millis(self.created_ms)?,
            about: self.about_rank.and_then(Tier::from_db),
        })
    }
}

const REPORT_COLUMNS: &str = "id, guild_id, reporter_id, named, kind, note, channel_id, message_id, author_id, excerpt, status, handled_by, log_message_id, log_channel_id, delivered, created_ms, about_rank";

impl Db {
    // ------------------------------------------------------------- cases

    /// Records a case under the server's next number.
    pub async fn add_case(&self, guild: GuildId, case: NewCase) -> StoreResult<Case> {
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let (number, _) = insert_case!(tx, guild, case, None::<i64>);
            tx.commit().await?;
            Ok(Case {
                number,
                kind: case.kind,
                moderator: case.moderator,
                target: case.target,
                channel: case.channel,
                reason: case.reason,
                at: DateTime::from_timestamp_millis(case.at.timestamp_millis()).unwrap_or(case.at),
                until: case
                    .until
                    .and_then(|u| DateTime::from_timestamp_millis(u.timestamp_millis())),
                log_message: None,
                log_channel: None,
                edited_by: None,
                amendments: Vec::new(),
            })
        })
    }

    /// Records the case job `job` makes, once: when that job already
    /// recorded it (it was taken over after its process died, or runs a
    /// second time), returns that case as it is, its log post included.
    pub async fn add_job_case(&self, guild: GuildId, case: NewCase, job: i64) -> StoreResult<Case> {
        on_pool!(self, |pool| {
            let recorded = || {
                sqlx::query_as::<_, CaseRow>(sqlx::AssertSqlSafe(format!(
                    "SELECT {CASE_COLUMNS} FROM mod_cases WHERE guild_id = $1 AND job_id = $2"
                )))
                .bind(guild.as_db())
                .bind(job)
            };
            if let Some(case) = recorded()
                .fetch_optional(pool)
                .await?
                .and_then(CaseRow::into_case)
            {
                return Ok(case);
            }
            let mut tx = pool.begin().await?;
            let (_, added) = insert_case!(tx, guild, case, Some(job));
            if !added {
                // Another run recorded it meanwhile: its number stays unused.
                tx.rollback().await?;
            } else {
                tx.commit().await?;
            }
            recorded()
                .fetch_optional(pool)
                .await?
                .and_then(CaseRow::into_case)
                .ok_or(sqlx::Error::RowNotFound.into())
        })
    }

    /// Remembers the log channel's embed for a case (to edit it later).
    pub async fn set_case_log_message(
        &self,
        guild: GuildId,
        number: i64,
        channel: ChannelId,
        message: u64,
    ) -> StoreResult<()> {
        on_pool!(self, |pool| {
            sqlx::query("UPDATE mod_cases SET log_message_id = $1, log_channel_id = $2 WHERE guild_id = $3 AND number = $4")
            .bind(message as i64)
            .bind(channel.as_db())
            .bind(guild.as_db())
            .bind(number)
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    pub async fn case(&self, guild: GuildId, number: i64) -> StoreResult<Option<Case>> {
        on_pool!(self, |pool| {
            let row: Option<CaseRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {CASE_COLUMNS} FROM mod_cases WHERE guild_id = $1 AND number = $2"
            )))
            .bind(guild.as_db())
            .bind(number)
            .fetch_optional(pool)
            .await?;
            let found: Vec<Case> = row.and_then(CaseRow::into_case).into_iter().collect();
            Ok(self.with_amendments(guild, found).await?.pop())
        })
    }

    /// The newest case of a kind about a member or a channel (the one that
    /// set a time, when the time is up).
    pub async fn latest_case(
        &self,
        guild: GuildId,
        kind: CaseKind,
        target: Option<UserId>,
        channel: Option<ChannelId>,
    ) -> StoreResult<Option<Case>> {
        on_pool!(self, |pool| {
            let row: Option<CaseRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {CASE_COLUMNS} FROM mod_cases WHERE guild_id = $1 AND kind = $2
               AND ($3 IS NULL OR target_id = $3) AND ($4 IS NULL OR channel_id = $4)
             ORDER BY number DESC LIMIT 1"
            )))
            .bind(guild.as_db())
            .bind(kind.as_str())
            .bind(target.map(UserId::as_db))
            .bind(channel.map(ChannelId::as_db))
            .fetch_optional(pool)
            .await?;
            Ok(row.and_then(CaseRow::into_case))
        })
    }

    /// Amends a case's reason (`by`: the facilitator who did, `at`: when):
    /// the original and every earlier amendment stay. Returns the case as it
    /// now reads, with its amendments.
    pub async fn amend_case(
        &self,
        guild: GuildId,
        number: i64,
        reason: &str,
        by: UserId,
        at: DateTime<Utc>,
    ) -> StoreResult<Option<Case>> {
        on_pool!(self, |pool| {
            let added = sqlx::query(
                "INSERT INTO mod_case_amendments (guild_id, number, amended_by, reason, created_ms)
                 SELECT guild_id, number, $3, $4, $5 FROM mod_cases WHERE guild_id = $1 AND number = $2",
            )
            .bind(guild.as_db())
            .bind(number)
            .bind(by.as_db())
            .bind(reason)
            .bind(at.timestamp_millis())
            .execute(pool)
            .await?
            .rows_affected();
            if added == 0 {
                return Ok(None);
            }
            self.case(guild, number).await
        })
    }

    /// Fills in the amendments of `cases` (all of one server).
    async fn with_amendments(
        &self,
        guild: GuildId,
        mut cases: Vec<Case>,
    ) -> StoreResult<Vec<Case>> {
        if cases.is_empty() {
            return Ok(cases);
        }
        let numbers: Vec<i64> = cases.iter().map(|c| c.number).collect();
        let rows: Vec<(i64, Option<i64>, String, i64)> = on_pool!(self, |pool| {
            let list = numbers
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(", ");
            Ok::<_, super::StoreError>(
                sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT number, amended_by, reason, created_ms FROM mod_case_amendments
                     WHERE guild_id = $1 AND number IN ({list}) ORDER BY created_ms, reason"
                )))
                .bind(guild.as_db())
                .fetch_all(pool)
                .await?,
            )
        })?;
        for (number, by, reason, at) in rows {
            if let (Some(case), Some(at)) = (
                cases.iter_mut().find(|c| c.number == number),
                DateTime::from_timestamp_millis(at),
            ) {
                case.amendments.push(crate::domain::moderation::Amendment {
                    by: by.map(UserId::from_db),
                    at,
                    reason,
                });
            }
        }
        Ok(cases)
    }

    /// The newest `limit` cases about a member, newest first.
    pub async fn cases_about(
        &self,
        guild: GuildId,
        member: UserId,
        limit: i64,
    ) -> StoreResult<Vec<Case>> {
        on_pool!(self, |pool| {
            let rows: Vec<CaseRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {CASE_COLUMNS} FROM mod_cases WHERE guild_id = $1 AND target_id = $2
             ORDER BY created_ms DESC, number DESC LIMIT $3"
            )))
            .bind(guild.as_db())
            .bind(member.as_db())
            .bind(limit)
            .fetch_all(pool)
            .await?;
            self.with_amendments(
                guild,
                rows.into_iter().filter_map(CaseRow::into_case).collect(),
            )
            .await
        })
    }

    /// How many cases there are about a member, and how many of them are
    /// warnings given since `since`.
    pub async fn case_counts(
        &self,
        guild: GuildId,
        member: UserId,
        since: DateTime<Utc>,
    ) -> StoreResult<(i64, i64)> {
        on_pool!(self, |pool| {
            let (all, warnings): (i64, i64) = sqlx::query_as(
                "SELECT COUNT(*), COUNT(CASE WHEN kind = 'warn' AND created_ms > $1 THEN 1 END)
             FROM mod_cases WHERE guild_id = $2 AND target_id = $3",
            )
            .bind(since.timestamp_millis())
            .bind(guild.as_db())
            .bind(member.as_db())
            .fetch_one(pool)
            .await?;
            Ok((all, warnings))
        })
    }

    // ------------------------------------------------------------- notes

    pub async fn add_note(
        &self,
        guild: GuildId,
        author: UserId,
        target: UserId,
        text: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<Note> {
        on_pool!(self, |pool| {
            let id: i64 = sqlx::query_scalar(
            "INSERT INTO mod_notes (guild_id, author_id, target_id, text, created_ms) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(guild.as_db())
        .bind(author.as_db())
        .bind(target.as_db())
        .bind(text)
        .bind(at.timestamp_millis())
        .fetch_one(pool)
        .await?;
            Ok(Note {
                id,
                author,
                target,
                text: text.to_owned(),
                at: DateTime::from_timestamp_millis(at.timestamp_millis()).unwrap_or(at),
            })
        })
    }

    /// The newest `limit` notes about a member, newest first.
    pub async fn notes_about(
        &self,
        guild: GuildId,
        member: UserId,
        limit: i64,
    ) -> StoreResult<Vec<Note>> {
        on_pool!(self, |pool| {
            let rows: Vec<(i64, i64, i64, String, i64)> = sqlx::query_as(
            "SELECT id, author_id, target_id, text, created_ms FROM mod_notes WHERE guild_id = $1 AND target_id = $2
             ORDER BY created_ms DESC, id DESC LIMIT $3",
        )
        .bind(guild.as_db())
        .bind(member.as_db())
        .bind(limit)
        .fetch_all(pool)
        .await?;
            Ok(rows
                .into_iter()
                .filter_map(|(id, author, target, text, ms)| {
                    Some(Note {
                        id,
                        author: UserId::from_db(author),
                        target: UserId::from_db(target),
                        text,
                        at: DateTime::from_timestamp_millis(ms)?,
                    })
                })
                .collect())
        })
    }

    // ----------------------------------------------------------- reports

    /// Files a report from a draft, in one transaction that SQLite runs
    /// alone (`BEGIN IMMEDIATE`): the reporter's count in the window is
    /// read and the report written with nothing in between, so forms sent at
    /// the same instant cannot pass the limit together. The draft is taken
    /// (a form sent twice, or by someone else, finds nothing), and the
    /// report's delivery job planned for `retry_at` (the form's answer
    /// claims it at once; the scheduler takes it after a failure or a
    /// restart). An anonymous report plans its reporter's unlinking.
    pub async fn file_report(&self, form: &ReportForm) -> StoreResult<Filing> {
        on_pool!(self, |pool| {
            // Alone with other filings by the same reporter (their limit).
            let mut tx = pool
                .begin_alone(super::alone::REPORTS ^ form.reporter.as_db())
                .await?;
            let made: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM mod_reports WHERE reporter_id = $1 AND created_ms > $2",
            )
            .bind(form.reporter.as_db())
            .bind(form.window_start.timestamp_millis())
            .fetch_one(&mut *tx)
            .await?;
            if made >= form.limit {
                return Ok(Filing::TooMany);
            }
            let draft: Option<(i64, i64, i64, i64, String)> = sqlx::query_as(
                "DELETE FROM mod_report_drafts WHERE id = $1 AND reporter_id = $2 AND guild_id = $3
             RETURNING channel_id, message_id, author_id, created_ms, excerpt",
            )
            .bind(form.draft)
            .bind(form.reporter.as_db())
            .bind(form.guild.as_db())
            .fetch_optional(&mut *tx)
            .await?;
            let Some((channel, message, author, _, excerpt)) = draft else {
                return Ok(Filing::NoDraft);
            };
            let new = NewReport {
                guild: form.guild,
                reporter: form.reporter,
                named: form.named,
                kind: form.kind,
                note: form.note.clone(),
                channel: ChannelId::from_db(channel),
                message: message as u64,
                // 0: a message whose author Haven cannot tell (a webhook's).
                author: (author != 0).then(|| UserId::from_db(author)),
                excerpt,
                at: form.at,
            };
            let id: i64 = sqlx::query_scalar(
            "INSERT INTO mod_reports (guild_id, reporter_id, named, kind, note, channel_id, message_id, author_id, excerpt, created_ms, delivered)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 0) RETURNING id",
        )
        .bind(new.guild.as_db())
        .bind(new.reporter.as_db())
        .bind(i64::from(new.named))
        .bind(new.kind.as_str())
        .bind(&new.note)
        .bind(new.channel.as_db())
        .bind(new.message as i64)
        .bind(new.author.map(UserId::as_db))
        .bind(&new.excerpt)
        .bind(new.at.timestamp_millis())
        .fetch_one(&mut *tx)
        .await?;
            let job: i64 = sqlx::query_scalar(
                "INSERT INTO jobs (kind, guild_id, target_id, occurrence, due_ms, planned_ms)
             VALUES ('report_delivery', $1, $2, $3, $4, $4) RETURNING id",
            )
            .bind(new.guild.as_db())
            .bind(id)
            .bind(new.at.timestamp())
            .bind(form.retry_at.timestamp_millis())
            .fetch_one(&mut *tx)
            .await?;
            if !new.named {
                plan_tidy!(tx, new.at + Duration::minutes(REPORT_WINDOW_MINUTES));
            }
            tx.commit().await?;
            let mut report = new.unsaved();
            report.id = id;
            Ok(Filing::Filed { report, job })
        })
    }

    /// Keeps what the report menu saw until the form comes back (`id`: the
    /// menu's interaction, which the form names), and plans its deletion
    /// once its hour is up.
    pub async fn add_report_draft(&self, id: i64, draft: &ReportDraft) -> StoreResult<()> {
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            sqlx::query(
            "INSERT INTO mod_report_drafts (id, guild_id, reporter_id, channel_id, message_id, author_id, excerpt, created_ms)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(id)
        .bind(draft.guild.as_db())
        .bind(draft.reporter.as_db())
        .bind(draft.channel.as_db())
        .bind(draft.message as i64)
        .bind(draft.author.as_db())
        .bind(&draft.excerpt)
        .bind(draft.at.timestamp_millis())
        .execute(&mut *tx)
        .await?;
            plan_tidy!(tx, draft.at + Duration::minutes(DRAFT_MINUTES));
            tx.commit().await?;
            Ok(())
        })
    }

    /// Whether the reporter's draft is there (a plain read, no lock).
    pub async fn has_report_draft(&self, id: i64, reporter: UserId) -> StoreResult<bool> {
        on_pool!(self, |pool| {
            Ok(sqlx::query_scalar::<_, i64>(
                "SELECT COUNT(*) FROM mod_report_drafts WHERE id = $1 AND reporter_id = $2",
            )
            .bind(id)
            .bind(reporter.as_db())
            .fetch_one(pool)
            .await?
                > 0)
        })
    }

    /// Whether an earlier report about the same message has paged the
    /// facilitators already (one ping per message).
    pub async fn paged_before(&self, report: &Report) -> StoreResult<bool> {
        on_pool!(self, |pool| {
            Ok(sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM mod_reports WHERE guild_id = $1 AND message_id = $2 AND id < $3 AND kind = $4",
        )
        .bind(report.guild.as_db())
        .bind(report.message as i64)
        .bind(report.id)
        .bind(ReportKind::NeedsSupport.as_str())
        .fetch_one(pool)
        .await?
            > 0)
        })
    }

    /// Takes (reads and deletes) the reporter's own draft: a form sent twice,
    /// or by someone else, finds nothing.
    pub async fn take_report_draft(
        &self,
        id: i64,
        reporter: UserId,
    ) -> StoreResult<Option<ReportDraft>> {
        on_pool!(self, |pool| {
            let row: Option<(i64, i64, i64, i64, i64, String, i64)> = sqlx::query_as(
            "DELETE FROM mod_report_drafts WHERE id = $1 AND reporter_id = $2
             RETURNING guild_id, reporter_id, channel_id, message_id, author_id, excerpt, created_ms",
        )
        .bind(id)
        .bind(reporter.as_db())
        .fetch_optional(pool)
        .await?;
            Ok(row.and_then(|(g, r, c, m, a, excerpt, at)| {
                Some(ReportDraft {
                    guild: GuildId::from_db(g),
                    reporter: UserId::from_db(r),
                    channel: ChannelId::from_db(c),
                    message: m as u64,
                    author: UserId::from_db(a),
                    excerpt,
                    at: DateTime::from_timestamp_millis(at)?,
                })
            }))
        })
    }

    /// Drafts whose form never came back, older than `before`, deleted.
    pub async fn purge_report_drafts(&self, before: DateTime<Utc>) -> StoreResult<u64> {
        on_pool!(self, |pool| {
            Ok(
                sqlx::query("DELETE FROM mod_report_drafts WHERE created_ms < $1")
                    .bind(before.timestamp_millis())
                    .execute(pool)
                    .await?
                    .rows_affected(),
            )
        })
    }

    /// The report reached someone: it is not delivered again.
    pub async fn set_report_delivered(&self, id: i64) -> StoreResult<()> {
        on_pool!(self, |pool| {
            sqlx::query("UPDATE mod_reports SET delivered = 1 WHERE id = $1")
                .bind(id)
                .execute(pool)
                .await?;
            Ok(())
        })
    }

    /// How many reports the member made since `since` (the rate limit).
    pub async fn reports_made_since(
        &self,
        reporter: UserId,
        since: DateTime<Utc>,
    ) -> StoreResult<i64> {
        on_pool!(self, |pool| {
            Ok(sqlx::query_scalar(
                "SELECT COUNT(*) FROM mod_reports WHERE reporter_id = $1 AND created_ms > $2",
            )
            .bind(reporter.as_db())
            .bind(since.timestamp_millis())
            .fetch_one(pool)
            .await?)
        })
    }

    /// Reports the member made under their name that were posted to a log
    /// channel or sent by DM (so a forget can take their name off those
    /// posts too).
    pub async fn named_reports_by(&self, reporter: UserId) -> StoreResult<Vec<Report>> {
        on_pool!(self, |pool| {
            let rows: Vec<ReportRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {REPORT_COLUMNS} FROM mod_reports r WHERE reporter_id = $1 AND named = 1
               AND (log_message_id IS NOT NULL OR EXISTS (SELECT 1 FROM mod_report_copies c WHERE c.report_id = r.id))"
        )))
        .bind(reporter.as_db())
        .fetch_all(pool)
        .await?;
            Ok(rows
                .into_iter()
                .filter_map(ReportRow::into_report)
                .collect())
        })
    }

    pub async fn report(&self, id: i64) -> StoreResult<Option<Report>> {
        on_pool!(self, |pool| {
            let row: Option<ReportRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {REPORT_COLUMNS} FROM mod_reports WHERE id = $1"
            )))
            .bind(id)
            .fetch_optional(pool)
            .await?;
            Ok(row.and_then(ReportRow::into_report))
        })
    }

    pub async fn set_report_log_message(
        &self,
        id: i64,
        channel: ChannelId,
        message: u64,
    ) -> StoreResult<()> {
        on_pool!(self, |pool| {
            sqlx::query(
                "UPDATE mod_reports SET log_message_id = $1, log_channel_id = $2 WHERE id = $3",
            )
            .bind(message as i64)
            .bind(channel.as_db())
            .bind(id)
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    /// A copy of a report sent by DM to `recipient`.
    pub async fn add_report_copy(
        &self,
        report: &Report,
        recipient: UserId,
        channel: ChannelId,
        message: u64,
    ) -> StoreResult<()> {
        on_pool!(self, |pool| {
            sqlx::query(
            "INSERT INTO mod_report_copies (report_id, guild_id, channel_id, message_id, recipient_id)
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
        )
        .bind(report.id)
        .bind(report.guild.as_db())
        .bind(channel.as_db())
        .bind(message as i64)
        .bind(recipient.as_db())
        .execute(pool)
        .await?;
            Ok(())
        })
    }

    /// The DM copies of a report: (channel, message, recipient while known).
    pub async fn report_copies(
        &self,
        report: i64,
    ) -> StoreResult<Vec<(ChannelId, u64, Option<UserId>)>> {
        on_pool!(self, |pool| {
            let rows: Vec<(i64, i64, Option<i64>)> = sqlx::query_as(
            "SELECT channel_id, message_id, recipient_id FROM mod_report_copies WHERE report_id = $1 ORDER BY message_id",
        )
        .bind(report)
        .fetch_all(pool)
        .await?;
            Ok(rows
                .into_iter()
                .map(|(c, m, r)| (ChannelId::from_db(c), m as u64, r.map(UserId::from_db)))
                .collect())
        })
    }

    /// Keeps the rank of the person a report is about, as it was routed.
    pub async fn set_report_about(&self, id: i64, about: Tier) -> StoreResult<()> {
        on_pool!(self, |pool| {
            sqlx::query("UPDATE mod_reports SET about_rank = $1 WHERE id = $2")
                .bind(about.as_db())
                .bind(id)
                .execute(pool)
                .await?;
            Ok(())
        })
    }

    /// A server's reports not yet resolved, newest first (at most `limit`).
    pub async fn open_reports(&self, guild: GuildId, limit: i64) -> StoreResult<Vec<Report>> {
        on_pool!(self, |pool| {
            let rows: Vec<ReportRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {REPORT_COLUMNS} FROM mod_reports WHERE guild_id = $1 AND status != 'resolved'
                 ORDER BY created_ms DESC, id DESC LIMIT $2"
            )))
            .bind(guild.as_db())
            .bind(limit)
            .fetch_all(pool)
            .await?;
            Ok(rows
                .into_iter()
                .filter_map(ReportRow::into_report)
                .collect())
        })
    }

    /// Marks a report acknowledged or resolved by a facilitator.
    /// Marks a report of this server (never another server's, whatever
    /// id a button carries).
    pub async fn set_report_status(
        &self,
        guild: GuildId,
        id: i64,
        status: ReportStatus,
        by: UserId,
    ) -> StoreResult<Option<Report>> {
        on_pool!(self, |pool| {
            let row: Option<ReportRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "UPDATE mod_reports SET status = $1, handled_by = $2 WHERE id = $3 AND guild_id = $4 RETURNING {REPORT_COLUMNS}"
        )))
        .bind(status.as_str())
        .bind(by.as_db())
        .bind(id)
        .bind(guild.as_db())
        .fetch_optional(pool)
        .await?;
            Ok(row.and_then(ReportRow::into_report))
        })
    }

    // ------------------------------------------------- locks and slowmode

    /// Keeps what a lock changed. A channel locked again keeps its first
    /// "before" (the state to return to), only its end moves.
    pub async fn save_lock(&self, lock: &SavedLock, at: DateTime<Utc>) -> StoreResult<SavedLock> {
        on_pool!(self, |pool| {
            let before: Vec<SavedOverwrite> = lock
                .before
                .iter()
                .map(|&(role, before)| SavedOverwrite { role, before })
                .collect();
            let json = serde_json::to_string(&before).unwrap_or_else(|_| "[]".into());
            sqlx::query(
            "INSERT INTO mod_locks (channel_id, guild_id, before, created_ms, until_ms) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (channel_id) DO UPDATE SET until_ms = excluded.until_ms",
        )
        .bind(lock.channel.as_db())
        .bind(lock.guild.as_db())
        .bind(json)
        .bind(at.timestamp_millis())
        .bind(lock.until.map(|u| u.timestamp_millis()))
        .execute(pool)
        .await?;
            Ok(self
                .lock(lock.channel)
                .await?
                .unwrap_or_else(|| lock.clone()))
        })
    }

    /// The channel's lock, if it is locked through Haven.
    pub async fn lock(&self, channel: ChannelId) -> StoreResult<Option<SavedLock>> {
        on_pool!(self, |pool| {
            let row: Option<(i64, String, Option<i64>)> = sqlx::query_as(
                "SELECT guild_id, before, until_ms FROM mod_locks WHERE channel_id = $1",
            )
            .bind(channel.as_db())
            .fetch_optional(pool)
            .await?;
            Ok(row.map(|(guild, before, until)| saved_lock(guild, channel, &before, until)))
        })
    }

    /// Cancels a lock's timer (a human changed the channel by hand), keeping
    /// what it changed so `/mod unlock` can still put back what is left.
    pub async fn cancel_lock_timer(&self, channel: ChannelId) -> StoreResult<()> {
        on_pool!(self, |pool| {
            sqlx::query("UPDATE mod_locks SET until_ms = NULL WHERE channel_id = $1")
                .bind(channel.as_db())
                .execute(pool)
                .await?;
            Ok(())
        })
    }

    /// Forgets a channel's lock once it has been undone; returns what it was.
    pub async fn remove_lock(&self, channel: ChannelId) -> StoreResult<Option<SavedLock>> {
        on_pool!(self, |pool| {
            let row: Option<(i64, String, Option<i64>)> = sqlx::query_as(
                "DELETE FROM mod_locks WHERE channel_id = $1 RETURNING guild_id, before, until_ms",
            )
            .bind(channel.as_db())
            .fetch_optional(pool)
            .await?;
            Ok(row.map(|(guild, before, until)| saved_lock(guild, channel, &before, until)))
        })
    }

    /// Keeps the slowmode a timed one returns to. A channel slowed again
    /// before the first returned keeps the first "before".
    pub async fn save_slowmode_revert(
        &self,
        guild: GuildId,
        channel: ChannelId,
        revert: SlowmodeRevert,
    ) -> StoreResult<()> {
        on_pool!(self, |pool| {
            sqlx::query(
            "INSERT INTO mod_slowmodes (channel_id, guild_id, before_seconds, until_ms, set_seconds) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (channel_id) DO UPDATE SET until_ms = excluded.until_ms, set_seconds = excluded.set_seconds",
        )
        .bind(channel.as_db())
        .bind(guild.as_db())
        .bind(i64::from(revert.before))
        .bind(revert.until.timestamp_millis())
        .bind(revert.set.map(i64::from))
        .execute(pool)
        .await?;
            Ok(())
        })
    }

    /// The pending revert of a channel's slowmode.
    pub async fn slowmode_revert(&self, channel: ChannelId) -> StoreResult<Option<SlowmodeRevert>> {
        on_pool!(self, |pool| {
            let row: Option<(i64, i64, Option<i64>)> = sqlx::query_as(
                "SELECT before_seconds, until_ms, set_seconds FROM mod_slowmodes WHERE channel_id = $1",
            )
            .bind(channel.as_db())
            .fetch_optional(pool)
            .await?;
            Ok(row.and_then(|(before, ms, set)| {
                Some(SlowmodeRevert {
                    before: u32::try_from(before).ok()?,
                    until: DateTime::from_timestamp_millis(ms)?,
                    set: set.and_then(|s| u32::try_from(s).ok()),
                })
            }))
        })
    }

    /// Forgets a channel's pending slowmode revert (done, or replaced by a
    /// slowmode set without `for`).
    pub async fn remove_slowmode_revert(&self, channel: ChannelId) -> StoreResult<()> {
        on_pool!(self, |pool| {
            sqlx::query("DELETE FROM mod_slowmodes WHERE channel_id = $1")
                .bind(channel.as_db())
                .execute(pool)
                .await?;
            Ok(())
        })
    }

    // ---------------------------------------------------------- tempbans

    /// Keeps a temporary ban's end and the reason Haven sends with it.
    pub async fn set_tempban(
        &self,
        guild: GuildId,
        member: UserId,
        until: DateTime<Utc>,
        reason: Option<&str>,
    ) -> StoreResult<()> {
        on_pool!(self, |pool| {
            sqlx::query(
                "INSERT INTO mod_tempbans (guild_id, user_id, until_ms, reason) VALUES ($1, $2, $3, $4)
             ON CONFLICT (guild_id, user_id) DO UPDATE SET until_ms = excluded.until_ms, reason = excluded.reason, lifting_ms = NULL",
            )
            .bind(guild.as_db())
            .bind(member.as_db())
            .bind(until.timestamp_millis())
            .bind(reason)
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    /// Puts a temporary ban's end back to `before` (none: no temporary
    /// ban), only if it is still the `written` one: in one statement, so
    /// another facilitator's ban that succeeded meanwhile keeps its own end.
    pub async fn restore_tempban(
        &self,
        guild: GuildId,
        member: UserId,
        written: DateTime<Utc>,
        before: Option<DateTime<Utc>>,
    ) -> StoreResult<()> {
        on_pool!(self, |pool| {
            let statement = match before {
                Some(_) => {
                    "UPDATE mod_tempbans SET until_ms = $4 WHERE guild_id = $1 AND user_id = $2 AND until_ms = $3"
                }
                None => {
                    "DELETE FROM mod_tempbans WHERE guild_id = $1 AND user_id = $2 AND until_ms = $3"
                }
            };
            let mut query = sqlx::query(statement)
                .bind(guild.as_db())
                .bind(member.as_db())
                .bind(written.timestamp_millis());
            if let Some(before) = before {
                query = query.bind(before.timestamp_millis());
            }
            query.execute(pool).await?;
            Ok(())
        })
    }

    /// When a member's temporary ban ends, if they have one.
    pub async fn tempban(
        &self,
        guild: GuildId,
        member: UserId,
    ) -> StoreResult<Option<DateTime<Utc>>> {
        on_pool!(self, |pool| {
            let ms: Option<i64> = sqlx::query_scalar(
                "SELECT until_ms FROM mod_tempbans WHERE guild_id = $1 AND user_id = $2",
            )
            .bind(guild.as_db())
            .bind(member.as_db())
            .fetch_optional(pool)
            .await?;
            Ok(ms.and_then(DateTime::from_timestamp_millis))
        })
    }

    /// A member's temporary ban with the reason Haven sent, if they have one.
    pub async fn tempban_of(&self, guild: GuildId, member: UserId) -> StoreResult<Option<Tempban>> {
        on_pool!(self, |pool| {
            let row: Option<(i64, Option<String>, Option<i64>)> = sqlx::query_as(
                "SELECT until_ms, reason, lifting_ms FROM mod_tempbans WHERE guild_id = $1 AND user_id = $2",
            )
            .bind(guild.as_db())
            .bind(member.as_db())
            .fetch_optional(pool)
            .await?;
            Ok(row.and_then(|(ms, reason, lifting)| {
                Some(Tempban {
                    until: DateTime::from_timestamp_millis(ms)?,
                    reason,
                    lifting: lifting.is_some(),
                })
            }))
        })
    }

    /// Marks (at `at`) or clears Haven's own unban of a temporary ban.
    pub async fn mark_tempban_lifting(
        &self,
        guild: GuildId,
        member: UserId,
        at: Option<DateTime<Utc>>,
    ) -> StoreResult<()> {
        on_pool!(self, |pool| {
            sqlx::query(
                "UPDATE mod_tempbans SET lifting_ms = $3 WHERE guild_id = $1 AND user_id = $2",
            )
            .bind(guild.as_db())
            .bind(member.as_db())
            .bind(at.map(|a| a.timestamp_millis()))
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    /// Forgets a temporary ban (lifted, or unbanned by hand, or made permanent).
    pub async fn remove_tempban(&self, guild: GuildId, member: UserId) -> StoreResult<()> {
        on_pool!(self, |pool| {
            sqlx::query("DELETE FROM mod_tempbans WHERE guild_id = $1 AND user_id = $2")
                .bind(guild.as_db())
                .bind(member.as_db())
                .execute(pool)
                .await?;
            Ok(())
        })
    }

    // -------------------------------------------------------- guidelines

    pub async fn guidelines(&self, guild: GuildId) -> StoreResult<Option<String>> {
        on_pool!(self, |pool| {
            Ok(
                sqlx::query_scalar("SELECT text FROM guidelines WHERE guild_id = $1")
                    .bind(guild.as_db())
                    .fetch_optional(pool)
                    .await?,
            )
        })
    }

    pub async fn set_guidelines(
        &self,
        guild: GuildId,
        text: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        on_pool!(self, |pool| {
            sqlx::query(
            "INSERT INTO guidelines (guild_id, text, updated_ms) VALUES ($1, $2, $3)
             ON CONFLICT (guild_id) DO UPDATE SET text = excluded.text, updated_ms = excluded.updated_ms",
        )
        .bind(guild.as_db())
        .bind(text)
        .bind(at.timestamp_millis())
        .execute(pool)
        .await?;
            Ok(())
        })
    }

    // ---------------------------------------------------- retention, privacy

    /// How long the server keeps moderation records, in days.
    pub async fn mod_retention_days(&self, guild: GuildId) -> StoreResult<i64> {
        on_pool!(self, |pool| {
            let days: Option<i64> = sqlx::query_scalar(
                "SELECT mod_retention_days FROM guild_settings WHERE guild_id = $1",
            )
            .bind(guild.as_db())
            .fetch_optional(pool)
            .await?;
            Ok(days.unwrap_or(DEFAULT_RETENTION_DAYS))
        })
    }

    /// Forgets who made the reports they chose not to be named on, once
    /// those are older than `before` (the rate limit's window): after that
    /// nothing links an anonymous report to its reporter. Returns how many.
    pub async fn unlink_anonymous_reporters(&self, before: DateTime<Utc>) -> StoreResult<u64> {
        on_pool!(self, |pool| {
            Ok(sqlx::query(
                "UPDATE mod_reports SET reporter_id = NULL
             WHERE named = 0 AND reporter_id IS NOT NULL AND created_ms < $1",
            )
            .bind(before.timestamp_millis())
            .execute(pool)
            .await?
            .rows_affected())
        })
    }

    /// Sets how long the server keeps moderation records, in days.
    pub async fn set_mod_retention_days(
        &self,
        guild: GuildId,
        days: i64,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        on_pool!(self, |pool| {
            sqlx::query(
            "INSERT INTO guild_settings (guild_id, mod_retention_days, updated_at) VALUES ($1, $2, $3)
             ON CONFLICT (guild_id) DO UPDATE SET mod_retention_days = $2, updated_at = $3",
        )
        .bind(guild.as_db())
        .bind(days)
        .bind(now)
        .execute(pool)
        .await?;
            Ok(())
        })
    }

    /// Deletes cases, notes and reports older than their server's retention.
    /// Returns how many records went.
    /// Their posts in the log channel are queued for deletion from Discord
    /// in the same transaction ([`Self::log_posts_to_remove`]).
    pub async fn purge_moderation(&self, now: DateTime<Utc>) -> StoreResult<u64> {
        on_pool!(self, |pool| {
            let now_ms = now.timestamp_millis();
            let default_ms = Duration::days(DEFAULT_RETENTION_DAYS).num_milliseconds();
            let expired = |table: &str| {
                format!(
                "{table}.created_ms < $1 - COALESCE(
                    (SELECT s.mod_retention_days * 86400000 FROM guild_settings s WHERE s.guild_id = {table}.guild_id), $2)"
            )
            };
            let mut tx = pool.begin().await?;
            for table in ["mod_cases", "mod_reports"] {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "INSERT INTO mod_log_cleanup (guild_id, message_id, channel_id)
                 SELECT guild_id, log_message_id, log_channel_id FROM {table}
                 WHERE log_message_id IS NOT NULL AND {}
                 ON CONFLICT DO NOTHING",
                    expired(table)
                )))
                .bind(now_ms)
                .bind(default_ms)
                .execute(&mut *tx)
                .await?;
            }
            // Copies sent by DM go the same way (the rows go with their report).
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "INSERT INTO mod_log_cleanup (guild_id, message_id, channel_id)
             SELECT c.guild_id, c.message_id, c.channel_id
             FROM mod_report_copies c JOIN mod_reports ON mod_reports.id = c.report_id
             WHERE {}
             ON CONFLICT DO NOTHING",
                expired("mod_reports")
            )))
            .bind(now_ms)
            .bind(default_ms)
            .execute(&mut *tx)
            .await?;
            let mut deleted = 0;
            for table in ["mod_cases", "mod_notes", "mod_reports"] {
                deleted += sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DELETE FROM {table} WHERE {}",
                    expired(table)
                )))
                .bind(now_ms)
                .bind(default_ms)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            }
            // Amendments go with their case; a /cw post's author is not kept
            // past the retention either.
            deleted += sqlx::query(
                "DELETE FROM mod_case_amendments WHERE NOT EXISTS
                 (SELECT 1 FROM mod_cases c WHERE c.guild_id = mod_case_amendments.guild_id AND c.number = mod_case_amendments.number)",
            )
            .execute(&mut *tx)
            .await?
            .rows_affected();
            deleted += sqlx::query(sqlx::AssertSqlSafe(format!(
                "DELETE FROM cw_posts WHERE {}",
                expired("cw_posts")
            )))
            .bind(now_ms)
            .bind(default_ms)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            tx.commit().await?;
            Ok(deleted)
        })
    }

    /// Log-channel posts of records past their retention, oldest queued
    /// first, at most `limit`.
    /// The channel is none for posts recorded before Haven kept it (the log
    /// channel as set now).
    pub async fn log_posts_to_remove(
        &self,
        limit: i64,
    ) -> StoreResult<Vec<(GuildId, Option<ChannelId>, u64)>> {
        on_pool!(self, |pool| {
            let rows: Vec<(i64, Option<i64>, i64)> = sqlx::query_as(
            "SELECT guild_id, channel_id, message_id FROM mod_log_cleanup ORDER BY guild_id, message_id LIMIT $1",
        )
        .bind(limit)
        .fetch_all(pool)
        .await?;
            Ok(rows
                .into_iter()
                .map(|(g, c, m)| (GuildId::from_db(g), c.map(ChannelId::from_db), m as u64))
                .collect())
        })
    }

    /// A queued log-channel post is gone (deleted, or nowhere to delete it).
    pub async fn log_post_removed(&self, guild: GuildId, message: u64) -> StoreResult<()> {
        on_pool!(self, |pool| {
            sqlx::query("DELETE FROM mod_log_cleanup WHERE guild_id = $1 AND message_id = $2")
                .bind(guild.as_db())
                .bind(message as i64)
                .execute(pool)
                .await?;
            Ok(())
        })
    }

    /// Moderation records tied to a member, per server: counted, never shown
    /// (what facilitators wrote stays with them), with their retention.
    pub async fn moderation_records(&self, member: UserId) -> StoreResult<Vec<StoredModeration>> {
        on_pool!(self, |pool| {
            let rows: Vec<(i64, i64, i64, i64, i64, Option<i64>)> = sqlx::query_as(
            "SELECT g.guild_id,
                    (SELECT COUNT(*) FROM mod_cases c WHERE c.guild_id = g.guild_id AND c.target_id = $1),
                    (SELECT COUNT(*) FROM mod_notes n WHERE n.guild_id = g.guild_id AND n.target_id = $1),
                    (SELECT COUNT(*) FROM mod_reports r WHERE r.guild_id = g.guild_id AND r.reporter_id = $1),
                    (SELECT COUNT(*) FROM mod_reports r WHERE r.guild_id = g.guild_id AND r.author_id = $1),
                    (SELECT s.mod_retention_days FROM guild_settings s WHERE s.guild_id = g.guild_id)
             FROM (SELECT guild_id FROM mod_cases WHERE target_id = $1
                   UNION SELECT guild_id FROM mod_notes WHERE target_id = $1
                   UNION SELECT guild_id FROM mod_reports WHERE reporter_id = $1
                   UNION SELECT guild_id FROM mod_reports WHERE author_id = $1) g
             ORDER BY g.guild_id",
        )
        .bind(member.as_db())
        .fetch_all(pool)
        .await?;
            Ok(rows
                .into_iter()
                .map(
                    |(guild, cases_about, notes_about, reports_made, reports_about, days)| {
                        StoredModeration {
                            guild: GuildId::from_db(guild),
                            cases_about,
                            notes_about,
                            reports_made,
                            reports_about,
                            retention_days: days.unwrap_or(DEFAULT_RETENTION_DAYS),
                        }
                    },
                )
                .collect())
        })
    }
}

fn saved_lock(guild: i64, channel: ChannelId, before: &str, until: Option<i64>) -> SavedLock {
    let before: Vec<SavedOverwrite> = serde_json::from_str(before).unwrap_or_else(|e| {
        tracing::warn!(channel = channel.0, error = %e, "a saved lock could not be read; unlock will leave the overwrites as they are");
        Vec::new()
    });
    SavedLock {
        guild: GuildId::from_db(guild),
        channel,
        before: before.into_iter().map(|s| (s.role, s.before)).collect(),
        until: until.and_then(DateTime::from_timestamp_millis),
    }
}
