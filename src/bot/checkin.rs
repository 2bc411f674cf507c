//! `/checkin`: a personal check-in, private or shared with the group.

use chrono::{DateTime, Utc};
use poise::serenity_prelude as serenity;

use super::router::Reply;
use super::{Context, Data, Error, render};
use crate::domain::custom_id::CustomId;
use crate::domain::mood::Mood;
use crate::domain::stats::Facet;
use crate::domain::{GuildId, UserId};
use crate::rest::RestError;

pub const MAX_NOTE: usize = 1000;

#[derive(Debug, Clone, Copy, poise::ChoiceParameter)]
pub enum ShareChoice {
    #[name = "private"]
    Private,
    #[name = "group"]
    Group,
}

/// How are you arriving today? (1 struggling … 5 great)
#[poise::command(slash_command, guild_only)]
pub async fn checkin(
    ctx: Context<'_>,
    #[description = "1 struggling, 2 low, 3 okay, 4 good, 5 great"]
    #[min = 1]
    #[max = 5]
    mood: i64,
    #[description = "Anything you'd like to add (up to 1000 characters)"] note: Option<String>,
    #[description = "private (default): only you see it; group: post it here under your name"]
    share: Option<ShareChoice>,
) -> Result<(), Error> {
    let Some(mood) = Mood::new(mood) else {
        return Err(Error::member(
            "Please choose a mood from 1 (struggling) to 5 (great).",
        ));
    };
    let note = note.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
    if let Some(n) = &note {
        let len = n.chars().count();
        if len > MAX_NOTE {
            return Err(Error::member(format!(
                "A note can be at most {MAX_NOTE} characters; yours has {len}. Please shorten it and check in again. Nothing was saved."
            )));
        }
    }
    let share = matches!(share, Some(ShareChoice::Group));
    if share && !super::can_post_here(ctx) {
        return Err(Error::member(
            "You can't post in this channel yourself, so I won't post your check-in here. Try it in a channel where you can write, or check in privately. Nothing was saved.",
        ));
    }
    let data = ctx.data();
    let now = data.clock.now();
    let guild = super::server(ctx)?;
    let user = UserId(ctx.author().id.get());
    if share {
        // Posting can wait on Discord: answer first. A private check-in is
        // one quick write (a read only, once the member is counted in every
        // open period), answered straight away.
        ctx.defer_ephemeral().await?;
    }
    let tz = data
        .db
        .guild_settings(guild)
        .await?
        .timezone
        .unwrap_or(chrono_tz::Tz::UTC);

    // Counted as a person (once per period, however often they check in),
    // never as a check-in.
    data.db
        .count_person(guild, tz, now, &[Facet::Any, Facet::Mood(mood)], user)
        .await?;
    let journaled = data.db.journal_active(user).await?;
    if journaled {
        data.db
            .add_journal_entry(user, mood, note.as_deref(), now)
            .await?;
    }

    let mut reply = format!("Thank you for checking in. {mood}.");
    if share {
        let name = ctx
            .author_member()
            .await
            .map(|m| m.display_name().to_owned())
            .unwrap_or_else(|| ctx.author().name.clone());
        let mut text = format!(
            "**{}** checked in: {mood}",
            crate::domain::text::inert(&name)
        );
        if let Some(n) = &note {
            text.push_str("\n> ");
            text.push_str(&crate::domain::text::inert(n).replace('\n', "\n> "));
        }
        // Quoting adds characters per line: stay within Discord's 2,000.
        let text = crate::domain::text::truncate(&text, 2000);
        let posted = data
            .rest
            .send(
                ctx.channel_id(),
                serenity::CreateMessage::new()
                    .content(text)
                    .allowed_mentions(serenity::CreateAllowedMentions::new()),
            )
            .await;
        match posted {
            Ok(_) => {}
            Err(RestError::Transient(why)) => {
                return Err(anyhow::anyhow!("posting a group check-in: {why}").into());
            }
            Err(e) => {
                tracing::info!(error = %e, "cannot post a group check-in");
                reply.push_str(" I couldn't post it in this channel, so it stayed private.");
            }
        }
    }
    if journaled {
        reply.push_str(" It's in your journal (`/journal show`).");
    }
    if mood.is_low() {
        reply.push_str(
            "\n\nI'm sorry things are hard right now. You don't have to carry it alone: if you'd like, a facilitator can \
             reach out to you privately. If you might be in danger, `/crisis` lists people you can talk to right now.",
        );
        let button = serenity::CreateButton::new(
            CustomId::ReachOut {
                user: user.0,
                issued: now.timestamp(),
            }
            .encode(),
        )
        .label("Ask a facilitator to reach out")
        .style(serenity::ButtonStyle::Primary);
        ctx.send(
            render::ephemeral(reply)
                .components(vec![serenity::CreateActionRow::Buttons(vec![button])]),
        )
        .await?;
    } else {
        ctx.send(render::ephemeral(reply)).await?;
    }
    Ok(())
}

/// A member asked, after a low check-in, for a facilitator to reach out.
/// Only their name goes to the facilitators: never their mood or note. By
/// DM, only to members who are facilitators at this moment.
pub async fn reach_out(
    ctx: &serenity::Context,
    data: &Data,
    press: &serenity::ComponentInteraction,
    user: UserId,
    issued: i64,
    now: DateTime<Utc>,
) -> Result<Reply, Error> {
    let issued = DateTime::<Utc>::from_timestamp(issued, 0).unwrap_or(DateTime::<Utc>::MIN_UTC);
    if now - issued > chrono::Duration::days(1) || issued > now + chrono::Duration::minutes(1) {
        return Err(Error::member(
            "This button has expired. If you'd still like someone to reach out, check in again or contact a facilitator directly.",
        ));
    }
    let Some(guild) = press.guild_id else {
        return Err(Error::member("This works inside a server."));
    };
    let guild_id = GuildId(guild.get());
    let settings = data.db.guild_settings(guild_id).await?;
    let name = press
        .member
        .as_ref()
        .map(|m| m.display_name().to_owned())
        .unwrap_or_else(|| press.user.name.clone());
    let notice = format!(
        "**{name}** (<@{}>) would like a facilitator to reach out to them privately. Please check in with them gently when you can.",
        user.0
    );
    let quiet = || {
        serenity::CreateMessage::new()
            .content(notice.clone())
            .allowed_mentions(serenity::CreateAllowedMentions::new())
    };
    let told = match settings.log_channel {
        Some(channel) => match data
            .rest
            .send(serenity::ChannelId::new(channel.0), quiet())
            .await
        {
            Ok(_) => true,
            Err(RestError::Transient(why)) => {
                return Err(anyhow::anyhow!("posting a reach-out request: {why}").into());
            }
            Err(e) => {
                tracing::warn!(guild = guild_id.0, error = %e, "cannot post a reach-out request to the log channel");
                false
            }
        },
        None => {
            super::checks::dm_facilitators(ctx, data, guild_id, settings.facilitator_role, quiet)
                .await?
        }
    };
    if !told {
        return Err(Error::member(
            "This server hasn't set up a place for these requests yet, so I couldn't pass it on. Please message a facilitator \
             directly; and if you might be in danger, `/crisis` lists people you can talk to right now.",
        ));
    }
    Ok(Reply::Replace(
        "I've let the facilitators know you'd like someone to reach out. They'll contact you privately. If you might be in danger before then, `/crisis` lists people you can talk to right now.".to_owned(),
    ))
}
