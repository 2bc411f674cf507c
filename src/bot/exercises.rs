//! `/breathe` and `/ground`: guided exercises, stepped with buttons on one
//! ephemeral message, with Stop at every step and a gentle close.

use poise::serenity_prelude as serenity;

use super::reply::{Reply, View};
use super::{Context, Error, render};
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

/// Step `step` of the exercise with Next and Stop, or the close after the
/// last step.
fn view(kind: ExerciseKind, step: u8) -> View {
    let total = exercises::steps(kind).len();
    let Some(s) = exercises::step(kind, step) else {
        let close = View::embed(render::embed("Thank you").description(CLOSE));
        // Breathing can go round again, from its first breath.
        return match kind {
            ExerciseKind::Breathe | ExerciseKind::Gentle => {
                close.with_components(vec![serenity::CreateActionRow::Buttons(vec![
                    serenity::CreateButton::new(CustomId::Exercise { kind, step: 1 }.encode())
                        .label("Another round")
                        .style(serenity::ButtonStyle::Secondary),
                ])])
            }
            ExerciseKind::Ground => close,
        };
    };
    let embed =
        render::embed(s.heading)
            .description(s.text)
            .footer(serenity::CreateEmbedFooter::new(format!(
                "Step {} of {total} · only you can see this",
                usize::from(step) + 1
            )));
    let next = serenity::CreateButton::new(
        CustomId::Exercise {
            kind,
            step: step.saturating_add(1),
        }
        .encode(),
    )
    .label(if usize::from(step) + 1 == total {
        "Finish"
    } else {
        "Next"
    })
    .style(serenity::ButtonStyle::Primary);
    let stop = serenity::CreateButton::new(CustomId::ExerciseStop { kind }.encode())
        .label("Stop")
        .style(serenity::ButtonStyle::Secondary);
    View::embed(embed).with_components(vec![serenity::CreateActionRow::Buttons(vec![next, stop])])
}

/// Next (or Finish).
pub fn on_step(kind: ExerciseKind, step: u8) -> Reply {
    Reply::Update(view(kind, step))
}

/// Stop.
pub fn on_stop() -> Reply {
    Reply::Update(View::embed(render::embed("Stopped").description(STOPPED)))
}
