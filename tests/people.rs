//! The people of a real server, end to end: reports that never reach the
//! person they are about, admins acting by hand in Discord whose decisions
//! Haven's timers never undo, no power Discord does not give, records about
//! oneself, `/cw` posts that belong to their author, and calls that stalled
//! after Discord carried them out.

mod common;

use chrono::Duration;
use common::{Harness, assert_ephemeral};
use haven::clock::Clock as _;
use haven::domain::moderation::LOCK_BITS;
use haven::sim::world::{ADMIN_ROLE, EVERYONE, FACILITATOR_ROLE, GUILD_ID, MEMBER_ROLE};
use haven::sim::{Fault, FaultKind, SimMember, SimMessage, World};

const VIEW_CHANNEL: u64 = 1 << 10;
const SEND_MESSAGES: u64 = 1 << 11;

/// The sandbox with a second admin (`sam`, not the owner), a second
/// facilitator (`fran`), and a facilitator with the role but none of
/// Discord's moderation permissions (`rook`).
fn server() -> World {
    let mut world = World::sandbox();
    let member = |n: u64, name: &str, roles: &[u64], perms: Option<u64>| SimMember {
        id: 1_500_000_000_000_000_000 + n,
        name: name.into(),
        roles: roles.to_vec(),
        permissions_override: perms,
        bot: false,
    };
    world.members.extend([
        member(20, "sam", &[ADMIN_ROLE], None),
        member(21, "fran", &[FACILITATOR_ROLE, MEMBER_ROLE], None),
        member(
            22,
            "rook",
            &[FACILITATOR_ROLE, MEMBER_ROLE],
            Some(VIEW_CHANNEL | SEND_MESSAGES),
        ),
    ]);
    world
}

async fn ready() -> Harness {
    let h = Harness::start_with(server()).await;
    h.say("admin", "/settings facilitator-role role:@Facilitator")
        .await;
    h.say("admin", "/settings log-channel channel:#facilitators")
        .await;
    h
}

fn log_texts(h: &Harness) -> Vec<String> {
    h.sim
        .channel_messages(h.sim.channel_id("facilitators"))
        .iter()
        .map(|m| m.text())
        .collect()
}

async fn settle(h: &Harness) {
    h.sim
        .settle(
            std::time::Duration::from_millis(300),
            std::time::Duration::from_secs(5),
        )
        .await;
}

/// Waits for the log channel to hold a post containing `text`.
async fn logged(h: &Harness, text: &str) -> bool {
    for _ in 0..100 {
        if log_texts(h).iter().any(|t| t.contains(text)) {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    false
}

/// Reports `target` as `who`, choosing `kind` from the list and typing
/// `note`; returns the reporter's answer.
async fn report(h: &Harness, who: &str, target: &SimMessage, kind: &str, note: &str) -> SimMessage {
    let member = h.member(who);
    let form = h.open_report(&member, target, kind).await;
    let submit = h.sim.submit_modal(
        &member,
        target.channel_id,
        &form,
        &[("note", note), ("share", "no")],
    );
    h.sim.reply(&submit).await.expect("an answer")
}

fn dms_with(h: &Harness, who: &str, text: &str) -> usize {
    h.sim
        .direct_messages(&h.member(who))
        .iter()
        .filter(|m| m.text().contains(text))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_about_a_facilitator_never_reaches_them_whatever_its_kind_or_words() {
    let h = ready().await;
    for who in ["sam", "facilitator", "fran"] {
        h.say(who, "/settings dm-notices enabled:true").await;
    }
    let worrying = "harmful, he told me to kill myself, I want to die, support crisis";
    for (n, kind) in ["harmful", "content_warning", "needs_support", "other"]
        .into_iter()
        .enumerate()
    {
        let post = h.sim.post_as(
            &h.member("facilitator"),
            h.general(),
            &format!("go kill yourself ({n})"),
            Duration::minutes(1),
        );
        let answer = report(&h, "alice", &post, kind, worrying).await;
        assert_ephemeral(&answer);
        assert!(
            answer.text().contains("did not go to the log channel")
                && answer.text().contains("cannot see it"),
            "{kind}: {}",
            answer.text()
        );
        // An admin always has it; another facilitator only when someone
        // may need support.
        assert!(dms_with(&h, "sam", &format!("({n})")) >= 1, "{kind}: sam");
        let fran = dms_with(&h, "fran", &format!("({n})"));
        assert_eq!(fran, usize::from(kind == "needs_support"), "{kind}: fran");
    }
    h.advance(Duration::minutes(30)).await;
    settle(&h).await;
    // Never the log channel, never a ping, never the facilitator it is about.
    assert!(
        !log_texts(&h).iter().any(|t| t.contains("Report #")),
        "{:?}",
        log_texts(&h)
    );
    assert_eq!(dms_with(&h, "facilitator", "Report #"), 0);
    assert!(
        h.sim
            .all_messages()
            .iter()
            .all(|m| m.ephemeral || !m.content.contains(&format!("<@&{FACILITATOR_ROLE}>"))),
        "the facilitator role was never pinged"
    );
    // Not in their `/mod reports` either, and not their buttons.
    let list = h.say("facilitator", "/mod reports").await;
    assert!(list.text().contains("no open reports"), "{}", list.text());
    let admins = h.say("sam", "/mod reports").await;
    assert!(
        admins.text().contains("go kill yourself"),
        "{}",
        admins.text()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_about_the_owner_with_nobody_to_receive_it_waits_and_says_so() {
    let h = ready().await;
    let post = h.sim.post_as(
        &h.member("admin"),
        h.general(),
        "nobody cares about your feelings",
        Duration::minutes(1),
    );
    let answer = report(&h, "bob", &post, "harmful", "").await;
    assert!(
        answer.text().contains("nobody can receive it") && answer.text().contains("/mod reports"),
        "{}",
        answer.text()
    );
    settle(&h).await;
    assert_eq!(dms_with(&h, "admin", "Report #"), 0, "never to the owner");
    assert!(!log_texts(&h).iter().any(|t| t.contains("Report #")));
    // Listed for the other admin, not for facilitators or the owner.
    let sam = h.say("sam", "/mod reports").await;
    assert!(sam.text().contains("nobody cares"), "{}", sam.text());
    assert!(sam.text().contains("waiting"), "{}", sam.text());
    let owner = h.say("admin", "/mod reports").await;
    assert!(!owner.text().contains("nobody cares"), "{}", owner.text());
    let fac = h.say("facilitator", "/mod reports").await;
    assert!(!fac.text().contains("nobody cares"), "{}", fac.text());
    // Once an admin asks for notices, it reaches them.
    h.say("sam", "/settings dm-notices enabled:true").await;
    h.advance(Duration::hours(1)).await;
    settle(&h).await;
    assert_eq!(dms_with(&h, "sam", "nobody cares"), 1);
    assert_eq!(dms_with(&h, "admin", "Report #"), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timed_slowmode_changed_by_hand_is_not_put_back() {
    let h = ready().await;
    let general = h.general();
    let reply = h
        .say("facilitator", "/mod slowmode seconds:10 for:10m")
        .await;
    assert!(reply.text().contains("Case #"), "{}", reply.text());
    assert_eq!(h.sim.slowmode_of(general), 10);
    // An admin raises it during a raid.
    assert!(h.sim.set_slowmode_by_hand(general, 120));
    assert!(logged(&h, "by hand").await, "{:?}", log_texts(&h));
    h.advance(Duration::minutes(11)).await;
    settle(&h).await;
    assert_eq!(
        h.sim.slowmode_of(general),
        120,
        "the admin's slowmode stays"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_temporary_ban_replaced_by_hand_is_not_lifted() {
    let h = ready().await;
    let bob = h.member("bob");
    let reply = h
        .say(
            "facilitator",
            "/mod ban member:@bob duration:1h reason:\"Cool-off\"",
        )
        .await;
    assert!(reply.text().contains("Case #"), "{}", reply.text());
    // An admin lifts it and bans for good, by hand.
    assert!(h.sim.unban_by_hand(bob.id));
    assert!(h.sim.ban_by_hand(bob.id, Some("Threats in DMs")));
    // Whichever event is weighed first, the notice says a human decided.
    assert!(
        logged(&h, "by someone in Discord").await,
        "{:?}",
        log_texts(&h)
    );
    h.advance(Duration::hours(2)).await;
    settle(&h).await;
    assert!(h.sim.ban_of(&bob).is_some(), "the admin's ban stays");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unlock_keeps_an_admins_deny_and_a_second_lock_takes_a_fresh_snapshot() {
    let h = ready().await;
    let general = h.general();
    h.say("facilitator", "/mod lock for:1h").await;
    // An admin hides the channel meanwhile (View Channel denied to @everyone).
    let everyone = h
        .sim
        .overwrites_of(general)
        .into_iter()
        .find(|o| o.id == GUILD_ID)
        .expect("the lock's overwrite");
    assert_eq!(everyone.deny & LOCK_BITS, LOCK_BITS);
    assert!(h.sim.set_overwrite_by_hand(
        general,
        GUILD_ID,
        0,
        everyone.allow,
        everyone.deny | VIEW_CHANNEL
    ));
    h.advance(Duration::minutes(61)).await;
    settle(&h).await;
    let after = h
        .sim
        .overwrites_of(general)
        .into_iter()
        .find(|o| o.id == GUILD_ID)
        .expect("the admin's deny keeps the overwrite");
    assert_eq!(after.deny, VIEW_CHANNEL, "unlocked, the deny kept");
    assert_eq!(after.allow, 0);

    // A lock undone by hand is over: the next lock snapshots anew.
    h.say("facilitator", "/mod lock").await;
    let locked = h
        .sim
        .overwrites_of(general)
        .into_iter()
        .find(|o| o.id == GUILD_ID)
        .unwrap();
    assert!(h.sim.set_overwrite_by_hand(
        general,
        GUILD_ID,
        0,
        SEND_MESSAGES,
        locked.deny & !LOCK_BITS
    ));
    settle(&h).await;
    h.say("facilitator", "/mod lock").await;
    let reply = h.say("facilitator", "/mod unlock").await;
    assert!(reply.text().contains("unlocked"), "{}", reply.text());
    let now = h
        .sim
        .overwrites_of(general)
        .into_iter()
        .find(|o| o.id == GUILD_ID)
        .unwrap();
    assert_eq!(
        (now.allow & LOCK_BITS, now.deny & LOCK_BITS),
        (SEND_MESSAGES, 0),
        "back to the admin's overwrite, not the first lock's snapshot"
    );
    let _ = EVERYONE;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_role_alone_lends_no_power_discord_does_not_give() {
    let h = ready().await;
    let general = h.general();
    h.sim
        .post_as(&h.member("bob"), general, "a", Duration::minutes(1));
    h.sim
        .post_as(&h.member("bob"), general, "b", Duration::minutes(1));
    for (line, permission) in [
        ("/mod timeout member:@bob duration:10m", "Moderate Members"),
        ("/mod untimeout member:@bob", "Moderate Members"),
        ("/mod kick member:@bob", "Kick Members"),
        ("/mod ban member:@bob", "Ban Members"),
        ("/mod unban user:@bob", "Ban Members"),
        ("/mod slowmode seconds:30", "Manage Channels"),
        ("/mod lock", "Manage Roles"),
        ("/mod unlock", "Manage Roles"),
        ("/mod purge count:2", "Manage Messages"),
    ] {
        let reply = h.say("rook", line).await;
        assert_ephemeral(&reply);
        assert!(
            reply.text().contains(permission) && reply.text().contains("you don't have"),
            "{line}: {}",
            reply.text()
        );
    }
    assert!(h.sim.timeout_of(&h.member("bob")).is_none());
    assert!(!h.sim.is_gone(&h.member("bob")));
    assert_eq!(h.sim.slowmode_of(general), 0);
    // Nudge, warn and notes need the role alone.
    let warned = h
        .say("rook", "/mod warn member:@bob reason:\"Be kind\"")
        .await;
    assert!(warned.text().contains("Case #"), "{}", warned.text());
    // `/mod` is hidden from those without Moderate Members by default.
    let registered = h.sim.registered_commands();
    let moderation = registered
        .iter()
        .find(|c| c["name"] == "mod")
        .expect("/mod registered");
    assert_eq!(
        moderation["default_member_permissions"].as_str(),
        Some((1u64 << 40).to_string().as_str())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_about_oneself_are_refused_and_a_cases_amendments_are_kept() {
    let h = ready().await;
    h.say(
        "sam",
        "/mod note member:@facilitator text:\"Talk about tone\"",
    )
    .await;
    for line in [
        "/mod history member:@facilitator",
        "/mod note member:@facilitator text:\"All fine\"",
    ] {
        let reply = h.say("facilitator", line).await;
        assert!(
            reply.text().contains("kept for the server's admins"),
            "{line}: {}",
            reply.text()
        );
    }
    let other = h.say("facilitator", "/mod history member:@fran").await;
    assert!(other.text().contains("admins only"), "{}", other.text());
    let admin_view = h.say("sam", "/mod history member:@facilitator").await;
    assert!(
        admin_view.text().contains("Talk about tone"),
        "{}",
        admin_view.text()
    );

    // A case in which an admin acted on a facilitator.
    let case = h
        .say(
            "sam",
            "/mod warn member:@facilitator reason:\"Shared a member's story\"",
        )
        .await;
    assert!(case.text().contains("Case #1"), "{}", case.text());
    let rewrite = h
        .say("facilitator", "/mod case id:1 reason:\"Nothing happened\"")
        .await;
    assert!(
        rewrite.text().contains("kept for the server's admins"),
        "{}",
        rewrite.text()
    );
    let amended = h
        .say(
            "sam",
            "/mod case id:1 reason:\"Shared a member's story in #general\"",
        )
        .await;
    let text = amended.text();
    assert!(
        text.contains("Shared a member's story in #general"),
        "{text}"
    );
    assert!(
        text.contains("Shared a member's story"),
        "the original stays: {text}"
    );
    assert!(
        text.contains(&h.member("sam").id.to_string()),
        "who amended it: {text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_kick_and_unban_that_discord_carried_out_are_recorded_once() {
    let h = ready().await;
    let bob = h.member("bob");
    h.sim.inject_fault(Fault {
        method: Some("DELETE".into()),
        path_contains: format!("/members/{}", bob.id),
        kind: FaultKind::LostResponse(500),
        times: 1,
    });
    let reply = h.say("facilitator", "/mod kick member:@bob").await;
    assert!(reply.text().contains("Case #1"), "{}", reply.text());
    assert!(h.sim.is_gone(&bob));
    assert!(logged(&h, "Case #1").await);

    let casey = h.member("casey");
    h.say("facilitator", "/mod ban member:@casey").await;
    h.sim.inject_fault(Fault {
        method: Some("DELETE".into()),
        path_contains: format!("/bans/{}", casey.id),
        kind: FaultKind::LostResponse(500),
        times: 1,
    });
    let reply = h.say("facilitator", "/mod unban user:@casey").await;
    assert!(reply.text().contains("Case #3"), "{}", reply.text());
    assert!(h.sim.ban_of(&casey).is_none());
    settle(&h).await;
    let cases = log_texts(&h)
        .iter()
        .filter(|t| t.contains("Case #"))
        .count();
    assert_eq!(cases, 3, "kick, ban and unban, each once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cw_posts_belong_to_their_author() {
    let h = ready().await;
    let general = h.general();
    let alice = h.member("alice");
    let posted = h
        .say("alice", "/cw topic:loss text:\"My dad died last spring\"")
        .await;
    assert!(posted.text().contains("Posted"), "{}", posted.text());
    // The channel's slowmode holds for /cw too.
    assert!(h.sim.set_slowmode_by_hand(general, 600));
    settle(&h).await;
    let held = h
        .say("alice", "/cw topic:loss text:\"And my grandad\"")
        .await;
    assert!(held.text().contains("slowmode"), "{}", held.text());
    // Listed as hers.
    let shown = h.say("alice", "/privacy show").await;
    assert!(shown.text().contains("/cw posts"), "{}", shown.text());
    let cw = h
        .sim
        .channel_messages(general)
        .into_iter()
        .find(|m| m.text().contains("My dad died"))
        .expect("the /cw post");
    assert!(
        shown.text().contains(&cw.id.to_string()),
        "{}",
        shown.text()
    );

    // A facilitator's /cw reported goes to admins only.
    h.say("sam", "/settings dm-notices enabled:true").await;
    h.sim.set_slowmode_by_hand(general, 0);
    settle(&h).await;
    h.say("facilitator", "/cw topic:anger text:\"You all disgust me\"")
        .await;
    let theirs = h
        .sim
        .channel_messages(general)
        .into_iter()
        .find(|m| m.text().contains("disgust"))
        .expect("the facilitator's /cw post");
    let answer = report(&h, "bob", &theirs, "harmful", "").await;
    assert!(
        answer.text().contains("did not go to the log channel"),
        "{}",
        answer.text()
    );
    assert_eq!(dms_with(&h, "sam", "disgust"), 1);
    assert!(!log_texts(&h).iter().any(|t| t.contains("Report #")));

    // Purge by member reaches her /cw post.
    let purged = h
        .say("facilitator", "/mod purge count:5 member:@alice")
        .await;
    assert!(purged.text().contains("deleted 1"), "{}", purged.text());
    assert!(h.sim.message(cw.id).is_none_or(|m| m.deleted));

    // Forget deletes what is left of hers from Discord too.
    h.say("alice", "/cw topic:loss text:\"One more\"").await;
    let another = h
        .sim
        .channel_messages(general)
        .into_iter()
        .find(|m| m.text().contains("One more"))
        .expect("another /cw post");
    let forget = h.say("alice", "/privacy forget").await;
    h.click("alice", &forget, "Delete my data").await;
    settle(&h).await;
    assert!(h.sim.message(another.id).is_none_or(|m| m.deleted));
    let shown = h.say("alice", "/privacy show").await;
    assert!(!shown.text().contains(&another.id.to_string()));
    let _ = alice;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_old_break_button_lifts_nothing_and_smaller_answers_are_exact() {
    let h = ready().await;
    let alice = h.member("alice");
    // A break button of an older version (no end time), after AutoMod
    // timed her out.
    h.say("alice", "/break duration:30m").await;
    let dm = h.sim.direct_messages(&alice).pop().expect("the break's DM");
    let until = h.clock.now() + Duration::hours(2);
    h.sim.automod_timeout(&alice, until);
    let token = h
        .sim
        .click(&alice, &dm, &format!("h1:brk:{GUILD_ID}:{}", alice.id));
    let back = h.sim.reply(&token).await.expect("an answer");
    assert!(back.text().contains("older version"), "{}", back.text());
    assert_eq!(
        h.sim.timeout_of(&alice),
        Some(until),
        "AutoMod's timeout stays"
    );
    // Untimeout of someone not timed out records nothing.
    let reply = h.say("facilitator", "/mod untimeout member:@bob").await;
    assert!(reply.text().contains("isn't timed out"), "{}", reply.text());
    assert!(!log_texts(&h).iter().any(|t| t.contains("Case #")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn havens_own_echoes_are_never_taken_for_a_humans_change() {
    let h = ready().await;
    let general = h.general();
    let bob = h.member("bob");
    // A ban lifted and banned again for a while: the unban's echo must not
    // cancel the new timer.
    h.say(
        "facilitator",
        "/mod ban member:@bob duration:3h reason:\"Cool-off\"",
    )
    .await;
    h.say("facilitator", "/mod unban user:@bob").await;
    let again = h
        .say(
            "facilitator",
            "/mod ban member:@bob duration:1h reason:\"Cool-off\"",
        )
        .await;
    assert!(again.text().contains("Case #"), "{}", again.text());
    // A timed slowmode set twice.
    h.say("facilitator", "/mod slowmode seconds:30 for:10m")
        .await;
    h.say("facilitator", "/mod slowmode seconds:60 for:10m")
        .await;
    // Let every echo arrive and be weighed.
    tokio::time::sleep(std::time::Duration::from_secs(4)).await;
    settle(&h).await;
    let notices: Vec<String> = log_texts(&h)
        .into_iter()
        .filter(|t| t.contains("by hand") || t.contains("by someone in Discord"))
        .collect();
    assert!(notices.is_empty(), "{notices:?}");
    h.advance(Duration::minutes(61)).await;
    settle(&h).await;
    assert!(
        h.sim.ban_of(&bob).is_none(),
        "Haven's own timer lifted its ban"
    );
    assert_eq!(h.sim.slowmode_of(general), 0, "and put the slowmode back");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ban_someone_decided_in_discord_is_left_alone_and_an_unban_of_nobody_records_nothing() {
    let h = ready().await;
    let bob = h.member("bob");
    assert!(h.sim.ban_by_hand(bob.id, Some("Threats")));
    settle(&h).await;
    let reply = h
        .say(
            "facilitator",
            "/mod ban member:@bob duration:1h reason:\"Cool-off\"",
        )
        .await;
    assert!(reply.text().contains("already banned"), "{}", reply.text());
    assert_eq!(
        h.sim.ban_of(&bob).and_then(|b| b.reason).as_deref(),
        Some("Threats")
    );
    let reply = h.say("facilitator", "/mod unban user:@casey").await;
    assert!(reply.text().contains("isn't banned"), "{}", reply.text());
    settle(&h).await;
    assert!(!log_texts(&h).iter().any(|t| t.contains("Case #")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_case_about_a_facilitator_stays_out_of_the_log_and_a_report_about_one_is_resolved_from_its_dm()
 {
    let h = ready().await;
    let reply = h
        .say("sam", "/mod warn member:@fran reason:\"Shared a story\"")
        .await;
    assert!(
        reply.text().contains("not posted in the log channel"),
        "{}",
        reply.text()
    );
    settle(&h).await;
    assert!(
        !log_texts(&h).iter().any(|t| t.contains("Case #")),
        "{:?}",
        log_texts(&h)
    );

    h.say("sam", "/settings dm-notices enabled:true").await;
    let post = h.sim.post_as(
        &h.member("fran"),
        h.general(),
        "stop complaining",
        Duration::minutes(1),
    );
    report(&h, "alice", &post, "harmful", "").await;
    settle(&h).await;
    let copy = h
        .sim
        .direct_messages(&h.member("sam"))
        .into_iter()
        .find(|m| m.text().contains("stop complaining"))
        .expect("the admin's copy");
    let resolved = h.click("sam", &copy, "Resolved").await;
    // The press's answer and the refresh of every copy both edit this one:
    // whichever lands last, it ends saying who resolved it.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut now_shown = resolved;
    while !now_shown.text().contains("Resolved by") && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        now_shown = h.sim.message(copy.id).expect("the copy");
    }
    assert!(
        now_shown.text().contains("Resolved by"),
        "{}",
        now_shown.text()
    );
    let list = h.say("sam", "/mod reports").await;
    assert!(!list.text().contains("stop complaining"), "{}", list.text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timed_lock_reopened_by_hand_is_not_unlocked_by_haven() {
    let h = ready().await;
    let general = h.general();
    h.say("facilitator", "/mod lock for:1h").await;
    let locked = h
        .sim
        .overwrites_of(general)
        .into_iter()
        .find(|o| o.id == GUILD_ID)
        .expect("the lock's overwrite");
    // During a calm moment an admin lets everyone post again, by hand, and
    // keeps threads closed.
    assert!(h.sim.set_overwrite_by_hand(
        general,
        GUILD_ID,
        0,
        SEND_MESSAGES,
        locked.deny & !SEND_MESSAGES
    ));
    assert!(
        logged(&h, "by hand while I had it locked").await,
        "{:?}",
        log_texts(&h)
    );
    h.advance(Duration::minutes(61)).await;
    settle(&h).await;
    let now = h
        .sim
        .overwrites_of(general)
        .into_iter()
        .find(|o| o.id == GUILD_ID)
        .expect("the admin's overwrite");
    assert_eq!(
        (now.allow, now.deny),
        (SEND_MESSAGES, locked.deny & !SEND_MESSAGES),
        "exactly as the admin left it"
    );
    assert!(!log_texts(&h).iter().any(|t| t.contains("Time up")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_delete_that_discord_carried_out_keeps_the_authors_words() {
    let h = ready().await;
    let bob = h.member("bob");
    let post = h.sim.post_as(
        &bob,
        h.general(),
        "the details of what happened to me",
        Duration::minutes(1),
    );
    h.sim.inject_fault(Fault {
        method: Some("DELETE".into()),
        path_contains: format!("/messages/{}", post.id),
        kind: FaultKind::LostResponse(500),
        times: 1,
    });
    let token = h
        .sim
        .message_command(&h.member("facilitator"), "Needs a content warning", &post);
    let reply = h.sim.reply(&token).await.expect("an answer");
    assert!(reply.text().contains("Case #1"), "{}", reply.text());
    assert!(h.sim.message(post.id).is_none_or(|m| m.deleted));
    assert_eq!(
        dms_with(&h, "bob", "the details of what happened"),
        1,
        "their words kept"
    );
    settle(&h).await;
    let cases = log_texts(&h)
        .iter()
        .filter(|t| t.contains("Case #"))
        .count();
    assert_eq!(cases, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_purge_that_discord_carried_out_is_recorded_once() {
    let h = ready().await;
    let general = h.general();
    let bob = h.member("bob");
    for text in ["one", "two", "three"] {
        h.sim.post_as(&bob, general, text, Duration::minutes(1));
    }
    h.sim.inject_fault(Fault {
        method: Some("POST".into()),
        path_contains: "bulk-delete".into(),
        kind: FaultKind::LostResponse(500),
        times: 1,
    });
    let reply = h.say("facilitator", "/mod purge count:3 member:@bob").await;
    assert!(reply.text().contains("Case #1"), "{}", reply.text());
    assert!(reply.text().contains("deleted 3"), "{}", reply.text());
    settle(&h).await;
    let cases = log_texts(&h)
        .iter()
        .filter(|t| t.contains("Case #"))
        .count();
    assert_eq!(cases, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_person_a_report_is_about_cannot_press_its_buttons_and_bans_reach_their_cw_posts() {
    let h = ready().await;
    let general = h.general();
    let bob = h.member("bob");
    let post = h
        .sim
        .post_as(&bob, general, "you are all useless", Duration::minutes(1));
    report(&h, "alice", &post, "harmful", "").await;
    assert!(logged(&h, "Report #").await);
    let card = h
        .sim
        .channel_messages(h.sim.channel_id("facilitators"))
        .into_iter()
        .find(|m| m.text().contains("Report #"))
        .expect("the report's card");
    // Bob is made a facilitator; he still cannot act on the report about him.
    h.sim
        .set_member_roles(&bob, vec![FACILITATOR_ROLE, MEMBER_ROLE]);
    let mut promoted = bob.clone();
    promoted.roles = vec![FACILITATOR_ROLE, MEMBER_ROLE];
    let token = h
        .sim
        .click_label(&promoted, &card, "Resolved")
        .expect("a Resolved button");
    let pressed = h.sim.reply(&token).await.expect("an answer");
    assert!(
        pressed.text().contains("not one you can act on"),
        "{}",
        pressed.text()
    );

    // A facilitator without Manage Messages cannot use "Needs a content warning".
    let token = h
        .sim
        .message_command(&h.member("rook"), "Needs a content warning", &post);
    let refused = h.sim.reply(&token).await.expect("an answer");
    assert!(
        refused.text().contains("Manage Messages"),
        "{}",
        refused.text()
    );

    // A ban that deletes a day of messages reaches Alice's /cw posts too.
    h.say("alice", "/cw topic:loss text:\"Something I wrote\"")
        .await;
    let cw = h
        .sim
        .channel_messages(general)
        .into_iter()
        .find(|m| m.text().contains("Something I wrote"))
        .expect("the /cw post");
    h.say("facilitator", "/mod ban member:@alice delete-messages:1d")
        .await;
    settle(&h).await;
    assert!(h.sim.message(cw.id).is_none_or(|m| m.deleted));
}
