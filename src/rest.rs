//! The REST calls Haven makes on its own (posts, edits, direct messages), as
//! Discord wants them made: paced to stay inside the per-channel and global
//! rate limits, retried on 429, 5xx and dropped connections, and sorted into
//! failures that mean something different to the caller (the channel is gone,
//! the member's DMs are closed, Discord refused the request as malformed).
//!
//! Serenity paces requests itself against real Discord, but behind
//! `DISCORD_API_BASE` its rate limiter must be off; this pacing keeps Haven
//! inside Discord's published limits either way. A 429 body from Discord has
//! no `code`, so serenity cannot decode it: only the status reaches us, and
//! the wait comes from the pacer's own windows (or a short back-off).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use poise::serenity_prelude as serenity;

pub mod events;
pub mod moderation;

/// Discord's limit on messages (and on edits) per channel per window.
const PER_CHANNEL: u32 = 5;
const CHANNEL_WINDOW: Duration = Duration::from_secs(5);
/// Discord's global limit per second; interaction endpoints are exempt.
const GLOBAL_PER_SECOND: u32 = crate::config::DISCORD_GLOBAL_PER_SECOND;
/// Our windows last a little longer than Discord's, so that a window
/// Discord opened a moment after ours has reset before ours does.
const MARGIN: Duration = Duration::from_millis(150);
/// Attempts at one call before it is reported as failing for now.
const ATTEMPTS: u32 = 6;
/// A call that has not answered by then is given up (and retried): one
/// stalled connection must not hold up everything behind it.
const CALL_TIMEOUT: Duration = Duration::from_secs(10);

/// What a call made on behalf of a claimed job checks first: that the
/// claim is still held ([`Fence::holds`]). The scheduler sets one around each
/// job it works ([`FENCE`]); a call whose fence no longer holds is not made
/// and fails as [`RestError::Abandoned`].
pub trait Fence: Send + Sync {
    fn holds(&self) -> futures::future::BoxFuture<'_, bool>;
}

tokio::task_local! {
    /// The fence of the job this task works on, if any.
    pub static FENCE: Arc<dyn Fence>;
}

/// Whether the current task's fence (if it has one) still holds.
async fn fence_holds() -> bool {
    match FENCE.try_with(Arc::clone) {
        Ok(fence) => fence.holds().await,
        Err(_) => true,
    }
}

/// Why a call failed, as the caller needs to know it.
#[derive(Debug, Clone, PartialEq, Eq)]
///
/// Discord's refusals keep its JSON error code (10003 Unknown Channel,
/// 10007 Unknown Member, 50013 Missing Permissions...), so a caller that
/// must tell a facilitator exactly why can.
pub enum RestError {
    /// What was asked for no longer exists (404).
    Gone { code: isize },
    /// Haven may not do this there (403): missing access or permission.
    Forbidden { code: isize },
    /// The member does not accept direct messages from Haven (403, 50007).
    ClosedDm,
    /// Discord refused the request itself (400 and the like); retrying the
    /// same request will not help, and the channel is not gone.
    Rejected { code: isize, message: String },
    /// Worth trying again later: 5xx, 429 or the connection, after retries.
    Transient(String),
    /// The caller said the call was no longer wanted before it went through.
    Abandoned,
}

impl RestError {
    /// Discord's error code, where Discord refused (0 when it gave none).
    pub fn code(&self) -> Option<isize> {
        match self {
            Self::Gone { code } | Self::Forbidden { code } | Self::Rejected { code, .. } => {
                Some(*code)
            }
            _ => None,
        }
    }

    /// Whether Discord refused the request (404, 403 or 400): the same
    /// request will not succeed by being tried again.
    pub fn is_refusal(&self) -> bool {
        self.code().is_some()
    }
}

impl std::fmt::Display for RestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Gone { code } => write!(f, "it no longer exists ({code})"),
            Self::Forbidden { code } => write!(f, "missing access or permission ({code})"),
            Self::ClosedDm => write!(f, "the member's direct messages are closed"),
            Self::Rejected { code, message } => {
                write!(f, "Discord refused the request ({code}): {message}")
            }
            Self::Transient(why) => write!(f, "Discord is unavailable for now: {why}"),
            Self::Abandoned => write!(f, "no longer wanted"),
        }
    }
}

impl std::error::Error for RestError {}

/// What a serenity error means for a retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    Gone,
    Forbidden,
    ClosedDm,
    RateLimited,
    Transient,
    Rejected,
}

/// Sorts a serenity error.
pub fn classify(e: &serenity::Error) -> Failure {
    match e {
        serenity::Error::Http(serenity::HttpError::UnsuccessfulRequest(r)) => {
            match (r.status_code.as_u16(), r.error.code) {
                (429, _) => Failure::RateLimited,
                (s, _) if s >= 500 => Failure::Transient,
                (403, 50007) => Failure::ClosedDm,
                (403, _) => Failure::Forbidden,
                (404, _) => Failure::Gone,
                _ => Failure::Rejected,
            }
        }
        serenity::Error::Http(serenity::HttpError::Request(_)) | serenity::Error::Io(_) => {
            Failure::Transient
        }
        _ => Failure::Rejected,
    }
}

/// Discord's error code in a refusal, if it carried one.
pub fn discord_code(e: &serenity::Error) -> Option<isize> {
    match e {
        serenity::Error::Http(serenity::HttpError::UnsuccessfulRequest(r)) => Some(r.error.code),
        _ => None,
    }
}

/// Discord's code and message for a refusal (0 and the error's text when
/// the answer carried none).
fn code_and_message(e: &serenity::Error) -> (isize, String) {
    match e {
        // Discord explains a refused form field by field ("Invalid Form
        // Body" alone says nothing): its explanations are kept.
        serenity::Error::Http(serenity::HttpError::UnsuccessfulRequest(r)) => {
            let mut message = r.error.message.clone();
            for field in &r.error.errors {
                message.push_str(&format!(" ({}: {})", field.path, field.message));
            }
            (r.error.code, message)
        }
        other => (0, other.to_string()),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Bucket {
    Messages(u64),
    Edits(u64),
}

#[derive(Debug, Clone, Copy)]
struct Window {
    resets: Instant,
    remaining: u32,
}

impl Window {
    /// Takes a slot, or says how long until one frees up.
    fn take(
        slot: &mut Option<Window>,
        limit: u32,
        length: Duration,
        now: Instant,
    ) -> Result<(), Duration> {
        let w = slot.get_or_insert(Window {
            resets: now + length + MARGIN,
            remaining: limit,
        });
        if now >= w.resets {
            *w = Window {
                resets: now + length + MARGIN,
                remaining: limit,
            };
        }
        if w.remaining == 0 {
            return Err(w.resets - now);
        }
        w.remaining -= 1;
        Ok(())
    }
}

struct Pacer {
    buckets: HashMap<Bucket, Option<Window>>,
    global: Option<Window>,
    /// This process's share of Discord's global limit, per second.
    global_per_second: u32,
}

/// Windows kept before those that have reset are forgotten.
const WINDOWS_KEPT: usize = 1024;

impl Pacer {
    /// Forgets the windows that have reset (an idle channel's), once there
    /// are many: the map stays as large as the channels used within one
    /// window, not every channel ever used.
    fn forget_idle(&mut self, now: Instant) {
        if self.buckets.len() >= WINDOWS_KEPT {
            self.buckets
                .retain(|_, w| w.is_some_and(|w| now < w.resets));
        }
    }
}

/// Haven's own REST calls. Cheap to clone.
#[derive(Clone)]
pub struct Rest {
    http: Arc<serenity::Http>,
    pacer: Arc<Mutex<Pacer>>,
    /// Each member's DM channel with Haven, once opened (it never changes),
    /// so a DM costs one request, not two.
    dm_channels: Arc<Mutex<HashMap<u64, serenity::ChannelId>>>,
    /// Haven's own moderation calls under way or just ended, by target.
    own: moderation::OwnChanges,
}

/// DM channels remembered at most; past this the memory starts afresh.
const DM_CHANNELS_KEPT: usize = 100_000;

impl Rest {
    /// With all of Discord's global limit (one process).
    pub fn new(http: Arc<serenity::Http>) -> Self {
        Self::with_global_limit(http, GLOBAL_PER_SECOND)
    }

    /// With `per_second` of Discord's global limit: this process's share
    /// when several share one bot.
    pub fn with_global_limit(http: Arc<serenity::Http>, per_second: u32) -> Self {
        Self {
            http,
            pacer: Arc::new(Mutex::new(Pacer {
                buckets: HashMap::new(),
                global: None,
                global_per_second: per_second.max(1),
            })),
            dm_channels: Arc::default(),
            own: moderation::OwnChanges::default(),
        }
    }

    /// Haven's own moderation calls, to tell their echoes from humans'.
    pub fn own_changes(&self) -> &moderation::OwnChanges {
        &self.own
    }

    pub fn http(&self) -> &Arc<serenity::Http> {
        &self.http
    }

    /// Waits for a slot in the bucket (and the global limit).
    async fn pace(&self, bucket: Option<Bucket>) {
        loop {
            let wait = {
                let mut p = self.pacer.lock().unwrap_or_else(PoisonError::into_inner);
                let per_second = p.global_per_second;
                let now = Instant::now();
                p.forget_idle(now);
                let bucket_wait = bucket.and_then(|b| {
                    let slot = p.buckets.entry(b).or_insert(None);
                    // Peek first, so that a full global limit does not use up
                    // a slot of the bucket.
                    match slot {
                        Some(w) if now < w.resets && w.remaining == 0 => Some(w.resets - now),
                        _ => None,
                    }
                });
                match bucket_wait {
                    Some(wait) => wait,
                    None => {
                        match Window::take(&mut p.global, per_second, Duration::from_secs(1), now) {
                            Err(wait) => wait,
                            Ok(()) => match bucket {
                                None => return,
                                Some(b) => {
                                    let slot = p.buckets.entry(b).or_insert(None);
                                    match Window::take(slot, PER_CHANNEL, CHANNEL_WINDOW, now) {
                                        Ok(()) => return,
                                        Err(wait) => wait,
                                    }
                                }
                            },
                        }
                    }
                }
            };
            tokio::time::sleep(wait).await;
        }
    }

    /// After a 429: wait until our window for the bucket resets (Discord's
    /// `retry_after` and its global flag are not readable through serenity
    /// with its own limiter off), at least a moment. Since the 429 may have
    /// been Discord's global limit, every call of this process also waits
    /// for the current global window to end (at most a second).
    async fn back_off_429(&self, bucket: Option<Bucket>) {
        let wait = {
            let mut p = self.pacer.lock().unwrap_or_else(PoisonError::into_inner);
            crate::metrics::rate_limited();
            let now = Instant::now();
            let global = p.global.get_or_insert(Window {
                resets: now + Duration::from_secs(1) + MARGIN,
                remaining: 0,
            });
            if global.resets <= now {
                global.resets = now + Duration::from_secs(1) + MARGIN;
            }
            global.remaining = 0;
            let window = bucket.and_then(|b| p.buckets.get_mut(&b).and_then(Option::as_mut));
            match window {
                Some(w) => {
                    // Discord says this bucket is full: treat it so.
                    w.remaining = 0;
                    if w.resets <= now {
                        w.resets = now + CHANNEL_WINDOW;
                    }
                    w.resets - now
                }
                None => Duration::from_secs(1),
            }
        };
        tokio::time::sleep(wait.max(Duration::from_millis(100))).await;
    }

    /// Runs `call` with pacing and retries while `wanted()` holds.
    async fn run<T, F, Fut>(
        &self,
        bucket: Option<Bucket>,
        wanted: &(dyn Fn() -> bool + Send + Sync),
        call: F,
    ) -> Result<T, RestError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, serenity::Error>>,
    {
        self.run_tries(bucket, wanted, ATTEMPTS, call).await
    }

    /// [`Rest::run`] with at most `tries` attempts (1 for a call that must
    /// not be repeated blindly: a create whose answer may be lost).
    async fn run_tries<T, F, Fut>(
        &self,
        bucket: Option<Bucket>,
        wanted: &(dyn Fn() -> bool + Send + Sync),
        tries: u32,
        mut call: F,
    ) -> Result<T, RestError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, serenity::Error>>,
    {
        let mut backoff = Duration::from_millis(200);
        let mut last = String::new();
        for attempt in 1..=tries {
            if !wanted() {
                return Err(RestError::Abandoned);
            }
            self.pace(bucket).await;
            // Checked last, right before the call: a process paused past its
            // lease sends nothing another has taken over since.
            if !wanted() || !fence_holds().await {
                return Err(RestError::Abandoned);
            }
            let outcome = match tokio::time::timeout(CALL_TIMEOUT, call()).await {
                Ok(outcome) => outcome,
                Err(_) => {
                    last = "Discord did not answer in time".to_owned();
                    continue;
                }
            };
            match outcome {
                Ok(v) => return Ok(v),
                Err(e) => match classify(&e) {
                    Failure::Gone => {
                        return Err(RestError::Gone {
                            code: code_and_message(&e).0,
                        });
                    }
                    Failure::Forbidden => {
                        return Err(RestError::Forbidden {
                            code: code_and_message(&e).0,
                        });
                    }
                    Failure::ClosedDm => return Err(RestError::ClosedDm),
                    Failure::Rejected => {
                        let (code, message) = code_and_message(&e);
                        return Err(RestError::Rejected { code, message });
                    }
                    Failure::RateLimited => {
                        last = "rate limited".to_owned();
                        tracing::debug!(?bucket, "429 from Discord; waiting for the bucket");
                        if attempt < tries {
                            self.back_off_429(bucket).await;
                        }
                    }
                    Failure::Transient => {
                        last = e.to_string();
                        if attempt < tries {
                            tokio::time::sleep(backoff).await;
                            backoff = (backoff * 2).min(Duration::from_secs(8));
                        }
                    }
                },
            }
        }
        Err(RestError::Transient(last))
    }

    /// Posts a message in a channel. It carries a nonce of its own (in place
    /// of any it had), so a retry after a lost answer never posts it twice.
    /// A post whose nonce must outlive this call goes through
    /// [`Rest::send_nonced`].
    pub async fn send(
        &self,
        channel: serenity::ChannelId,
        message: serenity::CreateMessage,
    ) -> Result<serenity::Message, RestError> {
        let nonce = format!("hx{:020x}", rand::random::<u64>());
        let message = message
            .nonce(serenity::Nonce::String(nonce))
            .enforce_nonce(true);
        self.send_while(channel, message, &|| true).await
    }

    /// Posts a message with the caller's `nonce`: one that must outlive this
    /// call (a job's, the same after a takeover).
    pub async fn send_nonced(
        &self,
        channel: serenity::ChannelId,
        message: serenity::CreateMessage,
        nonce: String,
    ) -> Result<serenity::Message, RestError> {
        let message = message
            .nonce(serenity::Nonce::String(nonce))
            .enforce_nonce(true);
        self.send_while(channel, message, &|| true).await
    }

    /// Posts a message as it is (with the caller's own nonce, if any),
    /// giving up as soon as `wanted()` turns false (a reminder whose
    /// meeting has started).
    pub async fn send_while(
        &self,
        channel: serenity::ChannelId,
        message: serenity::CreateMessage,
        wanted: &(dyn Fn() -> bool + Send + Sync),
    ) -> Result<serenity::Message, RestError> {
        self.run(Some(Bucket::Messages(channel.get())), wanted, || {
            channel.send_message(&*self.http, message.clone())
        })
        .await
    }

    /// Edits a message Haven posted.
    pub async fn edit(
        &self,
        channel: serenity::ChannelId,
        message: serenity::MessageId,
        edit: serenity::EditMessage,
    ) -> Result<serenity::Message, RestError> {
        self.run(Some(Bucket::Edits(channel.get())), &|| true, || {
            channel.edit_message(&*self.http, message, edit.clone())
        })
        .await
    }

    /// Deletes a message.
    pub async fn delete(
        &self,
        channel: serenity::ChannelId,
        message: serenity::MessageId,
    ) -> Result<(), RestError> {
        self.delete_because(channel, message, None).await
    }

    /// Deletes a message, with a reason for Discord's audit log when a
    /// moderator asked for it.
    pub async fn delete_because(
        &self,
        channel: serenity::ChannelId,
        message: serenity::MessageId,
        reason: Option<&str>,
    ) -> Result<(), RestError> {
        self.run(Some(Bucket::Edits(channel.get())), &|| true, || {
            self.http.delete_message(channel, message, reason)
        })
        .await
    }

    /// Opens a public thread on a message Haven posted.
    pub async fn thread_from(
        &self,
        channel: serenity::ChannelId,
        message: serenity::MessageId,
        name: &str,
    ) -> Result<serenity::GuildChannel, RestError> {
        let builder = serenity::CreateThread::new(name)
            .auto_archive_duration(serenity::AutoArchiveDuration::OneDay);
        self.run(None, &|| true, || {
            channel.create_thread_from_message(&*self.http, message, builder.clone())
        })
        .await
    }

    /// Sends a direct message to a member, while `wanted()` holds.
    pub async fn dm_while(
        &self,
        user: serenity::UserId,
        message: serenity::CreateMessage,
        wanted: &(dyn Fn() -> bool + Send + Sync),
    ) -> Result<serenity::Message, RestError> {
        let known = self
            .dm_channels
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&user.get())
            .copied();
        let channel = match known {
            Some(channel) => channel,
            None => {
                let dm = self
                    .run(None, wanted, || user.create_dm_channel(&*self.http))
                    .await?;
                let mut kept = self
                    .dm_channels
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner);
                if kept.len() >= DM_CHANNELS_KEPT {
                    kept.clear();
                }
                kept.insert(user.get(), dm.id);
                dm.id
            }
        };
        let sent = self.send_while(channel, message, wanted).await;
        if matches!(sent, Err(RestError::Gone { .. })) {
            self.dm_channels
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .remove(&user.get());
        }
        sent
    }

    /// Sends a direct message to a member.
    pub async fn dm(
        &self,
        user: serenity::UserId,
        message: serenity::CreateMessage,
    ) -> Result<serenity::Message, RestError> {
        self.dm_while(user, message, &|| true).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_give_five_then_wait_for_the_reset() {
        let now = Instant::now();
        let mut w = None;
        for _ in 0..5 {
            assert!(Window::take(&mut w, 5, CHANNEL_WINDOW, now).is_ok());
        }
        let wait = Window::take(&mut w, 5, CHANNEL_WINDOW, now).unwrap_err();
        assert_eq!(wait, CHANNEL_WINDOW + MARGIN);
        assert!(Window::take(&mut w, 5, CHANNEL_WINDOW, now + wait).is_ok());
    }

    #[test]
    fn windows_that_have_reset_are_forgotten() {
        let now = Instant::now();
        let mut pacer = Pacer {
            buckets: HashMap::new(),
            global: None,
            global_per_second: 50,
        };
        for channel in 0..WINDOWS_KEPT as u64 {
            let slot = pacer
                .buckets
                .entry(Bucket::Messages(channel))
                .or_insert(None);
            Window::take(slot, PER_CHANNEL, CHANNEL_WINDOW, now).unwrap();
        }
        let busy = Bucket::Messages(u64::MAX);
        let slot = pacer.buckets.entry(busy).or_insert(None);
        Window::take(slot, PER_CHANNEL, CHANNEL_WINDOW, now + CHANNEL_WINDOW).unwrap();
        pacer.forget_idle(now + CHANNEL_WINDOW + MARGIN);
        assert_eq!(pacer.buckets.len(), 1, "only the window still open is kept");
        assert!(pacer.buckets.contains_key(&busy));
    }
}
