//! One router for every button press: the custom id is decoded once
//! ([`CustomId`]), checked against who pressed it, and handed to its
//! feature's handler, which returns what to show. Presses whose work may
//! wait on Discord are acknowledged first and answered by an edit, so no
//! press ever shows "This interaction failed".

use poise::serenity_prelude as serenity;

use super::error::log_internal;
use super::forms::answer_form;
use super::reply::Reply;
use super::{
    Data, Error, checkin, crisis, exercises, journal, meetings, moderation, privacy, prompts,
    rounds, safety, strategies,
};
use crate::domain::UserId;
use crate::domain::custom_id::CustomId;

/// Presses whose handler talks to Discord or does slow work: acknowledged
/// before the work starts.
fn is_slow(id: CustomId) -> bool {
    matches!(
        id,
        CustomId::ReachOut { .. }
            | CustomId::ForgetConfirm { .. }
            | CustomId::BreakEnd { .. }
            | CustomId::ExerciseStop { .. }
    )
}

/// Handles a button press; any failure is answered to the member here.
pub async fn on_press(
    ctx: &serenity::Context,
    data: &Data,
    press: &serenity::ComponentInteraction,
) {
    let id = CustomId::decode(&press.data.custom_id);
    // A report's button on a DM copy asks Discord who pressed it first.
    let in_dm = press.guild_id.is_none();
    let slow =
        |id: &CustomId| is_slow(*id) || (in_dm && matches!(id, CustomId::ReportStatus { .. }));
    let deferred = match id.filter(slow) {
        Some(_) => match press.defer(ctx).await {
            Ok(()) => true,
            Err(e) => {
                tracing::warn!(error = %e, "could not acknowledge a button press");
                return;
            }
        },
        None => false,
    };
    let reply = match route(ctx, data, press, id).await {
        Ok(reply) => reply,
        Err(Error::Member(text)) => Reply::Ephemeral(text),
        Err(Error::Internal(e)) => Reply::Ephemeral(log_internal(&e, "button press")),
    };
    if let Err(e) = answer(ctx, press, reply, deferred).await {
        tracing::warn!(error = %e, "could not answer a button press");
    }
}

/// Handles a modal submit. Forms are opened by commands that wait for them
/// (skipped here); an unknown or old one is answered kindly, like an old
/// button.
pub async fn on_modal(ctx: &serenity::Context, data: &Data, press: &serenity::ModalInteraction) {
    // A form a command is waiting for (`poise::execute_modal`, as `/guidelines
    // set` and "Report to facilitators" use) carries its command's
    // interaction id; that command's collector answers it, and a second
    // answer here would make its own fail.
    let id = &press.data.custom_id;
    if !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) {
        return;
    }
    // (A report form of an older version, naming the message, is answered
    // below as no longer active: it could not be checked against a draft.)
    if let Some(CustomId::ReportDraft { id, kind }) = CustomId::decode(id) {
        moderation::on_report_form(ctx, data, press, id, kind).await;
        return;
    }
    if let Some(CustomId::GuidelinesForm) = CustomId::decode(id) {
        super::safety::on_guidelines_form(ctx, data, press).await;
        return;
    }
    tracing::info!(custom_id = %press.data.custom_id, "a form no family handles");
    answer_form(
        ctx,
        press,
        Err(Error::member(
            "This form is no longer active. Please run the command again for a fresh one.",
        )),
        "an old form",
    )
    .await;
}

async fn route(
    ctx: &serenity::Context,
    data: &Data,
    press: &serenity::ComponentInteraction,
    id: Option<CustomId>,
) -> Result<Reply, Error> {
    let Some(id) = id else {
        return Err(Error::member(
            "This button is no longer active. Please run the command again for a fresh one.",
        ));
    };
    let user = UserId(press.user.id.get());
    if id.owner().is_some_and(|owner| owner != user.0) {
        return Err(Error::member(
            "This button was made for someone else, so I've left it alone.",
        ));
    }
    // Facilitators' buttons are checked here, at the press, failing closed;
    // their handlers get the server it was checked in.
    let checked = match id.access() {
        crate::domain::settings::Access::Anyone => None,
        _ => Some(super::checks::require_facilitator(data, press).await?),
    };
    let facilitator_server = || {
        checked.ok_or_else(|| Error::Internal(anyhow::anyhow!("a facilitator's button unchecked")))
    };
    let now = data.clock.now();
    let guild = press.guild_id.map(|g| g.get());
    match id {
        CustomId::Rsvp { meeting, answer } => {
            meetings::on_rsvp(data, guild, user, meeting, answer).await
        }
        CustomId::Round { round, answer } => rounds::on_press(data, user, round, answer).await,
        CustomId::DmStop { meeting } => meetings::on_dm_stop(data, user, meeting).await,
        CustomId::ForgetConfirm { issued, .. } => {
            privacy::confirm_forget(data, user, issued, now).await
        }
        CustomId::ForgetCancel { .. } => Ok(privacy::cancel_forget()),
        CustomId::ReachOut { issued, .. } => {
            checkin::reach_out(ctx, data, press, user, issued, now).await
        }
        CustomId::JournalDelete { .. } => journal::stop_and_delete(data, user).await,
        CustomId::JournalKeep { .. } => journal::stop_and_keep(data, user).await,
        CustomId::PromptPage { page, category } => {
            prompts::on_page(data, facilitator_server()?, page, category).await
        }
        CustomId::PromptHide {
            prompt,
            hide,
            page,
            category,
        } => prompts::on_hide(data, facilitator_server()?, prompt, hide, page, category).await,
        CustomId::PromptRemove { id, page, category } => {
            prompts::on_remove(data, facilitator_server()?, id, page, category).await
        }
        CustomId::StrategyPage { page, category } => {
            strategies::on_page(data, press, page, category).await
        }
        CustomId::StrategySave { strategy } => strategies::on_save(data, press, strategy).await,
        CustomId::ToolkitRemove { strategy } => strategies::on_remove(data, press, strategy).await,
        CustomId::StrategyDecide { id, approve } => {
            strategies::on_decide(data, press, facilitator_server()?, id, approve).await
        }
        CustomId::Exercise { kind, step } => Ok(exercises::on_step(ctx, data, press, kind, step)),
        CustomId::ExerciseStop { .. } => Ok(exercises::on_stop(data, press).await),
        CustomId::BreakEnd { guild, until, .. } => {
            safety::end_break(data, guild, user, until).await
        }
        // A form's id on a button is not something Haven makes.
        CustomId::ReportForm { .. } | CustomId::ReportDraft { .. } | CustomId::GuidelinesForm => {
            Err(Error::member(
                "This button is no longer active. Please run the command again for a fresh one.",
            ))
        }
        CustomId::ReportStatus { id, resolved } => {
            moderation::on_report_status(ctx, data, press, id, resolved).await
        }
        CustomId::ReportKindChoice { draft } => moderation::on_report_kind(press, draft),
        CustomId::SupportLines => Ok(crisis::on_support_lines()),
        CustomId::SupportCountry => Ok(crisis::on_support_country(press)),
    }
}

async fn answer(
    ctx: &serenity::Context,
    press: &serenity::ComponentInteraction,
    reply: Reply,
    deferred: bool,
) -> Result<(), serenity::Error> {
    match (reply, deferred) {
        (Reply::Form(form), false) => {
            press
                .create_response(ctx, serenity::CreateInteractionResponse::Modal(form))
                .await
        }
        // A form cannot follow an acknowledgement: no press that opens one
        // is slow.
        (Reply::Form(_), true) => press
            .create_followup(
                ctx,
                serenity::CreateInteractionResponseFollowup::new()
                    .content("Please try that again.")
                    .ephemeral(true),
            )
            .await
            .map(|_| ()),
        (Reply::EphemeralView(view), false) => {
            press
                .create_response(
                    ctx,
                    serenity::CreateInteractionResponse::Message(view.message().ephemeral(true)),
                )
                .await
        }
        (Reply::Update(view), false) => {
            press
                .create_response(
                    ctx,
                    serenity::CreateInteractionResponse::UpdateMessage(view.message()),
                )
                .await
        }
        (Reply::EphemeralView(view), true) => {
            let mut f = serenity::CreateInteractionResponseFollowup::new()
                .ephemeral(true)
                .content(view.content.unwrap_or_default())
                .embeds(view.embeds)
                .components(view.components);
            f = f.allowed_mentions(serenity::CreateAllowedMentions::new());
            press.create_followup(ctx, f).await.map(|_| ())
        }
        (Reply::Update(view), true) => press.edit_response(ctx, view.edit()).await.map(|_| ()),
        (Reply::Ephemeral(text), false) => {
            press
                .create_response(
                    ctx,
                    serenity::CreateInteractionResponse::Message(
                        serenity::CreateInteractionResponseMessage::new()
                            .content(text)
                            .ephemeral(true),
                    ),
                )
                .await
        }
        (Reply::Replace(text), false) => {
            press
                .create_response(
                    ctx,
                    serenity::CreateInteractionResponse::UpdateMessage(
                        serenity::CreateInteractionResponseMessage::new()
                            .content(text)
                            .components(Vec::new()),
                    ),
                )
                .await
        }
        (Reply::Ephemeral(text), true) => press
            .create_followup(
                ctx,
                serenity::CreateInteractionResponseFollowup::new()
                    .content(text)
                    .ephemeral(true),
            )
            .await
            .map(|_| ()),
        (Reply::Replace(text), true) => press
            .edit_response(
                ctx,
                serenity::EditInteractionResponse::new()
                    .content(text)
                    .components(Vec::new()),
            )
            .await
            .map(|_| ()),
    }
}
