//! When a scheduled prompt is posted: a local time of day on some days of the
//! week, in the schedule's own zone. Like meetings, it keeps local time
//! across daylight-saving changes (a 09:00 Berlin prompt stays at 09:00
//! Berlin), a time that does not exist that day moves forward by the gap,
//! and one that happens twice takes the first. Each posting is identified by
//! its local date, so a day is posted once.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Utc, Weekday};
use chrono_tz::Tz;

use super::when::resolve_local;

/// On which days a prompt is posted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Days {
    Daily,
    Weekdays,
    Weekly(Weekday),
}

impl Days {
    pub fn includes(self, day: Weekday) -> bool {
        match self {
            Self::Daily => true,
            Self::Weekdays => !matches!(day, Weekday::Sat | Weekday::Sun),
            Self::Weekly(d) => d == day,
        }
    }

    /// The stored form: `daily`, `weekdays`, `mondays` … `sundays`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Daily => "daily",
            Self::Weekdays => "weekdays",
            Self::Weekly(Weekday::Mon) => "mondays",
            Self::Weekly(Weekday::Tue) => "tuesdays",
            Self::Weekly(Weekday::Wed) => "wednesdays",
            Self::Weekly(Weekday::Thu) => "thursdays",
            Self::Weekly(Weekday::Fri) => "fridays",
            Self::Weekly(Weekday::Sat) => "saturdays",
            Self::Weekly(Weekday::Sun) => "sundays",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "daily" => Self::Daily,
            "weekdays" => Self::Weekdays,
            "mondays" => Self::Weekly(Weekday::Mon),
            "tuesdays" => Self::Weekly(Weekday::Tue),
            "wednesdays" => Self::Weekly(Weekday::Wed),
            "thursdays" => Self::Weekly(Weekday::Thu),
            "fridays" => Self::Weekly(Weekday::Fri),
            "saturdays" => Self::Weekly(Weekday::Sat),
            "sundays" => Self::Weekly(Weekday::Sun),
            _ => return None,
        })
    }

    /// "every day", "on weekdays", "on Mondays".
    pub fn describe(self) -> String {
        match self {
            Self::Daily => "every day".into(),
            Self::Weekdays => "on weekdays (Monday to Friday)".into(),
            Self::Weekly(_) => {
                let s = self.as_str();
                format!("on {}{}", s[..1].to_uppercase(), &s[1..])
            }
        }
    }
}

/// A prompt schedule's rule: a local time on some days, in a zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PromptTimes {
    pub zone: Tz,
    pub time: NaiveTime,
    pub days: Days,
}

/// One posting: the local date it is for, and the instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Posting {
    pub date: NaiveDate,
    pub at: DateTime<Utc>,
}

impl PromptTimes {
    /// The first posting strictly after `after` whose local date is later
    /// than `posted` (the last date already posted, if any).
    pub fn next_after(&self, after: DateTime<Utc>, posted: Option<NaiveDate>) -> Option<Posting> {
        let start = after.with_timezone(&self.zone).date_naive() - Duration::days(1);
        (0..=9)
            .map(|i| start + Duration::days(i))
            .filter(|d| self.days.includes(d.weekday()))
            .filter(|d| posted.is_none_or(|p| *d > p))
            .map(|date| Posting {
                date,
                at: resolve_local(self.zone, date.and_time(self.time)).0,
            })
            .find(|p| p.at > after)
    }
}

/// Reads `HH:MM` (24-hour) as typed in `/prompt schedule time:`.
pub fn parse_time(text: &str) -> Option<NaiveTime> {
    let text = text.trim();
    let (h, m) = text.split_once(':')?;
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return None;
    }
    NaiveTime::from_hms_opt(h.parse().ok()?, m.parse().ok()?, 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Offset, TimeZone};
    use proptest::prelude::*;

    fn at(zone: Tz, y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        zone.with_ymd_and_hms(y, m, d, h, min, 0)
            .earliest()
            .unwrap()
            .to_utc()
    }

    #[test]
    fn times_are_read_strictly() {
        assert_eq!(parse_time("09:00"), NaiveTime::from_hms_opt(9, 0, 0));
        assert_eq!(parse_time("9:05"), NaiveTime::from_hms_opt(9, 5, 0));
        for bad in [
            "25:00", "9", "09:60", "9:5", "", "nine", "09:00:00", "-1:00",
        ] {
            assert_eq!(parse_time(bad), None, "{bad}");
        }
    }

    #[test]
    fn nine_in_berlin_stays_nine_in_berlin_across_both_changes() {
        let zone = Tz::Europe__Berlin;
        let t = PromptTimes {
            zone,
            time: NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
            days: Days::Daily,
        };
        // Clocks go forward on Sunday 28 March 2027, back on 31 October.
        for (y, m, d) in [
            (2027, 3, 27),
            (2027, 3, 28),
            (2027, 3, 29),
            (2027, 10, 30),
            (2027, 10, 31),
            (2027, 11, 1),
        ] {
            let before = at(zone, y, m, d, 0, 30);
            let p = t.next_after(before, None).unwrap();
            assert_eq!(p.at, at(zone, y, m, d, 9, 0));
            assert_eq!(p.date, NaiveDate::from_ymd_opt(y, m, d).unwrap());
        }
    }

    #[test]
    fn local_time_holds_across_dst_in_new_york_and_sydney_too() {
        // New York springs forward on 14 March 2027; Sydney falls back on 4
        // April 2027. 09:00 local on the days either side of each change.
        for (zone, days) in [
            (
                Tz::America__New_York,
                [(2027, 3, 13), (2027, 3, 14), (2027, 3, 15)],
            ),
            (
                Tz::Australia__Sydney,
                [(2027, 4, 3), (2027, 4, 4), (2027, 4, 5)],
            ),
        ] {
            let t = PromptTimes {
                zone,
                time: NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
                days: Days::Daily,
            };
            let mut offsets = Vec::new();
            for (y, m, d) in days {
                let p = t.next_after(at(zone, y, m, d, 0, 30), None).unwrap();
                assert_eq!(p.at, at(zone, y, m, d, 9, 0), "{zone}");
                assert_eq!(p.at.with_timezone(&zone).time(), t.time);
                offsets.push(p.at.with_timezone(&zone).offset().fix());
            }
            assert_ne!(
                offsets[0], offsets[2],
                "{zone} changed its clocks in between"
            );
        }
    }

    #[test]
    fn the_same_day_is_never_posted_twice_and_weekly_waits_for_its_day() {
        let zone = Tz::America__New_York;
        let t = PromptTimes {
            zone,
            time: NaiveTime::from_hms_opt(19, 0, 0).unwrap(),
            days: Days::Weekly(Weekday::Tue),
        };
        let tuesday = NaiveDate::from_ymd_opt(2027, 3, 9).unwrap();
        let p = t.next_after(at(zone, 2027, 3, 9, 8, 0), None).unwrap();
        assert_eq!(p.date, tuesday);
        let again = t
            .next_after(at(zone, 2027, 3, 9, 8, 0), Some(tuesday))
            .unwrap();
        assert_eq!(again.date, tuesday + Duration::days(7));
        assert_eq!(again.at, at(zone, 2027, 3, 16, 19, 0));
        let weekdays = PromptTimes {
            days: Days::Weekdays,
            ..t
        };
        let friday = at(zone, 2027, 3, 12, 20, 0);
        assert_eq!(
            weekdays.next_after(friday, None).unwrap().date,
            NaiveDate::from_ymd_opt(2027, 3, 15).unwrap(),
            "Monday"
        );
    }

    proptest! {
        #[test]
        fn postings_keep_local_time_in_any_zone_and_rule(
            zone in prop::sample::select(chrono_tz::TZ_VARIANTS.to_vec()),
            minute in 0u32..1440,
            start in 0i64..1500,
            rule in 0usize..9,
        ) {
            let days = ["daily", "weekdays", "mondays", "tuesdays", "wednesdays", "thursdays", "fridays", "saturdays", "sundays"];
            let t = PromptTimes {
                zone,
                time: NaiveTime::from_hms_opt(minute / 60, minute % 60, 0).unwrap(),
                days: Days::parse(days[rule]).unwrap(),
            };
            let mut after = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap() + Duration::days(start);
            let mut posted = None;
            for _ in 0..20 {
                let p = t.next_after(after, posted).unwrap();
                prop_assert!(p.at > after);
                prop_assert!(posted.is_none_or(|d| p.date > d));
                prop_assert!(t.days.includes(p.date.weekday()));
                let local = p.at.with_timezone(&zone);
                if zone.from_local_datetime(&p.date.and_time(t.time)).single().is_some() {
                    prop_assert_eq!(local.time(), t.time);
                    prop_assert_eq!(local.date_naive(), p.date);
                }
                posted = Some(p.date);
                after = p.at;
            }
        }
    }
}
