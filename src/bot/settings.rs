//! `/settings …`: the server's settings. Reading them is for facilitators,
//! changing them for admins (Manage Server).

use poise::serenity_prelude as serenity;

use super::timezone::{autocomplete_zone, unknown_zone};
use super::{Context, Error, render};
use crate::domain::settings::{Access, GuildSettings, MinGroupSize};
use crate::domain::zones;
use crate::domain::{ChannelId, RoleId};

/// This server's Haven settings
#[poise::command(
    slash_command,
    guild_only,
    subcommands(
        "show",
        "facilitator_role",
        "timezone",
        "log_channel",
        "min_group_size",
        "dm_notices"
    ),
    subcommand_required
)]
pub async fn settings(_ctx: Context<'_>) -> Result<(), Error> {
    Ok(())
}

/// See this server's settings
#[poise::command(slash_command, guild_only, custom_data = "Access::Facilitator")]
async fn show(ctx: Context<'_>) -> Result<(), Error> {
    let settings = ctx.data().db.guild_settings(super::server(ctx)?).await?;
    ctx.send(render::ephemeral_embed(settings_embed(&settings)))
        .await?;
    Ok(())
}

/// Choose the role whose members are facilitators
#[poise::command(
    slash_command,
    guild_only,
    rename = "facilitator-role",
    custom_data = "Access::Admin"
)]
async fn facilitator_role(
    ctx: Context<'_>,
    #[description = "Members with this role can run rounds, meetings and see statistics"]
    role: serenity::Role,
) -> Result<(), Error> {
    let now = ctx.data().clock.now();
    ctx.data()
        .db
        .set_facilitator_role(super::server(ctx)?, RoleId(role.id.get()), now)
        .await?;
    ctx.send(render::ephemeral(format!(
        "Members with {} are now facilitators (as is anyone with Manage Server).",
        render::role_mention(role.id.get())
    )))
    .await?;
    Ok(())
}

/// Set the time zone used for members who have not set their own
#[poise::command(slash_command, guild_only, custom_data = "Access::Admin")]
async fn timezone(
    ctx: Context<'_>,
    #[description = "The server's time zone, such as Europe/London"]
    #[autocomplete = "autocomplete_zone"]
    #[max_length = 100]
    zone: String,
) -> Result<(), Error> {
    let tz = zones::parse_zone(&zone).map_err(unknown_zone)?;
    let now = ctx.data().clock.now();
    ctx.data()
        .db
        .set_guild_timezone(super::server(ctx)?, tz, now)
        .await?;
    ctx.send(render::ephemeral(format!(
        "This server's time zone is now **{}** (it's {} there now). Members who set their own with `/timezone set` keep theirs.",
        tz.name(),
        render::local_clock(tz, now)
    )))
    .await?;
    Ok(())
}

/// Choose where moderation and facilitator notices go
#[poise::command(
    slash_command,
    guild_only,
    rename = "log-channel",
    custom_data = "Access::Admin"
)]
async fn log_channel(
    ctx: Context<'_>,
    #[description = "A text channel only facilitators can read"]
    #[channel_types("Text")]
    channel: serenity::PartialChannel,
) -> Result<(), Error> {
    let channel_id = super::text_channel(&channel, "notices")?;
    let now = ctx.data().clock.now();
    ctx.data()
        .db
        .set_log_channel(super::server(ctx)?, channel_id, now)
        .await?;
    ctx.send(render::ephemeral(format!(
        "Facilitator notices will go to {}. Make sure only facilitators can read it.",
        render::channel_mention(channel_id.0)
    )))
    .await?;
    Ok(())
}

/// Set the smallest group Haven shows statistics for (k, 3 to 50)
#[poise::command(
    slash_command,
    guild_only,
    rename = "min-group-size",
    custom_data = "Access::Admin"
)]
async fn min_group_size(
    ctx: Context<'_>,
    #[description = "No statistic is shown when fewer people than this contributed"]
    #[min = 3]
    #[max = 50]
    size: i64,
) -> Result<(), Error> {
    let size = MinGroupSize::new(size).map_err(|e| {
        Error::member(format!(
            "The minimum group size must be a whole number from {} to {}; {} is outside that. Nothing was changed.",
            e.min, e.max, e.value
        ))
    })?;
    let now = ctx.data().clock.now();
    ctx.data()
        .db
        .set_min_group_size(super::server(ctx)?, size, now)
        .await?;
    ctx.send(render::ephemeral(format!(
        "Statistics will now only be shown for groups of at least **{size}** people."
    )))
    .await?;
    Ok(())
}

/// Facilitators: get members' reach-out requests by DM when there's no log channel
#[poise::command(
    slash_command,
    guild_only,
    rename = "dm-notices",
    custom_data = "Access::Facilitator"
)]
async fn dm_notices(
    ctx: Context<'_>,
    #[description = "True to get them by direct message, false to stop"] enabled: bool,
) -> Result<(), Error> {
    let guild = super::server(ctx)?;
    let user = crate::domain::UserId(ctx.author().id.get());
    ctx.data().db.set_dm_notices(guild, user, enabled).await?;
    let text = if enabled {
        "When a member asks for a facilitator to reach out and this server has no log channel, I'll tell you by direct message. \
         Please keep your DMs open to this server."
    } else {
        "You won't get reach-out requests by direct message any more."
    };
    ctx.send(render::ephemeral(text)).await?;
    Ok(())
}

fn settings_embed(s: &GuildSettings) -> serenity::CreateEmbed {
    let role = match s.facilitator_role {
        Some(RoleId(id)) => render::role_mention(id),
        None => "Not set: only members with Manage Server count as facilitators.".to_owned(),
    };
    let zone = match s.timezone {
        Some(tz) => format!("{} (used for members who haven't set their own)", tz.name()),
        None => "Not set: UTC is used for members who haven't set their own.".to_owned(),
    };
    let log = match s.log_channel {
        Some(ChannelId(id)) => render::channel_mention(id),
        None => "Not set.".to_owned(),
    };
    render::embed("Server settings")
        .field("Facilitator role", role, false)
        .field("Time zone", zone, false)
        .field("Log channel", log, false)
        .field(
            "Minimum group size (k)",
            format!(
                "{}: no statistic is shown when fewer people contributed.",
                s.min_group_size
            ),
            false,
        )
}
