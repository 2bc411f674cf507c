//! Members' safety tools on a message: "Report to facilitators" (anyone)
//! and "Needs a content warning" (facilitators).

use poise::serenity_prelude as serenity;

use super::super::router::{Reply, View};
use super::super::{Context, Data, Error, author, checks, render, server};
use super::standing::{dm_note, situation};
use super::{discord_refusal, log, refused};
use crate::domain::crisis;
use crate::domain::custom_id::CustomId;
use crate::domain::moderation::{
    self as rules, CaseKind, REPORT_WINDOW_MINUTES, REPORTS_PER_WINDOW, ReportKind, ReportStatus,
    may_act, wants_name_shared,
};
use crate::domain::settings::Access;
use crate::domain::text::truncate;
use crate::domain::{ChannelId, UserId};
use crate::store::{NewCase, NewReport, Report};

fn message_link(guild: u64, channel: u64, message: u64) -> String {
    format!("https://discord.com/channels/{guild}/{channel}/{message}")
}

/// The log channel's embed for a report.
fn report_embed(r: &Report) -> serenity::CreateEmbed {
    let who = match (r.named, r.reporter) {
        (true, Some(u)) => format!("<@{}>", u.0),
        _ => "A member (they chose not to be named)".to_owned(),
    };
    let mut embed = render::embed(&format!("Report #{} · {}", r.id, r.kind.label()))
        .field(
            "Message",
            message_link(r.guild.0, r.channel.0, r.message),
            false,
        )
        .field(
            "Excerpt",
            render::field(format!("> {}", r.excerpt.replace('\n', " "))),
            false,
        )
        .field("Reported by", who, true)
        .field("Status", r.status.as_str(), true);
    if let Some(note) = &r.note {
        embed = embed.field("Their note", render::field(note), false);
    }
    if r.kind == ReportKind::NeedsSupport {
        embed = embed.field(
            "If someone may be in danger",
            format!(
                "Reach out gently and privately, give no advice, and tell an admin. If life is at risk, contact emergency services. \
                 Crisis lines by country: `/crisis` or {}.",
                crisis::DIRECTORY
            ),
            false,
        );
    }
    embed
}

fn status_buttons(id: i64, status: ReportStatus) -> Vec<serenity::CreateActionRow> {
    let mut buttons = Vec::new();
    if status == ReportStatus::Open {
        buttons.push(
            serenity::CreateButton::new(
                CustomId::ReportStatus {
                    id,
                    resolved: false,
                }
                .encode(),
            )
            .label("Acknowledge")
            .style(serenity::ButtonStyle::Primary),
        );
    }
    if status != ReportStatus::Resolved {
        buttons.push(
            serenity::CreateButton::new(CustomId::ReportStatus { id, resolved: true }.encode())
                .label("Resolved")
                .style(serenity::ButtonStyle::Success),
        );
    }
    if buttons.is_empty() {
        Vec::new()
    } else {
        vec![serenity::CreateActionRow::Buttons(buttons)]
    }
}

/// Report a message to the facilitators (privately)
#[poise::command(context_menu_command = "Report to facilitators", guild_only)]
pub async fn report(ctx: Context<'_>, message: serenity::Message) -> Result<(), Error> {
    server(ctx)?;
    let data = ctx.data();
    let now = data.clock.now();
    let recent = data
        .db
        .reports_made_since(
            author(ctx),
            now - chrono::Duration::minutes(REPORT_WINDOW_MINUTES),
        )
        .await?;
    if recent >= REPORTS_PER_WINDOW {
        return Err(Error::member(
            "You've sent several reports in the last few minutes; the facilitators have them. \
             If someone is in danger right now, please contact emergency services; `/crisis` lists support lines.",
        ));
    }
    let poise::Context::Application(app) = ctx else {
        return Err(Error::member(
            "Please use this from the message's Apps menu.",
        ));
    };
    // The form carries what it is about, so its answer needs no waiting
    // command: it works however busy Haven is, and across a restart.
    let id = CustomId::ReportForm {
        channel: message.channel_id.get(),
        message: message.id.get(),
        author: message.author.id.get(),
    }
    .encode();
    let input = |style, label: &str, field: &str, placeholder: &str, max: u16, required: bool| {
        serenity::CreateActionRow::InputText(
            serenity::CreateInputText::new(style, label, field)
                .placeholder(placeholder)
                .max_length(max)
                .required(required),
        )
    };
    let form = serenity::CreateModal::new(id, "Report to facilitators").components(vec![
        input(
            serenity::InputTextStyle::Short,
            "What's wrong?",
            "what",
            "harmful, content warning, support (someone may need it) or other",
            60,
            true,
        ),
        input(
            serenity::InputTextStyle::Paragraph,
            "A note for the facilitators (optional)",
            "note",
            "Anything that helps them understand",
            500,
            false,
        ),
        input(
            serenity::InputTextStyle::Short,
            "Share your name with facilitators?",
            "share",
            "no (type yes to let them know it was you)",
            10,
            false,
        ),
    ]);
    app.interaction
        .create_response(ctx, serenity::CreateInteractionResponse::Modal(form))
        .await?;
    app.has_sent_initial_response
        .store(true, std::sync::atomic::Ordering::SeqCst);
    Ok(())
}

/// The report form's answer: thank the reporter at once, then record it
/// and post it to the log channel.
pub async fn on_report_form(
    ctx: &serenity::Context,
    data: &Data,
    press: &serenity::ModalInteraction,
    channel: u64,
    message: u64,
    author_id: u64,
) {
    let Some(guild) = press.guild_id.map(|g| crate::domain::GuildId(g.get())) else {
        return;
    };
    let kind = ReportKind::from_answer(
        &super::super::router::form_field(press, "what").unwrap_or_default(),
    );
    let named = wants_name_shared(super::super::router::form_field(press, "share").as_deref());
    let settings = match data.db.guild_settings(guild).await {
        Ok(s) => s,
        Err(e) => {
            let text = super::super::error::log_internal(&e.into(), "report form");
            let _ = press
                .create_response(
                    ctx,
                    serenity::CreateInteractionResponse::Message(
                        serenity::CreateInteractionResponseMessage::new()
                            .content(text)
                            .ephemeral(true),
                    ),
                )
                .await;
            return;
        }
    };
    let mut text = String::from(
        "Thank you for telling us. The facilitators will look at it; nobody else can see this.",
    );
    if !named {
        text.push_str(" They won't be told it was you.");
    }
    if settings.log_channel.is_none() {
        text.push_str(" (This server has no log channel set up, so please also reach a facilitator directly.)");
    }
    if kind == ReportKind::NeedsSupport {
        text.push_str(
            "\nIf someone is in danger right now, please contact emergency services. `/crisis` lists support lines you can share.",
        );
    }
    // Answered first, well inside Discord's 3 seconds.
    if let Err(e) = press
        .create_response(
            ctx,
            serenity::CreateInteractionResponse::Message(
                serenity::CreateInteractionResponseMessage::new()
                    .content(text)
                    .ephemeral(true),
            ),
        )
        .await
    {
        tracing::warn!(error = %e, "could not thank a reporter");
    }
    let excerpt = match data
        .rest
        .http()
        .get_message(
            serenity::ChannelId::new(channel),
            serenity::MessageId::new(message),
        )
        .await
    {
        Ok(m) => truncate(&m.content, 200),
        Err(_) => "(the message could not be read; it may have been deleted)".to_owned(),
    };
    let new = NewReport {
        guild,
        reporter: UserId(press.user.id.get()),
        named,
        kind,
        note: super::super::router::form_field(press, "note"),
        channel: ChannelId(channel),
        message,
        author: Some(UserId(author_id)),
        excerpt,
        at: data.clock.now(),
    };
    let stored = match data.db.add_report(&new).await {
        Ok(id) => data.db.report(id).await.ok().flatten(),
        Err(e) => {
            tracing::error!(guild = guild.0, error = %e, "a report could not be stored");
            None
        }
    };
    let (Some(log_channel), Some(stored)) = (settings.log_channel, stored) else {
        return;
    };
    let mut post = serenity::CreateMessage::new()
        .embed(report_embed(&stored))
        .components(status_buttons(stored.id, ReportStatus::Open));
    match (kind.pages_facilitators(), settings.facilitator_role) {
        (true, Some(role)) => {
            post = post
                .content(format!(
                    "{} someone may need support.",
                    render::role_mention(role.0)
                ))
                .allowed_mentions(
                    serenity::CreateAllowedMentions::new()
                        .roles(vec![serenity::RoleId::new(role.0)]),
                );
        }
        _ => post = post.allowed_mentions(serenity::CreateAllowedMentions::new()),
    }
    match data
        .rest
        .send(serenity::ChannelId::new(log_channel.0), post)
        .await
    {
        Ok(m) => {
            if let Err(e) = data.db.set_report_log_message(stored.id, m.id.get()).await {
                tracing::warn!(error = %e, "cannot remember a report's log message");
            }
        }
        Err(e) => {
            tracing::warn!(guild = guild.0, report = stored.id, error = %e, "cannot post a report to the log channel")
        }
    }
}

/// Acknowledge or Resolved on a report in the log channel.
pub async fn on_report_status(
    data: &Data,
    press: &serenity::ComponentInteraction,
    id: i64,
    resolved: bool,
) -> Result<Reply, Error> {
    checks::require_facilitator(data, press).await?;
    let status = if resolved {
        ReportStatus::Resolved
    } else {
        ReportStatus::Acknowledged
    };
    let Some(report) = data
        .db
        .set_report_status(id, status, UserId(press.user.id.get()))
        .await?
    else {
        return Err(Error::member(
            "That report is no longer kept (past its retention).",
        ));
    };
    Ok(Reply::Update(
        View::embed(report_embed(&report))
            .with_components(status_buttons(id, status))
            .with_content(format!(
                "{} by <@{}>.",
                if resolved { "Resolved" } else { "Acknowledged" },
                press.user.id
            )),
    ))
}

/// Remove a message that needs a content warning, and send its author their text to repost
#[poise::command(
    context_menu_command = "Needs a content warning",
    guild_only,
    custom_data = "Access::Facilitator"
)]
pub async fn needs_cw(ctx: Context<'_>, message: serenity::Message) -> Result<(), Error> {
    ctx.defer_ephemeral().await?;
    let guild = server(ctx)?;
    let s = situation(ctx, None).await?;
    may_act(CaseKind::ContentWarning, &s.standing).map_err(refused)?;
    let data = ctx.data();
    let name = ctx
        .guild()
        .map(|g| g.name.clone())
        .unwrap_or_else(|| "your group".to_owned());
    if message.author.bot {
        return Err(Error::member(
            "That message is from a bot, so there is nobody to send it back to. Nothing was removed.",
        ));
    }
    // Their words go back to them first: the message is removed only once
    // they have them (the whole text as a file when it is long).
    let mut dm = serenity::CreateMessage::new()
        .content(rules::content_warning_text(&name, &message.content));
    if message.content.chars().count() > 1_500 {
        dm = dm.add_file(serenity::CreateAttachment::bytes(
            message.content.clone().into_bytes(),
            "your-message.txt",
        ));
    }
    let sent = data.rest.dm(message.author.id, dm).await;
    if sent.is_err() {
        ctx.send(render::ephemeral(
            "Their direct messages are closed, so I left the message in place: removing it now would lose their words. \
             You could ask them in the channel to repost it with `/cw`.",
        ))
        .await?;
        return Ok(());
    }
    if let Err(e) = data.rest.delete(message.channel_id, message.id).await {
        if let Ok(dm) = &sent {
            let _ = data.rest.delete(dm.channel_id, dm.id).await;
        }
        return Err(discord_refusal(e, "remove the message"));
    }
    let case = log::record(
        data,
        guild,
        NewCase {
            kind: CaseKind::ContentWarning,
            moderator: author(ctx),
            target: Some(UserId(message.author.id.get())),
            channel: Some(ChannelId(message.channel_id.get())),
            reason: "Needed a content warning".to_owned(),
            at: data.clock.now(),
            until: None,
        },
    )
    .await?;
    let told = if sent.is_ok() {
        "Its author got their text back privately, with a ready `/cw` to repost it."
    } else {
        dm_note(&sent)
    };
    ctx.send(render::ephemeral(format!(
        "Case #{}: the message is removed. {told}",
        case.number
    )))
    .await?;
    Ok(())
}

/// After a forget: the reports the member made under their name show
/// "a member" in the log channel too.
pub async fn unname_in_log(data: &Data, reports: Vec<Report>) {
    for mut r in reports {
        let Some(message) = r.log_message else {
            continue;
        };
        let Ok(settings) = data.db.guild_settings(r.guild).await else {
            continue;
        };
        let Some(log) = settings.log_channel else {
            continue;
        };
        r.reporter = None;
        r.named = false;
        let edit = serenity::EditMessage::new()
            .embed(report_embed(&r))
            .components(status_buttons(r.id, r.status));
        if let Err(e) = data
            .rest
            .edit(
                serenity::ChannelId::new(log.0),
                serenity::MessageId::new(message),
                edit,
            )
            .await
        {
            tracing::info!(report = r.id, error = %e, "cannot take a reporter's name off a report in the log channel");
        }
    }
}
