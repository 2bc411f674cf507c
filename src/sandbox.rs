//! `haven sandbox`: the real bot against the in-process fake Discord, with a
//! virtual clock and a prompt where you type slash commands as in Discord.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use chrono::{DateTime, Timelike, Utc};
use tokio::io::AsyncBufReadExt;

use crate::clock::{Clock, VirtualClock};
use crate::config::Config;
use crate::domain::{ChannelId, GuildId, RoleId};
use crate::sim::world::{ADMINISTRATOR, MANAGE_GUILD, SEND_MESSAGES, VIEW_CHANNEL};
use crate::sim::{Sim, SimMember, SimMessage, World};
use crate::store::Db;

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn mentions_and_timestamps_read_as_in_discord() {
        let w = World::sandbox();
        let now = Utc.with_ymd_and_hms(2027, 3, 9, 12, 0, 0).unwrap();
        let later = now.timestamp() + 7200;
        let text = format!(
            "<@&{}> in <#{}> at <t:{later}:F> (<t:{later}:R>) <unknown> <",
            crate::sim::world::FACILITATOR_ROLE,
            w.channels[0].id
        );
        assert_eq!(
            humanize(&text, &w, now),
            "@Facilitator in #general at Tuesday 9 March 2027 14:00 UTC (in 2h) <unknown> <"
        );
    }
}

#[derive(Debug, Default, Clone)]
pub struct SandboxOptions {
    /// Keep the database here instead of in a temporary file.
    pub database: Option<PathBuf>,
    /// Where the virtual clock starts; now when unset.
    pub start: Option<DateTime<Utc>>,
}

/// The `discord …` lines, for `help` and for a `discord` line the sandbox
/// cannot read.
macro_rules! discord_help {
    () => {
        "  Acting by hand in Discord's own UI, as the owner or an admin (Haven hears of it only as Discord tells it):
  discord ban @bob [reason]       ban in Discord; discord unban @bob lifts it
  discord timeout @bob 10m        Discord's timeout (at most 28 days)
  discord slowmode <seconds> [#channel]   0 turns it off (at most 21600)
  discord deny-view [#channel]    hide the channel from @everyone
  discord allow-send [#channel]   lift @everyone's Send Messages deny there
  discord delete <message id>     delete a message (`post` shows its id; `discord delete last`: the latest here)
"
    };
}

const HELP: &str = concat!(
    "\
Type a slash command as you would in Discord, for example:
  /help
  /timezone set zone:Europe/Berlin
  /settings timezone zone:\"America/New York\"
  /prompt schedule channel:#general time:09:00   (as facilitator), then: advance 1d
  /breathe, then: click Next
Sandbox commands:
  as <member>        act as someone else: admin, facilitator, alice, bob, casey, dana, eli, farah
  in <#channel>      move to another channel: #general, #facilitators, #meetings, #announcements
  complete <command> show the autocomplete choices for the last option, e.g. complete /timezone set zone:berl
  click <label>      press the button with this label on the latest message that has it
  choose <option>    pick an option (by its words) in the latest list you can see
  post <text>        post a message as the current member (to try /mod purge); shows its id
  menu <name>        use a message's Apps menu on the latest message in this channel:
                     menu Report to facilitators, menu Needs a content warning
  form <field=value> answer the form Haven opened, e.g. form what=support share=no
                     (forms come from the menus above and /guidelines set)
  dms <member>       the direct messages Haven sent a member (warnings, timeouts, breaks)
  audit              moderation calls Haven made, with their audit-log reasons
  Moderation: as facilitator, try /mod warn member:@alice reason:\"Please be gentle\", /mod timeout member:@bob duration:10m,
  /mod lock for:10m, then: messages #facilitators (the log channel, after /settings log-channel as admin)
",
    discord_help!(),
    "  advance <span>     move the virtual clock forward, e.g. advance 2h, advance 1d 30m
  messages [#chan]   show what everyone sees in a channel
  events             the server's scheduled events (after /settings events enabled:true as admin)
  voice join #chan   join a voice channel as the current member (voice leave to leave)
  time               show the virtual clock
  help               this text
  quit               leave"
);

/// Runs the sandbox on standard input and output until `quit` or end of input.
pub async fn run(options: SandboxOptions, interactive: bool) -> anyhow::Result<()> {
    let sim = Sim::start(World::sandbox())
        .await
        .context("starting the fake Discord")?;
    let start = options.start.unwrap_or_else(|| {
        let now = Utc::now();
        now.with_second(0)
            .and_then(|t| t.with_nanosecond(0))
            .unwrap_or(now)
    });
    let clock = VirtualClock::starting_at(start);
    // Discord's time rules (the 28-day timeout, the 14-day bulk delete)
    // follow the virtual clock, as the bot's do.
    let sim_clock = clock.clone();
    sim.use_clock(Arc::new(move || sim_clock.now()));

    let _tmp;
    let path = match options.database {
        Some(path) => path,
        None => {
            let dir = tempfile::tempdir().context("creating a temporary directory")?;
            let path = dir.path().join("sandbox.db");
            _tmp = dir;
            path
        }
    };
    let database_url = format!("sqlite://{}", path.display());
    let db = seed(&database_url, &sim, clock.now()).await?;

    let config = Config {
        dev_guild: Some(GuildId(sim.world().guild.id)),
        log_filter: String::new(),
        ..Config::against(sim.base_url(), database_url, "sandbox.token")
    };
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let bot_clock: Arc<dyn Clock> = clock.clone();
    let bot = tokio::spawn(crate::app::run(config, bot_clock, async {
        let _ = stop_rx.await;
    }));
    if sim.wait_registered(Duration::from_secs(30)).await.is_none() {
        let _ = stop_tx.send(());
        let outcome = bot.await;
        anyhow::bail!("the bot did not start: {outcome:?}");
    }

    let mut session = Session {
        db,
        sim: sim.clone(),
        clock,
        member: sim.member("alice"),
        channel: sim.channel_id("general"),
        seen: 0,
        revisions: Default::default(),
        interactive,
        form: None,
    };
    session.say(&format!(
        "Haven sandbox: a fake Discord server with the real bot. The clock reads {}.\n\
         You are alice in #general. Type `help` for what you can do, `quit` to leave.",
        start.format("%Y-%m-%d %H:%M UTC")
    ));
    session.seen = sim.all_messages().len();

    let mut lines = tokio::io::BufReader::new(tokio::io::stdin()).lines();
    loop {
        session.prompt();
        let Some(line) = lines.next_line().await.context("reading input")? else {
            break;
        };
        let line = line.trim();
        if line.is_empty() || line.starts_with("//") {
            continue;
        }
        if !interactive {
            session.say(&format!("> {line}"));
        }
        if matches!(line, "quit" | "exit") {
            break;
        }
        session.handle(line).await;
    }

    let _ = stop_tx.send(());
    match bot.await {
        Ok(result) => result,
        Err(e) => Err(anyhow::Error::new(e).context("the bot task failed")),
    }
}

/// The sandbox server comes with its facilitator role and log channel set.
async fn seed(database_url: &str, sim: &Sim, now: DateTime<Utc>) -> anyhow::Result<Db> {
    let db = Db::open(database_url)
        .await
        .context("opening the sandbox database")?;
    let world = sim.world();
    let guild = GuildId(world.guild.id);
    let role = world
        .role("Facilitator")
        .context("the sandbox has a Facilitator role")?;
    db.set_facilitator_role(guild, RoleId(role.id), now).await?;
    db.set_log_channel(guild, ChannelId(sim.channel_id("facilitators")), now)
        .await?;
    Ok(db)
}

/// Moves the virtual clock forward by `by` the way real time passes: it stops
/// at each job that falls due on the way and waits for the scheduler to do
/// it, so a week of reminders arrives in order, none of them "late".
pub async fn advance_through(
    db: &Db,
    clock: &VirtualClock,
    by: chrono::Duration,
    mut after_each_step: impl FnMut(),
) -> anyhow::Result<DateTime<Utc>> {
    let target = clock.now() + by;
    loop {
        // The clock never moves while work is in hand: a job still running
        // (one planned by another as it finished, say) would otherwise see
        // a time it was not due at.
        settle(db, clock).await?;
        let Some(due) = db.next_job_due().await?.filter(|due| *due <= target) else {
            break;
        };
        clock.advance_to(due);
        settle(db, clock).await?;
        after_each_step();
    }
    Ok(clock.advance_to(target))
}

/// Waits until the scheduler has claimed and finished every job due by
/// the clock's time (jobs it claimed on its own, or took back from a
/// process that stopped, included), asked in one statement each time.
async fn settle(db: &Db, clock: &VirtualClock) -> anyhow::Result<()> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while db.work_in_hand(clock.now()).await? {
        if tokio::time::Instant::now() > deadline {
            anyhow::bail!(
                "the scheduler did not finish the jobs due at {}",
                clock.now()
            );
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    Ok(())
}

struct Session {
    db: Db,
    sim: Sim,
    clock: Arc<VirtualClock>,
    member: SimMember,
    channel: u64,
    /// How many messages have been shown or skipped so far.
    seen: usize,
    /// The revision of each public message last shown.
    revisions: std::collections::HashMap<u64, u32>,
    interactive: bool,
    /// The form Haven opened last and its field ids, until it is answered.
    form: Option<(String, Vec<String>)>,
}

impl Session {
    fn say(&self, text: &str) {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{text}");
        let _ = out.flush();
    }

    fn prompt(&self) {
        if self.interactive {
            let mut out = std::io::stdout().lock();
            let _ = write!(
                out,
                "{} in #{}> ",
                self.member.name,
                self.channel_name(self.channel)
            );
            let _ = out.flush();
        }
    }

    fn channel_name(&self, id: u64) -> String {
        self.sim
            .world()
            .channels
            .iter()
            .find(|c| c.id == id)
            .map(|c| c.name.clone())
            .unwrap_or_else(|| "direct messages".to_owned())
    }

    async fn handle(&mut self, line: &str) {
        let (word, rest) = line
            .split_once(' ')
            .map(|(w, r)| (w, r.trim()))
            .unwrap_or((line, ""));
        match word {
            w if w.starts_with('/') => self.command(line).await,
            "as" => match self.sim.world().member(rest) {
                Some(m) => {
                    self.member = m.clone();
                    self.say(&format!("You are now {}.", m.name));
                }
                None => self.say(&format!(
                    "There is no member called {rest:?}. Members: {}.",
                    self.member_names()
                )),
            },
            "in" => match self.sim.world().channel(rest) {
                Some(c) => {
                    self.channel = c.id;
                    self.say(&format!("You are now in #{}.", c.name));
                }
                None => self
                    .say("There is no such channel. Channels: #general, #facilitators, #meetings, #announcements, #Meeting room."),
            },
            "complete" => self.complete(rest).await,
            "click" => self.click(rest).await,
            "choose" => self.choose(rest).await,
            "advance" => self.advance(rest).await,
            "events" => self.events(),
            "voice" => self.voice(rest),
            "messages" => {
                let channel = if rest.is_empty() {
                    Some(self.channel)
                } else {
                    self.sim.world().channel(rest).map(|c| c.id)
                };
                match channel {
                    Some(id) => {
                        let messages = self.sim.channel_messages(id);
                        if messages.is_empty() {
                            self.say(&format!("#{} has no messages yet.", self.channel_name(id)));
                        }
                        for m in messages {
                            self.say(&describe(
                                &m,
                                &format!("#{}", self.channel_name(id)),
                                self.sim.world(),
                                self.clock.now(),
                            ));
                        }
                    }
                    None => self.say("There is no such channel."),
                }
            }
            "time" => self.say(&format!(
                "The clock reads {}.",
                self.clock.now().format("%Y-%m-%d %H:%M:%S UTC")
            )),
            "audit" => {
                let log = self.sim.audit_log();
                if log.is_empty() {
                    self.say("No moderation calls yet.");
                }
                for a in log {
                    self.say(&format!(
                        "{} {} -> {} (audit-log reason: {})",
                        a.method,
                        a.path,
                        a.status,
                        a.reason.as_deref().unwrap_or("none")
                    ));
                }
            }
            "dms" => match self.sim.world().member(rest).cloned() {
                Some(m) => {
                    let dms = self.sim.direct_messages(&m);
                    if dms.is_empty() {
                        self.say(&format!("{} has no direct messages from Haven.", m.name));
                    }
                    for d in dms {
                        self.say(&describe(
                            &d,
                            &format!("DM to {}", m.name),
                            self.sim.world(),
                            self.clock.now(),
                        ));
                    }
                }
                None => self.say(&format!("Members: {}.", self.member_names())),
            },
            "post" => {
                let m = self
                    .sim
                    .post_as(&self.member, self.channel, rest, chrono::Duration::zero());
                self.say(&format!(
                    "{} posted: {}  (message {})",
                    self.member.name, m.content, m.id
                ));
            }
            "menu" => self.menu(rest).await,
            "form" => self.answer_form(rest).await,
            "discord" => self.discord(rest).await,
            "help" => self.say(HELP),
            _ => self.say("I don't know that. Type `help` for what you can do."),
        }
    }

    /// `discord …`: the current member acts by hand in Discord's own UI, as
    /// only the owner or an admin may; Haven hears of it only as Discord
    /// tells it, and what it does about it is shown.
    async fn discord(&mut self, line: &str) {
        let (verb, args) = line
            .split_once(' ')
            .map(|(v, a)| (v, a.trim()))
            .unwrap_or((line, ""));
        let known = [
            "ban",
            "unban",
            "timeout",
            "slowmode",
            "deny-view",
            "allow-send",
            "delete",
        ];
        if !known.contains(&verb) {
            self.say(concat!("What should happen in Discord?\n", discord_help!()).trim_end());
            return;
        }
        if !self.may_act_in_discord() {
            self.say(&format!(
                "Discord would refuse: {} is neither the server's owner nor has Administrator or Manage Server.",
                self.member.name
            ));
            return;
        }
        let outcome = match verb {
            "ban" => self.discord_ban(args),
            "unban" => self.discord_unban(args),
            "timeout" => self.discord_timeout(args),
            "slowmode" => self.discord_slowmode(args),
            "deny-view" => self.discord_deny_view(args),
            "allow-send" => self.discord_allow_send(args),
            _ => self.discord_delete(args),
        };
        match outcome {
            Ok(done) => {
                self.say(&format!("{} in Discord: {done}", self.member.name));
                // What Haven does once Discord tells it.
                self.sim
                    .settle(Duration::from_millis(150), Duration::from_millis(1500))
                    .await;
                self.show_new_posts(None);
            }
            Err(refused) => self.say(&refused),
        }
    }

    /// Whether Discord lets the current member ban, time out and change
    /// channels by hand: the owner, or Administrator or Manage Server.
    fn may_act_in_discord(&self) -> bool {
        let world = self.sim.world();
        self.member.id == world.owner_id
            || world.permissions_of(&self.member) & (ADMINISTRATOR | MANAGE_GUILD) != 0
    }

    /// The member named `name` (`@bob` or `bob`), other than the current one.
    fn discord_target(&self, name: &str) -> Result<SimMember, String> {
        let name = name.trim_start_matches('@');
        if name.is_empty() {
            return Err("Name a member, such as @bob.".to_owned());
        }
        let Some(member) = self.sim.world().member(name).cloned() else {
            return Err(format!(
                "There is no member called {name:?}. Members: {}.",
                self.member_names()
            ));
        };
        if member.id == self.member.id {
            return Err("Discord does not let you do that to yourself.".to_owned());
        }
        Ok(member)
    }

    /// The channel `arg` names (`#general`), or the current one.
    fn discord_channel(&self, arg: &str) -> Result<(u64, String), String> {
        if arg.is_empty() {
            return Ok((self.channel, self.channel_name(self.channel)));
        }
        match self.sim.world().channel(arg) {
            Some(c) => Ok((c.id, c.name.clone())),
            None => Err(
                "There is no such channel. Channels: #general, #facilitators, #meetings, #announcements."
                    .to_owned(),
            ),
        }
    }

    fn discord_ban(&self, args: &str) -> Result<String, String> {
        let (name, reason) = args.split_once(' ').unwrap_or((args, ""));
        let member = self.discord_target(name)?;
        if member.id == self.sim.world().owner_id {
            return Err("Discord would refuse: nobody can ban the server's owner.".to_owned());
        }
        let reason = reason.trim().trim_matches('"');
        let reason = (!reason.is_empty()).then_some(reason);
        if !self.sim.ban_by_hand(member.id, reason) {
            return Err(format!("{} is already banned.", member.name));
        }
        Ok(match reason {
            Some(r) => format!("banned {} (reason: {r}).", member.name),
            None => format!("banned {}.", member.name),
        })
    }

    fn discord_unban(&self, args: &str) -> Result<String, String> {
        let member = self.discord_target(args)?;
        if !self.sim.unban_by_hand(member.id) {
            return Err(format!("{} is not banned.", member.name));
        }
        Ok(format!("lifted {}'s ban.", member.name))
    }

    fn discord_timeout(&self, args: &str) -> Result<String, String> {
        let usage = || "Say who and for how long, such as `discord timeout @bob 10m`.".to_owned();
        let (name, span) = args.split_once(' ').ok_or_else(usage)?;
        let member = self.discord_target(name)?;
        let by = humantime::parse_duration(span.trim())
            .ok()
            .and_then(|d| chrono::Duration::from_std(d).ok())
            .filter(|d| *d > chrono::Duration::zero())
            .ok_or_else(usage)?;
        if by > chrono::Duration::days(28) {
            return Err("Discord would refuse: a timeout lasts at most 28 days.".to_owned());
        }
        if self.sim.is_gone(&member) {
            return Err(format!("{} is no longer in the server.", member.name));
        }
        let world = self.sim.world();
        if member.id == world.owner_id || world.permissions_of(&member) & ADMINISTRATOR != 0 {
            return Err(
                "Discord would refuse: the owner and administrators cannot be timed out."
                    .to_owned(),
            );
        }
        let until = self.clock.now() + by;
        self.sim.time_out_by_hand(&member, until);
        Ok(format!(
            "timed {} out until {}.",
            member.name,
            until.format("%Y-%m-%d %H:%M UTC")
        ))
    }

    fn discord_slowmode(&self, args: &str) -> Result<String, String> {
        let (seconds, channel) = args.split_once(' ').unwrap_or((args, ""));
        let Ok(seconds) = seconds.parse::<u32>() else {
            return Err(
                "Say how many seconds, such as `discord slowmode 30 #general` (0 turns it off)."
                    .to_owned(),
            );
        };
        let (id, name) = self.discord_channel(channel.trim())?;
        if !self.sim.set_slowmode_by_hand(id, seconds) {
            return Err(
                "Discord would refuse: slowmode is at most 21600 seconds (6 hours).".to_owned(),
            );
        }
        Ok(match seconds {
            0 => format!("turned slowmode off in #{name}."),
            s => format!("set slowmode in #{name} to {s} seconds."),
        })
    }

    /// @everyone's overwrite in a channel: (allow, deny), zero when it has none.
    fn everyone_overwrite(&self, channel: u64) -> (u64, u64) {
        let everyone = self.sim.world().guild.id;
        self.sim
            .overwrites_of(channel)
            .into_iter()
            .find(|o| o.kind == 0 && o.id == everyone)
            .map_or((0, 0), |o| (o.allow, o.deny))
    }

    fn discord_deny_view(&self, args: &str) -> Result<String, String> {
        let (id, name) = self.discord_channel(args)?;
        let (allow, deny) = self.everyone_overwrite(id);
        if deny & VIEW_CHANNEL != 0 {
            return Err(format!(
                "@everyone already cannot view #{name}; nothing to change."
            ));
        }
        let everyone = self.sim.world().guild.id;
        self.sim
            .set_overwrite_by_hand(id, everyone, 0, allow & !VIEW_CHANNEL, deny | VIEW_CHANNEL);
        Ok(format!("denied View Channel to @everyone in #{name}."))
    }

    fn discord_allow_send(&self, args: &str) -> Result<String, String> {
        let (id, name) = self.discord_channel(args)?;
        let (allow, deny) = self.everyone_overwrite(id);
        if deny & SEND_MESSAGES == 0 {
            return Err(format!(
                "@everyone's Send Messages is not denied in #{name}; nothing to change."
            ));
        }
        let everyone = self.sim.world().guild.id;
        self.sim
            .set_overwrite_by_hand(id, everyone, 0, allow, deny & !SEND_MESSAGES);
        Ok(format!(
            "cleared @everyone's Send Messages deny in #{name}."
        ))
    }

    fn discord_delete(&self, args: &str) -> Result<String, String> {
        let id = match args {
            "last" => self
                .sim
                .channel_messages(self.channel)
                .last()
                .map(|m| m.id)
                .ok_or_else(|| "There is no message here.".to_owned())?,
            _ => args.parse::<u64>().map_err(|_| {
                "Give the message's id (`post` shows it), or `last` for the latest here.".to_owned()
            })?,
        };
        // Only a server's messages are there to delete, not an answer only
        // its reader saw, nor Haven's direct messages.
        let in_server = |m: &SimMessage| {
            !m.ephemeral
                && self
                    .sim
                    .world()
                    .channels
                    .iter()
                    .any(|c| c.id == m.channel_id && c.guild_id.is_some())
        };
        if !self.sim.message(id).is_some_and(|m| in_server(&m))
            || !self.sim.delete_message_by_hand(id)
        {
            return Err(format!(
                "There is no message {id} in the server (or it is already deleted)."
            ));
        }
        Ok(format!("deleted message {id}."))
    }

    fn member_names(&self) -> String {
        self.sim
            .world()
            .members
            .iter()
            .map(|m| m.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }

    async fn command(&mut self, line: &str) {
        match self.sim.command(&self.member, self.channel, line) {
            Ok(token) => self.show_reply(&token).await,
            Err(e) => self.say(&format!("Discord would not send that: {e}.")),
        }
    }

    /// A message menu (Report to facilitators, Needs a content warning) on
    /// the latest message in this channel.
    async fn menu(&mut self, name: &str) {
        let target = self
            .sim
            .channel_messages(self.channel)
            .into_iter()
            .rev()
            .find(|m| !m.ephemeral && !m.deleted);
        match target {
            Some(message) => {
                let token = self.sim.message_command(&self.member, name, &message);
                self.show_reply(&token).await;
            }
            None => self.say("There is no message here yet: `post` one first."),
        }
    }

    /// Answers the form Haven opened: `field=value` pairs, quoted as needed.
    async fn answer_form(&mut self, rest: &str) {
        let Some((custom_id, fields)) = self.form.take() else {
            self.say("No form is open. Forms come from `menu …` and `/guidelines set`.");
            return;
        };
        let pairs: Vec<(String, String)> = shlex::split(rest)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|p| {
                let (k, v) = p.split_once('=')?;
                Some((k.to_owned(), v.to_owned()))
            })
            .collect();
        if let Some((unknown, _)) = pairs.iter().find(|(k, _)| !fields.contains(k)) {
            self.say(&format!(
                "The form has no field {unknown:?}; its fields are: {}.",
                fields.join(", ")
            ));
            self.form = Some((custom_id, fields));
            return;
        }
        let answers: Vec<(&str, &str)> = pairs
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let token = self
            .sim
            .submit_modal(&self.member, self.channel, &custom_id, &answers);
        self.show_reply(&token).await;
    }

    /// What a form Haven opened asks, and how to answer it.
    fn show_form(&mut self, form: &serde_json::Value) {
        let inputs: Vec<&serde_json::Value> = form["components"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|row| row["components"].as_array().into_iter().flatten())
            .collect();
        let mut lines = vec![format!(
            "Haven opened a form: {}",
            form["title"].as_str().unwrap_or("")
        )];
        let mut fields = Vec::new();
        for input in inputs {
            let id = input["custom_id"].as_str().unwrap_or_default().to_owned();
            lines.push(format!(
                "  {id}: {}{}",
                input["label"].as_str().unwrap_or_default(),
                input["placeholder"]
                    .as_str()
                    .map(|p| format!(" ({p})"))
                    .unwrap_or_default()
            ));
            fields.push(id);
        }
        lines.push(format!(
            "Answer with: form {}",
            fields
                .iter()
                .map(|f| format!("{f}=\"…\""))
                .collect::<Vec<_>>()
                .join(" ")
        ));
        self.say(&lines.join("\n"));
        if let Some(id) = form["custom_id"].as_str() {
            self.form = Some((id.to_owned(), fields));
        }
    }

    async fn show_reply(&mut self, token: &str) {
        // A form, or an answer.
        let form = tokio::select! {
            form = self.sim.modal(token) => form,
            _ = self.sim.reply(token) => None,
        };
        if let Some(form) = form {
            self.show_form(&form);
            return;
        }
        match self.sim.reply(token).await {
            Some(reply) => {
                let who = if reply.ephemeral {
                    "Haven (only you can see this)"
                } else {
                    "Haven"
                };
                self.say(&describe(&reply, who, self.sim.world(), self.clock.now()));
                self.revisions.insert(reply.id, reply.revision);
            }
            None if self.sim.acknowledged(token) => {}
            None => self.say("(Haven did not answer.)"),
        }
        // Posts and edits Haven makes after answering (tallies, counts).
        self.sim
            .settle(Duration::from_millis(150), Duration::from_millis(1500))
            .await;
        self.show_new_posts(Some(token));
    }

    /// Prints messages posted since the last look, except the answer to
    /// `token`, and public messages Haven has edited since (tallies,
    /// announcements, round summaries).
    fn show_new_posts(&mut self, token: Option<&str>) {
        let all = self.sim.all_messages();
        for m in all.iter().take(self.seen) {
            let shown = self.revisions.get(&m.id).copied().unwrap_or(0);
            if m.deleted || m.revision <= shown {
                continue;
            }
            self.revisions.insert(m.id, m.revision);
            // An answer only its member sees, moving on by itself (a paced
            // exercise).
            if m.ephemeral {
                let place = "Haven updated its message (only you can see this)";
                self.say(&describe(m, place, self.sim.world(), self.clock.now()));
                continue;
            }
            let place = match self
                .sim
                .world()
                .channels
                .iter()
                .find(|c| c.id == m.channel_id)
            {
                Some(c) => format!("Haven updated its message in #{}", c.name),
                None => "Haven updated its direct message".to_owned(),
            };
            self.say(&describe(m, &place, self.sim.world(), self.clock.now()));
        }
        for m in all.iter().skip(self.seen) {
            self.revisions.insert(m.id, m.revision);
            // Members' own posts were shown when they were posted.
            if m.ephemeral
                || m.deleted
                || m.author_id != self.sim.world().bot_id
                || (token.is_some() && m.interaction_token.as_deref() == token)
            {
                continue;
            }
            let place = match self
                .sim
                .world()
                .channels
                .iter()
                .find(|c| c.id == m.channel_id)
            {
                Some(c) => format!("Haven in #{}", c.name),
                None => "Haven, by direct message".to_owned(),
            };
            self.say(&describe(m, &place, self.sim.world(), self.clock.now()));
        }
        self.seen = all.len();
        for warning in self.sim.take_warnings() {
            self.say(&format!("warning: {warning}"));
        }
    }

    async fn complete(&mut self, line: &str) {
        match self.sim.autocomplete(&self.member, self.channel, line) {
            Ok(token) => match self.sim.choices(&token).await {
                Some(choices) if choices.is_empty() => self.say("No suggestions."),
                Some(choices) => {
                    let list: Vec<String> = choices
                        .iter()
                        .map(|(name, _)| format!("  {name}"))
                        .collect();
                    self.say(&list.join("\n"));
                }
                None => self.say("(Haven did not suggest anything.)"),
            },
            Err(e) => self.say(&format!("Discord would not send that: {e}.")),
        }
    }

    async fn click(&mut self, label: &str) {
        let me = self.member.id;
        let target = self.sim.all_messages().into_iter().rev().find(|m| {
            !m.deleted
                && m.button(label).is_some_and(|b| !b.disabled)
                && (!m.ephemeral || self.sim_owner(m) == Some(me))
        });
        match target {
            Some(message) => {
                let token = self
                    .sim
                    .click_label(&self.member, &message, label)
                    .unwrap_or_default();
                self.show_reply(&token).await;
            }
            None => self.say(&format!("There is no [{label}] button you can see.")),
        }
    }

    /// Picks an option in the latest select menu the member can see, by its
    /// label or value (the start of either is enough); with no words, lists
    /// the options.
    async fn choose(&mut self, words: &str) {
        let me = self.member.id;
        let menus = |m: &SimMessage| -> Vec<serde_json::Value> {
            m.components
                .iter()
                .flat_map(|row| row["components"].as_array().cloned().unwrap_or_default())
                .filter(|c| c["type"].as_u64() == Some(3))
                .collect()
        };
        let target = self.sim.all_messages().into_iter().rev().find(|m| {
            !m.deleted && !menus(m).is_empty() && (!m.ephemeral || self.sim_owner(m) == Some(me))
        });
        let Some(message) = target else {
            self.say("There is no list to choose from that you can see.");
            return;
        };
        let menu = menus(&message).remove(0);
        let options: Vec<(String, String)> = menu["options"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|o| {
                (
                    o["label"].as_str().unwrap_or_default().to_owned(),
                    o["value"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect();
        let wanted = words.trim().to_lowercase();
        let picked = options.iter().find(|(label, value)| {
            !wanted.is_empty()
                && (label.to_lowercase().starts_with(&wanted)
                    || value.to_lowercase().starts_with(&wanted))
        });
        match picked {
            Some((_, value)) => {
                let id = menu["custom_id"].as_str().unwrap_or_default().to_owned();
                let token = self.sim.choose(&self.member, &message, &id, &[value]);
                self.show_reply(&token).await;
            }
            None => self.say(&format!(
                "Choose one of: {}.",
                options
                    .iter()
                    .map(|(label, _)| label.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }

    /// Who an ephemeral message was shown to: the member whose interaction it answers.
    fn sim_owner(&self, message: &SimMessage) -> Option<u64> {
        let token = message.interaction_token.as_deref()?;
        self.sim.interaction_member(token)
    }

    /// `voice join #Meeting room` / `voice leave`: the current member in
    /// voice, as a person in Discord.
    fn voice(&mut self, rest: &str) {
        let member = self.member.clone();
        let said = match rest.split_once(' ').unwrap_or((rest, "")) {
            ("join", channel) => match self.sim.world().channel(channel.trim()).map(|c| c.id) {
                Some(id) if self.sim.voice_join(&member, id) => {
                    format!(
                        "{} joined voice in #{}.",
                        member.name,
                        self.channel_name(id)
                    )
                }
                _ => "That isn't a voice channel. Try `voice join #Meeting room`.".to_owned(),
            },
            ("leave", _) if self.sim.voice_leave(&member) => format!("{} left voice.", member.name),
            ("leave", _) => format!("{} isn't in a voice channel.", member.name),
            _ => "Say `voice join #Meeting room` or `voice leave`.".to_owned(),
        };
        self.say(&said);
    }

    /// The server's scheduled events, as Discord's Events tab lists them.
    fn events(&mut self) {
        let events = self.sim.scheduled_events();
        if events.is_empty() {
            self.say("No scheduled events.");
            return;
        }
        for e in events {
            let status = match e.status {
                1 => "scheduled",
                2 => "live now",
                3 => "completed",
                _ => "cancelled",
            };
            let place = match (e.channel_id, &e.location) {
                (Some(c), _) => format!("<#{c}>"),
                (None, Some(l)) => l.clone(),
                (None, None) => "somewhere".to_owned(),
            };
            let line = format!(
                "Event \"{}\": {} {} ({status}), {place}",
                e.name,
                e.start.format("%Y-%m-%d %H:%M UTC"),
                e.end
                    .map(|t| t.format("until %H:%M").to_string())
                    .unwrap_or_default()
            );
            let line = humanize(&line, self.sim.world(), self.clock.now());
            self.say(&line);
        }
    }

    async fn advance(&mut self, span: &str) {
        match humantime::parse_duration(span).ok().and_then(|d| chrono::Duration::from_std(d).ok()) {
            Some(by) if by > chrono::Duration::zero() => match advance_through(&self.db.clone(), &self.clock.clone(), by, || {
                self.show_new_posts(None)
            })
            .await
            {
                Ok(now) => {
                    // Edits that follow the jobs (announcements moving on).
                    self.sim.settle(Duration::from_millis(300), Duration::from_secs(3)).await;
                    self.show_new_posts(None);
                    self.say(&format!("The clock now reads {}.", now.format("%Y-%m-%d %H:%M:%S UTC")));
                }
                Err(e) => self.say(&format!("The clock stopped early: {e:#}")),
            },
            _ => self.say("Say how far to move the clock, such as `advance 2h`, `advance 30m` or `advance 1d 6h`."),
        }
    }
}

/// A message as readable text: who said it, the content, embeds indented,
/// buttons as `[Label]`, attachments by name and size; mentions and Discord
/// timestamps are written out as a Discord client would show them.
pub fn describe(m: &SimMessage, who: &str, world: &World, now: DateTime<Utc>) -> String {
    humanize(&describe_raw(m, who), world, now)
}

fn describe_raw(m: &SimMessage, who: &str) -> String {
    let mut out = vec![format!("{who}:")];
    for line in m.content.lines() {
        out.push(format!("  {line}"));
    }
    for embed in &m.embeds {
        let get = |key: &str| embed.get(key).and_then(|v| v.as_str()).map(str::to_owned);
        if let Some(title) = get("title") {
            out.push(format!("  | {title}"));
        }
        if let Some(description) = get("description") {
            out.extend(description.lines().map(|l| format!("  | {l}")));
        }
        for field in embed
            .get("fields")
            .and_then(|f| f.as_array())
            .into_iter()
            .flatten()
        {
            let name = field
                .get("name")
                .and_then(|v| v.as_str())
                .unwrap_or_default();
            let value = field
                .get("value")
                .and_then(|v| v.as_str())
                .unwrap_or_default();
            out.push(format!("  | {name}"));
            out.extend(value.lines().map(|l| format!("  |   {l}")));
        }
        if let Some(footer) = embed.pointer("/footer/text").and_then(|v| v.as_str()) {
            out.push(format!("  | ({footer})"));
        }
    }
    let buttons: Vec<String> = m
        .buttons()
        .iter()
        .map(|b| {
            if b.disabled {
                format!("[{} (disabled)]", b.label)
            } else {
                format!("[{}]", b.label)
            }
        })
        .collect();
    if !buttons.is_empty() {
        out.push(format!("  {}", buttons.join(" ")));
    }
    for a in &m.attachments {
        out.push(format!(
            "  attached: {} ({} bytes)",
            a.filename,
            a.bytes.len()
        ));
    }
    out.join("\n")
}

/// Replaces `<@&role>`, `<#channel>`, `<@user>` and `<t:unix:style>` with what
/// a reader sees (times in UTC, since the sandbox has no viewer zone).
fn humanize(text: &str, world: &World, now: DateTime<Utc>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        let tail = &rest[start..];
        let Some(end) = tail.find('>') else {
            out.push_str(tail);
            return out;
        };
        let inner = &tail[1..end];
        match render_token(inner, world, now) {
            Some(shown) => out.push_str(&shown),
            None => out.push_str(&tail[..=end]),
        }
        rest = &tail[end + 1..];
    }
    out.push_str(rest);
    out
}

fn render_token(inner: &str, world: &World, now: DateTime<Utc>) -> Option<String> {
    let id = |s: &str| s.parse::<u64>().ok();
    if let Some(role) = inner.strip_prefix("@&").and_then(id) {
        let role = world.guild.roles.iter().find(|r| r.id == role)?;
        return Some(format!("@{}", role.name));
    }
    if let Some(channel) = inner.strip_prefix('#').and_then(id) {
        let channel = world.channels.iter().find(|c| c.id == channel)?;
        return Some(format!("#{}", channel.name));
    }
    if let Some(user) = inner.strip_prefix('@').and_then(id) {
        return Some(format!("@{}", world.member_by_id(user)?.name));
    }
    let mut parts = inner.strip_prefix("t:")?.split(':');
    let at = DateTime::<Utc>::from_timestamp(parts.next()?.parse().ok()?, 0)?;
    Some(match parts.next().unwrap_or("f") {
        "R" => {
            let delta = at - now;
            let span = humantime::format_duration(delta.abs().to_std().ok()?).to_string();
            if delta >= chrono::Duration::zero() {
                format!("in {span}")
            } else {
                format!("{span} ago")
            }
        }
        "D" | "d" => at.format("%-d %B %Y").to_string(),
        "t" | "T" => at.format("%H:%M UTC").to_string(),
        _ => at.format("%A %-d %B %Y %H:%M UTC").to_string(),
    })
}
