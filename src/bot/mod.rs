//! The Discord face of Haven: thin poise handlers (parse, act, render), the
//! central access check, the one error handler, and button routing.

pub mod charts;
mod checkin;
pub mod checks;
mod crisis;
pub mod error;
mod exercises;
pub mod forms;
mod help;
mod journal;
mod meetings;
mod moderation;
mod privacy;
mod prompts;
pub mod render;
mod reply;
mod rounds;
mod router;
mod safety;
mod settings;
mod stats;
mod strategies;
mod timezone;
pub use exercises::Pacers;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use poise::serenity_prelude as serenity;
use tokio::sync::Notify;

pub use error::Error;

use crate::clock::SharedClock;
use crate::rest::Rest;
use crate::scheduler::SchedulerHandle;
use crate::scheduler::editor::Editor;
use crate::store::Db;

/// What every handler can reach.
pub struct Data {
    pub db: Db,
    pub clock: SharedClock,
    /// Wakes the scheduler after meetings change.
    pub scheduler: SchedulerHandle,
    /// Haven's own posts and edits, paced and retried.
    pub rest: Rest,
    /// Keeps announcements and tallies up to date, coalescing edits.
    pub editor: Editor,
    /// Breathing exercises moving on by themselves.
    pub pacers: Pacers,
    /// The voice channels of each server's meetings (for attendance).
    pub rooms: crate::scheduler::attendance::Rooms,
    /// The operator's time in a voice meeting that counts as coming, for
    /// servers that chose none.
    pub attend: chrono::Duration,
}

impl Data {
    /// What Haven needs to reach facilitators, with the gateway's cache.
    pub fn reach<'a>(
        &'a self,
        ctx: &'a serenity::Context,
    ) -> crate::scheduler::facilitators::Reach<'a> {
        crate::scheduler::facilitators::Reach {
            db: &self.db,
            rest: &self.rest,
            cache: &ctx.cache,
        }
    }
}

pub type Context<'a> = poise::Context<'a, Data, Error>;

/// The member who used the command.
pub fn author(ctx: Context<'_>) -> crate::domain::UserId {
    crate::domain::UserId(ctx.author().id.get())
}

/// A channel option that must be a text channel, for `what`.
pub fn text_channel(
    c: &serenity::PartialChannel,
    what: &str,
) -> Result<crate::domain::ChannelId, Error> {
    match c.kind {
        serenity::ChannelType::Text | serenity::ChannelType::News => {
            Ok(crate::domain::ChannelId(c.id.get()))
        }
        _ => Err(Error::member(format!(
            "Please choose a text channel for {what}."
        ))),
    }
}

/// Whether the member may send messages in the channel the command was used
/// in (Discord sends their permissions there, overwrites included). Fails
/// closed: no permissions, no posting.
pub fn can_post_here(ctx: Context<'_>) -> bool {
    let poise::Context::Application(app) = ctx else {
        return false;
    };
    app.interaction
        .member
        .as_ref()
        .and_then(|m| m.permissions)
        .is_some_and(may_post)
}

/// Whether these channel permissions let the member post there.
pub fn may_post(p: serenity::Permissions) -> bool {
    p.view_channel() && p.send_messages()
}

/// A channel option the member chose for Haven to post `what` in: a text
/// channel where they can see and send messages themselves; `refusal`
/// says why not, naming the channel.
pub fn postable_channel(
    c: &serenity::PartialChannel,
    what: &str,
    refusal: impl Fn(&str) -> String,
) -> Result<crate::domain::ChannelId, Error> {
    let channel = text_channel(c, what)?;
    if !c.permissions.is_some_and(may_post) {
        return Err(Error::member(refusal(&render::channel_mention(channel.0))));
    }
    Ok(channel)
}

/// The server the command was used in, or the kind answer for a DM.
pub fn server(ctx: Context<'_>) -> Result<crate::domain::GuildId, Error> {
    ctx.guild_id()
        .map(|g| crate::domain::GuildId(g.get()))
        .ok_or_else(|| Error::member("This command works inside a server, not in direct messages."))
}

/// The server's settings: as the central check read them for this command
/// (one read per command), or from the database for commands it does not
/// check.
pub async fn settings(ctx: Context<'_>) -> Result<crate::domain::settings::GuildSettings, Error> {
    use crate::domain::settings::GuildSettings;
    if let Some(read) = ctx.invocation_data::<GuildSettings>().await {
        return Ok(read.clone());
    }
    Ok(ctx.data().db.guild_settings(server(ctx)?).await?)
}

/// Every command, in the order `/help` lists them.
pub fn commands() -> Vec<poise::Command<Data, Error>> {
    vec![
        help::help(),
        timezone::timezone(),
        settings::settings(),
        privacy::privacy(),
        meetings::meeting(),
        checkin::checkin(),
        rounds::round(),
        journal::journal(),
        stats::stats(),
        prompts::prompt(),
        strategies::strategy(),
        strategies::toolkit(),
        exercises::breathe(),
        exercises::ground(),
        crisis::crisis(),
        moderation::moderation(),
        safety::cw(),
        safety::take_break(),
        safety::guidelines(),
        moderation::report(),
        moderation::needs_cw(),
    ]
}

/// The framework's behaviour: commands, the central check, the error handler
/// and button routing.
pub fn options() -> poise::FrameworkOptions<Data, Error> {
    poise::FrameworkOptions {
        commands: commands(),
        on_error: |error| Box::pin(error::on_error(error)),
        command_check: Some(|ctx| Box::pin(checks::central(ctx))),
        pre_command: |_| {
            Box::pin(async {
                crate::metrics::served(crate::metrics::Interaction::Command);
            })
        },
        event_handler: |framework, event| {
            Box::pin(async move {
                match event {
                    serenity::FullEvent::InteractionCreate {
                        interaction: serenity::Interaction::Component(press),
                    } => {
                        crate::metrics::served(crate::metrics::Interaction::Button);
                        router::on_press(framework.serenity_context, framework.user_data, press)
                            .await
                    }
                    serenity::FullEvent::InteractionCreate {
                        interaction: serenity::Interaction::Modal(form),
                    } => {
                        crate::metrics::served(crate::metrics::Interaction::Form);
                        router::on_modal(framework.serenity_context, framework.user_data, form)
                            .await
                    }
                    // Humans acting in Discord: Haven's timers for the same
                    // thing give way.
                    serenity::FullEvent::GuildBanAddition {
                        guild_id,
                        banned_user,
                    } => {
                        let data = framework.user_data;
                        crate::scheduler::moderation::on_ban_added(
                            data.reach(framework.serenity_context),
                            crate::domain::GuildId(guild_id.get()),
                            crate::domain::UserId(banned_user.id.get()),
                        )
                        .await
                    }
                    serenity::FullEvent::GuildBanRemoval {
                        guild_id,
                        unbanned_user,
                    } => {
                        let data = framework.user_data;
                        crate::scheduler::moderation::on_ban_removed(
                            data.reach(framework.serenity_context),
                            crate::domain::GuildId(guild_id.get()),
                            crate::domain::UserId(unbanned_user.id.get()),
                            data.clock.now(),
                        )
                        .await
                    }
                    // Members in and out of voice: anonymous attendance.
                    serenity::FullEvent::VoiceStateUpdate { old, new } => {
                        let data = framework.user_data;
                        let Some(guild) = new.guild_id else {
                            return Ok(());
                        };
                        let cache = &framework.serenity_context.cache;
                        let me = cache.current_user().id;
                        let is_bot = new.user_id == me
                            || new.member.as_ref().is_some_and(|m| m.user.bot)
                            || cache.user(new.user_id).is_some_and(|u| u.bot);
                        // Where they are now (events of one member may be
                        // handled out of order): the cache, else this event.
                        let current = match cache.guild(guild) {
                            Some(g) => g
                                .voice_states
                                .get(&new.user_id)
                                .and_then(|v| v.channel_id)
                                .map(|c| c.get()),
                            None => new.channel_id.map(|c| c.get()),
                        };
                        let from = old.as_ref().and_then(|o| o.channel_id).map(|c| c.get());
                        if let Err(e) = crate::scheduler::attendance::on_voice(
                            &data.db,
                            &data.rooms,
                            crate::domain::GuildId(guild.get()),
                            crate::domain::UserId(new.user_id.get()),
                            is_bot,
                            (from, new.channel_id.map(|c| c.get())),
                            current,
                            data.clock.now(),
                        )
                        .await
                        {
                            tracing::warn!(guild = guild.get(), error = %e, "cannot record a voice change for attendance");
                        }
                    }
                    // (Re)connected to a server: who is in voice now, as
                    // the cache says when this runs.
                    serenity::FullEvent::GuildCreate { guild, .. } => {
                        let data = framework.user_data;
                        let server = crate::domain::GuildId(guild.id.get());
                        let Some(voice) = crate::scheduler::attendance::in_voice(
                            &framework.serenity_context.cache,
                            server,
                        ) else {
                            return Ok(());
                        };
                        if let Err(e) = crate::scheduler::attendance::reconcile(
                            &data.db,
                            server,
                            &voice,
                            data.clock.now(),
                        )
                        .await
                        {
                            tracing::warn!(guild = guild.id.get(), error = %e, "cannot reconcile attendance after connecting");
                        }
                    }
                    serenity::FullEvent::ChannelUpdate { new, .. } => {
                        let data = framework.user_data;
                        crate::scheduler::moderation::on_channel_update(
                            data.reach(framework.serenity_context),
                            crate::domain::GuildId(new.guild_id.get()),
                            crate::domain::ChannelId(new.id.get()),
                        )
                        .await
                    }
                    _ => {}
                }
                Ok(())
            })
        },
        // Nobody is exempt from the checks, and no owner lookup is needed.
        initialize_owners: false,
        skip_checks_for_owners: false,
        allowed_mentions: Some(serenity::CreateAllowedMentions::new()),
        ..Default::default()
    }
}

/// Counts events being handled, so shutdown can wait for them to finish.
#[derive(Clone, Default)]
pub struct InFlight(Arc<InFlightInner>);

#[derive(Default)]
struct InFlightInner {
    count: AtomicUsize,
    idle: Notify,
}

pub struct InFlightGuard(Arc<InFlightInner>);

impl Drop for InFlightGuard {
    fn drop(&mut self) {
        if self.0.count.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}

impl InFlight {
    pub fn enter(&self) -> InFlightGuard {
        self.0.count.fetch_add(1, Ordering::AcqRel);
        InFlightGuard(self.0.clone())
    }

    pub fn count(&self) -> usize {
        self.0.count.load(Ordering::Acquire)
    }

    /// Waits until nothing is in flight, or `timeout` passes. Returns whether
    /// everything finished.
    pub async fn wait_idle(&self, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let idle = self.0.idle.notified();
            tokio::pin!(idle);
            idle.as_mut().enable();
            if self.count() == 0 {
                return true;
            }
            if tokio::time::timeout_at(deadline, idle).await.is_err() {
                return self.count() == 0;
            }
        }
    }
}

/// Counts the waits of serenity's own rate limiter, which answers Discord's
/// 429s itself when Haven talks to Discord directly: a wait before a request
/// whose bucket is used up, or after a 429. (Behind `DISCORD_API_BASE` that
/// limiter is off, and Haven's pacer counts the 429s it receives.)
pub struct RateLimitWaits;

#[serenity::async_trait]
impl serenity::EventHandler for RateLimitWaits {
    async fn ratelimit(&self, _info: serenity::RatelimitInfo) {
        crate::metrics::rate_limit_wait();
    }
}

/// Wraps a serenity framework (poise's) so that each event it handles counts
/// as in flight until its handler, error handling included, has finished.
pub struct Tracked<F> {
    pub inner: F,
    pub in_flight: InFlight,
}

#[serenity::async_trait]
impl<F: serenity::Framework> serenity::Framework for Tracked<F> {
    async fn init(&mut self, client: &serenity::Client) {
        self.inner.init(client).await;
    }

    async fn dispatch(&self, ctx: serenity::Context, event: serenity::FullEvent) {
        let _guard = self.in_flight.enter();
        self.inner.dispatch(ctx, event).await;
    }
}
