//! Reading a meeting time as a member types it, in a given zone, and turning
//! local wall-clock times into instants by RFC 5545's rules: a time that does
//! not exist (the spring-forward gap) moves forward by the gap, an ambiguous
//! one (fall-back) takes the first instant.

use std::fmt;

use chrono::{DateTime, Duration, LocalResult, NaiveDateTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;

/// The longest input worth reading.
const MAX_INPUT: usize = 100;
/// Nothing is scheduled further ahead than this.
pub const MAX_AHEAD_DAYS: i64 = 5 * 366;

/// What happened to a local time that could not be used as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocalAdjustment {
    /// The time falls in a daylight-saving gap and was moved forward.
    Gap {
        requested: NaiveDateTime,
        actual: NaiveDateTime,
    },
    /// The time happens twice (clocks going back); the first was taken.
    Ambiguous { requested: NaiveDateTime },
}

/// The instant a local wall-clock time in `tz` stands for.
pub fn resolve_local(tz: Tz, local: NaiveDateTime) -> (DateTime<Utc>, Option<LocalAdjustment>) {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => (t.to_utc(), None),
        LocalResult::Ambiguous(a, b) => (
            a.min(b).to_utc(),
            Some(LocalAdjustment::Ambiguous { requested: local }),
        ),
        LocalResult::None => {
            // Read the time with the offset in force before the gap: the
            // result lies just after it, shifted by the gap's length.
            let before = tz
                .offset_from_local_datetime(&(local - Duration::hours(48)))
                .earliest()
                .map(|o| o.fix())
                .unwrap_or_else(|| tz.offset_from_utc_datetime(&local).fix());
            let instant =
                (local - Duration::seconds(i64::from(before.local_minus_utc()))).and_utc();
            let actual = instant.with_timezone(&tz).naive_local();
            (
                instant,
                Some(LocalAdjustment::Gap {
                    requested: local,
                    actual,
                }),
            )
        }
    }
}

/// A time read from what a member typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParsedWhen {
    /// The wall-clock time in the zone it was read in.
    pub local: NaiveDateTime,
    pub instant: DateTime<Utc>,
    pub adjustment: Option<LocalAdjustment>,
}

/// Why a time could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WhenError {
    /// Not a time Haven can read (including impossible dates like 2027-02-30).
    Unreadable,
    /// A time that has already passed.
    InPast,
    /// Further ahead than Haven schedules.
    TooFar,
}

impl fmt::Display for WhenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Unreadable => "unreadable time",
            Self::InPast => "time in the past",
            Self::TooFar => "time too far ahead",
        })
    }
}

impl std::error::Error for WhenError {}

/// The forms Haven reads, for help texts.
pub const EXAMPLES: &[&str] = &[
    "2027-03-09 19:00",
    "19:00",
    "7pm",
    "tuesday 19:00",
    "tomorrow 7:30pm",
    "in 2 hours",
];

/// Reads `input` as a time in `tz`, relative to `now`. A bare time (`19:00`,
/// `7pm`) or a weekday (`tuesday 19:00`) means the next such time.
pub fn parse_when(input: &str, tz: Tz, now: DateTime<Utc>) -> Result<ParsedWhen, WhenError> {
    let text = input.trim().to_lowercase();
    if text.is_empty() || text.chars().count() > MAX_INPUT {
        return Err(WhenError::Unreadable);
    }

    if let Some(span) = text.strip_prefix("in ") {
        let compact: String = span
            .split_whitespace()
            .collect::<Vec<_>>()
            .join("")
            .replace("and", "")
            .replace(',', "");
        let span = humantime::parse_duration(&compact).map_err(|_| WhenError::Unreadable)?;
        let span = Duration::from_std(span).map_err(|_| WhenError::TooFar)?;
        if span <= Duration::zero() {
            return Err(WhenError::InPast);
        }
        if span > Duration::days(MAX_AHEAD_DAYS) {
            return Err(WhenError::TooFar);
        }
        let instant = now + span;
        return Ok(ParsedWhen {
            local: instant.with_timezone(&tz).naive_local(),
            instant,
            adjustment: None,
        });
    }

    // interim reads relative to "now"; give it the local wall clock dressed
    // as UTC so that the result is a plain wall-clock time in `tz`.
    let local_now = now.with_timezone(&tz).naive_local();
    let floating_now = local_now.and_utc();
    let parsed = interim::parse_date_string(&text, floating_now, interim::Dialect::Us)
        .map_err(|_| WhenError::Unreadable)?;
    let mut local = parsed.naive_utc();

    if local <= local_now {
        if is_bare_time(&text) {
            local += Duration::days(1);
        } else if starts_with_weekday(&text) {
            local += Duration::days(7);
        }
    }
    if local - local_now > Duration::days(MAX_AHEAD_DAYS) {
        return Err(WhenError::TooFar);
    }
    let (instant, adjustment) = resolve_local(tz, local);
    if instant <= now {
        return Err(WhenError::InPast);
    }
    Ok(ParsedWhen {
        local,
        instant,
        adjustment,
    })
}

fn is_bare_time(text: &str) -> bool {
    let stripped = text.replace("am", "").replace("pm", "");
    !stripped.trim().is_empty()
        && stripped
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ':' | '.' | ' '))
}

fn starts_with_weekday(text: &str) -> bool {
    let first = text.split_whitespace().next().unwrap_or_default();
    let first = first.strip_prefix("next").unwrap_or(first);
    ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        .iter()
        .any(|d| first.starts_with(d))
        || text.starts_with("next ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(h, min, 0)
            .unwrap()
    }

    // Tuesday 9 March 2027, 12:00 in New York (17:00 UTC).
    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2027, 3, 9, 17, 0, 0).unwrap()
    }

    const NY: Tz = Tz::America__New_York;

    #[test]
    fn reads_every_documented_form() {
        let local = |s: &str| {
            parse_when(s, NY, now())
                .unwrap_or_else(|e| panic!("{s}: {e}"))
                .local
        };
        assert_eq!(local("2027-03-09 19:00"), at(2027, 3, 9, 19, 0));
        assert_eq!(local("19:00"), at(2027, 3, 9, 19, 0));
        assert_eq!(local("7pm"), at(2027, 3, 9, 19, 0));
        assert_eq!(local("tuesday 19:00"), at(2027, 3, 9, 19, 0));
        assert_eq!(local("tomorrow 7:30pm"), at(2027, 3, 10, 19, 30));
        assert_eq!(local("in 2 hours"), at(2027, 3, 9, 14, 0));
        assert_eq!(local("in 90 minutes"), at(2027, 3, 9, 13, 30));
        for example in EXAMPLES {
            assert!(parse_when(example, NY, now()).is_ok(), "{example}");
        }
    }

    #[test]
    fn a_bare_time_that_passed_means_tomorrow() {
        let p = parse_when("9:00", NY, now()).unwrap();
        assert_eq!(p.local, at(2027, 3, 10, 9, 0));
        let p = parse_when("11am", NY, now()).unwrap();
        assert_eq!(p.local, at(2027, 3, 10, 11, 0));
    }

    #[test]
    fn a_weekday_that_passed_means_next_week() {
        let p = parse_when("tuesday 9:00", NY, now()).unwrap();
        assert_eq!(p.local, at(2027, 3, 16, 9, 0));
    }

    #[test]
    fn refuses_impossible_past_and_unreadable_times() {
        for bad in [
            "25:99",
            "2027-02-30 19:00",
            "someday",
            "",
            "in a while",
            "💥",
            &"9".repeat(500),
        ] {
            assert_eq!(
                parse_when(bad, NY, now()),
                Err(WhenError::Unreadable),
                "{bad}"
            );
        }
        assert_eq!(
            parse_when("2027-03-01 19:00", NY, now()),
            Err(WhenError::InPast)
        );
        assert_eq!(
            parse_when("2040-01-01 19:00", NY, now()),
            Err(WhenError::TooFar)
        );
    }

    #[test]
    fn instants_follow_the_zone() {
        let p = parse_when("2027-03-09 19:00", NY, now()).unwrap();
        assert_eq!(
            p.instant,
            Utc.with_ymd_and_hms(2027, 3, 10, 0, 0, 0).unwrap()
        );
        let p = parse_when("2027-03-09 19:00", Tz::Europe__Berlin, now()).unwrap();
        assert_eq!(
            p.instant,
            Utc.with_ymd_and_hms(2027, 3, 9, 18, 0, 0).unwrap()
        );
    }

    #[test]
    fn a_gap_time_moves_forward_by_the_gap() {
        let (instant, adj) = resolve_local(NY, at(2027, 3, 14, 2, 30));
        assert_eq!(
            instant,
            Utc.with_ymd_and_hms(2027, 3, 14, 7, 30, 0).unwrap()
        );
        assert_eq!(
            adj,
            Some(LocalAdjustment::Gap {
                requested: at(2027, 3, 14, 2, 30),
                actual: at(2027, 3, 14, 3, 30)
            })
        );
        // Lord Howe's gap is half an hour.
        let (_, adj) = resolve_local(Tz::Australia__Lord_Howe, at(2027, 10, 3, 2, 15));
        assert_eq!(
            adj,
            Some(LocalAdjustment::Gap {
                requested: at(2027, 10, 3, 2, 15),
                actual: at(2027, 10, 3, 2, 45)
            })
        );
    }

    #[test]
    fn an_ambiguous_time_takes_the_first_instant() {
        let (instant, adj) = resolve_local(NY, at(2027, 11, 7, 1, 30));
        assert_eq!(
            instant,
            Utc.with_ymd_and_hms(2027, 11, 7, 5, 30, 0).unwrap()
        );
        assert_eq!(
            adj,
            Some(LocalAdjustment::Ambiguous {
                requested: at(2027, 11, 7, 1, 30)
            })
        );
        let (_, adj) = resolve_local(Tz::Asia__Tokyo, at(2027, 11, 7, 1, 30));
        assert_eq!(adj, None, "no DST in Tokyo");
    }
}
