//! A server's settings.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::{Db, StoreResult, zone_from_db};
use crate::domain::settings::{GuildSettings, MinGroupSize, Setting};
use crate::domain::{ChannelId, GuildId, RoleId};

#[derive(sqlx::FromRow)]
struct Row {
    facilitator_role_id: Option<i64>,
    timezone: Option<String>,
    log_channel_id: Option<i64>,
    min_group_size: i64,
    attend_minutes: Option<i64>,
}

impl From<Row> for GuildSettings {
    fn from(row: Row) -> Self {
        Self {
            facilitator_role: row.facilitator_role_id.map(RoleId::from_db),
            timezone: zone_from_db(row.timezone),
            log_channel: row.log_channel_id.map(ChannelId::from_db),
            min_group_size: MinGroupSize::new(row.min_group_size).unwrap_or_default(),
            attend_minutes: row
                .attend_minutes
                .filter(|m| crate::domain::attendance::ATTEND_MINUTES.contains(m)),
        }
    }
}

impl Db {
    /// The server's settings; the defaults if it never changed any.
    pub async fn guild_settings(&self, guild: GuildId) -> StoreResult<GuildSettings> {
        on_pool!(self, |pool| {
            let row: Option<Row> = sqlx::query_as(
                "SELECT facilitator_role_id, timezone, log_channel_id, min_group_size, attend_minutes
             FROM guild_settings WHERE guild_id = $1",
            )
            .bind(guild.as_db())
            .fetch_optional(pool)
            .await?;
            Ok(row.map(GuildSettings::from).unwrap_or_default())
        })
    }

    /// Puts one setting back to its default.
    pub async fn clear_setting(
        &self,
        guild: GuildId,
        setting: Setting,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        on_pool!(self, |pool| {
            let query = match setting {
                Setting::FacilitatorRole => {
                    "UPDATE guild_settings SET facilitator_role_id = NULL, updated_at = $1 WHERE guild_id = $2"
                }
                Setting::Timezone => {
                    "UPDATE guild_settings SET timezone = NULL, updated_at = $1 WHERE guild_id = $2"
                }
                Setting::LogChannel => {
                    "UPDATE guild_settings SET log_channel_id = NULL, updated_at = $1 WHERE guild_id = $2"
                }
                Setting::MinGroupSize => {
                    "UPDATE guild_settings SET min_group_size = 5, updated_at = $1 WHERE guild_id = $2"
                }
                Setting::AttendMinutes => {
                    "UPDATE guild_settings SET attend_minutes = NULL, updated_at = $1 WHERE guild_id = $2"
                }
            };
            sqlx::query(query)
                .bind(now)
                .bind(guild.as_db())
                .execute(pool)
                .await?;
            Ok(())
        })
    }

    pub async fn set_facilitator_role(
        &self,
        guild: GuildId,
        role: RoleId,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        on_pool!(self, |pool| {
            sqlx::query(
            "INSERT INTO guild_settings (guild_id, facilitator_role_id, updated_at) VALUES ($1, $2, $3)
             ON CONFLICT (guild_id) DO UPDATE SET facilitator_role_id = $2, updated_at = $3",
        )
        .bind(guild.as_db())
        .bind(role.as_db())
        .bind(now)
        .execute(pool)
        .await?;
            Ok(())
        })
    }

    /// The server's own time in a voice meeting that counts as coming.
    pub async fn set_attend_minutes(
        &self,
        guild: GuildId,
        minutes: i64,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        on_pool!(self, |pool| {
            sqlx::query(
                "INSERT INTO guild_settings (guild_id, attend_minutes, updated_at) VALUES ($1, $2, $3)
             ON CONFLICT (guild_id) DO UPDATE SET attend_minutes = $2, updated_at = $3",
            )
            .bind(guild.as_db())
            .bind(minutes)
            .bind(now)
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    pub async fn set_guild_timezone(
        &self,
        guild: GuildId,
        zone: Tz,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        on_pool!(self, |pool| {
            sqlx::query(
                "INSERT INTO guild_settings (guild_id, timezone, updated_at) VALUES ($1, $2, $3)
             ON CONFLICT (guild_id) DO UPDATE SET timezone = $2, updated_at = $3",
            )
            .bind(guild.as_db())
            .bind(zone.name())
            .bind(now)
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    pub async fn set_log_channel(
        &self,
        guild: GuildId,
        channel: ChannelId,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        on_pool!(self, |pool| {
            sqlx::query(
            "INSERT INTO guild_settings (guild_id, log_channel_id, updated_at) VALUES ($1, $2, $3)
             ON CONFLICT (guild_id) DO UPDATE SET log_channel_id = $2, updated_at = $3",
        )
        .bind(guild.as_db())
        .bind(channel.as_db())
        .bind(now)
        .execute(pool)
        .await?;
            Ok(())
        })
    }

    pub async fn set_min_group_size(
        &self,
        guild: GuildId,
        size: MinGroupSize,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        on_pool!(self, |pool| {
            sqlx::query(
            "INSERT INTO guild_settings (guild_id, min_group_size, updated_at) VALUES ($1, $2, $3)
             ON CONFLICT (guild_id) DO UPDATE SET min_group_size = $2, updated_at = $3",
        )
        .bind(guild.as_db())
        .bind(i64::from(size.get()))
        .bind(now)
        .execute(pool)
        .await?;
            Ok(())
        })
    }
}

impl Db {
    /// A facilitator's choice to get reach-out requests by direct message.
    pub async fn set_dm_notices(
        &self,
        guild: GuildId,
        user: crate::domain::UserId,
        enabled: bool,
    ) -> StoreResult<()> {
        on_pool!(self, |pool| {
            let query = if enabled {
                "INSERT INTO facilitator_dm_notices (guild_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING"
            } else {
                "DELETE FROM facilitator_dm_notices WHERE guild_id = $1 AND user_id = $2"
            };
            sqlx::query(query)
                .bind(guild.as_db())
                .bind(user.as_db())
                .execute(pool)
                .await?;
            Ok(())
        })
    }

    /// Facilitators of the server who get reach-out requests by DM.
    pub async fn dm_notice_facilitators(
        &self,
        guild: GuildId,
    ) -> StoreResult<Vec<crate::domain::UserId>> {
        on_pool!(self, |pool| {
            let ids: Vec<i64> = sqlx::query_scalar(
                "SELECT user_id FROM facilitator_dm_notices WHERE guild_id = $1 ORDER BY user_id",
            )
            .bind(guild.as_db())
            .fetch_all(pool)
            .await?;
            Ok(ids
                .into_iter()
                .map(crate::domain::UserId::from_db)
                .collect())
        })
    }
}
