//! End to end: check-ins, rounds, the journal, statistics and crisis lines.

mod common;

use std::time::Duration as StdDuration;

use chrono::Duration;
use common::{Harness, assert_ephemeral, files_containing};
use haven::domain::UserId;
use haven::sim::SimMessage;
use serde_json::json;

async fn table_count(h: &Harness, sql: &'static str) -> i64 {
    common::backend::scalar(&h.db_url, sql).await
}

const MEMBERS: [&str; 6] = ["alice", "bob", "casey", "dana", "eli", "farah"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_private_check_in_is_thanked_and_counted_anonymously() {
    let h = Harness::start().await;
    let reply = h.say("alice", "/checkin mood:4 note:\"slept well\"").await;
    assert_ephemeral(&reply);
    assert!(
        reply.text().contains("Thank you") && reply.text().contains("4 · good"),
        "{}",
        reply.text()
    );
    assert!(reply.buttons().is_empty(), "no help button for a good mood");
    assert!(
        h.sim.channel_messages(h.general()).is_empty(),
        "nothing posted"
    );
    // Counted as one person, in all and as "good", in this week, month,
    // quarter and year; held only as keyed hashes, never by id.
    assert_eq!(
        table_count(
            &h,
            "SELECT COUNT(*) FROM stats_people WHERE facet = 'any' AND people = 1"
        )
        .await,
        4
    );
    assert_eq!(
        table_count(
            &h,
            "SELECT COUNT(*) FROM stats_people WHERE facet = 'mood_4' AND people = 1"
        )
        .await,
        4
    );
    assert_eq!(
        table_count(&h, "SELECT COUNT(*) FROM stats_period_people").await,
        8
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_check_in_is_posted_under_the_members_name() {
    let h = Harness::start().await;
    h.say(
        "bob",
        "/checkin mood:3 note:\"one day at a time\" share:group",
    )
    .await;
    let posts = h.sim.channel_messages(h.general());
    assert_eq!(posts.len(), 1);
    assert!(
        posts[0].content.contains("**bob**")
            && posts[0].content.contains("3 · okay")
            && posts[0].content.contains("one day at a time")
    );
    assert_eq!(
        posts[0].allowed_mentions.as_ref().unwrap()["parse"],
        json!([])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_overlong_note_is_refused_and_nothing_is_stored() {
    let h = Harness::start().await;
    h.say("alice", "/journal start").await;
    let token = h.sim.command_raw(
        &h.member("alice"),
        h.general(),
        "checkin",
        json!([
            {"name": "mood", "type": 4, "value": 3},
            {"name": "note", "type": 3, "value": "x".repeat(1001)},
        ]),
    );
    let reply = h.sim.reply(&token).await.unwrap();
    assert_ephemeral(&reply);
    assert!(
        reply.text().contains("1000 characters") && reply.text().contains("1001"),
        "{}",
        reply.text()
    );
    assert_eq!(
        table_count(&h, "SELECT COUNT(*) FROM stats_people").await,
        0
    );
    assert_eq!(
        table_count(&h, "SELECT COUNT(*) FROM journal_entries").await,
        0
    );
    let token = h.sim.command_raw(
        &h.member("alice"),
        h.general(),
        "checkin",
        json!([{"name": "mood", "type": 4, "value": 9}]),
    );
    assert!(h.sim.reply(&token).await.unwrap().text().contains("from 1"));
    let reply = h.say("alice", "/checkin mood:3").await;
    assert!(reply.text().contains("Thank you"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_low_mood_offers_help_and_only_a_press_tells_the_facilitators() {
    let h = Harness::start().await;
    h.say("admin", "/settings log-channel channel:#facilitators")
        .await;
    let reply = h
        .say("alice", "/checkin mood:1 note:\"everything is too much\"")
        .await;
    assert!(
        reply
            .text()
            .contains("thinking about suicide or hurting yourself")
            && reply.text().contains("Show support lines"),
        "{}",
        reply.text()
    );
    // The lines are one press away, with the emergency advice and a list
    // of countries for their own lines.
    let lines = h.click("alice", &reply, "Show support lines").await;
    assert_ephemeral(&lines);
    assert!(
        lines.text().contains("emergency number") && lines.text().contains("findahelpline.com"),
        "{}",
        lines.text()
    );
    let select = lines.components[0]["components"][0]["custom_id"]
        .as_str()
        .expect("a list of countries")
        .to_owned();
    let token = h.sim.choose(&h.member("alice"), &lines, &select, &["GB"]);
    let uk = h
        .sim
        .reply(&token)
        .await
        .expect("the lines of the chosen country");
    assert!(
        uk.text().contains("Samaritans") && uk.text().contains("call 999"),
        "{}",
        uk.text()
    );
    let log = h.sim.channel_id("facilitators");
    assert!(
        h.sim.channel_messages(log).is_empty(),
        "nothing is sent without asking"
    );

    let done = h
        .click("alice", &reply, "Ask a facilitator to reach out")
        .await;
    assert!(
        done.text().contains("passed your request")
            && done.text().contains("volunteers")
            && done.text().contains("emergency number"),
        "{}",
        done.text()
    );
    let notices = h.sim.channel_messages(log);
    assert_eq!(notices.len(), 1);
    assert!(notices[0].content.contains("alice") && notices[0].content.contains("reach out"));
    assert!(
        notices[0].content.contains("no advice") && notices[0].content.contains("tell an admin"),
        "the facilitators get a short protocol: {}",
        notices[0].content
    );
    assert!(
        !notices[0].content.contains("too much") && !notices[0].content.contains("struggling"),
        "no mood or note: {}",
        notices[0].content
    );

    // Someone else cannot press it for her.
    let reply = h.say("bob", "/checkin mood:2").await;
    let other = h
        .click("alice", &reply, "Ask a facilitator to reach out")
        .await;
    assert!(other.text().contains("someone else"), "{}", other.text());
}

/// A hard day shared with the group is behind a spoiler with a content
/// note, unless the member says otherwise.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_low_mood_shared_with_the_group_is_behind_a_spoiler_by_default() {
    let h = Harness::start().await;
    h.say(
        "alice",
        "/checkin mood:2 note:\"rough night\nno sleep\" share:group",
    )
    .await;
    h.say("bob", "/checkin mood:2 share:group spoiler:false")
        .await;
    let posts: Vec<String> = h
        .sim
        .channel_messages(h.general())
        .iter()
        .map(|m| m.content.clone())
        .filter(|c| c.contains("checked in"))
        .collect();
    assert_eq!(posts.len(), 2, "{posts:?}");
    assert!(
        posts[0].contains("content note") && posts[0].contains("||"),
        "{}",
        posts[0]
    );
    assert!(posts[0].contains("||rough night||"), "{}", posts[0]);
    assert!(posts[0].contains("||no sleep||"), "{}", posts[0]);
    // Outside the spoilers: only who checked in and the content note.
    let shown: String = posts[0]
        .split("||")
        .step_by(2)
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        !shown.contains("rough") && !shown.contains("sleep") && !shown.contains('2'),
        "{shown}"
    );
    assert!(!posts[1].contains("||"), "{}", posts[1]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_log_channel_the_member_is_told_kindly() {
    let h = Harness::start().await;
    let reply = h.say("alice", "/checkin mood:2").await;
    let answer = h
        .click("alice", &reply, "Ask a facilitator to reach out")
        .await;
    assert_ephemeral(&answer);
    assert!(
        answer.text().contains("message a facilitator directly")
            && answer.text().contains("emergency number"),
        "{}",
        answer.text()
    );
    // The lines stay one press away.
    let lines = h.click("alice", &answer, "Show support lines").await;
    assert!(
        lines.text().contains("You're not alone") && lines.text().contains("emergency number"),
        "{}",
        lines.text()
    );
}

fn round_message(h: &Harness) -> SimMessage {
    h.sim
        .channel_messages(h.general())
        .into_iter()
        .rev()
        .find(|m| m.text().contains("Check-in round"))
        .expect("a round")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_round_with_six_members_tallies_live_and_closes_with_the_spread() {
    let h = Harness::start().await;
    let reply = h.say("alice", "/round start").await;
    assert!(
        reply.text().contains("for facilitators"),
        "{}",
        reply.text()
    );
    let reply = h
        .say(
            "admin",
            "/round start question:\"How are you arriving?\" minutes:10",
        )
        .await;
    assert_ephemeral(&reply);
    let again = h.say("admin", "/round start").await;
    assert!(
        again.text().contains("already has an open round"),
        "{}",
        again.text()
    );

    let round = round_message(&h);
    assert_eq!(round.buttons().len(), 6);
    let pressing = std::time::Instant::now();
    let labels = ["3 okay", "4 good", "4 good", "5 great", "2 low", "Pass"];
    for (who, label) in MEMBERS.iter().zip(labels) {
        let answer = h.click(who, &round, label).await;
        assert_ephemeral(&answer);
    }
    // Bob changes his mind.
    h.click("bob", &round, "3 okay").await;
    let pressed_for = pressing.elapsed();

    // The tally catches up within a second or so, and never names anyone.
    let mut text = String::new();
    for _ in 0..40 {
        text = round_message(&h).text();
        if text.contains("Answered so far: 6") {
            break;
        }
        tokio::time::sleep(StdDuration::from_millis(100)).await;
    }
    assert!(text.contains("Answered so far: 6"), "{text}");
    for who in MEMBERS {
        assert!(!text.contains(who));
    }
    // Seven presses, but the message was edited at most once a second.
    let path = format!("/channels/{}/messages/{}", h.general(), round.id);
    let edits = h
        .sim
        .rest_log()
        .iter()
        .filter(|c| c.method == "PATCH" && c.path == path)
        .count();
    assert!(
        edits >= 1 && edits as u64 <= pressed_for.as_secs() + 2,
        "{edits} edits in {pressed_for:?}"
    );

    h.advance(Duration::minutes(11)).await;
    let closed = round_message(&h);
    let text = closed.text();
    assert!(
        text.contains("closed") && text.contains("6 answered"),
        "{text}"
    );
    // Five shared a mood (one passed): enough to show the spread, but each
    // mood had fewer than five, so each says so.
    assert!(
        text.contains("okay: fewer than 5") && text.contains("great: fewer than 5"),
        "{text}"
    );
    assert!(text.contains("struggling: 0"), "{text}");
    assert!(closed.buttons().is_empty());
    // Nothing of who answered survives the close.
    assert_eq!(
        table_count(&h, "SELECT COUNT(*) FROM round_answers").await,
        0
    );
    assert_eq!(
        table_count(&h, "SELECT COUNT(*) FROM rounds WHERE salt IS NOT NULL").await,
        0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_small_round_shows_only_its_count_and_closes_on_request() {
    let h = Harness::start().await;
    h.say("admin", "/round start").await;
    let round = round_message(&h);
    for who in ["alice", "bob", "casey"] {
        h.click(who, &round, "4 good").await;
    }
    let reply = h.say("admin", "/round close").await;
    assert!(reply.text().contains("3 answered"), "{}", reply.text());
    let text = round_message(&h).text();
    assert!(
        text.contains("3 answered") && text.contains("Fewer than 5 people shared a mood"),
        "{text}"
    );
    assert!(!text.contains("good: 3"), "{text}");
    let reply = h.say("admin", "/round close").await;
    assert!(reply.text().contains("no open round"), "{}", reply.text());
    // A press on the closed round gets a kind answer.
    let token = h
        .sim
        .click(&h.member("dana"), &round, &round.buttons()[0].custom_id);
    assert!(h.sim.reply(&token).await.unwrap().text().contains("closed"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_journal_keeps_only_what_the_member_chose() {
    let h = Harness::start().await;
    h.say("alice", "/checkin mood:3").await;
    let reply = h.say("alice", "/journal show").await;
    assert!(
        reply.text().contains("don't keep a journal"),
        "{}",
        reply.text()
    );

    h.say("alice", "/journal start").await;
    h.say("alice", "/checkin mood:2 note:\"tired\"").await;
    h.clock.advance(Duration::days(1));
    h.say("alice", "/checkin mood:4").await;
    let reply = h.say("alice", "/journal show").await;
    assert_ephemeral(&reply);
    assert!(
        reply.text().contains("tired") && reply.text().contains("4 · good"),
        "{}",
        reply.text()
    );
    let png = reply
        .attachments
        .iter()
        .find(|a| a.filename.ends_with(".png"))
        .expect("a chart");
    let img = image::load_from_memory(&png.bytes).unwrap();
    assert_eq!((img.width(), img.height()), (800, 320));

    let ask = h.say("alice", "/journal stop").await;
    let done = h.click("alice", &ask, "Stop and delete it").await;
    assert!(
        done.text().contains("2 entries are deleted"),
        "{}",
        done.text()
    );
    assert_eq!(
        table_count(&h, "SELECT COUNT(*) FROM journal_entries").await,
        0
    );
    assert!(
        h.db()
            .await
            .member_data(UserId(h.member("alice").id))
            .await
            .unwrap()
            .journal
            .is_none()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn journal_entries_past_their_retention_are_purged() {
    let h = Harness::start().await;
    h.say("alice", "/journal start").await;
    h.say("alice", "/checkin mood:3").await;
    h.advance(Duration::days(89)).await;
    h.say("alice", "/checkin mood:4").await;
    h.advance(Duration::days(2)).await;
    assert_eq!(
        table_count(&h, "SELECT COUNT(*) FROM journal_entries").await,
        1,
        "the 91-day-old entry is gone"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statistics_count_people_rounded_down_to_steps_of_k() {
    let h = Harness::start().await;
    let reply = h.say("alice", "/stats overview period:week").await;
    assert!(
        reply.text().contains("for facilitators"),
        "{}",
        reply.text()
    );

    // Three people, one of them five times: fewer than five people, so no
    // chart and no spread.
    for who in ["alice", "bob", "casey", "casey", "casey", "casey", "casey"] {
        h.say(who, "/checkin mood:3").await;
    }
    let reply = h.say("admin", "/stats overview period:week").await;
    assert_ephemeral(&reply);
    let text = reply.text();
    assert!(
        text.contains("People who checked in: fewer than 5")
            && text.contains("no chart")
            && text.contains("how they felt stays private"),
        "{text}"
    );
    assert!(!text.contains("Check-ins"), "no event counts: {text}");
    assert!(reply.attachments.is_empty(), "no chart below k");

    // Eli checks in five times as struggling: one person, not five.
    for _ in 0..5 {
        h.say("eli", "/checkin mood:1").await;
    }
    h.say("dana", "/checkin mood:3").await;
    for who in ["farah", "alice", "bob", "casey", "farah"] {
        h.say(who, "/checkin mood:4").await;
    }
    h.say("dana", "/checkin mood:5").await;
    let reply = h.say("admin", "/stats overview period:week").await;
    let text = reply.text();
    // Six people: four okay (alice, bob, casey, dana), four good (alice,
    // bob, casey, farah), one great, one struggling: each under five.
    assert!(
        text.contains("People who checked in: 5 to 9")
            && text.contains("struggling: fewer than 5")
            && text.contains("okay: fewer than 5")
            && text.contains("good: fewer than 5")
            && text.contains("rounded down to a step of 5"),
        "{text}"
    );
    let png = &reply.attachments[0];
    let img = image::load_from_memory(&png.bytes).unwrap();
    assert_eq!((img.width(), img.height()), (800, 560));

    // A fifth person feeling okay makes "okay" five people.
    h.say("eli", "/checkin mood:3").await;
    let text = h.say("admin", "/stats overview period:week").await.text();
    assert!(
        text.contains("okay: 5 to 9") && text.contains("People who checked in: 5 to 9"),
        "{text}"
    );

    let reply = h.say("admin", "/stats export period:week").await;
    let file = &reply.attachments[0];
    assert_eq!(file.filename, "haven-stats-W2027-10.csv");
    let mut csv = csv::Reader::from_reader(file.bytes.as_slice());
    let rows: Vec<csv::StringRecord> = csv.records().map(Result::unwrap).collect();
    let value = |metric: &str| {
        rows.iter()
            .find(|r| &r[0] == metric)
            .map(|r| r[2].to_owned())
    };
    assert_eq!(value("people").as_deref(), Some("5 to 9"));
    assert_eq!(value("mood_okay").as_deref(), Some("5 to 9"));
    assert_eq!(value("mood_struggling").as_deref(), Some("fewer than 5"));
    assert_eq!(value("checkins"), None, "no event counts");
    assert!(
        rows.iter()
            .any(|r| &r[0] == "weekly_people" && &r[1] == "W2027-10" && &r[2] == "5 to 9")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_between_check_ins_counts_nobody_twice() {
    let mut h = Harness::start().await;
    for who in ["alice", "bob", "casey"] {
        h.say(who, "/checkin mood:2").await;
    }
    h.restart().await;
    for who in ["alice", "bob", "casey"] {
        h.say(who, "/checkin mood:2").await;
    }
    // Counted twice they would be six, shown as "5 to 9".
    let text = h.say("admin", "/stats overview period:month").await.text();
    assert!(
        text.contains("People who checked in: fewer than 5"),
        "{text}"
    );
    for who in ["dana", "eli"] {
        h.say(who, "/checkin mood:2").await;
    }
    let text = h.say("admin", "/stats overview period:month").await.text();
    assert!(
        text.contains("People who checked in: 5 to 9") && text.contains("low: 5 to 9"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn last_weeks_figures_stay_after_the_week_closes() {
    let h = Harness::start().await;
    for who in MEMBERS {
        h.say(who, "/checkin mood:2").await;
    }
    // The week ends on Sunday at midnight (UTC here): its salt and hashes
    // are deleted then, and only the counts are left.
    h.advance(Duration::days(7)).await;
    assert_eq!(
        table_count(
            &h,
            "SELECT COUNT(*) FROM stats_periods WHERE period = 'W2027-10' AND salt IS NULL"
        )
        .await,
        1
    );
    assert_eq!(
        table_count(
            &h,
            "SELECT COUNT(*) FROM stats_period_people WHERE period = 'W2027-10'"
        )
        .await,
        0
    );

    let reply = h
        .say("admin", "/stats overview period:week which:last")
        .await;
    let text = reply.text();
    assert!(
        text.contains("How the group was doing: last week (8 Mar to 14 Mar 2027)")
            && text.contains("People who checked in: 5 to 9")
            && text.contains("low: 5 to 9"),
        "{text}"
    );
    assert_eq!(reply.attachments.len(), 1, "a chart");

    let reply = h.say("admin", "/stats overview period:week").await;
    let text = reply.text();
    assert!(
        text.contains("this week (15 Mar to 21 Mar 2027)")
            && text.contains("People who checked in: fewer than 5"),
        "{text}"
    );
    assert!(reply.attachments.is_empty());

    let reply = h.say("admin", "/stats export period:week which:last").await;
    let file = &reply.attachments[0];
    assert_eq!(file.filename, "haven-stats-W2027-10.csv");
    let body = String::from_utf8(file.bytes.clone()).unwrap();
    assert!(body.contains("people,W2027-10,5 to 9"), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crisis_lines_by_country_with_the_directory_always() {
    let h = Harness::start().await;
    let reply = h.say("alice", "/crisis country:GB").await;
    assert_ephemeral(&reply);
    let text = reply.text();
    assert!(
        text.contains("Samaritans")
            && text.contains("116 123")
            && text.contains("findahelpline.com")
            && text.contains("call 999")
            && text.contains("mental health option"),
        "{text}"
    );
    let reply = h.say("alice", "/crisis country:Belgium").await;
    assert!(
        reply.text().contains("call 112")
            && reply.text().contains("1813")
            && reply.text().contains("0800 32 123"),
        "{}",
        reply.text()
    );
    let reply = h.say("alice", "/crisis").await;
    assert!(
        reply.text().contains("findahelpline.com"),
        "{}",
        reply.text()
    );
    let reply = h.say("alice", "/crisis country:Atlantis").await;
    assert!(
        reply.text().contains("Atlantis") && reply.text().contains("findahelpline.com"),
        "{}",
        reply.text()
    );
    let choices = h.complete("alice", "/crisis country:germ").await;
    assert_eq!(choices, ["DE"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statistics_tables_hold_no_member_and_forget_leaves_no_trace() {
    let mut h = Harness::start_on_sqlite().await;
    h.say(
        "admin",
        "/meeting create title:Circle when:\"2027-03-09 19:00\" timezone:UTC channel:#meetings",
    )
    .await;
    let announcement = h.sim.channel_messages(h.sim.channel_id("meetings"))[0].clone();
    h.say("admin", "/round start").await;
    let round = round_message(&h);
    h.say("alice", "/journal start").await;
    for (i, who) in MEMBERS.iter().enumerate() {
        h.say(
            who,
            &format!("/checkin mood:{} note:\"secret-note-{who}\"", i % 5 + 1),
        )
        .await;
        h.click(who, &round, "4 good").await;
        h.click(who, &announcement, "Going").await;
    }
    h.say("admin", "/round close").await;

    // Every table of the file: a member's id or note may only sit in the
    // tables that hold their own data (all listed by /privacy show); the
    // statistics tables must hold none.
    const PERSONAL: [&str; 6] = [
        "member_prefs",
        "rsvps",
        "meeting_dms",
        "journal_members",
        "journal_entries",
        "facilitator_dm_notices",
    ];
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", h.db_path.display()))
        .await
        .unwrap();
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert!(tables.iter().any(|t| t == "stats_people"));
    let ids: Vec<i64> = MEMBERS.iter().map(|who| h.member(who).id as i64).collect();
    let mut personal_seen = 0;
    for table in &tables {
        let rows: Vec<sqlx::sqlite::SqliteRow> =
            sqlx::query(sqlx::AssertSqlSafe(format!("SELECT * FROM {table}")))
                .fetch_all(&pool)
                .await
                .unwrap();
        if table.starts_with("stats_") {
            assert!(!rows.is_empty(), "{table} has data");
        }
        for row in rows {
            use sqlx::Row;
            for i in 0..row.len() {
                let text = row
                    .try_get::<Option<String>, _>(i)
                    .ok()
                    .flatten()
                    .unwrap_or_default();
                let int: Option<i64> = row.try_get::<Option<i64>, _>(i).ok().flatten();
                let holds_member = int.is_some_and(|v| ids.contains(&v))
                    || ids.iter().any(|id| text.contains(&id.to_string()))
                    || text.contains("secret-note");
                if holds_member {
                    assert!(
                        PERSONAL.contains(&table.as_str()),
                        "{table} holds a member's id or note"
                    );
                    personal_seen += 1;
                }
            }
        }
    }
    assert!(personal_seen > 0, "the scan can see members where they are");
    pool.close().await;

    let alice = h.member("alice").id;
    assert!(
        !files_containing(h.dir.path(), alice).is_empty(),
        "alice's RSVP and journal are there"
    );
    let ask = h.say("alice", "/privacy forget").await;
    h.click("alice", &ask, "Delete my data").await;
    h.stop().await.expect("clean stop");
    let hits = files_containing(h.dir.path(), alice);
    assert!(hits.is_empty(), "{hits:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_log_channel_facilitators_who_opted_in_hear_by_dm() {
    let h = Harness::start().await;
    h.say("admin", "/settings facilitator-role role:@Facilitator")
        .await;
    let reply = h.say("alice", "/settings dm-notices enabled:true").await;
    assert!(
        reply.text().contains("for facilitators"),
        "{}",
        reply.text()
    );
    let reply = h
        .say("facilitator", "/settings dm-notices enabled:true")
        .await;
    assert_ephemeral(&reply);

    let checkin = h.say("bob", "/checkin mood:1 note:\"private words\"").await;
    let done = h
        .click("bob", &checkin, "Ask a facilitator to reach out")
        .await;
    assert!(
        done.text().contains("passed your request"),
        "{}",
        done.text()
    );
    let dms = h.sim.direct_messages(&h.member("facilitator"));
    assert_eq!(dms.len(), 1);
    assert!(dms[0].content.contains("bob") && !dms[0].content.contains("private words"));
    assert!(
        h.sim.direct_messages(&h.member("admin")).is_empty(),
        "only those who asked"
    );

    let shown = h.say("facilitator", "/privacy show").await.text();
    assert!(shown.contains("On in 1 server"), "{shown}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_overview_shows_a_trend_between_two_periods() {
    let h = Harness::start().await;
    for who in MEMBERS {
        h.say(who, "/checkin mood:2").await;
    }
    h.clock.advance(Duration::days(7));
    for who in MEMBERS {
        h.say(who, "/checkin mood:4").await;
    }
    let text = h.say("admin", "/stats overview period:week").await.text();
    assert!(
        text.contains("Trend: Moods were brighter than the week before (2.0 → 4.0)"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forgetting_a_member_removes_their_answer_from_an_open_round() {
    let h = Harness::start().await;
    h.say("admin", "/round start").await;
    let round = round_message(&h);
    h.click("alice", &round, "2 low").await;
    h.click("bob", &round, "4 good").await;
    assert_eq!(
        table_count(&h, "SELECT COUNT(*) FROM round_answers").await,
        2
    );
    let ask = h.say("alice", "/privacy forget").await;
    h.click("alice", &ask, "Delete my data").await;
    assert_eq!(
        table_count(&h, "SELECT COUNT(*) FROM round_answers").await,
        1,
        "only bob's answer is left"
    );
}
