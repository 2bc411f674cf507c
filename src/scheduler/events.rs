//! Meetings mirrored into Discord's Scheduled Events (where a server turned
//! it on): one event per meeting, for its next occurrence, following every
//! edit and cancel, marked active at the start and completed at the end,
//! then moved on to the following occurrence. Haven's own recurrence stays
//! the truth: Discord's `recurrence_rule` is never used.

use chrono::{DateTime, Utc};
use poise::serenity_prelude as serenity;

use crate::domain::events::{self, Place};
use crate::domain::meeting::{Meeting, MeetingId, location_channel};
use crate::rest::events::{MAX_EVENTS_REACHED, UNKNOWN_EVENT};
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
    /// Haven may not create or manage events there.
    NoPermission,
    /// Discord refused this event (logged): the meeting goes on without.
    Refused,
}

/// Deletes the meeting's event, if any, and forgets it. An event deleted
/// by hand already, or one Haven may no longer manage, is simply forgotten.
async fn remove(db: &Db, rest: &Rest, guild: u64, meeting: MeetingId) -> Result<(), String> {
    if let Some(e) = db.meeting_event(meeting).await.map_err(|e| e.to_string())? {
        match rest.delete_event(guild, e.event).await {
            Ok(()) | Err(RestError::Gone { .. } | RestError::Forbidden { .. }) => {}
            Err(RestError::Transient(why)) => return Err(why),
            Err(e) => {
                tracing::warn!(meeting = meeting.0, error = %e, "cannot delete a meeting's event")
            }
        }
        db.forget_meeting_event(meeting)
            .await
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// Where the meeting happens, as Discord's events know places: its voice
/// or stage channel, else its link (or "Discord").
async fn place(rest: &Rest, meeting: &Meeting) -> Result<Place, String> {
    let location = meeting.location.as_deref();
    let Some(channel) = location.and_then(location_channel) else {
        return Ok(Place::External(events::external_location(location)));
    };
    match rest.channel_kind(channel).await {
        Ok(serenity::ChannelType::Stage) => Ok(Place::Stage(channel)),
        Ok(serenity::ChannelType::Voice) => Ok(Place::Voice(channel)),
        Ok(_) | Err(RestError::Gone { .. } | RestError::Forbidden { .. }) => {
            Ok(Place::External(events::external_location(None)))
        }
        Err(RestError::Transient(why)) => Err(why),
        Err(e) => Err(e.to_string()),
    }
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
    let Some(meeting) = db.meeting(id).await.map_err(|e| e.to_string())? else {
        return Ok(Synced::Off);
    };
    let guild = meeting.guild.0;
    let mirrored = db
        .events_mirrored(meeting.guild)
        .await
        .map_err(|e| e.to_string())?;
    let existing = db.meeting_event(id).await.map_err(|e| e.to_string())?;
    let target = events::occurrence_for(&meeting, now, existing.map(|e| e.occurrence));
    let Some(target) = target.filter(|_| mirrored) else {
        remove(db, rest, guild, id).await?;
        return Ok(Synced::Off);
    };
    // Under way: its event is live, and its time can no longer move.
    if target.start <= now {
        return Ok(Synced::Shown);
    }
    let link = meeting.announcement.map(|m| {
        format!(
            "https://discord.com/channels/{guild}/{}/{m}",
            meeting.channel.0
        )
    });
    let spec = events::spec(
        &meeting,
        &target,
        place(rest, &meeting).await?,
        link.as_deref(),
    );
    let shown = MeetingEvent {
        event: 0,
        occurrence: target.start,
    };
    if let Some(e) = existing {
        match rest.edit_event(guild, e.event, &spec).await {
            Ok(()) => {
                db.set_meeting_event(
                    id,
                    MeetingEvent {
                        event: e.event,
                        ..shown
                    },
                )
                .await
                .map_err(|e| e.to_string())?;
                return Ok(Synced::Shown);
            }
            // Deleted by hand, or over (completed): a new one below.
            Err(RestError::Gone { .. } | RestError::Rejected { .. }) => {
                db.forget_meeting_event(id)
                    .await
                    .map_err(|e| e.to_string())?;
            }
            Err(RestError::Forbidden { .. }) => return Ok(Synced::NoPermission),
            Err(RestError::Transient(why)) => return Err(why),
            Err(e) => return Err(e.to_string()),
        }
    }
    match rest.create_event(guild, &spec).await {
        Ok(event) => {
            let ours = db
                .claim_meeting_event(id, MeetingEvent { event, ..shown })
                .await
                .map_err(|e| e.to_string())?;
            if !ours {
                // Another change created one at the same moment: one event
                // per meeting, so this one goes (the other follows the
                // meeting as that change saw it; the next change syncs it).
                if let Err(e) = rest.delete_event(guild, event).await {
                    tracing::warn!(meeting = id.0, error = %e, "cannot delete a second event of a meeting");
                }
            }
            Ok(Synced::Shown)
        }
        Err(RestError::Rejected { code, .. }) if code == MAX_EVENTS_REACHED => Ok(Synced::Full),
        Err(RestError::Forbidden { .. }) => Ok(Synced::NoPermission),
        Err(RestError::Transient(why)) => Err(why),
        Err(e) => {
            tracing::warn!(meeting = id.0, error = %e, "Discord refused a meeting's event");
            Ok(Synced::Refused)
        }
    }
}

/// An occurrence starts: its event (if it stands for it) is marked active.
pub async fn started(db: &Db, rest: &Rest, job: &Job) -> Result<(), String> {
    let Some(id) = job.meeting else { return Ok(()) };
    let Some(e) = db.meeting_event(id).await.map_err(|e| e.to_string())? else {
        return Ok(());
    };
    let Some(meeting) = db.meeting(id).await.map_err(|e| e.to_string())? else {
        return Ok(());
    };
    if e.occurrence != job.occurrence {
        return Ok(());
    }
    match rest.set_event_status(meeting.guild.0, e.event, 2).await {
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
    let Some(meeting) = db.meeting(id).await.map_err(|e| e.to_string())? else {
        return Ok(());
    };
    if let Some(shown) = db.meeting_event(id).await.map_err(|e| e.to_string())?
        && shown.occurrence == job.occurrence
    {
        let guild = meeting.guild.0;
        // Completed from active; one never marked active (its start was
        // missed) is made active first, as Discord allows no other move.
        let mut done = rest.set_event_status(guild, shown.event, 3).await;
        if matches!(done, Err(RestError::Rejected { .. })) {
            let _ = rest.set_event_status(guild, shown.event, 2).await;
            done = rest.set_event_status(guild, shown.event, 3).await;
        }
        match done {
            Ok(()) | Err(RestError::Gone { .. } | RestError::Forbidden { .. }) => {}
            Err(RestError::Transient(why)) => return Err(why),
            Err(RestError::Rejected { code, .. }) if code == UNKNOWN_EVENT => {}
            Err(why) => {
                tracing::info!(meeting = id.0, error = %why, "a meeting's event could not be completed; it is removed");
                let _ = rest.delete_event(guild, shown.event).await;
            }
        }
        db.forget_meeting_event(id)
            .await
            .map_err(|e| e.to_string())?;
    }
    sync(db, rest, id, now).await.map(drop)
}

/// Syncs every meeting of the server, the soonest first (so that under
/// Discord's limit of 100 events, the soonest meetings have theirs).
/// Returns each meeting with what became of its event.
pub async fn sync_server(
    db: &Db,
    rest: &Rest,
    guild: crate::domain::GuildId,
    now: DateTime<Utc>,
) -> Result<Vec<(Meeting, Synced)>, String> {
    let mut meetings = db.guild_meetings(guild).await.map_err(|e| e.to_string())?;
    meetings.sort_by_key(|m| m.current_occurrence(now).map(|o| o.start));
    let mut out = Vec::with_capacity(meetings.len());
    for m in meetings {
        let synced = sync(db, rest, m.id, now).await?;
        out.push((m, synced));
    }
    Ok(out)
}
