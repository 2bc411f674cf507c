//! Moderation that undoes itself: a temporary ban lifted, a timed slowmode
//! or lock put back exactly as it was. A job whose state was replaced (the
//! channel unlocked by hand, locked again for longer, the ban lifted early)
//! finds its instant no longer matches and is skipped.

use chrono::{DateTime, Utc};
use poise::serenity_prelude as serenity;

use crate::domain::jobs::JobKind;
use crate::domain::moderation::{Case, CaseKind, OverwriteChange, restore};
use crate::domain::{ChannelId, GuildId, UserId};
use crate::rest::moderation::codes;
use crate::rest::{Rest, RestError};
use crate::store::{Db, Job, NewCase, SavedLock, StoreResult};

fn same_instant(a: DateTime<Utc>, b: DateTime<Utc>) -> bool {
    a.timestamp() == b.timestamp()
}

/// Works one moderation job; returns whether it was skipped.
pub async fn run(db: &Db, rest: &Rest, job: &Job) -> Result<bool, String> {
    let (Some(guild), Some(target)) = (job.guild, job.target) else {
        return Ok(true);
    };
    match job.kind {
        JobKind::Unban => {
            let user = UserId(target);
            let until = db.tempban(guild, user).await.map_err(|e| e.to_string())?;
            if !until.is_some_and(|u| same_instant(u, job.occurrence)) {
                return Ok(true);
            }
            match rest
                .unban(
                    serenity::GuildId::new(guild.0),
                    serenity::UserId::new(user.0),
                    "Temporary ban ended",
                )
                .await
            {
                Ok(()) => {}
                // Lifted by hand in Discord already: nothing left to do.
                Err(e) if e.code() == Some(codes::UNKNOWN_BAN) => {}
                Err(e) => return Err(e.to_string()),
            }
            // The case first: a takeover after a crash in between finds the
            // ban still saved, lifts it again (Discord says it is gone) and
            // gets the case already recorded.
            time_up(db, rest, guild, CaseKind::Ban, Some(user), None, job).await;
            db.remove_tempban(guild, user)
                .await
                .map_err(|e| e.to_string())?;
            Ok(false)
        }
        JobKind::SlowmodeRevert => {
            let channel = ChannelId(target);
            let Some((before, until)) = db
                .slowmode_revert(channel)
                .await
                .map_err(|e| e.to_string())?
            else {
                return Ok(true);
            };
            if !same_instant(until, job.occurrence) {
                return Ok(true);
            }
            match rest
                .set_slowmode(
                    serenity::ChannelId::new(channel.0),
                    before,
                    "Timed slowmode ended",
                )
                .await
            {
                Ok(()) => {
                    time_up(
                        db,
                        rest,
                        guild,
                        CaseKind::Slowmode,
                        None,
                        Some(channel),
                        job,
                    )
                    .await
                }
                Err(e) if e.is_refusal() => {
                    tracing::warn!(channel = channel.0, error = %e, "a timed slowmode could not be reverted");
                    let text = could_not(job.kind, target, Some(before));
                    super::notify_log(db, rest, guild, &text, job).await;
                }
                Err(e) => return Err(e.to_string()),
            }
            db.remove_slowmode_revert(channel)
                .await
                .map_err(|e| e.to_string())?;
            Ok(false)
        }
        JobKind::LockRevert => {
            let channel = ChannelId(target);
            let Some(lock) = db.lock(channel).await.map_err(|e| e.to_string())? else {
                return Ok(true);
            };
            if !lock.until.is_some_and(|u| same_instant(u, job.occurrence)) {
                return Ok(true);
            }
            unlock(db, rest, &lock, "Timed lock ended")
                .await
                .map_err(|e| e.to_string())?;
            time_up(db, rest, guild, CaseKind::Lock, None, Some(channel), job).await;
            Ok(false)
        }
        _ => Ok(true),
    }
}

/// Puts every overwrite a lock changed back exactly as it was (or removes
/// it, where there was none), then forgets the lock.
pub async fn unlock(db: &Db, rest: &Rest, lock: &SavedLock, reason: &str) -> Result<(), RestError> {
    let channel = serenity::ChannelId::new(lock.channel.0);
    for &(role, before) in &lock.before {
        let outcome = match restore(before) {
            OverwriteChange::Put(o) => rest.put_role_overwrite(channel, role.0, o, reason).await,
            OverwriteChange::Delete => rest.delete_role_overwrite(channel, role.0, reason).await,
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
            Err(e) if before.is_none() && e.code() == Some(codes::UNKNOWN_MEMBER) => {}
            Err(e) => return Err(e),
        }
    }
    db.remove_lock(lock.channel)
        .await
        .map_err(|e| RestError::Transient(e.to_string()))?;
    Ok(())
}

/// What the log channel is told when Haven could not undo a timed action
/// by itself, so a person does it instead of nobody.
fn could_not(kind: JobKind, target: u64, slowmode_before: Option<u32>) -> String {
    match kind {
        JobKind::Unban => format!(
            "I couldn't lift the temporary ban of <@{target}> when its time was up, even after several tries. \
             Please lift it with `/mod unban`, or in Server Settings → Bans."
        ),
        JobKind::SlowmodeRevert => format!(
            "I couldn't put the slowmode in <#{target}> back{} when its time was up. Please set it with `/mod slowmode`.",
            slowmode_before.map_or(String::new(), |s| format!(" to {s} seconds"))
        ),
        _ => format!(
            "I couldn't unlock <#{target}> when its time was up, even after several tries. \
             Please unlock it with `/mod unlock`."
        ),
    }
}

/// After a moderation job failed too often: the log channel is told what
/// is left to do by hand. The saved state (the lock's overwrites, the
/// temporary ban) stays, so `/mod unlock` and `/mod unban` still work.
pub async fn given_up(db: &Db, rest: &Rest, job: &Job) {
    let (Some(guild), Some(target)) = (job.guild, job.target) else {
        return;
    };
    let before = match job.kind {
        JobKind::SlowmodeRevert => db
            .slowmode_revert(ChannelId(target))
            .await
            .ok()
            .flatten()
            .map(|(before, _)| before),
        _ => None,
    };
    super::notify_log(db, rest, guild, &could_not(job.kind, target, before), job).await;
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
) {
    let original = match db.latest_case(guild, of, target, channel).await {
        Ok(Some(c)) => c,
        Ok(None) => return,
        Err(e) => {
            tracing::warn!(guild = guild.0, error = %e, "cannot find the case a timed action came from");
            return;
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
    if let Err(e) = record_case(db, rest, guild, case, Some(job)).await {
        tracing::warn!(guild = guild.0, error = %e, "cannot record a timed action's end");
    }
}

/// Records a case and posts it to the log channel (if the server has one).
/// A case a job records is recorded and posted once however often the job
/// runs (taken over after its process died): its post's nonce comes from
/// the job, and a case already posted is not posted again.
pub async fn record_case(
    db: &Db,
    rest: &Rest,
    guild: GuildId,
    case: NewCase,
    job: Option<&Job>,
) -> StoreResult<Case> {
    let mut case = match job {
        Some(job) => db.add_job_case(guild, case, job.id).await?,
        None => db.add_case(guild, case).await?,
    };
    if case.log_message.is_some() {
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
