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

const HELP: &str = "\
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
  post <text>        post a message as the current member (to try /mod purge)
  menu <name>        use a message's Apps menu on the latest message in this channel:
                     menu Report to facilitators, menu Needs a content warning
  form <field=value> answer the form Haven opened, e.g. form what=support share=no
                     (forms come from the menus above and /guidelines set)
  dms <member>       the direct messages Haven sent a member (warnings, timeouts, breaks)
  audit              moderation calls Haven made, with their audit-log reasons
  Moderation: as facilitator, try /mod warn member:@alice reason:\"Please be gentle\", /mod timeout member:@bob duration:10m,
  /mod lock for:10m, then: messages #facilitators (the log channel, after /settings log-channel as admin)
  advance <span>     move the virtual clock forward, e.g. advance 2h, advance 1d 30m
  messages [#chan]   show what everyone sees in a channel
  time               show the virtual clock
  help               this text
  quit               leave";

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
    while let Some(due) = db.next_job_due().await?.filter(|due| *due <= target) {
        clock.advance_to(due);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        // Wait until the scheduler has claimed every job due by now...
        while db
            .next_job_due()
            .await?
            .is_some_and(|next| next <= clock.now())
        {
            if tokio::time::Instant::now() > deadline {
                anyhow::bail!("the scheduler did not run the jobs due at {due}");
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        // ...and finished them.
        while db.claimed_job_count().await? > 0 {
            if tokio::time::Instant::now() > deadline {
                anyhow::bail!("the scheduler did not finish the jobs due at {due}");
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        after_each_step();
    }
    // Jobs the engine claimed on its own before we looked (at start, say)
    // finish before the clock moves on.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while db.claimed_job_count().await? > 0 {
        if tokio::time::Instant::now() > deadline {
            anyhow::bail!("the scheduler did not finish the jobs it had claimed");
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    Ok(clock.advance_to(target))
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
                    .say("There is no such channel. Channels: #general, #facilitators, #meetings, #announcements."),
            },
            "complete" => self.complete(rest).await,
            "click" => self.click(rest).await,
            "advance" => self.advance(rest).await,
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
                self.say(&format!("{} posted: {}", self.member.name, m.content));
            }
            "menu" => self.menu(rest).await,
            "form" => self.answer_form(rest).await,
            "help" => self.say(HELP),
            _ => self.say("I don't know that. Type `help` for what you can do."),
        }
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
            if m.ephemeral || m.deleted || m.revision <= shown {
                continue;
            }
            self.revisions.insert(m.id, m.revision);
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

    /// Who an ephemeral message was shown to: the member whose interaction it answers.
    fn sim_owner(&self, message: &SimMessage) -> Option<u64> {
        let token = message.interaction_token.as_deref()?;
        self.sim.interaction_member(token)
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
