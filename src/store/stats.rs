//! Anonymous statistics: counts only. Nothing here can be traced to a person.

use chrono::{DateTime, NaiveDate, Utc};

use super::{Db, StoreResult};
use crate::domain::GuildId;
use crate::domain::mood::Mood;

/// One local day's check-ins in a server.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DayStats {
    pub day: NaiveDate,
    pub checkins: u64,
    pub moods: [u64; 5],
}

/// One closed round.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoundStats {
    pub day: NaiveDate,
    pub answered: u64,
    pub passed: u64,
    pub moods: [u64; 5],
}

/// Meetings held in a span, and the answers they got.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MeetingStats {
    pub held: u64,
    pub going: u64,
    pub going_people: u64,
}

const DAY: &str = "%Y-%m-%d";

#[derive(sqlx::FromRow)]
struct DayRow {
    day: String,
    checkins: i64,
    mood_1: i64,
    mood_2: i64,
    mood_3: i64,
    mood_4: i64,
    mood_5: i64,
}

#[derive(sqlx::FromRow)]
struct RoundRow {
    day: String,
    answered: i64,
    passed: i64,
    mood_1: i64,
    mood_2: i64,
    mood_3: i64,
    mood_4: i64,
    mood_5: i64,
}

fn count(n: i64) -> u64 {
    n.max(0) as u64
}

impl Db {
    /// Counts one check-in with `mood` on the server's local `day`.
    pub async fn record_checkin(
        &self,
        guild: GuildId,
        day: NaiveDate,
        mood: Mood,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO stats_daily (guild_id, day, checkins, mood_1, mood_2, mood_3, mood_4, mood_5)
             VALUES (?1, ?2, 1, ?3 = 1, ?3 = 2, ?3 = 3, ?3 = 4, ?3 = 5)
             ON CONFLICT (guild_id, day) DO UPDATE SET
                checkins = checkins + 1,
                mood_1 = mood_1 + excluded.mood_1, mood_2 = mood_2 + excluded.mood_2,
                mood_3 = mood_3 + excluded.mood_3, mood_4 = mood_4 + excluded.mood_4,
                mood_5 = mood_5 + excluded.mood_5",
        )
        .bind(guild.as_db())
        .bind(day.format(DAY).to_string())
        .bind(i64::from(mood.value()))
        .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Adds one distinct participant to a period's count.
    pub async fn add_participant(&self, guild: GuildId, period: &str) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO stats_participants (guild_id, period, participants) VALUES (?, ?, 1)
             ON CONFLICT (guild_id, period) DO UPDATE SET participants = participants + 1",
        )
        .bind(guild.as_db())
        .bind(period)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn participants(&self, guild: GuildId, period: &str) -> StoreResult<u64> {
        let n: Option<i64> = sqlx::query_scalar(
            "SELECT participants FROM stats_participants WHERE guild_id = ? AND period = ?",
        )
        .bind(guild.as_db())
        .bind(period)
        .fetch_optional(&self.pool)
        .await?;
        Ok(n.unwrap_or(0).max(0) as u64)
    }

    /// Days with check-ins from `first` to `last` (local dates), in order.
    pub async fn daily_stats(
        &self,
        guild: GuildId,
        first: NaiveDate,
        last: NaiveDate,
    ) -> StoreResult<Vec<DayStats>> {
        let rows: Vec<DayRow> = sqlx::query_as(
            "SELECT day, checkins, mood_1, mood_2, mood_3, mood_4, mood_5 FROM stats_daily
             WHERE guild_id = ? AND day BETWEEN ? AND ? ORDER BY day",
        )
        .bind(guild.as_db())
        .bind(first.format(DAY).to_string())
        .bind(last.format(DAY).to_string())
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .filter_map(|r| {
                Some(DayStats {
                    day: NaiveDate::parse_from_str(&r.day, DAY).ok()?,
                    checkins: count(r.checkins),
                    moods: [r.mood_1, r.mood_2, r.mood_3, r.mood_4, r.mood_5].map(count),
                })
            })
            .collect())
    }

    /// Rounds closed from `first` to `last` (local dates).
    pub async fn round_stats(
        &self,
        guild: GuildId,
        first: NaiveDate,
        last: NaiveDate,
    ) -> StoreResult<Vec<RoundStats>> {
        let rows: Vec<RoundRow> = sqlx::query_as(
            "SELECT day, answered, passed, mood_1, mood_2, mood_3, mood_4, mood_5 FROM stats_rounds
             WHERE guild_id = ? AND day BETWEEN ? AND ? ORDER BY day, round_id",
        )
        .bind(guild.as_db())
        .bind(first.format(DAY).to_string())
        .bind(last.format(DAY).to_string())
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .filter_map(|r| {
                Some(RoundStats {
                    day: NaiveDate::parse_from_str(&r.day, DAY).ok()?,
                    answered: count(r.answered),
                    passed: count(r.passed),
                    moods: [r.mood_1, r.mood_2, r.mood_3, r.mood_4, r.mood_5].map(count),
                })
            })
            .collect())
    }

    /// Meeting occurrences of the server that ended in `[from, to)`, and the
    /// "going" answers they got.
    pub async fn meeting_stats(
        &self,
        guild: GuildId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<MeetingStats> {
        let (held,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM jobs j JOIN meetings m ON m.id = j.meeting_id
             WHERE m.guild_id = ? AND j.kind = 'rollover' AND j.state = 'done' AND j.occurrence >= ? AND j.occurrence < ?",
        )
        .bind(guild.as_db())
        .bind(from.timestamp())
        .bind(to.timestamp())
        .fetch_one(&self.pool)
        .await?;
        let (going, people): (i64, i64) = sqlx::query_as(
            "SELECT COUNT(*), COUNT(DISTINCT r.user_id) FROM rsvps r JOIN meetings m ON m.id = r.meeting_id
             WHERE m.guild_id = ? AND r.answer = 'going' AND r.occurrence >= ? AND r.occurrence < ?",
        )
        .bind(guild.as_db())
        .bind(from.timestamp())
        .bind(to.timestamp())
        .fetch_one(&self.pool)
        .await?;
        Ok(MeetingStats {
            held: held.max(0) as u64,
            going: going.max(0) as u64,
            going_people: people.max(0) as u64,
        })
    }
}
