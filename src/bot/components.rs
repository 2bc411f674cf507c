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
    ForgetConfirm {
        user: u64,
        issued: i64,
    },
    ForgetCancel {
        user: u64,
    },
    /// After a low check-in: ask a facilitator to reach out.
    ReachOut {
        user: u64,
        issued: i64,
    },
    JournalDelete {
        user: u64,
    },
    JournalKeep {
        user: u64,
    },
}

impl Action {
    pub fn custom_id(self) -> String {
        match self {
            Self::ForgetConfirm { user, issued } => format!("haven:forget:confirm:{user}:{issued}"),
            Self::ForgetCancel { user } => format!("haven:forget:cancel:{user}"),
            Self::ReachOut { user, issued } => format!("haven:reach:{user}:{issued}"),
            Self::JournalDelete { user } => format!("haven:journal:delete:{user}"),
            Self::JournalKeep { user } => format!("haven:journal:keep:{user}"),
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
            ["haven", "reach", user, issued] => Some(Self::ReachOut {
                user: user.parse().ok()?,
                issued: issued.parse().ok()?,
            }),
            ["haven", "journal", "delete", user] => Some(Self::JournalDelete {
                user: user.parse().ok()?,
            }),
            ["haven", "journal", "keep", user] => Some(Self::JournalKeep {
                user: user.parse().ok()?,
            }),
            _ => None,
        }
    }

    /// The member the button was made for.
    fn owner(self) -> u64 {
        match self {
            Self::ForgetConfirm { user, .. }
            | Self::ForgetCancel { user }
            | Self::ReachOut { user, .. }
            | Self::JournalDelete { user }
            | Self::JournalKeep { user } => user,
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
    if let Some((round, answer)) =
        crate::scheduler::messages::parse_round_button(&press.data.custom_id)
    {
        let user = crate::domain::UserId(press.user.id.get());
        let text = super::rounds::on_press(data, &ctx.http, user, round, answer).await?;
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
        Action::ReachOut { user, issued } => {
            let issued =
                DateTime::<Utc>::from_timestamp(issued, 0).unwrap_or(DateTime::<Utc>::MIN_UTC);
            reach_out(ctx, data, press, user, issued, now).await
        }
        Action::JournalDelete { user } => {
            let n = data
                .db
                .journal_stop(crate::domain::UserId(user), true)
                .await?;
            update(
                ctx,
                press,
                &format!("Your journal is stopped and its {n} entries are deleted."),
            )
            .await
        }
        Action::JournalKeep { user } => {
            data.db
                .journal_stop(crate::domain::UserId(user), false)
                .await?;
            update(ctx, press, "Your journal is stopped. What's there stays, only for you, until it expires; `/journal start` resumes it.").await
        }
    }
}

/// A member asked, after a low check-in, for a facilitator to reach out.
/// Only their name goes to the log channel: never their mood or note.
async fn reach_out(
    ctx: &serenity::Context,
    data: &Data,
    press: &serenity::ComponentInteraction,
    user: u64,
    issued: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), Error> {
    if now - issued > chrono::Duration::days(1) {
        return Err(Error::member(
            "This button has expired. If you'd still like someone to reach out, check in again or contact a facilitator directly.",
        ));
    }
    let Some(guild) = press.guild_id else {
        return Err(Error::member("This works inside a server."));
    };
    let guild_id = crate::domain::GuildId(guild.get());
    let settings = data.db.guild_settings(guild_id).await?;
    let name = press
        .member
        .as_ref()
        .map(|m| m.display_name().to_owned())
        .unwrap_or_else(|| press.user.name.clone());
    let notice = format!(
        "**{name}** (<@{user}>) would like a facilitator to reach out to them privately. Please check in with them gently when you can."
    );
    let quiet = || {
        serenity::CreateMessage::new()
            .content(notice.clone())
            .allowed_mentions(serenity::CreateAllowedMentions::new())
    };
    let told = match settings.log_channel {
        Some(channel) => {
            serenity::ChannelId::new(channel.0)
                .send_message(ctx, quiet())
                .await?;
            true
        }
        None => {
            let mut told = false;
            for facilitator in data.db.dm_notice_facilitators(guild_id).await? {
                let sent = async {
                    let dm = serenity::UserId::new(facilitator.0)
                        .create_dm_channel(ctx)
                        .await?;
                    dm.id.send_message(ctx, quiet()).await
                }
                .await;
                match sent {
                    Ok(_) => told = true,
                    Err(e) => {
                        tracing::info!(error = %e, "a facilitator's direct messages are closed; skipped")
                    }
                }
            }
            told
        }
    };
    if !told {
        return Err(Error::member(
            "This server hasn't set up a place for these requests yet, so I couldn't pass it on. Please message a facilitator \
             directly; and if you might be in danger, `/crisis` lists people you can talk to right now.",
        ));
    }
    update(
        ctx,
        press,
        "I've let the facilitators know you'd like someone to reach out. They'll contact you privately. If you might be in danger before then, `/crisis` lists people you can talk to right now.",
    )
    .await
}

/// Replaces the message the button was on with `text`, without buttons.
pub(crate) async fn update(
    ctx: &serenity::Context,
    press: &serenity::ComponentInteraction,
    text: &str,
) -> Result<(), Error> {
    let response = serenity::CreateInteractionResponse::UpdateMessage(
        serenity::CreateInteractionResponseMessage::new()
            .content(text)
            .components(Vec::new()),
    );
    press.create_response(ctx, response).await?;
    Ok(())
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
            Action::ReachOut {
                user: 1500000000000000001,
                issued: 1_800_000_000,
            },
            Action::JournalDelete { user: 7 },
            Action::JournalKeep { user: 7 },
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
