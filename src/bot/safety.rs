//! Member safety tools anyone can use: `/cw` (a message behind a spoiler
//! under a content-warning header), `/break` (a self-timeout with a DM
//! button to come back early) and `/guidelines` (the group's agreements).

use poise::serenity_prelude as serenity;

use super::reply::Reply;
use super::{Context, Data, Error, author, render, server};
use crate::domain::custom_id::CustomId;
use crate::domain::moderation::{self as rules, DurationUse, GUIDELINES_MAX};
use crate::domain::settings::Access;
use crate::domain::{ChannelId, GuildId, UserId};
use crate::rest::RestError;
use crate::store::CwPost;

/// Post your message behind a spoiler, headed by a content warning
#[poise::command(slash_command, guild_only)]
pub async fn cw(
    ctx: Context<'_>,
    #[description = "What the warning is for, like: loss, self-harm, food"]
    #[max_length = 100]
    topic: String,
    #[description = "Your message"]
    #[max_length = 1800]
    text: String,
) -> Result<(), Error> {
    if topic.trim().is_empty() || text.trim().is_empty() {
        return Err(Error::member(
            "Please give both the topic of the warning and your message.",
        ));
    }
    if !super::can_post_here(ctx) {
        return Err(Error::member(
            "You can't post in this channel, so I haven't posted it for you either.",
        ));
    }
    let post = rules::cw_post(&topic, &format!("<@{}>", ctx.author().id), &text);
    if post.chars().count() > rules::MESSAGE_MAX {
        return Err(Error::member(
            "That is a little too long to post in one message once the warning is added. \
             Please shorten it (or split it into two `/cw` posts).",
        ));
    }
    ctx.defer_ephemeral().await?;
    let data = ctx.data();
    let me = author(ctx);
    let channel = ChannelId(ctx.channel_id().get());
    wait_for_slowmode(ctx, channel, me).await?;
    let posted = data
        .rest
        .send(
            ctx.channel_id(),
            serenity::CreateMessage::new()
                .content(post)
                .allowed_mentions(serenity::CreateAllowedMentions::new()),
        )
        .await
        .map_err(|e| match e {
            RestError::Transient(_) => Error::Internal(anyhow::anyhow!("posting a /cw: {e}")),
            _ => Error::member(
                "I couldn't post it in this channel (I may not be allowed to write here). Your words weren't posted anywhere; you could ask a facilitator.",
            ),
        })?;
    // The post is its author's: forget, purge, bans and reports reach it.
    let record = CwPost {
        guild: server(ctx)?,
        channel,
        message: posted.id.get(),
        author: me,
        at: data.clock.now(),
    };
    if let Err(e) = data.db.add_cw_post(&record).await {
        // A post Haven cannot tie to its author could never be forgotten
        // with them: taken down again.
        if let Err(gone) = data.rest.delete(posted.channel_id, posted.id).await {
            tracing::warn!(error = %gone, "cannot take down a /cw post that was not recorded");
        }
        return Err(Error::Internal(
            anyhow::Error::new(e).context("recording a /cw post's author"),
        ));
    }
    ctx.send(render::ephemeral(
        "Posted behind a spoiler with your content warning. Thank you for looking out for the group.",
    ))
    .await?;
    Ok(())
}

/// Holds `/cw` to the channel's slowmode, as Discord holds a member's own
/// messages: by the member's last `/cw` post there. Those Discord exempts
/// (Manage Messages or Manage Channels) are exempt here too.
async fn wait_for_slowmode(ctx: Context<'_>, channel: ChannelId, me: UserId) -> Result<(), Error> {
    let exempt = match ctx {
        poise::Context::Application(app) => app
            .interaction
            .member
            .as_ref()
            .and_then(|m| m.permissions)
            .is_some_and(|p| p.manage_messages() || p.manage_channels() || p.administrator()),
        poise::Context::Prefix(_) => false,
    };
    if exempt {
        return Ok(());
    }
    let data = ctx.data();
    let slowmode = match ctx.guild_channel().await {
        Some(c) => u32::from(c.rate_limit_per_user.unwrap_or(0)),
        None => 0,
    };
    if slowmode == 0 {
        return Ok(());
    }
    let Some(last) = data.db.last_cw_post(channel, me).await? else {
        return Ok(());
    };
    let next = last + chrono::Duration::seconds(i64::from(slowmode));
    if next > data.clock.now() {
        return Err(Error::member(format!(
            "This channel has a slowmode of {slowmode} seconds, and `/cw` keeps to it too. You can post again <t:{}:R>.",
            next.timestamp()
        )));
    }
    Ok(())
}

/// Step away for a while: I time you out of this server, and a DM lets you come back early
#[poise::command(slash_command, guild_only, rename = "break")]
pub async fn take_break(
    ctx: Context<'_>,
    #[description = "How long, like 30m, 2h or 1d (at most 7d)"] duration: String,
) -> Result<(), Error> {
    let length = super::moderation::duration(&duration, DurationUse::Break)?;
    ctx.defer_ephemeral().await?;
    let data = ctx.data();
    let guild = server(ctx)?;
    let me = author(ctx);
    let until = data.clock.now() + length;
    let name = ctx
        .guild()
        .map(|g| g.name.clone())
        .unwrap_or_else(|| "the server".to_owned());
    data.rest
        .timeout(
            serenity::GuildId::new(guild.0),
            ctx.author().id,
            Some(until),
            "Took a break at their own request",
        )
        .await
        .map_err(|e| match e {
            e if e.is_refusal() => Error::member(
                "Discord won't let me pause your posting here (your role may be above mine, or I lack Moderate Members). \
                 You can still step away: muting the server works too.",
            ),
            other => Error::Internal(anyhow::anyhow!("break: {other}")),
        })?;
    let button = serenity::CreateActionRow::Buttons(vec![
        serenity::CreateButton::new(
            CustomId::BreakEnd {
                guild: guild.0,
                user: me.0,
                until: Some(until.timestamp()),
            }
            .encode(),
        )
        .label("Come back now")
        .style(serenity::ButtonStyle::Primary),
    ]);
    let dm = data
        .rest
        .dm(
            ctx.author().id,
            serenity::CreateMessage::new()
                .content(rules::break_text(&name, until))
                .components(vec![button]),
        )
        .await;
    let early = if dm.is_ok() {
        "I've sent you a direct message with a button to come back early."
    } else {
        "Your direct messages are closed, so to come back early ask a facilitator to run `/mod untimeout`."
    };
    ctx.send(render::ephemeral(format!(
        "Your break has started and ends <t:{}:F>. Take care of yourself. {early}",
        until.timestamp()
    )))
    .await?;
    Ok(())
}

/// The "Come back now" button on the break DM.
pub async fn end_break(
    data: &Data,
    guild: u64,
    user: UserId,
    until: Option<i64>,
) -> Result<Reply, Error> {
    // A button of an older version does not say when its break ends, so it
    // cannot tell the break from a timeout a moderator or AutoMod set since:
    // it lifts nothing.
    let Some(until) = until else {
        return Err(Error::member(
            "This button is from an older version of Haven, so it can't tell your break apart from other timeouts. \
             Nothing was changed; run `/break` again for a fresh one, or ask a facilitator.",
        ));
    };
    // The button ends a break, never a timeout someone else set since (a
    // facilitator, through Haven or Discord itself): the member's timeout
    // must still end when the break does.
    {
        let member = data
            .rest
            .http()
            .get_member(serenity::GuildId::new(guild), serenity::UserId::new(user.0))
            .await;
        // Discord keeps a timeout's end after it has passed.
        let now = data.clock.now().timestamp();
        let ends = match member {
            Ok(m) => m
                .communication_disabled_until
                .map(|t| t.unix_timestamp())
                .filter(|end| *end > now),
            Err(e) if matches!(crate::rest::classify(&e), crate::rest::Failure::Gone) => {
                return Err(Error::member(
                    "I couldn't end your break from here (you may have left the server). A facilitator can end it with `/mod untimeout`.",
                ));
            }
            Err(e) => return Err(Error::Internal(e.into())),
        };
        match ends {
            None => {
                return Ok(Reply::Replace(
                    "Your break has already ended. Welcome back whenever you're ready.".to_owned(),
                ));
            }
            Some(end) if end != until => {
                return Err(Error::member(
                    "A facilitator's timeout is in place now, so this button can't end it. \
                     If you'd like to talk about it, a facilitator can help.",
                ));
            }
            Some(_) => {}
        }
    }
    let now = data.clock.now();
    let timeouts = data
        .db
        .cases_about(crate::domain::GuildId(guild), user, 20)
        .await?;
    // The newest timeout or untimeout decides (cases come newest first): a
    // timeout a facilitator already lifted no longer blocks the button.
    use crate::domain::moderation::CaseKind;
    if let Some(until) = timeouts
        .iter()
        .find(|c| matches!(c.kind, CaseKind::Timeout | CaseKind::Untimeout))
        .filter(|c| c.kind == CaseKind::Timeout)
        .and_then(|c| c.until)
        .filter(|until| *until > now)
    {
        return Err(Error::member(format!(
            "A facilitator's timeout is in place until <t:{}:F>, so this button can't end it. \
             If you'd like to talk about it, a facilitator can help.",
            until.timestamp()
        )));
    }
    match data
        .rest
        .timeout(
            serenity::GuildId::new(guild),
            serenity::UserId::new(user.0),
            None,
            "Came back early from a break",
        )
        .await
    {
        Ok(()) => Ok(Reply::Replace(
            "Welcome back. You can post again whenever you're ready.".to_owned(),
        )),
        Err(e) if e.is_refusal() => Err(Error::member(
            "I couldn't end your break from here (you may have left the server). A facilitator can end it with `/mod untimeout`.",
        )),
        Err(e) => Err(Error::Internal(anyhow::anyhow!("end break: {e}"))),
    }
}

/// The group's agreements
#[poise::command(
    slash_command,
    guild_only,
    subcommands("show", "set"),
    subcommand_required
)]
pub async fn guidelines(_ctx: Context<'_>) -> Result<(), Error> {
    Ok(())
}

/// Read the group's guidelines
#[poise::command(slash_command, guild_only)]
async fn show(ctx: Context<'_>) -> Result<(), Error> {
    let guild = server(ctx)?;
    let text = ctx.data().db.guidelines(guild).await?;
    let reply = match text {
        Some(t) => render::ephemeral_embed(
            render::embed("Our guidelines").description(render::member_description(t)),
        ),
        None => render::ephemeral(
            "This group hasn't written its guidelines down in Haven yet. An admin can add them with `/guidelines set`.",
        ),
    };
    ctx.send(reply).await?;
    Ok(())
}

#[derive(Debug, poise::Modal)]
#[name = "The group's guidelines"]
struct GuidelinesForm {
    #[name = "Guidelines"]
    #[paragraph]
    #[max_length = 4000]
    text: String,
}

/// Write or edit the group's guidelines (in a form)
#[poise::command(slash_command, guild_only, custom_data = "Access::Admin")]
async fn set(ctx: Context<'_>) -> Result<(), Error> {
    let guild: GuildId = server(ctx)?;
    let poise::Context::Application(app) = ctx else {
        return Err(Error::member(
            "Please use `/guidelines set` as a slash command.",
        ));
    };
    let current = ctx.data().db.guidelines(guild).await?;
    // The form is answered by the router whenever it is submitted (no
    // command waits for it, so neither a slow submit nor a restart loses it).
    let form = <GuidelinesForm as poise::Modal>::create(
        current.map(|text| GuidelinesForm { text }),
        crate::domain::custom_id::CustomId::GuidelinesForm.encode(),
    );
    app.interaction.create_response(ctx.http(), form).await?;
    app.has_sent_initial_response
        .store(true, std::sync::atomic::Ordering::SeqCst);
    Ok(())
}

/// The guidelines form was submitted: saved if an admin sent it.
pub async fn on_guidelines_form(
    ctx: &serenity::Context,
    data: &super::Data,
    press: &serenity::ModalInteraction,
) {
    let text = super::forms::form_field(press, "text").unwrap_or_default();
    let admin = press
        .member
        .as_ref()
        .is_some_and(|m| super::checks::standing_of(m, None).allows(Access::Admin));
    let outcome = match press.guild_id {
        None => Err(Error::member("Guidelines belong to a server.")),
        Some(_) if !admin => Err(Error::member(
            "Only members with the Manage Server permission can change the guidelines. Nothing was changed.",
        )),
        Some(_) if text.is_empty() || text.chars().count() > GUIDELINES_MAX => Err(Error::member(
            "Guidelines need some text, at most 4,000 characters. Nothing was changed.",
        )),
        Some(guild) => data
            .db
            .set_guidelines(GuildId(guild.get()), &text, data.clock.now())
            .await
            .map(|()| {
                "Saved. Everyone can read them with `/guidelines show`, and moderation messages carry them."
                    .to_owned()
            })
            .map_err(Error::from),
    };
    super::forms::answer_form(ctx, press, outcome, "saving guidelines").await;
}
