//! Moderation and member safety, as pure rules: strict durations with a
//! limit per action, who may act on whom (with a specific refusal), the
//! lock's overwrite arithmetic with an exact restore, case kinds, reasons,
//! purge selection and the calm texts a member is sent.
//!
//! Nothing here reads the clock or talks to Discord: `now` is a parameter and
//! Discord's permission bits are plain integers.

use chrono::{DateTime, Duration, Utc};

pub mod reports;

pub use reports::{
    REPORT_WINDOW_MINUTES, REPORTS_PER_WINDOW, ReportKind, ReportStatus,
    SUPPORT_REPORTS_PER_WINDOW, wants_name_shared,
};

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
    /// Who last corrected the reason in place (before reasons were
    /// amended rather than overwritten).
    pub edited_by: Option<UserId>,
    /// Each amendment of the reason, oldest first; `reason` stays the
    /// original.
    pub amendments: Vec<Amendment>,
}

/// A case's reason as amended by a facilitator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Amendment {
    /// Who amended it (none once they asked Haven to forget them).
    pub by: Option<UserId>,
    pub at: DateTime<Utc>,
    pub reason: String,
}

impl Case {
    /// The reason as it reads now: the newest amendment, else the original.
    pub fn current_reason(&self) -> &str {
        self.amendments
            .last()
            .map_or(self.reason.as_str(), |a| a.reason.as_str())
    }
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
    #[error(
        "This needs Discord's {} permission, which you don't have here, so I won't do it for you. An admin can grant it to your role.",
        .0.name()
    )]
    CallerLacks(Permission),
    #[error(
        "Records about you are kept for the server's admins, so I can't show or change them for you."
    )]
    OwnRecords,
    #[error("Records about a facilitator or an admin are for the server's admins only.")]
    StaffRecords,
}

/// Who may read or add to the records about a member (history, notes, a
/// case's amendments): facilitators for plain members; records about a
/// facilitator, an admin or the owner are for admins; nobody's about
/// themselves.
pub fn may_keep_records(s: &Standing) -> Result<(), Refusal> {
    if !s.caller.is_facilitator() && s.caller.user != s.owner {
        return Err(Refusal::NotFacilitator);
    }
    let Some(target) = s.target else {
        return Ok(());
    };
    if target.user == s.caller.user {
        return Err(Refusal::OwnRecords);
    }
    let caller_is_admin = s.caller.is_admin() || s.caller.user == s.owner;
    if (target.is_facilitator() || target.user == s.owner) && !caller_is_admin {
        return Err(Refusal::StaffRecords);
    }
    Ok(())
}

/// Decides whether the caller may have Haven do `kind`. Returns the first
/// refusal, in a fixed order: who is asking, who is targeted, what Haven may
/// do, then rank.
pub fn may_act(kind: CaseKind, s: &Standing) -> Result<(), Refusal> {
    if !s.caller.is_facilitator() && s.caller.user != s.owner {
        return Err(Refusal::NotFacilitator);
    }
    // Haven lends no power Discord does not give: the caller needs the
    // same permission they would need in Discord itself.
    if let Some(p) = kind
        .needs()
        .filter(|p| s.caller.user != s.owner && !p.held_in(s.caller.permissions))
    {
        return Err(Refusal::CallerLacks(p));
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

/// What a lock set for `role`: @everyone loses sending, others keep it.
pub fn locked_for(everyone: RoleId, role: RoleId, before: Option<Overwrite>) -> Overwrite {
    if role == everyone {
        deny_sending(before)
    } else {
        allow_sending(before)
    }
}

/// One bit of an overwrite: (allowed, denied).
fn bit_of(o: Overwrite, bit: u64) -> (bool, bool) {
    (o.allow & bit != 0, o.deny & bit != 0)
}

fn set_bit(o: &mut Overwrite, bit: u64, (allow, deny): (bool, bool)) {
    o.allow = if allow { o.allow | bit } else { o.allow & !bit };
    o.deny = if deny { o.deny | bit } else { o.deny & !bit };
}

/// The single bits of [`LOCK_BITS`].
fn lock_bits() -> impl Iterator<Item = u64> {
    (0..64).map(|i| 1u64 << i).filter(|b| LOCK_BITS & b != 0)
}

/// How a channel Haven locked stands now, from its overwrites.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockState {
    /// Every bit the lock changed is still as Haven left it.
    AsLeft,
    /// Some are as Haven left them, the others back as they were (an
    /// unlock under way).
    Unlocking,
    /// Every bit the lock changed is back as it was: unlocked (by hand, or
    /// by Haven).
    Undone,
    /// Someone changed a bit the lock changed to something else: a
    /// human's decision, which Haven's timer must not undo.
    Touched,
}

/// Reads a lock's state from the channel's role overwrites now. Only the
/// bits the lock changed count: an admin adding a deny of View Channel
/// leaves a lock as Haven left it.
pub fn lock_state(
    everyone: RoleId,
    before: &[(RoleId, Option<Overwrite>)],
    current: &[(RoleId, Overwrite)],
) -> LockState {
    let (mut as_left, mut restored) = (0, 0);
    for &(role, was) in before {
        let locked = locked_for(everyone, role, was);
        let now = current
            .iter()
            .find(|(r, _)| *r == role)
            .map(|(_, o)| *o)
            .unwrap_or_default();
        let was = was.unwrap_or_default();
        for bit in lock_bits().filter(|b| bit_of(locked, *b) != bit_of(was, *b)) {
            if bit_of(now, bit) == bit_of(locked, bit) {
                as_left += 1;
            } else if bit_of(now, bit) == bit_of(was, bit) {
                restored += 1;
            } else {
                return LockState::Touched;
            }
        }
    }
    match (as_left, restored) {
        (_, 0) => LockState::AsLeft,
        (0, _) => LockState::Undone,
        _ => LockState::Unlocking,
    }
}

/// How unlock changes one role's overwrite: each bit the lock changed that
/// is still as Haven left it goes back to what it was; every other bit
/// (an admin's deny added meanwhile, a bit someone changed by hand) stays
/// as it is now. `None`: nothing to change.
pub fn unlock_change(
    everyone: RoleId,
    role: RoleId,
    before: Option<Overwrite>,
    current: Option<Overwrite>,
) -> Option<OverwriteChange> {
    let locked = locked_for(everyone, role, before);
    let was = before.unwrap_or_default();
    let now = current.unwrap_or_default();
    let mut next = now;
    for bit in lock_bits().filter(|b| bit_of(locked, *b) != bit_of(was, *b)) {
        if bit_of(now, bit) == bit_of(locked, bit) {
            set_bit(&mut next, bit, bit_of(was, bit));
        }
    }
    if next == now {
        return None;
    }
    Some(if next == Overwrite::default() && before.is_none() {
        OverwriteChange::Delete
    } else {
        OverwriteChange::Put(next)
    })
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
    /// Messages left because their authors may not be moderated by the
    /// caller (the owner, admins, facilitators unless an admin purges).
    pub protected: usize,
}

/// Picks up to `count` of `messages` (newest first), only `member`'s if given,
/// leaving out those Discord will not bulk-delete (older than 14 days, less a
/// minute's margin for the time the call takes) and those by `protected`
/// authors (counted, so the reply can say how many were left).
pub fn select_for_purge(
    messages: &[RecentMessage],
    count: u32,
    member: Option<UserId>,
    protected: &[UserId],
    now: DateTime<Utc>,
) -> PurgeSelection {
    let oldest = now - Duration::days(BULK_DELETE_MAX_AGE_DAYS) + Duration::minutes(1);
    let mut selection = PurgeSelection::default();
    for m in messages
        .iter()
        .filter(|m| member.is_none_or(|u| m.author == u))
    {
        if selection.delete.len() + selection.too_old + selection.protected >= count as usize {
            break;
        }
        if protected.contains(&m.author) {
            selection.protected += 1;
        } else if m.at < oldest {
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
        super::text::inert(message.trim()).replace('\n', "\n> ")
    )
}

/// The calm direct message for a warning.
pub fn warn_text(n: &Notice<'_>) -> String {
    format!(
        "Hi, the facilitators of **{}** wanted to let you know privately about something.\n\n**Why:** {}\n\nThis is a reminder of the group's agreements, not a judgement of you. {}\nYou are still very welcome here.",
        n.server,
        super::text::inert(n.reason),
        guidelines_line(n)
    )
}

/// The calm direct message for a timeout.
pub fn timeout_text(n: &Notice<'_>) -> String {
    format!(
        "Hi, the facilitators of **{}** have paused your ability to post there for a little while. {}\n\n**Why:** {}\n\nYou can still read along. Taking a breather happens to all of us. {}\nYou are welcome back when it ends.",
        n.server,
        until_line(n.until),
        super::text::inert(n.reason),
        guidelines_line(n)
    )
}

/// The calm direct message for a kick, sent before it.
pub fn kick_text(n: &Notice<'_>) -> String {
    format!(
        "Hi, the facilitators of **{}** have removed you from the server.\n\n**Why:** {}\n\nYou are welcome to rejoin with a new invite when you feel ready. {}",
        n.server,
        super::text::inert(n.reason),
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
        super::text::inert(n.reason),
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
    // Inert (no link, no mention, backslashes doubled), and every bar
    // escaped so nothing can close the spoiler early.
    let topic = super::text::inert(&truncate(topic.trim(), 100)).replace('|', "¦");
    let text = super::text::inert(text.trim()).replace('|', "\\|");
    format!("**CW: {topic}** (from {author_mention})\n||{text}||")
}

/// The words of a `/cw` post as its author typed them: [`cw_post`]'s
/// header, spoiler and escapes taken off. `None` if it is not one.
pub fn cw_text_of(post: &str) -> Option<String> {
    let (_, body) = post.split_once('\n')?;
    let body = body.strip_prefix("||")?.strip_suffix("||")?;
    let mut out = String::with_capacity(body.len());
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.extend(chars.next()),
            '\u{200B}' => {}
            c => out.push(c),
        }
    }
    Some(out)
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

    fn overwrite() -> impl Strategy<Value = Option<Overwrite>> {
        // Bits around the lock's (and a few others), never both allowed
        // and denied at once, as Discord keeps them.
        (any::<u64>(), any::<u64>(), any::<bool>()).prop_map(|(a, d, present)| {
            let mask = LOCK_BITS | (1 << 10) | (1 << 6) | (1 << 15);
            let allow = a & mask;
            present.then_some(Overwrite {
                allow,
                deny: d & mask & !allow,
            })
        })
    }

    proptest! {
        /// An unlock after any human change restores only the lock's bits
        /// that are still as Haven left them: every other bit, and every
        /// lock bit a human changed, stays as it is now.
        #[test]
        fn unlock_changes_only_what_is_still_as_haven_left_it(
            before in overwrite(),
            everyone_role in any::<bool>(),
            human_flip in any::<u64>(),
            human_extra in any::<u64>(),
        ) {
            let everyone = RoleId(1);
            let role = if everyone_role { everyone } else { RoleId(2) };
            let locked = locked_for(everyone, role, before);
            // A human flips some bits to "neutral" and adds others (a
            // View Channel deny, say), as Discord's UI allows.
            let flip = human_flip & (LOCK_BITS | (1 << 10));
            let extra = human_extra & (1 << 10) & !locked.allow;
            let now = Overwrite {
                allow: locked.allow & !flip,
                deny: (locked.deny & !flip) | extra,
            };
            let result = match unlock_change(everyone, role, before, Some(now)) {
                None => Some(now),
                Some(OverwriteChange::Put(o)) => Some(o),
                Some(OverwriteChange::Delete) => None,
            }
            .unwrap_or_default();
            let was = before.unwrap_or_default();
            for i in 0..64 {
                let bit = 1u64 << i;
                let changed_by_lock = LOCK_BITS & bit != 0 && bit_of(locked, bit) != bit_of(was, bit);
                let still_as_left = bit_of(now, bit) == bit_of(locked, bit);
                if changed_by_lock && still_as_left {
                    prop_assert_eq!(bit_of(result, bit), bit_of(was, bit), "bit {}", i);
                } else {
                    prop_assert_eq!(bit_of(result, bit), bit_of(now, bit), "bit {}", i);
                }
            }
            // Untouched by anyone, an unlock is exact.
            let untouched = match unlock_change(everyone, role, before, Some(locked)) {
                None => Some(locked),
                Some(OverwriteChange::Put(o)) => Some(o),
                Some(OverwriteChange::Delete) => None,
            };
            prop_assert_eq!(untouched.unwrap_or_default(), was);
        }
    }

    #[test]
    fn a_lock_touched_by_hand_is_told_apart_from_one_as_left() {
        let everyone = RoleId(1);
        let fac = RoleId(2);
        let before = vec![(everyone, None), (fac, None)];
        let locked = |r| locked_for(everyone, r, None);
        let current = vec![(everyone, locked(everyone)), (fac, locked(fac))];
        assert_eq!(lock_state(everyone, &before, &current), LockState::AsLeft);
        // An admin adds a View Channel deny: still as Haven left it.
        let mut viewed = current.clone();
        viewed[0].1.deny |= 1 << 10;
        assert_eq!(lock_state(everyone, &before, &viewed), LockState::AsLeft);
        // An admin lets @everyone send again: a human's decision.
        let mut reopened = current.clone();
        reopened[0].1.deny &= !bits::SEND_MESSAGES;
        reopened[0].1.allow |= bits::SEND_MESSAGES;
        assert_eq!(lock_state(everyone, &before, &reopened), LockState::Touched);
        // Haven half way through its unlock.
        let half = vec![(fac, locked(fac))];
        assert_eq!(lock_state(everyone, &before, &half), LockState::Unlocking);
        assert_eq!(lock_state(everyone, &before, &[]), LockState::Undone);
        // The unlock keeps the admin's deny.
        assert_eq!(
            unlock_change(everyone, everyone, None, Some(viewed[0].1)),
            Some(OverwriteChange::Put(Overwrite {
                allow: 0,
                deny: 1 << 10
            }))
        );
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
        let fac = rank(FAC, 5, ALL_MOD, true);
        let bare_fac = rank(FAC, 5, 0, true);
        let admin = rank(ADMIN, 8, bits::MANAGE_GUILD | ALL_MOD, false);
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
            ("the role alone cannot time out", CaseKind::Timeout, haven(ALL_MOD), bare_fac, Some(member), Err(Refusal::CallerLacks(Permission::ModerateMembers))),
            ("the role alone cannot ban", CaseKind::Ban, haven(ALL_MOD), bare_fac, Some(member), Err(Refusal::CallerLacks(Permission::BanMembers))),
            ("the role alone cannot purge", CaseKind::Purge, haven(ALL_MOD), bare_fac, None, Err(Refusal::CallerLacks(Permission::ManageMessages))),
            ("the role alone cannot lock", CaseKind::Lock, haven(ALL_MOD), bare_fac, None, Err(Refusal::CallerLacks(Permission::ManageRoles))),
            ("the role alone can warn", CaseKind::Warn, haven(ALL_MOD), bare_fac, Some(member), Ok(())),
            ("the role alone can nudge", CaseKind::Nudge, haven(ALL_MOD), bare_fac, Some(member), Ok(())),
            ("Administrator covers the caller", CaseKind::Kick, haven(ALL_MOD), rank(FAC, 5, bits::ADMINISTRATOR, true), Some(member), Ok(())),
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
    fn records_about_staff_are_for_admins_and_nobody_reads_their_own() {
        let fac = rank(FAC, 5, 0, true);
        let admin = rank(ADMIN, 8, bits::MANAGE_GUILD, false);
        let member = rank(MEMBER, 1, 0, false);
        let other_fac = rank(OTHER_FAC, 4, 0, true);
        let s = |caller, target| Standing {
            owner: OWNER,
            haven: haven(ALL_MOD),
            caller,
            target: Some(target),
        };
        assert_eq!(may_keep_records(&s(fac, member)), Ok(()));
        assert_eq!(may_keep_records(&s(fac, fac)), Err(Refusal::OwnRecords));
        assert_eq!(may_keep_records(&s(admin, admin)), Err(Refusal::OwnRecords));
        assert_eq!(
            may_keep_records(&s(fac, other_fac)),
            Err(Refusal::StaffRecords)
        );
        assert_eq!(may_keep_records(&s(fac, admin)), Err(Refusal::StaffRecords));
        assert_eq!(
            may_keep_records(&s(fac, rank(OWNER, 0, 0, false))),
            Err(Refusal::StaffRecords)
        );
        assert_eq!(may_keep_records(&s(admin, other_fac)), Ok(()));
        assert_eq!(
            may_keep_records(&s(rank(MEMBER, 1, 0, false), member)),
            Err(Refusal::NotFacilitator)
        );
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
        let all = select_for_purge(&messages, 3, None, &[], now);
        assert_eq!(all.delete, vec![9, 8, 7]);
        assert_eq!(all.too_old, 0);
        let guarded = select_for_purge(&messages, 3, None, &[UserId(6)], now);
        assert_eq!(guarded.delete, vec![9, 7]);
        assert_eq!(guarded.protected, 1);
        let one = select_for_purge(&messages, 10, Some(UserId(5)), &[], now);
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
            amendments: Vec::new(),
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
        for text in [
            "it was || hard",
            "[x](https://e.example) <@1> @everyone \\ ok",
            "plain",
        ] {
            assert_eq!(
                cw_text_of(&cw_post("loss", "<@5>", text)).as_deref(),
                Some(text)
            );
        }
        assert_eq!(cw_text_of("not a post"), None);
        let cw = content_warning_text("Grief Circle", "my ```story```");
        assert!(cw.contains("/cw topic:"));
        assert!(!cw.contains("```story"));
        assert_eq!(
            cw_post("loss", "<@5>", "it was || hard"),
            "**CW: loss** (from <@5>)\n||it was \\|\\| hard||"
        );
    }
}
