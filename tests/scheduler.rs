//! The scheduler under faults, end to end against the fake Discord with the
//! real clock: one stalled channel and a stalled DM route hold up nobody
//! else, and a graceful stop under load sends nothing after it returns and
//! hands every claim back. On SQLite, or PostgreSQL with
//! `HAVEN_TEST_POSTGRES`.

mod backend;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration as StdDuration, Instant};

use chrono::{DateTime, Duration, Utc};
use haven::clock::{Clock, SystemClock};
use haven::config::Config;
use haven::domain::recurrence::{Repeat, Schedule};
use haven::domain::reminders::Offsets;
use haven::domain::{ChannelId, GuildId, UserId};
use haven::sim::world::GUILD_ID;
use haven::sim::{Fault, FaultKind, Sim, SimChannel, World};
use haven::store::{Db, NewMeeting};

/// The sandbox with 60 more text channels in its server.
fn roomy_world() -> World {
    let mut world = World::sandbox();
    for n in 1..=60u64 {
        world.channels.push(SimChannel {
            id: 1_400_000_000_000_200_000 + n,
            name: format!("room-{n}"),
            kind: 0,
            position: 10 + n as u16,
            guild_id: Some(GUILD_ID),
            ..world.channels[0].clone()
        });
    }
    world
}

fn rooms(world: &World) -> Vec<u64> {
    world
        .channels
        .iter()
        .filter(|c| c.name.starts_with("room-"))
        .map(|c| c.id)
        .collect()
}

/// A one-off meeting in `channel` whose 10-minute reminder falls due at
/// `due` to the millisecond (the job is moved there, as a retry moves it).
async fn reminder_at(
    db: &Db,
    url: &str,
    title: &str,
    channel: u64,
    due: DateTime<Utc>,
) -> haven::domain::meeting::MeetingId {
    let now = Utc::now();
    let new = NewMeeting {
        guild: GuildId(GUILD_ID),
        channel: ChannelId(channel),
        title: title.to_owned(),
        schedule: Schedule {
            zone: chrono_tz::Tz::UTC,
            start: (due + Duration::minutes(10)).naive_utc(),
            repeat: Repeat::None,
            skips: Default::default(),
        },
        duration: Duration::minutes(60),
        reminders: Offsets::parse("10m").unwrap(),
        mention_role: None,
        location: None,
    };
    let meeting = db.create_meeting(&new, now).await.unwrap();
    haven::scheduler::meetings::plan(db, &meeting, now)
        .await
        .unwrap();
    backend::execute(
        url,
        &format!(
            "UPDATE jobs SET due_ms = {} WHERE kind = 'reminder' AND meeting_id = {}",
            due.timestamp_millis(),
            meeting.id.0
        ),
    )
    .await
    .unwrap();
    meeting.id
}

/// Haven on the system clock against `sim`; stops when `stop` is sent.
fn boot(
    sim: &Sim,
    url: &str,
) -> (
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<anyhow::Result<()>>,
) {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(std::env::var("RUST_LOG").unwrap_or_else(|_| "warn,serenity=error".into()))
        .with_test_writer()
        .try_init();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let config = Config {
        log_filter: "error".into(),
        ..Config::against(sim.base_url(), url.to_owned(), "test.token")
    };
    let clock: Arc<dyn Clock> = SystemClock::shared();
    let task = tokio::spawn(haven::app::run(config, clock, async {
        let _ = stopped.await;
    }));
    (stop, task)
}

/// When each reminder titled `prefix…` was first shown, by its number.
fn arrivals(sim: &Sim, prefix: &str) -> HashMap<usize, Instant> {
    let mut out: HashMap<usize, Instant> = HashMap::new();
    for m in sim.all_messages() {
        if let Some(i) = m
            .content
            .strip_prefix(&format!("**{prefix}"))
            .and_then(|r| r.split("**").next())
            .and_then(|n| n.parse().ok())
        {
            let at = out.entry(i).or_insert(m.received);
            *at = (*at).min(m.received);
        }
    }
    out
}

/// While one channel's posts and every new direct message stall for a
/// minute (a meeting with members who asked for DMs is reminded there),
/// reminders in 50 other channels of the same server still arrive on time.
/// The bound tolerates a loaded machine; `cargo bench --bench reminders`
/// measures it precisely ("stalled route: other channels' p99").
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_channel_and_dm_route_hold_up_no_other_channel() {
    let sim = Sim::start(roomy_world()).await.unwrap();
    let rooms = rooms(sim.world());
    let dir = tempfile::tempdir().unwrap();
    let url = backend::url(&dir).await;
    let db = Db::open(&url).await.unwrap();
    let t0 = Utc::now() + Duration::seconds(6);
    // The stalled channel's reminder, and one whose DMs stall.
    let stalled = rooms[0];
    reminder_at(&db, &url, "Stalled", stalled, t0).await;
    let with_dms = reminder_at(&db, &url, "Dms", rooms[1], t0).await;
    for member in &sim.world().members {
        db.set_meeting_dm(with_dms, UserId(member.id), true)
            .await
            .unwrap();
    }
    // 50 others, one every 200 ms from t0 on, in channels of their own.
    let due = |i: usize| t0 + Duration::milliseconds(200 * (i as i64 + 1));
    for i in 0..50 {
        reminder_at(&db, &url, &format!("Other{i}"), rooms[2 + i], due(i)).await;
    }
    for path in [
        format!("/channels/{stalled}/messages"),
        "/users/@me/channels".to_owned(),
    ] {
        sim.inject_fault(Fault {
            method: Some("POST".into()),
            path_contains: path,
            kind: FaultKind::Slow(StdDuration::from_secs(60)),
            times: 1_000,
        });
    }
    let (stop, task) = boot(&sim, &url);
    let (ref_instant, ref_utc) = (Instant::now(), Utc::now());
    let at = |t: DateTime<Utc>| ref_instant + (t - ref_utc).to_std().unwrap_or_default();
    let deadline = at(due(49)) + StdDuration::from_secs(30);
    while arrivals(&sim, "Other").len() < 50 && Instant::now() < deadline {
        tokio::time::sleep(StdDuration::from_millis(100)).await;
    }
    let got = arrivals(&sim, "Other");
    assert_eq!(got.len(), 50, "every other channel's reminder arrived");
    let mut late: Vec<f64> = got
        .iter()
        .map(|(i, arrived)| arrived.saturating_duration_since(at(due(*i))).as_secs_f64())
        .collect();
    late.sort_by(f64::total_cmp);
    let p99 = late[(late.len() * 99 / 100).min(late.len() - 1)];
    eprintln!("other channels' lateness while a channel and the DM route stall: p99 {p99:.3} s");
    assert!(
        p99 < 5.0,
        "other channels waited behind the stalled ones: p99 {p99:.3} s late ({late:?})"
    );
    assert_eq!(
        sim.all_messages()
            .iter()
            .filter(|m| m.content.starts_with("**Dms**"))
            .count(),
        1,
        "the reminder whose DMs stall was posted in its channel"
    );
    let _ = stop.send(());
    let stopped = tokio::time::timeout(StdDuration::from_secs(30), task).await;
    assert!(stopped.is_ok(), "the bot stopped within its bound");
}

/// A graceful stop while 30 reminders are due in one channel (Discord lets
/// 5 through per 5 s, so most wait): once the bot has stopped, nothing more
/// is posted, no job is left claimed, and none is lost: every reminder not
/// shown is waiting for the next start.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_graceful_stop_under_load_sends_nothing_after_and_hands_every_claim_back() {
    let sim = Sim::start(roomy_world()).await.unwrap();
    let room = rooms(sim.world())[0];
    let dir = tempfile::tempdir().unwrap();
    let url = backend::url(&dir).await;
    let db = Db::open(&url).await.unwrap();
    let t0 = Utc::now() + Duration::seconds(4);
    for i in 0..30 {
        reminder_at(&db, &url, &format!("Load{i}"), room, t0).await;
    }
    let (stop, task) = boot(&sim, &url);
    let deadline = Instant::now() + StdDuration::from_secs(30);
    while arrivals(&sim, "Load").is_empty() {
        assert!(Instant::now() < deadline, "no reminder went out");
        tokio::time::sleep(StdDuration::from_millis(20)).await;
    }
    assert!(
        db.claimed_job_count().await.unwrap() > 0,
        "work in progress at the stop"
    );
    let _ = stop.send(());
    let outcome = tokio::time::timeout(StdDuration::from_secs(30), task)
        .await
        .expect("the bot stops within its bound")
        .expect("no panic");
    assert!(outcome.is_ok(), "{outcome:?}");
    let shown_at_stop = arrivals(&sim, "Load").len();
    tokio::time::sleep(StdDuration::from_secs(6)).await;
    assert_eq!(
        arrivals(&sim, "Load").len(),
        shown_at_stop,
        "nothing was posted after the bot said it had stopped"
    );
    assert_eq!(
        db.claimed_job_count().await.unwrap(),
        0,
        "every claim handed back"
    );
    let waiting = backend::scalar(
        &url,
        "SELECT COUNT(*) FROM jobs WHERE kind = 'reminder' AND state = 'pending'",
    )
    .await;
    assert!(shown_at_stop < 30, "the stop came while work was left");
    assert_eq!(
        waiting as usize + shown_at_stop,
        30,
        "every reminder not shown waits for the next start"
    );
    // The next start sends the rest, each once.
    let (stop, task) = boot(&sim, &url);
    let deadline = Instant::now() + StdDuration::from_secs(60);
    while arrivals(&sim, "Load").len() < 30 {
        assert!(
            Instant::now() < deadline,
            "only {} of 30 after the restart",
            arrivals(&sim, "Load").len()
        );
        tokio::time::sleep(StdDuration::from_millis(100)).await;
    }
    let shown: usize = sim
        .all_messages()
        .iter()
        .filter(|m| m.content.starts_with("**Load"))
        .count();
    assert_eq!(shown, 30, "none shown twice");
    let _ = stop.send(());
    let _ = task.await;
}
