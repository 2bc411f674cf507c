//! The `haven` binary as an operator runs it: configuration errors, start-up
//! against the fake Discord, graceful shutdown on SIGTERM, and a failed
//! command registration ending the process instead of hanging.

use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use haven::sim::world::{GUILD_ID, SISTER_GUILD_ID};
use haven::sim::{Fault, FaultKind, Sim, World};

const TOKEN: &str = "MTAwMDAwMDAwMDAwMDAwMDAx.sEcReT.do-not-log-me";

fn haven(dir: &tempfile::TempDir) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_haven"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

fn wait_with_timeout(child: &mut Child, timeout: Duration) -> Option<std::process::ExitStatus> {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    None
}

/// Reads the child's standard error on a thread of its own, so a chatty log
/// level never fills the pipe and blocks the child.
fn drain_stderr(child: &mut Child) -> std::thread::JoinHandle<String> {
    let mut stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    })
}

/// Sends SIGTERM (as an operator's `kill` or a container stop does) and
/// waits up to 20 s for the child to exit; returns its exit code and what it
/// logged.
async fn terminate(
    mut child: Child,
    logs: std::thread::JoinHandle<String>,
) -> (Option<i32>, String) {
    let kill = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(kill.success());
    tokio::task::spawn_blocking(move || {
        let status = wait_with_timeout(&mut child, Duration::from_secs(20));
        (status.and_then(|s| s.code()), logs.join().unwrap())
    })
    .await
    .unwrap()
}

#[test]
fn a_missing_token_stops_with_one_line_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = haven(&dir).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("DISCORD_TOKEN"), "{err}");
}

#[test]
fn a_malformed_value_names_its_variable() {
    let dir = tempfile::tempdir().unwrap();
    for (var, value) in [
        ("DISCORD_API_BASE", "not-a-url"),
        ("HAVEN_DEV_GUILD", "abc"),
        ("RUST_LOG", "haven=["),
    ] {
        let out = haven(&dir)
            .env("DISCORD_TOKEN", TOKEN)
            .env(var, value)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{var}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(var), "{var}: {err}");
        assert!(!err.contains(TOKEN), "the token leaked: {err}");
    }
}

#[test]
fn configuration_is_read_from_a_dot_env_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(".env"),
        "DISCORD_TOKEN=abc\nHAVEN_DEV_GUILD=nope\n",
    )
    .unwrap();
    let out = haven(&dir).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("HAVEN_DEV_GUILD"),
        "the .env file was read: {err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn starts_serves_and_stops_cleanly_on_sigterm_without_logging_the_token() {
    let sim = Sim::start(World::sandbox()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut child = haven(&dir)
        .env("DISCORD_TOKEN", TOKEN)
        .env("DISCORD_API_BASE", sim.base_url())
        .env("HAVEN_DEV_GUILD", haven::sim::world::GUILD_ID.to_string())
        .env("RUST_LOG", "debug")
        .spawn()
        .unwrap();
    let logs = drain_stderr(&mut child);
    assert!(
        sim.wait_registered(Duration::from_secs(30)).await.is_some(),
        "commands registered"
    );
    assert!(sim.wait_connected(Duration::from_secs(10)).await);
    assert!(
        dir.path().join("haven.db").exists(),
        "the default database was created"
    );

    let alice = sim.member("alice");
    let token = sim
        .command(
            &alice,
            sim.channel_id("general"),
            "/timezone set zone:Europe/Berlin",
        )
        .unwrap();
    let Some(reply) = sim.reply(&token).await else {
        let _ = child.kill();
        panic!("not answered; logs:\n{}", logs.join().unwrap());
    };
    assert!(reply.text().contains("Europe/Berlin"));
    // With a development server, commands are registered there only (not
    // also globally, which would show each one twice in it), before
    // anything is answered.
    let paths: Vec<String> = sim
        .rest_log()
        .iter()
        .map(|c| format!("{} {}", c.method, c.path))
        .collect();
    assert!(
        !paths.iter().any(|p| p.starts_with("PUT /applications/")
            && p.ends_with("/commands")
            && !p.contains("guilds")),
        "{paths:?}"
    );
    assert!(
        paths
            .iter()
            .any(|p| p.contains("/guilds/1300000000000000001/commands")),
        "{paths:?}"
    );

    let (status, logs) = terminate(child, logs).await;
    assert_eq!(status, Some(0), "exit 0 after SIGTERM; logs:\n{logs}");
    assert!(
        logs.contains("shutting down") && logs.contains("stopped"),
        "{logs}"
    );
    assert!(!logs.contains("sEcReT"), "the token appeared in the logs");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_command_registration_exits_non_zero_and_says_why() {
    let sim = Sim::start(World::sandbox()).await.unwrap();
    sim.inject_fault(Fault {
        method: Some("PUT".into()),
        path_contains: "/commands".into(),
        kind: FaultKind::Status(500),
        times: 100,
    });
    let dir = tempfile::tempdir().unwrap();
    let mut child = haven(&dir)
        .env("DISCORD_TOKEN", TOKEN)
        .env("DISCORD_API_BASE", sim.base_url())
        .spawn()
        .unwrap();
    let logs = drain_stderr(&mut child);
    let (status, logs) = tokio::task::spawn_blocking(move || {
        let status = wait_with_timeout(&mut child, Duration::from_secs(30));
        (status, logs.join().unwrap())
    })
    .await
    .unwrap();
    let code = status.expect("the process exits instead of hanging").code();
    assert_ne!(code, Some(0), "{logs}");
    assert!(logs.contains("registering slash commands"), "{logs}");
}

/// Plans a one-off meeting in #general whose single reminder (one minute
/// before) falls due at `due`.
async fn meeting_reminded_at(
    db: &haven::store::Db,
    title: &str,
    due: chrono::DateTime<chrono::Utc>,
) {
    meeting_in(db, title, (GUILD_ID, 1_400_000_000_000_000_001), due).await;
}

/// Plans a one-off meeting in `(server, channel)` whose single reminder
/// (one minute before) falls due at `due`.
async fn meeting_in(
    db: &haven::store::Db,
    title: &str,
    (guild, channel): (u64, u64),
    due: chrono::DateTime<chrono::Utc>,
) {
    use haven::domain::recurrence::{Repeat, Schedule};
    let now = chrono::Utc::now();
    let new = haven::store::NewMeeting {
        guild: haven::domain::GuildId(guild),
        channel: haven::domain::ChannelId(channel),
        title: title.to_owned(),
        schedule: Schedule {
            zone: chrono_tz::Tz::UTC,
            start: (due + chrono::Duration::minutes(1)).naive_utc(),
            repeat: Repeat::None,
            skips: Default::default(),
        },
        duration: chrono::Duration::minutes(30),
        reminders: haven::domain::reminders::Offsets::parse("1m").unwrap(),
        mention_role: None,
        location: None,
    };
    let meeting = db.create_meeting(&new, now).await.unwrap();
    haven::scheduler::meetings::plan(db, &meeting, now)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_process_after_a_crash_sends_every_due_reminder_exactly_once() {
    use chrono::{DurationRound, TimeDelta, Utc};
    let sim = Sim::start(World::sandbox()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("haven.db").display());
    let base =
        Utc::now().duration_trunc(TimeDelta::seconds(1)).unwrap() + chrono::Duration::seconds(1);
    let db = haven::store::Db::open(&url).await.unwrap();
    meeting_reminded_at(&db, "Before", base + chrono::Duration::seconds(3)).await;
    meeting_reminded_at(&db, "During", base + chrono::Duration::seconds(7)).await;
    meeting_reminded_at(&db, "After", base + chrono::Duration::seconds(11)).await;
    db.close().await;
    let general = sim.channel_id("general");
    let count = |title: &str| {
        sim.channel_messages(general)
            .iter()
            .filter(|m| m.content.starts_with(&format!("**{title}**")))
            .count()
    };
    let start = || {
        haven(&dir)
            .env("DISCORD_TOKEN", TOKEN)
            .env("DISCORD_API_BASE", sim.base_url())
            .env("DATABASE_URL", &url)
            .env("RUST_LOG", "warn")
            .spawn()
            .unwrap()
    };

    // The first process sends the first reminder, then dies without warning.
    let mut first = start();
    let _first_logs = drain_stderr(&mut first);
    sim.wait_for_messages(general, 1, std::time::Duration::from_secs(20))
        .await;
    first.kill().unwrap();
    first.wait().unwrap();
    assert_eq!(count("Before"), 1);

    // While nothing runs, the second reminder falls due.
    let resume_at = base + chrono::Duration::seconds(8);
    tokio::time::sleep((resume_at - Utc::now()).to_std().unwrap_or_default()).await;
    assert_eq!(count("During"), 0);

    // A new process on the same database catches up and carries on.
    let mut second = start();
    let second_logs = drain_stderr(&mut second);
    sim.wait_for_messages(general, 3, std::time::Duration::from_secs(20))
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let (status, logs) = terminate(second, second_logs).await;
    assert_eq!(status, Some(0), "{logs}");
    assert_eq!(
        (count("Before"), count("During"), count("After")),
        (1, 1, 1),
        "each reminder exactly once"
    );
}

/// A plain HTTP GET on the operator's endpoint; returns the status line and body.
async fn http_get(addr: std::net::SocketAddr, path: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(
            format!("GET {path} HTTP/1.1\r\nHost: haven\r\nConnection: close\r\n\r\n").as_bytes(),
        )
        .await
        .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    answer
}

fn free_port() -> std::net::SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_range_of_shards_identifies_each_once_and_the_operator_sees_health_and_metrics() {
    let world = World::sandbox().with_sister_guild(SISTER_GUILD_ID, "Sister");
    let sim = Sim::start(world).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ops = free_port();
    let mut child = haven(&dir)
        .env("DISCORD_TOKEN", TOKEN)
        .env("DISCORD_API_BASE", sim.base_url())
        .env("HAVEN_SHARDS", "0-1/2")
        .env("HAVEN_HTTP_ADDR", ops.to_string())
        .env("RUST_LOG", "warn")
        .spawn()
        .unwrap();
    let logs = drain_stderr(&mut child);
    assert!(sim.wait_registered(Duration::from_secs(30)).await.is_some());
    let deadline = Instant::now() + Duration::from_secs(20);
    while sim.connected_shards().len() < 2 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(sim.connected_shards(), vec![[0, 2], [1, 2]]);
    assert_eq!(
        sim.identified_shards().len(),
        2,
        "each shard identified exactly once: {:?}",
        sim.identified_shards()
    );

    // Each server's events reach the shard that owns it, which answers:
    // the first server is on shard 0, its sister on shard 1.
    let alice = sim.member("alice");
    for (guild, zone) in [(GUILD_ID, "Europe/Berlin"), (SISTER_GUILD_ID, "Asia/Tokyo")] {
        let general = sim.world().channel_in(guild, "general").unwrap().id;
        let token = sim
            .command(&alice, general, &format!("/timezone set zone:{zone}"))
            .unwrap();
        let Some(reply) = sim.reply(&token).await else {
            let _ = child.kill();
            panic!("not answered in {guild}; logs:\n{}", logs.join().unwrap());
        };
        assert!(reply.text().contains(zone), "{}", reply.text());
    }

    let health = http_get(ops, "/healthz").await;
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    assert!(health.ends_with("ok\n"), "{health}");
    let metrics = http_get(ops, "/metrics").await;
    assert!(metrics.starts_with("HTTP/1.1 200"), "{metrics}");
    for figure in [
        "haven_interactions_served_total{kind=\"Command\"} 2",
        "haven_jobs_due ",
        "haven_jobs_working ",
        "haven_discord_rate_limited_total 0",
        "haven_reminder_lateness_seconds_count 0",
    ] {
        assert!(metrics.contains(figure), "{figure} missing:\n{metrics}");
    }
    assert!(!metrics.contains("alice") && !metrics.contains(&alice.id.to_string()));

    let (status, logs) = terminate(child, logs).await;
    assert_eq!(status, Some(0), "{logs}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn haven_register_registers_the_commands_and_exits() {
    let sim = Sim::start(World::sandbox()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut child = haven(&dir)
        .arg("register")
        .env("DISCORD_TOKEN", TOKEN)
        .env("DISCORD_API_BASE", sim.base_url())
        .env("RUST_LOG", "warn")
        .spawn()
        .unwrap();
    let logs = drain_stderr(&mut child);
    let status =
        tokio::task::spawn_blocking(move || wait_with_timeout(&mut child, Duration::from_secs(30)))
            .await
            .unwrap();
    assert_eq!(
        status.and_then(|s| s.code()),
        Some(0),
        "{}",
        logs.join().unwrap()
    );
    let commands = sim.registered_commands();
    assert!(
        commands.iter().any(|c| c["name"] == "mod")
            && commands.iter().any(|c| c["name"] == "meeting"),
        "{commands:?}"
    );
    assert_eq!(
        sim.identify_count(),
        0,
        "registering needs no gateway session"
    );
}

mod backend;

/// Titles of the reminders the fake Discord shows, by how often each shows.
fn shown(sim: &Sim, prefix: &str) -> std::collections::HashMap<String, usize> {
    let mut seen = std::collections::HashMap::new();
    for m in sim.all_messages() {
        if let Some(rest) = m.content.strip_prefix(&format!("**{prefix}"))
            && let Some(n) = rest.split("**").next()
        {
            *seen.entry(n.to_owned()).or_insert(0) += 1;
        }
    }
    seen
}

/// Waits until `count` reminders titled `prefix…` are shown, then checks
/// each is shown exactly once.
async fn wait_shown(sim: &Sim, pg: &sqlx::PgPool, prefix: &str, count: usize) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while shown(sim, prefix).len() < count {
        if Instant::now() > deadline {
            let states: Vec<(String, String, i64)> =
                sqlx::query_as("SELECT kind, state, COUNT(*) FROM jobs GROUP BY kind, state")
                    .fetch_all(pg)
                    .await
                    .unwrap();
            panic!(
                "only {} of {count} {prefix} reminders shown; jobs {states:?}",
                shown(sim, prefix).len()
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        shown(sim, prefix).values().all(|n| *n == 1),
        "a {prefix} reminder shown twice"
    );
}

/// Two servers, one on each shard of two, with 100 more text channels each,
/// so that 1,000 reminders are not held back by Discord's per-channel limit
/// alone.
fn roomy_world() -> World {
    let mut world = World::sandbox();
    for n in 1..=100u64 {
        world.channels.push(haven::sim::SimChannel {
            id: 1_400_000_000_000_100_000 + n,
            name: format!("room-{n}"),
            kind: 0,
            position: 10 + n as u16,
            guild_id: Some(GUILD_ID),
            ..world.channels[0].clone()
        });
    }
    world.with_sister_guild(SISTER_GUILD_ID, "Sister")
}

/// Every `(server, channel)` of the rooms, the two servers' in turn.
fn rooms(world: &World) -> Vec<(u64, u64)> {
    let of = |guild| {
        world
            .channels
            .iter()
            .filter(move |c| c.guild_id == Some(guild) && c.name.starts_with("room-"))
            .map(move |c| (guild, c.id))
    };
    of(GUILD_ID)
        .zip(of(SISTER_GUILD_ID))
        .flat_map(|(a, b)| [a, b])
        .collect()
}

/// Plans `count` one-off meetings whose reminders fall due from `from`,
/// spread over `over`, one per room in turn.
async fn reminders_due(
    db: &haven::store::Db,
    rooms: &[(u64, u64)],
    prefix: &str,
    count: u64,
    from: chrono::DateTime<chrono::Utc>,
    over: chrono::Duration,
) {
    for i in 0..count {
        let due = from + chrono::Duration::seconds(over.num_seconds() * i as i64 / count as i64);
        meeting_in(
            db,
            &format!("{prefix}{i}"),
            rooms[i as usize % rooms.len()],
            due,
        )
        .await;
    }
}

/// Two Haven processes on two shards of one PostgreSQL database, with a
/// server on each shard: each shard is identified once, by the process that
/// runs it; a command in each server is answered by the process of its
/// shard; 1,000 reminders due within 10 s are shown exactly once (the fake
/// Discord counts nonces); one process killed with SIGKILL while it holds
/// jobs has them taken over by the other within the lease plus 5 s; and a
/// rolling restart loses and doubles nothing. Runs when `HAVEN_TEST_POSTGRES` names a server
/// (`.ci/run` starts one).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_on_postgres_share_the_reminders_and_take_over_after_sigkill() {
    if std::env::var("HAVEN_TEST_POSTGRES").map_or(true, |v| v.trim().is_empty()) {
        eprintln!("HAVEN_TEST_POSTGRES is not set: the two-process test runs in .ci/run");
        return;
    }
    const LEASE_S: i64 = 3;
    let sim = Sim::start(roomy_world()).await.unwrap();
    let rooms = rooms(sim.world());
    let dir = tempfile::tempdir().unwrap();
    let url = backend::url(&dir).await;
    let db = haven::store::Db::open(&url).await.unwrap();
    let pg = sqlx::PgPool::connect(&url).await.unwrap();
    // Each process reaches the fake Discord under the name of its shard
    // range, so what it does can be told apart.
    let start = |shard: &str| {
        let mut child = haven(&dir)
            .env("DISCORD_TOKEN", TOKEN)
            .env(
                "DISCORD_API_BASE",
                sim.base_url_as(&shard.replace('/', "of")),
            )
            .env("DATABASE_URL", &url)
            .env("HAVEN_SHARDS", shard)
            .env("HAVEN_JOB_LEASE", format!("{LEASE_S}s"))
            .env("RUST_LOG", "warn")
            .spawn()
            .unwrap();
        let logs = drain_stderr(&mut child);
        (child, logs)
    };
    let (mut first, _first_logs) = start("0/2");
    let (second, second_logs) = start("1/2");
    let deadline = Instant::now() + Duration::from_secs(30);
    while sim.connected_shards().len() < 2 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut identified = sim.identified_shards_by();
    identified.sort_unstable();
    assert_eq!(
        identified,
        vec![([0, 2], Some("0of2".into())), ([1, 2], Some("1of2".into()))],
        "each shard identified once, by the process that runs it"
    );
    // A command in each server is answered by the process of its shard.
    assert!(sim.wait_registered(Duration::from_secs(30)).await.is_some());
    // Only the process that runs shard 0 registers the commands (checked
    // again at the end, after the restarts).
    let registrations = |sim: &Sim| -> Vec<Option<String>> {
        sim.rest_log()
            .into_iter()
            .filter(|c| c.method == "PUT" && c.path.ends_with("/commands"))
            .map(|c| c.caller)
            .collect()
    };
    // The fake Discord logs a call just after answering it.
    let deadline = Instant::now() + Duration::from_secs(5);
    while registrations(&sim).is_empty() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let registered_by_shard_0_only = |sim: &Sim| {
        let registrations = registrations(sim);
        assert!(
            !registrations.is_empty() && registrations.iter().all(|c| c.as_deref() == Some("0of2")),
            "{registrations:?}"
        );
    };
    registered_by_shard_0_only(&sim);
    let alice = sim.member("alice");
    for (guild, process) in [(GUILD_ID, "0of2"), (SISTER_GUILD_ID, "1of2")] {
        let general = sim.world().channel_in(guild, "general").unwrap().id;
        let token = sim.command(&alice, general, "/help").unwrap();
        assert!(
            sim.reply(&token).await.is_some(),
            "/help answered in {guild}"
        );
        assert_eq!(sim.answered_by(&token).as_deref(), Some(process));
    }

    // 1,000 reminders due within 10 s, planned while both run: each is
    // shown exactly once.
    let base = chrono::Utc::now() + chrono::Duration::seconds(8);
    let over = chrono::Duration::seconds(10);
    reminders_due(&db, &rooms, "Burst", 1000, base, over).await;
    wait_shown(&sim, &pg, "Burst", 1000).await;
    let posts = sim.nonce_posts();
    let nonced = sim
        .all_messages()
        .iter()
        .filter(|m| m.content.starts_with("**Burst"))
        .filter(|m| m.nonce.as_ref().is_some_and(|n| posts.contains_key(n)))
        .count();
    assert_eq!(nonced, 1000, "every reminder was posted with a nonce");
    let by_process = |p: &str| {
        sim.rest_log()
            .iter()
            .filter(|c| c.method == "POST" && c.path.ends_with("/messages"))
            .filter(|c| c.caller.as_deref() == Some(p))
            .count()
    };
    eprintln!(
        "burst: posts by shard 0's process {}, by shard 1's {}",
        by_process("0of2"),
        by_process("1of2")
    );

    // 200 reminders of the first process's server due within 4 s, more than
    // its share of the rate limit sends at once: once it holds claimed jobs,
    // it dies without warning, and the other delivers them within the lease
    // plus 5 s.
    let first_rooms: Vec<(u64, u64)> = rooms
        .iter()
        .copied()
        .filter(|(g, _)| *g == GUILD_ID)
        .collect();
    let from = chrono::Utc::now() + chrono::Duration::seconds(3);
    let over = chrono::Duration::seconds(4);
    reminders_due(&db, &first_rooms, "Kill", 200, from, over).await;
    let owner = format!("{}-%", first.id());
    let claimed_by_first = |pg: &sqlx::PgPool| {
        let pg = pg.clone();
        let owner = owner.clone();
        async move {
            sqlx::query_scalar::<_, i64>(
                "SELECT id FROM jobs WHERE state = 'claimed' AND claimed_by LIKE $1",
            )
            .bind(owner)
            .fetch_all(&pg)
            .await
            .unwrap()
        }
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while claimed_by_first(&pg).await.is_empty() {
        assert!(
            Instant::now() < deadline,
            "the first process never claimed a job"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    first.kill().unwrap();
    first.wait().unwrap();
    let killed = Instant::now();
    let orphans = claimed_by_first(&pg).await;
    assert!(!orphans.is_empty(), "it died holding jobs");
    loop {
        let left: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE id = ANY($1) AND state <> 'done'")
                .bind(&orphans)
                .fetch_one(&pg)
                .await
                .unwrap();
        if left == 0 {
            break;
        }
        assert!(
            killed.elapsed() < Duration::from_secs(LEASE_S as u64 + 5),
            "{left} of the {} jobs the dead process held not delivered within the lease plus 5 s",
            orphans.len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let takeover = killed.elapsed();
    assert!(
        takeover >= Duration::from_secs(LEASE_S as u64 - 1),
        "not before the lease ended: {takeover:?}"
    );
    wait_shown(&sim, &pg, "Kill", 200).await;
    // Only a job claimed more than once (taken over, or retried) may have
    // been posted again, and Discord showed it once.
    let resent = sim.nonce_posts().values().filter(|n| **n > 1).count();
    let retaken: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE attempts > 1")
        .fetch_one(&pg)
        .await
        .unwrap();
    assert!(
        resent as i64 <= retaken,
        "{resent} posts sent again, more than the {retaken} jobs claimed more than once"
    );
    eprintln!(
        "{} jobs held at SIGKILL delivered {takeover:?} later; {resent} posts sent again",
        orphans.len()
    );

    // A rolling restart while reminders fall due: a new first process, then
    // the second stopped gracefully and started again.
    let from = chrono::Utc::now() + chrono::Duration::seconds(3);
    reminders_due(
        &db,
        &rooms,
        "Rolling",
        100,
        from,
        chrono::Duration::seconds(8),
    )
    .await;
    let (new_first, new_first_logs) = start("0/2");
    tokio::time::sleep(Duration::from_secs(5)).await;
    let (status, logs) = terminate(second, second_logs).await;
    assert_eq!(status, Some(0), "{logs}");
    let (new_second, new_second_logs) = start("1/2");
    let deadline = Instant::now() + Duration::from_secs(60);
    while shown(&sim, "Rolling").len() < 100 {
        assert!(
            Instant::now() < deadline,
            "only {} of 100 reminders shown across the restart",
            shown(&sim, "Rolling").len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        shown(&sim, "Rolling").values().all(|n| *n == 1),
        "a reminder shown twice"
    );
    // Under a light load, each process sends its own servers' reminders:
    // the jobs of a server go to the process that runs its shard.
    let calm_from = Instant::now();
    let from = chrono::Utc::now() + chrono::Duration::seconds(3);
    let over = chrono::Duration::seconds(8);
    reminders_due(&db, &rooms, "Calm", 40, from, over).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    while shown(&sim, "Calm").len() < 40 {
        assert!(
            Instant::now() < deadline,
            "only {} of 40 reminders shown",
            shown(&sim, "Calm").len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let in_sister: std::collections::HashSet<String> = rooms
        .iter()
        .filter(|(g, _)| *g == SISTER_GUILD_ID)
        .map(|(_, c)| format!("/channels/{c}/messages"))
        .collect();
    let calm_posts = || -> Vec<_> {
        sim.rest_log()
            .into_iter()
            .filter(|c| c.at >= calm_from && c.method == "POST" && c.path.ends_with("/messages"))
            .collect()
    };
    // The fake Discord logs a call just after answering it.
    let deadline = Instant::now() + Duration::from_secs(5);
    while calm_posts().len() < 40 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let calm_posts = calm_posts();
    assert!(calm_posts.len() >= 40, "{calm_posts:?}");
    for call in &calm_posts {
        let expected = if in_sister.contains(&call.path) {
            "1of2"
        } else {
            "0of2"
        };
        assert_eq!(
            call.caller.as_deref(),
            Some(expected),
            "{} was sent by the other shard's process",
            call.path
        );
    }
    for (child, logs) in [(new_first, new_first_logs), (new_second, new_second_logs)] {
        let (status, logs) = terminate(child, logs).await;
        assert_eq!(status, Some(0), "{logs}");
    }
    registered_by_shard_0_only(&sim);
    eprintln!("takeover after SIGKILL: {takeover:?} (lease {LEASE_S} s)");
}

/// Sends `signal` (`STOP`, `CONT`) to the child.
fn signal(child: &Child, signal: &str) {
    let sent = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(sent.success());
}

/// Fencing: of two processes on PostgreSQL, the first is paused (SIGSTOP,
/// as a VM stall or swap does) while it holds claimed reminders, longer
/// than its lease; the second takes them over and sends them; the first
/// resumes (SIGCONT) with its stale batch and sends none of it. Discord's
/// nonce window is set shorter than the pause, so what kept each reminder
/// from showing twice is the fence, not the nonce.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_process_paused_past_its_lease_sends_nothing_another_took_over() {
    if std::env::var("HAVEN_TEST_POSTGRES").map_or(true, |v| v.trim().is_empty()) {
        eprintln!("HAVEN_TEST_POSTGRES is not set: the pause test runs in .ci/run");
        return;
    }
    const LEASE_S: i64 = 2;
    let sim = Sim::start(roomy_world()).await.unwrap();
    sim.set_nonce_lifetime(Duration::from_secs(1));
    let rooms = rooms(sim.world());
    let dir = tempfile::tempdir().unwrap();
    let url = backend::url(&dir).await;
    let db = haven::store::Db::open(&url).await.unwrap();
    let pg = sqlx::PgPool::connect(&url).await.unwrap();
    let start = |shard: &str| {
        let mut child = haven(&dir)
            .env("DISCORD_TOKEN", TOKEN)
            .env(
                "DISCORD_API_BASE",
                sim.base_url_as(&shard.replace('/', "of")),
            )
            .env("DATABASE_URL", &url)
            .env("HAVEN_SHARDS", shard)
            .env("HAVEN_JOB_LEASE", format!("{LEASE_S}s"))
            .env("RUST_LOG", "warn,haven::scheduler=info")
            .spawn()
            .unwrap();
        let logs = drain_stderr(&mut child);
        (child, logs)
    };
    let (first, first_logs) = start("0/2");
    let (second, second_logs) = start("1/2");
    let deadline = Instant::now() + Duration::from_secs(30);
    while sim.connected_shards().len() < 2 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(sim.connected_shards().len(), 2);
    // 30 reminders of the first process's server due at once in one
    // channel: Discord lets 5 through per 5 s, so the first process sends
    // 5 and holds the rest, waiting for the channel (nothing in flight).
    let room = rooms.iter().copied().find(|(g, _)| *g == GUILD_ID).unwrap();
    let due = chrono::Utc::now() + chrono::Duration::seconds(4);
    for i in 0..30 {
        meeting_in(&db, &format!("Paused{i}"), room, due).await;
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    // The posts Discord showed are recorded as sent before the pause (a
    // post in flight at the pause could show again: that is the nonce's to
    // catch, and this test's nonce window is too short for it).
    loop {
        let done: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM jobs WHERE kind = 'reminder' AND state = 'done'",
        )
        .fetch_one(&pg)
        .await
        .unwrap();
        let seen = shown(&sim, "Paused").len();
        if seen >= 5 && done as usize >= seen {
            break;
        }
        assert!(Instant::now() < deadline, "the first process sent nothing");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let owner = format!("{}-%", first.id());
    let held: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM jobs WHERE state = 'claimed' AND claimed_by LIKE $1",
    )
    .bind(&owner)
    .fetch_one(&pg)
    .await
    .unwrap();
    signal(&first, "STOP");
    let paused = Instant::now();
    assert!(
        held > 0,
        "the first process held claimed reminders when paused"
    );
    // Paused for four leases and four nonce windows; the second process
    // takes the reminders over meanwhile.
    tokio::time::sleep(Duration::from_secs(4 * LEASE_S as u64 + 1)).await;
    signal(&first, "CONT");
    eprintln!("paused {:?} holding {held} claims", paused.elapsed());
    wait_shown(&sim, &pg, "Paused", 30).await;
    // Time for the resumed process to send its stale batch, if it would.
    tokio::time::sleep(Duration::from_secs(8)).await;
    let twice: Vec<(String, usize)> = shown(&sim, "Paused")
        .into_iter()
        .filter(|(_, n)| *n > 1)
        .collect();
    assert!(twice.is_empty(), "shown twice: {twice:?}");
    let by = |p: &str| {
        sim.rest_log()
            .iter()
            .filter(|c| c.method == "POST" && c.path.ends_with("/messages"))
            .filter(|c| c.caller.as_deref() == Some(p))
            .count()
    };
    assert!(by("1of2") > 0, "the second process took the reminders over");
    let (status, logs) = terminate(first, first_logs).await;
    assert_eq!(status, Some(0), "{logs}");
    assert!(
        logs.contains("taken over by another process") || logs.contains("claim was lost"),
        "the resumed process found its claims gone and stopped that work:\n{logs}"
    );
    let (status, logs) = terminate(second, second_logs).await;
    assert_eq!(status, Some(0), "{logs}");
}

/// A crash (SIGKILL) in the middle of a reminder's direct messages, and a
/// new process after Discord's nonce window has passed: each member gets
/// the reminder, and only a message that was in flight at the crash may
/// show twice (the channel post, already confirmed, does not).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_mid_dms_repeats_at_most_what_was_in_flight() {
    let sim = Sim::start(World::sandbox()).await.unwrap();
    sim.set_nonce_lifetime(Duration::from_secs(1));
    let dir = tempfile::tempdir().unwrap();
    let url = backend::url(&dir).await;
    let db = haven::store::Db::open(&url).await.unwrap();
    let general = sim.world().channel_in(GUILD_ID, "general").unwrap().id;
    let due = chrono::Utc::now() + chrono::Duration::seconds(4);
    meeting_in(&db, "Crash", (GUILD_ID, general), due).await;
    let meeting: i64 = backend::scalar(&url, "SELECT MAX(id) FROM meetings").await;
    let members: Vec<u64> = sim.world().members.iter().map(|m| m.id).collect();
    for id in &members {
        db.set_meeting_dm(
            haven::domain::meeting::MeetingId(meeting),
            haven::domain::UserId(*id),
            true,
        )
        .await
        .unwrap();
    }
    db.close().await;
    // Each direct message takes a while to open.
    sim.inject_fault(Fault {
        method: Some("POST".into()),
        path_contains: "/users/@me/channels".into(),
        kind: FaultKind::Slow(Duration::from_millis(700)),
        times: 1_000,
    });
    let run = || {
        let mut child = haven(&dir)
            .env("DISCORD_TOKEN", TOKEN)
            .env("DISCORD_API_BASE", sim.base_url())
            .env("DATABASE_URL", &url)
            .env("RUST_LOG", "warn")
            .spawn()
            .unwrap();
        let logs = drain_stderr(&mut child);
        (child, logs)
    };
    let dms = |sim: &Sim| -> std::collections::HashMap<u64, usize> {
        let mut out = std::collections::HashMap::new();
        for m in sim.all_messages() {
            if m.channel_id != general && m.content.contains("Crash") {
                *out.entry(m.channel_id).or_insert(0) += 1;
            }
        }
        out
    };
    let (mut child, _logs) = run();
    let deadline = Instant::now() + Duration::from_secs(60);
    while dms(&sim).len() < 2 {
        assert!(Instant::now() < deadline, "no direct message went out");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let before = dms(&sim).len();
    assert!(before < members.len(), "the crash came in the middle");
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (child, logs) = run();
    let deadline = Instant::now() + Duration::from_secs(60);
    while dms(&sim).len() < members.len() {
        assert!(
            Instant::now() < deadline,
            "only {} of {} members got the reminder",
            dms(&sim).len(),
            members.len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let repeated: usize = dms(&sim).values().map(|n| n - 1).sum();
    // At most the direct messages being sent at the crash (three at a time).
    assert!(repeated <= 3, "{repeated} direct messages shown twice");
    let posts = sim
        .all_messages()
        .iter()
        .filter(|m| m.channel_id == general && m.content.starts_with("**Crash**"))
        .count();
    assert_eq!(
        posts, 1,
        "the channel post, confirmed before the crash, once"
    );
    eprintln!(
        "crash after {before} of {} DMs: {repeated} shown twice",
        members.len()
    );
    let (status, logs) = terminate(child, logs).await;
    assert_eq!(status, Some(0), "{logs}");
}

/// Anonymous attendance through the real binary, killed with SIGKILL in
/// the middle of a voice meeting: 6 people who stay, 2 too brief, one who
/// leaves and comes back twice (counted once), another bot and a member
/// who asked not to be counted; while Haven is down one leaves (too soon to
/// count) and one arrives (and stays). A new process reads who is in voice
/// again and neither loses nor doubles anyone: the store holds 7 exactly,
/// shown as a rounded range, and no salt or hash is left in the database
/// files.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attendance_survives_sigkill_mid_meeting_and_leaves_only_the_count() {
    use chrono::{DurationRound, TimeDelta, Utc};
    use haven::domain::recurrence::{Repeat, Schedule};
    let mut world = World::sandbox();
    let template = world.members[2].clone();
    for (n, name) in ["gus", "hana", "ivan", "jo", "kai"].into_iter().enumerate() {
        world.members.push(haven::sim::SimMember {
            id: 1_500_000_000_000_000_100 + n as u64,
            name: name.to_owned(),
            ..template.clone()
        });
    }
    world.members.push(haven::sim::SimMember {
        id: 1_500_000_000_000_000_200,
        name: "jukebox".to_owned(),
        bot: true,
        ..template.clone()
    });
    let sim = Sim::start(world).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("haven.db");
    let url = format!("sqlite://{}", path.display());
    let room = sim.channel_id("Meeting room");

    // A two-minute meeting in the voice room, starting in 25 s.
    let start =
        Utc::now().duration_trunc(TimeDelta::seconds(1)).unwrap() + chrono::Duration::seconds(25);
    let db = haven::store::Db::open(&url).await.unwrap();
    let now = Utc::now();
    let meeting = db
        .create_meeting(
            &haven::store::NewMeeting {
                guild: haven::domain::GuildId(GUILD_ID),
                channel: haven::domain::ChannelId(sim.channel_id("meetings")),
                title: "Circle".to_owned(),
                schedule: Schedule {
                    zone: chrono_tz::Tz::UTC,
                    start: start.naive_utc(),
                    repeat: Repeat::None,
                    skips: Default::default(),
                },
                duration: chrono::Duration::minutes(2),
                reminders: haven::domain::reminders::Offsets::parse("none").unwrap(),
                mention_role: None,
                location: Some(format!("<#{room}>")),
            },
            now,
        )
        .await
        .unwrap();
    haven::scheduler::meetings::plan(&db, &meeting, now)
        .await
        .unwrap();
    db.close().await;
    let start_haven = || {
        haven(&dir)
            .env("DISCORD_TOKEN", TOKEN)
            .env("DISCORD_API_BASE", sim.base_url())
            .env("DATABASE_URL", &url)
            .env("HAVEN_DEV_GUILD", GUILD_ID.to_string())
            .env("HAVEN_ATTEND_MINUTES", "1")
            .env("RUST_LOG", "warn")
            .spawn()
            .unwrap()
    };
    let mut first = start_haven();
    let _first_logs = drain_stderr(&mut first);
    assert!(sim.wait_registered(Duration::from_secs(30)).await.is_some());
    assert!(sim.wait_connected(Duration::from_secs(10)).await);

    // jo asks not to be counted.
    let jo = sim.member("jo");
    let token = sim
        .command(
            &jo,
            sim.channel_id("general"),
            "/privacy attendance counted:false",
        )
        .unwrap();
    assert!(sim.reply(&token).await.is_some());

    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    let hashes = |pool: sqlx::SqlitePool| async move {
        sqlx::query_scalar::<_, Vec<u8>>("SELECT hash FROM attendance_presence")
            .fetch_all(&pool)
            .await
            .unwrap()
    };
    let stayers = ["alice", "bob", "casey", "dana", "eli", "farah", "gus"];
    let brief = ["hana", "ivan"];
    for name in stayers.iter().chain(&brief).chain(&["jo", "jukebox"]) {
        assert!(sim.voice_join(&sim.member(name), room));
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while hashes(pool.clone()).await.len() < 9 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        hashes(pool.clone()).await.len(),
        9,
        "people, not bots or jo"
    );
    // Two stay a few seconds only; alice leaves and comes back twice.
    tokio::time::sleep(Duration::from_secs(3)).await;
    for name in brief {
        sim.voice_leave(&sim.member(name));
    }
    let alice = sim.member("alice");
    for _ in 0..2 {
        sim.voice_leave(&alice);
        tokio::time::sleep(Duration::from_millis(300)).await;
        sim.voice_join(&alice, room);
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    assert_eq!(hashes(pool.clone()).await.len(), 9, "alice once");

    // Ten seconds into the meeting, Haven dies without warning.
    let kill_at = start + chrono::Duration::seconds(10);
    tokio::time::sleep((kill_at - Utc::now()).to_std().unwrap_or_default()).await;
    let salts: Vec<Vec<u8>> = sqlx::query_scalar("SELECT salt FROM attendance_salts")
        .fetch_all(&pool)
        .await
        .unwrap();
    let secrets: Vec<Vec<u8>> = salts
        .into_iter()
        .chain(hashes(pool.clone()).await)
        .collect();
    assert_eq!(
        secrets.len(),
        10,
        "one salt and nine hashes while it is open"
    );
    first.kill().unwrap();
    first.wait().unwrap();
    // While it is down: gus leaves (half a minute in all: not enough), kai
    // arrives and stays.
    sim.voice_leave(&sim.member("gus"));
    assert!(sim.voice_join(&sim.member("kai"), room));

    let mut second = start_haven();
    let second_logs = drain_stderr(&mut second);
    let counted = || async {
        sqlx::query_as::<_, (i64, i64)>("SELECT came, stayed FROM attendance_counts")
            .fetch_optional(&pool)
            .await
            .unwrap()
    };
    let deadline = Instant::now() + Duration::from_secs(180);
    while counted().await.is_none() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(
        counted().await,
        Some((7, 7)),
        "the six who stayed and kai, once each; not gus"
    );

    // Shown as people, rounded down to a step of k = 5.
    let token = sim
        .command(&alice, sim.channel_id("general"), "/meeting info id:1")
        .unwrap();
    let info = sim.reply(&token).await.expect("answered").text();
    assert!(info.contains("5 to 9 people came"), "{info}");

    let (status, logs) = terminate(second, second_logs).await;
    assert_eq!(status, Some(0), "{logs}");
    for table in ["attendance_salts", "attendance_presence"] {
        let left: i64 =
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
                .fetch_one(&pool)
                .await
                .unwrap();
        assert_eq!(left, 0, "{table}");
    }
    pool.close().await;
    // Not a byte of any salt or hash in the database's files.
    for file in ["haven.db", "haven.db-wal"] {
        let Ok(bytes) = std::fs::read(dir.path().join(file)) else {
            continue;
        };
        for secret in &secrets {
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret.as_slice()),
                "a salt or hash is still in {file}"
            );
        }
    }
}

/// `haven web` runs the dashboard on its own: it names what it lacks,
/// serves its start page and a login that goes to Discord, and stops
/// cleanly on SIGTERM without logging the client secret.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn haven_web_serves_the_dashboard_alone_and_stops_on_sigterm() {
    let sim = Sim::start(World::sandbox()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = haven(&dir).arg("web").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("HAVEN_WEB_ADDR"));

    let addr = free_port();
    let secret = "web-secret-do-not-log";
    let mut child = haven(&dir)
        .arg("web")
        .env("DISCORD_API_BASE", sim.base_url())
        .env("HAVEN_WEB_ADDR", addr.to_string())
        .env("HAVEN_PUBLIC_URL", format!("http://{addr}"))
        .env("DISCORD_CLIENT_ID", sim.world().app_id.to_string())
        .env("DISCORD_CLIENT_SECRET", secret)
        .env("RUST_LOG", "debug")
        .spawn()
        .unwrap();
    let logs = drain_stderr(&mut child);
    let deadline = Instant::now() + Duration::from_secs(20);
    while tokio::net::TcpStream::connect(addr).await.is_err() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let page = http_get(addr, "/").await;
    assert!(page.contains("Log in with Discord"), "{page}");
    let login = http_get(addr, "/login").await;
    assert!(
        login.contains("oauth2/authorize") && login.contains("code_challenge"),
        "{login}"
    );
    let (status, logs) = terminate(child, logs).await;
    assert_eq!(status, Some(0), "{logs}");
    assert!(!logs.contains(secret), "the secret leaked: {logs}");
}
