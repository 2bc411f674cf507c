//! Moderation and member safety, as pure rules: strict durations with a
//! limit per action, who may act on whom (with a specific refusal), the
//! lock's overwrite arithmetic with an exact restore, case kinds, reasons,
//! purge selection and the calm texts a member is sent.
//!
//! Nothing here reads the clock or talks to Discord: `now` is a parameter and
//! Discord's permission bits are plain integers.

use chrono::{DateTime, Duration, Utc};

use super::text::truncate;
use super::{RoleId, UserId};

/// The reason used when a facilitator gives none.
pub const NO_REASON: &str = "No reason given";
/// Discord's limit on an audit-log reason, in characters.
pub const MAX_REASON: usize = 512;
/// Warnings older than this are no longer counted against a member.
pub const WARNING_WINDOW_DAYS: i64 = 90;
/// How long cases, notes and reports are kept unless a server says otherwise.
pub const DEFAULT_RETENTION_DAYS: i64 = 365;
/// The shortest and longest retention a server may choose, in days: long
/// enough to act on a report, short enough that nothing lingers for years.
pub const RETENTION_DAYS_MIN: i64 = 30;
pub const RETENTION_DAYS_MAX: i64 = 730;
/// Discord refuses to bulk-delete messages older than this.
pub const BULK_DELETE_MAX_AGE_DAYS: i64 = 14;
/// How many messages one purge may delete, at least and at most.
pub const PURGE_MIN: u32 = 2;
pub const PURGE_MAX: u32 = 100;
/// The longest slowmode Discord allows, in seconds.
pub const SLOWMODE_MAX_SECONDS: u32 = 21_600;
/// The longest guidelines text (a modal paragraph's limit).
pub const GUIDELINES_MAX: usize = 4_000;

/// Discord permission bits Haven's moderation needs or looks at.
pub mod bits {
    pub const KICK_MEMBERS: u64 = 1 << 1;
    pub const BAN_MEMBERS: u64 = 1 << 2;
    pub const ADMINISTRATOR: u64 = 1 << 3;
    pub const MANAGE_CHANNELS: u64 = 1 << 4;
    pub const MANAGE_GUILD: u64 = 1 << 5;
    pub const SEND_MESSAGES: u64 = 1 << 11;
    pub const MANAGE_MESSAGES: u64 = 1 << 13;
    pub const MANAGE_ROLES: u64 = 1 << 28;
    pub const CREATE_PUBLIC_THREADS: u64 = 1 << 35;
    pub const CREATE_PRIVATE_THREADS: u64 = 1 << 36;
    pub const SEND_MESSAGES_IN_THREADS: u64 = 1 << 38;
    pub const MODERATE_MEMBERS: u64 = 1 << 40;
}

// ---------------------------------------------------------------- durations

/// What a duration is for; each has its own limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DurationUse {
    /// Discord's native timeout: at most 28 days.
    Timeout,
    /// A member's own break: at most 7 days.
    Break,
    /// A temporary ban: at most a year.
    Ban,
    /// How long a slowmode or lock lasts before it reverts: at most 7 days.
    Revert,
}

impl DurationUse {
    /// The longest duration allowed.
    pub fn max(self) -> Duration {
        match self {
            Self::Timeout => Duration::days(28),
            Self::Break => Duration::days(7),
            Self::Ban => Duration::days(365),
            Self::Revert => Duration::days(7),
        }
    }

    /// The shortest duration allowed.
    pub fn min(self) -> Duration {
        Duration::minutes(1)
    }
}

/// Why a duration was not understood or not allowed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    #[error("Please give a duration, like `10m`, `2h` or `3d`.")]
    Empty,
    #[error(
        "I couldn't read `{0}` as a duration. Use a number and a unit: `10m` (minutes), `2h` (hours), `3d` (days) or `1w` (weeks), for example `1h30m`."
    )]
    Invalid(String),
    #[error("That is shorter than the minimum of {}.", describe(*.0))]
    TooShort(Duration),
    #[error("That is longer than the limit of {}.", describe(*.0))]
    TooLong(Duration),
}

/// Parses `10m`, `2h`, `3d`, `1w` or a combination (`1h30m`, `1d 12h`),
/// case-insensitively, and checks it against the limits of `usage`. Anything
/// else (bare numbers, seconds, signs, decimals, unknown units) is refused.
pub fn parse_duration(input: &str, usage: DurationUse) -> Result<Duration, DurationError> {
    let text = input.trim();
    if text.is_empty() {
        return Err(DurationError::Empty);
    }
    let invalid = || DurationError::Invalid(truncate(text, 40));
    let mut total_minutes: i64 = 0;
    let mut chars = text.chars().peekable();
    let mut groups = 0;
    while chars.peek().is_some() {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let mut number: i64 = 0;
        let mut digits = 0;
        while let Some(d) = chars.peek().and_then(|c| c.to_digit(10)) {
            chars.next();
            digits += 1;
            number = number
                .checked_mul(10)
                .and_then(|n| n.checked_add(i64::from(d)))
                .ok_or_else(|| DurationError::TooLong(usage.max()))?;
        }
        if digits == 0 {
            return Err(invalid());
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let mut unit = String::new();
        while let Some(c) = chars.peek().copied().filter(|c| c.is_alphabetic()) {
            chars.next();
            unit.extend(c.to_lowercase());
        }
        let per_unit = match unit.as_str() {
            "m" | "min" | "mins" | "minute" | "minutes" => 1,
            "h" | "hr" | "hrs" | "hour" | "hours" => 60,
            "d" | "day" | "days" => 60 * 24,
            "w" | "week" | "weeks" => 60 * 24 * 7,
            _ => return Err(invalid()),
        };
        total_minutes = number
            .checked_mul(per_unit)
            .and_then(|m| total_minutes.checked_add(m))
            .ok_or_else(|| DurationError::TooLong(usage.max()))?;
        groups += 1;
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
    }
    if groups == 0 {
        return Err(invalid());
    }
    if total_minutes > usage.max().num_minutes() {
        return Err(DurationError::TooLong(usage.max()));
    }
    let duration = Duration::minutes(total_minutes);
    if duration < usage.min() {
        return Err(DurationError::TooShort(usage.min()));
    }
    Ok(duration)
}

/// A duration in words: "28 days", "2 hours 30 minutes", "1 minute".
pub fn describe(d: Duration) -> String {
    match super::reminders::span_words(d) {
        words if words.is_empty() => "less than a minute".to_owned(),
        words => words,
    }
}

// ------------------------------------------------------------------ reasons

/// The reason as recorded and sent to the audit log: trimmed, never empty,
/// at most 512 characters.
pub fn reason(input: Option<&str>) -> String {
    match input.map(str::trim).filter(|r| !r.is_empty()) {
        Some(r) => truncate(r, MAX_REASON),
        None => NO_REASON.to_owned(),
    }
}

// --------------------------------------------------------------- case kinds

/// What a case records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CaseKind {
    Nudge,
    Warn,
    Timeout,
    Untimeout,
    Kick,
    Ban,
    Unban,
    Slowmode,
    Lock,
    Unlock,
    Purge,
    /// A content-warning removal.
    ContentWarning,
}

impl CaseKind {
    pub const ALL: [Self; 12] = [
        Self::Nudge,
        Self::Warn,
        Self::Timeout,
        Self::Untimeout,
        Self::Kick,
        Self::Ban,
        Self::Unban,
        Self::Slowmode,
        Self::Lock,
        Self::Unlock,
        Self::Purge,
        Self::ContentWarning,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Nudge => "nudge",
            Self::Warn => "warn",
            Self::Timeout => "timeout",
            Self::Untimeout => "untimeout",
            Self::Kick => "kick",
            Self::Ban => "ban",
            Self::Unban => "unban",
            Self::Slowmode => "slowmode",
            Self::Lock => "lock",
            Self::Unlock => "unlock",
            Self::Purge => "purge",
            Self::ContentWarning => "content_warning",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// How a facilitator reads it in a list.
    pub fn label(self) -> &'static str {
        match self {
            Self::Nudge => "Nudge",
            Self::Warn => "Warning",
            Self::Timeout => "Timeout",
            Self::Untimeout => "Timeout ended",
            Self::Kick => "Kick",
            Self::Ban => "Ban",
            Self::Unban => "Unban",
            Self::Slowmode => "Slowmode",
            Self::Lock => "Lock",
            Self::Unlock => "Unlock",
            Self::Purge => "Purge",
            Self::ContentWarning => "Content warning",
        }
    }

    /// The permission Haven needs for it, if any.
    pub fn needs(self) -> Option<Permission> {
        match self {
            Self::Nudge | Self::Warn => None,
            Self::Timeout | Self::Untimeout => Some(Permission::ModerateMembers),
            Self::Kick => Some(Permission::KickMembers),
            Self::Ban | Self::Unban => Some(Permission::BanMembers),
            Self::Slowmode => Some(Permission::ManageChannels),
            Self::Lock | Self::Unlock => Some(Permission::ManageRoles),
            Self::Purge | Self::ContentWarning => Some(Permission::ManageMessages),
        }
    }

    /// Whether it acts on a member, so the hierarchy rule applies.
    pub fn targets_member(self) -> bool {
        matches!(
            self,
            Self::Nudge
                | Self::Warn
                | Self::Timeout
                | Self::Untimeout
                | Self::Kick
                | Self::Ban
                | Self::ContentWarning
                | Self::Purge
        )
    }
}

/// A case as recorded: numbered per server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    pub number: i64,
    pub kind: CaseKind,
    pub moderator: UserId,
    /// The member it is about (none for a channel action such as a lock).
    pub target: Option<UserId>,
    pub channel: Option<super::ChannelId>,
    pub reason: String,
    pub at: DateTime<Utc>,
    pub until: Option<DateTime<Utc>>,
    /// The log channel's embed, to edit when the reason is corrected.
    pub log_message: Option<u64>,
    /// The channel that embed is in (none: recorded before Haven kept it,
    /// so the log channel as set now).
    pub log_channel: Option<super::ChannelId>,
    /// Who last corrected the reason.
    pub edited_by: Option<UserId>,
}

/// A note only facilitators see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub id: i64,
    pub author: UserId,
    pub target: UserId,
    pub text: String,
    pub at: DateTime<Utc>,
}

/// Warnings given after this instant count as recent at `now` (the last
/// 90 days).
pub fn warning_window_start(now: DateTime<Utc>) -> DateTime<Utc> {
    now - Duration::days(WARNING_WINDOW_DAYS)
}

// -------------------------------------------------------------- permissions

/// A Discord permission Haven may lack, named as Discord names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    ModerateMembers,
    KickMembers,
    BanMembers,
    ManageChannels,
    ManageRoles,
    ManageMessages,
}

impl Permission {
    pub fn bit(self) -> u64 {
        match self {
            Self::ModerateMembers => bits::MODERATE_MEMBERS,
            Self::KickMembers => bits::KICK_MEMBERS,
            Self::BanMembers => bits::BAN_MEMBERS,
            Self::ManageChannels => bits::MANAGE_CHANNELS,
            Self::ManageRoles => bits::MANAGE_ROLES,
            Self::ManageMessages => bits::MANAGE_MESSAGES,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::ModerateMembers => "Moderate Members",
            Self::KickMembers => "Kick Members",
            Self::BanMembers => "Ban Members",
            Self::ManageChannels => "Manage Channels",
            Self::ManageRoles => "Manage Roles",
            Self::ManageMessages => "Manage Messages",
        }
    }

    /// Whether `permissions` (a member's guild permission bits) include it;
    /// Administrator includes everything.
    pub fn held_in(self, permissions: u64) -> bool {
        permissions & bits::ADMINISTRATOR != 0 || permissions & self.bit() != 0
    }
}

/// One member as the hierarchy rule sees them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rank {
    pub user: UserId,
    /// The position of their highest role (0 = only @everyone).
    pub top_position: i64,
    /// Their guild permission bits.
    pub permissions: u64,
    /// Whether they hold the server's facilitator role.
    pub facilitator_role: bool,
}

impl Rank {
    /// Admin = Administrator or Manage Server.
    pub fn is_admin(&self) -> bool {
        self.permissions & (bits::ADMINISTRATOR | bits::MANAGE_GUILD) != 0
    }

    /// Facilitator = the facilitator role or Manage Server.
    pub fn is_facilitator(&self) -> bool {
        self.facilitator_role || self.is_admin()
    }
}

/// Everything the rule needs to know about one action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    pub owner: UserId,
    pub haven: Rank,
    pub caller: Rank,
    /// The member acted on, if the action has one and they are in the server.
    pub target: Option<Rank>,
}

/// Why Haven will not act, each with its own answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("You can't use this on yourself.")]
    Caller,
    #[error("I can't use this on myself.")]
    Haven,
    #[error("The server's owner can't be moderated.")]
    Owner,
    #[error("Admins can't be moderated through Haven.")]
    Admin,
    #[error("Only an admin can use this on another facilitator.")]
    Facilitator,
    #[error("Only facilitators can use this.")]
    NotFacilitator,
    #[error(
        "Their highest role is not below mine, so Discord won't let me act on them. An admin can move my role higher in Server Settings → Roles."
    )]
    AboveHaven,
    #[error("Their highest role is not below yours, so I won't act on them for you.")]
    AboveCaller,
    #[error("I need the {} permission for that. An admin can grant it to my role.", .0.name())]
    HavenLacks(Permission),
}

/// Decides whether the caller may have Haven do `kind`. Returns the first
/// refusal, in a fixed order: who is asking, who is targeted, what Haven may
/// do, then rank.
pub fn may_act(kind: CaseKind, s: &Standing) -> Result<(), Refusal> {
    if !s.caller.is_facilitator() && s.caller.user != s.owner {
        return Err(Refusal::NotFacilitator);
    }
    if let Some(target) = s.target.filter(|_| kind.targets_member()) {
        if target.user == s.caller.user {
            return Err(Refusal::Caller);
        }
        if target.user == s.haven.user {
            return Err(Refusal::Haven);
        }
        if target.user == s.owner {
            return Err(Refusal::Owner);
        }
        if target.is_admin() {
            return Err(Refusal::Admin);
        }
        let caller_is_admin = s.caller.is_admin() || s.caller.user == s.owner;
        if target.is_facilitator() && !caller_is_admin {
            return Err(Refusal::Facilitator);
        }
    }
    if let Some(p) = kind.needs().filter(|p| !p.held_in(s.haven.permissions)) {
        return Err(Refusal::HavenLacks(p));
    }
    // Nudges and warnings are messages, not Discord actions: rank does not
    // limit them, but who may receive one does (above).
    // Nor does it limit removing a message, which Discord allows whoever
    // wrote it.
    let ranked = !matches!(
        kind,
        CaseKind::Nudge | CaseKind::Warn | CaseKind::ContentWarning | CaseKind::Purge
    );
    if let Some(target) = s.target.filter(|_| ranked && kind.targets_member()) {
        if target.top_position >= s.haven.top_position {
            return Err(Refusal::AboveHaven);
        }
        if s.caller.user != s.owner && target.top_position >= s.caller.top_position {
            return Err(Refusal::AboveCaller);
        }
    }
    Ok(())
}

// --------------------------------------------------------------------- lock

/// The bits a lock denies to @everyone and allows to those who keep posting.
pub const LOCK_BITS: u64 = bits::SEND_MESSAGES
    | bits::SEND_MESSAGES_IN_THREADS
    | bits::CREATE_PUBLIC_THREADS
    | bits::CREATE_PRIVATE_THREADS;

/// A channel permission overwrite's two sets of bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Overwrite {
    pub allow: u64,
    pub deny: u64,
}

/// What to do to one role's overwrite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OverwriteChange {
    /// Set the overwrite to exactly this.
    Put(Overwrite),
    /// Remove the overwrite (there was none).
    Delete,
}

/// One role's overwrite during a lock: what was there, what the lock sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockedOverwrite {
    pub role: RoleId,
    pub before: Option<Overwrite>,
    pub locked: Overwrite,
}

impl LockedOverwrite {
    /// How unlock puts it back: exactly what was there, or nothing.
    pub fn restore(&self) -> OverwriteChange {
        restore(self.before)
    }

    /// Whether locking changes anything for this role.
    pub fn changes(&self) -> bool {
        self.before.unwrap_or_default() != self.locked || self.before.is_none()
    }
}

/// @everyone's overwrite under a lock: sending denied, every other bit kept.
pub fn deny_sending(before: Option<Overwrite>) -> Overwrite {
    let b = before.unwrap_or_default();
    Overwrite {
        allow: b.allow & !LOCK_BITS,
        deny: b.deny | LOCK_BITS,
    }
}

/// A role that keeps posting under a lock: sending allowed, every other bit kept.
pub fn allow_sending(before: Option<Overwrite>) -> Overwrite {
    let b = before.unwrap_or_default();
    Overwrite {
        allow: b.allow | LOCK_BITS,
        deny: b.deny & !LOCK_BITS,
    }
}

/// Puts back exactly what was there before.
pub fn restore(before: Option<Overwrite>) -> OverwriteChange {
    match before {
        Some(o) => OverwriteChange::Put(o),
        None => OverwriteChange::Delete,
    }
}

/// The lock of one channel: @everyone (whose role id is the server's id)
/// loses sending; each of `keep_posting` (the facilitator role, Haven's role)
/// keeps it. `current` is every role overwrite on the channel now.
pub fn plan_lock(
    everyone: RoleId,
    keep_posting: &[RoleId],
    current: &[(RoleId, Overwrite)],
) -> Vec<LockedOverwrite> {
    let before = |role: RoleId| current.iter().find(|(r, _)| *r == role).map(|(_, o)| *o);
    let mut plan = vec![LockedOverwrite {
        role: everyone,
        before: before(everyone),
        locked: deny_sending(before(everyone)),
    }];
    for &role in keep_posting {
        if role == everyone || plan.iter().any(|p| p.role == role) {
            continue;
        }
        plan.push(LockedOverwrite {
            role,
            before: before(role),
            locked: allow_sending(before(role)),
        });
    }
    plan
}

/// Roles other than those kept posting whose overwrite explicitly allows
/// Send Messages: they would still post under the lock, so the reply names them.
pub fn still_posting(
    everyone: RoleId,
    keep_posting: &[RoleId],
    current: &[(RoleId, Overwrite)],
) -> Vec<RoleId> {
    current
        .iter()
        .filter(|(r, o)| {
            *r != everyone && !keep_posting.contains(r) && o.allow & bits::SEND_MESSAGES != 0
        })
        .map(|(r, _)| *r)
        .collect()
}

// -------------------------------------------------------------------- purge

/// A recent message as purge sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecentMessage {
    pub id: u64,
    pub author: UserId,
    pub at: DateTime<Utc>,
}

/// What a purge will delete.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PurgeSelection {
    /// Ids to bulk-delete (newest first), at most `count`.
    pub delete: Vec<u64>,
    /// Matching messages left because they are older than 14 days.
    pub too_old: usize,
}

/// Picks up to `count` of `messages` (newest first), only `member`'s if given,
/// leaving out those Discord will not bulk-delete (older than 14 days, less a
/// minute's margin for the time the call takes).
pub fn select_for_purge(
    messages: &[RecentMessage],
    count: u32,
    member: Option<UserId>,
    now: DateTime<Utc>,
) -> PurgeSelection {
    let oldest = now - Duration::days(BULK_DELETE_MAX_AGE_DAYS) + Duration::minutes(1);
    let mut selection = PurgeSelection::default();
    for m in messages
        .iter()
        .filter(|m| member.is_none_or(|u| m.author == u))
    {
        if selection.delete.len() + selection.too_old >= count as usize {
            break;
        }
        if m.at < oldest {
            selection.too_old += 1;
        } else if !selection.delete.contains(&m.id) {
            selection.delete.push(m.id);
        }
    }
    selection
}

/// How much history a ban deletes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DeleteMessages {
    #[default]
    None,
    Hour,
    Day,
    Week,
}

impl DeleteMessages {
    /// `delete_message_seconds` (Discord allows 0..=604800).
    pub fn seconds(self) -> u32 {
        match self {
            Self::None => 0,
            Self::Hour => 3_600,
            Self::Day => 86_400,
            Self::Week => 604_800,
        }
    }
}

// ------------------------------------------------------------------ reports

/// What a member says is wrong with a message they report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReportKind {
    Harmful,
    ContentWarning,
    NeedsSupport,
    Other,
}

impl ReportKind {
    pub const ALL: [Self; 4] = [
        Self::Harmful,
        Self::ContentWarning,
        Self::NeedsSupport,
        Self::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Harmful => "harmful",
            Self::ContentWarning => "content_warning",
            Self::NeedsSupport => "needs_support",
            Self::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Harmful => "Harmful or unkind",
            Self::ContentWarning => "Needs a content warning",
            Self::NeedsSupport => "Someone may need support",
            Self::Other => "Something else",
        }
    }

    /// Reads what a member typed in the report form, word by word (so
    /// "unsupportive" is not "support"): generous with the words people use
    /// and with first letters; anything unclear is "something else", which
    /// the facilitators still get.
    pub fn from_answer(text: &str) -> Self {
        let t = text.trim().to_lowercase();
        let words: Vec<&str> = super::text::words(&t).collect();
        let any = |stems: &[&str]| words.iter().any(|w| stems.iter().any(|s| w.starts_with(s)));
        let letter = |l: &str| words.len() == 1 && words[0] == l;
        // Words that may mean someone is in trouble lean towards paging:
        // a needless page costs a facilitator a minute, a missed one more.
        let worrying = [
            "self harm",
            "self-harm",
            "end it",
            "end my life",
            "hurt myself",
            "hurt themselves",
            "hurt herself",
            "hurt himself",
        ];
        // Short words whole ("diet" is not "die"), longer ones as stems.
        let word = |list: &[&str]| words.iter().any(|w| list.contains(w));
        if any(&[
            "support", "crisis", "danger", "suicid", "unsafe", "emergenc", "worried", "worry",
            "hopeless", "goodbye", "overdos",
        ]) || word(&["die", "dies", "dying", "kill", "killing", "myself"])
            || worrying.iter().any(|w| t.contains(w))
            || letter("s")
        {
            Self::NeedsSupport
        } else if any(&["cw", "tw", "warning", "trigger", "graphic"]) || letter("c") {
            Self::ContentWarning
        } else if any(&[
            "harm",
            "unkind",
            "abus",
            "unsupport",
            "rude",
            "bully",
            "bulli",
            "harass",
            "hate",
            "hurt",
            "threat",
            "insult",
        ]) || letter("h")
        {
            Self::Harmful
        } else {
            Self::Other
        }
    }

    /// Whether facilitators are paged (the role mentioned) for it.
    pub fn pages_facilitators(self) -> bool {
        self == Self::NeedsSupport
    }
}

/// Where a report stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportStatus {
    Open,
    Acknowledged,
    Resolved,
}

impl ReportStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Acknowledged => "acknowledged",
            Self::Resolved => "resolved",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "open" => Some(Self::Open),
            "acknowledged" => Some(Self::Acknowledged),
            "resolved" => Some(Self::Resolved),
            _ => None,
        }
    }
}

/// Whether the reporter chose to be named: only a clear yes counts.
pub fn wants_name_shared(answer: Option<&str>) -> bool {
    matches!(
        answer.map(|a| a.trim().to_lowercase()).as_deref(),
        Some("yes" | "y" | "yes please" | "ok" | "sure")
    )
}

/// At most this many reports per member in [`REPORT_WINDOW_MINUTES`].
pub const REPORTS_PER_WINDOW: i64 = 5;
/// "Someone may need support" is limited too (it pages the facilitators),
/// but far later: it is never the report that waits.
pub const SUPPORT_REPORTS_PER_WINDOW: i64 = 20;
pub const REPORT_WINDOW_MINUTES: i64 = 10;

// ------------------------------------------------------------- member texts

/// What a member is told privately, and the facts it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Notice<'a> {
    pub server: &'a str,
    pub reason: &'a str,
    /// When it ends, for a timeout or a temporary ban.
    pub until: Option<DateTime<Utc>>,
    /// Whether the server has written guidelines (`/guidelines show`).
    pub has_guidelines: bool,
}

fn guidelines_line(n: &Notice<'_>) -> &'static str {
    if n.has_guidelines {
        "The group's guidelines are below this message."
    } else {
        "If anything is unclear, the facilitators are glad to talk it through."
    }
}

fn until_line(until: Option<DateTime<Utc>>) -> String {
    match until {
        Some(t) => format!("It ends {}.", super::text::when(t)),
        None => String::new(),
    }
}

/// The calm direct message for a nudge (the facilitator's own words).
pub fn nudge_text(server: &str, message: &str) -> String {
    format!(
        "Hi, this is a gentle note from the facilitators of **{server}**:\n\n> {}\n\nThis is not a warning, just a friendly word. Thank you for being part of the group.",
        message.trim().replace('\n', "\n> ")
    )
}

/// The calm direct message for a warning.
pub fn warn_text(n: &Notice<'_>) -> String {
    format!(
        "Hi, the facilitators of **{}** wanted to let you know privately about something.\n\n**Why:** {}\n\nThis is a reminder of the group's agreements, not a judgement of you. {}\nYou are still very welcome here.",
        n.server,
        n.reason,
        guidelines_line(n)
    )
}

/// The calm direct message for a timeout.
pub fn timeout_text(n: &Notice<'_>) -> String {
    format!(
        "Hi, the facilitators of **{}** have paused your ability to post there for a little while. {}\n\n**Why:** {}\n\nYou can still read along. Taking a breather happens to all of us. {}\nYou are welcome back when it ends.",
        n.server,
        until_line(n.until),
        n.reason,
        guidelines_line(n)
    )
}

/// The calm direct message for a kick, sent before it.
pub fn kick_text(n: &Notice<'_>) -> String {
    format!(
        "Hi, the facilitators of **{}** have removed you from the server.\n\n**Why:** {}\n\nYou are welcome to rejoin with a new invite when you feel ready. {}",
        n.server,
        n.reason,
        guidelines_line(n)
    )
}

/// The calm direct message for a ban, sent before it.
pub fn ban_text(n: &Notice<'_>) -> String {
    let how_long = match n.until {
        Some(t) => format!(
            "This is temporary: it is lifted by itself {}, and you are welcome back after that.",
            super::text::when(t)
        ),
        None => "If you would like to talk about it later, you can reach out to a facilitator."
            .to_owned(),
    };
    format!(
        "Hi, the facilitators of **{}** have banned you from the server.\n\n**Why:** {}\n\n{how_long} {}",
        n.server,
        n.reason,
        guidelines_line(n)
    )
}

/// What the author of a message removed for a missing content warning gets.
pub fn content_warning_text(server: &str, original: &str) -> String {
    let body = truncate(original, 1_500);
    format!(
        "Hi, a facilitator of **{server}** removed one of your messages, only because it needs a content warning so people can choose whether to read it. Nothing else is wrong with it.\n\nHere is your text so you can post it again:\n```\n{}\n```\nTo repost it behind a spoiler, use:\n`/cw topic:<what it is about> text:<your text>`",
        body.replace("```", "'''")
    )
}

/// The text `/cw` posts: a header naming the warning and the author, and the
/// message behind a spoiler.
/// Every `|` is escaped, so nothing in the text can close the spoiler early.
pub fn cw_post(topic: &str, author_mention: &str, text: &str) -> String {
    let topic = truncate(topic.trim(), 100).replace('|', "¦");
    let text = text.trim().replace('\\', "\\\\").replace('|', "\\|");
    format!("**CW: {topic}** (from {author_mention})\n||{text}||")
}

/// Discord's limit on a message's length, in characters.
pub const MESSAGE_MAX: usize = 2000;

/// The DM a member gets when their break starts.
pub fn break_text(server: &str, until: DateTime<Utc>) -> String {
    format!(
        "Your break from **{server}** has started. Take all the time you need. It ends {}.\n\nIf you would like to come back sooner, press the button below.",
        super::text::when(until)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn durations_parse_strictly() {
        use DurationUse::*;
        assert_eq!(parse_duration("10m", Timeout), Ok(Duration::minutes(10)));
        assert_eq!(parse_duration(" 2H ", Timeout), Ok(Duration::hours(2)));
        assert_eq!(parse_duration("3d", Timeout), Ok(Duration::days(3)));
        assert_eq!(parse_duration("1h30m", Timeout), Ok(Duration::minutes(90)));
        assert_eq!(parse_duration("1d 12h", Timeout), Ok(Duration::hours(36)));
        assert_eq!(parse_duration("28d", Timeout), Ok(Duration::days(28)));
        assert_eq!(parse_duration("4w", Timeout), Ok(Duration::days(28)));
        for bad in ["10", "m", "10s", "-5m", "1.5h", "10 parsecs", "1h x", "h1"] {
            assert!(
                matches!(parse_duration(bad, Timeout), Err(DurationError::Invalid(_))),
                "{bad}"
            );
        }
        assert_eq!(parse_duration("", Timeout), Err(DurationError::Empty));
        assert_eq!(
            parse_duration("28d1m", Timeout),
            Err(DurationError::TooLong(Duration::days(28)))
        );
        assert_eq!(
            parse_duration("8d", Break),
            Err(DurationError::TooLong(Duration::days(7)))
        );
        assert_eq!(
            parse_duration("0m", Timeout),
            Err(DurationError::TooShort(Duration::minutes(1)))
        );
        assert_eq!(
            parse_duration("99999999999999999999d", Ban),
            Err(DurationError::TooLong(Duration::days(365)))
        );
    }

    #[test]
    fn duration_errors_name_the_limit() {
        let e = parse_duration("29d", DurationUse::Timeout).unwrap_err();
        assert_eq!(e.to_string(), "That is longer than the limit of 28 days.");
        assert_eq!(describe(Duration::minutes(150)), "2 hours 30 minutes");
    }

    proptest! {
        #[test]
        fn duration_parsing_never_panics_and_respects_limits(text in ".{0,40}") {
            for usage in [DurationUse::Timeout, DurationUse::Break, DurationUse::Ban, DurationUse::Revert] {
                if let Ok(d) = parse_duration(&text, usage) {
                    prop_assert!(d >= usage.min() && d <= usage.max());
                }
            }
        }

        #[test]
        fn numbers_and_units_round_trip(n in 1i64..=40_000, unit in prop::sample::select(vec![("m", 1i64), ("h", 60), ("d", 1440)])) {
            let parsed = parse_duration(&format!("{n}{}", unit.0), DurationUse::Ban);
            let minutes = n * unit.1;
            if minutes <= DurationUse::Ban.max().num_minutes() {
                prop_assert_eq!(parsed, Ok(Duration::minutes(minutes)));
            } else {
                prop_assert!(matches!(parsed, Err(DurationError::TooLong(_))));
            }
        }

        #[test]
        fn lock_then_restore_is_exact(allow in any::<u64>(), deny in any::<u64>(), present in any::<bool>()) {
            let before = present.then_some(Overwrite { allow, deny });
            let locked = deny_sending(before);
            prop_assert_eq!(locked.deny & LOCK_BITS, LOCK_BITS);
            prop_assert_eq!(locked.allow & LOCK_BITS, 0);
            let b = before.unwrap_or_default();
            prop_assert_eq!(locked.allow & !LOCK_BITS, b.allow & !LOCK_BITS);
            prop_assert_eq!(locked.deny & !LOCK_BITS, b.deny & !LOCK_BITS);
            let restored = match restore(before) {
                OverwriteChange::Put(o) => Some(o),
                OverwriteChange::Delete => None,
            };
            prop_assert_eq!(restored, before);
        }
    }

    #[test]
    fn reasons_are_never_empty_and_fit_the_audit_log() {
        assert_eq!(reason(None), NO_REASON);
        assert_eq!(reason(Some("   ")), NO_REASON);
        assert_eq!(reason(Some(" spam ")), "spam");
        assert_eq!(reason(Some(&"x".repeat(600))).chars().count(), MAX_REASON);
    }

    const OWNER: UserId = UserId(1);
    const HAVEN: UserId = UserId(2);
    const FAC: UserId = UserId(3);
    const ADMIN: UserId = UserId(4);
    const MEMBER: UserId = UserId(5);
    const OTHER_FAC: UserId = UserId(6);

    fn rank(user: UserId, top: i64, permissions: u64, facilitator: bool) -> Rank {
        Rank {
            user,
            top_position: top,
            permissions,
            facilitator_role: facilitator,
        }
    }

    fn haven(perms: u64) -> Rank {
        rank(HAVEN, 10, perms, false)
    }

    const ALL_MOD: u64 = bits::MODERATE_MEMBERS
        | bits::KICK_MEMBERS
        | bits::BAN_MEMBERS
        | bits::MANAGE_CHANNELS
        | bits::MANAGE_ROLES
        | bits::MANAGE_MESSAGES;

    /// name, action, Haven, caller, target, expected.
    type Row = (
        &'static str,
        CaseKind,
        Rank,
        Rank,
        Option<Rank>,
        Result<(), Refusal>,
    );

    #[test]
    fn hierarchy_rule_table() {
        let fac = rank(FAC, 5, 0, true);
        let admin = rank(ADMIN, 8, bits::MANAGE_GUILD, false);
        let member = rank(MEMBER, 1, 0, false);
        let other_fac = rank(OTHER_FAC, 4, 0, true);
        let plain = rank(MEMBER, 1, 0, false);
        let owner = rank(OWNER, 0, 0, false);
        #[rustfmt::skip]
        let table: Vec<Row> = vec![
            ("facilitator times out a member", CaseKind::Timeout, haven(ALL_MOD), fac, Some(member), Ok(())),
            ("plain member refused", CaseKind::Timeout, haven(ALL_MOD), rank(UserId(7), 1, 0, false), Some(member), Err(Refusal::NotFacilitator)),
            ("self", CaseKind::Kick, haven(ALL_MOD), fac, Some(fac), Err(Refusal::Caller)),
            ("Haven itself", CaseKind::Ban, haven(ALL_MOD), fac, Some(haven(ALL_MOD)), Err(Refusal::Haven)),
            ("owner", CaseKind::Timeout, haven(ALL_MOD), fac, Some(owner), Err(Refusal::Owner)),
            ("admin", CaseKind::Warn, haven(ALL_MOD), fac, Some(rank(ADMIN, 1, bits::ADMINISTRATOR, false)), Err(Refusal::Admin)),
            ("facilitator by facilitator", CaseKind::Timeout, haven(ALL_MOD), fac, Some(other_fac), Err(Refusal::Facilitator)),
            ("facilitator by admin", CaseKind::Timeout, haven(ALL_MOD), admin, Some(other_fac), Ok(())),
            ("missing Moderate Members", CaseKind::Timeout, haven(bits::KICK_MEMBERS), fac, Some(member), Err(Refusal::HavenLacks(Permission::ModerateMembers))),
            ("missing Ban Members", CaseKind::Ban, haven(bits::KICK_MEMBERS), fac, Some(member), Err(Refusal::HavenLacks(Permission::BanMembers))),
            ("Administrator covers all", CaseKind::Kick, haven(bits::ADMINISTRATOR), fac, Some(member), Ok(())),
            ("target above Haven", CaseKind::Kick, rank(HAVEN, 3, ALL_MOD, false), admin, Some(rank(MEMBER, 3, 0, false)), Err(Refusal::AboveHaven)),
            ("target level with caller", CaseKind::Kick, haven(ALL_MOD), fac, Some(rank(MEMBER, 5, 0, false)), Err(Refusal::AboveCaller)),
            ("owner outranks everyone", CaseKind::Kick, haven(ALL_MOD), owner, Some(rank(MEMBER, 9, 0, false)), Ok(())),
            ("warn ignores rank", CaseKind::Warn, haven(0), fac, Some(rank(MEMBER, 9, 0, false)), Ok(())),
            ("lock has no target", CaseKind::Lock, haven(bits::MANAGE_ROLES), fac, None, Ok(())),
            ("lock needs Manage Roles", CaseKind::Lock, haven(0), fac, None, Err(Refusal::HavenLacks(Permission::ManageRoles))),
            ("purge needs Manage Messages", CaseKind::Purge, haven(bits::MANAGE_ROLES), fac, None, Err(Refusal::HavenLacks(Permission::ManageMessages))),
            ("member not in server (ban by id)", CaseKind::Ban, haven(ALL_MOD), fac, None, Ok(())),
            ("plain target", CaseKind::Nudge, haven(0), fac, Some(plain), Ok(())),
        ];
        for (name, kind, haven, caller, target, expected) in table {
            let s = Standing {
                owner: OWNER,
                haven,
                caller,
                target,
            };
            assert_eq!(may_act(kind, &s), expected, "{name}");
        }
    }

    #[test]
    fn missing_permission_is_named() {
        assert_eq!(
            Refusal::HavenLacks(Permission::ModerateMembers).to_string(),
            "I need the Moderate Members permission for that. An admin can grant it to my role."
        );
    }

    #[test]
    fn lock_plan_denies_everyone_and_keeps_facilitators_posting() {
        let everyone = RoleId(100);
        let fac = RoleId(7);
        let haven_role = RoleId(8);
        let regulars = RoleId(9);
        let prior = Overwrite {
            allow: bits::SEND_MESSAGES | (1 << 6),
            deny: 1 << 15,
        };
        let current = [
            (everyone, prior),
            (
                regulars,
                Overwrite {
                    allow: bits::SEND_MESSAGES,
                    deny: 0,
                },
            ),
        ];
        let plan = plan_lock(everyone, &[fac, haven_role, fac], &current);
        assert_eq!(plan.len(), 3);
        assert_eq!(plan[0].before, Some(prior));
        assert_eq!(
            plan[0].locked,
            Overwrite {
                allow: 1 << 6,
                deny: (1 << 15) | LOCK_BITS
            }
        );
        assert_eq!(plan[0].restore(), OverwriteChange::Put(prior));
        assert_eq!(plan[1].before, None);
        assert_eq!(
            plan[1].locked,
            Overwrite {
                allow: LOCK_BITS,
                deny: 0
            }
        );
        assert_eq!(plan[1].restore(), OverwriteChange::Delete);
        assert_eq!(
            still_posting(everyone, &[fac, haven_role], &current),
            vec![regulars]
        );
    }

    #[test]
    fn lock_without_any_overwrite_restores_to_none() {
        let plan = plan_lock(RoleId(1), &[], &[]);
        assert_eq!(plan[0].before, None);
        assert_eq!(
            plan[0].locked,
            Overwrite {
                allow: 0,
                deny: LOCK_BITS
            }
        );
        assert_eq!(plan[0].restore(), OverwriteChange::Delete);
    }

    #[test]
    fn purge_skips_old_and_other_members_messages() {
        let now = at("2027-01-20T12:00:00Z");
        let m = |id, author, days_ago| RecentMessage {
            id,
            author: UserId(author),
            at: now - Duration::days(days_ago),
        };
        let messages = [m(9, 5, 0), m(8, 6, 1), m(7, 5, 2), m(6, 5, 15), m(5, 5, 20)];
        let all = select_for_purge(&messages, 3, None, now);
        assert_eq!(all.delete, vec![9, 8, 7]);
        assert_eq!(all.too_old, 0);
        let one = select_for_purge(&messages, 10, Some(UserId(5)), now);
        assert_eq!(one.delete, vec![9, 7]);
        assert_eq!(one.too_old, 2);
    }

    #[test]
    fn warnings_older_than_ninety_days_are_not_counted() {
        let now = at("2027-06-01T00:00:00Z");
        let case = |kind, days_ago| Case {
            number: 1,
            kind,
            moderator: FAC,
            target: Some(MEMBER),
            channel: None,
            reason: NO_REASON.into(),
            at: now - Duration::days(days_ago),
            until: None,
            log_message: None,
            log_channel: None,
            edited_by: None,
        };
        let cases = [
            case(CaseKind::Warn, 1),
            case(CaseKind::Warn, 89),
            case(CaseKind::Warn, 91),
            case(CaseKind::Timeout, 2),
        ];
        let since = warning_window_start(now);
        let recent = cases
            .iter()
            .filter(|c| c.kind == CaseKind::Warn && c.at > since)
            .count();
        assert_eq!(recent, 2);
    }

    #[test]
    fn kinds_round_trip() {
        for k in CaseKind::ALL {
            assert_eq!(CaseKind::parse(k.as_str()), Some(k));
        }
        for k in ReportKind::ALL {
            assert_eq!(ReportKind::parse(k.as_str()), Some(k));
        }
        assert!(ReportKind::NeedsSupport.pages_facilitators());
        assert!(!ReportKind::Harmful.pages_facilitators());
    }

    #[test]
    fn report_answers_are_read_generously_and_names_only_on_a_clear_yes() {
        assert_eq!(
            ReportKind::from_answer("Someone may need support"),
            ReportKind::NeedsSupport
        );
        assert_eq!(ReportKind::from_answer(" CW "), ReportKind::ContentWarning);
        assert_eq!(ReportKind::from_answer("harmful"), ReportKind::Harmful);
        assert_eq!(ReportKind::from_answer("🤷"), ReportKind::Other);
        assert_eq!(ReportKind::from_answer("unsupportive"), ReportKind::Harmful);
        assert_eq!(ReportKind::from_answer("s"), ReportKind::NeedsSupport);
        assert_eq!(
            ReportKind::from_answer("they talk about self-harm"),
            ReportKind::NeedsSupport
        );
        assert_eq!(
            ReportKind::from_answer("needs a TW"),
            ReportKind::ContentWarning
        );
        assert_eq!(ReportKind::from_answer("spam"), ReportKind::Other);
        assert_eq!(
            ReportKind::from_answer("keeps pushing diet talk"),
            ReportKind::Other
        );
        assert_eq!(ReportKind::from_answer("a killer joke"), ReportKind::Other);
        for worrying in [
            "she says she wants to die",
            "kill myself",
            "worried about her",
            "sounds hopeless",
            "said goodbye",
            "might hurt herself",
        ] {
            assert_eq!(
                ReportKind::from_answer(worrying),
                ReportKind::NeedsSupport,
                "{worrying}"
            );
        }
        assert_eq!(ReportKind::from_answer("scam"), ReportKind::Other);
        assert!(wants_name_shared(Some(" Yes ")));
        assert!(!wants_name_shared(Some("no")));
        assert!(!wants_name_shared(Some("maybe")));
        assert!(!wants_name_shared(None));
    }

    #[test]
    fn member_texts_are_calm_and_specific() {
        let until = at("2027-01-01T10:00:00Z");
        let n = Notice {
            server: "Grief Circle",
            reason: "Sharing another member's story",
            until: Some(until),
            has_guidelines: true,
        };
        for text in [warn_text(&n), timeout_text(&n), kick_text(&n), ban_text(&n)] {
            assert!(text.contains("Grief Circle"));
            assert!(text.contains("Sharing another member's story"));
            assert!(text.contains("welcome"));
            assert!(text.contains("guidelines are below"));
        }
        assert!(timeout_text(&n).contains(&format!("<t:{}:F>", until.timestamp())));
        // No run of bars can close the spoiler early: every bar is escaped.
        for text in [
            "a|||b",
            "||",
            "x|y",
            "end|",
            "|||||",
            "it hurts \\",
            "\\||",
            "a\\|b",
        ] {
            let post = cw_post("loss", "<@1>", text);
            let body = &post[post.find("\n||").unwrap() + 3..post.len() - 2];
            // Read as Discord does: a backslash escapes the next character.
            // No bar may stand unescaped, and no backslash may be left to
            // escape the closing bars.
            let mut chars = body.chars();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => assert!(chars.next().is_some(), "escapes the closing bars: {post}"),
                    '|' => panic!("an unescaped bar: {post}"),
                    _ => {}
                }
            }
        }
        let cw = content_warning_text("Grief Circle", "my ```story```");
        assert!(cw.contains("/cw topic:"));
        assert!(!cw.contains("```story"));
        assert_eq!(
            cw_post("loss", "<@5>", "it was || hard"),
            "**CW: loss** (from <@5>)\n||it was \\|\\| hard||"
        );
    }
}
