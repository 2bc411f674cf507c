//! The one engine for everything time-driven. Work is kept as durable jobs in
//! SQLite; the engine sleeps until the next job is due and is woken when jobs
//! change or the clock jumps. There is no polling loop: while idle it makes no
//! database queries at all.
//!
//! Delivery is at least once and visibly exactly once: a job is claimed
//! atomically, its message carries a nonce derived from the job (Discord
//! returns the first message for a repeated nonce), and the job is marked done
//! only after the send succeeded.

pub mod editor;
pub mod facilitators;
pub mod meetings;
pub mod moderation;
pub mod prompts;
pub mod reports;
pub mod rounds;
pub mod stats;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use futures::StreamExt;
use poise::serenity_prelude as serenity;
use tokio::sync::{Notify, watch};

use crate::clock::SharedClock;
use crate::domain::jobs::JobKind;
use crate::rest::{Rest, RestError};
use crate::store::{Db, Job};
use crate::views;
use editor::Editor;

/// A reminder missed by less than this (downtime) is still sent.
pub const DEFAULT_GRACE: Duration = Duration::minutes(15);
/// How many meetings' jobs are worked on at once.
const CONCURRENCY: usize = 64;
/// How many due jobs are claimed per round.
const BATCH: i64 = 2000;
/// How many per round when other processes share the jobs (PostgreSQL):
/// smaller, so that the work spreads and what a process that died held is
/// taken over soon after its lease, not after a long batch.
const SHARED_BATCH: i64 = 50;

/// Aborts a background task when dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Wakes the engine when jobs change.
#[derive(Clone, Default)]
pub struct SchedulerHandle {
    wake: Arc<Notify>,
}

impl SchedulerHandle {
    pub fn poke(&self) {
        self.wake.notify_one();
    }
}

pub struct Scheduler {
    pub db: Db,
    pub clock: SharedClock,
    pub rest: Rest,
    pub editor: Editor,
    pub grace: Duration,
    pub handle: SchedulerHandle,
    /// Whether expired log posts are being removed now.
    pub removing: moderation::Removing,
    /// The gateway's cache (a server's owner and roles, for reports).
    pub cache: Arc<serenity::Cache>,
}

impl Scheduler {
    /// Runs until `shutdown` turns true.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        match self.db.reset_claimed_jobs().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(jobs = n, "resuming jobs claimed before a restart"),
            Err(e) => tracing::error!(error = %e, "cannot reset claimed jobs"),
        }
        // Log posts a stopped process had not removed yet.
        moderation::remove_expired_log_posts(&self.removing, &self.db, &self.rest);
        if let Err(e) = prompts::plan_all(&self.db, self.clock.now()).await {
            tracing::error!(error = %e, "cannot plan scheduled prompts");
        }
        // Housekeeping runs daily; make sure the next run is planned.
        let first_purge = self.clock.now() + Duration::hours(1);
        if let Err(e) = self.db.ensure_purge_job(first_purge).await {
            tracing::error!(error = %e, "cannot plan housekeeping");
        }
        let mut jumps = self.clock.jumps();
        let batch = if self.db.is_postgres() {
            SHARED_BATCH
        } else {
            BATCH
        };
        // Other processes' new jobs wake this one (PostgreSQL).
        let _listening = self.listen_for_other_processes().await;
        loop {
            if *shutdown.borrow() {
                // What this process still held goes back at once.
                if let Err(e) = self.db.release_own_claims().await {
                    tracing::warn!(error = %e, "cannot release this process's claims; they end with their lease");
                }
                return;
            }
            let now = self.clock.now();
            let jobs = match self.db.claim_due_jobs(now, batch).await {
                Ok(jobs) => jobs,
                Err(e) => {
                    tracing::error!(error = %e, "cannot claim jobs; retrying shortly");
                    tokio::time::sleep(StdDuration::from_secs(1)).await;
                    continue;
                }
            };
            if !jobs.is_empty() {
                self.work_renewing(jobs, now).await;
                continue;
            }
            let next = match self.db.next_job_due().await {
                Ok(next) => next,
                Err(e) => {
                    tracing::error!(error = %e, "cannot read the next job");
                    Some(now + Duration::seconds(1))
                }
            };
            let sleep = next.map(|due| (due - now).to_std().unwrap_or(StdDuration::ZERO));
            tokio::select! {
                () = async {
                    match sleep {
                        Some(d) => tokio::time::sleep(d).await,
                        None => std::future::pending().await,
                    }
                } => {}
                () = self.handle.wake.notified() => {}
                _ = jumps.changed() => {}
                _ = shutdown.changed() => {}
            }
        }
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
        Some(AbortOnDrop(tokio::spawn(async move {
            loop {
                // A lost connection is `None` (the next call reconnects):
                // whatever was sent meanwhile is looked at then.
                match listener.try_recv().await {
                    Ok(_) => handle.poke(),
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

    /// Works a batch while renewing this process's claims.
    async fn work_renewing(&self, jobs: Vec<Job>, now: DateTime<Utc>) {
        renewing(&self.db, &self.clock, self.work(jobs, now)).await;
    }

    /// Works a batch: each meeting's jobs in due order, meetings side by side.
    async fn work(&self, jobs: Vec<Job>, now: DateTime<Utc>) {
        // Jobs about the same meeting or round run in order; others side by side.
        let mut by_meeting: BTreeMap<(u8, i64), Vec<Job>> = BTreeMap::new();
        for job in jobs {
            let key = match (job.meeting, job.round) {
                (Some(m), _) => (0, m.0),
                (None, Some(r)) => (1, r),
                (None, None) => (2, job.id),
            };
            by_meeting.entry(key).or_default().push(job);
        }
        futures::stream::iter(by_meeting.into_values())
            .for_each_concurrent(CONCURRENCY, |jobs| async move {
                for job in jobs {
                    self.work_one(job, now).await;
                }
            })
            .await;
    }

    async fn work_one(&self, job: Job, now: DateTime<Utc>) {
        let outcome = match job.kind {
            JobKind::Reminder => self.remind(&job, now).await,
            JobKind::Rollover => meetings::rollover(&self.db, &self.editor, &job)
                .await
                .map(|()| false),
            JobKind::RoundClose => match job.round {
                Some(round) => rounds::close(&self.db, &self.rest, &self.editor, round, now)
                    .await
                    .map(|()| false),
                None => Ok(true),
            },
            JobKind::Purge => self.purge(job.planned).await.map(|()| false),
            JobKind::PeriodClose => stats::close_periods(&self.db, now).await.map(|()| false),
            JobKind::Prompt => prompts::run(&self.db, &self.rest, &job, now, self.grace).await,
            JobKind::Unban | JobKind::SlowmodeRevert | JobKind::LockRevert => {
                moderation::run(self.reach(), &job).await
            }
            JobKind::ReportDelivery => reports::run(self.reach(), &job).await,
            JobKind::ReportTidy => reports::tidy(&self.db, now).await.map(|()| false),
        };
        let result = match outcome {
            Ok(skipped) => self.db.finish_job(job.id, skipped).await,
            Err(reason) => match job.kind.retry_after(job.attempts) {
                Some(wait) => {
                    tracing::warn!(job = job.id, meeting = ?job.meeting, target = ?job.target, %reason, "job failed; will retry");
                    if matches!(
                        job.kind,
                        JobKind::Unban | JobKind::SlowmodeRevert | JobKind::LockRevert
                    ) {
                        moderation::still_in_place(self.reach(), &job, &reason).await;
                    }
                    self.db.release_job(job.id, self.clock.now() + wait).await
                }
                None => {
                    tracing::error!(job = job.id, meeting = ?job.meeting, %reason, "job failed too often; given up");
                    let finished = self.db.finish_job(job.id, true).await;
                    if job.kind == JobKind::Prompt {
                        prompts::given_up(&self.db, &job, self.clock.now()).await
                    }
                    finished
                }
            },
        };
        if let Err(e) = result {
            tracing::error!(job = job.id, error = %e, "cannot record a job's outcome");
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
        // Report tidying has jobs of its own; this catches anything they
        // left (a job given up).
        reports::tidy(&self.db, self.clock.now()).await?;
        self.db
            .prune_report_jobs(self.clock.now() - Duration::days(1))
            .await
            .map_err(|e| e.to_string())?;
        if records > 0 {
            tracing::info!(records, "moderation records past their retention deleted");
        }
        moderation::remove_expired_log_posts(&self.removing, &self.db, &self.rest);
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

    /// Whether a reminder may still go out at `now`: within the grace period
    /// of the time it was planned for, and never once its meeting started.
    fn reminder_wanted(&self, job: &Job, now: DateTime<Utc>) -> bool {
        now - job.planned <= self.grace && now < job.occurrence
    }

    /// Posts a reminder in the meeting's channel, then by DM to those who
    /// asked. Returns whether it was skipped.
    async fn remind(&self, job: &Job, now: DateTime<Utc>) -> Result<bool, String> {
        if !self.reminder_wanted(job, now) {
            tracing::warn!(
                job = job.id,
                meeting = ?job.meeting,
                late_by_s = (now - job.planned).num_seconds(),
                "reminder missed by more than the grace period, or its meeting has started; skipped"
            );
            return Ok(true);
        }
        let Some(id) = job.meeting else {
            return Ok(true);
        };
        let Some(meeting) = self.db.meeting(id).await.map_err(|e| e.to_string())? else {
            return Ok(true);
        };
        if meeting.ended || !meeting.reminders_enabled {
            return Ok(true);
        }
        if !still_planned(&meeting, job) {
            tracing::info!(
                job = job.id,
                meeting = meeting.id.0,
                "a reminder planned before an edit no longer fits the meeting; skipped"
            );
            return Ok(true);
        }
        let channel = serenity::ChannelId::new(meeting.channel.0);
        let message = serenity::CreateMessage::new()
            .content(views::reminder_text(&meeting, job.occurrence))
            .allowed_mentions(views::reminder_mentions(&meeting))
            .nonce(serenity::Nonce::String(format!("haven-r{}", job.id)))
            .enforce_nonce(true);
        let wanted = || self.reminder_wanted(job, self.clock.now());
        match self.rest.send_while(channel, message, &wanted).await {
            Ok(_) => crate::metrics::reminder_late_by(self.clock.now() - job.planned),
            Err(RestError::Abandoned) => {
                tracing::warn!(
                    job = job.id,
                    meeting = meeting.id.0,
                    "a reminder could not go out before its meeting started; skipped"
                );
                return Ok(true);
            }
            Err(RestError::Gone { .. } | RestError::Forbidden { .. } | RestError::ClosedDm) => {
                self.db
                    .pause_reminders(meeting.id)
                    .await
                    .map_err(|e| e.to_string())?;
                // Those who asked for DMs still get theirs.
                self.remind_by_dm(job, &meeting).await;
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
                return Ok(true);
            }
            Err(why @ RestError::Rejected { .. }) => {
                // Discord refused this message itself; the channel is fine and
                // the next reminder may well go through.
                tracing::error!(job = job.id, meeting = meeting.id.0, %why, "Discord refused a reminder; skipped");
                self.remind_by_dm(job, &meeting).await;
                return Ok(true);
            }
            Err(RestError::Transient(reason)) => return Err(reason),
        }
        self.remind_by_dm(job, &meeting).await;
        Ok(false)
    }

    async fn remind_by_dm(&self, job: &Job, meeting: &crate::domain::meeting::Meeting) {
        let subscribers = match self.db.meeting_dm_subscribers(meeting.id).await {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(error = %e, "cannot read DM subscribers");
                return;
            }
        };
        let wanted = || self.reminder_wanted(job, self.clock.now());
        for user in subscribers {
            // One nonce per recipient: the same reminder to two people is two
            // messages, and a retry to one of them is still one.
            let message = views::dm_reminder(meeting, job.occurrence)
                .nonce(serenity::Nonce::String(dm_nonce(job.id, user)))
                .enforce_nonce(true);
            match self
                .rest
                .dm_while(serenity::UserId::new(user.0), message, &wanted)
                .await
            {
                Ok(_) => {}
                Err(RestError::ClosedDm | RestError::Gone { .. } | RestError::Forbidden { .. }) => {
                    tracing::info!(
                        meeting = meeting.id.0,
                        "a member's direct messages are closed; reminder skipped"
                    );
                }
                Err(e) => {
                    tracing::warn!(meeting = meeting.id.0, error = %e, "a direct-message reminder failed; skipped");
                }
            }
        }
    }
}

/// Whether a reminder job still fits its meeting as it is now: the
/// occurrence is still one of its times (not moved, not skipped), the
/// offset is still one of its reminders, and it falls when planned. Jobs
/// planned from an older copy of the meeting fail this and are skipped.
fn still_planned(meeting: &crate::domain::meeting::Meeting, job: &Job) -> bool {
    let Some(o) = meeting
        .schedule
        .next_after(job.occurrence - Duration::seconds(1))
        .filter(|o| o.start == job.occurrence)
    else {
        return false;
    };
    meeting.reminders.as_slice().contains(&job.offset)
        && meeting.reminder_due(&o, job.offset) == job.planned
}

/// Runs `work` (on jobs this process claimed) while renewing its claims
/// every third of a lease, so that work taking longer than a lease is not
/// taken over while it runs.
pub async fn renewing<T>(db: &Db, clock: &SharedClock, work: impl Future<Output = T>) -> T {
    let every = (db.lease() / 3)
        .to_std()
        .unwrap_or(StdDuration::from_secs(10))
        .max(StdDuration::from_millis(100));
    tokio::pin!(work);
    loop {
        tokio::select! {
            out = &mut work => return out,
            () = tokio::time::sleep(every) => {
                if let Err(e) = db.renew_claims(clock.now()).await {
                    tracing::warn!(error = %e, "cannot renew this process's claims");
                }
            }
        }
    }
}

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
