//! `/settings …`: the server's settings. Reading them is for facilitators,
//! changing them for admins (Manage Server).

use poise::serenity_prelude as serenity;

use super::timezone::{autocomplete_zone, unknown_zone};
use super::{Context, Error, render};
use crate::domain::library::Sensitive;
use crate::domain::settings::{Access, GuildSettings, MinGroupSize, Setting};
use crate::domain::zones;
use crate::domain::{ChannelId, RoleId};
use crate::scheduler::events::Synced;

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
        "dm_notices",
        "events",
        "attendance",
        "mod_retention",
        "clear"
    ),
    subcommand_required
)]
pub async fn settings(_ctx: Context<'_>) -> Result<(), Error> {
    Ok(())
}

/// See this server's settings
#[poise::command(slash_command, guild_only, custom_data = "Access::Facilitator")]
async fn show(ctx: Context<'_>) -> Result<(), Error> {
    let settings = super::settings(ctx).await?;
    let sensitive = ctx
        .data()
        .db
        .sensitive_categories(super::server(ctx)?)
        .await?;
    ctx.send(render::ephemeral_embed(settings_embed(
        &settings,
        &sensitive,
        ctx.data().attend.num_minutes(),
    )))
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
    let guild = super::server(ctx)?;
    if role.id.get() == guild.0 {
        return Err(Error::member(
            "@everyone can't be the facilitator role: that would make every member a facilitator. \
             Please choose or create a role for the people who help run the group. Nothing was changed.",
        ));
    }
    if role.managed {
        return Err(Error::member(
            "That role belongs to a bot or an integration, so members can't be given it. Please choose another role. Nothing was changed.",
        ));
    }
    let now = ctx.data().clock.now();
    ctx.data()
        .db
        .set_facilitator_role(guild, RoleId(role.id.get()), now)
        .await?;
    let mut text = format!(
        "Members with {} are now facilitators (as is anyone with Manage Server).",
        render::role_mention(role.id.get())
    );
    if !role.mentionable {
        // Discord pings a role only if it is mentionable or the poster may
        // mention everyone: a "someone may need support" report would
        // reach the log channel without alerting anyone.
        text.push_str(
            "\n\nOne thing to change: this role can't be @mentioned, so when a member reports that someone may need support, \
             I can't alert the facilitators. In Server Settings → Roles → this role, turn on \"Allow anyone to @mention this role\" \
             (or give my role the Mention Everyone permission; I only ever mention this role).",
        );
    }
    ctx.send(render::ephemeral(text)).await?;
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
    let guild = super::server(ctx)?;
    let now = ctx.data().clock.now();
    ctx.data()
        .db
        .set_log_channel(guild, channel_id, now)
        .await?;
    retry_reports(ctx, guild).await;
    let warning = if everyone_can_read(ctx, channel.id) {
        "\n**Careful:** everyone in the server can read that channel, and these notices name members who asked for help. \
         Please make it private to facilitators (channel settings → Permissions: turn off View Channel for @everyone), \
         or choose another channel."
    } else {
        ""
    };
    ctx.send(render::ephemeral(format!(
        "Facilitator notices will go to {}.{warning}",
        render::channel_mention(channel_id.0)
    )))
    .await?;
    Ok(())
}

/// Reports still waiting for someone to take them are tried again now.
async fn retry_reports(ctx: Context<'_>, guild: crate::domain::GuildId) {
    let data = ctx.data();
    match data
        .db
        .retry_report_deliveries(guild, data.clock.now())
        .await
    {
        Ok(0) => {}
        Ok(_) => data.scheduler.poke(),
        Err(e) => tracing::warn!(guild = guild.0, error = %e, "cannot retry waiting reports"),
    }
}

/// Whether @everyone can view the channel, from the server's roles and the
/// channel's overwrites as Discord last told Haven. Without that knowledge
/// it says yes: better a needless warning than a missed one.
fn everyone_can_read(ctx: Context<'_>, channel: serenity::ChannelId) -> bool {
    let Some(guild) = ctx.guild() else {
        return true;
    };
    let everyone = serenity::RoleId::new(guild.id.get());
    let base = guild
        .roles
        .get(&everyone)
        .map(|r| r.permissions)
        .unwrap_or_else(serenity::Permissions::all);
    if base.administrator() {
        return true;
    }
    let Some(c) = guild.channels.get(&channel) else {
        return true;
    };
    let mut p = base;
    if let Some(o) = c
        .permission_overwrites
        .iter()
        .find(|o| o.kind == serenity::PermissionOverwriteType::Role(everyone))
    {
        p = (p & !o.deny) | o.allow;
    }
    p.view_channel()
}

/// Set how long someone must be in a voice meeting to count as having come
#[poise::command(slash_command, guild_only, custom_data = "Access::Admin")]
async fn attendance(
    ctx: Context<'_>,
    #[description = "Minutes in the meeting's voice channel (1 to 240) that count as coming"]
    #[min = 1]
    #[max = 240]
    minutes: i64,
) -> Result<(), Error> {
    if !crate::domain::attendance::ATTEND_MINUTES.contains(&minutes) {
        return Err(Error::member(
            "Choose from 1 to 240 minutes. Nothing was changed.",
        ));
    }
    let now = ctx.data().clock.now();
    ctx.data()
        .db
        .set_attend_minutes(super::server(ctx)?, minutes, now)
        .await?;
    ctx.send(render::ephemeral(format!(
        "Someone now counts as having come to a voice meeting after **{minutes} minute{}** in its channel, \
         between 10 minutes before the start and the end. Only a count of people is kept, never who; \
         it applies from the next meeting to end.",
        if minutes == 1 { "" } else { "s" }
    )))
    .await?;
    Ok(())
}

/// Put one setting back to its default
#[poise::command(slash_command, guild_only, custom_data = "Access::Admin")]
async fn clear(
    ctx: Context<'_>,
    #[description = "Which setting"] setting: SettingChoice,
) -> Result<(), Error> {
    let now = ctx.data().clock.now();
    ctx.data()
        .db
        .clear_setting(super::server(ctx)?, setting.into(), now)
        .await?;
    let text = match setting {
        SettingChoice::FacilitatorRole => {
            "The facilitator role is cleared: only members with Manage Server count as facilitators now."
        }
        SettingChoice::Timezone => {
            "The server's time zone is cleared: UTC is used for members who haven't set their own."
        }
        SettingChoice::LogChannel => {
            "The log channel is cleared: facilitator notices go by direct message to facilitators who asked for them (`/settings dm-notices`)."
        }
        SettingChoice::MinGroupSize => "The minimum group size is back to 5.",
        SettingChoice::Attendance => {
            "Voice attendance is back to the default time in a meeting's channel."
        }
    };
    ctx.send(render::ephemeral(text)).await?;
    Ok(())
}

#[derive(Debug, Clone, Copy, poise::ChoiceParameter)]
pub enum SettingChoice {
    #[name = "facilitator-role"]
    FacilitatorRole,
    #[name = "timezone"]
    Timezone,
    #[name = "log-channel"]
    LogChannel,
    #[name = "min-group-size"]
    MinGroupSize,
    #[name = "attendance"]
    Attendance,
}

impl From<SettingChoice> for Setting {
    fn from(c: SettingChoice) -> Self {
        match c {
            SettingChoice::FacilitatorRole => Setting::FacilitatorRole,
            SettingChoice::Timezone => Setting::Timezone,
            SettingChoice::LogChannel => Setting::LogChannel,
            SettingChoice::MinGroupSize => Setting::MinGroupSize,
            SettingChoice::Attendance => Setting::AttendMinutes,
        }
    }
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

/// How long moderation records (cases, notes, reports) are kept, 30 to 730 days
#[poise::command(
    slash_command,
    guild_only,
    rename = "mod-retention",
    custom_data = "Access::Admin"
)]
async fn mod_retention(
    ctx: Context<'_>,
    #[description = "Days to keep cases, notes and reports (default 365)"]
    #[min = 30]
    #[max = 730]
    days: i64,
) -> Result<(), Error> {
    use crate::domain::moderation::{RETENTION_DAYS_MAX, RETENTION_DAYS_MIN};
    if !(RETENTION_DAYS_MIN..=RETENTION_DAYS_MAX).contains(&days) {
        return Err(Error::member(format!(
            "Moderation records can be kept for {RETENTION_DAYS_MIN} to {RETENTION_DAYS_MAX} days; {days} is outside that. Nothing was changed."
        )));
    }
    let now = ctx.data().clock.now();
    ctx.data()
        .db
        .set_mod_retention_days(super::server(ctx)?, days, now)
        .await?;
    ctx.send(render::ephemeral(format!(
        "Cases, notes and reports are now kept for **{days} days**; older ones are deleted in tonight's clean-up. \
         Members see this period in `/privacy show`."
    )))
    .await?;
    Ok(())
}

/// List meetings in Discord's Events tab (each meeting's next time), or stop
#[poise::command(slash_command, guild_only, custom_data = "Access::Admin")]
async fn events(
    ctx: Context<'_>,
    #[description = "True to list meetings as Discord events, false to remove them"] enabled: bool,
) -> Result<(), Error> {
    let guild = super::server(ctx)?;
    if enabled && haven_may_manage_events(ctx) == Some(false) {
        return Err(Error::member(NEEDS_EVENTS_PERMISSION));
    }
    // Creating or removing many events can take a while: answer first.
    ctx.defer_ephemeral().await?;
    let data = ctx.data();
    data.db.set_events_mirrored(guild, enabled).await?;
    let synced =
        crate::scheduler::events::sync_server(&data.db, &data.rest, guild, data.clock.now())
            .await
            .map_err(|e| anyhow::anyhow!("syncing a server's events: {e}"))?;
    ctx.send(render::ephemeral(events_reply(enabled, &synced)))
        .await?;
    Ok(())
}

const NEEDS_EVENTS_PERMISSION: &str = "To list meetings in Discord's Events tab I need the **Create Events** permission \
     (or Manage Events). An admin can give it to my role in Server Settings → Roles; then run this again. Nothing was changed.";

/// What the admin is told after turning the mirror on or off.
fn events_reply(enabled: bool, synced: &[(crate::domain::meeting::Meeting, Synced)]) -> String {
    if !enabled {
        return "Meetings are no longer listed in Discord's Events tab; their events were removed. \
                Announcements and reminders go on as before."
            .to_owned();
    }
    if synced.iter().any(|(_, s)| *s == Synced::NoPermission) {
        return NEEDS_EVENTS_PERMISSION.replace(
            "Nothing was changed.",
            "It is turned on, and meetings will be listed once I can.",
        );
    }
    let shown = synced
        .iter()
        .filter(|(_, s)| matches!(s, Synced::Shown | Synced::ByHand))
        .count();
    let mut text = format!(
        "Meetings are now listed in Discord's Events tab: {shown} with an event for their next time. \
         Each moves on after every meeting, and follows every edit and cancellation. \
         Note that Discord shows an event's **Interested** list by name to everyone in the server; \
         Haven's own buttons on the announcement stay the private way to answer."
    );
    let named = |which: &dyn Fn(Synced) -> bool| -> Vec<String> {
        synced
            .iter()
            .filter(|(_, s)| which(*s))
            .map(|(m, _)| format!("#{} {}", m.id.0, crate::domain::text::inert(&m.title)))
            .collect()
    };
    let private = named(&|s| s == Synced::Private);
    if !private.is_empty() {
        text.push_str(&format!(
            "\n\nThese are announced in channels not everyone can read, so they have no event (an event shows to the whole server): {}.",
            private.join(", ")
        ));
    }
    let left = named(&|s| matches!(s, Synced::Full | Synced::Refused | Synced::Failed));
    if !left.is_empty() {
        text.push_str(&format!(
            "\n\nThese have no event yet (Discord allows 100 at a time in a server, the soonest first, or Discord failed for now; each is tried again at its next change): {}.",
            left.join(", ")
        ));
    }
    text
}

/// Whether Haven may create events here, as Discord last told it (`None`
/// when the cache does not know: Discord's answer will tell).
fn haven_may_manage_events(ctx: Context<'_>) -> Option<bool> {
    let me = ctx.cache().current_user().id;
    let guild = ctx.guild()?;
    let member = guild.members.get(&me)?;
    let p = guild.member_permissions(member);
    Some(p.administrator() || p.create_events() || p.manage_events())
}

/// Facilitators: get reach-out requests and reports by DM when the log channel can't take them
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
    if enabled {
        retry_reports(ctx, guild).await;
    }
    let text = if enabled {
        "When a member asks for a facilitator to reach out, or reports a message, and the log channel can't take it (none is set, or I can't post there), I'll tell you by direct message. \
         Please keep your DMs open to this server."
    } else {
        "You won't get reach-out requests or reports by direct message any more."
    };
    ctx.send(render::ephemeral(text)).await?;
    Ok(())
}

fn settings_embed(
    s: &GuildSettings,
    sensitive: &Sensitive,
    default_attend: i64,
) -> serenity::CreateEmbed {
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
        .field(
            "Voice attendance",
            match s.attend_minutes {
                Some(m) => format!("Counted after {m} minutes in a meeting's voice channel."),
                None => format!(
                    "Counted after {default_attend} minutes in a meeting's voice channel (the default)."
                ),
            },
            false,
        )
        .field(
            "Sensitive categories",
            format!(
                "{}: their prompts come only when named, with a content note (`/prompt sensitive` changes this).",
                sensitive.names()
            ),
            false,
        )
}
