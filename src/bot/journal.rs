//! `/journal start|stop|show`: a member's own check-in history, only if they
//! want one, only for them.

use poise::serenity_prelude as serenity;

use super::reply::Reply;
use super::{Context, Data, Error, charts, render};
use crate::domain::UserId;
use crate::domain::custom_id::CustomId;
use crate::store::DEFAULT_RETENTION_DAYS;

const SHOWN: i64 = 10;
const CHARTED: i64 = 200;

/// Your private journal of check-ins
#[poise::command(
    slash_command,
    subcommands("start", "stop", "show"),
    subcommand_required
)]
pub async fn journal(_ctx: Context<'_>) -> Result<(), Error> {
    Ok(())
}

/// Keep your own check-ins, only for you
#[poise::command(slash_command)]
async fn start(ctx: Context<'_>) -> Result<(), Error> {
    let started = ctx
        .data()
        .db
        .journal_start(super::author(ctx), ctx.data().clock.now())
        .await?;
    let text = if started {
        format!(
            "Your journal is on. From now on your check-ins (mood, note and time) are kept for {DEFAULT_RETENTION_DAYS} days, \
             only you can see them (`/journal show`), and `/journal stop` or `/privacy forget` removes them."
        )
    } else {
        "Your journal is already on. `/journal show` shows it.".to_owned()
    };
    ctx.send(render::ephemeral(text)).await?;
    Ok(())
}

/// Stop keeping your check-ins (you choose whether to delete what's kept)
#[poise::command(slash_command)]
async fn stop(ctx: Context<'_>) -> Result<(), Error> {
    let user = super::author(ctx).0;
    if ctx
        .data()
        .db
        .journal_retention(UserId(user))
        .await?
        .is_none()
    {
        ctx.send(render::ephemeral(
            "You don't have a journal, so there's nothing to stop.",
        ))
        .await?;
        return Ok(());
    }
    let buttons = serenity::CreateActionRow::Buttons(vec![
        serenity::CreateButton::new(CustomId::JournalDelete { user }.encode())
            .label("Stop and delete it")
            .style(serenity::ButtonStyle::Danger),
        serenity::CreateButton::new(CustomId::JournalKeep { user }.encode())
            .label("Stop, keep it until it expires")
            .style(serenity::ButtonStyle::Secondary),
    ]);
    ctx.send(
        render::ephemeral(format!(
            "Stop your journal? New check-ins won't be kept. You can delete what's there now, or keep it until it expires ({DEFAULT_RETENTION_DAYS} days after each entry)."
        ))
        .components(vec![buttons]),
    )
    .await?;
    Ok(())
}

/// See your journal, with a chart of your mood
#[poise::command(slash_command)]
async fn show(ctx: Context<'_>) -> Result<(), Error> {
    let db = &ctx.data().db;
    let user = super::author(ctx);
    if db.journal_retention(user).await?.is_none() {
        ctx.send(render::ephemeral(
            "You don't keep a journal. `/journal start` begins one; only you will see it.",
        ))
        .await?;
        return Ok(());
    }
    let entries = db.journal_entries(user, CHARTED).await?;
    if entries.is_empty() {
        ctx.send(render::ephemeral(
            "Your journal is empty so far. Your next `/checkin` will appear here.",
        ))
        .await?;
        return Ok(());
    }
    let recent: Vec<String> = entries
        .iter()
        .rev()
        .take(SHOWN as usize)
        .map(|e| {
            let note = e
                .note
                .as_deref()
                .map(|n| format!(": {}", crate::domain::text::inert_within(n, 120)))
                .unwrap_or_default();
            format!("{} {}{}", render::timestamp_date(e.at), e.mood, note)
        })
        .collect();
    let points: Vec<(i64, u8)> = entries
        .iter()
        .map(|e| (e.at.timestamp(), e.mood.value()))
        .collect();
    let png = charts::journal_chart(&points)?;
    let embed = render::embed("Your journal")
        .description(format!(
            "Your last {} check-ins, newest first. Only you can see this.\n\n{}",
            recent.len(),
            recent.join("\n")
        ))
        .image("attachment://journal.png");
    ctx.send(
        render::ephemeral_embed(embed)
            .attachment(serenity::CreateAttachment::bytes(png, "journal.png")),
    )
    .await?;
    Ok(())
}

/// "Stop and delete it" on `/journal stop`.
pub async fn stop_and_delete(data: &Data, user: UserId) -> Result<Reply, Error> {
    let n = data.db.journal_stop(user, true).await?;
    Ok(Reply::Replace(format!(
        "Your journal is stopped and its {n} entries are deleted."
    )))
}

/// "Stop, keep it until it expires" on `/journal stop`.
pub async fn stop_and_keep(data: &Data, user: UserId) -> Result<Reply, Error> {
    data.db.journal_stop(user, false).await?;
    Ok(Reply::Replace(
        "Your journal is stopped. What's there stays, only for you, until it expires; `/journal start` resumes it.".to_owned(),
    ))
}
