//! Check-in rounds: open, answered under a per-round salt, closed into counts.

use chrono::{DateTime, NaiveDate, Utc};

use super::{Db, StoreResult};
use crate::domain::{ChannelId, GuildId};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Round {
    pub id: i64,
    pub guild: GuildId,
    pub channel: ChannelId,
    pub message: Option<u64>,
    pub question: String,
    pub salt: Option<Vec<u8>>,
    pub closes: DateTime<Utc>,
    pub closed: bool,
}

/// How a round stands: how many answered (and passed), and the mood counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub answered: u64,
    pub passed: u64,
    pub moods: [u64; 5],
}

impl Tally {
    /// From (answer, how many) pairs: 0 = pass, 1..=5 = mood.
    fn from_counts(rows: Vec<(i64, i64)>) -> Self {
        let mut tally = Tally::default();
        for (answer, n) in rows {
            let n = n.max(0) as u64;
            tally.answered += n;
            match answer {
                0 => tally.passed += n,
                1..=5 => tally.moods[(answer - 1) as usize] += n,
                _ => {}
            }
        }
        tally
    }
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    guild_id: i64,
    channel_id: i64,
    message_id: Option<i64>,
    question: String,
    salt: Option<Vec<u8>>,
    closes_ms: i64,
    closed: i64,
}

impl From<Row> for Round {
    fn from(r: Row) -> Self {
        Self {
            id: r.id,
            guild: GuildId::from_db(r.guild_id),
            channel: ChannelId::from_db(r.channel_id),
            message: r.message_id.map(|m| m as u64),
            question: r.question,
            salt: r.salt,
            closes: DateTime::from_timestamp_millis(r.closes_ms).unwrap_or_default(),
            closed: r.closed != 0,
        }
    }
}

impl Db {
    /// Opens a round, or returns `None` when the channel already has one open.
    pub async fn open_round(
        &self,
        guild: GuildId,
        channel: ChannelId,
        question: &str,
        salt: &[u8],
        now: DateTime<Utc>,
        closes: DateTime<Utc>,
    ) -> StoreResult<Option<i64>> {
        on_pool!(self, |pool| {
            let result = sqlx::query_scalar(
            "INSERT INTO rounds (guild_id, channel_id, question, salt, opened_at, closes_ms) VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT DO NOTHING RETURNING id",
        )
        .bind(guild.as_db())
        .bind(channel.as_db())
        .bind(question)
        .bind(salt)
        .bind(now)
        .bind(closes.timestamp_millis())
        .fetch_optional(pool)
        .await?;
            if let Some(id) = result {
                self.add_round_close_job(id, closes).await?;
            }
            Ok(result)
        })
    }

    pub async fn set_round_message(&self, round: i64, message: u64) -> StoreResult<()> {
        on_pool!(self, |pool| {
            sqlx::query("UPDATE rounds SET message_id = $1 WHERE id = $2")
                .bind(message as i64)
                .bind(round)
                .execute(pool)
                .await?;
            Ok(())
        })
    }

    pub async fn round(&self, id: i64) -> StoreResult<Option<Round>> {
        on_pool!(self, |pool| {
            let row: Option<Row> = sqlx::query_as(
            "SELECT id, guild_id, channel_id, message_id, question, salt, closes_ms, closed FROM rounds WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(pool)
        .await?;
            Ok(row.map(Round::from))
        })
    }

    /// The open round in a channel, if any.
    pub async fn open_round_in(&self, channel: ChannelId) -> StoreResult<Option<Round>> {
        on_pool!(self, |pool| {
            let row: Option<Row> = sqlx::query_as(
            "SELECT id, guild_id, channel_id, message_id, question, salt, closes_ms, closed FROM rounds
             WHERE channel_id = $1 AND closed = 0",
        )
        .bind(channel.as_db())
        .fetch_optional(pool)
        .await?;
            Ok(row.map(Round::from))
        })
    }

    /// Records (or changes) an answer: 0 = pass, 1..=5 = mood. `voter` is the
    /// keyed hash of the member under the round's salt.
    /// Returns whether it was recorded: `false` once the round has closed.
    pub async fn answer_round(&self, round: i64, voter: &[u8], answer: u8) -> StoreResult<bool> {
        on_pool!(self, |pool| {
            // The round's row is held (PostgreSQL) while the answer is written,
            // so a close running at the same moment either comes first (and no
            // answer is written) or deletes this answer with the rest.
            Ok(sqlx::query(sqlx::AssertSqlSafe(format!(
                "INSERT INTO round_answers (round_id, voter, answer)
             SELECT $1, $2, $3 WHERE EXISTS (SELECT 1 FROM rounds WHERE id = $1 AND closed = 0{})
             ON CONFLICT (round_id, voter) DO UPDATE SET answer = $3",
                pool.for_share()
            )))
            .bind(round)
            .bind(voter)
            .bind(i64::from(answer))
            .execute(pool)
            .await?
            .rows_affected()
                > 0)
        })
    }

    pub async fn round_tally(&self, round: i64) -> StoreResult<Tally> {
        on_pool!(self, |pool| {
            let rows: Vec<(i64, i64)> = sqlx::query_as(
                "SELECT answer, COUNT(*) FROM round_answers WHERE round_id = $1 GROUP BY answer",
            )
            .bind(round)
            .fetch_all(pool)
            .await?;
            Ok(Tally::from_counts(rows))
        })
    }

    /// Closes a round: its answers become counts in the statistics, and the
    /// salt and the answers are deleted. Returns the final tally, or `None`
    /// when the round was already closed.
    pub async fn close_round(&self, round: i64, day: NaiveDate) -> StoreResult<Option<Tally>> {
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let guild: Option<i64> = sqlx::query_scalar("UPDATE rounds SET closed = 1, salt = NULL WHERE id = $1 AND closed = 0 RETURNING guild_id")
            .bind(round)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(guild) = guild else {
                return Ok(None);
            };
            let rows: Vec<(i64, i64)> = sqlx::query_as(
                "SELECT answer, COUNT(*) FROM round_answers WHERE round_id = $1 GROUP BY answer",
            )
            .bind(round)
            .fetch_all(&mut *tx)
            .await?;
            let tally = Tally::from_counts(rows);
            sqlx::query(
            "INSERT INTO stats_rounds (round_id, guild_id, day, answered, passed, mood_1, mood_2, mood_3, mood_4, mood_5)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(round)
        .bind(guild)
        .bind(day.format("%Y-%m-%d").to_string())
        .bind(tally.answered as i64)
        .bind(tally.passed as i64)
        .bind(tally.moods[0] as i64)
        .bind(tally.moods[1] as i64)
        .bind(tally.moods[2] as i64)
        .bind(tally.moods[3] as i64)
        .bind(tally.moods[4] as i64)
        .execute(&mut *tx)
        .await?;
            sqlx::query("DELETE FROM round_answers WHERE round_id = $1")
                .bind(round)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM jobs WHERE round_id = $1 AND state = 'pending'")
                .bind(round)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(Some(tally))
        })
    }
}
