//! `/strategy browse|share|review` and `/toolkit`: coping strategies, the
//! built-in ones and the group's own (shared by members, approved by a
//! facilitator), and each member's private toolkit of saved ones.

use poise::serenity_prelude as serenity;

use super::prompts::{CategoryChoice, paging, text_error};
use super::reply::{Reply, View};
use super::{Context, Data, Error, render};
use crate::domain::custom_id::{CustomId, StrategyKey};
use crate::domain::library::{
    self, Category, MAX_STRATEGY, Sensitive, check_text, matches_words, search_words,
};
use crate::domain::settings::Access;
use crate::domain::{GuildId, UserId};
use crate::rest::RestError;
use crate::store::{Shared, SharedStatus};

/// At most this many of a member's strategies wait at once in a server.
const MAX_WAITING: i64 = 5;
/// Strategies on a page of `/toolkit`.
const TOOLKIT_PAGE: usize = 5;
const SEARCH_MARK: &str = " · search: ";

/// Coping strategies: browse them, or share one with the group
#[poise::command(
    slash_command,
    guild_only,
    subcommands("browse", "share", "review"),
    subcommand_required
)]
pub async fn strategy(_ctx: Context<'_>) -> Result<(), Error> {
    Ok(())
}

/// One strategy as shown: built-in or shared.
enum Item {
    BuiltIn(&'static library::Strategy),
    Shared(Shared),
}

impl Item {
    fn key(&self) -> StrategyKey {
        match self {
            Item::BuiltIn(s) => {
                StrategyKey::BuiltIn(s.category, library::number_of(&s.id).unwrap_or(0))
            }
            Item::Shared(s) => StrategyKey::Shared(s.id),
        }
    }
}

/// Finds a strategy by key, a shared one only if approved in `guild`.
async fn find(
    data: &Data,
    guild: Option<GuildId>,
    key: StrategyKey,
) -> Result<Option<Item>, Error> {
    Ok(match key {
        StrategyKey::BuiltIn(..) => library::strategy(&key.as_key()).map(Item::BuiltIn),
        StrategyKey::Shared(id) => data
            .db
            .shared_strategy(id)
            .await?
            .filter(|s| s.status == SharedStatus::Approved && guild.is_none_or(|g| g == s.guild))
            .map(Item::Shared),
    })
}

/// Under every strategy: where to turn when a strategy is not enough.
const CRISIS_LINE: &str = "If you're struggling right now, /crisis lists people you can talk to.";

/// The card of one strategy: what to do, where it comes from.
fn card(item: &Item, sensitive: &Sensitive) -> serenity::CreateEmbed {
    match item {
        Item::BuiltIn(s) => render::embed(&s.title)
            .description(with_note(sensitive, s.category, s.text.clone()))
            .field("Category", s.category.label(), true)
            .field(
                "Read more",
                format!("[{}]({})", s.source_name, s.source),
                true,
            ),
        Item::Shared(s) => render::embed(&format!("From the group · {}", s.category.label()))
            .description(with_note(
                sensitive,
                s.category,
                render::member_description(&s.text),
            ))
            .field("Shared by", credit(s), true),
    }
}

/// Under every low-mood strategy: when to see a doctor, the safety plan,
/// and where to turn now.
const LOW_MOOD_LINE: &str = "If you're thinking about suicide, /crisis lists people you can talk to now, \
    and a safety plan can help (search `safety plan` in /strategy browse). \
    If low mood lasts more than two weeks, please talk to a doctor.";

/// A strategy's text after its category's content note, if it has one,
/// and before the line that says where to turn when it is not enough.
fn with_note(sensitive: &Sensitive, category: Category, text: String) -> String {
    let help = match category {
        Category::LowMood => LOW_MOOD_LINE,
        _ => CRISIS_LINE,
    };
    match sensitive.content_note(category) {
        Some(note) => format!("*{note}*\n\n{text}\n\n*{help}*"),
        None => format!("{text}\n\n*{help}*"),
    }
}

/// Page `page` of the strategies matching `category` and `search`: the
/// group's own first (newest first), then the built-in ones.
async fn browse_view(
    data: &Data,
    guild: GuildId,
    page: u16,
    category: Option<Category>,
    search: &str,
) -> Result<View, Error> {
    let words = search_words(search);
    let builtins: Vec<&'static library::Strategy> = library::strategies()
        .iter()
        .filter(|s| category.is_none_or(|c| c == s.category))
        .filter(|s| matches_words(&format!("{} {}", s.title, s.text), &words))
        .collect();
    let (shared_total, mut shared) = data
        .db
        .approved_strategy_at(guild, category, &words, u64::from(page))
        .await?;
    let total = shared_total as usize + builtins.len();
    if total == 0 {
        return Ok(View::text(
            "No strategies match that. Try fewer words, or another category.",
        ));
    }
    let page = usize::from(page).min(total - 1);
    if page < shared_total as usize && shared.is_none() {
        // A stale button past the end: fetch the last one instead.
        shared = data
            .db
            .approved_strategy_at(guild, category, &words, page as u64)
            .await?
            .1;
    }
    let item = if page < shared_total as usize {
        shared.take().map(Item::Shared)
    } else {
        builtins
            .get(page - shared_total as usize)
            .map(|s| Item::BuiltIn(s))
    };
    let Some(item) = item else {
        // The group's strategies changed under a stale button.
        return Ok(View::text(
            "The strategies changed while you were browsing. Please run `/strategy browse` again.",
        ));
    };
    let mut footer = format!("Strategy {} of {total}", page + 1);
    if !words.is_empty() {
        footer.push_str(SEARCH_MARK);
        footer.push_str(&words.join(" "));
    }
    let sensitive = data.db.sensitive_categories(guild).await?;
    let embed = card(&item, &sensitive).footer(serenity::CreateEmbedFooter::new(footer));
    let save = serenity::CreateButton::new(
        CustomId::StrategySave {
            strategy: item.key(),
        }
        .encode(),
    )
    .label("Save to my toolkit")
    .style(serenity::ButtonStyle::Success);
    let mut row = vec![save];
    if let Item::BuiltIn(s) = &item {
        row.push(serenity::CreateButton::new_link(&s.source).label("Read more"));
    }
    Ok(View::embed(embed).with_components(vec![
        serenity::CreateActionRow::Buttons(row),
        paging(page, total, |p| CustomId::StrategyPage {
            page: p,
            category,
        }),
    ]))
}

/// Browse coping strategies (only you see this)
#[poise::command(slash_command, guild_only)]
async fn browse(
    ctx: Context<'_>,
    #[description = "Only this category (default: all)"] category: Option<CategoryChoice>,
    #[description = "Words to look for, like breathing or sleep"]
    #[max_length = 60]
    search: Option<String>,
) -> Result<(), Error> {
    let guild = super::server(ctx)?;
    ctx.defer_ephemeral().await?;
    let view = browse_view(
        ctx.data(),
        guild,
        0,
        category.map(Category::from),
        search.as_deref().unwrap_or(""),
    )
    .await?;
    ctx.send(view.ephemeral_reply()).await?;
    Ok(())
}

/// A page button of `/strategy browse`; the search is read back from the card.
pub async fn on_page(
    data: &Data,
    press: &serenity::ComponentInteraction,
    page: u16,
    category: Option<Category>,
) -> Result<Reply, Error> {
    let Some(guild) = press.guild_id else {
        return Err(Error::member("This works inside a server."));
    };
    let search = press
        .message
        .embeds
        .first()
        .and_then(|e| e.footer.as_ref())
        .and_then(|f| f.text.split_once(SEARCH_MARK).map(|(_, s)| s.to_owned()))
        .unwrap_or_default();
    Ok(Reply::Update(
        browse_view(data, GuildId(guild.get()), page, category, &search).await?,
    ))
}

/// "Save to my toolkit".
pub async fn on_save(
    data: &Data,
    press: &serenity::ComponentInteraction,
    key: StrategyKey,
) -> Result<Reply, Error> {
    let guild = press.guild_id.map(|g| GuildId(g.get()));
    let Some(item) = find(data, guild, key).await? else {
        return Err(Error::member("That strategy is no longer available."));
    };
    let user = UserId(press.user.id.get());
    let new = data
        .db
        .save_to_toolkit(user, &item.key().as_key(), data.clock.now())
        .await?;
    Ok(Reply::Ephemeral(if new {
        "Saved to your toolkit. `/toolkit` shows what you've saved; only you can see it.".to_owned()
    } else {
        "That one is already in your toolkit (`/toolkit`).".to_owned()
    }))
}

/// Offer a coping strategy to the group (a facilitator approves it first)
#[poise::command(slash_command, guild_only)]
async fn share(
    ctx: Context<'_>,
    #[description = "What helps you, in a few sentences (at most 500 characters)"]
    #[max_length = 500]
    text: String,
    #[description = "Its category"] category: CategoryChoice,
    #[description = "True to be credited as \"a member\" instead of by name"] anonymous: Option<
        bool,
    >,
) -> Result<(), Error> {
    let guild = super::server(ctx)?;
    let data = ctx.data();
    let user = super::author(ctx);
    let text = check_text(&text, MAX_STRATEGY).map_err(|p| text_error(p, "strategy"))?;
    if data.db.waiting_from(guild, user).await? >= MAX_WAITING {
        return Err(Error::member(format!(
            "You already have {MAX_WAITING} strategies waiting for a facilitator here. Please wait until they've been looked at. Nothing was saved."
        )));
    }
    let anonymous = anonymous.unwrap_or(false);
    let credit = if anonymous {
        None
    } else {
        Some(
            ctx.author_member()
                .await
                .map(|m| m.display_name().to_owned())
                .unwrap_or_else(|| ctx.author().name.clone()),
        )
    };
    // Telling the facilitators can wait on Discord: answer first.
    ctx.defer_ephemeral().await?;
    let category = Category::from(category);
    let shared = data
        .db
        .share_strategy(
            guild,
            user,
            category,
            &text,
            credit.as_deref(),
            data.clock.now(),
        )
        .await?;
    let settings = data.db.guild_settings(guild).await?;
    if let Some(log) = settings.log_channel {
        let message = serenity::CreateMessage::new()
            .embed(review_card(&shared))
            .components(vec![decision_row(shared.id)])
            .allowed_mentions(serenity::CreateAllowedMentions::new());
        match data
            .rest
            .send(serenity::ChannelId::new(log.0), message)
            .await
        {
            Ok(m) => {
                data.db
                    .set_strategy_log_message(shared.id, m.id.get())
                    .await?
            }
            Err(e @ RestError::Transient(_)) => {
                tracing::warn!(error = %e, "cannot post a shared strategy to the log channel")
            }
            Err(e) => {
                tracing::info!(error = %e, "cannot post a shared strategy to the log channel")
            }
        }
    }
    ctx.send(render::ephemeral(format!(
        "Thank you for sharing. A facilitator will look at it; once approved it joins the group's strategies, credited to {}. \
         You'll see what they decided the next time you open `/toolkit`.",
        credit
            .map(|c| format!("**{}**", render::inert(&c)))
            .unwrap_or_else(|| "\"a member\"".into())
    )))
    .await?;
    Ok(())
}

/// Who a shared strategy is credited to: their display name as they chose
/// it (shown as typed), or "a member".
fn credit(s: &Shared) -> String {
    s.credit
        .as_deref()
        .map_or_else(|| "a member".to_owned(), render::member_field)
}

fn review_card(s: &Shared) -> serenity::CreateEmbed {
    let card = render::embed(&format!("A strategy to review · {}", s.category.label()))
        .description(render::member_description(&s.text))
        .field("Would be credited to", credit(s), true);
    // Never refused for its wording (a member's words about their own
    // life); the facilitator deciding is told what guidance avoids.
    let card = match library::harmful(&s.text) {
        None => card,
        Some(p) => card.field(
            "Please read carefully",
            format!(
                "It says \u{201c}{}\u{201d}: {}. Approve only if it is safe for anyone in the group to read.",
                p.phrase, p.reason
            ),
            false,
        ),
    };
    card.footer(serenity::CreateEmbedFooter::new(format!(
        "Shared strategy #{}",
        s.id
    )))
}

fn decision_row(id: i64) -> serenity::CreateActionRow {
    serenity::CreateActionRow::Buttons(vec![
        serenity::CreateButton::new(CustomId::StrategyDecide { id, approve: true }.encode())
            .label("Approve")
            .style(serenity::ButtonStyle::Success),
        serenity::CreateButton::new(CustomId::StrategyDecide { id, approve: false }.encode())
            .label("Reject")
            .style(serenity::ButtonStyle::Secondary),
    ])
}

/// Strategies members shared, waiting for a facilitator
#[poise::command(slash_command, guild_only, custom_data = "Access::Facilitator")]
async fn review(ctx: Context<'_>) -> Result<(), Error> {
    let guild = super::server(ctx)?;
    ctx.defer_ephemeral().await?;
    ctx.send(review_view(ctx.data(), guild).await?.ephemeral_reply())
        .await?;
    Ok(())
}

/// The first waiting strategy with its buttons, and how many wait.
async fn review_view(data: &Data, guild: GuildId) -> Result<View, Error> {
    let waiting = data
        .db
        .shared_strategies(guild, SharedStatus::Waiting)
        .await?;
    let Some(first) = waiting.first() else {
        return Ok(View::text(
            "Nothing is waiting. Thank you for looking after the group's strategies.",
        ));
    };
    Ok(View {
        content: Some(format!("{} waiting.", waiting.len())),
        embeds: vec![review_card(first)],
        components: vec![decision_row(first.id)],
    })
}

/// Approve or Reject, from `/strategy review` or the log channel.
pub async fn on_decide(
    data: &Data,
    press: &serenity::ComponentInteraction,
    guild: GuildId,
    id: i64,
    approve: bool,
) -> Result<Reply, Error> {
    let decided = data
        .db
        .decide_strategy(guild, id, approve, data.clock.now())
        .await?;
    let who = render::inert(
        press
            .member
            .as_ref()
            .map_or(press.user.name.as_str(), |m| m.display_name()),
    );
    let Some(s) = decided else {
        return Ok(Reply::Update(View::text(
            "Someone has already decided on this one.",
        )));
    };
    let outcome = if approve {
        format!("Approved by {who}: it's now among the group's strategies.")
    } else {
        format!(
            "Not added ({who}). Its author will hear gently the next time they open `/toolkit`."
        )
    };
    let from_review = press
        .message
        .flags
        .is_some_and(|f| f.contains(serenity::MessageFlags::EPHEMERAL));
    // From the ephemeral review: the card in the log channel loses its
    // buttons too, and the next one waiting is shown.
    if from_review {
        close_log_card(data, guild, s.id, &outcome, Some(review_card(&s))).await;
        let mut next = review_view(data, guild).await?;
        next.content = Some(format!("{outcome}\n{}", next.content.unwrap_or_default()));
        return Ok(Reply::Update(next));
    }
    Ok(Reply::Update(View {
        content: Some(outcome),
        embeds: vec![review_card(&s)],
        components: Vec::new(),
    }))
}

/// Your saved coping strategies (only you see this)
#[poise::command(slash_command)]
pub async fn toolkit(ctx: Context<'_>) -> Result<(), Error> {
    let user = super::author(ctx);
    let guild = ctx.guild_id().map(|g| GuildId(g.get()));
    ctx.defer_ephemeral().await?;
    let news = ctx.data().db.take_decisions(user).await?;
    let mut view = toolkit_view(ctx.data(), guild, user).await?;
    if !news.is_empty() {
        let lines: Vec<String> = news
            .iter()
            .map(|s| match s.status {
                SharedStatus::Approved => format!(
                    "Your {} strategy was approved and is now among the group's strategies. Thank you.",
                    s.category.label().to_lowercase()
                ),
                _ => format!(
                    "Your {} strategy wasn't added this time. That isn't a judgement of you; thank you for offering it.",
                    s.category.label().to_lowercase()
                ),
            })
            .collect();
        view.content = Some(format!(
            "{}\n\n{}",
            lines.join("\n"),
            view.content.unwrap_or_default()
        ));
    }
    ctx.send(view.ephemeral_reply()).await?;
    Ok(())
}

async fn toolkit_view(data: &Data, guild: Option<GuildId>, user: UserId) -> Result<View, Error> {
    let keys = data.db.toolkit(user).await?;
    let sensitive = match guild {
        Some(g) => data.db.sensitive_categories(g).await?,
        None => Sensitive::default(),
    };
    let note = |category: Category| {
        sensitive
            .content_note(category)
            .map(|n| format!("*{n}*\n"))
            .unwrap_or_default()
    };
    let mut items = Vec::new();
    for key in &keys {
        if let Some(k) = StrategyKey::parse(key)
            && let Some(item) = find(data, guild, k).await?
        {
            items.push(item);
        }
    }
    if items.is_empty() {
        return Ok(View::text(
            "Your toolkit is empty. `/strategy browse` has strategies you can save here; only you will see them.",
        ));
    }
    let shown: Vec<&Item> = items.iter().take(TOOLKIT_PAGE * 2).collect();
    let lines: Vec<String> = shown
        .iter()
        .enumerate()
        .map(|(i, item)| match item {
            Item::BuiltIn(s) => format!(
                "**{}. {}**\n{}{}\n[{}]({})",
                i + 1,
                s.title,
                note(s.category),
                s.text,
                s.source_name,
                s.source
            ),
            Item::Shared(s) => format!(
                "**{}. From the group**\n{}{}",
                i + 1,
                note(s.category),
                render::inert(&s.text)
            ),
        })
        .collect();
    let embed = render::embed("Your toolkit")
        .description(render::description(lines.join("\n\n")))
        .footer(serenity::CreateEmbedFooter::new(
            if items.len() > shown.len() {
                format!(
                    "Showing {} of {}. Only you can see this. {CRISIS_LINE}",
                    shown.len(),
                    items.len()
                )
            } else {
                format!("Only you can see this. {CRISIS_LINE}")
            },
        ));
    let rows: Vec<serenity::CreateActionRow> = shown
        .chunks(TOOLKIT_PAGE)
        .enumerate()
        .map(|(r, chunk)| {
            serenity::CreateActionRow::Buttons(
                chunk
                    .iter()
                    .enumerate()
                    .map(|(i, item)| {
                        serenity::CreateButton::new(
                            CustomId::ToolkitRemove {
                                strategy: item.key(),
                            }
                            .encode(),
                        )
                        .label(format!("Remove {}", r * TOOLKIT_PAGE + i + 1))
                        .style(serenity::ButtonStyle::Secondary)
                    })
                    .collect(),
            )
        })
        .collect();
    Ok(View::embed(embed).with_components(rows))
}

/// "Remove n" on `/toolkit`.
pub async fn on_remove(
    data: &Data,
    press: &serenity::ComponentInteraction,
    key: StrategyKey,
) -> Result<Reply, Error> {
    let user = UserId(press.user.id.get());
    data.db.remove_from_toolkit(user, &key.as_key()).await?;
    let guild = press.guild_id.map(|g| GuildId(g.get()));
    let mut view = toolkit_view(data, guild, user).await?;
    view.content = Some(match view.content.take() {
        Some(text) => format!("Removed. {text}"),
        None => "Removed.".to_owned(),
    });
    Ok(Reply::Update(view))
}

/// Replaces a shared strategy's card in the log channel (its buttons go):
/// with the decision, or (after its author asked Haven to forget them)
/// with a line that keeps nothing of theirs.
pub async fn close_log_card(
    data: &Data,
    guild: GuildId,
    id: i64,
    text: &str,
    embed: Option<serenity::CreateEmbed>,
) {
    if let Ok(Some(message)) = data.db.strategy_log_message(id).await {
        edit_log_card(data, guild, message, text, embed).await;
    }
}

/// Replaces a card in the server's log channel with `text` (and `embed`).
pub async fn edit_log_card(
    data: &Data,
    guild: GuildId,
    message: u64,
    text: &str,
    embed: Option<serenity::CreateEmbed>,
) {
    let edit = serenity::EditMessage::new()
        .content(text)
        .embeds(embed.into_iter().collect())
        .components(Vec::new());
    crate::scheduler::edit_in_log(
        &data.db,
        &data.rest,
        guild,
        None,
        message,
        edit,
        "a shared strategy's card",
    )
    .await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::library::wording;

    /// The lines under every card are held to the list, and the low-mood
    /// one puts the crisis lines first.
    #[test]
    fn the_lines_under_the_cards_are_safe() {
        for text in [CRISIS_LINE, LOW_MOOD_LINE] {
            assert_eq!(wording("card", text), Vec::<String>::new());
        }
        let crisis = LOW_MOOD_LINE.find("/crisis").unwrap();
        assert!(crisis < LOW_MOOD_LINE.find("safety plan").unwrap());
        assert!(crisis < LOW_MOOD_LINE.find("doctor").unwrap());
        for c in Category::ALL {
            let marked = Sensitive::with_marked([c]);
            if let Some(note) = marked.content_note(c) {
                assert_eq!(wording(c.as_str(), &note), Vec::<String>::new());
            }
        }
    }
}
