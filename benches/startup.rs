//! Start-up and command latency of the real `haven` binary against the fake
//! Discord: time from process start to commands registered, and p50/p99 from
//! sending `/timezone set` to receiving its reply, 1,000 sequential and 1,000
//! concurrent. Run with `cargo bench --bench startup`.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use haven::sim::{Sim, World};

const COMMANDS: usize = 1000;
const ZONES: [&str; 4] = [
    "Europe/Berlin",
    "America/New_York",
    "Asia/Tokyo",
    "Australia/Lord_Howe",
];

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let sim = Sim::start(World::sandbox())
        .await
        .expect("the fake Discord starts");
    let dir = tempfile::tempdir().expect("temp dir");

    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_haven"))
        .env("DISCORD_TOKEN", "bench.token")
        .env("DISCORD_API_BASE", sim.base_url())
        .env(
            "DATABASE_URL",
            format!("sqlite://{}", dir.path().join("bench.db").display()),
        )
        .env("RUST_LOG", "error")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("haven starts");
    let registered = sim
        .wait_registered(Duration::from_secs(60))
        .await
        .expect("commands registered");
    let startup = registered - started;
    assert!(sim.wait_connected(Duration::from_secs(10)).await);

    let general = sim.channel_id("general");
    let members: Vec<_> = sim.world().members.clone();

    // Warm-up: the first commands pay for connection set-up.
    for i in 0..20 {
        let token = sim
            .command(
                &members[i % members.len()],
                general,
                "/timezone set zone:UTC",
            )
            .unwrap();
        sim.reply(&token).await.expect("answered");
    }

    let mut sequential = Vec::with_capacity(COMMANDS);
    let seq_start = Instant::now();
    for i in 0..COMMANDS {
        let line = format!("/timezone set zone:{}", ZONES[i % ZONES.len()]);
        let t = Instant::now();
        let token = sim
            .command(&members[i % members.len()], general, &line)
            .unwrap();
        sim.reply(&token).await.expect("answered");
        sequential.push(t.elapsed());
    }
    let seq_total = seq_start.elapsed();

    let conc_start = Instant::now();
    let tasks: Vec<_> = (0..COMMANDS)
        .map(|i| {
            let sim = sim.clone();
            let member = members[i % members.len()].clone();
            tokio::spawn(async move {
                let line = format!("/timezone set zone:{}", ZONES[i % ZONES.len()]);
                let t = Instant::now();
                let token = sim.command(&member, general, &line).unwrap();
                sim.reply_within(&token, Duration::from_secs(60))
                    .await
                    .expect("answered");
                t.elapsed()
            })
        })
        .collect();
    let mut concurrent = Vec::with_capacity(COMMANDS);
    for task in tasks {
        concurrent.push(task.await.expect("task"));
    }
    let conc_total = conc_start.elapsed();

    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status();
    let _ = child.wait();

    sequential.sort();
    concurrent.sort();
    println!();
    println!("haven startup benchmark (real binary against the fake Discord)");
    println!("{:-<78}", "");
    println!("{:<44} {:>14} {:>18}", "figure", "value", "target");
    println!("{:-<78}", "");
    println!(
        "{:<44} {:>14} {:>18}",
        "process start -> commands registered",
        ms(startup),
        "< 1000 ms"
    );
    println!(
        "{:<44} {:>14} {:>18}",
        "/timezone set, 1000 sequential, p50",
        ms(percentile(&sequential, 0.50)),
        ""
    );
    println!(
        "{:<44} {:>14} {:>18}",
        "/timezone set, 1000 sequential, p99",
        ms(percentile(&sequential, 0.99)),
        "< 10 ms"
    );
    println!(
        "{:<44} {:>14} {:>18}",
        "/timezone set, 1000 sequential, per second",
        format!("{:.0}", COMMANDS as f64 / seq_total.as_secs_f64()),
        ""
    );
    println!(
        "{:<44} {:>14} {:>18}",
        "/timezone set, 1000 concurrent, p50",
        ms(percentile(&concurrent, 0.50)),
        ""
    );
    println!(
        "{:<44} {:>14} {:>18}",
        "/timezone set, 1000 concurrent, p99",
        ms(percentile(&concurrent, 0.99)),
        ""
    );
    println!(
        "{:<44} {:>14} {:>18}",
        "/timezone set, 1000 concurrent, per second",
        format!("{:.0}", COMMANDS as f64 / conc_total.as_secs_f64()),
        ""
    );
    println!("{:-<78}", "");
}
