//! A member's own journal: kept only if they opted in, only for them.

use chrono::{DateTime, Utc};

use super::{Db, StoreResult};
use crate::domain::UserId;
use crate::domain::mood::Mood;

pub const DEFAULT_RETENTION_DAYS: i64 = 90;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalEntry {
    pub mood: Mood,
    pub note: Option<String>,
    pub at: DateTime<Utc>,
}

impl Db {
    /// Starts keeping the member's check-ins. Returns false if already on.
    pub async fn journal_start(&self, user: UserId, now: DateTime<Utc>) -> StoreResult<bool> {
        on_pool!(self, |pool| {
            let r = sqlx::query(
            "INSERT INTO journal_members (user_id, started_at, retention_days) VALUES ($1, $2, $3)
             ON CONFLICT (user_id) DO UPDATE SET active = 1, started_at = $2 WHERE journal_members.active = 0",
        )
        .bind(user.as_db())
        .bind(now)
        .bind(DEFAULT_RETENTION_DAYS)
        .execute(pool)
        .await?;
            Ok(r.rows_affected() > 0)
        })
    }

    /// The member's retention in days, if their journal is on.
    pub async fn journal_retention(&self, user: UserId) -> StoreResult<Option<i64>> {
        on_pool!(self, |pool| {
            Ok(
                sqlx::query_scalar("SELECT retention_days FROM journal_members WHERE user_id = $1")
                    .bind(user.as_db())
                    .fetch_optional(pool)
                    .await?,
            )
        })
    }

    /// Stops the journal; with `delete`, its entries go too (and are wiped
    /// from the files). Without, entries stay until their retention ends.
    /// Returns how many entries were deleted.
    pub async fn journal_stop(&self, user: UserId, delete: bool) -> StoreResult<u64> {
        on_pool!(self, |pool| {
            if delete {
                let n = sqlx::query("DELETE FROM journal_entries WHERE user_id = $1")
                    .bind(user.as_db())
                    .execute(pool)
                    .await?
                    .rows_affected();
                sqlx::query("DELETE FROM journal_members WHERE user_id = $1")
                    .bind(user.as_db())
                    .execute(pool)
                    .await?;
                self.checkpoint().await?;
                Ok(n)
            } else {
                // The entries keep their retention; no new ones are added.
                sqlx::query("UPDATE journal_members SET active = 0 WHERE user_id = $1")
                    .bind(user.as_db())
                    .execute(pool)
                    .await?;
                Ok(0)
            }
        })
    }

    /// Whether new check-ins go into the member's journal.
    pub async fn journal_active(&self, user: UserId) -> StoreResult<bool> {
        on_pool!(self, |pool| {
            let active: Option<i64> =
                sqlx::query_scalar("SELECT active FROM journal_members WHERE user_id = $1")
                    .bind(user.as_db())
                    .fetch_optional(pool)
                    .await?;
            Ok(active.is_some_and(|a| a != 0))
        })
    }

    pub async fn add_journal_entry(
        &self,
        user: UserId,
        mood: Mood,
        note: Option<&str>,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        on_pool!(self, |pool| {
            sqlx::query(
            "INSERT INTO journal_entries (user_id, mood, note, created_ms) VALUES ($1, $2, $3, $4)",
        )
        .bind(user.as_db())
        .bind(i64::from(mood.value()))
        .bind(note)
        .bind(now.timestamp_millis())
        .execute(pool)
        .await?;
            Ok(())
        })
    }

    /// The member's entries, newest last, at most `limit`.
    pub async fn journal_entries(
        &self,
        user: UserId,
        limit: i64,
    ) -> StoreResult<Vec<JournalEntry>> {
        on_pool!(self, |pool| {
            let rows: Vec<(i64, Option<String>, i64)> = sqlx::query_as(
            "SELECT mood, note, created_ms FROM (SELECT id, mood, note, created_ms FROM journal_entries
             WHERE user_id = $1 ORDER BY created_ms DESC, id DESC LIMIT $2) AS recent ORDER BY created_ms, id",
        )
        .bind(user.as_db())
        .bind(limit)
        .fetch_all(pool)
        .await?;
            Ok(rows
                .into_iter()
                .filter_map(|(mood, note, ms)| {
                    Some(JournalEntry {
                        mood: Mood::new(mood)?,
                        note,
                        at: DateTime::from_timestamp_millis(ms)?,
                    })
                })
                .collect())
        })
    }

    /// Deletes entries older than each member's retention; a stopped journal
    /// with nothing left is removed. Returns how many entries were deleted.
    pub async fn purge_journals(&self, now: DateTime<Utc>) -> StoreResult<u64> {
        on_pool!(self, |pool| {
            let n = sqlx::query(
                "DELETE FROM journal_entries WHERE id IN (
                SELECT e.id FROM journal_entries e JOIN journal_members m ON m.user_id = e.user_id
                WHERE e.created_ms < $1 - m.retention_days * 86400000)",
            )
            .bind(now.timestamp_millis())
            .execute(pool)
            .await?
            .rows_affected();
            sqlx::query(
            "DELETE FROM journal_members WHERE active = 0
             AND NOT EXISTS (SELECT 1 FROM journal_entries e WHERE e.user_id = journal_members.user_id)",
        )
        .execute(pool)
        .await?;
            Ok(n)
        })
    }
}
