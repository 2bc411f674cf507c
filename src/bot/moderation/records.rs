//! Notes, a member's history, and one case (shown, or its reason corrected).

use poise::serenity_prelude as serenity;

use super::super::{Context, Error, author, render, server};
use super::standing::situation;
use super::{log, refused};
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
    ctx.defer_ephemeral().await?;
    keeps_records(ctx, &member).await?;
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
    ctx.defer_ephemeral().await?;
    keeps_records(ctx, &member).await?;
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
                crate::domain::text::inert(&rules::reason(Some(c.current_reason())))
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
                crate::domain::text::inert(&n.text)
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

/// Whether the caller may read or add to the records about `member`
/// (their rank read fresh): never their own, and a facilitator's or an
/// admin's only as an admin.
async fn keeps_records(ctx: Context<'_>, member: &serenity::User) -> Result<(), Error> {
    let s = situation(ctx, Some(UserId(member.id.get()))).await?;
    rules::may_keep_records(&s.standing).map_err(refused)
}

/// Show a case, or amend its reason
#[poise::command(slash_command, guild_only, custom_data = "Access::Facilitator")]
pub async fn case(
    ctx: Context<'_>,
    #[description = "The case number"]
    #[min = 1]
    id: i64,
    #[description = "An amendment to its reason (the original and every amendment are kept)"]
    #[max_length = 512]
    reason: Option<String>,
) -> Result<(), Error> {
    // Editing the log channel's post can wait on its rate limit.
    ctx.defer_ephemeral().await?;
    let guild = server(ctx)?;
    let data = ctx.data();
    let Some(case) = data.db.case(guild, id).await? else {
        return Err(Error::member(format!(
            "There is no case #{id} in this server (it may be past its retention)."
        )));
    };
    // A case about someone is a record about them: the same rule as their
    // history (never one's own, a facilitator's or admin's only for admins).
    let s = situation(ctx, case.target).await?;
    rules::may_keep_records(&s.standing).map_err(refused)?;
    let case = match reason.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
        Some(r) => {
            let amended = data
                .db
                .amend_case(
                    guild,
                    id,
                    &rules::reason(Some(r)),
                    author(ctx),
                    data.clock.now(),
                )
                .await?
                .unwrap_or(case);
            log::update(data, guild, &amended).await;
            amended
        }
        None => case,
    };
    ctx.send(render::ephemeral_embed(crate::views::case_embed(&case)))
        .await?;
    Ok(())
}
