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
    /// `DATABASE_URL`: the SQLite file (created if missing) or a PostgreSQL
    /// database, migrated on start.
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
    /// `HAVEN_ATTEND_MINUTES`: time in a voice meeting's channel that counts
    /// as attending it (default 10 minutes, 1 to 240).
    pub attend_minutes: i64,
    /// `HAVEN_JOB_LEASE`: how long this process's claim on a job holds
    /// unless renewed; another process takes the jobs of one that died once
    /// it has passed. Default 30 seconds.
    pub job_lease: chrono::Duration,
    /// `HAVEN_DB_POOL`: connections this process keeps to PostgreSQL
    /// (the job listener has one more of its own). Default 16.
    pub db_pool: u32,
    /// `HAVEN_SHARDS`: the shards this process runs, like `0-3/8`; unset,
    /// one process runs as many shards as Discord recommends.
    pub shards: Option<ShardRange>,
    /// `HAVEN_HTTP_ADDR`: where `/healthz` and `/metrics` listen; unset, off.
    pub http_addr: Option<std::net::SocketAddr>,
    /// `HAVEN_REST_PER_SECOND`: this process's share of Discord's global 50
    /// requests a second. Default: its share of the shards (all 50 alone).
    pub rest_per_second: u32,
    /// `HAVEN_WEB_ADDR` with `HAVEN_PUBLIC_URL`, `DISCORD_CLIENT_ID` and
    /// `DISCORD_CLIENT_SECRET`: the web dashboard; unset, off.
    pub web: Option<WebSettings>,
}

/// Where the web dashboard listens and how it logs people in.
#[derive(Clone, PartialEq, Eq)]
pub struct WebSettings {
    pub addr: std::net::SocketAddr,
    /// Its public address, without a trailing slash.
    pub public_url: String,
    pub client_id: String,
    /// Never logged.
    pub client_secret: String,
}

impl std::fmt::Debug for WebSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebSettings")
            .field("addr", &self.addr)
            .field("public_url", &self.public_url)
            .field("client_id", &self.client_id)
            .field("client_secret", &"(hidden)")
            .finish()
    }
}

/// Discord's global limit on REST requests per second, per bot.
pub const DISCORD_GLOBAL_PER_SECOND: u32 = 50;

impl Config {
    /// The database URL as logs may show it: without a password.
    pub fn database_shown(&self) -> String {
        shown_without_password(&self.database_url)
    }
}

/// `url` with any password (in its user part, or a `password=` parameter)
/// replaced by `***`.
fn shown_without_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (main, query) = match rest.split_once('?') {
        Some((main, query)) => (main, Some(query)),
        None => (rest, None),
    };
    // The last `@` ends the user part, whatever the password holds.
    let main = match main.rsplit_once('@') {
        Some((user, host)) => {
            let user = user.split(':').next().unwrap_or_default();
            format!("{user}:***@{host}")
        }
        None => main.to_owned(),
    };
    let Some(query) = query else {
        return format!("{scheme}://{main}");
    };
    let query: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((key, _)) if key.eq_ignore_ascii_case("password") => format!("{key}=***"),
            _ => pair.to_owned(),
        })
        .collect();
    format!("{scheme}://{main}?{}", query.join("&"))
}

/// Shards `first..=last` of `total`, as `HAVEN_SHARDS` gives them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShardRange {
    pub first: u32,
    pub last: u32,
    pub total: u32,
}

impl ShardRange {
    /// The most shards this accepts (far beyond any one bot's need).
    pub const MAX_TOTAL: u32 = 65_536;

    /// Reads `0-3/8` (shards 0 to 3 of 8) or `2/8` (shard 2 of 8).
    pub fn parse(raw: &str) -> Option<Self> {
        let (range, total) = raw.trim().split_once('/')?;
        let total: u32 = total.trim().parse().ok()?;
        let (first, last) = match range.split_once('-') {
            Some((a, b)) => (a.trim().parse().ok()?, b.trim().parse().ok()?),
            None => {
                let one: u32 = range.trim().parse().ok()?;
                (one, one)
            }
        };
        ((1..=Self::MAX_TOTAL).contains(&total) && first <= last && last < total).then_some(Self {
            first,
            last,
            total,
        })
    }

    /// How many shards this process runs.
    pub fn count(self) -> u32 {
        self.last - self.first + 1
    }

    /// Whether this process runs shard 0, the one that registers commands
    /// (and receives direct messages).
    pub fn has_first_shard(self) -> bool {
        self.first == 0
    }

    /// This process's share of Discord's global REST limit: in proportion
    /// to its shards, at least one request a second.
    pub fn rest_share(self) -> u32 {
        let share =
            u64::from(DISCORD_GLOBAL_PER_SECOND) * u64::from(self.count()) / u64::from(self.total);
        u32::try_from(share)
            .unwrap_or(DISCORD_GLOBAL_PER_SECOND)
            .max(1)
    }
}

impl fmt::Display for ShardRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}/{}", self.first, self.last, self.total)
    }
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
        if !["sqlite:", "postgres://", "postgresql://"]
            .iter()
            .any(|scheme| database_url.starts_with(scheme))
        {
            return Err(ConfigError::new(
                "DATABASE_URL",
                format!(
                    "must be a SQLite URL such as {DEFAULT_DATABASE_URL} or a PostgreSQL one such as postgres://haven@localhost/haven"
                ),
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
            None => crate::domain::reminders::DEFAULT_GRACE,
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

        let attend_minutes = match get("HAVEN_ATTEND_MINUTES") {
            None => crate::domain::attendance::DEFAULT_ATTEND_MINUTES,
            Some(raw) => raw
                .trim()
                .parse::<i64>()
                .ok()
                .filter(|m| crate::domain::attendance::ATTEND_MINUTES.contains(m))
                .ok_or_else(|| {
                    ConfigError::new(
                        "HAVEN_ATTEND_MINUTES",
                        "must be a number of minutes from 1 to 240",
                    )
                })?,
        };

        let job_lease = match get("HAVEN_JOB_LEASE") {
            None => crate::store::DEFAULT_LEASE,
            Some(raw) => humantime::parse_duration(raw.trim())
                .ok()
                .and_then(|d| chrono::Duration::from_std(d).ok())
                .filter(|d| {
                    *d >= chrono::Duration::seconds(1) && *d <= chrono::Duration::minutes(2)
                })
                // Discord keeps a nonce for a few minutes: a takeover after a
                // longer lease could show a message twice.
                .ok_or_else(|| {
                    ConfigError::new(
                        "HAVEN_JOB_LEASE",
                        "must be a span from 1s to 2m, such as 30s",
                    )
                })?,
        };

        let db_pool = match get("HAVEN_DB_POOL") {
            None => crate::store::DEFAULT_POOL,
            Some(raw) => match raw.trim().parse::<u32>() {
                Ok(n) if (2..=1_000).contains(&n) => n,
                _ => {
                    return Err(ConfigError::new(
                        "HAVEN_DB_POOL",
                        "must be a whole number of database connections from 2, such as 16",
                    ));
                }
            },
        };

        let shards = match get("HAVEN_SHARDS") {
            None => None,
            Some(raw) => Some(ShardRange::parse(&raw).ok_or_else(|| {
                ConfigError::new(
                    "HAVEN_SHARDS",
                    "must be a range of shards like 0-3/8 (shards 0 to 3 of 8) or 2/8, with the last below the total",
                )
            })?),
        };

        let http_addr = match get("HAVEN_HTTP_ADDR") {
            None => None,
            Some(raw) => Some(raw.trim().parse().map_err(|_| {
                ConfigError::new(
                    "HAVEN_HTTP_ADDR",
                    "must be an address and port such as 127.0.0.1:9100",
                )
            })?),
        };

        let rest_per_second = match get("HAVEN_REST_PER_SECOND") {
            None => shards.map_or(DISCORD_GLOBAL_PER_SECOND, ShardRange::rest_share),
            Some(raw) => match raw.trim().parse::<u32>() {
                Ok(n) if (1..=10_000).contains(&n) => n,
                _ => {
                    return Err(ConfigError::new(
                        "HAVEN_REST_PER_SECOND",
                        "must be a whole number of requests a second from 1 (Discord allows 50 for the whole bot)",
                    ));
                }
            },
        };

        let web = match get("HAVEN_WEB_ADDR") {
            None => None,
            Some(raw) => {
                let addr = raw.trim().parse().map_err(|_| {
                    ConfigError::new(
                        "HAVEN_WEB_ADDR",
                        "must be an address and port such as 127.0.0.1:8080",
                    )
                })?;
                let need = |name: &'static str| {
                    get(name).map(|v| v.trim().to_owned()).ok_or_else(|| {
                        ConfigError::new(name, "is needed with HAVEN_WEB_ADDR (the web dashboard)")
                    })
                };
                let public_url = need("HAVEN_PUBLIC_URL")?;
                let parsed = url::Url::parse(&public_url).map_err(|_| {
                    ConfigError::new(
                        "HAVEN_PUBLIC_URL",
                        "must be the dashboard's address, such as https://haven.example.org",
                    )
                })?;
                let local = matches!(parsed.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
                if parsed.scheme() != "https" && !local {
                    return Err(ConfigError::new(
                        "HAVEN_PUBLIC_URL",
                        "must start with https:// (the login cookie is sent only over HTTPS)",
                    ));
                }
                let client_id = need("DISCORD_CLIENT_ID")?;
                if client_id.parse::<u64>().is_err() {
                    return Err(ConfigError::new(
                        "DISCORD_CLIENT_ID",
                        "must be your application's id (Developer Portal → OAuth2)",
                    ));
                }
                Some(WebSettings {
                    addr,
                    public_url: public_url.trim_end_matches('/').to_owned(),
                    client_id,
                    client_secret: need("DISCORD_CLIENT_SECRET")?,
                })
            }
        };

        if database_url.starts_with("sqlite:") && shards.is_some_and(|s| s.count() < s.total) {
            return Err(ConfigError::new(
                "HAVEN_SHARDS",
                "a part of the shards needs a database shared by every process: set DATABASE_URL to Postgres, \
                 or leave HAVEN_SHARDS unset to run every shard in this one process",
            ));
        }

        Ok(Self {
            token,
            database_url,
            api_base,
            dev_guild,
            log_filter,
            reminder_grace,
            attend_minutes,
            job_lease,
            db_pool,
            shards,
            http_addr,
            rest_per_second,
            web,
        })
    }

    /// Haven against the Discord at `api_base` (the fake one: the sandbox,
    /// tests and benchmarks), every other setting at its default.
    pub fn against(api_base: String, database_url: String, token: &str) -> Self {
        Self {
            token: Some(Token::new(token)),
            database_url,
            api_base: Some(api_base),
            dev_guild: None,
            log_filter: "warn".to_owned(),
            reminder_grace: crate::domain::reminders::DEFAULT_GRACE,
            attend_minutes: crate::domain::attendance::DEFAULT_ATTEND_MINUTES,
            job_lease: crate::store::DEFAULT_LEASE,
            db_pool: crate::store::DEFAULT_POOL,
            shards: None,
            http_addr: None,
            rest_per_second: DISCORD_GLOBAL_PER_SECOND,
            web: None,
        }
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
    fn shard_ranges_are_read_strictly() {
        assert_eq!(
            ShardRange::parse("0-3/8"),
            Some(ShardRange {
                first: 0,
                last: 3,
                total: 8
            })
        );
        assert_eq!(
            ShardRange::parse(" 2/8 "),
            Some(ShardRange {
                first: 2,
                last: 2,
                total: 8
            })
        );
        for bad in [
            "", "8/8", "3-2/8", "0-8/8", "0/0", "a/8", "0-3", "-1/2", "0-3/8/9", "1-/4", "0/70000",
        ] {
            assert_eq!(ShardRange::parse(bad), None, "{bad:?}");
        }
        let r = ShardRange::parse("4-7/8").unwrap();
        assert_eq!(
            (r.count(), r.has_first_shard(), r.rest_share()),
            (4, false, 25)
        );
        assert_eq!(ShardRange::parse("0/1").unwrap().rest_share(), 50);
        assert_eq!(ShardRange::parse("0/1000").unwrap().rest_share(), 1);
        assert_eq!(r.to_string(), "4-7/8");
    }

    #[test]
    fn a_database_password_never_reaches_the_logs() {
        assert_eq!(
            shown_without_password("postgres://haven:s3cret@db:5432/haven"),
            "postgres://haven:***@db:5432/haven"
        );
        assert_eq!(
            shown_without_password("sqlite://haven.db"),
            "sqlite://haven.db"
        );
        assert_eq!(
            shown_without_password("postgres://db/haven"),
            "postgres://db/haven"
        );
        assert_eq!(
            shown_without_password("postgres://haven:a/b@c@db/haven?sslmode=require"),
            "postgres://haven:***@db/haven?sslmode=require"
        );
        assert_eq!(
            shown_without_password("postgres://db/haven?user=haven&password=s3cret"),
            "postgres://db/haven?user=haven&password=***"
        );
    }

    #[test]
    fn a_part_of_the_shards_needs_a_shared_database() {
        let e = parse(&[("HAVEN_SHARDS", "0-1/4")]).unwrap_err();
        assert_eq!(e.variable, "HAVEN_SHARDS");
        // On PostgreSQL, shared by every process, a part is fine.
        let c = parse(&[
            ("HAVEN_SHARDS", "0-1/4"),
            ("DATABASE_URL", "postgres://haven@localhost/haven"),
        ])
        .unwrap();
        assert_eq!(c.rest_per_second, 25);
        // All shards in one process is fine on SQLite.
        let c = parse(&[("HAVEN_SHARDS", "0-3/4")]).unwrap();
        assert_eq!(c.rest_per_second, 50);
        let c = parse(&[("HAVEN_SHARDS", "0-3/4"), ("HAVEN_REST_PER_SECOND", "20")]).unwrap();
        assert_eq!(c.rest_per_second, 20);
        assert!(parse(&[("HAVEN_REST_PER_SECOND", "0")]).is_err());
        assert!(parse(&[("HAVEN_HTTP_ADDR", "localhost")]).is_err());
        assert_eq!(
            parse(&[("HAVEN_HTTP_ADDR", "127.0.0.1:9100")])
                .unwrap()
                .http_addr,
            Some("127.0.0.1:9100".parse().unwrap())
        );
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
            ("DATABASE_URL", "mysql://localhost/haven"),
            ("DISCORD_API_BASE", "not a url"),
            ("DISCORD_API_BASE", "ftp://127.0.0.1"),
            ("HAVEN_DEV_GUILD", "my-server"),
            ("HAVEN_DEV_GUILD", "0"),
            ("HAVEN_DEV_GUILD", "-5"),
            ("HAVEN_REMINDER_GRACE", "soon"),
            ("HAVEN_REMINDER_GRACE", "3d"),
            ("HAVEN_JOB_LEASE", "0s"),
            ("HAVEN_JOB_LEASE", "2h"),
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

    #[test]
    fn the_web_dashboard_needs_its_four_settings_and_never_shows_the_secret() {
        let web = [
            ("DISCORD_TOKEN", "abc"),
            ("HAVEN_WEB_ADDR", "127.0.0.1:8080"),
            ("HAVEN_PUBLIC_URL", "https://haven.example.org/"),
            ("DISCORD_CLIENT_ID", "1000000000000000001"),
            ("DISCORD_CLIENT_SECRET", "s3cret-value"),
        ];
        let c = parse(&web).unwrap();
        let w = c.web.clone().unwrap();
        assert_eq!(w.public_url, "https://haven.example.org");
        assert!(!format!("{c:?}").contains("s3cret-value"));
        for missing in [
            "HAVEN_PUBLIC_URL",
            "DISCORD_CLIENT_ID",
            "DISCORD_CLIENT_SECRET",
        ] {
            let vars: Vec<_> = web.iter().copied().filter(|(k, _)| *k != missing).collect();
            assert_eq!(parse(&vars).unwrap_err().variable, missing);
        }
        let plain: Vec<_> = web
            .iter()
            .map(|&(k, v)| {
                if k == "HAVEN_PUBLIC_URL" {
                    (k, "http://haven.example.org")
                } else {
                    (k, v)
                }
            })
            .collect();
        assert_eq!(parse(&plain).unwrap_err().variable, "HAVEN_PUBLIC_URL");
        assert!(parse(&[("DISCORD_TOKEN", "abc")]).unwrap().web.is_none());
    }
}
