//! The one engine for everything time-driven. Work is kept as durable jobs
//! in the database; the engine sleeps until the next job is due and is woken
//! when jobs change, when work finishes or the clock jumps. While idle it
//! asks the database one thing per lease: whether another process's work is
//! overdue (a claim that ended unrenewed, a job waiting for a process that
//! is gone).
//!
//! Jobs run side by side, bounded in all, per server and per lane (one
//! meeting's jobs run in order, one at a time), so one slow job or one
//! stalled Discord route never holds up another server's work. A claim is
//! renewed while its work runs; every call to Discord on behalf of a job
//! first checks, in one conditional statement, that this process still
//! holds it (the fence), so a process paused past its lease sends nothing
//! another has taken over. Delivery is at least once and visibly exactly
//! once: each message carries a nonce derived from the job, and what was
//! confirmed sent is recorded at once (a reminder's direct messages each
//! have a job of their own), so after a crash at most the one message in
//! flight can show again once Discord has forgotten its nonce.

pub mod attendance;
pub mod editor;
pub mod events;
pub mod facilitators;
pub mod meetings;
pub mod moderation;
pub mod prompts;
pub mod reports;
pub mod rounds;
pub mod stats;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::{Duration as StdDuration, Instant};

use chrono::{DateTime, Duration, Utc};
use poise::serenity_prelude as serenity;
use tokio::sync::{Notify, watch};
use tokio::task::{AbortHandle, JoinSet};

use crate::clock::SharedClock;
use crate::domain::jobs::JobKind;
use crate::domain::meeting::ReminderCall;
use crate::rest::{Rest, RestError};
use crate::store::{Busy, Db, Job};
use crate::views;
use editor::Editor;

pub use crate::domain::reminders::DEFAULT_GRACE;
/// Jobs worked on at once, in all.
const MAX_RUNNING: usize = 64;
/// Jobs of one server worked on at once: one server's slow work never
/// takes every slot.
const PER_SERVER: usize = 8;
/// Direct messages of one server being sent at once: a stalled DM route
/// leaves the server's other work its slots.
const DMS_PER_SERVER: usize = 3;
/// Direct messages being sent at once, in all: a stalled DM route leaves
/// every server's other work most of the slots.
const MAX_DMS: usize = 16;
/// How long a graceful stop lets work in progress finish.
const STOP_WAIT: StdDuration = StdDuration::from_secs(10);

/// Aborts a background task when dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Wakes the engine when jobs change, and tells `/healthz` when its loop
/// last turned.
#[derive(Clone)]
pub struct SchedulerHandle {
    wake: Arc<Notify>,
    /// Milliseconds since `origin` at the loop's last turn; negative before
    /// its first.
    turned: Arc<AtomicI64>,
    origin: Instant,
}

impl Default for SchedulerHandle {
    fn default() -> Self {
        Self {
            wake: Arc::default(),
            turned: Arc::new(AtomicI64::new(-1)),
            origin: Instant::now(),
        }
    }
}

impl SchedulerHandle {
    pub fn poke(&self) {
        self.wake.notify_one();
    }

    fn turned(&self) {
        let ms = self.origin.elapsed().as_millis() as i64;
        self.turned.store(ms, Ordering::Relaxed);
    }

    /// How long ago the engine's loop last turned (`None` before it first
    /// did). It turns at least once a lease, busy or idle.
    pub fn since_turned(&self) -> Option<StdDuration> {
        let at = self.turned.load(Ordering::Relaxed);
        (at >= 0).then(|| {
            let now = self.origin.elapsed().as_millis() as i64;
            StdDuration::from_millis((now - at).max(0) as u64)
        })
    }
}

pub struct Scheduler {
    pub db: Db,
    pub clock: SharedClock,
    pub rest: Rest,
    pub editor: Editor,
    pub grace: Duration,
    /// Time in a voice meeting's channel that counts as attending.
    pub attend: Duration,
    pub handle: SchedulerHandle,
    /// Whether expired log posts are being removed now.
    pub removing: moderation::Removing,
    /// The gateway's cache (a server's owner and roles, for reports).
    pub cache: Arc<serenity::Cache>,
}

/// What became of a job's work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Done,
    Skipped,
    /// A reminder went out in its channel (or could not, `skipped`): it is
    /// finished and its direct messages planned, in one transaction.
    Posted {
        skipped: bool,
    },
    /// Not yet: try again then (an edit moved it later).
    Later(DateTime<Utc>),
}

impl Outcome {
    fn skipped(skipped: bool) -> Self {
        if skipped { Self::Skipped } else { Self::Done }
    }
}

/// Where a job waits its turn: jobs of the same lane run one at a time, in
/// due order.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Lane {
    Meeting(i64),
    Round(i64),
    Schedule(i64),
    Target(i64),
    Alone(i64),
}

impl Lane {
    fn of(job: &Job) -> Self {
        if let Some(m) = job.meeting {
            return Self::Meeting(m.0);
        }
        if let Some(r) = job.round {
            return Self::Round(r);
        }
        if let Some(c) = job.schedule_channel {
            return Self::Schedule(c.as_db());
        }
        match job.target {
            Some(t) => Self::Target(t as i64),
            None => Self::Alone(job.id),
        }
    }
}

/// A job being worked on here.
struct Slot {
    job: Job,
    lane: Lane,
    abort: AbortHandle,
}

impl Slot {
    fn guild(&self) -> Option<i64> {
        self.job.guild.map(|g| g.as_db())
    }

    fn dm(&self) -> bool {
        self.job.kind == JobKind::ReminderDm
    }
}

/// The engine's work in progress. A job is claimed only to be started at
/// once: what a claim brings that cannot start (its lane busy, its server
/// at its share) is handed back straight away, so no claim is held for
/// work that is not in progress.
#[derive(Default)]
struct Work {
    tasks: JoinSet<i64>,
    running: HashMap<i64, Slot>,
}

impl Work {
    fn free(&self) -> usize {
        MAX_RUNNING.saturating_sub(self.running.len())
    }

    fn ids(&self) -> Vec<i64> {
        self.running.keys().copied().collect()
    }

    /// Jobs of `guild` running here: its direct messages, or its other work.
    fn in_guild(&self, guild: i64, dms: bool) -> usize {
        self.running
            .values()
            .filter(|s| s.guild() == Some(guild) && s.dm() == dms)
            .count()
    }

    fn dms(&self) -> usize {
        self.running.values().filter(|s| s.dm()).count()
    }

    fn can_start(&self, job: &Job) -> bool {
        let lane = Lane::of(job);
        if self.running.len() >= MAX_RUNNING || self.running.values().any(|s| s.lane == lane) {
            return false;
        }
        match job.guild {
            _ if job.kind == JobKind::ReminderDm && self.dms() >= MAX_DMS => false,
            None => true,
            Some(g) if job.kind == JobKind::ReminderDm => {
                self.in_guild(g.as_db(), true) < DMS_PER_SERVER
            }
            Some(g) => self.in_guild(g.as_db(), false) < PER_SERVER,
        }
    }

    /// The lanes and servers a claim must leave aside. A server's direct
    /// messages and its other work have shares of their own: messages
    /// waiting for a stalled DM route never hold up its reminders, nor the
    /// reverse.
    fn busy(&self) -> Busy {
        let mut busy = Busy::default();
        let mut guilds: HashMap<i64, (usize, usize)> = HashMap::new();
        for slot in self.running.values() {
            match slot.lane {
                Lane::Meeting(m) => busy.meetings.push(m),
                Lane::Round(r) => busy.rounds.push(r),
                Lane::Schedule(c) => busy.schedules.push(c),
                Lane::Target(t) => busy.targets.push(t),
                Lane::Alone(_) => {}
            }
            if let Some(g) = slot.guild() {
                let e = guilds.entry(g).or_default();
                if slot.dm() {
                    e.1 += 1;
                } else {
                    e.0 += 1;
                }
            }
        }
        for (g, (work, dms)) in guilds {
            if work >= PER_SERVER {
                busy.guilds.push(g);
            }
            if dms >= DMS_PER_SERVER {
                busy.dm_guilds.push(g);
            }
        }
        busy.no_dms = self.dms() >= MAX_DMS;
        busy.share = PER_SERVER;
        busy.dm_share = DMS_PER_SERVER;
        busy
    }

    /// A task ended (or was aborted): its slot is free. A task that
    /// panicked gives back its job (with the job, for its retry).
    fn ended(&mut self, result: Result<i64, tokio::task::JoinError>) -> Option<Job> {
        match result {
            Ok(id) => {
                self.running.remove(&id);
                None
            }
            Err(e) => {
                let task = e.id();
                let id = self
                    .running
                    .iter()
                    .find(|(_, s)| s.abort.id() == task)
                    .map(|(id, _)| *id)?;
                let slot = self.running.remove(&id)?;
                e.is_panic().then_some(slot.job)
            }
        }
    }

    /// Stops the work on jobs whose claims are no longer held here.
    fn drop_lost(&mut self, held: &[i64]) {
        let lost: Vec<i64> = self
            .ids()
            .into_iter()
            .filter(|id| !held.contains(id))
            .collect();
        let mut taken = Vec::new();
        for id in lost {
            if let Some(slot) = self.running.remove(&id) {
                // One that has just finished was not renewed for that reason.
                if !slot.abort.is_finished() {
                    slot.abort.abort();
                    taken.push(id);
                }
            }
        }
        if !taken.is_empty() {
            tracing::warn!(jobs = ?taken, "claims taken over by another process (this one was held up past its lease); their work stops here");
        }
    }
}

/// The fence of one job: whether this process still holds its claim.
struct JobFence {
    db: Db,
    clock: SharedClock,
    job: i64,
    lost: AtomicBool,
    /// A check the database could not answer: a call was not made.
    unknown: AtomicBool,
}

impl crate::rest::Fence for JobFence {
    fn holds(&self) -> futures::future::BoxFuture<'_, bool> {
        Box::pin(async move {
            if self.lost.load(Ordering::SeqCst) {
                return false;
            }
            for attempt in 0..2 {
                match self.db.hold_claim(self.job, self.clock.now()).await {
                    Ok(true) => return true,
                    Ok(false) => {
                        self.lost.store(true, Ordering::SeqCst);
                        return false;
                    }
                    Err(e) if attempt == 0 => {
                        tracing::warn!(job = self.job, error = %e, "cannot check a job's claim; checking again");
                        tokio::time::sleep(StdDuration::from_millis(250)).await;
                    }
                    Err(e) => {
                        // Unknown is not held: nothing goes out on a guess.
                        tracing::warn!(job = self.job, error = %e, "cannot check a job's claim; its call is not made");
                    }
                }
            }
            self.unknown.store(true, Ordering::SeqCst);
            false
        })
    }
}

/// Whether a job's claim held to the end of its work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hold {
    Held,
    /// Another process took it over: nothing about it is recorded here.
    Lost,
    /// A check could not be answered and a call was not made: the job is
    /// tried again.
    Unknown,
}

impl Hold {
    fn of(fence: &JobFence) -> Self {
        if fence.lost.load(Ordering::SeqCst) {
            Self::Lost
        } else if fence.unknown.load(Ordering::SeqCst) {
            Self::Unknown
        } else {
            Self::Held
        }
    }
}

/// Runs `work` for job `job`, which this process has claimed: every call to
/// Discord it makes is fenced by the claim, and the claim is renewed while
/// it runs. Returns its output and whether the claim held to the end.
pub async fn holding<T>(
    db: &Db,
    clock: &SharedClock,
    job: i64,
    work: impl Future<Output = T>,
) -> (T, Hold) {
    let fence = Arc::new(JobFence {
        db: db.clone(),
        clock: clock.clone(),
        job,
        lost: AtomicBool::new(false),
        unknown: AtomicBool::new(false),
    });
    let every = (db.lease() / 3)
        .to_std()
        .unwrap_or(StdDuration::from_secs(10))
        .max(StdDuration::from_millis(100));
    let work = crate::rest::FENCE.scope(fence.clone() as Arc<dyn crate::rest::Fence>, work);
    tokio::pin!(work);
    loop {
        tokio::select! {
            out = &mut work => return (out, Hold::of(&fence)),
            () = tokio::time::sleep(every) => {
                match db.renew_claims(clock.now(), &[job]).await {
                    Ok(held) if held.is_empty() => {
                        fence.lost.store(true, Ordering::SeqCst);
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!(job, error = %e, "cannot renew a job's claim"),
                }
            }
        }
    }
}

/// Tries a write that records a job's fate a few times before leaving it
/// to the claim's end (the job is then tried again, its nonce keeping it
/// from showing twice).
async fn recording<F, Fut, T>(what: &str, job: i64, mut write: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = crate::store::StoreResult<T>>,
{
    let mut wait = StdDuration::from_millis(200);
    for attempt in 1..=4 {
        match write().await {
            Ok(v) => return Some(v),
            Err(e) if attempt < 4 => {
                tracing::warn!(job, attempt, error = %e, "cannot record {what}; trying again");
                tokio::time::sleep(wait).await;
                wait *= 4;
            }
            Err(e) => {
                tracing::error!(job, error = %e, "cannot record {what}; the job is tried again once its claim ends");
            }
        }
    }
    None
}

impl Scheduler {
    /// Runs until `shutdown` turns true; then stops claiming, lets work in
    /// progress finish for a few seconds, hands every claim back and
    /// returns. Nothing is sent after it returns.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let engine = Arc::new(self);
        engine.start_up().await;
        let mut work = Work::default();
        let mut jumps = engine.clock.jumps();
        // Other processes' new jobs wake this one (PostgreSQL).
        let _listening = engine.listen_for_other_processes().await;
        let lease = engine
            .db
            .lease()
            .to_std()
            .unwrap_or(StdDuration::from_secs(30))
            .max(StdDuration::from_millis(300));
        let mut renew_at = tokio::time::Instant::now() + lease / 3;
        let mut takeover_at = tokio::time::Instant::now();
        let mut claim = true;
        // Whether the last claim found nothing though a job was due: on
        // PostgreSQL another process may hold it locked for a moment.
        let mut came_empty = false;
        loop {
            engine.handle.turned();
            if *shutdown.borrow() {
                engine.stop(work).await;
                return;
            }
            let now = engine.clock.now();
            if tokio::time::Instant::now() >= takeover_at {
                takeover_at = tokio::time::Instant::now() + lease;
                claim |= engine.take_over(now).await;
            }
            if claim && work.free() > 0 {
                claim = false;
                let free = work.free();
                match engine
                    .db
                    .claim_due_jobs_except(now, free as i64, &work.busy())
                    .await
                {
                    Ok(jobs) => {
                        let full = jobs.len() == free;
                        came_empty = jobs.is_empty();
                        let started = engine.start(&mut work, jobs).await;
                        if full && started > 0 {
                            claim = true;
                            continue;
                        }
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "cannot claim jobs; retrying shortly");
                        claim = true;
                        tokio::time::sleep(StdDuration::from_secs(1)).await;
                        continue;
                    }
                }
            }
            let next = if work.free() > 0 {
                match engine.db.next_job_due_except(&work.busy()).await {
                    Ok(next) => next,
                    Err(e) => {
                        tracing::error!(error = %e, "cannot read the next job");
                        Some(now + Duration::seconds(1))
                    }
                }
            } else {
                None
            };
            let sleep = next.map(|due| {
                let wait = (due - now).to_std().unwrap_or(StdDuration::ZERO);
                // Due, yet the claim found nothing: not in a tight loop. (A
                // job due later is waited for exactly.)
                if came_empty && wait.is_zero() {
                    wait.max(StdDuration::from_millis(100))
                } else {
                    wait
                }
            });
            let holding = !work.running.is_empty();
            tokio::select! {
                Some(ended) = work.tasks.join_next(), if !work.tasks.is_empty() => {
                    if let Some(job) = work.ended(ended) {
                        engine.panicked(job).await;
                    }
                    claim = true;
                }
                () = async {
                    match sleep {
                        Some(d) => tokio::time::sleep(d).await,
                        None => std::future::pending().await,
                    }
                } => claim = true,
                () = engine.handle.wake.notified() => claim = true,
                _ = jumps.changed() => claim = true,
                () = tokio::time::sleep_until(renew_at), if holding => {
                    renew_at = tokio::time::Instant::now() + lease / 3;
                    engine.renew(&mut work).await;
                }
                () = tokio::time::sleep_until(takeover_at) => {}
                _ = shutdown.changed() => {}
            }
            if !holding {
                renew_at = tokio::time::Instant::now() + lease / 3;
            }
        }
    }

    /// A job's work panicked: a failure like any other (tried again later,
    /// given up after as many tries), never a job run again and again.
    async fn panicked(&self, job: Job) {
        tracing::error!(
            job = job.id,
            kind = job.kind.as_str(),
            "a job's work panicked"
        );
        self.failed(&job, "its work panicked".to_owned()).await;
    }

    /// Before the first claim: claims of a stopped process are put back,
    /// jobs this version cannot work are named once, housekeeping is
    /// planned, and (in the background) this process's prompt schedules.
    async fn start_up(self: &Arc<Self>) {
        match self.db.reset_claimed_jobs().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(jobs = n, "resuming jobs claimed before a restart"),
            Err(e) => tracing::error!(error = %e, "cannot reset claimed jobs"),
        }
        match self.db.unknown_job_kinds().await {
            Ok(kinds) if !kinds.is_empty() => tracing::warn!(
                ?kinds,
                "jobs of kinds this version does not know are left for a newer one"
            ),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "cannot look for jobs of unknown kinds"),
        }
        // Log posts a stopped process had not removed yet: shared work,
        // done by one process (the daily housekeeping does it too).
        if self.db.runs_shared_work() {
            moderation::remove_expired_log_posts(&self.removing, &self.db, &self.rest);
        }
        // Housekeeping runs daily; make sure the next run is planned.
        let first_purge = self.clock.now() + Duration::hours(1);
        if let Err(e) = self.db.ensure_purge_job(first_purge).await {
            tracing::error!(error = %e, "cannot plan housekeeping");
        }
        let (db, clock, handle) = (self.db.clone(), self.clock.clone(), self.handle.clone());
        tokio::spawn(async move {
            if let Err(e) = prompts::plan_all(&db, clock.now()).await {
                tracing::error!(error = %e, "cannot plan scheduled prompts");
            }
            handle.poke();
        });
    }

    /// Once a lease: whether another process's work is overdue; if so, its
    /// expired claims are put back. Returns whether to claim now.
    async fn take_over(&self, now: DateTime<Utc>) -> bool {
        match self.db.takeover_due(now).await {
            Ok(false) => false,
            Ok(true) => {
                if let Err(e) = self.db.take_back_expired(now).await {
                    tracing::warn!(error = %e, "cannot take back expired claims");
                }
                true
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot look for overdue work");
                false
            }
        }
    }

    /// Renews the claims of the work in progress here; work whose claim
    /// another process has taken over stops at once.
    async fn renew(&self, work: &mut Work) {
        let ids = work.ids();
        match self.db.renew_claims(self.clock.now(), &ids).await {
            Ok(held) if held.len() < ids.len() => work.drop_lost(&held),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "cannot renew this process's claims"),
        }
    }

    /// Starts the jobs a claim brought, in due order, where their lane and
    /// server have room; hands the rest back at once (unclaimed, as if never
    /// taken). Returns how many started.
    async fn start(self: &Arc<Self>, work: &mut Work, jobs: Vec<Job>) -> usize {
        let mut back = Vec::new();
        let mut started = 0;
        for job in jobs {
            if !work.can_start(&job) {
                back.push(job.id);
                continue;
            }
            started += 1;
            let (id, lane) = (job.id, Lane::of(&job));
            let engine = self.clone();
            let running = job.clone();
            let abort = work.tasks.spawn(async move {
                engine.work_one(running).await;
                id
            });
            work.running.insert(id, Slot { job, lane, abort });
        }
        if !back.is_empty() {
            recording("jobs handed back", back[0], || self.db.hand_back(&back)).await;
        }
        started
    }

    /// A graceful stop: no more claims; work in progress has a few seconds
    /// to finish, the rest is stopped, and its claims go back.
    async fn stop(&self, mut work: Work) {
        let deadline = tokio::time::Instant::now() + STOP_WAIT;
        while !work.tasks.is_empty() {
            match tokio::time::timeout_at(deadline, work.tasks.join_next()).await {
                Ok(Some(ended)) => {
                    if let Some(job) = work.ended(ended) {
                        self.panicked(job).await;
                    }
                }
                Ok(None) => break,
                Err(_) => {
                    tracing::warn!(
                        jobs = work.running.len(),
                        "work still running at the stop is stopped and handed back"
                    );
                    break;
                }
            }
        }
        work.tasks.abort_all();
        while work.tasks.join_next().await.is_some() {}
        let stopped = work.ids();
        if !stopped.is_empty() {
            let released = recording("the hand-back of this process's claims", 0, || {
                self.db.release_claims(&stopped)
            })
            .await;
            if let Some(n) = released {
                tracing::info!(jobs = n, "claims handed back for another process");
            }
        }
        tracing::info!("scheduler stopped");
    }

    /// Listens for jobs added or moved by other processes (PostgreSQL only),
    /// waking the engine; stops when the returned guard is dropped.
    async fn listen_for_other_processes(&self) -> Option<AbortOnDrop> {
        let mut listener = match self.db.job_changes().await {
            Ok(Some(listener)) => listener,
            Ok(None) => return None,
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for other processes' jobs; they are seen when this one wakes");
                return None;
            }
        };
        let handle = self.handle.clone();
        let db = self.db.clone();
        Some(AbortOnDrop(tokio::spawn(async move {
            loop {
                // A lost connection is `None` (the next call reconnects):
                // whatever was sent meanwhile is looked at then.
                match listener.try_recv().await {
                    // A notice names the server whose job changed: another
                    // shard's is not this process's to wake for. One with no
                    // server (given back, or shared) is everyone's.
                    Ok(Some(notice)) => match notice.payload().parse::<u64>() {
                        Ok(guild) if !db.owns_guild(guild) => {}
                        _ => handle.poke(),
                    },
                    Ok(None) => handle.poke(),
                    Err(e) => {
                        tracing::warn!(error = %e, "lost the job notifications; reconnecting");
                        tokio::time::sleep(StdDuration::from_secs(1)).await;
                        // Whatever was missed meanwhile is looked at now.
                        handle.poke();
                    }
                }
            }
        })))
    }

    /// Works one claimed job, fenced by its claim, and records what became
    /// of it (unless its claim was lost meanwhile: then it is another
    /// process's to record).
    async fn work_one(&self, job: Job) {
        let (outcome, hold) = holding(&self.db, &self.clock, job.id, self.outcome(&job)).await;
        match hold {
            Hold::Held => {}
            Hold::Lost => {
                tracing::info!(
                    job = job.id,
                    "a job's claim was lost while it ran; it is left to whoever holds it"
                );
                return;
            }
            // A call was not made because the claim could not be checked.
            // What its main call settled (a reminder posted) is recorded; any
            // other outcome may come from the call not made, so the job is
            // tried again, the try not counted.
            Hold::Unknown if !matches!(outcome, Ok(Outcome::Done | Outcome::Posted { .. })) => {
                let at = self.clock.now() + Duration::seconds(30);
                recording("a job's retry", job.id, || {
                    self.db.retry_uncounted(job.id, at)
                })
                .await;
                return;
            }
            Hold::Unknown => {}
        }
        match outcome {
            Ok(Outcome::Done) => self.finish(&job, false).await,
            Ok(Outcome::Skipped) => self.finish(&job, true).await,
            Ok(Outcome::Posted { skipped }) => {
                let now = self.clock.now();
                let planned = recording("a reminder's outcome", job.id, || {
                    self.db.finish_reminder(job.id, skipped, now)
                })
                .await;
                if planned.is_some_and(|n| n > 0) {
                    self.handle.poke();
                }
            }
            Ok(Outcome::Later(at)) => {
                recording("a job moved later", job.id, || {
                    self.db.release_job(job.id, at)
                })
                .await;
            }
            Err(reason) => self.failed(&job, reason).await,
        }
    }

    /// A job failed: tried again after a wait, or given up after too many
    /// tries (those that may be).
    async fn failed(&self, job: &Job, reason: String) {
        match job.kind.retry_after(job.attempts) {
            Some(wait) => {
                tracing::warn!(job = job.id, kind = job.kind.as_str(), meeting = ?job.meeting, %reason, "job failed; will retry");
                if matches!(
                    job.kind,
                    JobKind::Unban | JobKind::SlowmodeRevert | JobKind::LockRevert
                ) {
                    moderation::still_in_place(self.reach(), job, &reason).await;
                }
                let at = self.clock.now() + wait;
                recording("a job's retry", job.id, || self.db.release_job(job.id, at)).await;
            }
            None => {
                tracing::error!(job = job.id, kind = job.kind.as_str(), meeting = ?job.meeting, %reason, "job failed too often; given up");
                self.finish(job, true).await;
                if job.kind == JobKind::Prompt {
                    prompts::given_up(&self.db, job, self.clock.now()).await
                }
            }
        }
    }

    /// Records a job's outcome. A reminder's direct message, once sent or
    /// skipped, is deleted at once: its reminder is finished, so it is never
    /// planned again, and nothing is kept that names its member.
    async fn finish(&self, job: &Job, skipped: bool) {
        if job.kind == JobKind::ReminderDm {
            recording("a direct message's outcome", job.id, || {
                self.db.finish_dm(job.id)
            })
            .await;
            return;
        }
        recording("a job's outcome", job.id, || {
            self.db.finish_job(job.id, skipped)
        })
        .await;
    }

    async fn outcome(&self, job: &Job) -> Result<Outcome, String> {
        let now = self.clock.now();
        match job.kind {
            JobKind::Reminder => self.remind(job).await,
            JobKind::ReminderDm => self.remind_by_dm(job).await,
            JobKind::Rollover => {
                // Who came becomes one count before anything moves on.
                attendance::close(&self.db, job, self.attend).await?;
                meetings::rollover(&self.db, &self.editor, job).await?;
                // The event moves on to the next occurrence (a failure
                // Discord may get over runs the roll-over again: it is
                // idempotent).
                events::ended(&self.db, &self.rest, job, now).await?;
                // Attendance whose roll-over never came: best effort here
                // (the daily housekeeping does it too).
                if let Err(e) = attendance::sweep(&self.db, self.attend, now).await {
                    tracing::warn!(error = %e, "cannot sweep attendance of past occurrences");
                }
                Ok(Outcome::Done)
            }
            JobKind::EventStart => {
                // Who is in its voice channel already is counted from now.
                if let Err(e) = attendance::at_start(&self.db, &self.cache, job, now).await {
                    tracing::warn!(job = job.id, error = %e, "cannot read who is in a meeting's voice channel at its start");
                }
                events::started(&self.db, &self.rest, job)
                    .await
                    .map(|()| Outcome::Done)
            }
            JobKind::RoundClose => match job.round {
                Some(round) => rounds::close(&self.db, &self.rest, &self.editor, round, now)
                    .await
                    .map(|()| Outcome::Done),
                None => Ok(Outcome::Skipped),
            },
            JobKind::Purge => self.purge(job.planned).await.map(|()| Outcome::Done),
            JobKind::PeriodClose => stats::close_periods(&self.db, now)
                .await
                .map(|()| Outcome::Done),
            JobKind::Prompt => prompts::run(&self.db, &self.rest, job, now, self.grace)
                .await
                .map(Outcome::skipped),
            JobKind::Unban | JobKind::SlowmodeRevert | JobKind::LockRevert => {
                moderation::run(self.reach(), job)
                    .await
                    .map(Outcome::skipped)
            }
            JobKind::ReportDelivery => reports::run(self.reach(), job).await.map(Outcome::skipped),
            JobKind::ReportTidy => reports::tidy(&self.db, now).await.map(|()| Outcome::Done),
        }
    }

    fn reach(&self) -> facilitators::Reach<'_> {
        facilitators::Reach {
            db: &self.db,
            rest: &self.rest,
            cache: &self.cache,
        }
    }

    /// Deletes journal entries past their retention and plans tomorrow's run.
    async fn purge(&self, due: DateTime<Utc>) -> Result<(), String> {
        let deleted = self
            .db
            .purge_journals(self.clock.now())
            .await
            .map_err(|e| e.to_string())?;
        // Answers to occurrences long over (series that ended or dates that
        // were cancelled never roll over).
        let rsvps = self
            .db
            .purge_past_rsvps(self.clock.now() - Duration::days(2))
            .await
            .map_err(|e| e.to_string())?;
        if deleted > 0 {
            tracing::info!(
                entries = deleted,
                "journal entries past their retention deleted"
            );
        }
        let rejections = self
            .db
            .purge_old_rejections(self.clock.now() - Duration::days(90))
            .await
            .map_err(|e| e.to_string())?;
        if rsvps + rejections > 0 {
            tracing::info!(
                rsvps,
                rejections,
                "past answers and old rejected strategies deleted"
            );
        }
        let records = self
            .db
            .purge_moderation(self.clock.now())
            .await
            .map_err(|e| e.to_string())?;
        // Web sessions idle too long, logins never finished.
        self.db
            .purge_web(self.clock.now())
            .await
            .map_err(|e| e.to_string())?;
        // Attendance of occurrences whose roll-over never came.
        attendance::sweep(&self.db, self.attend, self.clock.now()).await?;
        // Report tidying has jobs of its own; this catches anything they
        // left (a job given up).
        reports::tidy(&self.db, self.clock.now()).await?;
        self.db
            .prune_report_jobs(self.clock.now() - Duration::days(1))
            .await
            .map_err(|e| e.to_string())?;
        let jobs = self
            .db
            .prune_finished_jobs(self.clock.now() - JOB_RETENTION)
            .await
            .map_err(|e| e.to_string())?;
        if records + jobs > 0 {
            tracing::info!(
                records,
                jobs,
                "moderation records and finished jobs past their retention deleted"
            );
        }
        moderation::remove_expired_log_posts(&self.removing, &self.db, &self.rest);
        // Events of ended meetings whose removal failed at the time.
        events::sweep(&self.db, &self.rest).await?;
        // Every day, whatever was deleted: a checkpoint held back earlier by
        // a busy database (after a forget, say) completes here.
        if !self.db.checkpoint().await.map_err(|e| e.to_string())? {
            tracing::warn!("the daily checkpoint could not complete; it is tried again tomorrow");
        }
        self.db
            .ensure_purge_job(due + Duration::days(1))
            .await
            .map_err(|e| e.to_string())
    }

    /// Posts a reminder in the meeting's channel, then plans its direct
    /// messages (each a job of its own).
    async fn remind(&self, job: &Job) -> Result<Outcome, String> {
        let now = self.clock.now();
        let Some(id) = job.meeting else {
            return Ok(Outcome::Skipped);
        };
        let Some(meeting) = self.db.meeting(id).await.map_err(|e| e.to_string())? else {
            return Ok(Outcome::Skipped);
        };
        match meeting.reminder_call(job.occurrence, job.offset, now, self.grace) {
            ReminderCall::Send => {}
            ReminderCall::Later(at) => return Ok(Outcome::Later(at)),
            ReminderCall::Skip(why) => {
                tracing::info!(
                    job = job.id,
                    meeting = meeting.id.0,
                    ?why,
                    late_by_s = (now - job.planned).num_seconds(),
                    "a reminder is skipped"
                );
                return Ok(Outcome::Skipped);
            }
        }
        let channel = serenity::ChannelId::new(meeting.channel.0);
        let message = serenity::CreateMessage::new()
            .content(views::reminder_text(
                &meeting,
                job.occurrence,
                job.offset,
                now,
            ))
            .allowed_mentions(views::reminder_mentions(&meeting))
            .nonce(serenity::Nonce::String(format!("haven-r{}", job.id)))
            .enforce_nonce(true);
        let wanted = || self.reminder_wanted(job, self.clock.now());
        match self.rest.send_while(channel, message, &wanted).await {
            Ok(_) => {
                crate::metrics::reminder_late_by(self.clock.now() - job.planned);
                // The announcement shows the meeting under way.
                if job.offset.is_zero() {
                    self.editor.touch(editor::Target::Announcement(meeting.id));
                }
            }
            Err(RestError::Abandoned) => {
                tracing::warn!(
                    job = job.id,
                    meeting = meeting.id.0,
                    "a reminder could not go out before its meeting started; skipped"
                );
                return Ok(Outcome::Skipped);
            }
            Err(RestError::Gone { .. } | RestError::Forbidden { .. } | RestError::ClosedDm) => {
                self.db
                    .pause_reminders(meeting.id)
                    .await
                    .map_err(|e| e.to_string())?;
                notify_log(
                    &self.db,
                    &self.rest,
                    meeting.guild,
                    &format!(
                        "I couldn't post the reminder for **{}** (meeting #{}): its channel no longer exists or I can't post there. \
                         Its reminders are paused; `/meeting edit id:{} channel:` with a channel I can post in resumes them.",
                        crate::domain::text::inert(&meeting.title), meeting.id.0, meeting.id.0
                    ),
                    job,
                )
                .await;
                // Those who asked for DMs still get theirs.
                return Ok(Outcome::Posted { skipped: true });
            }
            Err(why @ RestError::Rejected { .. }) => {
                // Discord refused this message itself; the channel is fine and
                // the next reminder may well go through.
                tracing::error!(job = job.id, meeting = meeting.id.0, %why, "Discord refused a reminder; skipped");
                return Ok(Outcome::Posted { skipped: true });
            }
            Err(RestError::Transient(reason)) => return Err(reason),
        }
        Ok(Outcome::Posted { skipped: false })
    }

    /// Whether a reminder (or one of its DMs) may still go out at `now`:
    /// within the grace period of the time it was planned for, and never
    /// once its meeting started (but for the "starting now" post, `0m`).
    fn reminder_wanted(&self, job: &Job, now: DateTime<Utc>) -> bool {
        now - job.planned <= self.grace && (job.offset.is_zero() || now < job.occurrence)
    }

    /// Sends one member the reminder by DM. A failure Discord may get over
    /// is retried within the grace period; closed DMs are final.
    async fn remind_by_dm(&self, job: &Job) -> Result<Outcome, String> {
        let (Some(parent), Some(user)) = (job.parent, job.target) else {
            return Ok(Outcome::Skipped);
        };
        if !self.reminder_wanted(job, self.clock.now()) {
            tracing::info!(
                job = job.id,
                "a reminder by DM is too late or its meeting started; skipped"
            );
            return Ok(Outcome::Skipped);
        }
        let meeting = match self
            .db
            .meeting_of_job(parent)
            .await
            .map_err(|e| e.to_string())?
        {
            Some(id) => self.db.meeting(id).await.map_err(|e| e.to_string())?,
            None => None,
        };
        // An edit or a cancel since the channel post removed its date or
        // its offset: the rest of its messages are not sent. (Paused
        // reminders, a channel gone, still reach those who asked.)
        let Some(meeting) =
            meeting.filter(|m| !m.ended && m.still_has(job.occurrence, job.offset).is_some())
        else {
            return Ok(Outcome::Skipped);
        };
        let user = crate::domain::UserId(user);
        // They may have turned their DMs for this meeting off since.
        let wanted = self
            .db
            .gets_meeting_dms(meeting.id, user)
            .await
            .map_err(|e| e.to_string())?;
        if !wanted {
            return Ok(Outcome::Skipped);
        }
        // One nonce per recipient: the same reminder to two people is two
        // messages, and a retry to one of them is still one.
        let message = views::dm_reminder(&meeting, job.occurrence, job.offset, self.clock.now())
            .nonce(serenity::Nonce::String(dm_nonce(parent, user)))
            .enforce_nonce(true);
        let wanted = || self.reminder_wanted(job, self.clock.now());
        match self
            .rest
            .dm_while(serenity::UserId::new(user.0), message, &wanted)
            .await
        {
            Ok(_) => Ok(Outcome::Done),
            Err(RestError::ClosedDm | RestError::Gone { .. } | RestError::Forbidden { .. }) => {
                tracing::info!(
                    meeting = meeting.id.0,
                    "a member's direct messages are closed; reminder skipped"
                );
                Ok(Outcome::Skipped)
            }
            Err(RestError::Abandoned) => Ok(Outcome::Skipped),
            Err(e @ RestError::Rejected { .. }) => {
                tracing::warn!(meeting = meeting.id.0, error = %e, "Discord refused a reminder by DM; skipped");
                Ok(Outcome::Skipped)
            }
            Err(RestError::Transient(reason)) => Err(reason),
        }
    }
}

/// Finished jobs are kept this long (what a reminder's DMs were, what a
/// day's housekeeping did), then deleted.
pub const JOB_RETENTION: Duration = Duration::days(7);

/// The nonce of a reminder by DM to one member: at most 25 characters, the
/// same for every retry of that job to that member.
pub fn dm_nonce(job: i64, user: crate::domain::UserId) -> String {
    stable_nonce("hd", job.to_le_bytes(), &user.0.to_le_bytes())
}

/// A nonce Discord accepts (at most 25 characters) that is the same
/// wherever and however often it is made from the same two values: a
/// prefix naming what it is for and 20 hex digits of their hash.
pub(crate) fn stable_nonce(prefix: &str, a: [u8; 8], b: &[u8]) -> String {
    let mut key = blake3::Hasher::new();
    key.update(&a);
    key.update(b);
    format!("{prefix}{}", &key.finalize().to_hex()[..20])
}

/// Tells the server's log channel, if it has one, on behalf of `job`: the
/// post's nonce comes from the job and the text, so a job taken over after
/// its process died shows the same notice once.
pub async fn notify_log(
    db: &Db,
    rest: &Rest,
    guild: crate::domain::GuildId,
    text: &str,
    job: &Job,
) {
    let settings = match db.guild_settings(guild).await {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "cannot read settings for a notice");
            return;
        }
    };
    let Some(channel) = settings.log_channel else {
        tracing::info!(guild = guild.0, "no log channel for a facilitator notice");
        return;
    };
    let message = serenity::CreateMessage::new()
        .content(text)
        .allowed_mentions(serenity::CreateAllowedMentions::new());
    let nonce = stable_nonce("hn", job.id.to_le_bytes(), text.as_bytes());
    if let Err(e) = rest
        .send_nonced(serenity::ChannelId::new(channel.0), message, nonce)
        .await
    {
        tracing::warn!(guild = guild.0, error = %e, "cannot post to the log channel");
    }
}

/// The channel a log post is in: the one kept with it, or for posts from
/// before Haven kept it, the log channel as set now.
pub async fn log_channel_of(
    db: &Db,
    guild: crate::domain::GuildId,
    kept: Option<crate::domain::ChannelId>,
) -> crate::store::StoreResult<Option<crate::domain::ChannelId>> {
    if kept.is_some() {
        return Ok(kept);
    }
    Ok(db.guild_settings(guild).await?.log_channel)
}

/// Edits one of Haven's posts in a log channel (a case, a report, a shared
/// strategy's card), in the channel kept with it (`channel`) or else the
/// log channel as set now; `what` names it in the log when Discord refuses.
pub async fn edit_in_log(
    db: &Db,
    rest: &Rest,
    guild: crate::domain::GuildId,
    channel: Option<crate::domain::ChannelId>,
    message: u64,
    edit: serenity::EditMessage,
    what: &str,
) {
    let channel = match log_channel_of(db, guild, channel).await {
        Ok(Some(channel)) => channel,
        Ok(None) => return,
        Err(e) => {
            tracing::warn!(guild = guild.0, error = %e, "cannot read where {what} is");
            return;
        }
    };
    if let Err(e) = rest
        .edit(
            serenity::ChannelId::new(channel.0),
            serenity::MessageId::new(message),
            edit,
        )
        .await
    {
        tracing::info!(guild = guild.0, message, error = %e, "cannot edit {what} in the log channel");
    }
}
