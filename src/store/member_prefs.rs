//! A member's own preferences.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::{Db, StoreResult, zone_from_db};
use crate::domain::UserId;
use crate::domain::privacy::StoredZone;

impl Db {
    /// The member's own time zone, if they set one.
    pub async fn member_timezone(&self, user: UserId) -> StoreResult<Option<Tz>> {
        on_pool!(self, |pool| {
            let zone: Option<Option<String>> =
                sqlx::query_scalar("SELECT timezone FROM member_prefs WHERE user_id = $1")
                    .bind(user.as_db())
                    .fetch_optional(pool)
                    .await?;
            Ok(zone_from_db(zone.flatten()))
        })
    }

    /// The member's time zone with when they set it, as `/privacy` lists it.
    pub(super) async fn member_stored_zone(&self, user: UserId) -> StoreResult<Option<StoredZone>> {
        on_pool!(self, |pool| {
            let row: Option<(Option<String>, DateTime<Utc>)> =
                sqlx::query_as("SELECT timezone, updated_at FROM member_prefs WHERE user_id = $1")
                    .bind(user.as_db())
                    .fetch_optional(pool)
                    .await?;
            Ok(row.and_then(|(zone, set_at)| zone.map(|zone| StoredZone { zone, set_at })))
        })
    }

    pub async fn set_member_timezone(
        &self,
        user: UserId,
        zone: Tz,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        on_pool!(self, |pool| {
            sqlx::query(
                "INSERT INTO member_prefs (user_id, timezone, updated_at) VALUES ($1, $2, $3)
             ON CONFLICT (user_id) DO UPDATE SET timezone = $2, updated_at = $3",
            )
            .bind(user.as_db())
            .bind(zone.name())
            .bind(now)
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    /// Forgets the member's time zone. Returns whether one was set. A member
    /// left with no preference at all has no row.
    pub async fn clear_member_timezone(&self, user: UserId) -> StoreResult<bool> {
        on_pool!(self, |pool| {
            let result =
                sqlx::query("DELETE FROM member_prefs WHERE user_id = $1 AND timezone IS NOT NULL")
                    .bind(user.as_db())
                    .execute(pool)
                    .await?;
            Ok(result.rows_affected() > 0)
        })
    }
}
