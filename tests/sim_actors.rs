//! The fake Discord's other actors (an admin by hand in Discord's UI,
//! AutoMod) reach a real serenity client over the gateway as Discord's
//! events, and only those of the intents it identified with.

use std::collections::HashSet;
use std::time::Duration;

use haven::sim::world::{GUILD_ID, VIEW_CHANNEL};
use haven::sim::{Sim, World, intents};
use poise::serenity_prelude as serenity;
use tokio::sync::mpsc;

/// Writes each event it hears as a line.
struct Forward(mpsc::UnboundedSender<String>);

#[serenity::async_trait]
impl serenity::EventHandler for Forward {
    async fn guild_ban_addition(
        &self,
        _: serenity::Context,
        guild: serenity::GuildId,
        user: serenity::User,
    ) {
        let _ = self.0.send(format!("ban {guild} {}", user.name));
    }

    async fn guild_ban_removal(
        &self,
        _: serenity::Context,
        guild: serenity::GuildId,
        user: serenity::User,
    ) {
        let _ = self.0.send(format!("unban {guild} {}", user.name));
    }

    async fn channel_update(
        &self,
        _: serenity::Context,
        _old: Option<serenity::GuildChannel>,
        new: serenity::GuildChannel,
    ) {
        let _ = self.0.send(format!(
            "channel {} slowmode {} overwrites {}",
            new.name,
            new.rate_limit_per_user.unwrap_or(0),
            new.permission_overwrites.len()
        ));
    }

    async fn message_delete(
        &self,
        _: serenity::Context,
        channel: serenity::ChannelId,
        message: serenity::MessageId,
        _guild: Option<serenity::GuildId>,
    ) {
        let _ = self.0.send(format!("delete {channel} {message}"));
    }
}

/// A serenity client with `asked` intents, connected to a fresh fake
/// Discord (one client per server: both would be shard 0 of 1).
async fn connect(asked: serenity::GatewayIntents) -> (Sim, mpsc::UnboundedReceiver<String>) {
    let sim = Sim::start(World::sandbox()).await.unwrap();
    let http = serenity::HttpBuilder::new("sim.token")
        .proxy(sim.base_url())
        .ratelimiter_disabled(true)
        .build();
    let (tx, rx) = mpsc::unbounded_channel();
    let mut client = serenity::ClientBuilder::new_with_http(http, asked)
        .event_handler(Forward(tx))
        .await
        .unwrap();
    tokio::spawn(async move { client.start().await });
    assert!(sim.wait_connected(Duration::from_secs(10)).await);
    (sim, rx)
}

/// Waits until every line of `expected` was heard, in any order (serenity
/// runs handlers concurrently); returns any others heard on the way.
async fn hear(rx: &mut mpsc::UnboundedReceiver<String>, expected: &[String]) -> Vec<String> {
    let mut missing: HashSet<&String> = expected.iter().collect();
    let mut others = Vec::new();
    while !missing.is_empty() {
        let line = tokio::time::timeout(Duration::from_secs(5), rx.recv())
            .await
            .unwrap_or_else(|_| panic!("still waiting for {missing:?}; heard {others:?}"))
            .expect("the client is running");
        if !missing.remove(&line) {
            others.push(line);
        }
    }
    others
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bot_that_asked_hears_each_change_made_by_hand() {
    let asked = serenity::GatewayIntents::GUILDS
        | serenity::GatewayIntents::GUILD_MODERATION
        | serenity::GatewayIntents::GUILD_MESSAGES;
    let (sim, mut rx) = connect(asked).await;
    assert_eq!(
        sim.identified_intents(),
        Some(intents::GUILDS | intents::GUILD_MODERATION | intents::GUILD_MESSAGES)
    );
    let bob = sim.member("bob");
    let general = sim.channel_id("general");

    assert!(sim.ban_by_hand(bob.id, Some("spam")));
    assert!(sim.unban_by_hand(bob.id));
    assert!(sim.set_slowmode_by_hand(general, 30));
    assert!(sim.set_overwrite_by_hand(general, GUILD_ID, 0, 0, VIEW_CHANNEL));
    let post = sim.post_as(&bob, general, "hello", chrono::Duration::zero());
    assert!(sim.delete_message_by_hand(post.id));

    let others = hear(
        &mut rx,
        &[
            format!("ban {GUILD_ID} bob"),
            format!("unban {GUILD_ID} bob"),
            "channel general slowmode 30 overwrites 0".to_owned(),
            "channel general slowmode 30 overwrites 1".to_owned(),
            format!("delete {general} {}", post.id),
        ],
    )
    .await;
    assert!(others.is_empty(), "{others:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bot_with_only_the_guilds_intent_hears_no_ban_and_no_delete() {
    let (sim, mut rx) = connect(serenity::GatewayIntents::GUILDS).await;
    let bob = sim.member("bob");
    let general = sim.channel_id("general");

    assert!(sim.ban_by_hand(bob.id, None));
    let post = sim.post_as(
        &sim.member("alice"),
        general,
        "hi",
        chrono::Duration::zero(),
    );
    assert!(sim.delete_message_by_hand(post.id));
    assert!(sim.set_slowmode_by_hand(general, 10));

    let others = hear(
        &mut rx,
        &["channel general slowmode 10 overwrites 0".to_owned()],
    )
    .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    if let Ok(line) = rx.try_recv() {
        panic!("heard {line:?}, which Discord would not send");
    }
    assert!(others.is_empty(), "{others:?}");
}
