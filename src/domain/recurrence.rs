//! How a meeting repeats. The rule lives in the meeting's own zone as a local
//! wall-clock time plus an RFC 5545 RRULE; the rrule crate expands it over
//! wall-clock times and each one is then placed in the zone by
//! [`resolve_local`], so "Tuesdays 19:00 America/New_York" stays at 19:00
//! local across daylight-saving changes.

use std::collections::BTreeSet;
use std::fmt;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, Utc, Weekday};
use chrono_tz::Tz;

use super::when::{LocalAdjustment, resolve_local};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Repeat {
    None,
    Daily,
    Weekdays,
    Weekly,
    Biweekly,
    /// The same nth weekday each month ("2nd Tuesday"); a 5th means "last".
    Monthly,
}

impl Repeat {
    pub const ALL: [Repeat; 6] = [
        Self::None,
        Self::Daily,
        Self::Weekdays,
        Self::Weekly,
        Self::Biweekly,
        Self::Monthly,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Daily => "daily",
            Self::Weekdays => "weekdays",
            Self::Weekly => "weekly",
            Self::Biweekly => "biweekly",
            Self::Monthly => "monthly",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// One meeting's schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    pub zone: Tz,
    /// The first occurrence's local wall-clock time; its time of day is kept.
    pub start: NaiveDateTime,
    pub repeat: Repeat,
    /// Local dates skipped (`/meeting cancel id date`).
    pub skips: BTreeSet<NaiveDate>,
}

/// One occurrence of a meeting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Occurrence {
    /// The wall-clock time the rule asks for.
    pub local: NaiveDateTime,
    pub start: DateTime<Utc>,
    pub adjustment: Option<LocalAdjustment>,
}

/// How far the expansion looks past a given instant, so that any occurrence
/// after it is found (covers every zone offset).
const LOOKBACK: Duration = Duration::days(2);
/// A guard against runaway expansion.
const MAX_SCAN: usize = 100_000;

impl Schedule {
    /// The RRULE, without DTSTART; `None` for a one-off meeting.
    pub fn rrule(&self) -> Option<String> {
        Some(match self.repeat {
            Repeat::None => return None,
            Repeat::Daily => "FREQ=DAILY".to_owned(),
            Repeat::Weekdays => "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR".to_owned(),
            Repeat::Weekly => "FREQ=WEEKLY".to_owned(),
            Repeat::Biweekly => "FREQ=WEEKLY;INTERVAL=2".to_owned(),
            Repeat::Monthly => {
                let (nth, day) = nth_weekday(self.start.date());
                let nth = if nth >= 5 { -1 } else { nth as i32 };
                format!("FREQ=MONTHLY;BYDAY={nth}{}", ical_day(day))
            }
        })
    }

    /// The schedule with its start moved to the first time the rule
    /// produces (a "weekdays" series asked to start on a Saturday starts on
    /// Monday), so that DTSTART always matches the rule as RFC 5545 asks.
    pub fn normalized(mut self) -> Self {
        let first = self.local_times_from(self.start).next();
        if let Some(first) = first {
            self.start = first;
        }
        self
    }

    /// Up to `limit` occurrences starting strictly after `after`, skipped
    /// dates left out, in order.
    pub fn occurrences_after(&self, after: DateTime<Utc>, limit: usize) -> Vec<Occurrence> {
        self.occurrences_from(after).take(limit).collect()
    }

    /// The occurrences starting strictly after `after`, skipped dates left
    /// out, in order, computed as they are taken.
    pub fn occurrences_from(&self, after: DateTime<Utc>) -> impl Iterator<Item = Occurrence> + '_ {
        let from = (after.with_timezone(&self.zone).naive_local() - LOOKBACK).max(self.start);
        self.local_times_from(from)
            .take(MAX_SCAN)
            .filter(|local| !self.skips.contains(&local.date()))
            .map(|local| {
                let (start, adjustment) = resolve_local(self.zone, local);
                Occurrence {
                    local,
                    start,
                    adjustment,
                }
            })
            .filter(move |o| o.start > after)
    }

    /// The next occurrence after `after`.
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<Occurrence> {
        self.occurrences_from(after).next()
    }

    /// Whether the rule produces an occurrence on this local date (skipped or not).
    pub fn occurs_on(&self, date: NaiveDate) -> bool {
        let from = date
            .and_hms_opt(0, 0, 0)
            .unwrap_or(self.start)
            .max(self.start);
        self.local_times_from(from)
            .next()
            .is_some_and(|t| t.date() == date)
    }

    /// Wall-clock times the rule produces at or after `from`.
    fn local_times_from(
        &self,
        from: NaiveDateTime,
    ) -> Box<dyn Iterator<Item = NaiveDateTime> + '_> {
        let Some(rule) = self.rrule() else {
            return Box::new((self.start >= from).then_some(self.start).into_iter());
        };
        // Expand over wall-clock times: UTC stands in for "floating" local
        // time, where every wall-clock time exists exactly once.
        let text = format!(
            "DTSTART:{}Z\nRRULE:{rule}",
            self.start.format("%Y%m%dT%H%M%S")
        );
        let Ok(set) = text.parse::<rrule::RRuleSet>() else {
            return Box::new(std::iter::empty());
        };
        let after = (from - Duration::seconds(1))
            .and_utc()
            .with_timezone(&rrule::Tz::UTC);
        Box::new(
            set.after(after)
                .into_iter()
                .map(|t| t.naive_utc())
                .filter(move |t| *t >= from),
        )
    }

    /// The rule in words with the home zone: "every Tuesday at 19:00,
    /// America/New_York time".
    pub fn describe(&self) -> String {
        let time = self.start.format("%H:%M");
        let zone = self.zone.name();
        let day = weekday_name(self.start.weekday());
        match self.repeat {
            Repeat::None => format!(
                "once, on {} at {time}, {zone} time",
                self.start.format("%A %-d %B %Y")
            ),
            Repeat::Daily => format!("every day at {time}, {zone} time"),
            Repeat::Weekdays => format!("every weekday (Monday to Friday) at {time}, {zone} time"),
            Repeat::Weekly => format!("every {day} at {time}, {zone} time"),
            Repeat::Biweekly => format!("every other {day} at {time}, {zone} time"),
            Repeat::Monthly => {
                let (nth, _) = nth_weekday(self.start.date());
                let which = match nth {
                    1 => "first",
                    2 => "second",
                    3 => "third",
                    4 => "fourth",
                    _ => "last",
                };
                format!("on the {which} {day} of every month at {time}, {zone} time")
            }
        }
    }
}

impl fmt::Display for Repeat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which occurrence of its weekday in the month a date is (1..=5).
pub fn nth_weekday(date: NaiveDate) -> (u32, Weekday) {
    ((date.day() - 1) / 7 + 1, date.weekday())
}

fn ical_day(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "MO",
        Weekday::Tue => "TU",
        Weekday::Wed => "WE",
        Weekday::Thu => "TH",
        Weekday::Fri => "FR",
        Weekday::Sat => "SA",
        Weekday::Sun => "SU",
    }
}

fn weekday_name(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "Monday",
        Weekday::Tue => "Tuesday",
        Weekday::Wed => "Wednesday",
        Weekday::Thu => "Thursday",
        Weekday::Fri => "Friday",
        Weekday::Sat => "Saturday",
        Weekday::Sun => "Sunday",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn local(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(h, min, 0)
            .unwrap()
    }

    fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
    }

    fn schedule(zone: Tz, start: NaiveDateTime, repeat: Repeat) -> Schedule {
        Schedule {
            zone,
            start,
            repeat,
            skips: BTreeSet::new(),
        }
    }

    #[test]
    fn weekly_new_york_keeps_its_wall_clock_across_dst() {
        let s = schedule(
            Tz::America__New_York,
            local(2027, 3, 9, 19, 0),
            Repeat::Weekly,
        );
        let starts: Vec<_> = s
            .occurrences_after(utc(2027, 3, 1, 0, 0), 3)
            .iter()
            .map(|o| o.start)
            .collect();
        assert_eq!(
            starts,
            [
                utc(2027, 3, 10, 0, 0),
                utc(2027, 3, 16, 23, 0),
                utc(2027, 3, 23, 23, 0)
            ]
        );
        assert_eq!(s.rrule().as_deref(), Some("FREQ=WEEKLY"));
        assert_eq!(
            s.describe(),
            "every Tuesday at 19:00, America/New_York time"
        );
    }

    #[test]
    fn london_around_the_end_of_summer_time() {
        // Clocks go back on Sunday 31 October 2027.
        let s = schedule(
            Tz::Europe__London,
            local(2027, 10, 29, 18, 30),
            Repeat::Daily,
        );
        let starts: Vec<_> = s
            .occurrences_after(utc(2027, 10, 29, 0, 0), 4)
            .iter()
            .map(|o| o.start)
            .collect();
        assert_eq!(
            starts,
            [
                utc(2027, 10, 29, 17, 30),
                utc(2027, 10, 30, 17, 30),
                utc(2027, 10, 31, 18, 30),
                utc(2027, 11, 1, 18, 30)
            ]
        );
        // 01:30 on the 31st happens twice: the first is taken, and said so.
        let s = schedule(
            Tz::Europe__London,
            local(2027, 10, 30, 1, 30),
            Repeat::Daily,
        );
        let o = s.occurrences_after(utc(2027, 10, 30, 0, 0), 3);
        assert_eq!(o[1].start, utc(2027, 10, 31, 0, 30));
        assert!(matches!(
            o[1].adjustment,
            Some(LocalAdjustment::Ambiguous { .. })
        ));
        assert_eq!(o[2].start, utc(2027, 11, 1, 1, 30));
    }

    #[test]
    fn lord_howe_half_hour_shift() {
        // Lord Howe moves from +10:30 to +11 on Sunday 3 October 2027 at 02:00.
        let s = schedule(
            Tz::Australia__Lord_Howe,
            local(2027, 10, 1, 9, 0),
            Repeat::Daily,
        );
        let o = s.occurrences_after(utc(2027, 9, 30, 0, 0), 4);
        let offsets: Vec<i64> = o
            .iter()
            .map(|o| (o.local.and_utc() - o.start).num_minutes())
            .collect();
        assert_eq!(offsets, [630, 630, 660, 660]);
        assert!(
            o.iter()
                .all(|o| o.local.format("%H:%M").to_string() == "09:00")
        );
    }

    #[test]
    fn a_zone_without_dst_is_steady() {
        let s = schedule(Tz::Asia__Tokyo, local(2027, 3, 1, 20, 0), Repeat::Weekly);
        let o = s.occurrences_after(utc(2027, 1, 1, 0, 0), 60);
        assert!(
            o.iter()
                .all(|o| o.start.format("%H:%M").to_string() == "11:00")
        );
    }

    #[test]
    fn the_gap_time_moves_forward_and_only_that_day() {
        let s = schedule(
            Tz::America__New_York,
            local(2027, 3, 12, 2, 30),
            Repeat::Daily,
        );
        let o = s.occurrences_after(utc(2027, 3, 12, 0, 0), 4);
        let shown: Vec<String> = o
            .iter()
            .map(|o| {
                o.start
                    .with_timezone(&Tz::America__New_York)
                    .format("%d %H:%M")
                    .to_string()
            })
            .collect();
        assert_eq!(shown, ["12 02:30", "13 02:30", "14 03:30", "15 02:30"]);
        assert!(matches!(o[2].adjustment, Some(LocalAdjustment::Gap { .. })));
    }

    #[test]
    fn every_rule_and_its_rrule() {
        let start = local(2027, 3, 9, 19, 0); // the second Tuesday
        let rule = |r| schedule(Tz::UTC, start, r).rrule();
        assert_eq!(rule(Repeat::None), None);
        assert_eq!(rule(Repeat::Daily).as_deref(), Some("FREQ=DAILY"));
        assert_eq!(
            rule(Repeat::Weekdays).as_deref(),
            Some("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR")
        );
        assert_eq!(
            rule(Repeat::Biweekly).as_deref(),
            Some("FREQ=WEEKLY;INTERVAL=2")
        );
        assert_eq!(
            rule(Repeat::Monthly).as_deref(),
            Some("FREQ=MONTHLY;BYDAY=2TU")
        );
        let fifth = schedule(Tz::UTC, local(2027, 3, 30, 19, 0), Repeat::Monthly);
        assert_eq!(fifth.rrule().as_deref(), Some("FREQ=MONTHLY;BYDAY=-1TU"));
        assert_eq!(
            fifth.describe(),
            "on the last Tuesday of every month at 19:00, UTC time"
        );
        let o = fifth.occurrences_after(utc(2027, 3, 1, 0, 0), 3);
        let dates: Vec<String> = o
            .iter()
            .map(|o| o.local.format("%m-%d").to_string())
            .collect();
        assert_eq!(dates, ["03-30", "04-27", "05-25"]);
    }

    #[test]
    fn weekdays_skip_weekends_and_normalize_their_start() {
        let s = schedule(Tz::UTC, local(2027, 3, 13, 9, 0), Repeat::Weekdays).normalized(); // a Saturday
        assert_eq!(s.start, local(2027, 3, 15, 9, 0));
        let o = s.occurrences_after(utc(2027, 3, 1, 0, 0), 6);
        let days: Vec<String> = o.iter().map(|o| o.local.format("%a").to_string()).collect();
        assert_eq!(days, ["Mon", "Tue", "Wed", "Thu", "Fri", "Mon"]);
    }

    #[test]
    fn skipped_dates_are_left_out() {
        let mut s = schedule(Tz::UTC, local(2027, 3, 9, 19, 0), Repeat::Weekly);
        s.skips
            .insert(NaiveDate::from_ymd_opt(2027, 3, 16).unwrap());
        assert!(s.occurs_on(NaiveDate::from_ymd_opt(2027, 3, 16).unwrap()));
        assert!(!s.occurs_on(NaiveDate::from_ymd_opt(2027, 3, 17).unwrap()));
        let o = s.occurrences_after(utc(2027, 3, 1, 0, 0), 2);
        assert_eq!(o[1].local, local(2027, 3, 23, 19, 0));
    }

    #[test]
    fn a_one_off_meeting_happens_once() {
        let s = schedule(Tz::UTC, local(2027, 3, 9, 19, 0), Repeat::None);
        assert_eq!(s.occurrences_after(utc(2027, 3, 1, 0, 0), 5).len(), 1);
        assert!(s.next_after(utc(2027, 3, 9, 19, 0)).is_none());
    }
}
