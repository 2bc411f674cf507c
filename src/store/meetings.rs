//! Meetings and their skipped dates.

use std::collections::BTreeSet;
use std::str::FromStr;

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Timelike, Utc};
use chrono_tz::Tz;

use super::{Db, StoreResult};
use crate::domain::meeting::{Meeting, MeetingId};
use crate::domain::recurrence::{Repeat, Schedule};
use crate::domain::reminders::Offsets;
use crate::domain::{ChannelId, GuildId, RoleId};

const LOCAL_FORMAT: &str = "%Y-%m-%dT%H:%M:%S";

#[derive(sqlx::FromRow)]
pub(super) struct Row {
    id: i64,
    guild_id: i64,
    channel_id: i64,
    title: String,
    zone: String,
    start_local: String,
    repeat: String,
    duration_min: i64,
    reminders: String,
    mention_role_id: Option<i64>,
    location: Option<String>,
    announcement_id: Option<i64>,
    // Flags are integers on both databases.
    reminders_enabled: i64,
    ended: i64,
}

macro_rules! select_meetings {
    ($where:literal) => {
        concat!(
            "SELECT id, guild_id, channel_id, title, zone, start_local, repeat, duration_min, reminders,
                    mention_role_id, location, announcement_id, reminders_enabled, ended FROM meetings ",
            $where
        )
    };
}

/// A meeting by id (`$1`), for reading inside another aggregate's
/// transaction; its skipped dates come from [`SELECT_SKIPS`].
pub(super) const SELECT_MEETING: &str = select_meetings!("WHERE id = $1");
pub(super) const SELECT_SKIPS: &str = "SELECT local_date FROM meeting_skips WHERE meeting_id = $1";

/// Skipped dates as stored.
pub(super) fn parse_skips(dates: &[String]) -> BTreeSet<NaiveDate> {
    dates
        .iter()
        .filter_map(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .collect()
}

impl Row {
    pub(super) fn into_meeting(self, skips: BTreeSet<NaiveDate>) -> Option<Meeting> {
        let zone = Tz::from_str(&self.zone).ok()?;
        let start = NaiveDateTime::parse_from_str(&self.start_local, LOCAL_FORMAT).ok()?;
        let repeat = Repeat::parse(&self.repeat)?;
        Some(Meeting {
            id: MeetingId(self.id),
            guild: GuildId::from_db(self.guild_id),
            channel: ChannelId::from_db(self.channel_id),
            title: self.title,
            schedule: Schedule {
                zone,
                start,
                repeat,
                skips,
            },
            duration: Duration::minutes(self.duration_min),
            reminders: Offsets::parse(&self.reminders)
                .unwrap_or_else(|_| Offsets::default_offsets()),
            mention_role: self.mention_role_id.map(RoleId::from_db),
            location: self.location,
            announcement: self.announcement_id.map(|id| id as u64),
            reminders_enabled: self.reminders_enabled != 0,
            ended: self.ended != 0,
        })
    }
}

/// What a facilitator asks for when creating a meeting.
#[derive(Debug, Clone)]
pub struct NewMeeting {
    pub guild: GuildId,
    pub channel: ChannelId,
    pub title: String,
    pub schedule: Schedule,
    pub duration: Duration,
    pub reminders: Offsets,
    pub mention_role: Option<RoleId>,
    pub location: Option<String>,
}

/// A facilitator's change to a meeting: only the fields given are written,
/// so two edits at once (or an edit and the scheduler) never undo each other.
#[derive(Debug, Clone, Default)]
pub struct MeetingEdit {
    pub title: Option<String>,
    pub zone: Option<Tz>,
    pub start: Option<NaiveDateTime>,
    pub repeat: Option<Repeat>,
    pub duration: Option<Duration>,
    pub reminders: Option<Offsets>,
    /// `Some(None)` stops mentioning a role.
    pub mention_role: Option<Option<RoleId>>,
    /// `Some(None)` removes the location.
    pub location: Option<Option<String>>,
    /// A new channel: reminders resume there and a new announcement is due.
    pub channel: Option<ChannelId>,
}

impl Db {
    pub async fn create_meeting(
        &self,
        new: &NewMeeting,
        now: DateTime<Utc>,
    ) -> StoreResult<Meeting> {
        on_pool!(self, |pool| {
            let id: i64 = sqlx::query_scalar(
            "INSERT INTO meetings (guild_id, channel_id, title, zone, start_local, repeat, duration_min, reminders,
                                   mention_role_id, location, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
        )
        .bind(new.guild.as_db())
        .bind(new.channel.as_db())
        .bind(&new.title)
        .bind(new.schedule.zone.name())
        .bind(new.schedule.start.format(LOCAL_FORMAT).to_string())
        .bind(new.schedule.repeat.as_str())
        .bind(new.duration.num_minutes())
        .bind(new.reminders.to_text())
        .bind(new.mention_role.map(RoleId::as_db))
        .bind(new.location.as_deref())
        .bind(now)
        .fetch_one(pool)
        .await?;
            Ok(Meeting {
                id: MeetingId(id),
                guild: new.guild,
                channel: new.channel,
                title: new.title.clone(),
                // As stored (whole seconds), so that what is planned from it
                // now matches what is read back later.
                schedule: crate::domain::recurrence::Schedule {
                    start: new
                        .schedule
                        .start
                        .with_nanosecond(0)
                        .unwrap_or(new.schedule.start),
                    ..new.schedule.clone()
                },
                duration: new.duration,
                reminders: new.reminders.clone(),
                mention_role: new.mention_role,
                location: new.location.clone(),
                announcement: None,
                reminders_enabled: true,
                ended: false,
            })
        })
    }

    /// A meeting by id, if it exists (ended or not).
    pub async fn meeting(&self, id: MeetingId) -> StoreResult<Option<Meeting>> {
        on_pool!(self, |pool| {
            let row: Option<Row> = sqlx::query_as(select_meetings!("WHERE id = $1"))
                .bind(id.0)
                .fetch_optional(pool)
                .await?;
            let Some(row) = row else { return Ok(None) };
            let skips = self.skips(id).await?;
            Ok(row.into_meeting(skips))
        })
    }

    /// The server's meetings whose title contains `text` (any case), for
    /// autocomplete; at most `limit`, newest first.
    pub async fn search_meetings(
        &self,
        guild: GuildId,
        text: &str,
        limit: i64,
    ) -> StoreResult<Vec<(MeetingId, String)>> {
        on_pool!(self, |pool| {
            let pattern = super::like_containing(text);
            let rows: Vec<(i64, String)> = sqlx::query_as(
            "SELECT id, title FROM meetings WHERE guild_id = $1 AND ended = 0
             AND (lower(title) LIKE lower($2) ESCAPE '\\' OR CAST(id AS TEXT) = $3) ORDER BY id DESC LIMIT $4",
        )
        .bind(guild.as_db())
        .bind(pattern)
        .bind(text.trim().trim_start_matches('#'))
        .bind(limit)
        .fetch_all(pool)
        .await?;
            Ok(rows
                .into_iter()
                .map(|(id, title)| (MeetingId(id), title))
                .collect())
        })
    }

    /// The server's meetings that have not ended, oldest first.
    pub async fn guild_meetings(&self, guild: GuildId) -> StoreResult<Vec<Meeting>> {
        on_pool!(self, |pool| {
            let rows: Vec<Row> = sqlx::query_as(select_meetings!(
                "WHERE guild_id = $1 AND ended = 0 ORDER BY id"
            ))
            .bind(guild.as_db())
            .fetch_all(pool)
            .await?;
            let mut out = Vec::with_capacity(rows.len());
            for row in rows {
                let skips = self.skips(MeetingId(row.id)).await?;
                out.extend(row.into_meeting(skips));
            }
            Ok(out)
        })
    }

    async fn skips(&self, id: MeetingId) -> StoreResult<BTreeSet<NaiveDate>> {
        on_pool!(self, |pool| {
            let dates: Vec<String> = sqlx::query_scalar(SELECT_SKIPS)
                .bind(id.0)
                .fetch_all(pool)
                .await?;
            Ok(parse_skips(&dates))
        })
    }

    /// Applies a facilitator's edit (only the fields it names) and returns
    /// the meeting as it now stands, or `None` if it no longer exists.
    pub async fn edit_meeting(
        &self,
        id: MeetingId,
        edit: &MeetingEdit,
    ) -> StoreResult<Option<Meeting>> {
        on_pool!(self, |pool| {
            let moved = edit.channel.is_some();
            sqlx::query(
                "UPDATE meetings SET
                title = COALESCE($2, title),
                zone = COALESCE($3, zone),
                start_local = COALESCE($4, start_local),
                repeat = COALESCE($5, repeat),
                duration_min = COALESCE($6, duration_min),
                reminders = COALESCE($7, reminders),
                mention_role_id = CASE WHEN $8 THEN $9 ELSE mention_role_id END,
                location = CASE WHEN $10 THEN $11 ELSE location END,
                channel_id = COALESCE($12, channel_id),
                reminders_enabled = CASE WHEN $13 THEN 1 ELSE reminders_enabled END,
                announcement_id = CASE WHEN $13 THEN NULL ELSE announcement_id END
             WHERE id = $1",
            )
            .bind(id.0)
            .bind(edit.title.as_deref())
            .bind(edit.zone.map(|z| z.name()))
            .bind(edit.start.map(|s| s.format(LOCAL_FORMAT).to_string()))
            .bind(edit.repeat.map(Repeat::as_str))
            .bind(edit.duration.map(|d| d.num_minutes()))
            .bind(edit.reminders.as_ref().map(Offsets::to_text))
            .bind(edit.mention_role.is_some())
            .bind(edit.mention_role.flatten().map(RoleId::as_db))
            .bind(edit.location.is_some())
            .bind(edit.location.clone().flatten())
            .bind(edit.channel.map(ChannelId::as_db))
            .bind(moved)
            .execute(pool)
            .await?;
            self.meeting(id).await
        })
    }

    /// Remembers the announcement posted for the meeting.
    pub async fn set_announcement(&self, id: MeetingId, message: u64) -> StoreResult<()> {
        on_pool!(self, |pool| {
            sqlx::query("UPDATE meetings SET announcement_id = $1 WHERE id = $2")
                .bind(message as i64)
                .bind(id.0)
                .execute(pool)
                .await?;
            Ok(())
        })
    }

    /// Pauses the meeting's reminders (its channel is gone or closed to Haven).
    pub async fn pause_reminders(&self, id: MeetingId) -> StoreResult<()> {
        on_pool!(self, |pool| {
            sqlx::query("UPDATE meetings SET reminders_enabled = 0 WHERE id = $1")
                .bind(id.0)
                .execute(pool)
                .await?;
            Ok(())
        })
    }

    /// Ends the series. Returns whether it was still going.
    pub async fn end_meeting(&self, id: MeetingId) -> StoreResult<bool> {
        on_pool!(self, |pool| {
            Ok(
                sqlx::query("UPDATE meetings SET ended = 1 WHERE id = $1 AND ended = 0")
                    .bind(id.0)
                    .execute(pool)
                    .await?
                    .rows_affected()
                    > 0,
            )
        })
    }

    pub async fn skip_occurrence(&self, id: MeetingId, date: NaiveDate) -> StoreResult<()> {
        on_pool!(self, |pool| {
            sqlx::query("INSERT INTO meeting_skips (meeting_id, local_date) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(id.0)
            .bind(date.format("%Y-%m-%d").to_string())
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    /// How many meetings are stored (for start-up logging and benchmarks).
    pub async fn meeting_count(&self) -> StoreResult<i64> {
        on_pool!(self, |pool| {
            Ok(sqlx::query_scalar("SELECT COUNT(*) FROM meetings")
                .fetch_one(pool)
                .await?)
        })
    }
}
