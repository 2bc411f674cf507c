//! A running Haven against the fake Discord, for end-to-end tests.
#![allow(dead_code)]

#[path = "../backend/mod.rs"]
pub mod backend;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use haven::clock::{Clock, VirtualClock};
use haven::config::Config;
use haven::sim::{Sim, SimMember, SimMessage, World};
use haven::store::Db;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub struct Harness {
    pub sim: Sim,
    pub clock: Arc<VirtualClock>,
    pub db_path: PathBuf,
    /// The database Haven runs on: SQLite at `db_path`, or PostgreSQL when
    /// `HAVEN_TEST_POSTGRES` names a server (see `backend`).
    pub db_url: String,
    pub dir: tempfile::TempDir,
    stop: Option<oneshot::Sender<()>>,
    bot: Option<JoinHandle<anyhow::Result<()>>>,
}

pub fn init_logs() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(std::env::var("RUST_LOG").unwrap_or_else(|_| "warn,serenity=error".into()))
        .with_test_writer()
        .try_init();
}

pub fn config_for(sim: &Sim, db_url: &str) -> Config {
    Config::against(sim.base_url(), db_url.to_owned(), "test.token")
}

/// A UTC wall-clock instant as Unix seconds.
pub fn ts(y: i32, m: u32, d: u32, h: u32, min: u32) -> i64 {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0)
        .unwrap()
        .timestamp()
}

impl Harness {
    /// Haven running against a fresh fake Discord and a fresh database, with
    /// the virtual clock at 2027-03-09 12:00 UTC.
    pub async fn start() -> Self {
        Self::start_with(World::sandbox()).await
    }

    /// Haven running against a fresh fake Discord holding `world`.
    pub async fn start_with(world: World) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let db_url = backend::url(&dir).await;
        Self::start_on(world, dir, db_url).await
    }

    /// Haven on SQLite whatever the suite runs on: for tests about the
    /// database file itself (what is left on disk).
    pub async fn start_on_sqlite() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let db_url = backend::sqlite_url(&dir);
        Self::start_on(World::sandbox(), dir, db_url).await
    }

    async fn start_on(world: World, dir: tempfile::TempDir, db_url: String) -> Self {
        init_logs();
        let db_path = dir.path().join("haven.db");
        let sim = Sim::start(world).await.expect("sim starts");
        let clock = VirtualClock::starting_at(Utc.with_ymd_and_hms(2027, 3, 9, 12, 0, 0).unwrap());
        // The fake Discord tells time as the bot does, for its time rules.
        let now = clock.clone();
        sim.use_clock(Arc::new(move || now.now()));
        let mut h = Self {
            sim,
            clock,
            db_path,
            db_url,
            dir,
            stop: None,
            bot: None,
        };
        h.boot().await;
        h
    }

    async fn boot(&mut self) {
        let identified_before = self.sim.identify_count();
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let clock: Arc<dyn Clock> = self.clock.clone();
        let config = config_for(&self.sim, &self.db_url);
        self.bot = Some(tokio::spawn(haven::app::run(config, clock, async {
            let _ = stop_rx.await;
        })));
        self.stop = Some(stop_tx);
        assert!(
            self.sim
                .wait_registered(Duration::from_secs(20))
                .await
                .is_some(),
            "the bot registered its commands"
        );
        assert!(
            self.sim.wait_connected(Duration::from_secs(20)).await,
            "the bot is connected"
        );
        // After a restart the fake Discord remembers the last session: wait
        // for this process's own.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        while self.sim.identify_count() <= identified_before {
            assert!(
                tokio::time::Instant::now() < deadline,
                "the bot identified on the gateway"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Uses "Report to facilitators" on `target` as `who` and chooses `kind`
    /// (`harmful`, `content_warning`, `needs_support`, `other`) from the
    /// private list it answers with; returns the id of the form that opens.
    pub async fn open_report(&self, who: &SimMember, target: &SimMessage, kind: &str) -> String {
        let token = self
            .sim
            .message_command(who, "Report to facilitators", target);
        let list = self.sim.reply(&token).await.expect("the list of kinds");
        assert_ephemeral(&list);
        let select = list.components[0]["components"][0]["custom_id"]
            .as_str()
            .expect("a list of kinds")
            .to_owned();
        let choice = self.sim.choose(who, &list, &select, &[kind]);
        let modal = self.sim.modal(&choice).await.expect("the report form");
        modal["custom_id"].as_str().expect("a form id").to_owned()
    }

    pub fn member(&self, name: &str) -> SimMember {
        self.sim.member(name)
    }

    /// Haven's reminders in #meetings (its posts there without an embed).
    pub fn meeting_reminders(&self) -> Vec<SimMessage> {
        self.sim
            .channel_messages(self.sim.channel_id("meetings"))
            .into_iter()
            .filter(|m| m.embeds.is_empty())
            .collect()
    }

    /// The meeting announcement in #meetings whose text has `title` in it
    /// (any announcement for "").
    pub fn announcement(&self, title: &str) -> SimMessage {
        self.sim
            .channel_messages(self.sim.channel_id("meetings"))
            .into_iter()
            .find(|m| !m.embeds.is_empty() && m.text().contains(title))
            .expect("an announcement")
    }

    pub fn general(&self) -> u64 {
        self.sim.channel_id("general")
    }

    /// `who` types `line` in #general; returns Haven's answer.
    pub async fn say(&self, who: &str, line: &str) -> SimMessage {
        self.say_as(&self.member(who), self.general(), line).await
    }

    pub async fn say_as(&self, member: &SimMember, channel: u64, line: &str) -> SimMessage {
        let token = self
            .sim
            .command(member, channel, line)
            .unwrap_or_else(|e| panic!("{line}: {e}"));
        self.sim
            .reply(&token)
            .await
            .unwrap_or_else(|| panic!("no answer to {line}"))
    }

    /// Autocomplete choices' values for the last option of `line`, typed by `who`.
    pub async fn complete(&self, who: &str, line: &str) -> Vec<String> {
        let token = self
            .sim
            .autocomplete(&self.member(who), self.general(), line)
            .expect("parses");
        self.sim
            .choices(&token)
            .await
            .expect("choices")
            .into_iter()
            .map(|(_, v)| v.as_str().unwrap_or_default().to_owned())
            .collect()
    }

    /// `who` presses the button labelled `label` on `message`; returns the answer.
    pub async fn click(&self, who: &str, message: &SimMessage, label: &str) -> SimMessage {
        let token = self
            .sim
            .click_label(&self.member(who), message, label)
            .unwrap_or_else(|| panic!("no [{label}] on {message:?}"));
        self.sim
            .reply(&token)
            .await
            .unwrap_or_else(|| panic!("no answer to [{label}]"))
    }

    /// How many successful message posts the bot made to a channel.
    pub fn rest_posts_to(&self, channel: &str) -> usize {
        let path = format!("/channels/{}/messages", self.sim.channel_id(channel));
        self.sim
            .rest_log()
            .iter()
            .filter(|c| c.method == "POST" && c.path == path && c.status == 200)
            .count()
    }

    /// A second handle on the same database, for looking inside.
    pub async fn db(&self) -> Db {
        Db::open(&self.db_url).await.expect("db opens")
    }

    /// Moves the virtual clock forward, letting every job due on the way run.
    pub async fn advance(&self, by: chrono::Duration) {
        let db = self.db().await;
        haven::sandbox::advance_through(&db, &self.clock, by, || {})
            .await
            .expect("the scheduler keeps up");
        db.close().await;
    }

    /// Stops the bot gracefully and returns how it ended.
    pub async fn stop(&mut self) -> anyhow::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.bot.take() {
            Some(bot) => tokio::time::timeout(Duration::from_secs(20), bot)
                .await
                .expect("the bot stops in time")
                .expect("the bot task did not panic"),
            None => Ok(()),
        }
    }

    /// Stops the bot and starts a new one on the same database and fake Discord.
    pub async fn restart(&mut self) {
        self.stop().await.expect("clean stop");
        self.boot().await;
    }

    /// Starts a new bot after [`Harness::stop`], on the same database.
    pub async fn restart_after_stop(&mut self) {
        self.boot().await;
    }
}

/// The answer is private to the member and says something.
pub fn assert_ephemeral(reply: &SimMessage) {
    assert!(
        reply.ephemeral,
        "expected an ephemeral reply, got {reply:?}"
    );
    assert!(!reply.text().trim().is_empty(), "the reply says something");
}

/// The ways a member id can sit in an SQLite file: as text, as an 8-byte
/// big-endian integer column, and as a varint row id.
pub fn id_patterns(id: u64) -> Vec<Vec<u8>> {
    // SQLite's varint: 7 bits a byte, high bit set on all but the last;
    // a value over 56 bits takes 9 bytes, the ninth carrying 8 bits.
    let mut varint = Vec::new();
    if id >> 56 != 0 {
        let high = id >> 8;
        for i in (0..8).rev() {
            varint.push((((high >> (7 * i)) & 0x7f) as u8) | 0x80);
        }
        varint.push((id & 0xff) as u8);
    } else {
        let mut groups = Vec::new();
        let mut v = id;
        while v > 0 {
            groups.push((v & 0x7f) as u8);
            v >>= 7;
        }
        for (i, g) in groups.iter().rev().enumerate() {
            varint.push(if i + 1 < groups.len() { g | 0x80 } else { *g });
        }
    }
    vec![
        id.to_string().into_bytes(),
        id.to_be_bytes().to_vec(),
        id.to_le_bytes().to_vec(),
        varint,
    ]
}

pub fn files_containing(dir: &std::path::Path, id: u64) -> Vec<String> {
    id_patterns(id)
        .iter()
        .flat_map(|pattern| {
            files_with(dir, pattern)
                .into_iter()
                .map(move |file| format!("{file} has {pattern:?}"))
        })
        .collect()
}

/// The files in `dir` that hold `needle` anywhere in their bytes.
pub fn files_with(dir: &std::path::Path, needle: &[u8]) -> Vec<String> {
    let mut hits = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        // SQLite removes its -wal and -shm files as connections close: one
        // gone between listing and reading holds nothing.
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => panic!("cannot read {}: {e}", path.display()),
        };
        if bytes.windows(needle.len()).any(|w| w == needle) {
            hits.push(path.display().to_string());
        }
    }
    hits
}
