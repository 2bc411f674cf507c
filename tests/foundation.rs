//! End to end: the real bot against the fake Discord, used as members would.

mod common;

use std::time::Duration;

use chrono_tz::Tz;
use common::{Harness, assert_ephemeral, files_containing};
use haven::domain::settings::MinGroupSize;
use haven::domain::{ChannelId, GuildId, RoleId, UserId};
use haven::sim::world::{FACILITATOR_ROLE, GUILD_ID};
use haven::sim::{Fault, FaultKind};
use serde_json::json;

const GUILD: GuildId = GuildId(GUILD_ID);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn help_lists_every_command_privately() {
    let h = Harness::start().await;
    let reply = h.say("alice", "/help").await;
    assert_ephemeral(&reply);
    let text = reply.text();
    for command in [
        "/timezone set",
        "/timezone show",
        "/timezone clear",
        "/privacy show",
        "/privacy export",
        "/privacy forget",
        "/settings show",
    ] {
        assert!(text.contains(command), "/help mentions {command}: {text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timezone_set_show_clear() {
    let h = Harness::start().await;
    let alice = UserId(h.member("alice").id);

    let reply = h.say("alice", "/timezone show").await;
    assert_ephemeral(&reply);
    assert!(
        reply.text().contains("haven't set a time zone") && reply.text().contains("UTC"),
        "{}",
        reply.text()
    );

    // 12:00 UTC on 9 March 2027 is 13:00 in Berlin.
    let reply = h.say("alice", "/timezone set zone:Europe/Berlin").await;
    assert_ephemeral(&reply);
    assert!(reply.text().contains("Europe/Berlin"), "{}", reply.text());
    assert!(
        reply.text().contains("13:00 on Tuesday 9 March"),
        "{}",
        reply.text()
    );
    assert_eq!(
        h.db().await.member_timezone(alice).await.unwrap(),
        Some(Tz::Europe__Berlin)
    );

    // Typed loosely, it still lands on the right zone (New York is still on
    // standard time: DST starts on 14 March 2027).
    let reply = h
        .say("alice", r#"/timezone set zone:"america/new york""#)
        .await;
    assert!(
        reply.text().contains("America/New_York") && reply.text().contains("07:00"),
        "{}",
        reply.text()
    );

    let reply = h.say("alice", "/timezone show").await;
    assert!(
        reply.text().contains("America/New_York"),
        "{}",
        reply.text()
    );

    let reply = h.say("alice", "/timezone clear").await;
    assert_ephemeral(&reply);
    assert!(reply.text().contains("forgotten"), "{}", reply.text());
    assert_eq!(h.db().await.member_timezone(alice).await.unwrap(), None);

    let reply = h.say("alice", "/timezone clear").await;
    assert!(
        reply.text().contains("nothing to clear"),
        "{}",
        reply.text()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timezone_show_falls_back_to_the_server_zone() {
    let h = Harness::start().await;
    h.say("admin", "/settings timezone zone:Europe/London")
        .await;
    let reply = h.say("bob", "/timezone show").await;
    assert!(reply.text().contains("Europe/London"), "{}", reply.text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_zone_is_refused_with_suggestions_and_nothing_stored() {
    let h = Harness::start().await;
    let reply = h.say("alice", "/timezone set zone:Europe/Berln").await;
    assert_ephemeral(&reply);
    let text = reply.text();
    assert!(
        text.contains("Europe/Berln") && text.contains("Europe/Berlin"),
        "{text}"
    );
    assert_eq!(
        h.db()
            .await
            .member_timezone(UserId(h.member("alice").id))
            .await
            .unwrap(),
        None
    );

    let reply = h.say("alice", "/timezone set zone:Mars/Olympus_Mons").await;
    assert_ephemeral(&reply);
    assert!(
        reply.text().contains("Europe/Berlin` or `America/New_York"),
        "{}",
        reply.text()
    );

    // The next command is still answered.
    let reply = h.say("alice", "/timezone set zone:Asia/Tokyo").await;
    assert!(reply.text().contains("Asia/Tokyo"), "{}", reply.text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zone_autocomplete_matches_any_part() {
    let h = Harness::start().await;
    let choices = h.complete("alice", "/timezone set zone:new_y").await;
    assert_eq!(
        choices.first().map(String::as_str),
        Some("America/New_York")
    );

    let choices = h.complete("alice", "/timezone set zone:berlin").await;
    assert_eq!(choices.first().map(String::as_str), Some("Europe/Berlin"));

    let choices = h.complete("alice", "/timezone set zone:a").await;
    assert_eq!(choices.len(), 25);

    let choices = h.complete("admin", "/settings timezone zone:LONDON").await;
    assert_eq!(choices.first().map(String::as_str), Some("Europe/London"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admins_change_settings_and_facilitators_read_them() {
    let h = Harness::start().await;

    let reply = h
        .say("admin", "/settings facilitator-role role:@Facilitator")
        .await;
    assert_ephemeral(&reply);
    assert!(
        reply.text().contains(&format!("<@&{FACILITATOR_ROLE}>")),
        "{}",
        reply.text()
    );

    let reply = h
        .say("admin", "/settings timezone zone:Europe/Lisbon")
        .await;
    assert!(reply.text().contains("Europe/Lisbon"), "{}", reply.text());

    let reply = h
        .say("admin", "/settings log-channel channel:#facilitators")
        .await;
    assert!(
        reply
            .text()
            .contains(&format!("<#{}>", h.sim.channel_id("facilitators"))),
        "{}",
        reply.text()
    );

    let reply = h.say("admin", "/settings min-group-size size:8").await;
    assert!(reply.text().contains("**8**"), "{}", reply.text());

    let settings = h.db().await.guild_settings(GUILD).await.unwrap();
    assert_eq!(settings.facilitator_role, Some(RoleId(FACILITATOR_ROLE)));
    assert_eq!(settings.timezone, Some(Tz::Europe__Lisbon));
    assert_eq!(
        settings.log_channel,
        Some(ChannelId(h.sim.channel_id("facilitators")))
    );
    assert_eq!(settings.min_group_size, MinGroupSize::new(8).unwrap());

    // The facilitator role now opens /settings show.
    let reply = h.say("facilitator", "/settings show").await;
    assert_ephemeral(&reply);
    let text = reply.text();
    assert!(
        text.contains("Europe/Lisbon")
            && text.contains("8:")
            && text.contains(&format!("<@&{FACILITATOR_ROLE}>")),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn non_admins_cannot_change_settings_and_nothing_changes() {
    let h = Harness::start().await;
    h.say("admin", "/settings facilitator-role role:@Facilitator")
        .await;
    let before = h.db().await.guild_settings(GUILD).await.unwrap();

    for who in ["alice", "facilitator"] {
        for line in [
            "/settings min-group-size size:10",
            "/settings timezone zone:Asia/Tokyo",
            "/settings log-channel channel:#general",
            "/settings facilitator-role role:@Member",
        ] {
            let reply = h.say(who, line).await;
            assert_ephemeral(&reply);
            assert!(
                reply.text().contains("Manage Server")
                    && reply.text().contains("Nothing was changed"),
                "{who} {line}: {}",
                reply.text()
            );
        }
    }
    assert_eq!(h.db().await.guild_settings(GUILD).await.unwrap(), before);

    // Members without the facilitator role cannot read them either.
    let reply = h.say("alice", "/settings show").await;
    assert!(
        reply.text().contains("for facilitators"),
        "{}",
        reply.text()
    );

    // And the bot keeps serving.
    let reply = h.say("alice", "/timezone show").await;
    assert_ephemeral(&reply);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_show_without_a_facilitator_role_explains_how_to_set_one() {
    let h = Harness::start().await;
    let reply = h.say("facilitator", "/settings show").await;
    assert!(
        reply.text().contains("/settings facilitator-role"),
        "{}",
        reply.text()
    );
    // Manage Server is enough on its own.
    let reply = h.say("admin", "/settings show").await;
    assert!(
        reply.text().contains("Minimum group size"),
        "{}",
        reply.text()
    );
    assert!(
        reply.text().contains("5:"),
        "the default k is 5: {}",
        reply.text()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_and_out_of_range_options_are_refused_kindly() {
    let h = Harness::start().await;
    let admin = h.member("admin");
    let general = h.general();

    // A size outside 3..=50, as a modified client could send.
    let token = h.sim.command_raw(&admin, general, "settings", json!([
        {"type": 1, "name": "min-group-size", "options": [{"name": "size", "type": 4, "value": 99}]}
    ]));
    let reply = h.sim.reply(&token).await.expect("an answer");
    assert_ephemeral(&reply);
    assert!(
        reply.text().contains("from 3 to 50") && reply.text().contains("99"),
        "{}",
        reply.text()
    );

    // Text where a number belongs.
    let token = h.sim.command_raw(&admin, general, "settings", json!([
        {"type": 1, "name": "min-group-size", "options": [{"name": "size", "type": 3, "value": "lots"}]}
    ]));
    let reply = h.sim.reply(&token).await.expect("an answer");
    assert_ephemeral(&reply);
    assert!(reply.text().contains("reload Discord"), "{}", reply.text());

    // An over-long zone.
    let long = "x".repeat(5000);
    let token = h.sim.command_raw(
        &admin,
        general,
        "timezone",
        json!([
            {"type": 1, "name": "set", "options": [{"name": "zone", "type": 3, "value": long}]}
        ]),
    );
    let reply = h.sim.reply(&token).await.expect("an answer");
    assert_ephemeral(&reply);
    assert!(reply.text().len() < 2000, "the answer stays short");

    assert_eq!(
        h.db()
            .await
            .guild_settings(GUILD)
            .await
            .unwrap()
            .min_group_size,
        MinGroupSize::DEFAULT
    );
    let reply = h.say("admin", "/settings min-group-size size:3").await;
    assert!(reply.text().contains("**3**"), "{}", reply.text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_command_gets_a_kind_answer() {
    let h = Harness::start().await;
    let token = h
        .sim
        .command_raw(&h.member("alice"), h.general(), "teleport", json!([]));
    let reply = h.sim.reply(&token).await.expect("an answer");
    assert_ephemeral(&reply);
    assert!(
        reply.text().contains("/teleport") && reply.text().contains("/help"),
        "{}",
        reply.text()
    );
    let reply = h.say("alice", "/help").await;
    assert_ephemeral(&reply);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_commands_in_direct_messages_are_explained_and_personal_ones_work() {
    let h = Harness::start().await;
    let alice = h.member("alice");
    let dm = h.sim.dm_channel_id(&alice);
    let reply = h
        .say_as(&alice, dm, "/timezone set zone:Europe/Paris")
        .await;
    assert!(reply.text().contains("Europe/Paris"), "{}", reply.text());

    let token = h.sim.command_raw(
        &alice,
        dm,
        "settings",
        json!([{"type": 1, "name": "show", "options": []}]),
    );
    let reply = h.sim.reply(&token).await.expect("an answer");
    assert_ephemeral(&reply);
    assert!(reply.text().contains("inside a server"), "{}", reply.text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn privacy_show_and_export_list_everything() {
    let h = Harness::start().await;
    let reply = h.say("alice", "/privacy show").await;
    assert_ephemeral(&reply);
    assert!(reply.text().contains("Nothing at all"), "{}", reply.text());

    h.say("alice", "/timezone set zone:Europe/Berlin").await;
    let reply = h.say("alice", "/privacy show").await;
    assert!(reply.text().contains("Europe/Berlin"), "{}", reply.text());

    let reply = h.say("alice", "/privacy export").await;
    assert_ephemeral(&reply);
    let file = reply.attachments.first().expect("a file");
    assert!(file.filename.ends_with(".json"));
    let json: serde_json::Value = serde_json::from_slice(&file.bytes).expect("valid JSON");
    assert_eq!(json["data"]["user_id"], h.member("alice").id.to_string());
    assert_eq!(json["data"]["timezone"]["zone"], "Europe/Berlin");
    assert_eq!(json["exported_at"], "2027-03-09T12:00:00Z");
}

/// On either database, no row of any table holds the forgotten member's
/// id afterwards, in any form (what the files test above checks byte by
/// byte on SQLite; PostgreSQL's own dead row versions are for the README).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn privacy_forget_leaves_no_row_holding_the_member_in_any_table() {
    let mut h = Harness::start().await;
    let alice = h.member("alice").id;
    let bob = h.member("bob").id;
    h.say("alice", "/timezone set zone:Europe/Berlin").await;
    h.say("bob", "/timezone set zone:Asia/Tokyo").await;
    assert!(
        !common::backend::columns_holding(&h.db_url, alice)
            .await
            .is_empty(),
        "the scan can see an id when it is there"
    );
    let ask = h.say("alice", "/privacy forget").await;
    let done = h.click("alice", &ask, "Delete my data").await;
    assert!(done.text().contains("deleted"), "{}", done.text());
    let left = common::backend::columns_holding(&h.db_url, alice).await;
    assert!(left.is_empty(), "alice is still in {left:?}");
    assert!(
        !common::backend::columns_holding(&h.db_url, bob)
            .await
            .is_empty(),
        "bob's data stays"
    );
    h.stop().await.expect("clean stop");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn privacy_forget_leaves_no_trace_in_any_table_or_file() {
    let mut h = Harness::start_on_sqlite().await;
    let alice = h.member("alice").id;
    let bob = h.member("bob").id;
    h.say("alice", "/timezone set zone:Europe/Berlin").await;
    h.say("bob", "/timezone set zone:Asia/Tokyo").await;
    h.say("admin", "/settings timezone zone:Europe/London")
        .await;
    assert!(
        !files_containing(h.dir.path(), alice).is_empty(),
        "the scan can see an id when it is there"
    );

    let ask = h.say("alice", "/privacy forget").await;
    assert_ephemeral(&ask);
    assert!(ask.text().contains("can't be undone"), "{}", ask.text());
    let done = h.click("alice", &ask, "Delete my data").await;
    assert!(done.text().contains("deleted"), "{}", done.text());
    assert!(done.buttons().is_empty(), "the buttons are gone");

    assert!(
        h.db()
            .await
            .member_data(UserId(alice))
            .await
            .unwrap()
            .is_empty()
    );
    let hits = files_containing(h.dir.path(), alice);
    assert!(hits.is_empty(), "alice is still in the files: {hits:?}");

    // Bob's data and the server's settings are untouched.
    assert_eq!(
        h.db().await.member_timezone(UserId(bob)).await.unwrap(),
        Some(Tz::Asia__Tokyo)
    );
    assert_eq!(
        h.db().await.guild_settings(GUILD).await.unwrap().timezone,
        Some(Tz::Europe__London)
    );

    h.stop().await.expect("clean stop");
    let hits = files_containing(h.dir.path(), alice);
    assert!(
        hits.is_empty(),
        "alice is in the files after shutdown: {hits:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn privacy_forget_can_be_cancelled_and_guards_its_buttons() {
    let h = Harness::start().await;
    h.say("alice", "/timezone set zone:Europe/Berlin").await;
    let alice = UserId(h.member("alice").id);

    let ask = h.say("alice", "/privacy forget").await;
    let kept = h.click("alice", &ask, "Keep it").await;
    assert!(
        kept.text().contains("Nothing was deleted"),
        "{}",
        kept.text()
    );
    assert!(h.db().await.member_timezone(alice).await.unwrap().is_some());

    // Someone else's button.
    let ask = h.say("alice", "/privacy forget").await;
    let reply = h.click("bob", &ask, "Delete my data").await;
    assert_ephemeral(&reply);
    assert!(reply.text().contains("someone else"), "{}", reply.text());
    assert!(h.db().await.member_timezone(alice).await.unwrap().is_some());

    // An expired one.
    h.clock.advance(chrono::Duration::minutes(30));
    let reply = h.click("alice", &ask, "Delete my data").await;
    assert!(reply.text().contains("expired"), "{}", reply.text());
    assert!(h.db().await.member_timezone(alice).await.unwrap().is_some());

    // A button from a message Haven no longer understands.
    let token = h
        .sim
        .click(&h.member("alice"), &ask, "haven:v0:something-old");
    let reply = h.sim.reply(&token).await.expect("an answer");
    assert_ephemeral(&reply);
    assert!(
        reply.text().contains("no longer active"),
        "{}",
        reply.text()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_internal_failure_shows_an_apology_with_a_reference_and_no_detail() {
    let h = Harness::start().await;
    h.sim.inject_fault(Fault {
        method: Some("POST".into()),
        path_contains: "/callback".into(),
        kind: FaultKind::Status(500),
        times: 1,
    });
    let reply = h.say("alice", "/timezone show").await;
    assert_ephemeral(&reply);
    let text = reply.text();
    assert!(
        text.contains("Sorry") && text.contains("reference `"),
        "{text}"
    );
    assert!(
        !text.contains("500") && !text.contains("sim fault") && !text.contains("Error"),
        "{text}"
    );
    let reply = h.say("alice", "/timezone show").await;
    assert!(reply.text().contains("haven't set"), "{}", reply.text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bot_reconnects_after_the_gateway_drops() {
    let h = Harness::start().await;
    h.say("alice", "/timezone set zone:Europe/Berlin").await;
    h.sim.drop_gateway();
    // Discord sends nothing to a bot that is away; once it is back, the
    // next command is answered in time.
    assert!(h.sim.wait_connected(Duration::from_secs(30)).await);
    let token = h
        .sim
        .command(&h.member("alice"), h.general(), "/timezone show")
        .unwrap();
    let reply = h
        .sim
        .reply_within(&token, Duration::from_secs(30))
        .await
        .expect("answered after reconnecting");
    assert!(reply.text().contains("Europe/Berlin"), "{}", reply.text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_survive_a_restart() {
    let mut h = Harness::start().await;
    h.say("admin", "/settings min-group-size size:12").await;
    h.say("alice", "/timezone set zone:Europe/Oslo").await;
    h.restart().await;
    let reply = h.say("admin", "/settings show").await;
    assert!(reply.text().contains("12:"), "{}", reply.text());
    let reply = h.say("alice", "/timezone show").await;
    assert!(reply.text().contains("Europe/Oslo"), "{}", reply.text());
    h.stop().await.expect("clean stop");
}
