//! Closing check-in rounds, on time or on request.

use chrono::{DateTime, Utc};
use poise::serenity_prelude as serenity;

use super::messages;
use crate::domain::periods::local_day;
use crate::store::{Db, Tally};

/// Closes the round (once), turning its answers into counts and showing the
/// summary on its message. Returns the tally, or `None` if it was closed already.
pub async fn close_round(
    db: &Db,
    http: &serenity::Http,
    round: i64,
    now: DateTime<Utc>,
) -> anyhow::Result<Option<Tally>> {
    let Some(r) = db.round(round).await? else {
        return Ok(None);
    };
    let settings = db.guild_settings(r.guild).await?;
    let day = local_day(now, settings.timezone.unwrap_or(chrono_tz::Tz::UTC));
    let Some(tally) = db.close_round(round, day).await? else {
        return Ok(None);
    };
    if let Some(message) = r.message {
        let embed = messages::round_closed(&r.question, &tally, settings.min_group_size.get());
        let edit = serenity::EditMessage::new()
            .embed(embed)
            .components(Vec::new());
        if let Err(e) = serenity::ChannelId::new(r.channel.0)
            .edit_message(http, serenity::MessageId::new(message), edit)
            .await
        {
            tracing::warn!(round, error = %e, "cannot show a round's summary");
        }
    }
    Ok(Some(tally))
}

/// The scheduler's entry: a round's time is up.
pub async fn close(
    db: &Db,
    http: &serenity::Http,
    round: i64,
    now: DateTime<Utc>,
) -> Result<(), String> {
    close_round(db, http, round, now)
        .await
        .map(|_| ())
        .map_err(|e| format!("{e:#}"))
}
