//! What Haven's own messages look like in Discord, in one place: meeting
//! announcements with their RSVP buttons, reminders (in the channel and by
//! direct message), and check-in rounds open and closed. Shared by the
//! commands and the scheduler; every button id comes from
//! [`crate::domain::custom_id`].

use chrono::{DateTime, Duration, Utc};
use poise::serenity_prelude as serenity;

use crate::domain::custom_id::CustomId;
use crate::domain::library::Category;
use crate::domain::meeting::{Meeting, RsvpAnswer, RsvpCounts};
use crate::domain::recurrence::Occurrence;
use crate::domain::reminders::span_words;
use crate::domain::text::{inert, inert_within};

/// Haven's soft teal.
pub const COLOUR: u32 = 0x5BA8A0;

/// The custom id of an RSVP button.
pub fn rsvp_button_id(meeting: i64, answer: RsvpAnswer) -> String {
    CustomId::Rsvp { meeting, answer }.encode()
}

/// Discord timestamps, which every reader sees in their own zone.
pub use crate::domain::text::{full, relative, when};

/// The announcement of a meeting: its next occurrence (or that it ended),
/// the rule in words with the home zone, the duration and the counts.
pub fn announcement(
    m: &Meeting,
    next: Option<&Occurrence>,
    counts: RsvpCounts,
    now: DateTime<Utc>,
) -> (serenity::CreateEmbed, Vec<serenity::CreateActionRow>) {
    let mut embed = embed(&m.title).footer(serenity::CreateEmbedFooter::new(format!(
        "Meeting #{} · answers are counted, never shown by name",
        m.id.0
    )));
    let Some(next) = next.filter(|_| !m.ended) else {
        embed = embed.description("This meeting series has ended. Thank you to everyone who came.");
        return (embed, Vec::new());
    };
    let location = m
        .location
        .as_deref()
        .map(|l| format!("\n**Where:** {}", location_text(l)))
        .unwrap_or_default();
    // The occurrence in progress is shown as under way until it ends.
    let time = if next.start <= now {
        format!(
            "**Under way now:** started {}, until {}",
            relative(next.start),
            full(next.start + m.duration)
        )
    } else {
        format!("**Next:** {}", when(next.start))
    };
    embed = embed
        .description(format!(
            "{time}\n**When:** {}\n**Length:** {}{location}",
            m.schedule.describe(),
            span_words(m.duration)
        ))
        .field(
            "Answers for this time",
            format!(
                "Going: **{}** · Maybe: **{}** · Can't make it: **{}**",
                counts.going, counts.maybe, counts.no
            ),
            false,
        );
    let id = m.id.0;
    let buttons = serenity::CreateActionRow::Buttons(vec![
        serenity::CreateButton::new(rsvp_button_id(id, RsvpAnswer::Going))
            .label(RsvpAnswer::Going.label())
            .style(serenity::ButtonStyle::Success),
        serenity::CreateButton::new(rsvp_button_id(id, RsvpAnswer::Maybe))
            .label(RsvpAnswer::Maybe.label())
            .style(serenity::ButtonStyle::Primary),
        serenity::CreateButton::new(rsvp_button_id(id, RsvpAnswer::No))
            .label(RsvpAnswer::No.label())
            .style(serenity::ButtonStyle::Secondary),
    ]);
    (embed, vec![buttons])
}

/// A reminder's text: the title and when (and where), with the mention role
/// if set; at `0m`, that it is starting now, with the place to join.
pub fn reminder_text(
    m: &Meeting,
    occurrence: DateTime<Utc>,
    offset: Duration,
    now: DateTime<Utc>,
) -> String {
    let mention = m
        .mention_role
        .map(|r| format!("<@&{}> ", r.0))
        .unwrap_or_default();
    if offset.is_zero() {
        return format!("{mention}{}", starting_now(m, occurrence, now));
    }
    let location = m
        .location
        .as_deref()
        .map(|l| format!(" Where: {}", location_text(l)))
        .unwrap_or_default();
    format!(
        "{mention}**{}** starts {} ({}).{location}",
        inert(&m.title),
        relative(occurrence),
        full(occurrence)
    )
}

/// "**Title** is starting now. Join here: #voice." (or at the link); a
/// post that went out late (Discord failing at the start) says when it
/// started instead.
fn starting_now(m: &Meeting, occurrence: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let join = match m.location.as_deref() {
        Some(l) => format!(" Join here: {}", location_text(l)),
        None => String::new(),
    };
    let when = if now - occurrence > Duration::minutes(2) {
        format!(
            "started {}; it isn't too late to join",
            relative(occurrence)
        )
    } else {
        "is starting now".to_owned()
    };
    format!(
        "**{}** {when}.{join} Come as you are; listening is welcome too.",
        inert(&m.title)
    )
}

/// A reminder by direct message, with a button that stops them.
pub fn dm_reminder(
    m: &Meeting,
    occurrence: DateTime<Utc>,
    offset: Duration,
    now: DateTime<Utc>,
) -> serenity::CreateMessage {
    let stop = serenity::CreateButton::new(CustomId::DmStop { meeting: m.id.0 }.encode())
        .label("Stop these reminders")
        .style(serenity::ButtonStyle::Secondary);
    let text = if offset.is_zero() {
        starting_now(m, occurrence, now)
    } else {
        let location = m
            .location
            .as_deref()
            .map(|l| format!("\nWhere: {}", location_text(l)))
            .unwrap_or_default();
        format!(
            "Reminder: **{}** starts {} ({}).{location}",
            inert(&m.title),
            relative(occurrence),
            full(occurrence)
        )
    };
    serenity::CreateMessage::new()
        .content(text)
        .allowed_mentions(serenity::CreateAllowedMentions::new())
        .components(vec![serenity::CreateActionRow::Buttons(vec![stop])])
}

/// A meeting's place as shown: a voice channel as its mention (rebuilt from
/// its id), anything else (a link) [`inert`], so a location cannot carry a
/// masked link or a mention beside the URL.
pub fn location_text(l: &str) -> String {
    match crate::domain::meeting::location_channel(l) {
        Some(channel) => format!("<#{channel}>"),
        None => inert(l),
    }
}

/// Exactly the mention role may ping, and nobody else.
pub fn reminder_mentions(m: &Meeting) -> serenity::CreateAllowedMentions {
    let base = serenity::CreateAllowedMentions::new()
        .empty_users()
        .empty_roles()
        .everyone(false);
    match m.mention_role {
        Some(role) => base.roles(vec![serenity::RoleId::new(role.0)]),
        None => base,
    }
}

/// The custom id of a round button: 0 = pass, 1..=5 = mood.
pub fn round_button_id(round: i64, answer: u8) -> String {
    CustomId::Round { round, answer }.encode()
}

/// An open round: the question, how many answered so far (never who), and
/// the buttons.
pub fn round_open(
    round: i64,
    question: &str,
    closes: DateTime<Utc>,
    answered: u64,
) -> (serenity::CreateEmbed, Vec<serenity::CreateActionRow>) {
    use crate::domain::mood::Mood;
    let embed = embed("Check-in round")
        .description(format!(
            "**{}**\n\nPress the button that fits. Only you see your answer, and you can change it until the round closes {}.",
            inert(question),
            relative(closes)
        ))
        .field("Answered so far", answered.to_string(), false)
        .footer(serenity::CreateEmbedFooter::new("Answers are counted, never shown by name."));
    let moods: Vec<serenity::CreateButton> = Mood::ALL
        .iter()
        .map(|m| {
            serenity::CreateButton::new(round_button_id(round, m.value()))
                .label(format!("{} {}", m.value(), m.word()))
                .emoji(serenity::ReactionType::Unicode(m.emoji().to_owned()))
                .style(serenity::ButtonStyle::Secondary)
        })
        .collect();
    let pass = serenity::CreateButton::new(round_button_id(round, 0))
        .label("Pass")
        .style(serenity::ButtonStyle::Secondary);
    (
        embed,
        vec![
            serenity::CreateActionRow::Buttons(moods),
            serenity::CreateActionRow::Buttons(vec![pass]),
        ],
    )
}

/// A closed round: the distribution when at least k answered with a mood,
/// otherwise only how many answered.
pub fn round_closed(question: &str, tally: &crate::store::Tally, k: u32) -> serenity::CreateEmbed {
    use crate::domain::anonymity::{Shown, histogram};
    use crate::domain::mood::Mood;
    let with_mood = tally.answered - tally.passed;
    let mut embed = embed("Check-in round: closed").description(format!(
        "**{}**\n\nThank you to everyone who checked in. {} answered.",
        inert(question),
        tally.answered
    ));
    let (total, buckets) = histogram(&tally.moods, with_mood, k);
    if matches!(total, Shown::FewerThanK) {
        embed = embed.field(
            "How the group is arriving",
            format!("Fewer than {k} people shared a mood, so the spread stays private."),
            false,
        );
    } else {
        let lines: Vec<String> = Mood::ALL
            .iter()
            .zip(&buckets)
            .map(|(m, b)| format!("{} {}: {}", m.emoji(), m.word(), b.render(k)))
            .collect();
        embed = embed.field("How the group is arriving", lines.join("\n"), false);
    }
    embed.footer(serenity::CreateEmbedFooter::new(
        "Who answered what was never kept.",
    ))
}

/// A discussion prompt as posted in a channel, after its category's
/// content note if it has one (a group's own prompt is written by a
/// facilitator: shown [`inert`]).
pub fn prompt(text: &str, category: Category, note: Option<&str>) -> serenity::CreateEmbed {
    let description = match note {
        Some(note) => format!("*{note}*\n\n{}", inert(text)),
        None => inert(text),
    };
    embed(&format!("Discussion prompt · {category}"))
        .description(description)
        .footer(serenity::CreateEmbedFooter::new(
            "Answer in the thread if you'd like; sharing is always optional. \
             If you're struggling right now, /crisis lists people you can talk to.",
        ))
}

/// An embed in Haven's colour.
pub fn embed(title: &str) -> serenity::CreateEmbed {
    serenity::CreateEmbed::new().title(title).colour(COLOUR)
}

/// Discord's limit for an embed field's value.
pub const FIELD_MAX: usize = 1024;

/// Text cut to fit an embed field.
pub fn field(text: impl AsRef<str>) -> String {
    crate::domain::text::truncate(text.as_ref(), FIELD_MAX)
}

/// Text a member wrote, [`inert`] and cut to fit an embed field.
pub fn member_field(text: impl AsRef<str>) -> String {
    inert_within(text.as_ref(), FIELD_MAX)
}

/// How many of a case's amendments its embed shows (the newest), and how
/// long each reason may be there, so the whole stays within Discord's
/// 6,000 characters per embed.
const AMENDMENTS_SHOWN: usize = 10;
const AMENDMENT_MAX: usize = 300;
const AMENDED_ORIGINAL_MAX: usize = 800;

/// The log channel's embed for a case.
pub fn case_embed(case: &crate::domain::moderation::Case) -> serenity::CreateEmbed {
    let mut embed = embed(&format!("Case #{} · {}", case.number, case.kind.label())).field(
        "Facilitator",
        format!("<@{}>", case.moderator.0),
        true,
    );
    if let Some(target) = case.target {
        embed = embed.field("Member", format!("<@{}>", target.0), true);
    }
    if let Some(channel) = case.channel {
        embed = embed.field("Channel", format!("<#{}>", channel.0), true);
    }
    if case.amendments.is_empty() {
        embed = embed.field("Reason", member_field(&case.reason), false);
    } else {
        // Amended, never overwritten: the original and every amendment,
        // with who made it and when, as many as Discord's 6,000 characters
        // an embed allow (the newest ten, each within 300 characters).
        embed = embed.field(
            "Original reason",
            inert_within(&case.reason, AMENDED_ORIGINAL_MAX),
            false,
        );
        let shown = case.amendments.len().min(AMENDMENTS_SHOWN);
        let first = case.amendments.len() - shown;
        if first > 0 {
            embed = embed.field(
                "Earlier amendments",
                format!("{first} earlier amendment(s), not shown here for Discord's size limit."),
                false,
            );
        }
        for (n, a) in case.amendments.iter().enumerate().skip(first) {
            let by = a.by.map_or_else(
                || "a former facilitator".to_owned(),
                |u| format!("<@{}>", u.0),
            );
            let reason = inert_within(&a.reason, AMENDMENT_MAX);
            embed = embed.field(
                format!("Amendment {}", n + 1),
                format!("{reason}\n(by {by}, {})", when(a.at)),
                false,
            );
        }
    }
    if let Some(editor) = case.edited_by {
        embed = embed.field("Reason corrected by", format!("<@{}>", editor.0), true);
    }
    if let Some(until) = case.until {
        embed = embed.field("Until", when(until), false);
    }
    embed.timestamp(
        serenity::Timestamp::from_unix_timestamp(case.at.timestamp()).unwrap_or_default(),
    )
}

/// A report's card: in the log channel (with its buttons) and in the DMs
/// of the facilitators or admins it went to.
pub fn report_embed(r: &crate::store::Report) -> serenity::CreateEmbed {
    use crate::domain::moderation::ReportKind;
    let who = match (r.named, r.reporter) {
        (true, Some(u)) => format!("<@{}>", u.0),
        _ => "A member (they chose not to be named)".to_owned(),
    };
    let mut embed = embed(&format!("Report #{} · {}", r.id, r.kind.label()))
        .field(
            "Message",
            format!(
                "https://discord.com/channels/{}/{}/{}",
                r.guild.0, r.channel.0, r.message
            ),
            false,
        )
        .field(
            "Excerpt",
            // Quoted as typed: a masked link or a mention in the reported
            // message does not become one here.
            format!(
                "> {}",
                inert_within(&r.excerpt.replace('\n', " "), FIELD_MAX - 2)
            ),
            false,
        )
        .field("Reported by", who, true)
        .field("Status", r.status.as_str(), true);
    if let Some(note) = &r.note {
        embed = embed.field("Their note", member_field(note), false);
    }
    if r.kind == ReportKind::NeedsSupport {
        embed = embed.field(
            "If someone may be in danger",
            format!(
                "Reach out gently and privately, give no advice, and tell an admin. If life is at risk, contact emergency services. \
                 Crisis lines by country: `/crisis` or {}.",
                crate::domain::crisis::DIRECTORY
            ),
            false,
        );
    }
    embed
}

/// A report card's Acknowledge and Resolved buttons, as far as its status
/// still allows.
pub fn report_buttons(
    id: i64,
    status: crate::domain::moderation::ReportStatus,
) -> Vec<serenity::CreateActionRow> {
    use crate::domain::moderation::ReportStatus;
    let mut buttons = Vec::new();
    if status == ReportStatus::Open {
        buttons.push(
            serenity::CreateButton::new(
                CustomId::ReportStatus {
                    id,
                    resolved: false,
                }
                .encode(),
            )
            .label("Acknowledge")
            .style(serenity::ButtonStyle::Primary),
        );
    }
    if status != ReportStatus::Resolved {
        buttons.push(
            serenity::CreateButton::new(CustomId::ReportStatus { id, resolved: true }.encode())
                .label("Resolved")
                .style(serenity::ButtonStyle::Success),
        );
    }
    if buttons.is_empty() {
        Vec::new()
    } else {
        vec![serenity::CreateActionRow::Buttons(buttons)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::moderation::{self as rules, Amendment, Case, CaseKind, Notice, ReportKind};
    use crate::domain::text::testing::{Forms, forms_in, member_text};
    use crate::domain::{ChannelId, GuildId, UserId};
    use proptest::prelude::*;

    fn at() -> chrono::DateTime<chrono::Utc> {
        "2027-03-09T12:00:00Z".parse().unwrap()
    }

    /// Every text a message or embed shows, gathered from its JSON.
    fn shown(value: &serde_json::Value, out: &mut String) {
        match value {
            serde_json::Value::String(s) => {
                out.push_str(s);
                out.push('\n');
            }
            serde_json::Value::Array(a) => a.iter().for_each(|v| shown(v, out)),
            serde_json::Value::Object(o) => o.values().for_each(|v| shown(v, out)),
            _ => {}
        }
    }

    fn embed_forms(embed: serenity::CreateEmbed) -> Forms {
        let mut text = String::new();
        shown(&serde_json::to_value(embed).expect("an embed"), &mut text);
        forms_in(&text)
    }

    fn report(note: &str, excerpt: &str) -> crate::store::Report {
        crate::store::NewReport {
            guild: GuildId(1),
            reporter: UserId(2),
            named: true,
            kind: ReportKind::Harmful,
            note: Some(note.to_owned()),
            channel: ChannelId(3),
            message: 4,
            author: Some(UserId(5)),
            excerpt: excerpt.to_owned(),
            at: at(),
        }
        .unsaved()
    }

    fn case(reason: &str, amendment: &str) -> Case {
        Case {
            number: 1,
            kind: CaseKind::Warn,
            moderator: UserId(6),
            target: Some(UserId(5)),
            channel: None,
            reason: reason.to_owned(),
            at: at(),
            until: None,
            log_message: None,
            log_channel: None,
            edited_by: None,
            amendments: vec![Amendment {
                by: Some(UserId(7)),
                at: at(),
                reason: amendment.to_owned(),
            }],
        }
    }

    proptest! {
        /// Whatever a member types, what Haven shows with it forms exactly
        /// the links, mentions and pings Haven itself put there: member
        /// text adds none, in any view.
        #[test]
        fn no_member_text_renders_as_a_link_or_a_mention(text in member_text()) {
            let plain = "plain words";
            prop_assert_eq!(
                embed_forms(report_embed(&report(&text, &text))),
                embed_forms(report_embed(&report(plain, plain)))
            );
            prop_assert_eq!(
                embed_forms(case_embed(&case(&text, &text))),
                embed_forms(case_embed(&case(plain, plain)))
            );
            let notice = |reason| Notice { server: "Group", reason, until: None, has_guidelines: false };
            for (with, without) in [
                (rules::nudge_text("Group", &text), rules::nudge_text("Group", plain)),
                (rules::warn_text(&notice(&text)), rules::warn_text(&notice(plain))),
                (rules::ban_text(&notice(&text)), rules::ban_text(&notice(plain))),
                (rules::cw_post(&text, "<@5>", &text), rules::cw_post(plain, "<@5>", plain)),
            ] {
                prop_assert_eq!(forms_in(&with), forms_in(&without), "{}", with);
            }
            // A location is a channel Haven links on purpose, or inert text.
            if crate::domain::meeting::location_channel(&text).is_none() {
                prop_assert_eq!(forms_in(&location_text(&text)), forms_in(&location_text(plain)));
            }
        }
    }
}
