//! Prompts and strategies against the fake Discord (with Discord's rate
//! limits) and the real clock: `/strategy browse` with a search over the
//! built-in library plus 10,000 approved strategies of the server (latency
//! from the command to the answer), and 1,000 servers' prompts scheduled at
//! the same minute (all posted, lateness). Run with
//! `cargo bench --bench prompts`.

mod common;

use common::{boot, pct};
use std::time::{Duration as StdDuration, Instant};

use chrono::{Duration, NaiveTime, Timelike, Utc};
use chrono_tz::Tz;
use haven::domain::prompt_schedule::{Days, PromptTimes};
use haven::domain::{ChannelId, GuildId};
use haven::sim::{Sim, SimChannel, World};
use haven::store::{Db, PromptSchedule};

const SERVERS: u64 = 1000;
const APPROVED: i64 = 10_000;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let mut world = World::sandbox();
    world.channels.extend((1..=SERVERS).map(|n| SimChannel {
        id: 1_410_000_000_000_000_000 + n,
        name: format!("group-{n}"),
        kind: 0,
        position: (10 + n) as u16,
        guild_id: Some(haven::sim::world::GUILD_ID),
        recipient: None,
        overwrites: Vec::new(),
    }));
    let sim = Sim::start(world).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let db = Db::open(&url).await.unwrap();
    db.close().await;

    // 10,000 approved strategies of the server, a tenth mentioning "walk".
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1)
         INSERT INTO shared_strategies (guild_id, category, text, status, created_at)
         SELECT ?2, 'stress',
                CASE WHEN i % 10 = 0 THEN 'A short walk outside helps me reset, number ' || i
                     ELSE 'Writing three lines in a notebook settles me, number ' || i END,
                'approved', '2027-01-01T00:00:00Z'
         FROM n",
    )
    .bind(APPROVED)
    .bind(haven::sim::world::GUILD_ID as i64)
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;

    let (stop, task) = boot(&sim, &url).await;
    let alice = sim.member("alice");
    let general = sim.channel_id("general");
    let searches = [
        "walk",
        "breath",
        "notebook settles",
        "sleep",
        "kind",
        "xyzzy",
    ];
    let mut browse = Vec::new();
    for i in 0..300 {
        let line = format!(
            "/strategy browse search:\"{}\"",
            searches[i % searches.len()]
        );
        let t = Instant::now();
        let token = sim.command(&alice, general, &line).unwrap();
        sim.reply_within(&token, StdDuration::from_secs(10))
            .await
            .expect("answered");
        browse.push(t.elapsed().as_secs_f64() * 1000.0);
        // Stay clear of anything like a per-member flood.
        tokio::time::sleep(StdDuration::from_millis(5)).await;
    }
    browse.sort_by(f64::total_cmp);
    let _ = stop.send(());
    let _ = task.await;

    // 1,000 servers' prompts at the same minute (one channel each here).
    let db = Db::open(&url).await.unwrap();
    let now = Utc::now();
    let at = (now + Duration::seconds(90))
        .with_second(0)
        .and_then(|t| t.with_nanosecond(0))
        .unwrap();
    let time = NaiveTime::from_hms_opt(at.hour(), at.minute(), 0).unwrap();
    for n in 1..=SERVERS {
        let schedule = PromptSchedule {
            channel: ChannelId(1_410_000_000_000_000_000 + n),
            guild: GuildId(haven::sim::world::GUILD_ID),
            times: PromptTimes {
                zone: Tz::UTC,
                time,
                days: Days::Daily,
            },
            category: None,
            paused: false,
            last_date: None,
        };
        db.set_prompt_schedule(&schedule, now).await.unwrap();
        haven::scheduler::prompts::plan(&db, &schedule, now)
            .await
            .unwrap();
    }
    db.close().await;
    let limited_before = sim.rate_limited_count();
    let (stop, task) = boot(&sim, &url).await;
    let (ref_instant, ref_utc) = (Instant::now(), Utc::now());
    let due = ref_instant + (at - ref_utc).to_std().unwrap_or_default();
    let posted = |sim: &Sim| {
        sim.all_messages()
            .into_iter()
            .filter(|m| {
                m.channel_id > 1_410_000_000_000_000_000 && m.text().contains("Discussion prompt")
            })
            .collect::<Vec<_>>()
    };
    let deadline = due + StdDuration::from_secs(180);
    while posted(&sim).len() < SERVERS as usize && Instant::now() < deadline {
        tokio::time::sleep(StdDuration::from_millis(200)).await;
    }
    let got = posted(&sim);
    let mut lateness: Vec<f64> = got
        .iter()
        .map(|m| m.received.saturating_duration_since(due).as_secs_f64())
        .collect();
    lateness.sort_by(f64::total_cmp);
    let threads = sim.threads().len();
    let caused_429 = sim.rate_limited_count() - limited_before;
    let _ = stop.send(());
    let _ = task.await;

    println!();
    println!("haven prompts benchmark (real clock, fake Discord with Discord's rate limits)");
    println!("{:-<78}", "");
    println!("{:<48} {:>12} {:>15}", "figure", "value", "target");
    println!("{:-<78}", "");
    println!(
        "{:<48} {:>9.1} ms {:>15}",
        "/strategy browse + search, 10,000 approved: p50",
        pct(&browse, 0.5),
        ""
    );
    println!(
        "{:<48} {:>9.1} ms {:>15}",
        "  p99",
        pct(&browse, 0.99),
        "< 20 ms"
    );
    println!(
        "{:<48} {:>12} {:>15}",
        "1,000 prompts at the same minute: posted",
        got.len(),
        "1000"
    );
    println!("{:<48} {:>12} {:>15}", "  threads opened", threads, "1000");
    if !lateness.is_empty() {
        println!(
            "{:<48} {:>10.1} s {:>15}",
            "  lateness p50",
            pct(&lateness, 0.5),
            ""
        );
        println!(
            "{:<48} {:>10.1} s {:>15}",
            "  lateness p99",
            pct(&lateness, 0.99),
            "~ 40 s ceiling"
        );
    }
    println!(
        "{:<48} {:>12} {:>15}",
        "  429s Haven caused", caused_429, "0"
    );
    println!(
        "{:<48} {:>48}",
        "", "(2,000 requests at Discord's global 50 a second: 40 s)"
    );
    println!("{:-<78}", "");
}
