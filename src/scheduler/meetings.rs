//! Meeting work shared by the commands and the engine: planning jobs,
//! posting and refreshing the announcement, and moving on when an occurrence
//! ends.

use chrono::{DateTime, Utc};
use poise::serenity_prelude as serenity;

use super::editor::{Editor, Target};
use crate::domain::meeting::{Meeting, Plan};
use crate::domain::stats::Facet;
use crate::rest::Rest;
use crate::store::{Db, Job, StoreError};
use crate::views;

/// Plans the meeting's jobs as seen at `now` (read afresh, alone with any
/// other replan of it), keeping every reminder still owed (due, retrying or
/// being sent) whose occurrence and offset remain. Returns the plan, its
/// `missed` being the reminders that can no longer be sent: their time
/// passed before they were ever planned.
pub async fn plan(db: &Db, meeting: &Meeting, now: DateTime<Utc>) -> Result<Plan, StoreError> {
    db.replan_meeting(meeting.id, now).await
}

/// Posts the announcement in the meeting's channel and remembers it.
pub async fn post_announcement(
    db: &Db,
    rest: &Rest,
    meeting: &mut Meeting,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let next = meeting.current_occurrence(now);
    let counts = match &next {
        Some(o) => db.rsvp_counts(meeting.id, o.start).await?,
        None => Default::default(),
    };
    let (embed, components) = views::announcement(meeting, next.as_ref(), counts, now);
    let message = rest
        .send(
            serenity::ChannelId::new(meeting.channel.0),
            serenity::CreateMessage::new()
                .embed(embed)
                .components(components)
                .allowed_mentions(serenity::CreateAllowedMentions::new()),
        )
        .await?;
    meeting.announcement = Some(message.id.get());
    db.set_announcement(meeting.id, message.id.get()).await?;
    Ok(())
}

/// Brings the announcement up to date (next occurrence and counts). A
/// missing announcement is logged, not an error: the meeting goes on.
pub async fn refresh_announcement(
    db: &Db,
    rest: &Rest,
    meeting: &Meeting,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let Some(message_id) = meeting.announcement else {
        return Ok(());
    };
    let next = meeting.current_occurrence(now);
    let counts = match &next {
        Some(o) => db.rsvp_counts(meeting.id, o.start).await?,
        None => Default::default(),
    };
    let (embed, components) = views::announcement(meeting, next.as_ref(), counts, now);
    let edit = serenity::EditMessage::new()
        .embed(embed)
        .components(components);
    match rest
        .edit(
            serenity::ChannelId::new(meeting.channel.0),
            serenity::MessageId::new(message_id),
            edit,
        )
        .await
    {
        Ok(_) => Ok(()),
        Err(e) if e.is_refusal() => {
            tracing::info!(meeting = meeting.id.0, error = %e, "the announcement cannot be edited; not refreshed");
            Ok(())
        }
        Err(e) => Err(e.into()),
    }
}

/// An occurrence ended: its answers are counted anonymously, then deleted;
/// the next occurrences are planned (as of when this one ended, so that
/// their reminders exist even if the engine runs late) and the announcement
/// moves on; a series with no next occurrence ends.
pub async fn rollover(db: &Db, editor: &Editor, job: &Job) -> Result<(), String> {
    let Some(id) = job.meeting else { return Ok(()) };
    let Some(meeting) = db.meeting(id).await.map_err(|e| e.to_string())? else {
        return Ok(());
    };
    // Counted first, deleted after: a count is of people (counting someone
    // again adds nothing), so a failure or a crash between the two loses
    // no one and counts no one twice.
    let going = db
        .past_going(meeting.id, job.occurrence)
        .await
        .map_err(|e| e.to_string())?;
    count_going(db, &meeting, going)
        .await
        .map_err(|e| e.to_string())?;
    db.delete_past_rsvps(meeting.id, job.occurrence)
        .await
        .map_err(|e| e.to_string())?;
    if meeting.ended {
        return Ok(());
    }
    // An empty plan (for a meeting not ended) means no occurrence is left.
    let plan = meeting.plan(job.planned);
    if !plan.jobs.is_empty() {
        db.add_jobs(meeting.id, &plan.jobs)
            .await
            .map_err(|e| e.to_string())?;
    } else {
        db.end_meeting(meeting.id)
            .await
            .map_err(|e| e.to_string())?;
    }
    editor.touch(Target::Announcement(meeting.id));
    Ok(())
}

/// Counts the members who said "going" to an occurrence that is over, as
/// people in the server's anonymous statistics.
async fn count_going(
    db: &Db,
    meeting: &Meeting,
    going: Vec<(DateTime<Utc>, crate::domain::UserId)>,
) -> Result<(), StoreError> {
    if going.is_empty() {
        return Ok(());
    }
    let tz = db
        .guild_settings(meeting.guild)
        .await?
        .timezone
        .unwrap_or(chrono_tz::Tz::UTC);
    for (occurrence, user) in going {
        db.count_person(meeting.guild, tz, occurrence, &[Facet::Going], user)
            .await?;
    }
    Ok(())
}
