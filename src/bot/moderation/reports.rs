//! Members' safety tools on a message: "Report to facilitators" (anyone)
//! and "Needs a content warning" (facilitators).

use poise::serenity_prelude as serenity;

use super::super::router::{Reply, View};
use super::super::{Context, Data, Error, author, render, server};
use super::standing::situation;
use super::{discord_refusal, log, refused};
use crate::domain::custom_id::CustomId;
use crate::domain::moderation::{
    self as rules, CaseKind, REPORT_WINDOW_MINUTES, REPORTS_PER_WINDOW, ReportKind, ReportStatus,
    SUPPORT_REPORTS_PER_WINDOW, may_act, wants_name_shared,
};
use crate::domain::settings::Access;
use crate::domain::text::truncate;
use crate::domain::{ChannelId, UserId};
use crate::store::{Filing, Report, ReportForm};
use crate::views::{report_buttons, report_embed};

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
    // Discord gives the message's text to this menu only, so it is kept,
    // as a draft named by this menu's interaction (the form's id carries
    // only that, so nothing in it can be forged): written once the form is
    // open, so the answer never waits on the database.
    let draft_id = app.interaction.id.get() as i64;
    let draft = crate::store::ReportDraft {
        guild: server(ctx)?,
        reporter: author(ctx),
        channel: ChannelId(message.channel_id.get()),
        message: message.id.get(),
        author: UserId(message.author.id.get()),
        excerpt: excerpt_of(&message),
        at: data.clock.now(),
    };
    let id = CustomId::ReportDraft { id: draft_id }.encode();
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
    // The form is open: a failure here can only be logged (its answer
    // will say the form expired, and how to start again).
    match data.db.add_report_draft(draft_id, &draft).await {
        Ok(()) => data.scheduler.poke(),
        Err(e) => {
            tracing::error!(guild = draft.guild.0, error = %e, "cannot keep a report form's draft")
        }
    }
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

/// The report form's answer. The reporter is answered first (Discord
/// waits 3 seconds at most); the report is then filed (the rate limit
/// checked as it is written, the draft taken) with its delivery job, and
/// delivered at once. If nobody could be reached yet, the reporter is told,
/// and the scheduler keeps trying.
pub async fn on_report_form(
    ctx: &serenity::Context,
    data: &Data,
    press: &serenity::ModalInteraction,
    draft: i64,
) {
    let Some(guild) = press.guild_id.map(|g| crate::domain::GuildId(g.get())) else {
        let outside = Err(Error::member("Reports work inside a server."));
        super::super::router::answer_form(ctx, press, outside, "report form").await;
        return;
    };
    if let Err(e) = press.defer_ephemeral(ctx).await {
        tracing::warn!(guild = guild.0, error = %e, "cannot acknowledge a report form");
        return;
    }
    let form = form_of(data, press, guild, draft);
    let (text, filed) = match file(data, &form).await {
        Ok(Filing::Filed { report, job }) => (Ok(thanks(&report)), Some((report, job))),
        Ok(Filing::TooMany) => (Err(Error::member(TOO_MANY_REPORTS)), None),
        Ok(Filing::NoDraft) => (Err(Error::member(EXPIRED_FORM)), None),
        Err(e) => (
            Err(Error::Internal(
                anyhow::Error::new(e).context("filing a report"),
            )),
            None,
        ),
    };
    let text = super::super::router::form_text(text, "report form");
    if let Err(e) = press
        .edit_response(ctx, serenity::EditInteractionResponse::new().content(text))
        .await
    {
        tracing::warn!(guild = guild.0, error = %e, "cannot answer a report form");
    }
    let Some((report, job)) = filed else {
        return;
    };
    if deliver_now(ctx, data, &report, job).await {
        return;
    }
    let sorry = serenity::CreateInteractionResponseFollowup::new()
        .content(
            "I'm sorry: I couldn't get your report to the facilitators just now. I'll keep trying, \
             but please also message a facilitator or an admin you trust directly. If someone is in danger, `/crisis` lists support lines.",
        )
        .ephemeral(true);
    if let Err(e) = press.create_followup(ctx, sorry).await {
        tracing::warn!(guild = guild.0, error = %e, "could not tell a reporter their report was not delivered");
    }
}

/// Files the form's report. The menu writes its draft just after opening
/// the form, so a form sent at once may arrive first: it waits a moment
/// for it (the answer is deferred, so there is time), with plain reads
/// that hold no lock.
async fn file(data: &Data, form: &ReportForm) -> Result<Filing, crate::store::StoreError> {
    for _ in 0..10 {
        if data.db.has_report_draft(form.draft, form.reporter).await? {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    data.db.file_report(form).await
}

const EXPIRED_FORM: &str = "This form has expired or was already sent. Please use **Report to facilitators** on the message again.";

/// The form as sent, with the limit its kind has.
fn form_of(
    data: &Data,
    press: &serenity::ModalInteraction,
    guild: crate::domain::GuildId,
    draft: i64,
) -> ReportForm {
    let field = |name| super::super::router::form_field(press, name);
    let kind = ReportKind::from_answer(&field("what").unwrap_or_default());
    let now = data.clock.now();
    ReportForm {
        guild,
        reporter: UserId(press.user.id.get()),
        draft,
        named: wants_name_shared(field("share").as_deref()),
        kind,
        note: field("note"),
        at: now,
        window_start: now - chrono::Duration::minutes(REPORT_WINDOW_MINUTES),
        // "Someone may need support" is held back only at a much higher cap.
        limit: if kind.pages_facilitators() {
            SUPPORT_REPORTS_PER_WINDOW
        } else {
            REPORTS_PER_WINDOW
        },
        retry_at: now + chrono::Duration::minutes(1),
    }
}

fn thanks(report: &Report) -> String {
    let mut text = format!(
        "Thank you for telling us. It goes to the facilitators (or, if it is about one of them, only to the server's admins) as \"{}\"; nobody else can see this.",
        report.kind.label().to_lowercase()
    );
    if !report.named {
        text.push_str(" They won't be told it was you.");
    }
    if report.kind == ReportKind::NeedsSupport {
        text.push_str(
            "\nIf someone is in danger right now, please contact emergency services. `/crisis` lists support lines you can share.",
        );
    }
    text
}

/// Delivers a just-filed report by claiming its job (the scheduler takes
/// it instead if this fails or Haven stops). Returns whether anyone has it.
async fn deliver_now(ctx: &serenity::Context, data: &Data, report: &Report, job: i64) -> bool {
    match data.db.claim_job(job, data.clock.now()).await {
        Ok(true) => {}
        // The scheduler has it already.
        Ok(false) => return true,
        Err(e) => {
            tracing::warn!(report = report.id, error = %e, "cannot claim a report's delivery; the scheduler will");
            return true;
        }
    }
    let delivered = crate::scheduler::renewing(
        &data.db,
        &data.clock,
        crate::scheduler::reports::deliver(data.reach(ctx), report),
    )
    .await;
    let outcome = match &delivered {
        Ok(true) => data.db.finish_job(job, false).await,
        _ => {
            let retry = data.clock.now() + chrono::Duration::seconds(30);
            let released = data.db.release_job(job, retry).await;
            data.scheduler.poke();
            released
        }
    };
    if let Err(e) = outcome {
        tracing::warn!(report = report.id, error = %e, "cannot record a report's delivery");
    }
    if let Err(why) = &delivered {
        tracing::warn!(report = report.id, %why, "a report's delivery failed; retrying");
    }
    matches!(delivered, Ok(true))
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
    // Copies sent by DM show the new status too.
    let copies = report.clone();
    let (db, rest) = (data.db.clone(), data.rest.clone());
    tokio::spawn(async move {
        crate::scheduler::reports::refresh_copies(&db, &rest, &copies).await;
    });
    Ok(Reply::Update(
        View::embed(report_embed(&report))
            .with_components(report_buttons(id, status))
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
/// "a member" wherever they were posted.
pub async fn unname_in_log(data: &Data, reports: Vec<Report>) {
    for mut r in reports {
        r.reporter = None;
        r.named = false;
        crate::scheduler::reports::refresh(&data.db, &data.rest, &r).await;
    }
}
