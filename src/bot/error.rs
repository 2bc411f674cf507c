//! Errors in two tiers. A member's mistake carries a kind message that says
//! how to fix it, shown only to them. An internal failure is logged with its
//! context and a short reference id; the member sees only an apology with that
//! id, never the error text.

use std::fmt;

use poise::serenity_prelude as serenity;
use rand::Rng;

use super::{Data, render};
use crate::store::StoreError;

/// The error every command and component handler returns.
#[derive(Debug)]
pub enum Error {
    /// Something the member can fix; the text is shown to them as it is.
    Member(String),
    /// Something broke on Haven's side.
    Internal(anyhow::Error),
}

impl Error {
    pub fn member(text: impl Into<String>) -> Self {
        Self::Member(text.into())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Member(text) => write!(f, "member error: {text}"),
            Self::Internal(e) => write!(f, "internal error: {e:#}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        Self::Internal(e.into())
    }
}

impl From<serenity::Error> for Error {
    fn from(e: serenity::Error) -> Self {
        Self::Internal(e.into())
    }
}

impl From<anyhow::Error> for Error {
    fn from(e: anyhow::Error) -> Self {
        Self::Internal(e)
    }
}

/// A short id a member can quote and an operator can find in the logs.
pub fn reference_id() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..6)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// What a member sees when something broke on our side.
pub fn apology(reference: &str) -> String {
    format!(
        "Sorry, something went wrong on my side and I couldn't finish that. Nothing you did caused it. \
         Please try again in a moment; if it keeps happening, a server admin can look up reference `{reference}`."
    )
}

/// Logs an internal failure with its context and returns the member's apology.
pub fn log_internal(error: &anyhow::Error, what: &str) -> String {
    let reference = reference_id();
    crate::metrics::error(crate::metrics::Tier::Internal);
    tracing::error!(reference = %reference, what, error = ?error, "internal failure");
    apology(&reference)
}

type Ctx<'a> = poise::Context<'a, Data, Error>;

/// The framework's one error handler.
pub async fn on_error(error: poise::FrameworkError<'_, Data, Error>) {
    use poise::FrameworkError as F;
    match error {
        F::Command { error, ctx, .. } => reply_to_error(ctx, error).await,
        F::CommandCheckFailed {
            error: Some(error),
            ctx,
            ..
        } => reply_to_error(ctx, error).await,
        F::CommandCheckFailed {
            error: None, ctx, ..
        } => say(ctx, "You don't have access to this command.".into()).await,
        F::ArgumentParse { ctx, input, .. } => {
            let text = match input {
                Some(input) => format!(
                    "I couldn't read `{}` for this command. Please check that option and try again.",
                    render::inline_code(&input, 80)
                ),
                None => "I couldn't read one of the options for this command. Please check them and try again.".into(),
            };
            say(ctx, text).await
        }
        F::CommandStructureMismatch {
            ctx, description, ..
        } => {
            tracing::warn!(command = %ctx.command().qualified_name, description, "command structure mismatch");
            say(
                poise::Context::Application(ctx),
                "This command has changed since your Discord app loaded it. Please reload Discord (Ctrl+R, or restart the app) and try again.".into(),
            )
            .await
        }
        F::SubcommandRequired { ctx } => {
            let names: Vec<String> = ctx
                .command()
                .subcommands
                .iter()
                .map(|c| format!("`/{}`", c.qualified_name))
                .collect();
            say(ctx, format!("Please choose one of: {}.", names.join(", "))).await
        }
        F::GuildOnly { ctx, .. } => {
            say(
                ctx,
                "This command works inside a server, not in direct messages.".into(),
            )
            .await
        }
        F::CommandPanic { ctx, payload, .. } => {
            let error = anyhow::anyhow!("panic: {}", payload.unwrap_or_default());
            let text = log_internal(&error, &format!("/{}", ctx.command().qualified_name));
            say(ctx, text).await
        }
        F::UnknownInteraction {
            framework,
            interaction,
            ..
        } => {
            tracing::warn!(command = %interaction.data.name, "interaction for an unknown command");
            let text = format!(
                "I don't know `/{}`. It may have been removed or renamed; `/help` lists what I can do.",
                render::inline_code(&interaction.data.name, 40)
            );
            let response = serenity::CreateInteractionResponse::Message(
                serenity::CreateInteractionResponseMessage::new()
                    .content(text)
                    .ephemeral(true),
            );
            if let Err(e) = interaction
                .create_response(framework.serenity_context, response)
                .await
            {
                tracing::warn!(error = %e, "could not answer an unknown command");
            }
        }
        F::EventHandler { error, event, .. } => {
            let reference = reference_id();
            tracing::error!(reference = %reference, event = event.snake_case_name(), error = %error, "event handler failed");
        }
        F::Setup { error, .. } => {
            tracing::error!(error = %error, "start-up failed");
        }
        other => {
            if let Err(e) = poise::builtins::on_error(other).await {
                tracing::error!(error = %e, "error while handling an error");
            }
        }
    }
}

async fn reply_to_error(ctx: Ctx<'_>, error: Error) {
    let text = match error {
        Error::Member(text) => {
            crate::metrics::error(crate::metrics::Tier::Member);
            text
        }
        Error::Internal(e) => log_internal(&e, &format!("/{}", ctx.command().qualified_name)),
    };
    say(ctx, text).await
}

async fn say(ctx: Ctx<'_>, text: String) {
    if let Err(e) = ctx.send(render::ephemeral(text)).await {
        tracing::warn!(error = %e, command = %ctx.command().qualified_name, "could not send an error reply");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_ids_are_short_and_unambiguous() {
        let id = reference_id();
        assert_eq!(id.len(), 6);
        assert!(
            id.chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        );
        assert!(!id.contains(['0', 'O', '1', 'I']));
    }

    #[test]
    fn the_apology_names_the_reference_and_nothing_else() {
        let text = apology("ABC234");
        assert!(text.contains("ABC234"));
    }
}
