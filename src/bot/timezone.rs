//! `/timezone set|show|clear`: a member's own time zone.

use poise::serenity_prelude as serenity;

use super::{Context, Error, render};
use crate::domain::GuildId;
use crate::domain::zones::{self, UnknownZone};

/// Your time zone, used to read and show times for you
#[poise::command(
    slash_command,
    subcommands("set", "show", "clear"),
    subcommand_required
)]
pub async fn timezone(_ctx: Context<'_>) -> Result<(), Error> {
    Ok(())
}

/// Set your time zone (start typing your city)
#[poise::command(slash_command)]
async fn set(
    ctx: Context<'_>,
    #[description = "Your time zone, such as Europe/Berlin or America/New_York"]
    #[autocomplete = "autocomplete_zone"]
    #[max_length = 100]
    zone: String,
) -> Result<(), Error> {
    let tz = zones::parse_zone(&zone).map_err(unknown_zone)?;
    let now = ctx.data().clock.now();
    ctx.data()
        .db
        .set_member_timezone(super::author(ctx), tz, now)
        .await?;
    ctx.send(render::ephemeral(format!(
        "Your time zone is now **{}**. It's {} there now.",
        tz.name(),
        render::local_clock(tz, now)
    )))
    .await?;
    Ok(())
}

/// See your time zone and your local time now
#[poise::command(slash_command)]
async fn show(ctx: Context<'_>) -> Result<(), Error> {
    let now = ctx.data().clock.now();
    let text = match ctx.data().db.member_timezone(super::author(ctx)).await? {
        Some(tz) => format!(
            "Your time zone is **{}**. It's {} there now.",
            tz.name(),
            render::local_clock(tz, now)
        ),
        None => {
            let server = match ctx.guild_id() {
                Some(g) => {
                    ctx.data()
                        .db
                        .guild_settings(GuildId(g.get()))
                        .await?
                        .timezone
                }
                None => None,
            };
            let fallback = match server {
                Some(tz) => format!("this server's time zone, **{}**", tz.name()),
                None => "**UTC**".to_owned(),
            };
            format!(
                "You haven't set a time zone, so Haven reads times you type in {fallback}. \
                 Set yours with `/timezone set`."
            )
        }
    };
    ctx.send(render::ephemeral(text)).await?;
    Ok(())
}

/// Forget your time zone
#[poise::command(slash_command)]
async fn clear(ctx: Context<'_>) -> Result<(), Error> {
    let text = if ctx
        .data()
        .db
        .clear_member_timezone(super::author(ctx))
        .await?
    {
        "Done. I've forgotten your time zone."
    } else {
        "You had no time zone set, so there was nothing to clear."
    };
    ctx.send(render::ephemeral(text)).await?;
    Ok(())
}

/// Autocomplete over every IANA zone, each shown with its local time now.
pub async fn autocomplete_zone(
    ctx: Context<'_>,
    partial: &str,
) -> serenity::CreateAutocompleteResponse {
    let now = ctx.data().clock.now();
    let choices = zones::autocomplete(partial)
        .into_iter()
        .map(|tz| {
            let label = format!(
                "{} ({})",
                tz.name(),
                zones::local_time(tz, now).format("%H:%M now")
            );
            serenity::AutocompleteChoice::new(label, tz.name())
        })
        .collect();
    serenity::CreateAutocompleteResponse::new().set_choices(choices)
}

/// The kind answer to a zone Haven does not know.
pub fn unknown_zone(err: UnknownZone) -> Error {
    let shown = render::inline_code(&err.input, 64);
    let hint = match err.suggestions.as_slice() {
        [] => "Time zones are written like `Europe/Berlin` or `America/New_York`: start typing your city and pick from the list.".to_owned(),
        list => {
            let names: Vec<String> = list.iter().map(|tz| format!("`{}`", tz.name())).collect();
            format!("Did you mean {}? You can also start typing your city and pick from the list.", or_list(&names))
        }
    };
    Error::member(format!("I don't know the time zone `{shown}`. {hint}"))
}

fn or_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_read_naturally() {
        assert_eq!(or_list(&["a".into()]), "a");
        assert_eq!(or_list(&["a".into(), "b".into(), "c".into()]), "a, b or c");
    }
}
