//! Anonymous attendance of voice meetings: how long each person (known
//! only by a keyed hash while the occurrence is open) was in the meeting's
//! channel within its window, and the one count that is kept once the
//! occurrence ends. Pure: the store keeps the presences, the bot feeds
//! voice changes in, and `now` is always a parameter.

use chrono::{DateTime, Duration, Utc};

/// How long before the start the window opens: arriving early counts.
pub const EARLY: Duration = Duration::minutes(10);
/// Time in the channel that counts as attending, unless a server or the
/// operator says otherwise (`HAVEN_ATTEND_MINUTES`).
pub const DEFAULT_ATTEND_MINUTES: i64 = 10;
/// The range a server or the operator may choose from.
pub const ATTEND_MINUTES: std::ops::RangeInclusive<i64> = 1..=240;

/// When presence counts for one occurrence: from ten minutes before its
/// start to its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub open: DateTime<Utc>,
    pub close: DateTime<Utc>,
}

impl Window {
    pub fn of(start: DateTime<Utc>, duration: Duration) -> Self {
        Self {
            open: start - EARLY,
            close: start + duration,
        }
    }

    pub fn contains(&self, at: DateTime<Utc>) -> bool {
        self.open <= at && at < self.close
    }

    pub fn length(&self) -> Duration {
        self.close - self.open
    }
}

/// One person's presence in an occurrence's channel: the time counted so
/// far, and since when they are in it now (if they are).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Presence {
    pub counted: Duration,
    pub since: Option<DateTime<Utc>>,
}

impl Presence {
    /// They are in the channel at `at` (a join, a move in, or found there
    /// after a restart). Being there already changes nothing: a second
    /// join never counts twice.
    pub fn join(&mut self, at: DateTime<Utc>, w: &Window) {
        if self.since.is_none() && at < w.close {
            self.since = Some(at.max(w.open));
        }
    }

    /// They are no longer in it at `at` (a leave, a move out, or missing
    /// after a restart): the time since they came is counted, within the
    /// window.
    pub fn leave(&mut self, at: DateTime<Utc>, w: &Window) {
        if let Some(since) = self.since.take() {
            let until = at.min(w.close);
            if until > since {
                self.counted += until - since;
            }
        }
    }

    /// Their time in the window as of `at` (at most its end), counting
    /// the stay under way.
    pub fn total(&self, at: DateTime<Utc>, w: &Window) -> Duration {
        let open = self
            .since
            .map(|s| (at.min(w.close) - s).max(Duration::zero()))
            .unwrap_or_else(Duration::zero);
        self.counted + open
    }
}

/// After a restart (or a lost connection), who is in the channel now is
/// all Haven knows: those there are in (from now, if they were not), those
/// not there have left (as of now). Run twice, it changes nothing more:
/// nobody is lost, nobody doubled.
pub fn reconcile<K: Eq + std::hash::Hash + Clone>(
    presences: &mut std::collections::HashMap<K, Presence>,
    here: &std::collections::HashSet<K>,
    at: DateTime<Utc>,
    w: &Window,
) {
    for (k, p) in presences.iter_mut() {
        if here.contains(k) {
            p.join(at, w);
        } else {
            p.leave(at, w);
        }
    }
    for k in here {
        presences.entry(k.clone()).or_default().join(at, w);
    }
}

/// What an occurrence's attendance comes to: people, never visits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Attendance {
    /// In the channel for at least the threshold.
    pub came: u32,
    /// Of those, in it for more than half the meeting.
    pub stayed: u32,
}

/// The count of an occurrence from its presences, once it ends: each
/// presence is one person, however often they came and went.
pub fn tally<'a>(
    presences: impl IntoIterator<Item = &'a Presence>,
    w: &Window,
    threshold: Duration,
    duration: Duration,
) -> Attendance {
    let mut out = Attendance::default();
    for p in presences {
        let total = p.total(w.close, w);
        if total >= threshold {
            out.came += 1;
            if total * 2 > duration {
                out.stayed += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn start() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2027, 3, 10, 19, 0, 0).unwrap()
    }

    #[test]
    fn a_stay_counts_within_the_window_once() {
        let w = Window::of(start(), Duration::minutes(60));
        let mut p = Presence::default();
        // Arrives 20 minutes early: counted from ten minutes before.
        p.join(start() - Duration::minutes(20), &w);
        p.join(start(), &w);
        p.leave(start() + Duration::minutes(5), &w);
        assert_eq!(p.counted, Duration::minutes(15));
        // Back for the last minutes and past the end.
        p.join(start() + Duration::minutes(50), &w);
        assert_eq!(
            p.total(start() + Duration::minutes(70), &w),
            Duration::minutes(25)
        );
        p.leave(start() + Duration::minutes(90), &w);
        assert_eq!(p.counted, Duration::minutes(25));
        let never = Presence::default();
        let brief = {
            let mut b = Presence::default();
            b.join(start(), &w);
            b.leave(start() + Duration::minutes(3), &w);
            b
        };
        let count = tally(
            [&p, &never, &brief],
            &w,
            Duration::minutes(10),
            Duration::minutes(60),
        );
        assert_eq!(count, Attendance { came: 1, stayed: 0 });
    }

    #[test]
    fn a_restart_neither_loses_nor_doubles_anyone() {
        use std::collections::{HashMap, HashSet};
        let w = Window::of(start(), Duration::minutes(60));
        let mut presences: HashMap<&str, Presence> = HashMap::new();
        presences.entry("a").or_default().join(start(), &w);
        presences.entry("b").or_default().join(start(), &w);
        // Back 20 minutes later: a is still there, b left meanwhile, c came.
        let here: HashSet<&str> = ["a", "c"].into();
        let at = start() + Duration::minutes(20);
        reconcile(&mut presences, &here, at, &w);
        reconcile(&mut presences, &here, at, &w);
        let end = start() + Duration::minutes(60);
        assert_eq!(presences["a"].total(end, &w), Duration::minutes(60));
        // b's time while Haven was away is not known: counted to the restart.
        assert_eq!(presences["b"].total(end, &w), Duration::minutes(20));
        assert_eq!(presences["c"].total(end, &w), Duration::minutes(40));
        assert_eq!(presences.len(), 3);
    }

    /// Joins, leaves and restarts at any moments: a person's time is
    /// exactly the time they were in the channel within the window (checked
    /// minute by minute), never more than the window, and counts them once.
    #[derive(Debug, Clone)]
    enum Step {
        Join(i64),
        Leave(i64),
    }

    proptest! {
        #[test]
        fn time_counted_is_time_present_within_the_window(
            steps in prop::collection::vec(
                prop_oneof![(0i64..200).prop_map(Step::Join), (0i64..200).prop_map(Step::Leave)],
                0..30,
            ),
            duration in 1i64..120,
        ) {
            let t0 = start() - Duration::minutes(40);
            let w = Window::of(start(), Duration::minutes(duration));
            // Steps happen in time order, as voice changes arrive.
            let mut steps = steps;
            steps.sort_by_key(|s| match s { Step::Join(m) | Step::Leave(m) => *m });
            let mut p = Presence::default();
            let mut present = [false; 200];
            let mut inside = false;
            let mut last = 0usize;
            for s in &steps {
                let (m, joins) = match s { Step::Join(m) => (*m, true), Step::Leave(m) => (*m, false) };
                for slot in present.iter_mut().take(m as usize).skip(last) {
                    *slot = inside;
                }
                last = m as usize;
                inside = joins;
                let at = t0 + Duration::minutes(m);
                if joins { p.join(at, &w) } else { p.leave(at, &w) }
            }
            for slot in present.iter_mut().skip(last) {
                *slot = inside;
            }
            let expected = (0..200)
                .filter(|m| present[*m as usize] && w.contains(t0 + Duration::minutes(*m)))
                .count() as i64;
            let total = p.total(t0 + Duration::minutes(200), &w);
            prop_assert_eq!(total, Duration::minutes(expected));
            prop_assert!(total <= w.length());
            let count = tally([&p], &w, Duration::minutes(10), Duration::minutes(duration));
            prop_assert!(count.came <= 1 && count.stayed <= count.came);
        }
    }
}
