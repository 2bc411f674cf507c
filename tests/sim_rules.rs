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

/// Moderation as Discord validates it, driven through Haven's own REST calls.
mod moderation {
    use super::*;
    use chrono::{Duration as Days, Utc};
    use haven::domain::moderation::{LOCK_BITS, Overwrite};
    use haven::rest::{Rest, RestError};
    use haven::sim::world::{GUILD_ID, HAVEN_ROLE};
    use std::sync::Arc;

    fn rest(sim: &Sim) -> Rest {
        Rest::new(Arc::new(http(sim)))
    }

    fn g() -> serenity::GuildId {
        serenity::GuildId::new(GUILD_ID)
    }

    fn u(sim: &Sim, name: &str) -> serenity::UserId {
        serenity::UserId::new(sim.member(name).id)
    }

    fn code(r: Result<(), RestError>) -> Option<isize> {
        r.err().and_then(|e| e.code())
    }

    #[tokio::test]
    async fn timeouts_hold_to_28_days_and_the_hierarchy() {
        let sim = Sim::start(World::sandbox()).await.unwrap();
        let rest = rest(&sim);
        let now = Utc::now();
        rest.timeout(
            g(),
            u(&sim, "alice"),
            Some(now + Days::minutes(10)),
            "cool down",
        )
        .await
        .unwrap();
        assert!(sim.timeout_of(&sim.member("alice")).is_some());
        assert_eq!(
            code(
                rest.timeout(g(), u(&sim, "bob"), Some(now + Days::days(29)), "x")
                    .await
            ),
            Some(50035)
        );
        // The owner and anyone ranked at or above Haven: 50013.
        assert_eq!(
            code(
                rest.timeout(g(), u(&sim, "admin"), Some(now + Days::minutes(5)), "x")
                    .await
            ),
            Some(50013)
        );
        rest.timeout(g(), u(&sim, "alice"), None, "early")
            .await
            .unwrap();
        assert!(sim.timeout_of(&sim.member("alice")).is_none());
        let reasons: Vec<_> = sim
            .audit_log()
            .into_iter()
            .filter_map(|a| a.reason)
            .collect();
        assert_eq!(reasons.first().map(String::as_str), Some("cool down"));
        assert!(reasons.iter().any(|r| r == "early"));
    }

    #[tokio::test]
    async fn without_the_permission_discord_says_50013() {
        let sim = Sim::start(World::sandbox()).await.unwrap();
        sim.set_role_permissions(HAVEN_ROLE, haven::sim::world::EVERYONE);
        let rest = rest(&sim);
        assert_eq!(
            code(rest.kick(g(), u(&sim, "alice"), "x").await),
            Some(50013)
        );
        assert!(!sim.is_gone(&sim.member("alice")));
    }

    #[tokio::test]
    async fn kicks_and_bans_and_unbans() {
        let sim = Sim::start(World::sandbox()).await.unwrap();
        let rest = rest(&sim);
        rest.kick(g(), u(&sim, "alice"), "left a hurtful comment")
            .await
            .unwrap();
        assert!(sim.is_gone(&sim.member("alice")));
        assert_eq!(
            code(rest.kick(g(), u(&sim, "alice"), "again").await),
            Some(10007)
        );
        rest.ban(g(), u(&sim, "bob"), 3600, "spam").await.unwrap();
        assert_eq!(
            sim.ban_of(&sim.member("bob"))
                .unwrap()
                .delete_message_seconds,
            3600
        );
        rest.unban(g(), u(&sim, "bob"), "appeal").await.unwrap();
        assert_eq!(
            code(rest.unban(g(), u(&sim, "bob"), "twice").await),
            Some(10026)
        );
        let log = sim.audit_log();
        assert!(log.iter().any(|a| a.method == "PUT"
            && a.path.contains("/bans/")
            && a.reason.as_deref() == Some("spam")));
    }

    #[tokio::test]
    async fn slowmode_and_overwrites_change_the_channel() {
        let sim = Sim::start(World::sandbox()).await.unwrap();
        let rest = rest(&sim);
        let general = serenity::ChannelId::new(sim.channel_id("general"));
        rest.set_slowmode(general, 30, "heated").await.unwrap();
        assert_eq!(sim.slowmode_of(general.get()), 30);
        assert_eq!(rest.channel_state(general).await.unwrap().slowmode, 30);
        let locked = Overwrite {
            allow: 0,
            deny: LOCK_BITS,
        };
        rest.put_role_overwrite(general, GUILD_ID, locked, "lock")
            .await
            .unwrap();
        assert_eq!(
            rest.channel_state(general).await.unwrap().role_overwrites,
            vec![(GUILD_ID, locked)]
        );
        rest.delete_role_overwrite(general, GUILD_ID, "unlock")
            .await
            .unwrap();
        assert!(sim.overwrites_of(general.get()).is_empty());
    }

    #[tokio::test]
    async fn bulk_delete_wants_2_to_100_recent_messages() {
        let sim = Sim::start(World::sandbox()).await.unwrap();
        let rest = rest(&sim);
        let alice = sim.member("alice");
        let general = sim.channel_id("general");
        let old = sim.post_as(&alice, general, "old", Days::days(15));
        let a = sim.post_as(&alice, general, "a", Days::minutes(2));
        let b = sim.post_as(&alice, general, "b", Days::minutes(1));
        let channel = serenity::ChannelId::new(general);
        let listed = rest.recent_messages(channel, 10).await.unwrap();
        assert_eq!(listed.len(), 3);
        assert_eq!(listed[0].author.id.get(), alice.id);
        assert_eq!(
            code(rest.bulk_delete(channel, &[a.id], "x").await),
            Some(50016)
        );
        assert_eq!(
            code(rest.bulk_delete(channel, &[a.id, old.id], "x").await),
            Some(50034)
        );
        rest.bulk_delete(channel, &[a.id, b.id], "tidy")
            .await
            .unwrap();
        assert!(sim.message(a.id).unwrap().deleted);
        assert!(!sim.message(old.id).unwrap().deleted);
    }
}

/// Scheduled events are validated as Discord validates them: a start in
/// the future, an end and a location for an external event, a voice
/// channel for a voice event, only Discord's status moves, nothing edited
/// once completed, and unknown events are 10070.
#[tokio::test]
async fn scheduled_events_are_validated_as_discord_does() {
    let sim = Sim::start(World::sandbox()).await.unwrap();
    let http = http(&sim);
    let guild = serenity::GuildId::new(haven::sim::world::GUILD_ID);
    let soon = chrono::Utc::now() + chrono::Duration::hours(1);
    let external = |start: chrono::DateTime<chrono::Utc>,
                    end: Option<chrono::DateTime<chrono::Utc>>| {
        json!({
            "name": "Circle", "privacy_level": 2, "entity_type": 3,
            "entity_metadata": {"location": "Discord"},
            "scheduled_start_time": start.to_rfc3339(),
            "scheduled_end_time": end.map(|e| e.to_rfc3339()),
        })
    };
    let refused = |r: serenity::Result<serenity::ScheduledEvent>| status(&r.expect_err("refused"));
    let past = soon - chrono::Duration::hours(2);
    assert_eq!(
        refused(
            http.create_scheduled_event(guild, &external(past, Some(soon)), None)
                .await
        ),
        Some((400, 50035)),
        "a start in the past"
    );
    assert_eq!(
        refused(
            http.create_scheduled_event(guild, &external(soon, None), None)
                .await
        ),
        Some((400, 50035)),
        "an external event needs an end"
    );
    let text_channel = json!({
        "name": "Circle", "privacy_level": 2, "entity_type": 2,
        "channel_id": sim.channel_id("general").to_string(),
        "scheduled_start_time": soon.to_rfc3339(),
    });
    assert_eq!(
        refused(
            http.create_scheduled_event(guild, &text_channel, None)
                .await
        ),
        Some((400, 50035)),
        "a voice event in a text channel"
    );
    let event = http
        .create_scheduled_event(
            guild,
            &external(soon, Some(soon + chrono::Duration::hours(1))),
            None,
        )
        .await
        .expect("a valid event");
    let edit = |status: u8| json!({ "status": status });
    assert_eq!(
        refused(
            http.edit_scheduled_event(guild, event.id, &edit(3), None)
                .await
        ),
        Some((400, 50035)),
        "scheduled cannot jump to completed"
    );
    http.edit_scheduled_event(guild, event.id, &edit(2), None)
        .await
        .expect("scheduled to active");
    http.edit_scheduled_event(guild, event.id, &edit(3), None)
        .await
        .expect("active to completed");
    assert_eq!(
        refused(
            http.edit_scheduled_event(guild, event.id, &json!({"name": "Again"}), None)
                .await
        ),
        Some((400, 50035)),
        "a completed event is final"
    );
    http.delete_scheduled_event(guild, event.id)
        .await
        .expect("deleted");
    assert_eq!(
        refused(http.get_scheduled_event(guild, event.id, false).await),
        Some((404, 10070))
    );
}
