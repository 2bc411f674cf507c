//! One typed, versioned codec for every button and modal id Haven makes.
//!
//! A custom id is self-describing (what, for whom, since when), so a button
//! keeps working across restarts, and an old, foreign or forged one decodes
//! to `None` and gets a clear answer instead of silence. Ids are
//! `h1:<kind>:<fields>`; ids written before the version prefix existed
//! (`haven:…`) still decode, so messages already in servers keep working.
//! A new family adds a variant here and a handler in the router.

use super::meeting::RsvpAnswer;

/// The current version prefix.
pub const VERSION: &str = "h1";
/// Discord's limit on a custom id's length.
pub const MAX_LEN: usize = 100;

/// What a button press or modal submit asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CustomId {
    /// An RSVP button on a meeting's announcement.
    Rsvp {
        meeting: i64,
        answer: RsvpAnswer,
    },
    /// A round's mood button: 0 = pass, 1..=5 = mood.
    Round {
        round: i64,
        answer: u8,
    },
    /// Stop a meeting's reminders by direct message (on the DM itself).
    DmStop {
        meeting: i64,
    },
    /// `/privacy forget`'s confirmation, offered at `issued` (unix seconds).
    ForgetConfirm {
        user: u64,
        issued: i64,
    },
    ForgetCancel {
        user: u64,
    },
    /// After a low check-in: ask a facilitator to reach out.
    ReachOut {
        user: u64,
        issued: i64,
    },
    /// `/journal stop`: delete what is kept, or keep it.
    JournalDelete {
        user: u64,
    },
    JournalKeep {
        user: u64,
    },
}

impl CustomId {
    pub fn encode(self) -> String {
        let body = match self {
            Self::Rsvp { meeting, answer } => format!("rsvp:{meeting}:{}", answer.as_str()),
            Self::Round { round, answer } => format!("round:{round}:{answer}"),
            Self::DmStop { meeting } => format!("dmstop:{meeting}"),
            Self::ForgetConfirm { user, issued } => format!("forget:confirm:{user}:{issued}"),
            Self::ForgetCancel { user } => format!("forget:cancel:{user}"),
            Self::ReachOut { user, issued } => format!("reach:{user}:{issued}"),
            Self::JournalDelete { user } => format!("journal:delete:{user}"),
            Self::JournalKeep { user } => format!("journal:keep:{user}"),
        };
        format!("{VERSION}:{body}")
    }

    /// Reads an id of this version or of the unversioned first form.
    pub fn decode(id: &str) -> Option<Self> {
        if id.len() > MAX_LEN {
            return None;
        }
        let parts: Vec<&str> = id.split(':').collect();
        let body = match parts.split_first() {
            Some((&VERSION, rest)) | Some((&"haven", rest)) => rest,
            _ => return None,
        };
        Some(match body {
            ["rsvp", meeting, answer] => Self::Rsvp {
                meeting: meeting.parse().ok()?,
                answer: RsvpAnswer::parse(answer)?,
            },
            ["round", round, answer] => {
                let answer: u8 = answer.parse().ok()?;
                (answer <= 5).then_some(())?;
                Self::Round {
                    round: round.parse().ok()?,
                    answer,
                }
            }
            ["dmstop", meeting] => Self::DmStop {
                meeting: meeting.parse().ok()?,
            },
            ["forget", "confirm", user, issued] => Self::ForgetConfirm {
                user: user.parse().ok()?,
                issued: issued.parse().ok()?,
            },
            ["forget", "cancel", user] => Self::ForgetCancel {
                user: user.parse().ok()?,
            },
            ["reach", user, issued] => Self::ReachOut {
                user: user.parse().ok()?,
                issued: issued.parse().ok()?,
            },
            ["journal", "delete", user] => Self::JournalDelete {
                user: user.parse().ok()?,
            },
            ["journal", "keep", user] => Self::JournalKeep {
                user: user.parse().ok()?,
            },
            _ => return None,
        })
    }

    /// The member a personal button was made for; `None` for buttons anyone
    /// may press (RSVPs, rounds) or that only reach their recipient (DMs).
    pub fn owner(self) -> Option<u64> {
        match self {
            Self::ForgetConfirm { user, .. }
            | Self::ForgetCancel { user }
            | Self::ReachOut { user, .. }
            | Self::JournalDelete { user }
            | Self::JournalKeep { user } => Some(user),
            Self::Rsvp { .. } | Self::Round { .. } | Self::DmStop { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn any_id() -> impl Strategy<Value = CustomId> {
        let answer =
            prop::sample::select(vec![RsvpAnswer::Going, RsvpAnswer::Maybe, RsvpAnswer::No]);
        prop_oneof![
            (any::<i64>(), answer).prop_map(|(meeting, answer)| CustomId::Rsvp { meeting, answer }),
            (any::<i64>(), 0u8..=5).prop_map(|(round, answer)| CustomId::Round { round, answer }),
            any::<i64>().prop_map(|meeting| CustomId::DmStop { meeting }),
            (any::<u64>(), any::<i64>())
                .prop_map(|(user, issued)| CustomId::ForgetConfirm { user, issued }),
            any::<u64>().prop_map(|user| CustomId::ForgetCancel { user }),
            (any::<u64>(), any::<i64>())
                .prop_map(|(user, issued)| CustomId::ReachOut { user, issued }),
            any::<u64>().prop_map(|user| CustomId::JournalDelete { user }),
            any::<u64>().prop_map(|user| CustomId::JournalKeep { user }),
        ]
    }

    proptest! {
        #[test]
        fn every_id_round_trips_within_discords_limit(id in any_id()) {
            let text = id.encode();
            prop_assert!(text.len() <= MAX_LEN, "{}", text);
            prop_assert_eq!(CustomId::decode(&text), Some(id));
        }

        #[test]
        fn any_text_decodes_without_panicking(text in ".{0,120}") {
            let _ = CustomId::decode(&text);
        }
    }

    #[test]
    fn ids_from_before_the_version_still_work() {
        assert_eq!(
            CustomId::decode("haven:rsvp:42:going"),
            Some(CustomId::Rsvp {
                meeting: 42,
                answer: RsvpAnswer::Going
            })
        );
        assert_eq!(
            CustomId::decode("haven:round:7:0"),
            Some(CustomId::Round {
                round: 7,
                answer: 0
            })
        );
        assert_eq!(
            CustomId::decode("haven:forget:cancel:5"),
            Some(CustomId::ForgetCancel { user: 5 })
        );
    }

    #[test]
    fn unknown_or_forged_ids_are_refused() {
        for id in [
            "",
            "h1",
            "h2:rsvp:1:going",
            "h1:rsvp:x:going",
            "h1:rsvp:1:perhaps",
            "h1:round:1:6",
            "other:forget:cancel:1",
            "h1:forget:cancel:1:2",
        ] {
            assert_eq!(CustomId::decode(id), None, "{id}");
        }
    }
}
