//! `/crisis`: people to talk to right now. Never logged with the member.

use poise::serenity_prelude as serenity;

use super::{Context, Error, render};
use crate::domain::crisis;

async fn autocomplete_country(
    _ctx: Context<'_>,
    partial: &str,
) -> serenity::CreateAutocompleteResponse {
    let choices = crisis::autocomplete(partial)
        .into_iter()
        .map(|c| {
            serenity::AutocompleteChoice::new(format!("{} ({})", c.name, c.code), c.code.clone())
        })
        .collect();
    serenity::CreateAutocompleteResponse::new().set_choices(choices)
}

/// Crisis and support lines, only visible to you
#[poise::command(slash_command)]
pub async fn crisis(
    ctx: Context<'_>,
    #[description = "Your country (name or code, like GB or Germany)"]
    #[autocomplete = "autocomplete_country"]
    #[max_length = 60]
    country: Option<String>,
) -> Result<(), Error> {
    let found = country.as_deref().and_then(crisis::find);
    let danger = match found {
        Some(c) => format!(
            "If you are in immediate danger, **call {}** now (the emergency number in {}). These people are there to listen:",
            c.emergency.number, c.name
        ),
        None => "If you are in immediate danger, **call your local emergency number** now. These people are there to listen:".to_owned(),
    };
    let mut embed = render::embed("You're not alone").description(danger);
    match (found, country.as_deref()) {
        (Some(c), _) => {
            let lines: Vec<String> = c
                .lines
                .iter()
                .map(|l| format!("**{}**: {}\n<{}>", l.name, l.contact, l.source))
                .collect();
            embed = embed.field(c.name.clone(), lines.join("\n"), false);
        }
        (None, Some(asked)) => {
            embed = embed.field(
                "Your country",
                format!(
                    "I don't have lines for `{}` yet; the directory below covers most countries.",
                    render::inline_code(asked, 40)
                ),
                false,
            );
        }
        (None, None) => {}
    }
    embed = embed.field(
        "Anywhere in the world",
        format!(
            "Find a free, confidential helpline near you: <{}>",
            crisis::DIRECTORY
        ),
        false,
    );
    ctx.send(render::ephemeral_embed(embed)).await?;
    Ok(())
}
