//! Voice attendance: how many voice changes Haven handles a second with
//! 10,000 members moving between channels, how many queries a change that
//! concerns no meeting costs, and the memory of open occurrences with 2,000
//! people in them. Prints a table.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use chrono::{Duration, TimeZone, Utc};
use haven::domain::recurrence::{Repeat, Schedule};
use haven::domain::{ChannelId, GuildId, UserId};
use haven::scheduler::attendance::{Rooms, on_voice};
use haven::store::{Db, NewMeeting};

static QUERIES: AtomicU64 = AtomicU64::new(0);

struct CountQueries;

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for CountQueries {
    fn on_event(
        &self,
        _event: &tracing::Event<'_>,
        _ctx: tracing_subscriber::layer::Context<'_, S>,
    ) {
        QUERIES.fetch_add(1, Ordering::Relaxed);
    }
}

fn rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

const GUILD: GuildId = GuildId(1_300_000_000_000_000_001);
const MEMBERS: u64 = 10_000;
const MOVES: u64 = 100_000;
const IN_MEETINGS: u64 = 2_000;
/// Channels with no meeting, where members move about.
const LOUNGES: u64 = 20;
/// Voice channels where meetings happen.
const ROOMS: u64 = 10;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    use tracing_subscriber::Layer as _;
    use tracing_subscriber::layer::SubscriberExt as _;
    let filter = tracing_subscriber::filter::Targets::new()
        .with_target("sqlx::query", tracing::Level::TRACE);
    tracing::subscriber::set_global_default(
        tracing_subscriber::registry().with(CountQueries.with_filter(filter)),
    )
    .expect("a subscriber");

    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let db = Db::open(&url).await.unwrap();
    let start = Utc.with_ymd_and_hms(2027, 3, 10, 19, 0, 0).unwrap();
    for r in 0..ROOMS {
        let new = NewMeeting {
            guild: GUILD,
            channel: ChannelId(1_400_000_000_000_000_001),
            title: format!("Room {r}"),
            schedule: Schedule {
                zone: chrono_tz::Tz::UTC,
                start: start.naive_utc(),
                repeat: Repeat::Weekly,
                skips: Default::default(),
            },
            duration: Duration::minutes(60),
            reminders: haven::domain::reminders::Offsets::parse("none").unwrap(),
            mention_role: None,
            location: Some(format!("<#{}>", room(r))),
        };
        db.create_meeting(&new, start - Duration::days(1))
            .await
            .unwrap();
    }
    let rooms = Rooms::default();
    let now = start + Duration::minutes(5);

    // 1. Members moving between channels with no meeting.
    let before = QUERIES.load(Ordering::Relaxed);
    let t = Instant::now();
    for i in 0..MOVES {
        let user = UserId(1_500_000_000_000_000_000 + i % MEMBERS);
        let from = Some(lounge(i % LOUNGES));
        let to = Some(lounge((i + 1) % LOUNGES));
        on_voice(&db, &rooms, GUILD, user, false, (from, to), to, now)
            .await
            .unwrap();
    }
    let elsewhere = t.elapsed();
    let elsewhere_queries = QUERIES.load(Ordering::Relaxed) - before;

    // 2. 2,000 people join the meetings' rooms.
    let rss_before = rss_mb();
    let t = Instant::now();
    for i in 0..IN_MEETINGS {
        let user = UserId(1_600_000_000_000_000_000 + i);
        on_voice(
            &db,
            &rooms,
            GUILD,
            user,
            false,
            (None, Some(room(i % ROOMS))),
            Some(room(i % ROOMS)),
            now,
        )
        .await
        .unwrap();
    }
    let joining = t.elapsed();
    let rss_after = rss_mb();
    let held: i64 = {
        let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
        sqlx::query_scalar("SELECT COUNT(*) FROM attendance_presence")
            .fetch_one(&pool)
            .await
            .unwrap()
    };

    println!();
    println!("haven meetings benchmark (voice attendance, SQLite, this machine)");
    println!("{:-<78}", "");
    println!("{:<48} {:>12} {:>15}", "figure", "value", "target");
    println!("{:-<78}", "");
    println!(
        "{:<48} {:>12.0} {:>15}",
        "voice changes elsewhere handled per second",
        MOVES as f64 / elsewhere.as_secs_f64(),
        "> 20000"
    );
    println!(
        "{:<48} {:>12.4} {:>15}",
        "  queries per change elsewhere",
        elsewhere_queries as f64 / MOVES as f64,
        "0 (1 a minute)"
    );
    println!(
        "{:<48} {:>12.0} {:>15}",
        "joins of a meeting's room handled per second",
        IN_MEETINGS as f64 / joining.as_secs_f64(),
        ""
    );
    println!(
        "{:<48} {:>12} {:>15}",
        "  people held in open occurrences", held, "2000"
    );
    println!(
        "{:<48} {:>9.1} MB {:>15}",
        "  resident memory (whole process)", rss_after, "< 150 MB"
    );
    println!(
        "{:<48} {:>9.1} MB {:>15}",
        "  of which for 2,000 people in open meetings",
        rss_after - rss_before,
        "< 20 MB"
    );
    println!("{:-<78}", "");
}

fn lounge(n: u64) -> u64 {
    1_400_000_000_000_001_000 + n
}

fn room(n: u64) -> u64 {
    1_400_000_000_000_002_000 + n
}
