//! Notes, a member's history, and one case (shown, or its reason corrected).

use poise::serenity_prelude as serenity;

use super::super::{Context, Error, author, render, server};
use super::log;
use crate::domain::UserId;
use crate::domain::moderation as rules;
use crate::domain::settings::Access;
use crate::domain::text::fit_lines;

/// How many cases and notes `/mod history` shows.
pub const HISTORY_LIMIT: i64 = 15;

/// A note about a member that only facilitators see
#[poise::command(slash_command, guild_only, custom_data = "Access::Facilitator")]
pub async fn note(
    ctx: Context<'_>,
    #[description = "Who it is about"] member: serenity::User,
    #[description = "The note"]
    #[max_length = 1000]
    text: String,
) -> Result<(), Error> {
    let guild = server(ctx)?;
    let text = text.trim();
    if text.is_empty() {
        return Err(Error::member("The note is empty, so I didn't keep it."));
    }
    let data = ctx.data();
    data.db
        .add_note(
            guild,
            author(ctx),
            UserId(member.id.get()),
            text,
            data.clock.now(),
        )
        .await?;
    ctx.send(render::ephemeral(format!(
        "Noted about {}. Only facilitators see it, in `/mod history`.",
        member.name
    )))
    .await?;
    Ok(())
}

/// Cases and notes about a member
#[poise::command(slash_command, guild_only, custom_data = "Access::Facilitator")]
pub async fn history(
    ctx: Context<'_>,
    #[description = "Whose history"] member: serenity::User,
) -> Result<(), Error> {
    let guild = server(ctx)?;
    let data = ctx.data();
    let user = UserId(member.id.get());
    let now = data.clock.now();
    let (all, warnings) = data
        .db
        .case_counts(guild, user, rules::warning_window_start(now))
        .await?;
    let cases = data.db.cases_about(guild, user, HISTORY_LIMIT).await?;
    let notes = data.db.notes_about(guild, user, HISTORY_LIMIT).await?;
    let retention = data.db.mod_retention_days(guild).await?;
    let mut embed = render::embed(&format!("History of {}", member.name)).description(format!(
        "{all} case(s); {warnings} warning(s) in the last 90 days. Records are kept {retention} days."
    ));
    let case_lines: Vec<String> = cases
        .iter()
        .map(|c| {
            format!(
                "**#{}** {} · <t:{}:d> · by <@{}> · {}",
                c.number,
                c.kind.label(),
                c.at.timestamp(),
                c.moderator.0,
                rules::reason(Some(&c.reason))
            )
        })
        .collect();
    let note_lines: Vec<String> = notes
        .iter()
        .map(|n| {
            format!(
                "<t:{}:d> · <@{}> · {}",
                n.at.timestamp(),
                n.author.0,
                n.text
            )
        })
        .collect();
    embed = embed
        .field(
            if all > HISTORY_LIMIT {
                "Newest cases"
            } else {
                "Cases"
            },
            if case_lines.is_empty() {
                "None.".to_owned()
            } else {
                fit_lines(&case_lines, render::FIELD_MAX)
            },
            false,
        )
        .field(
            "Notes",
            if note_lines.is_empty() {
                "None.".to_owned()
            } else {
                fit_lines(&note_lines, render::FIELD_MAX)
            },
            false,
        );
    ctx.send(render::ephemeral_embed(embed)).await?;
    Ok(())
}

/// Show a case, or correct its reason
#[poise::command(slash_command, guild_only, custom_data = "Access::Facilitator")]
pub async fn case(
    ctx: Context<'_>,
    #[description = "The case number"]
    #[min = 1]
    id: i64,
    #[description = "The corrected reason (what the member was sent stays as it was)"]
    #[max_length = 512]
    reason: Option<String>,
) -> Result<(), Error> {
    // Editing the log channel's post can wait on its rate limit.
    ctx.defer_ephemeral().await?;
    let guild = server(ctx)?;
    let data = ctx.data();
    let found = match reason.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
        Some(r) => {
            let case = data
                .db
                .set_case_reason(guild, id, &rules::reason(Some(r)), author(ctx))
                .await?;
            if let Some(case) = &case {
                log::update(data, guild, case).await;
            }
            case
        }
        None => data.db.case(guild, id).await?,
    };
    let Some(case) = found else {
        return Err(Error::member(format!(
            "There is no case #{id} in this server (it may be past its retention)."
        )));
    };
    ctx.send(render::ephemeral_embed(crate::views::case_embed(&case)))
        .await?;
    Ok(())
}
