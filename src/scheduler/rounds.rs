//! Closing check-in rounds, on time or on request.

use chrono::{DateTime, Utc};
use poise::serenity_prelude as serenity;

use super::editor::{Editor, Target};
use crate::domain::periods::local_day;
use crate::rest::Rest;
use crate::store::{Db, Tally};
use crate::views;

/// Closes the round (once), turning its answers into counts and showing the
/// summary on its message as the last edit it gets. Returns the tally, or
/// `None` if it was closed already.
pub async fn close_round(
    db: &Db,
    rest: &Rest,
    editor: &Editor,
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
    // The answers and the salt are gone: make sure no copy stays in the log.
    if !db.checkpoint().await? {
        tracing::warn!(
            round,
            "a closed round's answers may linger in the write-ahead log until the next checkpoint"
        );
    }
    if let Some(message) = r.message {
        let embed = views::round_closed(&r.question, &tally, settings.min_group_size.get());
        let edit = serenity::EditMessage::new()
            .embed(embed)
            .components(Vec::new());
        let shown = editor
            .finish(Target::Round(round), async {
                rest.edit(
                    serenity::ChannelId::new(r.channel.0),
                    serenity::MessageId::new(message),
                    edit,
                )
                .await
            })
            .await;
        if let Err(e) = shown {
            tracing::warn!(round, error = %e, "cannot show a round's summary");
        }
    }
    Ok(Some(tally))
}

/// The scheduler's entry: a round's time is up.
pub async fn close(
    db: &Db,
    rest: &Rest,
    editor: &Editor,
    round: i64,
    now: DateTime<Utc>,
) -> Result<(), String> {
    close_round(db, rest, editor, round, now)
        .await
        .map(|_| ())
        .map_err(|e| format!("{e:#}"))
}
