//! Discord Scheduled Events mirrored from meetings: which servers want
//! them, and each meeting's event (for its next occurrence).

use chrono::{DateTime, Utc};

use super::{Db, StoreResult};
use crate::domain::GuildId;
use crate::domain::meeting::MeetingId;

/// A meeting's scheduled event in Discord.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MeetingEvent {
    pub event: u64,
    /// The occurrence it stands for.
    pub occurrence: DateTime<Utc>,
}

impl Db {
    /// Turns the mirror on or off for a server. Returns whether it changed.
    pub async fn set_events_mirrored(&self, guild: GuildId, on: bool) -> StoreResult<bool> {
        on_pool!(self, |pool| {
            let query = if on {
                "INSERT INTO event_mirrors (guild_id) VALUES ($1) ON CONFLICT DO NOTHING"
            } else {
                "DELETE FROM event_mirrors WHERE guild_id = $1"
            };
            Ok(sqlx::query(query)
                .bind(guild.as_db())
                .execute(pool)
                .await?
                .rows_affected()
                > 0)
        })
    }

    pub async fn events_mirrored(&self, guild: GuildId) -> StoreResult<bool> {
        on_pool!(self, |pool| {
            let found: Option<i64> =
                sqlx::query_scalar("SELECT guild_id FROM event_mirrors WHERE guild_id = $1")
                    .bind(guild.as_db())
                    .fetch_optional(pool)
                    .await?;
            Ok(found.is_some())
        })
    }

    pub async fn meeting_event(&self, meeting: MeetingId) -> StoreResult<Option<MeetingEvent>> {
        on_pool!(self, |pool| {
            let row: Option<(i64, i64)> = sqlx::query_as(
                "SELECT event_id, occurrence FROM meeting_events WHERE meeting_id = $1",
            )
            .bind(meeting.0)
            .fetch_optional(pool)
            .await?;
            Ok(row.and_then(|(event, occurrence)| {
                Some(MeetingEvent {
                    event: u64::try_from(event).ok()?,
                    occurrence: DateTime::from_timestamp(occurrence, 0)?,
                })
            }))
        })
    }

    /// Records a newly created event as the meeting's unless another is
    /// recorded already (two changes at once both created one). Returns
    /// whether this one is the meeting's: if not, its creator deletes it.
    pub async fn claim_meeting_event(
        &self,
        meeting: MeetingId,
        event: MeetingEvent,
    ) -> StoreResult<bool> {
        on_pool!(self, |pool| {
            Ok(sqlx::query(
                "INSERT INTO meeting_events (meeting_id, event_id, occurrence) VALUES ($1, $2, $3)
                 ON CONFLICT (meeting_id) DO NOTHING",
            )
            .bind(meeting.0)
            .bind(event.event as i64)
            .bind(event.occurrence.timestamp())
            .execute(pool)
            .await?
            .rows_affected()
                == 1)
        })
    }

    /// Moves the recorded event `event` to `occurrence`, only while it is
    /// still the meeting's (another change may have replaced it).
    pub async fn move_meeting_event(
        &self,
        meeting: MeetingId,
        event: u64,
        occurrence: DateTime<Utc>,
    ) -> StoreResult<bool> {
        on_pool!(self, |pool| {
            Ok(sqlx::query(
                "UPDATE meeting_events SET occurrence = $3 WHERE meeting_id = $1 AND event_id = $2",
            )
            .bind(meeting.0)
            .bind(event as i64)
            .bind(occurrence.timestamp())
            .execute(pool)
            .await?
            .rows_affected()
                == 1)
        })
    }

    /// Forgets event `event` as the meeting's, only if it still is.
    pub async fn forget_event(&self, meeting: MeetingId, event: u64) -> StoreResult<()> {
        on_pool!(self, |pool| {
            sqlx::query("DELETE FROM meeting_events WHERE meeting_id = $1 AND event_id = $2")
                .bind(meeting.0)
                .bind(event as i64)
                .execute(pool)
                .await?;
            Ok(())
        })
    }

    /// Meetings that ended and still have an event (its removal failed):
    /// swept daily.
    pub async fn ended_meetings_with_events(
        &self,
    ) -> StoreResult<Vec<(MeetingId, crate::domain::GuildId, u64)>> {
        on_pool!(self, |pool| {
            let rows: Vec<(i64, i64, i64)> = sqlx::query_as(
                "SELECT e.meeting_id, m.guild_id, e.event_id FROM meeting_events e JOIN meetings m ON m.id = e.meeting_id
                 WHERE m.ended <> 0 ORDER BY e.meeting_id LIMIT 500",
            )
            .fetch_all(pool)
            .await?;
            Ok(rows
                .into_iter()
                .map(|(m, g, e)| (MeetingId(m), crate::domain::GuildId::from_db(g), e as u64))
                .collect())
        })
    }

    /// The server's meetings that have an event, for turning the mirror off.
    pub async fn meetings_with_events(&self, guild: GuildId) -> StoreResult<Vec<(MeetingId, u64)>> {
        on_pool!(self, |pool| {
            let rows: Vec<(i64, i64)> = sqlx::query_as(
                "SELECT e.meeting_id, e.event_id FROM meeting_events e JOIN meetings m ON m.id = e.meeting_id
                 WHERE m.guild_id = $1 ORDER BY e.meeting_id",
            )
            .bind(guild.as_db())
            .fetch_all(pool)
            .await?;
            Ok(rows
                .into_iter()
                .map(|(m, e)| (MeetingId(m), e as u64))
                .collect())
        })
    }
}
