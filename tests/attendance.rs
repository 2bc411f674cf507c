//! Anonymous attendance on a real database (SQLite files, or PostgreSQL
//! when `HAVEN_TEST_POSTGRES` is set): people, not visits; a restart loses
//! and doubles nobody; "don't count me" and forget are kept; and once the
//! occurrence ends only the count is left.

mod common;

use chrono::{DateTime, Duration, TimeZone, Utc};
use common::backend::{blobs, scalar, url};
use common::files_containing;
use haven::clock::Clock;
use haven::domain::attendance::{Attendance, Window};
use haven::domain::meeting::MeetingId;
use haven::domain::{ChannelId, GuildId, UserId};
use haven::store::Db;

const GUILD: GuildId = GuildId(1_300_000_000_000_000_001);

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2027, 3, 10, 19, 0, 0).unwrap()
}

fn member(n: u64) -> UserId {
    UserId(1_500_000_000_000_000_000 + n)
}

fn at(minutes: i64) -> DateTime<Utc> {
    start() + Duration::minutes(minutes)
}

async fn meeting(db: &Db) -> MeetingId {
    let new = haven::store::NewMeeting {
        guild: GUILD,
        channel: ChannelId(1_400_000_000_000_000_003),
        title: "Circle".into(),
        schedule: haven::domain::recurrence::Schedule {
            zone: chrono_tz::Tz::UTC,
            start: start().naive_utc(),
            repeat: haven::domain::recurrence::Repeat::Weekly,
            skips: Default::default(),
        },
        duration: Duration::minutes(60),
        reminders: haven::domain::reminders::Offsets::parse("none").unwrap(),
        mention_role: None,
        location: Some("<#1400000000000000005>".into()),
    };
    db.create_meeting(&new, start() - Duration::days(1))
        .await
        .unwrap()
        .id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn people_are_counted_once_a_restart_loses_nobody_and_only_the_count_is_left() {
    let dir = tempfile::tempdir().unwrap();
    let url = url(&dir).await;
    let db = Db::open(&url).await.unwrap();
    let m = meeting(&db).await;
    let w = Window::of(start(), Duration::minutes(60));
    let threshold = Duration::minutes(10);
    let change = |user: UserId, minutes: i64, joined: bool| {
        let db = db.clone();
        async move {
            db.attendance_change(m, start(), &w, user, at(minutes), joined)
                .await
                .unwrap()
        }
    };

    // Six stay 15 minutes; two stay 3; one comes and goes three times (5
    // minutes each: counted once); one said "don't count me" and comes.
    db.set_attendance_counted(member(99), false).await.unwrap();
    assert!(!db.attendance_counted(member(99)).await.unwrap());
    let rejoiner = member(8);
    for n in 0..6 {
        change(member(n), -5, true).await;
    }
    for n in 6..8 {
        change(member(n), 0, true).await;
    }
    change(rejoiner, 0, true).await;
    change(member(99), 0, true).await;
    for n in 6..8 {
        change(member(n), 3, false).await;
    }
    change(rejoiner, 5, false).await;
    assert!(
        db.attendance_open_for(member(0))
            .await
            .unwrap()
            .contains(&(m, start())),
        "/privacy show can say they are being counted"
    );
    assert!(db.attendance_open_for(member(99)).await.unwrap().is_empty());
    // Haven restarts 5 minutes in and finds the six still there (twice
    // over: a repeated reconciliation); nobody is lost or doubled.
    let here: Vec<UserId> = (0..6).map(member).chain([member(99)]).collect();
    let db = {
        db.close().await;
        Db::open(&url).await.unwrap()
    };
    for _ in 0..2 {
        db.attendance_reconcile(m, start(), &w, &here, at(5))
            .await
            .unwrap();
    }
    let change = |user: UserId, minutes: i64, joined: bool| {
        let db = db.clone();
        async move {
            db.attendance_change(m, start(), &w, user, at(minutes), joined)
                .await
                .unwrap()
        }
    };
    for n in 0..6 {
        change(member(n), 10, false).await;
    }
    for round in 1..3 {
        change(rejoiner, round * 10, true).await;
        change(rejoiner, round * 10 + 5, false).await;
    }
    let salts = blobs(&url, "SELECT salt FROM attendance_salts").await;
    let hashes = blobs(&url, "SELECT hash FROM attendance_presence").await;
    assert_eq!((salts.len(), hashes.len()), (1, 9), "one hash a person");

    let count = db
        .close_attendance(m, GUILD, start(), &w, threshold)
        .await
        .unwrap();
    assert_eq!(count, Attendance { came: 7, stayed: 0 });
    // Run again (a roll-over retried): the same count, nothing new.
    let again = db
        .close_attendance(m, GUILD, start(), &w, threshold)
        .await
        .unwrap();
    assert_eq!(again, count);
    assert_eq!(db.attendance(m, start()).await.unwrap(), Some(count));
    // A late voice change after the close counts nobody.
    db.attendance_change(m, start(), &w, member(50), at(61), true)
        .await
        .unwrap();
    assert_eq!(
        scalar(&url, "SELECT COUNT(*) FROM attendance_salts").await,
        0
    );
    assert_eq!(
        scalar(&url, "SELECT COUNT(*) FROM attendance_presence").await,
        0
    );
    assert!(db.checkpoint().await.unwrap());
    db.close().await;

    // On SQLite nothing of the salt, the hashes or anyone's id is left in
    // the files. (PostgreSQL keeps dead row versions until vacuum.)
    if url.starts_with("postgres") {
        return;
    }
    for bytes in salts.iter().chain(&hashes) {
        assert!(
            common::files_with(dir.path(), bytes).is_empty(),
            "a salt or hash survived"
        );
    }
    for n in 0..9 {
        let hits = files_containing(dir.path(), member(n).0);
        assert!(hits.is_empty(), "{hits:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forget_and_dont_count_me_remove_a_member_from_open_meetings() {
    let dir = tempfile::tempdir().unwrap();
    let url = url(&dir).await;
    let db = Db::open(&url).await.unwrap();
    let m = meeting(&db).await;
    let w = Window::of(start(), Duration::minutes(60));
    for n in 0..3 {
        db.attendance_change(m, start(), &w, member(n), at(0), true)
            .await
            .unwrap();
    }
    db.forget_member(member(0)).await.unwrap();
    db.set_attendance_counted(member(1), false).await.unwrap();
    assert!(db.attendance_open_for(member(0)).await.unwrap().is_empty());
    assert!(db.attendance_open_for(member(1)).await.unwrap().is_empty());
    assert_eq!(db.attendance_open_for(member(2)).await.unwrap().len(), 1);
    assert_eq!(
        scalar(&url, "SELECT COUNT(*) FROM attendance_presence").await,
        1
    );
    // Forget also takes back "don't count me" (it is theirs): counted again.
    db.forget_member(member(1)).await.unwrap();
    assert!(db.attendance_counted(member(1)).await.unwrap());
    let count = db
        .close_attendance(m, GUILD, start(), &w, Duration::minutes(10))
        .await
        .unwrap();
    assert_eq!(count, Attendance { came: 1, stayed: 1 });
}

/// Through the real bot and the fake Discord's voice: members in the
/// meeting's voice channel within its window are counted as people when it
/// ends (one too brief is not, one outside the window is not), across a
/// restart of Haven mid-meeting, and nothing of who is left afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn voice_attendance_end_to_end_across_a_restart() {
    let mut h = common::Harness::start().await; // 2027-03-09 12:00 UTC
    let room = h.sim.channel_id("Meeting room");
    h.say(
        "admin",
        &format!(
            "/meeting create title:Circle when:\"2027-03-10 19:00\" timezone:UTC repeat:weekly channel:#meetings location:<#{room}>"
        ),
    )
    .await;
    let db = h.db().await;
    let db_url = h.db_url.clone();
    let presences = || async { scalar(&db_url, "SELECT COUNT(*) FROM attendance_presence").await };
    // Early in the day: outside the window, nobody is held.
    h.advance(Utc.with_ymd_and_hms(2027, 3, 10, 18, 0, 0).unwrap() - h.clock.now())
        .await;
    let early = h.sim.member("facilitator");
    h.sim.voice_join(&early, room);
    h.sim
        .settle(
            std::time::Duration::from_millis(200),
            std::time::Duration::from_secs(2),
        )
        .await;
    h.sim.voice_leave(&early);
    assert_eq!(presences().await, 0);

    h.advance(Utc.with_ymd_and_hms(2027, 3, 10, 18, 55, 0).unwrap() - h.clock.now())
        .await;
    // Eli said not to be counted.
    let said = h.say("eli", "/privacy attendance counted:false").await;
    assert!(said.text().contains("won't be counted"), "{}", said.text());
    let names = ["alice", "bob", "casey", "dana", "eli", "farah"];
    for name in names {
        h.sim.voice_join(&h.sim.member(name), room);
    }
    wait_for(|| async { presences().await == 5 }).await;
    let shown = h.say("alice", "/privacy show").await.text();
    assert!(shown.contains("being counted in 1 meeting"), "{shown}");
    let shown = h.say("eli", "/privacy show").await.text();
    assert!(shown.contains("asked not to be counted"), "{shown}");
    h.advance(Duration::minutes(7)).await; // 19:02
    h.sim.voice_leave(&h.sim.member("farah"));
    wait_for(|| async {
        scalar(
            &db_url,
            "SELECT COUNT(*) FROM attendance_presence WHERE since_ms IS NULL",
        )
        .await
            == 1
    })
    .await;

    // Haven restarts mid-meeting; bob leaves while it is down.
    h.advance(Duration::minutes(13)).await; // 19:15
    h.stop().await.unwrap();
    h.sim.voice_leave(&h.sim.member("bob"));
    h.restart_after_stop().await;
    wait_for(|| async {
        scalar(
            &db_url,
            "SELECT COUNT(*) FROM attendance_presence WHERE since_ms IS NULL",
        )
        .await
            == 2
    })
    .await;

    // The meeting ends: one count, and no salt or hash left.
    h.advance(Duration::minutes(50)).await; // 20:05
    let occurrence = Utc.with_ymd_and_hms(2027, 3, 10, 19, 0, 0).unwrap();
    let count = db
        .attendance(MeetingId(1), occurrence)
        .await
        .unwrap()
        .expect("counted at the end");
    // alice, casey, dana stayed; bob was there 20 minutes; farah 7; eli
    // is not counted.
    assert_eq!(count, Attendance { came: 4, stayed: 3 });
    assert_eq!(
        scalar(&db_url, "SELECT COUNT(*) FROM attendance_salts").await,
        0
    );
    assert_eq!(presences().await, 0);

    // Shown as people, rounded like every figure: 4 is fewer than k = 5.
    let info = h.say("alice", "/meeting info id:1").await.text();
    assert!(
        info.contains("Came (voice)") && info.contains("fewer than 5 people came"),
        "{info}"
    );
    let stats = h.say("admin", "/stats overview period:week").await.text();
    assert!(
        stats.contains("1 counted; none with at least 5 people"),
        "{stats}"
    );
    db.close().await;
}

async fn wait_for<F, Fut>(check: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..200 {
        if check().await {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("the bot never got there");
}

/// A server chooses its own time that counts as coming: with 30 minutes,
/// 20 minutes in the room is not enough and 40 is; `/settings show` says
/// which applies, and clearing it goes back to the operator's default.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_chooses_how_long_counts_as_coming() {
    let h = common::Harness::start().await; // 2027-03-09 12:00 UTC
    let room = h.sim.channel_id("Meeting room");
    let refused = h.say("alice", "/settings attendance minutes:30").await;
    assert!(!refused.text().contains("now counts"), "{}", refused.text());
    let set = h.say("admin", "/settings attendance minutes:30").await;
    assert!(set.text().contains("**30 minutes**"), "{}", set.text());
    let shown = h.say("admin", "/settings show").await.text();
    assert!(shown.contains("Counted after 30 minutes"), "{shown}");
    h.say(
        "admin",
        &format!(
            "/meeting create title:Circle when:\"2027-03-09 19:00\" timezone:UTC channel:#meetings location:<#{room}>"
        ),
    )
    .await;
    h.advance(Utc.with_ymd_and_hms(2027, 3, 9, 19, 0, 0).unwrap() - h.clock.now())
        .await;
    let db_url = h.db_url.clone();
    let presences = || async { scalar(&db_url, "SELECT COUNT(*) FROM attendance_presence").await };
    for name in ["alice", "bob"] {
        h.sim.voice_join(&h.sim.member(name), room);
    }
    wait_for(|| async { presences().await == 2 }).await;
    h.advance(Duration::minutes(20)).await;
    h.sim.voice_leave(&h.sim.member("alice"));
    wait_for(|| async {
        scalar(
            &db_url,
            "SELECT COUNT(*) FROM attendance_presence WHERE since_ms IS NULL",
        )
        .await
            == 1
    })
    .await;
    h.advance(Duration::minutes(45)).await; // past the end at 20:00
    let db = h.db().await;
    let count = db
        .attendance(
            MeetingId(1),
            Utc.with_ymd_and_hms(2027, 3, 9, 19, 0, 0).unwrap(),
        )
        .await
        .unwrap()
        .expect("counted at the end");
    assert_eq!(count.came, 1, "20 minutes is less than the server's 30");
    db.close().await;

    h.say("admin", "/settings clear setting:attendance").await;
    let shown = h.say("admin", "/settings show").await.text();
    assert!(
        shown.contains("Counted after 10 minutes in a meeting's voice channel (the default)"),
        "{shown}"
    );
}

/// Someone already in the room before the window opens (a facilitator
/// setting up, a standing hangout) is counted from the start; someone who
/// left before it leaves nothing behind.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn those_in_the_room_before_the_window_opens_are_counted_from_the_start() {
    let h = common::Harness::start().await; // 2027-03-09 12:00 UTC
    let room = h.sim.channel_id("Meeting room");
    h.say(
        "admin",
        &format!(
            "/meeting create title:Circle when:\"2027-03-09 19:00\" timezone:UTC channel:#meetings location:<#{room}>"
        ),
    )
    .await;
    h.advance(Utc.with_ymd_and_hms(2027, 3, 9, 18, 0, 0).unwrap() - h.clock.now())
        .await;
    let db_url = h.db_url.clone();
    let presences = || async { scalar(&db_url, "SELECT COUNT(*) FROM attendance_presence").await };
    h.sim.voice_join(&h.sim.member("facilitator"), room);
    h.sim.voice_join(&h.sim.member("bob"), room);
    h.sim
        .settle(
            std::time::Duration::from_millis(200),
            std::time::Duration::from_secs(2),
        )
        .await;
    h.sim.voice_leave(&h.sim.member("bob"));
    h.sim
        .settle(
            std::time::Duration::from_millis(200),
            std::time::Duration::from_secs(2),
        )
        .await;
    assert_eq!(presences().await, 0, "nothing is held before the window");
    h.advance(Duration::minutes(55)).await; // 18:55
    h.sim.voice_join(&h.sim.member("alice"), room);
    wait_for(|| async { presences().await == 1 }).await;
    h.advance(Duration::minutes(5)).await; // 19:00: the start
    assert_eq!(
        presences().await,
        2,
        "the facilitator is held from the start"
    );
    h.advance(Duration::hours(1)).await; // 20:00: the end
    let count = h
        .db()
        .await
        .attendance(
            MeetingId(1),
            Utc.with_ymd_and_hms(2027, 3, 9, 19, 0, 0).unwrap(),
        )
        .await
        .unwrap()
        .expect("counted");
    assert_eq!(count, Attendance { came: 2, stayed: 2 });
}

/// An occurrence whose roll-over never comes (its series ended during the
/// window) keeps no salt or hash: the sweep counts it an hour after its
/// end, and drops one whose meeting is gone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_salt_outlives_its_occurrence() {
    let dir = tempfile::tempdir().unwrap();
    let url = url(&dir).await;
    let db = Db::open(&url).await.unwrap();
    let m = meeting(&db).await;
    let w = Window::of(start(), Duration::minutes(60));
    for n in 0..6 {
        db.attendance_change(m, start(), &w, member(n), at(-5), true)
            .await
            .unwrap();
    }
    // Three had said they were going: kept beside the count, as a number.
    for n in [0, 1, 7] {
        db.set_rsvp(
            m,
            start(),
            member(n),
            haven::domain::meeting::RsvpAnswer::Going,
            at(-60),
        )
        .await
        .unwrap();
    }
    let sweep = |now| {
        let db = db.clone();
        async move {
            haven::scheduler::attendance::sweep(&db, Duration::minutes(10), now)
                .await
                .unwrap()
        }
    };
    sweep(at(90)).await;
    assert_eq!(
        scalar(&url, "SELECT COUNT(*) FROM attendance_salts").await,
        1,
        "not yet"
    );
    sweep(at(121)).await;
    assert_eq!(
        scalar(&url, "SELECT COUNT(*) FROM attendance_salts").await,
        0
    );
    assert_eq!(
        scalar(&url, "SELECT COUNT(*) FROM attendance_presence").await,
        0
    );
    assert_eq!(
        db.attendance(m, start()).await.unwrap(),
        Some(Attendance { came: 6, stayed: 6 })
    );
    assert_eq!(db.said_going(m, start()).await.unwrap(), Some(3));
    // A leave where nobody was held writes nothing.
    db.attendance_change(m, at(7 * 24 * 60), &w, member(9), at(7 * 24 * 60), false)
        .await
        .unwrap();
    assert_eq!(
        scalar(&url, "SELECT COUNT(*) FROM attendance_presence").await,
        0
    );
    assert_eq!(
        scalar(&url, "SELECT COUNT(*) FROM attendance_salts").await,
        0,
        "not even a salt"
    );
    // An occurrence the meeting no longer has (its date cancelled) is
    // dropped uncounted once its window has passed.
    let next = start() + Duration::days(7);
    db.attendance_change(m, next, &w, member(1), next, true)
        .await
        .unwrap();
    db.skip_occurrence(m, next.date_naive()).await.unwrap();
    sweep(next + Duration::minutes(61)).await;
    assert_eq!(
        scalar(&url, "SELECT COUNT(*) FROM attendance_salts").await,
        0
    );
    assert_eq!(db.attendance(m, next).await.unwrap(), None, "never counted");
}
