//! Buttons. Every custom id is self-describing (what, for whom, since when),
//! so a button keeps working across restarts and an old or foreign one gets a
//! clear answer instead of silence.

use chrono::{DateTime, Utc};
use poise::serenity_prelude as serenity;

use super::error::log_internal;
use super::{Data, Error, privacy};

/// What a button press asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    ForgetConfirm { user: u64, issued: i64 },
    ForgetCancel { user: u64 },
}

impl Action {
    pub fn custom_id(self) -> String {
        match self {
            Self::ForgetConfirm { user, issued } => format!("haven:forget:confirm:{user}:{issued}"),
            Self::ForgetCancel { user } => format!("haven:forget:cancel:{user}"),
        }
    }

    pub fn parse(custom_id: &str) -> Option<Self> {
        let parts: Vec<&str> = custom_id.split(':').collect();
        match parts.as_slice() {
            ["haven", "forget", "confirm", user, issued] => Some(Self::ForgetConfirm {
                user: user.parse().ok()?,
                issued: issued.parse().ok()?,
            }),
            ["haven", "forget", "cancel", user] => Some(Self::ForgetCancel {
                user: user.parse().ok()?,
            }),
            _ => None,
        }
    }

    /// The member the button was made for.
    fn owner(self) -> u64 {
        match self {
            Self::ForgetConfirm { user, .. } | Self::ForgetCancel { user } => user,
        }
    }
}

/// Handles a button press; any failure is answered to the member here.
pub async fn on_press(
    ctx: &serenity::Context,
    data: &Data,
    press: &serenity::ComponentInteraction,
) {
    if let Err(error) = route(ctx, data, press).await {
        let text = match error {
            Error::Member(text) => text,
            Error::Internal(e) => log_internal(&e, "button press"),
        };
        let reply = serenity::CreateInteractionResponse::Message(
            serenity::CreateInteractionResponseMessage::new()
                .content(text)
                .ephemeral(true),
        );
        if let Err(e) = press.create_response(ctx, reply).await {
            tracing::warn!(error = %e, "could not answer a button press");
        }
    }
}

async fn route(
    ctx: &serenity::Context,
    data: &Data,
    press: &serenity::ComponentInteraction,
) -> Result<(), Error> {
    if let Some((meeting, answer)) =
        crate::scheduler::messages::parse_rsvp_button(&press.data.custom_id)
    {
        let user = crate::domain::UserId(press.user.id.get());
        let text =
            super::meetings::on_rsvp_button(data, &ctx.http, press.guild_id, user, meeting, answer)
                .await?;
        let reply = serenity::CreateInteractionResponse::Message(
            serenity::CreateInteractionResponseMessage::new()
                .content(text)
                .ephemeral(true),
        );
        press.create_response(ctx, reply).await?;
        return Ok(());
    }
    let Some(action) = Action::parse(&press.data.custom_id) else {
        return Err(Error::member(
            "This button is no longer active. Please run the command again for a fresh one.",
        ));
    };
    if action.owner() != press.user.id.get() {
        return Err(Error::member(
            "This button was made for someone else, so I've left it alone.",
        ));
    }
    let now = data.clock.now();
    match action {
        Action::ForgetConfirm { user, issued } => {
            let issued =
                DateTime::<Utc>::from_timestamp(issued, 0).unwrap_or(DateTime::<Utc>::MIN_UTC);
            privacy::confirm_forget(ctx, data, press, user, issued, now).await
        }
        Action::ForgetCancel { .. } => privacy::cancel_forget(ctx, press).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn custom_ids_round_trip() {
        for action in [
            Action::ForgetConfirm {
                user: 1500000000000000001,
                issued: 1_800_000_000,
            },
            Action::ForgetCancel { user: 42 },
        ] {
            let id = action.custom_id();
            assert!(id.len() <= 100, "Discord's limit");
            assert_eq!(Action::parse(&id), Some(action));
        }
    }

    #[test]
    fn unknown_or_forged_ids_are_refused() {
        for id in [
            "",
            "haven",
            "haven:forget:confirm:x:1",
            "other:forget:cancel:1",
            "haven:forget:cancel:1:2",
        ] {
            assert_eq!(Action::parse(id), None, "{id}");
        }
    }
}
