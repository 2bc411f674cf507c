//! `/meeting …`: schedule meetings across time zones, answer them, get
//! reminders and calendar files.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use poise::serenity_prelude as serenity;

use super::timezone::{autocomplete_zone, unknown_zone};
use super::{Context, Data, Error, render};
use crate::domain::meeting::{
    DEFAULT_DURATION_MIN, MAX_DURATION_MIN, MAX_TITLE, Meeting, MeetingId, RsvpAnswer,
};
use crate::domain::recurrence::{Repeat, Schedule};
use crate::domain::reminders::{MAX_REMINDERS, Offsets, OffsetsError, span_words};
use crate::domain::settings::Access;
use crate::domain::when::{EXAMPLES, LocalAdjustment, WhenError, parse_when};
use crate::domain::zones::{self, ZoneSource};
use crate::domain::{ChannelId, GuildId, RoleId, UserId};
use crate::scheduler::{meetings as work, messages};
use crate::store::NewMeeting;

#[derive(Debug, Clone, Copy, poise::ChoiceParameter)]
pub enum RepeatChoice {
    #[name = "none"]
    None,
    #[name = "daily"]
    Daily,
    #[name = "weekdays"]
    Weekdays,
    #[name = "weekly"]
    Weekly,
    #[name = "biweekly"]
    Biweekly,
    #[name = "monthly"]
    Monthly,
}

impl From<RepeatChoice> for Repeat {
    fn from(c: RepeatChoice) -> Self {
        match c {
            RepeatChoice::None => Repeat::None,
            RepeatChoice::Daily => Repeat::Daily,
            RepeatChoice::Weekdays => Repeat::Weekdays,
            RepeatChoice::Weekly => Repeat::Weekly,
            RepeatChoice::Biweekly => Repeat::Biweekly,
            RepeatChoice::Monthly => Repeat::Monthly,
        }
    }
}

#[derive(Debug, Clone, Copy, poise::ChoiceParameter)]
pub enum AnswerChoice {
    #[name = "going"]
    Going,
    #[name = "maybe"]
    Maybe,
    #[name = "no"]
    No,
}

impl From<AnswerChoice> for RsvpAnswer {
    fn from(c: AnswerChoice) -> Self {
        match c {
            AnswerChoice::Going => RsvpAnswer::Going,
            AnswerChoice::Maybe => RsvpAnswer::Maybe,
            AnswerChoice::No => RsvpAnswer::No,
        }
    }
}

/// Meetings: schedule them, answer them, get reminders
#[poise::command(
    slash_command,
    guild_only,
    subcommands("create", "list", "info", "edit", "cancel", "rsvp", "dm", "ics"),
    subcommand_required
)]
pub async fn meeting(_ctx: Context<'_>) -> Result<(), Error> {
    Ok(())
}

/// Schedule a meeting and announce it
#[poise::command(slash_command, guild_only, custom_data = "Access::Facilitator")]
#[allow(clippy::too_many_arguments)]
async fn create(
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
    #[channel_types("Text")]
    channel: Option<serenity::PartialChannel>,
    #[description = "Reminders before it, like 1d,1h,10m (default 1h,10m; empty for none)"]
    #[max_length = 100]
    reminders: Option<String>,
    #[description = "A role to mention in reminders"] mention: Option<serenity::Role>,
) -> Result<(), Error> {
    let guild = super::server(ctx)?;
    let data = ctx.data();
    let now = data.clock.now();
    let title = check_title(&title)?;
    let (zone, source) = meeting_zone(ctx, guild, timezone.as_deref()).await?;
    let when = parse_when(&when, zone, now).map_err(|e| when_error(e, zone))?;
    let reminders = parse_reminders(reminders.as_deref())?;
    let duration = check_duration(duration)?;
    let channel = match channel {
        Some(c) => super::text_channel(&c, "the meeting")?,
        None => ChannelId(ctx.channel_id().get()),
    };
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
        mention_role: mention.map(|r| RoleId(r.id.get())),
    };

    let mut meeting = data.db.create_meeting(&new, now).await?;
    if let Err(e) = work::post_announcement(&data.db, ctx.http(), &mut meeting, now).await {
        meeting.ended = true;
        data.db.update_meeting(&meeting).await?;
        tracing::warn!(meeting = meeting.id.0, error = %format!("{e:#}"), "cannot post an announcement");
        return Err(Error::member(format!(
            "I couldn't post in {}. Please check that I can see that channel and send messages there, then try again. Nothing was scheduled.",
            render::channel_mention(channel.0)
        )));
    }
    work::plan(&data.db, &meeting, now).await?;
    data.scheduler.poke();
    ctx.send(render::ephemeral(created_text(&meeting, now, zone, source)))
        .await?;
    Ok(())
}

/// Upcoming meetings in this server
#[poise::command(slash_command, guild_only)]
async fn list(ctx: Context<'_>) -> Result<(), Error> {
    let now = ctx.data().clock.now();
    let mut upcoming: Vec<(DateTime<Utc>, Meeting)> = ctx
        .data()
        .db
        .guild_meetings(super::server(ctx)?)
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
                "**#{}: {}** · {} ({})\n{}",
                m.id.0,
                m.title,
                messages::full(*start),
                messages::relative(*start),
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
async fn info(
    ctx: Context<'_>,
    #[description = "The meeting's number"] id: i64,
) -> Result<(), Error> {
    let meeting = find(ctx, id).await?;
    let now = ctx.data().clock.now();
    let next = meeting
        .schedule
        .occurrences_after(now - meeting.duration, 5);
    let times = if next.is_empty() || meeting.ended {
        "None: this meeting has ended.".to_owned()
    } else {
        next.iter()
            .map(|o| {
                format!(
                    "{} ({})",
                    messages::full(o.start),
                    messages::relative(o.start)
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    let reminders = if meeting.reminders.as_slice().is_empty() {
        "None".to_owned()
    } else {
        meeting
            .reminders
            .as_slice()
            .iter()
            .map(|d| format!("{} before", span_words(*d)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut embed = render::embed(&format!("#{}: {}", meeting.id.0, meeting.title))
        .description(meeting.schedule.describe())
        .field("Next times", times, false)
        .field("Length", span_words(meeting.duration), true)
        .field("Channel", render::channel_mention(meeting.channel.0), true)
        .field("Reminders", reminders, true);
    if let Some(role) = meeting.mention_role {
        embed = embed.field("Mentions", render::role_mention(role.0), true);
    }
    if !meeting.reminders_enabled {
        embed = embed.field(
            "Reminders paused",
            "The channel was missing; edit the meeting with a channel to resume.",
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

/// Change a meeting: give only what changes
#[poise::command(slash_command, guild_only, custom_data = "Access::Facilitator")]
#[allow(clippy::too_many_arguments)]
async fn edit(
    ctx: Context<'_>,
    #[description = "The meeting's number"] id: i64,
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
    #[channel_types("Text")]
    channel: Option<serenity::PartialChannel>,
    #[description = "Reminders before it, like 1d,1h,10m (empty for none)"]
    #[max_length = 100]
    reminders: Option<String>,
    #[description = "A role to mention in reminders"] mention: Option<serenity::Role>,
) -> Result<(), Error> {
    let data = ctx.data();
    let now = data.clock.now();
    let mut meeting = find(ctx, id).await?;
    if meeting.ended {
        return Err(Error::member(
            "That meeting has ended, so it can't be changed. Create a new one with `/meeting create`.",
        ));
    }
    if let Some(t) = title {
        meeting.title = check_title(&t)?;
    }
    if let Some(z) = timezone {
        meeting.schedule.zone = zones::parse_zone(&z).map_err(unknown_zone)?;
    }
    if let Some(w) = when {
        let zone = meeting.schedule.zone;
        meeting.schedule.start = parse_when(&w, zone, now)
            .map_err(|e| when_error(e, zone))?
            .local;
    }
    if let Some(r) = repeat {
        meeting.schedule.repeat = r.into();
    }
    if let Some(d) = duration {
        meeting.duration = check_duration(Some(d))?;
    }
    if let Some(r) = reminders {
        meeting.reminders = parse_reminders(Some(&r))?;
    }
    if let Some(role) = mention {
        meeting.mention_role = Some(RoleId(role.id.get()));
    }
    meeting.schedule = meeting.schedule.clone().normalized();
    let moved = match channel {
        Some(c) => {
            let c = super::text_channel(&c, "the meeting")?;
            let moved = c != meeting.channel;
            meeting.channel = c;
            meeting.reminders_enabled = true;
            moved
        }
        None => false,
    };
    data.db.update_meeting(&meeting).await?;
    if moved || meeting.announcement.is_none() {
        if let Err(e) = work::post_announcement(&data.db, ctx.http(), &mut meeting, now).await {
            tracing::warn!(meeting = meeting.id.0, error = %format!("{e:#}"), "cannot post an announcement");
            return Err(Error::member(format!(
                "I saved the change, but couldn't post in {}. Please check that I can send messages there.",
                render::channel_mention(meeting.channel.0)
            )));
        }
    } else {
        work::refresh_announcement(&data.db, ctx.http(), &meeting, now).await?;
    }
    work::plan(&data.db, &meeting, now).await?;
    data.scheduler.poke();
    let next = match meeting.current_occurrence(now) {
        Some(o) => format!(
            "Next: {} ({}).",
            messages::full(o.start),
            messages::relative(o.start)
        ),
        None => "It has no upcoming times.".to_owned(),
    };
    ctx.send(render::ephemeral(format!(
        "Updated **{}** (meeting #{}): {}. {next} Reminders follow the new schedule.{}",
        meeting.title,
        meeting.id.0,
        meeting.schedule.describe(),
        dst_note(&meeting, now)
    )))
    .await?;
    Ok(())
}

/// Skip one date, or end the whole series
#[poise::command(slash_command, guild_only, custom_data = "Access::Facilitator")]
async fn cancel(
    ctx: Context<'_>,
    #[description = "The meeting's number"] id: i64,
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
    let text = match date {
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
            data.db.skip_occurrence(meeting.id, date).await?;
            meeting.schedule.skips.insert(date);
            format!(
                "**{}** won't meet on {}. Its reminders for that day are cancelled.",
                meeting.title,
                date.format("%A %-d %B %Y")
            )
        }
        None => {
            meeting.ended = true;
            data.db.update_meeting(&meeting).await?;
            format!(
                "**{}** (meeting #{}) has ended. Its reminders are cancelled and the announcement says so.",
                meeting.title, meeting.id.0
            )
        }
    };
    work::plan(&data.db, &meeting, now).await?;
    work::refresh_announcement(&data.db, ctx.http(), &meeting, now).await?;
    data.scheduler.poke();
    ctx.send(render::ephemeral(text)).await?;
    Ok(())
}

/// Say whether you're coming (same as the buttons)
#[poise::command(slash_command, guild_only)]
async fn rsvp(
    ctx: Context<'_>,
    #[description = "The meeting's number"] id: i64,
    #[description = "Your answer"] answer: AnswerChoice,
) -> Result<(), Error> {
    let meeting = find(ctx, id).await?;
    let text = answer_meeting(
        ctx.data(),
        ctx.http(),
        &meeting,
        UserId(ctx.author().id.get()),
        answer.into(),
    )
    .await?;
    ctx.send(render::ephemeral(text)).await?;
    Ok(())
}

/// Get this meeting's reminders by direct message, or stop them
#[poise::command(slash_command, guild_only)]
async fn dm(
    ctx: Context<'_>,
    #[description = "The meeting's number"] id: i64,
    #[description = "True to get reminders by DM, false to stop"] enabled: bool,
) -> Result<(), Error> {
    let meeting = find(ctx, id).await?;
    ctx.data()
        .db
        .set_meeting_dm(meeting.id, UserId(ctx.author().id.get()), enabled)
        .await?;
    let text = if enabled {
        format!(
            "I'll also send you **{}**'s reminders by direct message. If they don't arrive, check that your privacy settings allow messages from this server.",
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

/// A calendar file for the meeting
#[poise::command(slash_command, guild_only)]
async fn ics(
    ctx: Context<'_>,
    #[description = "The meeting's number"] id: i64,
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

/// Records an answer for the meeting's current occurrence and updates the
/// counts on the announcement. Shared by `/meeting rsvp` and the buttons.
pub async fn answer_meeting(
    data: &Data,
    http: &serenity::Http,
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
    work::refresh_announcement(&data.db, http, meeting, now).await?;
    let said = match answer {
        RsvpAnswer::Going => "You're going to",
        RsvpAnswer::Maybe => "You might come to",
        RsvpAnswer::No => "You can't make",
    };
    Ok(format!(
        "{said} **{}** on {}. Thank you for letting the group know; you can change your answer until it starts.",
        meeting.title,
        messages::full(occurrence.start)
    ))
}

/// A button press on an announcement.
pub async fn on_rsvp_button(
    data: &Data,
    http: &serenity::Http,
    guild: Option<serenity::GuildId>,
    user: UserId,
    meeting: i64,
    answer: RsvpAnswer,
) -> Result<String, Error> {
    let meeting = match data.db.meeting(MeetingId(meeting)).await? {
        Some(m) if guild.is_some_and(|g| g.get() == m.guild.0) => m,
        _ => return Err(Error::member("This meeting no longer exists.")),
    };
    answer_meeting(data, http, &meeting, user, answer).await
}

async fn find(ctx: Context<'_>, id: i64) -> Result<Meeting, Error> {
    let guild = super::server(ctx)?;
    match ctx.data().db.meeting(MeetingId(id)).await? {
        Some(m) if m.guild == guild => Ok(m),
        _ => Err(Error::member(format!(
            "There's no meeting #{id} in this server. `/meeting list` shows the upcoming ones."
        ))),
    }
}

fn check_title(title: &str) -> Result<String, Error> {
    let title = title.trim();
    if title.is_empty() {
        return Err(Error::member("Please give the meeting a title."));
    }
    if title.chars().count() > MAX_TITLE {
        return Err(Error::member(format!(
            "A title can be at most {MAX_TITLE} characters. Please shorten it."
        )));
    }
    Ok(title.to_owned())
}

fn check_duration(minutes: Option<i64>) -> Result<Duration, Error> {
    let minutes = minutes.unwrap_or(DEFAULT_DURATION_MIN);
    if !(1..=MAX_DURATION_MIN).contains(&minutes) {
        return Err(Error::member(format!(
            "A meeting lasts from 1 to {MAX_DURATION_MIN} minutes; {minutes} is outside that."
        )));
    }
    Ok(Duration::minutes(minutes))
}

fn parse_reminders(text: Option<&str>) -> Result<Offsets, Error> {
    let Some(text) = text else {
        return Ok(Offsets::default_offsets());
    };
    Offsets::parse(text).map_err(|e| {
        let why = match e {
            OffsetsError::Unreadable(part) => format!("I couldn't read `{}` as a time before the meeting.", render::inline_code(&part, 20)),
            OffsetsError::TooMany => format!("A meeting can have at most {MAX_REMINDERS} reminders."),
            OffsetsError::OutOfRange(part) => format!("`{}` is out of range: reminders go from 1 minute to 14 days before.", render::inline_code(&part, 20)),
        };
        Error::member(format!("{why} Write reminders like `1d,1h,10m` (a day, an hour and ten minutes before). Nothing was scheduled or changed."))
    })
}

async fn meeting_zone(
    ctx: Context<'_>,
    guild: GuildId,
    explicit: Option<&str>,
) -> Result<(Tz, ZoneSource), Error> {
    let explicit = explicit
        .map(zones::parse_zone)
        .transpose()
        .map_err(unknown_zone)?;
    let member = ctx
        .data()
        .db
        .member_timezone(UserId(ctx.author().id.get()))
        .await?;
    let server = ctx.data().db.guild_settings(guild).await?.timezone;
    Ok(zones::resolve_zone(explicit, member, server))
}

fn when_error(e: WhenError, zone: Tz) -> Error {
    let examples = EXAMPLES
        .iter()
        .map(|e| format!("`{e}`"))
        .collect::<Vec<_>>()
        .join(", ");
    Error::member(match e {
        WhenError::Unreadable => format!(
            "I couldn't read that time (read in {}). Times that work: {examples}. Nothing was scheduled.",
            zone.name()
        ),
        WhenError::InPast => format!(
            "That time has already passed in {}. Please pick a time ahead, like `tomorrow 7pm` or `2027-03-09 19:00`. Nothing was scheduled.",
            zone.name()
        ),
        WhenError::TooFar => {
            "That's too far ahead: Haven schedules up to five years out. Nothing was scheduled."
                .to_owned()
        }
    })
}

fn created_text(m: &Meeting, now: DateTime<Utc>, zone: Tz, source: ZoneSource) -> String {
    let from = match source {
        ZoneSource::Explicit => "the time zone you gave",
        ZoneSource::Member => "your time zone",
        ZoneSource::Server => "the server's time zone",
        ZoneSource::Default => "UTC, since neither you nor the server has set a time zone",
    };
    let mut text = format!("Scheduled **{}** as **meeting #{}**.", m.title, m.id.0);
    if let Some(first) = m.current_occurrence(now) {
        text.push_str(&format!(
            "\nFirst: {} ({}).",
            messages::full(first.start),
            messages::relative(first.start)
        ));
    }
    text.push_str(&format!(
        "\nRepeats: {}.\nI read the time in **{}** ({from}).",
        m.schedule.describe(),
        zone.name()
    ));
    let reminders = if m.reminders.as_slice().is_empty() {
        "no reminders".to_owned()
    } else {
        let list: Vec<String> = m
            .reminders
            .as_slice()
            .iter()
            .map(|d| span_words(*d))
            .collect();
        format!("reminders {} before", list.join(", "))
    };
    text.push_str(&format!(
        "\nAnnounced in {} with {reminders}.",
        render::channel_mention(m.channel.0)
    ));
    text.push_str(&dst_note(m, now));
    text
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
