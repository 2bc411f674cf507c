//! End to end: the promises Haven keeps under Discord's real rules, against
//! the strict fake Discord (deadlines, rate limits, faults): answers within
//! 3 seconds under throttling, reminders that are never silently lost or
//! late, privacy at the edges, permissions the member really has, and the
//! facilitator tools that make Haven workable in a real group.

mod common;

use std::time::Duration as StdDuration;

use chrono::{Duration, TimeZone, Utc};
use common::{Harness, assert_ephemeral, ts};
use haven::clock::Clock;
use haven::domain::settings::Access;
use haven::sim::world::{FACILITATOR_ROLE, MEMBER_ROLE};
use haven::sim::{Fault, FaultKind, SimMember, World};
use serde_json::{Value, json};

fn meetings_channel(h: &Harness) -> u64 {
    h.sim.channel_id("meetings")
}

/// The sandbox world with `n` more members.
fn crowded(n: u64) -> World {
    let mut world = World::sandbox();
    for i in 0..n {
        world.members.push(SimMember {
            id: 1_500_000_000_000_100_000 + i,
            name: format!("member{i}"),
            roles: vec![MEMBER_ROLE],
            permissions_override: None,
            bot: false,
        });
    }
    world
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_fifty_answers_is_acknowledged_in_time_while_edits_are_throttled() {
    let h = Harness::start_with(crowded(50)).await;
    h.say(
        "admin",
        "/meeting create title:Circle when:\"2027-03-10 19:00\" timezone:UTC channel:#meetings",
    )
    .await;
    let a = h.announcement("Circle");
    // Discord is slow to edit that message, on top of its 5-per-5-s limit.
    h.sim.inject_fault(Fault {
        method: Some("PATCH".into()),
        path_contains: format!("/messages/{}", a.id),
        kind: FaultKind::Slow(StdDuration::from_millis(800)),
        times: 20,
    });
    let labels = ["Going", "Maybe", "Can't make it"];
    let tokens: Vec<String> = (0..50)
        .map(|i| {
            let member = h.member(&format!("member{i}"));
            h.sim
                .click_label(&member, &a, labels[i % 3])
                .expect("a button")
        })
        .collect();
    for token in &tokens {
        let reply = h.sim.reply(token).await.expect("every press is answered");
        assert_ephemeral(&reply);
        assert!(!h.sim.answered_late(token), "answered within 3 s");
    }
    assert_eq!(h.sim.late_answer_count(), 0);
    let counts = "Going: **17** · Maybe: **17** · Can't make it: **16**";
    let shown = h
        .sim
        .wait_for_message_where(a.id, StdDuration::from_secs(20), |m| {
            m.text().contains(counts)
        })
        .await
        .unwrap();
    assert!(shown.text().contains(counts), "{}", shown.text());
    let edits = h
        .sim
        .rest_log()
        .iter()
        .filter(|c| c.method == "PATCH" && c.path.ends_with(&a.id.to_string()))
        .count();
    assert!(edits < 20, "edits are coalesced: {edits} for 50 answers");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reminder_through_a_500_and_a_429_is_sent_once() {
    let h = Harness::start().await;
    h.say(
        "admin",
        "/meeting create title:Circle when:\"2027-03-09 19:00\" timezone:UTC reminders:10m channel:#meetings",
    )
    .await;
    let path = format!("/channels/{}/messages", meetings_channel(&h));
    // A 500, a 429, then Discord posts it but the answer is lost: the
    // retry carries the same nonce, so it still shows once.
    for kind in [
        FaultKind::Status(500),
        FaultKind::RateLimited { retry_after: 0.3 },
        FaultKind::LostResponse(502),
    ] {
        h.sim.inject_fault(Fault {
            method: Some("POST".into()),
            path_contains: path.clone(),
            kind,
            times: 1,
        });
    }
    h.advance(Duration::hours(7)).await; // 19:00
    let sent = h.meeting_reminders();
    assert_eq!(sent.len(), 1, "{sent:?}");
    let statuses: Vec<u16> = h
        .sim
        .rest_log()
        .iter()
        .filter(|c| c.method == "POST" && c.path == path)
        .map(|c| c.status)
        .collect();
    assert!(
        statuses.contains(&500) && statuses.contains(&429) && statuses.contains(&502),
        "{statuses:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dm_reminders_reach_each_member_and_stop_from_the_dm() {
    let h = Harness::start().await;
    h.say(
        "admin",
        "/meeting create title:Circle when:\"2027-03-09 19:00\" timezone:UTC repeat:daily reminders:10m channel:#meetings",
    )
    .await;
    h.say("alice", "/meeting dm id:1 enabled:true").await;
    h.say("bob", "/meeting dm id:1 enabled:true").await;
    h.advance(Duration::hours(7)).await;
    let (alice, bob) = (h.member("alice"), h.member("bob"));
    for who in [&alice, &bob] {
        let dms = h.sim.direct_messages(who);
        assert_eq!(dms.len(), 1, "{}: {dms:?}", who.name);
        assert!(dms[0].content.contains("Circle"));
        assert!(dms[0].button("Stop these reminders").is_some());
    }
    // Alice stops them with the button on the DM; Bob from a DM, by command.
    let stopped = h
        .click(
            "alice",
            &h.sim.direct_messages(&alice)[0],
            "Stop these reminders",
        )
        .await;
    assert!(stopped.text().contains("no more"), "{}", stopped.text());
    let reply = h
        .say_as(
            &bob,
            h.sim.dm_channel_id(&bob),
            "/meeting dm id:1 enabled:false",
        )
        .await;
    assert!(reply.text().contains("no more"), "{}", reply.text());
    h.advance(Duration::days(1)).await;
    assert_eq!(h.sim.direct_messages(&alice).len(), 1);
    assert_eq!(h.sim.direct_messages(&bob).len(), 1);
    assert_eq!(
        h.meeting_reminders().len(),
        2,
        "the channel still gets them"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_reminders_fire_once_each_cycle() {
    let h = Harness::start().await; // Tuesday 2027-03-09 12:00 UTC
    let reply = h
        .say(
            "admin",
            "/meeting create title:Daily when:\"2027-03-09 19:00\" timezone:UTC repeat:daily reminders:1d channel:#meetings",
        )
        .await;
    assert!(
        reply.text().contains("1 day reminder") && reply.text().contains("won't be sent"),
        "the passed one is named: {}",
        reply.text()
    );
    h.say(
        "admin",
        "/meeting create title:Weekly when:\"2027-03-09 19:00\" timezone:UTC repeat:weekly reminders:7d channel:#meetings",
    )
    .await;
    h.say(
        "admin",
        "/meeting create title:Biweekly when:\"2027-03-09 19:00\" timezone:UTC repeat:biweekly reminders:14d channel:#meetings",
    )
    .await;
    // Day by day for three weeks: by each day's noon, exactly the
    // reminders due by then have arrived (19:00 UTC the day, week or two
    // weeks before each meeting).
    let at =
        |d: u32| Utc.with_ymd_and_hms(2027, 3, 9, 19, 0, 0).unwrap() + Duration::days(i64::from(d));
    let due = [
        ("Daily", (0..40).map(at).collect::<Vec<_>>()),
        ("Weekly", vec![at(0), at(7), at(14), at(21)]),
        ("Biweekly", vec![at(0), at(14), at(28)]),
    ];
    for day in 0..21 {
        h.advance(Duration::days(1)).await;
        let now = Utc.with_ymd_and_hms(2027, 3, 10, 12, 0, 0).unwrap() + Duration::days(day);
        let sent = h.meeting_reminders();
        for (title, dues) in &due {
            let expected = dues.iter().filter(|d| **d <= now).count();
            let got = sent
                .iter()
                .filter(|m| m.content.contains(&format!("**{title}**")))
                .count();
            assert_eq!(got, expected, "{title} by {now}");
        }
    }
    let sent = h.meeting_reminders();
    let count = |title: &str, at: i64| {
        sent.iter()
            .filter(|m| {
                m.content.contains(&format!("**{title}**"))
                    && m.content.contains(&format!("<t:{at}:F>"))
            })
            .count()
    };
    // Daily: the 1d reminders of 10 March to 31 March (the 9th's had passed).
    for d in 10..=30 {
        assert_eq!(
            count("Daily", ts(2027, 3, d, 19, 0)),
            1,
            "daily on the {d}th"
        );
    }
    for at in [
        ts(2027, 3, 16, 19, 0),
        ts(2027, 3, 23, 19, 0),
        ts(2027, 3, 30, 19, 0),
    ] {
        assert_eq!(count("Weekly", at), 1);
    }
    for at in [ts(2027, 3, 23, 19, 0), ts(2027, 4, 6, 19, 0)] {
        assert_eq!(count("Biweekly", at), 1);
    }
    let dailies = sent
        .iter()
        .filter(|m| m.content.contains("**Daily**"))
        .count();
    let weeklies = sent
        .iter()
        .filter(|m| m.content.contains("**Weekly**"))
        .count();
    let biweeklies = sent
        .iter()
        .filter(|m| m.content.contains("**Biweekly**"))
        .count();
    assert_eq!(
        (dailies, weeklies, biweeklies),
        (21, 3, 2),
        "nothing twice, nothing extra"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_reminder_is_never_sent_after_its_meeting_started() {
    let h = Harness::start().await;
    h.say(
        "admin",
        "/meeting create title:Circle when:\"2027-03-09 19:00\" timezone:UTC reminders:5m channel:#meetings",
    )
    .await;
    // Every attempt of the first try fails; the job is put back for later.
    h.sim.inject_fault(Fault {
        method: Some("POST".into()),
        path_contains: format!("/channels/{}/messages", meetings_channel(&h)),
        kind: FaultKind::Status(503),
        times: 6,
    });
    h.advance(Duration::hours(6) + Duration::minutes(55)).await; // 18:55: fails
    assert!(h.meeting_reminders().is_empty());
    // The retry comes round only after the meeting started, well within the
    // grace period: it must not go out.
    h.clock
        .advance_to(Utc.with_ymd_and_hms(2027, 3, 9, 19, 2, 0).unwrap());
    h.advance(Duration::minutes(30)).await;
    assert!(
        h.meeting_reminders().is_empty(),
        "{:?}",
        h.meeting_reminders()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_400_is_not_a_missing_channel() {
    let h = Harness::start().await;
    h.say(
        "admin",
        "/meeting create title:Circle when:\"2027-03-09 19:00\" timezone:UTC repeat:daily reminders:10m channel:#meetings",
    )
    .await;
    h.sim.inject_fault(Fault {
        method: Some("POST".into()),
        path_contains: format!("/channels/{}/messages", meetings_channel(&h)),
        kind: FaultKind::Status(400),
        times: 1,
    });
    h.advance(Duration::hours(7)).await;
    assert!(h.meeting_reminders().is_empty(), "that one was refused");
    let info = h.say("admin", "/meeting info id:1").await.text();
    assert!(!info.contains("paused"), "{info}");
    h.advance(Duration::days(1)).await;
    assert_eq!(h.meeting_reminders().len(), 1, "the next one goes out");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reminders_none_and_an_answer_that_follows_an_edited_time() {
    let h = Harness::start().await;
    let reply = h
        .say(
            "admin",
            "/meeting create title:Quiet when:\"2027-03-09 19:00\" timezone:UTC reminders:none channel:#meetings",
        )
        .await;
    assert!(reply.text().contains("no reminders"), "{}", reply.text());
    h.say("alice", "/meeting rsvp id:1 answer:going").await;
    let reply = h
        .say("admin", "/meeting edit id:1 when:\"2027-03-09 20:00\"")
        .await;
    assert!(reply.text().contains("1 answer moved"), "{}", reply.text());
    let info = h.say("bob", "/meeting info id:1").await.text();
    assert!(info.contains("Going: **1**"), "{info}");
    h.advance(Duration::hours(9)).await;
    assert!(h.meeting_reminders().is_empty(), "none means none");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_edits_at_once_both_stick() {
    let h = Harness::start().await;
    h.say(
        "admin",
        "/meeting create title:Circle when:\"2027-03-10 19:00\" timezone:UTC channel:#meetings",
    )
    .await;
    let admin = h.member("admin");
    let facilitator = h.member("admin");
    let a = h
        .sim
        .command(&admin, h.general(), "/meeting edit id:1 title:Renamed")
        .unwrap();
    let b = h
        .sim
        .command(&facilitator, h.general(), "/meeting edit id:1 duration:90")
        .unwrap();
    h.sim.reply(&a).await.expect("answered");
    h.sim.reply(&b).await.expect("answered");
    let info = h.say("alice", "/meeting info id:1").await.text();
    assert!(
        info.contains("Renamed") && info.contains("1 hour 30 minutes"),
        "{info}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_tally_edit_never_overwrites_the_closing_summary() {
    let h = Harness::start().await;
    h.say("admin", "/round start minutes:10").await;
    let round = h
        .sim
        .channel_messages(h.general())
        .into_iter()
        .find(|m| m.text().contains("Check-in round"))
        .unwrap();
    // The tally's edit hangs in Discord while the round closes.
    h.sim.inject_fault(Fault {
        method: Some("PATCH".into()),
        path_contains: format!("/messages/{}", round.id),
        kind: FaultKind::Slow(StdDuration::from_millis(1500)),
        times: 1,
    });
    h.click("alice", &round, "4 good").await;
    tokio::time::sleep(StdDuration::from_millis(100)).await;
    let reply = h.say("admin", "/round close").await;
    assert!(reply.text().contains("closed"), "{}", reply.text());
    tokio::time::sleep(StdDuration::from_millis(2500)).await;
    let text = h.sim.message(round.id).unwrap().text();
    assert!(
        text.contains("closed") && text.contains("1 answered"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reach_out_requests_go_only_to_current_facilitators() {
    let h = Harness::start().await;
    h.say("admin", "/settings facilitator-role role:@Facilitator")
        .await;
    h.say("facilitator", "/settings dm-notices enabled:true")
        .await;
    // They step down before anyone asks.
    h.sim
        .set_member_roles(&h.member("facilitator"), vec![MEMBER_ROLE]);
    let checkin = h.say("bob", "/checkin mood:1").await;
    let reply = h
        .click("bob", &checkin, "Ask a facilitator to reach out")
        .await;
    assert!(
        reply.text().contains("message a facilitator"),
        "{}",
        reply.text()
    );
    assert!(h.sim.direct_messages(&h.member("facilitator")).is_empty());
    // Back in the role, they hear of the next request.
    h.sim.set_member_roles(
        &h.member("facilitator"),
        vec![FACILITATOR_ROLE, MEMBER_ROLE],
    );
    let checkin = h.say("casey", "/checkin mood:1").await;
    h.click("casey", &checkin, "Ask a facilitator to reach out")
        .await;
    assert_eq!(h.sim.direct_messages(&h.member("facilitator")).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_log_channel_warns_when_everyone_can_read_it() {
    let h = Harness::start().await;
    let open = h
        .say("admin", "/settings log-channel channel:#general")
        .await
        .text();
    assert!(open.contains("everyone in the server can read"), "{open}");
    let private = h
        .say("admin", "/settings log-channel channel:#facilitators")
        .await
        .text();
    assert!(!private.contains("Careful"), "{private}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn privacy_show_lists_every_answer_and_forget_names_what_stays() {
    let h = Harness::start().await;
    let db = h.db().await;
    let alice = haven::domain::UserId(h.member("alice").id);
    let now = h.clock.now();
    for i in 0..20 {
        let m = db
            .create_meeting(
                &haven::store::NewMeeting {
                    guild: haven::domain::GuildId(haven::sim::world::GUILD_ID),
                    channel: haven::domain::ChannelId(meetings_channel(&h)),
                    title: format!("Group number {i}"),
                    schedule: haven::domain::recurrence::Schedule {
                        zone: chrono_tz::Tz::UTC,
                        start: chrono::NaiveDate::from_ymd_opt(2027, 3, 20)
                            .unwrap()
                            .and_hms_opt(19, 0, 0)
                            .unwrap(),
                        repeat: haven::domain::recurrence::Repeat::None,
                        skips: Default::default(),
                    },
                    duration: Duration::minutes(60),
                    reminders: haven::domain::reminders::Offsets::default_offsets(),
                    mention_role: None,
                    location: None,
                },
                now,
            )
            .await
            .unwrap();
        let start = Utc.with_ymd_and_hms(2027, 3, 20, 19, 0, 0).unwrap();
        db.set_rsvp(
            m.id,
            start,
            alice,
            haven::domain::meeting::RsvpAnswer::Going,
            now,
        )
        .await
        .unwrap();
    }
    db.close().await;
    let shown = h.say("alice", "/privacy show").await.text();
    for i in 0..20 {
        assert!(
            shown.contains(&format!("Group number {i} on")),
            "{i}: {shown}"
        );
    }
    let forget = h.say("alice", "/privacy forget").await.text();
    assert!(
        forget.contains("share:group") && forget.contains("stays in Discord"),
        "{forget}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_post_only_where_they_could_themselves() {
    let h = Harness::start().await;
    let announcements = h.sim.channel_id("announcements");
    let reply = h
        .say_as(
            &h.member("alice"),
            announcements,
            "/checkin mood:3 share:group",
        )
        .await;
    assert!(
        reply.text().contains("can't post in this channel"),
        "{}",
        reply.text()
    );
    assert!(h.sim.channel_messages(announcements).is_empty());
    let reply = h
        .say(
            "admin",
            "/meeting create title:X when:\"2027-03-10 19:00\" channel:#announcements",
        )
        .await;
    assert!(reply.text().contains("can't post in"), "{}", reply.text());
    assert!(h.sim.channel_messages(announcements).is_empty());
    // A facilitator may post there, so may announce there.
    h.say("admin", "/settings facilitator-role role:@Facilitator")
        .await;
    let reply = h
        .say(
            "facilitator",
            "/meeting create title:X when:\"2027-03-10 19:00\" channel:#announcements",
        )
        .await;
    assert!(reply.text().contains("Scheduled"), "{}", reply.text());
    assert_eq!(h.sim.channel_messages(announcements).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_refuse_everyone_as_facilitators_and_clear_back_to_defaults() {
    let h = Harness::start().await;
    let reply = h
        .say("admin", "/settings facilitator-role role:@everyone")
        .await;
    assert!(
        reply.text().contains("can't be the facilitator role"),
        "{}",
        reply.text()
    );
    let shown = h.say("admin", "/settings show").await.text();
    assert!(shown.contains("Not set"), "{shown}");

    h.say("admin", "/settings timezone zone:Europe/Berlin")
        .await;
    h.say("admin", "/settings min-group-size size:9").await;
    h.say("admin", "/settings clear setting:timezone").await;
    let reply = h
        .say("admin", "/settings clear setting:min-group-size")
        .await;
    assert!(reply.text().contains("back to 5"), "{}", reply.text());
    let shown = h.say("admin", "/settings show").await.text();
    assert!(
        !shown.contains("Europe/Berlin") && shown.contains("5:"),
        "{shown}"
    );
    let refused = h
        .say("alice", "/settings clear setting:timezone")
        .await
        .text();
    assert!(refused.contains("Manage Server"), "{refused}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn meetings_have_a_place_a_mention_that_can_stop_and_ids_by_title() {
    let h = Harness::start().await;
    let voice = format!("<#{}>", meetings_channel(&h));
    h.say(
        "admin",
        &format!(
            "/meeting create title:\"Tuesday group\" when:\"2027-03-10 19:00\" timezone:UTC channel:#meetings mention:@Member location:{voice}"
        ),
    )
    .await;
    let a = h.announcement("Tuesday group");
    assert!(
        a.text().contains(&format!("**Where:** {voice}")),
        "{}",
        a.text()
    );
    let info = h.say("alice", "/meeting info id:1").await.text();
    assert!(
        info.contains("Where") && info.contains("Mentions"),
        "{info}"
    );
    let ics = h.say("alice", "/meeting ics id:1").await;
    let ics = String::from_utf8(ics.attachments[0].bytes.clone()).unwrap();
    assert!(
        ics.contains("LOCATION:https://discord.com/channels/"),
        "{ics}"
    );

    h.say("admin", "/meeting edit id:1 no-mention:true").await;
    let info = h.say("alice", "/meeting info id:1").await.text();
    assert!(!info.contains("Mentions"), "{info}");
    let bad = h
        .say("admin", "/meeting edit id:1 location:\"the park\"")
        .await
        .text();
    assert!(bad.contains("link"), "{bad}");

    let token = h
        .sim
        .autocomplete(&h.member("alice"), h.general(), "/meeting info id:tues")
        .unwrap();
    let choices = h.sim.choices(&token).await.unwrap();
    assert_eq!(choices.len(), 1, "{choices:?}");
    assert!(choices[0].0.contains("Tuesday group"));
    assert_eq!(choices[0].1, json!(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn buttons_from_before_the_versioned_ids_still_work() {
    let h = Harness::start().await;
    h.say(
        "admin",
        "/meeting create title:Circle when:\"2027-03-10 19:00\" timezone:UTC channel:#meetings",
    )
    .await;
    let a = h.announcement("Circle");
    let token = h.sim.click(&h.member("alice"), &a, "haven:rsvp:1:going");
    let reply = h.sim.reply(&token).await.unwrap();
    assert!(reply.text().contains("You're going"), "{}", reply.text());
    let token = h.sim.click(&h.member("alice"), &a, "h9:nonsense");
    let reply = h.sim.reply(&token).await.unwrap();
    assert!(
        reply.text().contains("no longer active"),
        "{}",
        reply.text()
    );
}

/// Every facilitator or admin command, found from the commands themselves,
/// refuses a plain member (and runs nothing).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_facilitator_and_admin_command_refuses_a_plain_member() {
    let h = Harness::start().await;
    h.say("admin", "/settings facilitator-role role:@Facilitator")
        .await;
    fn leaves(
        prefix: &str,
        cmds: &[poise::Command<haven::bot::Data, haven::bot::Error>],
        out: &mut Vec<(String, Access)>,
    ) {
        for c in cmds {
            // Message context menus are sent differently (and tested with
            // moderation); this walks the slash commands.
            if c.context_menu_action.is_some() {
                continue;
            }
            let name = format!("{prefix}{}", c.name);
            if c.subcommands.is_empty() {
                let access = c
                    .custom_data
                    .downcast_ref::<Access>()
                    .copied()
                    .unwrap_or(Access::Anyone);
                out.push((name, access));
            } else {
                leaves(&format!("{name} "), &c.subcommands, out);
            }
        }
    }
    let mut all = Vec::new();
    leaves("", &haven::bot::commands(), &mut all);
    let guarded: Vec<&(String, Access)> =
        all.iter().filter(|(_, a)| *a != Access::Anyone).collect();
    assert!(guarded.len() >= 14, "{guarded:?}");
    let registered = h.sim.registered_commands();
    let before = h.sim.all_messages().iter().filter(|m| !m.ephemeral).count();
    for (name, access) in guarded {
        let mut words = name.split(' ');
        let top = words.next().unwrap();
        let path: Vec<&str> = words.collect();
        // The options the schema requires, with plausible values.
        let mut schema = registered
            .iter()
            .find(|c| c["name"] == top)
            .unwrap_or_else(|| panic!("{top} registered"))["options"]
            .clone();
        for sub in &path {
            schema = schema
                .as_array()
                .and_then(|o| o.iter().find(|o| o["name"] == *sub))
                .map(|o| o["options"].clone())
                .unwrap_or(Value::Null);
        }
        let required: Vec<Value> = schema
            .as_array()
            .map(|o| {
                o.iter()
                    .filter(|o| o["required"].as_bool().unwrap_or(false))
                    .map(|o| {
                        let value = match o["type"].as_u64() {
                            Some(4) => json!(5),
                            Some(5) => json!(true),
                            Some(10) => json!(1.0),
                            Some(6) => json!(h.member("bob").id.to_string()),
                            Some(7) => json!(h.general().to_string()),
                            Some(8) => json!(MEMBER_ROLE.to_string()),
                            _ => o["choices"][0]["value"]
                                .clone()
                                .as_str()
                                .map(|s| json!(s))
                                .unwrap_or(json!("x")),
                        };
                        json!({"name": o["name"], "type": o["type"], "value": value})
                    })
                    .collect()
            })
            .unwrap_or_default();
        let mut options = json!(required);
        for sub in path.iter().rev() {
            options = json!([{"name": sub, "type": 1, "options": options}]);
        }
        let token = h
            .sim
            .command_raw(&h.member("alice"), h.general(), top, options);
        let reply = h
            .sim
            .reply(&token)
            .await
            .unwrap_or_else(|| panic!("/{name} answered"));
        assert_ephemeral(&reply);
        let text = reply.text();
        let refused = match access {
            Access::Admin => text.contains("Manage Server"),
            _ => text.contains("for facilitators"),
        };
        assert!(refused, "/{name} must refuse a plain member: {text}");
    }
    let after = h.sim.all_messages().iter().filter(|m| !m.ephemeral).count();
    assert_eq!(before, after, "nothing was posted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gateway_drops_mid_run_and_the_next_command_is_answered() {
    let h = Harness::start().await;
    h.say("alice", "/timezone set zone:Europe/Berlin").await;
    h.sim.drop_gateway();
    assert!(
        h.sim.wait_connected(StdDuration::from_secs(30)).await,
        "the bot is back"
    );
    let reply = h.say("alice", "/timezone show").await;
    assert!(reply.text().contains("Europe/Berlin"), "{}", reply.text());
    assert_eq!(h.sim.late_answer_count(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn who_said_going_becomes_a_count_of_people_when_the_meeting_is_over() {
    let h = Harness::start().await;
    h.say(
        "admin",
        "/meeting create title:Circle when:\"2027-03-09 19:00\" timezone:UTC repeat:daily reminders:none channel:#meetings",
    )
    .await;
    let a = h.announcement("Circle");
    for who in ["alice", "bob", "casey", "dana", "eli"] {
        h.click(who, &a, "Going").await;
    }
    // Alice says so twice (today and tomorrow): still one person.
    h.advance(Duration::hours(8)).await;
    h.click("alice", &h.announcement("Circle"), "Going").await;
    h.advance(Duration::days(1)).await;
    let db = h.db().await;
    let alice = haven::domain::UserId(h.member("alice").id);
    assert!(
        db.member_data(alice).await.unwrap().rsvps.is_empty(),
        "no names kept"
    );
    db.close().await;
    let text = h.say("admin", "/stats overview period:week").await.text();
    assert!(
        text.contains("2 held") && text.contains("people who said they were going: 5 to 9"),
        "{text}"
    );
}
