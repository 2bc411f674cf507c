//! Answering meetings: `/meeting rsvp` and the announcement's buttons, and
//! reminders by direct message (`/meeting dm`, the Stop button on a DM).
//! An answer is recorded and acknowledged at once; the announcement's
//! counts follow through the coalescing editor.

use super::super::reply::Reply;
use super::super::{Context, Data, Error, render};
use super::{AnswerChoice, autocomplete_meeting, find};
use crate::domain::UserId;
use crate::domain::meeting::{Meeting, MeetingId, RsvpAnswer};
use crate::scheduler::editor::Target;
use crate::views;

/// Say whether you're coming (same as the buttons)
#[poise::command(slash_command, guild_only)]
pub async fn rsvp(
    ctx: Context<'_>,
    #[description = "The meeting"]
    #[autocomplete = "autocomplete_meeting"]
    id: i64,
    #[description = "Your answer"] answer: AnswerChoice,
) -> Result<(), Error> {
    let meeting = find(ctx, id).await?;
    let text = answer_meeting(
        ctx.data(),
        &meeting,
        super::super::author(ctx),
        answer.into(),
    )
    .await?;
    ctx.send(render::ephemeral(text)).await?;
    Ok(())
}

/// Get this meeting's reminders by direct message, or stop them (also from a DM)
#[poise::command(slash_command)]
pub async fn dm(
    ctx: Context<'_>,
    #[description = "The meeting"]
    #[autocomplete = "autocomplete_meeting"]
    id: i64,
    #[description = "True to get reminders by DM, false to stop"] enabled: bool,
) -> Result<(), Error> {
    let user = super::super::author(ctx);
    let data = ctx.data();
    if ctx.guild_id().is_none() {
        // In a direct message: only stopping makes sense here.
        if enabled {
            return Err(Error::member(
                "Please turn reminders on from inside the server, with `/meeting dm` there. Here you can stop them: `enabled:false`.",
            ));
        }
        let text = stop_dm(data, user, MeetingId(id)).await?;
        ctx.send(render::ephemeral(text)).await?;
        return Ok(());
    }
    let meeting = find(ctx, id).await?;
    data.db.set_meeting_dm(meeting.id, user, enabled).await?;
    let text = if enabled {
        format!(
            "I'll also send you **{}**'s reminders by direct message. If they don't arrive, check that your privacy settings allow messages from this server. Each one has a button to stop them.",
            meeting.title
        )
    } else {
        format!(
            "No more direct-message reminders for **{}**.",
            meeting.title
        )
    };
    ctx.send(render::ephemeral(text)).await?;
    Ok(())
}

/// Records an answer for the meeting's current occurrence and asks for the
/// announcement's counts to follow. Shared by `/meeting rsvp` and the buttons.
async fn answer_meeting(
    data: &Data,
    meeting: &Meeting,
    user: UserId,
    answer: RsvpAnswer,
) -> Result<String, Error> {
    let now = data.clock.now();
    let Some(occurrence) = meeting.current_occurrence(now).filter(|_| !meeting.ended) else {
        return Err(Error::member(format!(
            "**{}** has no upcoming times to answer for.",
            meeting.title
        )));
    };
    data.db
        .set_rsvp(meeting.id, occurrence.start, user, answer, now)
        .await?;
    data.editor.touch(Target::Announcement(meeting.id));
    let said = match answer {
        RsvpAnswer::Going => "You're going to",
        RsvpAnswer::Maybe => "You might come to",
        RsvpAnswer::No => "You can't make",
    };
    Ok(format!(
        "{said} **{}** on {}. Thank you for letting the group know; you can change your answer until it starts.",
        meeting.title,
        views::full(occurrence.start)
    ))
}

/// A press of an RSVP button on an announcement.
pub async fn on_rsvp(
    data: &Data,
    guild: Option<u64>,
    user: UserId,
    meeting: i64,
    answer: RsvpAnswer,
) -> Result<Reply, Error> {
    let meeting = match data.db.meeting(MeetingId(meeting)).await? {
        Some(m) if guild == Some(m.guild.0) => m,
        _ => return Err(Error::member("This meeting no longer exists.")),
    };
    answer_meeting(data, &meeting, user, answer)
        .await
        .map(Reply::Ephemeral)
}

/// The Stop button on a reminder by direct message.
pub async fn on_dm_stop(data: &Data, user: UserId, meeting: i64) -> Result<Reply, Error> {
    stop_dm(data, user, MeetingId(meeting))
        .await
        .map(Reply::Ephemeral)
}

async fn stop_dm(data: &Data, user: UserId, meeting: MeetingId) -> Result<String, Error> {
    if data.db.set_meeting_dm(meeting, user, false).await? {
        // Named only to someone who was getting its reminders.
        let title = data
            .db
            .meeting(meeting)
            .await?
            .map(|m| format!("**{}**", crate::domain::text::inert(&m.title)))
            .unwrap_or_else(|| format!("meeting #{}", meeting.0));
        Ok(format!(
            "Done: no more direct-message reminders for {title}. `/meeting dm` in the server turns them back on."
        ))
    } else {
        Ok(format!(
            "You weren't getting direct-message reminders for meeting #{}, so nothing changed.",
            meeting.0
        ))
    }
}
