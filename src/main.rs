//! `haven`: run the bot; `haven sandbox`: try it against a fake Discord.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use haven::clock::SystemClock;
use haven::config::Config;
use haven::sandbox::{self, SandboxOptions};
use tracing_subscriber::EnvFilter;

const USAGE: &str = "\
Usage:
  haven                      run the bot (configured by environment variables, see .env.example)
  haven sandbox [options]    try every command locally against a fake Discord, no account needed
  haven register             register the slash commands with Discord and exit (for shard ranges
                             without shard 0, or as a release step)
  haven web                  run only the web dashboard (HAVEN_WEB_ADDR, HAVEN_PUBLIC_URL,
                             DISCORD_CLIENT_ID, DISCORD_CLIENT_SECRET, DATABASE_URL)

Sandbox options:
  --db PATH                  keep the sandbox database in PATH (default: a temporary file)
  --start 2027-03-09T12:00:00Z  start the virtual clock at this instant (default: now)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("haven: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match args.first().map(String::as_str) {
        None => runtime.block_on(run_bot()),
        Some("sandbox") => match parse_sandbox_args(&args[1..]) {
            Ok(options) => runtime.block_on(run_sandbox(options)),
            Err(message) => {
                eprintln!("haven: {message}\n\n{USAGE}");
                ExitCode::from(2)
            }
        },
        Some("register") => runtime.block_on(register()),
        Some("web") => runtime.block_on(run_web()),
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        Some(other) => {
            eprintln!("haven: unknown command {other:?}\n\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

/// The configuration with a token, and logging set up by it; on an error,
/// one line naming the variable and exit code 2.
fn configured() -> Result<Config, ExitCode> {
    let config = Config::from_env()
        .and_then(|c| c.require_token().map(|_| c.clone()))
        .map_err(|e| e.to_string())
        .and_then(|c| init_tracing(&c.log_filter).map(|()| c));
    config.map_err(|e| {
        eprintln!("haven: configuration error: {e}");
        ExitCode::from(2)
    })
}

async fn run_bot() -> ExitCode {
    let config = match configured() {
        Ok(config) => config,
        Err(code) => return code,
    };
    match haven::app::run(config, SystemClock::shared(), haven::app::shutdown_signal()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "haven stopped with an error");
            eprintln!("haven: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run_web() -> ExitCode {
    let config = match Config::from_env()
        .map_err(|e| e.to_string())
        .and_then(|c| init_tracing(&c.log_filter).map(|()| c))
    {
        Ok(config) => config,
        Err(e) => {
            eprintln!("haven: configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    if config.web.is_none() {
        eprintln!(
            "haven: configuration error: HAVEN_WEB_ADDR: is needed by `haven web` (with HAVEN_PUBLIC_URL, DISCORD_CLIENT_ID, DISCORD_CLIENT_SECRET)"
        );
        return ExitCode::from(2);
    }
    match haven::app::run_web(config, SystemClock::shared(), haven::app::shutdown_signal()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("haven web: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn register() -> ExitCode {
    let config = match configured() {
        Ok(config) => config,
        Err(code) => return code,
    };
    match haven::app::register_only(&config).await {
        Ok(n) => {
            println!("haven: {n} commands registered");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("haven: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run_sandbox(options: SandboxOptions) -> ExitCode {
    // The sandbox prints its own conversation; logs stay quiet unless asked for.
    let filter = std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".to_owned());
    if let Err(e) = init_tracing(&filter) {
        eprintln!("haven: configuration error: {e}");
        return ExitCode::from(2);
    }
    let interactive = std::io::stdin().is_terminal();
    match sandbox::run(options, interactive).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("haven sandbox: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn parse_sandbox_args(args: &[String]) -> Result<SandboxOptions, String> {
    let mut options = SandboxOptions::default();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--db" => {
                let path = it.next().ok_or("--db needs a path")?;
                options.database = Some(PathBuf::from(path));
            }
            "--start" => {
                let raw = it
                    .next()
                    .ok_or("--start needs an instant such as 2027-03-09T12:00:00Z")?;
                let start = chrono::DateTime::parse_from_rfc3339(raw).map_err(|_| {
                    format!("--start {raw:?} is not an instant such as 2027-03-09T12:00:00Z")
                })?;
                options.start = Some(start.to_utc());
            }
            other => return Err(format!("unknown sandbox option {other:?}")),
        }
    }
    Ok(options)
}

fn init_tracing(filter: &str) -> Result<(), String> {
    let filter = EnvFilter::try_new(filter).map_err(|e| format!("RUST_LOG: {e}"))?;
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    Ok(())
}
