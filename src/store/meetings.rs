//! Meetings and their skipped dates.

use std::collections::BTreeSet;
use std::str::FromStr;

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Utc};
use chrono_tz::Tz;

use super::{Db, StoreResult};
use crate::domain::meeting::{Meeting, MeetingId};
use crate::domain::recurrence::{Repeat, Schedule};
use crate::domain::reminders::Offsets;
use crate::domain::{ChannelId, GuildId, RoleId};

const LOCAL_FORMAT: &str = "%Y-%m-%dT%H:%M:%S";

#[derive(sqlx::FromRow)]
struct Row {
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
    announcement_id: Option<i64>,
    reminders_enabled: bool,
    ended: bool,
}

macro_rules! select_meetings {
    ($where:literal) => {
        concat!(
            "SELECT id, guild_id, channel_id, title, zone, start_local, repeat, duration_min, reminders,
                    mention_role_id, announcement_id, reminders_enabled, ended FROM meetings ",
            $where
        )
    };
}

impl Row {
    fn into_meeting(self, skips: BTreeSet<NaiveDate>) -> Option<Meeting> {
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
            announcement: self.announcement_id.map(|id| id as u64),
            reminders_enabled: self.reminders_enabled,
            ended: self.ended,
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
}

impl Db {
    pub async fn create_meeting(
        &self,
        new: &NewMeeting,
        now: DateTime<Utc>,
    ) -> StoreResult<Meeting> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO meetings (guild_id, channel_id, title, zone, start_local, repeat, duration_min, reminders,
                                   mention_role_id, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
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
        .bind(now)
        .fetch_one(&self.pool)
        .await?;
        Ok(Meeting {
            id: MeetingId(id),
            guild: new.guild,
            channel: new.channel,
            title: new.title.clone(),
            schedule: new.schedule.clone(),
            duration: new.duration,
            reminders: new.reminders.clone(),
            mention_role: new.mention_role,
            announcement: None,
            reminders_enabled: true,
            ended: false,
        })
    }

    /// A meeting by id, if it exists (ended or not).
    pub async fn meeting(&self, id: MeetingId) -> StoreResult<Option<Meeting>> {
        let row: Option<Row> = sqlx::query_as(select_meetings!("WHERE id = ?"))
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let skips = self.skips(id).await?;
        Ok(row.into_meeting(skips))
    }

    /// The server's meetings that have not ended, oldest first.
    pub async fn guild_meetings(&self, guild: GuildId) -> StoreResult<Vec<Meeting>> {
        let rows: Vec<Row> = sqlx::query_as(select_meetings!(
            "WHERE guild_id = ? AND ended = 0 ORDER BY id"
        ))
        .bind(guild.as_db())
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let skips = self.skips(MeetingId(row.id)).await?;
            out.extend(row.into_meeting(skips));
        }
        Ok(out)
    }

    async fn skips(&self, id: MeetingId) -> StoreResult<BTreeSet<NaiveDate>> {
        let dates: Vec<String> =
            sqlx::query_scalar("SELECT local_date FROM meeting_skips WHERE meeting_id = ?")
                .bind(id.0)
                .fetch_all(&self.pool)
                .await?;
        Ok(dates
            .iter()
            .filter_map(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
            .collect())
    }

    /// Saves every editable field of the meeting.
    pub async fn update_meeting(&self, m: &Meeting) -> StoreResult<()> {
        sqlx::query(
            "UPDATE meetings SET channel_id = ?, title = ?, zone = ?, start_local = ?, repeat = ?, duration_min = ?,
                    reminders = ?, mention_role_id = ?, announcement_id = ?, reminders_enabled = ?, ended = ?
             WHERE id = ?",
        )
        .bind(m.channel.as_db())
        .bind(&m.title)
        .bind(m.schedule.zone.name())
        .bind(m.schedule.start.format(LOCAL_FORMAT).to_string())
        .bind(m.schedule.repeat.as_str())
        .bind(m.duration.num_minutes())
        .bind(m.reminders.to_text())
        .bind(m.mention_role.map(RoleId::as_db))
        .bind(m.announcement.map(|id| id as i64))
        .bind(m.reminders_enabled)
        .bind(m.ended)
        .bind(m.id.0)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn skip_occurrence(&self, id: MeetingId, date: NaiveDate) -> StoreResult<()> {
        sqlx::query("INSERT OR IGNORE INTO meeting_skips (meeting_id, local_date) VALUES (?, ?)")
            .bind(id.0)
            .bind(date.format("%Y-%m-%d").to_string())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// How many meetings are stored (for start-up logging and benchmarks).
    pub async fn meeting_count(&self) -> StoreResult<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM meetings")
            .fetch_one(&self.pool)
            .await?)
    }
}
