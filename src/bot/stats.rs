//! `/stats overview|export`: anonymous participation statistics for
//! facilitators. Every figure built from fewer than k people is withheld.

use chrono::{Duration, NaiveDate};
use chrono_tz::Tz;
use poise::serenity_prelude as serenity;

use super::{Context, Error, charts, render};
use crate::domain::GuildId;
use crate::domain::anonymity::{Shown, figure, histogram};
use crate::domain::mood::Mood;
use crate::domain::periods::{Period, PeriodKind, local_day, period_of};
use crate::domain::settings::Access;
use crate::store::Db;

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

/// Everything the overview shows, already k-suppressed.
struct Overview {
    period: Period,
    k: u32,
    checkins: Shown,
    participants: Shown,
    moods_total: Shown,
    moods: Vec<Shown>,
    trend: Option<String>,
    rounds_held: u64,
    rounds_with_k: u64,
    average_turnout: Option<u64>,
    meetings_held: u64,
    going: Shown,
    weeks: Vec<(String, Option<u64>)>,
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
) -> Result<(), Error> {
    let o = compute(ctx, period.into()).await?;
    let weekly_moods: [Option<u64>; 5] =
        std::array::from_fn(|i| o.moods.get(i).and_then(|s| s.value()));
    let png = charts::stats_chart(&o.weeks, &weekly_moods, o.k)?;
    let embed = overview_embed(&o).image("attachment://stats.png");
    ctx.send(
        render::ephemeral_embed(embed)
            .attachment(serenity::CreateAttachment::bytes(png, "stats.png")),
    )
    .await?;
    Ok(())
}

/// The same figures as a CSV file
#[poise::command(slash_command, guild_only, custom_data = "Access::Facilitator")]
async fn export(
    ctx: Context<'_>,
    #[description = "Which calendar period, in the server's time zone"] period: PeriodChoice,
) -> Result<(), Error> {
    let o = compute(ctx, period.into()).await?;
    let csv = overview_csv(&o)?;
    ctx.send(
        render::ephemeral(format!("The {} statistics as CSV. Figures from fewer than {} people say so instead of a number.", o.period.kind.as_str(), o.k))
            .attachment(serenity::CreateAttachment::bytes(csv, format!("haven-stats-{}.csv", o.period.key))),
    )
    .await?;
    Ok(())
}

async fn compute(ctx: Context<'_>, kind: PeriodKind) -> Result<Overview, Error> {
    let db = &ctx.data().db;
    let guild = super::server(ctx)?;
    let settings = db.guild_settings(guild).await?;
    let tz = settings.timezone.unwrap_or(Tz::UTC);
    let k = settings.min_group_size.get();
    let today = local_day(ctx.data().clock.now(), tz);
    let period = period_of(kind, today);

    let (checkins, moods) = totals(db, guild, &period).await?;
    let people = db.participants(guild, &period.key).await?;
    let (moods_total, mood_buckets) = histogram(&moods, people, k);

    let previous = period_of(kind, period.first - Duration::days(1));
    let (_, prev_moods) = totals(db, guild, &previous).await?;
    let prev_people = db.participants(guild, &previous.key).await?;
    let trend = match (
        average(&moods, people, k),
        average(&prev_moods, prev_people, k),
    ) {
        (Some(now), Some(before)) if now - before > 0.2 => Some(format!(
            "brighter than the {} before ({before:.1} → {now:.1})",
            kind.as_str()
        )),
        (Some(now), Some(before)) if before - now > 0.2 => Some(format!(
            "heavier than the {} before ({before:.1} → {now:.1})",
            kind.as_str()
        )),
        (Some(now), Some(before)) => Some(format!(
            "about the same as the {} before ({before:.1} → {now:.1})",
            kind.as_str()
        )),
        _ => None,
    };

    let rounds = db.round_stats(guild, period.first, period.last).await?;
    let big: Vec<u64> = rounds
        .iter()
        .map(|r| r.answered)
        .filter(|a| *a >= u64::from(k))
        .collect();
    let average_turnout = (!big.is_empty()).then(|| big.iter().sum::<u64>() / big.len() as u64);

    let from = start_of(tz, period.first);
    let to = start_of(tz, period.last + Duration::days(1));
    let meetings = db.meeting_stats(guild, from, to).await?;

    // Weekly participation: the twelve weeks up to this one (a year: its weeks).
    let last_week = period_of(PeriodKind::Week, today);
    let first_week = match kind {
        PeriodKind::Year => period_of(PeriodKind::Week, period.first),
        _ => period_of(PeriodKind::Week, last_week.first - Duration::weeks(11)),
    };
    let mut weeks = Vec::new();
    let mut week = first_week;
    while week.first <= last_week.first {
        let (n, _) = totals(db, guild, &week).await?;
        let people = db.participants(guild, &week.key).await?;
        weeks.push((
            week.first.format("%-d %b").to_string(),
            figure(n, people, k).value(),
        ));
        week = period_of(PeriodKind::Week, week.last + Duration::days(1));
    }

    Ok(Overview {
        period,
        k,
        checkins: figure(checkins, people, k),
        participants: figure(people, people, k),
        moods_total,
        moods: mood_buckets,
        trend,
        rounds_held: rounds.len() as u64,
        rounds_with_k: big.len() as u64,
        average_turnout,
        meetings_held: meetings.held,
        going: figure(meetings.going, meetings.going_people, k),
        weeks,
    })
}

async fn totals(db: &Db, guild: GuildId, period: &Period) -> Result<(u64, [u64; 5]), Error> {
    let days = db.daily_stats(guild, period.first, period.last).await?;
    let mut moods = [0u64; 5];
    let mut n = 0;
    for d in days {
        n += d.checkins;
        for (m, c) in moods.iter_mut().zip(d.moods) {
            *m += c;
        }
    }
    Ok((n, moods))
}

/// The average mood, only from k or more people.
fn average(moods: &[u64; 5], people: u64, k: u32) -> Option<f64> {
    let n: u64 = moods.iter().sum();
    (people >= u64::from(k) && n > 0).then(|| {
        moods
            .iter()
            .enumerate()
            .map(|(i, c)| (i as f64 + 1.0) * *c as f64)
            .sum::<f64>()
            / n as f64
    })
}

fn start_of(tz: Tz, day: NaiveDate) -> chrono::DateTime<chrono::Utc> {
    crate::domain::when::resolve_local(tz, day.and_hms_opt(0, 0, 0).unwrap_or_default()).0
}

fn overview_embed(o: &Overview) -> serenity::CreateEmbed {
    let k = o.k;
    let moods = if matches!(o.moods_total, Shown::FewerThanK) {
        format!("Fewer than {k} people checked in, so the spread stays private.")
    } else {
        Mood::ALL
            .iter()
            .zip(&o.moods)
            .map(|(m, s)| format!("{} {}: {}", m.emoji(), m.word(), s.render(k)))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let rounds = match o.average_turnout {
        Some(t) => format!(
            "{} held; {} with at least {k} answers, averaging {t} answers",
            o.rounds_held, o.rounds_with_k
        ),
        None => format!("{} held; none with at least {k} answers", o.rounds_held),
    };
    let mut embed = render::embed(&format!(
        "How the group is doing: this {} ({} to {})",
        o.period.kind.as_str(),
        o.period.first.format("%-d %b"),
        o.period.last.format("%-d %b %Y")
    ))
    .description(format!(
        "Anonymous counts only. Anything from fewer than {k} people shows as \"fewer than {k}\"."
    ))
    .field("Check-ins", o.checkins.render(k), true)
    .field("People who checked in", o.participants.render(k), true)
    .field("Moods", moods, false)
    .field("Rounds", rounds, false)
    .field(
        "Meetings",
        format!(
            "{} held; \"going\" answers: {}",
            o.meetings_held,
            o.going.render(k)
        ),
        false,
    );
    if let Some(trend) = &o.trend {
        embed = embed.field("Trend", format!("Moods were {trend}."), false);
    }
    embed
}

fn overview_csv(o: &Overview) -> anyhow::Result<Vec<u8>> {
    let k = o.k;
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["metric", "period", "value"])?;
    let key = o.period.key.as_str();
    w.write_record(["checkins", key, &o.checkins.render(k)])?;
    w.write_record(["participants", key, &o.participants.render(k)])?;
    for (m, s) in Mood::ALL.iter().zip(&o.moods) {
        w.write_record([&format!("mood_{}", m.word()), key, &s.render(k)])?;
    }
    w.write_record(["rounds_held", key, &o.rounds_held.to_string()])?;
    w.write_record([
        &format!("rounds_with_{k}_or_more_answers"),
        key,
        &o.rounds_with_k.to_string(),
    ])?;
    w.write_record([
        "average_round_turnout",
        key,
        &o.average_turnout
            .map(|t| t.to_string())
            .unwrap_or_else(|| format!("fewer than {k}")),
    ])?;
    w.write_record(["meetings_held", key, &o.meetings_held.to_string()])?;
    w.write_record(["going_answers", key, &o.going.render(k)])?;
    for (week, value) in &o.weeks {
        w.write_record([
            "weekly_checkins",
            &format!("week of {week}"),
            &value
                .map(|v| v.to_string())
                .unwrap_or_else(|| format!("fewer than {k}")),
        ])?;
    }
    w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))
}
