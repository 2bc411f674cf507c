//! The kinds of time-driven work the scheduler does.

/// What a job does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobKind {
    /// Post a reminder for an occurrence.
    Reminder,
    /// Send a reminder by direct message to one member who asked (planned
    /// by its reminder once the channel post went out).
    ReminderDm,
    /// An occurrence ended: move the announcement on and plan the next one.
    Rollover,
    /// An occurrence starts: its Discord event is marked active.
    EventStart,
    /// A check-in round's time is up.
    RoundClose,
    /// Daily housekeeping: journal entries past their retention.
    Purge,
    /// Statistics periods ended: delete their salts and hashes.
    PeriodClose,
    /// Post a scheduled discussion prompt in a channel.
    Prompt,
    /// Lift a temporary ban.
    Unban,
    /// Put a channel's slowmode back as it was.
    SlowmodeRevert,
    /// Unlock a channel locked for a while, restoring its overwrites.
    LockRevert,
    /// Deliver a report to the facilitators (retried until someone has it).
    ReportDelivery,
    /// Unlink anonymous reporters once the rate window has passed, and
    /// delete report drafts whose hour is up.
    ReportTidy,
}

/// After this many failed tries a job is given up (those that may be).
pub const MAX_ATTEMPTS: i64 = 10;

impl JobKind {
    /// Every kind this version knows: only these are ever claimed (a row
    /// of a kind from a newer version is left for a process that knows it).
    pub const ALL: [Self; 13] = [
        Self::Reminder,
        Self::ReminderDm,
        Self::Rollover,
        Self::EventStart,
        Self::RoundClose,
        Self::Purge,
        Self::PeriodClose,
        Self::Prompt,
        Self::Unban,
        Self::SlowmodeRevert,
        Self::LockRevert,
        Self::ReportDelivery,
        Self::ReportTidy,
    ];

    /// After failed try number `attempts`: how long to wait before the
    /// next, or `None` to give the job up (logged, and handed to whoever
    /// can act by hand).
    pub fn retry_after(self, attempts: i64) -> Option<chrono::Duration> {
        let wait = chrono::Duration::seconds(30 * attempts.max(1));
        match self {
            // The reporter was told Haven keeps trying: a report is never
            // given up, and waits at most an hour between tries. Nor is a
            // timed ban, slowmode or lock: the member was told it ends.
            Self::ReportDelivery | Self::Unban | Self::SlowmodeRevert | Self::LockRevert => {
                Some(wait.min(chrono::Duration::hours(1)))
            }
            _ if attempts >= MAX_ATTEMPTS => None,
            _ => Some(wait),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Reminder => "reminder",
            Self::ReminderDm => "reminder_dm",
            Self::Rollover => "rollover",
            Self::EventStart => "event_start",
            Self::RoundClose => "round_close",
            Self::Purge => "purge",
            Self::PeriodClose => "period_close",
            Self::Prompt => "prompt",
            Self::Unban => "unban",
            Self::SlowmodeRevert => "slowmode_revert",
            Self::LockRevert => "lock_revert",
            Self::ReportDelivery => "report_delivery",
            Self::ReportTidy => "report_tidy",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "reminder" => Some(Self::Reminder),
            "reminder_dm" => Some(Self::ReminderDm),
            "rollover" => Some(Self::Rollover),
            "event_start" => Some(Self::EventStart),
            "round_close" => Some(Self::RoundClose),
            "purge" => Some(Self::Purge),
            "period_close" => Some(Self::PeriodClose),
            "prompt" => Some(Self::Prompt),
            "unban" => Some(Self::Unban),
            "slowmode_revert" => Some(Self::SlowmodeRevert),
            "lock_revert" => Some(Self::LockRevert),
            "report_delivery" => Some(Self::ReportDelivery),
            "report_tidy" => Some(Self::ReportTidy),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_is_never_given_up_and_other_jobs_are_after_ten_tries() {
        for attempts in [1, 10, 11, 1_000] {
            let wait = JobKind::ReportDelivery.retry_after(attempts).unwrap();
            assert!(wait <= chrono::Duration::hours(1), "{attempts}: {wait}");
        }
        assert_eq!(
            JobKind::Reminder.retry_after(2),
            Some(chrono::Duration::seconds(60))
        );
        for kind in [JobKind::Unban, JobKind::SlowmodeRevert, JobKind::LockRevert] {
            for attempts in [1, MAX_ATTEMPTS, 10_000] {
                let wait = kind.retry_after(attempts).expect("never given up");
                assert!(wait <= chrono::Duration::hours(1));
            }
        }
        assert_eq!(JobKind::Prompt.retry_after(MAX_ATTEMPTS), None);
    }

    #[test]
    fn every_kind_reads_back_as_itself() {
        for kind in JobKind::ALL {
            assert_eq!(JobKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(JobKind::parse("from_a_newer_version"), None);
    }
}
