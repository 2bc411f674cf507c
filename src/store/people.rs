//! Distinct people per server, calendar period and facet, counted without
//! keeping who. While a period is open, a counted member is held only as a
//! keyed hash under the period's random salt (in the database, so a restart
//! neither loses nor doubles anyone); when the period closes, the salt and
//! the hashes are deleted and only the counts remain.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use rand::RngCore;

use super::{Db, StoreResult, params};
use crate::domain::periods::{Period, PeriodKind, closes_at, local_day, period_of};
use crate::domain::stats::{Facet, person_hash};
use crate::domain::{GuildId, UserId};

impl Db {
    /// Counts `user` once in every period (week, month, quarter, year)
    /// containing the local day of `at` in `tz`, for each of `facets`: a
    /// member already counted there is not counted again, across restarts
    /// too. One transaction, taking the write lock first, so that members
    /// counted at the same moment are each counted exactly once. A period
    /// already closed takes nobody more (they may have been counted before
    /// its close).
    pub async fn count_person(
        &self,
        guild: GuildId,
        tz: Tz,
        at: DateTime<Utc>,
        facets: &[Facet],
        user: UserId,
    ) -> StoreResult<()> {
        on_pool!(self, |pool| {
            if facets.is_empty() {
                return Ok(());
            }
            let day = local_day(at, tz);
            let periods: Vec<Period> = PeriodKind::ALL
                .iter()
                .map(|kind| period_of(*kind, day))
                .collect();
            let salts_sql = format!(
                "SELECT period, salt FROM stats_periods WHERE guild_id = $1 AND period IN {}",
                params(2, 1, periods.len())
            );
            let salts = || {
                periods.iter().fold(
                    sqlx::query_as::<_, (String, Option<Vec<u8>>)>(sqlx::AssertSqlSafe(
                        salts_sql.as_str(),
                    ))
                    .bind(guild.as_db()),
                    |query, period| query.bind(period.key.as_str()),
                )
            };

            // Most check-ins come from someone already counted in every open
            // period: seeing that takes two reads and no write lock. Whatever
            // happens meanwhile (another count, a close), someone already
            // counted stays counted, so there is nothing to do.
            let known = salts().fetch_all(pool).await?;
            if known.len() == periods.len() {
                let open: Vec<(&str, [u8; 32])> = known
                    .iter()
                    .filter_map(|(key, salt)| {
                        let salt = <[u8; 32]>::try_from(salt.as_deref()?).ok()?;
                        Some((key.as_str(), salt))
                    })
                    .collect();
                if open.is_empty() {
                    return Ok(());
                }
                let wanted = open.len() * facets.len();
                // Driven from the wanted rows, so each is one primary-key lookup
                // however many people the server has counted. (SQLite may turn a
                // plain join around and scan the server's hashes; an EXISTS keeps
                // the wanted rows the outer loop.)
                let sql = format!(
                "SELECT COUNT(*) FROM (VALUES {}) AS v WHERE EXISTS (SELECT 1 FROM stats_period_people p
                 WHERE p.guild_id = $1 AND p.period = v.column1 AND p.facet = v.column2 AND p.hash = v.column3)",
                params(2, wanted, 3)
            );
                let mut seen =
                    sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql)).bind(guild.as_db());
                for (key, salt) in &open {
                    for facet in facets {
                        seen = seen
                            .bind(*key)
                            .bind(facet.as_str())
                            .bind(person_hash(salt, *facet, user).to_vec());
                    }
                }
                if seen.fetch_one(pool).await? == wanted as i64 {
                    return Ok(());
                }
            }

            let mut tx = pool
                .begin_alone_in(super::alone::PEOPLE, guild.as_db())
                .await?;
            let known = salts().fetch_all(&mut *tx).await?;

            let mut open: Vec<(&Period, [u8; 32])> = Vec::with_capacity(periods.len());
            for period in &periods {
                match known.iter().find(|(key, _)| *key == period.key) {
                    Some((_, Some(salt))) => {
                        if let Ok(salt) = <[u8; 32]>::try_from(salt.as_slice()) {
                            open.push((period, salt));
                        }
                    }
                    // Closed: its hashes are gone, so counting again could count
                    // someone twice.
                    Some((_, None)) => {}
                    None => {
                        let mut salt = [0u8; 32];
                        rand::rng().fill_bytes(&mut salt);
                        let closes = closes_at(period, tz);
                        sqlx::query(
                        "INSERT INTO stats_periods (guild_id, period, salt, closes_ms) VALUES ($1, $2, $3, $4)",
                    )
                    .bind(guild.as_db())
                    .bind(&period.key)
                    .bind(salt.as_slice())
                    .bind(closes.timestamp_millis())
                    .execute(&mut *tx)
                    .await?;
                        // The job that deletes the salt when the period ends; a
                        // job for that instant that already ran is planned again.
                        sqlx::query(
                        "INSERT INTO jobs (kind, occurrence, due_ms) VALUES ('period_close', $1, $2)
                         ON CONFLICT (occurrence) WHERE kind = 'period_close'
                         DO UPDATE SET state = 'pending', due_ms = excluded.due_ms
                         WHERE jobs.state IN ('done', 'skipped')",
                    )
                    .bind(closes.timestamp())
                    .bind(closes.timestamp_millis())
                    .execute(&mut *tx)
                    .await?;
                        open.push((period, salt));
                    }
                }
            }
            if open.is_empty() {
                tx.commit().await?;
                return Ok(());
            }

            // Who is new in which period and facet: the hashes inserted.
            let sql = format!(
                "INSERT INTO stats_period_people (guild_id, period, facet, hash) VALUES {}
             ON CONFLICT DO NOTHING RETURNING period, facet",
                params(1, open.len() * facets.len(), 4)
            );
            let mut insert = sqlx::query_as::<_, (String, String)>(sqlx::AssertSqlSafe(sql));
            for (period, salt) in &open {
                for facet in facets {
                    insert = insert
                        .bind(guild.as_db())
                        .bind(period.key.as_str())
                        .bind(facet.as_str())
                        .bind(person_hash(salt, *facet, user).to_vec());
                }
            }
            let new: Vec<(String, String)> = insert.fetch_all(&mut *tx).await?;

            if !new.is_empty() {
                let sql = format!(
                "INSERT INTO stats_people (guild_id, period, facet, people) VALUES {}
                 ON CONFLICT (guild_id, period, facet) DO UPDATE SET people = stats_people.people + 1",
                params(1, new.len(), 4)
            );
                let mut upsert = sqlx::query(sqlx::AssertSqlSafe(sql));
                for (period, facet) in &new {
                    upsert = upsert
                        .bind(guild.as_db())
                        .bind(period.as_str())
                        .bind(facet.as_str())
                        .bind(1i64);
                }
                upsert.execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }

    /// Closes every period that ended by `now`: deletes its salt and its
    /// hashes (the counts stay), then checkpoints and truncates the
    /// write-ahead log so no copy of them is left there. Returns how many
    /// periods were closed.
    pub async fn close_periods(&self, now: DateTime<Utc>) -> StoreResult<u64> {
        Ok(self.close_periods_and_checkpoint(now).await?.0)
    }

    /// As [`Self::close_periods`], checkpointing whether or not anything
    /// closed (a checkpoint a busy database held back earlier is owed), and
    /// saying whether the checkpoint completed.
    pub async fn close_periods_and_checkpoint(
        &self,
        now: DateTime<Utc>,
    ) -> StoreResult<(u64, bool)> {
        on_pool!(self, |pool| {
            let now_ms = now.timestamp_millis();
            let mut tx = pool.begin_alone(super::alone::PEOPLE).await?;
            let closing: Vec<(i64, String)> = sqlx::query_as(
                "UPDATE stats_periods SET salt = NULL WHERE salt IS NOT NULL AND closes_ms <= $1
             RETURNING guild_id, period",
            )
            .bind(now_ms)
            .fetch_all(&mut *tx)
            .await?;
            for (guild, period) in &closing {
                sqlx::query("DELETE FROM stats_period_people WHERE guild_id = $1 AND period = $2")
                    .bind(guild)
                    .bind(period)
                    .execute(&mut *tx)
                    .await?;
            }
            let closed = closing.len() as u64;
            tx.commit().await?;
            Ok((closed, self.checkpoint().await?))
        })
    }

    /// When the earliest open period ends, if any is open.
    pub async fn next_period_close(&self) -> StoreResult<Option<DateTime<Utc>>> {
        on_pool!(self, |pool| {
            let ms: Option<i64> = sqlx::query_scalar(
                "SELECT MIN(closes_ms) FROM stats_periods WHERE salt IS NOT NULL",
            )
            .fetch_one(pool)
            .await?;
            Ok(ms.and_then(DateTime::from_timestamp_millis))
        })
    }

    /// How many distinct people were counted in a server's period and facet.
    pub async fn people_counted(
        &self,
        guild: GuildId,
        period: &str,
        facet: Facet,
    ) -> StoreResult<u64> {
        on_pool!(self, |pool| {
            let n: Option<i64> = sqlx::query_scalar(
            "SELECT people FROM stats_people WHERE guild_id = $1 AND period = $2 AND facet = $3",
        )
        .bind(guild.as_db())
        .bind(period)
        .bind(facet.as_str())
        .fetch_optional(pool)
        .await?;
            Ok(n.unwrap_or(0).max(0) as u64)
        })
    }
}
