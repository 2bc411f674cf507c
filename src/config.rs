//! The one typed configuration, read once at start from the environment (and
//! `.env` when present). A missing or malformed value stops the bot with one
//! line naming the variable. The token never appears in `Debug` output.

use std::fmt;

use crate::domain::GuildId;

pub const DEFAULT_DATABASE_URL: &str = "sqlite://haven.db";
pub const DEFAULT_LOG_FILTER: &str = "info";

/// The bot's Discord token. Its `Debug` and `Display` hide it.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself, for handing to the Discord client only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<hidden>)")
    }
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<hidden>")
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// `DISCORD_TOKEN`: required to run against Discord, not in the sandbox.
    pub token: Option<Token>,
    /// `DATABASE_URL`: the SQLite file, created and migrated on start.
    pub database_url: String,
    /// `DISCORD_API_BASE`: send REST and gateway traffic here instead of Discord.
    pub api_base: Option<String>,
    /// `HAVEN_DEV_GUILD`: register commands in this server only, instantly.
    pub dev_guild: Option<GuildId>,
    /// `RUST_LOG`: the tracing filter.
    pub log_filter: String,
    /// `HAVEN_REMINDER_GRACE`: a reminder missed (downtime) by less than this
    /// is still sent; an older one is skipped. Default 15 minutes.
    pub reminder_grace: chrono::Duration,
}

/// A configuration value that is missing or malformed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{variable}: {problem}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub problem: String,
}

impl ConfigError {
    fn new(variable: &'static str, problem: impl Into<String>) -> Self {
        Self {
            variable,
            problem: problem.into(),
        }
    }
}

impl Config {
    /// Reads the process environment, after loading `.env` if there is one.
    pub fn from_env() -> Result<Self, ConfigError> {
        match dotenvy::dotenv() {
            Ok(_) => {}
            Err(e) if e.not_found() => {}
            Err(e) => return Err(ConfigError::new(".env", format!("cannot be read: {e}"))),
        }
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the configuration through `lookup`, which returns a variable's
    /// value or `None` when it is not set.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());

        let token = match get("DISCORD_TOKEN") {
            None => None,
            Some(raw) => {
                let raw = raw.trim();
                if raw.chars().any(char::is_whitespace) || !raw.is_ascii() {
                    return Err(ConfigError::new(
                        "DISCORD_TOKEN",
                        "is malformed (it contains spaces or non-ASCII characters); copy it again from the Developer Portal",
                    ));
                }
                Some(Token::new(raw))
            }
        };

        let database_url = get("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned());
        if !database_url.starts_with("sqlite:") {
            return Err(ConfigError::new(
                "DATABASE_URL",
                format!("must be a SQLite URL such as {DEFAULT_DATABASE_URL}"),
            ));
        }

        let api_base = match get("DISCORD_API_BASE") {
            None => None,
            Some(raw) => Some(parse_api_base(&raw)?),
        };

        let dev_guild = match get("HAVEN_DEV_GUILD") {
            None => None,
            Some(raw) => match raw.trim().parse::<u64>() {
                Ok(id) if id > 0 && id < (1 << 63) => Some(GuildId(id)),
                _ => {
                    return Err(ConfigError::new(
                        "HAVEN_DEV_GUILD",
                        "must be a server id (a number such as 1300000000000000001)",
                    ));
                }
            },
        };

        let log_filter = get("RUST_LOG").unwrap_or_else(|| DEFAULT_LOG_FILTER.to_owned());

        let reminder_grace = match get("HAVEN_REMINDER_GRACE") {
            None => crate::scheduler::DEFAULT_GRACE,
            Some(raw) => humantime::parse_duration(raw.trim())
                .ok()
                .and_then(|d| chrono::Duration::from_std(d).ok())
                .filter(|d| *d <= chrono::Duration::days(1))
                .ok_or_else(|| {
                    ConfigError::new(
                        "HAVEN_REMINDER_GRACE",
                        "must be a span up to a day, such as 15m or 1h",
                    )
                })?,
        };

        Ok(Self {
            token,
            database_url,
            api_base,
            dev_guild,
            log_filter,
            reminder_grace,
        })
    }

    /// The token, or the error that explains how to get one.
    pub fn require_token(&self) -> Result<&Token, ConfigError> {
        self.token.as_ref().ok_or_else(|| {
            ConfigError::new(
                "DISCORD_TOKEN",
                "is required: set it to your bot's token (Developer Portal → your application → Bot), or try `haven sandbox`",
            )
        })
    }
}

fn parse_api_base(raw: &str) -> Result<String, ConfigError> {
    let bad = || {
        ConfigError::new(
            "DISCORD_API_BASE",
            "must be an http(s) base URL such as http://127.0.0.1:8080",
        )
    };
    let url = url::Url::parse(raw.trim()).map_err(|_| bad())?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(bad());
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn parse(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_when_nothing_is_set() {
        let config = parse(&[]).unwrap();
        assert_eq!(config.token, None);
        assert_eq!(config.database_url, "sqlite://haven.db");
        assert_eq!(config.api_base, None);
        assert_eq!(config.dev_guild, None);
        assert_eq!(config.log_filter, "info");
        assert_eq!(config.reminder_grace, chrono::Duration::minutes(15));
        assert_eq!(
            config.require_token().unwrap_err().variable,
            "DISCORD_TOKEN"
        );
    }

    #[test]
    fn reads_every_variable() {
        let config = parse(&[
            ("DISCORD_TOKEN", " abc.def.ghi "),
            ("DATABASE_URL", "sqlite:///var/lib/haven/haven.db"),
            ("DISCORD_API_BASE", "http://127.0.0.1:8080/"),
            ("HAVEN_DEV_GUILD", "1300000000000000001"),
            ("RUST_LOG", "haven=debug"),
            ("HAVEN_REMINDER_GRACE", "5m"),
        ])
        .unwrap();
        assert_eq!(config.require_token().unwrap().expose(), "abc.def.ghi");
        assert_eq!(config.database_url, "sqlite:///var/lib/haven/haven.db");
        assert_eq!(config.api_base.as_deref(), Some("http://127.0.0.1:8080"));
        assert_eq!(config.dev_guild, Some(GuildId(1300000000000000001)));
        assert_eq!(config.log_filter, "haven=debug");
        assert_eq!(config.reminder_grace, chrono::Duration::minutes(5));
    }

    #[test]
    fn malformed_values_name_their_variable() {
        for (var, value) in [
            ("DISCORD_TOKEN", "has spaces in it"),
            ("DATABASE_URL", "postgres://localhost/haven"),
            ("DISCORD_API_BASE", "not a url"),
            ("DISCORD_API_BASE", "ftp://127.0.0.1"),
            ("HAVEN_DEV_GUILD", "my-server"),
            ("HAVEN_DEV_GUILD", "0"),
            ("HAVEN_DEV_GUILD", "-5"),
            ("HAVEN_REMINDER_GRACE", "soon"),
            ("HAVEN_REMINDER_GRACE", "3d"),
        ] {
            let err = parse(&[(var, value)]).unwrap_err();
            assert_eq!(err.variable, var, "{value}");
            let line = err.to_string();
            assert!(line.starts_with(var) && !line.contains('\n'), "{line}");
        }
    }

    #[test]
    fn the_token_never_shows_in_debug_output() {
        let config = parse(&[("DISCORD_TOKEN", "super.secret.token")]).unwrap();
        let printed = format!("{config:?} {}", config.require_token().unwrap());
        assert!(!printed.contains("super.secret.token"), "{printed}");
    }

    #[test]
    fn blank_values_count_as_unset() {
        let config = parse(&[("DISCORD_TOKEN", "  "), ("DATABASE_URL", "")]).unwrap();
        assert_eq!(config.token, None);
        assert_eq!(config.database_url, DEFAULT_DATABASE_URL);
    }
}
