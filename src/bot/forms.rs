//! Forms (modals): reading a submitted field and answering a submit, for
//! the features that open them.

use poise::serenity_prelude as serenity;

use super::Error;

/// A text field of a submitted form, trimmed; `None` when empty.
pub fn form_field(press: &serenity::ModalInteraction, name: &str) -> Option<String> {
    press
        .data
        .components
        .iter()
        .flat_map(|row| row.components.iter())
        .find_map(|c| match c {
            serenity::ActionRowComponent::InputText(t) if t.custom_id == name => t.value.clone(),
            _ => None,
        })
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// What a form's answer says: the text, a member's mistake as it is, or
/// for an internal failure (logged, naming `what`) the short apology.
pub fn form_text(outcome: Result<String, Error>, what: &str) -> String {
    match outcome {
        Ok(text) | Err(Error::Member(text)) => text,
        Err(Error::Internal(e)) => super::error::log_internal(&e, what),
    }
}

/// Answers a form privately: the text, a member's mistake as it is, or an
/// internal failure logged (naming `what`) with the short apology.
pub async fn answer_form(
    ctx: &serenity::Context,
    press: &serenity::ModalInteraction,
    outcome: Result<String, Error>,
    what: &str,
) {
    let text = form_text(outcome, what);
    let reply = serenity::CreateInteractionResponse::Message(
        serenity::CreateInteractionResponseMessage::new()
            .content(text)
            .ephemeral(true),
    );
    if let Err(e) = press.create_response(ctx, reply).await {
        tracing::warn!(error = %e, what, "could not answer a form");
    }
}
