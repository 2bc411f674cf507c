//! Participation statistics that are private by construction.
//!
//! Every figure counts people, never check-ins or clicks: "struggling: 5"
//! means five people. The store counts each member at most once per calendar
//! period and facet (see [`Facet`]); this module turns those counts into the
//! one [`StatsView`] from which the embed, the chart and the CSV are all
//! rendered.
//!
//! The privacy rule, by construction: every people figure shown is rounded
//! DOWN to a multiple of k (the server's minimum group size), and a figure
//! under k (including a true 0) is shown as "fewer than k". So every shown
//! figure is 0-or-at-least-k, and any sum or difference of shown figures is a
//! multiple of k: subtracting anything Haven shows for a server from anything
//! else it shows (a week from a month, a mood from the total, this period from
//! its weekly series) can never single out fewer than k people. Hiding a true
//! 0 as "fewer than k" too means a shown 0 can never be told apart from a
//! hidden 1..k-1. Averages (the trend, round turnout) are computed only from
//! figures already rounded, so they tell nothing the figures do not.

use chrono::{Duration, NaiveDate};

use super::UserId;
use super::mood::Mood;
use super::periods::{Period, PeriodKind, period_of, previous};

/// What a person is counted for, at most once per period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Facet {
    /// Checked in at all.
    Any,
    /// Checked in with this mood at least once.
    Mood(Mood),
    /// Said "going" to at least one meeting occurrence.
    Going,
}

impl Facet {
    pub const ALL: [Facet; 7] = [
        Facet::Any,
        Facet::Mood(Mood::ALL[0]),
        Facet::Mood(Mood::ALL[1]),
        Facet::Mood(Mood::ALL[2]),
        Facet::Mood(Mood::ALL[3]),
        Facet::Mood(Mood::ALL[4]),
        Facet::Going,
    ];

    /// The facet as the database stores it: `any`, `mood_1`..`mood_5`, `going`.
    pub fn as_str(self) -> &'static str {
        match self {
            Facet::Any => "any",
            Facet::Mood(m) => ["mood_1", "mood_2", "mood_3", "mood_4", "mood_5"][m.index()],
            Facet::Going => "going",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.as_str() == s)
    }
}

/// How a member is held while a period is open: a keyed hash of the member
/// and the facet under the period's random salt. Without the salt (deleted
/// when the period closes) it cannot be traced back to anyone; with the facet
/// in the hash, one person's rows in different facets do not share a value.
pub fn person_hash(salt: &[u8; 32], facet: Facet, user: UserId) -> [u8; 32] {
    let mut hasher = blake3::Hasher::new_keyed(salt);
    hasher.update(facet.as_str().as_bytes());
    hasher.update(&[0]);
    hasher.update(&user.0.to_le_bytes());
    *hasher.finalize().as_bytes()
}

/// Distinct people in one period who checked in, in all and per mood, and
/// who said they were going to a meeting.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PeopleCounts {
    pub any: u64,
    pub moods: [u64; 5],
    pub going: u64,
}

impl PeopleCounts {
    /// Sets the count of a facet.
    pub fn set(&mut self, facet: Facet, people: u64) {
        match facet {
            Facet::Any => self.any = people,
            Facet::Mood(m) => self.moods[m.index()] = people,
            Facet::Going => self.going = people,
        }
    }
}

/// Meetings in one period: occurrences held (not people), and the distinct
/// people who said they were going to at least one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MeetingStats {
    pub held: u64,
    pub going_people: u64,
}

/// One counted voice meeting: the local day it was held, how many came
/// and how many had said they were going (people, never who).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counted {
    pub day: NaiveDate,
    pub came: u64,
    /// `None` for a count taken before this was kept.
    pub going: Option<u64>,
}

/// Every counted voice meeting a view needs; it may reach beyond the
/// period: each figure takes the days it covers.
pub type Attended = [Counted];

/// Attendance as round turnout: of the meetings at least `k` people came
/// to, the average who came and who had said they were going, and how
/// many such meetings there were; a meeting with fewer adds nothing.
fn average_came<'a>(attended: impl Iterator<Item = &'a Counted>, k: u32) -> (u64, u64, u64) {
    let big: Vec<&Counted> = attended.filter(|a| a.came >= u64::from(k)).collect();
    if big.is_empty() {
        return (0, 0, 0);
    }
    let n = big.len() as u64;
    let going: Vec<u64> = big.iter().filter_map(|c| c.going).collect();
    (
        big.iter().map(|c| c.came).sum::<u64>() / n,
        going.iter().sum::<u64>() / (going.len() as u64).max(1),
        n,
    )
}

/// Which calendar period a facilitator asks about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    /// The one containing today (in the server's zone).
    This,
    /// The one before it.
    Last,
}

impl Which {
    pub fn as_str(self) -> &'static str {
        match self {
            Which::This => "this",
            Which::Last => "last",
        }
    }
}

/// How many weeks the chart shows for a week, month or quarter.
pub const CHART_WEEKS: i64 = 12;

/// The periods one view needs: the one shown, the one before it (for the
/// trend), and the weeks of the chart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatsRequest {
    pub period: Period,
    pub which: Which,
    pub before: Period,
    pub weeks: Vec<Period>,
}

impl StatsRequest {
    /// The view of `kind` asked on the server's local `today`. The chart's
    /// weeks run up to the period's last week (never past today's): the twelve
    /// weeks up to it, or for a year the year's weeks.
    pub fn new(kind: PeriodKind, which: Which, today: NaiveDate) -> Self {
        let current = period_of(kind, today);
        let period = match which {
            Which::This => current,
            Which::Last => previous(&current),
        };
        let before = previous(&period);
        let last_week = period_of(PeriodKind::Week, period.last.min(today));
        let first_week = match kind {
            PeriodKind::Year => period_of(PeriodKind::Week, period.first),
            _ => period_of(
                PeriodKind::Week,
                last_week.first - Duration::weeks(CHART_WEEKS - 1),
            ),
        };
        let mut weeks = Vec::new();
        let mut week = first_week;
        while week.first <= last_week.first {
            let next = period_of(PeriodKind::Week, week.last + Duration::days(1));
            weeks.push(week);
            week = next;
        }
        Self {
            period,
            which,
            before,
            weeks,
        }
    }

    /// Every period key whose people counts the view needs.
    pub fn keys(&self) -> Vec<String> {
        let mut keys = vec![self.period.key.clone(), self.before.key.clone()];
        keys.extend(self.weeks.iter().map(|w| w.key.clone()));
        keys.sort();
        keys.dedup();
        keys
    }
}

/// A number of people as shown: rounded down to a multiple of k, and "fewer
/// than k" below k (a true 0 included).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct People {
    at_least: u64,
    k: u64,
}

impl People {
    pub fn new(people: u64, k: u32) -> Self {
        let k = u64::from(k.max(1));
        Self {
            at_least: people / k * k,
            k,
        }
    }

    /// The figure shown (a multiple of k, at least k), or `None` for "fewer than k".
    pub fn shown(self) -> Option<u64> {
        (self.at_least > 0).then_some(self.at_least)
    }

    /// The lower bound shown: 0 for "fewer than k".
    pub fn at_least(self) -> u64 {
        self.at_least
    }

    /// "fewer than 5", or "10 to 14": at least 10 people and fewer than 15.
    pub fn render(self) -> String {
        match self.shown() {
            None => format!("fewer than {}", self.k),
            Some(n) => format!("{n} to {}", n + self.k - 1),
        }
    }
}

/// How the average mood moved from the period before, from rounded figures.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Trend {
    pub before: f64,
    pub now: f64,
}

impl Trend {
    /// The average mood of the people shown per mood, or `None` when no mood
    /// has k people.
    fn average(moods: &[People; 5]) -> Option<f64> {
        let n: u64 = moods.iter().map(|m| m.at_least()).sum();
        (n > 0).then(|| {
            moods
                .iter()
                .enumerate()
                .map(|(i, m)| (i as f64 + 1.0) * m.at_least() as f64)
                .sum::<f64>()
                / n as f64
        })
    }

    pub fn words(&self, kind: PeriodKind) -> String {
        let (before, now) = (self.before, self.now);
        let how = if now - before > 0.2 {
            "brighter than"
        } else if before - now > 0.2 {
            "heavier than"
        } else {
            "about the same as"
        };
        format!(
            "Moods were {how} the {} before ({before:.1} → {now:.1}).",
            kind.as_str()
        )
    }
}

/// One embed field as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmbedField {
    pub name: String,
    pub value: String,
    pub inline: bool,
}

/// The overview's embed as text; the bot only wraps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmbedText {
    pub title: String,
    pub description: String,
    pub fields: Vec<EmbedField>,
}

/// What the chart draws: people per week (None: fewer than k) with their
/// labels, and people per mood in the period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartData {
    pub k: u32,
    pub weeks: Vec<(String, Option<u64>)>,
    /// People who came to voice meetings, on average, per week (the same
    /// weeks; `None` below k or with no meeting counted).
    pub came: Vec<Option<u64>>,
    pub moods: [Option<u64>; 5],
}

/// Everything a facilitator can see about one period, already rounded.
#[derive(Debug, Clone, PartialEq)]
pub struct StatsView {
    pub period: Period,
    pub which: Which,
    pub k: u32,
    /// People who checked in at all.
    pub people: People,
    /// People who checked in with each mood at least once (one person may be
    /// in more than one).
    pub moods: [People; 5],
    pub trend: Option<Trend>,
    /// Rounds closed in the period (a count of rounds, not people).
    pub rounds_held: u64,
    /// Of those, rounds with at least k answers.
    pub rounds_with_k: u64,
    /// The average answers of the rounds with at least k, rounded.
    pub round_turnout: People,
    /// Meeting occurrences held (not people).
    pub meetings_held: u64,
    /// People who said they were going to at least one meeting.
    pub going: People,
    /// Voice meetings whose attendance was counted, and of those, how many
    /// had at least k people.
    pub attended_meetings: u64,
    pub attended_with_k: u64,
    /// People who came, on average, to the voice meetings with at least k,
    /// rounded like every figure.
    pub came: People,
    /// Of the same meetings, how many had said they were going, on
    /// average, rounded the same way.
    pub said_going: People,
    /// People who checked in, per week of the chart.
    pub weeks: Vec<(Period, People)>,
    /// People who came to voice meetings, on average, per week of the chart
    /// (the same rule as `came`).
    pub weeks_came: Vec<People>,
}

const CSV_HEADER: [&str; 3] = ["metric", "period", "value"];

impl StatsView {
    /// Builds the view from raw counts: `people` holds the distinct people of
    /// each period key the request needs (missing keys count as nobody),
    /// `rounds` the answers of each round closed in the period.
    pub fn build(
        request: StatsRequest,
        k: u32,
        people: &std::collections::HashMap<String, PeopleCounts>,
        rounds: &[u64],
        meetings: MeetingStats,
        attended: &Attended,
    ) -> Self {
        let k = k.max(1);
        let counts = |key: &str| people.get(key).copied().unwrap_or_default();
        let this = counts(&request.period.key);
        let before = counts(&request.before.key);
        let moods = this.moods.map(|m| People::new(m, k));
        let before_moods = before.moods.map(|m| People::new(m, k));
        let shown_people = People::new(this.any, k);
        let trend =
            if shown_people.shown().is_some() && People::new(before.any, k).shown().is_some() {
                match (Trend::average(&before_moods), Trend::average(&moods)) {
                    (Some(before), Some(now)) => Some(Trend { before, now }),
                    _ => None,
                }
            } else {
                None
            };
        let big: Vec<u64> = rounds
            .iter()
            .copied()
            .filter(|a| *a >= u64::from(k))
            .collect();
        let turnout = if big.is_empty() {
            0
        } else {
            big.iter().sum::<u64>() / big.len() as u64
        };
        let within = |p: &Period| {
            let (first, last) = (p.first, p.last);
            attended
                .iter()
                .filter(move |c| first <= c.day && c.day <= last)
        };
        let (came, said_going, came_with_k) = average_came(within(&request.period), k);
        let attended_meetings = within(&request.period).count() as u64;
        let weeks = request
            .weeks
            .iter()
            .map(|w| (w.clone(), People::new(counts(&w.key).any, k)))
            .collect();
        let weeks_came = request
            .weeks
            .iter()
            .map(|w| People::new(average_came(within(w), k).0, k))
            .collect();
        Self {
            period: request.period,
            which: request.which,
            k,
            people: shown_people,
            moods,
            trend,
            rounds_held: rounds.len() as u64,
            rounds_with_k: big.len() as u64,
            round_turnout: People::new(turnout, k),
            meetings_held: meetings.held,
            going: People::new(meetings.going_people, k),
            attended_meetings,
            attended_with_k: came_with_k,
            came: People::new(came, k),
            said_going: People::new(said_going, k),
            weeks,
            weeks_came,
        }
    }

    /// Whether enough people checked in for a chart (and a mood spread).
    pub fn has_chart(&self) -> bool {
        self.people.shown().is_some()
    }

    /// Every people figure the view shows anywhere (embed, chart, CSV), as
    /// its lower bound: 0 for "fewer than k".
    pub fn shown_people(&self) -> Vec<u64> {
        let mut all = vec![
            self.people.at_least(),
            self.round_turnout.at_least(),
            self.going.at_least(),
            self.came.at_least(),
            self.said_going.at_least(),
        ];
        all.extend(self.moods.iter().map(|m| m.at_least()));
        all.extend(self.weeks.iter().map(|(_, p)| p.at_least()));
        all.extend(self.weeks_came.iter().map(|p| p.at_least()));
        all
    }

    /// "this week", "last month".
    fn which_period(&self) -> String {
        format!("{} {}", self.which.as_str(), self.period.kind.as_str())
    }

    pub fn embed(&self) -> EmbedText {
        let k = self.k;
        let verb = match self.which {
            Which::This => "is",
            Which::Last => "was",
        };
        let title = format!(
            "How the group {verb} doing: {} ({} to {})",
            self.which_period(),
            self.period.first.format("%-d %b"),
            self.period.last.format("%-d %b %Y")
        );
        let mut description = format!(
            "Anonymous counts of people, never of check-ins. To keep everyone unidentifiable, each figure is \
             rounded down to a step of {k}: \"{}\" means at least {k} people and fewer than {}, and anything \
             under {k} shows as \"fewer than {k}\".",
            People::new(u64::from(k), k).render(),
            2 * k
        );
        if !self.has_chart() {
            description.push_str(&format!(
                "\n\nFewer than {k} people checked in {}, so there is no chart: with so few, a chart could \
                 point to someone.",
                self.which_period()
            ));
        }
        let moods = if self.has_chart() {
            Mood::ALL
                .iter()
                .zip(&self.moods)
                .map(|(m, p)| format!("{} {}: {}", m.emoji(), m.word(), p.render()))
                .collect::<Vec<_>>()
                .join("\n")
        } else {
            format!("Fewer than {k} people checked in, so how they felt stays private.")
        };
        let rounds = match (self.rounds_held, self.round_turnout.shown()) {
            (0, _) => "None held.".to_owned(),
            (held, Some(_)) => format!(
                "{held} held; {} with at least {k} answers, averaging {} people",
                self.rounds_with_k,
                self.round_turnout.render()
            ),
            (held, None) => format!(
                "{held} held; none with at least {k} answers, so how many answered stays private"
            ),
        };
        let mut fields = vec![
            EmbedField {
                name: "People who checked in".into(),
                value: self.people.render(),
                inline: false,
            },
            EmbedField {
                name: "Moods (people who checked in with each at least once)".into(),
                value: moods,
                inline: false,
            },
            EmbedField {
                name: "Rounds".into(),
                value: rounds,
                inline: false,
            },
            EmbedField {
                name: "Meetings".into(),
                value: format!(
                    "{} held; people who said they were going: {}",
                    self.meetings_held,
                    self.going.render()
                ),
                inline: false,
            },
            EmbedField {
                name: "Came to voice meetings".into(),
                value: match (self.attended_meetings, self.came.shown()) {
                    (0, _) => "No voice meeting counted.".to_owned(),
                    (n, Some(_)) => format!(
                        "{n} counted; {} with at least {k} people, averaging {} people who came and {} who had said they were going",
                        self.attended_with_k,
                        self.came.render(),
                        self.said_going.render()
                    ),
                    (n, None) => format!(
                        "{n} counted; none with at least {k} people, so how many came stays private"
                    ),
                },
                inline: false,
            },
        ];
        if let Some(trend) = &self.trend {
            fields.push(EmbedField {
                name: "Trend".into(),
                value: trend.words(self.period.kind),
                inline: false,
            });
        }
        EmbedText {
            title,
            description,
            fields,
        }
    }

    /// The chart's data, or `None` below k people: then there is no chart.
    pub fn chart(&self) -> Option<ChartData> {
        self.has_chart().then(|| ChartData {
            k: self.k,
            weeks: self
                .weeks
                .iter()
                .map(|(w, p)| (w.first.format("%-d %b").to_string(), p.shown()))
                .collect(),
            came: self.weeks_came.iter().map(|p| p.shown()).collect(),
            moods: self.moods.map(People::shown),
        })
    }

    /// The CSV's rows (without the header): metric, period key, value.
    pub fn csv_rows(&self) -> Vec<[String; 3]> {
        let key = &self.period.key;
        let k = self.k;
        let row = |metric: &str, period: &str, value: String| {
            [metric.to_owned(), period.to_owned(), value]
        };
        let mut rows = vec![row("people", key, self.people.render())];
        for (m, p) in Mood::ALL.iter().zip(&self.moods) {
            rows.push(row(&format!("mood_{}", m.word()), key, p.render()));
        }
        rows.push(row("rounds_held", key, self.rounds_held.to_string()));
        rows.push(row(
            &format!("rounds_with_{k}_or_more_answers"),
            key,
            self.rounds_with_k.to_string(),
        ));
        rows.push(row("round_turnout", key, self.round_turnout.render()));
        rows.push(row("meetings_held", key, self.meetings_held.to_string()));
        rows.push(row("people_going", key, self.going.render()));
        rows.push(row(
            "voice_meetings_counted",
            key,
            self.attended_meetings.to_string(),
        ));
        rows.push(row("people_came", key, self.came.render()));
        rows.push(row(
            "people_said_going_to_counted",
            key,
            self.said_going.render(),
        ));
        if let Some(trend) = &self.trend {
            let before = previous(&self.period);
            rows.push(row(
                "average_mood",
                &before.key,
                format!("{:.1}", trend.before),
            ));
            rows.push(row("average_mood", key, format!("{:.1}", trend.now)));
        }
        for (week, p) in &self.weeks {
            rows.push(row("weekly_people", &week.key, p.render()));
        }
        for ((week, _), p) in self.weeks.iter().zip(&self.weeks_came) {
            rows.push(row("weekly_people_came", &week.key, p.render()));
        }
        rows
    }

    /// The CSV file: a header and [`StatsView::csv_rows`].
    pub fn csv(&self) -> Result<Vec<u8>, csv::Error> {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(CSV_HEADER)?;
        for r in self.csv_rows() {
            w.write_record(&r)?;
        }
        w.into_inner().map_err(|e| e.into_error().into())
    }

    /// Whether a CSV metric counts people (rounded) rather than rounds,
    /// meetings or an average.
    pub fn csv_metric_is_people(metric: &str) -> bool {
        !(metric == "rounds_held"
            || metric == "meetings_held"
            || metric == "voice_meetings_counted"
            || metric == "average_mood"
            || (metric.starts_with("rounds_with_") && metric.ends_with("_answers")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn facets_round_trip() {
        for f in Facet::ALL {
            assert_eq!(Facet::parse(f.as_str()), Some(f));
        }
        assert_eq!(Facet::parse("mood_6"), None);
        let salt = [7u8; 32];
        assert_ne!(
            person_hash(&salt, Facet::Any, UserId(1)),
            person_hash(&salt, Facet::Going, UserId(1)),
            "one person's facets do not share a value"
        );
        assert_ne!(
            person_hash(&salt, Facet::Any, UserId(1)),
            person_hash(&[8u8; 32], Facet::Any, UserId(1))
        );
    }

    #[test]
    fn people_are_rounded_down_to_steps_of_k() {
        assert_eq!(People::new(0, 5).render(), "fewer than 5");
        assert_eq!(People::new(4, 5).render(), "fewer than 5");
        assert_eq!(People::new(4, 5).shown(), None);
        assert_eq!(People::new(5, 5).render(), "5 to 9");
        assert_eq!(People::new(14, 5).render(), "10 to 14");
        assert_eq!(People::new(14, 5).shown(), Some(10));
        assert_eq!(People::new(7, 3).render(), "6 to 8");
    }

    #[test]
    fn the_request_covers_the_period_before_and_the_charts_weeks() {
        let today = d(2027, 3, 10);
        let r = StatsRequest::new(PeriodKind::Month, Which::This, today);
        assert_eq!(
            (r.period.key.as_str(), r.before.key.as_str()),
            ("M2027-03", "M2027-02")
        );
        assert_eq!(r.weeks.len(), 12);
        assert_eq!(r.weeks.last().unwrap().key, "W2027-10", "up to this week");
        let r = StatsRequest::new(PeriodKind::Month, Which::Last, today);
        assert_eq!(
            (r.period.key.as_str(), r.before.key.as_str()),
            ("M2027-02", "M2027-01")
        );
        assert_eq!(
            r.weeks.last().unwrap().key,
            "W2027-08",
            "up to February's last week"
        );
        let r = StatsRequest::new(PeriodKind::Year, Which::Last, today);
        assert_eq!(r.period.key, "Y2026");
        assert_eq!(r.weeks.first().unwrap().key, "W2026-01");
        assert_eq!(r.weeks.last().unwrap().key, "W2026-53");
        let r = StatsRequest::new(PeriodKind::Week, Which::Last, today);
        assert_eq!(r.period.key, "W2027-09");
        assert!(r.keys().contains(&"W2027-08".to_owned()));
    }

    fn view(this: PeopleCounts, before: PeopleCounts, k: u32) -> StatsView {
        let request = StatsRequest::new(PeriodKind::Week, Which::This, d(2027, 3, 10));
        let mut people = HashMap::new();
        people.insert(request.before.key.clone(), before);
        people.insert(request.period.key.clone(), this);
        StatsView::build(
            request,
            k,
            &people,
            &[3, 6, 12],
            MeetingStats {
                held: 2,
                going_people: 4,
            },
            &[(d(2027, 3, 8), 4), (d(2027, 3, 9), 7), (d(2027, 3, 10), 12)].map(|(day, came)| {
                Counted {
                    day,
                    came,
                    going: Some(came),
                }
            }),
        )
    }

    /// Attendance per week on the chart: a week's average of its voice
    /// meetings with at least k, rounded; none below k; each meeting in
    /// the week of its own day only.
    #[test]
    fn the_chart_shows_attendance_per_week_never_below_k() {
        let request = StatsRequest::new(PeriodKind::Week, Which::This, d(2027, 3, 10));
        let mut people = HashMap::new();
        for w in &request.weeks {
            people.insert(
                w.key.clone(),
                PeopleCounts {
                    any: 9,
                    ..Default::default()
                },
            );
        }
        let view = StatsView::build(
            request.clone(),
            5,
            &people,
            &[],
            MeetingStats::default(),
            &[
                (d(2027, 3, 9), 7),
                (d(2027, 3, 10), 12),
                (d(2027, 3, 2), 4),
                (d(2027, 2, 23), 6),
            ]
            .map(|(day, came)| Counted {
                day,
                came,
                going: Some(10),
            }),
        );
        let chart = view.chart().expect("enough people for a chart");
        assert_eq!(chart.came.len(), chart.weeks.len());
        let of = |day: NaiveDate| {
            let i = request
                .weeks
                .iter()
                .position(|w| w.first <= day && day <= w.last)
                .unwrap();
            chart.came[i]
        };
        assert_eq!(
            of(d(2027, 3, 10)),
            Some(5),
            "(7 + 12) / 2 = 9, shown as 5 to 9"
        );
        assert_eq!(of(d(2027, 3, 2)), None, "4 is fewer than k");
        assert_eq!(of(d(2027, 2, 23)), Some(5));
        assert_eq!(of(d(2027, 2, 16)), None, "no meeting counted");
        // The period's own figure takes only its days.
        assert_eq!((view.attended_meetings, view.attended_with_k), (2, 2));
        assert!(
            view.csv_rows()
                .iter()
                .any(|r| r[0] == "weekly_people_came" && r[2] == "5 to 9")
        );
    }

    #[test]
    fn below_k_there_is_no_chart_and_it_says_so() {
        let v = view(
            PeopleCounts {
                any: 4,
                moods: [1, 0, 3, 0, 0],
                ..PeopleCounts::default()
            },
            PeopleCounts::default(),
            5,
        );
        assert!(v.chart().is_none());
        let e = v.embed();
        assert!(e.description.contains("no chart"), "{}", e.description);
        assert!(e.fields[0].value == "fewer than 5");
        assert!(e.fields[1].value.contains("stays private"));
        assert!(v.trend.is_none());
    }

    #[test]
    fn figures_the_trend_and_turnout_come_from_rounded_people() {
        let v = view(
            PeopleCounts {
                any: 13,
                moods: [1, 0, 6, 12, 0],
                ..PeopleCounts::default()
            },
            PeopleCounts {
                any: 7,
                moods: [0, 7, 0, 0, 0],
                ..PeopleCounts::default()
            },
            5,
        );
        let e = v.embed();
        assert_eq!(e.fields[0].value, "10 to 14");
        assert!(e.fields[1].value.contains("struggling: fewer than 5"));
        assert!(e.fields[1].value.contains("okay: 5 to 9"));
        assert!(e.fields[1].value.contains("good: 10 to 14"));
        // The hidden struggling person does not move the average: (3·5 + 4·10) / 15.
        let trend = v.trend.unwrap();
        assert_eq!(trend.before, 2.0);
        assert!((trend.now - 55.0 / 15.0).abs() < 1e-9);
        // Rounds of 6 and 12 average 9, shown as 5 to 9; the round of 3 is left out.
        assert!(
            e.fields[2]
                .value
                .contains("3 held; 2 with at least 5 answers, averaging 5 to 9 people")
        );
        assert!(
            e.fields[3]
                .value
                .contains("2 held; people who said they were going: fewer than 5")
        );
        let chart = v.chart().unwrap();
        assert_eq!(chart.moods, [None, None, Some(5), Some(10), None]);
        assert_eq!(chart.weeks.last().unwrap().1, Some(10));
        for n in v.shown_people() {
            assert!(n % 5 == 0);
        }
    }

    #[test]
    fn the_csv_is_the_same_figures() {
        let v = view(
            PeopleCounts {
                any: 6,
                moods: [0, 0, 6, 0, 0],
                ..PeopleCounts::default()
            },
            PeopleCounts::default(),
            5,
        );
        let csv = String::from_utf8(v.csv().unwrap()).unwrap();
        assert!(csv.starts_with("metric,period,value\n"));
        assert!(csv.contains("people,W2027-10,5 to 9\n"), "{csv}");
        assert!(csv.contains("mood_great,W2027-10,fewer than 5\n"), "{csv}");
        assert!(csv.contains("weekly_people,W2027-10,5 to 9\n"), "{csv}");
        assert!(!csv.contains("checkins"), "no event counts: {csv}");
        for r in v.csv_rows() {
            if StatsView::csv_metric_is_people(&r[0]) {
                assert!(r[2] == "fewer than 5" || r[2].ends_with(" to 9"), "{r:?}");
            }
        }
    }
}
