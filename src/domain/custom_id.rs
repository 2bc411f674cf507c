//! One typed, versioned codec for every button and modal id Haven makes.
//!
//! A custom id is self-describing (what, for whom, since when), so a button
//! keeps working across restarts, and an old, foreign or forged one decodes
//! to `None` and gets a clear answer instead of silence. Ids are
//! `h1:<kind>:<fields>`; ids written before the version prefix existed
//! (`haven:…`) still decode, so messages already in servers keep working.
//! A new family adds a variant here and a handler in the router.

use super::library::Category;
use super::meeting::RsvpAnswer;
use super::moderation::ReportKind;
use super::settings::Access;

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
    /// `/prompt list`: a page of the server's prompts.
    PromptPage {
        page: u16,
        category: Option<Category>,
    },
    /// `/prompt list`: hide or show a built-in prompt (staying on `page`).
    PromptHide {
        prompt: PromptKey,
        hide: bool,
        page: u16,
        category: Option<Category>,
    },
    /// `/prompt list`: remove one of the server's own prompts.
    PromptRemove {
        id: i64,
        page: u16,
        category: Option<Category>,
    },
    /// `/strategy browse`: one strategy per page.
    StrategyPage {
        page: u16,
        category: Option<Category>,
    },
    /// Save a strategy (built-in or shared) to the presser's toolkit.
    StrategySave {
        strategy: StrategyKey,
    },
    /// `/toolkit`: remove a strategy.
    ToolkitRemove {
        strategy: StrategyKey,
    },
    /// A facilitator's decision on a shared strategy.
    StrategyDecide {
        id: i64,
        approve: bool,
    },
    /// A guided exercise: show this step.
    Exercise {
        kind: ExerciseKind,
        step: u8,
    },
    /// Stop a guided exercise.
    ExerciseStop {
        kind: ExerciseKind,
    },
    /// A report in the log channel: acknowledged, or resolved.
    ReportStatus {
        id: i64,
        resolved: bool,
    },
    /// The `/guidelines set` form.
    GuidelinesForm,
    /// "Show support lines", on a low check-in's private answer.
    SupportLines,
    /// The list of countries that "Show support lines" answers with.
    SupportCountry,
    /// The "Report to facilitators" list of kinds, on the menu's private
    /// answer: the draft it fills in.
    ReportKindChoice {
        draft: i64,
    },
    /// The "Report to facilitators" form: what the menu saw is kept as a
    /// draft, by this id; the kind the reporter chose (absent on forms of
    /// older versions, which asked in words: filed as "something else",
    /// never guessed).
    ReportDraft {
        id: i64,
        kind: Option<ReportKind>,
    },
    /// The "Report to facilitators" form of older versions, naming the
    /// message itself (still answered).
    ReportForm {
        channel: u64,
        message: u64,
        author: u64,
    },
    /// `/break`: come back early (on the DM the member got). `until` is the
    /// break's end (Unix seconds), absent on buttons of older versions.
    BreakEnd {
        guild: u64,
        user: u64,
        until: Option<i64>,
    },
}

/// A built-in prompt by its id (`grief-07`), or a server's own by number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptKey {
    BuiltIn(Category, u16),
    Own(i64),
}

/// A built-in strategy (`stress-03`) or one a member shared (by number).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StrategyKey {
    BuiltIn(Category, u16),
    Shared(i64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExerciseKind {
    /// Box breathing (with holds, which may be skipped).
    Breathe,
    /// In for four, out for six: no holds.
    Gentle,
    Ground,
}

impl ExerciseKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Breathe => "breathe",
            Self::Gentle => "gentle",
            Self::Ground => "ground",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "breathe" => Some(Self::Breathe),
            "gentle" => Some(Self::Gentle),
            "ground" => Some(Self::Ground),
            _ => None,
        }
    }
}

/// `<category>-<nn>` as the library writes its ids.
fn split_library_id(id: &str) -> Option<(Category, u16)> {
    let (category, n) = id.rsplit_once('-')?;
    Some((Category::parse(category)?, n.parse().ok()?))
}

impl PromptKey {
    /// `grief-07` for a built-in, `own-12` for a server's own.
    pub fn as_key(self) -> String {
        match self {
            Self::BuiltIn(c, n) => format!("{}-{n:02}", c.as_str()),
            Self::Own(id) => format!("own-{id}"),
        }
    }

    pub fn parse(key: &str) -> Option<Self> {
        match key.strip_prefix("own-") {
            Some(id) => Some(Self::Own(id.parse().ok()?)),
            None => split_library_id(key).map(|(c, n)| Self::BuiltIn(c, n)),
        }
    }
}

impl StrategyKey {
    /// `stress-03` for a built-in, `s42` for a shared one.
    pub fn as_key(self) -> String {
        match self {
            Self::BuiltIn(c, n) => format!("{}-{n:02}", c.as_str()),
            Self::Shared(id) => format!("s{id}"),
        }
    }

    pub fn parse(key: &str) -> Option<Self> {
        if let Some(id) = key.strip_prefix('s').and_then(|id| id.parse().ok()) {
            return Some(Self::Shared(id));
        }
        split_library_id(key).map(|(c, n)| Self::BuiltIn(c, n))
    }
}

fn category_of(s: &str) -> Option<Option<Category>> {
    match s {
        "all" => Some(None),
        other => Category::parse(other).map(Some),
    }
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
            Self::PromptPage { page, category } => {
                format!("plist:{page}:{}", Category::key_or_all(category))
            }
            Self::PromptHide {
                prompt,
                hide,
                page,
                category,
            } => format!(
                "phide:{}:{}:{page}:{}",
                prompt.as_key(),
                u8::from(hide),
                Category::key_or_all(category)
            ),
            Self::PromptRemove { id, page, category } => {
                format!("prm:{id}:{page}:{}", Category::key_or_all(category))
            }
            Self::StrategyPage { page, category } => {
                format!("sbrowse:{page}:{}", Category::key_or_all(category))
            }
            Self::StrategySave { strategy } => format!("ssave:{}", strategy.as_key()),
            Self::ToolkitRemove { strategy } => format!("tkrm:{}", strategy.as_key()),
            Self::StrategyDecide { id, approve } => format!("sdec:{id}:{}", u8::from(approve)),
            Self::Exercise { kind, step } => format!("ex:{}:{step}", kind.as_str()),
            Self::ExerciseStop { kind } => format!("exstop:{}", kind.as_str()),
            Self::BreakEnd {
                guild,
                user,
                until: None,
            } => format!("brk:{guild}:{user}"),
            Self::BreakEnd {
                guild,
                user,
                until: Some(until),
            } => format!("brk:{guild}:{user}:{until}"),
            Self::ReportStatus { id, resolved } => format!("rpt:{id}:{}", u8::from(resolved)),
            Self::ReportKindChoice { draft } => format!("rptk:{draft}"),
            Self::SupportLines => "sup".to_owned(),
            Self::SupportCountry => "supc".to_owned(),
            Self::ReportDraft { id, kind: None } => format!("rptd:{id}"),
            Self::ReportDraft { id, kind: Some(k) } => format!("rptd:{id}:{}", k.as_str()),
            Self::ReportForm {
                channel,
                message,
                author,
            } => format!("rptf:{channel}:{message}:{author}"),
            Self::GuidelinesForm => "guidef".to_owned(),
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
            ["plist", page, category] => Self::PromptPage {
                page: page.parse().ok()?,
                category: category_of(category)?,
            },
            ["phide", prompt, hide, page, category] => Self::PromptHide {
                prompt: PromptKey::parse(prompt)?,
                hide: match *hide {
                    "1" => true,
                    "0" => false,
                    _ => return None,
                },
                page: page.parse().ok()?,
                category: category_of(category)?,
            },
            ["prm", id, page, category] => Self::PromptRemove {
                id: id.parse().ok()?,
                page: page.parse().ok()?,
                category: category_of(category)?,
            },
            ["sbrowse", page, category] => Self::StrategyPage {
                page: page.parse().ok()?,
                category: category_of(category)?,
            },
            ["ssave", key] => Self::StrategySave {
                strategy: StrategyKey::parse(key)?,
            },
            ["tkrm", key] => Self::ToolkitRemove {
                strategy: StrategyKey::parse(key)?,
            },
            ["sdec", id, approve] => Self::StrategyDecide {
                id: id.parse().ok()?,
                approve: match *approve {
                    "1" => true,
                    "0" => false,
                    _ => return None,
                },
            },
            ["ex", kind, step] => Self::Exercise {
                kind: ExerciseKind::parse(kind)?,
                step: step.parse().ok()?,
            },
            ["exstop", kind] => Self::ExerciseStop {
                kind: ExerciseKind::parse(kind)?,
            },
            ["guidef"] => Self::GuidelinesForm,
            ["sup"] => Self::SupportLines,
            ["supc"] => Self::SupportCountry,
            ["rptk", draft] => Self::ReportKindChoice {
                draft: draft.parse().ok()?,
            },
            ["rptd", id] => Self::ReportDraft {
                id: id.parse().ok()?,
                kind: None,
            },
            ["rptd", id, kind] => Self::ReportDraft {
                id: id.parse().ok()?,
                kind: Some(ReportKind::parse(kind)?),
            },
            ["rptf", channel, message, author] => Self::ReportForm {
                channel: channel.parse().ok()?,
                message: message.parse().ok()?,
                author: author.parse().ok()?,
            },
            ["rpt", id, resolved] => Self::ReportStatus {
                id: id.parse().ok()?,
                resolved: match *resolved {
                    "1" => true,
                    "0" => false,
                    _ => return None,
                },
            },
            ["brk", guild, user] => Self::BreakEnd {
                guild: guild.parse().ok()?,
                user: user.parse().ok()?,
                until: None,
            },
            ["brk", guild, user, until] => Self::BreakEnd {
                guild: guild.parse().ok()?,
                user: user.parse().ok()?,
                until: Some(until.parse().ok()?),
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
            | Self::JournalKeep { user }
            | Self::BreakEnd { user, .. } => Some(user),
            Self::Rsvp { .. }
            | Self::Round { .. }
            | Self::DmStop { .. }
            | Self::PromptPage { .. }
            | Self::PromptHide { .. }
            | Self::PromptRemove { .. }
            | Self::StrategyPage { .. }
            | Self::StrategySave { .. }
            | Self::ToolkitRemove { .. }
            | Self::StrategyDecide { .. }
            | Self::Exercise { .. }
            | Self::ExerciseStop { .. }
            | Self::ReportStatus { .. }
            | Self::ReportForm { .. }
            | Self::ReportDraft { .. }
            | Self::ReportKindChoice { .. }
            | Self::SupportLines
            | Self::SupportCountry
            | Self::GuidelinesForm => None,
        }
    }

    /// Who may press it, declared here as commands declare theirs and
    /// checked once by the router at each press (roles change).
    pub fn access(self) -> Access {
        match self {
            Self::PromptPage { .. }
            | Self::PromptHide { .. }
            | Self::PromptRemove { .. }
            | Self::StrategyDecide { .. } => Access::Facilitator,
            // Reports: who may act is who may see the report (its own rule,
            // checked at the press, in a server or on a DM copy).
            _ => Access::Anyone,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_break_button_carries_its_end_and_old_ones_still_read() {
        let new = CustomId::BreakEnd {
            guild: 1,
            user: 2,
            until: Some(1_800_000_000),
        };
        assert_eq!(CustomId::decode(&new.encode()), Some(new));
        let old = CustomId::BreakEnd {
            guild: 1,
            user: 2,
            until: None,
        };
        assert_eq!(old.encode(), "h1:brk:1:2");
        assert_eq!(CustomId::decode("h1:brk:1:2"), Some(old));
    }

    #[test]
    fn facilitators_buttons_declare_it() {
        use super::super::settings::Access;
        let facilitators = [
            CustomId::PromptPage {
                page: 0,
                category: None,
            },
            CustomId::StrategyDecide {
                id: 1,
                approve: true,
            },
        ];
        for id in facilitators {
            assert_eq!(id.access(), Access::Facilitator, "{id:?}");
        }
        assert_eq!(
            CustomId::Rsvp {
                meeting: 1,
                answer: RsvpAnswer::Going
            }
            .access(),
            Access::Anyone
        );
    }

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
            Just(CustomId::SupportLines),
            Just(CustomId::SupportCountry),
            (any::<u16>(), category())
                .prop_map(|(page, category)| CustomId::PromptPage { page, category }),
            (prompt_key(), any::<bool>(), any::<u16>(), category()).prop_map(
                |(prompt, hide, page, category)| CustomId::PromptHide {
                    prompt,
                    hide,
                    page,
                    category
                }
            ),
            (any::<i64>(), any::<u16>(), category())
                .prop_map(|(id, page, category)| CustomId::PromptRemove { id, page, category }),
            (any::<u16>(), category())
                .prop_map(|(page, category)| CustomId::StrategyPage { page, category }),
            strategy_key().prop_map(|strategy| CustomId::StrategySave { strategy }),
            strategy_key().prop_map(|strategy| CustomId::ToolkitRemove { strategy }),
            (any::<i64>(), any::<bool>())
                .prop_map(|(id, approve)| CustomId::StrategyDecide { id, approve }),
            (exercise(), any::<u8>()).prop_map(|(kind, step)| CustomId::Exercise { kind, step }),
            exercise().prop_map(|kind| CustomId::ExerciseStop { kind }),
        ]
    }

    fn category() -> impl Strategy<Value = Option<Category>> {
        prop::option::of(prop::sample::select(Category::ALL.to_vec()))
    }

    fn exercise() -> impl Strategy<Value = ExerciseKind> {
        prop::sample::select(vec![
            ExerciseKind::Breathe,
            ExerciseKind::Gentle,
            ExerciseKind::Ground,
        ])
    }

    fn prompt_key() -> impl Strategy<Value = PromptKey> {
        prop_oneof![
            (prop::sample::select(Category::ALL.to_vec()), 0u16..1000)
                .prop_map(|(c, n)| PromptKey::BuiltIn(c, n)),
            (0i64..i64::MAX).prop_map(PromptKey::Own),
        ]
    }

    fn strategy_key() -> impl Strategy<Value = StrategyKey> {
        prop_oneof![
            (prop::sample::select(Category::ALL.to_vec()), 0u16..1000)
                .prop_map(|(c, n)| StrategyKey::BuiltIn(c, n)),
            (0i64..i64::MAX).prop_map(StrategyKey::Shared),
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
