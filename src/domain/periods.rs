//! Statistics periods, in the server's zone: the calendar week (Monday
//! first), month, quarter or year that contains a given instant.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use chrono_tz::Tz;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PeriodKind {
    Week,
    Month,
    Quarter,
    Year,
}

impl PeriodKind {
    pub const ALL: [PeriodKind; 4] = [Self::Week, Self::Month, Self::Quarter, Self::Year];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Week => "week",
            Self::Month => "month",
            Self::Quarter => "quarter",
            Self::Year => "year",
        }
    }
}

/// One calendar period: its key (`W2027-10`, `M2027-03`, `Q2027-1`, `Y2027`)
/// and its first and last local dates.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Period {
    pub kind: PeriodKind,
    pub key: String,
    pub first: NaiveDate,
    pub last: NaiveDate,
}

/// The local date of `at` in `tz`: the day a check-in counts for.
pub fn local_day(at: DateTime<Utc>, tz: Tz) -> NaiveDate {
    at.with_timezone(&tz).date_naive()
}

/// The period of `kind` that contains the local date `day`.
pub fn period_of(kind: PeriodKind, day: NaiveDate) -> Period {
    let (key, first, last) = match kind {
        PeriodKind::Week => {
            let first = day - Duration::days(i64::from(day.weekday().num_days_from_monday()));
            let iso = day.iso_week();
            (
                format!("W{}-{:02}", iso.year(), iso.week()),
                first,
                first + Duration::days(6),
            )
        }
        PeriodKind::Month => {
            let first = day.with_day(1).unwrap_or(day);
            (
                format!("M{}-{:02}", day.year(), day.month()),
                first,
                end_of_month(first, 1),
            )
        }
        PeriodKind::Quarter => {
            let q = (day.month() - 1) / 3;
            let first = NaiveDate::from_ymd_opt(day.year(), q * 3 + 1, 1).unwrap_or(day);
            (
                format!("Q{}-{}", day.year(), q + 1),
                first,
                end_of_month(first, 3),
            )
        }
        PeriodKind::Year => {
            let first = NaiveDate::from_ymd_opt(day.year(), 1, 1).unwrap_or(day);
            (
                format!("Y{}", day.year()),
                first,
                NaiveDate::from_ymd_opt(day.year(), 12, 31).unwrap_or(day),
            )
        }
    };
    Period {
        kind,
        key,
        first,
        last,
    }
}

/// The period of the same kind just before `period`.
pub fn previous(period: &Period) -> Period {
    period_of(period.kind, period.first - Duration::days(1))
}

/// The period of the same kind just after `period`.
pub fn next(period: &Period) -> Period {
    period_of(period.kind, period.last + Duration::days(1))
}

/// The instant `period` ends in `tz`: the first instant of the local day after
/// its last (a midnight in a spring-forward gap moves to the gap's end).
pub fn closes_at(period: &Period, tz: Tz) -> DateTime<Utc> {
    let after = period.last + Duration::days(1);
    super::when::resolve_local(tz, after.and_time(chrono::NaiveTime::MIN)).0
}

fn end_of_month(first: NaiveDate, months: u32) -> NaiveDate {
    first
        .checked_add_months(chrono::Months::new(months))
        .map(|d| d - Duration::days(1))
        .unwrap_or(first)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn the_day_is_the_servers_day() {
        // 23:30 UTC on 31 December is already New Year in Berlin.
        let at = Utc.with_ymd_and_hms(2026, 12, 31, 23, 30, 0).unwrap();
        assert_eq!(local_day(at, Tz::Europe__Berlin), d(2027, 1, 1));
        assert_eq!(local_day(at, Tz::America__New_York), d(2026, 12, 31));
        assert_eq!(
            period_of(PeriodKind::Year, local_day(at, Tz::Europe__Berlin)).key,
            "Y2027"
        );
    }

    #[test]
    fn calendar_periods() {
        let p = period_of(PeriodKind::Week, d(2027, 3, 10));
        assert_eq!(
            (p.key.as_str(), p.first, p.last),
            ("W2027-10", d(2027, 3, 8), d(2027, 3, 14))
        );
        let p = period_of(PeriodKind::Month, d(2027, 2, 10));
        assert_eq!((p.first, p.last), (d(2027, 2, 1), d(2027, 2, 28)));
        let p = period_of(PeriodKind::Quarter, d(2027, 11, 30));
        assert_eq!(
            (p.key.as_str(), p.first, p.last),
            ("Q2027-4", d(2027, 10, 1), d(2027, 12, 31))
        );
        // ISO week 53 of 2026 runs into January 2027.
        assert_eq!(period_of(PeriodKind::Week, d(2027, 1, 2)).key, "W2026-53");
    }

    #[test]
    fn a_period_closes_at_the_servers_midnight() {
        let p = period_of(PeriodKind::Month, d(2027, 3, 10));
        assert_eq!(
            closes_at(&p, Tz::Europe__Berlin),
            Utc.with_ymd_and_hms(2027, 3, 31, 22, 0, 0).unwrap(),
            "1 April 00:00 in Berlin is summer time already"
        );
        assert_eq!(
            closes_at(&p, Tz::UTC),
            Utc.with_ymd_and_hms(2027, 4, 1, 0, 0, 0).unwrap()
        );
        assert_eq!(previous(&p).key, "M2027-02");
        assert_eq!(next(&p).key, "M2027-04");
        assert_eq!(
            previous(&period_of(PeriodKind::Year, d(2027, 1, 1))).key,
            "Y2026"
        );
    }

    proptest! {
        #[test]
        fn every_day_lies_in_exactly_its_period(days in 0i64..3650, kind in prop::sample::select(PeriodKind::ALL.to_vec())) {
            let day = d(2026, 1, 1) + Duration::days(days);
            let p = period_of(kind, day);
            prop_assert!(p.first <= day && day <= p.last);
            prop_assert_eq!(period_of(kind, p.first).key, p.key.clone());
            prop_assert_eq!(period_of(kind, p.last).key, p.key.clone());
            prop_assert_ne!(period_of(kind, p.last + Duration::days(1)).key, p.key.clone());
            prop_assert_ne!(period_of(kind, p.first - Duration::days(1)).key, p.key.clone());
            // Every instant of the period's last local day is before it closes,
            // and the close itself is on the next period's first day.
            let tz = Tz::America__Santiago;
            let close = closes_at(&p, tz);
            prop_assert_eq!(local_day(close, tz), p.last + Duration::days(1));
            prop_assert_eq!(local_day(close - Duration::seconds(1), tz), p.last);
        }
    }
}
