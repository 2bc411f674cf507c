//! Meetings: what is scheduled, who answered, and what time-driven work each
//! occurrence needs.

use chrono::{DateTime, Duration, Utc};

use super::jobs::JobKind;
use super::recurrence::{Occurrence, Schedule};
use super::reminders::Offsets;
use super::{ChannelId, GuildId, RoleId};

pub const MAX_TITLE: usize = 100;
pub const MAX_DURATION_MIN: i64 = 1440;
pub const DEFAULT_DURATION_MIN: i64 = 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MeetingId(pub i64);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meeting {
    pub id: MeetingId,
    pub guild: GuildId,
    pub channel: ChannelId,
    pub title: String,
    pub schedule: Schedule,
    pub duration: Duration,
    pub reminders: Offsets,
    pub mention_role: Option<RoleId>,
    /// The announcement message in `channel`, once posted.
    pub announcement: Option<u64>,
    /// Off after the channel disappeared.
    pub reminders_enabled: bool,
    pub ended: bool,
}

impl Meeting {
    /// The occurrence the announcement is about: the one in progress, or else
    /// the next one. `None` once the series is over.
    pub fn current_occurrence(&self, now: DateTime<Utc>) -> Option<Occurrence> {
        self.schedule.next_after(now - self.duration)
    }

    /// The jobs the occurrence `o` needs, as seen at `now`: a reminder at each
    /// offset still ahead, and a roll-over when it ends.
    pub fn jobs_for(&self, o: &Occurrence, now: DateTime<Utc>) -> Vec<PlannedJob> {
        let mut jobs: Vec<PlannedJob> = self
            .reminders
            .as_slice()
            .iter()
            .map(|offset| PlannedJob {
                kind: JobKind::Reminder,
                occurrence: o.start,
                offset: *offset,
                due: o.start - *offset,
            })
            .filter(|j| j.due > now)
            .collect();
        jobs.push(PlannedJob {
            kind: JobKind::Rollover,
            occurrence: o.start,
            offset: Duration::zero(),
            due: o.start + self.duration,
        });
        jobs
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlannedJob {
    pub kind: JobKind,
    pub occurrence: DateTime<Utc>,
    pub offset: Duration,
    pub due: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RsvpAnswer {
    Going,
    Maybe,
    No,
}

impl RsvpAnswer {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Going => "going",
            Self::Maybe => "maybe",
            Self::No => "no",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "going" => Some(Self::Going),
            "maybe" => Some(Self::Maybe),
            "no" => Some(Self::No),
            _ => None,
        }
    }

    /// The button's label.
    pub fn label(self) -> &'static str {
        match self {
            Self::Going => "Going",
            Self::Maybe => "Maybe",
            Self::No => "Can't make it",
        }
    }
}

/// How many answered each way; never who.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RsvpCounts {
    pub going: u32,
    pub maybe: u32,
    pub no: u32,
}
