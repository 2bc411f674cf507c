//! The kinds of time-driven work the scheduler does.

/// What a job does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobKind {
    /// Post a reminder for an occurrence.
    Reminder,
    /// An occurrence ended: move the announcement on and plan the next one.
    Rollover,
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

impl JobKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Reminder => "reminder",
            Self::Rollover => "rollover",
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
            "rollover" => Some(Self::Rollover),
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
