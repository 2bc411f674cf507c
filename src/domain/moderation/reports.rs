//! Reports as pure rules: the four kinds a reporter chooses from, where a
//! report may go (decided by whom it is about, never by its words), who may
//! see it afterwards, and what the reporter is told about where it went.

use crate::domain::UserId;
use crate::domain::settings::Tier;

/// What a member says is wrong with a message they report: chosen from a
/// list, never guessed from what they typed.
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

    /// The line under the label in the reporter's list.
    pub fn hint(self) -> &'static str {
        match self {
            Self::Harmful => "Hurtful, hostile, harassing or unsafe for the group",
            Self::ContentWarning => "Difficult content shared without a warning",
            Self::NeedsSupport => "The person who wrote it may be struggling or unsafe",
            Self::Other => "Anything else the facilitators should know",
        }
    }

    /// Whether facilitators are paged (the role mentioned) for it.
    pub fn pages_facilitators(self) -> bool {
        self == Self::NeedsSupport
    }
}

/// Where a report about a message may go, from whom it is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportRoute {
    /// Whether it may be posted in the log channel (which every
    /// facilitator reads): only when it is about a plain member.
    pub log_channel: bool,
    /// Whether the facilitator role may be mentioned for it.
    pub ping: bool,
    /// Who may receive it by direct message (those who asked for notices
    /// and stand at least this high), the person it is about never.
    pub dm_at_least: Tier,
}

/// Decides where a report goes from its kind and the rank of the person it
/// is about (read fresh from Discord). A report about a facilitator or an
/// admin never goes where that person can read it: not the log channel,
/// not a role ping; by DM to admins, and for "someone may need support"
/// also to the other facilitators.
pub fn route(kind: ReportKind, about: Tier) -> ReportRoute {
    match about {
        Tier::Member => ReportRoute {
            log_channel: true,
            ping: kind.pages_facilitators(),
            dm_at_least: Tier::Facilitator,
        },
        Tier::Facilitator | Tier::Admin => ReportRoute {
            log_channel: false,
            ping: false,
            dm_at_least: if kind.pages_facilitators() {
                Tier::Facilitator
            } else {
                Tier::Admin
            },
        },
    }
}

/// Whether `viewer` (standing `tier` now) may see a report in
/// `/mod reports` or act on it: never the person it is about, and only
/// those its route may reach. A report not routed yet (`about` unknown) is
/// treated as about an admin: shown to admins only.
pub fn may_see(
    kind: ReportKind,
    subject: Option<UserId>,
    about: Option<Tier>,
    viewer: UserId,
    tier: Tier,
) -> bool {
    if subject == Some(viewer) {
        return false;
    }
    tier >= route(kind, about.unwrap_or(Tier::Admin)).dm_at_least
}

/// Where a report went, as its reporter is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// Posted in the log channel (with the facilitator role mentioned).
    LogChannel { pinged: bool },
    /// Sent by direct message to this many people of at least this rank.
    Direct { people: usize, at_least: Tier },
    /// Nobody can receive it yet: it waits in `/mod reports`.
    Waiting,
}

/// What the reporter is told once Haven has tried to deliver the report:
/// exactly where it went, and whether they are named.
pub fn receipt(kind: ReportKind, named: bool, about: Tier, delivery: Delivery) -> String {
    let about_staff = about >= Tier::Facilitator;
    let mut text = format!(
        "Thank you for telling us. Your report (\"{}\") ",
        kind.label().to_lowercase()
    );
    match delivery {
        Delivery::LogChannel { pinged } => {
            text.push_str("is in the facilitators' private log channel");
            if pinged {
                text.push_str(", and the facilitators were alerted");
            }
            text.push('.');
        }
        Delivery::Direct { people, at_least } => {
            let who = match at_least {
                Tier::Admin => "of the server's admins",
                _ => "of the server's facilitators and admins",
            };
            text.push_str(&format!(
                "went privately by direct message to {people} {who}"
            ));
            if about_staff {
                text.push_str(
                    ". It may be about someone who helps run the group, so it did not go to the log channel, and the person it is about cannot see it.",
                );
            } else {
                text.push_str(" (the server has no log channel I can post in).");
            }
        }
        Delivery::Waiting => {
            let who = if about_staff && kind != ReportKind::NeedsSupport {
                "the server's admins"
            } else if about_staff {
                "the facilitators and admins (not the person it is about)"
            } else {
                "the facilitators"
            };
            text.push_str(&format!(
                "is kept safely, but right now nobody can receive it: no one who may see it has a way to be told yet. \
                 It waits for {who} in `/mod reports`, and I'll keep trying to deliver it. \
                 If you can, please also reach out to an admin you trust directly."
            ));
        }
    }
    text.push_str(if named {
        " They will see that it came from you."
    } else {
        " They won't be told it was you."
    });
    if kind == ReportKind::NeedsSupport {
        text.push_str(
            "\nIf someone is in danger right now, please contact emergency services. `/crisis` lists support lines you can share.",
        );
    }
    text
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn tier() -> impl Strategy<Value = Tier> {
        prop::sample::select(vec![Tier::Member, Tier::Facilitator, Tier::Admin])
    }

    fn kind() -> impl Strategy<Value = ReportKind> {
        prop::sample::select(ReportKind::ALL.to_vec())
    }

    proptest! {
        /// Whatever the kind, a report about a facilitator or an admin never
        /// goes to the log channel or pings, never reaches the person it is
        /// about, and reaches only those at least as senior as its route says.
        #[test]
        fn a_report_never_reaches_the_person_it_is_about(
            k in kind(), about in tier(), viewer_tier in tier(), same in any::<bool>()
        ) {
            let r = route(k, about);
            if about >= Tier::Facilitator {
                prop_assert!(!r.log_channel && !r.ping);
                prop_assert!(r.dm_at_least >= Tier::Facilitator);
                if k != ReportKind::NeedsSupport {
                    prop_assert_eq!(r.dm_at_least, Tier::Admin);
                }
            }
            let subject = UserId(7);
            let viewer = if same { subject } else { UserId(8) };
            let seen = may_see(k, Some(subject), Some(about), viewer, viewer_tier);
            if same {
                prop_assert!(!seen);
            }
            if viewer_tier == Tier::Member {
                prop_assert!(!seen);
            }
        }
    }

    #[test]
    fn the_kind_is_chosen_never_guessed() {
        for k in ReportKind::ALL {
            assert_eq!(ReportKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(
            ReportKind::parse("harmful, he told me to kill myself"),
            None
        );
    }

    #[test]
    fn support_about_a_facilitator_reaches_the_other_facilitators_by_dm() {
        let r = route(ReportKind::NeedsSupport, Tier::Facilitator);
        assert_eq!(
            r,
            ReportRoute {
                log_channel: false,
                ping: false,
                dm_at_least: Tier::Facilitator
            }
        );
        assert!(route(ReportKind::NeedsSupport, Tier::Member).ping);
        assert!(!route(ReportKind::Harmful, Tier::Member).ping);
        // Not routed yet: admins only.
        assert!(!may_see(
            ReportKind::Harmful,
            Some(UserId(1)),
            None,
            UserId(2),
            Tier::Facilitator
        ));
        assert!(may_see(
            ReportKind::Harmful,
            Some(UserId(1)),
            None,
            UserId(2),
            Tier::Admin
        ));
    }

    #[test]
    fn the_receipt_says_where_it_went() {
        let staff = receipt(
            ReportKind::Harmful,
            false,
            Tier::Facilitator,
            Delivery::Direct {
                people: 2,
                at_least: Tier::Admin,
            },
        );
        assert!(staff.contains("2 of the server's admins"), "{staff}");
        assert!(staff.contains("did not go to the log channel"), "{staff}");
        assert!(staff.contains("won't be told it was you"));
        let waiting = receipt(ReportKind::Other, true, Tier::Admin, Delivery::Waiting);
        assert!(waiting.contains("nobody can receive it"), "{waiting}");
        assert!(waiting.contains("/mod reports"));
        let log = receipt(
            ReportKind::NeedsSupport,
            false,
            Tier::Member,
            Delivery::LogChannel { pinged: true },
        );
        assert!(log.contains("log channel") && log.contains("alerted") && log.contains("/crisis"));
        assert!(wants_name_shared(Some(" Yes ")));
        assert!(!wants_name_shared(Some("maybe")));
        assert!(!wants_name_shared(None));
    }
}
