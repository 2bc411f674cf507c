//! How Haven's answers look: one calm colour, ephemeral by default, Discord
//! timestamps that every reader sees in their own zone.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use poise::CreateReply;
use poise::serenity_prelude as serenity;

use crate::domain::text::{inert_within, truncate};

/// Text a member wrote, shown as typed: no masked link, mention or ping
/// can form in it (see [`inert`]).
pub use crate::domain::text::inert;
/// Haven's soft teal, an embed in it, and field text cut to Discord's
/// limit (member-written text with [`member_field`]): shared with what the
/// scheduler posts.
pub use crate::views::{COLOUR, FIELD_MAX, embed, field, member_field};

/// A reply only the member who asked can see.
pub fn ephemeral(text: impl Into<String>) -> CreateReply {
    CreateReply::default().content(text).ephemeral(true)
}

/// A reply only the member who asked can see, as an embed.
pub fn ephemeral_embed(embed: serenity::CreateEmbed) -> CreateReply {
    CreateReply::default().embed(embed).ephemeral(true)
}

/// Discord's limit for an embed's description.
pub const DESCRIPTION_MAX: usize = 4096;

/// Lines joined into chunks of at most `max` characters each, never cutting
/// a line (a line longer than `max` is cut on its own).
pub fn chunk_lines(lines: &[String], max: usize) -> Vec<String> {
    let mut chunks: Vec<String> = Vec::new();
    let mut current = String::new();
    for line in lines {
        let line = truncate(line, max);
        let needed =
            current.chars().count() + line.chars().count() + usize::from(!current.is_empty());
        if !current.is_empty() && needed > max {
            chunks.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push('\n');
        }
        current.push_str(&line);
    }
    if !current.is_empty() {
        chunks.push(current);
    }
    chunks
}

/// Text cut to fit an embed description. For Haven's own text, which may
/// carry links and mentions on purpose; text a member wrote goes through
/// [`member_description`].
pub fn description(text: impl AsRef<str>) -> String {
    truncate(text.as_ref(), DESCRIPTION_MAX)
}

/// Text a member (or an admin, like the guidelines) wrote, [`inert`] and
/// cut to fit an embed description: bold, italics, lists and quotes still
/// work; links and mentions stay as typed.
pub fn member_description(text: impl AsRef<str>) -> String {
    inert_within(text.as_ref(), DESCRIPTION_MAX)
}

/// Member-typed text made safe to show inside inline code: no backticks, no
/// line breaks, at most `max` characters.
pub fn inline_code(text: &str, max: usize) -> String {
    let cleaned: String = text
        .chars()
        .map(|c| if c == '`' || c.is_control() { '\'' } else { c })
        .collect();
    truncate(&cleaned, max)
}

/// `<t:UNIX:D>`: a date.
pub fn timestamp_date(at: DateTime<Utc>) -> String {
    format!("<t:{}:D>", at.timestamp())
}

/// "14:05 on Tuesday 9 March" in `tz` at `now`.
pub fn local_clock(tz: Tz, now: DateTime<Utc>) -> String {
    crate::domain::zones::local_time(tz, now)
        .format("%H:%M on %A %-d %B")
        .to_string()
}

pub fn role_mention(id: u64) -> String {
    format!("<@&{id}>")
}

pub fn channel_mention(id: u64) -> String {
    format!("<#{id}>")
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn inline_code_cannot_break_out() {
        assert_eq!(inline_code("a`b\nc", 10), "a'b'c");
        assert_eq!(inline_code(&"x".repeat(200), 10).chars().count(), 10);
    }

    #[test]
    fn timestamps_and_local_clock() {
        let at = Utc.with_ymd_and_hms(2027, 3, 9, 13, 5, 0).unwrap();
        assert_eq!(timestamp_date(at), format!("<t:{}:D>", at.timestamp()));
        assert_eq!(
            local_clock(Tz::Europe__Berlin, at),
            "14:05 on Tuesday 9 March"
        );
    }
}
