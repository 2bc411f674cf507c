//! One coalescing editor for every message Haven keeps up to date (meeting
//! announcements with their RSVP counts, rounds' live tallies). A button
//! press only records the answer and asks for an edit; the editor makes at
//! most one edit per message per second, always from the state in the
//! database at that moment, so a burst of presses costs a few edits and never
//! delays an answer to Discord. Edits of one message never overlap, and a
//! round's closing summary is the last edit its message ever gets.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use poise::serenity_prelude as serenity;

use crate::clock::SharedClock;
use crate::domain::meeting::MeetingId;
use crate::rest::{Rest, RestError};
use crate::store::Db;
use crate::views;

/// A message Haven keeps up to date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Target {
    Announcement(MeetingId),
    Round(i64),
}

/// At most one edit per message this often.
const EVERY: Duration = Duration::from_secs(1);

#[derive(Default)]
struct Slot {
    /// A worker is running for this message.
    running: bool,
    /// Something changed since the worker last read the state.
    dirty: bool,
    last: Option<Instant>,
    /// Failed edits in a row.
    failures: u8,
    /// Held while an edit of this message is in flight.
    edit: Arc<tokio::sync::Mutex<()>>,
}

#[derive(Clone)]
pub struct Editor {
    db: Db,
    rest: Rest,
    clock: SharedClock,
    slots: Arc<Mutex<HashMap<Target, Slot>>>,
}

impl Editor {
    pub fn new(db: Db, rest: Rest, clock: SharedClock) -> Self {
        Self {
            db,
            rest,
            clock,
            slots: Arc::default(),
        }
    }

    /// The target's state changed: its message will be brought up to date
    /// soon. Returns at once.
    pub fn touch(&self, target: Target) {
        {
            let mut slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
            let slot = slots.entry(target).or_default();
            slot.dirty = true;
            if slot.running {
                return;
            }
            slot.running = true;
        }
        let editor = self.clone();
        tokio::spawn(async move { editor.work(target).await });
    }

    async fn work(self, target: Target) {
        loop {
            let (wait, lock) = {
                let mut slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
                let slot = slots.entry(target).or_default();
                slot.dirty = false;
                let wait = slot
                    .last
                    .map(|l| EVERY.saturating_sub(l.elapsed()))
                    .unwrap_or_default();
                (wait, slot.edit.clone())
            };
            tokio::time::sleep(wait).await;
            let failed = {
                let _editing = lock.lock().await;
                match self.edit(target).await {
                    Ok(()) => false,
                    Err(e) => {
                        tracing::warn!(?target, error = %format!("{e:#}"), "cannot bring a message up to date");
                        true
                    }
                }
            };
            drop(lock);
            let mut slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
            let slot = slots.entry(target).or_default();
            slot.last = Some(Instant::now());
            // Discord was unavailable (the rest layer already retried):
            // try again after the interval, a few times, so the counts end
            // right.
            if failed && slot.failures < 3 {
                slot.failures += 1;
                slot.dirty = true;
            } else if !failed {
                slot.failures = 0;
            }
            if !slot.dirty {
                slot.running = false;
                // Forget messages idle for longer than the interval, so the
                // map does not grow forever (a slot keeps its last edit's
                // time until then, which holds the one-per-second rule).
                if slots.len() > 256 {
                    slots.retain(|_, s| {
                        s.running
                            || s.last.is_none_or(|l| l.elapsed() < EVERY)
                            || Arc::strong_count(&s.edit) > 1
                    });
                }
                return;
            }
        }
    }

    /// Runs `last_edit` as the final edit of the target's message: it waits
    /// for an edit in flight, and no update started before it can land after
    /// it (updates read the state afresh, which by then says it is over).
    pub async fn finish<F, T>(&self, target: Target, last_edit: F) -> T
    where
        F: std::future::Future<Output = T>,
    {
        let lock = {
            let mut slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
            slots.entry(target).or_default().edit.clone()
        };
        let _editing = lock.lock().await;
        last_edit.await
    }

    async fn edit(&self, target: Target) -> anyhow::Result<()> {
        match target {
            Target::Announcement(id) => {
                let Some(meeting) = self.db.meeting(id).await? else {
                    return Ok(());
                };
                super::meetings::refresh_announcement(
                    &self.db,
                    &self.rest,
                    &meeting,
                    self.clock.now(),
                )
                .await
            }
            Target::Round(round) => {
                let Some(r) = self.db.round(round).await? else {
                    return Ok(());
                };
                let (false, Some(message)) = (r.closed, r.message) else {
                    return Ok(());
                };
                let tally = self.db.round_tally(round).await?;
                let (embed, components) =
                    views::round_open(round, &r.question, r.closes, tally.answered);
                match self
                    .rest
                    .edit(
                        serenity::ChannelId::new(r.channel.0),
                        serenity::MessageId::new(message),
                        serenity::EditMessage::new()
                            .embed(embed)
                            .components(components),
                    )
                    .await
                {
                    Ok(_) | Err(RestError::Gone { .. }) => Ok(()),
                    Err(e) => Err(e.into()),
                }
            }
        }
    }
}
