//! Discussion prompts in a channel: drawing the next one from the server's
//! rotation, posting it with a thread for answers, and the scheduled
//! postings (one per local day, kept in the schedule's zone).

use chrono::{DateTime, Duration, Utc};
use poise::serenity_prelude as serenity;

use super::notify_log;
use crate::domain::library::{self, Category};
use crate::domain::rotation::Rotation;
use crate::domain::{ChannelId, GuildId};
use crate::rest::{Rest, RestError};
use crate::store::{Db, Job, PromptSchedule, StoreError, posting_date};
use crate::views;

/// A prompt that can be drawn: its key, category and text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub key: String,
    pub category: Category,
    pub text: String,
    pub own: bool,
}

/// The server's pool: built-ins it has not hidden and its own, in
/// `category` if given. With none, sensitive categories (grief, recovery
/// and any the server marked) are left out: a general channel gets them
/// only when they are named.
pub async fn pool(
    db: &Db,
    guild: GuildId,
    category: Option<Category>,
) -> Result<Vec<Entry>, StoreError> {
    let hidden = db.hidden_prompts(guild).await?;
    let sensitive = db.sensitive_categories(guild).await?;
    let mut out: Vec<Entry> = library::prompts()
        .iter()
        .filter(|p| sensitive.in_pool(category, p.category) && !hidden.contains(&p.id))
        .map(|p| Entry {
            key: p.id.clone(),
            category: p.category,
            text: p.text.clone(),
            own: false,
        })
        .collect();
    out.extend(
        db.server_prompts(guild)
            .await?
            .into_iter()
            .filter(|p| sensitive.in_pool(category, p.category))
            .map(|p| Entry {
                key: p.key(),
                category: p.category,
                text: p.text,
                own: true,
            }),
    );
    Ok(out)
}

/// Why a prompt was not posted.
#[derive(Debug)]
pub enum PostError {
    /// Every prompt of that pool is hidden or there are none.
    NoPrompts,
    Rest(RestError),
    Store(StoreError),
}

impl From<StoreError> for PostError {
    fn from(e: StoreError) -> Self {
        Self::Store(e)
    }
}

/// What was posted.
#[derive(Debug)]
pub struct Posted {
    pub entry: Entry,
    pub message: serenity::MessageId,
    pub thread: Option<serenity::ChannelId>,
}

/// Takes the next prompt of the server's rotation for `category` (or all)
/// and marks it used at once, so that two posts at the same moment take
/// different prompts. Returns it with the rotation before and after.
async fn take(
    db: &Db,
    guild: GuildId,
    category: Option<Category>,
) -> Result<(Entry, Rotation, Rotation), PostError> {
    let pool = pool(db, guild, category).await?;
    let keys: Vec<String> = pool.iter().map(|e| e.key.clone()).collect();
    let Some((key, before, after)) = db
        .take_from_rotation(guild, Category::key_or_all(category), &keys)
        .await?
    else {
        return Err(PostError::NoPrompts);
    };
    let entry = pool
        .into_iter()
        .find(|e| e.key == key)
        .ok_or(PostError::NoPrompts)?;
    Ok((entry, before, after))
}

/// Posts the next prompt in `channel`, and opens a thread for answers where
/// the channel allows it (where it doesn't, the prompt stands alone).
pub async fn post(
    db: &Db,
    rest: &Rest,
    guild: GuildId,
    channel: ChannelId,
    category: Option<Category>,
    nonce: Option<String>,
) -> Result<Posted, PostError> {
    // Read before the rotation moves on: nothing can fail between taking a
    // prompt and posting it but the post.
    let sensitive = db.sensitive_categories(guild).await?;
    let (entry, before, after) = take(db, guild, category).await?;
    let note = sensitive.content_note(entry.category);
    let message = serenity::CreateMessage::new()
        .embed(views::prompt(&entry.text, entry.category, note.as_deref()))
        .allowed_mentions(serenity::CreateAllowedMentions::new());
    let channel_id = serenity::ChannelId::new(channel.0);
    let posted = match nonce {
        Some(nonce) => rest.send_nonced(channel_id, message, nonce).await,
        None => rest.send(channel_id, message).await,
    };
    let posted = match posted {
        Ok(posted) => posted,
        Err(e) => {
            // A post that failed uses nothing up: the prompt goes back,
            // unless another post has moved the rotation on since.
            let key = Category::key_or_all(category);
            if let Err(undo) = db.swap_rotation(guild, key, &after, &before).await {
                tracing::warn!(guild = guild.0, error = %undo, "could not give an unposted prompt back to the rotation");
            }
            return Err(PostError::Rest(e));
        }
    };
    let name = crate::domain::text::truncate(&entry.text, 90);
    let thread = match rest.thread_from(channel_id, posted.id, &name).await {
        Ok(t) => Some(t.id),
        Err(e) => {
            tracing::info!(channel = channel.0, error = %e, "no thread for a prompt; it stands alone");
            None
        }
    };
    Ok(Posted {
        entry,
        message: posted.id,
        thread,
    })
}

/// Plans the schedule's next posting after `after`: the first day from then
/// that was not posted already (a day done stays done, whatever happened
/// to the schedule since). Returns when it is, if any.
pub async fn plan(
    db: &Db,
    schedule: &PromptSchedule,
    after: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, StoreError> {
    if schedule.paused {
        return Ok(None);
    }
    let mut posted = schedule.last_date;
    for _ in 0..8 {
        let Some(next) = schedule.times.next_after(after, posted) else {
            return Ok(None);
        };
        if db
            .add_prompt_job(schedule.channel, next.date, next.at)
            .await?
        {
            return Ok(Some(next.at));
        }
        posted = Some(next.date);
    }
    Ok(None)
}

/// The nonce of one day's posting in one channel: the same for every retry
/// and every process, at most 25 characters.
pub fn posting_nonce(channel: ChannelId, day: i64) -> String {
    super::stable_nonce("hp", channel.0.to_le_bytes(), &day.to_le_bytes())
}

/// The scheduler's entry: a scheduled posting is due. Returns whether it
/// was skipped. The next posting is planned whatever happened to this one,
/// unless the schedule is gone or paused.
pub async fn run(
    db: &Db,
    rest: &Rest,
    job: &Job,
    now: DateTime<Utc>,
    grace: Duration,
) -> Result<bool, String> {
    let Some(channel) = job.schedule_channel else {
        return Ok(true);
    };
    let Some(schedule) = db
        .prompt_schedule(channel)
        .await
        .map_err(|e| e.to_string())?
    else {
        return Ok(true);
    };
    let day = job.occurrence.timestamp();
    let date = posting_date(day);
    // Plans the next day from the schedule as it is now (it may have been
    // replaced while this posting was on its way).
    let replan = async |skipped: bool| -> Result<bool, String> {
        if let Some(mut s) = db
            .prompt_schedule(channel)
            .await
            .map_err(|e| e.to_string())?
        {
            s.last_date = s.last_date.max(Some(date));
            plan(db, &s, job.planned.max(now))
                .await
                .map_err(|e| e.to_string())?;
        }
        Ok(skipped)
    };
    if schedule.paused || schedule.last_date.is_some_and(|d| d >= date) {
        return replan(true).await;
    }
    // A posting planned for an older form of the schedule: not this one.
    let fits = schedule
        .times
        .days
        .includes(chrono::Datelike::weekday(&date))
        && crate::domain::when::resolve_local(
            schedule.times.zone,
            date.and_time(schedule.times.time),
        )
        .0 == job.planned;
    if !fits {
        return replan(true).await;
    }
    if now - job.planned > grace {
        tracing::warn!(channel = channel.0, %date, "a scheduled prompt was missed by more than the grace period; skipped");
        return replan(true).await;
    }
    let nonce = posting_nonce(channel, day);
    match post(
        db,
        rest,
        schedule.guild,
        channel,
        schedule.category,
        Some(nonce),
    )
    .await
    {
        Ok(posted) => {
            db.mark_prompt_posted(channel, date)
                .await
                .map_err(|e| e.to_string())?;
            // Nobody posted it by hand: what to watch for in its answers
            // goes to the facilitators.
            if let Some(f) = library::follow_up(&posted.entry.key).filter(|_| !posted.entry.own) {
                notify_log(
                    db,
                    rest,
                    schedule.guild,
                    &format!("Today's prompt in <#{}> asks: \u{201c}{}\u{201d}\n**For facilitators:** {f}", channel.0, posted.entry.text),
                    job,
                )
                .await;
            }
            replan(false).await
        }
        Err(PostError::NoPrompts) => {
            notify_log(
                db,
                rest,
                schedule.guild,
                &format!(
                    "I had no prompt to post in <#{}> today: every prompt of its category is hidden. `/prompt list` shows them.",
                    channel.0
                ),
                job,
            )
            .await;
            replan(true).await
        }
        Err(PostError::Rest(RestError::Gone { .. } | RestError::Forbidden { .. })) => {
            db.pause_prompt_schedule(channel)
                .await
                .map_err(|e| e.to_string())?;
            notify_log(
                db,
                rest,
                schedule.guild,
                &format!(
                    "I couldn't post today's prompt in <#{}>: the channel is gone or I may no longer post there. \
                     Its schedule is paused; `/prompt schedule` in a channel I can post in starts it again.",
                    channel.0
                ),
                job,
            )
            .await;
            Ok(true)
        }
        Err(PostError::Rest(why @ RestError::Rejected { .. })) => {
            tracing::error!(channel = channel.0, %why, "Discord refused a scheduled prompt; skipped");
            replan(true).await
        }
        Err(PostError::Rest(e)) => Err(e.to_string()),
        Err(PostError::Store(e)) => Err(e.to_string()),
    }
}

/// A posting given up after too many failures: the schedule goes on with
/// the next day.
pub async fn given_up(db: &Db, job: &Job, now: DateTime<Utc>) {
    let Some(channel) = job.schedule_channel else {
        return;
    };
    let date = posting_date(job.occurrence.timestamp());
    match db.prompt_schedule(channel).await {
        Ok(Some(mut s)) => {
            s.last_date = s.last_date.max(Some(date));
            if let Err(e) = plan(db, &s, now).await {
                tracing::error!(channel = channel.0, error = %e, "cannot plan the next prompt");
            }
        }
        Ok(None) => {}
        Err(e) => tracing::error!(channel = channel.0, error = %e, "cannot read a prompt schedule"),
    }
}

/// After a start: every active schedule has its next posting planned (a
/// posting lost to a crash or a long outage is not left to stall it).
pub async fn plan_all(db: &Db, now: DateTime<Utc>) -> Result<(), StoreError> {
    let mut after = 0;
    loop {
        let page = db.active_prompt_schedules(after, 500).await?;
        let Some(last) = page.last() else {
            return Ok(());
        };
        after = last.channel.0;
        for s in &page {
            plan(db, s, now).await?;
        }
    }
}
