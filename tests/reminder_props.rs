//! Property tests of the reminder promise, for random zones, start dates
//! across 2026-2030, every recurrence and random offsets: planning the way
//! the engine does (at creation, then at each occurrence's end) plans every
//! reminder before it is due, exactly once; each is due before its meeting
//! starts; whole days keep the local wall-clock time across DST.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::{TZ_VARIANTS, Tz};
use haven::domain::jobs::JobKind;
use haven::domain::meeting::{Meeting, MeetingId};
use haven::domain::recurrence::{Repeat, Schedule};
use haven::domain::reminders::Offsets;
use haven::domain::{ChannelId, GuildId};
use proptest::prelude::*;

fn meeting(
    zone: Tz,
    start: chrono::NaiveDateTime,
    repeat: Repeat,
    minutes: Vec<i64>,
    duration: i64,
) -> Meeting {
    Meeting {
        id: MeetingId(1),
        guild: GuildId(1),
        channel: ChannelId(2),
        title: "Group".into(),
        schedule: Schedule {
            zone,
            start,
            repeat,
            skips: BTreeSet::new(),
        }
        .normalized(),
        duration: Duration::minutes(duration),
        reminders: Offsets::from_minutes(minutes),
        mention_role: None,
        location: None,
        announcement: None,
        reminders_enabled: true,
        ended: false,
    }
}

fn repeats() -> impl Strategy<Value = Repeat> {
    prop::sample::select(Repeat::ALL.to_vec())
}

/// Offsets as facilitators write them: whole days, hours, minutes, mixes,
/// and `0m`, the post at the start.
fn offsets() -> impl Strategy<Value = Vec<i64>> {
    prop::collection::vec(
        prop_oneof![
            Just(0i64),
            (1i64..=14).prop_map(|d| d * 1440),
            (1i64..=48).prop_map(|h| h * 60),
            1i64..=20_160,
        ],
        1..=5,
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn every_reminder_is_planned_before_it_is_due_exactly_once(
        zone in prop::sample::select(TZ_VARIANTS.to_vec()),
        day in 0i64..1800,
        minute in 0u32..1440,
        created_before in 1i64..20_000,
        repeat in repeats(),
        minutes in offsets(),
        duration in 1i64..=1440,
    ) {
        let start = (NaiveDate::from_ymd_opt(2026, 1, 1).unwrap() + Duration::days(day))
            .and_hms_opt(minute / 60, minute % 60, 0)
            .unwrap();
        let m = meeting(zone, start, repeat, minutes, duration);
        let Some(first) = m.schedule.next_after(Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap()) else { return Ok(()) };
        let created = first.start - Duration::minutes(created_before);
        let until = created + Duration::days(45);

        // Plan as the engine does: at creation, then at each roll-over.
        let mut planned: BTreeSet<(i64, i64)> = BTreeSet::new();
        let mut missed: BTreeSet<(i64, i64)> = BTreeSet::new();
        let mut planned_at: std::collections::BTreeMap<(i64, i64), DateTime<Utc>> = Default::default();
        let mut at = created;
        let mut first_plan = true;
        while at < until {
            let plan = m.plan(at);
            for j in &plan.jobs {
                if j.kind == JobKind::Reminder {
                    prop_assert!(j.due > at, "a job planned in the past");
                    if j.offset.is_zero() {
                        prop_assert_eq!(j.due, j.occurrence, "the starting-now post at the start");
                    } else {
                        prop_assert!(j.due < j.occurrence, "a reminder at or after its start");
                    }
                    let key = (j.occurrence.timestamp(), j.offset.num_minutes());
                    planned.insert(key);
                    planned_at.entry(key).or_insert(at);
                }
            }
            if first_plan {
                for j in &plan.missed {
                    missed.insert((j.occurrence.timestamp(), j.offset.num_minutes()));
                }
                first_plan = false;
            }
            let Some(rollover) = plan.jobs.iter().find(|j| j.kind == JobKind::Rollover) else { break };
            at = rollover.due;
        }

        // Every reminder due after creation (and before we stopped looking)
        // was planned before its time, or said to be missed at creation.
        for o in m.schedule.occurrences_after(created - Duration::days(30), 200) {
            if o.start <= created { continue; }
            for off in m.reminders.as_slice() {
                let due = m.reminder_due(&o, *off);
                if due >= until - Duration::days(15) { continue; }
                let key = (o.start.timestamp(), off.num_minutes());
                if due <= created {
                    prop_assert!(missed.contains(&key), "a passed reminder not named: {:?}", key);
                } else {
                    prop_assert!(planned.contains(&key), "never planned: {:?} due {}", key, due);
                    prop_assert!(planned_at[&key] < due, "planned too late: {:?}", key);
                }
            }
        }
    }

    #[test]
    fn whole_days_keep_the_local_time(
        zone in prop::sample::select(TZ_VARIANTS.to_vec()),
        day in 0i64..1800,
        minute in 0u32..1440,
        days in 1i64..=14,
        extra in 0i64..1440,
        repeat in repeats(),
    ) {
        let start = (NaiveDate::from_ymd_opt(2026, 1, 1).unwrap() + Duration::days(day))
            .and_hms_opt(minute / 60, minute % 60, 0)
            .unwrap();
        let m = meeting(zone, start, repeat, vec![days * 1440 + extra], 60);
        for o in m.schedule.occurrences_after(Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap(), 5) {
            let offset = Duration::minutes(days * 1440 + extra);
            let due = m.reminder_due(&o, offset);
            prop_assert!(due < o.start);
            let local_day_before = o.local - Duration::days(days);
            // Where that local time exists once, the whole-day part lands on it.
            if let chrono::LocalResult::Single(t) = zone.from_local_datetime(&local_day_before) {
                let expected = (t.to_utc() - Duration::minutes(extra)).min(o.start - Duration::minutes(1));
                prop_assert_eq!(due, expected);
            }
        }
    }
}

#[test]
fn a_day_before_is_the_same_local_time_across_the_spring_change() {
    // Sunday 14 March 2027: New York moves its clocks forward. A meeting on
    // Monday 15 March at 19:00 EDT; its 1d reminder is Sunday 19:00 EDT,
    // 24 h before; the one for Sunday's meeting is Saturday 19:00 EST, 23 h
    // before (the day in between is 23 hours long).
    let zone = Tz::America__New_York;
    let start = NaiveDate::from_ymd_opt(2027, 3, 13)
        .unwrap()
        .and_hms_opt(19, 0, 0)
        .unwrap();
    let m = meeting(zone, start, Repeat::Daily, vec![1440], 60);
    let occurrences = m
        .schedule
        .occurrences_after(Utc.with_ymd_and_hms(2027, 3, 13, 0, 0, 0).unwrap(), 3);
    let sunday = occurrences[1];
    let due = m.reminder_due(&sunday, Duration::days(1));
    assert_eq!(
        due,
        Utc.with_ymd_and_hms(2027, 3, 14, 0, 0, 0).unwrap(),
        "Saturday 19:00 EST"
    );
    assert_eq!(sunday.start - due, Duration::hours(23));
    let monday = occurrences[2];
    let due = m.reminder_due(&monday, Duration::days(1));
    assert_eq!(
        due,
        Utc.with_ymd_and_hms(2027, 3, 14, 23, 0, 0).unwrap(),
        "Sunday 19:00 EDT"
    );
}
