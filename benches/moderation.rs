//! Moderation against the fake Discord (with Discord's rate limits) and the
//! real clock: `/mod history` for a member with 1,000 cases in a server with
//! 100,000 (latency from the command to the answer), and 100 reports in one
//! second from 100 members (all logged, none lost, how fast each interaction
//! was acknowledged against Discord's 3-second limit). Run with
//! `cargo bench --bench moderation`.

mod common;

use common::{boot, pct};
use std::time::{Duration as StdDuration, Instant};

use chrono::{Duration, Utc};
use haven::domain::{ChannelId, GuildId, RoleId};
use haven::sim::world::{FACILITATOR_ROLE, GUILD_ID, MEMBER_ROLE};
use haven::sim::{Sim, SimMember, World};
use haven::store::Db;

const CASES: i64 = 100_000;
const ABOUT_ONE: i64 = 1_000;
const REPORTS: u64 = 100;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let mut world = World::sandbox();
    world.members.extend((1..=REPORTS).map(|n| SimMember {
        id: 1_510_000_000_000_000_000 + n,
        name: format!("member{n}"),
        roles: vec![MEMBER_ROLE],
        permissions_override: None,
        bot: false,
    }));
    let sim = Sim::start(world).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let db = Db::open(&url).await.unwrap();
    let now = Utc::now();
    let guild = GuildId(GUILD_ID);
    db.set_facilitator_role(guild, RoleId(FACILITATOR_ROLE), now)
        .await
        .unwrap();
    db.set_log_channel(guild, ChannelId(sim.channel_id("facilitators")), now)
        .await
        .unwrap();
    db.close().await;

    // 100,000 cases in the server, 1,000 of them about bob, over a year.
    let bob = sim.member("bob");
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1)
         INSERT INTO mod_cases (guild_id, number, kind, moderator_id, target_id, reason, created_ms)
         SELECT ?2, i, CASE WHEN i % 3 = 0 THEN 'warn' ELSE 'timeout' END, ?3,
                CASE WHEN i % (?1 / ?4) = 0 THEN ?5 ELSE 2000000000000000000 + i % 20000 END,
                'Reason number ' || i, ?6 - (?1 - i) * 300000
         FROM n",
    )
    .bind(CASES)
    .bind(GUILD_ID as i64)
    .bind(sim.member("facilitator").id as i64)
    .bind(ABOUT_ONE)
    .bind(bob.id as i64)
    .bind(now.timestamp_millis())
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query("INSERT INTO mod_case_numbers (guild_id, last) VALUES (?, ?)")
        .bind(GUILD_ID as i64)
        .bind(CASES)
        .execute(&pool)
        .await
        .unwrap();
    let about_bob: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM mod_cases WHERE target_id = ?")
        .bind(bob.id as i64)
        .fetch_one(&pool)
        .await
        .unwrap();
    pool.close().await;

    let (stop, task) = boot(&sim, &url).await;

    let facilitator = sim.member("facilitator");
    let general = sim.channel_id("general");
    let mut history = Vec::new();
    for _ in 0..300 {
        let t = Instant::now();
        let token = sim
            .command(&facilitator, general, "/mod history member:@bob")
            .unwrap();
        let reply = sim
            .reply_within(&token, StdDuration::from_secs(10))
            .await
            .expect("answered");
        assert!(reply.text().contains("1000 case(s)"), "{}", reply.text());
        history.push(t.elapsed().as_secs_f64() * 1000.0);
        tokio::time::sleep(StdDuration::from_millis(5)).await;
    }
    history.sort_by(f64::total_cmp);
    eprintln!("history done: p99 {:.1} ms", pct(&history, 0.99));

    // 100 reports within one second, each from its own member.
    let targets: Vec<_> = (0..REPORTS)
        .map(|i| {
            sim.post_as(
                &bob,
                general,
                &format!("message {i}"),
                Duration::seconds(30),
            )
        })
        .collect();
    let late_before = sim.late_answer_count();
    let started = Instant::now();
    let mut flows = Vec::new();
    for (i, target) in targets.into_iter().enumerate() {
        let sim = sim.clone();
        let member = sim.member(&format!("member{}", i + 1));
        flows.push(tokio::spawn(async move {
            let t = Instant::now();
            let token = sim.message_command(&member, "Report to facilitators", &target);
            // The list of kinds, then the form for the one chosen.
            let list = sim.reply(&token).await.expect("the list of kinds");
            let select = list.components[0]["components"][0]["custom_id"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            let choice = sim.choose(&member, &list, &select, &["harmful"]);
            let modal = sim.modal(&choice).await.expect("the form");
            let shown = t.elapsed().as_secs_f64();
            let id = modal["custom_id"].as_str().unwrap_or_default().to_owned();
            let t = Instant::now();
            let submit =
                sim.submit_modal(&member, general, &id, &[("note", "bench"), ("share", "no")]);
            while !sim.acknowledged(&submit) && t.elapsed() < StdDuration::from_secs(10) {
                tokio::time::sleep(StdDuration::from_millis(5)).await;
            }
            let acked = t.elapsed().as_secs_f64();
            let thanked = sim
                .reply_within(&submit, StdDuration::from_secs(300))
                .await
                .is_some();
            (shown, acked, thanked)
        }));
        tokio::time::sleep(StdDuration::from_millis(10)).await;
    }
    let mut acks = Vec::new();
    let mut thanked = 0;
    for f in flows {
        let (shown, acked, ok) = f.await.unwrap();
        acks.push(shown.max(acked));
        thanked += usize::from(ok);
    }
    acks.sort_by(f64::total_cmp);
    eprintln!("reports acknowledged; {thanked} thanked");
    let log = sim.channel_id("facilitators");
    let deadline = Instant::now() + StdDuration::from_secs(180);
    let logged = |sim: &Sim| {
        sim.channel_messages(log)
            .iter()
            .filter(|m| m.text().contains("Report #"))
            .count()
    };
    while logged(&sim) < REPORTS as usize && Instant::now() < deadline {
        tokio::time::sleep(StdDuration::from_millis(200)).await;
    }
    let all_logged_after = started.elapsed().as_secs_f64();
    let got = logged(&sim);
    let late = sim.late_answer_count() - late_before;
    let _ = stop.send(());
    let _ = task.await;
    let db = Db::open(&url).await.unwrap();
    let mut kept = 0;
    for id in 1..=(REPORTS as i64) {
        kept += usize::from(db.report(id).await.unwrap().is_some());
    }
    db.close().await;

    println!();
    println!("haven moderation benchmark (real clock, fake Discord with Discord's rate limits)");
    println!("{:-<78}", "");
    println!("{:<48} {:>12} {:>15}", "figure", "value", "target");
    println!("{:-<78}", "");
    println!(
        "{:<48} {:>12} {:>15}",
        "cases in the server / about the member",
        format!("{CASES} / {about_bob}"),
        ""
    );
    println!(
        "{:<48} {:>9.1} ms {:>15}",
        "/mod history: p50",
        pct(&history, 0.5),
        ""
    );
    println!(
        "{:<48} {:>9.1} ms {:>15}",
        "  p99",
        pct(&history, 0.99),
        "< 20 ms"
    );
    println!(
        "{:<48} {:>12} {:>15}",
        "100 reports in ~1 s: stored", kept, "100"
    );
    println!(
        "{:<48} {:>12} {:>15}",
        "  posted to the log channel", got, "100"
    );
    println!(
        "{:<48} {:>12} {:>15}",
        "  reporters thanked", thanked, "100"
    );
    println!(
        "{:<48} {:>10.2} s {:>15}",
        "  acknowledgement p50",
        pct(&acks, 0.5),
        ""
    );
    println!(
        "{:<48} {:>10.2} s {:>15}",
        "  acknowledgement p99",
        pct(&acks, 0.99),
        "< 3 s"
    );
    println!(
        "{:<48} {:>12} {:>15}",
        "  answered after the 3 s limit", late, "0"
    );
    println!(
        "{:<48} {:>10.1} s {:>15}",
        "  all in the log after", all_logged_after, "(5 posts / 5 s)"
    );
    println!("{:-<78}", "");
}
