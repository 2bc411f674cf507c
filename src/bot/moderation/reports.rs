//! Members' safety tools on a message: "Report to facilitators" (anyone)
//! and "Needs a content warning" (facilitators).

use poise::serenity_prelude as serenity;

use super::super::reply::{Reply, View};
use super::super::{Context, Data, Error, author, render, server};
use super::standing::situation;
use super::{discord_refusal, log, refused};
use crate::domain::custom_id::CustomId;
use crate::domain::moderation::reports::Delivery;
use crate::domain::moderation::{
    self as rules, CaseKind, REPORT_WINDOW_MINUTES, REPORTS_PER_WINDOW, ReportKind, ReportStatus,
    SUPPORT_REPORTS_PER_WINDOW, may_act, wants_name_shared,
};
use crate::domain::settings::Access;
use crate::domain::settings::Tier;
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
    // The kind is chosen from a list, never guessed from words: the list
    // comes first (a private message), and choosing opens the form.
    let choose = serenity::CreateSelectMenu::new(
        CustomId::ReportKindChoice { draft: draft_id }.encode(),
        serenity::CreateSelectMenuKind::String {
            options: ReportKind::ALL
                .into_iter()
                .map(|k| {
                    serenity::CreateSelectMenuOption::new(k.label(), k.as_str())
                        .description(k.hint())
                })
                .collect(),
        },
    )
    .placeholder("What's wrong?");
    app.interaction
        .create_response(
            ctx,
            serenity::CreateInteractionResponse::Message(
                serenity::CreateInteractionResponseMessage::new()
                    .ephemeral(true)
                    .content(
                        "What would you like the facilitators to know about this message? Choose one; a short form follows. \
                         Only you can see this.",
                    )
                    .components(vec![serenity::CreateActionRow::SelectMenu(choose)]),
            ),
        )
        .await?;
    app.has_sent_initial_response
        .store(true, std::sync::atomic::Ordering::SeqCst);
    // The list is shown: a failure here can only be logged (the form's
    // answer will say it expired, and how to start again).
    // A `/cw` post is its author's, though Haven posted it: the report is
    // about them (and routed by their rank). A message whose author Haven
    // cannot tell (a webhook's, as proxy bots post; one of Haven's own that
    // is not a `/cw` post, or whose author cannot be read now) is filed as
    // by someone unknown, and routed as if about an admin: never to the log
    // channel, where its real author may read it.
    let mut draft = draft;
    if message.webhook_id.is_some() {
        draft.author = UNKNOWN_AUTHOR;
    } else if message.author.id == ctx.framework().bot_id() {
        draft.author = match data.db.cw_post(message.id.get()).await {
            Ok(Some(post)) => post.author,
            Ok(None) => UNKNOWN_AUTHOR,
            Err(e) => {
                tracing::warn!(error = %e, "cannot look up a reported /cw post's author");
                UNKNOWN_AUTHOR
            }
        };
    }
    match data.db.add_report_draft(draft_id, &draft).await {
        Ok(()) => data.scheduler.poke(),
        Err(e) => {
            tracing::error!(guild = draft.guild.0, error = %e, "cannot keep a report form's draft")
        }
    }
    Ok(())
}

/// The reporter chose a kind from the list: the form for an optional note
/// and whether to be named opens at once (Discord allows a form only as
/// the first answer, well within its 3 seconds).
pub fn on_report_kind(press: &serenity::ComponentInteraction, draft: i64) -> Result<Reply, Error> {
    let kind = match &press.data.kind {
        serenity::ComponentInteractionDataKind::StringSelect { values } => {
            values.first().and_then(|v| ReportKind::parse(v))
        }
        _ => None,
    };
    let Some(kind) = kind else {
        return Err(Error::member(
            "Please choose one of the four kinds in the list.",
        ));
    };
    let input = |style, label: &str, field: &str, placeholder: &str, max: u16| {
        serenity::CreateActionRow::InputText(
            serenity::CreateInputText::new(style, label, field)
                .placeholder(placeholder)
                .max_length(max)
                .required(false),
        )
    };
    let title = format!("Report: {}", kind.label().to_lowercase());
    Ok(Reply::Form(
        serenity::CreateModal::new(
            CustomId::ReportDraft {
                id: draft,
                kind: Some(kind),
            }
            .encode(),
            truncate(&title, 45),
        )
        .components(vec![
            input(
                serenity::InputTextStyle::Paragraph,
                "A note for the facilitators (optional)",
                "note",
                "Anything that helps them understand",
                500,
            ),
            input(
                serenity::InputTextStyle::Short,
                "Share your name with facilitators?",
                "share",
                "no (type yes to let them know it was you)",
                10,
            ),
        ]),
    ))
}

/// A draft's author when Haven cannot tell who wrote the message.
const UNKNOWN_AUTHOR: UserId = UserId(0);

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

/// The report form's answer. Its answer is deferred (Discord waits 3
/// seconds at most); the report is then filed (the rate limit checked as
/// it is written, the draft taken) with its delivery job and delivered at
/// once, and the reporter told exactly where it went. If nobody could be
/// reached yet, they are told so, and the scheduler keeps trying.
pub async fn on_report_form(
    ctx: &serenity::Context,
    data: &Data,
    press: &serenity::ModalInteraction,
    draft: i64,
    kind: Option<ReportKind>,
) {
    let Some(guild) = press.guild_id.map(|g| crate::domain::GuildId(g.get())) else {
        let outside = Err(Error::member("Reports work inside a server."));
        super::super::forms::answer_form(ctx, press, outside, "report form").await;
        return;
    };
    if let Err(e) = press.defer_ephemeral(ctx).await {
        tracing::warn!(guild = guild.0, error = %e, "cannot acknowledge a report form");
        return;
    }
    let form = form_of(data, press, guild, draft, kind.unwrap_or(ReportKind::Other));
    let text = match file(data, &form).await {
        Ok(Filing::Filed { report, job }) => Ok(deliver_now(ctx, data, &report, job).await),
        Ok(Filing::TooMany) => Err(Error::member(TOO_MANY_REPORTS)),
        Ok(Filing::NoDraft) => Err(Error::member(EXPIRED_FORM)),
        Err(e) => Err(Error::Internal(
            anyhow::Error::new(e).context("filing a report"),
        )),
    };
    let text = super::super::forms::form_text(text, "report form");
    if let Err(e) = press
        .edit_response(ctx, serenity::EditInteractionResponse::new().content(text))
        .await
    {
        tracing::warn!(guild = guild.0, error = %e, "cannot answer a report form");
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
    kind: ReportKind,
) -> ReportForm {
    let field = |name| super::super::forms::form_field(press, name);
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

const NOT_DELIVERED_YET: &str = "Thank you for telling us. Your report is kept safely, but I couldn't get it to anyone just now. \
     I'll keep trying; please also message a facilitator or an admin you trust directly. If someone is in danger, `/crisis` lists support lines.";

const ON_ITS_WAY: &str = "Thank you for telling us. Your report is kept safely and on its way; Haven never shows it to the person it is about. \
     If someone is in danger, `/crisis` lists support lines.";

/// Delivers a just-filed report by claiming its job (the scheduler takes
/// it instead if this fails or Haven stops), and says to the reporter
/// exactly where it went.
async fn deliver_now(ctx: &serenity::Context, data: &Data, report: &Report, job: i64) -> String {
    match data.db.claim_job(job, data.clock.now()).await {
        Ok(true) => {}
        // The scheduler has it already.
        Ok(false) => return ON_ITS_WAY.to_owned(),
        Err(e) => {
            tracing::warn!(report = report.id, error = %e, "cannot claim a report's delivery; the scheduler will");
            return NOT_DELIVERED_YET.to_owned();
        }
    }
    let (delivered, hold) = crate::scheduler::holding(
        &data.db,
        &data.clock,
        job,
        crate::scheduler::reports::deliver(data.reach(ctx), report),
    )
    .await;
    let outcome = match &delivered {
        // Taken over meanwhile (this process was held up): the other
        // process records it.
        _ if hold == crate::scheduler::Hold::Lost => Ok(()),
        Ok((_, d)) if *d != Delivery::Waiting && hold == crate::scheduler::Hold::Held => {
            data.db.finish_job(job, false).await.map(drop)
        }
        _ => {
            // Nobody yet, or Discord failed: the scheduler keeps trying.
            let retry = data.clock.now() + chrono::Duration::seconds(30);
            let released = data.db.release_job(job, retry).await;
            data.scheduler.poke();
            released
        }
    };
    if let Err(e) = outcome {
        tracing::warn!(report = report.id, error = %e, "cannot record a report's delivery");
    }
    match delivered {
        Ok((about, delivery)) => {
            rules::reports::receipt(report.kind, report.named, about, delivery)
        }
        Err(why) => {
            tracing::warn!(report = report.id, %why, "a report's delivery failed; retrying");
            NOT_DELIVERED_YET.to_owned()
        }
    }
}

/// Acknowledge or Resolved on a report: on its card in the log channel, or
/// on a copy sent by DM (reports about someone who helps run the group).
/// Who may press is decided by the same rule as who may see it
/// ([`rules::reports::may_see`]), with the presser's rank read at the
/// press: never the person it is about.
pub async fn on_report_status(
    ctx: &serenity::Context,
    data: &Data,
    press: &serenity::ComponentInteraction,
    id: i64,
    resolved: bool,
) -> Result<Reply, Error> {
    let status = if resolved {
        ReportStatus::Resolved
    } else {
        ReportStatus::Acknowledged
    };
    let presser = UserId(press.user.id.get());
    let gone = || Error::member("That report is no longer kept (past its retention).");
    let report = data.db.report(id).await?.ok_or_else(gone)?;
    let guild = report.guild;
    // A button in a server acts only on that server's reports.
    if press.guild_id.is_some_and(|g| g.get() != guild.0) {
        return Err(gone());
    }
    let tier = match press.guild_id {
        Some(_) => super::super::checks::tier_of(data, guild, press.member.as_ref()).await?,
        None => {
            let role = data.db.guild_settings(guild).await?.facilitator_role;
            crate::scheduler::facilitators::rank_now(data.reach(ctx), guild, presser, role)
                .await
                .map_err(|why| {
                    Error::Internal(anyhow::anyhow!("reading a presser's rank: {why}"))
                })?
        }
    };
    if tier == Tier::Member {
        return Err(Error::member(
            "Only facilitators can do that, so I've left it as it was.",
        ));
    }
    if !rules::reports::may_see(report.kind, report.author, report.about, presser, tier) {
        return Err(Error::member(
            "This report is not one you can act on, so I've left it as it was.",
        ));
    }
    let report = data
        .db
        .set_report_status(guild, id, status, presser)
        .await?
        .ok_or_else(gone)?;
    // Its card and every copy show the new status.
    let everywhere = report.clone();
    let (db, rest) = (data.db.clone(), data.rest.clone());
    tokio::spawn(async move {
        crate::scheduler::reports::refresh(&db, &rest, &everywhere).await;
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
    default_member_permissions = "MANAGE_MESSAGES",
    custom_data = "Access::Facilitator"
)]
pub async fn needs_cw(ctx: Context<'_>, message: serenity::Message) -> Result<(), Error> {
    ctx.defer_ephemeral().await?;
    let guild = server(ctx)?;
    // A `/cw` post is its author's, though Haven posted it.
    let cw_author = if message.author.id == ctx.framework().bot_id() {
        ctx.data()
            .db
            .cw_post(message.id.get())
            .await?
            .map(|p| p.author)
    } else {
        None
    };
    if message.author.bot && cw_author.is_none() {
        return Err(Error::member(
            "That message is from a bot, so there is nobody to send it back to. Nothing was removed.",
        ));
    }
    let author_id = cw_author.unwrap_or(UserId(message.author.id.get()));
    // Whose message it is matters as for any action on a member: never the
    // owner's, an admin's, or a facilitator's unless an admin asks.
    let s = situation(ctx, Some(author_id)).await?;
    may_act(CaseKind::ContentWarning, &s.standing).map_err(refused)?;
    if message.content.trim().is_empty() && message.attachments.is_empty() {
        return Err(Error::member(
            "That message has no text I could hand back to its author (a sticker, a poll or an embed, say), so I left it in place. \
             You could ask them privately about it instead.",
        ));
    }
    if !message.attachments.is_empty() {
        return Err(Error::member(
            "That message has a file or image, which I can't hand back to its author once it is removed, so I left it in place. \
             You could ask them privately to repost it with the file marked as a spoiler and the words through `/cw`.",
        ));
    }
    let data = ctx.data();
    let name = super::server_name(ctx).await;
    // What they wrote: a `/cw` post's own words, without Haven's header,
    // spoiler and escapes.
    let words = match cw_author {
        Some(_) => rules::cw_text_of(&message.content).unwrap_or_else(|| message.content.clone()),
        None => message.content.clone(),
    };
    // Their words go back to them first: the message is removed only once
    // they have them (the whole text as a file when it is long).
    let mut dm = serenity::CreateMessage::new().content(rules::content_warning_text(&name, &words));
    if words.chars().count() > 1_500 {
        dm = dm.add_file(serenity::CreateAttachment::bytes(
            words.clone().into_bytes(),
            "your-message.txt",
        ));
    }
    let sent = data.rest.dm(serenity::UserId::new(author_id.0), dm).await;
    if let Err(e) = &sent {
        let why = match e {
            crate::rest::RestError::ClosedDm => "Their direct messages are closed",
            crate::rest::RestError::Transient(_) => {
                "Discord didn't answer when I tried to send them their text"
            }
            _ => "Discord refused my direct message to them",
        };
        ctx.send(render::ephemeral(format!(
            "{why}, so I left the message in place: removing it now would lose their words. \
             You could ask them in the channel to repost it with `/cw`."
        )))
        .await?;
        return Ok(());
    }
    if let Err(e) = data.rest.delete(message.channel_id, message.id).await {
        // Their DM holding their words stays whenever their message is gone
        // (a delete whose answer was lost, or someone removed it meanwhile).
        match data
            .rest
            .message_exists(message.channel_id, message.id)
            .await
        {
            Ok(false) => {}
            Ok(true) => {
                super::take_back(data, &sent).await;
                return Err(discord_refusal(e, "remove the message"));
            }
            // Haven cannot tell: their words stay with them, and nothing is
            // recorded that may not have happened.
            Err(_) => {
                return Err(Error::member(
                    "Discord didn't answer, so I can't tell whether the message was removed. Its author has their text either way; \
                     nothing was recorded. Please look at the channel before trying again.",
                ));
            }
        }
    }
    if cw_author.is_some()
        && let Err(e) = data.db.remove_cw_posts(&[message.id.get()]).await
    {
        tracing::warn!(error = %e, "cannot forget a removed /cw post");
    }
    let case = super::new_case(
        ctx,
        CaseKind::ContentWarning,
        Some(author_id),
        Some(ChannelId(message.channel_id.get())),
        "Needed a content warning",
    );
    let case = log::record_about(data, guild, case, s.about_staff()).await?;
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

/// How many open reports `/mod reports` lists.
const REPORTS_LISTED: usize = 15;

/// Open reports you may see (never those about you)
#[poise::command(
    slash_command,
    guild_only,
    rename = "reports",
    custom_data = "Access::Facilitator"
)]
pub async fn open_reports(ctx: Context<'_>) -> Result<(), Error> {
    let guild = server(ctx)?;
    let data = ctx.data();
    let me = author(ctx);
    let tier = super::super::checks::caller_tier(ctx).await?;
    let reports = data.db.open_reports(guild, 200).await?;
    let visible: Vec<&Report> = reports
        .iter()
        .filter(|r| rules::reports::may_see(r.kind, r.author, r.about, me, tier))
        .collect();
    if visible.is_empty() {
        ctx.send(render::ephemeral(
            "There are no open reports you can see. (Reports about you never reach you, by any route.)",
        ))
        .await?;
        return Ok(());
    }
    let lines: Vec<String> = visible
        .iter()
        .take(REPORTS_LISTED)
        .map(|r| {
            let whose = r.author.map_or_else(
                || "a message".to_owned(),
                |a| format!("a message by <@{}>", a.0),
            );
            let state = match (r.status, r.delivered) {
                (_, false) => "waiting: nobody has received it yet",
                (ReportStatus::Acknowledged, _) => "acknowledged",
                _ => "open",
            };
            format!(
                "**#{}** {} · {whose} in {} · <t:{}:R> · {state}\n> {}",
                r.id,
                r.kind.label(),
                render::channel_mention(r.channel.0),
                r.at.timestamp(),
                crate::domain::text::inert(&truncate(&r.excerpt, 120)).replace('\n', " ")
            )
        })
        .collect();
    let mut text = crate::domain::text::fit_lines(&lines, render::DESCRIPTION_MAX);
    if visible.len() > REPORTS_LISTED {
        text.push_str(&format!("\n…and {} older.", visible.len() - REPORTS_LISTED));
    }
    let embed = render::embed("Open reports you can see").description(text).footer(
        serenity::CreateEmbedFooter::new(
            "Reports about a facilitator or admin are shown only to those they may reach, never to the person they are about.",
        ),
    );
    ctx.send(
        render::ephemeral_embed(embed).allowed_mentions(serenity::CreateAllowedMentions::new()),
    )
    .await?;
    Ok(())
}
