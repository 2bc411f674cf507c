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
use crate::store::{NewCase, SavedLock, SlowmodeRevert};

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
/// member's; in `on`, a channel other than this one, where the caller's own
/// permissions there count, as Discord would count them); returns the
/// server and Haven's roles.
async fn allowed(
    ctx: Context<'_>,
    kind: CaseKind,
    target: Option<UserId>,
    on: Option<serenity::ChannelId>,
) -> Result<(GuildId, Vec<RoleId>), Error> {
    let guild = server(ctx)?;
    let mut s = situation(ctx, target).await?;
    if let Some(channel) = on.filter(|c| *c != ctx.channel_id()) {
        let member = ctx.author_member().await.ok_or_else(|| {
            Error::member("I couldn't see your roles just now. Please try again.")
        })?;
        let there = ctx.guild().and_then(|g| {
            g.channels
                .get(&channel)
                .map(|c| g.user_permissions_in(c, &member).bits())
        });
        s.standing.caller.permissions = there.ok_or_else(|| {
            Error::member(
                "I couldn't check your permissions in that channel just now. Please try again, or run it there.",
            )
        })?;
    }
    may_act(kind, &s.standing).map_err(refused)?;
    Ok((guild, s.haven_roles))
}

/// The authors among `messages` whom the caller may not moderate, by their
/// rank now: the owner and admins, and facilitators unless the caller is an
/// admin. Haven's own posts (not `/cw` ones) are left to the purge as before.
async fn protected_authors(
    ctx: Context<'_>,
    messages: &[RecentMessage],
    haven: u64,
) -> Result<Vec<UserId>, Error> {
    use crate::scheduler::facilitators::{Rank, rank_now};
    let data = ctx.data();
    let guild = server(ctx)?;
    let settings = super::super::settings(ctx).await?;
    let caller = super::super::checks::caller_tier(ctx).await?;
    let mut authors: Vec<UserId> = messages
        .iter()
        .map(|m| m.author)
        .filter(|a| a.0 != haven)
        .collect();
    authors.sort_unstable_by_key(|a| a.0);
    authors.dedup();
    let mut protected = Vec::new();
    for author in authors {
        // Any doubt protects: a message is never deleted on a guess.
        let rank = rank_now(
            data.reach(ctx.serenity_context()),
            guild,
            author,
            settings.facilitator_role,
        )
        .await
        .unwrap_or(Rank::Admin);
        if rank == Rank::Admin || (rank == Rank::Facilitator && caller < Rank::Admin) {
            protected.push(author);
        }
    }
    Ok(protected)
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
    let channel = channel_or_here(ctx, channel);
    let (guild, _) = allowed(ctx, CaseKind::Slowmode, None, Some(channel)).await?;
    let data = ctx.data();
    // Haven's own change while it lasts (its records and its calls), so
    // Discord's echo of it is not taken for a human's.
    let _own = data.rest.own_changes().begin(channel.get());
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
    // waiting to revert keeps its first "before", unless someone changed
    // the channel by hand since (then what is there now is the "before").
    // What Haven sets is kept too, so its timer later changes only a
    // slowmode still as Haven left it; an untimed slowmode drops the way
    // back first, so Discord's echo of it is not taken for a human's.
    let pending = data.db.slowmode_revert(c).await?;
    let original = pending
        .filter(|p| p.set.is_none_or(|set| set == before))
        .map_or(before, |p| p.before);
    match until {
        Some(until) => {
            data.db
                .save_slowmode_revert(
                    guild,
                    c,
                    SlowmodeRevert {
                        before: original,
                        until,
                        set: Some(seconds),
                    },
                )
                .await?;
            data.db
                .add_mod_job(JobKind::SlowmodeRevert, guild, c.0, until)
                .await?;
        }
        None if pending.is_some() => data.db.remove_slowmode_revert(c).await?,
        None => {}
    }
    if let Err(e) = data.rest.set_slowmode(channel, seconds, &reason).await {
        match pending {
            Some(p) => data.db.save_slowmode_revert(guild, c, p).await?,
            None if until.is_some() => data.db.remove_slowmode_revert(c).await?,
            None => {}
        }
        return Err(discord_refusal(e, "set the slowmode"));
    }
    if until.is_some() {
        data.scheduler.poke();
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
    let channel = channel_or_here(ctx, channel);
    let (guild, haven_roles) = allowed(ctx, CaseKind::Lock, None, Some(channel)).await?;
    let data = ctx.data();
    // Haven's own change while it lasts (its records and its calls), so
    // Discord's echo of it is not taken for a human's.
    let _own = data.rest.own_changes().begin(channel.get());
    let c = ChannelId(channel.get());
    let everyone = RoleId(guild.0);
    let reason = rules::reason(reason.as_deref());
    let settings = super::super::settings(ctx).await?;
    let read = || async {
        let state = data
            .rest
            .channel_state(channel)
            .await
            .map_err(|e| discord_refusal(e, "read the channel"))?;
        Ok::<Vec<(RoleId, rules::Overwrite)>, Error>(
            state
                .role_overwrites
                .iter()
                .map(|&(r, o)| (RoleId(r), o))
                .collect(),
        )
    };
    let mut current = read().await?;
    let mut keep: Vec<RoleId> = settings.facilitator_role.into_iter().collect();
    keep.extend(haven_roles);
    // Locked already through Haven and still as Haven left it: what to
    // return to is what was there first. A lock someone changed by hand
    // since is over: what is left of it is undone (only its bits still as
    // Haven left them), and this lock takes a fresh snapshot.
    let mut existing = data.db.lock(c).await?;
    if let Some(old) = &existing
        && rules::lock_state(everyone, &old.before, &current) != rules::LockState::AsLeft
    {
        crate::scheduler::moderation::unlock(&data.db, &data.rest, old, "Locked again")
            .await
            .map_err(|e| discord_refusal(e, "lock the channel"))?;
        existing = None;
        current = read().await?;
    }
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
    let channel = channel_or_here(ctx, channel);
    let (guild, _) = allowed(ctx, CaseKind::Unlock, None, Some(channel)).await?;
    let data = ctx.data();
    // Haven's own change while it lasts (its records and its calls), so
    // Discord's echo of it is not taken for a human's.
    let _own = data.rest.own_changes().begin(channel.get());
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
        "Case #{}: {} is unlocked: what the lock changed is back as it was, and anything changed by hand since stays as it is.",
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
    let (guild, _) = allowed(ctx, CaseKind::Purge, target, None).await?;
    let data = ctx.data();
    let channel = ctx.channel_id();
    let recent = data
        .rest
        .recent_messages(channel, 100)
        .await
        .map_err(|e| discord_refusal(e, "read the channel"))?;
    // A `/cw` post is its author's, though Haven posted it.
    let haven = ctx.framework().bot_id().get();
    let ids: Vec<u64> = recent
        .iter()
        .filter(|m| m.author.id.get() == haven)
        .map(|m| m.id.get())
        .collect();
    let cw = data.db.cw_authors(&ids).await?;
    let messages: Vec<RecentMessage> = recent
        .iter()
        .map(|m| RecentMessage {
            id: m.id.get(),
            author: cw
                .iter()
                .find(|(id, _)| *id == m.id.get())
                .map_or(UserId(m.author.id.get()), |(_, a)| *a),
            at: *m.timestamp,
        })
        .collect();
    // Unfiltered, a purge leaves what the caller may not moderate: the
    // owner's, admins' and (unless an admin purges) facilitators' messages.
    let protected = match target {
        Some(_) => Vec::new(),
        // Only the messages the purge can reach are looked at.
        None => {
            let reach = messages.len().min(count as usize);
            protected_authors(ctx, &messages[..reach], haven).await?
        }
    };
    let selection = rules::select_for_purge(&messages, count, target, &protected, data.clock.now());
    let old = if selection.too_old > 0 {
        format!(
            " {} older message(s) were left: Discord only bulk-deletes messages younger than 14 days.",
            selection.too_old
        )
    } else {
        String::new()
    };
    let old = if selection.protected > 0 {
        format!(
            "{old} {} message(s) by the owner, admins or facilitators were left in place.",
            selection.protected
        )
    } else {
        old
    };
    let deleted = selection.delete.len();
    let reason = rules::reason(reason.as_deref());
    if deleted == 0 {
        return Err(Error::member(format!(
            "There were no messages I could delete.{old}"
        )));
    }
    let outcome = match deleted {
        1 => {
            data.rest
                .delete_because(
                    channel,
                    serenity::MessageId::new(selection.delete[0]),
                    Some(&reason),
                )
                .await
        }
        _ => {
            data.rest
                .bulk_delete(channel, &selection.delete, &reason)
                .await
        }
    };
    if let Err(e) = outcome {
        // A delete whose answer was lost may have been carried out (its
        // retry then finds unknown messages): what is in the channel now
        // decides.
        let left = data.rest.recent_messages(channel, 100).await;
        let gone =
            left.is_ok_and(|left| !left.iter().any(|m| selection.delete.contains(&m.id.get())));
        if !gone {
            return Err(discord_refusal(e, "delete those messages"));
        }
    }
    // Deleted `/cw` posts take their authors' records with them.
    if let Err(e) = data.db.remove_cw_posts(&selection.delete).await {
        tracing::warn!(error = %e, "cannot forget purged /cw posts");
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
