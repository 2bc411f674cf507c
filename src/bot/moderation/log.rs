//! Cases: recorded under the server's next number and posted to the log
//! channel as an embed (edited when a reason is corrected).

use poise::serenity_prelude as serenity;

use super::super::{Data, Error, render};
use crate::domain::GuildId;
use crate::domain::moderation::Case;
use crate::store::NewCase;

/// The log channel's embed for a case.
pub fn case_embed(case: &Case) -> serenity::CreateEmbed {
    let mut embed = render::embed(&format!("Case #{} · {}", case.number, case.kind.label())).field(
        "Facilitator",
        format!("<@{}>", case.moderator.0),
        true,
    );
    if let Some(target) = case.target {
        embed = embed.field("Member", format!("<@{}>", target.0), true);
    }
    if let Some(channel) = case.channel {
        embed = embed.field("Channel", render::channel_mention(channel.0), true);
    }
    embed = embed.field("Reason", render::field(&case.reason), false);
    if let Some(until) = case.until {
        embed = embed.field(
            "Until",
            format!("<t:{0}:F> (<t:{0}:R>)", until.timestamp()),
            false,
        );
    }
    embed.timestamp(
        serenity::Timestamp::from_unix_timestamp(case.at.timestamp()).unwrap_or_default(),
    )
}

/// Records a case and posts it to the log channel (if the server has one).
pub async fn record(data: &Data, guild: GuildId, case: NewCase) -> Result<Case, Error> {
    let case = data.db.add_case(guild, case).await?;
    let settings = data.db.guild_settings(guild).await?;
    if let Some(channel) = settings.log_channel {
        let message = serenity::CreateMessage::new()
            .embed(case_embed(&case))
            .allowed_mentions(serenity::CreateAllowedMentions::new());
        match data
            .rest
            .send(serenity::ChannelId::new(channel.0), message)
            .await
        {
            Ok(m) => {
                data.db
                    .set_case_log_message(guild, case.number, m.id.get())
                    .await?;
            }
            Err(e) => {
                tracing::warn!(guild = guild.0, error = %e, "cannot post a case to the log channel")
            }
        }
    }
    Ok(case)
}

/// Edits a case's embed in the log channel after its reason changed.
pub async fn update(data: &Data, guild: GuildId, case: &Case) {
    let (Ok(settings), Some(message)) = (data.db.guild_settings(guild).await, case.log_message)
    else {
        return;
    };
    let Some(channel) = settings.log_channel else {
        return;
    };
    let edit = serenity::EditMessage::new().embed(case_embed(case));
    if let Err(e) = data
        .rest
        .edit(
            serenity::ChannelId::new(channel.0),
            serenity::MessageId::new(message),
            edit,
        )
        .await
    {
        tracing::warn!(guild = guild.0, error = %e, "cannot edit a case in the log channel");
    }
}
