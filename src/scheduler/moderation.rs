//! Moderation that undoes itself: a temporary ban lifted, a timed slowmode
//! or lock put back exactly as it was. A job whose state was replaced (the
//! channel unlocked by hand, locked again for longer, the ban lifted early)
//! finds its instant no longer matches and is skipped.

use chrono::{DateTime, Utc};
use poise::serenity_prelude as serenity;

use crate::domain::jobs::JobKind;
use crate::domain::moderation::{OverwriteChange, restore};
use crate::domain::{ChannelId, UserId};
use crate::rest::moderation::codes;
use crate::rest::{Rest, RestError};
use crate::store::{Db, Job, SavedLock};

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
                Err(RestError::Refused { code, .. }) if code == codes::UNKNOWN_BAN => {}
                Err(e) => return Err(e.to_string()),
            }
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
                Ok(()) | Err(RestError::Gone) => {}
                Err(e @ RestError::Refused { .. }) => {
                    tracing::warn!(channel = channel.0, error = %e, "a timed slowmode could not be reverted");
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
            // Already gone (removed by hand): that is where it should be.
            Err(RestError::Refused { code, .. }) if code == 10_009 || code == 10_003 => {}
            Err(RestError::Refused { code, .. })
                if before.is_none() && code == codes::UNKNOWN_MEMBER => {}
            Err(e) => return Err(e),
        }
    }
    db.remove_lock(lock.channel)
        .await
        .map_err(|e| RestError::Transient(e.to_string()))?;
    Ok(())
}
