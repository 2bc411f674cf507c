//! The replanning promise, as a property of the store and the engine's
//! rules together, on a real database (SQLite, or PostgreSQL with
//! `HAVEN_TEST_POSTGRES`): for any sequence of creates, edits, cancelled
//! dates, failed sends and clock steps, every reminder that is owed is sent
//! exactly once, or named to the facilitator as missed; none is ever sent
//! twice. A reminder is owed when its occurrence and offset are part of the
//! meeting as it ends up, and its time came after they became part of it.
//!
//! The engine is played by the test: it claims due jobs, decides each with
//! [`Meeting::reminder_call`] as the engine does, and a send fails when the
//! test says Discord is failing (the job is then retried as the engine
//! retries it).

mod backend;

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use haven::domain::jobs::JobKind;
use haven::domain::meeting::{Meeting, ReminderCall};
use haven::domain::recurrence::{Repeat, Schedule};
use haven::domain::reminders::Offsets;
use haven::domain::{ChannelId, GuildId};
use haven::scheduler::DEFAULT_GRACE;
use haven::store::{Db, MeetingEdit, NewMeeting};
use proptest::prelude::*;

/// The offsets a meeting may have (minutes): a day, hours, the last
/// quarter of an hour, and the "starting now" post (0). Each leaves more
/// room than every retry of a failed send takes (the post, its meeting's
/// hour), so a failure never makes a reminder late past its meeting.
const OFFSETS: [i64; 6] = [1440, 120, 60, 30, 15, 0];
// (Masks run to 62: all six would be one more than a meeting may have.)

#[derive(Debug, Clone)]
enum Op {
    /// The clock moves on this many minutes (the engine works meanwhile).
    Wait(i64),
    /// `/meeting edit`: a new local time of day and new reminders.
    Edit { minute_of_day: i64, offsets: u8 },
    /// `/meeting edit` of something else (the location): nothing moves.
    Touch,
    /// `/meeting cancel date:` of the occurrence `n` ahead.
    Skip(usize),
    /// The next this many sends fail (a 5xx, a dropped connection).
    Fail(u8),
    /// The engine claims what is due and holds it (its sends in flight)
    /// across what comes next.
    Hold,
    /// The clock moves to the next job's time; the engine works then only
    /// if `work` (else the job is due and not yet claimed, as behind a
    /// batch ahead of it or another process's lease).
    ToNextDue { work: bool },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (1i64..=600).prop_map(Op::Wait),
        2 => ((16 * 60i64)..(22 * 60), 1u8..63).prop_map(|(m, o)| Op::Edit { minute_of_day: m, offsets: o }),
        1 => Just(Op::Touch),
        1 => (0usize..3).prop_map(Op::Skip),
        2 => (1u8..6).prop_map(Op::Fail),
        3 => any::<bool>().prop_map(|work| Op::ToNextDue { work }),
        2 => Just(Op::Hold),
    ]
}

fn offsets(mask: u8) -> Offsets {
    let parts: Vec<String> = OFFSETS
        .iter()
        .enumerate()
        .filter(|(i, _)| mask & (1 << i) != 0)
        .map(|(_, m)| format!("{m}m"))
        .collect();
    Offsets::parse(&parts.join(",")).expect("valid offsets")
}

type Key = (DateTime<Utc>, i64);

/// The test's record of what happened.
#[derive(Default)]
struct Ledger {
    sent: BTreeMap<Key, usize>,
    /// Reminders named to the facilitator as missed.
    named: BTreeSet<Key>,
    /// When each reminder of the meeting as it is became part of it.
    since: BTreeMap<Key, DateTime<Utc>>,
    /// Sends that are to fail next, and how often each job failed.
    failing: u8,
    failures: BTreeMap<i64, u8>,
    /// Jobs claimed and not yet worked (an edit may come meanwhile).
    held: Vec<haven::store::Job>,
}

/// Every reminder of `meeting` for occurrences starting from `from` up to
/// `to`, with its due time.
fn reminders(
    meeting: &Meeting,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> BTreeMap<Key, DateTime<Utc>> {
    let mut out = BTreeMap::new();
    if meeting.ended {
        return out;
    }
    for o in meeting
        .schedule
        .occurrences_from(from)
        .take_while(|o| o.start <= to)
        .filter(|o| o.start >= from)
    {
        for offset in meeting.reminders.as_slice() {
            out.insert(
                (o.start, offset.num_minutes()),
                meeting.reminder_due(&o, *offset),
            );
        }
    }
    out
}

impl Ledger {
    /// After the meeting changed at `now`: what is new in it dates from now;
    /// what left it is forgotten.
    fn changed(&mut self, meeting: &Meeting, now: DateTime<Utc>, end: DateTime<Utc>) {
        let present = reminders(meeting, now - Duration::days(2), end);
        self.since.retain(|k, _| present.contains_key(k));
        for k in present.keys() {
            self.since.entry(*k).or_insert(now);
        }
    }
}

/// The engine at `now`: every due job claimed and worked, as often as
/// needed (retries due at once, DMs, roll-overs).
async fn work(db: &Db, now: DateTime<Utc>, ledger: &mut Ledger) {
    for _ in 0..100 {
        // Held jobs were renewed all along, as the engine renews its work.
        let mut jobs = std::mem::take(&mut ledger.held);
        let ids: Vec<i64> = jobs.iter().map(|j| j.id).collect();
        let renewed = db.renew_claims(now, &ids).await.unwrap();
        assert_eq!(renewed.len(), ids.len(), "a held claim was lost");
        jobs.extend(db.claim_due_jobs(now, 50).await.unwrap());
        if jobs.is_empty() {
            return;
        }
        for job in jobs {
            let meeting = match job.meeting {
                Some(id) => db.meeting(id).await.unwrap(),
                None => None,
            };
            match (job.kind, meeting) {
                (JobKind::Reminder, Some(m)) => {
                    match m.reminder_call(job.occurrence, job.offset, now, DEFAULT_GRACE) {
                        ReminderCall::Send => {
                            let fails = ledger.failures.entry(job.id).or_default();
                            if ledger.failing > 0 && *fails < 3 {
                                ledger.failing -= 1;
                                *fails += 1;
                                let wait = job.kind.retry_after(job.attempts).unwrap();
                                db.release_job(job.id, now + wait).await.unwrap();
                                continue;
                            }
                            *ledger
                                .sent
                                .entry((job.occurrence, job.offset.num_minutes()))
                                .or_default() += 1;
                            assert!(db.finish_job(job.id, false).await.unwrap());
                        }
                        ReminderCall::Later(at) => db.release_job(job.id, at).await.unwrap(),
                        ReminderCall::Skip(_) => {
                            assert!(db.finish_job(job.id, true).await.unwrap());
                        }
                    }
                }
                (JobKind::Rollover, Some(m)) => {
                    // As the engine's roll-over: the next occurrences planned
                    // as of the end of this one.
                    let plan = m.plan(job.planned);
                    db.add_jobs(m.id, &plan.jobs).await.unwrap();
                    assert!(db.finish_job(job.id, false).await.unwrap());
                }
                _ => {
                    db.finish_job(job.id, true).await.unwrap();
                }
            }
        }
    }
    panic!("the engine never ran out of due jobs at {now}");
}

/// Runs the clock from `now` to `until`, the engine waking at each job's
/// time.
async fn run_until(db: &Db, now: &mut DateTime<Utc>, until: DateTime<Utc>, ledger: &mut Ledger) {
    loop {
        work(db, *now, ledger).await;
        match db.next_job_due().await.unwrap() {
            Some(due) if due <= until => *now = due.max(*now),
            _ => break,
        }
    }
    *now = until;
    work(db, *now, ledger).await;
}

async fn check(ops: Vec<Op>, zone: Tz, first_mask: u8) {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&backend::url(&dir).await).await.unwrap();
    let t0 = Utc.with_ymd_and_hms(2027, 3, 24, 9, 0, 0).unwrap();
    let end = t0 + Duration::days(8);
    let mut now = t0;
    let mut ledger = Ledger::default();
    let new = NewMeeting {
        guild: GuildId(1),
        channel: ChannelId(2),
        title: "Circle".into(),
        schedule: Schedule {
            zone,
            start: NaiveDate::from_ymd_opt(2027, 3, 24)
                .unwrap()
                .and_hms_opt(19, 0, 0)
                .unwrap(),
            repeat: Repeat::Daily,
            skips: Default::default(),
        },
        duration: Duration::minutes(60),
        reminders: offsets(first_mask),
        mention_role: None,
        location: None,
    };
    let meeting = db.create_meeting(&new, now).await.unwrap();
    let plan = haven::scheduler::meetings::plan(&db, &meeting, now)
        .await
        .unwrap();
    ledger.named.extend(
        plan.missed
            .iter()
            .map(|j| (j.occurrence, j.offset.num_minutes())),
    );
    ledger.changed(&meeting, now, end);

    for op in ops {
        match op {
            Op::Wait(minutes) => {
                let until = (now + Duration::minutes(minutes)).min(end);
                run_until(&db, &mut now, until, &mut ledger).await;
            }
            Op::Fail(n) => ledger.failing = ledger.failing.saturating_add(n),
            Op::Hold => {
                let claimed = db.claim_due_jobs(now, 50).await.unwrap();
                ledger.held.extend(claimed);
            }
            Op::ToNextDue { work: and_work } => {
                // What is held goes out now: a send is in flight for
                // moments, never across the clock's steps.
                if !ledger.held.is_empty() {
                    work(&db, now, &mut ledger).await;
                }
                if let Some(due) = db.next_job_due().await.unwrap().filter(|d| *d <= end) {
                    now = now.max(due);
                    if and_work {
                        work(&db, now, &mut ledger).await;
                    }
                }
            }
            Op::Edit { .. } | Op::Touch | Op::Skip(_) => {
                let before = db.meeting(meeting.id).await.unwrap().unwrap();
                let edited = match op {
                    Op::Edit {
                        minute_of_day,
                        offsets: mask,
                    } => {
                        let start = before.schedule.start.date().and_hms_opt(
                            (minute_of_day / 60) as u32,
                            (minute_of_day % 60) as u32,
                            0,
                        );
                        let change = MeetingEdit {
                            start,
                            reminders: Some(offsets(mask)),
                            ..Default::default()
                        };
                        db.edit_meeting(meeting.id, &change).await.unwrap().unwrap()
                    }
                    Op::Touch => {
                        let change = MeetingEdit {
                            location: Some(Some("Room 2".into())),
                            ..Default::default()
                        };
                        db.edit_meeting(meeting.id, &change).await.unwrap().unwrap()
                    }
                    Op::Skip(n) => {
                        let Some(o) = before
                            .schedule
                            .occurrences_from(now)
                            .filter(|o| o.start > now)
                            .nth(n)
                        else {
                            continue;
                        };
                        db.skip_occurrence(meeting.id, o.local.date())
                            .await
                            .unwrap();
                        db.meeting(meeting.id).await.unwrap().unwrap()
                    }
                    _ => unreachable!(),
                };
                let plan = haven::scheduler::meetings::plan(&db, &edited, now)
                    .await
                    .unwrap();
                for missed in &plan.missed {
                    let key = (missed.occurrence, missed.offset.num_minutes());
                    assert!(missed.due <= now, "{key:?} named missed though due later");
                    ledger.named.insert(key);
                }
                ledger.changed(&edited, now, end);
            }
        }
    }
    // Discord recovers; the clock runs on until every occurrence so far is over.
    ledger.failing = 0;
    run_until(&db, &mut now, end + Duration::days(2), &mut ledger).await;

    let last = db.meeting(meeting.id).await.unwrap().unwrap();
    for (key, count) in &ledger.sent {
        assert_eq!(*count, 1, "{key:?} sent {count} times");
    }
    for (key, due) in reminders(&last, t0, end) {
        // An occurrence already under way or over when it became part of
        // the meeting (an edit moved the time of day) owes nothing.
        let Some(since) = ledger.since.get(&key).filter(|since| key.0 > **since) else {
            continue;
        };
        let sent = ledger.sent.contains_key(&key);
        if due > *since {
            assert!(
                sent,
                "{key:?} (due {due}, part of the meeting since {since}) was owed and never sent; named: {}",
                ledger.named.contains(&key)
            );
        } else {
            assert!(
                sent || ledger.named.contains(&key),
                "{key:?} (due {due}, part of the meeting since {since}) was neither sent nor named missed"
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: if std::env::var("HAVEN_TEST_POSTGRES").is_ok_and(|v| !v.trim().is_empty()) { 12 } else { 40 },
        ..ProptestConfig::default()
    })]

    #[test]
    fn every_owed_reminder_is_sent_once_or_named(
        ops in prop::collection::vec(op(), 1..24),
        zone in prop::sample::select(vec![Tz::UTC, Tz::Europe__London, Tz::America__New_York, Tz::Australia__Sydney]),
        first_mask in 1u8..63,
    ) {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(check(ops, zone, first_mask));
    }
}
