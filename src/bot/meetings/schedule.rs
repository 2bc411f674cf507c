//! `/meeting create`, `/meeting edit` and `/meeting cancel`.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use poise::serenity_prelude as serenity;

use super::super::timezone::{autocomplete_zone, unknown_zone};
use super::super::{Context, Error, render};
use super::options::{
    check_duration, check_location, check_title, meeting_zone, parse_reminders, postable_channel,
    this_channel, when_error,
};
use super::{RepeatChoice, autocomplete_meeting, find};
use crate::domain::RoleId;
use crate::domain::meeting::{Meeting, MeetingId, PlannedJob};
use crate::domain::recurrence::{Repeat, Schedule};
use crate::domain::reminders::{Offsets, span_words};
use crate::domain::settings::Access;
use crate::domain::when::{LocalAdjustment, parse_when};
use crate::domain::zones::{self, ZoneSource};
use crate::scheduler::editor::Target;
use crate::scheduler::meetings as work;
use crate::store::{MeetingEdit, NewMeeting};
use crate::views;

/// Schedule a meeting and announce it
#[poise::command(slash_command, guild_only, custom_data = "Access::Facilitator")]
#[allow(clippy::too_many_arguments)]
pub async fn create(
    ctx: Context<'_>,
    #[description = "What the meeting is called"]
    #[max_length = 100]
    title: String,
    #[description = "When: 2027-03-09 19:00, 19:00, 7pm, tuesday 19:00, tomorrow 7:30pm, in 2 hours"]
    #[max_length = 100]
    when: String,
    #[description = "The meeting's home time zone (default: yours, else the server's)"]
    #[autocomplete = "autocomplete_zone"]
    #[max_length = 100]
    timezone: Option<String>,
    #[description = "How it repeats (default: none)"] repeat: Option<RepeatChoice>,
    #[description = "Length in minutes (default 60)"]
    #[min = 1]
    #[max = 1440]
    duration: Option<i64>,
    #[description = "Where to announce it (default: here)"]
    #[channel_types("Text", "News")]
    channel: Option<serenity::PartialChannel>,
    #[description = "Like 1d,1h,10m; 0m posts at the start (default 1h,10m, and 0m with a location)"]
    #[max_length = 100]
    reminders: Option<String>,
    #[description = "A role to mention in reminders"] mention: Option<serenity::Role>,
    #[description = "Where it happens: a voice channel (#…) or a link"]
    #[max_length = 200]
    location: Option<String>,
) -> Result<(), Error> {
    let guild = super::super::server(ctx)?;
    let data = ctx.data();
    let now = data.clock.now();
    let title = check_title(&title)?;
    let (zone, source) = meeting_zone(ctx, guild, timezone.as_deref()).await?;
    let when = parse_when(&when, zone, now).map_err(|e| when_error(e, zone))?;
    let duration = check_duration(duration)?;
    let location = location
        .as_deref()
        .map(check_location)
        .transpose()?
        .flatten();
    // With a place to join, the default adds a "starting now" post there.
    let reminders = match (reminders.as_deref(), &location) {
        (None, Some(_)) => Offsets::default_with_location(),
        (given, _) => parse_reminders(given)?,
    };
    let mention_role = mention.map(|r| check_mention(&r, guild)).transpose()?;
    let channel = match &channel {
        Some(c) => postable_channel(c)?,
        None => this_channel(ctx)?,
    };
    // Posting the announcement can wait on Discord: answer first.
    ctx.defer_ephemeral().await?;
    let schedule = Schedule {
        zone,
        start: when.local,
        repeat: repeat.map(Repeat::from).unwrap_or(Repeat::None),
        skips: Default::default(),
    }
    .normalized();
    let new = NewMeeting {
        guild,
        channel,
        title,
        schedule,
        duration,
        reminders,
        mention_role,
        location,
    };

    let mut meeting = data.db.create_meeting(&new, now).await?;
    if let Err(e) = work::post_announcement(&data.db, &data.rest, &mut meeting, now).await {
        data.db.end_meeting(meeting.id).await?;
        tracing::warn!(meeting = meeting.id.0, error = %format!("{e:#}"), "cannot post an announcement");
        return Err(Error::member(format!(
            "I couldn't post in {}. Please check that I can see that channel and send messages there, then try again. Nothing was scheduled.",
            render::channel_mention(channel.0)
        )));
    }
    let plan = work::plan(&data.db, &meeting, now).await?;
    data.scheduler.poke();
    let mut text = created_text(&meeting, now, zone, source);
    text.push_str(&missed_note(&plan.missed));
    text.push_str(&event_note(data, meeting.id, now).await);
    ctx.send(render::ephemeral(text)).await?;
    Ok(())
}

/// Change a meeting: give only what changes
#[poise::command(slash_command, guild_only, custom_data = "Access::Facilitator")]
#[allow(clippy::too_many_arguments)]
pub async fn edit(
    ctx: Context<'_>,
    #[description = "The meeting"]
    #[autocomplete = "autocomplete_meeting"]
    id: i64,
    #[description = "A new title"]
    #[max_length = 100]
    title: Option<String>,
    #[description = "A new time: 2027-03-09 19:00, tuesday 19:00, ..."]
    #[max_length = 100]
    when: Option<String>,
    #[description = "A new home time zone"]
    #[autocomplete = "autocomplete_zone"]
    #[max_length = 100]
    timezone: Option<String>,
    #[description = "How it repeats"] repeat: Option<RepeatChoice>,
    #[description = "Length in minutes"]
    #[min = 1]
    #[max = 1440]
    duration: Option<i64>,
    #[description = "Where to announce and remind"]
    #[channel_types("Text", "News")]
    channel: Option<serenity::PartialChannel>,
    #[description = "Like 1d,1h,10m; 0m posts at the start; none for no reminders"]
    #[max_length = 100]
    reminders: Option<String>,
    #[description = "A role to mention in reminders"] mention: Option<serenity::Role>,
    #[description = "True to stop mentioning a role in reminders"]
    #[rename = "no-mention"]
    no_mention: Option<bool>,
    #[description = "Where it happens: a voice channel (#…) or a link; none to remove"]
    #[max_length = 200]
    location: Option<String>,
) -> Result<(), Error> {
    let guild = super::super::server(ctx)?;
    let data = ctx.data();
    let now = data.clock.now();
    let before = find(ctx, id).await?;
    if before.ended {
        return Err(Error::member(
            "That meeting has ended, so it can't be changed. Create a new one with `/meeting create`.",
        ));
    }
    if mention.is_some() && no_mention == Some(true) {
        return Err(Error::member(
            "Please give either `mention` or `no-mention`, not both. Nothing was changed.",
        ));
    }
    // Read every option before changing anything.
    let mut change = MeetingEdit {
        title: title.as_deref().map(check_title).transpose()?,
        duration: duration.map(|d| check_duration(Some(d))).transpose()?,
        reminders: reminders
            .as_deref()
            .map(|r| parse_reminders(Some(r)))
            .transpose()?,
        location: location.as_deref().map(check_location).transpose()?,
        mention_role: match (mention, no_mention) {
            (Some(r), _) => Some(Some(check_mention(&r, guild)?)),
            (None, Some(true)) => Some(None),
            _ => None,
        },
        channel: channel.as_ref().map(postable_channel).transpose()?,
        ..MeetingEdit::default()
    };
    let zone = match &timezone {
        Some(z) => Some(zones::parse_zone(z).map_err(unknown_zone)?),
        None => None,
    };
    let mut schedule = before.schedule.clone();
    if let Some(z) = zone {
        schedule.zone = z;
    }
    if let Some(w) = &when {
        schedule.start = parse_when(w, schedule.zone, now)
            .map_err(|e| when_error(e, schedule.zone))?
            .local;
    }
    if let Some(r) = repeat {
        schedule.repeat = r.into();
    }
    if zone.is_some() || when.is_some() || repeat.is_some() {
        let schedule = schedule.normalized();
        change.zone = Some(schedule.zone);
        change.start = Some(schedule.start);
        change.repeat = Some(schedule.repeat);
    }
    ctx.defer_ephemeral().await?;

    let Some(mut meeting) = data.db.edit_meeting(before.id, &change).await? else {
        return Err(Error::member("That meeting no longer exists."));
    };
    // Answers follow the meeting to its new time.
    let old_next = before.current_occurrence(now);
    let new_next = meeting.current_occurrence(now);
    let moved_answers = match (old_next, new_next) {
        (Some(a), Some(b)) if a.start != b.start => {
            data.db.move_rsvps(meeting.id, a.start, b.start).await?
        }
        _ => 0,
    };
    let mut problem = None;
    if change.channel.is_some() || meeting.announcement.is_none() {
        if let Err(e) = work::post_announcement(&data.db, &data.rest, &mut meeting, now).await {
            tracing::warn!(meeting = meeting.id.0, error = %format!("{e:#}"), "cannot post an announcement");
            problem = Some(format!(
                "\nI saved the change, but couldn't post the announcement in {}. Please check that I can send messages there.",
                render::channel_mention(meeting.channel.0)
            ));
        }
    } else {
        data.editor.touch(Target::Announcement(meeting.id));
    }
    let plan = work::plan(&data.db, &meeting, now).await?;
    data.scheduler.poke();
    let next = match meeting.current_occurrence(now) {
        Some(o) => format!("Next: {}.", views::when(o.start)),
        None => "It has no upcoming times.".to_owned(),
    };
    let mut text = format!(
        "Updated **{}** (meeting #{}): {}. {next} Reminders follow the new schedule.",
        meeting.title,
        meeting.id.0,
        meeting.schedule.describe(),
    );
    if moved_answers > 0 {
        text.push_str(&format!(
            "\n{moved_answers} answer{} moved with it to the new time; members can change theirs on the announcement.",
            if moved_answers == 1 { "" } else { "s" }
        ));
    }
    text.push_str(&dst_note(&meeting, now));
    // Only reminders that would have gone out for the new times and never
    // did (those still owed are kept and sent).
    if change.reminders.is_some() || change.start.is_some() {
        text.push_str(&missed_note(&plan.missed));
    }
    if let Some(p) = problem {
        text.push_str(&p);
    }
    text.push_str(&event_note(data, meeting.id, now).await);
    ctx.send(render::ephemeral(text)).await?;
    Ok(())
}

/// Brings the meeting's Discord event in line (where the server mirrors
/// meetings), and says what the facilitator should know about it. Never
/// fails the command: the meeting itself is saved.
async fn event_note(data: &super::super::Data, meeting: MeetingId, now: DateTime<Utc>) -> String {
    use crate::scheduler::events::{Synced, sync};
    // Its voice channel may have changed: attendance reads the rooms again.
    if let Ok(Some(m)) = data.db.meeting(meeting).await {
        data.rooms.forget(m.guild);
    }
    match sync(&data.db, &data.rest, meeting, now).await {
        Ok(Synced::Shown) => String::new(),
        Ok(Synced::Off) => {
            // A place under Discord's limit may have freed up.
            if let Ok(Some(m)) = data.db.meeting(meeting).await {
                crate::scheduler::events::fill(&data.db, &data.rest, m.guild, now).await;
            }
            String::new()
        }
        Ok(Synced::ByHand) => "\nIts Discord event was changed by hand in Discord, so I left it as it is: \
             change it there too if it should follow. The next time after it gets a new event from me.".to_owned(),
        Ok(Synced::Full) => "\nIt isn't listed in Discord's Events tab: the server has Discord's limit of 100 events.".to_owned(),
        Ok(Synced::NoPermission) => "\nI couldn't list it in Discord's Events tab: I need the **Create Events** permission, and **Connect** on its voice channel (an admin can give them to my role).".to_owned(),
        Ok(Synced::Refused) => "\nDiscord didn't accept it as an event (or I can't see its voice channel), so it isn't listed in the Events tab.".to_owned(),
        Ok(Synced::Private) => "\nIt isn't listed in Discord's Events tab: its channel isn't open to everyone, and an event shows to the whole server.".to_owned(),
        Ok(Synced::Failed) => "\nI couldn't update its Discord event just now; I'll try again at its next change or once it ends.".to_owned(),
        Err(e) => {
            tracing::warn!(meeting = meeting.0, error = %e, "cannot update a meeting's Discord event");
            "\nI couldn't update its Discord event just now; the next change to the meeting will.".to_owned()
        }
    }
}

/// Skip one date, or end the whole series
#[poise::command(slash_command, guild_only, custom_data = "Access::Facilitator")]
pub async fn cancel(
    ctx: Context<'_>,
    #[description = "The meeting"]
    #[autocomplete = "autocomplete_meeting"]
    id: i64,
    #[description = "Skip only this date (YYYY-MM-DD, the meeting's local date); leave out to end the series"]
    #[max_length = 10]
    date: Option<String>,
) -> Result<(), Error> {
    let data = ctx.data();
    let now = data.clock.now();
    let mut meeting = find(ctx, id).await?;
    if meeting.ended {
        return Err(Error::member("That meeting has already ended."));
    }
    let mut text = match date {
        Some(raw) => {
            let date = NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d").map_err(|_| {
                Error::member(format!(
                    "I couldn't read `{}` as a date. Please write it like `2027-03-16`.",
                    render::inline_code(&raw, 20)
                ))
            })?;
            let upcoming = meeting.schedule.occurrences_after(now, 400);
            if !upcoming.iter().any(|o| o.local.date() == date) {
                let next: Vec<String> = upcoming
                    .iter()
                    .take(3)
                    .map(|o| format!("`{}`", o.local.format("%Y-%m-%d")))
                    .collect();
                return Err(Error::member(format!(
                    "**{}** doesn't meet on {} (in its own time zone, {}), or that time has passed. Its next dates are {}.",
                    meeting.title,
                    date.format("%A %-d %B %Y"),
                    meeting.schedule.zone.name(),
                    if next.is_empty() {
                        "none".to_owned()
                    } else {
                        next.join(", ")
                    }
                )));
            }
            // Its Discord event may have to move: answer first.
            ctx.defer_ephemeral().await?;
            data.db.skip_occurrence(meeting.id, date).await?;
            meeting.schedule.skips.insert(date);
            format!(
                "**{}** won't meet on {}. Its reminders for that day are cancelled.",
                meeting.title,
                date.format("%A %-d %B %Y")
            )
        }
        None => {
            ctx.defer_ephemeral().await?;
            data.db.end_meeting(meeting.id).await?;
            meeting.ended = true;
            format!(
                "**{}** (meeting #{}) has ended. Its reminders are cancelled and the announcement says so.",
                meeting.title, meeting.id.0
            )
        }
    };
    work::plan(&data.db, &meeting, now).await?;
    data.editor.touch(Target::Announcement(meeting.id));
    data.scheduler.poke();
    text.push_str(&event_note(data, meeting.id, now).await);
    ctx.send(render::ephemeral(text)).await?;
    Ok(())
}

/// A role to mention: never @everyone (its id is the server's).
fn check_mention(role: &serenity::Role, guild: crate::domain::GuildId) -> Result<RoleId, Error> {
    if role.id.get() == guild.0 {
        return Err(Error::member(
            "Reminders never ping @everyone. Please choose a role members join to hear about meetings. Nothing was changed.",
        ));
    }
    Ok(RoleId(role.id.get()))
}

fn created_text(m: &Meeting, now: DateTime<Utc>, zone: Tz, source: ZoneSource) -> String {
    let from = match source {
        ZoneSource::Explicit => "the time zone you gave",
        ZoneSource::Member => "your time zone",
        ZoneSource::Server => "the server's time zone",
        ZoneSource::Default => "UTC, since neither you nor the server has set a time zone",
    };
    let mut text = format!(
        "Scheduled **{}** as **meeting #{}**.",
        crate::domain::text::inert(&m.title),
        m.id.0
    );
    if let Some(first) = m.current_occurrence(now) {
        text.push_str(&format!("\nFirst: {}.", views::when(first.start)));
    }
    text.push_str(&format!(
        "\nRepeats: {}.\nI read the time in **{}** ({from}).",
        m.schedule.describe(),
        zone.name()
    ));
    let reminders = if m.reminders.as_slice().is_empty() {
        "no reminders".to_owned()
    } else {
        format!("reminders {}", m.reminders.describe())
    };
    text.push_str(&format!(
        "\nAnnounced in {} with {reminders}.",
        render::channel_mention(m.channel.0)
    ));
    if let Some(l) = &m.location {
        text.push_str(&format!("\nWhere: {}.", views::location_text(l)));
    }
    text.push_str(&dst_note(m, now));
    text
}

/// Names the reminders whose time had already passed, so none is dropped
/// in silence.
fn missed_note(missed: &[PlannedJob]) -> String {
    // A "starting now" post (or an event going live) for an occurrence
    // already under way is not worth a note.
    let missed: Vec<&PlannedJob> = missed
        .iter()
        .filter(|j| j.kind == crate::domain::jobs::JobKind::Reminder && !j.offset.is_zero())
        .collect();
    if missed.is_empty() {
        return String::new();
    }
    let list: Vec<String> = missed
        .iter()
        .map(|j| {
            format!(
                "the {} reminder for {}",
                span_words(j.offset),
                views::full(j.occurrence)
            )
        })
        .collect();
    format!(
        "\nNote: {} would have been due already, so {} won't be sent.",
        list.join(", "),
        if missed.len() == 1 { "it" } else { "they" }
    )
}

/// Says when daylight saving moves or doubles one of the meeting's times
/// within the next year; empty when it doesn't.
fn dst_note(m: &Meeting, now: DateTime<Utc>) -> String {
    let adjusted = m
        .schedule
        .occurrences_after(now, 400)
        .into_iter()
        .find_map(|o| o.adjustment);
    match adjusted {
        Some(LocalAdjustment::Gap { requested, actual }) => format!(
            "\nNote: {} doesn't exist on {} in {} (the clocks go forward), so that time the meeting starts at {}.",
            requested.format("%H:%M"),
            requested.format("%A %-d %B %Y"),
            m.schedule.zone.name(),
            actual.format("%H:%M")
        ),
        Some(LocalAdjustment::Ambiguous { requested }) => format!(
            "\nNote: {} happens twice on {} in {} (the clocks go back); the meeting uses the first one.",
            requested.format("%H:%M"),
            requested.format("%A %-d %B %Y"),
            m.schedule.zone.name()
        ),
        None => String::new(),
    }
}
