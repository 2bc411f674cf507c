//! End to end: meetings through the fake Discord with the virtual clock.

mod common;

use std::time::Duration as StdDuration;

use chrono::Duration;
use common::{Harness, assert_ephemeral, ts};
use haven::domain::meeting::MeetingId;
use haven::sim::world::MEMBER_ROLE;
use haven::sim::{Fault, FaultKind, SimMessage};

/// The announcement once its text contains `needle` (edits are coalesced
/// and follow the answers within a second or so).
async fn announcement_showing(h: &Harness, needle: &str) -> SimMessage {
    let a = h.announcement("");
    h.sim
        .wait_for_message_where(a.id, StdDuration::from_secs(10), |m| {
            m.text().contains(needle)
        })
        .await
        .expect("the announcement exists")
}

const CREATE_WEEKLY: &str = "/meeting create title:\"Tuesday group\" when:\"2027-03-09 19:00\" timezone:America/New_York \
     repeat:weekly reminders:1d,1h,10m mention:@Member channel:#meetings";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_announces_and_reminders_arrive_in_order_across_weeks() {
    let h = Harness::start().await; // 2027-03-09 12:00 UTC, 07:00 in New York
    let reply = h.say("admin", CREATE_WEEKLY).await;
    assert_ephemeral(&reply);
    let text = reply.text();
    assert!(
        text.contains("meeting #1") && text.contains("America/New_York"),
        "{text}"
    );
    assert!(
        text.contains(&format!("<t:{}:F>", ts(2027, 3, 10, 0, 0))),
        "{text}"
    );

    let a = h.announcement("");
    let text = a.text();
    assert!(
        text.contains("every Tuesday at 19:00, America/New_York time"),
        "{text}"
    );
    assert!(
        text.contains(&format!("<t:{}:F>", ts(2027, 3, 10, 0, 0)))
            && text.contains(&format!("<t:{}:R>", ts(2027, 3, 10, 0, 0))),
        "{text}"
    );
    assert!(text.contains("1 hour"), "{text}");
    let labels: Vec<String> = a.buttons().into_iter().map(|b| b.label).collect();
    assert_eq!(labels, ["Going", "Maybe", "Can't make it"]);
    assert!(h.meeting_reminders().is_empty());

    // The day-before reminder had already passed; the hour and ten minutes come.
    h.advance(Duration::hours(13)).await;
    let sent = h.meeting_reminders();
    assert_eq!(sent.len(), 2, "{sent:?}");
    for m in &sent {
        assert!(
            m.content.contains(&format!("<@&{MEMBER_ROLE}>"))
                && m.content.contains("Tuesday group"),
            "{}",
            m.content
        );
        assert!(
            m.content
                .contains(&format!("<t:{}:R>", ts(2027, 3, 10, 0, 0)))
        );
        let mentions = m.allowed_mentions.clone().expect("allowed_mentions set");
        assert_eq!(
            mentions["roles"],
            serde_json::json!([MEMBER_ROLE.to_string()]),
            "{mentions}"
        );
        assert!(
            mentions["parse"].as_array().is_none_or(|p| p.is_empty()),
            "{mentions}"
        );
    }

    // After it ends, the announcement moves to the next Tuesday, 19:00 EDT.
    h.advance(Duration::hours(2)).await;
    let next = format!("<t:{}:F>", ts(2027, 3, 16, 23, 0));
    let text = announcement_showing(&h, &next).await.text();
    assert!(text.contains(&next), "{text}");

    // The next week: a day, an hour and ten minutes before, each at its time
    // and in that order (the clock is at 03:00 UTC on the 10th).
    h.advance(Duration::days(5) + Duration::hours(19) + Duration::minutes(59))
        .await; // 22:59 on the 15th
    assert_eq!(h.meeting_reminders().len(), 2, "not a minute early");
    h.advance(Duration::minutes(2)).await; // 23:01: a day before
    assert_eq!(h.meeting_reminders().len(), 3);
    h.advance(Duration::hours(22) + Duration::minutes(58)).await; // 21:59 on the 16th
    assert_eq!(h.meeting_reminders().len(), 3);
    h.advance(Duration::minutes(2)).await; // 22:01: an hour before
    assert_eq!(h.meeting_reminders().len(), 4);
    h.advance(Duration::minutes(48)).await; // 22:49
    assert_eq!(h.meeting_reminders().len(), 4);
    h.advance(Duration::minutes(2)).await; // 22:51: ten minutes before
    let sent = h.meeting_reminders();
    assert_eq!(sent.len(), 5, "{sent:?}");
    assert!(sent[2..].iter().all(|m| {
        m.content
            .contains(&format!("<t:{}:R>", ts(2027, 3, 16, 23, 0)))
    }));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_by_button_and_command_update_counts_and_never_names() {
    let h = Harness::start().await;
    h.say("admin", CREATE_WEEKLY).await;
    let a = h.announcement("");

    let reply = h.click("alice", &a, "Going").await;
    assert_ephemeral(&reply);
    assert!(reply.text().contains("You're going"), "{}", reply.text());
    h.click("bob", &a, "Maybe").await;
    let reply = h.say("bob", "/meeting rsvp id:1 answer:no").await;
    assert!(reply.text().contains("can't make"), "{}", reply.text());
    h.click("casey", &a, "Going").await;

    let counts = "Going: **2** · Maybe: **0** · Can't make it: **1**";
    let text = announcement_showing(&h, counts).await.text();
    assert!(text.contains(counts), "{text}");
    for name in ["alice", "bob", "casey"] {
        assert!(!text.contains(name), "{text}");
    }
    let info = h.say("alice", "/meeting info id:1").await.text();
    assert!(info.contains(counts), "{info}");

    // Answers are the member's data: listed while the meeting is ahead.
    let reply = h.say("alice", "/privacy export").await;
    let json: serde_json::Value = serde_json::from_slice(&reply.attachments[0].bytes).unwrap();
    assert_eq!(json["data"]["rsvps"][0]["answer"], "going");

    // After the meeting, answers start afresh for the next one, and who
    // said they were going is no longer kept.
    h.advance(Duration::hours(14)).await;
    let zero = "Going: **0** · Maybe: **0** · Can't make it: **0**";
    let text = announcement_showing(&h, zero).await.text();
    assert!(text.contains(zero), "{text}");
    let reply = h.say("alice", "/privacy export").await;
    let json: serde_json::Value = serde_json::from_slice(&reply.attachments[0].bytes).unwrap();
    assert_eq!(json["data"]["rsvps"], serde_json::json!([]), "{json}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_info_and_ics() {
    let h = Harness::start().await;
    h.say("admin", CREATE_WEEKLY).await;
    let reply = h.say("alice", "/meeting list").await;
    assert_ephemeral(&reply);
    assert!(
        reply.text().contains("#1: Tuesday group")
            && reply
                .text()
                .contains(&format!("<t:{}:F>", ts(2027, 3, 10, 0, 0))),
        "{}",
        reply.text()
    );

    let reply = h.say("alice", "/meeting info id:1").await;
    let text = reply.text();
    let expected = [
        ts(2027, 3, 10, 0, 0),
        ts(2027, 3, 16, 23, 0),
        ts(2027, 3, 23, 23, 0),
        ts(2027, 3, 30, 23, 0),
        ts(2027, 4, 6, 23, 0),
    ];
    for t in expected {
        assert!(text.contains(&format!("<t:{t}:F>")), "{text}");
    }

    h.say("admin", "/meeting cancel id:1 date:2027-03-23").await;
    let reply = h.say("alice", "/meeting ics id:1").await;
    let file = &reply.attachments[0];
    assert!(file.filename.ends_with(".ics"));
    let ics = String::from_utf8(file.bytes.clone()).unwrap();
    for line in [
        "DTSTART;TZID=America/New_York:20270309T190000",
        "RRULE:FREQ=WEEKLY",
        "EXDATE;TZID=America/New_York:20270323T190000",
    ] {
        assert!(ics.lines().any(|l| l.trim_end() == line), "{line} in {ics}");
    }
    assert!(ics.contains("UID:haven-meeting-"));

    let reply = h.say("alice", "/meeting info id:99").await;
    assert!(reply.text().contains("no meeting #99"), "{}", reply.text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_one_date_skips_only_its_reminders() {
    let h = Harness::start().await;
    h.say(
        "admin",
        "/meeting create title:Check-in when:\"2027-03-09 18:00\" timezone:UTC repeat:daily reminders:10m channel:#meetings",
    )
    .await;
    let reply = h.say("admin", "/meeting cancel id:1 date:2027-03-10").await;
    assert!(
        reply
            .text()
            .contains("won't meet on Wednesday 10 March 2027"),
        "{}",
        reply.text()
    );
    let reply = h
        .say("admin", "/meeting cancel id:1 date:2027-03-12T1")
        .await;
    assert!(
        reply.text().contains("like `2027-03-16`"),
        "{}",
        reply.text()
    );

    h.advance(Duration::days(2) + Duration::hours(8)).await;
    let times: Vec<String> = h
        .meeting_reminders()
        .iter()
        .map(|m| m.content.clone())
        .collect();
    assert_eq!(times.len(), 2, "{times:?}");
    assert!(times[0].contains(&ts(2027, 3, 9, 18, 0).to_string()));
    assert!(times[1].contains(&ts(2027, 3, 11, 18, 0).to_string()));

    // Ending the series stops everything and says so on the announcement.
    h.say("admin", "/meeting cancel id:1").await;
    h.advance(Duration::days(3)).await;
    assert_eq!(h.meeting_reminders().len(), 2);
    let ended = announcement_showing(&h, "has ended").await;
    assert!(ended.text().contains("has ended"), "{}", ended.text());
    assert!(ended.buttons().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn editing_moves_the_future_reminders() {
    let h = Harness::start().await;
    h.say("admin", "/meeting create title:Circle when:\"2027-03-09 19:00\" timezone:UTC reminders:10m channel:#meetings").await;
    let reply = h
        .say(
            "admin",
            "/meeting edit id:1 when:\"2027-03-09 21:00\" title:\"Evening circle\"",
        )
        .await;
    assert!(reply.text().contains("Evening circle"), "{}", reply.text());
    h.advance(Duration::hours(8)).await; // 20:00: nothing yet
    assert!(h.meeting_reminders().is_empty());
    h.advance(Duration::hours(1)).await;
    let sent = h.meeting_reminders();
    assert_eq!(sent.len(), 1);
    assert!(
        sent[0].content.contains("Evening circle")
            && sent[0].content.contains(&ts(2027, 3, 9, 21, 0).to_string())
    );
    let a = announcement_showing(&h, "Evening circle").await;
    assert!(a.text().contains("Evening circle"), "{}", a.text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_cannot_schedule_and_bad_input_posts_nothing() {
    let h = Harness::start().await;
    let reply = h
        .say("alice", "/meeting create title:Mine when:19:00")
        .await;
    assert_ephemeral(&reply);
    assert!(
        reply.text().contains("for facilitators"),
        "{}",
        reply.text()
    );

    for (line, expect) in [
        ("/meeting create title:X when:25:99", "Times that work"),
        (
            "/meeting create title:X when:\"2027-02-30 19:00\"",
            "Times that work",
        ),
        (
            "/meeting create title:X when:\"2027-03-01 19:00\"",
            "already passed",
        ),
        (
            "/meeting create title:X when:19:00 reminders:soon",
            "1d,1h,10m",
        ),
        (
            "/meeting create title:X when:19:00 reminders:1m,2m,3m,4m,5m,6m",
            "at most 5",
        ),
        (
            "/meeting create title:X when:19:00 timezone:Mars/Base",
            "Mars/Base",
        ),
    ] {
        let reply = h.say("admin", line).await;
        assert_ephemeral(&reply);
        assert!(reply.text().contains(expect), "{line}: {}", reply.text());
    }
    assert!(
        h.sim.channel_messages(h.general()).is_empty(),
        "nothing was posted"
    );
    assert!(
        h.db().await.meeting(MeetingId(1)).await.unwrap().is_none(),
        "nothing was stored"
    );
    let reply = h
        .say("admin", "/meeting create title:Fine when:19:00")
        .await;
    assert!(reply.text().contains("meeting #1"), "{}", reply.text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gap_time_is_explained_to_the_facilitator() {
    let h = Harness::start().await;
    let reply = h
        .say("admin", "/meeting create title:Night when:\"2027-03-13 02:30\" timezone:America/New_York repeat:daily")
        .await;
    assert!(
        reply
            .text()
            .contains("02:30 doesn't exist on Sunday 14 March 2027")
            && reply.text().contains("03:30"),
        "{}",
        reply.text()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_mid_schedule_sends_each_due_reminder_exactly_once() {
    let mut h = Harness::start().await;
    h.say("admin", "/meeting create title:Circle when:\"2027-03-09 19:00\" timezone:UTC reminders:1h,30m,10m channel:#meetings").await;
    h.advance(Duration::hours(6) + Duration::minutes(1)).await; // 18:01: the 1h reminder went out
    assert_eq!(h.meeting_reminders().len(), 1);

    h.stop().await.expect("clean stop");
    // While Haven is down, the 30-minute reminder falls due.
    h.clock.advance(Duration::minutes(31)); // 18:32
    h.restart_after_stop().await;
    let channel = h.sim.channel_id("meetings");
    h.sim
        .wait_for_messages(channel, 3, StdDuration::from_secs(10))
        .await;
    assert_eq!(
        h.meeting_reminders().len(),
        2,
        "the missed reminder is sent on start"
    );

    h.advance(Duration::hours(1)).await;
    let sent = h.meeting_reminders();
    assert_eq!(sent.len(), 3, "each reminder once: {sent:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reminder_missed_by_more_than_the_grace_period_is_skipped() {
    let mut h = Harness::start().await;
    h.say("admin", "/meeting create title:Circle when:\"2027-03-09 19:00\" timezone:UTC reminders:1h,10m channel:#meetings").await;
    h.stop().await.expect("clean stop");
    h.clock.advance(Duration::hours(6) + Duration::minutes(30)); // 18:30: the 1h one is 30 minutes late
    h.restart_after_stop().await;
    h.advance(Duration::minutes(30)).await;
    let sent = h.meeting_reminders();
    assert_eq!(sent.len(), 1, "only the 10-minute reminder: {sent:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_and_a_500_are_survived_and_the_reminder_arrives_once() {
    let h = Harness::start().await;
    h.say("admin", "/meeting create title:Circle when:\"2027-03-09 19:00\" timezone:UTC reminders:10m channel:#meetings").await;
    let path = format!("/channels/{}/messages", h.sim.channel_id("meetings"));
    h.sim.inject_fault(Fault {
        method: Some("POST".into()),
        path_contains: path.clone(),
        kind: FaultKind::RateLimited { retry_after: 0.2 },
        times: 1,
    });
    h.sim.inject_fault(Fault {
        method: Some("POST".into()),
        path_contains: path,
        kind: FaultKind::Status(500),
        times: 1,
    });
    h.advance(Duration::hours(7)).await;
    let sent = h.meeting_reminders();
    assert_eq!(sent.len(), 1, "{sent:?}");
    let statuses: Vec<u16> = h
        .sim
        .rest_log()
        .iter()
        .filter(|c| c.method == "POST" && c.path.contains("/messages"))
        .map(|c| c.status)
        .collect();
    assert!(
        statuses.contains(&429) && statuses.contains(&500),
        "{statuses:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_channel_pauses_reminders_and_tells_the_log_channel() {
    let h = Harness::start().await;
    h.say("admin", "/settings log-channel channel:#facilitators")
        .await;
    h.say("admin", "/meeting create title:Circle when:\"2027-03-09 19:00\" timezone:UTC repeat:daily reminders:10m channel:#meetings").await;
    h.sim.delete_channel(h.sim.channel_id("meetings"));
    h.advance(Duration::hours(7)).await;
    let notices = h.sim.channel_messages(h.sim.channel_id("facilitators"));
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert!(
        notices[0].content.contains("Circle") && notices[0].content.contains("paused"),
        "{}",
        notices[0].content
    );
    assert!(
        !h.db()
            .await
            .meeting(MeetingId(1))
            .await
            .unwrap()
            .unwrap()
            .reminders_enabled
    );
    h.advance(Duration::days(1)).await;
    assert_eq!(
        h.sim
            .channel_messages(h.sim.channel_id("facilitators"))
            .len(),
        1,
        "told once"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reminders_by_direct_message_for_those_who_asked() {
    let h = Harness::start().await;
    h.say("admin", "/meeting create title:Circle when:\"2027-03-09 19:00\" timezone:UTC reminders:10m channel:#meetings").await;
    let reply = h.say("alice", "/meeting dm id:1 enabled:true").await;
    assert_ephemeral(&reply);
    h.say("bob", "/meeting dm id:1 enabled:true").await;
    h.sim.close_dms(&h.member("bob"));
    h.advance(Duration::hours(7)).await;
    let dms = h.sim.direct_messages(&h.member("alice"));
    assert_eq!(dms.len(), 1);
    assert!(dms[0].content.contains("Circle"));
    assert!(h.sim.direct_messages(&h.member("bob")).is_empty());
    assert!(
        h.sim.direct_messages(&h.member("casey")).is_empty(),
        "no DM without asking"
    );
    assert_eq!(
        h.meeting_reminders().len(),
        1,
        "the channel reminder still went out"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forgetting_a_member_removes_their_answers_and_dm_requests() {
    let h = Harness::start().await;
    h.say("admin", CREATE_WEEKLY).await;
    h.click("alice", &h.announcement(""), "Going").await;
    h.say("alice", "/meeting dm id:1 enabled:true").await;
    let shown = h.say("alice", "/privacy show").await.text();
    assert!(
        shown.contains("Tuesday group") && shown.contains("going"),
        "{shown}"
    );

    let ask = h.say("alice", "/privacy forget").await;
    h.click("alice", &ask, "Delete my data").await;
    let alice = haven::domain::UserId(h.member("alice").id);
    assert!(h.db().await.member_data(alice).await.unwrap().is_empty());
    assert!(
        h.db()
            .await
            .meeting_dm_subscribers(MeetingId(1))
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_after_sending_but_before_recording_shows_the_reminder_once() {
    let mut h = Harness::start().await;
    h.say("admin", "/meeting create title:Circle when:\"2027-03-09 19:00\" timezone:UTC reminders:1h,10m channel:#meetings").await;
    h.advance(Duration::hours(6) + Duration::minutes(1)).await; // 18:01: the 1h reminder went out
    assert_eq!(h.meeting_reminders().len(), 1);
    h.stop().await.expect("clean stop");

    // As if the process died after Discord accepted the message but before
    // the job was marked done: the job is still claimed.
    let changed = common::backend::execute(
        &h.db_url,
        "UPDATE jobs SET state = 'claimed' WHERE kind = 'reminder' AND offset_min = 60",
    )
    .await
    .unwrap();
    assert_eq!(changed, 1);

    h.restart_after_stop().await;
    h.advance(Duration::minutes(1)).await;
    // The announcement, the reminder, and the reminder sent again.
    let posts = h.rest_posts_to("meetings");
    assert_eq!(posts, 3, "the reminder was sent again after the restart");
    assert_eq!(
        h.meeting_reminders().len(),
        1,
        "but Discord's nonce shows it once"
    );
    h.advance(Duration::hours(1)).await;
    assert_eq!(
        h.meeting_reminders().len(),
        2,
        "and the next one still comes"
    );
}

/// A meeting with a place to join gets a "starting now" post by default:
/// one message at the start, with the link, nonced like every reminder;
/// the announcement shows it under way until it ends, then moves on. A DM
/// at the start says the same. Without a place, `0m` is asked for.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_meeting_with_a_place_says_when_it_is_starting() {
    let h = Harness::start().await; // 2027-03-09 12:00 UTC
    let room = format!("<#{}>", h.sim.channel_id("meetings"));
    let reply = h
        .say(
            "admin",
            &format!(
                "/meeting create title:\"Evening circle\" when:\"2027-03-09 19:00\" timezone:UTC repeat:weekly channel:#meetings location:{room}"
            ),
        )
        .await;
    assert!(
        reply
            .text()
            .contains("1 hour before, 10 minutes before and a post at the start"),
        "{}",
        reply.text()
    );
    h.say("alice", "/meeting dm id:1 enabled:true").await;

    h.advance(Duration::hours(6) + Duration::minutes(59)).await; // 18:59
    assert_eq!(h.meeting_reminders().len(), 2, "not a minute early");
    h.advance(Duration::minutes(1)).await; // 19:00
    let sent = h.meeting_reminders();
    assert_eq!(sent.len(), 3, "{sent:?}");
    let now = &sent[2].content;
    assert!(
        now.contains("**Evening circle** is starting now.") && now.contains(&room),
        "{now}"
    );
    let dms = h.sim.direct_messages(&h.member("alice"));
    assert!(
        dms.last()
            .is_some_and(|m| m.text().contains("is starting now") && m.text().contains(&room)),
        "{dms:?}"
    );
    let under_way = announcement_showing(&h, "Under way now").await.text();
    assert!(
        under_way.contains(&format!("<t:{}:R>", ts(2027, 3, 9, 19, 0))),
        "{under_way}"
    );

    // Once over, the announcement moves to next week and the post is not repeated.
    h.advance(Duration::hours(1)).await;
    let next = format!("<t:{}:F>", ts(2027, 3, 16, 19, 0));
    let moved = announcement_showing(&h, &next).await.text();
    assert!(!moved.contains("Under way"), "{moved}");
    assert_eq!(h.meeting_reminders().len(), 3);

    // Without a place, the default has no post at the start; 0m asks for it.
    let plain = h
        .say(
            "admin",
            "/meeting create title:Plain when:\"2027-03-10 19:00\" timezone:UTC channel:#meetings",
        )
        .await;
    assert!(!plain.text().contains("at the start"), "{}", plain.text());
    let asked = h
        .say(
            "admin",
            "/meeting create title:Asked when:\"2027-03-10 20:00\" timezone:UTC channel:#meetings reminders:0m",
        )
        .await;
    assert!(
        asked.text().contains("reminders a post at the start"),
        "{}",
        asked.text()
    );
    let bad = h
        .say(
            "admin",
            "/meeting create title:Bad when:\"2027-03-10 20:00\" timezone:UTC reminders:30s",
        )
        .await;
    assert!(
        bad.text().contains("`0m` for a post at the start"),
        "{}",
        bad.text()
    );
}
