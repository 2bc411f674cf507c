//! Members' answers to meetings and their direct-message opt-ins.

use chrono::{DateTime, Utc};

use super::{Db, StoreResult};
use crate::domain::UserId;
use crate::domain::meeting::{MeetingId, RsvpAnswer, RsvpCounts};

impl Db {
    /// Records (or changes) a member's answer for one occurrence.
    pub async fn set_rsvp(
        &self,
        meeting: MeetingId,
        occurrence: DateTime<Utc>,
        user: UserId,
        answer: RsvpAnswer,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        on_pool!(self, |pool| {
            sqlx::query(
            "INSERT INTO rsvps (meeting_id, occurrence, user_id, answer, updated_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (meeting_id, occurrence, user_id) DO UPDATE SET answer = $4, updated_at = $5",
        )
        .bind(meeting.0)
        .bind(occurrence.timestamp())
        .bind(user.as_db())
        .bind(answer.as_str())
        .bind(now)
        .execute(pool)
        .await?;
            Ok(())
        })
    }

    pub async fn rsvp_counts(
        &self,
        meeting: MeetingId,
        occurrence: DateTime<Utc>,
    ) -> StoreResult<RsvpCounts> {
        on_pool!(self, |pool| {
            let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT answer, COUNT(*) FROM rsvps WHERE meeting_id = $1 AND occurrence = $2 GROUP BY answer",
        )
        .bind(meeting.0)
        .bind(occurrence.timestamp())
        .fetch_all(pool)
        .await?;
            let mut counts = RsvpCounts::default();
            for (answer, n) in rows {
                let n = u32::try_from(n).unwrap_or(u32::MAX);
                match RsvpAnswer::parse(&answer) {
                    Some(RsvpAnswer::Going) => counts.going = n,
                    Some(RsvpAnswer::Maybe) => counts.maybe = n,
                    Some(RsvpAnswer::No) => counts.no = n,
                    None => {}
                }
            }
            Ok(counts)
        })
    }

    /// Moves the answers given for one occurrence to another (the meeting's
    /// time was edited). Returns how many moved.
    pub async fn move_rsvps(
        &self,
        meeting: MeetingId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<u64> {
        on_pool!(self, |pool| {
            if from == to {
                return Ok(0);
            }
            let mut tx = pool.begin().await?;
            // Answers already given for the new time win over the moved ones.
            sqlx::query(
                "DELETE FROM rsvps WHERE meeting_id = $1 AND occurrence = $2
             AND user_id IN (SELECT user_id FROM rsvps WHERE meeting_id = $1 AND occurrence = $3)",
            )
            .bind(meeting.0)
            .bind(from.timestamp())
            .bind(to.timestamp())
            .execute(&mut *tx)
            .await?;
            let moved = sqlx::query(
                "UPDATE rsvps SET occurrence = $1 WHERE meeting_id = $2 AND occurrence = $3",
            )
            .bind(to.timestamp())
            .bind(meeting.0)
            .bind(from.timestamp())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            tx.commit().await?;
            Ok(moved)
        })
    }

    /// The "going" answers to the meeting's occurrences up to `through`
    /// (those that are over), to be counted before they are deleted with
    /// [`Db::delete_past_rsvps`].
    pub async fn past_going(
        &self,
        meeting: MeetingId,
        through: DateTime<Utc>,
    ) -> StoreResult<Vec<(DateTime<Utc>, UserId)>> {
        on_pool!(self, |pool| {
            let rows: Vec<(i64, i64)> = sqlx::query_as(
                "SELECT occurrence, user_id FROM rsvps WHERE meeting_id = $1 AND occurrence <= $2 AND answer = 'going'",
            )
            .bind(meeting.0)
            .bind(through.timestamp())
            .fetch_all(pool)
            .await?;
            Ok(rows
                .into_iter()
                .filter_map(|(o, u)| Some((DateTime::from_timestamp(o, 0)?, UserId::from_db(u))))
                .collect())
        })
    }

    /// Deletes every answer to the meeting's occurrences up to `through`.
    pub async fn delete_past_rsvps(
        &self,
        meeting: MeetingId,
        through: DateTime<Utc>,
    ) -> StoreResult<u64> {
        on_pool!(self, |pool| {
            Ok(
                sqlx::query("DELETE FROM rsvps WHERE meeting_id = $1 AND occurrence <= $2")
                    .bind(meeting.0)
                    .bind(through.timestamp())
                    .execute(pool)
                    .await?
                    .rows_affected(),
            )
        })
    }

    /// Deletes every answer to an occurrence that started before `before`,
    /// in any meeting (housekeeping for series that ended or were cancelled).
    pub async fn purge_past_rsvps(&self, before: DateTime<Utc>) -> StoreResult<u64> {
        on_pool!(self, |pool| {
            Ok(sqlx::query("DELETE FROM rsvps WHERE occurrence < $1")
                .bind(before.timestamp())
                .execute(pool)
                .await?
                .rows_affected())
        })
    }

    /// Turns reminders by direct message on or off for a member.
    pub async fn set_meeting_dm(
        &self,
        meeting: MeetingId,
        user: UserId,
        enabled: bool,
    ) -> StoreResult<bool> {
        on_pool!(self, |pool| {
            let query = if enabled {
                "INSERT INTO meeting_dms (meeting_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING"
            } else {
                "DELETE FROM meeting_dms WHERE meeting_id = $1 AND user_id = $2"
            };
            Ok(sqlx::query(query)
                .bind(meeting.0)
                .bind(user.as_db())
                .execute(pool)
                .await?
                .rows_affected()
                > 0)
        })
    }

    pub async fn meeting_dm_subscribers(&self, meeting: MeetingId) -> StoreResult<Vec<UserId>> {
        on_pool!(self, |pool| {
            let ids: Vec<i64> = sqlx::query_scalar(
                "SELECT user_id FROM meeting_dms WHERE meeting_id = $1 ORDER BY user_id",
            )
            .bind(meeting.0)
            .fetch_all(pool)
            .await?;
            Ok(ids.into_iter().map(UserId::from_db).collect())
        })
    }

    /// Whether `user` asked for this meeting's reminders by direct message.
    pub async fn gets_meeting_dms(&self, meeting: MeetingId, user: UserId) -> StoreResult<bool> {
        on_pool!(self, |pool| {
            let found: Option<i64> = sqlx::query_scalar(
                "SELECT user_id FROM meeting_dms WHERE meeting_id = $1 AND user_id = $2",
            )
            .bind(meeting.0)
            .bind(user.as_db())
            .fetch_optional(pool)
            .await?;
            Ok(found.is_some())
        })
    }
}
