//! Anonymous attendance of voice meetings, from the gateway's voice
//! changes: each person in a meeting's voice channel within its window
//! (see `domain::attendance`), held as a keyed hash until the occurrence
//! ends, then one count.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use chrono::{DateTime, Duration, Utc};

use crate::domain::attendance::Window;
use crate::domain::meeting::{Meeting, location_channel};
use crate::domain::recurrence::Occurrence;
use crate::domain::{GuildId, UserId};
use crate::store::{Db, Job, StoreResult};
use poise::serenity_prelude as serenity;

/// The occurrence whose window is open at `now`, if any.
fn open_occurrence(m: &Meeting, now: DateTime<Utc>) -> Option<(Occurrence, Window)> {
    if m.ended {
        return None;
    }
    // The one under way (or just over), else the next, which opens early.
    let first = m
        .schedule
        .next_after(now - m.duration - Duration::seconds(1))?;
    let second = m.schedule.next_after(first.start);
    [Some(first), second]
        .into_iter()
        .flatten()
        .map(|o| (o, Window::of(o.start, m.duration)))
        .find(|(_, w)| w.contains(now))
}

/// How long the voice channels of a server's meetings are trusted before
/// they are read again (a meeting another process created is tracked
/// within this, well before its window opens ten minutes ahead).
const ROOMS_FRESH: std::time::Duration = std::time::Duration::from_secs(60);

/// The voice channels where each server's meetings happen, kept in memory:
/// a voice change anywhere else costs no query.
#[derive(Clone, Default)]
pub struct Rooms(Arc<Mutex<HashMap<u64, Known>>>);

/// A server's meeting rooms, and when they were read.
type Known = (Instant, HashSet<u64>);

impl Rooms {
    /// Whether some meeting of `guild` happens in `channel`.
    pub async fn contains(&self, db: &Db, guild: GuildId, channel: u64) -> StoreResult<bool> {
        {
            let map = self.0.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some((at, rooms)) = map.get(&guild.0)
                && at.elapsed() < ROOMS_FRESH
            {
                return Ok(rooms.contains(&channel));
            }
        }
        let rooms: HashSet<u64> = db
            .guild_meetings(guild)
            .await?
            .iter()
            .filter_map(|m| m.location.as_deref().and_then(location_channel))
            .collect();
        let found = rooms.contains(&channel);
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(guild.0, (Instant::now(), rooms));
        Ok(found)
    }

    /// A meeting changed here: read the rooms again at the next voice change.
    pub fn forget(&self, guild: GuildId) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&guild.0);
    }
}

/// The server's meetings held in voice channel `channel`.
async fn meetings_in(db: &Db, guild: GuildId, channel: u64) -> StoreResult<Vec<Meeting>> {
    Ok(db
        .guild_meetings(guild)
        .await?
        .into_iter()
        .filter(|m| m.location.as_deref().and_then(location_channel) == Some(channel))
        .collect())
}

/// A member's voice changed in `guild`: they left `from` and/or joined
/// `to`, and are in `current` as the gateway's cache says now. Events of
/// one member may be handled out of order (each on a task of its own), so
/// what is recorded for each channel concerned is where they are *now*:
/// in it or not, which gives the same result in any order. Bots (Haven
/// among them) are never counted; nor is anyone who said not to be.
#[allow(clippy::too_many_arguments)]
pub async fn on_voice(
    db: &Db,
    rooms: &Rooms,
    guild: GuildId,
    user: UserId,
    is_bot: bool,
    (from, to): (Option<u64>, Option<u64>),
    current: Option<u64>,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    if is_bot || from == to {
        return Ok(());
    }
    for channel in [from, to] {
        let Some(channel) = channel else { continue };
        if !rooms.contains(db, guild, channel).await? {
            continue;
        }
        let joined = current == Some(channel);
        for m in meetings_in(db, guild, channel).await? {
            if let Some((o, w)) = open_occurrence(&m, now) {
                db.attendance_change(m.id, o.start, &w, user, now, joined)
                    .await?;
            }
        }
    }
    Ok(())
}

/// After Haven (re)connects to a server: who is in each meeting's voice
/// channel now (read from the cache when this runs, so voice changes
/// handled before it are not undone) is all it knows; open occurrences are
/// brought in line. A meeting whose place is not a voice or stage channel
/// is never tracked.
pub async fn reconcile(
    db: &Db,
    guild: GuildId,
    voice: &InVoice,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    for m in db.guild_meetings(guild).await? {
        let Some(channel) = m.location.as_deref().and_then(location_channel) else {
            continue;
        };
        if !voice.rooms.contains(&channel) {
            continue;
        }
        let Some((o, w)) = open_occurrence(&m, now) else {
            continue;
        };
        let here: Vec<UserId> = voice
            .people
            .iter()
            .filter(|(_, c)| *c == channel)
            .map(|(u, _)| *u)
            .collect();
        db.attendance_reconcile(m.id, o.start, &w, &here, now)
            .await?;
    }
    Ok(())
}

/// An occurrence starts: whoever is in its voice channel now, as the
/// gateway's cache says (those who came before its window opened, or
/// stayed on from the one before), is counted from now, and anyone held
/// as present who is not there any more is not.
pub async fn at_start(
    db: &Db,
    cache: &serenity::Cache,
    job: &Job,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let Some(id) = job.meeting else { return Ok(()) };
    let Some(m) = db.meeting(id).await? else {
        return Ok(());
    };
    let Some(channel) = m.location.as_deref().and_then(location_channel) else {
        return Ok(());
    };
    let w = Window::of(job.occurrence, m.duration);
    // Late (Haven was down through it): nothing was seen, nothing is made up.
    if now >= w.close {
        return Ok(());
    }
    let Some(voice) = in_voice(cache, m.guild) else {
        return Ok(());
    };
    if !voice.rooms.contains(&channel) {
        return Ok(());
    }
    let here: Vec<UserId> = voice
        .people
        .iter()
        .filter(|(_, c)| *c == channel)
        .map(|(u, _)| *u)
        .collect();
    db.attendance_reconcile(m.id, job.occurrence, &w, &here, now)
        .await
}

/// Who is in voice in a server, as the gateway's cache says now.
pub struct InVoice {
    /// Its voice and stage channels (the only ones people can be in).
    pub rooms: HashSet<u64>,
    /// People (never bots, Haven among them) and the channel each is in.
    pub people: Vec<(UserId, u64)>,
}

/// [`InVoice`] for `guild`, or `None` when the cache does not hold it.
pub fn in_voice(cache: &serenity::Cache, guild: GuildId) -> Option<InVoice> {
    let me = cache.current_user().id;
    let g = cache.guild(serenity::GuildId::new(guild.0))?;
    let rooms = g
        .channels
        .values()
        .filter(|c| {
            matches!(
                c.kind,
                serenity::ChannelType::Voice | serenity::ChannelType::Stage
            )
        })
        .map(|c| c.id.get())
        .collect();
    let people = g
        .voice_states
        .values()
        .filter(|v| {
            v.user_id != me
                && !v.member.as_ref().is_some_and(|m| m.user.bot)
                && !g.members.get(&v.user_id).is_some_and(|m| m.user.bot)
        })
        .filter_map(|v| Some((UserId(v.user_id.get()), v.channel_id?.get())))
        .collect();
    Some(InVoice { rooms, people })
}

/// The time that counts as coming in `guild`: its own, if it chose one
/// (`/settings attendance`), else the operator's `default`.
async fn threshold_of(db: &Db, guild: GuildId, default: Duration) -> Result<Duration, String> {
    db.guild_settings(guild)
        .await
        .map(|s| s.attend_minutes.map_or(default, Duration::minutes))
        .map_err(|e| e.to_string())
}

/// How long after its end an occurrence's roll-over may still come before
/// the sweep counts it instead.
const SWEEP_AFTER: Duration = Duration::hours(1);

/// Occurrences whose roll-over never came (the series ended or the date
/// was cancelled during the window, the time moved, the roll-over gave up)
/// are counted, or dropped with their meeting: no salt or hash outlives its
/// occurrence by more than a day. Run daily and at every roll-over.
pub async fn sweep(db: &Db, threshold: Duration, now: DateTime<Utc>) -> Result<(), String> {
    let store = |e: crate::store::StoreError| e.to_string();
    for (id, occurrence) in db.open_attendance().await.map_err(store)? {
        let Some(m) = db.meeting(id).await.map_err(store)? else {
            db.drop_attendance(id, occurrence).await.map_err(store)?;
            continue;
        };
        // An occurrence the meeting no longer has (its time moved, its
        // date cancelled): nothing to count, only the secret to drop.
        let held = m
            .schedule
            .next_after(occurrence - Duration::seconds(1))
            .is_some_and(|o| o.start == occurrence);
        let w = Window::of(occurrence, m.duration);
        if !held && w.close <= now {
            db.drop_attendance(id, occurrence).await.map_err(store)?;
            continue;
        }
        if w.close + SWEEP_AFTER > now {
            continue;
        }
        let threshold = threshold_of(db, m.guild, threshold).await?;
        db.close_attendance(m.id, m.guild, occurrence, &w, threshold)
            .await
            .map_err(store)?;
    }
    Ok(())
}

/// An occurrence ended (its roll-over): who came becomes one count, and its
/// salt and hashes are deleted (and the write-ahead log checkpointed, so
/// no copy stays on disk).
pub async fn close(db: &Db, job: &Job, threshold: Duration) -> Result<(), String> {
    let Some(id) = job.meeting else { return Ok(()) };
    let Some(m) = db.meeting(id).await.map_err(|e| e.to_string())? else {
        return Ok(());
    };
    // Only an occurrence tracked (in a voice channel) is counted, even if
    // its place has changed since; others cost nothing here.
    if !db
        .attendance_tracked(m.id, job.occurrence)
        .await
        .map_err(|e| e.to_string())?
    {
        return Ok(());
    }
    let w = Window::of(job.occurrence, m.duration);
    let threshold = threshold_of(db, m.guild, threshold).await?;
    db.close_attendance(m.id, m.guild, job.occurrence, &w, threshold)
        .await
        .map_err(|e| e.to_string())?;
    if !db.checkpoint().await.map_err(|e| e.to_string())? {
        tracing::warn!(
            meeting = m.id.0,
            "the checkpoint after counting attendance could not complete; the daily one will"
        );
    }
    Ok(())
}
