//! Reading what a facilitator typed into `/meeting create` and `/meeting edit`.

use chrono::Duration;
use chrono_tz::Tz;
use poise::serenity_prelude as serenity;

use super::super::timezone::unknown_zone;
use super::super::{Context, Error, render};
use crate::domain::meeting::{DEFAULT_DURATION_MIN, MAX_DURATION_MIN, MAX_LOCATION, MAX_TITLE};
use crate::domain::reminders::{MAX_REMINDERS, Offsets, OffsetsError};
use crate::domain::when::{EXAMPLES, WhenError};
use crate::domain::zones::{self, ZoneSource};
use crate::domain::{ChannelId, GuildId, UserId};

pub fn check_title(title: &str) -> Result<String, Error> {
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

pub fn check_duration(minutes: Option<i64>) -> Result<Duration, Error> {
    let minutes = minutes.unwrap_or(DEFAULT_DURATION_MIN);
    if !(1..=MAX_DURATION_MIN).contains(&minutes) {
        return Err(Error::member(format!(
            "A meeting lasts from 1 to {MAX_DURATION_MIN} minutes; {minutes} is outside that."
        )));
    }
    Ok(Duration::minutes(minutes))
}

pub fn parse_reminders(text: Option<&str>) -> Result<Offsets, Error> {
    let Some(text) = text else {
        return Ok(Offsets::default_offsets());
    };
    Offsets::parse(text).map_err(|e| {
        let why = match e {
            OffsetsError::Unreadable(part) => format!("I couldn't read `{}` as a time before the meeting.", render::inline_code(&part, 20)),
            OffsetsError::TooMany => format!("A meeting can have at most {MAX_REMINDERS} reminders."),
            OffsetsError::OutOfRange(part) => format!("`{}` is out of range: reminders go from 1 minute to 14 days before, or `0m` for a post at the start.", render::inline_code(&part, 20)),
        };
        Error::member(format!("{why} Write reminders like `1d,1h,10m` (a day, an hour and ten minutes before), add `0m` for a post at the start, or write `none`. Nothing was scheduled or changed."))
    })
}

/// Where a meeting happens: a channel mention (`<#id>`) or an http(s) link.
/// An empty text means none.
pub fn check_location(text: &str) -> Result<Option<String>, Error> {
    let text = text.trim();
    if text.is_empty() || text.eq_ignore_ascii_case("none") {
        return Ok(None);
    }
    if text.chars().count() > MAX_LOCATION {
        return Err(Error::member(format!(
            "A location can be at most {MAX_LOCATION} characters: a voice channel like <#123…> or a link. Nothing was changed."
        )));
    }
    let is_channel = crate::domain::meeting::location_channel(text).is_some();
    let is_link = url::Url::parse(text)
        .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some());
    if is_channel || is_link {
        Ok(Some(text.to_owned()))
    } else {
        Err(Error::member(
            "Please give the location as a voice or stage channel (type `#` and pick it) or as a link starting with https://. Nothing was changed.",
        ))
    }
}

/// A channel option the facilitator chose to post in: a text channel where
/// they can see and send messages themselves.
pub fn postable_channel(c: &serenity::PartialChannel) -> Result<ChannelId, Error> {
    super::super::postable_channel(c, "the meeting", |channel| {
        format!(
            "You can't post in {channel} yourself, so I won't announce a meeting there for you. Please choose a channel where you can send messages."
        )
    })
}

/// The channel the command was used in, if the member can post there.
pub fn this_channel(ctx: Context<'_>) -> Result<ChannelId, Error> {
    if !super::super::can_post_here(ctx) {
        return Err(Error::member(
            "You can't post in this channel yourself, so I won't announce a meeting here for you. Please add `channel:` with a channel where you can send messages.",
        ));
    }
    Ok(ChannelId(ctx.channel_id().get()))
}

pub async fn meeting_zone(
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

pub fn when_error(e: WhenError, zone: Tz) -> Error {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_are_channels_or_links() {
        assert_eq!(
            check_location("<#1400000000000000003>").unwrap().as_deref(),
            Some("<#1400000000000000003>")
        );
        assert!(
            check_location("https://meet.example.org/abc")
                .unwrap()
                .is_some()
        );
        assert_eq!(check_location("  ").unwrap(), None);
        assert_eq!(check_location("none").unwrap(), None);
        for bad in ["the park", "javascript:alert(1)", "<#abc>", "ftp://x.org"] {
            assert!(check_location(bad).is_err(), "{bad}");
        }
        assert!(check_location(&format!("https://x.org/{}", "a".repeat(300))).is_err());
    }
}
