//! `/checkin`: a personal check-in, private or shared with the group.

use poise::serenity_prelude as serenity;

use super::components::Action;
use super::{Context, Error, render};
use crate::domain::UserId;
use crate::domain::mood::Mood;
use crate::domain::stats::Facet;

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
    let data = ctx.data();
    let now = data.clock.now();
    let guild = super::server(ctx)?;
    let user = UserId(ctx.author().id.get());
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

    if matches!(share, Some(ShareChoice::Group)) {
        let name = ctx
            .author_member()
            .await
            .map(|m| m.display_name().to_owned())
            .unwrap_or_else(|| ctx.author().name.clone());
        let mut text = format!("**{name}** checked in: {mood}");
        if let Some(n) = &note {
            text.push_str("\n> ");
            text.push_str(&n.replace('\n', "\n> "));
        }
        ctx.channel_id()
            .send_message(
                ctx.http(),
                serenity::CreateMessage::new()
                    .content(text)
                    .allowed_mentions(serenity::CreateAllowedMentions::new()),
            )
            .await?;
    }

    let mut reply = format!("Thank you for checking in. {mood}.");
    if journaled {
        reply.push_str(" It's in your journal (`/journal show`).");
    }
    if mood.is_low() {
        reply.push_str(
            "\n\nI'm sorry things are hard right now. You don't have to carry it alone: if you'd like, a facilitator can \
             reach out to you privately. If you might be in danger, `/crisis` lists people you can talk to right now.",
        );
        let button = serenity::CreateButton::new(
            Action::ReachOut {
                user: user.0,
                issued: now.timestamp(),
            }
            .custom_id(),
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
