//! `/privacy show|export|forget`: everything Haven keeps about a member, a
//! copy of it, and its deletion.

use chrono::{DateTime, Utc};
use poise::CreateReply;
use poise::serenity_prelude as serenity;

use super::components::Action;
use super::{Context, Data, Error, render};
use crate::domain::UserId;
use crate::domain::privacy::{Export, MemberData, confirmation_valid};

/// See, export or delete what Haven keeps about you
#[poise::command(
    slash_command,
    subcommands("show", "export", "forget"),
    subcommand_required
)]
pub async fn privacy(_ctx: Context<'_>) -> Result<(), Error> {
    Ok(())
}

/// See everything Haven stores about you
#[poise::command(slash_command)]
async fn show(ctx: Context<'_>) -> Result<(), Error> {
    let data = ctx.data().db.member_data(super::author(ctx)).await?;
    ctx.send(render::ephemeral_embed(data_embed(&data))).await?;
    Ok(())
}

/// Get a copy of your data as a file
#[poise::command(slash_command)]
async fn export(ctx: Context<'_>) -> Result<(), Error> {
    let data = ctx.data().db.member_data(super::author(ctx)).await?;
    let file = Export::new(&data, ctx.data().clock.now()).to_json();
    ctx.send(
        render::ephemeral("Here is everything Haven stores about you. Only you can see this.")
            .attachment(serenity::CreateAttachment::bytes(
                file,
                "haven-my-data.json",
            )),
    )
    .await?;
    Ok(())
}

/// Delete everything Haven stores about you
#[poise::command(slash_command)]
async fn forget(ctx: Context<'_>) -> Result<(), Error> {
    let user = ctx.author().id.get();
    let issued = ctx.data().clock.now().timestamp();
    let buttons = serenity::CreateActionRow::Buttons(vec![
        serenity::CreateButton::new(Action::ForgetConfirm { user, issued }.custom_id())
            .label("Delete my data")
            .style(serenity::ButtonStyle::Danger),
        serenity::CreateButton::new(Action::ForgetCancel { user }.custom_id())
            .label("Keep it")
            .style(serenity::ButtonStyle::Secondary),
    ]);
    ctx.send(
        CreateReply::default()
            .content(
                "This deletes everything Haven stores about you, in every server: your time zone, your meeting \
                 answers, direct-message reminders and your journal. It can't be undone. Anonymous statistics never held your name, so they stay: \
                 they are counts of people, and the scrambled fingerprints that keep a running week, month, quarter or year from counting \
                 anyone twice are deleted when it ends.\n\n\
                 Delete it all?",
            )
            .components(vec![buttons])
            .ephemeral(true),
    )
    .await?;
    Ok(())
}

/// The member pressed "Delete my data".
pub async fn confirm_forget(
    ctx: &serenity::Context,
    data: &Data,
    press: &serenity::ComponentInteraction,
    user: u64,
    issued: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    if !confirmation_valid(issued, now) {
        return super::components::update(ctx, press, "That confirmation has expired, so nothing was deleted. Run `/privacy forget` again if you still want to.").await;
    }
    let deleted = data.db.forget_member(UserId(user)).await?;
    tracing::info!(records = deleted, "a member's data was forgotten");
    super::components::update(
        ctx,
        press,
        "Done. Everything Haven stored about you has been deleted, and nothing of it is left in Haven's files.",
    )
    .await
}

/// The member pressed "Keep it".
pub async fn cancel_forget(
    ctx: &serenity::Context,
    press: &serenity::ComponentInteraction,
) -> Result<(), Error> {
    super::components::update(
        ctx,
        press,
        "Nothing was deleted. Your data stays as it was.",
    )
    .await
}

fn data_embed(data: &MemberData) -> serenity::CreateEmbed {
    let embed = render::embed("What Haven stores about you");
    let embed = if data.is_empty() {
        embed.description("Nothing at all. Haven keeps nothing about you until you choose to, for example with `/timezone set`.")
    } else {
        embed.description("This is everything; `/privacy export` gives you a copy and `/privacy forget` deletes it.")
    };
    let zone = match &data.timezone {
        Some(z) => format!("{} (set {})", z.zone, render::timestamp_date(z.set_at)),
        None => "Not set.".to_owned(),
    };
    let rsvps = if data.rsvps.is_empty() {
        "None.".to_owned()
    } else {
        data.rsvps
            .iter()
            .take(15)
            .map(|r| {
                format!(
                    "{} on {}: {}",
                    r.meeting_title,
                    render::timestamp_date(r.occurrence),
                    r.answer
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    let dms = if data.meeting_dms.is_empty() {
        "None.".to_owned()
    } else {
        data.meeting_dms
            .iter()
            .map(|d| format!("#{} {}", d.meeting_id, d.meeting_title))
            .collect::<Vec<_>>()
            .join("\n")
    };
    embed
        .field("Time zone", zone, false)
        .field("Meeting answers", render::field(rsvps), false)
        .field("Reminders by direct message", render::field(dms), false)
        .field(
            "Reach-out requests by direct message",
            if data.dm_notice_servers.is_empty() {
                "Off.".to_owned()
            } else {
                format!("On in {} server(s) where you facilitate.", data.dm_notice_servers.len())
            },
            false,
        )
        .field(
            "Journal",
            match &data.journal {
                None => "Not kept.".to_owned(),
                Some(j) => format!(
                    "{} {} entries, each kept for {} days (`/journal show`).",
                    if j.active { "On:" } else { "Stopped:" },
                    j.entries.len(),
                    j.retention_days
                ),
            },
            false,
        )
        .field(
        "Statistics",
        "Anonymous counts of people only: never your name, your id or anything you wrote. While a week, month, quarter \
         or year is running, a scrambled fingerprint made with a random key for that period keeps anyone from being \
         counted twice; the key and the fingerprints are deleted when the period ends, leaving only the counts.",
        false,
    )
}
