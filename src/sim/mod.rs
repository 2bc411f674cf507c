//! The project's own fake Discord: REST and gateway on 127.0.0.1, speaking
//! enough of Discord's v10 API for the real serenity/poise bot, which reaches
//! it through `DISCORD_API_BASE`. Tests, benchmarks and `haven sandbox` drive
//! it as members would: slash commands, button presses, modal submits and
//! autocomplete, then read what the bot answered or posted. It also plays
//! the server's other actors, an admin by hand in Discord's own UI and
//! AutoMod (see `actors`), and tells the bot of their changes with
//! Discord's gateway events.

mod actors;
pub mod events;
mod gateway;
pub mod limits;
pub mod message;
pub mod moderation;
pub mod oauth;
pub mod payloads;
mod rest;
pub mod slash;
pub mod world;

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::sync::{Notify, mpsc};

pub use limits::RateLimits;
pub use message::{SimAttachment, SimButton, SimMessage};
pub use moderation::{AuditEntry, SimBan};
pub use slash::SlashError;
pub use world::{SimChannel, SimMember, SimOverwrite, World};

/// How long a test waits for the bot before giving up.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(10);
/// Discord's deadline for the first answer to an interaction.
pub const INTERACTION_DEADLINE: Duration = Duration::from_secs(3);
/// How long follow-ups and edits of the original answer keep working.
pub const INTERACTION_TOKEN_LIFETIME: Duration = Duration::from_secs(15 * 60);
/// How long Discord remembers a message nonce for deduplication.
pub const NONCE_LIFETIME: Duration = Duration::from_secs(5 * 60);
/// Discord's limit on a nonce's length.
pub const MAX_NONCE_LEN: usize = 25;

/// A failure the fake Discord answers with instead of doing the work.
#[derive(Debug, Clone, PartialEq)]
pub enum FaultKind {
    /// This HTTP status with a plain error body (for example 500).
    Status(u16),
    /// 429 Too Many Requests, asking to retry after this many seconds.
    RateLimited { retry_after: f64 },
    /// Answers normally, but only after this long.
    Slow(Duration),
    /// Does the work, then answers with this status as if the answer had
    /// been lost on the way (the client cannot know it succeeded).
    LostResponse(u16),
    /// Does the work (its gateway events included), then waits this long
    /// before answering normally: a call that outlasts the client's own
    /// timeout after Discord carried it out. The call is logged when the
    /// work is done.
    DoneThenStall(Duration),
}

/// Gateway intents, the bits of IDENTIFY's `intents`: Discord sends an
/// event only to a session that asked for its intent.
pub mod intents {
    /// Channel, role and server changes (`CHANNEL_UPDATE`, ...).
    pub const GUILDS: u64 = 1;
    /// `GUILD_BAN_ADD`, `GUILD_BAN_REMOVE`.
    pub const GUILD_MODERATION: u64 = 1 << 2;
    /// Messages in servers (`MESSAGE_DELETE`, `MESSAGE_DELETE_BULK`).
    pub const GUILD_MESSAGES: u64 = 1 << 9;
    /// Messages in direct messages.
    pub const DIRECT_MESSAGES: u64 = 1 << 12;
    /// `VOICE_STATE_UPDATE`.
    pub const GUILD_VOICE_STATES: u64 = 1 << 7;
    /// `AUTO_MODERATION_ACTION_EXECUTION`.
    pub const AUTO_MODERATION_EXECUTION: u64 = 1 << 21;

    /// The intent Discord requires for `event` (none for interactions and
    /// the session's own events); `in_guild` tells a server's message
    /// events from a direct message's.
    pub fn required_for(event: &str, in_guild: bool) -> u64 {
        match event {
            "CHANNEL_CREATE" | "CHANNEL_UPDATE" | "CHANNEL_DELETE" => GUILDS,
            "GUILD_BAN_ADD" | "GUILD_BAN_REMOVE" => GUILD_MODERATION,
            "MESSAGE_CREATE" | "MESSAGE_UPDATE" | "MESSAGE_DELETE" | "MESSAGE_DELETE_BULK" => {
                if in_guild {
                    GUILD_MESSAGES
                } else {
                    DIRECT_MESSAGES
                }
            }
            "AUTO_MODERATION_ACTION_EXECUTION" => AUTO_MODERATION_EXECUTION,
            "VOICE_STATE_UPDATE" => GUILD_VOICE_STATES,
            _ => 0,
        }
    }
}

/// Answers the next `times` REST calls whose method and path match with a failure.
#[derive(Debug, Clone, PartialEq)]
pub struct Fault {
    /// `None` matches any method.
    pub method: Option<String>,
    /// Matches when the path (after `/api/v10`) contains this.
    pub path_contains: String,
    pub kind: FaultKind,
    pub times: u32,
}

/// A thread the bot opened on one of its messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimThread {
    pub id: u64,
    pub parent: u64,
    pub message: u64,
    pub name: String,
}

/// One REST call the bot made.
#[derive(Debug, Clone)]
pub struct RestCall {
    pub method: String,
    pub path: String,
    /// Who called, for a client given [`Sim::base_url_as`].
    pub caller: Option<String>,
    pub status: u16,
    pub at: Instant,
}

/// What the bot answered to one interaction.
#[derive(Debug, Clone)]
struct InteractionLog {
    created: Instant,
    channel_id: u64,
    member_id: u64,
    acknowledged: bool,
    /// The message the answer lives in: the reply, or for a button press
    /// answered by updating, the message the button was on.
    original: Option<u64>,
    source_message: Option<u64>,
    followups: Vec<u64>,
    choices: Option<Vec<(String, Value)>>,
    modal: Option<Value>,
    callback_types: Vec<u64>,
    /// Answered after the deadline (and so refused).
    late: bool,
    /// A button press acknowledged with a deferred update (type 6): its
    /// answer is the next edit of the message the button was on.
    deferred_update: bool,
    /// A deferred reply's flags decide whether the reply is ephemeral, as
    /// on Discord (an edit cannot change it).
    deferred_ephemeral: bool,
    /// That message's revision when the button was pressed.
    source_revision: u32,
    /// The caller that acknowledged it (see [`Sim::base_url_as`]).
    answered_by: Option<String>,
}

impl InteractionLog {
    fn new(channel_id: u64, member_id: u64, source_message: Option<u64>) -> Self {
        Self {
            created: Instant::now(),
            channel_id,
            member_id,
            acknowledged: false,
            original: None,
            source_message,
            followups: Vec::new(),
            choices: None,
            modal: None,
            callback_types: Vec::new(),
            late: false,
            deferred_update: false,
            deferred_ephemeral: false,
            source_revision: 0,
            answered_by: None,
        }
    }
}

enum GatewayCmd {
    Dispatch(&'static str, Value),
    Close,
}

#[derive(Default)]
struct State {
    next_id: u64,
    commands_global: Vec<Value>,
    commands_guild: Vec<Value>,
    registered_at: Option<Instant>,
    messages: Vec<SimMessage>,
    /// Where each message sits in `messages`, by id.
    message_index: HashMap<u64, usize>,
    interactions: HashMap<String, InteractionLog>,
    interaction_ids: HashMap<u64, String>,
    rest_log: Vec<RestCall>,
    faults: Vec<Fault>,
    /// Message nonces the bot used, with the message and when.
    nonces: HashMap<String, (u64, Instant)>,
    /// How long Discord keeps a nonce (shortened by tests that must show
    /// something other than the nonce kept a message from showing twice).
    nonce_lifetime: Option<Duration>,
    limits: RateLimits,
    limiter: limits::Limiter,
    /// 429s answered because the bot went over a limit (injected faults not counted).
    rate_limited: u64,
    /// Interactions answered after their deadline.
    late_answers: u64,
    /// Lines for the sandbox: limits hit, late answers.
    warnings: Vec<String>,
    /// Members whose roles changed since the world was made.
    roles_now: HashMap<u64, Vec<u64>>,
    /// Threads the bot opened: (thread id, parent channel, message, name).
    threads: Vec<SimThread>,
    deleted_channels: HashSet<u64>,
    closed_dms: HashSet<u64>,
    /// The time as the bot's clock has it (virtual in tests), for Discord's
    /// time rules: the 28-day timeout limit, the 14-day bulk-delete limit.
    clock: Option<Arc<dyn Fn() -> chrono::DateTime<chrono::Utc> + Send + Sync>>,
    /// Roles whose permissions changed since the world was made.
    role_permissions_now: HashMap<u64, u64>,
    /// Members timed out, until when.
    timeouts: HashMap<u64, chrono::DateTime<chrono::Utc>>,
    /// Members no longer in the server (kicked or banned).
    kicked: HashSet<u64>,
    bans: HashMap<u64, moderation::SimBan>,
    /// Channels' slowmode in seconds, where set.
    slowmode: HashMap<u64, u32>,
    /// Channels whose overwrites changed since the world was made.
    overwrites_now: HashMap<u64, Vec<SimOverwrite>>,
    /// Moderation calls with their audit-log reasons.
    audit: Vec<moderation::AuditEntry>,
    /// Guild scheduled events, by id.
    events: std::collections::BTreeMap<u64, events::SimEvent>,
    /// Who is in which voice or stage channel now, by member.
    voice: std::collections::BTreeMap<u64, u64>,
    /// Web logins in flight (OAuth2 codes and tokens).
    oauth: oauth::OAuth,
    /// Open gateway connections by number, each with the shard it
    /// identified as (once it has).
    connections: HashMap<u64, Connection>,
    next_connection: u64,
    identify_count: u32,
    /// Every IDENTIFY's `shard: [id, total]`, in order, with the caller
    /// whose connection sent it.
    identifies: Vec<([u32; 2], Option<String>)>,
    /// How many times each message nonce was posted, those Discord answered
    /// with the first message included.
    nonce_posts: HashMap<String, u32>,
    pending: Vec<(&'static str, Value)>,
    /// The intents each shard last identified with, for a session that
    /// resumes.
    shard_intents: HashMap<[u32; 2], u64>,
    /// The intents of the latest IDENTIFY.
    last_intents: Option<u64>,
}

/// One gateway connection: where to send its events, and the shard it
/// identified as.
struct Connection {
    tx: mpsc::UnboundedSender<GatewayCmd>,
    shard: Option<[u32; 2]>,
    /// Who connected, when the client reached the fake Discord at
    /// `/as/{caller}` (one process among several).
    caller: Option<String>,
    /// The intents its session asked for (see [`intents`]).
    intents: u64,
}

/// Whether `name` can name a caller in a path as it is: ASCII letters,
/// digits, `-` and `_`.
fn caller_name_ok(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// The gateway's address as the client at `/as/{caller}` is given it.
fn gateway_url(inner: &Inner, caller: Option<&str>) -> String {
    match caller {
        Some(c) => format!("ws://{}/as/{c}/ws", inner.addr),
        None => format!("ws://{}/ws", inner.addr),
    }
}

/// The shard Discord sends a guild's events to: `(guild_id >> 22) % total`.
/// Events without a guild (direct messages) go to shard 0.
pub fn shard_for(guild: Option<u64>, total: u32) -> u32 {
    match guild {
        Some(g) if total > 0 => ((g >> 22) % u64::from(total)) as u32,
        _ => 0,
    }
}

fn guild_of(payload: &Value) -> Option<u64> {
    payload["guild_id"].as_str().and_then(|g| g.parse().ok())
}

/// Whether a session with `asked` intents gets this event.
fn wants(asked: u64, event: &str, payload: &Value) -> bool {
    let needed = intents::required_for(event, guild_of(payload).is_some());
    asked & needed == needed
}

impl State {
    /// Now, by the bot's clock when the test gave it, else the system's.
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.as_ref().map_or_else(chrono::Utc::now, |c| c())
    }

    fn role_permissions(&self, role: u64, initial: u64) -> u64 {
        self.role_permissions_now
            .get(&role)
            .copied()
            .unwrap_or(initial)
    }

    fn member_roles(&self, world: &World, member: u64) -> Vec<u64> {
        self.roles_now.get(&member).cloned().unwrap_or_else(|| {
            world
                .member_by_id(member)
                .map(|m| m.roles.clone())
                .unwrap_or_default()
        })
    }

    /// The channel's overwrites now, to read or change.
    fn overwrites(&mut self, world: &World, channel: u64) -> &mut Vec<SimOverwrite> {
        self.overwrites_now.entry(channel).or_insert_with(|| {
            world
                .channels
                .iter()
                .find(|c| c.id == channel)
                .map(|c| c.overwrites.clone())
                .unwrap_or_default()
        })
    }

    fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        1_700_000_000_000_000_000 + self.next_id
    }

    /// Fresh ids for `n` uploaded files.
    fn upload_ids(&mut self, n: usize) -> std::vec::IntoIter<u64> {
        (0..n)
            .map(|_| self.next_id())
            .collect::<Vec<_>>()
            .into_iter()
    }

    fn message_mut(&mut self, id: u64) -> Option<&mut SimMessage> {
        let at = *self.message_index.get(&id)?;
        self.messages.get_mut(at)
    }

    /// Who is in a voice or stage channel of `guild` now: (member, channel).
    fn voice_in(&self, world: &World, guild: u64) -> Vec<(u64, u64)> {
        self.voice
            .iter()
            .filter(|(_, channel)| {
                world
                    .channels
                    .iter()
                    .any(|c| c.id == **channel && c.guild_id == Some(guild))
            })
            .map(|(u, c)| (*u, *c))
            .collect()
    }

    fn message(&self, id: u64) -> Option<&SimMessage> {
        self.messages.get(*self.message_index.get(&id)?)
    }

    fn push_message(&mut self, message: SimMessage) {
        self.message_index.insert(message.id, self.messages.len());
        self.messages.push(message);
    }

    /// Sends an event to the connection of the shard that owns its guild,
    /// or keeps it until that shard identifies. As Discord, it sends an
    /// event only to a session that asked for its intent.
    fn dispatch(&mut self, event: &'static str, payload: Value) {
        let guild = guild_of(&payload);
        let owner = self.connections.values().find(|c| {
            c.shard
                .is_some_and(|[id, total]| shard_for(guild, total) == id)
        });
        match owner {
            Some(c) if !wants(c.intents, event, &payload) => {}
            Some(c) => {
                if c.tx
                    .send(GatewayCmd::Dispatch(event, payload.clone()))
                    .is_err()
                {
                    self.pending.push((event, payload));
                }
            }
            None => self.pending.push((event, payload)),
        }
    }

    /// Takes the events kept for `shard` while no connection had it, those
    /// a session with `intents` asked for; drops the rest of them.
    fn take_pending_for(&mut self, shard: [u32; 2], intents: u64) -> Vec<(&'static str, Value)> {
        let (mine, others): (Vec<_>, Vec<_>) = std::mem::take(&mut self.pending)
            .into_iter()
            .partition(|(_, d)| shard_for(guild_of(d), shard[1]) == shard[0]);
        self.pending = others;
        mine.into_iter()
            .filter(|(event, d)| wants(intents, event, d))
            .collect()
    }

    /// Whether some connection has identified.
    fn identified(&self) -> bool {
        self.connections.values().any(|c| c.shard.is_some())
    }
}

struct Inner {
    world: World,
    state: Mutex<State>,
    changed: Notify,
    addr: SocketAddr,
}

impl Inner {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `f` on the state and wakes everyone waiting for a change.
    fn update<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        let out = f(&mut self.state());
        self.changed.notify_waiters();
        out
    }

    fn channel(&self, id: u64) -> Option<SimChannel> {
        if let Some(c) = self.world.channels.iter().find(|c| c.id == id) {
            return Some(c.clone());
        }
        let member_id = id & !(1 << 62);
        (id != member_id)
            .then(|| self.world.member_by_id(member_id))
            .flatten()
            .map(|m| self.world.dm_channel_for(m))
    }
}

/// A running fake Discord. Cloning gives another handle to the same one; it
/// stops when the last handle is dropped.
#[derive(Clone)]
pub struct Sim {
    inner: Arc<Inner>,
    _server: Arc<ServerTask>,
}

struct ServerTask(tokio::task::JoinHandle<()>);

impl Drop for ServerTask {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl Sim {
    /// Starts a fake Discord holding `world` on a free port of 127.0.0.1,
    /// with Discord's rate limits.
    pub async fn start(world: World) -> std::io::Result<Self> {
        Self::start_with_limits(world, RateLimits::default()).await
    }

    /// Starts a fake Discord with the given rate limits.
    pub async fn start_with_limits(world: World, limits: RateLimits) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let inner = Arc::new(Inner {
            world,
            state: Mutex::new(State {
                limits,
                ..State::default()
            }),
            changed: Notify::new(),
            addr,
        });
        let app = axum::Router::new()
            .route("/ws", axum::routing::get(gateway::upgrade))
            .route("/as/{caller}/ws", axum::routing::get(gateway::upgrade_as))
            .fallback(rest::handle)
            .with_state(inner.clone());
        // Small frames go out at once, as Discord's edge sends them: without
        // TCP_NODELAY, Nagle's algorithm would hold replies back under load.
        let listener =
            axum::serve::ListenerExt::tap_io(listener, |tcp: &mut tokio::net::TcpStream| {
                let _ = tcp.set_nodelay(true);
            });
        let server = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::error!(error = %e, "fake Discord stopped");
            }
        });
        Ok(Self {
            inner,
            _server: Arc::new(ServerTask(server)),
        })
    }

    /// The value for `DISCORD_API_BASE`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.inner.addr)
    }

    /// A value for `DISCORD_API_BASE` that names its client: the REST
    /// calls, gateway connections and answers of a process given it are
    /// told apart from those of other processes by `caller`.
    ///
    /// # Panics
    /// When `caller` is not a plain name (ASCII letters, digits, `-`, `_`):
    /// a mistake in the test itself.
    pub fn base_url_as(&self, caller: &str) -> String {
        assert!(
            caller_name_ok(caller),
            "not a plain caller name: {caller:?}"
        );
        format!("http://{}/as/{caller}", self.inner.addr)
    }

    pub fn world(&self) -> &World {
        &self.inner.world
    }

    /// A member of the sandbox world by name.
    ///
    /// # Panics
    /// When there is no such member: a mistake in the test itself.
    pub fn member(&self, name: &str) -> SimMember {
        self.inner
            .world
            .member(name)
            .unwrap_or_else(|| panic!("no member {name}"))
            .clone()
    }

    /// A channel's id by name, in the first server (a sister server's
    /// channels: `world().channel_in`).
    ///
    /// # Panics
    /// When there is no such channel: a mistake in the test itself.
    pub fn channel_id(&self, name: &str) -> u64 {
        self.inner
            .world
            .channel(name)
            .unwrap_or_else(|| panic!("no channel {name}"))
            .id
    }

    /// The member's DM channel with the bot.
    pub fn dm_channel_id(&self, member: &SimMember) -> u64 {
        self.inner.world.dm_channel_for(member).id
    }

    /// Waits until the bot has registered its commands; returns when it did.
    pub async fn wait_registered(&self, timeout: Duration) -> Option<Instant> {
        self.wait(timeout, |s| s.registered_at).await
    }

    /// Waits until the bot's gateway session is identified.
    pub async fn wait_connected(&self, timeout: Duration) -> bool {
        self.wait(timeout, |s| s.identified().then_some(()))
            .await
            .is_some()
    }

    /// How many times the bot identified on the gateway.
    pub fn identify_count(&self) -> u32 {
        self.inner.state().identify_count
    }

    /// Every IDENTIFY's shard, `[id, total]`, in order.
    pub fn identified_shards(&self) -> Vec<[u32; 2]> {
        self.inner
            .state()
            .identifies
            .iter()
            .map(|(s, _)| *s)
            .collect()
    }

    /// The intents the latest IDENTIFY asked for.
    pub fn identified_intents(&self) -> Option<u64> {
        self.inner.state().last_intents
    }

    /// Every IDENTIFY's shard with the caller that sent it (see
    /// [`Sim::base_url_as`]), in order.
    pub fn identified_shards_by(&self) -> Vec<([u32; 2], Option<String>)> {
        self.inner.state().identifies.clone()
    }

    /// The caller that answered the interaction `token` (its first
    /// callback), when the bot reached the fake Discord through
    /// [`Sim::base_url_as`].
    pub fn answered_by(&self, token: &str) -> Option<String> {
        self.inner
            .state()
            .interactions
            .get(token)
            .and_then(|l| l.answered_by.clone())
    }

    /// Makes Discord forget a message's nonce after `lifetime` instead of a
    /// few minutes: a repeat after that posts again, as it would once the
    /// real window has passed.
    pub fn set_nonce_lifetime(&self, lifetime: Duration) {
        self.inner.update(|s| s.nonce_lifetime = Some(lifetime));
    }

    /// How many times each message nonce was posted, a post Discord
    /// answered with the message already made for it (a re-send) included.
    pub fn nonce_posts(&self) -> HashMap<String, u32> {
        self.inner.state().nonce_posts.clone()
    }

    /// The shards identified on connections open now.
    pub fn connected_shards(&self) -> Vec<[u32; 2]> {
        let mut shards: Vec<[u32; 2]> = self
            .inner
            .state()
            .connections
            .values()
            .filter_map(|c| c.shard)
            .collect();
        shards.sort_unstable();
        shards
    }

    /// The commands the bot registered: global ones and the server's.
    pub fn registered_commands(&self) -> Vec<Value> {
        let s = self.inner.state();
        s.commands_guild
            .iter()
            .chain(s.commands_global.iter())
            .cloned()
            .collect()
    }

    /// Sends a slash command typed as in Discord (`/timezone set zone:Europe/Berlin`)
    /// from `member` in `channel`. Returns the interaction token.
    pub fn command(
        &self,
        member: &SimMember,
        channel: u64,
        line: &str,
    ) -> Result<String, SlashError> {
        let parsed = slash::parse(line, &self.registered_commands(), &self.inner.world, false)?;
        Ok(self.send_command_data(member, channel, 2, parsed, None))
    }

    /// Sends a slash command with options given as raw JSON, exactly as
    /// written (for malformed or stale interactions a client could send).
    pub fn command_raw(
        &self,
        member: &SimMember,
        channel: u64,
        name: &str,
        options: Value,
    ) -> String {
        let command_id = self
            .registered_commands()
            .iter()
            .find(|c| c["name"].as_str() == Some(name))
            .and_then(|c| c["id"].as_str()?.parse().ok())
            .unwrap_or(1_999_999_999_999_999_999);
        self.send_command_data(
            member,
            channel,
            2,
            slash::Parsed {
                command_id,
                name: name.to_owned(),
                options,
                resolved: Value::Object(Default::default()),
            },
            None,
        )
    }

    /// Uses the message context-menu command `name` (type 3) on `target`,
    /// as `member` in the target's channel. Returns the interaction token.
    pub fn message_command(&self, member: &SimMember, name: &str, target: &SimMessage) -> String {
        let command_id = self
            .registered_commands()
            .iter()
            .find(|c| c["name"].as_str() == Some(name) && c["type"].as_u64() == Some(3))
            .and_then(|c| c["id"].as_str()?.parse().ok())
            .unwrap_or(1_999_999_999_999_999_999);
        let world = &self.inner.world;
        let author = match world.member_by_id(target.author_id) {
            Some(a) => payloads::user(a.id, &a.name, false),
            None => payloads::user(world.bot_id, &world.bot_name, true),
        };
        let message = target.to_json(&author);
        self.send_command_data(
            member,
            target.channel_id,
            2,
            slash::Parsed {
                command_id,
                name: name.to_owned(),
                options: Value::Array(Vec::new()),
                resolved: serde_json::json!({ "messages": { target.id.to_string(): message } }),
            },
            Some(target.id),
        )
    }

    /// Sends an autocomplete request for the last option of `line`.
    pub fn autocomplete(
        &self,
        member: &SimMember,
        channel: u64,
        line: &str,
    ) -> Result<String, SlashError> {
        let parsed = slash::parse(line, &self.registered_commands(), &self.inner.world, true)?;
        Ok(self.send_command_data(member, channel, 4, parsed, None))
    }

    fn send_command_data(
        &self,
        member: &SimMember,
        channel: u64,
        kind: u8,
        parsed: slash::Parsed,
        message_target: Option<u64>,
    ) -> String {
        let channel = self
            .inner
            .channel(channel)
            .unwrap_or_else(|| panic!("no channel {channel}"));
        self.inner.update(|s| {
            let id = s.next_id();
            let token = format!("tok{id}");
            let place = payloads::Place {
                world: &self.inner.world,
                channel: &channel,
                member,
            };
            let mut payload = place.command(
                id,
                &token,
                kind,
                payloads::CommandData {
                    command_id: parsed.command_id,
                    name: parsed.name,
                    options: parsed.options,
                    resolved: parsed.resolved,
                },
            );
            if let Some(target) = message_target {
                payload["data"]["type"] = serde_json::json!(3);
                payload["data"]["target_id"] = serde_json::json!(target.to_string());
                if let Some(data) = payload["data"].as_object_mut() {
                    data.remove("options");
                }
            }
            s.interactions.insert(
                token.clone(),
                InteractionLog::new(channel.id, member.id, None),
            );
            s.interaction_ids.insert(id, token.clone());
            s.dispatch("INTERACTION_CREATE", payload);
            token
        })
    }

    /// Presses the button `custom_id` on `message` as `member`.
    pub fn click(&self, member: &SimMember, message: &SimMessage, custom_id: &str) -> String {
        let channel = self
            .inner
            .channel(message.channel_id)
            .unwrap_or_else(|| panic!("no channel {}", message.channel_id));
        let author = payloads::user(self.inner.world.bot_id, &self.inner.world.bot_name, true);
        self.inner.update(|s| {
            let current = s
                .messages
                .iter()
                .find(|m| m.id == message.id)
                .cloned()
                .unwrap_or_else(|| message.clone());
            let id = s.next_id();
            let token = format!("tok{id}");
            let place = payloads::Place {
                world: &self.inner.world,
                channel: &channel,
                member,
            };
            let payload = place.button(id, &token, custom_id, current.to_json(&author));
            let mut log = InteractionLog::new(channel.id, member.id, Some(message.id));
            log.source_revision = current.revision;
            s.interactions.insert(token.clone(), log);
            s.interaction_ids.insert(id, token.clone());
            s.dispatch("INTERACTION_CREATE", payload);
            token
        })
    }

    /// Chooses `values` in the select menu `custom_id` on `message` as
    /// `member`.
    pub fn choose(
        &self,
        member: &SimMember,
        message: &SimMessage,
        custom_id: &str,
        values: &[&str],
    ) -> String {
        let channel = self
            .inner
            .channel(message.channel_id)
            .unwrap_or_else(|| panic!("no channel {}", message.channel_id));
        let author = payloads::user(self.inner.world.bot_id, &self.inner.world.bot_name, true);
        self.inner.update(|s| {
            let id = s.next_id();
            let token = format!("tok{id}");
            let place = payloads::Place {
                world: &self.inner.world,
                channel: &channel,
                member,
            };
            let payload = place.select(id, &token, custom_id, values, message.to_json(&author));
            let mut log = InteractionLog::new(channel.id, member.id, Some(message.id));
            log.source_revision = message.revision;
            s.interactions.insert(token.clone(), log);
            s.interaction_ids.insert(id, token.clone());
            s.dispatch("INTERACTION_CREATE", payload);
            token
        })
    }

    /// Presses the button labelled `label` on `message`, if it has one.
    pub fn click_label(
        &self,
        member: &SimMember,
        message: &SimMessage,
        label: &str,
    ) -> Option<String> {
        let button = message.button(label)?;
        Some(self.click(member, message, &button.custom_id))
    }

    /// Submits the modal `custom_id` with text fields as `member`.
    pub fn submit_modal(
        &self,
        member: &SimMember,
        channel: u64,
        custom_id: &str,
        fields: &[(&str, &str)],
    ) -> String {
        let channel = self
            .inner
            .channel(channel)
            .unwrap_or_else(|| panic!("no channel {channel}"));
        self.inner.update(|s| {
            let id = s.next_id();
            let token = format!("tok{id}");
            let place = payloads::Place {
                world: &self.inner.world,
                channel: &channel,
                member,
            };
            let payload = place.modal(id, &token, custom_id, fields);
            s.interactions.insert(
                token.clone(),
                InteractionLog::new(channel.id, member.id, None),
            );
            s.interaction_ids.insert(id, token.clone());
            s.dispatch("INTERACTION_CREATE", payload);
            token
        })
    }

    /// Waits for the bot's answer to an interaction: the reply message (or,
    /// after a deferral, the first follow-up), as it stands now.
    pub async fn reply(&self, token: &str) -> Option<SimMessage> {
        self.reply_within(token, DEFAULT_WAIT).await
    }

    pub async fn reply_within(&self, token: &str, timeout: Duration) -> Option<SimMessage> {
        self.wait(timeout, |s| {
            let log = s.interactions.get(token)?;
            if log.deferred_update {
                if let Some(id) = log.followups.first() {
                    return s.message(*id).cloned();
                }
                let m = s.message(log.original?)?;
                return (m.revision > log.source_revision).then(|| m.clone());
            }
            let id = log.original.or_else(|| log.followups.first().copied())?;
            s.message(id).cloned()
        })
        .await
    }

    /// Every follow-up message sent for an interaction, in order.
    pub fn followups(&self, token: &str) -> Vec<SimMessage> {
        let s = self.inner.state();
        let Some(log) = s.interactions.get(token) else {
            return Vec::new();
        };
        log.followups
            .iter()
            .filter_map(|id| s.message(*id).cloned())
            .collect()
    }

    /// The member who sent an interaction.
    pub fn interaction_member(&self, token: &str) -> Option<u64> {
        self.inner
            .state()
            .interactions
            .get(token)
            .map(|l| l.member_id)
    }

    /// Whether the bot acknowledged the interaction at all.
    pub fn acknowledged(&self, token: &str) -> bool {
        self.inner
            .state()
            .interactions
            .get(token)
            .is_some_and(|l| l.acknowledged)
    }

    /// The callback types the bot answered an interaction with.
    pub fn callback_types(&self, token: &str) -> Vec<u64> {
        self.inner
            .state()
            .interactions
            .get(token)
            .map(|l| l.callback_types.clone())
            .unwrap_or_default()
    }

    /// Waits for autocomplete choices: (name, value) pairs.
    pub async fn choices(&self, token: &str) -> Option<Vec<(String, Value)>> {
        self.wait(DEFAULT_WAIT, |s| s.interactions.get(token)?.choices.clone())
            .await
    }

    /// Waits for a modal the bot opened in answer to an interaction.
    pub async fn modal(&self, token: &str) -> Option<Value> {
        self.wait(DEFAULT_WAIT, |s| s.interactions.get(token)?.modal.clone())
            .await
    }

    /// A message by id, as it stands now.
    pub fn message(&self, id: u64) -> Option<SimMessage> {
        self.inner
            .state()
            .messages
            .iter()
            .find(|m| m.id == id)
            .cloned()
    }

    /// The messages everyone sees in a channel (not ephemeral, not deleted), oldest first.
    pub fn channel_messages(&self, channel: u64) -> Vec<SimMessage> {
        self.inner
            .state()
            .messages
            .iter()
            .filter(|m| m.channel_id == channel && !m.ephemeral && !m.deleted)
            .cloned()
            .collect()
    }

    /// Direct messages the bot sent to a member, oldest first.
    pub fn direct_messages(&self, member: &SimMember) -> Vec<SimMessage> {
        self.channel_messages(self.dm_channel_id(member))
    }

    /// Waits until the message `id` satisfies `check`; returns it as it
    /// stands then (or as it stands at the timeout).
    pub async fn wait_for_message_where(
        &self,
        id: u64,
        timeout: Duration,
        check: impl Fn(&SimMessage) -> bool,
    ) -> Option<SimMessage> {
        match self
            .wait(timeout, |s| s.message(id).filter(|m| check(m)).cloned())
            .await
        {
            Some(m) => Some(m),
            None => self.message(id),
        }
    }

    /// Waits until nothing has happened for `quiet` (no call, no message,
    /// no edit), or `max` has passed: for work the bot does after it
    /// answered, such as coalesced edits.
    pub async fn settle(&self, quiet: Duration, max: Duration) {
        let deadline = tokio::time::Instant::now() + max;
        loop {
            let notified = self.inner.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let until = (tokio::time::Instant::now() + quiet).min(deadline);
            match tokio::time::timeout_at(until, notified).await {
                Err(_) => return,
                Ok(()) if tokio::time::Instant::now() >= deadline => return,
                Ok(()) => {}
            }
        }
    }

    /// Every message ever created, in order, including ephemeral and deleted ones.
    pub fn all_messages(&self) -> Vec<SimMessage> {
        self.inner.state().messages.clone()
    }

    /// Waits until `channel` holds at least `count` messages; returns them.
    pub async fn wait_for_messages(
        &self,
        channel: u64,
        count: usize,
        timeout: Duration,
    ) -> Vec<SimMessage> {
        self.wait(timeout, |s| {
            let msgs: Vec<SimMessage> = s
                .messages
                .iter()
                .filter(|m| m.channel_id == channel && !m.ephemeral && !m.deleted)
                .cloned()
                .collect();
            (msgs.len() >= count).then_some(msgs)
        })
        .await
        .unwrap_or_else(|| self.channel_messages(channel))
    }

    /// Every REST call the bot made, in order.
    pub fn rest_log(&self) -> Vec<RestCall> {
        self.inner.state().rest_log.clone()
    }

    /// Makes the next matching REST calls fail.
    pub fn inject_fault(&self, fault: Fault) {
        self.inner.update(|s| s.faults.push(fault));
    }

    /// Threads the bot opened, in order.
    pub fn threads(&self) -> Vec<SimThread> {
        self.inner.state().threads.clone()
    }

    /// How many 429s the bot caused by going over a rate limit (injected
    /// faults are not counted).
    pub fn rate_limited_count(&self) -> u64 {
        self.inner.state().rate_limited
    }

    /// How many interactions were answered after Discord's deadline.
    pub fn late_answer_count(&self) -> u64 {
        self.inner.state().late_answers
    }

    /// Whether the bot tried to answer this interaction after its deadline.
    pub fn answered_late(&self, token: &str) -> bool {
        self.inner
            .state()
            .interactions
            .get(token)
            .is_some_and(|l| l.late)
    }

    /// Warning lines since the last call: rate limits hit, late answers.
    pub fn take_warnings(&self) -> Vec<String> {
        std::mem::take(&mut self.inner.state().warnings)
    }

    /// Drops the bot's gateway connection, as Discord sometimes does.
    pub fn drop_gateway(&self) {
        self.inner.update(|s| {
            for (_, c) in s.connections.drain() {
                let _ = c.tx.send(GatewayCmd::Close);
            }
        });
    }

    /// Deletes a channel: later calls on it answer 404 Unknown Channel.
    pub fn delete_channel(&self, channel: u64) {
        self.inner.update(|s| s.deleted_channels.insert(channel));
    }

    /// The member's roles change (as an admin would change them); Discord
    /// answers member lookups with the new roles from now on.
    pub fn set_member_roles(&self, member: &SimMember, roles: Vec<u64>) {
        self.inner.update(|s| s.roles_now.insert(member.id, roles));
    }

    /// Makes the fake Discord tell time by `now` (the bot's virtual clock).
    pub fn use_clock(&self, now: Arc<dyn Fn() -> chrono::DateTime<chrono::Utc> + Send + Sync>) {
        self.inner.update(|s| s.clock = Some(now));
    }

    /// `member` joins voice or stage channel `channel` (or moves there from
    /// another), as a person does in Discord: `VOICE_STATE_UPDATE` goes to a
    /// bot with the Guild Voice States intent. False, changing nothing, for
    /// a channel that is not a voice or stage channel of the server.
    pub fn voice_join(&self, member: &SimMember, channel: u64) -> bool {
        let world = &self.inner.world;
        let Some(c) = world.channels.iter().find(|c| c.id == channel) else {
            return false;
        };
        if !matches!(c.kind, 2 | 13) {
            return false;
        }
        let guild = c.guild_id.unwrap_or(world.guild.id);
        self.inner.update(|s| {
            if s.voice.get(&member.id) == Some(&channel) {
                return;
            }
            s.voice.insert(member.id, channel);
            s.dispatch(
                "VOICE_STATE_UPDATE",
                payloads::voice_state(world, guild, member.id, Some(channel)),
            );
        });
        true
    }

    /// `member` leaves voice. False when they were in no voice channel.
    pub fn voice_leave(&self, member: &SimMember) -> bool {
        let world = &self.inner.world;
        self.inner.update(|s| {
            let Some(channel) = s.voice.remove(&member.id) else {
                return false;
            };
            let guild = world
                .channels
                .iter()
                .find(|c| c.id == channel)
                .and_then(|c| c.guild_id)
                .unwrap_or(world.guild.id);
            s.dispatch(
                "VOICE_STATE_UPDATE",
                payloads::voice_state(world, guild, member.id, None),
            );
            true
        })
    }

    /// Who is in a voice or stage channel now: (member, channel).
    pub fn voice_states(&self) -> Vec<(u64, u64)> {
        self.inner
            .state()
            .voice
            .iter()
            .map(|(u, c)| (*u, *c))
            .collect()
    }

    /// Every scheduled event, in order of creation.
    pub fn scheduled_events(&self) -> Vec<events::SimEvent> {
        self.inner.state().events.values().cloned().collect()
    }

    /// Someone deletes a scheduled event by hand in Discord's UI.
    pub fn delete_event_by_hand(&self, id: u64) {
        self.inner.update(|s| s.events.remove(&id));
    }

    /// The browser is logged in to Discord as `member` (`None`: nobody), for
    /// the OAuth2 consent page.
    pub fn log_in_as(&self, member: Option<&SimMember>) {
        self.inner
            .update(|s| s.oauth.browser = member.map(|m| m.id));
    }

    /// Someone edits a scheduled event by hand in Discord's UI.
    pub fn edit_event_by_hand(&self, id: u64, edit: impl FnOnce(&mut events::SimEvent)) {
        self.inner.update(|s| {
            if let Some(e) = s.events.get_mut(&id) {
                edit(e);
            }
        });
    }

    /// Moderation calls so far, with their audit-log reasons.
    pub fn audit_log(&self) -> Vec<moderation::AuditEntry> {
        self.inner.state().audit.clone()
    }

    /// Times a member out as a moderator would in Discord itself (no bot
    /// involved, so no case anywhere).
    pub fn time_out_by_hand(&self, member: &SimMember, until: chrono::DateTime<chrono::Utc>) {
        self.inner.update(|s| s.timeouts.insert(member.id, until));
    }

    /// When the member's timeout ends, if they are timed out.
    pub fn timeout_of(&self, member: &SimMember) -> Option<chrono::DateTime<chrono::Utc>> {
        let s = self.inner.state();
        s.timeouts.get(&member.id).copied().filter(|t| *t > s.now())
    }

    /// The member's ban, if they are banned.
    pub fn ban_of(&self, member: &SimMember) -> Option<moderation::SimBan> {
        self.inner.state().bans.get(&member.id).cloned()
    }

    /// Whether the member has left the server (kicked or banned).
    pub fn is_gone(&self, member: &SimMember) -> bool {
        self.inner.state().kicked.contains(&member.id)
    }

    /// A channel's slowmode in seconds.
    pub fn slowmode_of(&self, channel: u64) -> u32 {
        self.inner
            .state()
            .slowmode
            .get(&channel)
            .copied()
            .unwrap_or(0)
    }

    /// A channel's permission overwrites now.
    pub fn overwrites_of(&self, channel: u64) -> Vec<SimOverwrite> {
        let world = &self.inner.world;
        self.inner.update(|s| s.overwrites(world, channel).clone())
    }

    /// Changes a role's server permissions (Haven's own, say).
    pub fn set_role_permissions(&self, role: u64, bits: u64) {
        self.inner
            .update(|s| s.role_permissions_now.insert(role, bits));
    }

    /// A message the member posted in a channel `age` ago.
    pub fn post_as(
        &self,
        member: &SimMember,
        channel: u64,
        content: &str,
        age: chrono::Duration,
    ) -> SimMessage {
        self.inner.update(|s| {
            let created = s.now() - age;
            let payload = message::MessagePayload {
                json: serde_json::json!({ "content": content }),
                uploads: Vec::new(),
            };
            let mut m = rest::new_message(s, channel, member.id, &payload, None);
            m.created_at = Some(created);
            s.push_message(m.clone());
            m
        })
    }

    /// Deletes a message as its author would (later reads answer 404), with
    /// the `MESSAGE_DELETE` Discord sends (see [`Sim::delete_message_by_hand`]).
    pub fn delete_message(&self, id: u64) {
        self.delete_message_by_hand(id);
    }

    /// Adds a file to a message (an image a member posted, say).
    pub fn attach(&self, message: u64, filename: &str, bytes: &[u8]) -> Option<SimMessage> {
        self.inner.update(|s| {
            let id = s.next_id();
            let m = s.message_mut(message)?;
            m.attachments.push(message::SimAttachment {
                id,
                filename: filename.to_owned(),
                bytes: bytes.to_vec(),
            });
            Some(m.clone())
        })
    }

    /// The member no longer accepts direct messages from the bot.
    pub fn close_dms(&self, member: &SimMember) {
        self.inner.update(|s| s.closed_dms.insert(member.id));
    }

    async fn wait<T>(
        &self,
        timeout: Duration,
        mut probe: impl FnMut(&State) -> Option<T>,
    ) -> Option<T> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.inner.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if let Some(v) = probe(&self.inner.state()) {
                return Some(v);
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return probe(&self.inner.state());
            }
        }
    }
}
