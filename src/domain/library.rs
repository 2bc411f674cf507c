//! The built-in library of discussion prompts and coping strategies, written
//! by this project and embedded at build time from `data/prompts.json` and
//! `data/strategies.json`, and the rules every entry (built-in or a group's
//! own) must follow: length, a public-health source for strategies, and
//! safe-messaging wording.

use std::collections::HashSet;
use std::fmt;
use std::sync::LazyLock;

use serde::Deserialize;

/// The categories of prompts and strategies (the choices of every
/// `category` option).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    Stress,
    Anxiety,
    LowMood,
    Grief,
    Recovery,
    ChronicIllness,
    Work,
    Sleep,
    Connection,
    SelfCompassion,
    Gratitude,
    Boundaries,
    Grounding,
}

impl Category {
    pub const ALL: [Category; 13] = [
        Self::Stress,
        Self::Anxiety,
        Self::LowMood,
        Self::Grief,
        Self::Recovery,
        Self::ChronicIllness,
        Self::Work,
        Self::Sleep,
        Self::Connection,
        Self::SelfCompassion,
        Self::Gratitude,
        Self::Boundaries,
        Self::Grounding,
    ];

    /// A category, or "all" for none: the key of a pool of prompts and of
    /// a browsing filter.
    pub fn key_or_all(category: Option<Self>) -> &'static str {
        category.map_or("all", Self::as_str)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Stress => "stress",
            Self::Anxiety => "anxiety",
            Self::LowMood => "low-mood",
            Self::Grief => "grief",
            Self::Recovery => "recovery",
            Self::ChronicIllness => "chronic-illness",
            Self::Work => "work",
            Self::Sleep => "sleep",
            Self::Connection => "connection",
            Self::SelfCompassion => "self-compassion",
            Self::Gratitude => "gratitude",
            Self::Boundaries => "boundaries",
            Self::Grounding => "grounding",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// "Low mood", "Self-compassion": for headings.
    pub fn label(self) -> &'static str {
        match self {
            Self::Stress => "Stress",
            Self::Anxiety => "Anxiety",
            Self::LowMood => "Low mood",
            Self::Grief => "Grief",
            Self::Recovery => "Recovery",
            Self::ChronicIllness => "Chronic illness",
            Self::Work => "Work",
            Self::Sleep => "Sleep",
            Self::Connection => "Connection",
            Self::SelfCompassion => "Self-compassion",
            Self::Gratitude => "Gratitude",
            Self::Boundaries => "Boundaries",
            Self::Grounding => "Grounding",
        }
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// A built-in discussion prompt.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Prompt {
    pub id: String,
    pub category: Category,
    pub text: String,
}

/// A built-in coping strategy with the public-health page it comes from.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Strategy {
    pub id: String,
    pub category: Category,
    pub title: String,
    pub text: String,
    pub source: String,
    pub source_name: String,
    pub reviewed_on: String,
}

/// The longest prompt, built-in or a group's own.
pub const MAX_PROMPT: usize = 300;
/// The longest strategy text, built-in or shared by a member.
pub const MAX_STRATEGY: usize = 500;
pub const MAX_TITLE: usize = 60;

static PROMPTS: LazyLock<Vec<Prompt>> = LazyLock::new(|| {
    serde_json::from_str(include_str!("../../data/prompts.json")).unwrap_or_else(|e| {
        tracing::error!(error = %e, "the built-in prompts cannot be read");
        Vec::new()
    })
});

static STRATEGIES: LazyLock<Vec<Strategy>> = LazyLock::new(|| {
    serde_json::from_str(include_str!("../../data/strategies.json")).unwrap_or_else(|e| {
        tracing::error!(error = %e, "the built-in strategies cannot be read");
        Vec::new()
    })
});

pub fn prompts() -> &'static [Prompt] {
    &PROMPTS
}

pub fn strategies() -> &'static [Strategy] {
    &STRATEGIES
}

pub fn prompt(id: &str) -> Option<&'static Prompt> {
    PROMPTS.iter().find(|p| p.id == id)
}

pub fn strategy(id: &str) -> Option<&'static Strategy> {
    STRATEGIES.iter().find(|s| s.id == id)
}

/// Words and phrases no entry may contain (safe-messaging guidance: no
/// dismissive positivity, person-first language about addiction, nothing
/// about suicide methods). Single words match whole words only.
pub const NEVER: &[&str] = &[
    "addict",
    "addicts",
    "alcoholic",
    "alcoholics",
    "junkie",
    "junkies",
    "abuser",
    "abusers",
    "committed suicide",
    "commit suicide",
    "commits suicide",
    "substance abuse",
    "drug abuse",
    "everything happens for a reason",
    "time heals",
    "just think positive",
    "stay positive",
    "cheer up",
    "man up",
    "get over it",
    "look on the bright side",
    "others have it worse",
];

/// The first phrase of [`NEVER`] that `text` contains, if any.
pub fn unsafe_phrase(text: &str) -> Option<&'static str> {
    let lower = text.to_lowercase();
    // Apostrophes split words too, so "addict's" is caught as "addict".
    let words: Vec<&str> = super::text::words(&lower).collect();
    NEVER.iter().copied().find(|phrase| {
        if phrase.contains(' ') {
            // Phrases match across any spacing and punctuation.
            let parts: Vec<&str> = phrase.split(' ').collect();
            words.windows(parts.len()).any(|w| w == parts.as_slice())
        } else {
            words.contains(phrase)
        }
    })
}

/// The words of a search (lowercase, letters and digits only, at most 8).
pub fn search_words(query: &str) -> Vec<String> {
    super::text::words(&query.to_lowercase())
        .take(8)
        .map(str::to_owned)
        .collect()
}

/// Whether `text` contains every word (as a part of a word: "breath"
/// finds "breathing").
pub fn matches_words(text: &str, words: &[String]) -> bool {
    let lower = text.to_lowercase();
    words.iter().all(|w| lower.contains(w.as_str()))
}

/// Why a text a member or facilitator wrote cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TextProblem {
    Empty,
    TooLong {
        max: usize,
        len: usize,
    },
    /// It pings people (`@everyone`, `@here`, a member or role mention).
    Mentions,
    Unsafe(&'static str),
}

/// Checks a prompt or strategy a member or facilitator wrote: trimmed, not
/// empty, at most `max` characters, no pings, no wording the library itself
/// may not use. Returns the text as it will be kept.
pub fn check_text(text: &str, max: usize) -> Result<String, TextProblem> {
    let cleaned: String = text
        .trim()
        .chars()
        .filter(|c| !c.is_control() || *c == '\n')
        .collect();
    if cleaned.is_empty() {
        return Err(TextProblem::Empty);
    }
    let len = cleaned.chars().count();
    if len > max {
        return Err(TextProblem::TooLong { max, len });
    }
    let lower = cleaned.to_lowercase();
    if lower.contains("@everyone") || lower.contains("@here") || cleaned.contains("<@") {
        return Err(TextProblem::Mentions);
    }
    if let Some(phrase) = unsafe_phrase(&cleaned) {
        return Err(TextProblem::Unsafe(phrase));
    }
    Ok(cleaned)
}

/// Whether `id` is `<category>-<nn>` exactly as buttons write it back.
fn id_is_canonical(id: &str, category: Category) -> bool {
    id.rsplit_once('-')
        .and_then(|(c, n)| Some((c, n.parse::<u16>().ok()?)))
        .is_some_and(|(c, n)| c == category.as_str() && id == format!("{c}-{n:02}"))
}

/// A built-in entry's number within its category (`grief-07` is 7).
pub fn number_of(id: &str) -> Option<u16> {
    id.rsplit_once('-')?.1.parse().ok()
}

/// Everything wrong with the built-in library (empty when it is sound).
pub fn problems() -> Vec<String> {
    let mut out = Vec::new();
    let mut ids = HashSet::new();
    let mut texts = HashSet::new();
    if prompts().len() < 150 {
        out.push(format!("only {} prompts", prompts().len()));
    }
    if strategies().len() < 80 {
        out.push(format!("only {} strategies", strategies().len()));
    }
    for c in Category::ALL {
        let p = prompts().iter().filter(|p| p.category == c).count();
        let s = strategies().iter().filter(|s| s.category == c).count();
        if p < 8 {
            out.push(format!("{c}: only {p} prompts"));
        }
        if s < 5 {
            out.push(format!("{c}: only {s} strategies"));
        }
    }
    for p in prompts() {
        if !ids.insert(p.id.clone()) {
            out.push(format!("{}: the id is used twice", p.id));
        }
        if !texts.insert(p.text.to_lowercase()) {
            out.push(format!("{}: the text is used twice", p.id));
        }
        if !id_is_canonical(&p.id, p.category) {
            out.push(format!("{}: the id is not <category>-<nn>", p.id));
        }
        if let Err(e) = check_text(&p.text, MAX_PROMPT) {
            out.push(format!("{}: {e:?}", p.id));
        }
        if !p.text.trim_end().ends_with('?') {
            out.push(format!("{}: a prompt is a question", p.id));
        }
    }
    let mut ids = HashSet::new();
    for s in strategies() {
        if !ids.insert(s.id.clone()) {
            out.push(format!("{}: the id is used twice", s.id));
        }
        if !texts.insert(s.text.to_lowercase()) || !texts.insert(s.title.to_lowercase()) {
            out.push(format!("{}: the title or text is used twice", s.id));
        }
        if !id_is_canonical(&s.id, s.category) {
            out.push(format!("{}: the id is not <category>-<nn>", s.id));
        }
        if let Err(e) = check_text(&s.text, MAX_STRATEGY) {
            out.push(format!("{}: {e:?}", s.id));
        }
        if let Err(e) = check_text(&s.title, MAX_TITLE) {
            out.push(format!("{}: title {e:?}", s.id));
        }
        match url::Url::parse(&s.source) {
            Ok(u) if u.scheme() == "https" && u.host_str().is_some() => {}
            _ => out.push(format!("{}: the source is not an https link", s.id)),
        }
        if s.source_name.trim().is_empty() {
            out.push(format!("{}: the source has no name", s.id));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_library_is_sound() {
        let problems = problems();
        assert!(problems.is_empty(), "{problems:#?}");
    }

    #[test]
    fn categories_round_trip() {
        for c in Category::ALL {
            assert_eq!(Category::parse(c.as_str()), Some(c));
        }
        assert_eq!(Category::parse("Stress"), None);
    }

    #[test]
    fn unsafe_wording_is_caught_as_words_not_letters() {
        assert_eq!(unsafe_phrase("He is an addict."), Some("addict"));
        assert_eq!(unsafe_phrase("an addict's story"), Some("addict"));
        assert_eq!(unsafe_phrase("Drug  abuse"), Some("drug abuse"));
        assert_eq!(unsafe_phrase("Just... CHEER   up!"), Some("cheer up"));
        assert_eq!(unsafe_phrase("Time heals"), Some("time heals"));
        assert_eq!(unsafe_phrase("addiction recovery is a path"), None);
        assert_eq!(unsafe_phrase("a person in recovery"), None);
    }

    #[test]
    fn members_texts_are_checked() {
        assert_eq!(check_text("   ", 300), Err(TextProblem::Empty));
        assert_eq!(
            check_text(&"x".repeat(301), 300),
            Err(TextProblem::TooLong { max: 300, len: 301 })
        );
        assert_eq!(check_text("hi @everyone", 300), Err(TextProblem::Mentions));
        assert_eq!(check_text("ping <@123>", 300), Err(TextProblem::Mentions));
        assert_eq!(
            check_text("Stay positive!", 300),
            Err(TextProblem::Unsafe("stay positive"))
        );
        assert_eq!(
            check_text("  What helped?\u{7}  ", 300).as_deref(),
            Ok("What helped?")
        );
    }
}
