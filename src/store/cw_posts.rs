//! `/cw` posts: Haven posts them, but each belongs to its author, so that
//! slowmode, forget, purge, bans that delete messages and reports reach it.

use chrono::{DateTime, Utc};

use super::{Db, StoreResult};
use crate::domain::{ChannelId, GuildId, UserId};

/// A `/cw` post as kept: where it is and whose it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CwPost {
    pub guild: GuildId,
    pub channel: ChannelId,
    pub message: u64,
    pub author: UserId,
    pub at: DateTime<Utc>,
}

type CwRow = (i64, i64, i64, i64, i64);

fn post((guild, channel, message, author, at): CwRow) -> Option<CwPost> {
    Some(CwPost {
        guild: GuildId::from_db(guild),
        channel: ChannelId::from_db(channel),
        message: message as u64,
        author: UserId::from_db(author),
        at: DateTime::from_timestamp_millis(at)?,
    })
}

/// Message ids as an SQL list (numbers only, so nothing can be injected).
fn id_list(messages: &[u64]) -> String {
    messages
        .iter()
        .map(|m| (*m as i64).to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

const COLUMNS: &str = "guild_id, channel_id, message_id, author_id, created_ms";

impl Db {
    pub async fn add_cw_post(&self, p: &CwPost) -> StoreResult<()> {
        on_pool!(self, |pool| {
            sqlx::query(
                "INSERT INTO cw_posts (guild_id, channel_id, message_id, author_id, created_ms)
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (message_id) DO NOTHING",
            )
            .bind(p.guild.as_db())
            .bind(p.channel.as_db())
            .bind(p.message as i64)
            .bind(p.author.as_db())
            .bind(p.at.timestamp_millis())
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    /// When the member last posted through `/cw` in the channel.
    pub async fn last_cw_post(
        &self,
        channel: ChannelId,
        author: UserId,
    ) -> StoreResult<Option<DateTime<Utc>>> {
        on_pool!(self, |pool| {
            let ms: Option<i64> = sqlx::query_scalar(
                "SELECT MAX(created_ms) FROM cw_posts WHERE channel_id = $1 AND author_id = $2",
            )
            .bind(channel.as_db())
            .bind(author.as_db())
            .fetch_one(pool)
            .await?;
            Ok(ms.and_then(DateTime::from_timestamp_millis))
        })
    }

    /// The `/cw` post of this message id, if it is one.
    pub async fn cw_post(&self, message: u64) -> StoreResult<Option<CwPost>> {
        on_pool!(self, |pool| {
            let row: Option<CwRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {COLUMNS} FROM cw_posts WHERE message_id = $1"
            )))
            .bind(message as i64)
            .fetch_optional(pool)
            .await?;
            Ok(row.and_then(post))
        })
    }

    /// The authors of those of `messages` that are `/cw` posts.
    pub async fn cw_authors(&self, messages: &[u64]) -> StoreResult<Vec<(u64, UserId)>> {
        if messages.is_empty() {
            return Ok(Vec::new());
        }
        let list = id_list(messages);
        on_pool!(self, |pool| {
            let rows: Vec<(i64, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT message_id, author_id FROM cw_posts WHERE message_id IN ({list})"
            )))
            .fetch_all(pool)
            .await?;
            Ok(rows
                .into_iter()
                .map(|(m, a)| (m as u64, UserId::from_db(a)))
                .collect())
        })
    }

    /// Every `/cw` post of the member, in every server (privacy), or in one
    /// server since `since` (a ban that deletes their recent messages).
    pub async fn cw_posts_by(
        &self,
        author: UserId,
        within: Option<(GuildId, DateTime<Utc>)>,
    ) -> StoreResult<Vec<CwPost>> {
        on_pool!(self, |pool| {
            let rows: Vec<CwRow> = match within {
                None => {
                    sqlx::query_as(sqlx::AssertSqlSafe(format!(
                        "SELECT {COLUMNS} FROM cw_posts WHERE author_id = $1 ORDER BY created_ms"
                    )))
                    .bind(author.as_db())
                    .fetch_all(pool)
                    .await?
                }
                Some((guild, since)) => {
                    sqlx::query_as(sqlx::AssertSqlSafe(format!(
                        "SELECT {COLUMNS} FROM cw_posts WHERE author_id = $1 AND guild_id = $2 AND created_ms >= $3 ORDER BY created_ms"
                    )))
                    .bind(author.as_db())
                    .bind(guild.as_db())
                    .bind(since.timestamp_millis())
                    .fetch_all(pool)
                    .await?
                }
            };
            Ok(rows.into_iter().filter_map(post).collect())
        })
    }

    /// Forgets `/cw` posts that are gone from Discord.
    pub async fn remove_cw_posts(&self, messages: &[u64]) -> StoreResult<()> {
        if messages.is_empty() {
            return Ok(());
        }
        let list = id_list(messages);
        on_pool!(self, |pool| {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "DELETE FROM cw_posts WHERE message_id IN ({list})"
            )))
            .execute(pool)
            .await?;
            Ok(())
        })
    }
}
