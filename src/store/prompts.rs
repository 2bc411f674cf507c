//! Discussion prompts: a server's own, the built-ins it hides, its place in
//! each pool's rotation, and its prompt schedules.

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;

use super::{Db, StoreResult, zone_from_db};
use crate::domain::library::{Category, Sensitive};
use crate::domain::prompt_schedule::{Days, PromptTimes};
use crate::domain::rotation::Rotation;
use crate::domain::{ChannelId, GuildId};

/// A prompt a server added itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerPrompt {
    pub id: i64,
    pub category: Category,
    pub text: String,
}

impl ServerPrompt {
    /// Its key in rotations and buttons: `own-<id>`.
    pub fn key(&self) -> String {
        crate::domain::custom_id::PromptKey::Own(self.id).as_key()
    }
}

/// A channel's prompt schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromptSchedule {
    pub channel: ChannelId,
    pub guild: GuildId,
    pub times: PromptTimes,
    pub category: Option<Category>,
    pub paused: bool,
    pub last_date: Option<NaiveDate>,
}

#[derive(sqlx::FromRow)]
struct ScheduleRow {
    channel_id: i64,
    guild_id: i64,
    zone: String,
    time_local: String,
    days: String,
    category: Option<String>,
    paused: i64,
    last_date: Option<String>,
}

impl ScheduleRow {
    fn into_schedule(self) -> Option<PromptSchedule> {
        Some(PromptSchedule {
            channel: ChannelId::from_db(self.channel_id),
            guild: GuildId::from_db(self.guild_id),
            times: PromptTimes {
                zone: zone_from_db(Some(self.zone)).unwrap_or(Tz::UTC),
                time: NaiveTime::parse_from_str(&self.time_local, "%H:%M").ok()?,
                days: Days::parse(&self.days)?,
            },
            category: self.category.as_deref().and_then(Category::parse),
            paused: self.paused != 0,
            last_date: self
                .last_date
                .as_deref()
                .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()),
        })
    }
}

const SCHEDULE_COLUMNS: &str = "SELECT channel_id, guild_id, zone, time_local, days, category, paused, last_date FROM prompt_schedules";

impl Db {
    pub async fn add_server_prompt(
        &self,
        guild: GuildId,
        category: Category,
        text: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<ServerPrompt> {
        on_pool!(self, |pool| {
            let id: i64 = sqlx::query_scalar(
            "INSERT INTO server_prompts (guild_id, category, text, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(guild.as_db())
        .bind(category.as_str())
        .bind(text)
        .bind(now)
        .fetch_one(pool)
        .await?;
            Ok(ServerPrompt {
                id,
                category,
                text: text.to_owned(),
            })
        })
    }

    /// Removes one of the server's own prompts; returns whether it existed.
    pub async fn remove_server_prompt(&self, guild: GuildId, id: i64) -> StoreResult<bool> {
        on_pool!(self, |pool| {
            Ok(
                sqlx::query("DELETE FROM server_prompts WHERE guild_id = $1 AND id = $2")
                    .bind(guild.as_db())
                    .bind(id)
                    .execute(pool)
                    .await?
                    .rows_affected()
                    > 0,
            )
        })
    }

    /// The server's own prompts, oldest first.
    pub async fn server_prompts(&self, guild: GuildId) -> StoreResult<Vec<ServerPrompt>> {
        on_pool!(self, |pool| {
            let rows: Vec<(i64, String, String)> = sqlx::query_as(
                "SELECT id, category, text FROM server_prompts WHERE guild_id = $1 ORDER BY id",
            )
            .bind(guild.as_db())
            .fetch_all(pool)
            .await?;
            Ok(rows
                .into_iter()
                .filter_map(|(id, category, text)| {
                    Some(ServerPrompt {
                        id,
                        category: Category::parse(&category)?,
                        text,
                    })
                })
                .collect())
        })
    }

    /// Hides or shows a built-in prompt in the server's rotation.
    pub async fn set_prompt_hidden(
        &self,
        guild: GuildId,
        prompt: &str,
        hidden: bool,
    ) -> StoreResult<()> {
        on_pool!(self, |pool| {
            let query = if hidden {
                "INSERT INTO hidden_prompts (guild_id, prompt_id) VALUES ($1, $2) ON CONFLICT DO NOTHING"
            } else {
                "DELETE FROM hidden_prompts WHERE guild_id = $1 AND prompt_id = $2"
            };
            sqlx::query(query)
                .bind(guild.as_db())
                .bind(prompt)
                .execute(pool)
                .await?;
            Ok(())
        })
    }

    pub async fn hidden_prompts(&self, guild: GuildId) -> StoreResult<BTreeSet<String>> {
        on_pool!(self, |pool| {
            let ids: Vec<String> =
                sqlx::query_scalar("SELECT prompt_id FROM hidden_prompts WHERE guild_id = $1")
                    .bind(guild.as_db())
                    .fetch_all(pool)
                    .await?;
            Ok(ids.into_iter().collect())
        })
    }

    /// Marks `category` sensitive for the server, or not. Returns whether
    /// that changed anything.
    pub async fn set_category_sensitive(
        &self,
        guild: GuildId,
        category: Category,
        sensitive: bool,
    ) -> StoreResult<bool> {
        on_pool!(self, |pool| {
            let query = if sensitive {
                "INSERT INTO sensitive_categories (guild_id, category) VALUES ($1, $2) ON CONFLICT DO NOTHING"
            } else {
                "DELETE FROM sensitive_categories WHERE guild_id = $1 AND category = $2"
            };
            Ok(sqlx::query(query)
                .bind(guild.as_db())
                .bind(category.as_str())
                .execute(pool)
                .await?
                .rows_affected()
                > 0)
        })
    }

    /// The categories the server treats as sensitive (see [`Sensitive`]).
    pub async fn sensitive_categories(&self, guild: GuildId) -> StoreResult<Sensitive> {
        on_pool!(self, |pool| {
            let keys: Vec<String> =
                sqlx::query_scalar("SELECT category FROM sensitive_categories WHERE guild_id = $1")
                    .bind(guild.as_db())
                    .fetch_all(pool)
                    .await?;
            Ok(Sensitive::with_marked(
                keys.iter().filter_map(|k| Category::parse(k)),
            ))
        })
    }

    /// Sets (or replaces) the channel's prompt schedule.
    pub async fn set_prompt_schedule(
        &self,
        schedule: &PromptSchedule,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            sqlx::query(
            "INSERT INTO prompt_schedules (channel_id, guild_id, zone, time_local, days, category, paused, last_date, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, 0, NULL, $7)
             ON CONFLICT (channel_id) DO UPDATE SET guild_id = $2, zone = $3, time_local = $4, days = $5,
                category = $6, paused = 0",
        )
        .bind(schedule.channel.as_db())
        .bind(schedule.guild.as_db())
        .bind(schedule.times.zone.name())
        .bind(schedule.times.time.format("%H:%M").to_string())
        .bind(schedule.times.days.as_str())
        .bind(schedule.category.map(Category::as_str))
        .bind(now)
        .execute(&mut *tx)
        .await?;
            sqlx::query("DELETE FROM jobs WHERE kind = 'prompt' AND schedule_channel_id = $1 AND state = 'pending'")
            .bind(schedule.channel.as_db())
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(())
        })
    }

    /// Removes the channel's schedule and its pending posting; returns
    /// whether there was one.
    pub async fn remove_prompt_schedule(&self, channel: ChannelId) -> StoreResult<bool> {
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let removed = sqlx::query("DELETE FROM prompt_schedules WHERE channel_id = $1")
                .bind(channel.as_db())
                .execute(&mut *tx)
                .await?
                .rows_affected()
                > 0;
            sqlx::query("DELETE FROM jobs WHERE kind = 'prompt' AND schedule_channel_id = $1 AND state = 'pending'")
            .bind(channel.as_db())
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(removed)
        })
    }

    pub async fn prompt_schedule(&self, channel: ChannelId) -> StoreResult<Option<PromptSchedule>> {
        on_pool!(self, |pool| {
            let row: Option<ScheduleRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "{SCHEDULE_COLUMNS} WHERE channel_id = $1"
            )))
            .bind(channel.as_db())
            .fetch_optional(pool)
            .await?;
            Ok(row.and_then(ScheduleRow::into_schedule))
        })
    }

    /// The server's prompt schedules.
    pub async fn prompt_schedules(&self, guild: GuildId) -> StoreResult<Vec<PromptSchedule>> {
        on_pool!(self, |pool| {
            let rows: Vec<ScheduleRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "{SCHEDULE_COLUMNS} WHERE guild_id = $1 ORDER BY channel_id"
            )))
            .bind(guild.as_db())
            .fetch_all(pool)
            .await?;
            Ok(rows
                .into_iter()
                .filter_map(ScheduleRow::into_schedule)
                .collect())
        })
    }

    /// Records the local date just posted (never moving backwards).
    pub async fn mark_prompt_posted(&self, channel: ChannelId, date: NaiveDate) -> StoreResult<()> {
        on_pool!(self, |pool| {
            sqlx::query(
            "UPDATE prompt_schedules SET last_date = $1 WHERE channel_id = $2 AND (last_date IS NULL OR last_date < $1)",
        )
        .bind(date.format("%Y-%m-%d").to_string())
        .bind(channel.as_db())
        .execute(pool)
        .await?;
            Ok(())
        })
    }

    /// Pauses a schedule (its channel is gone or closed to Haven).
    pub async fn pause_prompt_schedule(&self, channel: ChannelId) -> StoreResult<()> {
        on_pool!(self, |pool| {
            sqlx::query("UPDATE prompt_schedules SET paused = 1 WHERE channel_id = $1")
                .bind(channel.as_db())
                .execute(pool)
                .await?;
            Ok(())
        })
    }

    /// Plans a schedule's posting for the local `date` at `at`. A posting
    /// of that day that was skipped (missed, or its channel was gone) is
    /// planned again at the new time; one done or being sent is left as it
    /// is. Returns whether a posting for that day is now waiting.
    pub async fn add_prompt_job(
        &self,
        channel: ChannelId,
        date: NaiveDate,
        at: DateTime<Utc>,
    ) -> StoreResult<bool> {
        on_pool!(self, |pool| {
            let state: Option<String> = sqlx::query_scalar(
            "INSERT INTO jobs (kind, schedule_channel_id, guild_id, occurrence, due_ms, planned_ms)
             VALUES ('prompt', $1, (SELECT guild_id FROM prompt_schedules WHERE channel_id = $1), $2, $3, $3)
             ON CONFLICT (schedule_channel_id, occurrence) WHERE kind = 'prompt'
             DO UPDATE SET state = 'pending', due_ms = excluded.due_ms, planned_ms = excluded.planned_ms, attempts = 0,
                guild_id = excluded.guild_id
                WHERE jobs.state IN ('skipped', 'pending')
             RETURNING state",
        )
        .bind(channel.as_db())
        .bind(posting_key(date))
        .bind(at.timestamp_millis())
        .fetch_optional(pool)
        .await?;
            Ok(state.as_deref() == Some("pending"))
        })
    }

    /// The schedules that are not paused (to make sure each has its next
    /// posting planned after a restart).
    /// Up to `limit` active schedules of this process's servers whose
    /// channel comes after `after` (paging from 0), in channel order.
    pub async fn active_prompt_schedules(
        &self,
        after: u64,
        limit: i64,
    ) -> StoreResult<Vec<PromptSchedule>> {
        on_pool!(self, |pool| {
            let rows: Vec<ScheduleRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "{SCHEDULE_COLUMNS} WHERE paused = 0 AND channel_id > $1 AND {mine} ORDER BY channel_id LIMIT $2",
                mine = self.own_guilds()
            )))
            .bind(after as i64)
            .bind(limit)
            .fetch_all(pool)
            .await?;
            Ok(rows
                .into_iter()
                .filter_map(ScheduleRow::into_schedule)
                .collect())
        })
    }

    /// A pool's rotation as stored.
    pub async fn rotation(&self, guild: GuildId, prompts: &str) -> StoreResult<Rotation> {
        on_pool!(self, |pool| {
            let row: Option<(String, Option<String>)> = sqlx::query_as(
                "SELECT used, last FROM prompt_rotations WHERE guild_id = $1 AND pool = $2",
            )
            .bind(guild.as_db())
            .bind(prompts)
            .fetch_optional(pool)
            .await?;
            Ok(rotation_of(row))
        })
    }

    /// Takes the next prompt of a pool's rotation among `eligible` (the
    /// pool's keys as it is now) and marks it used, alone among posts
    /// drawing from the server's rotations: two posts at once (schedules in
    /// two channels due together, `/prompt now`, two processes) never take
    /// the same prompt. Returns it with the rotation before and after
    /// (to give it back if the post fails), or `None` for an empty pool.
    pub async fn take_from_rotation(
        &self,
        guild: GuildId,
        prompts: &str,
        eligible: &[String],
    ) -> StoreResult<Option<(String, Rotation, Rotation)>> {
        on_pool!(self, |pool| {
            let mut tx = pool
                .begin_alone(super::alone::ROTATIONS ^ guild.as_db())
                .await?;
            let row: Option<(String, Option<String>)> = sqlx::query_as(
                "SELECT used, last FROM prompt_rotations WHERE guild_id = $1 AND pool = $2",
            )
            .bind(guild.as_db())
            .bind(prompts)
            .fetch_optional(&mut *tx)
            .await?;
            let before = rotation_of(row);
            let mut after = before.clone();
            let Some(pick) = after.next(eligible, &mut rand::rng()) else {
                return Ok(None);
            };
            sqlx::query(
                "INSERT INTO prompt_rotations (guild_id, pool, used, last) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (guild_id, pool) DO UPDATE SET used = excluded.used, last = excluded.last",
            )
            .bind(guild.as_db())
            .bind(prompts)
            .bind(used_json(&after))
            .bind(after.last.as_deref())
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(Some((pick, before, after)))
        })
    }

    /// Moves a pool's rotation from `from` back to `to`, only if it is
    /// still `from` (nothing was drawn since): a post that failed gives its
    /// prompt back. Returns whether it moved.
    pub async fn swap_rotation(
        &self,
        guild: GuildId,
        prompts: &str,
        from: &Rotation,
        to: &Rotation,
    ) -> StoreResult<bool> {
        let json = used_json;
        on_pool!(self, |pool| {
            if *from == Rotation::default() {
                let inserted = sqlx::query(
                    "INSERT INTO prompt_rotations (guild_id, pool, used, last) VALUES ($1, $2, $3, $4)
                     ON CONFLICT (guild_id, pool) DO NOTHING",
                )
                .bind(guild.as_db())
                .bind(prompts)
                .bind(json(to))
                .bind(to.last.as_deref())
                .execute(pool)
                .await?
                .rows_affected();
                if inserted == 1 {
                    return Ok(true);
                }
            }
            Ok(sqlx::query(
                "UPDATE prompt_rotations SET used = $3, last = $4
                 WHERE guild_id = $1 AND pool = $2 AND used = $5 AND last IS NOT DISTINCT FROM $6",
            )
            .bind(guild.as_db())
            .bind(prompts)
            .bind(json(to))
            .bind(to.last.as_deref())
            .bind(json(from))
            .bind(from.last.as_deref())
            .execute(pool)
            .await?
            .rows_affected()
                == 1)
        })
    }
}

/// A rotation from its stored row (none yet, or unreadable: a fresh one).
fn rotation_of(row: Option<(String, Option<String>)>) -> Rotation {
    match row {
        Some((used, last)) => Rotation {
            used: serde_json::from_str(&used).unwrap_or_default(),
            last,
        },
        None => Rotation::default(),
    }
}

/// How a rotation's used prompts are stored: a JSON array, sorted.
fn used_json(rotation: &Rotation) -> String {
    serde_json::to_string(&rotation.used).unwrap_or_else(|_| "[]".into())
}

/// A posting's key among a schedule's jobs: its local date as days since
/// 1970-01-01.
pub fn posting_key(date: NaiveDate) -> i64 {
    (date - NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default()).num_days()
}

/// The local date of a posting's key.
pub fn posting_date(key: i64) -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default() + chrono::Duration::days(key)
}
