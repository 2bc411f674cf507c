//! `/checkin` end to end through the fake Discord with 200 concurrent members
//! (throughput, p50/p99) beside the raw rate of the same database work done
//! directly (the settings read, counting the member as a person, the journal
//! check), and `/stats overview` on a server with two years of daily
//! activity (p99, chart included). Run with `cargo bench --bench checkins`.

mod common;

use common::{boot, pct};
use std::time::{Duration as StdDuration, Instant};

use chrono::{Duration, NaiveDate, Utc};
use haven::domain::mood::Mood;
use haven::domain::stats::Facet;
use haven::domain::{GuildId, UserId};
use haven::sim::{Sim, SimMember, World};
use haven::store::Db;

const MEMBERS: u64 = 200;
const PER_MEMBER: usize = 10;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let mut world = World::sandbox();
    world.members = (1..=MEMBERS)
        .map(|n| SimMember {
            id: 1_500_000_000_000_000_000 + n,
            name: format!("member{n}"),
            roles: vec![],
            permissions_override: None,
            bot: false,
        })
        .collect();
    world.members.push(World::sandbox().members[0].clone()); // admin
    let sim = Sim::start(world).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let (stop, task) = boot(&sim, &url).await;
    let general = sim.channel_id("general");

    // 1. /checkin from 200 members at once.
    let started = Instant::now();
    let workers: Vec<_> = (0..MEMBERS as usize)
        .map(|i| {
            let sim = sim.clone();
            let member = sim.world().members[i].clone();
            tokio::spawn(async move {
                let mut lat = Vec::with_capacity(PER_MEMBER);
                for j in 0..PER_MEMBER {
                    let t = Instant::now();
                    let token = sim
                        .command(
                            &member,
                            general,
                            &format!("/checkin mood:{}", (i + j) % 5 + 1),
                        )
                        .unwrap();
                    sim.reply_within(&token, StdDuration::from_secs(60))
                        .await
                        .expect("answered");
                    lat.push(t.elapsed().as_secs_f64() * 1000.0);
                }
                lat
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for w in workers {
        latencies.extend(w.await.unwrap());
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort_by(f64::total_cmp);
    let e2e_rate = latencies.len() as f64 / elapsed;

    // The same members at a steady 1,000 check-ins a second (an open load:
    // latency without the queueing a closed loop of 200 builds up).
    let rate = 1000.0;
    let total = 3000usize;
    let started = Instant::now();
    let mut open_tasks = Vec::with_capacity(total);
    for n in 0..total {
        let due = started + StdDuration::from_secs_f64(n as f64 / rate);
        tokio::time::sleep_until(due.into()).await;
        let sim = sim.clone();
        let member = sim.world().members[n % MEMBERS as usize].clone();
        open_tasks.push(tokio::spawn(async move {
            let t = Instant::now();
            let token = sim
                .command(&member, general, &format!("/checkin mood:{}", n % 5 + 1))
                .unwrap();
            sim.reply_within(&token, StdDuration::from_secs(60))
                .await
                .expect("answered");
            t.elapsed().as_secs_f64() * 1000.0
        }));
    }
    let mut open_latencies = Vec::with_capacity(total);
    for t in open_tasks {
        open_latencies.push(t.await.unwrap());
    }
    let open_rate = total as f64 / started.elapsed().as_secs_f64();
    open_latencies.sort_by(f64::total_cmp);

    // The same database work as each /checkin, directly: the server's
    // settings, counting the member as a person (in all and in their mood,
    // in every period), and the journal lookup; 200 members at a time.
    let raw_dir = tempfile::tempdir().unwrap();
    let raw = Db::open(&format!(
        "sqlite://{}",
        raw_dir.path().join("raw.db").display()
    ))
    .await
    .unwrap();
    let guild = GuildId(haven::sim::world::GUILD_ID);
    let started = Instant::now();
    let raw_workers: Vec<_> = (0..MEMBERS)
        .map(|i| {
            let raw = raw.clone();
            tokio::spawn(async move {
                let user = UserId(1_500_000_000_000_000_001 + i);
                for j in 0..PER_MEMBER as u64 {
                    let mood = Mood::new(((i + j) % 5 + 1) as i64).unwrap();
                    let tz = raw
                        .guild_settings(guild)
                        .await
                        .unwrap()
                        .timezone
                        .unwrap_or(chrono_tz::Tz::UTC);
                    raw.count_person(
                        guild,
                        tz,
                        Utc::now(),
                        &[Facet::Any, Facet::Mood(mood)],
                        user,
                    )
                    .await
                    .unwrap();
                    raw.journal_active(user).await.unwrap();
                }
            })
        })
        .collect();
    for w in raw_workers {
        w.await.unwrap();
    }
    let raw_rate = (MEMBERS as usize * PER_MEMBER) as f64 / started.elapsed().as_secs_f64();

    // 2. /stats overview on two years of daily activity: people counted in
    // every week, month, quarter and year of it.
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    let guild = haven::sim::world::GUILD_ID as i64;
    let today = Utc::now().date_naive();
    let mut keys = std::collections::BTreeSet::new();
    for d in 0..730 {
        let date: NaiveDate = today - Duration::days(d);
        for kind in haven::domain::periods::PeriodKind::ALL {
            keys.insert(haven::domain::periods::period_of(kind, date).key);
        }
    }
    for key in keys {
        for (facet, people) in [
            ("any", 30),
            ("mood_1", 4),
            ("mood_2", 6),
            ("mood_3", 12),
            ("mood_4", 12),
            ("mood_5", 6),
            ("going", 9),
        ] {
            sqlx::query("INSERT OR IGNORE INTO stats_people (guild_id, period, facet, people) VALUES (?, ?, ?, ?)")
                .bind(guild)
                .bind(&key)
                .bind(facet)
                .bind(people)
                .execute(&pool)
                .await
                .unwrap();
        }
    }
    pool.close().await;
    let admin = sim.member("admin");
    let mut stats = Vec::new();
    for i in 0..100 {
        let period = ["week", "month", "quarter", "year"][i % 4];
        let t = Instant::now();
        let token = sim
            .command(&admin, general, &format!("/stats overview period:{period}"))
            .unwrap();
        let reply = sim
            .reply_within(&token, StdDuration::from_secs(30))
            .await
            .expect("answered");
        assert!(!reply.attachments.is_empty(), "a chart came back");
        stats.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    stats.sort_by(f64::total_cmp);
    let _ = stop.send(());
    let _ = task.await;

    println!();
    println!("haven check-ins benchmark (fake Discord, real clock)");
    println!("{:-<78}", "");
    println!("{:<50} {:>12} {:>13}", "figure", "value", "target");
    println!("{:-<78}", "");
    println!(
        "{:<50} {:>12.0} {:>13}",
        "/checkin, 200 members all at once: per second", e2e_rate, ">= 1000"
    );
    println!(
        "{:<50} {:>9.1} ms {:>13}",
        "  p50 latency",
        pct(&latencies, 0.5),
        ""
    );
    println!(
        "{:<50} {:>9.1} ms {:>13}",
        "  p99 latency (queueing: 200 in flight)",
        pct(&latencies, 0.99),
        ""
    );
    println!(
        "{:<50} {:>12.0} {:>13}",
        "/checkin at a steady 1,000/s: achieved per second", open_rate, ">= 1000"
    );
    println!(
        "{:<50} {:>9.1} ms {:>13}",
        "  p50 latency",
        pct(&open_latencies, 0.5),
        ""
    );
    println!(
        "{:<50} {:>9.1} ms {:>13}",
        "  p99 latency",
        pct(&open_latencies, 0.99),
        "< 20 ms"
    );
    println!(
        "{:<50} {:>12.0} {:>13}",
        "same database work directly with sqlx: per second", raw_rate, ""
    );
    println!(
        "{:<50} {:>12.2} {:>13}",
        "  ratio end-to-end / direct",
        e2e_rate / raw_rate,
        ""
    );
    println!(
        "{:<50} {:>9.1} ms {:>13}",
        "/stats overview, two years of activity: p50",
        pct(&stats, 0.5),
        ""
    );
    println!(
        "{:<50} {:>9.1} ms {:>13}",
        "/stats overview, two years of activity: p99",
        pct(&stats, 0.99),
        "< 100 ms"
    );
    println!("{:-<78}", "");
}
