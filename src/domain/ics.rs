//! A meeting as an iCalendar file (RFC 5545) that calendar apps import: the
//! start with its IANA TZID, the RRULE, EXDATE for skipped dates, and a UID
//! that stays the same across exports so re-importing updates the event.

use chrono::{DateTime, NaiveTime, Utc};
use icalendar::{Calendar, Component, Event, EventLike, Property};

use super::meeting::Meeting;

const LOCAL: &str = "%Y%m%dT%H%M%S";

/// The stable UID of a meeting.
pub fn uid(meeting: &Meeting) -> String {
    format!("haven-meeting-{}-{}@haven", meeting.guild.0, meeting.id.0)
}

/// The meeting's location as a calendar app can use it: a channel becomes
/// its Discord link, a link stays as it is.
pub fn location(meeting: &Meeting) -> Option<String> {
    let l = meeting.location.as_deref()?;
    match super::meeting::location_channel(l) {
        Some(channel) => Some(format!(
            "https://discord.com/channels/{}/{channel}",
            meeting.guild.0
        )),
        None => Some(l.to_owned()),
    }
}

/// The calendar text for `meeting`, stamped at `now`.
pub fn meeting_ics(meeting: &Meeting, now: DateTime<Utc>) -> String {
    let s = &meeting.schedule;
    let tzid = s.zone.name();
    let local_prop = |key: &str, at: chrono::NaiveDateTime| {
        Property::new(key, at.format(LOCAL).to_string())
            .add_parameter("TZID", tzid)
            .done()
    };

    let mut event = Event::new();
    event
        .uid(&uid(meeting))
        .summary(&meeting.title)
        .timestamp(now)
        .append_property(local_prop("DTSTART", s.start))
        .append_property(local_prop("DTEND", s.start + meeting.duration));
    if let Some(rule) = s.rrule() {
        event.add_property("RRULE", rule);
    }
    let time: NaiveTime = s.start.time();
    for date in &s.skips {
        event.append_multi_property(local_prop("EXDATE", date.and_time(time)));
    }
    if let Some(location) = location(meeting) {
        event.location(&location);
    }
    if meeting.ended {
        event.add_property("STATUS", "CANCELLED");
    }
    let mut calendar = Calendar::new();
    calendar.name(&meeting.title).push(event.done());
    calendar.done().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::meeting::MeetingId;
    use crate::domain::recurrence::{Repeat, Schedule};
    use crate::domain::reminders::Offsets;
    use crate::domain::{ChannelId, GuildId};
    use chrono::{Duration, NaiveDate, TimeZone};
    use chrono_tz::Tz;

    #[test]
    fn exports_tzid_rrule_exdate_and_a_stable_uid() {
        let start = NaiveDate::from_ymd_opt(2027, 3, 9)
            .unwrap()
            .and_hms_opt(19, 0, 0)
            .unwrap();
        let mut schedule = Schedule {
            zone: Tz::America__New_York,
            start,
            repeat: Repeat::Weekly,
            skips: Default::default(),
        };
        schedule
            .skips
            .insert(NaiveDate::from_ymd_opt(2027, 3, 16).unwrap());
        let mut meeting = Meeting {
            id: MeetingId(7),
            guild: GuildId(1),
            channel: ChannelId(2),
            title: "Tuesday group".into(),
            schedule,
            duration: Duration::minutes(90),
            reminders: Offsets::default_offsets(),
            mention_role: None,
            location: None,
            announcement: None,
            reminders_enabled: true,
            ended: false,
        };
        let now = Utc.with_ymd_and_hms(2027, 3, 1, 0, 0, 0).unwrap();
        let ics = meeting_ics(&meeting, now);
        assert!(!ics.contains("LOCATION"), "no location, no LOCATION");
        for line in [
            "BEGIN:VCALENDAR",
            "BEGIN:VEVENT",
            "UID:haven-meeting-1-7@haven",
            "SUMMARY:Tuesday group",
            "DTSTART;TZID=America/New_York:20270309T190000",
            "DTEND;TZID=America/New_York:20270309T203000",
            "RRULE:FREQ=WEEKLY",
            "EXDATE;TZID=America/New_York:20270316T190000",
            "END:VCALENDAR",
        ] {
            assert!(
                ics.lines().any(|l| l.trim_end() == line),
                "missing {line} in:\n{ics}"
            );
        }
        assert_eq!(
            meeting_ics(&meeting, now),
            ics,
            "the same meeting exports the same text"
        );
        meeting.location = Some("<#1400000000000000003>".into());
        assert!(
            meeting_ics(&meeting, now)
                .contains("LOCATION:https://discord.com/channels/1/1400000000000000003"),
            "a voice channel becomes its link"
        );
        meeting.location = Some("https://meet.example.org/group".into());
        assert!(meeting_ics(&meeting, now).contains("LOCATION:https://meet.example.org/group"));
    }
}
