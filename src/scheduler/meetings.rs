//! Meeting work shared by the commands and the engine: planning an
//! occurrence's jobs, posting and refreshing the announcement, and moving on
//! when an occurrence ends.

use chrono::{DateTime, Utc};
use poise::serenity_prelude as serenity;

use super::messages;
use crate::clock::SharedClock;
use crate::domain::GuildId;
use crate::domain::meeting::Meeting;
use crate::store::{Db, Job, StoreError};

/// Plans the jobs of the meeting's current occurrence, as seen at `now`,
/// replacing whatever was planned before.
pub async fn plan(db: &Db, meeting: &Meeting, now: DateTime<Utc>) -> Result<(), StoreError> {
    let jobs = match meeting.current_occurrence(now) {
        Some(o) if !meeting.ended => meeting.jobs_for(&o, now),
        _ => Vec::new(),
    };
    db.replace_jobs(meeting.id, &jobs).await
}

/// Posts the announcement in the meeting's channel and remembers it.
pub async fn post_announcement(
    db: &Db,
    http: &serenity::Http,
    meeting: &mut Meeting,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let next = meeting.current_occurrence(now);
    let counts = match &next {
        Some(o) => db.rsvp_counts(meeting.id, o.start).await?,
        None => Default::default(),
    };
    let (embed, components) = messages::announcement(meeting, next.as_ref(), counts);
    let message = serenity::ChannelId::new(meeting.channel.0)
        .send_message(
            http,
            serenity::CreateMessage::new()
                .embed(embed)
                .components(components)
                .allowed_mentions(serenity::CreateAllowedMentions::new()),
        )
        .await?;
    meeting.announcement = Some(message.id.get());
    db.update_meeting(meeting).await?;
    Ok(())
}

/// Brings the announcement up to date (next occurrence and counts). A
/// missing announcement is logged, not an error: the meeting goes on.
pub async fn refresh_announcement(
    db: &Db,
    http: &serenity::Http,
    meeting: &Meeting,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let Some(message_id) = meeting.announcement else {
        return Ok(());
    };
    let next = meeting.current_occurrence(now);
    let counts = match &next {
        Some(o) => db.rsvp_counts(meeting.id, o.start).await?,
        None => Default::default(),
    };
    let (embed, components) = messages::announcement(meeting, next.as_ref(), counts);
    let edit = serenity::EditMessage::new()
        .embed(embed)
        .components(components);
    if let Err(e) = serenity::ChannelId::new(meeting.channel.0)
        .edit_message(http, serenity::MessageId::new(message_id), edit)
        .await
    {
        match super::classify(&e) {
            super::Failure::Gone | super::Failure::Permanent => {
                tracing::info!(meeting = meeting.id.0, error = %e, "the announcement is gone; not refreshed");
            }
            _ => return Err(e.into()),
        }
    }
    Ok(())
}

/// An occurrence ended: plan the next one (as of when this one ended, so that
/// its reminders exist even if the engine runs late) and move the
/// announcement on; a series with no next occurrence ends.
pub async fn rollover(
    db: &Db,
    http: &serenity::Http,
    clock: &SharedClock,
    job: &Job,
) -> Result<(), String> {
    let Some(id) = job.meeting else { return Ok(()) };
    let Some(mut meeting) = db.meeting(id).await.map_err(|e| e.to_string())? else {
        return Ok(());
    };
    if meeting.ended {
        return Ok(());
    }
    let at = job.due;
    match meeting.current_occurrence(at) {
        Some(next) => db
            .add_jobs(meeting.id, &meeting.jobs_for(&next, at))
            .await
            .map_err(|e| e.to_string())?,
        None => {
            meeting.ended = true;
            db.update_meeting(&meeting)
                .await
                .map_err(|e| e.to_string())?;
        }
    }
    refresh_announcement(db, http, &meeting, clock.now().max(at))
        .await
        .map_err(|e| format!("{e:#}"))
}

/// Tells the server's log channel, if it has one.
pub async fn notify_log(db: &Db, http: &serenity::Http, guild: GuildId, text: &str) {
    let settings = match db.guild_settings(guild).await {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "cannot read settings for a notice");
            return;
        }
    };
    let Some(channel) = settings.log_channel else {
        tracing::info!(guild = guild.0, "no log channel for a facilitator notice");
        return;
    };
    let message = serenity::CreateMessage::new()
        .content(text)
        .allowed_mentions(serenity::CreateAllowedMentions::new());
    if let Err(e) = serenity::ChannelId::new(channel.0)
        .send_message(http, message)
        .await
    {
        tracing::warn!(guild = guild.0, error = %e, "cannot post to the log channel");
    }
}
