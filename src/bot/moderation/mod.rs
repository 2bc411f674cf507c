//! `/mod`: facilitators' moderation, each action through Discord's own API,
//! safe by rule (who may act on whom, with a specific refusal), recorded as
//! a numbered case, logged, and told to the member privately and kindly.
//! Every reply is ephemeral: the channel sees nothing.

mod channels;
mod log;
mod members;
mod records;
mod reports;
mod standing;

pub use reports::{
    needs_cw, on_report_form, on_report_kind, on_report_status, report, unname_in_log,
};

use poise::serenity_prelude as serenity;

use super::{Context, Error};
use crate::domain::moderation::{CaseKind, DurationError, DurationUse, Refusal, parse_duration};
use crate::domain::{ChannelId, UserId};
use crate::rest::RestError;
use crate::rest::moderation::codes;
use crate::store::NewCase;

/// Moderation for facilitators: every reply is private to you
///
/// Hidden from members who lack Moderate Members (Discord's own setting, which
/// an admin can change per role in Server Settings → Integrations); Haven
/// checks the facilitator role and each action's own permission at run time
/// either way.
#[poise::command(
    slash_command,
    guild_only,
    rename = "mod",
    default_member_permissions = "MODERATE_MEMBERS",
    subcommands(
        "members::nudge",
        "members::warn",
        "members::timeout",
        "members::untimeout",
        "members::kick",
        "members::ban",
        "members::unban",
        "channels::slowmode",
        "channels::lock",
        "channels::unlock",
        "channels::purge",
        "records::note",
        "records::history",
        "records::case",
        "reports::open_reports"
    ),
    subcommand_required
)]
pub async fn moderation(_ctx: Context<'_>) -> Result<(), Error> {
    Ok(())
}

/// A case by the facilitator running the command, now.
fn new_case(
    ctx: Context<'_>,
    kind: CaseKind,
    target: Option<UserId>,
    channel: Option<ChannelId>,
    reason: &str,
) -> NewCase {
    NewCase {
        kind,
        moderator: super::author(ctx),
        target,
        channel,
        reason: reason.to_owned(),
        at: ctx.data().clock.now(),
        until: None,
    }
}

/// The server's name, for what a member is told.
pub(super) async fn server_name(ctx: Context<'_>) -> String {
    ctx.guild()
        .map(|g| g.name.clone())
        .unwrap_or_else(|| "your group".to_owned())
}

/// Deletes a DM whose action then failed: nobody is told of something that
/// did not happen.
async fn take_back(data: &super::Data, sent: &Result<serenity::Message, crate::rest::RestError>) {
    if let Ok(dm) = sent
        && let Err(e) = data.rest.delete(dm.channel_id, dm.id).await
    {
        tracing::warn!(error = %e, "cannot take back a notice whose action failed");
    }
}

/// Deletes a member's `/cw` posts from Discord (all of them, or those in one
/// server since an instant) and forgets them; one Discord cannot find any
/// more is forgotten too. Returns those Discord would not delete (they
/// stay kept, and listed).
pub(in crate::bot) async fn remove_cw_posts(
    data: &super::Data,
    author: UserId,
    within: Option<(crate::domain::GuildId, chrono::DateTime<chrono::Utc>)>,
) -> Vec<crate::store::CwPost> {
    let posts = match data.db.cw_posts_by(author, within).await {
        Ok(posts) => posts,
        Err(e) => {
            tracing::warn!(error = %e, "cannot list a member's /cw posts");
            return Vec::new();
        }
    };
    let mut gone = Vec::new();
    let mut left = Vec::new();
    for post in posts {
        let deleted = data
            .rest
            .delete(
                serenity::ChannelId::new(post.channel.0),
                serenity::MessageId::new(post.message),
            )
            .await;
        match deleted {
            Ok(()) => gone.push(post.message),
            Err(RestError::Gone { .. }) => gone.push(post.message),
            Err(e) => {
                tracing::warn!(error = %e, "cannot delete a /cw post; it stays listed");
                left.push(post);
            }
        }
    }
    if let Err(e) = data.db.remove_cw_posts(&gone).await {
        tracing::warn!(error = %e, "cannot forget deleted /cw posts");
    }
    left
}

pub(in crate::bot) fn duration(text: &str, usage: DurationUse) -> Result<chrono::Duration, Error> {
    parse_duration(text, usage).map_err(|e: DurationError| Error::member(e.to_string()))
}

fn refused(r: Refusal) -> Error {
    Error::member(r.to_string())
}

/// What a facilitator is told when Discord says no: specific, never the
/// generic apology.
fn discord_refusal(e: RestError, what: &str) -> Error {
    let Some(code) = e.code() else {
        return Error::Internal(anyhow::anyhow!("{what}: {e}"));
    };
    Error::member(match code {
        codes::MISSING_PERMISSIONS => format!(
            "Discord refused to {what}: I'm missing a permission for it, or their highest role is not below mine. \
             An admin can check my role's permissions and move it higher in Server Settings → Roles."
        ),
        codes::MISSING_ACCESS => format!("Discord refused to {what}: I can't see that channel."),
        codes::UNKNOWN_MEMBER | codes::UNKNOWN_USER => {
            format!("I couldn't {what}: they are not in this server (any more).")
        }
        codes::UNKNOWN_BAN => format!("I couldn't {what}: they aren't banned."),
        codes::TOO_OLD_TO_BULK_DELETE => format!(
            "Discord refused to {what}: it only bulk-deletes messages younger than 14 days. Older ones have to be deleted one by one."
        ),
        codes::TOO_FEW_OR_MANY => {
            format!("Discord refused to {what}: a bulk delete takes 2 to 100 messages.")
        }
        codes::INVALID_FORM_BODY => match &e {
            RestError::Rejected { message, .. } if !message.is_empty() => format!(
                "Discord refused to {what}: it didn't accept the values. It said: \"{}\"",
                crate::domain::text::inert(&crate::domain::text::truncate(message, 200))
            ),
            _ => format!("Discord refused to {what}: it didn't accept the values."),
        },
        _ => match e {
            RestError::Gone { .. } => format!("I couldn't {what}: it no longer exists."),
            RestError::Forbidden { .. } => {
                format!("Discord refused to {what}: I'm missing a permission for it.")
            }
            _ => format!("Discord refused to {what} (error {code})."),
        },
    })
}
