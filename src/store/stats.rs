//! Reading anonymous statistics: counts of people and of rounds and meetings.
//! Nothing here can be traced to a person.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

use super::{Db, StoreResult, params};
use crate::domain::GuildId;
use crate::domain::periods::{Period, closes_at, previous};
use crate::domain::stats::{Facet, PeopleCounts};

/// One closed round.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoundStats {
    pub day: NaiveDate,
    pub answered: u64,
    pub passed: u64,
    pub moods: [u64; 5],
}

const DAY: &str = "%Y-%m-%d";

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
    /// Distinct people who checked in, per period key of `keys` (a key
    /// nobody was counted in is missing).
    pub async fn period_people(
        &self,
        guild: GuildId,
        keys: &[String],
    ) -> StoreResult<HashMap<String, PeopleCounts>> {
        on_pool!(self, |pool| {
            if keys.is_empty() {
                return Ok(HashMap::new());
            }
            let sql = format!(
                "SELECT period, facet, people FROM stats_people WHERE guild_id = $1 AND period IN {}",
                params(2, 1, keys.len())
            );
            let rows: Vec<(String, String, i64)> = keys
                .iter()
                .fold(
                    sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(guild.as_db()),
                    |query, key| query.bind(key.as_str()),
                )
                .fetch_all(pool)
                .await?;
            let mut out: HashMap<String, PeopleCounts> = HashMap::new();
            for (period, facet, people) in rows {
                if let Some(facet) = Facet::parse(&facet) {
                    out.entry(period).or_default().set(facet, count(people));
                }
            }
            Ok(out)
        })
    }

    /// Rounds closed from `first` to `last` (local dates).
    pub async fn round_stats(
        &self,
        guild: GuildId,
        first: NaiveDate,
        last: NaiveDate,
    ) -> StoreResult<Vec<RoundStats>> {
        on_pool!(self, |pool| {
            let rows: Vec<RoundRow> = sqlx::query_as(
            "SELECT day, answered, passed, mood_1, mood_2, mood_3, mood_4, mood_5 FROM stats_rounds
             WHERE guild_id = $1 AND day BETWEEN $2 AND $3 ORDER BY day, round_id",
        )
        .bind(guild.as_db())
        .bind(first.format(DAY).to_string())
        .bind(last.format(DAY).to_string())
        .fetch_all(pool)
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
        })
    }

    /// Occurrences of the server's meetings held in `period` (rolled over).
    pub async fn meetings_held(&self, guild: GuildId, period: &Period, tz: Tz) -> StoreResult<u64> {
        on_pool!(self, |pool| {
            let from = closes_at(&previous(period), tz);
            let to = closes_at(period, tz);
            let (held,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM jobs j JOIN meetings m ON m.id = j.meeting_id
             WHERE m.guild_id = $1 AND j.kind = 'rollover' AND j.state = 'done' AND j.occurrence >= $2 AND j.occurrence < $3",
        )
        .bind(guild.as_db())
        .bind(from.timestamp())
        .bind(to.timestamp())
        .fetch_one(pool)
        .await?;
            Ok(count(held))
        })
    }

    /// How many came to each voice meeting counted from `from` to `to`,
    /// and how many had said they were going, with when it was held
    /// (people per occurrence: never who).
    pub async fn attendance_between(
        &self,
        guild: GuildId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<Vec<(DateTime<Utc>, u64, Option<u64>)>> {
        on_pool!(self, |pool| {
            let rows: Vec<(i64, i64, Option<i64>)> = sqlx::query_as(
                "SELECT occurrence, came, going FROM attendance_counts
                 WHERE guild_id = $1 AND occurrence >= $2 AND occurrence < $3",
            )
            .bind(guild.as_db())
            .bind(from.timestamp())
            .bind(to.timestamp())
            .fetch_all(pool)
            .await?;
            Ok(rows
                .into_iter()
                .filter_map(|(at, came, going)| {
                    Some((
                        DateTime::from_timestamp(at, 0)?,
                        count(came),
                        going.map(count),
                    ))
                })
                .collect())
        })
    }
}
