//! Moderation that undoes itself: a temporary ban lifted, a timed slowmode
//! or lock put back. A job whose state was replaced (locked again for
//! longer, the ban lifted early) finds its instant no longer matches and is
//! skipped.
//!
//! A human's decision in Discord always wins over a Haven timer. Haven hears
//! of bans, unbans and channel changes made by hand (`GUILD_BAN_ADD`,
//! `GUILD_BAN_REMOVE`, `CHANNEL_UPDATE`) and cancels its own timer for the
//! same thing, saying so to the facilitators; and when a timer falls due it
//! reads the state first and changes only what is still exactly as Haven
//! left it. A timer that cannot be carried out is never given up: it keeps
//! trying, at most an hour apart, and the facilitators are told what is
//! still in place and why.

use chrono::{DateTime, Utc};
use poise::serenity_prelude as serenity;

use super::facilitators::{self, Rank, Reach};
use crate::domain::jobs::JobKind;
use crate::domain::moderation::{
    Case, CaseKind, LockState, Overwrite, OverwriteChange, Permission, lock_state, unlock_change,
};
use crate::domain::{ChannelId, GuildId, RoleId, UserId};
use crate::rest::moderation::{ChannelState, codes};
use crate::rest::{Rest, RestError};
use crate::store::{Db, Job, NewCase, SavedLock, StoreResult};

fn same_instant(a: DateTime<Utc>, b: DateTime<Utc>) -> bool {
    a.timestamp() == b.timestamp()
}

/// Why Discord would not carry a timer out, in words for facilitators.
fn why(e: &RestError, needs: Permission) -> String {
    match e {
        RestError::Forbidden { code } if *code == codes::MISSING_ACCESS => {
            "Discord says I can't see that channel".to_owned()
        }
        RestError::Forbidden { .. } => format!(
            "Discord says I'm missing a permission for it: {}, or my role is not high enough",
            needs.name()
        ),
        RestError::Gone { .. } => "Discord says it no longer exists".to_owned(),
        RestError::Rejected { code, .. } => format!("Discord refused it (error {code})"),
        _ => "Discord isn't answering just now".to_owned(),
    }
}

/// A role overwrite list as the lock rules read it.
fn role_overwrites(state: &ChannelState) -> Vec<(RoleId, Overwrite)> {
    state
        .role_overwrites
        .iter()
        .map(|&(r, o)| (RoleId(r), o))
        .collect()
}

/// Works one moderation job; returns whether it was skipped. An error
/// says, in words for facilitators, why it could not be done yet.
pub async fn run(reach: Reach<'_>, job: &Job) -> Result<bool, String> {
    let (db, rest) = (reach.db, reach.rest);
    let (Some(guild), Some(target)) = (job.guild, job.target) else {
        return Ok(true);
    };
    let store = |e: crate::store::StoreError| e.to_string();
    match job.kind {
        JobKind::Unban => {
            let user = UserId(target);
            let _own = rest.own_changes().begin(user.0);
            let Some(ban) = db.tempban_of(guild, user).await.map_err(store)? else {
                return Ok(true);
            };
            if !same_instant(ban.until, job.occurrence) {
                return Ok(true);
            }
            let (g, u) = (
                serenity::GuildId::new(guild.0),
                serenity::UserId::new(user.0),
            );
            let now = rest
                .ban_of(g, u)
                .await
                .map_err(|e| why(&e, Permission::BanMembers))?;
            match now {
                // Haven's own unban was under way on an earlier try (its
                // answer lost, or its process stopped before recording it):
                // the ban is gone by Haven's doing.
                None if ban.lifting => {
                    time_up(db, rest, guild, CaseKind::Ban, Some(user), None, job).await?;
                    db.remove_tempban(guild, user).await.map_err(store)?;
                    return Ok(false);
                }
                None => {
                    // Lifted by hand in Discord already: nothing to do.
                    let text = format!(
                        "The temporary ban of <@{target}> had already been lifted by someone in Discord, so I had nothing to undo."
                    );
                    tell_about(reach, guild, user, &text, Some(job)).await;
                    db.remove_tempban(guild, user).await.map_err(store)?;
                    return Ok(false);
                }
                Some(reason) if ban.reason.is_some() && reason != ban.reason => {
                    let text = format!(
                        "<@{target}> was banned again by someone in Discord since my temporary ban, so I have not lifted it: that decision stays theirs."
                    );
                    tell_about(reach, guild, user, &text, Some(job)).await;
                    db.remove_tempban(guild, user).await.map_err(store)?;
                    return Ok(false);
                }
                Some(_) => {}
            }
            db.mark_tempban_lifting(guild, user, Some(job.occurrence))
                .await
                .map_err(store)?;
            match rest.unban(g, u, "Temporary ban ended").await {
                Ok(()) => {}
                // Gone by now (a lost answer's retry, or a human meanwhile):
                // nothing left to do.
                Err(e) if e.code() == Some(codes::UNKNOWN_BAN) => {}
                Err(e) => {
                    // Refused outright, so certainly not carried out: a ban
                    // found gone on a later try is then a human's doing.
                    if e.is_refusal() {
                        db.mark_tempban_lifting(guild, user, None)
                            .await
                            .map_err(store)?;
                    }
                    return Err(why(&e, Permission::BanMembers));
                }
            }
            // The case first: a takeover after a crash in between finds the
            // ban still saved, lifts it again (Discord says it is gone) and
            // gets the case already recorded.
            time_up(db, rest, guild, CaseKind::Ban, Some(user), None, job).await?;
            db.remove_tempban(guild, user).await.map_err(store)?;
            Ok(false)
        }
        JobKind::SlowmodeRevert => {
            let channel = ChannelId(target);
            let _own = rest.own_changes().begin(channel.0);
            let Some(revert) = db.slowmode_revert(channel).await.map_err(store)? else {
                return Ok(true);
            };
            if !same_instant(revert.until, job.occurrence) {
                return Ok(true);
            }
            let c = serenity::ChannelId::new(channel.0);
            let state = match rest.channel_state(c).await {
                Ok(state) => state,
                Err(e) if matches!(e.code(), Some(codes::UNKNOWN_CHANNEL)) => {
                    db.remove_slowmode_revert(channel).await.map_err(store)?;
                    return Ok(true);
                }
                Err(e) => return Err(why(&e, Permission::ManageChannels)),
            };
            if let Some(set) = revert.set
                && state.slowmode != set
            {
                if state.slowmode != revert.before {
                    let text = format!(
                        "Someone changed the slowmode of <#{target}> by hand to {} s since I set it to {set} s, so I have not put it back to {} s.",
                        state.slowmode, revert.before
                    );
                    tell(reach, guild, &text, job).await;
                } else {
                    // Back as it was already (Haven's own earlier try, its
                    // case perhaps not recorded): the case before forgetting.
                    time_up(
                        db,
                        rest,
                        guild,
                        CaseKind::Slowmode,
                        None,
                        Some(channel),
                        job,
                    )
                    .await?;
                }
                db.remove_slowmode_revert(channel).await.map_err(store)?;
                return Ok(false);
            }
            rest.set_slowmode(c, revert.before, "Timed slowmode ended")
                .await
                .map_err(|e| why(&e, Permission::ManageChannels))?;
            time_up(
                db,
                rest,
                guild,
                CaseKind::Slowmode,
                None,
                Some(channel),
                job,
            )
            .await?;
            db.remove_slowmode_revert(channel).await.map_err(store)?;
            Ok(false)
        }
        JobKind::LockRevert => {
            let channel = ChannelId(target);
            let _own = rest.own_changes().begin(channel.0);
            let Some(lock) = db.lock(channel).await.map_err(store)? else {
                return Ok(true);
            };
            if !lock.until.is_some_and(|u| same_instant(u, job.occurrence)) {
                return Ok(true);
            }
            let state = match rest
                .channel_state(serenity::ChannelId::new(channel.0))
                .await
            {
                Ok(state) => state,
                Err(e) if matches!(e.code(), Some(codes::UNKNOWN_CHANNEL)) => {
                    db.remove_lock(channel).await.map_err(store)?;
                    return Ok(true);
                }
                Err(e) => return Err(why(&e, Permission::ManageRoles)),
            };
            match lock_state(RoleId(guild.0), &lock.before, &role_overwrites(&state)) {
                LockState::Touched => {
                    let text = touched_lock(target);
                    tell(reach, guild, &text, job).await;
                    db.cancel_lock_timer(channel).await.map_err(store)?;
                    return Ok(false);
                }
                // Every bit already as before: Haven's own unlock on an
                // earlier try (a hand-made unlock cancels the timer when
                // Discord tells of it). Its case, if that try could not
                // record it, is recorded now, before the lock is forgotten.
                LockState::Undone => {
                    time_up(db, rest, guild, CaseKind::Lock, None, Some(channel), job).await?;
                    db.remove_lock(channel).await.map_err(store)?;
                    return Ok(false);
                }
                LockState::AsLeft | LockState::Unlocking => {}
            }
            // The case is recorded before the lock is forgotten: a failure
            // between the two finds the channel undone (above), records the
            // case if it is not kept yet, and forgets the lock then.
            restore_overwrites(rest, &lock, "Timed lock ended")
                .await
                .map_err(|e| why(&e, Permission::ManageRoles))?;
            time_up(db, rest, guild, CaseKind::Lock, None, Some(channel), job).await?;
            db.remove_lock(channel).await.map_err(store)?;
            Ok(false)
        }
        _ => Ok(true),
    }
}

fn touched_lock(channel: u64) -> String {
    format!(
        "Someone changed the permissions of <#{channel}> by hand while I had it locked, so I won't unlock it by myself. \
         `/mod unlock` puts back only what is still as I left it."
    )
}

/// Undoes what a lock changed, reading the channel first: each bit the lock
/// changed that is still as Haven left it goes back to what it was; every
/// other bit of every overwrite stays as it is now. Then forgets the lock.
pub async fn unlock(db: &Db, rest: &Rest, lock: &SavedLock, reason: &str) -> Result<(), RestError> {
    restore_overwrites(rest, lock, reason).await?;
    db.remove_lock(lock.channel)
        .await
        .map_err(|e| RestError::Transient(e.to_string()))?;
    Ok(())
}

/// What [`unlock`] does in Discord, the lock kept.
async fn restore_overwrites(rest: &Rest, lock: &SavedLock, reason: &str) -> Result<(), RestError> {
    let channel = serenity::ChannelId::new(lock.channel.0);
    let state = match rest.channel_state(channel).await {
        Ok(state) => state,
        // The channel itself is gone: nothing is left to put back.
        Err(e) if e.code() == Some(codes::UNKNOWN_CHANNEL) => ChannelState {
            guild: None,
            slowmode: 0,
            role_overwrites: Vec::new(),
        },
        Err(e) => return Err(e),
    };
    let current = role_overwrites(&state);
    let everyone = RoleId(lock.guild.0);
    for &(role, before) in &lock.before {
        let now = current.iter().find(|(r, _)| *r == role).map(|(_, o)| *o);
        let outcome = match unlock_change(everyone, role, before, now) {
            None => Ok(()),
            Some(OverwriteChange::Put(o)) => {
                rest.put_role_overwrite(channel, role.0, o, reason).await
            }
            Some(OverwriteChange::Delete) => {
                rest.delete_role_overwrite(channel, role.0, reason).await
            }
        };
        match outcome {
            Ok(()) => {}
            // Already gone (removed by hand), or the role or channel itself
            // deleted: nothing is left to put back there.
            Err(e)
                if matches!(
                    e.code(),
                    Some(codes::UNKNOWN_OVERWRITE | codes::UNKNOWN_CHANNEL | codes::UNKNOWN_ROLE)
                ) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Tells the facilitators something about a timer: in the log channel (the
/// same post however often `job` runs), else by DM to those who asked for
/// notices.
async fn tell(reach: Reach<'_>, guild: GuildId, text: &str, job: &Job) {
    let nonce = super::stable_nonce("hn", job.id.to_le_bytes(), text.as_bytes());
    tell_facilitators(reach, guild, text, Some(nonce)).await;
}

/// Whether the member's latest ban case was kept out of the log channel
/// because they help run the group: what follows from it is for admins.
async fn about_staff(db: &Db, guild: GuildId, user: UserId) -> bool {
    match db.latest_case(guild, CaseKind::Ban, Some(user), None).await {
        Ok(Some(case)) => case.log_message.is_none(),
        Ok(None) => false,
        // Any doubt keeps it from the log channel.
        Err(_) => true,
    }
}

/// Tells those who may know about `user`'s ban: the facilitators, or only
/// the admins (by DM, to those who asked for notices) when the ban is about
/// someone who helps run the group.
async fn tell_about(reach: Reach<'_>, guild: GuildId, user: UserId, text: &str, job: Option<&Job>) {
    if about_staff(reach.db, guild, user).await {
        tell_admins(reach, guild, text).await;
        return;
    }
    match job {
        Some(job) => tell(reach, guild, text, job).await,
        None => {
            tell_facilitators(reach, guild, text, None).await;
        }
    }
}

/// Tells the admins who asked for notices, by DM.
async fn tell_admins(reach: Reach<'_>, guild: GuildId, text: &str) {
    let role = match reach.db.guild_settings(guild).await {
        Ok(s) => s.facilitator_role,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read settings for an admins' notice");
            return;
        }
    };
    let told = facilitators::tell(reach, guild, role, Rank::Admin, &[], |_| {
        serenity::CreateMessage::new()
            .content(format!("A note from Haven about your server: {text}"))
            .allowed_mentions(serenity::CreateAllowedMentions::new())
    })
    .await;
    if let Err(e) = told {
        tracing::warn!(guild = guild.0, error = %e, "cannot tell admins by DM");
    }
}

/// Tells the facilitators: in the log channel, else (none, or Discord
/// refuses it) by DM to the facilitators who asked for notices. Returns
/// whether anyone was told.
pub async fn tell_facilitators(
    reach: Reach<'_>,
    guild: GuildId,
    text: &str,
    nonce: Option<String>,
) -> bool {
    let settings = match reach.db.guild_settings(guild).await {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "cannot read settings for a facilitator notice");
            return false;
        }
    };
    if let Some(channel) = settings.log_channel {
        let message = serenity::CreateMessage::new()
            .content(text)
            .allowed_mentions(serenity::CreateAllowedMentions::new());
        let channel = serenity::ChannelId::new(channel.0);
        let posted = match nonce {
            Some(nonce) => reach.rest.send_nonced(channel, message, nonce).await,
            None => reach.rest.send(channel, message).await,
        };
        match posted {
            Ok(_) => return true,
            Err(e) => {
                tracing::warn!(guild = guild.0, error = %e, "cannot post a notice to the log channel; trying DMs")
            }
        }
    }
    match facilitators::tell(
        reach,
        guild,
        settings.facilitator_role,
        Rank::Facilitator,
        &[],
        |_| {
            serenity::CreateMessage::new()
                .content(format!("A note from Haven about your server: {text}"))
                .allowed_mentions(serenity::CreateAllowedMentions::new())
        },
    )
    .await
    {
        Ok(told) => !told.is_empty(),
        Err(e) => {
            tracing::warn!(guild = guild.0, error = %e, "cannot tell facilitators by DM");
            false
        }
    }
}

/// A timed action that could not be carried out yet: the facilitators are
/// told, on the second failed try and about once a day after, that it is
/// still in place, why, and that Haven keeps trying.
pub async fn still_in_place(reach: Reach<'_>, job: &Job, reason: &str) {
    if job.attempts % 24 != 2 {
        return;
    }
    let (Some(guild), Some(target)) = (job.guild, job.target) else {
        return;
    };
    let what = match job.kind {
        JobKind::Unban => format!(
            "The temporary ban of <@{target}> is still in place: its time is up, but I couldn't lift it ({reason}). \
             I'll keep trying, at most an hour apart; an admin can also lift it with `/mod unban` or in Server Settings → Bans."
        ),
        JobKind::SlowmodeRevert => format!(
            "The timed slowmode of <#{target}> is still in place: its time is up, but I couldn't put it back ({reason}). \
             I'll keep trying, at most an hour apart; a facilitator can also set it with `/mod slowmode`."
        ),
        _ => format!(
            "<#{target}> is still locked: its time is up, but I couldn't unlock it ({reason}). \
             I'll keep trying, at most an hour apart; a facilitator can also use `/mod unlock`."
        ),
    };
    let nonce = super::stable_nonce("hs", job.id.to_le_bytes(), &job.attempts.to_le_bytes());
    if job.kind == JobKind::Unban && about_staff(reach.db, guild, UserId(target)).await {
        tell_admins(reach, guild, &what).await;
    } else {
        tell_facilitators(reach, guild, &what, Some(nonce)).await;
    }
}

// ------------------------------------------------------- humans in Discord
//
// An event is only a hint: Discord also echoes Haven's own calls, sometimes
// late. So each handler first lets Haven's own calls on the same target
// settle, then reads what Haven keeps and what Discord holds now, and
// cancels a timer only when Discord confirms that someone else changed the
// thing it was for.

/// How long a handler waits for Haven's own calls on a target to settle.
const SETTLE_AT_MOST: std::time::Duration = std::time::Duration::from_secs(30);

/// Someone lifted a ban in Discord. Haven's pending temporary ban of that
/// member is cancelled if Discord confirms they are not banned now (and it
/// is not due: then it is Haven's own timer at work), and the facilitators
/// are told.
pub async fn on_ban_removed(reach: Reach<'_>, guild: GuildId, user: UserId, now: DateTime<Utc>) {
    reach
        .rest
        .own_changes()
        .settle(user.0, SETTLE_AT_MOST)
        .await;
    let ban = match reach.db.tempban_of(guild, user).await {
        Ok(Some(ban)) => ban,
        Ok(None) => return,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read a temporary ban after an unban");
            return;
        }
    };
    if ban.until <= now + chrono::Duration::minutes(1) {
        return;
    }
    let banned = reach
        .rest
        .ban_of(
            serenity::GuildId::new(guild.0),
            serenity::UserId::new(user.0),
        )
        .await;
    // Banned again (or Discord cannot say): the timer reads it when due.
    if !matches!(banned, Ok(None)) {
        return;
    }
    if let Err(e) = reach.db.remove_tempban(guild, user).await {
        tracing::warn!(error = %e, "cannot cancel a temporary ban lifted by hand");
        return;
    }
    let text = format!(
        "<@{}>'s temporary ban was lifted by someone in Discord before its time, so I've cancelled my timer for it.",
        user.0
    );
    tell_about(reach, guild, user, &text, None).await;
}

/// Someone banned a member in Discord. If Haven has a temporary ban of
/// them and the ban's reason is no longer Haven's, a human banned them
/// anew: Haven will not lift it.
pub async fn on_ban_added(reach: Reach<'_>, guild: GuildId, user: UserId) {
    reach
        .rest
        .own_changes()
        .settle(user.0, SETTLE_AT_MOST)
        .await;
    let ban = match reach.db.tempban_of(guild, user).await {
        Ok(Some(ban)) => ban,
        Ok(None) => return,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read a temporary ban after a ban");
            return;
        }
    };
    let now = reach
        .rest
        .ban_of(
            serenity::GuildId::new(guild.0),
            serenity::UserId::new(user.0),
        )
        .await;
    let Ok(Some(reason)) = now else {
        // Not readable now: the timer reads it again when it falls due.
        return;
    };
    if ban.reason.is_none() || reason == ban.reason {
        return;
    }
    if let Err(e) = reach.db.remove_tempban(guild, user).await {
        tracing::warn!(error = %e, "cannot cancel a temporary ban replaced by hand");
        return;
    }
    let text = format!(
        "<@{}> was banned by someone in Discord while my temporary ban was running, so I won't lift the ban when my time is up: that decision stays theirs.",
        user.0
    );
    tell_about(reach, guild, user, &text, None).await;
}

/// A channel changed (its slowmode or permissions). Once Haven's own calls
/// on it have settled, the channel is read again: a timed slowmode someone
/// set to another value, or a lock whose bits someone changed, has its
/// timer cancelled and the facilitators told; a lock undone by hand is
/// forgotten, so the next lock takes a fresh snapshot.
pub async fn on_channel_update(reach: Reach<'_>, guild: GuildId, channel: ChannelId) {
    let db = reach.db;
    let (revert, lock) = match (db.slowmode_revert(channel).await, db.lock(channel).await) {
        (Ok(revert), Ok(lock)) => (revert, lock),
        (Err(e), _) | (_, Err(e)) => {
            tracing::warn!(error = %e, "cannot read a channel's timers");
            return;
        }
    };
    if revert.is_none() && lock.is_none() {
        return;
    }
    reach
        .rest
        .own_changes()
        .settle(channel.0, SETTLE_AT_MOST)
        .await;
    let Ok(state) = reach
        .rest
        .channel_state(serenity::ChannelId::new(channel.0))
        .await
    else {
        // Not readable now: the timers read it when they fall due.
        return;
    };
    // What Haven keeps may have changed while it waited: read it again.
    if let Ok(Some(revert)) = db.slowmode_revert(channel).await
        && let Some(set) = revert.set
        && state.slowmode != set
    {
        if let Err(e) = db.remove_slowmode_revert(channel).await {
            tracing::warn!(error = %e, "cannot cancel a timed slowmode changed by hand");
        } else if state.slowmode != revert.before {
            let text = format!(
                "Someone changed the slowmode of <#{}> by hand to {} s, so I won't put it back to {} s when my timer ends.",
                channel.0, state.slowmode, revert.before
            );
            tell_facilitators(reach, guild, &text, None).await;
        }
    }
    let Ok(Some(lock)) = db.lock(channel).await else {
        return;
    };
    match lock_state(RoleId(guild.0), &lock.before, &role_overwrites(&state)) {
        LockState::Touched if lock.until.is_some() => {
            if let Err(e) = db.cancel_lock_timer(channel).await {
                tracing::warn!(error = %e, "cannot cancel a lock's timer");
                return;
            }
            tell_facilitators(reach, guild, &touched_lock(channel.0), None).await;
        }
        LockState::Undone => {
            if let Err(e) = db.remove_lock(channel).await {
                tracing::warn!(error = %e, "cannot forget a lock undone by hand");
            }
        }
        _ => {}
    }
}

/// A timed action undone by itself is a case too, in the name of the
/// facilitator whose case set the time (Discord's audit log names Haven).
async fn time_up(
    db: &Db,
    rest: &Rest,
    guild: GuildId,
    of: CaseKind,
    target: Option<UserId>,
    channel: Option<ChannelId>,
    job: &Job,
) -> Result<(), String> {
    let original = match db.latest_case(guild, of, target, channel).await {
        Ok(Some(c)) => c,
        Ok(None) => return Ok(()),
        Err(e) => {
            return Err(format!(
                "cannot find the case a timed action came from: {e}"
            ));
        }
    };
    let kind = match of {
        CaseKind::Ban => CaseKind::Unban,
        CaseKind::Lock => CaseKind::Unlock,
        other => other,
    };
    let what = match of {
        CaseKind::Slowmode => "the slowmode went back to what it was",
        CaseKind::Lock => "the channel is unlocked, its permissions as they were",
        _ => "the temporary ban is lifted",
    };
    let case = NewCase {
        kind,
        moderator: original.moderator,
        target,
        channel,
        reason: format!("Time up for case #{}: {what}", original.number),
        at: job.occurrence,
        until: None,
    };
    // A case kept out of the log channel (about someone who helps run the
    // group) has its end kept out too.
    let to_log = original.log_message.is_some() || original.target.is_none();
    record_case(db, rest, guild, case, Some(job), to_log)
        .await
        .map(drop)
        .map_err(|e| format!("cannot record a timed action's end: {e}"))
}

/// Records a case and posts it to the log channel (if the server has one
/// and `to_log`: a case about a facilitator or an admin is not posted there,
/// where facilitators read it). A case a job records is recorded and posted once however often the job
/// runs (taken over after its process died): its post's nonce comes from
/// the job, and a case already posted is not posted again.
pub async fn record_case(
    db: &Db,
    rest: &Rest,
    guild: GuildId,
    case: NewCase,
    job: Option<&Job>,
    to_log: bool,
) -> StoreResult<Case> {
    let mut case = match job {
        Some(job) => db.add_job_case(guild, case, job.id).await?,
        None => db.add_case(guild, case).await?,
    };
    if case.log_message.is_some() || !to_log {
        return Ok(case);
    }
    let nonce = job.map(|j| super::stable_nonce("hc", j.id.to_le_bytes(), &[]));
    let settings = db.guild_settings(guild).await?;
    if let Some(channel) = settings.log_channel {
        let message = serenity::CreateMessage::new()
            .embed(crate::views::case_embed(&case))
            .allowed_mentions(serenity::CreateAllowedMentions::new());
        let channel_id = serenity::ChannelId::new(channel.0);
        let posted = match nonce {
            Some(nonce) => rest.send_nonced(channel_id, message, nonce).await,
            None => rest.send(channel_id, message).await,
        };
        match posted {
            Ok(m) => {
                db.set_case_log_message(guild, case.number, channel, m.id.get())
                    .await?;
                case.log_message = Some(m.id.get());
                case.log_channel = Some(channel);
            }
            Err(e) => {
                tracing::warn!(guild = guild.0, error = %e, "cannot post a case to the log channel")
            }
        }
    }
    Ok(case)
}

/// Edits a case's embed in the log channel after its reason changed.
pub async fn update_case(db: &Db, rest: &Rest, guild: GuildId, case: &Case) {
    if let Some(message) = case.log_message {
        let edit = serenity::EditMessage::new().embed(crate::views::case_embed(case));
        super::edit_in_log(db, rest, guild, case.log_channel, message, edit, "a case").await;
    }
}

/// Whether an engine is already removing expired log posts; cleared when
/// the removal ends, however it ends.
#[derive(Clone, Default)]
pub struct Removing(std::sync::Arc<std::sync::atomic::AtomicBool>);

struct Done(Removing);

impl Drop for Done {
    fn drop(&mut self) {
        (self.0).0.store(false, std::sync::atomic::Ordering::SeqCst);
    }
}

/// Starts removing, in the background and at Discord's pace, the log-channel
/// posts of records past their retention (queued by the nightly purge).
/// What is left when the process stops, or when Discord is unavailable, is
/// removed on the next run.
pub fn remove_expired_log_posts(removing: &Removing, db: &Db, rest: &Rest) {
    if removing.0.swap(true, std::sync::atomic::Ordering::SeqCst) {
        return;
    }
    let done = Done(removing.clone());
    let (db, rest) = (db.clone(), rest.clone());
    tokio::spawn(async move {
        let _done = done;
        if let Err(e) = remove_queued(&db, &rest).await {
            tracing::warn!(error = %e, "expired log posts are left for the next run");
        }
    });
}

async fn remove_queued(db: &Db, rest: &Rest) -> Result<(), String> {
    loop {
        let batch = db
            .log_posts_to_remove(50)
            .await
            .map_err(|e| e.to_string())?;
        if batch.is_empty() {
            return Ok(());
        }
        for (guild, kept, message) in batch {
            // With no channel known there is nothing Haven can reach; a
            // refusal (deleted already, no access any more) is final too.
            if let Some(channel) = super::log_channel_of(db, guild, kept)
                .await
                .map_err(|e| e.to_string())?
            {
                match rest
                    .delete(
                        serenity::ChannelId::new(channel.0),
                        serenity::MessageId::new(message),
                    )
                    .await
                {
                    Ok(()) => {}
                    Err(e) if e.is_refusal() => {}
                    Err(e) => return Err(e.to_string()),
                }
            }
            db.log_post_removed(guild, message)
                .await
                .map_err(|e| e.to_string())?;
        }
    }
}
