//! `/round start|close`: an anonymous check-in round in a channel.

use chrono::Duration;
use poise::serenity_prelude as serenity;
use rand::RngCore;

use super::reply::Reply;
use super::{Context, Data, Error, render};
use crate::domain::mood::Mood;
use crate::domain::settings::Access;
use crate::domain::{ChannelId, UserId};
use crate::scheduler::editor::Target;
use crate::scheduler::rounds as work;
use crate::views;

pub const DEFAULT_MINUTES: i64 = 15;
pub const MAX_MINUTES: i64 = 240;
pub const MAX_QUESTION: usize = 300;
const DEFAULT_QUESTION: &str = "How are you arriving today?";

/// Check-in rounds: everyone answers with a button, only counts are shown
#[poise::command(
    slash_command,
    guild_only,
    subcommands("start", "close"),
    subcommand_required
)]
pub async fn round(_ctx: Context<'_>) -> Result<(), Error> {
    Ok(())
}

/// Open a round in this channel
#[poise::command(slash_command, guild_only, custom_data = "Access::Facilitator")]
async fn start(
    ctx: Context<'_>,
    #[description = "The question (default: How are you arriving today?)"]
    #[max_length = 300]
    question: Option<String>,
    #[description = "Minutes until it closes (default 15, at most 240)"]
    #[min = 1]
    #[max = 240]
    minutes: Option<i64>,
) -> Result<(), Error> {
    let data = ctx.data();
    let now = data.clock.now();
    let question = question
        .map(|q| q.trim().to_owned())
        .filter(|q| !q.is_empty())
        .unwrap_or_else(|| DEFAULT_QUESTION.to_owned());
    if question.chars().count() > MAX_QUESTION {
        return Err(Error::member(format!(
            "A question can be at most {MAX_QUESTION} characters."
        )));
    }
    let minutes = minutes.unwrap_or(DEFAULT_MINUTES);
    if !(1..=MAX_MINUTES).contains(&minutes) {
        return Err(Error::member(format!(
            "A round lasts from 1 to {MAX_MINUTES} minutes; {minutes} is outside that."
        )));
    }
    let guild = super::server(ctx)?;
    let channel = ChannelId(ctx.channel_id().get());
    let closes = now + Duration::minutes(minutes);
    let mut salt = [0u8; 32];
    rand::rng().fill_bytes(&mut salt);
    let Some(id) = data
        .db
        .open_round(guild, channel, &question, &salt, now, closes)
        .await?
    else {
        return Err(Error::member(
            "This channel already has an open round. Close it with `/round close` first.",
        ));
    };
    // Posting can wait on Discord: answer first.
    ctx.defer_ephemeral().await?;
    let (embed, components) = views::round_open(id, &question, closes, 0);
    let posted = data
        .rest
        .send(
            ctx.channel_id(),
            serenity::CreateMessage::new()
                .embed(embed)
                .components(components),
        )
        .await;
    match posted {
        Ok(message) => data.db.set_round_message(id, message.id.get()).await?,
        Err(e) => {
            tracing::warn!(round = id, error = %e, "cannot post a round");
            work::close_round(&data.db, &data.rest, &data.editor, id, now).await?;
            return Err(Error::member(
                "I couldn't post in this channel. Please check that I can send messages here.",
            ));
        }
    }
    data.scheduler.poke();
    ctx.send(render::ephemeral(format!(
        "The round is open and closes {}. Close it sooner with `/round close`.",
        views::relative(closes)
    )))
    .await?;
    Ok(())
}

/// Close the open round in this channel now
#[poise::command(slash_command, guild_only, custom_data = "Access::Facilitator")]
async fn close(ctx: Context<'_>) -> Result<(), Error> {
    let data = ctx.data();
    let Some(round) = data
        .db
        .open_round_in(ChannelId(ctx.channel_id().get()))
        .await?
    else {
        return Err(Error::member("There's no open round in this channel."));
    };
    ctx.defer_ephemeral().await?;
    match work::close_round(
        &data.db,
        &data.rest,
        &data.editor,
        round.id,
        data.clock.now(),
    )
    .await?
    {
        Some(tally) => {
            ctx.send(render::ephemeral(format!(
                "The round is closed; {} answered. The summary is on the round's message.",
                tally.answered
            )))
            .await?
        }
        None => {
            ctx.send(render::ephemeral("That round had already closed."))
                .await?
        }
    };
    Ok(())
}

/// A press on a round's button: records (or changes) the answer under the
/// round's salt and asks for the tally to follow.
pub async fn on_press(data: &Data, user: UserId, round: i64, answer: u8) -> Result<Reply, Error> {
    let Some(r) = data.db.round(round).await? else {
        return Err(Error::member("This round no longer exists."));
    };
    let Some(salt) = r.salt.as_deref().filter(|_| !r.closed) else {
        return Err(Error::member(
            "This round has closed. Thank you for being here.",
        ));
    };
    let key: [u8; 32] = salt
        .try_into()
        .map_err(|_| anyhow::anyhow!("round {round} has a malformed salt"))?;
    let voter = crate::domain::anonymity::round_voter(&key, user);
    if !data.db.answer_round(round, &voter, answer).await? {
        return Err(Error::member(
            "This round has just closed, so your answer wasn't counted. Thank you for being here.",
        ));
    }
    data.editor.touch(Target::Round(round));
    Ok(Reply::Ephemeral(match Mood::new(i64::from(answer)) {
        Some(m) => format!(
            "Thank you. You answered {m}. You can change it until the round closes; nobody sees who answered what."
        ),
        None => "Thank you. You passed, and that's completely fine.".to_owned(),
    }))
}
