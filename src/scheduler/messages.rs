//! What meetings look like in Discord: the announcement with its RSVP buttons
//! and the reminders. Shared by the commands and the scheduler.

use chrono::{DateTime, Utc};
use poise::serenity_prelude as serenity;

use crate::domain::meeting::{Meeting, RsvpAnswer, RsvpCounts};
use crate::domain::recurrence::Occurrence;
use crate::domain::reminders::span_words;

/// Haven's soft teal.
pub const COLOUR: u32 = 0x5BA8A0;

/// The custom id of an RSVP button.
pub fn rsvp_button_id(meeting: i64, answer: RsvpAnswer) -> String {
    format!("haven:rsvp:{meeting}:{}", answer.as_str())
}

/// Reads an RSVP button's custom id.
pub fn parse_rsvp_button(custom_id: &str) -> Option<(i64, RsvpAnswer)> {
    let rest = custom_id.strip_prefix("haven:rsvp:")?;
    let (id, answer) = rest.split_once(':')?;
    Some((id.parse().ok()?, RsvpAnswer::parse(answer)?))
}

/// `<t:UNIX:F>`: a full date and time each reader sees in their own zone.
pub fn full(at: DateTime<Utc>) -> String {
    format!("<t:{}:F>", at.timestamp())
}

/// `<t:UNIX:R>`: "in 2 hours", "3 days ago".
pub fn relative(at: DateTime<Utc>) -> String {
    format!("<t:{}:R>", at.timestamp())
}

/// The announcement of a meeting: its next occurrence (or that it ended),
/// the rule in words with the home zone, the duration and the counts.
pub fn announcement(
    m: &Meeting,
    next: Option<&Occurrence>,
    counts: RsvpCounts,
) -> (serenity::CreateEmbed, Vec<serenity::CreateActionRow>) {
    let mut embed = serenity::CreateEmbed::new()
        .title(&m.title)
        .colour(COLOUR)
        .footer(serenity::CreateEmbedFooter::new(format!(
            "Meeting #{} · answers are counted, never shown by name",
            m.id.0
        )));
    let Some(next) = next.filter(|_| !m.ended) else {
        embed = embed.description("This meeting series has ended. Thank you to everyone who came.");
        return (embed, Vec::new());
    };
    embed = embed
        .description(format!(
            "**Next:** {} ({})\n**When:** {}\n**Length:** {}",
            full(next.start),
            relative(next.start),
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

/// A reminder's text: the title and when, with the mention role if set.
pub fn reminder_text(m: &Meeting, occurrence: DateTime<Utc>) -> String {
    let mention = m
        .mention_role
        .map(|r| format!("<@&{}> ", r.0))
        .unwrap_or_default();
    format!(
        "{mention}**{}** starts {} ({}).",
        m.title,
        relative(occurrence),
        full(occurrence)
    )
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
    format!("haven:round:{round}:{answer}")
}

pub fn parse_round_button(custom_id: &str) -> Option<(i64, u8)> {
    let rest = custom_id.strip_prefix("haven:round:")?;
    let (id, answer) = rest.split_once(':')?;
    let answer: u8 = answer.parse().ok()?;
    (answer <= 5).then_some(())?;
    Some((id.parse().ok()?, answer))
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
    let embed = serenity::CreateEmbed::new()
        .title("Check-in round")
        .colour(COLOUR)
        .description(format!(
            "**{question}**\n\nPress the button that fits. Only you see your answer, and you can change it until the round closes {}.",
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
    let mut embed = serenity::CreateEmbed::new()
        .title("Check-in round: closed")
        .colour(COLOUR)
        .description(format!(
            "**{question}**\n\nThank you to everyone who checked in. {} answered.",
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rsvp_ids_round_trip() {
        for answer in [RsvpAnswer::Going, RsvpAnswer::Maybe, RsvpAnswer::No] {
            assert_eq!(
                parse_rsvp_button(&rsvp_button_id(42, answer)),
                Some((42, answer))
            );
        }
        assert_eq!(parse_rsvp_button("haven:rsvp:x:going"), None);
        assert_eq!(parse_rsvp_button("haven:rsvp:1:perhaps"), None);
    }
}
