//! Start-up and shutdown: open the database, build the framework, connect to
//! Discord (or whatever `DISCORD_API_BASE` points at), register commands, and
//! on SIGINT/SIGTERM close the shards, let in-flight commands finish and close
//! the database.

use std::future::Future;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use anyhow::Context as _;
use poise::serenity_prelude as serenity;
use tokio::sync::mpsc;

use crate::bot::{self, Data, InFlight, Tracked};
use crate::clock::SharedClock;
use crate::config::Config;
use crate::rest::Rest;
use crate::scheduler::editor::Editor;
use crate::scheduler::{Scheduler, SchedulerHandle};
use crate::store::Db;

/// How long shutdown waits for commands still being handled.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// Runs the bot until `shutdown` completes (graceful exit, `Ok`) or something
/// fatal happens (`Err`, for example command registration failing).
pub async fn run(
    config: Config,
    clock: SharedClock,
    shutdown: impl Future<Output = ()> + Send,
) -> anyhow::Result<()> {
    let token = config.require_token()?.clone();
    let db = Db::open_with(&config.database_url, config.db_pool)
        .await
        .with_context(|| format!("opening the database at {}", config.database_shown()))?
        .with_lease(config.job_lease);
    let db = match config.shards {
        Some(r) => db.with_shards(crate::store::Shards {
            first: r.first,
            last: r.last,
            total: r.total,
        }),
        None => db,
    };
    tracing::info!(database = %config.database_shown(), "database ready");

    let (fatal_tx, mut fatal_rx) = mpsc::unbounded_channel::<anyhow::Error>();
    let dev_guild = config.dev_guild;
    // One process registers the commands: the one that runs shard 0 (every
    // process when there is one). Others leave them as they are.
    let registers = config.shards.is_none_or(|s| s.has_first_shard());
    let setup_db = db.clone();
    let setup_clock = clock.clone();
    let scheduler = SchedulerHandle::default();
    let setup_scheduler = scheduler.clone();
    let attend = chrono::Duration::minutes(config.attend_minutes);
    // Made once the client (and its HTTP handle) exists, before setup runs.
    let shared: Arc<OnceLock<(Rest, Editor)>> = Arc::default();
    let setup_shared = shared.clone();
    let framework = poise::Framework::builder()
        .options(bot::options())
        .setup(move |ctx, ready, framework| {
            Box::pin(async move {
                tracing::info!(bot = %ready.user.name, guilds = ready.guilds.len(), "connected");
                if registers
                    && let Err(e) = register(ctx, &framework.options().commands, dev_guild).await
                {
                    let _ = fatal_tx.send(e.context("registering slash commands"));
                    return Err(bot::Error::member("command registration failed"));
                }
                let (rest, editor) = setup_shared
                    .get()
                    .cloned()
                    .ok_or_else(|| bot::Error::member("start-up out of order"))?;
                Ok(Data {
                    db: setup_db,
                    clock: setup_clock,
                    scheduler: setup_scheduler,
                    rest,
                    editor,
                    pacers: bot::Pacers::default(),
                    rooms: Default::default(),
                    attend,
                })
            })
        })
        .build();

    let in_flight = InFlight::default();
    let framework = Tracked {
        inner: framework,
        in_flight: in_flight.clone(),
    };
    let http = http_for(&config, &token);
    let mut client = serenity::ClientBuilder::new_with_http(http, intents())
        .framework(framework)
        .event_handler(bot::RateLimitWaits)
        .await
        .context("building the Discord client")?;
    let shard_manager = client.shard_manager.clone();
    let rest = Rest::with_global_limit(client.http.clone(), config.rest_per_second);
    let (stop_ops, ops_stopped) = tokio::sync::watch::channel(false);
    let ops = match config.http_addr {
        Some(addr) => {
            let mut stopped = ops_stopped;
            let stop = async move {
                let _ = stopped.wait_for(|s| *s).await;
            };
            let watched = crate::ops::Watched {
                scheduler: scheduler.clone(),
                scheduler_bound: (config.job_lease * 3)
                    .to_std()
                    .unwrap_or_default()
                    .max(Duration::from_secs(60)),
                shards: shard_manager.clone(),
            };
            Some(crate::ops::serve(addr, db.clone(), clock.clone(), watched, stop).await?)
        }
        None => None,
    };
    // The web dashboard, in this process, where configured.
    let web_server = match &config.web {
        Some(w) => {
            let web = crate::web::Web::new(
                db.clone(),
                clock.clone(),
                crate::web::WebConfig {
                    public_url: w.public_url.clone(),
                    discord: config
                        .api_base
                        .clone()
                        .unwrap_or_else(|| "https://discord.com".to_owned()),
                    client_id: w.client_id.clone(),
                    client_secret: w.client_secret.clone(),
                },
            )?;
            let mut stopped = stop_ops.subscribe();
            let stop = async move {
                let _ = stopped.wait_for(|s| *s).await;
            };
            Some(crate::web::serve(w.addr, web, stop).await?)
        }
        None => None,
    };
    let editor = Editor::new(db.clone(), rest.clone(), clock.clone());
    let _ = shared.set((rest.clone(), editor.clone()));
    let (stop_scheduler, scheduler_stopped) = tokio::sync::watch::channel(false);
    let engine = Scheduler {
        db: db.clone(),
        clock: clock.clone(),
        rest,
        editor,
        grace: config.reminder_grace,
        attend: chrono::Duration::minutes(config.attend_minutes),
        handle: scheduler,
        removing: Default::default(),
        cache: client.cache.clone(),
    };
    let mut engine = tokio::spawn(engine.run(scheduler_stopped));
    let shards = config.shards;
    let mut gateway = tokio::spawn(async move {
        match shards {
            None => client.start_autosharded().await,
            Some(r) => {
                tracing::info!(shards = %r, "running a range of shards");
                // serenity's range end is inclusive here.
                client.start_shard_range(r.first..r.last, r.total).await
            }
        }
    });

    let outcome = tokio::select! {
        () = shutdown => {
            tracing::info!("shutting down");
            Ok(())
        }
        Some(e) = fatal_rx.recv() => Err(e),
        result = &mut gateway => match result {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(anyhow::Error::new(e).context("the Discord connection failed")),
            Err(e) => Err(anyhow::Error::new(e).context("the Discord connection task failed")),
        },
        // The scheduler returns only when told to stop: anything else
        // (a panic) must not leave a process that answers commands but
        // never sends a reminder.
        result = &mut engine => Err(match result {
            Ok(()) => anyhow::anyhow!("the scheduler stopped on its own"),
            Err(e) => anyhow::Error::new(e).context("the scheduler task died"),
        }),
    };

    // The scheduler first: it stops claiming at once, while the shards
    // close.
    let _ = stop_scheduler.send(true);
    shard_manager.shutdown_all().await;
    let _ = stop_ops.send(true);
    if !gateway.is_finished() {
        let _ = tokio::time::timeout(Duration::from_secs(5), &mut gateway).await;
    }
    gateway.abort();
    // After a fatal start-up error no command can be running (the framework
    // never got its data), only events parked waiting for it: don't wait long.
    let drain = if outcome.is_ok() {
        DRAIN_TIMEOUT
    } else {
        Duration::from_secs(1)
    };
    if !in_flight.wait_idle(drain).await {
        tracing::warn!(
            still_running = in_flight.count(),
            "gave up waiting for commands to finish"
        );
    }
    if !engine.is_finished()
        && tokio::time::timeout(DRAIN_TIMEOUT + Duration::from_secs(5), &mut engine)
            .await
            .is_err()
    {
        tracing::warn!("gave up waiting for the scheduler to stop");
        engine.abort();
    }
    for server in [ops, web_server].into_iter().flatten() {
        let _ = tokio::time::timeout(Duration::from_secs(2), server).await;
    }
    db.close().await;
    tracing::info!("stopped");
    outcome
}

/// The HTTP client: Discord's, or the one `DISCORD_API_BASE` names (a
/// shared rate-limiting proxy, or the sandbox), where Haven's own pacer
/// keeps to the limits instead of serenity's.
fn http_for(config: &Config, token: &crate::config::Token) -> serenity::Http {
    match &config.api_base {
        Some(base) => {
            tracing::info!(api = %base, "using a Discord API base other than Discord's");
            serenity::HttpBuilder::new(token.expose())
                .proxy(base.as_str())
                .ratelimiter_disabled(true)
                .build()
        }
        None => serenity::HttpBuilder::new(token.expose()).build(),
    }
}

/// `haven web`: the web dashboard on its own (several may run behind a
/// load balancer on one PostgreSQL database), until `shutdown`.
pub async fn run_web(
    config: Config,
    clock: SharedClock,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let Some(w) = config.web.clone() else {
        anyhow::bail!(
            "HAVEN_WEB_ADDR is not set: give it with HAVEN_PUBLIC_URL, DISCORD_CLIENT_ID and DISCORD_CLIENT_SECRET"
        );
    };
    let db = Db::open_with(&config.database_url, config.db_pool)
        .await
        .context("opening the database")?;
    let web = crate::web::Web::new(
        db.clone(),
        clock,
        crate::web::WebConfig {
            public_url: w.public_url.clone(),
            discord: config
                .api_base
                .clone()
                .unwrap_or_else(|| "https://discord.com".to_owned()),
            client_id: w.client_id.clone(),
            client_secret: w.client_secret.clone(),
        },
    )?;
    let server = crate::web::serve(w.addr, web, shutdown).await?;
    let _ = server.await;
    db.close().await;
    tracing::info!("web dashboard stopped");
    Ok(())
}

/// `haven register`: registers the slash commands and exits, for
/// deployments where no running process should (all ranges but shard 0's,
/// or a release step before a rolling restart). Returns how many.
pub async fn register_only(config: &Config) -> anyhow::Result<usize> {
    let token = config.require_token()?.clone();
    let http = http_for(config, &token);
    let app = http
        .get_current_application_info()
        .await
        .context("asking Discord which application this token belongs to")?;
    http.set_application_id(app.id);
    let commands = bot::options().commands;
    register(&http, &commands, config.dev_guild)
        .await
        .context("registering slash commands")?;
    Ok(commands.len())
}

async fn register(
    http: impl AsRef<serenity::Http>,
    commands: &[poise::Command<Data, bot::Error>],
    dev_guild: Option<crate::domain::GuildId>,
) -> anyhow::Result<()> {
    // A development server gets the commands instantly, and only there:
    // registering them globally too would show every command twice in it.
    match dev_guild {
        Some(guild) => {
            poise::builtins::register_in_guild(&http, commands, serenity::GuildId::new(guild.0))
                .await
                .with_context(|| format!("in server {}", guild.0))?
        }
        None => poise::builtins::register_globally(&http, commands)
            .await
            .context("globally")?,
    }
    tracing::info!(commands = commands.len(), "slash commands registered");
    Ok(())
}

/// Resolves on SIGINT (Ctrl+C) or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::warn!(error = %e, "cannot listen for Ctrl+C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}

/// What Haven asks Discord to tell it: its servers and channels (`GUILDS`,
/// which also brings `CHANNEL_UPDATE`) and bans and unbans made by anyone
/// (`GUILD_MODERATION`), so its timers give way to humans. Neither is
/// privileged.
pub fn intents() -> serenity::GatewayIntents {
    serenity::GatewayIntents::GUILDS
        | serenity::GatewayIntents::GUILD_MODERATION
        | serenity::GatewayIntents::GUILD_VOICE_STATES
}
