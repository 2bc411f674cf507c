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

pub use reports::{FormOrigin, needs_cw, on_report_form, on_report_status, report, unname_in_log};

use super::{Context, Error};
use crate::domain::moderation::{DurationError, DurationUse, Refusal, parse_duration};
use crate::rest::RestError;
use crate::rest::moderation::codes;

/// Moderation for facilitators: every reply is private to you
#[poise::command(
    slash_command,
    guild_only,
    rename = "mod",
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
        "records::case"
    ),
    subcommand_required
)]
pub async fn moderation(_ctx: Context<'_>) -> Result<(), Error> {
    Ok(())
}

fn duration(text: &str, usage: DurationUse) -> Result<chrono::Duration, Error> {
    parse_duration(text, usage).map_err(|e: DurationError| Error::member(e.to_string()))
}

fn refused(r: Refusal) -> Error {
    Error::member(r.to_string())
}

/// What a facilitator is told when Discord says no: specific, never the
/// generic apology.
fn discord_refusal(e: RestError, what: &str) -> Error {
    match e {
        RestError::Refused { code, .. } => Error::member(match code {
            codes::MISSING_PERMISSIONS => format!(
                "Discord refused to {what}: I'm missing a permission for it, or their highest role is not below mine. \
                 An admin can check my role's permissions and move it higher in Server Settings → Roles."
            ),
            codes::MISSING_ACCESS => {
                format!("Discord refused to {what}: I can't see that channel.")
            }
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
            codes::INVALID_FORM_BODY => format!(
                "Discord refused to {what}: it didn't accept the values (a timeout can last at most 28 days)."
            ),
            other => format!("Discord refused to {what} (error {other})."),
        }),
        RestError::Forbidden => Error::member(format!(
            "Discord refused to {what}: I'm missing a permission for it."
        )),
        RestError::Gone => Error::member(format!("I couldn't {what}: it no longer exists.")),
        other => Error::Internal(anyhow::anyhow!("{what}: {other}")),
    }
}
