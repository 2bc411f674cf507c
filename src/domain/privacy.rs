//! What Haven keeps about one member: the single list behind `/privacy show`,
//! `/privacy export` and `/privacy forget`. Anything stored about a member
//! must appear here.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::UserId;

/// Everything stored about one member, across every server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MemberData {
    /// Their Discord user id (as text, as Discord writes it).
    #[serde(with = "id_as_string")]
    pub user_id: UserId,
    /// Their personal time zone, if they set one.
    pub timezone: Option<StoredZone>,
    /// Their answers to meetings.
    pub rsvps: Vec<StoredRsvp>,
    /// Meetings they get reminders for by direct message.
    pub meeting_dms: Vec<StoredMeetingDm>,
    /// Their journal, if they keep one.
    pub journal: Option<StoredJournal>,
    /// Servers where, as a facilitator, they get reach-out requests by DM.
    #[serde(with = "ids_as_strings")]
    pub dm_notice_servers: Vec<super::GuildId>,
    /// Strategies saved in their toolkit, each with what it says.
    pub toolkit: Vec<StoredToolkitItem>,
    /// Strategies they shared with a group, and where each stands.
    pub shared_strategies: Vec<StoredStrategy>,
    /// Moderation records tied to them, per server: that they exist, and
    /// how long they are kept (what facilitators wrote is not shown).
    pub moderation: Vec<StoredModeration>,
    /// Messages they posted through `/cw` (Haven posted them, so Haven
    /// keeps whose they are; a forget deletes them from Discord too).
    pub cw_posts: Vec<StoredCwPost>,
    /// They asked not to be counted as attending voice meetings (kept with
    /// their id, so that it holds).
    pub not_counted_at_voice_meetings: bool,
    /// Voice meetings under way now that hold them as a keyed code, until
    /// each ends and becomes one number.
    pub counted_now_in_meetings: usize,
}

/// A strategy saved in a member's toolkit: its key (`stress-03`, `s42`)
/// and, while it still exists, its category, title and text, so that a
/// person reading their export can read what they saved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredToolkitItem {
    pub key: String,
    pub category: Option<String>,
    pub title: Option<String>,
    pub text: Option<String>,
}

/// A `/cw` post of the member's: where it is and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredCwPost {
    #[serde(with = "id_as_string")]
    pub guild: super::GuildId,
    #[serde(with = "id_as_string")]
    pub channel: super::ChannelId,
    pub message: String,
    pub posted_at: DateTime<Utc>,
}

/// Moderation records tied to a member in one server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredModeration {
    #[serde(with = "id_as_string")]
    pub guild: super::GuildId,
    /// Cases about them (kept for the group's safety; a forget keeps them).
    pub cases_about: i64,
    /// Facilitators' notes about them (likewise).
    pub notes_about: i64,
    /// Reports they made under their name, or in the last minutes (a
    /// forget removes their name from them).
    pub reports_made: i64,
    /// Reports about messages they wrote (an excerpt of each is kept).
    pub reports_about: i64,
    /// How long the server keeps these records, in days.
    pub retention_days: i64,
}

/// A strategy a member shared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredStrategy {
    pub id: i64,
    pub category: String,
    pub text: String,
    /// `waiting`, `approved` or `rejected`.
    pub status: String,
    /// The name it is credited to, if not anonymous.
    pub credit: Option<String>,
}

/// A member's journal and every entry in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredJournal {
    pub active: bool,
    pub retention_days: i64,
    pub entries: Vec<StoredJournalEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredJournalEntry {
    pub at: DateTime<Utc>,
    pub mood: u8,
    pub note: Option<String>,
}

impl MemberData {
    /// Whether nothing at all is stored.
    pub fn is_empty(&self) -> bool {
        self.timezone.is_none()
            && self.rsvps.is_empty()
            && self.meeting_dms.is_empty()
            && self.journal.is_none()
            && self.dm_notice_servers.is_empty()
            && self.toolkit.is_empty()
            && self.shared_strategies.is_empty()
            && self.moderation.is_empty()
            && !self.not_counted_at_voice_meetings
            && self.counted_now_in_meetings == 0
    }
}

/// One answer to one meeting occurrence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredRsvp {
    pub meeting_id: i64,
    pub meeting_title: String,
    pub occurrence: DateTime<Utc>,
    pub answer: String,
}

/// A meeting whose reminders come by direct message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredMeetingDm {
    pub meeting_id: i64,
    pub meeting_title: String,
}

/// A member's time zone and when they set it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredZone {
    pub zone: String,
    pub set_at: DateTime<Utc>,
}

/// The export file a member receives: their data and when it was made.
#[derive(Debug, Clone, Serialize)]
pub struct Export<'a> {
    pub exported_at: DateTime<Utc>,
    pub about: &'static str,
    pub data: &'a MemberData,
}

impl<'a> Export<'a> {
    pub fn new(data: &'a MemberData, now: DateTime<Utc>) -> Self {
        Self {
            exported_at: now,
            about: "Everything Haven stores about you. /privacy forget deletes all of it.",
            data,
        }
    }

    pub fn to_json(&self) -> Vec<u8> {
        // Serializing plain data with string keys cannot fail.
        serde_json::to_vec_pretty(self).unwrap_or_default()
    }
}

mod ids_as_strings {
    use super::super::GuildId;

    pub fn serialize<S: serde::Serializer>(ids: &[GuildId], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(ids.iter().map(|id| id.0.to_string()))
    }
}

mod id_as_string {
    pub fn serialize<T: std::fmt::Display, S: serde::Serializer>(
        id: &T,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.serialize_str(&id.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn export_is_json_naming_everything() {
        let now = Utc.with_ymd_and_hms(2027, 1, 2, 3, 4, 5).unwrap();
        let data = MemberData {
            user_id: UserId(1500000000000000001),
            timezone: Some(StoredZone {
                zone: "Europe/Berlin".into(),
                set_at: now,
            }),
            rsvps: vec![StoredRsvp {
                meeting_id: 3,
                meeting_title: "Tuesday group".into(),
                occurrence: now,
                answer: "going".into(),
            }],
            meeting_dms: Vec::new(),
            journal: None,
            dm_notice_servers: Vec::new(),
            toolkit: Vec::new(),
            shared_strategies: Vec::new(),
            moderation: Vec::new(),
            cw_posts: Vec::new(),
            not_counted_at_voice_meetings: true,
            counted_now_in_meetings: 0,
        };
        let json: serde_json::Value =
            serde_json::from_slice(&Export::new(&data, now).to_json()).unwrap();
        assert_eq!(json["data"]["user_id"], "1500000000000000001");
        assert_eq!(json["data"]["timezone"]["zone"], "Europe/Berlin");
        assert_eq!(json["data"]["not_counted_at_voice_meetings"], true);
        assert_eq!(json["exported_at"], "2027-01-02T03:04:05Z");
        assert_eq!(json["data"]["rsvps"][0]["answer"], "going");
        assert_eq!(json["data"]["rsvps"][0]["answer"], "going");
        assert!(!data.is_empty());
    }
}

/// How long a "delete my data" button stays valid after it was offered.
pub const FORGET_CONFIRM_WINDOW: chrono::Duration = chrono::Duration::minutes(15);

/// Whether a confirmation offered at `issued` may still be acted on at `now`.
pub fn confirmation_valid(issued: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    issued <= now + chrono::Duration::minutes(1) && now - issued <= FORGET_CONFIRM_WINDOW
}

#[cfg(test)]
mod confirm_tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    #[test]
    fn confirmations_expire() {
        let t = Utc.with_ymd_and_hms(2027, 1, 1, 12, 0, 0).unwrap();
        assert!(confirmation_valid(t, t));
        assert!(confirmation_valid(t, t + Duration::minutes(15)));
        assert!(!confirmation_valid(t, t + Duration::minutes(16)));
        assert!(
            !confirmation_valid(t + Duration::hours(1), t),
            "a time from the future is forged"
        );
    }
}
