//! `/breathe` and `/ground`: guided exercises on one ephemeral message,
//! with Stop at every step and a gentle close. Breathing moves on by itself
//! once started, each breath and hold lasting its own seconds (a press never
//! stretches one); grounding moves on at each press.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use chrono::Duration;
use poise::serenity_prelude as serenity;

use super::reply::{Reply, View};
use super::{Context, Data, Error, render};
use crate::clock::SharedClock;
use crate::domain::custom_id::{CustomId, ExerciseKind};
use crate::domain::exercises::{self, CLOSE, STOPPED};

#[derive(Debug, Clone, Copy, poise::ChoiceParameter)]
pub enum Pattern {
    #[name = "gentle"]
    Gentle,
    #[name = "box"]
    Box,
}

/// A guided breathing exercise (only you see it)
#[poise::command(slash_command)]
pub async fn breathe(
    ctx: Context<'_>,
    #[description = "gentle (default): in 4, out 6, no holds; box: in 4, hold 4, out 4, hold 4 (holds optional)"]
    pattern: Option<Pattern>,
) -> Result<(), Error> {
    let kind = match pattern.unwrap_or(Pattern::Gentle) {
        Pattern::Gentle => ExerciseKind::Gentle,
        Pattern::Box => ExerciseKind::Breathe,
    };
    ctx.send(view(kind, 0).ephemeral_reply()).await?;
    Ok(())
}

/// A guided 5-4-3-2-1 grounding exercise (only you see it)
#[poise::command(slash_command)]
pub async fn ground(ctx: Context<'_>) -> Result<(), Error> {
    ctx.send(view(ExerciseKind::Ground, 0).ephemeral_reply())
        .await?;
    Ok(())
}

/// Step `step` of the exercise with its buttons, or the close after the
/// last step. A paced exercise shows Start on its first step and only Stop
/// while it runs.
fn view(kind: ExerciseKind, step: u8) -> View {
    let total = exercises::steps(kind).len();
    let paced = exercises::paced(kind);
    let Some(s) = exercises::step(kind, step) else {
        let close = View::embed(render::embed("Thank you").description(CLOSE));
        // Breathing can go round again, from its first breath.
        return match paced {
            true => close.with_components(vec![serenity::CreateActionRow::Buttons(vec![
                serenity::CreateButton::new(CustomId::Exercise { kind, step: 1 }.encode())
                    .label("Another round")
                    .style(serenity::ButtonStyle::Secondary),
            ])]),
            false => close,
        };
    };
    let footer = match s.seconds {
        Some(_) => format!(
            "Step {} of {total} · moves on by itself · only you can see this",
            usize::from(step) + 1
        ),
        None => format!(
            "Step {} of {total} · only you can see this",
            usize::from(step) + 1
        ),
    };
    let embed = render::embed(s.heading)
        .description(s.text)
        .footer(serenity::CreateEmbedFooter::new(footer));
    let stop = serenity::CreateButton::new(CustomId::ExerciseStop { kind }.encode())
        .label("Stop")
        .style(serenity::ButtonStyle::Secondary);
    if paced && step > 0 {
        // From the first breath again: also what brings it back to life
        // after Haven restarted mid-exercise.
        let again = serenity::CreateButton::new(CustomId::Exercise { kind, step: 1 }.encode())
            .label("Restart")
            .style(serenity::ButtonStyle::Secondary);
        return View::embed(embed)
            .with_components(vec![serenity::CreateActionRow::Buttons(vec![stop, again])]);
    }
    let label = if paced {
        "Start"
    } else if usize::from(step) + 1 == total {
        "Finish"
    } else {
        "Next"
    };
    let next = serenity::CreateButton::new(
        CustomId::Exercise {
            kind,
            step: step.saturating_add(1),
        }
        .encode(),
    )
    .label(label)
    .style(serenity::ButtonStyle::Primary);
    View::embed(embed).with_components(vec![serenity::CreateActionRow::Buttons(vec![next, stop])])
}

/// Start, Next, Finish or Another round. A paced exercise is shown at
/// `step` and then moved on by a pacer of its own, until its close.
pub fn on_step(
    ctx: &serenity::Context,
    data: &Data,
    press: &serenity::ComponentInteraction,
    kind: ExerciseKind,
    step: u8,
) -> Reply {
    if exercises::paced(kind) && exercises::step(kind, step).is_some() {
        data.pacers.start(
            press.message.id.get(),
            ctx.http.clone(),
            press.clone(),
            data.clock.clone(),
            kind,
            step,
        );
    }
    Reply::Update(view(kind, step))
}

/// Stop: the pacer (if any) is stopped first, so that no step shows after.
pub async fn on_stop(data: &Data, press: &serenity::ComponentInteraction) -> Reply {
    data.pacers.stop(press.message.id.get()).await;
    Reply::Update(View::embed(render::embed("Stopped").description(STOPPED)))
}

/// The running paced exercises, by the message they are on.
#[derive(Clone, Default)]
pub struct Pacers {
    running: Arc<Mutex<HashMap<u64, Pacer>>>,
}

struct Pacer {
    task: tokio::task::AbortHandle,
    /// Set by a stop (or a newer pacer on the message): no edit starts
    /// after it.
    stopped: Arc<AtomicBool>,
    /// Held around each edit: a stop waits for the one in flight, so the
    /// stop's answer is the last word on the message.
    editing: Arc<tokio::sync::Mutex<()>>,
}

/// How long a stop (acknowledged first) waits for an edit in flight
/// before answering anyway.
const STOP_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

impl Pacers {
    /// Moves the exercise on `message` on from `step` (shown by the press's
    /// answer), replacing any pacer already on it.
    fn start(
        &self,
        message: u64,
        http: Arc<serenity::Http>,
        press: serenity::ComponentInteraction,
        clock: SharedClock,
        kind: ExerciseKind,
        step: u8,
    ) {
        let editing = Arc::new(tokio::sync::Mutex::new(()));
        let stopped = Arc::new(AtomicBool::new(false));
        let running = self.running.clone();
        let (lock, flag) = (editing.clone(), stopped.clone());
        let mut map = self.running.lock().unwrap_or_else(PoisonError::into_inner);
        let task = tokio::spawn(async move {
            pace(&http, &press, &clock, kind, step, &lock, &flag).await;
            // Done: forget this pacer (not a newer one on the same message).
            let me = tokio::task::id();
            let mut map = running.lock().unwrap_or_else(PoisonError::into_inner);
            if map.get(&message).is_some_and(|p| p.task.id() == me) {
                map.remove(&message);
            }
        });
        let pacer = Pacer {
            task: task.abort_handle(),
            stopped,
            editing,
        };
        if let Some(old) = map.insert(message, pacer) {
            old.stopped.store(true, Ordering::SeqCst);
            old.task.abort();
        }
    }

    /// Stops the pacer on `message`, if any, after any edit in flight.
    async fn stop(&self, message: u64) {
        let pacer = self
            .running
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&message);
        if let Some(pacer) = pacer {
            pacer.stopped.store(true, Ordering::SeqCst);
            // An edit already on its way lands before the stop's answer.
            let _ = tokio::time::timeout(STOP_WAIT, pacer.editing.lock()).await;
            pacer.task.abort();
        }
    }
}

/// Shows each step after `step` when the one before has lasted its
/// seconds, counted from the press (so the steps never drift), then the
/// close. A step whose edit came late still lasts its seconds from when it
/// showed: steps never run together.
async fn pace(
    http: &serenity::Http,
    press: &serenity::ComponentInteraction,
    clock: &SharedClock,
    kind: ExerciseKind,
    step: u8,
    editing: &tokio::sync::Mutex<()>,
    stopped: &AtomicBool,
) {
    let mut at = clock.now();
    let mut shown = step;
    while let Some(s) = exercises::step(kind, shown) {
        at += Duration::seconds(i64::from(s.seconds.unwrap_or(0)));
        crate::clock::sleep_until(clock.as_ref(), at).await;
        shown = shown.saturating_add(1);
        let _editing = editing.lock().await;
        if stopped.load(Ordering::SeqCst) {
            return;
        }
        let sent = std::time::Instant::now();
        if let Err(e) = press.edit_response(http, view(kind, shown).edit()).await {
            // The message is gone or the token has run out: nothing more
            // to show.
            tracing::info!(error = %e, "a paced exercise could not move on; it ends here");
            return;
        }
        // An edit held up (a rate limit, a slow connection) moves the rest
        // on by as much, so the step it showed still lasts its seconds.
        let took = sent.elapsed();
        if took > std::time::Duration::from_millis(500) {
            at += Duration::from_std(took).unwrap_or_default();
        }
    }
}
