//! Meetings mirrored into Discord's Scheduled Events (where a server turned
//! it on): one event per meeting, for its next occurrence, following every
//! edit and cancel, marked active at the start and completed at the end,
//! then moved on to the following occurrence. Haven's own recurrence stays
//! the truth: Discord's `recurrence_rule` is never used.
//!
//! Two changes at once never leave two events: records are changed only
//! while they name the event the change saw, a second event created at the
//! same moment is deleted, and an event Haven created but never recorded (a
//! lost answer, a crash) is found by the meeting's mark in its description
//! and adopted before another is created.

use chrono::{DateTime, Utc};

use crate::domain::events::{self, Place};
use crate::domain::meeting::{Meeting, MeetingId, location_channel};
use crate::rest::events::{ACTIVE, CANCELLED, COMPLETED, SCHEDULED};
use crate::rest::{Rest, RestError};
use crate::store::{Db, Job, MeetingEvent};

/// What became of a meeting's event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Synced {
    /// The server does not mirror meetings, or the meeting has no
    /// occurrence left: no event.
    Off,
    /// Discord shows the meeting's next occurrence.
    Shown,
    /// The server has Discord's 100 scheduled or active events already.
    Full,
    /// Haven may not create or manage events there (or join its voice
    /// channel).
    NoPermission,
    /// Announced in a channel not everyone can read: an event would show
    /// it to the whole server, so there is none.
    Private,
    /// Discord refused this event, or its voice channel cannot be seen
    /// (logged): the meeting goes on without.
    Refused,
    /// Discord failed for now (logged); the next change or roll-over tries
    /// again.
    Failed,
    /// Someone changed the event by hand in Discord: it is theirs, and
    /// stays as they left it until its time has passed.
    ByHand,
}

fn store(e: crate::store::StoreError) -> String {
    e.to_string()
}

/// Deletes the meeting's event, if any, and forgets it. One deleted by
/// hand already is simply forgotten; one Haven may no longer delete is
/// kept on record (so it is tried again), as is one Discord failed on.
async fn remove(db: &Db, rest: &Rest, guild: u64, meeting: MeetingId) -> Result<Synced, String> {
    let Some(e) = db.meeting_event(meeting).await.map_err(store)? else {
        return Ok(Synced::Off);
    };
    match rest.delete_event(guild, e.event).await {
        Ok(()) | Err(RestError::Gone { .. }) => {}
        Err(RestError::Forbidden { .. }) => return Ok(Synced::NoPermission),
        Err(RestError::Transient(why)) => return Err(why),
        Err(e) => {
            tracing::warn!(meeting = meeting.0, error = %e, "Discord refused to delete a meeting's event; forgotten")
        }
    }
    db.forget_event(meeting, e.event).await.map_err(store)?;
    Ok(Synced::Off)
}

/// An event whose occurrence has started or passed: completed if live,
/// cancelled if it never went live (Discord allows no other move), left
/// alone if Discord ended it itself; then forgotten.
async fn finish(
    db: &Db,
    rest: &Rest,
    guild: u64,
    meeting: MeetingId,
    e: MeetingEvent,
) -> Result<(), String> {
    if e.by_hand {
        // Left as whoever changed it left it.
        return db.release_kept_event(meeting, e.event).await.map_err(store);
    }
    let to = match rest.event_status(guild, e.event).await {
        Ok(Some(SCHEDULED)) => Some(CANCELLED),
        Ok(Some(ACTIVE)) => Some(COMPLETED),
        Ok(_) | Err(RestError::Forbidden { .. }) => None,
        Err(RestError::Transient(why)) => return Err(why),
        Err(_) => None,
    };
    if let Some(to) = to {
        match rest.set_event_status(guild, e.event, to).await {
            Ok(()) | Err(RestError::Gone { .. } | RestError::Forbidden { .. }) => {}
            Err(RestError::Transient(why)) => return Err(why),
            // Ended already (by a person, or by Discord): left as it is.
            Err(why) => {
                tracing::info!(meeting = meeting.0, error = %why, "a meeting's event could not be ended; left as it is");
            }
        }
    }
    db.forget_event(meeting, e.event).await.map_err(store)
}

/// Where the meeting happens, as Discord's events know places: its voice
/// channel; a stage, a link or nothing as an external event (a stage event
/// would need Haven to hold Mute and Move Members there). `None` when its
/// voice channel cannot be seen.
async fn place(rest: &Rest, meeting: &Meeting) -> Result<Option<Place>, String> {
    let location = meeting.location.as_deref();
    let Some(channel) = location.and_then(location_channel) else {
        return Ok(Some(Place::External(events::external_location(location))));
    };
    match rest.channel_kind(channel).await {
        Ok(poise::serenity_prelude::ChannelType::Voice) => Ok(Some(Place::Voice(channel))),
        Ok(_) => Ok(Some(Place::External(format!(
            "https://discord.com/channels/{}/{channel}",
            meeting.guild.0
        )))),
        Err(RestError::Transient(why)) => Err(why),
        Err(_) => Ok(None),
    }
}

/// Whether someone other than Haven changed event `e` in Discord: what it
/// shows is neither what Haven sent nor what it was sending (an answer
/// lost), nor what it is about to send; or it was started or ended before
/// Haven's time for it.
fn changed_by_hand(
    e: &MeetingEvent,
    status: u8,
    shown: &events::EventSpec,
    spec: &events::EventSpec,
    now: DateTime<Utc>,
) -> bool {
    if status != SCHEDULED && e.occurrence > now {
        return true;
    }
    let d = events::digest(shown);
    e.sent.is_some_and(|sent| sent != d) && e.sending != Some(d) && shown != spec
}

/// One change of a meeting's event at a time in this process (two edits,
/// or an edit and the meeting's end). A meeting's server belongs to one
/// process, which runs both its commands and its jobs, unless another took
/// its jobs over (a lease overdue): then the records still keep one event
/// per meeting (a second is deleted only when the record names another).
async fn one_at_a_time(id: MeetingId) -> tokio::sync::OwnedMutexGuard<()> {
    static SYNCING: std::sync::LazyLock<
        std::sync::Mutex<std::collections::HashMap<i64, std::sync::Arc<tokio::sync::Mutex<()>>>>,
    > = std::sync::LazyLock::new(Default::default);
    let lock = {
        let mut map = SYNCING
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // Locks nobody holds or waits for go, so the map stays small.
        map.retain(|_, l| std::sync::Arc::strong_count(l) > 1);
        map.entry(id.0).or_default().clone()
    };
    lock.lock_owned().await
}

/// Brings the meeting's event in line with the meeting as it is at `now`:
/// created, moved, or deleted when the server no longer mirrors meetings
/// or the series has ended. An event deleted by hand is created again.
pub async fn sync(
    db: &Db,
    rest: &Rest,
    id: MeetingId,
    now: DateTime<Utc>,
) -> Result<Synced, String> {
    let _turn = one_at_a_time(id).await;
    sync_held(db, rest, id, now).await
}

/// [`sync`], with the meeting's turn held.
async fn sync_held(
    db: &Db,
    rest: &Rest,
    id: MeetingId,
    now: DateTime<Utc>,
) -> Result<Synced, String> {
    let Some(meeting) = db.meeting(id).await.map_err(store)? else {
        return Ok(Synced::Off);
    };
    let guild = meeting.guild.0;
    let mirrored = db.events_mirrored(meeting.guild).await.map_err(store)?;
    let existing = db.meeting_event(id).await.map_err(store)?;
    let target = events::occurrence_for(&meeting, now, existing.map(|e| e.occurrence));
    let Some(target) = target.filter(|_| mirrored) else {
        return remove(db, rest, guild, id).await;
    };
    // An event shows to everyone in the server: none for a meeting
    // announced where not everyone may read.
    match rest.everyone_can_view(meeting.channel.0, guild).await {
        Ok(true) => {}
        Ok(false) | Err(RestError::Gone { .. } | RestError::Forbidden { .. }) => {
            remove(db, rest, guild, id).await?;
            return Ok(Synced::Private);
        }
        Err(RestError::Transient(why)) => return Err(why),
        Err(e) => return Err(e.to_string()),
    }
    let link = meeting.announcement.map(|m| {
        format!(
            "https://discord.com/channels/{guild}/{}/{m}",
            meeting.channel.0
        )
    });
    let Some(place) = place(rest, &meeting).await? else {
        tracing::warn!(
            meeting = id.0,
            "a meeting's voice channel cannot be seen; no event"
        );
        remove(db, rest, guild, id).await?;
        return Ok(Synced::Refused);
    };
    let spec = events::spec(&meeting, &target, place, link.as_deref());
    let Some(e) = existing else {
        return create(db, rest, guild, id, &spec, target.start).await;
    };
    if !e.by_hand {
        // Changed by hand in Discord since Haven's last edit? Then it is
        // a person's decision, and stays as they left it.
        match rest.event(guild, e.event).await {
            Ok(Some((status, shown))) if changed_by_hand(&e, status, &shown, &spec, now) => {
                tracing::info!(
                    meeting = id.0,
                    event = e.event,
                    "a meeting's event was changed by hand in Discord; Haven leaves it as it is"
                );
                db.keep_event_by_hand(id, e.event).await.map_err(store)?;
                return by_hand(db, rest, guild, id, e.event, e.occurrence, &spec, now).await;
            }
            // As Haven left it, and already showing this: nothing to send.
            Ok(Some((_, shown))) if shown == spec && e.occurrence == target.start => {
                if e.sent != Some(events::digest(&shown)) {
                    db.move_meeting_event(id, e.event, e.occurrence, events::digest(&shown))
                        .await
                        .map_err(store)?;
                }
                return Ok(Synced::Shown);
            }
            // What Haven was sending reached Discord though its answer was
            // lost: that is what was sent.
            Ok(Some((_, shown)))
                if e.sending == Some(events::digest(&shown)) && e.sent != e.sending =>
            {
                db.move_meeting_event(id, e.event, e.occurrence, events::digest(&shown))
                    .await
                    .map_err(store)?;
            }
            Ok(Some(_)) => {}
            Ok(None) => {
                // Deleted by hand; this change lists the meeting again, for
                // its next time not started.
                db.forget_event(id, e.event).await.map_err(store)?;
                if target.start <= now {
                    return Ok(Synced::Off);
                }
                return create(db, rest, guild, id, &spec, target.start).await;
            }
            Err(RestError::Transient(why)) => return Err(why),
            Err(RestError::Forbidden { .. }) => return Ok(Synced::NoPermission),
            Err(_) => {}
        }
    } else {
        return by_hand(db, rest, guild, id, e.event, e.occurrence, &spec, now).await;
    }
    // Live now: only its words can change.
    if e.occurrence == target.start && target.start <= now {
        db.set_event_sending(id, e.event, events::digest(&spec))
            .await
            .map_err(store)?;
        match rest.edit_event_text(guild, e.event, &spec).await {
            Ok(shown) => {
                db.move_meeting_event(id, e.event, e.occurrence, events::digest(&shown))
                    .await
                    .map_err(store)?;
            }
            Err(RestError::Transient(why)) => return Err(why),
            Err(RestError::Gone { .. }) => {
                db.forget_event(id, e.event).await.map_err(store)?;
            }
            Err(_) => {}
        }
        return Ok(Synced::Shown);
    }
    if e.occurrence <= now {
        // Its occurrence started or passed (an edit moved the meeting):
        // that event ends, and the new time gets one of its own.
        finish(db, rest, guild, id, e).await?;
    } else {
        db.set_event_sending(id, e.event, events::digest(&spec))
            .await
            .map_err(store)?;
        match rest.edit_event(guild, e.event, &spec).await {
            Ok(shown) => {
                // (Replaced meanwhile by another change: that one stands.)
                db.move_meeting_event(id, e.event, target.start, events::digest(&shown))
                    .await
                    .map_err(store)?;
                return Ok(Synced::Shown);
            }
            Err(RestError::Gone { .. }) => db.forget_event(id, e.event).await.map_err(store)?,
            Err(RestError::Rejected { .. }) => {
                // Discord no longer takes changes to it (someone ended or
                // started it): it stays as it is, is never adopted again,
                // and the new time gets one of its own.
                db.release_kept_event(id, e.event).await.map_err(store)?;
            }
            Err(RestError::Forbidden { .. }) => return Ok(Synced::NoPermission),
            Err(RestError::Transient(why)) => return Err(why),
            Err(e) => return Err(e.to_string()),
        }
    }
    create(db, rest, guild, id, &spec, target.start).await
}

/// A meeting whose event someone changed by hand: the event is theirs and
/// stays as it is, until its occurrence has passed; then it is forgotten
/// (never ended or deleted by Haven) and the next time gets a new one.
#[allow(clippy::too_many_arguments)]
async fn by_hand(
    db: &Db,
    rest: &Rest,
    guild: u64,
    id: MeetingId,
    event: u64,
    occurrence: DateTime<Utc>,
    spec: &events::EventSpec,
    now: DateTime<Utc>,
) -> Result<Synced, String> {
    if occurrence > now || occurrence == spec.start {
        return Ok(Synced::ByHand);
    }
    db.release_kept_event(id, event).await.map_err(store)?;
    if spec.start <= now {
        return Ok(Synced::Off);
    }
    create(db, rest, guild, id, spec, spec.start).await
}

/// Creates the meeting's event, first adopting one Haven created for it
/// but never recorded (its answer lost, or a crash before the record).
async fn create(
    db: &Db,
    rest: &Rest,
    guild: u64,
    id: MeetingId,
    spec: &events::EventSpec,
    occurrence: DateTime<Utc>,
) -> Result<Synced, String> {
    create_once(db, rest, guild, id, spec, occurrence, false).await
}

/// Gives up Haven's event for the server's latest occurrence, if it is
/// later than `occurrence`, so that a sooner meeting has one under
/// Discord's limit of 100. Returns whether a place was made.
async fn make_room(
    db: &Db,
    rest: &Rest,
    guild: u64,
    occurrence: DateTime<Utc>,
) -> Result<bool, String> {
    let latest = db
        .latest_meeting_event(crate::domain::GuildId(guild))
        .await
        .map_err(store)?;
    let Some((other, event, at)) = latest.filter(|(_, _, at)| *at > occurrence) else {
        return Ok(false);
    };
    match rest.delete_event(guild, event).await {
        Ok(()) | Err(RestError::Gone { .. }) => {}
        Err(RestError::Transient(why)) => return Err(why),
        Err(_) => return Ok(false),
    }
    tracing::info!(meeting = other.0, %at, "a later meeting's event gave its place to a sooner one");
    db.forget_event(other, event).await.map_err(store)?;
    Ok(true)
}

#[allow(clippy::too_many_arguments)]
async fn create_once(
    db: &Db,
    rest: &Rest,
    guild: u64,
    id: MeetingId,
    spec: &events::EventSpec,
    occurrence: DateTime<Utc>,
    displaced: bool,
) -> Result<Synced, String> {
    if let Some(adopted) = adopt(db, rest, guild, id, spec, occurrence).await? {
        return Ok(adopted);
    }
    match rest.create_event(guild, spec).await {
        Ok((event, shown)) => {
            let record = MeetingEvent {
                event,
                occurrence,
                sent: Some(events::digest(&shown)),
                sending: None,
                by_hand: false,
            };
            let ours = db.claim_meeting_event(id, record).await.map_err(store)?;
            // Another change recorded one at the same moment (or adopted
            // this very one): one event per meeting, so a second goes.
            let recorded = db.meeting_event(id).await.map_err(store)?;
            if !ours
                && recorded.is_some_and(|r| r.event != event)
                && let Err(e) = rest.delete_event(guild, event).await
            {
                tracing::warn!(meeting = id.0, error = %e, "cannot delete a second event of a meeting");
            }
            Ok(Synced::Shown)
        }
        Err(RestError::Rejected { code, .. })
            if code == crate::rest::events::MAX_EVENTS_REACHED =>
        {
            // The soonest meetings have theirs: a later one of Haven's
            // gives its place up (it gets one again when a place frees).
            if !displaced && make_room(db, rest, guild, occurrence).await? {
                return Box::pin(create_once(db, rest, guild, id, spec, occurrence, true)).await;
            }
            Ok(Synced::Full)
        }
        Err(RestError::Forbidden { .. }) => Ok(Synced::NoPermission),
        // The answer may have been lost after Discord made it: look.
        Err(RestError::Transient(why)) => match adopt(db, rest, guild, id, spec, occurrence).await?
        {
            Some(adopted) => Ok(adopted),
            None => Err(why),
        },
        Err(e) => {
            tracing::warn!(meeting = id.0, error = %e, "Discord refused a meeting's event");
            Ok(Synced::Refused)
        }
    }
}

/// Adopts an open event Haven created for the meeting but never recorded,
/// deleting any more of them; `None` when there is none.
async fn adopt(
    db: &Db,
    rest: &Rest,
    guild: u64,
    id: MeetingId,
    spec: &events::EventSpec,
    occurrence: DateTime<Utc>,
) -> Result<Option<Synced>, String> {
    let mark = events::mark(id);
    let strays = match rest.own_open_events(guild, &mark).await {
        Ok(found) => found,
        Err(RestError::Transient(why)) => return Err(why),
        Err(RestError::Forbidden { .. }) => return Ok(Some(Synced::NoPermission)),
        // Nothing known of strays (and nothing of the kept list pruned).
        Err(_) => return Ok(None),
    };
    let recorded = db.meeting_event(id).await.map_err(store)?.map(|e| e.event);
    // Events changed by hand and let go are someone else's now.
    let kept = db.kept_events(id, &strays).await.map_err(store)?;
    let mut strays = strays
        .into_iter()
        .filter(|e| Some(*e) != recorded && !kept.contains(e));
    let Some(stray) = strays.next() else {
        return Ok(None);
    };
    for extra in strays {
        let _ = rest.delete_event(guild, extra).await;
    }
    let record = MeetingEvent {
        event: stray,
        occurrence,
        sent: None,
        sending: None,
        by_hand: false,
    };
    if !db.claim_meeting_event(id, record).await.map_err(store)? {
        // The meeting has another recorded now: this one goes (unless it is
        // the very one another change just recorded).
        let now_recorded = db.meeting_event(id).await.map_err(store)?;
        if now_recorded.is_some_and(|r| r.event != stray) {
            let _ = rest.delete_event(guild, stray).await;
        }
        return Ok(Some(Synced::Shown));
    }
    match rest.edit_event(guild, stray, spec).await {
        Ok(shown) => {
            db.move_meeting_event(id, stray, occurrence, events::digest(&shown))
                .await
                .map_err(store)?;
            Ok(Some(Synced::Shown))
        }
        Err(RestError::Transient(why)) => Err(why),
        Err(_) => {
            let _ = rest.delete_event(guild, stray).await;
            db.forget_event(id, stray).await.map_err(store)?;
            Ok(None)
        }
    }
}

/// An occurrence starts: its event (if it stands for it) is marked active.
pub async fn started(db: &Db, rest: &Rest, job: &Job) -> Result<(), String> {
    let Some(id) = job.meeting else { return Ok(()) };
    let Some(e) = db.meeting_event(id).await.map_err(store)? else {
        return Ok(());
    };
    let Some(meeting) = db.meeting(id).await.map_err(store)? else {
        return Ok(());
    };
    // (One changed by hand is theirs to start.)
    if e.occurrence != job.occurrence || e.by_hand {
        return Ok(());
    }
    match rest
        .set_event_status(meeting.guild.0, e.event, ACTIVE)
        .await
    {
        Ok(()) => Ok(()),
        Err(RestError::Transient(why)) => Err(why),
        // Deleted by hand, started by hand, or no longer Haven's to manage.
        Err(e) => {
            tracing::info!(meeting = id.0, error = %e, "a meeting's event could not be marked active");
            Ok(())
        }
    }
}

/// An occurrence ended: its event is completed, and the next occurrence
/// gets one.
pub async fn ended(db: &Db, rest: &Rest, job: &Job, now: DateTime<Utc>) -> Result<(), String> {
    let Some(id) = job.meeting else { return Ok(()) };
    let Some(meeting) = db.meeting(id).await.map_err(store)? else {
        return Ok(());
    };
    {
        let _turn = one_at_a_time(id).await;
        if let Some(e) = db.meeting_event(id).await.map_err(store)?
            && e.occurrence == job.occurrence
        {
            finish(db, rest, meeting.guild.0, id, e).await?;
        }
        // Still one on record (for another time, or kept by hand), not
        // mirrored any more, or the series is over: brought in line now.
        if db.meeting_event(id).await.map_err(store)?.is_some()
            || !db.events_mirrored(meeting.guild).await.map_err(store)?
            || events::occurrence_for(&meeting, now, None).is_none()
        {
            sync_held(db, rest, id, now).await?;
        }
    }
    // The next time gets an event in turn with every meeting waiting for
    // one, the soonest first (under Discord's limit of 100)...
    fill(db, rest, meeting.guild, now).await;
    // ...and if that stopped short of it, it tries itself (a later event
    // gives its place up if need be); a failure runs the roll-over again.
    let _turn = one_at_a_time(id).await;
    if db.meeting_event(id).await.map_err(store)?.is_none() {
        sync_held(db, rest, id, now).await?;
    }
    Ok(())
}

/// How many meetings that cannot have an event (private, refused) one
/// filling passes over before it stops.
const FILL_TRIES: usize = 3;

/// Gives meetings that have no event one, the soonest first, now that a
/// place may have freed up under Discord's limit of 100 (an event ended,
/// a series ended or a date was cancelled). Stops at the first that does
/// not fit; the rest wait for the next place.
pub async fn fill(db: &Db, rest: &Rest, guild: crate::domain::GuildId, now: DateTime<Utc>) {
    if !db.events_mirrored(guild).await.unwrap_or(false) {
        return;
    }
    let without: std::collections::HashSet<MeetingId> = match db.meetings_without_event(guild).await
    {
        Ok(ids) if ids.is_empty() => return,
        Ok(ids) => ids.into_iter().collect(),
        Err(e) => {
            tracing::warn!(error = %e, "cannot look for meetings without an event");
            return;
        }
    };
    let mut waiting = match db.guild_meetings(guild).await {
        Ok(all) => all,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read a server's meetings");
            return;
        }
    };
    waiting.retain(|m| without.contains(&m.id));
    waiting.retain(|m| events::occurrence_for(m, now, None).is_some());
    waiting.sort_by_key(|m| events::occurrence_for(m, now, None).map(|o| o.start));
    // Only while Discord has room: one look, not a refused create each.
    let mut room = match rest.open_event_count(guild.0).await {
        Ok(n) => crate::rest::events::MAX_OPEN_EVENTS.saturating_sub(n),
        Err(_) => return,
    };
    let mut misses = 0;
    for m in waiting {
        if room == 0 || misses == FILL_TRIES {
            return;
        }
        match sync(db, rest, m.id, now).await {
            Ok(Synced::Shown) => room -= 1,
            Ok(Synced::Full | Synced::NoPermission) | Err(_) => return,
            // Private, refused, off: this one takes no place.
            Ok(_) => misses += 1,
        }
    }
}

/// Syncs every meeting of the server, the soonest first (so that under
/// Discord's limit of 100 events, the soonest meetings have theirs), and
/// removes the events of meetings that have ended. Returns each meeting
/// with what became of its event; one Discord failed on is `Failed`.
pub async fn sync_server(
    db: &Db,
    rest: &Rest,
    guild: crate::domain::GuildId,
    now: DateTime<Utc>,
) -> Result<Vec<(Meeting, Synced)>, String> {
    let mut meetings = db.guild_meetings(guild).await.map_err(store)?;
    meetings.sort_by_key(|m| m.current_occurrence(now).map(|o| o.start));
    let mut out = Vec::with_capacity(meetings.len());
    let listed: std::collections::HashSet<MeetingId> = meetings.iter().map(|m| m.id).collect();
    for m in meetings {
        let synced = match sync(db, rest, m.id, now).await {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(meeting = m.id.0, error = %e, "cannot sync a meeting's event");
                Synced::Failed
            }
        };
        out.push((m, synced));
    }
    // Ended meetings whose event is still listed.
    for (id, _) in db.meetings_with_events(guild).await.map_err(store)? {
        if !listed.contains(&id)
            && let Err(e) = remove(db, rest, guild.0, id).await
        {
            tracing::warn!(meeting = id.0, error = %e, "cannot remove an ended meeting's event");
        }
    }
    Ok(out)
}

/// Daily: events of meetings that ended and whose removal failed then.
pub async fn sweep(db: &Db, rest: &Rest) -> Result<(), String> {
    for (id, guild, _) in db.ended_meetings_with_events().await.map_err(store)? {
        if let Err(e) = remove(db, rest, guild.0, id).await {
            tracing::warn!(meeting = id.0, error = %e, "cannot remove an ended meeting's event; tried again tomorrow");
        }
    }
    Ok(())
}
