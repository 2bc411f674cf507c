//! Strategies members share with their group (waiting for a facilitator,
//! approved or rejected) and members' own toolkits of saved strategies.

use chrono::{DateTime, Utc};

use super::{Db, StoreResult};
use crate::domain::library::Category;
use crate::domain::{GuildId, UserId};

/// Where a shared strategy stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Waiting,
    Approved,
    Rejected,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Waiting => "waiting",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "approved" => Self::Approved,
            "rejected" => Self::Rejected,
            _ => Self::Waiting,
        }
    }
}

/// A strategy a member offered to their group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shared {
    pub id: i64,
    pub guild: GuildId,
    pub category: Category,
    pub text: String,
    /// The name it is credited to; `None` shows as "a member".
    pub credit: Option<String>,
    pub status: Status,
    pub created: DateTime<Utc>,
}

impl Shared {
    /// Its key in toolkits and buttons: `s<id>`.
    pub fn key(&self) -> String {
        crate::domain::custom_id::StrategyKey::Shared(self.id).as_key()
    }
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    guild_id: i64,
    category: String,
    text: String,
    credit: Option<String>,
    status: String,
    created_at: DateTime<Utc>,
}

impl Row {
    fn into_shared(self) -> Option<Shared> {
        Some(Shared {
            id: self.id,
            guild: GuildId::from_db(self.guild_id),
            category: Category::parse(&self.category)?,
            text: self.text,
            credit: self.credit,
            status: Status::parse(&self.status),
            created: self.created_at,
        })
    }
}

const COLUMNS: &str =
    "SELECT id, guild_id, category, text, credit, status, created_at FROM shared_strategies";

impl Db {
    /// Records a strategy a member offered; it waits for a facilitator.
    pub async fn share_strategy(
        &self,
        guild: GuildId,
        author: UserId,
        category: Category,
        text: &str,
        credit: Option<&str>,
        now: DateTime<Utc>,
    ) -> StoreResult<Shared> {
        on_pool!(self, |pool| {
            let id: i64 = sqlx::query_scalar(
            "INSERT INTO shared_strategies (guild_id, category, text, author_id, credit, created_at)
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(guild.as_db())
        .bind(category.as_str())
        .bind(text)
        .bind(author.as_db())
        .bind(credit)
        .bind(now)
        .fetch_one(pool)
        .await?;
            Ok(Shared {
                id,
                guild,
                category,
                text: text.to_owned(),
                credit: credit.map(str::to_owned),
                status: Status::Waiting,
                created: now,
            })
        })
    }

    /// How many strategies the member has waiting in this server.
    pub async fn waiting_from(&self, guild: GuildId, author: UserId) -> StoreResult<i64> {
        on_pool!(self, |pool| {
            Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM shared_strategies WHERE guild_id = $1 AND author_id = $2 AND status = 'waiting'",
        )
        .bind(guild.as_db())
        .bind(author.as_db())
        .fetch_one(pool)
        .await?)
        })
    }

    pub async fn shared_strategy(&self, id: i64) -> StoreResult<Option<Shared>> {
        on_pool!(self, |pool| {
            let row: Option<Row> =
                sqlx::query_as(sqlx::AssertSqlSafe(format!("{COLUMNS} WHERE id = $1")))
                    .bind(id)
                    .fetch_optional(pool)
                    .await?;
            Ok(row.and_then(Row::into_shared))
        })
    }

    /// The server's strategies with this status, oldest first.
    pub async fn shared_strategies(
        &self,
        guild: GuildId,
        status: Status,
    ) -> StoreResult<Vec<Shared>> {
        on_pool!(self, |pool| {
            let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "{COLUMNS} WHERE guild_id = $1 AND status = $2 ORDER BY id"
            )))
            .bind(guild.as_db())
            .bind(status.as_str())
            .fetch_all(pool)
            .await?;
            Ok(rows.into_iter().filter_map(Row::into_shared).collect())
        })
    }

    /// Approves or rejects a waiting strategy. Returns it as decided, or
    /// `None` when it was not waiting (decided already, or gone).
    pub async fn decide_strategy(
        &self,
        guild: GuildId,
        id: i64,
        approve: bool,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<Shared>> {
        on_pool!(self, |pool| {
            let row: Option<Row> = sqlx::query_as(
                "UPDATE shared_strategies SET status = $1, decided_at = $2
             WHERE id = $3 AND guild_id = $4 AND status = 'waiting'
             RETURNING id, guild_id, category, text, credit, status, created_at",
            )
            .bind(if approve { "approved" } else { "rejected" })
            .bind(now)
            .bind(id)
            .bind(guild.as_db())
            .fetch_optional(pool)
            .await?;
            Ok(row.and_then(Row::into_shared))
        })
    }

    /// Remembers the log-channel message a waiting strategy was posted as.
    pub async fn set_strategy_log_message(&self, id: i64, message: u64) -> StoreResult<()> {
        on_pool!(self, |pool| {
            sqlx::query("UPDATE shared_strategies SET log_message = $1 WHERE id = $2")
                .bind(message as i64)
                .bind(id)
                .execute(pool)
                .await?;
            Ok(())
        })
    }

    pub async fn strategy_log_message(&self, id: i64) -> StoreResult<Option<u64>> {
        on_pool!(self, |pool| {
            let m: Option<Option<i64>> =
                sqlx::query_scalar("SELECT log_message FROM shared_strategies WHERE id = $1")
                    .bind(id)
                    .fetch_optional(pool)
                    .await?;
            Ok(m.flatten().map(|m| m as u64))
        })
    }

    /// The decisions on the member's strategies they have not heard of yet,
    /// marked as heard. A rejected one is deleted once its author knows.
    pub async fn take_decisions(&self, author: UserId) -> StoreResult<Vec<Shared>> {
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let rows: Vec<Row> = sqlx::query_as(
                "UPDATE shared_strategies SET told = 1
             WHERE author_id = $1 AND status != 'waiting' AND told = 0
             RETURNING id, guild_id, category, text, credit, status, created_at",
            )
            .bind(author.as_db())
            .fetch_all(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM shared_strategies WHERE author_id = $1 AND status = 'rejected' AND told = 1")
            .bind(author.as_db())
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            let mut out: Vec<Shared> = rows.into_iter().filter_map(Row::into_shared).collect();
            out.sort_by_key(|s| s.id);
            Ok(out)
        })
    }

    /// The log-channel cards of the member's shared strategies: (server,
    /// message).
    pub async fn strategy_cards_by(&self, author: UserId) -> StoreResult<Vec<(GuildId, u64)>> {
        on_pool!(self, |pool| {
            let rows: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT guild_id, log_message FROM shared_strategies WHERE author_id = $1 AND log_message IS NOT NULL",
        )
        .bind(author.as_db())
        .fetch_all(pool)
        .await?;
            Ok(rows
                .into_iter()
                .map(|(g, m)| (GuildId::from_db(g), m as u64))
                .collect())
        })
    }

    /// Deletes rejected strategies decided before `before` whose authors
    /// never opened `/toolkit` to hear of it: kept no longer than needed.
    pub async fn purge_old_rejections(&self, before: DateTime<Utc>) -> StoreResult<u64> {
        on_pool!(self, |pool| {
            Ok(sqlx::query(
                "DELETE FROM shared_strategies WHERE status = 'rejected' AND decided_at < $1",
            )
            .bind(before)
            .execute(pool)
            .await?
            .rows_affected())
        })
    }

    /// Every strategy the member shared (for `/privacy show`).
    pub async fn strategies_by(&self, author: UserId) -> StoreResult<Vec<Shared>> {
        on_pool!(self, |pool| {
            let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "{COLUMNS} WHERE author_id = $1 ORDER BY id"
            )))
            .bind(author.as_db())
            .fetch_all(pool)
            .await?;
            Ok(rows.into_iter().filter_map(Row::into_shared).collect())
        })
    }

    /// How many approved strategies of the server are in `category` (if
    /// given) and contain every one of `words` (lowercase), and the one at
    /// `index` of them, newest first.
    pub async fn approved_strategy_at(
        &self,
        guild: GuildId,
        category: Option<Category>,
        words: &[String],
        index: u64,
    ) -> StoreResult<(u64, Option<Shared>)> {
        on_pool!(self, |pool| {
            // Only numbered placeholders are added to the text: one LIKE per
            // word ($3 on), then the offset.
            let likes: String = (3..3 + words.len())
                .map(|n| format!(" AND lower(text) LIKE ${n} ESCAPE '\\'"))
                .collect();
            let filter = format!(
                " WHERE guild_id = $1 AND status = 'approved' AND ($2 IS NULL OR category = $2){likes}"
            );
            let offset = 3 + words.len();
            let patterns: Vec<String> = words.iter().map(|w| super::like_containing(w)).collect();
            let category = category.map(Category::as_str);
            let count_sql = format!("SELECT COUNT(*) FROM shared_strategies{filter}");
            let mut count = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(count_sql))
                .bind(guild.as_db())
                .bind(category);
            for p in &patterns {
                count = count.bind(p.clone());
            }
            let total = count.fetch_one(pool).await?.max(0) as u64;
            if index >= total {
                return Ok((total, None));
            }
            let row_sql = format!("{COLUMNS}{filter} ORDER BY id DESC LIMIT 1 OFFSET ${offset}");
            let mut row = sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(row_sql))
                .bind(guild.as_db())
                .bind(category);
            for p in &patterns {
                row = row.bind(p.clone());
            }
            let row = row.bind(index as i64).fetch_optional(pool).await?;
            Ok((total, row.and_then(Row::into_shared)))
        })
    }

    /// Saves a strategy to the member's toolkit; returns whether it was new.
    pub async fn save_to_toolkit(
        &self,
        user: UserId,
        strategy: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        on_pool!(self, |pool| {
            Ok(sqlx::query(
            "INSERT INTO toolkit (user_id, strategy_id, saved_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        )
        .bind(user.as_db())
        .bind(strategy)
        .bind(now)
        .execute(pool)
        .await?
        .rows_affected()
            > 0)
        })
    }

    pub async fn remove_from_toolkit(&self, user: UserId, strategy: &str) -> StoreResult<bool> {
        on_pool!(self, |pool| {
            Ok(
                sqlx::query("DELETE FROM toolkit WHERE user_id = $1 AND strategy_id = $2")
                    .bind(user.as_db())
                    .bind(strategy)
                    .execute(pool)
                    .await?
                    .rows_affected()
                    > 0,
            )
        })
    }

    /// The member's saved strategies (their keys), in the order saved.
    pub async fn toolkit(&self, user: UserId) -> StoreResult<Vec<String>> {
        on_pool!(self, |pool| {
            Ok(sqlx::query_scalar(
                "SELECT strategy_id FROM toolkit WHERE user_id = $1 ORDER BY saved_at, strategy_id",
            )
            .bind(user.as_db())
            .fetch_all(pool)
            .await?)
        })
    }

    /// A saved strategy as `/privacy export` shows it: built-in from the
    /// library, shared from the group's (gone when it no longer exists).
    pub(super) async fn toolkit_item(
        &self,
        key: String,
    ) -> StoreResult<crate::domain::privacy::StoredToolkitItem> {
        use crate::domain::custom_id::StrategyKey;
        let (category, title, text) = match StrategyKey::parse(&key) {
            Some(StrategyKey::Shared(id)) => match self.shared_strategy(id).await? {
                Some(s) => (Some(s.category), None, Some(s.text)),
                None => (None, None, None),
            },
            Some(StrategyKey::BuiltIn(..)) => match crate::domain::library::strategy(&key) {
                Some(s) => (
                    Some(s.category),
                    Some(s.title.clone()),
                    Some(s.text.clone()),
                ),
                None => (None, None, None),
            },
            None => (None, None, None),
        };
        Ok(crate::domain::privacy::StoredToolkitItem {
            key,
            category: category.map(|c| c.label().to_owned()),
            title,
            text,
        })
    }
}
