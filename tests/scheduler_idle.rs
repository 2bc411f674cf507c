//! The idle cost of a process in a cluster does not grow with the cluster's
//! work: of two processes on PostgreSQL (shards 0/2 and 1/2), the first has
//! nothing of its own to do while the second finishes 100, then 10,000 jobs
//! on time; the statements the first makes stay the same (one overdue check
//! a lease, none per job of the other). Runs when `HAVEN_TEST_POSTGRES`
//! names a server (`.ci/run` starts one).

mod backend;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration as StdDuration, Instant};

use chrono::Utc;
use haven::clock::SystemClock;
use haven::rest::Rest;
use haven::scheduler::editor::Editor;
use haven::scheduler::{DEFAULT_GRACE, Scheduler, SchedulerHandle};
use haven::sim::{Sim, World};
use haven::store::{Db, Shards};
use poise::serenity_prelude as serenity;
use tracing::Instrument;
use tracing_subscriber::Layer;
use tracing_subscriber::layer::SubscriberExt;

/// Statements made inside a span named `counted`.
static STATEMENTS: AtomicU64 = AtomicU64::new(0);

struct CountStatements;

impl<S> Layer<S> for CountStatements
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    fn on_event(&self, event: &tracing::Event<'_>, ctx: tracing_subscriber::layer::Context<'_, S>) {
        if !event.metadata().target().starts_with("sqlx::query") {
            return;
        }
        if ctx
            .event_scope(event)
            .is_some_and(|mut scope| scope.any(|span| span.name() == "counted"))
        {
            STATEMENTS.fetch_add(1, Ordering::Relaxed);
        }
    }
}

const LEASE_S: i64 = 3;
/// Guild 1 << 22 is on shard 1 of 2: the second process's.
const OTHER_SHARD_GUILD: i64 = 1 << 22;

/// Plans `count` jobs of the second process's server over `over`, in 100
/// batches (each a transaction of its own, so each tells the other
/// processes), each due a second after it is planned, and finishes each on
/// time as the second process does, until all are done. Returns how many
/// were late by more than a lease (they would be the first process's to
/// take over).
async fn finish_on_time(pg: &sqlx::PgPool, b: &Db, count: i64, over: StdDuration) -> usize {
    const BATCHES: i64 = 100;
    let started = Instant::now();
    let mut planned = 0;
    let mut late = 0;
    loop {
        let elapsed = started.elapsed().as_millis() as i64;
        let batch = (elapsed * BATCHES / over.as_millis() as i64).min(BATCHES);
        while planned < batch {
            let due = (Utc::now() + chrono::Duration::seconds(1)).timestamp_millis();
            sqlx::query(
                "INSERT INTO jobs (kind, guild_id, target_id, occurrence, due_ms, planned_ms)
                 SELECT 'unban', $1, g, g + $2, $3, $3 FROM generate_series(1, $4) AS g",
            )
            .bind(OTHER_SHARD_GUILD)
            .bind(count * 1_000_000 + planned * 100_000)
            .bind(due)
            .bind(count / BATCHES)
            .execute(pg)
            .await
            .unwrap();
            planned += 1;
        }
        let now = Utc::now();
        let jobs = b.claim_due_jobs(now, 10_000).await.unwrap();
        late += jobs
            .iter()
            .filter(|j| now - j.due > chrono::Duration::seconds(LEASE_S))
            .count();
        let ids: Vec<i64> = jobs.iter().map(|j| j.id).collect();
        sqlx::query("UPDATE jobs SET state = 'done' WHERE id = ANY($1)")
            .bind(&ids)
            .execute(pg)
            .await
            .unwrap();
        let left: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM jobs WHERE kind = 'unban' AND state <> 'done'",
        )
        .fetch_one(pg)
        .await
        .unwrap();
        if left == 0 && planned == BATCHES {
            return late;
        }
        tokio::time::sleep(StdDuration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_process_costs_the_same_whatever_the_other_processes_do() {
    if std::env::var("HAVEN_TEST_POSTGRES").map_or(true, |v| v.trim().is_empty()) {
        eprintln!("HAVEN_TEST_POSTGRES is not set: the idle-cluster test runs in .ci/run");
        return;
    }
    let filter = tracing_subscriber::filter::Targets::new()
        .with_target("sqlx::query", tracing::Level::TRACE)
        .with_target("scheduler_idle", tracing::Level::TRACE);
    tracing::subscriber::set_global_default(
        tracing_subscriber::registry().with(CountStatements.with_filter(filter)),
    )
    .expect("a subscriber");
    let sim = Sim::start(World::sandbox()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let url = backend::url(&dir).await;
    let lease = chrono::Duration::seconds(LEASE_S);
    let open = |first| {
        let url = url.clone();
        async move {
            Db::open(&url)
                .await
                .unwrap()
                .with_lease(lease)
                .with_shards(Shards {
                    first,
                    last: first,
                    total: 2,
                })
        }
    };
    let (a, b) = (open(0).await, open(1).await);
    let pg = sqlx::PgPool::connect(&url).await.unwrap();

    let http = serenity::HttpBuilder::new("test.token")
        .proxy(sim.base_url())
        .ratelimiter_disabled(true)
        .build();
    let rest = Rest::new(Arc::new(http));
    let clock = SystemClock::shared();
    let engine = Scheduler {
        db: a.clone(),
        clock: clock.clone(),
        rest: rest.clone(),
        editor: Editor::new(a.clone(), rest, clock),
        grace: DEFAULT_GRACE,
        attend: chrono::Duration::minutes(10),
        handle: SchedulerHandle::default(),
        removing: Default::default(),
        cache: Arc::new(serenity::Cache::new()),
    };
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let task = tokio::spawn(
        engine
            .run(stopped)
            .instrument(tracing::info_span!("counted")),
    );
    // Its start-up done.
    tokio::time::sleep(StdDuration::from_secs(2)).await;

    let over = StdDuration::from_secs(12);
    let mut figures = Vec::new();
    for count in [100, 10_000] {
        let before = STATEMENTS.load(Ordering::Relaxed);
        let started = Instant::now();
        let late = finish_on_time(&pg, &b, count, over).await;
        let spent = started.elapsed();
        let statements = STATEMENTS.load(Ordering::Relaxed) - before;
        let per_minute = statements as f64 * 60.0 / spent.as_secs_f64();
        eprintln!(
            "{count} jobs of the other shard over {spent:?}: the idle process made {statements} statements ({per_minute:.1} a minute); {late} finished late"
        );
        assert_eq!(late, 0, "the other process kept up, so nothing was overdue");
        figures.push(per_minute);
    }
    let _ = stop.send(true);
    let _ = task.await;
    let (few, many) = (figures[0], figures[1]);
    assert!(
        many <= few * 1.5 + 6.0,
        "statements a minute grew with the other shard's jobs: {few:.1} with 100, {many:.1} with 10,000"
    );
}
