//! Members' safety tools on a message: "Report to facilitators" (anyone)
//! and "Needs a content warning" (facilitators).

use poise::serenity_prelude as serenity;

use super::super::router::{Reply, View};
use super::super::{Context, Data, Error, author, render, server};
use super::standing::situation;
use super::{discord_refusal, log, refused};
use crate::domain::crisis;
use crate::domain::custom_id::CustomId;
use crate::domain::moderation::{
    self as rules, CaseKind, REPORT_WINDOW_MINUTES, REPORTS_PER_WINDOW, ReportKind, ReportStatus,
    SUPPORT_REPORTS_PER_WINDOW, may_act, wants_name_shared,
};
use crate::domain::settings::Access;
use crate::domain::text::truncate;
use crate::domain::{ChannelId, UserId};
use crate::store::{NewReport, Report};

fn message_link(guild: u64, channel: u64, message: u64) -> String {
    format!("https://discord.com/channels/{guild}/{channel}/{message}")
}

/// The log channel's embed for a report.
fn report_embed(r: &Report) -> serenity::CreateEmbed {
    let who = match (r.named, r.reporter) {
        (true, Some(u)) => format!("<@{}>", u.0),
        _ => "A member (they chose not to be named)".to_owned(),
    };
    // A report that could not be stored has no number.
    let title = match r.id {
        0 => format!("Report · {}", r.kind.label()),
        id => format!("Report #{id} · {}", r.kind.label()),
    };
    let mut embed = render::embed(&title)
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
    // The rate limit is applied when the form is sent, where the member has
    // said what is wrong ("someone may need support" is not held back).
    let poise::Context::Application(app) = ctx else {
        return Err(Error::member(
            "Please use this from the message's Apps menu.",
        ));
    };
    // Discord gives the message's text to this menu only, so it is kept
    // now, as a draft the form's id names: the answer needs no waiting
    // command, works across a restart, and nothing in it can be forged.
    let draft = crate::store::ReportDraft {
        guild: server(ctx)?,
        reporter: author(ctx),
        channel: ChannelId(message.channel_id.get()),
        message: message.id.get(),
        author: UserId(message.author.id.get()),
        excerpt: excerpt_of(&message),
        at: data.clock.now(),
    };
    // Drafts of forms never sent go after an hour (checked here as well as
    // nightly: cheap, by the age index).
    data.db
        .purge_report_drafts(data.clock.now() - chrono::Duration::hours(1))
        .await?;
    let id = CustomId::ReportDraft {
        id: data.db.add_report_draft(&draft).await?,
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

const TOO_MANY_REPORTS: &str = "You've sent several reports in the last few minutes, so this one was not sent; the earlier ones reached the facilitators. \
     If someone may need support, choose that in the form: it is always passed on. \
     If someone is in danger right now, please contact emergency services; `/crisis` lists support lines.";

/// The start of a message as facilitators see it in a report.
fn excerpt_of(message: &serenity::Message) -> String {
    let mut text = truncate(&message.content, 200);
    if !message.attachments.is_empty() {
        if !text.is_empty() {
            text.push(' ');
        }
        text.push_str(&format!("[{} file(s)]", message.attachments.len()));
    }
    if text.is_empty() {
        "(no text)".to_owned()
    } else {
        text
    }
}

/// What the form says about the report, checked before anything is kept:
/// the server's settings, and the message as the menu saw it.
struct Checked {
    settings: crate::domain::settings::GuildSettings,
    channel: ChannelId,
    message: u64,
    author: UserId,
    excerpt: String,
}

/// The checks a report form's answer passes before it is kept: the rate
/// limit (never for "someone may need support"), and a draft that is the
/// reporter's and this server's.
async fn check_form(
    data: &Data,
    guild: crate::domain::GuildId,
    reporter: UserId,
    kind: ReportKind,
    draft: i64,
) -> Result<Checked, Error> {
    let settings = data.db.guild_settings(guild).await?;
    let since = data.clock.now() - chrono::Duration::minutes(REPORT_WINDOW_MINUTES);
    let limit = if kind.pages_facilitators() {
        SUPPORT_REPORTS_PER_WINDOW
    } else {
        REPORTS_PER_WINDOW
    };
    if data.db.reports_made_since(reporter, since).await? >= limit {
        return Err(Error::member(TOO_MANY_REPORTS));
    }
    let Some(d) = data
        .db
        .take_report_draft(draft, reporter)
        .await?
        .filter(|d| d.guild == guild)
    else {
        return Err(Error::member(
            "This form has expired or was already sent. Please use **Report to facilitators** on the message again.",
        ));
    };
    let (channel, message, author, excerpt) = (d.channel, d.message, d.author, d.excerpt);
    Ok(Checked {
        settings,
        channel,
        message,
        author,
        excerpt,
    })
}

/// The report form's answer: checked (the rate limit holds at sending, not
/// only when the form opened), the reporter thanked at once, then the
/// report recorded and delivered. If neither the log channel nor any
/// facilitator by DM could take it, the reporter is told so.
pub async fn on_report_form(
    ctx: &serenity::Context,
    data: &Data,
    press: &serenity::ModalInteraction,
    draft: i64,
) {
    let Some(guild) = press.guild_id.map(|g| crate::domain::GuildId(g.get())) else {
        return;
    };
    let reporter = UserId(press.user.id.get());
    let kind = ReportKind::from_answer(
        &super::super::router::form_field(press, "what").unwrap_or_default(),
    );
    let named = wants_name_shared(super::super::router::form_field(press, "share").as_deref());
    let checked = match check_form(data, guild, reporter, kind, draft).await {
        Ok(checked) => checked,
        Err(e) => {
            super::super::router::answer_form(ctx, press, Err(e), "report form").await;
            return;
        }
    };
    let Checked {
        settings,
        channel,
        message,
        author,
        excerpt,
    } = checked;
    let new = NewReport {
        guild,
        reporter,
        named,
        kind,
        note: super::super::router::form_field(press, "note"),
        channel,
        message,
        author: Some(author),
        excerpt,
        at: data.clock.now(),
    };
    // Stored before the reporter is thanked (a restart after the thanks
    // loses nothing); a report that cannot be stored is still delivered.
    let report = match data.db.add_report(&new).await {
        Ok(id) => data.db.report(id).await.ok().flatten(),
        Err(e) => {
            tracing::error!(guild = guild.0, error = %e, "a report could not be stored");
            None
        }
    }
    .unwrap_or_else(|| new.unsaved());
    let mut text = format!(
        "Thank you for telling us. The facilitators will get it as \"{}\"; nobody else can see this.",
        kind.label().to_lowercase()
    );
    if !named {
        text.push_str(" They won't be told it was you.");
    }
    if kind == ReportKind::NeedsSupport {
        text.push_str(
            "\nIf someone is in danger right now, please contact emergency services. `/crisis` lists support lines you can share.",
        );
    }
    super::super::router::answer_form(ctx, press, Ok(text), "thanking a reporter").await;
    if deliver_and_mark(ctx, data, &settings, &report).await {
        // Earlier reports still waiting (Discord failed, Haven stopped) go too.
        redeliver(ctx, data).await;
        return;
    }
    let sorry = serenity::CreateInteractionResponseFollowup::new()
        .content(
            "I'm sorry: I couldn't get your report to the facilitators just now. I'll keep trying, \
             but please also message a facilitator directly. If someone is in danger, `/crisis` lists support lines.",
        )
        .ephemeral(true);
    if let Err(e) = press.create_followup(ctx, sorry).await {
        tracing::warn!(guild = guild.0, error = %e, "could not tell a reporter their report was not delivered");
    }
}

/// How long an undelivered report is still worth delivering.
const REDELIVER_WITHIN_HOURS: i64 = 24;

/// Delivers a report and marks it delivered when someone got it.
async fn deliver_and_mark(
    ctx: &serenity::Context,
    data: &Data,
    settings: &crate::domain::settings::GuildSettings,
    report: &Report,
) -> bool {
    let delivered = deliver(ctx, data, settings, report).await;
    if delivered
        && report.id != 0
        && let Err(e) = data.db.set_report_delivered(report.id).await
    {
        tracing::warn!(report = report.id, error = %e, "cannot mark a report delivered");
    }
    delivered
}

/// Delivers the reports of the last day that have not reached anyone yet
/// (Haven stopped between storing and posting, or Discord failed): when
/// Haven connects, and after each report that got through.
pub async fn redeliver(ctx: &serenity::Context, data: &Data) {
    let since = data.clock.now() - chrono::Duration::hours(REDELIVER_WITHIN_HOURS);
    let waiting = match data.db.undelivered_reports(since).await {
        Ok(w) => w,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read reports waiting for delivery");
            return;
        }
    };
    for report in waiting {
        let Ok(settings) = data.db.guild_settings(report.guild).await else {
            return;
        };
        if !deliver_and_mark(ctx, data, &settings, &report).await {
            tracing::info!(report = report.id, "a report is still waiting for delivery");
        }
    }
}

/// Posts a report to the log channel; where there is none or it refuses,
/// DMs the facilitators who asked for notices. Returns whether anyone got it.
async fn deliver(
    ctx: &serenity::Context,
    data: &Data,
    settings: &crate::domain::settings::GuildSettings,
    report: &Report,
) -> bool {
    let guild = report.guild;
    let page = match (report.kind.pages_facilitators(), settings.facilitator_role) {
        (true, Some(role)) => Some(role),
        _ => None,
    };
    if let Some(log_channel) = settings.log_channel {
        let mut post = serenity::CreateMessage::new()
            .embed(report_embed(report))
            .allowed_mentions(serenity::CreateAllowedMentions::new());
        if report.id != 0 {
            post = post.components(status_buttons(report.id, ReportStatus::Open));
        }
        if let Some(role) = page {
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
        match data
            .rest
            .send(serenity::ChannelId::new(log_channel.0), post)
            .await
        {
            Ok(m) => {
                if report.id != 0
                    && let Err(e) = data.db.set_report_log_message(report.id, m.id.get()).await
                {
                    tracing::warn!(error = %e, "cannot remember a report's log message");
                }
                // With no facilitator role there is nobody to ping: someone
                // who may need support is told to facilitators by DM too.
                if report.kind.pages_facilitators() && settings.facilitator_role.is_none() {
                    let dm = || {
                        serenity::CreateMessage::new()
                            .content("A member reported that someone may need support; it is in the log channel.")
                            .embed(report_embed(report))
                    };
                    if let Err(e) =
                        super::super::checks::dm_facilitators(ctx, data, guild, None, dm).await
                    {
                        tracing::warn!(guild = guild.0, error = ?e, "cannot DM facilitators a report");
                    }
                }
                return true;
            }
            Err(e) => {
                tracing::warn!(guild = guild.0, report = report.id, error = %e, "cannot post a report to the log channel; trying facilitators' DMs")
            }
        }
    }
    let heading = format!(
        "A member reported a message{}. It came to you by direct message because {}; \
         set one with `/settings log-channel` to track reports with Acknowledge and Resolved.",
        if page.is_some() {
            ": someone may need support"
        } else {
            ""
        },
        if settings.log_channel.is_some() {
            "I couldn't post in the log channel"
        } else {
            "this server has no log channel"
        }
    );
    let dm = || {
        serenity::CreateMessage::new()
            .content(heading.clone())
            .embed(report_embed(report))
    };
    match super::super::checks::dm_facilitators(ctx, data, guild, settings.facilitator_role, dm)
        .await
    {
        Ok(told) => told,
        Err(e) => {
            tracing::error!(guild = guild.0, error = ?e, "cannot DM facilitators a report");
            false
        }
    }
}

/// Acknowledge or Resolved on a report in the log channel.
/// The router has checked that a facilitator of `guild` pressed it.
pub async fn on_report_status(
    data: &Data,
    press: &serenity::ComponentInteraction,
    guild: crate::domain::GuildId,
    id: i64,
    resolved: bool,
) -> Result<Reply, Error> {
    let status = if resolved {
        ReportStatus::Resolved
    } else {
        ReportStatus::Acknowledged
    };
    let Some(report) = data
        .db
        .set_report_status(guild, id, status, UserId(press.user.id.get()))
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
    if message.author.bot {
        return Err(Error::member(
            "That message is from a bot, so there is nobody to send it back to. Nothing was removed.",
        ));
    }
    // Whose message it is matters as for any action on a member: never the
    // owner's, an admin's, or a facilitator's unless an admin asks.
    let s = situation(ctx, Some(UserId(message.author.id.get()))).await?;
    may_act(CaseKind::ContentWarning, &s.standing).map_err(refused)?;
    if !message.attachments.is_empty() {
        return Err(Error::member(
            "That message has a file or image, which I can't hand back to its author once it is removed, so I left it in place. \
             You could ask them privately to repost it with the file marked as a spoiler and the words through `/cw`.",
        ));
    }
    let data = ctx.data();
    let name = super::server_name(ctx).await;
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
        super::take_back(data, &sent).await;
        return Err(discord_refusal(e, "remove the message"));
    }
    let case = super::new_case(
        ctx,
        CaseKind::ContentWarning,
        Some(UserId(message.author.id.get())),
        Some(ChannelId(message.channel_id.get())),
        "Needed a content warning",
    );
    let case = log::record(data, guild, case).await?;
    ctx.send(render::ephemeral(format!(
        "Case #{}: the message is removed. Its author got their text back privately, with a ready `/cw` to repost it.",
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
        r.reporter = None;
        r.named = false;
        let edit = serenity::EditMessage::new()
            .embed(report_embed(&r))
            .components(status_buttons(r.id, r.status));
        crate::scheduler::edit_in_log(&data.db, &data.rest, r.guild, message, edit, "a report")
            .await;
    }
}
