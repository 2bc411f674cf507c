//! Statistics are private by construction: generated activity (members,
//! check-ins with moods across period boundaries, rounds, "going" answers) is
//! counted as people exactly as the store counts it, every view Haven offers
//! is built (week, month, quarter and year; this and last) and rendered
//! (embed, chart data, CSV), and every number shown is checked: each people
//! figure is 0-or-at-least-k, no two can be subtracted to single out fewer
//! than k people, and below k people there is no chart. A store-backed run
//! checks that a real database counts what the model counts, across restarts
//! and period closes.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use haven::domain::mood::Mood;
use haven::domain::periods::{PeriodKind, local_day, period_of, previous};
use haven::domain::stats::{
    Facet, MeetingStats, PeopleCounts, StatsRequest, StatsView, Trend, Which,
};
use haven::domain::{GuildId, UserId};
use haven::store::Db;
use proptest::prelude::*;

const ZONES: [Tz; 4] = [
    Tz::UTC,
    Tz::Europe__Berlin,
    Tz::America__New_York,
    Tz::Pacific__Auckland,
];

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 10, 20, 0, 0, 0).unwrap()
}

/// What happened in one server.
#[derive(Debug, Clone)]
struct Activity {
    tz: Tz,
    k: u32,
    /// (member, minutes after the start, mood 1..=5)
    checkins: Vec<(u64, i64, u8)>,
    /// Meeting occurrences: minutes after the start; and who said going to which.
    occurrences: Vec<i64>,
    going: Vec<(u64, usize)>,
    /// People who came to each occurrence (voice attendance), in order.
    attended: Vec<u64>,
    /// Rounds: minutes after the start of their close, and how many answered.
    rounds: Vec<(i64, u64)>,
    /// When the facilitator looks: minutes after the start.
    now: i64,
}

impl Activity {
    fn at(minutes: i64) -> DateTime<Utc> {
        start() + Duration::minutes(minutes)
    }

    /// Every counting the store is asked for, in time order, up to `now`:
    /// (when, facets, member).
    fn countings(&self) -> Vec<(DateTime<Utc>, Vec<Facet>, u64)> {
        let mut all: Vec<(DateTime<Utc>, Vec<Facet>, u64)> = self
            .checkins
            .iter()
            .filter(|c| c.1 <= self.now)
            .map(|(member, t, mood)| {
                let mood = Mood::new(i64::from(*mood)).unwrap();
                (Self::at(*t), vec![Facet::Any, Facet::Mood(mood)], *member)
            })
            .collect();
        for (member, occurrence) in &self.going {
            let t = self.occurrences[*occurrence % self.occurrences.len()];
            if t <= self.now {
                all.push((Self::at(t), vec![Facet::Going], *member));
            }
        }
        all.sort_by_key(|c| c.0);
        all
    }
}

/// The true distinct people per (period key, facet), from sets of members.
fn true_people(a: &Activity) -> HashMap<(String, Facet), BTreeSet<u64>> {
    let mut sets: HashMap<(String, Facet), BTreeSet<u64>> = HashMap::new();
    for (at, facets, member) in a.countings() {
        let day = local_day(at, a.tz);
        for kind in PeriodKind::ALL {
            let key = period_of(kind, day).key;
            for f in &facets {
                sets.entry((key.clone(), *f)).or_default().insert(member);
            }
        }
    }
    sets
}

fn people_of(sets: &HashMap<(String, Facet), BTreeSet<u64>>, key: &str, f: Facet) -> u64 {
    sets.get(&(key.to_owned(), f)).map_or(0, |s| s.len() as u64)
}

/// Builds the view for `kind` / `which` exactly as the handler does, from
/// the model's counts.
fn view(
    a: &Activity,
    sets: &HashMap<(String, Facet), BTreeSet<u64>>,
    kind: PeriodKind,
    which: Which,
) -> StatsView {
    let now = Activity::at(a.now);
    let today = local_day(now, a.tz);
    let request = StatsRequest::new(kind, which, today);
    let mut people = HashMap::new();
    for key in request.keys() {
        let mut c = PeopleCounts::default();
        for f in Facet::ALL {
            c.set(f, people_of(sets, &key, f));
        }
        people.insert(key, c);
    }
    let rounds: Vec<u64> = a
        .rounds
        .iter()
        .filter(|(t, _)| *t <= a.now)
        .filter(|(t, _)| {
            let day = local_day(Activity::at(*t), a.tz);
            request.period.first <= day && day <= request.period.last
        })
        .map(|(_, n)| *n)
        .collect();
    let held = a
        .occurrences
        .iter()
        .filter(|t| **t <= a.now)
        .filter(|t| {
            let day = local_day(Activity::at(**t), a.tz);
            request.period.first <= day && day <= request.period.last
        })
        .count() as u64;
    let meetings = MeetingStats {
        held,
        going_people: people_of(sets, &request.period.key, Facet::Going),
    };
    // Every counted meeting by its local day, with how many had said they
    // were going to it: the view takes each figure's days.
    let attended: Vec<haven::domain::stats::Counted> = a
        .occurrences
        .iter()
        .zip(&a.attended)
        .enumerate()
        .filter(|(_, (t, _))| **t <= a.now)
        .map(|(i, (t, came))| haven::domain::stats::Counted {
            day: local_day(Activity::at(*t), a.tz),
            came: *came,
            going: Some(
                a.going
                    .iter()
                    .filter(|(_, o)| *o == i)
                    .map(|(m, _)| *m)
                    .collect::<BTreeSet<_>>()
                    .len() as u64,
            ),
        })
        .collect();
    StatsView::build(request, a.k, &people, &rounds, meetings, &attended)
}

/// A people figure found in a rendering: "fewer than k" (0) or "N to M" (N).
fn parse_people(text: &str, k: u32) -> Result<u64, String> {
    if text == format!("fewer than {k}") {
        return Ok(0);
    }
    let (n, m) = text
        .split_once(" to ")
        .ok_or_else(|| format!("not a people figure: {text:?}"))?;
    let n: u64 = n.parse().map_err(|_| format!("not a number: {text:?}"))?;
    let m: u64 = m.parse().map_err(|_| format!("not a number: {text:?}"))?;
    if m != n + u64::from(k) - 1 {
        return Err(format!("{text:?} is not a step of {k}"));
    }
    Ok(n)
}

/// Every number in an embed field's text, classified: people figures (from
/// "N to M" and "fewer than k") and other numbers.
fn numbers_in(text: &str, k: u32) -> Result<(Vec<u64>, Vec<u64>), String> {
    let words: Vec<&str> = text
        .split(|c: char| c.is_whitespace() || c == ';' || c == ',' || c == ':')
        .filter(|w| !w.is_empty())
        .collect();
    let mut people = Vec::new();
    let mut other = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let w = words[i];
        if w == "fewer" && words.get(i + 1) == Some(&"than") {
            let n: u64 = words
                .get(i + 2)
                .and_then(|n| n.trim_end_matches('.').parse().ok())
                .ok_or_else(|| format!("fewer than what? {text:?}"))?;
            if n != u64::from(k) {
                return Err(format!("fewer than {n}, not {k}: {text:?}"));
            }
            people.push(0);
            i += 3;
            continue;
        }
        if let Ok(n) = w.parse::<u64>() {
            if words.get(i + 1) == Some(&"to")
                && let Some(Ok(m)) = words.get(i + 2).map(|m| m.parse::<u64>())
            {
                people.push(parse_people(&format!("{n} to {m}"), k)?);
                i += 3;
                continue;
            }
            other.push(n);
        }
        i += 1;
    }
    Ok((people, other))
}

/// Every people figure one view shows, gathered from its renderings (and
/// checked against what the view says it shows).
fn shown_figures(
    v: &StatsView,
    sets: &HashMap<(String, Facet), BTreeSet<u64>>,
) -> Result<Vec<u64>, String> {
    let k = v.k;
    let mut figures = Vec::new();

    // The embed: every number is a people figure, k itself, or a count of
    // rounds or meetings; the trend is checked on its own.
    let embed = v.embed();
    for field in &embed.fields {
        if field.name == "Trend" {
            continue;
        }
        let (people, other) = numbers_in(&field.value, k)?;
        figures.extend(people);
        for n in other {
            let allowed = [
                v.rounds_held,
                v.rounds_with_k,
                v.meetings_held,
                v.attended_meetings,
                v.attended_with_k,
                u64::from(k),
            ];
            if !allowed.contains(&n) {
                return Err(format!(
                    "{n} in {:?} is neither people nor a count of rounds or meetings",
                    field.value
                ));
            }
        }
    }

    // The chart: only with k people or more; its numbers are people figures.
    let any = people_of(sets, &v.period.key, Facet::Any);
    match v.chart() {
        Some(chart) => {
            if any < u64::from(k) {
                return Err(format!("a chart for {} people", any));
            }
            figures.extend(chart.weeks.iter().map(|(_, p)| p.unwrap_or(0)));
            figures.extend(chart.moods.iter().map(|p| p.unwrap_or(0)));
            figures.extend(chart.came.iter().map(|p| p.unwrap_or(0)));
        }
        None => {
            if any >= u64::from(k) {
                return Err(format!("no chart for {any} people"));
            }
        }
    }

    // The CSV, read back as a facilitator's spreadsheet would; each people
    // cell is also checked against the truth it rounds.
    let bytes = v.csv().map_err(|e| e.to_string())?;
    let mut reader = csv::Reader::from_reader(bytes.as_slice());
    for record in reader.records() {
        let r = record.map_err(|e| e.to_string())?;
        let (metric, period, value) = (&r[0], &r[1], &r[2]);
        if !StatsView::csv_metric_is_people(metric) {
            continue;
        }
        let n = parse_people(value, k)?;
        figures.push(n);
        let truth = match metric {
            "people" | "weekly_people" => Some(people_of(sets, period, Facet::Any)),
            "people_going" => Some(people_of(sets, period, Facet::Going)),
            m => Mood::ALL
                .iter()
                .find(|mood| m == format!("mood_{}", mood.word()))
                .map(|mood| people_of(sets, period, Facet::Mood(*mood))),
        };
        if let Some(truth) = truth
            && (!(n <= truth && truth < n + u64::from(k)) || (n == 0) != (truth < u64::from(k)))
        {
            return Err(format!(
                "{metric} {period}: shown {value:?} for {truth} people"
            ));
        }
    }
    Ok(figures)
}

/// The average mood of rounded per-mood figures, as the trend must use.
fn rounded_average(
    sets: &HashMap<(String, Facet), BTreeSet<u64>>,
    key: &str,
    k: u32,
) -> Option<f64> {
    let k = u64::from(k);
    let moods: Vec<u64> = Mood::ALL
        .iter()
        .map(|m| people_of(sets, key, Facet::Mood(*m)) / k * k)
        .collect();
    let n: u64 = moods.iter().sum();
    (n > 0).then(|| {
        moods
            .iter()
            .enumerate()
            .map(|(i, m)| (i as f64 + 1.0) * *m as f64)
            .sum::<f64>()
            / n as f64
    })
}

fn check_server(a: &Activity) -> Result<(), String> {
    let sets = true_people(a);
    let k = u64::from(a.k);
    let mut all: BTreeSet<u64> = BTreeSet::new();
    for kind in PeriodKind::ALL {
        for which in [Which::This, Which::Last] {
            let v = view(a, &sets, kind, which);
            let figures = shown_figures(&v, &sets)?;
            // What the view says it shows is what its renderings show.
            let declared: BTreeSet<u64> = v.shown_people().into_iter().collect();
            for n in &figures {
                if !declared.contains(n) {
                    return Err(format!("{n} is shown but not declared by the view"));
                }
            }
            all.extend(figures);
            all.extend(declared);

            // The trend: only when both periods have k people, and only from
            // rounded figures.
            let before = previous(&v.period);
            let both = people_of(&sets, &v.period.key, Facet::Any) >= k
                && people_of(&sets, &before.key, Facet::Any) >= k;
            let expected = match (
                both,
                rounded_average(&sets, &before.key, a.k),
                rounded_average(&sets, &v.period.key, a.k),
            ) {
                (true, Some(before), Some(now)) => Some(Trend { before, now }),
                _ => None,
            };
            if v.trend != expected {
                return Err(format!("trend {:?}, expected {expected:?}", v.trend));
            }
        }
    }
    check_figures(&all.into_iter().collect::<Vec<_>>(), a.k)
}

/// Alone: nothing between 1 and k-1. Subtracted: every difference of two
/// figures shown for one server (week vs month vs quarter vs year, totals vs
/// parts, a period vs its weekly series) is 0 or at least k.
fn check_figures(all: &[u64], k: u32) -> Result<(), String> {
    let k = u64::from(k);
    for (i, x) in all.iter().enumerate() {
        if *x != 0 && *x < k {
            return Err(format!("{x} people shown with k = {k}"));
        }
        for y in &all[i + 1..] {
            let d = x.abs_diff(*y);
            if d != 0 && d < k {
                return Err(format!("{x} - {y} reveals {d} people with k = {k}"));
            }
        }
    }
    Ok(())
}

const DAYS: i64 = 200;
const MINUTES: i64 = DAYS * 24 * 60;

fn activity(max_members: u64, max_checkins: usize) -> impl Strategy<Value = Activity> {
    (
        prop::sample::select(ZONES.to_vec()),
        3u32..8,
        1..=max_members,
        prop::collection::vec(0i64..MINUTES, 1..8),
    )
        .prop_flat_map(move |(tz, k, members, occurrences)| {
            let n_occ = occurrences.len();
            (
                Just(tz),
                Just(k),
                // Check-ins cluster: most in the last weeks, so that the views
                // of this and last week or month have people in them.
                prop::collection::vec(
                    (
                        0..members,
                        prop_oneof![0i64..MINUTES, (MINUTES - 40 * 1440)..MINUTES],
                        1u8..=5,
                    ),
                    0..max_checkins,
                ),
                Just(occurrences),
                prop::collection::vec((0..members, 0..n_occ), 0..40),
                prop::collection::vec(0u64..20, n_occ),
                prop::collection::vec((0i64..MINUTES, 0u64..20), 0..10),
                (MINUTES - 30 * 1440)..MINUTES,
            )
        })
        .prop_map(
            |(tz, k, checkins, occurrences, going, attended, rounds, now)| Activity {
                tz,
                k,
                checkins,
                occurrences,
                going,
                attended,
                rounds,
                now,
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn no_view_shows_or_lets_anyone_derive_fewer_than_k_people(a in activity(30, 300)) {
        if let Err(e) = check_server(&a) {
            prop_assert!(false, "{}", e);
        }
    }
}

#[test]
fn the_checks_catch_unrounded_figures() {
    // The parser and the difference check are what the property relies on:
    // an unrounded "6 to 10" or a difference of 1 must be caught.
    assert!(parse_people("6 to 9", 5).is_err());
    assert_eq!(parse_people("5 to 9", 5), Ok(5));
    assert!(numbers_in("okay: 7 to 10", 5).is_err());
    assert!(numbers_in("okay: fewer than 4", 5).is_err());
    assert!(check_figures(&[0, 5, 10, 25], 5).is_ok());
    assert!(check_figures(&[0, 3], 5).is_err(), "3 people alone");
    assert!(check_figures(&[10, 6], 5).is_err(), "10 - 6 singles out 4");
    assert_eq!(
        numbers_in(
            "3 held; 2 with at least 5 answers, averaging 10 to 14 people",
            5
        )
        .unwrap(),
        (vec![10], vec![3, 2, 5])
    );
    assert_eq!(
        numbers_in("great: fewer than 5", 5).unwrap(),
        (vec![0], vec![])
    );
}

#[test]
fn five_people_struggling_means_five_people() {
    // One member checking in five times as struggling is one person; five
    // members once each are five.
    let mut a = Activity {
        tz: Tz::UTC,
        k: 5,
        checkins: (0..5).map(|i| (1, MINUTES - 2000 + i * 10, 1)).collect(),
        occurrences: vec![0],
        going: vec![],
        attended: vec![3],
        rounds: vec![],
        now: MINUTES - 1,
    };
    let sets = true_people(&a);
    let v = view(&a, &sets, PeriodKind::Year, Which::This);
    assert_eq!(v.moods[0].render(), "fewer than 5");
    assert!(v.chart().is_none());
    a.checkins = (0..5)
        .map(|i| (i as u64, MINUTES - 2000 + i * 10, 1))
        .collect();
    let sets = true_people(&a);
    let v = view(&a, &sets, PeriodKind::Year, Which::This);
    assert_eq!(v.moods[0].render(), "5 to 9");
    assert!(v.chart().is_some());
    check_server(&a).unwrap();
}

/// The store counts what the model counts: the same activity through a real
/// database, with restarts in between and each period closed when it ends.
async fn through_the_store(a: &Activity, restarts: &[usize]) -> Result<(), String> {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("haven.db").display());
    let guild = GuildId(1_300_000_000_000_000_001);
    let mut db = Db::open(&url).await.map_err(|e| e.to_string())?;
    for (i, (at, facets, member)) in a.countings().into_iter().enumerate() {
        if restarts.contains(&i) {
            db.close().await;
            db = Db::open(&url).await.map_err(|e| e.to_string())?;
        }
        // What the scheduler does when a period ends.
        db.close_periods(at).await.map_err(|e| e.to_string())?;
        db.count_person(
            guild,
            a.tz,
            at,
            &facets,
            UserId(1_500_000_000_000_000_000 + member),
        )
        .await
        .map_err(|e| e.to_string())?;
    }
    let sets = true_people(a);
    let keys: BTreeMap<String, ()> = sets.keys().map(|(k, _)| (k.clone(), ())).collect();
    let keys: Vec<String> = keys.into_keys().collect();
    let stored = db
        .period_people(guild, &keys)
        .await
        .map_err(|e| e.to_string())?;
    for key in &keys {
        let s = stored.get(key).copied().unwrap_or_default();
        let mut expected = PeopleCounts::default();
        for f in Facet::ALL {
            expected.set(f, people_of(&sets, key, f));
        }
        if s != expected {
            return Err(format!("{key}: stored {s:?}, true {expected:?}"));
        }
        let going = db
            .people_counted(guild, key, Facet::Going)
            .await
            .map_err(|e| e.to_string())?;
        if going != people_of(&sets, key, Facet::Going) {
            return Err(format!("{key}: {going} going"));
        }
    }
    db.close().await;
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn the_store_counts_people_as_the_model_does(
        a in activity(12, 60),
        restarts in prop::collection::vec(0usize..80, 0..4),
    ) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        if let Err(e) = rt.block_on(through_the_store(&a, &restarts)) {
            prop_assert!(false, "{}", e);
        }
    }
}

#[test]
fn a_year_view_spans_its_weeks() {
    let r = StatsRequest::new(
        PeriodKind::Year,
        Which::This,
        NaiveDate::from_ymd_opt(2027, 3, 10).unwrap(),
    );
    assert_eq!(r.weeks.first().unwrap().key, "W2026-53");
    assert_eq!(r.weeks.last().unwrap().key, "W2027-10");
}
