//! `/stats overview|export`: anonymous participation statistics for
//! facilitators. Every figure counts people and is rounded down to a step of
//! k (see `domain::stats`); below k people there is no chart.

use chrono_tz::Tz;
use poise::serenity_prelude as serenity;

use super::{Context, Error, charts, render};
use crate::domain::periods::{PeriodKind, local_day};
use crate::domain::settings::Access;
use crate::domain::stats::{StatsRequest, StatsView, Which};

#[derive(Debug, Clone, Copy, poise::ChoiceParameter)]
pub enum PeriodChoice {
    #[name = "week"]
    Week,
    #[name = "month"]
    Month,
    #[name = "quarter"]
    Quarter,
    #[name = "year"]
    Year,
}

impl From<PeriodChoice> for PeriodKind {
    fn from(p: PeriodChoice) -> Self {
        match p {
            PeriodChoice::Week => PeriodKind::Week,
            PeriodChoice::Month => PeriodKind::Month,
            PeriodChoice::Quarter => PeriodKind::Quarter,
            PeriodChoice::Year => PeriodKind::Year,
        }
    }
}

#[derive(Debug, Clone, Copy, poise::ChoiceParameter)]
pub enum WhichChoice {
    #[name = "this"]
    This,
    #[name = "last"]
    Last,
}

impl From<Option<WhichChoice>> for Which {
    fn from(w: Option<WhichChoice>) -> Self {
        match w {
            Some(WhichChoice::Last) => Which::Last,
            Some(WhichChoice::This) | None => Which::This,
        }
    }
}

/// Anonymous statistics for facilitators
#[poise::command(
    slash_command,
    guild_only,
    subcommands("overview", "export"),
    subcommand_required
)]
pub async fn stats(_ctx: Context<'_>) -> Result<(), Error> {
    Ok(())
}

/// How the group is doing, with a chart
#[poise::command(slash_command, guild_only, custom_data = "Access::Facilitator")]
async fn overview(
    ctx: Context<'_>,
    #[description = "Which calendar period, in the server's time zone"] period: PeriodChoice,
    #[description = "this (default): the current one; last: the one before it"] which: Option<
        WhichChoice,
    >,
) -> Result<(), Error> {
    // Reading two years of counts and drawing the chart: answer first.
    ctx.defer_ephemeral().await?;
    let view = compute(ctx, period.into(), which.into()).await?;
    let text = view.embed();
    let mut embed = render::embed(&text.title).description(render::description(&text.description));
    for f in &text.fields {
        embed = embed.field(&f.name, render::field(&f.value), f.inline);
    }
    let reply = match view.chart() {
        Some(data) => {
            let png = charts::stats_chart(&data)?;
            render::ephemeral_embed(embed.image("attachment://stats.png"))
                .attachment(serenity::CreateAttachment::bytes(png, "stats.png"))
        }
        None => render::ephemeral_embed(embed),
    };
    ctx.send(reply).await?;
    Ok(())
}

/// The same figures as a CSV file
#[poise::command(slash_command, guild_only, custom_data = "Access::Facilitator")]
async fn export(
    ctx: Context<'_>,
    #[description = "Which calendar period, in the server's time zone"] period: PeriodChoice,
    #[description = "this (default): the current one; last: the one before it"] which: Option<
        WhichChoice,
    >,
) -> Result<(), Error> {
    ctx.defer_ephemeral().await?;
    let view = compute(ctx, period.into(), which.into()).await?;
    let csv = view.csv().map_err(anyhow::Error::from)?;
    let k = view.k;
    ctx.send(
        render::ephemeral(format!(
            "The statistics of {} {} ({}) as CSV. They count people, rounded down to a step of {k} so nobody \
             can be singled out: \"{k} to {}\" means at least {k} people, and anything under {k} says \
             \"fewer than {k}\".",
            view.which.as_str(),
            view.period.kind.as_str(),
            view.period.key,
            2 * k - 1
        ))
        .attachment(serenity::CreateAttachment::bytes(
            csv,
            format!("haven-stats-{}.csv", view.period.key),
        )),
    )
    .await?;
    Ok(())
}

async fn compute(ctx: Context<'_>, kind: PeriodKind, which: Which) -> Result<StatsView, Error> {
    let db = &ctx.data().db;
    let guild = super::server(ctx)?;
    let settings = super::settings(ctx).await?;
    let tz = settings.timezone.unwrap_or(Tz::UTC);
    let today = local_day(ctx.data().clock.now(), tz);
    let request = StatsRequest::new(kind, which, today);
    let people = db.period_people(guild, &request.keys()).await?;
    let rounds: Vec<u64> = db
        .round_stats(guild, request.period.first, request.period.last)
        .await?
        .iter()
        .map(|r| r.answered)
        .collect();
    // The going people were read with the period's other counts.
    let meetings = crate::domain::stats::MeetingStats {
        held: db.meetings_held(guild, &request.period, tz).await?,
        going_people: people.get(&request.period.key).map_or(0, |p| p.going),
    };
    // Every voice meeting the period and the chart's weeks cover, by the
    // day it was held there (a day either side, then exact by day).
    let days = request.weeks.iter().chain([&request.period]);
    let first = days.clone().map(|p| p.first).min().unwrap_or(today);
    let last = days.map(|p| p.last).max().unwrap_or(today);
    let edge = |d: chrono::NaiveDate| d.and_time(chrono::NaiveTime::MIN).and_utc();
    let attended: Vec<crate::domain::stats::Counted> = db
        .attendance_between(
            guild,
            edge(first) - chrono::Duration::days(1),
            edge(last) + chrono::Duration::days(2),
        )
        .await?
        .into_iter()
        .map(|(at, came, going)| crate::domain::stats::Counted {
            day: local_day(at, tz),
            came,
            going,
        })
        .collect();
    Ok(StatsView::build(
        request,
        settings.min_group_size.get(),
        &people,
        &rounds,
        meetings,
        &attended,
    ))
}
