//! `/meeting list`, `/meeting info` and `/meeting ics`.

use chrono::{DateTime, Utc};
use poise::serenity_prelude as serenity;

use super::super::{Context, Error, render};
use super::{autocomplete_meeting, find};
use crate::domain::meeting::Meeting;
use crate::domain::reminders::span_words;
use crate::views;

/// Upcoming meetings in this server
#[poise::command(slash_command, guild_only)]
pub async fn list(ctx: Context<'_>) -> Result<(), Error> {
    let now = ctx.data().clock.now();
    let mut upcoming: Vec<(DateTime<Utc>, Meeting)> = ctx
        .data()
        .db
        .guild_meetings(super::super::server(ctx)?)
        .await?
        .into_iter()
        .filter_map(|m| m.current_occurrence(now).map(|o| (o.start, m)))
        .collect();
    upcoming.sort_by_key(|(start, m)| (*start, m.id));
    if upcoming.is_empty() {
        ctx.send(render::ephemeral(
            "No meetings are scheduled here yet. Facilitators can add one with `/meeting create`.",
        ))
        .await?;
        return Ok(());
    }
    let lines: Vec<String> = upcoming
        .iter()
        .take(20)
        .map(|(start, m)| {
            format!(
                "**#{}: {}** · {}\n{}",
                m.id.0,
                crate::domain::text::inert(&m.title),
                views::when(*start),
                m.schedule.describe()
            )
        })
        .collect();
    let mut embed =
        render::embed("Upcoming meetings").description(render::description(lines.join("\n\n")));
    if upcoming.len() > 20 {
        embed = embed.footer(serenity::CreateEmbedFooter::new(format!(
            "and {} more",
            upcoming.len() - 20
        )));
    }
    ctx.send(render::ephemeral_embed(embed)).await?;
    Ok(())
}

/// A meeting's details and its next occurrences
#[poise::command(slash_command, guild_only)]
pub async fn info(
    ctx: Context<'_>,
    #[description = "The meeting"]
    #[autocomplete = "autocomplete_meeting"]
    id: i64,
) -> Result<(), Error> {
    let meeting = find(ctx, id).await?;
    // Its Discord event may be looked up: answer first.
    ctx.defer_ephemeral().await?;
    let now = ctx.data().clock.now();
    let next = meeting
        .schedule
        .occurrences_after(now - meeting.duration, 5);
    let times = if next.is_empty() || meeting.ended {
        "None: this meeting has ended.".to_owned()
    } else {
        next.iter()
            .map(|o| views::when(o.start))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let reminders = if meeting.reminders.as_slice().is_empty() {
        "None".to_owned()
    } else {
        meeting.reminders.describe()
    };
    let mut embed = render::embed(&format!("#{}: {}", meeting.id.0, meeting.title))
        .description(meeting.schedule.describe())
        .field("Next times", times, false)
        .field("Length", span_words(meeting.duration), true)
        .field("Channel", render::channel_mention(meeting.channel.0), true)
        .field("Reminders", reminders, true);
    if let Some(location) = &meeting.location {
        embed = embed.field("Where", render::field(views::location_text(location)), true);
    }
    if let Some(role) = meeting.mention_role {
        embed = embed.field("Mentions", render::role_mention(role.0), true);
    }
    if let Some(o) = meeting.current_occurrence(now).filter(|_| !meeting.ended) {
        let c = ctx.data().db.rsvp_counts(meeting.id, o.start).await?;
        embed = embed.field(
            "Answers for the next time",
            format!(
                "Going: **{}** · Maybe: **{}** · Can't make it: **{}**",
                c.going, c.maybe, c.no
            ),
            false,
        );
    }
    if !meeting.ended && ctx.data().db.events_mirrored(meeting.guild).await? {
        let data = ctx.data();
        let shown = match data.db.meeting_event(meeting.id).await? {
            // Someone may have deleted it by hand in Discord (kept on
            // record: the next change to the meeting lists it again).
            Some(e) => match data.rest.event_status(meeting.guild.0, e.event).await {
                Ok(None) => None,
                Ok(Some(_)) | Err(_) => Some(e),
            },
            None => None,
        };
        let event = match shown {
            Some(e) if e.by_hand => format!(
                "Listed in Discord's Events tab for {}; changed by hand there, so I leave that event as it is.",
                views::when(e.occurrence)
            ),
            Some(e) => format!("Listed in Discord's Events tab for {}.", views::when(e.occurrence)),
            None => "Not listed in Discord's Events tab (its event was deleted, Discord's limit of 100 was reached, \
                     or I lack the Create Events permission). The next change to the meeting lists it again."
                .to_owned(),
        };
        embed = embed.field("Discord event", event, false);
    }
    // Who came to its latest meetings, beside who had said they were
    // going: people, each rounded like every figure.
    let recent = ctx
        .data()
        .db
        .recent_attendance(meeting.id, RECENT_COUNTED)
        .await?;
    if !recent.is_empty() {
        let k = super::super::settings(ctx).await?.min_group_size.get();
        let lines: Vec<String> = recent
            .iter()
            .map(|(when, a, going)| came_line(views::full(*when), *a, *going, k))
            .collect();
        embed = embed.field("Came (voice)", lines.join("\n"), false);
    }
    if !meeting.reminders_enabled {
        embed = embed.field(
            "Reminders paused",
            "I couldn't post in its channel; edit the meeting with a channel to resume.",
            false,
        );
    }
    if !meeting.schedule.skips.is_empty() {
        let skipped: Vec<String> = meeting
            .schedule
            .skips
            .iter()
            .map(|d| d.format("%a %-d %b %Y").to_string())
            .collect();
        embed = embed.field("Skipped", render::field(skipped.join(", ")), false);
    }
    ctx.send(render::ephemeral_embed(embed)).await?;
    Ok(())
}

/// How many counted meetings `/meeting info` shows.
const RECENT_COUNTED: i64 = 4;

/// One counted meeting: who came and who had said they were going, each
/// rounded down to a step of `k` (never below it), so neither figure nor
/// their difference singles anyone out.
fn came_line(
    when: String,
    a: crate::domain::attendance::Attendance,
    going: Option<u64>,
    k: u32,
) -> String {
    use crate::domain::stats::People;
    let came = People::new(u64::from(a.came), k);
    let said = going
        .map(|g| format!(" ({} had said they were going)", People::new(g, k).render()))
        .unwrap_or_default();
    match came.shown() {
        Some(_) => format!(
            "{when}: {} people came{said}; {} stayed more than half.",
            came.render(),
            People::new(u64::from(a.stayed), k).render()
        ),
        None => format!("{when}: {} people came{said}.", came.render()),
    }
}

/// A calendar file for the meeting
#[poise::command(slash_command, guild_only)]
pub async fn ics(
    ctx: Context<'_>,
    #[description = "The meeting"]
    #[autocomplete = "autocomplete_meeting"]
    id: i64,
) -> Result<(), Error> {
    let meeting = find(ctx, id).await?;
    let text = crate::domain::ics::meeting_ics(&meeting, ctx.data().clock.now());
    ctx.send(
        render::ephemeral(format!(
            "Here is **{}** for your calendar. Your calendar app shows it in your own time zone.",
            meeting.title
        ))
        .attachment(serenity::CreateAttachment::bytes(
            text.into_bytes(),
            format!("haven-meeting-{}.ics", meeting.id.0),
        )),
    )
    .await?;
    Ok(())
}
