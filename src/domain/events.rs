//! A meeting as a Discord Scheduled Event: which occurrence it stands for,
//! where it happens and what it says. Haven's own recurrence stays the
//! truth: each event is one occurrence, moved on when it ends.

use chrono::{DateTime, Utc};

use super::meeting::Meeting;
use super::recurrence::Occurrence;
use super::text::truncate;

/// Discord's limits for an event.
pub const MAX_NAME: usize = 100;
pub const MAX_DESCRIPTION: usize = 1000;
pub const MAX_LOCATION: usize = 100;

/// Where an event happens, as Discord knows places.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    Voice(u64),
    Stage(u64),
    /// A link, or "Discord".
    External(String),
}

/// What Haven asks Discord to show for one occurrence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventSpec {
    pub name: String,
    pub description: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub place: Place,
}

/// The occurrence a meeting's event should stand for at `now`: the one
/// under way if its event already stands for it (`shown`), else the next
/// that has not started (an event cannot start in the past).
pub fn occurrence_for(
    meeting: &Meeting,
    now: DateTime<Utc>,
    shown: Option<DateTime<Utc>>,
) -> Option<Occurrence> {
    if meeting.ended {
        return None;
    }
    let current = meeting.current_occurrence(now)?;
    if current.start > now || shown == Some(current.start) {
        return Some(current);
    }
    meeting
        .schedule
        .next_after(current.start)
        .filter(|o| o.start > now)
}

/// Where an external event says it is: the link when it fits Discord's
/// limit, else "Discord" (the link is in the description).
pub fn external_location(location: Option<&str>) -> String {
    match location {
        Some(l) if l.chars().count() <= MAX_LOCATION && !l.starts_with("<#") => l.to_owned(),
        _ => "Discord".to_owned(),
    }
}

/// The mark at the end of a meeting's event description, by which an event
/// Haven created but never recorded is found again.
pub fn mark(meeting: super::meeting::MeetingId) -> String {
    format!("(Haven meeting #{})", meeting.0)
}

/// The event of `meeting` for occurrence `o`, at `place`, pointing to its
/// announcement (`link`).
pub fn spec(meeting: &Meeting, o: &Occurrence, place: Place, link: Option<&str>) -> EventSpec {
    let mut description = String::new();
    if let Some(l) = link {
        description.push_str(&format!(
            "Answer privately with Haven's buttons on the announcement: {l}\n"
        ));
    }
    if let Some(loc) = meeting.location.as_deref().filter(|l| !l.starts_with("<#")) {
        description.push_str(&format!("Where: {loc}\n"));
    }
    description.push_str(
        "Discord shows this event's Interested list by name to everyone in the server; \
         Haven's buttons count answers without names.",
    );
    let mark = mark(meeting.id);
    let room = MAX_DESCRIPTION - mark.chars().count() - 1;
    EventSpec {
        name: truncate(&meeting.title, MAX_NAME),
        description: format!("{}\n{mark}", truncate(&description, room)),
        start: o.start,
        end: o.start + meeting.duration,
        place,
    }
}

/// A digest of what an event shows (name, text, times, place), by which a
/// change made by hand in Discord is told from Haven's own last edit.
pub fn digest(spec: &EventSpec) -> i64 {
    let mut h = blake3::Hasher::new();
    for part in [spec.name.as_str(), spec.description.as_str()] {
        h.update(&(part.len() as u64).to_le_bytes());
        h.update(part.as_bytes());
    }
    h.update(&spec.start.timestamp().to_le_bytes());
    h.update(&spec.end.timestamp().to_le_bytes());
    let (kind, place) = match &spec.place {
        Place::Voice(c) => (1u8, c.to_string()),
        Place::Stage(c) => (2, c.to_string()),
        Place::External(l) => (3, l.clone()),
    };
    h.update(&[kind]);
    h.update(place.as_bytes());
    let bytes = h.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&bytes.as_bytes()[..8]);
    i64::from_le_bytes(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> EventSpec {
        EventSpec {
            name: "Circle".into(),
            description: "Text".into(),
            start: DateTime::from_timestamp(1_800_000_000, 0).unwrap(),
            end: DateTime::from_timestamp(1_800_003_600, 0).unwrap(),
            place: Place::External("Discord".into()),
        }
    }

    #[test]
    fn every_shown_field_changes_the_digest() {
        let base = digest(&spec());
        assert_eq!(base, digest(&spec()), "stable");
        let changes: [fn(&mut EventSpec); 6] = [
            |s| s.name.push('!'),
            |s| s.description.push(' '),
            |s| s.start += chrono::Duration::minutes(1),
            |s| s.end += chrono::Duration::minutes(1),
            |s| s.place = Place::Voice(7),
            |s| s.place = Place::External("https://example.org".into()),
        ];
        for change in changes {
            let mut s = spec();
            change(&mut s);
            assert_ne!(digest(&s), base, "{s:?}");
        }
        // Moving text between name and description is a change too.
        let mut a = spec();
        a.name = "Ab".into();
        a.description = "c".into();
        let mut b = spec();
        b.name = "A".into();
        b.description = "bc".into();
        assert_ne!(digest(&a), digest(&b));
    }
}
