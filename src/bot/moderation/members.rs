//! Actions on one member: nudge, warn, timeout, untimeout, kick, ban, unban.

use poise::serenity_prelude as serenity;

use super::super::{Context, Error, render, server};
use super::standing::{dm_note, situation};
use super::{discord_refusal, log, new_case, refused, server_name, take_back};
use crate::domain::jobs::JobKind;
use crate::domain::moderation::{
    self as rules, CaseKind, DeleteMessages, DurationUse, Notice, may_act,
};
use crate::domain::settings::Access;
use crate::domain::{GuildId, UserId};
use crate::rest::moderation::codes;
use crate::store::NewCase;

/// Checks the rule for `kind` on `member`; returns the server, and whether
/// the member helps run the group (their case is then for admins only).
async fn allowed(
    ctx: Context<'_>,
    kind: CaseKind,
    member: &serenity::User,
) -> Result<(GuildId, bool), Error> {
    let guild = server(ctx)?;
    let s = situation(ctx, Some(UserId(member.id.get()))).await?;
    may_act(kind, &s.standing).map_err(refused)?;
    if !s.target_present && !matches!(kind, CaseKind::Ban | CaseKind::Unban) {
        return Err(Error::member(format!(
            "{} isn't a member of this server, so there is nothing to do.",
            member.name
        )));
    }
    Ok((guild, s.about_staff()))
}

/// Tells the member privately, before or after the action: the notice
/// `text` writes, with the group's guidelines beside it when there are some
/// (a member kicked, banned or timed out cannot run `/guidelines show`).
async fn tell(
    ctx: Context<'_>,
    guild: GuildId,
    member: &serenity::User,
    reason: &str,
    until: Option<chrono::DateTime<chrono::Utc>>,
    text: fn(&Notice<'_>) -> String,
) -> Result<Result<serenity::Message, crate::rest::RestError>, Error> {
    let guidelines = ctx.data().db.guidelines(guild).await?;
    let name = server_name(ctx).await;
    let mut message = serenity::CreateMessage::new().content(text(&Notice {
        server: &name,
        reason,
        until,
        has_guidelines: guidelines.is_some(),
    }));
    if let Some(g) = &guidelines {
        message = message.embed(
            render::embed("The group's guidelines").description(render::member_description(g)),
        );
    }
    Ok(ctx.data().rest.dm(member.id, message).await)
}

fn case(kind: CaseKind, ctx: Context<'_>, member: &serenity::User, reason: &str) -> NewCase {
    new_case(ctx, kind, Some(UserId(member.id.get())), None, reason)
}

/// "They have 2 earlier warnings in the last 90 days."
async fn earlier_warnings(
    ctx: Context<'_>,
    guild: GuildId,
    member: &serenity::User,
    before_this: i64,
) -> Result<String, Error> {
    let since = rules::warning_window_start(ctx.data().clock.now());
    let (_, warnings) = ctx
        .data()
        .db
        .case_counts(guild, UserId(member.id.get()), since)
        .await?;
    let n = (warnings - before_this).max(0);
    Ok(match n {
        0 => "They have no earlier warnings in the last 90 days.".to_owned(),
        1 => "They have 1 earlier warning in the last 90 days.".to_owned(),
        n => format!("They have {n} earlier warnings in the last 90 days."),
    })
}

/// A gentle private note to a member; recorded, not a warning
#[poise::command(slash_command, guild_only, custom_data = "Access::Facilitator")]
pub async fn nudge(
    ctx: Context<'_>,
    #[description = "Who to send it to"] member: serenity::User,
    #[description = "Your note, sent from the facilitators"]
    #[max_length = 1500]
    message: String,
) -> Result<(), Error> {
    ctx.defer_ephemeral().await?;
    let (guild, staff) = allowed(ctx, CaseKind::Nudge, &member).await?;
    let text = rules::nudge_text(&server_name(ctx).await, &message);
    if text.chars().count() > rules::MESSAGE_MAX {
        return Err(Error::member(
            "That note is too long for one direct message once it is quoted (many short lines take room too). \
             Please shorten it a little. Nothing was sent.",
        ));
    }
    let sent = ctx
        .data()
        .rest
        .dm(member.id, serenity::CreateMessage::new().content(text))
        .await;
    match sent {
        Ok(_) => {}
        Err(crate::rest::RestError::ClosedDm) => {
            return Err(Error::member(format!(
                "{}'s direct messages are closed, so the nudge couldn't reach them. Nothing was recorded.",
                member.name
            )));
        }
        Err(e) => {
            return Err(Error::Internal(anyhow::anyhow!("nudge DM: {e}")));
        }
    }
    let case = log::record_about(
        ctx.data(),
        guild,
        case(
            CaseKind::Nudge,
            ctx,
            &member,
            &rules::reason(Some(&message)),
        ),
        staff,
    )
    .await?;
    ctx.send(render::ephemeral(format!(
        "Case #{}: {} got your note privately, from the facilitators. It isn't a warning.{}",
        case.number,
        member.name,
        log::staff_note(staff)
    )))
    .await?;
    Ok(())
}

/// A private warning; the reply shows their warnings of the last 90 days
#[poise::command(slash_command, guild_only, custom_data = "Access::Facilitator")]
pub async fn warn(
    ctx: Context<'_>,
    #[description = "Who to warn"] member: serenity::User,
    #[description = "Why (they are told)"]
    #[max_length = 512]
    reason: String,
) -> Result<(), Error> {
    ctx.defer_ephemeral().await?;
    let (guild, staff) = allowed(ctx, CaseKind::Warn, &member).await?;
    let reason = rules::reason(Some(&reason));
    let sent = tell(ctx, guild, &member, &reason, None, rules::warn_text).await?;
    let history = earlier_warnings(ctx, guild, &member, 0).await?;
    let case = log::record_about(
        ctx.data(),
        guild,
        case(CaseKind::Warn, ctx, &member, &reason),
        staff,
    )
    .await?;
    ctx.send(render::ephemeral(format!(
        "Case #{}: {} was warned. {history} {}{}",
        case.number,
        member.name,
        dm_note(&sent),
        log::staff_note(staff)
    )))
    .await?;
    Ok(())
}

/// Discord's native timeout (at most 28 days)
#[poise::command(slash_command, guild_only, custom_data = "Access::Facilitator")]
pub async fn timeout(
    ctx: Context<'_>,
    #[description = "Who to time out"] member: serenity::User,
    #[description = "How long, like 10m, 2h or 3d (at most 28d)"] duration: String,
    #[description = "Why (they are told)"]
    #[max_length = 512]
    reason: Option<String>,
) -> Result<(), Error> {
    let length = super::duration(&duration, DurationUse::Timeout)?;
    ctx.defer_ephemeral().await?;
    let (guild, staff) = allowed(ctx, CaseKind::Timeout, &member).await?;
    let data = ctx.data();
    let reason = rules::reason(reason.as_deref());
    let until = data.clock.now() + length;
    data.rest
        .timeout(
            serenity::GuildId::new(guild.0),
            member.id,
            Some(until),
            &reason,
        )
        .await
        .map_err(|e| discord_refusal(e, "time them out"))?;
    let sent = tell(
        ctx,
        guild,
        &member,
        &reason,
        Some(until),
        rules::timeout_text,
    )
    .await?;
    let history = earlier_warnings(ctx, guild, &member, 0).await?;
    let mut new = case(CaseKind::Timeout, ctx, &member, &reason);
    new.until = Some(until);
    let case = log::record_about(data, guild, new, staff).await?;
    ctx.send(render::ephemeral(format!(
        "Case #{}: {} is timed out for {}, until <t:{}:F>. {history} {}{}",
        case.number,
        member.name,
        rules::describe(length),
        until.timestamp(),
        dm_note(&sent),
        log::staff_note(staff)
    )))
    .await?;
    Ok(())
}

/// End a member's timeout early
#[poise::command(slash_command, guild_only, custom_data = "Access::Facilitator")]
pub async fn untimeout(
    ctx: Context<'_>,
    #[description = "Whose timeout to end"] member: serenity::User,
    #[description = "Why"]
    #[max_length = 512]
    reason: Option<String>,
) -> Result<(), Error> {
    ctx.defer_ephemeral().await?;
    let (guild, staff) = allowed(ctx, CaseKind::Untimeout, &member).await?;
    let reason = rules::reason(reason.as_deref());
    let timed_out = ctx
        .data()
        .rest
        .http()
        .get_member(serenity::GuildId::new(guild.0), member.id)
        .await
        .map_err(|e| match crate::rest::classify(&e) {
            crate::rest::Failure::Gone => Error::member(format!(
                "{} isn't a member of this server, so there is nothing to do.",
                member.name
            )),
            _ => Error::Internal(e.into()),
        })?
        .communication_disabled_until
        .is_some_and(|t| t.unix_timestamp() > ctx.data().clock.now().timestamp());
    if !timed_out {
        return Err(Error::member(format!(
            "{} isn't timed out, so there is nothing to end. Nothing was recorded.",
            member.name
        )));
    }
    ctx.data()
        .rest
        .timeout(serenity::GuildId::new(guild.0), member.id, None, &reason)
        .await
        .map_err(|e| discord_refusal(e, "end their timeout"))?;
    let case = log::record_about(
        ctx.data(),
        guild,
        case(CaseKind::Untimeout, ctx, &member, &reason),
        staff,
    )
    .await?;
    ctx.send(render::ephemeral(format!(
        "Case #{}: {}'s timeout has ended; they can post again.{}",
        case.number,
        member.name,
        log::staff_note(staff)
    )))
    .await?;
    Ok(())
}

/// Remove a member from the server (they can rejoin with an invite)
#[poise::command(slash_command, guild_only, custom_data = "Access::Facilitator")]
pub async fn kick(
    ctx: Context<'_>,
    #[description = "Who to remove"] member: serenity::User,
    #[description = "Why (they are told)"]
    #[max_length = 512]
    reason: Option<String>,
) -> Result<(), Error> {
    ctx.defer_ephemeral().await?;
    let (guild, staff) = allowed(ctx, CaseKind::Kick, &member).await?;
    let data = ctx.data();
    let reason = rules::reason(reason.as_deref());
    // Before the kick: afterwards Haven shares no server with them.
    let sent = tell(ctx, guild, &member, &reason, None, rules::kick_text).await?;
    let g = serenity::GuildId::new(guild.0);
    if let Err(e) = data.rest.kick(g, member.id, &reason).await {
        // A kick whose answer was lost may have been carried out (its retry
        // then finds nobody): what Discord holds now decides.
        let unsure = matches!(e, crate::rest::RestError::Transient(_))
            || e.code() == Some(codes::UNKNOWN_MEMBER);
        match unsure.then_some(()) {
            Some(()) => match data.rest.is_member(g, member.id).await {
                Ok(false) => {}
                Ok(true) => {
                    // Never leave them told of a removal that did not happen.
                    take_back(data, &sent).await;
                    return Err(discord_refusal(e, "remove them"));
                }
                // Haven cannot tell: nothing is recorded that may not have
                // happened, and the notice stays (they may be gone).
                Err(_) => return Err(cannot_tell(&member.name, "removed")),
            },
            None => {
                take_back(data, &sent).await;
                return Err(discord_refusal(e, "remove them"));
            }
        }
    }
    let case = log::record_about(
        data,
        guild,
        case(CaseKind::Kick, ctx, &member, &reason),
        staff,
    )
    .await?;
    ctx.send(render::ephemeral(format!(
        "Case #{}: {} was removed from the server. {}{}",
        case.number,
        member.name,
        dm_note(&sent),
        log::staff_note(staff)
    )))
    .await?;
    Ok(())
}

#[derive(Debug, Clone, Copy, poise::ChoiceParameter)]
pub enum DeleteChoice {
    #[name = "none"]
    None,
    #[name = "1h"]
    Hour,
    #[name = "1d"]
    Day,
    #[name = "7d"]
    Week,
}

/// Ban a member, for a while or for good
#[poise::command(slash_command, guild_only, custom_data = "Access::Facilitator")]
pub async fn ban(
    ctx: Context<'_>,
    #[description = "Who to ban"] member: serenity::User,
    #[description = "Why (they are told)"]
    #[max_length = 512]
    reason: Option<String>,
    #[description = "For how long, like 3d (the ban lifts itself); empty for good"]
    duration: Option<String>,
    #[description = "Delete their recent messages"]
    #[rename = "delete-messages"]
    delete_messages: Option<DeleteChoice>,
) -> Result<(), Error> {
    let length = duration
        .as_deref()
        .map(|d| super::duration(d, DurationUse::Ban))
        .transpose()?;
    ctx.defer_ephemeral().await?;
    let (guild, staff) = allowed(ctx, CaseKind::Ban, &member).await?;
    let data = ctx.data();
    let reason = rules::reason(reason.as_deref());
    let until = length.map(|l| data.clock.now() + l);
    let delete = match delete_messages.unwrap_or(DeleteChoice::None) {
        DeleteChoice::None => DeleteMessages::None,
        DeleteChoice::Hour => DeleteMessages::Hour,
        DeleteChoice::Day => DeleteMessages::Day,
        DeleteChoice::Week => DeleteMessages::Week,
    };
    let user = UserId(member.id.get());
    // The end of a temporary ban is written down before the ban itself, so
    // a crash in between can never leave it banned for good, with the reason
    // Haven sends (its timer later lifts only a ban that is still Haven's);
    // a ban for good drops an earlier temporary one first, so Discord's echo
    // of it is not taken for a human's. Put back as it was if Discord refuses.
    // Haven's own change while it lasts (its records and the call), so
    // Discord's echo of it is not taken for a human's.
    let _own = data.rest.own_changes().begin(member.id.get());
    let earlier = data.db.tempban_of(guild, user).await?;
    // Banned already: only Haven's own temporary ban may be changed here.
    // A ban someone decided in Discord stays as they left it (and Haven's
    // timer could not tell its ban from theirs).
    let g = serenity::GuildId::new(guild.0);
    let banned_now = data
        .rest
        .ban_of(g, member.id)
        .await
        .map_err(|e| discord_refusal(e, "read their ban"))?;
    if let Some(reason_now) = &banned_now {
        let ours = earlier
            .as_ref()
            .is_some_and(|t| t.reason.is_some() && t.reason == *reason_now);
        if !ours {
            return Err(Error::member(format!(
                "{} is already banned, by a decision made in Discord itself or an earlier ban, so I've left it as it is. \
                 To change it, lift it first with `/mod unban`.",
                member.name
            )));
        }
    }
    match until {
        Some(until) => {
            data.db
                .set_tempban(guild, user, until, Some(&reason))
                .await?;
            data.db
                .add_mod_job(JobKind::Unban, guild, user.0, until)
                .await?;
        }
        None if earlier.is_some() => data.db.remove_tempban(guild, user).await?,
        None => {}
    }
    let sent = tell(ctx, guild, &member, &reason, until, rules::ban_text).await?;
    if let Err(e) = data
        .rest
        .ban(
            serenity::GuildId::new(guild.0),
            member.id,
            delete.seconds(),
            &reason,
        )
        .await
    {
        take_back(data, &sent).await;
        // Only undo what this ban wrote: another facilitator's ban that
        // succeeded meanwhile keeps its own end.
        match (&earlier, until) {
            (Some(e), _) => {
                data.db
                    .set_tempban(guild, user, e.until, e.reason.as_deref())
                    .await?
            }
            (None, Some(written)) => data.db.restore_tempban(guild, user, written, None).await?,
            (None, None) => {}
        }
        return Err(discord_refusal(e, "ban them"));
    }
    if let Some(until) = until {
        // Banned again, Discord keeps the first ban's reason: the timer
        // must know the ban by the reason Discord holds.
        if banned_now.is_some()
            && let Ok(Some(actual)) = data.rest.ban_of(g, member.id).await
            && actual.as_deref() != Some(reason.as_str())
        {
            data.db
                .set_tempban(guild, user, until, actual.as_deref())
                .await?;
        }
        data.scheduler.poke();
    }
    // Their `/cw` posts within the window go with the rest of their messages.
    if delete.seconds() > 0 {
        let since = data.clock.now() - chrono::Duration::seconds(i64::from(delete.seconds()));
        super::remove_cw_posts(data, user, Some((guild, since))).await;
    }
    let mut new = case(CaseKind::Ban, ctx, &member, &reason);
    new.until = until;
    let case = log::record_about(data, guild, new, staff).await?;
    let how_long = match until {
        Some(u) => format!("until <t:{}:F>, when I lift it by myself", u.timestamp()),
        None => "until a facilitator lifts it with `/mod unban`".to_owned(),
    };
    ctx.send(render::ephemeral(format!(
        "Case #{}: {} is banned {how_long}. {}{}",
        case.number,
        member.name,
        dm_note(&sent),
        log::staff_note(staff)
    )))
    .await?;
    Ok(())
}

/// Whether an unban whose answer was lost (or whose retry found no ban)
/// was carried out after all: Discord holds no ban now. An error when
/// Haven cannot tell.
async fn lifted_after_all(
    data: &super::super::Data,
    guild: serenity::GuildId,
    user: &serenity::User,
    e: &crate::rest::RestError,
) -> Result<bool, Error> {
    let unsure =
        matches!(e, crate::rest::RestError::Transient(_)) || e.code() == Some(codes::UNKNOWN_BAN);
    if !unsure {
        return Ok(false);
    }
    match data.rest.ban_of(guild, user.id).await {
        Ok(ban) => Ok(ban.is_none()),
        Err(_) => Err(cannot_tell(&user.name, "unbanned")),
    }
}

/// The answer when Discord did not say whether an action happened: nothing
/// is recorded that may not have happened.
fn cannot_tell(name: &str, what: &str) -> Error {
    Error::member(format!(
        "Discord didn't answer, so I can't tell whether {name} was {what}. Nothing was recorded; \
         please check in Discord before trying again."
    ))
}

/// Lift a ban
#[poise::command(slash_command, guild_only, custom_data = "Access::Facilitator")]
pub async fn unban(
    ctx: Context<'_>,
    #[description = "Whose ban to lift"] user: serenity::User,
    #[description = "Why"]
    #[max_length = 512]
    reason: Option<String>,
) -> Result<(), Error> {
    ctx.defer_ephemeral().await?;
    let (guild, staff) = allowed(ctx, CaseKind::Unban, &user).await?;
    let data = ctx.data();
    let reason = rules::reason(reason.as_deref());
    // The temporary ban (if any) goes first, so Discord's echo of this
    // unban is not taken for a human's; it comes back if Discord refuses.
    let whom = UserId(user.id.get());
    let g = serenity::GuildId::new(guild.0);
    if data
        .rest
        .ban_of(g, user.id)
        .await
        .map_err(|e| discord_refusal(e, "read their ban"))?
        .is_none()
    {
        return Err(Error::member(format!(
            "{} isn't banned, so there is nothing to lift. Nothing was recorded.",
            user.name
        )));
    }
    // Haven's own change while it lasts, so Discord's echo of it is not
    // taken for a human's; the temporary ban (if any) is forgotten only
    // once the unban is done.
    let _own = data.rest.own_changes().begin(user.id.get());
    if let Err(e) = data.rest.unban(g, user.id, &reason).await
        && !lifted_after_all(data, g, &user, &e).await?
    {
        return Err(discord_refusal(e, "lift the ban"));
    }
    data.db.remove_tempban(guild, whom).await?;
    let case = log::record_about(
        data,
        guild,
        case(CaseKind::Unban, ctx, &user, &reason),
        staff,
    )
    .await?;
    ctx.send(render::ephemeral(format!(
        "Case #{}: {}'s ban is lifted; they can rejoin with an invite.{}",
        case.number,
        user.name,
        log::staff_note(staff)
    )))
    .await?;
    Ok(())
}
