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
    /// The digest of what Haven last sent for it
    /// ([`crate::domain::events::digest`]); `None` before the first.
    pub sent: Option<i64>,
    /// The digest of what Haven last began to send (its answer may have
    /// been lost).
    pub sending: Option<i64>,
    /// Someone changed it by hand in Discord since: Haven leaves it as it
    /// is, and only forgets it once its occurrence has passed.
    pub by_hand: bool,
}

/// A `meeting_events` row: event, occurrence, sent, sending, by hand.
type EventRow = (i64, i64, Option<i64>, Option<i64>, i64);

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
            let row: Option<EventRow> = sqlx::query_as(
                "SELECT event_id, occurrence, sent, sending, by_hand FROM meeting_events WHERE meeting_id = $1",
            )
            .bind(meeting.0)
            .fetch_optional(pool)
            .await?;
            Ok(row.and_then(|(event, occurrence, sent, sending, by_hand)| {
                Some(MeetingEvent {
                    event: u64::try_from(event).ok()?,
                    occurrence: DateTime::from_timestamp(occurrence, 0)?,
                    sent,
                    sending,
                    by_hand: by_hand != 0,
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
                "INSERT INTO meeting_events (meeting_id, event_id, occurrence, sent, by_hand)
                 VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (meeting_id) DO NOTHING",
            )
            .bind(meeting.0)
            .bind(event.event as i64)
            .bind(event.occurrence.timestamp())
            .bind(event.sent)
            .bind(i64::from(event.by_hand))
            .execute(pool)
            .await?
            .rows_affected()
                == 1)
        })
    }

    /// Moves the recorded event `event` to `occurrence`, having sent it
    /// what digests to `sent`, only while it is still the meeting's
    /// (another change may have replaced it).
    pub async fn move_meeting_event(
        &self,
        meeting: MeetingId,
        event: u64,
        occurrence: DateTime<Utc>,
        sent: i64,
    ) -> StoreResult<bool> {
        on_pool!(self, |pool| {
            Ok(sqlx::query(
                "UPDATE meeting_events SET occurrence = $3, sent = $4
                 WHERE meeting_id = $1 AND event_id = $2 AND by_hand = 0",
            )
            .bind(meeting.0)
            .bind(event as i64)
            .bind(occurrence.timestamp())
            .bind(sent)
            .execute(pool)
            .await?
            .rows_affected()
                == 1)
        })
    }

    /// Notes what Haven is about to send event `event`.
    pub async fn set_event_sending(
        &self,
        meeting: MeetingId,
        event: u64,
        sending: i64,
    ) -> StoreResult<()> {
        on_pool!(self, |pool| {
            sqlx::query(
                "UPDATE meeting_events SET sending = $3 WHERE meeting_id = $1 AND event_id = $2",
            )
            .bind(meeting.0)
            .bind(event as i64)
            .bind(sending)
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    /// The server's Haven-kept event that stands for the latest
    /// occurrence (the one to give up for a sooner meeting under Discord's
    /// limit of 100).
    pub async fn latest_meeting_event(
        &self,
        guild: GuildId,
    ) -> StoreResult<Option<(MeetingId, u64, DateTime<Utc>)>> {
        on_pool!(self, |pool| {
            let row: Option<(i64, i64, i64)> = sqlx::query_as(
                "SELECT e.meeting_id, e.event_id, e.occurrence FROM meeting_events e
                 JOIN meetings m ON m.id = e.meeting_id
                 WHERE m.guild_id = $1 AND e.by_hand = 0
                 ORDER BY e.occurrence DESC, e.meeting_id DESC LIMIT 1",
            )
            .bind(guild.as_db())
            .fetch_optional(pool)
            .await?;
            Ok(row.and_then(|(m, e, o)| {
                Some((MeetingId(m), e as u64, DateTime::from_timestamp(o, 0)?))
            }))
        })
    }

    /// Records that event `event` was changed by hand in Discord: Haven
    /// leaves it as it is from now on.
    pub async fn keep_event_by_hand(&self, meeting: MeetingId, event: u64) -> StoreResult<()> {
        on_pool!(self, |pool| {
            sqlx::query(
                "UPDATE meeting_events SET by_hand = 1 WHERE meeting_id = $1 AND event_id = $2",
            )
            .bind(meeting.0)
            .bind(event as i64)
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    /// Lets go of event `event`, changed by hand, whose occurrence has
    /// passed: it is no longer the meeting's, and never adopted again.
    pub async fn release_kept_event(&self, meeting: MeetingId, event: u64) -> StoreResult<()> {
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            sqlx::query("DELETE FROM meeting_events WHERE meeting_id = $1 AND event_id = $2")
                .bind(meeting.0)
                .bind(event as i64)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO kept_events (event_id, meeting_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            )
            .bind(event as i64)
            .bind(meeting.0)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(())
        })
    }

    /// The meeting's released events, keeping only those of `open` (the
    /// rest have ended in Discord and are forgotten).
    pub async fn kept_events(&self, meeting: MeetingId, open: &[u64]) -> StoreResult<Vec<u64>> {
        on_pool!(self, |pool| {
            let kept: Vec<i64> =
                sqlx::query_scalar("SELECT event_id FROM kept_events WHERE meeting_id = $1")
                    .bind(meeting.0)
                    .fetch_all(pool)
                    .await?;
            let (still, gone): (Vec<u64>, Vec<u64>) = kept
                .into_iter()
                .map(|e| e as u64)
                .partition(|e| open.contains(e));
            for e in gone {
                sqlx::query("DELETE FROM kept_events WHERE event_id = $1")
                    .bind(e as i64)
                    .execute(pool)
                    .await?;
            }
            Ok(still)
        })
    }

    /// Meetings of the server that are on and have no event (Discord's
    /// limit was reached, or it failed), for when a place frees up.
    pub async fn meetings_without_event(&self, guild: GuildId) -> StoreResult<Vec<MeetingId>> {
        on_pool!(self, |pool| {
            let ids: Vec<i64> = sqlx::query_scalar(
                "SELECT m.id FROM meetings m
                 WHERE m.guild_id = $1 AND m.ended = 0
                   AND NOT EXISTS (SELECT 1 FROM meeting_events e WHERE e.meeting_id = m.id)
                 ORDER BY m.id",
            )
            .bind(guild.as_db())
            .fetch_all(pool)
            .await?;
            Ok(ids.into_iter().map(MeetingId).collect())
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
