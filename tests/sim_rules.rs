//! The fake Discord holds a client to Discord's own rules: talking to it
//! with serenity's HTTP client (as Haven does behind `DISCORD_API_BASE`),
//! the interaction deadline, rate limits and nonces behave like Discord.

use std::time::Duration;

use haven::sim::{Sim, World};
use poise::serenity_prelude as serenity;
use poise::serenity_prelude::Builder as _;
use serde_json::json;

fn http(sim: &Sim) -> serenity::Http {
    serenity::HttpBuilder::new("sim.token")
        .proxy(sim.base_url())
        .ratelimiter_disabled(true)
        .build()
}

fn status(e: &serenity::Error) -> Option<(u16, isize)> {
    match e {
        serenity::Error::Http(serenity::HttpError::UnsuccessfulRequest(r)) => {
            Some((r.status_code.as_u16(), r.error.code))
        }
        _ => None,
    }
}

#[tokio::test]
async fn an_interaction_answered_after_three_seconds_is_unknown() {
    let sim = Sim::start(World::sandbox()).await.unwrap();
    let http = http(&sim);
    let alice = sim.member("alice");
    let general = sim.channel_id("general");
    let reply = serenity::CreateInteractionResponse::Message(
        serenity::CreateInteractionResponseMessage::new().content("hi"),
    );
    let on_time = sim.command_raw(&alice, general, "help", json!([]));
    let id: u64 = on_time.trim_start_matches("tok").parse().unwrap();
    reply
        .clone()
        .execute(&http, (serenity::InteractionId::new(id), &on_time))
        .await
        .expect("answered in time");
    let late = sim.command_raw(&alice, general, "help", json!([]));
    let id: u64 = late.trim_start_matches("tok").parse().unwrap();
    tokio::time::sleep(Duration::from_millis(3100)).await;
    let err = reply
        .execute(&http, (serenity::InteractionId::new(id), &late))
        .await
        .expect_err("too late");
    assert_eq!(status(&err), Some((404, 10062)));
    assert!(sim.answered_late(&late));
    assert_eq!(sim.late_answer_count(), 1);
    assert!(sim.take_warnings().iter().any(|w| w.starts_with("late")));
}

#[tokio::test]
async fn a_sixth_message_in_five_seconds_is_429_and_counted() {
    let sim = Sim::start(World::sandbox()).await.unwrap();
    let http = http(&sim);
    let general = serenity::ChannelId::new(sim.channel_id("general"));
    let meetings = serenity::ChannelId::new(sim.channel_id("meetings"));
    for i in 0..5 {
        general
            .say(&http, format!("message {i}"))
            .await
            .expect("within the limit");
    }
    let err = general.say(&http, "one too many").await.unwrap_err();
    assert_eq!(status(&err).map(|s| s.0), Some(429));
    assert_eq!(sim.rate_limited_count(), 1);
    assert!(sim.take_warnings().iter().any(|w| w.starts_with("429")));
    // Another channel has its own bucket.
    meetings.say(&http, "elsewhere").await.expect("own bucket");
    assert_eq!(sim.channel_messages(general.get()).len(), 5);
}

#[tokio::test]
async fn a_nonce_is_unique_per_author_across_channels() {
    let sim = Sim::start(World::sandbox()).await.unwrap();
    let http = http(&sim);
    let general = serenity::ChannelId::new(sim.channel_id("general"));
    let meetings = serenity::ChannelId::new(sim.channel_id("meetings"));
    let message = |text: &str| {
        serenity::CreateMessage::new()
            .content(text)
            .nonce(serenity::Nonce::String("haven-r42".into()))
            .enforce_nonce(true)
    };
    let first = general.send_message(&http, message("first")).await.unwrap();
    let again = meetings
        .send_message(&http, message("second"))
        .await
        .unwrap();
    assert_eq!(first.id, again.id, "the first message comes back");
    assert!(sim.channel_messages(meetings.get()).is_empty());
    let too_long = serenity::CreateMessage::new()
        .content("x")
        .nonce(serenity::Nonce::String("n".repeat(26)))
        .enforce_nonce(true);
    let err = general.send_message(&http, too_long).await.unwrap_err();
    assert_eq!(status(&err), Some((400, 50035)));
}
