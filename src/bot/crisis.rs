//! `/crisis`: people to talk to right now. Never logged with the member.

use poise::serenity_prelude as serenity;

use super::reply::{Reply, View};
use super::{Context, Error, render};
use crate::domain::crisis;
use crate::domain::custom_id::CustomId;

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
    let embed = lines_embed(found, country.as_deref());
    ctx.send(render::ephemeral_embed(embed)).await?;
    Ok(())
}

/// The lines of `found` (or a word that `asked` is not known), the
/// emergency number, and the directory for anywhere.
fn lines_embed(found: Option<&crisis::Country>, asked: Option<&str>) -> serenity::CreateEmbed {
    let danger = match found {
        Some(c) => format!(
            "If you are in immediate danger, **call {}** now (the emergency number in {}). These people are there to listen:",
            c.emergency.number, c.name
        ),
        None => "If you are in immediate danger, **call your local emergency number** now. These people are there to listen:".to_owned(),
    };
    let mut embed = render::embed("You're not alone").description(danger);
    match (found, asked) {
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
    embed.field(
        "Anywhere in the world",
        format!(
            "Find a free, confidential helpline near you: <{}>",
            crisis::DIRECTORY
        ),
        false,
    )
}

/// "Show support lines" on a low check-in: the directory and the
/// emergency advice at once, and a list of countries for their lines (Haven
/// does not know where a member is, and does not ask to keep it).
pub fn on_support_lines() -> Reply {
    let options: Vec<serenity::CreateSelectMenuOption> = crisis::countries()
        .iter()
        .take(25)
        .map(|c| serenity::CreateSelectMenuOption::new(c.name.clone(), c.code.clone()))
        .collect();
    let menu = serenity::CreateSelectMenu::new(
        CustomId::SupportCountry.encode(),
        serenity::CreateSelectMenuKind::String { options },
    )
    .placeholder("Your country, for its lines");
    Reply::EphemeralView(View {
        content: None,
        embeds: vec![lines_embed(None, None)],
        components: vec![serenity::CreateActionRow::SelectMenu(menu)],
    })
}

/// A country chosen from that list: its lines, only to the member.
pub fn on_support_country(press: &serenity::ComponentInteraction) -> Reply {
    let found = match &press.data.kind {
        serenity::ComponentInteractionDataKind::StringSelect { values } => {
            values.first().and_then(|v| crisis::find(v))
        }
        _ => None,
    };
    Reply::EphemeralView(View {
        content: None,
        embeds: vec![lines_embed(found, None)],
        components: Vec::new(),
    })
}
