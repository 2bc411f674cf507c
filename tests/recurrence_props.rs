//! Property tests: for random zones, dates across 2026-2030 and every
//! recurrence, occurrences keep their wall-clock time (or follow the gap and
//! overlap rules), strictly increase, and none is skipped or doubled.

use std::collections::BTreeSet;

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, TimeZone, Weekday};
use chrono_tz::{TZ_VARIANTS, Tz};
use haven::domain::recurrence::{Repeat, Schedule, nth_weekday};
use haven::domain::when::LocalAdjustment;
use proptest::prelude::*;

fn expected_next(repeat: Repeat, date: NaiveDate, start: NaiveDate) -> NaiveDate {
    match repeat {
        Repeat::None => unreachable!(),
        Repeat::Daily => date + Duration::days(1),
        Repeat::Weekly => date + Duration::days(7),
        Repeat::Biweekly => date + Duration::days(14),
        Repeat::Weekdays => {
            let mut d = date + Duration::days(1);
            while matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
                d += Duration::days(1);
            }
            d
        }
        Repeat::Monthly => {
            let (nth, day) = nth_weekday(start);
            let (y, m) = if date.month() == 12 {
                (date.year() + 1, 1)
            } else {
                (date.year(), date.month() + 1)
            };
            if nth >= 5 {
                // The last such weekday of the month.
                let mut d = NaiveDate::from_ymd_opt(y, m, 1).unwrap() + Duration::days(40);
                d = NaiveDate::from_ymd_opt(d.year(), d.month(), 1).unwrap() - Duration::days(1);
                while d.weekday() != day {
                    d -= Duration::days(1);
                }
                d
            } else {
                NaiveDate::from_weekday_of_month_opt(y, m, day, nth as u8).unwrap()
            }
        }
    }
}

fn repeats() -> impl Strategy<Value = Repeat> {
    prop::sample::select(vec![
        Repeat::Daily,
        Repeat::Weekdays,
        Repeat::Weekly,
        Repeat::Biweekly,
        Repeat::Monthly,
    ])
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn occurrences_keep_wall_clock_and_never_skip_or_double(
        zone_index in 0..TZ_VARIANTS.len(),
        day in 0i64..(5 * 365),
        quarter_hours in 0u32..96,
        repeat in repeats(),
    ) {
        let zone: Tz = TZ_VARIANTS[zone_index];
        let date = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap() + Duration::days(day);
        let start: NaiveDateTime = date.and_hms_opt(quarter_hours / 4, (quarter_hours % 4) * 15, 0).unwrap();
        let schedule = Schedule { zone, start, repeat, skips: BTreeSet::new() }.normalized();
        let from = chrono::Utc.from_utc_datetime(&(schedule.start - Duration::days(3)));
        let occurrences = schedule.occurrences_after(from, 40);
        prop_assert_eq!(occurrences.len(), 40);
        prop_assert_eq!(occurrences[0].local, schedule.start);

        for pair in occurrences.windows(2) {
            prop_assert!(pair[0].start < pair[1].start, "strictly increasing: {:?}", pair);
            prop_assert_eq!(pair[1].local.date(), expected_next(repeat, pair[0].local.date(), schedule.start.date()));
        }
        for o in &occurrences {
            prop_assert_eq!(o.local.time(), schedule.start.time(), "the rule keeps its time of day");
            let shown = o.start.with_timezone(&zone).naive_local();
            match o.adjustment {
                None => prop_assert_eq!(shown, o.local),
                Some(LocalAdjustment::Gap { requested, actual }) => {
                    prop_assert_eq!(requested, o.local);
                    prop_assert_eq!(actual, shown);
                    prop_assert!(actual > requested && actual - requested <= Duration::hours(24));
                    prop_assert!(zone.from_local_datetime(&requested).single().is_none() && zone.from_local_datetime(&requested).earliest().is_none());
                }
                Some(LocalAdjustment::Ambiguous { requested }) => {
                    prop_assert_eq!(shown, requested);
                    let first = zone.from_local_datetime(&requested).earliest().unwrap();
                    prop_assert_eq!(first.to_utc(), o.start, "the first instant is taken");
                }
            }
        }
    }

    #[test]
    fn a_later_window_continues_the_same_series(
        zone_index in 0..TZ_VARIANTS.len(),
        day in 0i64..(4 * 365),
        repeat in repeats(),
        skip in 0usize..30,
    ) {
        let zone: Tz = TZ_VARIANTS[zone_index];
        let start = (NaiveDate::from_ymd_opt(2026, 1, 1).unwrap() + Duration::days(day)).and_hms_opt(19, 0, 0).unwrap();
        let schedule = Schedule { zone, start, repeat, skips: BTreeSet::new() }.normalized();
        let from = chrono::Utc.from_utc_datetime(&(schedule.start - Duration::days(3)));
        let all = schedule.occurrences_after(from, 40);
        let later = schedule.occurrences_after(all[skip].start, 5);
        prop_assert_eq!(&later[..], &all[skip + 1..skip + 6]);
    }
}
