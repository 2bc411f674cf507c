//! `/round start|close`: an anonymous check-in round in a channel.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration as StdDuration, Instant};

use chrono::Duration;
use poise::serenity_prelude as serenity;
use rand::RngCore;

use super::{Context, Data, Error, render};
use crate::domain::mood::Mood;
use crate::domain::settings::Access;
use crate::domain::{ChannelId, UserId};
use crate::scheduler::{messages, rounds as work};
use crate::store::Db;

pub const DEFAULT_MINUTES: i64 = 15;
pub const MAX_MINUTES: i64 = 240;
pub const MAX_QUESTION: usize = 300;
const DEFAULT_QUESTION: &str = "How are you arriving today?";
/// The live tally is edited at most this often.
const EDIT_EVERY: StdDuration = StdDuration::from_secs(1);

/// Check-in rounds: everyone answers with a button, only counts are shown
#[poise::command(
    slash_command,
    guild_only,
    subcommands("start", "close"),
    subcommand_required
)]
pub async fn round(_ctx: Context<'_>) -> Result<(), Error> {
    Ok(())
}

/// Open a round in this channel
#[poise::command(slash_command, guild_only, custom_data = "Access::Facilitator")]
async fn start(
    ctx: Context<'_>,
    #[description = "The question (default: How are you arriving today?)"]
    #[max_length = 300]
    question: Option<String>,
    #[description = "Minutes until it closes (default 15, at most 240)"]
    #[min = 1]
    #[max = 240]
    minutes: Option<i64>,
) -> Result<(), Error> {
    let data = ctx.data();
    let now = data.clock.now();
    let question = question
        .map(|q| q.trim().to_owned())
        .filter(|q| !q.is_empty())
        .unwrap_or_else(|| DEFAULT_QUESTION.to_owned());
    if question.chars().count() > MAX_QUESTION {
        return Err(Error::member(format!(
            "A question can be at most {MAX_QUESTION} characters."
        )));
    }
    let minutes = minutes.unwrap_or(DEFAULT_MINUTES);
    if !(1..=MAX_MINUTES).contains(&minutes) {
        return Err(Error::member(format!(
            "A round lasts from 1 to {MAX_MINUTES} minutes; {minutes} is outside that."
        )));
    }
    let guild = super::server(ctx)?;
    let channel = ChannelId(ctx.channel_id().get());
    let closes = now + Duration::minutes(minutes);
    let mut salt = [0u8; 32];
    rand::rng().fill_bytes(&mut salt);
    let Some(id) = data
        .db
        .open_round(guild, channel, &question, &salt, now, closes)
        .await?
    else {
        return Err(Error::member(
            "This channel already has an open round. Close it with `/round close` first.",
        ));
    };
    let (embed, components) = messages::round_open(id, &question, closes, 0);
    let posted = ctx
        .channel_id()
        .send_message(
            ctx.http(),
            serenity::CreateMessage::new()
                .embed(embed)
                .components(components),
        )
        .await;
    match posted {
        Ok(message) => data.db.set_round_message(id, message.id.get()).await?,
        Err(e) => {
            tracing::warn!(round = id, error = %e, "cannot post a round");
            work::close_round(&data.db, ctx.http(), id, now).await?;
            return Err(Error::member(
                "I couldn't post in this channel. Please check that I can send messages here.",
            ));
        }
    }
    data.scheduler.poke();
    ctx.send(render::ephemeral(format!(
        "The round is open and closes {}. Close it sooner with `/round close`.",
        messages::relative(closes)
    )))
    .await?;
    Ok(())
}

/// Close the open round in this channel now
#[poise::command(slash_command, guild_only, custom_data = "Access::Facilitator")]
async fn close(ctx: Context<'_>) -> Result<(), Error> {
    let data = ctx.data();
    let Some(round) = data
        .db
        .open_round_in(ChannelId(ctx.channel_id().get()))
        .await?
    else {
        return Err(Error::member("There's no open round in this channel."));
    };
    match work::close_round(&data.db, ctx.http(), round.id, data.clock.now()).await? {
        Some(tally) => {
            ctx.send(render::ephemeral(format!(
                "The round is closed; {} answered. The summary is on the round's message.",
                tally.answered
            )))
            .await?
        }
        None => {
            ctx.send(render::ephemeral("That round had already closed."))
                .await?
        }
    };
    Ok(())
}

/// A press on a round's button: records (or changes) the answer under the
/// round's salt and schedules a tally update.
pub async fn on_press(
    data: &Data,
    http: &Arc<serenity::Http>,
    user: UserId,
    round: i64,
    answer: u8,
) -> Result<String, Error> {
    let Some(r) = data.db.round(round).await? else {
        return Err(Error::member("This round no longer exists."));
    };
    let Some(salt) = r.salt.as_deref().filter(|_| !r.closed) else {
        return Err(Error::member(
            "This round has closed. Thank you for being here.",
        ));
    };
    let key: [u8; 32] = salt
        .try_into()
        .map_err(|_| anyhow::anyhow!("round {round} has a malformed salt"))?;
    let voter = blake3::keyed_hash(&key, &user.0.to_le_bytes());
    data.db
        .answer_round(round, voter.as_bytes(), answer)
        .await?;
    data.tallies.touch(data.db.clone(), http.clone(), round);
    Ok(match Mood::new(i64::from(answer)) {
        Some(m) => format!(
            "Thank you. You answered {m}. You can change it until the round closes; nobody sees who answered what."
        ),
        None => "Thank you. You passed, and that's completely fine.".to_owned(),
    })
}

/// Coalesces edits of a round's live tally to at most one per second.
#[derive(Default, Clone)]
pub struct Tallies(Arc<Mutex<HashMap<i64, TallyState>>>);

#[derive(Clone, Copy)]
struct TallyState {
    last: Instant,
    pending: bool,
}

impl Tallies {
    pub fn touch(&self, db: Db, http: Arc<serenity::Http>, round: i64) {
        let wait = {
            let mut map = self
                .0
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let now = Instant::now();
            match map.get_mut(&round) {
                Some(s) if s.pending => return,
                Some(s) if now.duration_since(s.last) < EDIT_EVERY => {
                    s.pending = true;
                    EDIT_EVERY - now.duration_since(s.last)
                }
                _ => {
                    map.insert(
                        round,
                        TallyState {
                            last: now,
                            pending: true,
                        },
                    );
                    StdDuration::ZERO
                }
            }
        };
        let tallies = self.clone();
        tokio::spawn(async move {
            tokio::time::sleep(wait).await;
            {
                let mut map = tallies
                    .0
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                map.insert(
                    round,
                    TallyState {
                        last: Instant::now(),
                        pending: false,
                    },
                );
            }
            if let Err(e) = refresh(&db, &http, round).await {
                tracing::warn!(round, error = %format!("{e:#}"), "cannot update a round's tally");
            }
        });
    }
}

async fn refresh(db: &Db, http: &serenity::Http, round: i64) -> anyhow::Result<()> {
    let Some(r) = db.round(round).await? else {
        return Ok(());
    };
    let (false, Some(message)) = (r.closed, r.message) else {
        return Ok(());
    };
    let tally = db.round_tally(round).await?;
    let (embed, components) = messages::round_open(round, &r.question, r.closes, tally.answered);
    serenity::ChannelId::new(r.channel.0)
        .edit_message(
            http,
            serenity::MessageId::new(message),
            serenity::EditMessage::new()
                .embed(embed)
                .components(components),
        )
        .await?;
    Ok(())
}
