//! IANA time zones: reading what a member typed, autocompleting it, and
//! suggesting close names when it is not a zone.

use std::cell::RefCell;
use std::fmt;

use chrono::{DateTime, Utc};
use chrono_tz::{TZ_VARIANTS, Tz};
use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher};

/// Discord shows at most 25 autocomplete choices.
pub const MAX_CHOICES: usize = 25;
/// How many close names an unknown zone is answered with.
pub const MAX_SUGGESTIONS: usize = 3;
/// Below this similarity a zone name is not offered as a suggestion.
const SUGGESTION_THRESHOLD: f64 = 0.75;
/// Nothing longer than this is a zone name; longer input is not searched.
const MAX_INPUT: usize = 64;

/// What a member typed was not a time zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownZone {
    /// What they typed, trimmed and shortened for display.
    pub input: String,
    /// Up to three real zones that look like it, best first.
    pub suggestions: Vec<Tz>,
}

impl fmt::Display for UnknownZone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown time zone {:?}", self.input)
    }
}

impl std::error::Error for UnknownZone {}

/// Reads a zone name the way a member types it: any case, spaces for
/// underscores, surrounding blanks ignored (`europe/berlin`, `America/New York`).
pub fn parse_zone(input: &str) -> Result<Tz, UnknownZone> {
    let normalized = normalize(input);
    if !normalized.is_empty()
        && normalized.len() <= MAX_INPUT
        && let Ok(tz) = Tz::from_str_insensitive(&normalized)
    {
        return Ok(tz);
    }
    Err(UnknownZone {
        input: crate::domain::text::truncate(input.trim(), MAX_INPUT),
        suggestions: suggest(input),
    })
}

/// Autocomplete choices for a partial zone name: case-insensitive, matching any
/// part of the name (`new_y`, `berlin`, `america york`), best first, at most 25.
/// An empty input lists the first zones alphabetically.
pub fn autocomplete(partial: &str) -> Vec<Tz> {
    let query = normalize(partial);
    if query.len() > MAX_INPUT {
        return Vec::new();
    }
    if query.is_empty() {
        return TZ_VARIANTS.iter().copied().take(MAX_CHOICES).collect();
    }
    let pattern = Pattern::parse(&query, CaseMatching::Ignore, Normalization::Smart);
    let mut scored: Vec<(Tz, u32)> = MATCHER.with(|matcher| {
        let mut matcher = matcher.borrow_mut();
        TZ_VARIANTS
            .iter()
            .filter_map(|tz| {
                let mut buf = Vec::new();
                let haystack = nucleo_matcher::Utf32Str::new(tz.name(), &mut buf);
                pattern.score(haystack, &mut matcher).map(|s| (*tz, s))
            })
            .collect()
    });
    scored.sort_by(|(a, sa), (b, sb)| {
        sb.cmp(sa)
            .then_with(|| a.name().len().cmp(&b.name().len()))
            .then_with(|| a.name().cmp(b.name()))
    });
    scored
        .into_iter()
        .take(MAX_CHOICES)
        .map(|(tz, _)| tz)
        .collect()
}

/// Real zones whose names look like `input`, best first, at most three.
pub fn suggest(input: &str) -> Vec<Tz> {
    let query = normalize(input).to_lowercase();
    if query.is_empty() || query.len() > MAX_INPUT {
        return Vec::new();
    }
    let query_tail = last_segment(&query);
    let mut scored: Vec<(Tz, f64)> = TZ_VARIANTS
        .iter()
        .map(|tz| {
            let name = tz.name().to_lowercase();
            let whole = strsim::jaro_winkler(&query, &name);
            let tail = strsim::jaro_winkler(query_tail, last_segment(&name));
            (*tz, whole.max(tail))
        })
        .filter(|(_, score)| *score >= SUGGESTION_THRESHOLD)
        .collect();
    scored.sort_by(|(a, sa), (b, sb)| {
        sb.total_cmp(sa)
            .then_with(|| a.name().len().cmp(&b.name().len()))
            .then_with(|| a.name().cmp(b.name()))
    });
    scored
        .into_iter()
        .take(MAX_SUGGESTIONS)
        .map(|(tz, _)| tz)
        .collect()
}

/// The wall-clock time in `tz` at the instant `now`.
pub fn local_time(tz: Tz, now: DateTime<Utc>) -> DateTime<Tz> {
    now.with_timezone(&tz)
}

/// Which zone a time is read in, first found: an explicit choice, the member's
/// own zone, the server's default, UTC. Says where it came from.
pub fn resolve_zone(
    explicit: Option<Tz>,
    member: Option<Tz>,
    server: Option<Tz>,
) -> (Tz, ZoneSource) {
    match (explicit, member, server) {
        (Some(tz), _, _) => (tz, ZoneSource::Explicit),
        (None, Some(tz), _) => (tz, ZoneSource::Member),
        (None, None, Some(tz)) => (tz, ZoneSource::Server),
        (None, None, None) => (Tz::UTC, ZoneSource::Default),
    }
}

/// Where a zone used for reading a time came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ZoneSource {
    Explicit,
    Member,
    Server,
    Default,
}

thread_local! {
    static MATCHER: RefCell<Matcher> = RefCell::new(Matcher::new(Config::DEFAULT.match_paths()));
}

fn normalize(input: &str) -> String {
    input.split_whitespace().collect::<Vec<_>>().join("_")
}

fn last_segment(name: &str) -> &str {
    name.rsplit('/').next().unwrap_or(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn parses_exact_and_loosely_typed_names() {
        assert_eq!(parse_zone("Europe/Berlin"), Ok(Tz::Europe__Berlin));
        assert_eq!(parse_zone("  europe/berlin "), Ok(Tz::Europe__Berlin));
        assert_eq!(parse_zone("America/New York"), Ok(Tz::America__New_York));
        assert_eq!(parse_zone("utc"), Ok(Tz::UTC));
    }

    #[test]
    fn unknown_zone_comes_with_close_suggestions() {
        let err = parse_zone("Europe/Berln").unwrap_err();
        assert_eq!(err.input, "Europe/Berln");
        assert_eq!(err.suggestions.first(), Some(&Tz::Europe__Berlin));
        assert!(err.suggestions.len() <= MAX_SUGGESTIONS);

        let err = parse_zone("new york").unwrap_err();
        assert!(err.suggestions.contains(&Tz::America__New_York), "{err:?}");
    }

    #[test]
    fn nonsense_gets_no_suggestions_and_no_panic() {
        for input in ["", "   ", "💥💥💥", &"x".repeat(10_000), "../../etc/passwd"] {
            let err = parse_zone(input).unwrap_err();
            assert!(err.input.chars().count() <= MAX_INPUT);
            assert!(err.suggestions.len() <= MAX_SUGGESTIONS);
        }
        assert!(
            parse_zone("qqqqqqqqqqqqqq")
                .unwrap_err()
                .suggestions
                .is_empty()
        );
    }

    #[test]
    fn autocomplete_matches_any_part_case_insensitively() {
        let choices = autocomplete("new_y");
        assert_eq!(choices.first(), Some(&Tz::America__New_York));

        let choices = autocomplete("BERLIN");
        assert_eq!(choices.first(), Some(&Tz::Europe__Berlin));

        let choices = autocomplete("america york");
        assert!(choices.contains(&Tz::America__New_York));
    }

    #[test]
    fn autocomplete_never_offers_more_than_discord_allows() {
        assert_eq!(autocomplete("").len(), MAX_CHOICES);
        assert_eq!(autocomplete("a").len(), MAX_CHOICES);
        assert!(autocomplete("zzzzzzzzzz").is_empty());
        assert!(autocomplete(&"a".repeat(500)).is_empty());
    }

    #[test]
    fn exact_names_rank_first() {
        assert_eq!(
            autocomplete("Europe/London").first(),
            Some(&Tz::Europe__London)
        );
        assert_eq!(autocomplete("utc").first(), Some(&Tz::UTC));
    }

    #[test]
    fn zone_resolution_order() {
        let ny = Some(Tz::America__New_York);
        let berlin = Some(Tz::Europe__Berlin);
        assert_eq!(
            resolve_zone(ny, berlin, None),
            (Tz::America__New_York, ZoneSource::Explicit)
        );
        assert_eq!(
            resolve_zone(None, berlin, ny),
            (Tz::Europe__Berlin, ZoneSource::Member)
        );
        assert_eq!(
            resolve_zone(None, None, ny),
            (Tz::America__New_York, ZoneSource::Server)
        );
        assert_eq!(
            resolve_zone(None, None, None),
            (Tz::UTC, ZoneSource::Default)
        );
    }

    #[test]
    fn local_time_follows_daylight_saving() {
        let summer = Utc.with_ymd_and_hms(2027, 7, 1, 12, 0, 0).unwrap();
        let winter = Utc.with_ymd_and_hms(2027, 1, 1, 12, 0, 0).unwrap();
        assert_eq!(
            local_time(Tz::Europe__Berlin, summer)
                .format("%H:%M")
                .to_string(),
            "14:00"
        );
        assert_eq!(
            local_time(Tz::Europe__Berlin, winter)
                .format("%H:%M")
                .to_string(),
            "13:00"
        );
    }
}
