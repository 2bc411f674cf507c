//! Actions on a channel: slowmode, lock and unlock (timed ones revert by
//! themselves through the scheduler), and purge.

use poise::serenity_prelude as serenity;

use super::super::{Context, Error, render, server};
use super::standing::situation;
use super::{discord_refusal, log, refused};
use crate::domain::jobs::JobKind;
use crate::domain::moderation::{
    self as rules, CaseKind, DurationUse, PURGE_MAX, PURGE_MIN, RecentMessage, may_act, plan_lock,
    still_posting,
};
use crate::domain::settings::Access;
use crate::domain::{ChannelId, GuildId, RoleId, UserId};
use crate::store::{NewCase, SavedLock};

fn channel_or_here(
    ctx: Context<'_>,
    channel: Option<serenity::GuildChannel>,
) -> serenity::ChannelId {
    channel.map_or_else(|| ctx.channel_id(), |c| c.id)
}

fn channel_case(
    kind: CaseKind,
    ctx: Context<'_>,
    channel: serenity::ChannelId,
    reason: &str,
) -> NewCase {
    super::new_case(ctx, kind, None, Some(ChannelId(channel.get())), reason)
}

/// Checks the rule for `kind` (on `target`'s messages, for a purge of one
/// member's); returns the server and Haven's roles.
async fn allowed(
    ctx: Context<'_>,
    kind: CaseKind,
    target: Option<UserId>,
) -> Result<(GuildId, Vec<RoleId>), Error> {
    let guild = server(ctx)?;
    let s = situation(ctx, target).await?;
    may_act(kind, &s.standing).map_err(refused)?;
    Ok((guild, s.haven_roles))
}

/// A cool-down: members wait between messages
#[poise::command(slash_command, guild_only, custom_data = "Access::Facilitator")]
pub async fn slowmode(
    ctx: Context<'_>,
    #[description = "Seconds between a member's messages (0 turns it off)"]
    #[min = 0]
    #[max = 21600]
    seconds: u32,
    #[description = "Which channel (default: this one)"]
    #[channel_types("Text")]
    channel: Option<serenity::GuildChannel>,
    #[description = "For how long, like 10m; then the previous setting returns"]
    #[rename = "for"]
    for_: Option<String>,
    #[description = "Why (for the log and Discord's audit log)"]
    #[max_length = 512]
    reason: Option<String>,
) -> Result<(), Error> {
    if seconds > rules::SLOWMODE_MAX_SECONDS {
        return Err(Error::member(
            "Slowmode can be at most 21600 seconds (6 hours).",
        ));
    }
    let length = for_
        .as_deref()
        .map(|f| super::duration(f, DurationUse::Revert))
        .transpose()?;
    ctx.defer_ephemeral().await?;
    let (guild, _) = allowed(ctx, CaseKind::Slowmode, None).await?;
    let data = ctx.data();
    let channel = channel_or_here(ctx, channel);
    let before = data
        .rest
        .channel_state(channel)
        .await
        .map_err(|e| discord_refusal(e, "read the channel"))?
        .slowmode;
    let reason = match (reason, length) {
        (Some(r), _) if !r.trim().is_empty() => r,
        (_, Some(l)) => format!("Slowmode {seconds}s for {}", rules::describe(l)),
        _ => format!("Slowmode {seconds}s"),
    };
    let until = length.map(|l| data.clock.now() + l);
    let c = ChannelId(channel.get());
    // The way back is written down before the change, so a crash in between
    // cannot leave a timed slowmode in place for good; a slowmode already
    // waiting to revert keeps its first "before".
    let pending = data.db.slowmode_revert(c).await?;
    let original = pending.map_or(before, |(b, _)| b);
    if let Some(until) = until {
        data.db
            .save_slowmode_revert(guild, c, original, until)
            .await?;
        data.db
            .add_mod_job(JobKind::SlowmodeRevert, guild, c.0, until)
            .await?;
    }
    if let Err(e) = data.rest.set_slowmode(channel, seconds, &reason).await {
        if until.is_some() {
            match pending {
                Some((b, u)) => data.db.save_slowmode_revert(guild, c, b, u).await?,
                None => data.db.remove_slowmode_revert(c).await?,
            }
        }
        return Err(discord_refusal(e, "set the slowmode"));
    }
    match until {
        Some(_) => data.scheduler.poke(),
        None => data.db.remove_slowmode_revert(c).await?,
    }
    let mut new = channel_case(CaseKind::Slowmode, ctx, channel, &reason);
    new.until = until;
    let case = log::record(data, guild, new).await?;
    let back = match until {
        Some(u) => format!(
            " It returns to {original} s by itself <t:{}:R>.",
            u.timestamp()
        ),
        None => String::new(),
    };
    ctx.send(render::ephemeral(format!(
        "Case #{}: slowmode in {} is now {seconds} s (it was {before} s).{back}",
        case.number,
        render::channel_mention(channel.get())
    )))
    .await?;
    Ok(())
}

/// Only facilitators can post until it is unlocked
#[poise::command(slash_command, guild_only, custom_data = "Access::Facilitator")]
pub async fn lock(
    ctx: Context<'_>,
    #[description = "Which channel (default: this one)"]
    #[channel_types("Text")]
    channel: Option<serenity::GuildChannel>,
    #[description = "For how long, like 10m; then it unlocks by itself"]
    #[rename = "for"]
    for_: Option<String>,
    #[description = "Why"]
    #[max_length = 512]
    reason: Option<String>,
) -> Result<(), Error> {
    let length = for_
        .as_deref()
        .map(|f| super::duration(f, DurationUse::Revert))
        .transpose()?;
    ctx.defer_ephemeral().await?;
    let (guild, haven_roles) = allowed(ctx, CaseKind::Lock, None).await?;
    let data = ctx.data();
    let channel = channel_or_here(ctx, channel);
    let c = ChannelId(channel.get());
    let reason = rules::reason(reason.as_deref());
    let settings = super::super::settings(ctx).await?;
    let state = data
        .rest
        .channel_state(channel)
        .await
        .map_err(|e| discord_refusal(e, "read the channel"))?;
    let current: Vec<(RoleId, rules::Overwrite)> = state
        .role_overwrites
        .iter()
        .map(|&(r, o)| (RoleId(r), o))
        .collect();
    let mut keep: Vec<RoleId> = settings.facilitator_role.into_iter().collect();
    keep.extend(haven_roles);
    let everyone = RoleId(guild.0);
    // Locked already through Haven: what to return to is what was there first.
    let existing = data.db.lock(c).await?;
    let plan = plan_lock(everyone, &keep, &current);
    let until = length.map(|l| data.clock.now() + l);
    // Keep state before changing anything, so a crash midway still unlocks.
    let saved = data
        .db
        .save_lock(
            &SavedLock {
                guild,
                channel: c,
                before: plan.iter().map(|p| (p.role, p.before)).collect(),
                until,
            },
            data.clock.now(),
        )
        .await?;
    // The way back is planned before the change too (a job whose lock is
    // gone or changed finds nothing to do).
    if let Some(until) = until {
        data.db
            .add_mod_job(JobKind::LockRevert, guild, c.0, until)
            .await?;
    }
    // Haven's own role first, so it never locks itself out.
    let mut order = plan.clone();
    order.reverse();
    for step in &order {
        if existing.is_some() && step.before == Some(step.locked) {
            continue;
        }
        if let Err(e) = data
            .rest
            .put_role_overwrite(channel, step.role.0, step.locked, &reason)
            .await
        {
            if existing.is_none() {
                let _ = crate::scheduler::moderation::unlock(
                    &data.db,
                    &data.rest,
                    &saved,
                    "Lock could not finish",
                )
                .await;
            }
            return Err(discord_refusal(e, "lock the channel"));
        }
    }
    if until.is_some() {
        data.scheduler.poke();
    }
    let mut new = channel_case(CaseKind::Lock, ctx, channel, &reason);
    new.until = until;
    let case = log::record(data, guild, new).await?;
    let mut text = format!(
        "Case #{}: {} is locked; only facilitators can post.",
        case.number,
        render::channel_mention(channel.get())
    );
    if let Some(u) = until {
        text.push_str(&format!(" It unlocks by itself <t:{}:R>.", u.timestamp()));
    }
    let others = still_posting(everyone, &keep, &current);
    if !others.is_empty() {
        text.push_str(&format!(
            "\nThese roles are explicitly allowed to send messages there, so they still can: {}.",
            others
                .iter()
                .map(|r| render::role_mention(r.0))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    ctx.send(render::ephemeral(text)).await?;
    Ok(())
}

/// Put a locked channel back exactly as it was
#[poise::command(slash_command, guild_only, custom_data = "Access::Facilitator")]
pub async fn unlock(
    ctx: Context<'_>,
    #[description = "Which channel (default: this one)"]
    #[channel_types("Text")]
    channel: Option<serenity::GuildChannel>,
) -> Result<(), Error> {
    ctx.defer_ephemeral().await?;
    let (guild, _) = allowed(ctx, CaseKind::Unlock, None).await?;
    let data = ctx.data();
    let channel = channel_or_here(ctx, channel);
    let Some(saved) = data.db.lock(ChannelId(channel.get())).await? else {
        return Err(Error::member(format!(
            "{} isn't locked through Haven, so there is nothing to restore.",
            render::channel_mention(channel.get())
        )));
    };
    crate::scheduler::moderation::unlock(&data.db, &data.rest, &saved, "Unlocked")
        .await
        .map_err(|e| discord_refusal(e, "unlock the channel"))?;
    let case = log::record(
        data,
        guild,
        channel_case(CaseKind::Unlock, ctx, channel, rules::NO_REASON),
    )
    .await?;
    ctx.send(render::ephemeral(format!(
        "Case #{}: {} is unlocked, with its permissions exactly as they were before.",
        case.number,
        render::channel_mention(channel.get())
    )))
    .await?;
    Ok(())
}

/// Delete recent messages in this channel
#[poise::command(slash_command, guild_only, custom_data = "Access::Facilitator")]
pub async fn purge(
    ctx: Context<'_>,
    #[description = "How many (2 to 100)"]
    #[min = 2]
    #[max = 100]
    count: u32,
    #[description = "Only this member's messages"] member: Option<serenity::User>,
    #[description = "Why (for the log and Discord's audit log)"]
    #[max_length = 512]
    reason: Option<String>,
) -> Result<(), Error> {
    if !(PURGE_MIN..=PURGE_MAX).contains(&count) {
        return Err(Error::member("A purge deletes 2 to 100 messages."));
    }
    ctx.defer_ephemeral().await?;
    let target = member.as_ref().map(|m| UserId(m.id.get()));
    let (guild, _) = allowed(ctx, CaseKind::Purge, target).await?;
    let data = ctx.data();
    let channel = ctx.channel_id();
    let recent = data
        .rest
        .recent_messages(channel, 100)
        .await
        .map_err(|e| discord_refusal(e, "read the channel"))?;
    let messages: Vec<RecentMessage> = recent
        .iter()
        .map(|m| RecentMessage {
            id: m.id.get(),
            author: UserId(m.author.id.get()),
            at: *m.timestamp,
        })
        .collect();
    let selection = rules::select_for_purge(
        &messages,
        count,
        member.as_ref().map(|m| UserId(m.id.get())),
        data.clock.now(),
    );
    let old = if selection.too_old > 0 {
        format!(
            " {} older message(s) were left: Discord only bulk-deletes messages younger than 14 days.",
            selection.too_old
        )
    } else {
        String::new()
    };
    let deleted = selection.delete.len();
    let reason = rules::reason(reason.as_deref());
    match deleted {
        0 => {
            return Err(Error::member(format!(
                "There were no messages I could delete.{old}"
            )));
        }
        1 => {
            data.rest
                .delete_because(
                    channel,
                    serenity::MessageId::new(selection.delete[0]),
                    Some(&reason),
                )
                .await
                .map_err(|e| discord_refusal(e, "delete the message"))?;
        }
        _ => data
            .rest
            .bulk_delete(channel, &selection.delete, &reason)
            .await
            .map_err(|e| discord_refusal(e, "delete those messages"))?,
    }
    let mut new = channel_case(CaseKind::Purge, ctx, channel, &reason);
    new.target = member.as_ref().map(|m| UserId(m.id.get()));
    let case = log::record(data, guild, new).await?;
    ctx.send(render::ephemeral(format!(
        "Case #{}: deleted {deleted} message(s).{old}",
        case.number
    )))
    .await?;
    Ok(())
}
