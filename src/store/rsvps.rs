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
        sqlx::query(
            "INSERT INTO rsvps (meeting_id, occurrence, user_id, answer, updated_at) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (meeting_id, occurrence, user_id) DO UPDATE SET answer = ?4, updated_at = ?5",
        )
        .bind(meeting.0)
        .bind(occurrence.timestamp())
        .bind(user.as_db())
        .bind(answer.as_str())
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn rsvp_counts(
        &self,
        meeting: MeetingId,
        occurrence: DateTime<Utc>,
    ) -> StoreResult<RsvpCounts> {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT answer, COUNT(*) FROM rsvps WHERE meeting_id = ? AND occurrence = ? GROUP BY answer",
        )
        .bind(meeting.0)
        .bind(occurrence.timestamp())
        .fetch_all(&self.pool)
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
    }

    /// Turns reminders by direct message on or off for a member.
    pub async fn set_meeting_dm(
        &self,
        meeting: MeetingId,
        user: UserId,
        enabled: bool,
    ) -> StoreResult<()> {
        let query = if enabled {
            "INSERT OR IGNORE INTO meeting_dms (meeting_id, user_id) VALUES (?, ?)"
        } else {
            "DELETE FROM meeting_dms WHERE meeting_id = ? AND user_id = ?"
        };
        sqlx::query(query)
            .bind(meeting.0)
            .bind(user.as_db())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn meeting_dm_subscribers(&self, meeting: MeetingId) -> StoreResult<Vec<UserId>> {
        let ids: Vec<i64> = sqlx::query_scalar(
            "SELECT user_id FROM meeting_dms WHERE meeting_id = ? ORDER BY user_id",
        )
        .bind(meeting.0)
        .fetch_all(&self.pool)
        .await?;
        Ok(ids.into_iter().map(UserId::from_db).collect())
    }
}
