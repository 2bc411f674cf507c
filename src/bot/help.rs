//! `/help`: what Haven does and how to use it.

use super::{Context, Error, render};

/// What Haven does, and its commands
#[poise::command(slash_command)]
pub async fn help(ctx: Context<'_>) -> Result<(), Error> {
    ctx.send(render::ephemeral_embed(help_embed())).await?;
    Ok(())
}

fn help_embed() -> poise::serenity_prelude::CreateEmbed {
    render::embed("Haven")
        .description(
            "Haven helps support groups meet, check in and look after each other. \
             Anything about you stays private: statistics are anonymous and never shown for small groups, \
             and you can see or delete everything Haven keeps about you at any time.",
        )
        .field(
            "Your time zone",
            "`/timezone set` — tell Haven your time zone (start typing your city)\n\
             `/timezone show` — see it, with your local time now\n\
             `/timezone clear` — forget it",
            false,
        )
        .field(
            "Checking in",
            "`/checkin mood:` — how you're arriving, 1 struggling · 2 low · 3 okay · 4 good · 5 great; \
             private unless you choose `share:group`\n\
             `/journal start`, `/journal show`, `/journal stop` — keep your own history, only for you\n\
             `/crisis` — people you can talk to right now",
            false,
        )
        .field(
            "Meetings",
            "`/meeting list` — upcoming meetings, shown in your own time\n\
             `/meeting info`, `/meeting ics` — details, next times, a calendar file\n\
             `/meeting rsvp` or the buttons — say if you're coming (counted, never named)\n\
             `/meeting dm` — also get reminders by direct message (each has a Stop button)\n\
             Facilitators: `/meeting create`, `/meeting edit`, `/meeting cancel`. \
             Times can be written `2027-03-09 19:00`, `19:00`, `7pm`, `tuesday 19:00`, \
             `tomorrow 7:30pm` or `in 2 hours`; reminders like `1d,1h,10m` or `none`; \
             `location:` a voice channel or a link.",
            false,
        )
        .field(
            "Coping tools",
            "`/strategy browse` — coping strategies to try, with where they come from; save the ones you like\n\
             `/toolkit` — your saved strategies, only for you\n\
             `/strategy share` — offer what helps you to the group (a facilitator approves it first)\n\
             `/breathe`, `/ground` — a guided breathing or grounding exercise, step by step\n\
             `/cw` — post behind a spoiler with a content warning\n\
             `/break` — step away for a while; a DM lets you come back early\n\
             `/guidelines show` — the group's agreements",
            false,
        )
        .field(
            "Your privacy",
            "`/privacy show` — everything Haven stores about you\n\
             `/privacy export` — a copy of it as a file\n\
             `/privacy forget` — delete all of it, for good\n\
             `/privacy attendance` — whether you're counted (anonymously) as attending voice meetings",
            false,
        )
        .field(
            "For facilitators",
            "`/round start`, `/round close` — an anonymous check-in round in this channel\n\
             `/prompt post`, `/prompt schedule`, `/prompt unschedule`, `/prompt list`, `/prompt add`, `/prompt sensitive` — discussion prompts, now or at a local time\n\
             `/strategy review` — strategies members shared, to approve\n\
             `/stats overview`, `/stats export` — anonymous counts of people, rounded so nobody can be singled out (`which:last`: the period before)\n\
             `/settings show` — this server's settings\n\
             `/settings facilitator-role`, `/settings timezone`, `/settings log-channel`, \
             `/settings min-group-size`, `/settings mod-retention`, `/settings clear` — change them (needs Manage Server)\n\
             `/settings dm-notices` — get reach-out requests and reports by DM when the log channel can't take them",
            false,
        )
        .field(
            "Moderation (facilitators, always private)",
            "`/mod nudge`, `/mod warn` — a gentle word or a warning, by DM\n\
             `/mod timeout`, `/mod untimeout`, `/mod kick`, `/mod ban`, `/mod unban` — through Discord, with a reason for its audit log\n\
             `/mod slowmode`, `/mod lock`, `/mod unlock` — cool a channel down; `for:10m` reverts by itself\n\
             `/mod purge` — delete 2 to 100 recent messages (younger than 14 days)\n\
             `/mod note`, `/mod history`, `/mod case` — notes and numbered cases, kept 365 days\n\
             `/guidelines set` — write the group's agreements (admins)",
            false,
        )
        .footer(poise::serenity_prelude::CreateEmbedFooter::new(
            "Replies like this one are only visible to you.",
        ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_help_fits_discords_embed_limits() {
        let v = serde_json::to_value(help_embed()).unwrap();
        let mut total =
            v["title"].as_str().unwrap_or("").len() + v["description"].as_str().unwrap_or("").len();
        for f in v["fields"].as_array().unwrap() {
            let value = f["value"].as_str().unwrap();
            assert!(value.chars().count() <= 1024, "{} is too long", f["name"]);
            total += value.chars().count() + f["name"].as_str().unwrap().chars().count();
        }
        assert!(total <= 6000, "{total}");
    }
}
