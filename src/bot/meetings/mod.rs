//! `/meeting …`: schedule meetings across time zones, answer them, get
//! reminders and calendar files. Split by concern: scheduling (create, edit,
//! cancel), looking (list, info, ics), answering (rsvp, dm and the buttons),
//! and reading the options.

mod answers;
mod look;
mod options;
mod schedule;

use poise::serenity_prelude as serenity;

pub use answers::{on_dm_stop, on_rsvp};

use super::{Context, Error};
use crate::domain::meeting::{Meeting, MeetingId, RsvpAnswer};
use crate::domain::recurrence::Repeat;

#[derive(Debug, Clone, Copy, poise::ChoiceParameter)]
pub enum RepeatChoice {
    #[name = "none"]
    None,
    #[name = "daily"]
    Daily,
    #[name = "weekdays"]
    Weekdays,
    #[name = "weekly"]
    Weekly,
    #[name = "biweekly"]
    Biweekly,
    #[name = "monthly"]
    Monthly,
}

impl From<RepeatChoice> for Repeat {
    fn from(c: RepeatChoice) -> Self {
        match c {
            RepeatChoice::None => Repeat::None,
            RepeatChoice::Daily => Repeat::Daily,
            RepeatChoice::Weekdays => Repeat::Weekdays,
            RepeatChoice::Weekly => Repeat::Weekly,
            RepeatChoice::Biweekly => Repeat::Biweekly,
            RepeatChoice::Monthly => Repeat::Monthly,
        }
    }
}

#[derive(Debug, Clone, Copy, poise::ChoiceParameter)]
pub enum AnswerChoice {
    #[name = "going"]
    Going,
    #[name = "maybe"]
    Maybe,
    #[name = "no"]
    No,
}

impl From<AnswerChoice> for RsvpAnswer {
    fn from(c: AnswerChoice) -> Self {
        match c {
            AnswerChoice::Going => RsvpAnswer::Going,
            AnswerChoice::Maybe => RsvpAnswer::Maybe,
            AnswerChoice::No => RsvpAnswer::No,
        }
    }
}

/// Meetings: schedule them, answer them, get reminders
#[poise::command(
    slash_command,
    subcommands(
        "schedule::create",
        "look::list",
        "look::info",
        "schedule::edit",
        "schedule::cancel",
        "answers::rsvp",
        "answers::dm",
        "look::ics"
    ),
    subcommand_required
)]
pub async fn meeting(_ctx: Context<'_>) -> Result<(), Error> {
    Ok(())
}

/// The meeting `id` of this server, or a kind answer.
async fn find(ctx: Context<'_>, id: i64) -> Result<Meeting, Error> {
    let guild = super::server(ctx)?;
    match ctx.data().db.meeting(MeetingId(id)).await? {
        Some(m) if m.guild == guild => Ok(m),
        _ => Err(Error::member(format!(
            "There's no meeting #{id} in this server. `/meeting list` shows the upcoming ones."
        ))),
    }
}

/// Suggests this server's meetings by title (or number) for an `id` option.
async fn autocomplete_meeting(
    ctx: Context<'_>,
    partial: &str,
) -> serenity::CreateAutocompleteResponse {
    let Some(guild) = ctx.guild_id() else {
        return serenity::CreateAutocompleteResponse::new();
    };
    let found = ctx
        .data()
        .db
        .search_meetings(crate::domain::GuildId(guild.get()), partial.trim(), 25)
        .await;
    let choices = match found {
        Ok(list) => list
            .into_iter()
            .map(|(id, title)| {
                let name = crate::domain::text::truncate(&format!("#{}: {title}", id.0), 100);
                serenity::AutocompleteChoice::new(name, id.0)
            })
            .collect(),
        Err(e) => {
            tracing::warn!(error = %e, "cannot suggest meetings");
            Vec::new()
        }
    };
    serenity::CreateAutocompleteResponse::new().set_choices(choices)
}
