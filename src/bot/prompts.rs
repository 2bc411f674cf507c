//! `/prompt post|schedule|unschedule|add|list`: discussion prompts for the
//! group, from the server's rotation, posted now or at a local time.

use poise::serenity_prelude as serenity;

use super::reply::{Reply, View};
use super::timezone::{autocomplete_zone, unknown_zone};
use super::{Context, Data, Error, render};
use crate::domain::custom_id::{CustomId, PromptKey};
use crate::domain::library::{self, Category, MAX_PROMPT, Sensitive, TextProblem, check_text};
use crate::domain::prompt_schedule::{Days, PromptTimes, parse_time};
use crate::domain::settings::Access;
use crate::domain::{ChannelId, GuildId, zones};
use crate::rest::RestError;
use crate::scheduler::prompts::{self as work, PostError};
use crate::store::PromptSchedule;
use crate::views;

/// Prompts on a page of `/prompt list`.
const PAGE: usize = 5;

#[derive(Debug, Clone, Copy, poise::ChoiceParameter)]
pub enum CategoryChoice {
    #[name = "stress"]
    Stress,
    #[name = "anxiety"]
    Anxiety,
    #[name = "low-mood"]
    LowMood,
    #[name = "grief"]
    Grief,
    #[name = "recovery"]
    Recovery,
    #[name = "chronic-illness"]
    ChronicIllness,
    #[name = "work"]
    Work,
    #[name = "sleep"]
    Sleep,
    #[name = "connection"]
    Connection,
    #[name = "self-compassion"]
    SelfCompassion,
    #[name = "gratitude"]
    Gratitude,
    #[name = "boundaries"]
    Boundaries,
    #[name = "grounding"]
    Grounding,
}

impl From<CategoryChoice> for Category {
    fn from(c: CategoryChoice) -> Self {
        match c {
            CategoryChoice::Stress => Category::Stress,
            CategoryChoice::Anxiety => Category::Anxiety,
            CategoryChoice::LowMood => Category::LowMood,
            CategoryChoice::Grief => Category::Grief,
            CategoryChoice::Recovery => Category::Recovery,
            CategoryChoice::ChronicIllness => Category::ChronicIllness,
            CategoryChoice::Work => Category::Work,
            CategoryChoice::Sleep => Category::Sleep,
            CategoryChoice::Connection => Category::Connection,
            CategoryChoice::SelfCompassion => Category::SelfCompassion,
            CategoryChoice::Gratitude => Category::Gratitude,
            CategoryChoice::Boundaries => Category::Boundaries,
            CategoryChoice::Grounding => Category::Grounding,
        }
    }
}

#[derive(Debug, Clone, Copy, poise::ChoiceParameter)]
pub enum DaysChoice {
    #[name = "daily"]
    Daily,
    #[name = "weekdays"]
    Weekdays,
    #[name = "mondays"]
    Mondays,
    #[name = "tuesdays"]
    Tuesdays,
    #[name = "wednesdays"]
    Wednesdays,
    #[name = "thursdays"]
    Thursdays,
    #[name = "fridays"]
    Fridays,
    #[name = "saturdays"]
    Saturdays,
    #[name = "sundays"]
    Sundays,
}

impl From<DaysChoice> for Days {
    fn from(d: DaysChoice) -> Self {
        use chrono::Weekday::*;
        match d {
            DaysChoice::Daily => Days::Daily,
            DaysChoice::Weekdays => Days::Weekdays,
            DaysChoice::Mondays => Days::Weekly(Mon),
            DaysChoice::Tuesdays => Days::Weekly(Tue),
            DaysChoice::Wednesdays => Days::Weekly(Wed),
            DaysChoice::Thursdays => Days::Weekly(Thu),
            DaysChoice::Fridays => Days::Weekly(Fri),
            DaysChoice::Saturdays => Days::Weekly(Sat),
            DaysChoice::Sundays => Days::Weekly(Sun),
        }
    }
}

/// Discussion prompts for the group
#[poise::command(
    slash_command,
    guild_only,
    subcommands("post", "schedule", "unschedule", "add", "list", "sensitive"),
    subcommand_required
)]
pub async fn prompt(_ctx: Context<'_>) -> Result<(), Error> {
    Ok(())
}

/// Post the next prompt of the rotation here now, with a thread for answers
#[poise::command(slash_command, guild_only, custom_data = "Access::Facilitator")]
async fn post(
    ctx: Context<'_>,
    #[description = "Only from this category (default: any)"] category: Option<CategoryChoice>,
) -> Result<(), Error> {
    let guild = super::server(ctx)?;
    if !super::can_post_here(ctx) {
        return Err(Error::member(
            "You can't post in this channel yourself, so I won't post a prompt here for you.",
        ));
    }
    // Posting and opening a thread can wait on Discord: answer first.
    ctx.defer_ephemeral().await?;
    let data = ctx.data();
    let channel = ChannelId(ctx.channel_id().get());
    // Read before posting: a failure after it would report a posted prompt
    // as not posted.
    let left_out = data.db.sensitive_categories(guild).await?;
    let posted = work::post(
        &data.db,
        &data.rest,
        guild,
        channel,
        category.map(Category::from),
        None,
    )
    .await;
    let follow_up = |p: &work::Posted| {
        library::follow_up(&p.entry.key)
            .filter(|_| !p.entry.own)
            .map(|f| format!("\n\n**For facilitators:** {f}"))
            .unwrap_or_default()
    };
    let text = match posted {
        Ok(p) => format!(
            "{}{}",
            posted_text(&p, category.is_none(), &left_out),
            follow_up(&p)
        ),
        Err(e) => return Err(post_error(e, channel)),
    };
    ctx.send(render::ephemeral(text)).await?;
    Ok(())
}

/// What the facilitator who posted a prompt is told.
fn posted_text(p: &work::Posted, any: bool, left_out: &Sensitive) -> String {
    match p.thread {
        Some(thread) => format!(
            "Posted a {} prompt; answers can go in {}.{}",
            p.entry.category.label().to_lowercase(),
            render::channel_mention(thread.get()),
            sensitive_note(any, left_out)
        ),
        None => format!(
            "Posted a {} prompt. This channel doesn't allow threads, so answers go right below it.{}",
            p.entry.category.label().to_lowercase(),
            sensitive_note(any, left_out)
        ),
    }
}

/// With no category asked for: that the sensitive categories' prompts are
/// left out unless named.
fn sensitive_note(any: bool, sensitive: &Sensitive) -> String {
    if !any {
        return String::new();
    }
    let named: Vec<String> = sensitive
        .all()
        .iter()
        .map(|c| format!("`category:{}`", c.as_str()))
        .collect();
    format!(
        " {} prompts are left out unless you name them ({}), as they can stir a lot in a general channel.",
        sensitive.names(),
        named.join(", ")
    )
}

/// Mark a category sensitive here: left out unless named, with a content note
#[poise::command(slash_command, guild_only, custom_data = "Access::Facilitator")]
async fn sensitive(
    ctx: Context<'_>,
    #[description = "The category"] category: CategoryChoice,
    #[description = "Sensitive here (true) or not (false)"] sensitive: bool,
) -> Result<(), Error> {
    let guild = super::server(ctx)?;
    let category = Category::from(category);
    if category.is_sensitive() && !sensitive {
        return Err(Error::member(format!(
            "{} is always treated as sensitive: its prompts come only when named, with a content note, as they can stir a lot. Nothing changed.",
            category.label()
        )));
    }
    let data = ctx.data();
    let changed = data
        .db
        .set_category_sensitive(guild, category, sensitive)
        .await?;
    let now = data.db.sensitive_categories(guild).await?;
    let label = category.label().to_lowercase();
    let text = match (sensitive, changed) {
        (true, true) => format!(
            "Marked {label} as sensitive here. Its prompts are now left out of any rotation with no category, and its prompts and strategies carry a content note. Sensitive here: {}.",
            now.names()
        ),
        (true, false) => format!(
            "{} was already marked sensitive here, so nothing changed. Sensitive here: {}.",
            category.label(),
            now.names()
        ),
        (false, true) => format!(
            "{} is no longer marked sensitive here: its prompts can come in a rotation with no category again. Sensitive here: {}.",
            category.label(),
            now.names()
        ),
        (false, false) => format!(
            "{} wasn't marked sensitive here, so nothing changed. Sensitive here: {}.",
            category.label(),
            now.names()
        ),
    };
    ctx.send(render::ephemeral(text)).await?;
    Ok(())
}

fn post_error(e: PostError, channel: ChannelId) -> Error {
    match e {
        PostError::NoPrompts => Error::member(
            "Every prompt in that category is hidden here. `/prompt list` can show some again, or `/prompt add` adds your own.",
        ),
        PostError::Rest(RestError::Gone { .. } | RestError::Forbidden { .. }) => {
            Error::member(format!(
                "I can't post in {}. Please check that I can see it and send messages there.",
                render::channel_mention(channel.0)
            ))
        }
        PostError::Rest(e) => Error::Internal(e.into()),
        PostError::Store(e) => e.into(),
    }
}

/// Post a prompt at a local time on chosen days (one schedule per channel)
#[poise::command(slash_command, guild_only, custom_data = "Access::Facilitator")]
async fn schedule(
    ctx: Context<'_>,
    #[description = "Where to post"]
    #[channel_types("Text", "News")]
    channel: serenity::PartialChannel,
    #[description = "Local time, 24-hour, like 09:00 or 19:30"]
    #[max_length = 5]
    time: String,
    #[description = "Which days (default: daily)"] days: Option<DaysChoice>,
    #[description = "Only from this category (default: any)"] category: Option<CategoryChoice>,
    #[description = "The time zone (default: the server's, else UTC)"]
    #[autocomplete = "autocomplete_zone"]
    #[max_length = 100]
    timezone: Option<String>,
) -> Result<(), Error> {
    let guild = super::server(ctx)?;
    let data = ctx.data();
    let now = data.clock.now();
    let channel_id = super::postable_channel(&channel, "prompts", |channel| {
        format!("You can't post in {channel} yourself, so I won't schedule prompts there for you.")
    })?;
    let Some(time) = parse_time(&time) else {
        return Err(Error::member(format!(
            "I couldn't read `{}` as a time. Please write it as 24-hour HH:MM, like `09:00` or `19:30`. Nothing was scheduled.",
            render::inline_code(&time, 10)
        )));
    };
    let zone = match timezone {
        Some(z) => zones::parse_zone(&z).map_err(unknown_zone)?,
        None => super::settings(ctx)
            .await?
            .timezone
            .unwrap_or(chrono_tz::Tz::UTC),
    };
    let schedule = PromptSchedule {
        channel: channel_id,
        guild,
        times: PromptTimes {
            zone,
            time,
            days: days.map(Days::from).unwrap_or(Days::Daily),
        },
        category: category.map(Category::from),
        paused: false,
        last_date: None,
    };
    ctx.defer_ephemeral().await?;
    data.db.set_prompt_schedule(&schedule, now).await?;
    // A day already posted (before a replacement) is not posted again.
    let stored = data
        .db
        .prompt_schedule(channel_id)
        .await?
        .unwrap_or(schedule);
    let next = work::plan(&data.db, &stored, now).await?;
    data.scheduler.poke();
    let when = match next {
        Some(at) => format!(" The first is {}.", views::when(at)),
        None => String::new(),
    };
    ctx.send(render::ephemeral(format!(
        "I'll post a {} prompt in {} {} at {} {} time.{when} This replaces any earlier schedule there; `/prompt unschedule` stops it.{}",
        stored.category.map(|c| c.label().to_lowercase()).unwrap_or_else(|| "discussion".into()),
        render::channel_mention(channel_id.0),
        stored.times.days.describe(),
        stored.times.time.format("%H:%M"),
        zone.name(),
        sensitive_note(
            stored.category.is_none(),
            &data.db.sensitive_categories(guild).await?
        ),
    )))
    .await?;
    Ok(())
}

/// Stop the scheduled prompts in a channel
#[poise::command(slash_command, guild_only, custom_data = "Access::Facilitator")]
async fn unschedule(
    ctx: Context<'_>,
    #[description = "The channel"]
    #[channel_types("Text", "News")]
    channel: serenity::PartialChannel,
) -> Result<(), Error> {
    let guild = super::server(ctx)?;
    let channel = ChannelId(channel.id.get());
    let found = ctx.data().db.prompt_schedule(channel).await?;
    let text = match found {
        Some(s) if s.guild == guild => {
            ctx.data().db.remove_prompt_schedule(channel).await?;
            format!(
                "No more scheduled prompts in {}.",
                render::channel_mention(channel.0)
            )
        }
        _ => format!(
            "{} has no prompt schedule, so nothing changed.",
            render::channel_mention(channel.0)
        ),
    };
    ctx.send(render::ephemeral(text)).await?;
    Ok(())
}

/// Add the server's own prompt to the rotation
#[poise::command(slash_command, guild_only, custom_data = "Access::Facilitator")]
async fn add(
    ctx: Context<'_>,
    #[description = "An open question the group can answer (at most 300 characters)"]
    #[max_length = 300]
    text: String,
    #[description = "Its category"] category: CategoryChoice,
) -> Result<(), Error> {
    let guild = super::server(ctx)?;
    let text = check_text(&text, MAX_PROMPT).map_err(|p| text_error(p, "prompt"))?;
    let category = Category::from(category);
    ctx.data()
        .db
        .add_server_prompt(guild, category, &text, ctx.data().clock.now())
        .await?;
    let mut reply = format!(
        "Added to the {} prompts: \u{201c}{}\u{201d} It joins the rotation.",
        category.label().to_lowercase(),
        render::inert(&text)
    );
    reply.push_str(&careful_note(&text));
    ctx.send(render::ephemeral(reply)).await?;
    Ok(())
}

/// A note for the facilitator when a text uses wording safe-messaging
/// guidance avoids (empty when it does not): what it is and why, so they
/// can reword or remove it. Nothing is refused for it.
pub fn careful_note(text: &str) -> String {
    match library::harmful(text) {
        None => String::new(),
        Some(p) => format!(
            "\n\u{26a0}\u{fe0f} Please look again: it says \u{201c}{}\u{201d}, which safe-messaging guidance avoids ({}). \
             `/prompt list` can remove it, and `/prompt add` add it reworded.",
            p.phrase, p.reason
        ),
    }
}

/// What is wrong with a text a member or facilitator wrote, kindly.
pub fn text_error(p: TextProblem, what: &str) -> Error {
    Error::member(match p {
        TextProblem::Empty => {
            format!("The {what} is empty. Please write something. Nothing was saved.")
        }
        TextProblem::TooLong { max, len } => format!(
            "A {what} can be at most {max} characters; yours has {len}. Please shorten it. Nothing was saved."
        ),
        TextProblem::Mentions => format!(
            "Please leave mentions (@everyone, @here, people or roles) out of the {what}. Nothing was saved."
        ),
    })
}

/// Built-in and own prompts, paged, to hide or show
#[poise::command(slash_command, guild_only, custom_data = "Access::Facilitator")]
async fn list(
    ctx: Context<'_>,
    #[description = "Only this category (default: all)"] category: Option<CategoryChoice>,
) -> Result<(), Error> {
    let guild = super::server(ctx)?;
    let view = list_view(ctx.data(), guild, 0, category.map(Category::from)).await?;
    ctx.send(view.ephemeral_reply()).await?;
    Ok(())
}

/// One page of the server's prompts, with a hide/show/remove button for
/// each and paging.
async fn list_view(
    data: &Data,
    guild: GuildId,
    page: u16,
    category: Option<Category>,
) -> Result<View, Error> {
    let hidden = data.db.hidden_prompts(guild).await?;
    let own = data.db.server_prompts(guild).await?;
    // Everything in the category: built-ins (hidden ones too) and own ones.
    let mut entries: Vec<(PromptKey, String, bool)> = library::prompts()
        .iter()
        .filter(|p| category.is_none_or(|c| c == p.category))
        .filter_map(|p| {
            Some((
                PromptKey::BuiltIn(p.category, library::number_of(&p.id)?),
                p.text.clone(),
                hidden.contains(&p.id),
            ))
        })
        .collect();
    entries.extend(
        own.into_iter()
            .filter(|p| category.is_none_or(|c| c == p.category))
            .map(|p| (PromptKey::Own(p.id), p.text, false)),
    );
    let pages = entries.len().div_ceil(PAGE).max(1);
    let page = usize::from(page).min(pages - 1);
    let shown = &entries[(page * PAGE).min(entries.len())..((page + 1) * PAGE).min(entries.len())];
    let lines: Vec<String> = shown
        .iter()
        .enumerate()
        .map(|(i, (key, text, is_hidden))| {
            let tag = match (key, is_hidden) {
                (PromptKey::Own(_), _) => " · *your own*",
                (_, true) => " · *hidden*",
                _ => "",
            };
            format!("**{}.** {}{tag}", i + 1, render::member_field(text))
        })
        .collect();
    let title = match category {
        Some(c) => format!("{} prompts", c.label()),
        None => "Prompts".to_owned(),
    };
    let embed = render::embed(&title)
        .description(if lines.is_empty() {
            "No prompts here yet. `/prompt add` adds your own.".to_owned()
        } else {
            render::description(lines.join("\n\n"))
        })
        .footer(serenity::CreateEmbedFooter::new(format!(
            "Page {} of {pages} · hidden prompts are left out of the rotation",
            page + 1
        )));
    let page16 = page as u16;
    let toggles: Vec<serenity::CreateButton> = shown
        .iter()
        .enumerate()
        .map(|(i, (key, _, is_hidden))| match key {
            PromptKey::Own(id) => serenity::CreateButton::new(
                CustomId::PromptRemove {
                    id: *id,
                    page: page16,
                    category,
                }
                .encode(),
            )
            .label(format!("Remove {}", i + 1))
            .style(serenity::ButtonStyle::Danger),
            builtin => serenity::CreateButton::new(
                CustomId::PromptHide {
                    prompt: *builtin,
                    hide: !is_hidden,
                    page: page16,
                    category,
                }
                .encode(),
            )
            .label(format!(
                "{} {}",
                if *is_hidden { "Show" } else { "Hide" },
                i + 1
            ))
            .style(serenity::ButtonStyle::Secondary),
        })
        .collect();
    let mut rows = Vec::new();
    if !toggles.is_empty() {
        rows.push(serenity::CreateActionRow::Buttons(toggles));
    }
    rows.push(paging(page, pages, |p| CustomId::PromptPage {
        page: p,
        category,
    }));
    Ok(View::embed(embed).with_components(rows))
}

/// Previous / next buttons for a paged view.
pub fn paging(
    page: usize,
    pages: usize,
    id: impl Fn(u16) -> CustomId,
) -> serenity::CreateActionRow {
    let prev = serenity::CreateButton::new(id(page.saturating_sub(1) as u16).encode())
        .label("Previous")
        .style(serenity::ButtonStyle::Secondary)
        .disabled(page == 0);
    // Discord refuses two buttons with one id: the next button's id differs
    // from the previous one's even on a single page.
    let next = serenity::CreateButton::new(id((page + 1).min(pages) as u16).encode())
        .label("Next")
        .style(serenity::ButtonStyle::Secondary)
        .disabled(page + 1 >= pages);
    serenity::CreateActionRow::Buttons(vec![prev, next])
}

/// A page button of `/prompt list`.
pub async fn on_page(
    data: &Data,
    guild: GuildId,
    page: u16,
    category: Option<Category>,
) -> Result<Reply, Error> {
    Ok(Reply::Update(list_view(data, guild, page, category).await?))
}

/// Hide or show a built-in prompt from `/prompt list`.
pub async fn on_hide(
    data: &Data,
    guild: GuildId,
    prompt: PromptKey,
    hide: bool,
    page: u16,
    category: Option<Category>,
) -> Result<Reply, Error> {
    let key = prompt.as_key();
    if library::prompt(&key).is_none() {
        return Err(Error::member("That prompt no longer exists."));
    }
    data.db.set_prompt_hidden(guild, &key, hide).await?;
    Ok(Reply::Update(list_view(data, guild, page, category).await?))
}

/// Remove one of the server's own prompts from `/prompt list`.
pub async fn on_remove(
    data: &Data,
    guild: GuildId,
    id: i64,
    page: u16,
    category: Option<Category>,
) -> Result<Reply, Error> {
    data.db.remove_server_prompt(guild, id).await?;
    Ok(Reply::Update(list_view(data, guild, page, category).await?))
}
