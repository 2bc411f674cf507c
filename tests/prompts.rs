//! End to end: discussion prompts, scheduled prompts across DST, shared
//! strategies, the toolkit and the guided exercises, through the fake
//! Discord with the virtual clock.

mod common;

use chrono::{Duration, TimeZone, Utc};
use common::{Harness, assert_ephemeral};
use haven::clock::Clock;
use haven::domain::library;
use haven::sim::SimMessage;
use serde_json::json;

fn prompt_posts(h: &Harness, channel: &str) -> Vec<SimMessage> {
    h.sim
        .channel_messages(h.sim.channel_id(channel))
        .into_iter()
        .filter(|m| m.text().contains("Discussion prompt"))
        .collect()
}

async fn as_facilitator(h: &Harness) {
    h.say("admin", "/settings facilitator-role role:@Facilitator")
        .await;
    h.say("admin", "/settings log-channel channel:#facilitators")
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_prompt_is_posted_with_a_thread_where_the_channel_allows_it() {
    let h = Harness::start().await;
    as_facilitator(&h).await;
    let reply = h
        .say("facilitator", "/prompt post category:gratitude")
        .await;
    assert_ephemeral(&reply);
    assert!(
        reply.text().contains("answers can go in"),
        "{}",
        reply.text()
    );
    let posts = prompt_posts(&h, "general");
    assert_eq!(posts.len(), 1);
    let text = posts[0].text();
    assert!(
        text.contains("Gratitude") && text.contains("/crisis"),
        "{text}"
    );
    assert!(
        library::prompts()
            .iter()
            .any(|p| text.contains(&p.text) && p.category == library::Category::Gratitude),
        "{text}"
    );
    let threads = h.sim.threads();
    assert_eq!(threads.len(), 1);
    assert_eq!(threads[0].message, posts[0].id);

    // #announcements allows no threads: the prompt stands alone.
    let reply = h
        .say_as(
            &h.member("facilitator"),
            h.sim.channel_id("announcements"),
            "/prompt post",
        )
        .await;
    assert!(
        reply.text().contains("doesn't allow threads"),
        "{}",
        reply.text()
    );
    assert_eq!(prompt_posts(&h, "announcements").len(), 1);
    assert_eq!(h.sim.threads().len(), 1);
}

/// Grief and recovery are opt-in: a prompt with no category never draws
/// from them (every draw of a whole rotation), the reply says how to name
/// them, and a named one carries its content note.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grief_and_recovery_prompts_come_only_when_named_with_a_content_note() {
    let h = Harness::start().await;
    as_facilitator(&h).await;
    let db = h.db().await;
    let guild = haven::domain::GuildId(haven::sim::world::GUILD_ID);
    let any = haven::scheduler::prompts::pool(&db, guild, None)
        .await
        .unwrap();
    assert!(!any.is_empty());
    assert!(
        any.iter().all(|e| !e.category.is_sensitive()),
        "a rotation with no category holds no grief or recovery prompt"
    );
    let grief = haven::scheduler::prompts::pool(&db, guild, Some(library::Category::Grief))
        .await
        .unwrap();
    assert!(grief.len() >= 14);
    let reply = h.say("facilitator", "/prompt post").await;
    assert!(
        reply.text().contains("left out unless you name them"),
        "{}",
        reply.text()
    );
    let reply = h.say("facilitator", "/prompt post category:grief").await;
    assert!(!reply.text().contains("left out"), "{}", reply.text());
    let posts = prompt_posts(&h, "general");
    let named = posts.last().unwrap().text();
    assert!(named.contains("Content note: loss and grief."), "{named}");
    assert!(
        !posts[0].text().contains("Content note"),
        "{}",
        posts[0].text()
    );
}

/// A category the facilitators mark sensitive joins grief and recovery:
/// left out of a rotation with no category (every draw of it), named in the
/// replies, and shown with a content note on its prompts and strategies.
/// Grief and recovery cannot be unmarked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_category_marked_sensitive_comes_only_when_named_with_a_content_note() {
    let h = Harness::start().await;
    as_facilitator(&h).await;
    let db = h.db().await;
    let guild = haven::domain::GuildId(haven::sim::world::GUILD_ID);
    let pool = || haven::scheduler::prompts::pool(&db, guild, None);
    assert!(
        pool()
            .await
            .unwrap()
            .iter()
            .any(|e| e.category == library::Category::Sleep)
    );

    let denied = h
        .say("alice", "/prompt sensitive category:sleep sensitive:true")
        .await;
    assert_ephemeral(&denied);
    assert!(
        pool()
            .await
            .unwrap()
            .iter()
            .any(|e| e.category == library::Category::Sleep),
        "a member cannot mark a category"
    );

    let reply = h
        .say(
            "facilitator",
            "/prompt sensitive category:sleep sensitive:true",
        )
        .await;
    assert_ephemeral(&reply);
    assert!(
        reply.text().contains("Marked sleep as sensitive")
            && reply.text().contains("Grief, recovery and sleep"),
        "{}",
        reply.text()
    );
    let any = pool().await.unwrap();
    assert!(!any.is_empty());
    assert!(
        any.iter()
            .all(|e| e.category != library::Category::Sleep && !e.category.is_sensitive()),
        "a rotation with no category holds no prompt of a sensitive category"
    );
    // Its own prompts too.
    h.say(
        "facilitator",
        "/prompt add text:What does a restful evening look like for you? category:sleep",
    )
    .await;
    assert!(
        pool()
            .await
            .unwrap()
            .iter()
            .all(|e| e.category != library::Category::Sleep)
    );

    let reply = h.say("facilitator", "/prompt post").await;
    assert!(
        reply
            .text()
            .contains("Grief, recovery and sleep prompts are left out unless you name them")
            && reply.text().contains("`category:sleep`"),
        "{}",
        reply.text()
    );
    h.say("facilitator", "/prompt post category:sleep").await;
    let posts = prompt_posts(&h, "general");
    let named = posts.last().unwrap().text();
    assert!(
        named.contains("Content note: sleep, which this group treats as sensitive."),
        "{named}"
    );

    let card = h.say("alice", "/strategy browse category:sleep").await;
    assert!(
        card.text()
            .contains("Content note: sleep, which this group treats as sensitive.")
            && card.text().contains("/crisis"),
        "{}",
        card.text()
    );
    let settings = h.say("facilitator", "/settings show").await;
    assert!(
        settings.text().contains("Grief, recovery and sleep"),
        "{}",
        settings.text()
    );

    // Grief and recovery stay sensitive whatever is asked.
    let reply = h
        .say(
            "facilitator",
            "/prompt sensitive category:grief sensitive:false",
        )
        .await;
    assert!(
        reply.text().contains("always treated as sensitive"),
        "{}",
        reply.text()
    );
    assert!(
        pool()
            .await
            .unwrap()
            .iter()
            .all(|e| e.category != library::Category::Grief)
    );

    let reply = h
        .say(
            "facilitator",
            "/prompt sensitive category:sleep sensitive:false",
        )
        .await;
    assert!(
        reply.text().contains("no longer marked sensitive"),
        "{}",
        reply.text()
    );
    assert!(
        pool()
            .await
            .unwrap()
            .iter()
            .any(|e| e.category == library::Category::Sleep)
    );
    let card = h.say("alice", "/strategy browse category:sleep").await;
    assert!(!card.text().contains("Content note"), "{}", card.text());

    // A schedule with no category draws the same way: with every category
    // but gratitude marked, its postings can only be gratitude prompts.
    for c in library::Category::ALL {
        if c != library::Category::Gratitude {
            db.set_category_sensitive(guild, c, true).await.unwrap();
        }
    }
    h.say(
        "facilitator",
        "/prompt schedule channel:#general time:13:00 timezone:UTC",
    )
    .await;
    let before = prompt_posts(&h, "general").len();
    h.advance(Duration::days(3)).await;
    let posts = prompt_posts(&h, "general");
    assert_eq!(posts.len(), before + 3, "one a day");
    for p in &posts[before..] {
        assert!(
            p.text().contains("Gratitude") && !p.text().contains("Content note"),
            "{}",
            p.text()
        );
    }
}

/// A prompt whose honest answer can be "nothing" tells facilitators how
/// to follow it up: in the reply to whoever posts it, and in the log
/// channel when a schedule posts it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_prompt_that_can_be_answered_nothing_tells_facilitators_to_follow_up() {
    let h = Harness::start().await;
    as_facilitator(&h).await;
    let db = h.db().await;
    let guild = haven::domain::GuildId(haven::sim::world::GUILD_ID);
    for p in library::prompts() {
        if p.category == library::Category::LowMood && p.id != "low-mood-13" {
            db.set_prompt_hidden(guild, &p.id, true).await.unwrap();
        }
    }
    let reply = h.say("facilitator", "/prompt post category:low-mood").await;
    assert!(
        reply.text().contains("**For facilitators:**")
            && reply.text().contains("reach out to them privately")
            && reply.text().contains("/crisis"),
        "{}",
        reply.text()
    );
    h.say(
        "facilitator",
        "/prompt schedule channel:#general time:13:00 category:low-mood timezone:UTC",
    )
    .await;
    h.advance(Duration::hours(2)).await;
    let log: Vec<String> = h
        .sim
        .channel_messages(h.sim.channel_id("facilitators"))
        .iter()
        .map(|m| m.text())
        .filter(|t| t.contains("For facilitators"))
        .collect();
    assert_eq!(log.len(), 1, "{log:?}");
    assert!(log[0].contains("looking forward to"), "{}", log[0]);
    // Other prompts carry no such note.
    let plain = h
        .say("facilitator", "/prompt post category:gratitude")
        .await;
    assert!(
        !plain.text().contains("For facilitators"),
        "{}",
        plain.text()
    );
}

/// Every low-mood card says when to see a doctor and where the safety plan
/// is, and the search it names finds it, with its source.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn low_mood_cards_point_to_a_doctor_a_safety_plan_and_crisis_lines() {
    let h = Harness::start().await;
    let card = h.say("alice", "/strategy browse category:low-mood").await;
    let text = card.text();
    assert!(
        text.contains("lasts more than two weeks, please talk to a doctor")
            && text.contains("search `safety plan`")
            && text.contains("/crisis"),
        "{text}"
    );
    let plan = h
        .say("alice", "/strategy browse search:\"safety plan\"")
        .await;
    assert!(
        plan.text().contains("Make a safety plan") && plan.text().contains("Samaritans"),
        "{}",
        plan.text()
    );
    // Other categories keep the plain line.
    let stress = h.say("alice", "/strategy browse category:stress").await;
    assert!(
        stress.text().contains("/crisis") && !stress.text().contains("two weeks"),
        "{}",
        stress.text()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn own_prompts_join_the_list_which_pages_and_hides_built_ins() {
    let h = Harness::start().await;
    as_facilitator(&h).await;
    let reply = h
        .say(
            "facilitator",
            "/prompt add text:\"What is one way you remember them on ordinary days?\" category:grief",
        )
        .await;
    assert!(
        reply.text().contains("joins the rotation"),
        "{}",
        reply.text()
    );
    let list = h.say("facilitator", "/prompt list category:grief").await;
    assert_ephemeral(&list);
    assert!(list.text().contains("Page 1 of 3"), "{}", list.text());
    let page2 = h.click("facilitator", &list, "Next").await;
    assert!(page2.text().contains("Page 2 of 3"), "{}", page2.text());
    let page3 = h.click("facilitator", &page2, "Next").await;
    assert!(
        page3.text().contains("ordinary days") && page3.text().contains("your own"),
        "{}",
        page3.text()
    );
    // Hide the first prompt of page 1.
    let page1 = h.click("facilitator", &page3, "Previous").await;
    let page1 = h.click("facilitator", &page1, "Previous").await;
    let hidden = h.click("facilitator", &page1, "Hide 1").await;
    assert!(hidden.text().contains("*hidden*"), "{}", hidden.text());
    assert!(hidden.button("Show 1").is_some());
    let db = h.db().await;
    let guild = haven::domain::GuildId(haven::sim::world::GUILD_ID);
    assert_eq!(db.hidden_prompts(guild).await.unwrap().len(), 1);
    let shown = h.click("facilitator", &hidden, "Show 1").await;
    assert!(!shown.text().contains("*hidden*"), "{}", shown.text());
    assert!(db.hidden_prompts(guild).await.unwrap().is_empty());
    // The own prompt can be removed.
    let page3 = h.click("facilitator", &shown, "Next").await;
    let page3 = h.click("facilitator", &page3, "Next").await;
    let removed = h.click("facilitator", &page3, "Remove 5").await;
    assert!(
        !removed.text().contains("ordinary days"),
        "{}",
        removed.text()
    );
    assert!(db.server_prompts(guild).await.unwrap().is_empty());
    db.close().await;
    // A plain member cannot press a facilitator's list buttons.
    let refused = h.click("alice", &list, "Next").await;
    assert!(
        refused.text().contains("Only facilitators"),
        "{}",
        refused.text()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overlong_or_empty_texts_are_refused_and_nothing_is_stored() {
    let h = Harness::start().await;
    as_facilitator(&h).await;
    let facilitator = h.member("facilitator");
    for (text, expect) in [
        ("x".repeat(301), "at most 300"),
        ("   ".to_owned(), "empty"),
        ("Hey @everyone?".to_owned(), "mentions"),
    ] {
        let token = h.sim.command_raw(
            &facilitator,
            h.general(),
            "prompt",
            json!([{"name": "add", "type": 1, "options": [
                {"name": "text", "type": 3, "value": text},
                {"name": "category", "type": 4, "value": 0},
            ]}]),
        );
        let reply = h.sim.reply(&token).await.unwrap();
        assert!(reply.text().contains(expect), "{expect}: {}", reply.text());
    }
    for (text, expect) in [("y".repeat(501), "at most 500"), ("  ".to_owned(), "empty")] {
        let token = h.sim.command_raw(
            &h.member("alice"),
            h.general(),
            "strategy",
            json!([{"name": "share", "type": 1, "options": [
                {"name": "text", "type": 3, "value": text},
                {"name": "category", "type": 4, "value": 7},
            ]}]),
        );
        let reply = h.sim.reply(&token).await.unwrap();
        assert!(reply.text().contains(expect), "{expect}: {}", reply.text());
    }
    let db = h.db().await;
    let guild = haven::domain::GuildId(haven::sim::world::GUILD_ID);
    assert!(db.server_prompts(guild).await.unwrap().is_empty());
    let alice = haven::domain::UserId(h.member("alice").id);
    assert!(
        db.member_data(alice)
            .await
            .unwrap()
            .shared_strategies
            .is_empty()
    );
}

/// Wording safe-messaging guidance avoids is never refused (a member's own
/// words about their own life are theirs): the facilitator adding a prompt
/// is told, and so is the one deciding on a shared strategy, on its card.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn harmful_wording_is_named_to_the_facilitator_who_decides_never_refused() {
    let h = Harness::start().await;
    as_facilitator(&h).await;
    h.say("admin", "/settings log-channel channel:#facilitators")
        .await;
    let added = h
        .say(
            "facilitator",
            "/prompt add text:\"What's your go-to method when the pain gets too much?\" category:stress",
        )
        .await;
    assert!(added.text().contains("Added"), "{}", added.text());
    assert!(
        added.text().contains("Please look again") && added.text().contains("go to method"),
        "{}",
        added.text()
    );
    let db = h.db().await;
    let guild = haven::domain::GuildId(haven::sim::world::GUILD_ID);
    assert_eq!(db.server_prompts(guild).await.unwrap().len(), 1);
    let shared = h
        .say(
            "alice",
            "/strategy share text:\"My abuser used to say others have it much worse. Writing helps me.\" category:self-compassion",
        )
        .await;
    assert!(
        shared.text().contains("Thank you for sharing"),
        "{}",
        shared.text()
    );
    let log = h
        .sim
        .world()
        .channel_in(haven::sim::world::GUILD_ID, "facilitators")
        .unwrap()
        .id;
    let cards = h
        .sim
        .wait_for_messages(log, 1, std::time::Duration::from_secs(10))
        .await;
    let card = cards
        .iter()
        .find(|m| m.text().contains("A strategy to review"))
        .expect("the review card");
    assert!(
        card.text().contains("Please read carefully") && card.text().contains("have it much worse"),
        "{}",
        card.text()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scheduled_prompt_keeps_nine_in_berlin_across_dst_once_a_day_across_a_restart() {
    let mut h = Harness::start().await;
    as_facilitator(&h).await;
    // Thursday 25 March 2027; Berlin moves its clocks on Sunday the 28th.
    h.clock
        .advance_to(Utc.with_ymd_and_hms(2027, 3, 25, 12, 0, 0).unwrap());
    let reply = h
        .say(
            "facilitator",
            "/prompt schedule channel:#meetings time:09:00 timezone:Europe/Berlin",
        )
        .await;
    assert!(
        reply.text().contains("09:00 Europe/Berlin"),
        "{}",
        reply.text()
    );
    let count = |h: &Harness| prompt_posts(h, "meetings").len();
    let to = |d: u32, hh: u32, mm: u32| Utc.with_ymd_and_hms(2027, 3, d, hh, mm, 0).unwrap();
    async fn until(h: &Harness, t: chrono::DateTime<Utc>) {
        let by = t - h.clock.now();
        h.advance(by).await;
    }
    // Friday 26th, CET (UTC+1): 08:00 UTC.
    until(&h, to(26, 7, 59)).await;
    assert_eq!(count(&h), 0, "not a minute early");
    until(&h, to(26, 8, 1)).await;
    assert_eq!(count(&h), 1);
    // A restart on Saturday morning posts nothing twice.
    until(&h, to(27, 7, 0)).await;
    h.restart().await;
    until(&h, to(27, 8, 1)).await;
    assert_eq!(count(&h), 2);
    h.restart().await;
    assert_eq!(count(&h), 2, "Saturday's is not posted again");
    // Monday 29th, CEST (UTC+2): 07:00 UTC.
    until(&h, to(29, 6, 59)).await;
    assert_eq!(count(&h), 3, "Sunday's came at 07:00 UTC");
    until(&h, to(29, 7, 1)).await;
    assert_eq!(count(&h), 4);
    let reply = h
        .say("facilitator", "/prompt unschedule channel:#meetings")
        .await;
    assert!(reply.text().contains("No more"), "{}", reply.text());
    until(&h, to(31, 12, 0)).await;
    assert_eq!(count(&h), 4, "stopped");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_schedule_in_a_deleted_channel_pauses_and_tells_the_log_channel() {
    let h = Harness::start().await;
    as_facilitator(&h).await;
    h.say(
        "facilitator",
        "/prompt schedule channel:#meetings time:13:00 timezone:UTC",
    )
    .await;
    h.sim.delete_channel(h.sim.channel_id("meetings"));
    h.advance(Duration::hours(2)).await;
    let log = h.sim.channel_messages(h.sim.channel_id("facilitators"));
    assert!(log.iter().any(|m| m.content.contains("paused")), "{log:?}");
    let db = h.db().await;
    let schedule = db
        .prompt_schedule(haven::domain::ChannelId(h.sim.channel_id("meetings")))
        .await
        .unwrap()
        .unwrap();
    assert!(schedule.paused);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shared_strategies_wait_for_a_facilitator_then_join_the_library() {
    let h = Harness::start().await;
    as_facilitator(&h).await;
    let reply = h
        .say(
            "alice",
            "/strategy share text:\"When I can't sleep I write tomorrow's three small jobs on paper, then put it away.\" category:sleep anonymous:true",
        )
        .await;
    assert!(reply.text().contains("\"a member\""), "{}", reply.text());
    h.say(
        "bob",
        "/strategy share text:\"A short walk after lunch clears my head.\" category:work",
    )
    .await;
    // It reached the log channel with its buttons.
    let log = h.sim.channel_messages(h.sim.channel_id("facilitators"));
    let card = log
        .iter()
        .find(|m| m.text().contains("tomorrow's three small jobs"))
        .expect("in the log channel")
        .clone();
    assert!(card.button("Approve").is_some() && card.button("Reject").is_some());
    // Nothing shows before approval.
    let browse = h
        .say("casey", "/strategy browse search:\"small jobs\"")
        .await;
    assert!(
        browse.text().contains("No strategies match"),
        "{}",
        browse.text()
    );
    // Approved from the log channel; Bob's rejected from /strategy review.
    let approved = h.click("facilitator", &card, "Approve").await;
    assert!(approved.text().contains("Approved"), "{}", approved.text());
    let review = h.say("facilitator", "/strategy review").await;
    assert!(review.text().contains("short walk"), "{}", review.text());
    let after = h.click("facilitator", &review, "Reject").await;
    assert!(
        after.text().contains("Nothing is waiting"),
        "{}",
        after.text()
    );

    let browse = h
        .say("casey", "/strategy browse search:\"small jobs\"")
        .await;
    let text = browse.text();
    assert!(
        text.contains("tomorrow's three small jobs") && text.contains("a member"),
        "{text}"
    );
    assert!(!text.contains("alice"), "anonymous: {text}");
    // Authors hear the outcome in /toolkit, once, without a DM.
    let alice_kit = h.say("alice", "/toolkit").await.text();
    assert!(alice_kit.contains("was approved"), "{alice_kit}");
    let bob_kit = h.say("bob", "/toolkit").await.text();
    assert!(bob_kit.contains("wasn't added"), "{bob_kit}");
    assert!(
        !h.say("bob", "/toolkit")
            .await
            .text()
            .contains("wasn't added")
    );
    assert!(h.sim.direct_messages(&h.member("alice")).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browse_pages_and_saves_to_a_toolkit_that_can_remove() {
    let h = Harness::start().await;
    let browse = h.say("alice", "/strategy browse category:grounding").await;
    assert_ephemeral(&browse);
    assert!(browse.text().contains("Strategy 1 of"), "{}", browse.text());
    assert!(browse.buttons().iter().any(|b| b.label == "Read more"));
    let second = h.click("alice", &browse, "Next").await;
    assert!(second.text().contains("Strategy 2 of"), "{}", second.text());
    let saved = h.click("alice", &second, "Save to my toolkit").await;
    assert!(saved.text().contains("Saved"), "{}", saved.text());
    let again = h.click("alice", &second, "Save to my toolkit").await;
    assert!(again.text().contains("already"), "{}", again.text());
    // A search stays with the pages.
    let search = h.say("alice", "/strategy browse search:breath").await;
    let next = h.click("alice", &search, "Next").await;
    assert!(next.text().contains("search: breath"), "{}", next.text());
    assert!(
        next.text().to_lowercase().contains("breath"),
        "{}",
        next.text()
    );

    let kit = h.say("alice", "/toolkit").await;
    assert!(
        kit.text().contains("Your toolkit") && kit.button("Remove 1").is_some(),
        "{}",
        kit.text()
    );
    let emptied = h.click("alice", &kit, "Remove 1").await;
    assert!(emptied.text().contains("empty"), "{}", emptied.text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn breathe_and_ground_step_to_the_end_or_stop() {
    let h = Harness::start().await;
    let intro = h.say("alice", "/breathe pattern:box").await;
    assert_ephemeral(&intro);
    assert!(
        intro.text().contains("Box breathing") && intro.text().contains("holds are optional"),
        "{}",
        intro.text()
    );
    let started = h.click("alice", &intro, "Start").await;
    let box_steps = [
        "Round 1 · Hold",
        "Round 1 · Breathe out",
        "Round 1 · Hold",
        "Round 2 · Breathe in",
        "Round 2 · Hold",
        "Round 2 · Breathe out",
        "Round 2 · Hold",
    ];
    let close = paced_to_the_end(&h, &started, "Round 1 · Breathe in", &box_steps, &[4; 8]).await;
    assert!(
        close.text().contains("/crisis") && close.text().contains("/toolkit"),
        "{}",
        close.text()
    );
    // Breathing can go round again, from its first breath, and stop at
    // any point: nothing moves on after Stop.
    let again = h.click("alice", &close, "Another round").await;
    assert!(
        again.text().contains("Round 1 · Breathe in"),
        "{}",
        again.text()
    );
    let stopped = h.click("alice", &again, "Stop").await;
    assert!(
        stopped.text().contains("Stopped") && stopped.buttons().is_empty(),
        "{}",
        stopped.text()
    );
    h.clock.advance(Duration::seconds(60));
    h.sim
        .settle(
            std::time::Duration::from_millis(300),
            std::time::Duration::from_secs(3),
        )
        .await;
    let after = h.sim.message(stopped.id).unwrap();
    assert!(after.text().contains("Stopped"), "{}", after.text());

    // The default needs no holding of the breath at all: in 4, out 6, and
    // nothing between.
    let gentle = h.say("alice", "/breathe").await;
    assert!(
        gentle.text().contains("Gentle breathing"),
        "{}",
        gentle.text()
    );
    let started = h.click("alice", &gentle, "Start").await;
    let gentle_steps = [
        "Round 1 · Breathe out",
        "Round 2 · Breathe in",
        "Round 2 · Breathe out",
        "Round 3 · Breathe in",
        "Round 3 · Breathe out",
    ];
    paced_to_the_end(
        &h,
        &started,
        "Round 1 · Breathe in",
        &gentle_steps,
        &[4, 6, 4, 6, 4, 6],
    )
    .await;

    let ground = h.say("bob", "/ground").await;
    let five = h.click("bob", &ground, "Next").await;
    assert!(
        five.text().contains("5 things you can see"),
        "{}",
        five.text()
    );
    assert!(five.button("Stop").is_some());
    let stopped = h.click("bob", &five, "Stop").await;
    assert!(
        stopped.text().contains("Stopped") && stopped.buttons().is_empty(),
        "{}",
        stopped.text()
    );
}

/// A paced exercise shown at `first` moves on to each of `then` exactly
/// when the step before has lasted its `seconds` on the clock (a moment
/// before, it has not), and ends on the close, which is returned.
async fn paced_to_the_end(
    h: &Harness,
    started: &SimMessage,
    first: &str,
    then: &[&str],
    seconds: &[i64],
) -> SimMessage {
    assert!(started.text().contains(first), "{}", started.text());
    assert_eq!(
        started.buttons().len(),
        2,
        "only Stop and Restart while it runs"
    );
    assert!(started.button("Stop").is_some() && started.button("Restart").is_some());
    assert!(started.text().contains("moves on by itself"));
    let mut showing = first.to_owned();
    let next = then
        .iter()
        .map(|s| s.to_string())
        .chain(["Thank you".to_owned()]);
    for (heading, secs) in next.zip(seconds) {
        h.clock.advance(Duration::seconds(secs - 1));
        h.sim
            .settle(
                std::time::Duration::from_millis(200),
                std::time::Duration::from_secs(2),
            )
            .await;
        let early = h.sim.message(started.id).unwrap();
        assert!(
            early.text().contains(&showing),
            "moved on early from {showing}: {}",
            early.text()
        );
        h.clock.advance(Duration::seconds(1));
        let moved = h
            .sim
            .wait_for_message_where(started.id, std::time::Duration::from_secs(10), |m| {
                m.text().contains(&heading)
            })
            .await
            .unwrap();
        assert!(
            moved.text().contains(&heading),
            "{heading}: {}",
            moved.text()
        );
        showing = heading;
    }
    let close = h.sim.message(started.id).unwrap();
    assert!(close.text().contains("Thank you"), "{}", close.text());
    close
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn privacy_covers_the_toolkit_and_shared_strategies() {
    let h = Harness::start().await;
    as_facilitator(&h).await;
    let browse = h.say("alice", "/strategy browse category:sleep").await;
    h.click("alice", &browse, "Save to my toolkit").await;
    h.say(
        "alice",
        "/strategy share text:\"I keep a glass of water and a notebook by the bed.\" category:sleep",
    )
    .await;
    h.say(
        "alice",
        "/strategy share text:\"Warm feet help me settle.\" category:sleep",
    )
    .await;
    let card = h
        .sim
        .channel_messages(h.sim.channel_id("facilitators"))
        .into_iter()
        .find(|m| m.text().contains("glass of water"))
        .unwrap();
    h.click("facilitator", &card, "Approve").await;

    let shown = h.say("alice", "/privacy show").await.text();
    assert!(
        shown.contains("1 saved strategies") && shown.contains("glass of water"),
        "{shown}"
    );
    let export = h.say("alice", "/privacy export").await;
    let json: serde_json::Value = serde_json::from_slice(&export.attachments[0].bytes).unwrap();
    assert_eq!(json["data"]["toolkit"].as_array().unwrap().len(), 1);
    assert_eq!(
        json["data"]["shared_strategies"].as_array().unwrap().len(),
        2
    );

    let forget = h.say("alice", "/privacy forget").await;
    h.click("alice", &forget, "Delete my data").await;
    let db = h.db().await;
    let alice = haven::domain::UserId(h.member("alice").id);
    let data = db.member_data(alice).await.unwrap();
    assert!(data.toolkit.is_empty() && data.shared_strategies.is_empty());
    // The approved one stays with the group, from "a member".
    let browse = h
        .say("bob", "/strategy browse search:\"glass of water\"")
        .await
        .text();
    assert!(
        browse.contains("a member") && !browse.contains("alice"),
        "{browse}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rescheduling_never_stalls_a_schedule_nor_posts_a_day_twice() {
    let h = Harness::start().await; // Tuesday 9 March 2027, 12:00 UTC
    as_facilitator(&h).await;
    let count = |h: &Harness| prompt_posts(h, "meetings").len();
    h.say(
        "facilitator",
        "/prompt schedule channel:#meetings time:12:30 timezone:UTC",
    )
    .await;
    h.advance(Duration::minutes(40)).await; // posted at 12:30
    assert_eq!(count(&h), 1);
    // Unscheduled and scheduled again later the same day: today is done,
    // tomorrow comes at the new time.
    h.say("facilitator", "/prompt unschedule channel:#meetings")
        .await;
    let reply = h
        .say(
            "facilitator",
            "/prompt schedule channel:#meetings time:14:00 timezone:UTC",
        )
        .await
        .text();
    let tomorrow = Utc
        .with_ymd_and_hms(2027, 3, 10, 14, 0, 0)
        .unwrap()
        .timestamp();
    assert!(reply.contains(&format!("<t:{tomorrow}:F>")), "{reply}");
    h.advance(Duration::hours(3)).await;
    assert_eq!(count(&h), 1, "not twice on one day");
    h.advance(Duration::days(1)).await;
    assert_eq!(count(&h), 2, "and not stalled");
    // Replaced before its time: the day is posted once, at the new time.
    h.say(
        "facilitator",
        "/prompt schedule channel:#meetings time:16:00 timezone:UTC",
    )
    .await;
    h.clock
        .advance_to(Utc.with_ymd_and_hms(2027, 3, 11, 13, 0, 0).unwrap());
    h.say(
        "facilitator",
        "/prompt schedule channel:#meetings time:18:00 timezone:UTC",
    )
    .await;
    h.advance(Duration::hours(4)).await; // 17:00
    assert_eq!(count(&h), 2, "not at the replaced 14:00 or 16:00");
    h.advance(Duration::hours(2)).await; // 19:00
    assert_eq!(count(&h), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_cannot_decide_and_forget_clears_the_log_card() {
    let h = Harness::start().await;
    as_facilitator(&h).await;
    h.say(
        "alice",
        "/strategy share text:\"Naming five blue things calms me down.\" category:grounding",
    )
    .await;
    let card = h
        .sim
        .channel_messages(h.sim.channel_id("facilitators"))
        .into_iter()
        .find(|m| m.text().contains("five blue things"))
        .unwrap();
    assert!(
        card.text().contains("alice"),
        "credited by name: {}",
        card.text()
    );
    let refused = h.click("bob", &card, "Approve").await;
    assert!(
        refused.text().contains("Only facilitators"),
        "{}",
        refused.text()
    );
    let forget = h.say("alice", "/privacy forget").await;
    h.click("alice", &forget, "Delete my data").await;
    let card = h
        .sim
        .wait_for_message_where(card.id, std::time::Duration::from_secs(5), |m| {
            m.text().contains("asked Haven to forget")
        })
        .await
        .unwrap();
    let text = card.text();
    assert!(
        !text.contains("alice") && !text.contains("five blue things") && card.buttons().is_empty(),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn masked_links_in_member_texts_are_shown_as_typed() {
    let h = Harness::start().await;
    as_facilitator(&h).await;
    // A link hidden behind words would render as a link in an embed: it is
    // shown as the characters typed, brackets escaped.
    let shown = r"\[this page\](https://evil.example)";
    h.say(
        "alice",
        "/strategy share text:\"Breathe out slowly, then read [this page](https://evil.example).\" category:sleep",
    )
    .await;
    let card = h
        .sim
        .channel_messages(h.sim.channel_id("facilitators"))
        .into_iter()
        .find(|m| m.text().contains("Breathe out slowly"))
        .expect("in the log channel");
    assert!(card.text().contains(shown), "{}", card.text());
    assert!(!card.text().contains("[this page]("), "{}", card.text());
    h.click("facilitator", &card, "Approve").await;
    let browse = h
        .say("casey", "/strategy browse search:\"breathe slowly\"")
        .await;
    assert!(browse.text().contains(shown), "{}", browse.text());

    let added = h
        .say(
            "facilitator",
            "/prompt add text:\"What helps? [Tell us here](https://evil.example)\" category:grief",
        )
        .await;
    assert!(
        added
            .text()
            .contains(r"\[Tell us here\](https://evil.example)"),
        "{}",
        added.text()
    );
}
