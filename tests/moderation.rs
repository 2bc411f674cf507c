//! Moderation end to end: the real bot against the fake Discord, which
//! validates like Discord (28-day limit, hierarchy and owner refusals with
//! 50013, bulk-delete rules).

mod common;

use chrono::Duration;
use common::{Harness, assert_ephemeral};
use haven::clock::Clock as _;
use haven::domain::jobs::JobKind;
use haven::domain::moderation::LOCK_BITS;
use haven::sim::world::{EVERYONE, GUILD_ID, HAVEN_ROLE};
use haven::sim::{AuditEntry, Fault, FaultKind, SimMember, SimOverwrite, World};

async fn ready() -> Harness {
    let h = Harness::start().await;
    h.say("admin", "/settings facilitator-role role:@Facilitator")
        .await;
    h.say("admin", "/settings log-channel channel:#facilitators")
        .await;
    h
}

/// Moderation calls (not messages) the bot made so far.
fn actions(h: &Harness) -> Vec<AuditEntry> {
    h.sim
        .audit_log()
        .into_iter()
        .filter(|a| !a.path.contains("/messages") || a.path.ends_with("bulk-delete"))
        .collect()
}

fn log_texts(h: &Harness) -> Vec<String> {
    h.sim
        .channel_messages(h.sim.channel_id("facilitators"))
        .iter()
        .map(|m| m.text())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeout_goes_through_discord_with_its_reason_a_dm_and_a_case() {
    let h = ready().await;
    let alice = h.member("alice");
    let reply = h
        .say(
            "facilitator",
            "/mod timeout member:@alice duration:2h reason:\"Shared another member's story\"",
        )
        .await;
    assert_ephemeral(&reply);
    assert!(reply.text().contains("Case #1"), "{}", reply.text());
    assert!(
        reply.text().contains("no earlier warnings"),
        "{}",
        reply.text()
    );
    let until = h.sim.timeout_of(&alice).expect("timed out");
    assert_eq!(until, h.clock.now() + Duration::hours(2));
    let calls = actions(&h);
    let patch = calls
        .iter()
        .find(|a| a.method == "PATCH" && a.path.ends_with(&format!("/members/{}", alice.id)))
        .expect("a member PATCH");
    assert_eq!(
        patch.reason.as_deref(),
        Some("Shared another member's story")
    );
    let dm = h.sim.direct_messages(&alice);
    assert_eq!(dm.len(), 1);
    assert!(dm[0].text().contains("Shared another member's story"));
    assert!(dm[0].text().contains("welcome back"));
    assert!(
        log_texts(&h)
            .iter()
            .any(|t| t.contains("Case #1 · Timeout"))
    );
    // Nothing in the channel.
    assert!(
        h.sim
            .channel_messages(h.general())
            .iter()
            .all(|m| m.ephemeral)
    );

    // Over the limit: refused before anything is sent.
    let reply = h
        .say("facilitator", "/mod timeout member:@bob duration:29d")
        .await;
    assert!(reply.text().contains("28 days"), "{}", reply.text());
    assert!(h.sim.timeout_of(&h.member("bob")).is_none());

    let reply = h.say("facilitator", "/mod untimeout member:@alice").await;
    assert!(reply.text().contains("Case #2"), "{}", reply.text());
    assert!(h.sim.timeout_of(&alice).is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_targets_get_a_specific_answer_and_nothing_is_sent() {
    let h = ready().await;
    for (line, expected) in [
        ("/mod kick member:@admin", "owner"),
        ("/mod timeout member:@facilitator duration:10m", "yourself"),
    ] {
        let reply = h.say("facilitator", line).await;
        assert_ephemeral(&reply);
        assert!(reply.text().contains(expected), "{line}: {}", reply.text());
    }
    assert!(actions(&h).is_empty(), "{:?}", actions(&h));
    assert!(h.sim.direct_messages(&h.member("admin")).is_empty());
}

/// The sandbox with a second admin (not the owner), a second facilitator,
/// a member ranked above Haven and one ranked level with the facilitators'
/// own highest role.
fn crowded_ranks() -> World {
    use haven::sim::world::{ADMIN_ROLE, FACILITATOR_ROLE, MEMBER_ROLE, SimRole};
    const ABOVE_HAVEN: u64 = 1_600_000_000_000_000_010;
    const LEVEL_WITH_CALLER: u64 = 1_600_000_000_000_000_011;
    let mut world = World::sandbox();
    world.guild.roles.push(SimRole {
        id: ABOVE_HAVEN,
        name: "Elder".into(),
        permissions: 0,
        position: 9,
        mentionable: true,
    });
    world.guild.roles.push(SimRole {
        id: LEVEL_WITH_CALLER,
        name: "Mentor".into(),
        permissions: 0,
        position: 2,
        mentionable: true,
    });
    let member = |n: u64, name: &str, roles: &[u64]| SimMember {
        id: 1_500_000_000_000_000_000 + n,
        name: name.into(),
        roles: roles.to_vec(),
        permissions_override: None,
        bot: false,
    };
    world.members.extend([
        member(20, "sam", &[ADMIN_ROLE]),
        member(21, "fran", &[FACILITATOR_ROLE, MEMBER_ROLE]),
        member(22, "elder", &[ABOVE_HAVEN]),
        member(23, "mentor", &[LEVEL_WITH_CALLER]),
    ]);
    world
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_refused_target_gets_its_own_answer_and_nothing_is_sent() {
    let h = Harness::start_with(crowded_ranks()).await;
    h.say("admin", "/settings facilitator-role role:@Facilitator")
        .await;
    for (line, expected) in [
        ("/mod kick member:@sam", "Admins can't be moderated"),
        (
            "/mod ban member:@fran",
            "Only an admin can use this on another facilitator",
        ),
        ("/mod timeout member:@elder duration:10m", "not below mine"),
        ("/mod kick member:@mentor", "not below yours"),
        (
            "/mod purge count:5 member:@sam",
            "Admins can't be moderated",
        ),
        ("/mod kick member:@Haven", "on myself"),
        ("/mod warn member:@Haven reason:Testing", "on myself"),
    ] {
        let reply = h.say("facilitator", line).await;
        assert_ephemeral(&reply);
        assert!(reply.text().contains(expected), "{line}: {}", reply.text());
    }
    assert!(actions(&h).is_empty(), "{:?}", actions(&h));
    for who in ["sam", "fran", "elder", "mentor"] {
        assert!(h.sim.direct_messages(&h.member(who)).is_empty(), "{who}");
    }
    // An admin may act on a facilitator.
    let reply = h
        .say(
            "admin",
            "/mod timeout member:@fran duration:10m reason:Cooling",
        )
        .await;
    assert!(reply.text().contains("Case #1"), "{}", reply.text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_action_carries_its_reason_to_the_audit_log() {
    let h = ready().await;
    let general = h.general();
    for n in 0..3 {
        h.sim.post_as(
            &h.member("dana"),
            general,
            &format!("spam {n}"),
            Duration::minutes(1),
        );
    }
    for line in [
        "/mod timeout member:@casey duration:1h reason:\"Timeout reason\"",
        "/mod untimeout member:@casey reason:\"Untimeout reason\"",
        "/mod kick member:@alice reason:\"Kick reason\"",
        "/mod ban member:@bob reason:\"Ban reason\"",
        "/mod unban user:@bob reason:\"Unban reason\"",
        "/mod slowmode seconds:5 reason:\"Slowmode reason\"",
        "/mod lock reason:\"Lock reason\"",
        "/mod purge count:3 member:@dana reason:\"Purge reason\"",
    ] {
        let reply = h.say("facilitator", line).await;
        assert!(reply.text().contains("Case #"), "{line}: {}", reply.text());
    }
    h.say("facilitator", "/mod unlock").await;
    // A purge that finds one message deletes it alone, with the reason too.
    let eli = h
        .sim
        .post_as(&h.member("eli"), general, "just one", Duration::minutes(1));
    h.say(
        "facilitator",
        "/mod purge count:2 member:@eli reason:\"One message\"",
    )
    .await;
    assert!(h.sim.message(eli.id).unwrap().deleted);
    let calls = actions(&h);
    let reason_of = |method: &str, path: &str| {
        calls
            .iter()
            .find(|a| a.method == method && a.path.contains(path))
            .and_then(|a| a.reason.clone())
            .unwrap_or_else(|| panic!("no {method} {path}: {calls:?}"))
    };
    let casey = h.member("casey").id;
    let alice = h.member("alice").id;
    let bob = h.member("bob").id;
    let patches: Vec<&str> = calls
        .iter()
        .filter(|a| a.method == "PATCH" && a.path.ends_with(&format!("/members/{casey}")))
        .filter_map(|a| a.reason.as_deref())
        .collect();
    assert_eq!(patches, ["Timeout reason", "Untimeout reason"]);
    assert_eq!(
        reason_of("DELETE", &format!("/members/{alice}")),
        "Kick reason"
    );
    assert_eq!(reason_of("PUT", &format!("/bans/{bob}")), "Ban reason");
    assert_eq!(reason_of("DELETE", &format!("/bans/{bob}")), "Unban reason");
    assert_eq!(
        reason_of("PATCH", &format!("/channels/{general}")),
        "Slowmode reason"
    );
    assert_eq!(reason_of("PUT", "/permissions/"), "Lock reason");
    assert_eq!(reason_of("POST", "bulk-delete"), "Purge reason");
    let single = format!("/messages/{}", eli.id);
    assert!(
        h.sim.audit_log().iter().any(|a| a.method == "DELETE"
            && a.path.ends_with(&single)
            && a.reason.as_deref() == Some("One message")),
        "{:?}",
        h.sim.audit_log()
    );
    // Unlock takes no reason of the facilitator's: it says what it did.
    assert_eq!(reason_of("DELETE", "/permissions/"), "Unlocked");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_permission_is_named() {
    let h = ready().await;
    h.sim.set_role_permissions(HAVEN_ROLE, EVERYONE);
    let reply = h
        .say("facilitator", "/mod timeout member:@alice duration:10m")
        .await;
    assert!(
        reply
            .text()
            .contains("I need the Moderate Members permission"),
        "{}",
        reply.text()
    );
    assert!(actions(&h).is_empty(), "{:?}", actions(&h));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dm_goes_before_the_kick_and_a_closed_dm_does_not_stop_a_timeout() {
    let h = ready().await;
    let alice = h.member("alice");
    let reply = h
        .say(
            "facilitator",
            "/mod kick member:@alice reason:Repeated insults",
        )
        .await;
    assert!(reply.text().contains("Case #1"), "{}", reply.text());
    assert!(h.sim.is_gone(&alice));
    let log = h.sim.rest_log();
    let dm_at = log
        .iter()
        .position(|c| {
            c.method == "POST"
                && c.path
                    .ends_with(&format!("{}/messages", h.sim.dm_channel_id(&alice)))
        })
        .expect("a DM");
    let kick_at = log
        .iter()
        .position(|c| c.method == "DELETE" && c.path.ends_with(&format!("/members/{}", alice.id)))
        .expect("a kick");
    assert!(dm_at < kick_at, "the DM goes first");

    let bob = h.member("bob");
    h.sim.close_dms(&bob);
    let reply = h
        .say("facilitator", "/mod timeout member:@bob duration:10m")
        .await;
    assert!(h.sim.timeout_of(&bob).is_some());
    assert!(
        reply.text().contains("direct messages are closed"),
        "{}",
        reply.text()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lock_and_unlock_restore_exactly_what_was_there() {
    let h = ready().await;
    // #announcements has an @everyone overwrite; #general has none.
    let announcements = h.sim.channel_id("announcements");
    let before = h.sim.overwrites_of(announcements);
    let reply = h
        .say(
            "facilitator",
            "/mod lock channel:#announcements reason:Heated thread",
        )
        .await;
    assert!(reply.text().contains("locked"), "{}", reply.text());
    let everyone = h
        .sim
        .overwrites_of(announcements)
        .into_iter()
        .find(|o| o.id == GUILD_ID)
        .unwrap();
    assert_eq!(everyone.deny & LOCK_BITS, LOCK_BITS);
    assert!(
        actions(&h)
            .iter()
            .any(|a| a.method == "PUT" && a.reason.as_deref() == Some("Heated thread"))
    );
    h.say("facilitator", "/mod unlock channel:#announcements")
        .await;
    assert_eq!(sorted(h.sim.overwrites_of(announcements)), sorted(before));

    let general = h.general();
    h.say("facilitator", "/mod lock").await;
    assert!(!h.sim.overwrites_of(general).is_empty());
    h.say("facilitator", "/mod unlock").await;
    assert!(
        h.sim.overwrites_of(general).is_empty(),
        "{:?}",
        h.sim.overwrites_of(general)
    );
}

fn sorted(mut v: Vec<SimOverwrite>) -> Vec<(u64, u64, u64)> {
    v.sort_by_key(|o| o.id);
    v.into_iter().map(|o| (o.id, o.allow, o.deny)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timed_slowmode_and_lock_revert_by_themselves_across_a_restart() {
    let mut h = ready().await;
    let general = h.general();
    h.say("facilitator", "/mod slowmode seconds:30 for:5m")
        .await;
    assert_eq!(h.sim.slowmode_of(general), 30);
    // A second timed slowmode goes back to what there was before the first.
    let reply = h
        .say(
            "facilitator",
            "/mod slowmode seconds:60 for:10m reason:\"Heated thread\"",
        )
        .await;
    assert!(reply.text().contains("returns to 0 s"), "{}", reply.text());
    assert!(
        actions(&h)
            .iter()
            .any(|a| a.reason.as_deref() == Some("Heated thread"))
    );
    assert_eq!(h.sim.slowmode_of(general), 60);
    h.say("facilitator", "/mod lock for:15m").await;
    assert!(!h.sim.overwrites_of(general).is_empty());
    h.restart().await;
    h.advance(Duration::minutes(11)).await;
    h.sim
        .settle(
            std::time::Duration::from_millis(300),
            std::time::Duration::from_secs(5),
        )
        .await;
    assert_eq!(h.sim.slowmode_of(general), 0);
    assert!(!h.sim.overwrites_of(general).is_empty(), "still locked");
    h.advance(Duration::minutes(5)).await;
    h.sim
        .settle(
            std::time::Duration::from_millis(300),
            std::time::Duration::from_secs(5),
        )
        .await;
    assert!(h.sim.overwrites_of(general).is_empty());
    // Each end is a case in the name of the facilitator who set the time.
    let log = log_texts(&h);
    assert!(
        log.iter().any(|t| t.contains("Time up for case #2")),
        "slowmode: {log:?}"
    );
    assert!(
        log.iter().any(|t| t.contains("Time up for case #3")),
        "lock: {log:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_its_retention_a_case_leaves_the_log_channel_too() {
    let h = ready().await;
    h.say("admin", "/settings mod-retention days:30").await;
    h.say(
        "facilitator",
        "/mod warn member:@alice reason:\"Be gentle\"",
    )
    .await;
    let log = h.sim.channel_id("facilitators");
    let post = h
        .sim
        .channel_messages(log)
        .into_iter()
        .find(|m| m.text().contains("Case #1"))
        .expect("the case in the log channel");
    h.advance(Duration::days(32)).await;
    let gone = h
        .sim
        .wait_for_message_where(post.id, std::time::Duration::from_secs(10), |m| m.deleted)
        .await
        .expect("the post");
    assert!(gone.deleted, "the case's post was removed with the case");
    assert!(
        h.db()
            .await
            .case(haven::domain::GuildId(GUILD_ID), 1)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tempban_is_lifted_by_the_scheduler() {
    let mut h = ready().await;
    let bob = h.member("bob");
    let reply = h
        .say(
            "facilitator",
            "/mod ban member:@bob reason:Spam duration:3d delete-messages:1h",
        )
        .await;
    assert!(reply.text().contains("Case #1"), "{}", reply.text());
    assert_eq!(h.sim.ban_of(&bob).unwrap().delete_message_seconds, 3600);
    assert_eq!(
        h.db()
            .await
            .pending_mod_jobs(JobKind::Unban)
            .await
            .unwrap()
            .len(),
        1
    );
    // Haven restarts in between: the ban is still lifted on time.
    h.restart().await;
    h.advance(Duration::days(3) + Duration::minutes(1)).await;
    h.sim
        .settle(
            std::time::Duration::from_millis(300),
            std::time::Duration::from_secs(5),
        )
        .await;
    assert!(h.sim.ban_of(&bob).is_none());
    assert!(actions(&h).iter().any(|a| a.method == "DELETE"
        && a.path.contains("/bans/")
        && a.reason.as_deref() == Some("Temporary ban ended")));
    // Its end is a case of its own, in the log like any other.
    assert!(
        log_texts(&h)
            .iter()
            .any(|t| t.contains("Case #2") && t.contains("Time up for case #1")),
        "{:?}",
        log_texts(&h)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tempban_that_cannot_be_lifted_is_handed_to_the_facilitators() {
    let h = ready().await;
    let bob = h.member("bob");
    h.say(
        "facilitator",
        "/mod ban member:@bob reason:Spam duration:1h",
    )
    .await;
    assert!(h.sim.ban_of(&bob).is_some());
    h.sim.inject_fault(Fault {
        method: Some("DELETE".into()),
        path_contains: "/bans/".into(),
        kind: FaultKind::Status(403),
        times: 1_000,
    });
    h.advance(Duration::hours(1) + Duration::minutes(1)).await;
    // Every retry refused; after the last one a person is asked to do it.
    for _ in 0..12 {
        h.advance(Duration::minutes(6)).await;
    }
    h.sim
        .settle(
            std::time::Duration::from_millis(300),
            std::time::Duration::from_secs(5),
        )
        .await;
    let told: Vec<String> = log_texts(&h)
        .into_iter()
        .filter(|t| t.contains("couldn't lift it") && t.contains("Ban Members"))
        .collect();
    assert_eq!(told.len(), 1, "told once: {:?}", log_texts(&h));
    assert!(told[0].contains(&format!("<@{}>", bob.id)), "{}", told[0]);
    assert!(told[0].contains("/mod unban"));
    assert!(h.sim.ban_of(&bob).is_some(), "still banned, and said so");
    assert!(
        !log_texts(&h).iter().any(|t| t.contains("Time up")),
        "no case claims it was lifted"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn warnings_history_and_a_corrected_case() {
    let h = ready().await;
    h.say(
        "facilitator",
        "/mod warn member:@alice reason:Advice without asking",
    )
    .await;
    let reply = h
        .say("facilitator", "/mod warn member:@alice reason:Again")
        .await;
    assert!(
        reply.text().contains("1 earlier warning"),
        "{}",
        reply.text()
    );
    h.say(
        "facilitator",
        "/mod note member:@alice text:Going through a hard time",
    )
    .await;
    let history = h.say("facilitator", "/mod history member:@alice").await;
    assert_ephemeral(&history);
    assert!(
        history.text().contains("2 warning(s) in the last 90 days"),
        "{}",
        history.text()
    );
    assert!(history.text().contains("Going through a hard time"));
    let fixed = h
        .say("facilitator", "/mod case id:2 reason:Unsolicited advice")
        .await;
    assert!(
        fixed.text().contains("Unsolicited advice"),
        "{}",
        fixed.text()
    );
    let logged = h
        .sim
        .channel_messages(h.sim.channel_id("facilitators"))
        .into_iter()
        .find(|m| m.text().contains("Case #2"))
        .unwrap();
    assert!(
        logged.text().contains("Unsolicited advice"),
        "the log embed is edited"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn purge_deletes_recent_messages_and_explains_the_14_days() {
    let h = ready().await;
    let alice = h.member("alice");
    let general = h.general();
    let old = h.sim.post_as(&alice, general, "old", Duration::days(20));
    let a = h.sim.post_as(&alice, general, "one", Duration::minutes(3));
    let b = h
        .sim
        .post_as(&h.member("bob"), general, "two", Duration::minutes(2));
    let c = h
        .sim
        .post_as(&alice, general, "three", Duration::minutes(1));
    let reply = h
        .say("facilitator", "/mod purge count:3 member:@alice")
        .await;
    assert!(reply.text().contains("deleted 2"), "{}", reply.text());
    assert!(reply.text().contains("14 days"), "{}", reply.text());
    assert!(h.sim.message(a.id).unwrap().deleted && h.sim.message(c.id).unwrap().deleted);
    assert!(!h.sim.message(b.id).unwrap().deleted && !h.sim.message(old.id).unwrap().deleted);
    assert!(actions(&h).iter().any(|a| a.path.ends_with("bulk-delete")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plain_member_is_refused_every_facilitator_action() {
    let h = ready().await;
    for line in [
        "/mod nudge member:@bob message:hi",
        "/mod warn member:@bob reason:x",
        "/mod timeout member:@bob duration:10m",
        "/mod untimeout member:@bob",
        "/mod kick member:@bob",
        "/mod ban member:@bob",
        "/mod unban user:@bob",
        "/mod slowmode seconds:10",
        "/mod lock",
        "/mod unlock",
        "/mod purge count:2",
        "/mod note member:@bob text:x",
        "/mod history member:@bob",
        "/mod case id:1",
    ] {
        let reply = h.say("alice", line).await;
        assert_ephemeral(&reply);
        assert!(
            reply.text().contains("for facilitators"),
            "{line}: {}",
            reply.text()
        );
    }
    assert!(actions(&h).is_empty(), "{:?}", actions(&h));
    assert!(h.sim.direct_messages(&h.member("bob")).is_empty());
}

/// Reports `target` as `who`: the kind from `what` (chosen in the list),
/// the rest typed in the form; returns the reporter's answer.
async fn report(
    h: &Harness,
    who: &str,
    target: &haven::sim::SimMessage,
    fields: &[(&str, &str)],
) -> haven::sim::SimMessage {
    let member = h.member(who);
    let what = fields
        .iter()
        .find(|(f, _)| *f == "what")
        .map_or("other", |(_, v)| *v);
    let kind = match what {
        "support" => "needs_support",
        "harmful" => "harmful",
        "needs a content warning" => "content_warning",
        _ => "other",
    };
    let form = h.open_report(&member, target, kind).await;
    let rest: Vec<(&str, &str)> = fields
        .iter()
        .copied()
        .filter(|(f, _)| *f != "what")
        .collect();
    let submit = h.sim.submit_modal(&member, target.channel_id, &form, &rest);
    h.sim.reply(&submit).await.expect("a thank-you")
}

/// The log channel's messages once it holds `n` reports (the reporter is
/// thanked before the report is posted there).
async fn reports_logged(h: &Harness, n: usize) -> Vec<haven::sim::SimMessage> {
    let log = h.sim.channel_id("facilitators");
    for _ in 0..100 {
        let messages = h.sim.channel_messages(log);
        if messages
            .iter()
            .filter(|m| m.text().contains("Report #"))
            .count()
            >= n
        {
            return messages;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("{n} report(s) never reached the log channel");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_reach_the_log_and_name_the_reporter_only_if_chosen() {
    let h = ready().await;
    let general = h.general();
    let bob = h.member("bob");
    let worrying = h.sim.post_as(
        &bob,
        general,
        "I don't think I can keep going",
        Duration::minutes(1),
    );
    let reply = report(
        &h,
        "alice",
        &worrying,
        &[
            ("what", "support"),
            ("note", "please check on them"),
            ("share", "no"),
        ],
    )
    .await;
    assert_ephemeral(&reply);
    assert!(reply.text().contains("Thank you"), "{}", reply.text());
    assert!(reply.text().contains("won't be told it was you"));
    let logged = reports_logged(&h, 1).await;
    let paged = logged.last().expect("a report in the log");
    let role = haven::sim::world::FACILITATOR_ROLE;
    assert!(
        paged.content.contains(&format!("<@&{role}>")),
        "{}",
        paged.content
    );
    assert!(paged.text().contains("I don't think I can keep going"));
    assert!(
        paged
            .text()
            .contains(&format!("/{general}/{}", worrying.id)),
        "a link to the message"
    );
    assert!(paged.text().contains("chose not to be named"));
    assert!(
        paged.text().contains("findahelpline"),
        "crisis lines for facilitators"
    );
    assert!(!paged.text().contains(&h.member("alice").id.to_string()));

    let unkind = h
        .sim
        .post_as(&bob, general, "you are all idiots", Duration::minutes(1));
    report(
        &h,
        "casey",
        &unkind,
        &[("what", "harmful"), ("share", "yes")],
    )
    .await;
    let logged = reports_logged(&h, 2).await;
    let plain = logged.last().unwrap();
    assert!(
        !plain.content.contains("<@&"),
        "only 'needs support' pages: {}",
        plain.content
    );
    assert!(
        plain
            .text()
            .contains(&format!("<@{}>", h.member("casey").id))
    );

    // The other two choices page nobody either, and say what they are.
    for (n, (answer, label)) in [
        ("needs a content warning", "Needs a content warning"),
        ("other", "Something else"),
    ]
    .into_iter()
    .enumerate()
    {
        let post = h
            .sim
            .post_as(&bob, general, "another post", Duration::minutes(1));
        report(&h, "dana", &post, &[("what", answer)]).await;
        let logged = reports_logged(&h, 3 + n).await;
        let card = logged.last().unwrap();
        assert!(card.text().contains(label), "{}", card.text());
        assert!(
            !card.content.contains("<@&"),
            "{answer} pages nobody: {}",
            card.content
        );
        assert!(card.text().contains("chose not to be named"));
    }

    // A facilitator acknowledges, then resolves.
    let refused = h.click("bob", plain, "Acknowledge").await;
    assert!(
        refused.text().contains("Only facilitators"),
        "{}",
        refused.text()
    );
    let acked = h.click("facilitator", plain, "Acknowledge").await;
    assert!(acked.text().contains("Acknowledged by"), "{}", acked.text());
    let resolved = h.click("facilitator", &acked, "Resolved").await;
    assert!(
        resolved.text().contains("Resolved by"),
        "{}",
        resolved.text()
    );
    assert!(resolved.buttons().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_are_limited_when_sent_not_only_when_the_form_opens() {
    let h = ready().await;
    let alice = h.member("alice");
    let general = h.general();
    let post = h
        .sim
        .post_as(&h.member("bob"), general, "hello", Duration::minutes(1));
    // Seven forms opened before any is sent: opening checks nothing stored yet.
    let mut forms = Vec::new();
    for i in 0..7 {
        let kind = if i == 6 { "needs_support" } else { "other" };
        forms.push(h.open_report(&alice, &post, kind).await);
    }
    let last = forms.pop().unwrap();
    for (i, form) in forms.iter().enumerate() {
        let submit = h
            .sim
            .submit_modal(&alice, general, form, &[("what", "something else")]);
        let reply = h.sim.reply(&submit).await.expect("an answer");
        assert_ephemeral(&reply);
        if i < 5 {
            assert!(reply.text().contains("Thank you"), "{}", reply.text());
            reports_logged(&h, i + 1).await;
        } else {
            assert!(
                reply.text().contains("several reports"),
                "the sixth is refused: {}",
                reply.text()
            );
        }
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let logged = log_texts(&h)
        .iter()
        .filter(|t| t.contains("Report #"))
        .count();
    assert_eq!(logged, 5, "the refused report is neither stored nor logged");
    // "Someone may need support" always goes through.
    let submit = h
        .sim
        .submit_modal(&alice, general, &last, &[("what", "support")]);
    let reply = h.sim.reply(&submit).await.expect("an answer");
    assert!(reply.text().contains("Thank you"), "{}", reply.text());
    reports_logged(&h, 6).await;
    // Over the limit, the menu still opens the form: what is wrong decides.
    let form = h.open_report(&alice, &post, "needs_support").await;
    let submit = h.sim.submit_modal(
        &alice,
        general,
        &form,
        &[("what", "they might hurt themselves")],
    );
    let reply = h.sim.reply(&submit).await.expect("an answer");
    assert!(reply.text().contains("Thank you"), "{}", reply.text());
    reports_logged(&h, 7).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_keeps_the_words_the_menu_saw_even_if_the_post_is_deleted() {
    let h = ready().await;
    let general = h.general();
    let bob = h.member("bob");
    let post = h
        .sim
        .post_as(&bob, general, "goodbye everyone", Duration::minutes(1));
    let alice = h.member("alice");
    let form = h.open_report(&alice, &post, "needs_support").await;
    assert!(
        !form.contains(&post.id.to_string()),
        "the form names a draft, not the message: {form}"
    );
    // The author deletes it before the form is sent.
    h.sim.delete_message(post.id);
    let submit = h
        .sim
        .submit_modal(&alice, general, &form, &[("what", "they said goodbye")]);
    h.sim.reply(&submit).await.expect("a thank-you");
    let logged = reports_logged(&h, 1).await;
    let report = logged.last().unwrap();
    assert!(
        report.text().contains("goodbye everyone"),
        "{}",
        report.text()
    );
    // The same form sent again (or by someone else) finds nothing.
    let again = h
        .sim
        .submit_modal(&alice, general, &form, &[("what", "other")]);
    let reply = h.sim.reply(&again).await.expect("an answer");
    assert!(reply.text().contains("expired"), "{}", reply.text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_that_could_not_be_delivered_is_retried_across_a_restart_and_delivered_once() {
    let mut h = ready().await;
    let log = h.sim.channel_id("facilitators");
    // Discord refuses the post to the log channel, once.
    h.sim.inject_fault(Fault {
        method: Some("POST".into()),
        path_contains: format!("/channels/{log}/messages"),
        kind: FaultKind::Status(403),
        times: 1,
    });
    let post = h.sim.post_as(
        &h.member("bob"),
        h.general(),
        "I can't see a way out",
        Duration::minutes(1),
    );
    let alice = h.member("alice");
    let form = h.open_report(&alice, &post, "needs_support").await;
    let submit = h
        .sim
        .submit_modal(&alice, h.general(), &form, &[("what", "support")]);
    let answer = h.sim.reply(&submit).await.expect("an answer");
    assert!(answer.text().contains("keep trying"), "{}", answer.text());
    assert!(!log_texts(&h).iter().any(|t| t.contains("Report #")));
    // Haven restarts; its scheduler retries the stored report, once.
    h.restart().await;
    h.advance(Duration::minutes(1)).await;
    let logged = reports_logged(&h, 1).await;
    assert!(
        logged
            .iter()
            .any(|m| m.text().contains("I can't see a way out")),
        "{logged:?}"
    );
    h.restart().await;
    h.advance(Duration::minutes(30)).await;
    h.sim
        .settle(
            std::time::Duration::from_millis(300),
            std::time::Duration::from_secs(3),
        )
        .await;
    let cards = log_texts(&h)
        .iter()
        .filter(|t| t.contains("Report #"))
        .count();
    assert_eq!(cards, 1, "delivered once, not at every start or retry");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn someone_who_may_need_support_reaches_a_facilitator_even_with_no_role_to_ping() {
    let h = Harness::start().await;
    h.say("admin", "/settings log-channel channel:#facilitators")
        .await;
    // No facilitator role: the admin (Manage Server) is the facilitator.
    h.say("admin", "/settings dm-notices enabled:true").await;
    let post = h.sim.post_as(
        &h.member("bob"),
        h.general(),
        "I don't see the point any more",
        Duration::minutes(1),
    );
    report(&h, "alice", &post, &[("what", "support")]).await;
    reports_logged(&h, 1).await;
    let dm = dm_containing(&h, "admin", "may need support")
        .await
        .expect("the admin was told by DM");
    assert!(
        dm.text().contains("I don't see the point any more"),
        "{}",
        dm.text()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_facilitator_role_nobody_can_mention_is_flagged_when_chosen() {
    use haven::sim::world::SimRole;
    let mut world = World::sandbox();
    world.guild.roles.push(SimRole {
        id: 1_600_000_000_000_000_020,
        name: "Quiet".into(),
        permissions: 0,
        position: 2,
        mentionable: false,
    });
    let h = Harness::start_with(world).await;
    let reply = h
        .say("admin", "/settings facilitator-role role:@Quiet")
        .await;
    assert!(
        reply.text().contains("can't be @mentioned"),
        "{}",
        reply.text()
    );
    let reply = h
        .say("admin", "/settings facilitator-role role:@Facilitator")
        .await;
    assert!(
        !reply.text().contains("can't be @mentioned"),
        "{}",
        reply.text()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_with_no_log_channel_reaches_facilitators_by_dm_or_says_it_did_not() {
    let h = Harness::start().await;
    h.say("admin", "/settings facilitator-role role:@Facilitator")
        .await;
    let general = h.general();
    let post = h.sim.post_as(
        &h.member("bob"),
        general,
        "nobody would miss me",
        Duration::minutes(1),
    );
    // Nowhere to deliver it: the reporter is thanked, then told plainly.
    let alice = h.member("alice");
    let form = h.open_report(&alice, &post, "needs_support").await;
    let submit = h
        .sim
        .submit_modal(&alice, general, &form, &[("what", "support")]);
    let thanks = h.sim.reply(&submit).await.expect("a thank-you");
    assert_ephemeral(&thanks);
    assert!(thanks.text().contains("Thank you"), "{}", thanks.text());
    assert!(
        thanks.text().contains("nobody can receive it"),
        "the reporter is told it went nowhere yet: {}",
        thanks.text()
    );
    assert!(thanks.text().contains("reach out to an admin you trust"));

    // As soon as a facilitator asks for notices, the waiting report
    // reaches them by DM.
    h.say("facilitator", "/settings dm-notices enabled:true")
        .await;
    let dm = dm_containing(&h, "facilitator", "nobody would miss me")
        .await
        .expect("the waiting report reached the facilitator by DM");
    assert!(
        dm.text().contains("someone may need support"),
        "{}",
        dm.text()
    );
    assert!(dm.text().contains("no log channel"), "{}", dm.text());
    assert!(
        !dm.text().contains(&alice.id.to_string()),
        "the reporter stays unnamed"
    );
    // The next one goes to them at once; a second report about the same
    // message pages nobody again.
    let other = h.sim.post_as(
        &h.member("bob"),
        general,
        "I'm done with all of this",
        Duration::minutes(1),
    );
    report(&h, "casey", &other, &[("what", "support")]).await;
    dm_containing(&h, "facilitator", "I'm done with all of this")
        .await
        .expect("the facilitator got the next report by DM");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_reported_twice_for_support_pings_the_facilitators_once() {
    let h = ready().await;
    let post = h.sim.post_as(
        &h.member("bob"),
        h.general(),
        "I don't want to be here any more",
        Duration::minutes(1),
    );
    report(&h, "alice", &post, &[("what", "support")]).await;
    report(&h, "casey", &post, &[("what", "support")]).await;
    let logged = reports_logged(&h, 2).await;
    let cards: Vec<_> = logged
        .iter()
        .filter(|m| m.text().contains("Report #"))
        .collect();
    assert_eq!(cards.len(), 2, "both reports are there");
    let pings = cards.iter().filter(|m| m.content.contains("<@&")).count();
    assert_eq!(pings, 1, "the role is pinged once for the message");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn needs_a_content_warning_removes_and_returns_the_text() {
    let h = ready().await;
    let bob = h.member("bob");
    let general = h.general();
    let post = h.sim.post_as(
        &bob,
        general,
        "what happened at the funeral",
        Duration::minutes(1),
    );
    let token = h
        .sim
        .message_command(&h.member("facilitator"), "Needs a content warning", &post);
    let reply = h.sim.reply(&token).await.unwrap();
    assert!(reply.text().contains("removed"), "{}", reply.text());
    assert!(h.sim.message(post.id).unwrap().deleted);
    let dm = h.sim.direct_messages(&bob);
    assert!(
        dm.last()
            .unwrap()
            .text()
            .contains("what happened at the funeral")
    );
    assert!(dm.last().unwrap().text().contains("/cw topic:"));

    let token = h
        .sim
        .message_command(&h.member("alice"), "Needs a content warning", &post);
    let reply = h.sim.reply(&token).await.unwrap();
    assert!(
        reply.text().contains("for facilitators"),
        "{}",
        reply.text()
    );

    let reply = h
        .say("alice", "/cw topic:loss text:\"my dad died last week\"")
        .await;
    assert_ephemeral(&reply);
    let posted = h.sim.channel_messages(general);
    let cw = posted.iter().rev().find(|m| !m.ephemeral).unwrap();
    assert!(cw.content.starts_with("**CW: loss**"), "{}", cw.content);
    assert!(cw.content.contains("||my dad died last week||"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_content_warning_leaves_the_owners_post_and_any_file_in_place() {
    let h = ready().await;
    let general = h.general();
    let facilitator = h.member("facilitator");
    // The owner's post (the sandbox's admin owns it): a facilitator may
    // not remove it.
    let admins = h.sim.post_as(
        &h.member("admin"),
        general,
        "rough news today",
        Duration::minutes(1),
    );
    let token = h
        .sim
        .message_command(&facilitator, "Needs a content warning", &admins);
    let reply = h.sim.reply(&token).await.unwrap();
    assert_ephemeral(&reply);
    assert!(reply.text().contains("owner"), "{}", reply.text());
    assert!(!h.sim.message(admins.id).unwrap().deleted);
    assert!(h.sim.direct_messages(&h.member("admin")).is_empty());

    // A post with an image: its author could not get it back, so it stays.
    let bob = h.member("bob");
    let post = h
        .sim
        .post_as(&bob, general, "the scan results", Duration::minutes(1));
    let post = h
        .sim
        .attach(post.id, "scan.png", b"\x89PNG")
        .expect("the post");
    let token = h
        .sim
        .message_command(&facilitator, "Needs a content warning", &post);
    let reply = h.sim.reply(&token).await.unwrap();
    assert!(reply.text().contains("file or image"), "{}", reply.text());
    assert!(!h.sim.message(post.id).unwrap().deleted);
    assert!(h.sim.direct_messages(&bob).is_empty());
    assert!(
        !log_texts(&h).iter().any(|t| t.contains("Content warning")),
        "no case for what was not done"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_break_times_me_out_and_the_dm_button_brings_me_back() {
    let h = ready().await;
    let alice = h.member("alice");
    // A facilitator's timeout, already lifted, does not block the button.
    h.say(
        "facilitator",
        "/mod timeout member:@alice duration:1d reason:Cooling off",
    )
    .await;
    h.say("facilitator", "/mod untimeout member:@alice").await;
    assert!(h.sim.timeout_of(&alice).is_none());
    let reply = h.say("alice", "/break duration:2h").await;
    assert_ephemeral(&reply);
    assert!(h.sim.timeout_of(&alice).is_some());
    assert!(
        actions(&h)
            .iter()
            .any(|a| a.reason.as_deref() == Some("Took a break at their own request"))
    );
    let dm = h.sim.direct_messages(&alice).pop().expect("a DM");
    let back = h.click("alice", &dm, "Come back now").await;
    assert!(back.text().contains("Welcome back"), "{}", back.text());
    assert!(h.sim.timeout_of(&alice).is_none());
    let reply = h.say("alice", "/break duration:8d").await;
    assert!(reply.text().contains("7 days"), "{}", reply.text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guidelines_are_set_in_a_form_and_shown_to_anyone() {
    let h = ready().await;
    let reply = h.say("alice", "/guidelines show").await;
    assert!(reply.text().contains("hasn't written"), "{}", reply.text());
    let admin = h.member("admin");
    let token = h
        .sim
        .command(&admin, h.general(), "/guidelines set")
        .unwrap();
    let modal = h.sim.modal(&token).await.expect("a form");
    let id = modal["custom_id"].as_str().unwrap().to_owned();
    let submitted = h.sim.submit_modal(
        &admin,
        h.general(),
        &id,
        &[("text", "Be kind. What is shared here stays here.")],
    );
    let saved = h.sim.reply(&submitted).await.unwrap();
    assert!(saved.text().contains("Saved"), "{}", saved.text());
    // Over 4,000 characters (a form Discord itself would stop): refused,
    // and the saved text stays.
    let token = h
        .sim
        .command(&admin, h.general(), "/guidelines set")
        .unwrap();
    let modal = h.sim.modal(&token).await.expect("a form");
    let id = modal["custom_id"].as_str().unwrap().to_owned();
    let long = "a".repeat(4_001);
    let submitted = h
        .sim
        .submit_modal(&admin, h.general(), &id, &[("text", long.as_str())]);
    let refused = h.sim.reply(&submitted).await.unwrap();
    assert_ephemeral(&refused);
    assert!(refused.text().contains("4,000"), "{}", refused.text());
    let reply = h.say("alice", "/guidelines show").await;
    assert!(reply.text().contains("What is shared here stays here."));
    let denied = h.say("facilitator", "/guidelines set").await;
    assert!(denied.text().contains("Manage Server"), "{}", denied.text());
    // A member who is warned (or timed out, kicked, banned) gets them in
    // the DM itself: they may not be able to run /guidelines there.
    h.say(
        "facilitator",
        "/mod warn member:@bob reason:Advice without asking",
    )
    .await;
    let dm = h
        .sim
        .direct_messages(&h.member("bob"))
        .pop()
        .expect("a warning DM");
    assert!(dm.text().contains("guidelines are below"), "{}", dm.text());
    assert!(
        dm.text().contains("What is shared here stays here."),
        "{}",
        dm.text()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forget_takes_a_named_reporter_off_the_log_channel() {
    let h = ready().await;
    let post = h.sim.post_as(
        &h.member("bob"),
        h.general(),
        "something unkind",
        Duration::minutes(1),
    );
    report(&h, "alice", &post, &[("what", "harmful"), ("share", "yes")]).await;
    let logged = reports_logged(&h, 1).await;
    let card = logged.last().unwrap().clone();
    let alice = h.member("alice");
    assert!(
        card.text().contains(&format!("<@{}>", alice.id)),
        "{}",
        card.text()
    );
    let forget = h.say("alice", "/privacy forget").await;
    h.click("alice", &forget, "Delete my data").await;
    let card = h
        .sim
        .wait_for_message_where(card.id, std::time::Duration::from_secs(5), |m| {
            !m.text().contains(&format!("<@{}>", alice.id))
        })
        .await
        .unwrap();
    assert!(
        !card.text().contains(&format!("<@{}>", alice.id)) && card.text().contains("A member"),
        "{}",
        card.text()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_old_break_button_cannot_lift_a_facilitators_timeout() {
    let h = ready().await;
    let alice = h.member("alice");
    h.say("alice", "/break duration:30m").await;
    let dm = h.sim.direct_messages(&alice).pop().expect("a DM");
    let reply = h
        .say(
            "facilitator",
            "/mod timeout member:@alice duration:2h reason:\"Needs a cool-down\"",
        )
        .await;
    assert!(reply.text().contains("Case #"), "{}", reply.text());
    let back = h.click("alice", &dm, "Come back now").await;
    assert!(back.text().contains("can't end it"), "{}", back.text());
    assert!(h.sim.timeout_of(&alice).is_some(), "still timed out");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_break_button_cannot_lift_a_timeout_set_in_discord_itself() {
    let h = ready().await;
    let alice = h.member("alice");
    h.say("alice", "/break duration:30m").await;
    let dm = h.sim.direct_messages(&alice).pop().expect("a DM");
    // A moderator times her out in Discord's own menu: no case in Haven.
    let longer = h.clock.now() + Duration::days(1);
    h.sim.time_out_by_hand(&alice, longer);
    let back = h.click("alice", &dm, "Come back now").await;
    assert!(back.text().contains("can't end it"), "{}", back.text());
    assert!(h.sim.timeout_of(&alice).is_some(), "still timed out");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kick_discord_refuses_takes_its_notice_back() {
    let h = ready().await;
    let bob = h.member("bob");
    h.sim.inject_fault(haven::sim::Fault {
        method: Some("DELETE".into()),
        path_contains: format!("/members/{}", bob.id),
        kind: haven::sim::FaultKind::Status(403),
        times: 1,
    });
    let reply = h
        .say(
            "facilitator",
            "/mod kick member:@bob reason:\"Repeated harm\"",
        )
        .await;
    assert!(!reply.text().contains("Case #"), "{}", reply.text());
    // Discord's refusal is answered as such, never with the apology.
    assert!(
        reply.text().contains("Discord refused to remove them"),
        "{}",
        reply.text()
    );
    assert!(
        h.sim.direct_messages(&bob).is_empty(),
        "no notice of a removal that did not happen"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_content_warning_never_loses_the_authors_words() {
    let h = ready().await;
    let bob = h.member("bob");
    let general = h.general();
    // Closed DMs: the message stays where it is.
    h.sim.close_dms(&bob);
    let post = h
        .sim
        .post_as(&bob, general, "a hard week", Duration::minutes(1));
    let token = h
        .sim
        .message_command(&h.member("facilitator"), "Needs a content warning", &post);
    let reply = h.sim.reply(&token).await.unwrap();
    assert!(
        reply.text().contains("left the message in place"),
        "{}",
        reply.text()
    );
    assert!(!h.sim.message(post.id).unwrap().deleted);
    // A long one comes back whole, as a file.
    let carol = h.member("casey");
    let long = "x".repeat(1_800);
    let post = h.sim.post_as(&carol, general, &long, Duration::minutes(1));
    let token = h
        .sim
        .message_command(&h.member("facilitator"), "Needs a content warning", &post);
    h.sim.reply(&token).await.unwrap();
    assert!(h.sim.message(post.id).unwrap().deleted);
    let dm = h.sim.direct_messages(&carol);
    let file = &dm.last().unwrap().attachments[0];
    assert_eq!(file.bytes, long.into_bytes());
}

/// Waits for a direct message to `who` that contains `text`.
async fn dm_containing(h: &Harness, who: &str, text: &str) -> Option<haven::sim::SimMessage> {
    let member = h.member(who);
    for _ in 0..100 {
        let found = h
            .sim
            .direct_messages(&member)
            .into_iter()
            .find(|m| m.text().contains(text));
        if found.is_some() {
            return found;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_about_a_facilitator_goes_to_admins_only() {
    let h = ready().await;
    h.say("admin", "/settings dm-notices enabled:true").await;
    h.say("facilitator", "/settings dm-notices enabled:true")
        .await;
    let post = h.sim.post_as(
        &h.member("facilitator"),
        h.general(),
        "stop whining, everyone has problems",
        Duration::minutes(1),
    );
    let thanks = report(&h, "alice", &post, &[("what", "harmful")]).await;
    assert!(thanks.text().contains("Thank you"), "{}", thanks.text());
    let dm = dm_containing(&h, "admin", "only to the server's admins")
        .await
        .expect("an admin got it by DM");
    assert!(dm.text().contains("stop whining"), "{}", dm.text());
    // Any retry would have happened by now.
    h.advance(Duration::minutes(10)).await;
    h.sim
        .settle(
            std::time::Duration::from_millis(300),
            std::time::Duration::from_secs(3),
        )
        .await;
    assert!(
        !log_texts(&h).iter().any(|t| t.contains("Report #")),
        "not in the log channel the facilitator reads"
    );
    assert!(
        !h.sim
            .direct_messages(&h.member("facilitator"))
            .iter()
            .any(|m| m.text().contains("Report #")),
        "not to the facilitator it is about"
    );
    assert!(
        h.sim
            .followups(&thanks.interaction_token.clone().unwrap_or_default())
            .is_empty(),
        "the reporter is not told it failed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_facilitator_role_nobody_can_mention_is_noticed_when_a_report_pages() {
    use haven::sim::world::FACILITATOR_ROLE;
    const MENTION_EVERYONE: u64 = 1 << 17;
    let mut world = World::sandbox();
    for role in &mut world.guild.roles {
        if role.id == FACILITATOR_ROLE {
            role.mentionable = false;
        }
        // Nor may Haven mention every role, as its invite asks.
        if role.id == HAVEN_ROLE {
            role.permissions &= !MENTION_EVERYONE;
        }
    }
    let h = Harness::start_with(world).await;
    h.say("admin", "/settings facilitator-role role:@Facilitator")
        .await;
    h.say("admin", "/settings log-channel channel:#facilitators")
        .await;
    h.say("facilitator", "/settings dm-notices enabled:true")
        .await;
    let post = h.sim.post_as(
        &h.member("bob"),
        h.general(),
        "I won't be around much longer",
        Duration::minutes(1),
    );
    report(&h, "alice", &post, &[("what", "support")]).await;
    let logged = reports_logged(&h, 1).await;
    let card = logged
        .iter()
        .find(|m| m.text().contains("Report #"))
        .unwrap()
        .clone();
    assert!(
        !card.content.contains("<@&"),
        "a ping Discord would not deliver is not pretended: {}",
        card.content
    );
    let dm = dm_containing(&h, "facilitator", "could not be mentioned")
        .await
        .expect("the facilitators are told by DM instead");
    assert!(dm.text().contains("I won't be around"), "{}", dm.text());
    // Acknowledged in the log channel: the DM copy says so too.
    h.click("facilitator", &card, "Acknowledge").await;
    let mut updated = false;
    for _ in 0..100 {
        updated = h
            .sim
            .direct_messages(&h.member("facilitator"))
            .iter()
            .any(|m| m.id == dm.id && m.text().contains("acknowledged"));
        if updated {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(updated, "the DM copy shows the new status");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_case_is_corrected_where_it_was_posted_after_the_log_channel_moves() {
    let h = ready().await;
    let reply = h
        .say("facilitator", "/mod warn member:@bob reason:\"Off topic\"")
        .await;
    assert!(reply.text().contains("Case #1"), "{}", reply.text());
    let old_log = h.sim.channel_id("facilitators");
    let posted = h
        .sim
        .channel_messages(old_log)
        .into_iter()
        .find(|m| m.text().contains("Case #1"))
        .expect("the case in the log channel");
    h.say("admin", "/settings log-channel channel:#meetings")
        .await;
    let reply = h
        .say("facilitator", "/mod case id:1 reason:\"Shared a story\"")
        .await;
    assert!(reply.text().contains("Shared a story"), "{}", reply.text());
    let edited = h
        .sim
        .channel_messages(old_log)
        .into_iter()
        .find(|m| m.id == posted.id)
        .unwrap();
    assert!(
        edited.text().contains("Shared a story"),
        "{}",
        edited.text()
    );
    assert!(
        edited
            .text()
            .contains(&format!("<@{}>", h.member("facilitator").id)),
        "who corrected it: {}",
        edited.text()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_anonymous_reporter_and_an_unsent_draft_are_gone_within_minutes_not_a_day() {
    let h = ready().await;
    let post = h.sim.post_as(
        &h.member("bob"),
        h.general(),
        "you are all idiots",
        Duration::minutes(1),
    );
    report(&h, "alice", &post, &[("what", "harmful"), ("share", "no")]).await;
    reports_logged(&h, 1).await;
    // A second form, opened and never sent.
    let casey = h.member("casey");
    let form = h.open_report(&casey, &post, "other").await;
    let alice = h.member("alice").id;
    let made = |db: haven::store::Db| async move {
        let data = db.member_data(haven::domain::UserId(alice)).await.unwrap();
        data.moderation.iter().map(|m| m.reports_made).sum::<i64>()
    };
    assert_eq!(
        made(h.db().await).await,
        1,
        "linked while the rate window runs"
    );
    h.advance(Duration::minutes(16)).await;
    let mut unlinked = false;
    for _ in 0..100 {
        if made(h.db().await).await == 0 {
            unlinked = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(
        unlinked,
        "the anonymous report no longer links to its reporter"
    );
    h.advance(Duration::minutes(50)).await;
    h.sim
        .settle(
            std::time::Duration::from_millis(300),
            std::time::Duration::from_secs(3),
        )
        .await;
    let submit = h
        .sim
        .submit_modal(&casey, h.general(), &form, &[("what", "harmful")]);
    let reply = h.sim.reply(&submit).await.expect("an answer");
    assert!(reply.text().contains("expired"), "{}", reply.text());
}
