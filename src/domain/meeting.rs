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
        // `0m`: the "starting now" post, at the start itself.
        if offset.is_zero() {
            return o.start;
        }
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
                // Owed though due: a reminder before its start, and the
                // "starting now" post while the occurrence is under way.
                let owed = match offset.is_zero() {
                    true => now < o.start + self.duration,
                    false => o.start > now,
                };
                if due > now {
                    plan.jobs.push(job);
                } else if owed {
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
        // Its Discord event (where the server mirrors them) goes live; owed
        // while the occurrence is under way, so an edit at the start keeps it.
        let event_start = PlannedJob {
            kind: JobKind::EventStart,
            occurrence: current.start,
            offset: Duration::zero(),
            due: current.start,
        };
        if current.start > now {
            plan.jobs.push(event_start);
        } else {
            plan.missed.push(event_start);
        }
        plan.jobs.sort_by_key(|j| (j.due, j.occurrence));
        plan
    }
}

impl Meeting {
    /// The occurrence starting at `occurrence`, when it is still one of the
    /// meeting's (not moved, not cancelled) and `offset` still one of its
    /// reminders.
    pub fn still_has(&self, occurrence: DateTime<Utc>, offset: Duration) -> Option<Occurrence> {
        self.schedule
            .next_after(occurrence - Duration::seconds(1))
            .filter(|o| o.start == occurrence)
            .filter(|_| self.reminders.as_slice().contains(&offset))
    }

    /// What to do with the reminder `offset` before `occurrence` when its
    /// job comes up at `now`: send it, skip it (the meeting changed so that
    /// it is no longer owed, or it is too late), or wait until it is due
    /// (an edit moved it later). `grace` is how late a reminder may still go.
    pub fn reminder_call(
        &self,
        occurrence: DateTime<Utc>,
        offset: Duration,
        now: DateTime<Utc>,
        grace: Duration,
    ) -> ReminderCall {
        if self.ended || !self.reminders_enabled {
            return ReminderCall::Skip(SkipWhy::Off);
        }
        let Some(o) = self.still_has(occurrence, offset) else {
            return ReminderCall::Skip(SkipWhy::NoLongerPlanned);
        };
        // A reminder is for before the start; the "starting now" post for
        // while it is under way.
        let over = match offset.is_zero() {
            true => occurrence + self.duration,
            false => occurrence,
        };
        if now >= over {
            return ReminderCall::Skip(SkipWhy::Started);
        }
        let due = self.reminder_due(&o, offset);
        if due > now {
            return ReminderCall::Later(due);
        }
        if now - due > grace {
            return ReminderCall::Skip(SkipWhy::TooLate);
        }
        ReminderCall::Send
    }
}

/// What a reminder's job does when it comes up ([`Meeting::reminder_call`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReminderCall {
    Send,
    Skip(SkipWhy),
    /// Not yet: an edit moved it to this instant.
    Later(DateTime<Utc>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkipWhy {
    /// The meeting ended or its reminders are paused.
    Off,
    /// An edit or a cancel removed its occurrence or its offset.
    NoLongerPlanned,
    /// Its meeting has started.
    Started,
    /// Missed by more than the grace period (Haven was down).
    TooLate,
}

/// A job of a meeting as the store holds it, for [`replan`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeldJob {
    pub id: i64,
    pub kind: JobKind,
    pub occurrence: DateTime<Utc>,
    pub offset: Duration,
    pub planned: DateTime<Utc>,
    pub state: HeldState,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeldState {
    /// Waiting: due later, due now and not yet taken, or retrying.
    Pending,
    /// Being worked on right now (its worker reads the meeting afresh).
    Claimed,
    /// Sent, or skipped for good.
    Finished,
}

/// How the store goes from the jobs it holds to a new [`Plan`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Replan {
    /// Waiting jobs no longer owed: their occurrence or offset is gone.
    pub delete: Vec<i64>,
    /// Jobs kept (with their id, so their nonce) whose time moved.
    pub moves: Vec<(i64, DateTime<Utc>)>,
    /// Jobs the plan needs that are not held in any state.
    pub insert: Vec<PlannedJob>,
    /// Reminders of the plan that can no longer be sent: their time passed
    /// before they were ever planned, and no job holds them.
    pub missed: Vec<PlannedJob>,
}

/// Replans a meeting: what is still owed is kept. A waiting or claimed job
/// whose occurrence and offset are still in the plan stays (moved if its
/// time moved), also when it is already due or retrying; only a waiting
/// job whose occurrence or offset is gone is deleted. A claimed one is
/// never deleted: its worker reads the meeting and skips it.
pub fn replan(plan: &Plan, held: &[HeldJob]) -> Replan {
    type Key = (JobKind, DateTime<Utc>, Duration);
    let key = |kind: JobKind, occurrence, offset| -> Key { (kind, occurrence, offset) };
    let wanted: std::collections::HashMap<Key, DateTime<Utc>> = plan
        .jobs
        .iter()
        .map(|j| (key(j.kind, j.occurrence, j.offset), j.due))
        .collect();
    let owed: std::collections::HashMap<Key, DateTime<Utc>> = plan
        .missed
        .iter()
        .map(|j| (key(j.kind, j.occurrence, j.offset), j.due))
        .collect();
    let mut out = Replan::default();
    let mut held_keys = std::collections::HashSet::new();
    for job in held {
        let k = key(job.kind, job.occurrence, job.offset);
        held_keys.insert(k);
        if job.state == HeldState::Finished {
            continue;
        }
        match wanted.get(&k).or_else(|| owed.get(&k)) {
            Some(due) if *due != job.planned => out.moves.push((job.id, *due)),
            Some(_) => {}
            None if job.state == HeldState::Pending => out.delete.push(job.id),
            None => {}
        }
    }
    out.insert = plan
        .jobs
        .iter()
        .filter(|j| !held_keys.contains(&key(j.kind, j.occurrence, j.offset)))
        .copied()
        .collect();
    out.missed = plan
        .missed
        .iter()
        .filter(|j| !held_keys.contains(&key(j.kind, j.occurrence, j.offset)))
        .copied()
        .collect();
    out
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
