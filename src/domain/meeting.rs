//! Meetings: what is scheduled, who answered, and what time-driven work each
//! occurrence needs.

use chrono::{DateTime, Duration, Utc};

use super::jobs::JobKind;
use super::recurrence::{Occurrence, Schedule};
use super::reminders::Offsets;
use super::when::resolve_local;
use super::{ChannelId, GuildId, RoleId};

pub const MAX_TITLE: usize = 100;
pub const MAX_LOCATION: usize = 200;
/// At most this many occurrences are planned ahead at once.
const MAX_PLANNED_OCCURRENCES: usize = 64;
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
    /// Where it happens: a voice or stage channel mention, or a link.
    pub location: Option<String>,
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

    /// When the reminder `offset` before occurrence `o` is due. Whole days
    /// keep the local wall-clock time in the meeting's zone ("1d" is the
    /// same local time the day before, also across a daylight-saving
    /// change); the rest of the offset counts in absolute time.
    pub fn reminder_due(&self, o: &Occurrence, offset: Duration) -> DateTime<Utc> {
        let days = offset.num_days();
        let rest = offset - Duration::days(days);
        let base = if days > 0 {
            resolve_local(self.schedule.zone, o.local - Duration::days(days)).0
        } else {
            o.start
        };
        (base - rest).min(o.start - Duration::minutes(1))
    }

    /// The earliest reminder of an occurrence (its start without reminders).
    fn earliest_reminder(&self, o: &Occurrence) -> DateTime<Utc> {
        self.reminders
            .as_slice()
            .iter()
            .map(|off| self.reminder_due(o, *off))
            .min()
            .unwrap_or(o.start)
    }

    /// What to plan at `now`: the roll-over of the current occurrence, and a
    /// reminder at each offset still ahead for every occurrence whose
    /// earliest reminder falls before the planning horizon (the end of the
    /// current occurrence, when the next planning happens, and at least the
    /// largest offset ahead), so that a daily meeting's `1d` reminder or a
    /// weekly one's `7d` is planned before it is due. Reminders of those
    /// occurrences whose time has already passed are returned as missed.
    pub fn plan(&self, now: DateTime<Utc>) -> Plan {
        let mut plan = Plan::default();
        if self.ended {
            return plan;
        }
        let Some(current) = self.current_occurrence(now) else {
            return plan;
        };
        let largest = self
            .reminders
            .as_slice()
            .iter()
            .copied()
            .max()
            .unwrap_or_else(Duration::zero);
        let horizon = (current.start + self.duration).max(now + largest);
        let occurrences = std::iter::once(current).chain(
            self.schedule
                .occurrences_from(current.start)
                .take(MAX_PLANNED_OCCURRENCES)
                .take_while(|o| self.earliest_reminder(o) <= horizon),
        );
        for o in occurrences {
            for offset in self.reminders.as_slice() {
                let due = self.reminder_due(&o, *offset);
                let job = PlannedJob {
                    kind: JobKind::Reminder,
                    occurrence: o.start,
                    offset: *offset,
                    due,
                };
                if due > now {
                    plan.jobs.push(job);
                } else if o.start > now {
                    plan.missed.push(job);
                }
            }
        }
        plan.jobs.push(PlannedJob {
            kind: JobKind::Rollover,
            occurrence: current.start,
            offset: Duration::zero(),
            due: current.start + self.duration,
        });
        plan.jobs.sort_by_key(|j| (j.due, j.occurrence));
        plan
    }
}

/// The channel a location names, when it is a channel mention (`<#id>`).
pub fn location_channel(location: &str) -> Option<u64> {
    location.strip_prefix("<#")?.strip_suffix('>')?.parse().ok()
}

/// The jobs a meeting needs as seen at one moment, and the reminders whose
/// time had already passed then (said to the facilitator, never dropped in
/// silence).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    pub jobs: Vec<PlannedJob>,
    pub missed: Vec<PlannedJob>,
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
