//! End to end: meetings mirrored into Discord's Scheduled Events, through
//! the fake Discord (which validates events as Discord does) and the
//! virtual clock. Whatever happens to a meeting, Discord's event stands for
//! Haven's next occurrence, exactly.

mod common;

use chrono::{DateTime, Duration, TimeZone, Utc};
use common::{Harness, assert_ephemeral};
use haven::clock::Clock;
use haven::sim::events::SimEvent;
use haven::sim::world::{GUILD_ID, HAVEN_PERMISSIONS, HAVEN_ROLE};

fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
}

/// The events not completed, cancelled or deleted.
fn open_events(h: &Harness) -> Vec<SimEvent> {
    h.sim
        .scheduled_events()
        .into_iter()
        .filter(SimEvent::is_open)
        .collect()
}

/// The one open event, with its start checked.
fn the_event_at(h: &Harness, start: DateTime<Utc>) -> SimEvent {
    let open = open_events(h);
    assert_eq!(open.len(), 1, "{open:#?}");
    assert_eq!(open[0].start, start, "{:#?}", open[0]);
    open[0].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_event_follows_every_change_and_moves_on_across_daylight_saving() {
    let h = Harness::start().await; // 2027-03-09 12:00 UTC
    let room = h.sim.channel_id("Meeting room");
    let reply = h.say("admin", "/settings events enabled:true").await;
    assert_ephemeral(&reply);
    assert!(
        reply.text().contains("Interested") && reply.text().contains("0 with an event"),
        "{}",
        reply.text()
    );

    // London keeps GMT until 28 March 2027, then BST.
    h.say(
        "admin",
        &format!(
            "/meeting create title:Circle when:\"2027-03-10 19:00\" timezone:Europe/London repeat:weekly channel:#meetings location:<#{room}>"
        ),
    )
    .await;
    let e = the_event_at(&h, at(2027, 3, 10, 19, 0));
    assert_eq!((e.kind, e.channel_id, e.status), (2, Some(room), 1));
    assert_eq!(e.end, Some(at(2027, 3, 10, 20, 0)));
    assert_eq!(e.name, "Circle");
    let description = e.description.clone().unwrap();
    let announcement = h.announcement("Circle");
    assert!(
        description.contains(&format!("/{}", announcement.id))
            && description.contains("Interested list by name"),
        "{description}"
    );

    // Time, place and title follow each edit; the event is the same one.
    h.say("admin", "/meeting edit id:1 when:\"2027-03-10 20:00\"")
        .await;
    let moved = the_event_at(&h, at(2027, 3, 10, 20, 0));
    assert_eq!(moved.id, e.id);
    h.say(
        "admin",
        "/meeting edit id:1 location:https://meet.example.org/circle title:\"Evening circle\"",
    )
    .await;
    let linked = the_event_at(&h, at(2027, 3, 10, 20, 0));
    assert_eq!(
        (linked.kind, linked.channel_id, linked.location.as_deref()),
        (3, None, Some("https://meet.example.org/circle"))
    );
    assert_eq!(linked.name, "Evening circle");
    assert_eq!(linked.end, Some(at(2027, 3, 10, 21, 0)));

    // A cancelled date: the event moves to the next one.
    h.say("admin", "/meeting cancel id:1 date:2027-03-10").await;
    let next = the_event_at(&h, at(2027, 3, 17, 20, 0));

    // Live at the start, completed at the end, and the next one listed.
    h.advance(at(2027, 3, 17, 20, 0) - h.clock.now()).await;
    let live: Vec<SimEvent> = open_events(&h);
    assert_eq!(live.len(), 1);
    assert_eq!((live[0].id, live[0].status), (next.id, 2), "marked active");
    h.advance(Duration::hours(1)).await;
    let done = h
        .sim
        .scheduled_events()
        .into_iter()
        .find(|x| x.id == next.id)
        .unwrap();
    assert_eq!(done.status, 3, "completed");
    the_event_at(&h, at(2027, 3, 24, 20, 0));

    // Across the change to BST: 20:00 in London is 19:00 UTC.
    h.advance(at(2027, 3, 24, 21, 30) - h.clock.now()).await;
    let after_dst = the_event_at(&h, at(2027, 3, 31, 19, 0));
    assert_eq!(after_dst.end, Some(at(2027, 3, 31, 20, 0)));

    // Deleted by hand: /meeting info says so, and the next change lists it again.
    h.sim.delete_event_by_hand(after_dst.id);
    let info = h.say("alice", "/meeting info id:1").await.text();
    assert!(
        info.contains("Not listed in Discord's Events tab"),
        "{info}"
    );
    h.say("admin", "/meeting edit id:1 title:Circle").await;
    let again = the_event_at(&h, at(2027, 3, 31, 19, 0));
    assert_ne!(again.id, after_dst.id);
    let info = h.say("alice", "/meeting info id:1").await.text();
    assert!(info.contains("Listed in Discord's Events tab"), "{info}");

    // The series ends: no event is left; turning the mirror off removes them all.
    h.say("admin", "/meeting cancel id:1").await;
    assert!(open_events(&h).is_empty(), "{:#?}", open_events(&h));
    h.say(
        "admin",
        &format!(
            "/meeting create title:Other when:\"2027-04-10 19:00\" timezone:UTC channel:#meetings location:<#{room}>"
        ),
    )
    .await;
    assert_eq!(open_events(&h).len(), 1);
    let off = h.say("admin", "/settings events enabled:false").await;
    assert!(off.text().contains("no longer listed"), "{}", off.text());
    assert!(open_events(&h).is_empty());
}

/// Without Create Events, the admin is told which permission; with a
/// full server (Discord's 100), the soonest meetings have events and the
/// reply names those without.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_permission_is_named_and_the_limit_of_100_keeps_the_soonest() {
    let h = Harness::start().await;
    h.sim.set_role_permissions(
        HAVEN_ROLE,
        HAVEN_PERMISSIONS & !haven::sim::events::CREATE_EVENTS & !haven::sim::events::MANAGE_EVENTS,
    );
    h.say(
        "admin",
        "/meeting create title:Circle when:\"2027-03-10 19:00\" timezone:UTC channel:#meetings",
    )
    .await;
    let reply = h.say("admin", "/settings events enabled:true").await;
    assert!(reply.text().contains("Create Events"), "{}", reply.text());
    assert!(h.sim.scheduled_events().is_empty());
    h.sim.set_role_permissions(HAVEN_ROLE, HAVEN_PERMISSIONS);

    // 101 meetings, the 101st the latest of all.
    let db = h.db().await;
    let now = h.clock.now();
    for n in 0..101i64 {
        let new = haven::store::NewMeeting {
            guild: haven::domain::GuildId(GUILD_ID),
            channel: haven::domain::ChannelId(h.sim.channel_id("meetings")),
            title: format!("Group {n}"),
            schedule: haven::domain::recurrence::Schedule {
                zone: chrono_tz::Tz::UTC,
                start: (at(2027, 4, 1, 10, 0) + Duration::hours(n)).naive_utc(),
                repeat: haven::domain::recurrence::Repeat::None,
                skips: Default::default(),
            },
            duration: Duration::minutes(30),
            reminders: haven::domain::reminders::Offsets::parse("none").unwrap(),
            mention_role: None,
            location: None,
        };
        db.create_meeting(&new, now).await.unwrap();
    }
    let reply = h.say("admin", "/settings events enabled:true").await;
    let open = open_events(&h);
    assert_eq!(open.len(), 100);
    // Circle and groups 0 to 98 are the soonest 100.
    assert!(
        open.iter()
            .all(|e| e.name != "Group 99" && e.name != "Group 100" && e.kind == 3),
        "the latest are the ones left out"
    );
    assert!(
        reply.text().contains("These have no event")
            && reply.text().contains("Group 99")
            && reply.text().contains("Group 100"),
        "{}",
        reply.text()
    );
    // A new meeting says why it has none.
    let created = h
        .say(
            "admin",
            "/meeting create title:Late when:\"2027-05-10 19:00\" timezone:UTC channel:#meetings",
        )
        .await;
    assert!(
        created.text().contains("limit of 100 events"),
        "{}",
        created.text()
    );

    // One sooner than the latest listed takes that one's place.
    let soon = h
        .say(
            "admin",
            "/meeting create title:Soon when:\"2027-03-20 19:00\" timezone:UTC channel:#meetings",
        )
        .await;
    assert!(!soon.text().contains("limit of 100"), "{}", soon.text());
    let open = open_events(&h);
    assert_eq!(open.len(), 100);
    assert!(open.iter().any(|e| e.name == "Soon"));
    assert!(
        open.iter().all(|e| e.name != "Group 98"),
        "the latest listed gave its place up"
    );

    // A series ends: its place goes to the soonest meeting without one.
    h.say("admin", "/meeting cancel id:1").await;
    let open = open_events(&h);
    assert_eq!(open.len(), 100);
    assert!(open.iter().all(|e| e.name != "Circle"));
    assert!(
        open.iter().any(|e| e.name == "Group 98"),
        "the freed place is taken by the soonest waiting"
    );
    assert!(
        open.iter()
            .all(|e| e.name != "Group 99" && e.name != "Group 100" && e.name != "Late")
    );
}

/// An event someone changed by hand in Discord is a person's decision:
/// Haven never overwrites it, never starts or ends it, says so to the
/// facilitator, and gives the next time a new event of its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_changed_by_hand_is_left_as_it_is() {
    let h = Harness::start().await; // 2027-03-09 12:00 UTC
    let room = h.sim.channel_id("Meeting room");
    h.say("admin", "/settings events enabled:true").await;
    h.say(
        "admin",
        &format!(
            "/meeting create title:Circle when:\"2027-03-10 19:00\" timezone:UTC repeat:weekly channel:#meetings location:<#{room}>"
        ),
    )
    .await;
    let e = the_event_at(&h, at(2027, 3, 10, 19, 0));
    // An edit that changes nothing Discord shows sends nothing.
    let patches = || {
        h.sim
            .rest_log()
            .iter()
            .filter(|c| c.method == "PATCH" && c.path.contains("scheduled-events"))
            .count()
    };
    let before = patches();
    h.say("admin", "/meeting edit id:1 reminders:1h").await;
    assert_eq!(patches(), before, "nothing to change, nothing sent");

    h.sim.edit_event_by_hand(e.id, |e| {
        e.name = "Circle: bring a cup of tea".into();
    });
    let reply = h
        .say("admin", "/meeting edit id:1 when:\"2027-03-10 20:00\"")
        .await
        .text();
    assert!(reply.contains("changed by hand"), "{reply}");
    let kept = the_event_at(&h, at(2027, 3, 10, 19, 0));
    assert_eq!(kept.name, "Circle: bring a cup of tea", "not overwritten");
    let info = h.say("alice", "/meeting info id:1").await.text();
    assert!(info.contains("changed by hand"), "{info}");
    h.say("admin", "/meeting edit id:1 title:\"Evening circle\"")
        .await;
    assert_eq!(
        the_event_at(&h, at(2027, 3, 10, 19, 0)).name,
        "Circle: bring a cup of tea"
    );

    // Neither started nor ended by Haven; the next time gets its own.
    h.advance(at(2027, 3, 10, 20, 30) - h.clock.now()).await;
    let same = h
        .sim
        .scheduled_events()
        .into_iter()
        .find(|x| x.id == e.id)
        .unwrap();
    assert_eq!(same.status, 1, "not marked active: it is theirs");
    h.advance(at(2027, 3, 10, 21, 30) - h.clock.now()).await;
    let all = h.sim.scheduled_events();
    let theirs = all.iter().find(|x| x.id == e.id).unwrap();
    assert_eq!(
        (theirs.status, theirs.name.as_str()),
        (1, "Circle: bring a cup of tea")
    );
    let next = all
        .iter()
        .find(|x| x.id != e.id && x.is_open())
        .expect("the next time has an event");
    assert_eq!(
        (next.start, next.name.as_str()),
        (at(2027, 3, 17, 20, 0), "Evening circle")
    );
    // And that one follows edits again.
    h.say("admin", "/meeting edit id:1 title:Circle").await;
    let followed = h
        .sim
        .scheduled_events()
        .into_iter()
        .find(|x| x.id == next.id)
        .unwrap();
    assert_eq!(followed.name, "Circle");
}

/// Under faults and edits at awkward moments there is still exactly one
/// event per meeting, for the right time: a create whose answer was lost
/// (Discord made it) is adopted rather than doubled; an edit while the
/// meeting is live changes the live event's words, not its time; a new
/// time given mid-meeting ends the live event and lists the new one; a
/// meeting announced in a private channel gets none.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_event_per_meeting_under_lost_answers_and_edits_mid_meeting() {
    let h = Harness::start().await; // 2027-03-09 12:00 UTC
    let room = h.sim.channel_id("Meeting room");
    h.say("admin", "/settings events enabled:true").await;
    h.sim.inject_fault(haven::sim::Fault {
        method: Some("POST".into()),
        path_contains: "scheduled-events".into(),
        kind: haven::sim::FaultKind::LostResponse(502),
        times: 1,
    });
    h.say(
        "admin",
        &format!(
            "/meeting create title:Circle when:\"2027-03-10 19:00\" timezone:UTC repeat:weekly channel:#meetings location:<#{room}>"
        ),
    )
    .await;
    let first = the_event_at(&h, at(2027, 3, 10, 19, 0));
    assert_eq!(h.sim.scheduled_events().len(), 1, "adopted, not doubled");
    let info = h.say("alice", "/meeting info id:1").await.text();
    assert!(info.contains("Listed in Discord's Events tab"), "{info}");

    // Live: a new title reaches the live event; its time stays.
    h.advance(at(2027, 3, 10, 19, 10) - h.clock.now()).await;
    h.say("admin", "/meeting edit id:1 title:\"Circle (tonight)\"")
        .await;
    let live = the_event_at(&h, at(2027, 3, 10, 19, 0));
    assert_eq!((live.id, live.status), (first.id, 2));
    assert_eq!(live.name, "Circle (tonight)");

    // A new time mid-meeting: the live one ends, the new time is listed.
    h.say("admin", "/meeting edit id:1 when:\"2027-03-11 19:00\"")
        .await;
    let ended = h
        .sim
        .scheduled_events()
        .into_iter()
        .find(|e| e.id == first.id)
        .unwrap();
    assert!(!ended.is_open(), "{ended:#?}");
    let moved = the_event_at(&h, at(2027, 3, 11, 19, 0));
    assert_ne!(moved.id, first.id);

    // Announced where not everyone can read: no event, and the reply says why.
    let reply = h
        .say(
            "admin",
            "/meeting create title:\"Facilitators' catch-up\" when:\"2027-03-12 19:00\" timezone:UTC channel:#facilitators",
        )
        .await;
    assert!(
        reply.text().contains("isn't open to everyone"),
        "{}",
        reply.text()
    );
    assert!(
        h.sim
            .scheduled_events()
            .iter()
            .all(|e| !e.name.contains("catch-up"))
    );
}

/// An event started by hand before Haven's time is someone's decision too:
/// a later edit of the meeting neither deletes nor restarts it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_started_early_by_hand_is_never_deleted() {
    let h = Harness::start().await; // 2027-03-09 12:00 UTC
    h.say("admin", "/settings events enabled:true").await;
    h.say(
        "admin",
        "/meeting create title:Circle when:\"2027-03-10 19:00\" timezone:UTC repeat:weekly channel:#meetings",
    )
    .await;
    let e = the_event_at(&h, at(2027, 3, 10, 19, 0));
    h.sim.edit_event_by_hand(e.id, |e| e.status = 2);
    let reply = h
        .say("admin", "/meeting edit id:1 when:\"2027-03-10 19:30\"")
        .await
        .text();
    assert!(reply.contains("changed by hand"), "{reply}");
    let still = h
        .sim
        .scheduled_events()
        .into_iter()
        .find(|x| x.id == e.id)
        .expect("not deleted");
    assert_eq!((still.status, still.start), (2, at(2027, 3, 10, 19, 0)));
}
