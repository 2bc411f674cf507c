//! Store tests on real SQLite files.

mod backend;

use chrono::{Duration, TimeZone, Utc};
use chrono_tz::Tz;
use haven::domain::settings::{GuildSettings, MinGroupSize};
use haven::domain::{ChannelId, GuildId, RoleId, UserId};
use haven::store::Db;

use backend::{sqlite_url, url};

fn t0() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2027, 3, 9, 12, 0, 0).unwrap()
}

#[tokio::test]
async fn migrates_an_empty_file_and_reopens() {
    let dir = tempfile::tempdir().unwrap();
    assert!(!dir.path().join("haven.db").exists());
    let db = Db::open(&sqlite_url(&dir)).await.unwrap();
    db.set_min_group_size(GuildId(1), MinGroupSize::new(9).unwrap(), t0())
        .await
        .unwrap();
    db.close().await;
    assert!(dir.path().join("haven.db").exists());

    // Opening again applies nothing twice and keeps the data.
    let db = Db::open(&sqlite_url(&dir)).await.unwrap();
    assert_eq!(
        db.guild_settings(GuildId(1))
            .await
            .unwrap()
            .min_group_size
            .get(),
        9
    );

    let pool = sqlx::SqlitePool::connect(&sqlite_url(&dir)).await.unwrap();
    let tables: Vec<String> =
        sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(
        tables,
        [
            "_sqlx_migrations",
            "attendance_counts",
            "attendance_optouts",
            "attendance_presence",
            "attendance_salts",
            "cw_posts",
            "event_mirrors",
            "facilitator_dm_notices",
            "guidelines",
            "guild_settings",
            "hidden_prompts",
            "jobs",
            "journal_entries",
            "journal_members",
            "kept_events",
            "meeting_dms",
            "meeting_events",
            "meeting_skips",
            "meetings",
            "member_prefs",
            "mod_case_amendments",
            "mod_case_numbers",
            "mod_cases",
            "mod_locks",
            "mod_log_cleanup",
            "mod_notes",
            "mod_report_copies",
            "mod_report_drafts",
            "mod_reports",
            "mod_slowmodes",
            "mod_tempbans",
            "prompt_rotations",
            "prompt_schedules",
            "round_answers",
            "rounds",
            "rsvps",
            "sensitive_categories",
            "server_prompts",
            "shared_strategies",
            "stats_people",
            "stats_period_people",
            "stats_periods",
            "stats_rounds",
            "toolkit",
            "web_logins",
            "web_sessions"
        ]
    );
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(mode, "wal");
}

/// During a rolling deploy, or after a rollback, an older binary opens a
/// database that a newer version has migrated further: it starts, and its
/// data is as it was.
#[tokio::test]
async fn a_database_migrated_by_a_newer_version_still_opens() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&sqlite_url(&dir)).await.unwrap();
    db.set_min_group_size(GuildId(1), MinGroupSize::new(7).unwrap(), t0())
        .await
        .unwrap();
    db.close().await;
    backend::execute(
        &sqlite_url(&dir),
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
         VALUES (99990101000000, 'added by a newer version', 1, X'00', 0)",
    )
    .await
    .unwrap();
    backend::execute(
        &sqlite_url(&dir),
        "CREATE TABLE from_a_newer_version (id INTEGER PRIMARY KEY)",
    )
    .await
    .unwrap();
    let db = Db::open(&sqlite_url(&dir))
        .await
        .expect("an unknown, later migration does not stop this version");
    assert_eq!(
        db.guild_settings(GuildId(1))
            .await
            .unwrap()
            .min_group_size
            .get(),
        7
    );
}

#[tokio::test]
async fn a_server_that_changed_nothing_has_the_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&url(&dir).await).await.unwrap();
    let settings = db.guild_settings(GuildId(42)).await.unwrap();
    assert_eq!(settings, GuildSettings::default());
    assert_eq!(settings.min_group_size.get(), 5);
}

#[tokio::test]
async fn each_setting_changes_alone() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&url(&dir).await).await.unwrap();
    let g = GuildId(1_300_000_000_000_000_001);
    db.set_facilitator_role(g, RoleId(1_600_000_000_000_000_001), t0())
        .await
        .unwrap();
    db.set_guild_timezone(g, Tz::America__New_York, t0())
        .await
        .unwrap();
    db.set_log_channel(g, ChannelId(1_400_000_000_000_000_002), t0())
        .await
        .unwrap();
    db.set_min_group_size(g, MinGroupSize::new(7).unwrap(), t0())
        .await
        .unwrap();
    db.set_guild_timezone(g, Tz::Europe__Berlin, t0() + Duration::hours(1))
        .await
        .unwrap();

    let settings = db.guild_settings(g).await.unwrap();
    assert_eq!(
        settings,
        GuildSettings {
            facilitator_role: Some(RoleId(1_600_000_000_000_000_001)),
            timezone: Some(Tz::Europe__Berlin),
            log_channel: Some(ChannelId(1_400_000_000_000_000_002)),
            min_group_size: MinGroupSize::new(7).unwrap(),
            attend_minutes: None,
        }
    );
    db.set_attend_minutes(g, 20, t0()).await.unwrap();
    assert_eq!(db.guild_settings(g).await.unwrap().attend_minutes, Some(20));
    db.clear_setting(g, haven::domain::settings::Setting::AttendMinutes, t0())
        .await
        .unwrap();
    assert_eq!(db.guild_settings(g).await.unwrap().attend_minutes, None);
    // Another server is untouched.
    assert_eq!(
        db.guild_settings(GuildId(2)).await.unwrap(),
        GuildSettings::default()
    );
}

#[tokio::test]
async fn the_database_refuses_an_out_of_range_group_size() {
    let dir = tempfile::tempdir().unwrap();
    let url = url(&dir).await;
    let db = Db::open(&url).await.unwrap();
    db.close().await;
    let result = backend::execute(&url, "INSERT INTO guild_settings (guild_id, min_group_size, updated_at) VALUES (1, 2, '2027-01-01T00:00:00Z')").await;
    assert!(result.is_err(), "the CHECK constraint holds");
}

#[tokio::test]
async fn member_time_zones() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&url(&dir).await).await.unwrap();
    let alice = UserId(1_500_000_000_000_000_003);
    assert_eq!(db.member_timezone(alice).await.unwrap(), None);
    assert!(!db.clear_member_timezone(alice).await.unwrap());

    db.set_member_timezone(alice, Tz::Asia__Kolkata, t0())
        .await
        .unwrap();
    db.set_member_timezone(alice, Tz::Australia__Lord_Howe, t0() + Duration::days(1))
        .await
        .unwrap();
    assert_eq!(
        db.member_timezone(alice).await.unwrap(),
        Some(Tz::Australia__Lord_Howe)
    );

    let data = db.member_data(alice).await.unwrap();
    let zone = data.timezone.expect("listed");
    assert_eq!(zone.zone, "Australia/Lord_Howe");
    assert_eq!(zone.set_at, t0() + Duration::days(1));

    assert!(db.clear_member_timezone(alice).await.unwrap());
    assert_eq!(db.member_timezone(alice).await.unwrap(), None);
    assert!(db.member_data(alice).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_zone_the_zone_database_no_longer_knows_reads_as_unset() {
    let dir = tempfile::tempdir().unwrap();
    let url = url(&dir).await;
    let db = Db::open(&url).await.unwrap();
    backend::execute(&url, "INSERT INTO member_prefs (user_id, timezone, updated_at) VALUES (7, 'Atlantis/Capital', '2027-01-01T00:00:00Z')")
        .await
        .unwrap();
    assert_eq!(db.member_timezone(UserId(7)).await.unwrap(), None);
}

/// Both databases hold the same tables with the same columns (PostgreSQL's
/// schema is written by hand beside SQLite's migrations).
#[tokio::test]
async fn the_postgres_schema_matches_sqlites() {
    if std::env::var("HAVEN_TEST_POSTGRES").map_or(true, |v| v.trim().is_empty()) {
        return;
    }
    let lite_dir = tempfile::tempdir().unwrap();
    Db::open(&sqlite_url(&lite_dir))
        .await
        .unwrap()
        .close()
        .await;
    let pool = sqlx::SqlitePool::connect(&sqlite_url(&lite_dir))
        .await
        .unwrap();
    let mut lite: Vec<(String, String)> = sqlx::query_as(
        "SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p
         WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name != '_sqlx_migrations'",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let pg_dir = tempfile::tempdir().unwrap();
    let pg_url = url(&pg_dir).await;
    Db::open(&pg_url).await.unwrap().close().await;
    let pg = sqlx::PgPool::connect(&pg_url).await.unwrap();
    let mut post: Vec<(String, String)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text FROM information_schema.columns
         WHERE table_schema = 'public' AND table_name != '_sqlx_migrations'",
    )
    .fetch_all(&pg)
    .await
    .unwrap();
    lite.sort();
    post.sort();
    assert!(!lite.is_empty());
    assert_eq!(lite, post);

    // The same indexes by name, with the same uniqueness (those a table's
    // own UNIQUE or PRIMARY KEY makes are named by each database).
    let mut lite: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT m.tbl_name, m.name, il.\"unique\" FROM sqlite_master m, pragma_index_list(m.tbl_name) il
         WHERE m.type = 'index' AND m.name NOT LIKE 'sqlite_autoindex%' AND il.name = m.name",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let mut post: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT t.relname::text, i.relname::text, CASE WHEN x.indisunique THEN 1 ELSE 0 END::bigint
         FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
         JOIN pg_namespace n ON n.oid = t.relnamespace
         WHERE n.nspname = 'public' AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)
           AND t.relname != '_sqlx_migrations'",
    )
    .fetch_all(&pg)
    .await
    .unwrap();
    lite.sort();
    post.sort();
    assert!(!lite.is_empty());
    assert_eq!(lite, post);
}

#[tokio::test]
async fn forget_deletes_only_that_member_and_empties_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&url(&dir).await).await.unwrap();
    let alice = UserId(1_500_000_000_000_000_003);
    let bob = UserId(1_500_000_000_000_000_004);
    db.set_member_timezone(alice, Tz::Europe__Berlin, t0())
        .await
        .unwrap();
    db.set_member_timezone(bob, Tz::Asia__Tokyo, t0())
        .await
        .unwrap();

    assert_eq!(db.forget_member(alice).await.unwrap(), (1, true));
    assert!(db.member_data(alice).await.unwrap().is_empty());
    assert_eq!(
        db.member_timezone(bob).await.unwrap(),
        Some(Tz::Asia__Tokyo)
    );
    assert_eq!(
        db.forget_member(alice).await.unwrap(),
        (0, true),
        "forgetting twice is harmless"
    );

    let wal = dir.path().join("haven.db-wal");
    let wal_len = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
    assert_eq!(wal_len, 0, "the write-ahead log was truncated");
}

fn new_meeting(title: &str) -> haven::store::NewMeeting {
    haven::store::NewMeeting {
        guild: GuildId(1),
        channel: ChannelId(2),
        title: title.into(),
        schedule: haven::domain::recurrence::Schedule {
            zone: Tz::UTC,
            start: chrono::NaiveDate::from_ymd_opt(2027, 3, 9)
                .unwrap()
                .and_hms_opt(19, 0, 0)
                .unwrap(),
            repeat: haven::domain::recurrence::Repeat::Weekly,
            skips: Default::default(),
        },
        duration: Duration::minutes(60),
        reminders: haven::domain::reminders::Offsets::parse("1h,10m").unwrap(),
        mention_role: None,
        location: None,
    }
}

#[tokio::test]
async fn replanning_never_deletes_a_job_being_sent_and_a_retry_keeps_its_time() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&url(&dir).await).await.unwrap();
    let m = db
        .create_meeting(&new_meeting("Circle"), t0())
        .await
        .unwrap();
    db.replan_meeting(m.id, t0()).await.unwrap();
    let due = Utc.with_ymd_and_hms(2027, 3, 9, 18, 0, 0).unwrap();
    let claimed = db.claim_due_jobs(due, 10).await.unwrap();
    assert_eq!(claimed.len(), 1, "the 1h reminder");
    // An edit re-plans while that reminder is being sent.
    db.replan_meeting(m.id, due).await.unwrap();
    assert_eq!(db.claimed_job_count().await.unwrap(), 1, "still there");
    // It fails and is put back: tried later, planned for the same time.
    let retry = due + Duration::minutes(1);
    db.release_job(claimed[0].id, retry).await.unwrap();
    let again = db.claim_due_jobs(retry, 10).await.unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].due, retry);
    assert_eq!(again[0].planned, due, "the grace period counts from here");
}

#[tokio::test]
async fn an_edit_writes_only_what_it_changes() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&url(&dir).await).await.unwrap();
    let m = db
        .create_meeting(&new_meeting("Circle"), t0())
        .await
        .unwrap();
    // The scheduler records the announcement while an edit is being made
    // from a copy read before it.
    db.set_announcement(m.id, 99).await.unwrap();
    let edited = db
        .edit_meeting(
            m.id,
            &haven::store::MeetingEdit {
                title: Some("Renamed".into()),
                mention_role: Some(Some(RoleId(7))),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(edited.title, "Renamed");
    assert_eq!(edited.announcement, Some(99), "not overwritten");
    assert_eq!(edited.mention_role, Some(RoleId(7)));
    assert_eq!(edited.duration, Duration::minutes(60));
    let cleared = db
        .edit_meeting(
            m.id,
            &haven::store::MeetingEdit {
                mention_role: Some(None),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(cleared.mention_role, None);
    assert_eq!(cleared.title, "Renamed");
}

#[tokio::test]
async fn answers_are_deleted_once_their_occurrence_is_over() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&url(&dir).await).await.unwrap();
    let m = db
        .create_meeting(&new_meeting("Circle"), t0())
        .await
        .unwrap();
    let first = Utc.with_ymd_and_hms(2027, 3, 9, 19, 0, 0).unwrap();
    let second = first + Duration::weeks(1);
    use haven::domain::meeting::RsvpAnswer::{Going, No};
    db.set_rsvp(m.id, first, UserId(1), Going, t0())
        .await
        .unwrap();
    db.set_rsvp(m.id, first, UserId(2), No, t0()).await.unwrap();
    db.set_rsvp(m.id, second, UserId(1), Going, t0())
        .await
        .unwrap();
    let going = db.past_going(m.id, first).await.unwrap();
    assert_eq!(going, vec![(first, UserId(1))], "only who said going");
    assert_eq!(
        db.past_going(m.id, first).await.unwrap(),
        going,
        "reading them deletes nothing: a failed count is tried again"
    );
    assert_eq!(db.delete_past_rsvps(m.id, first).await.unwrap(), 2);
    assert!(db.member_data(UserId(2)).await.unwrap().rsvps.is_empty());
    assert_eq!(db.member_data(UserId(1)).await.unwrap().rsvps.len(), 1);
}

#[tokio::test]
async fn a_prompt_posting_already_done_is_not_planned_again() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&url(&dir).await).await.unwrap();
    let channel = ChannelId(5);
    let day = chrono::NaiveDate::from_ymd_opt(2027, 3, 9).unwrap();
    let at = Utc.with_ymd_and_hms(2027, 3, 9, 12, 30, 0).unwrap();
    assert!(db.add_prompt_job(channel, day, at).await.unwrap());
    let claimed = db.claim_due_jobs(at, 10).await.unwrap();
    assert_eq!(claimed.len(), 1);
    db.finish_job(claimed[0].id, false).await.unwrap();
    let later = Utc.with_ymd_and_hms(2027, 3, 9, 14, 0, 0).unwrap();
    assert!(
        !db.add_prompt_job(channel, day, later).await.unwrap(),
        "done stays done"
    );
    // A skipped one is planned again at the new time.
    let next = day.succ_opt().unwrap();
    let next_at = at + Duration::days(1);
    assert!(db.add_prompt_job(channel, next, next_at).await.unwrap());
    let claimed = db.claim_due_jobs(next_at, 10).await.unwrap();
    db.finish_job(claimed[0].id, true).await.unwrap();
    assert!(
        db.add_prompt_job(channel, next, next_at + Duration::hours(2))
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn doing_the_same_thing_twice_keeps_one_of_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&url(&dir).await).await.unwrap();
    let alice = UserId(1_500_000_000_000_000_003);
    let m = db
        .create_meeting(&new_meeting("Circle"), t0())
        .await
        .unwrap();

    assert!(db.save_to_toolkit(alice, "stress-03", t0()).await.unwrap());
    assert!(!db.save_to_toolkit(alice, "stress-03", t0()).await.unwrap());
    assert_eq!(db.toolkit(alice).await.unwrap(), ["stress-03"]);
    // The export says what was saved, not only its key.
    let saved = &db.member_data(alice).await.unwrap().toolkit[0];
    let built_in = haven::domain::library::strategy("stress-03").unwrap();
    assert_eq!(saved.key, "stress-03");
    assert_eq!(saved.text.as_deref(), Some(built_in.text.as_str()));
    assert_eq!(saved.title.as_deref(), Some(built_in.title.as_str()));
    assert_eq!(saved.category.as_deref(), Some("Stress"));

    assert!(db.set_meeting_dm(m.id, alice, true).await.unwrap());
    assert!(!db.set_meeting_dm(m.id, alice, true).await.unwrap());
    assert_eq!(db.meeting_dm_subscribers(m.id).await.unwrap(), [alice]);
    assert!(db.gets_meeting_dms(m.id, alice).await.unwrap());
    assert!(
        !db.gets_meeting_dms(m.id, UserId(alice.0 + 1))
            .await
            .unwrap()
    );

    for _ in 0..2 {
        db.set_dm_notices(GuildId(1), alice, true).await.unwrap();
        db.set_prompt_hidden(GuildId(1), "connection-04", true)
            .await
            .unwrap();
        db.skip_occurrence(m.id, chrono::NaiveDate::from_ymd_opt(2027, 3, 16).unwrap())
            .await
            .unwrap();
        db.ensure_purge_job(t0()).await.unwrap();
    }
    assert_eq!(
        db.dm_notice_facilitators(GuildId(1)).await.unwrap(),
        [alice]
    );
    assert_eq!(db.hidden_prompts(GuildId(1)).await.unwrap().len(), 1);

    // A meeting has one event: a second created at the same moment loses.
    let shown = haven::store::MeetingEvent {
        event: 77,
        occurrence: t0(),
        sent: Some(-5),
        sending: None,
        by_hand: false,
    };
    assert!(db.claim_meeting_event(m.id, shown).await.unwrap());
    assert!(
        !db.claim_meeting_event(m.id, haven::store::MeetingEvent { event: 78, ..shown })
            .await
            .unwrap()
    );
    assert_eq!(db.meeting_event(m.id).await.unwrap(), Some(shown));
    assert!(db.set_events_mirrored(GuildId(1), true).await.unwrap());
    assert!(!db.set_events_mirrored(GuildId(1), true).await.unwrap());
    assert!(db.events_mirrored(GuildId(1)).await.unwrap());
    assert!(!db.events_mirrored(GuildId(2)).await.unwrap());
    db.forget_event(m.id, 78).await.unwrap();
    assert_eq!(
        db.meeting_event(m.id).await.unwrap(),
        Some(shown),
        "only the event it names"
    );
    // Moved with what was sent; once changed by hand, Haven no longer moves it.
    let later = t0() + chrono::Duration::days(7);
    assert!(db.move_meeting_event(m.id, 77, later, 9).await.unwrap());
    assert_eq!(
        db.meeting_event(m.id).await.unwrap(),
        Some(haven::store::MeetingEvent {
            occurrence: later,
            sent: Some(9),
            ..shown
        })
    );
    assert!(
        db.meetings_without_event(GuildId(1))
            .await
            .unwrap()
            .is_empty()
    );
    db.keep_event_by_hand(m.id, 77).await.unwrap();
    assert!(!db.move_meeting_event(m.id, 77, t0(), 10).await.unwrap());
    let kept = db.meeting_event(m.id).await.unwrap().unwrap();
    assert!(kept.by_hand && kept.occurrence == later && kept.sent == Some(9));
    // Let go once its time passed: no longer the meeting's, never adopted,
    // and forgotten once Discord no longer lists it open.
    db.release_kept_event(m.id, 77).await.unwrap();
    assert_eq!(db.meeting_event(m.id).await.unwrap(), None);
    assert_eq!(db.kept_events(m.id, &[77, 5]).await.unwrap(), [77]);
    assert_eq!(db.kept_events(m.id, &[5]).await.unwrap(), Vec::<u64>::new());
    assert_eq!(
        db.kept_events(m.id, &[77]).await.unwrap(),
        Vec::<u64>::new()
    );
    assert!(db.claim_meeting_event(m.id, shown).await.unwrap());
    db.forget_event(m.id, shown.event).await.unwrap();
    assert_eq!(db.meeting_event(m.id).await.unwrap(), None);

    // Marking a category sensitive twice is once; each server its own.
    use haven::domain::library::Category;
    assert!(
        db.set_category_sensitive(GuildId(1), Category::Sleep, true)
            .await
            .unwrap()
    );
    assert!(
        !db.set_category_sensitive(GuildId(1), Category::Sleep, true)
            .await
            .unwrap()
    );
    let marked = db.sensitive_categories(GuildId(1)).await.unwrap();
    assert!(marked.marked(Category::Sleep) && !marked.marked(Category::Work));
    assert!(
        !db.sensitive_categories(GuildId(2))
            .await
            .unwrap()
            .marked(Category::Sleep)
    );
    assert!(
        db.set_category_sensitive(GuildId(1), Category::Sleep, false)
            .await
            .unwrap()
    );
    assert!(
        !db.set_category_sensitive(GuildId(1), Category::Sleep, false)
            .await
            .unwrap()
    );
    assert!(
        !db.sensitive_categories(GuildId(1))
            .await
            .unwrap()
            .marked(Category::Sleep)
    );
    let skips = db.meeting(m.id).await.unwrap().unwrap().schedule.skips;
    assert_eq!(skips.len(), 1);
    assert_eq!(
        db.claim_due_jobs(t0(), 10).await.unwrap().len(),
        1,
        "one purge a day"
    );
}

#[tokio::test]
async fn meeting_search_ignores_case_and_takes_wildcards_as_typed() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&url(&dir).await).await.unwrap();
    let mut ids = Vec::new();
    for title in ["Tuesday Circle", "100% Honest Hour", "Evening_Check-in"] {
        ids.push(
            db.create_meeting(&new_meeting(title), t0())
                .await
                .unwrap()
                .id,
        );
    }
    let found = |text: &'static str| {
        let db = db.clone();
        async move {
            db.search_meetings(GuildId(1), text, 25)
                .await
                .unwrap()
                .into_iter()
                .map(|(_, title)| title)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(found("tuesday").await, ["Tuesday Circle"]);
    assert_eq!(found("CIRCLE").await, ["Tuesday Circle"]);
    assert_eq!(found("%").await, ["100% Honest Hour"]);
    assert_eq!(found("g_c").await, ["Evening_Check-in"]);
    assert!(found("y_c").await.is_empty(), "not \"Tuesday Circle\"");
    assert_eq!(found("").await.len(), 3, "newest first");
    let by_id = format!("#{}", ids[0].0);
    assert_eq!(
        db.search_meetings(GuildId(1), &by_id, 25).await.unwrap(),
        [(ids[0], "Tuesday Circle".to_owned())]
    );
    assert!(db.end_meeting(ids[0]).await.unwrap());
    assert!(
        found("tuesday").await.is_empty(),
        "an ended series is left out"
    );
    assert!(
        db.search_meetings(GuildId(2), "", 25)
            .await
            .unwrap()
            .is_empty()
    );
}

/// A rotation moves only from the state it is in: a failed post gives its
/// prompt back only if nothing was drawn since.
#[tokio::test]
async fn a_rotation_moves_only_from_what_was_read() {
    use haven::domain::rotation::Rotation;
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&url(&dir).await).await.unwrap();
    let g = GuildId(1);
    let step = |from: &Rotation, key: &str| {
        let mut to = from.clone();
        to.used.insert(key.to_owned());
        to.last = Some(key.to_owned());
        to
    };
    let empty = db.rotation(g, "all").await.unwrap();
    assert_eq!(empty, Rotation::default());
    let first = step(&empty, "a");
    assert!(db.swap_rotation(g, "all", &empty, &first).await.unwrap());
    assert!(
        !db.swap_rotation(g, "all", &empty, &step(&empty, "a"))
            .await
            .unwrap(),
        "the second post read the rotation before the first moved it"
    );
    assert_eq!(db.rotation(g, "all").await.unwrap(), first);
    let second = step(&first, "b");
    assert!(db.swap_rotation(g, "all", &first, &second).await.unwrap());
    // A failed post gives its prompt back only if nothing moved since.
    assert!(!db.swap_rotation(g, "all", &first, &empty).await.unwrap());
    assert!(db.swap_rotation(g, "all", &second, &first).await.unwrap());
    assert_eq!(db.rotation(g, "all").await.unwrap(), first);
    assert_eq!(
        db.rotation(g, "sleep").await.unwrap(),
        Rotation::default(),
        "each pool has its own"
    );
}

/// Posts taking prompts from one server's rotation at the same moment
/// each take a different one.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn posts_at_the_same_moment_take_different_prompts() {
    let dir = tempfile::tempdir().unwrap();
    let url = url(&dir).await;
    let eligible: Vec<String> = (0..12).map(|i| format!("p{i}")).collect();
    let mut posts = Vec::new();
    for _ in 0..12 {
        let db = Db::open(&url).await.unwrap();
        let eligible = eligible.clone();
        posts.push(tokio::spawn(async move {
            let (pick, _, _) = db
                .take_from_rotation(GuildId(1), "all", &eligible)
                .await
                .unwrap()
                .unwrap();
            pick
        }));
    }
    let mut picks = Vec::new();
    for post in posts {
        picks.push(post.await.unwrap());
    }
    picks.sort();
    picks.dedup();
    assert_eq!(picks.len(), 12, "no prompt taken twice");
    let db = Db::open(&url).await.unwrap();
    assert_eq!(db.rotation(GuildId(1), "all").await.unwrap().used.len(), 12);
    assert_eq!(
        db.take_from_rotation(GuildId(1), "all", &[]).await.unwrap(),
        None,
        "an empty pool has nothing to take"
    );
}

#[tokio::test]
async fn approved_strategies_are_found_by_category_and_every_word() {
    use haven::domain::library::Category;
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&url(&dir).await).await.unwrap();
    let g = GuildId(1);
    let mut shared = Vec::new();
    for (category, text) in [
        (Category::Sleep, "Slow Breathing before bed"),
        (Category::Stress, "Slow breathing at the desk"),
        (Category::Sleep, "A slow walk, then breathing"),
        (Category::Sleep, "Breathing, fast"),
        (Category::Sleep, "Slow breathing, waiting still"),
    ] {
        let s = db
            .share_strategy(g, UserId(5), category, text, None, t0())
            .await
            .unwrap();
        shared.push(s);
    }
    for s in &shared[..4] {
        db.decide_strategy(g, s.id, true, t0()).await.unwrap();
    }
    let words = ["slow".to_owned(), "breathing".to_owned()];

    let (count, newest) = db
        .approved_strategy_at(g, Some(Category::Sleep), &words, 0)
        .await
        .unwrap();
    assert_eq!(
        count, 2,
        "not the desk, not the fast one, not the waiting one"
    );
    assert_eq!(newest.unwrap().id, shared[2].id);
    let (_, older) = db
        .approved_strategy_at(g, Some(Category::Sleep), &words, 1)
        .await
        .unwrap();
    assert_eq!(older.unwrap().id, shared[0].id);
    assert_eq!(
        db.approved_strategy_at(g, Some(Category::Sleep), &words, 2)
            .await
            .unwrap(),
        (2, None)
    );

    let (any_category, _) = db.approved_strategy_at(g, None, &words, 0).await.unwrap();
    assert_eq!(any_category, 3);
    let (no_words, _) = db
        .approved_strategy_at(g, Some(Category::Sleep), &[], 0)
        .await
        .unwrap();
    assert_eq!(no_words, 3);
    let (elsewhere, _) = db
        .approved_strategy_at(GuildId(2), None, &[], 0)
        .await
        .unwrap();
    assert_eq!(elsewhere, 0);
}

#[tokio::test]
async fn no_period_asked_for_reads_no_counts() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&url(&dir).await).await.unwrap();
    assert!(db.period_people(GuildId(1), &[]).await.unwrap().is_empty());
}

mod moderation {
    use super::*;
    use haven::domain::jobs::JobKind;
    use haven::domain::moderation::{CaseKind, NO_REASON, Overwrite, ReportKind, ReportStatus};
    use haven::store::{Filing, NewCase, ReportForm, SavedLock};

    fn case(kind: CaseKind, target: u64, at: chrono::DateTime<Utc>) -> NewCase {
        NewCase {
            kind,
            moderator: UserId(9),
            target: Some(UserId(target)),
            channel: None,
            reason: NO_REASON.into(),
            at,
            until: None,
        }
    }

    #[tokio::test]
    async fn cases_are_numbered_per_server_and_never_reused() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&url(&dir).await).await.unwrap();
        let a = db
            .add_case(GuildId(1), case(CaseKind::Warn, 5, t0()))
            .await
            .unwrap();
        let b = db
            .add_case(GuildId(1), case(CaseKind::Timeout, 5, t0()))
            .await
            .unwrap();
        let other = db
            .add_case(GuildId(2), case(CaseKind::Kick, 5, t0()))
            .await
            .unwrap();
        assert_eq!((a.number, b.number, other.number), (1, 2, 1));
        assert_eq!(db.case(GuildId(1), 2).await.unwrap(), Some(b.clone()));
        assert_eq!(db.case(GuildId(2), 2).await.unwrap(), None);

        let fixed = db
            .amend_case(GuildId(1), 1, "Shared a member's story", UserId(8), t0())
            .await
            .unwrap()
            .unwrap();
        let again = db
            .amend_case(GuildId(1), 1, "Shared a story in #general", UserId(9), t0())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(fixed.current_reason(), "Shared a member's story");
        assert_eq!(again.current_reason(), "Shared a story in #general");
        assert_eq!(again.reason, a.reason, "the original stays");
        assert_eq!(
            again.amendments.iter().map(|x| x.by).collect::<Vec<_>>(),
            vec![Some(UserId(8)), Some(UserId(9))],
            "every amendment, with who made it"
        );
        assert_eq!(
            db.amend_case(GuildId(1), 99, "x", UserId(8), t0())
                .await
                .unwrap(),
            None
        );
        db.set_case_log_message(GuildId(1), 1, ChannelId(40), 777)
            .await
            .unwrap();
        let posted = db.case(GuildId(1), 1).await.unwrap().unwrap();
        assert_eq!(
            (posted.log_channel, posted.log_message),
            (Some(ChannelId(40)), Some(777)),
            "the post is kept with its channel"
        );

        // Everything past the retention goes; the next number still counts on.
        let later = t0() + Duration::days(400);
        assert!(db.purge_moderation(later).await.unwrap() >= 2);
        assert_eq!(db.case(GuildId(1), 1).await.unwrap(), None);
        let c = db
            .add_case(GuildId(1), case(CaseKind::Warn, 5, later))
            .await
            .unwrap();
        assert_eq!(c.number, 3);
    }

    #[tokio::test]
    async fn a_report_draft_is_taken_once_by_its_reporter_and_never_kept_long() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&url(&dir).await).await.unwrap();
        let draft = haven::store::ReportDraft {
            guild: GuildId(1),
            reporter: UserId(5),
            channel: ChannelId(3),
            message: 44,
            author: UserId(6),
            excerpt: "goodbye everyone".into(),
            at: t0(),
        };
        let id = 101;
        db.add_report_draft(id, &draft).await.unwrap();
        assert_eq!(
            db.take_report_draft(id, UserId(7)).await.unwrap(),
            None,
            "not theirs"
        );
        assert_eq!(
            db.take_report_draft(id, UserId(5)).await.unwrap(),
            Some(draft.clone())
        );
        assert_eq!(
            db.take_report_draft(id, UserId(5)).await.unwrap(),
            None,
            "taken once"
        );
        let old = 102;
        db.add_report_draft(old, &draft).await.unwrap();
        assert_eq!(
            db.purge_report_drafts(t0() + Duration::hours(1))
                .await
                .unwrap(),
            1
        );
        assert_eq!(db.take_report_draft(old, UserId(5)).await.unwrap(), None);
        // A forget takes a draft the member never sent.
        let open = 103;
        db.add_report_draft(open, &draft).await.unwrap();
        db.forget_member(UserId(5)).await.unwrap();
        assert_eq!(db.take_report_draft(open, UserId(5)).await.unwrap(), None);
    }

    #[tokio::test]
    async fn a_shorter_retention_chosen_by_a_server_purges_sooner_and_only_there() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&url(&dir).await).await.unwrap();
        for g in [GuildId(1), GuildId(2)] {
            db.add_case(g, case(CaseKind::Warn, 5, t0())).await.unwrap();
        }
        db.set_mod_retention_days(GuildId(1), 30, t0())
            .await
            .unwrap();
        assert_eq!(db.mod_retention_days(GuildId(1)).await.unwrap(), 30);
        assert_eq!(db.mod_retention_days(GuildId(2)).await.unwrap(), 365);
        db.set_case_log_message(GuildId(1), 1, ChannelId(40), 777)
            .await
            .unwrap();
        assert_eq!(
            db.purge_moderation(t0() + Duration::days(29))
                .await
                .unwrap(),
            0
        );
        assert!(db.log_posts_to_remove(10).await.unwrap().is_empty());
        assert_eq!(
            db.purge_moderation(t0() + Duration::days(31))
                .await
                .unwrap(),
            1
        );
        // Its post in the log channel is queued for removal until removed.
        assert_eq!(
            db.log_posts_to_remove(10).await.unwrap(),
            vec![(GuildId(1), Some(ChannelId(40)), 777)]
        );
        db.log_post_removed(GuildId(1), 777).await.unwrap();
        assert!(db.log_posts_to_remove(10).await.unwrap().is_empty());
        assert_eq!(db.case(GuildId(1), 1).await.unwrap(), None);
        assert!(db.case(GuildId(2), 1).await.unwrap().is_some());
        let shown = db.member_data(UserId(5)).await.unwrap();
        assert!(shown.moderation.iter().all(|m| m.retention_days == 365));
    }

    #[tokio::test]
    async fn history_lists_newest_first_and_counts_recent_warnings() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&url(&dir).await).await.unwrap();
        let g = GuildId(1);
        db.add_case(g, case(CaseKind::Warn, 5, t0() - Duration::days(120)))
            .await
            .unwrap();
        db.add_case(g, case(CaseKind::Warn, 5, t0() - Duration::days(10)))
            .await
            .unwrap();
        db.add_case(g, case(CaseKind::Timeout, 5, t0() - Duration::days(5)))
            .await
            .unwrap();
        db.add_case(g, case(CaseKind::Warn, 6, t0())).await.unwrap();
        db.add_note(g, UserId(9), UserId(5), "Struggling since March", t0())
            .await
            .unwrap();
        let cases = db.cases_about(g, UserId(5), 50).await.unwrap();
        assert_eq!(
            cases.iter().map(|c| c.number).collect::<Vec<_>>(),
            [3, 2, 1]
        );
        assert_eq!(
            db.case_counts(g, UserId(5), t0() - Duration::days(90))
                .await
                .unwrap(),
            (3, 1)
        );
        assert_eq!(db.case_counts(g, UserId(7), t0()).await.unwrap(), (0, 0));
        let notes = db.notes_about(g, UserId(5), 50).await.unwrap();
        assert_eq!(notes.len(), 1);
        assert_eq!(notes[0].text, "Struggling since March");
    }

    #[tokio::test]
    async fn the_latest_case_is_found_by_member_or_by_channel() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&url(&dir).await).await.unwrap();
        let g = GuildId(1);
        db.add_case(g, case(CaseKind::Ban, 5, t0())).await.unwrap();
        db.add_case(g, case(CaseKind::Ban, 6, t0())).await.unwrap();
        for channel in [3, 4] {
            db.add_case(
                g,
                NewCase {
                    target: None,
                    channel: Some(ChannelId(channel)),
                    ..case(CaseKind::Lock, 0, t0())
                },
            )
            .await
            .unwrap();
        }

        let number = |case: Option<haven::domain::moderation::Case>| case.map(|c| c.number);
        assert_eq!(
            number(
                db.latest_case(g, CaseKind::Ban, Some(UserId(5)), None)
                    .await
                    .unwrap()
            ),
            Some(1)
        );
        assert_eq!(
            number(db.latest_case(g, CaseKind::Ban, None, None).await.unwrap()),
            Some(2),
            "no member given: the newest of the kind"
        );
        assert_eq!(
            number(
                db.latest_case(g, CaseKind::Lock, None, Some(ChannelId(3)))
                    .await
                    .unwrap()
            ),
            Some(3)
        );
        assert_eq!(
            number(
                db.latest_case(g, CaseKind::Lock, Some(UserId(5)), Some(ChannelId(3)))
                    .await
                    .unwrap()
            ),
            None
        );
        assert_eq!(
            db.latest_case(GuildId(2), CaseKind::Ban, Some(UserId(5)), None)
                .await
                .unwrap(),
            None
        );
    }

    #[tokio::test]
    async fn reports_lose_their_reporter_on_forget_and_are_rate_limited_by_count() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&url(&dir).await).await.unwrap();
        let form = |draft, named| report_form(draft, named, ReportKind::NeedsSupport, 5);
        let id = filed(&db, 1, form(1, true)).await.id;
        filed(&db, 2, form(2, false)).await;
        assert_eq!(
            db.reports_made_since(UserId(5), t0() - Duration::minutes(10))
                .await
                .unwrap(),
            2
        );
        // A button carrying another server's report id changes nothing.
        assert!(
            db.set_report_status(GuildId(2), id, ReportStatus::Resolved, UserId(9))
                .await
                .unwrap()
                .is_none()
        );
        let acked = db
            .set_report_status(GuildId(1), id, ReportStatus::Acknowledged, UserId(9))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(acked.status, ReportStatus::Acknowledged);
        assert_eq!(acked.handled_by, Some(UserId(9)));

        // /privacy show lists the reports made and the cases about a member.
        db.add_case(GuildId(1), case(CaseKind::Warn, 5, t0()))
            .await
            .unwrap();
        let data = db.member_data(UserId(5)).await.unwrap();
        assert_eq!(data.moderation.len(), 1);
        assert_eq!(data.moderation[0].reports_made, 2);
        assert_eq!(data.moderation[0].cases_about, 1);
        assert_eq!(data.moderation[0].retention_days, 365);
        // The author of the reported message sees that reports about it exist.
        let author = db.member_data(UserId(6)).await.unwrap();
        assert_eq!(author.moderation[0].reports_about, 2);

        // Past the rate limit's window, nothing links the anonymous report
        // to its reporter; the named one keeps its name.
        assert_eq!(
            db.unlink_anonymous_reporters(t0() + Duration::minutes(11))
                .await
                .unwrap(),
            1
        );
        let data = db.member_data(UserId(5)).await.unwrap();
        assert_eq!(data.moderation[0].reports_made, 1);

        db.forget_member(UserId(5)).await.unwrap();
        let kept = db.report(id).await.unwrap().unwrap();
        assert_eq!(kept.reporter, None);
        assert!(!kept.named);
        assert_eq!(kept.excerpt, "I can't do this");
        let data = db.member_data(UserId(5)).await.unwrap();
        assert_eq!(data.moderation[0].reports_made, 0);
        assert_eq!(
            data.moderation[0].cases_about, 1,
            "a forget keeps cases about them"
        );
    }

    fn report_form(draft: i64, named: bool, kind: ReportKind, limit: i64) -> ReportForm {
        ReportForm {
            guild: GuildId(1),
            reporter: UserId(5),
            draft,
            named,
            kind,
            note: Some("they said goodbye".into()),
            at: t0(),
            window_start: t0() - Duration::minutes(10),
            limit,
            retry_at: t0() + Duration::minutes(1),
        }
    }

    async fn add_draft(db: &Db, id: i64) {
        let draft = haven::store::ReportDraft {
            guild: GuildId(1),
            reporter: UserId(5),
            channel: ChannelId(3),
            message: 44,
            author: UserId(6),
            excerpt: "I can't do this".into(),
            at: t0(),
        };
        db.add_report_draft(id, &draft).await.unwrap();
    }

    /// Files a report from a fresh draft; panics unless it was filed.
    async fn filed(db: &Db, draft: i64, form: ReportForm) -> haven::store::Report {
        add_draft(db, draft).await;
        match db.file_report(&form).await.unwrap() {
            Filing::Filed { report, .. } => report,
            other => panic!("not filed: {other:?}"),
        }
    }

    #[tokio::test]
    async fn a_report_is_filed_once_from_its_draft_with_a_delivery_job_and_within_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&url(&dir).await).await.unwrap();
        add_draft(&db, 1).await;
        let form = report_form(1, false, ReportKind::Harmful, 3);
        let Filing::Filed { report, job } = db.file_report(&form).await.unwrap() else {
            panic!("not filed");
        };
        assert_eq!(
            (report.excerpt.as_str(), report.author, report.delivered),
            ("I can't do this", Some(UserId(6)), false)
        );
        assert_eq!(
            db.file_report(&form).await.unwrap(),
            Filing::NoDraft,
            "a form sent twice finds its draft gone"
        );
        // Its delivery is a job, claimed by one taker only.
        assert!(db.claim_job(job, t0()).await.unwrap());
        assert!(!db.claim_job(job, t0()).await.unwrap());
        db.release_job(job, t0() + Duration::seconds(30))
            .await
            .unwrap();
        let due = db
            .claim_due_jobs(t0() + Duration::minutes(1), 10)
            .await
            .unwrap();
        let delivery = due
            .iter()
            .find(|j| j.kind == JobKind::ReportDelivery)
            .expect("the delivery job is due for the scheduler after a failure");
        assert_eq!(delivery.target, Some(report.id as u64));
        db.set_report_delivered(report.id).await.unwrap();
        assert!(db.report(report.id).await.unwrap().unwrap().delivered);

        // Forms sent at the same instant cannot pass the limit together.
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&url(&dir).await).await.unwrap();
        for draft in 1..=10 {
            add_draft(&db, draft).await;
        }
        let tries = (1..=10).map(|draft| {
            let db = db.clone();
            tokio::spawn(async move {
                db.file_report(&report_form(draft, false, ReportKind::Other, 3))
                    .await
                    .unwrap()
            })
        });
        let outcomes = futures::future::join_all(tries).await;
        let filed = outcomes
            .iter()
            .filter(|o| matches!(o.as_ref().unwrap(), Filing::Filed { .. }))
            .count();
        assert_eq!(filed, 3);
        assert!(
            outcomes
                .iter()
                .all(|o| matches!(o.as_ref().unwrap(), Filing::Filed { .. } | Filing::TooMany))
        );
    }

    #[tokio::test]
    async fn a_reports_dm_copies_are_kept_unlinked_on_forget_and_removed_with_it() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&url(&dir).await).await.unwrap();
        let report = filed(&db, 1, report_form(1, true, ReportKind::Harmful, 3)).await;
        db.add_report_copy(&report, UserId(9), ChannelId(90), 900)
            .await
            .unwrap();
        db.set_report_log_message(report.id, ChannelId(40), 400)
            .await
            .unwrap();
        assert_eq!(
            db.report_copies(report.id).await.unwrap(),
            vec![(ChannelId(90), 900, Some(UserId(9)))]
        );
        // The reporter named on it is found for a forget through either post.
        assert_eq!(db.named_reports_by(UserId(5)).await.unwrap().len(), 1);
        // The facilitator who got it asks to be forgotten: the copy stays,
        // for retention to delete, without naming them.
        db.forget_member(UserId(9)).await.unwrap();
        assert_eq!(
            db.report_copies(report.id).await.unwrap(),
            vec![(ChannelId(90), 900, None)]
        );
        db.purge_moderation(t0() + Duration::days(366))
            .await
            .unwrap();
        let mut queued = db.log_posts_to_remove(10).await.unwrap();
        queued.sort_by_key(|(_, _, m)| *m);
        assert_eq!(
            queued,
            vec![
                (GuildId(1), Some(ChannelId(40)), 400),
                (GuildId(1), Some(ChannelId(90)), 900)
            ]
        );
        assert!(db.report_copies(report.id).await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn a_report_waiting_from_an_earlier_version_gets_its_delivery_job() {
        let dir = tempfile::tempdir().unwrap();
        // The database as the version before delivery jobs left it.
        let pool = sqlx::SqlitePool::connect(&format!("{}?mode=rwc", sqlite_url(&dir)))
            .await
            .unwrap();
        let mut earlier = sqlx::migrate!("./migrations");
        earlier.migrations = std::borrow::Cow::Owned(
            earlier
                .migrations
                .iter()
                .filter(|m| m.version <= 10)
                .cloned()
                .collect(),
        );
        earlier.run(&pool).await.unwrap();
        sqlx::query(
            "INSERT INTO mod_reports (guild_id, reporter_id, named, kind, channel_id, message_id, excerpt, created_ms, delivered)
             VALUES (1, 5, 0, 'needs_support', 3, 44, 'goodbye', $1, 0), (1, 5, 0, 'other', 3, 45, 'hi', $1, 1)",
        )
        .bind(t0().timestamp_millis())
        .execute(&pool)
        .await
        .unwrap();
        pool.close().await;
        let db = Db::open(&sqlite_url(&dir)).await.unwrap();
        let due = db
            .claim_due_jobs(t0() + Duration::minutes(1), 10)
            .await
            .unwrap();
        let deliveries: Vec<_> = due
            .iter()
            .filter(|j| j.kind == JobKind::ReportDelivery)
            .collect();
        assert_eq!(deliveries.len(), 1, "only the undelivered one");
        let report = db
            .report(deliveries[0].target.unwrap() as i64)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(report.excerpt, "goodbye");
        // Claimed when Haven stopped: pending again at the next start.
        assert_eq!(db.reset_claimed_jobs().await.unwrap(), due.len() as u64);
    }

    #[tokio::test]
    async fn forget_clears_what_a_facilitator_did_on_reports_and_cases() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&url(&dir).await).await.unwrap();
        let report = filed(&db, 1, report_form(1, false, ReportKind::Harmful, 3)).await;
        db.set_report_status(GuildId(1), report.id, ReportStatus::Resolved, UserId(9))
            .await
            .unwrap();
        db.add_case(GuildId(1), case(CaseKind::Warn, 5, t0()))
            .await
            .unwrap();
        db.amend_case(GuildId(1), 1, "Corrected", UserId(9), t0())
            .await
            .unwrap();
        db.forget_member(UserId(9)).await.unwrap();
        assert_eq!(
            db.report(report.id).await.unwrap().unwrap().handled_by,
            None
        );
        assert_eq!(
            db.case(GuildId(1), 1).await.unwrap().unwrap().amendments[0].by,
            None
        );
    }

    #[tokio::test]
    async fn a_refused_tempban_undoes_only_its_own_end() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&url(&dir).await).await.unwrap();
        let (g, m) = (GuildId(1), UserId(5));
        let ours = t0() + Duration::hours(1);
        let theirs = t0() + Duration::days(3);
        // Ours was written, then another facilitator's ban replaced it.
        db.set_tempban(g, m, ours, Some("Spam")).await.unwrap();
        db.set_tempban(g, m, theirs, Some("Spam")).await.unwrap();
        db.restore_tempban(g, m, ours, None).await.unwrap();
        assert_eq!(db.tempban(g, m).await.unwrap(), Some(theirs));
        // Still ours: it goes back to what was there before.
        db.set_tempban(g, m, ours, Some("Spam")).await.unwrap();
        db.restore_tempban(g, m, ours, Some(theirs)).await.unwrap();
        assert_eq!(db.tempban(g, m).await.unwrap(), Some(theirs));
        db.set_tempban(g, m, ours, Some("Spam")).await.unwrap();
        db.restore_tempban(g, m, ours, None).await.unwrap();
        assert_eq!(db.tempban(g, m).await.unwrap(), None);
    }

    #[tokio::test]
    async fn a_lock_keeps_what_was_there_until_it_is_undone() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&url(&dir).await).await.unwrap();
        let prior = Overwrite {
            allow: 1 << 6,
            deny: 1 << 15,
        };
        let lock = SavedLock {
            guild: GuildId(1),
            channel: ChannelId(3),
            before: vec![(RoleId(1), Some(prior)), (RoleId(7), None)],
            until: Some(t0() + Duration::minutes(10)),
        };
        assert_eq!(db.save_lock(&lock, t0()).await.unwrap(), lock);
        // Locked again for longer: the state to return to stays the first one.
        let again = SavedLock {
            before: vec![(
                RoleId(1),
                Some(Overwrite {
                    allow: 0,
                    deny: u64::MAX,
                }),
            )],
            until: Some(t0() + Duration::hours(1)),
            ..lock.clone()
        };
        let saved = db.save_lock(&again, t0()).await.unwrap();
        assert_eq!(saved.before, lock.before);
        assert_eq!(saved.until, again.until);
        db.close().await;

        let db = Db::open(&url(&dir).await).await.unwrap();
        assert_eq!(
            db.remove_lock(ChannelId(3)).await.unwrap().unwrap().before,
            lock.before
        );
        assert_eq!(db.lock(ChannelId(3)).await.unwrap(), None);
    }

    #[tokio::test]
    async fn timed_reverts_and_tempbans_are_jobs_that_survive_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&url(&dir).await).await.unwrap();
        let until = t0() + Duration::hours(2);
        db.save_slowmode_revert(
            GuildId(1),
            ChannelId(3),
            haven::store::SlowmodeRevert {
                before: 5,
                until,
                set: Some(30),
            },
        )
        .await
        .unwrap();
        db.add_mod_job(JobKind::SlowmodeRevert, GuildId(1), 3, until)
            .await
            .unwrap();
        db.add_mod_job(JobKind::SlowmodeRevert, GuildId(1), 3, until)
            .await
            .unwrap();
        db.set_tempban(GuildId(1), UserId(5), until, Some("Spam"))
            .await
            .unwrap();
        db.add_mod_job(JobKind::Unban, GuildId(1), 5, until)
            .await
            .unwrap();
        db.close().await;

        let db = Db::open(&url(&dir).await).await.unwrap();
        assert_eq!(
            db.slowmode_revert(ChannelId(3)).await.unwrap(),
            Some(haven::store::SlowmodeRevert {
                before: 5,
                until,
                set: Some(30)
            })
        );
        assert_eq!(
            db.tempban(GuildId(1), UserId(5)).await.unwrap(),
            Some(until)
        );
        let jobs = db.pending_mod_jobs(JobKind::SlowmodeRevert).await.unwrap();
        assert_eq!(jobs.len(), 1, "one revert per channel and instant");
        assert_eq!((jobs[0].guild, jobs[0].target), (Some(GuildId(1)), Some(3)));
        assert!(
            db.claim_due_jobs(until - Duration::minutes(1), 10)
                .await
                .unwrap()
                .is_empty()
        );
        let due = db.claim_due_jobs(until, 10).await.unwrap();
        assert_eq!(due.len(), 2);
        assert!(
            due.iter()
                .all(|j| j.occurrence.timestamp() == until.timestamp())
        );
    }

    /// A case a job records is recorded once however often the job runs
    /// (taken over after its process died, or two runs at once): the
    /// first record, its log post included, is what every later run gets.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_job_records_its_case_once() {
        let dir = tempfile::tempdir().unwrap();
        let url = url(&dir).await;
        let db = Db::open(&url).await.unwrap();
        let first = db
            .add_job_case(GuildId(1), case(CaseKind::Unban, 5, t0()), 77)
            .await
            .unwrap();
        db.set_case_log_message(GuildId(1), first.number, ChannelId(9), 1234)
            .await
            .unwrap();
        let again = db
            .add_job_case(GuildId(1), case(CaseKind::Unban, 5, t0()), 77)
            .await
            .unwrap();
        assert_eq!(again.number, first.number);
        assert_eq!(again.log_message, Some(1234), "its post is known");
        // Two runs of another job at once: one case.
        let (a, b) = tokio::join!(
            db.add_job_case(GuildId(1), case(CaseKind::Unlock, 6, t0()), 78),
            db.add_job_case(GuildId(1), case(CaseKind::Unlock, 6, t0()), 78)
        );
        assert_eq!(a.unwrap().number, b.unwrap().number);
        let other = db
            .add_case(GuildId(1), case(CaseKind::Warn, 5, t0()))
            .await
            .unwrap();
        assert_eq!(
            backend::scalar(&url, "SELECT COUNT(*) FROM mod_cases").await,
            3,
            "one case per job, and the member's own"
        );
        assert!(other.number > first.number);
    }

    #[tokio::test]
    async fn guidelines_are_kept_per_server() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&url(&dir).await).await.unwrap();
        assert_eq!(db.guidelines(GuildId(1)).await.unwrap(), None);
        db.set_guidelines(GuildId(1), "Be kind.", t0())
            .await
            .unwrap();
        db.set_guidelines(
            GuildId(1),
            "Be kind.\nWhat is shared here stays here.",
            t0(),
        )
        .await
        .unwrap();
        assert_eq!(
            db.guidelines(GuildId(1)).await.unwrap().as_deref(),
            Some("Be kind.\nWhat is shared here stays here.")
        );
        assert_eq!(db.guidelines(GuildId(2)).await.unwrap(), None);
    }
}

mod leases {
    use super::*;
    use haven::domain::jobs::JobKind;

    /// `n` jobs due at `t0()`, each lifting a different ban.
    async fn jobs(db: &Db, n: u64) {
        for target in 0..n {
            db.add_mod_job(JobKind::Unban, GuildId(1), target, t0())
                .await
                .unwrap();
        }
    }

    #[tokio::test]
    async fn a_claim_is_another_processs_only_once_its_lease_has_ended() {
        let dir = tempfile::tempdir().unwrap();
        let url = url(&dir).await;
        let a = Db::open(&url)
            .await
            .unwrap()
            .with_lease(Duration::seconds(30));
        let b = Db::open(&url)
            .await
            .unwrap()
            .with_lease(Duration::seconds(30));
        jobs(&a, 3).await;
        let held = a.claim_due_jobs(t0(), 10).await.unwrap();
        assert_eq!(held.len(), 3);
        let ids: Vec<i64> = held.iter().map(|j| j.id).collect();
        // Held by a: b finds nothing to do, and nothing overdue until a's
        // claim ends.
        assert!(b.claim_due_jobs(t0(), 10).await.unwrap().is_empty());
        assert_eq!(b.next_job_due().await.unwrap(), None);
        assert!(!b.takeover_due(t0() + Duration::seconds(30)).await.unwrap());
        assert!(b.takeover_due(t0() + Duration::seconds(31)).await.unwrap());
        assert_eq!(
            a.next_job_due().await.unwrap(),
            None,
            "its own claims wake nobody"
        );
        // a renews while it works; b still waits.
        let renewed = a
            .renew_claims(t0() + Duration::seconds(20), &ids)
            .await
            .unwrap();
        assert_eq!(renewed.len(), 3);
        assert!(!b.takeover_due(t0() + Duration::seconds(31)).await.unwrap());
        assert!(
            b.claim_due_jobs(t0() + Duration::seconds(31), 10)
                .await
                .unwrap()
                .is_empty()
        );
        // a dies: once its claim has ended, b takes every job over.
        let taken = b
            .claim_due_jobs(t0() + Duration::seconds(51), 10)
            .await
            .unwrap();
        assert_eq!(taken.len(), 3);
        assert!(taken.iter().all(|j| j.attempts == 2));
        // a was only paused: its renewal comes back short, its fence fails,
        // and what it would record is left to b.
        assert!(
            a.renew_claims(t0() + Duration::seconds(52), &ids)
                .await
                .unwrap()
                .is_empty()
        );
        assert!(
            !a.hold_claim(ids[0], t0() + Duration::seconds(52))
                .await
                .unwrap()
        );
        assert!(!a.finish_job(ids[0], false).await.unwrap());
        assert!(
            b.hold_claim(ids[0], t0() + Duration::seconds(52))
                .await
                .unwrap()
        );
        // b stops gracefully: its claims are pending again at once.
        assert_eq!(b.release_own_claims().await.unwrap(), 3);
        assert_eq!(
            a.claim_due_jobs(t0() + Duration::seconds(52), 10)
                .await
                .unwrap()
                .len(),
            3
        );
    }

    /// A process running some of the shards works the jobs of their
    /// servers (and those of no server) when due, and another process's
    /// only once they are overdue by a lease; it wakes for those then.
    #[tokio::test]
    async fn a_process_works_its_own_shards_jobs_and_others_only_once_overdue() {
        use haven::store::Shards;
        let dir = tempfile::tempdir().unwrap();
        let url = url(&dir).await;
        let lease = Duration::seconds(30);
        let open = |first| {
            let url = url.clone();
            async move {
                Db::open(&url)
                    .await
                    .unwrap()
                    .with_lease(lease)
                    .with_shards(Shards {
                        first,
                        last: first,
                        total: 2,
                    })
            }
        };
        let (zero, one) = (open(0).await, open(1).await);
        // Guild 1 is on shard 0 of 2, guild 1 << 22 on shard 1.
        let (on_zero, on_one) = (GuildId(1), GuildId(1 << 22));
        let mut meeting = new_meeting("Circle");
        meeting.guild = on_one;
        let m = zero.create_meeting(&meeting, t0()).await.unwrap();
        let plan = m.plan(t0());
        zero.replan_meeting(m.id, t0()).await.unwrap();
        let reminder = plan.jobs.iter().map(|j| j.due).min().unwrap();
        zero.add_mod_job(JobKind::Unban, on_zero, 7, reminder)
            .await
            .unwrap();
        zero.ensure_purge_job(reminder).await.unwrap();

        // Shard 0's process takes the unban and the server-less purge, not
        // the reminder of shard 1's server, and wakes for it a lease late.
        let mine = zero.claim_due_jobs(reminder, 10).await.unwrap();
        let mut kinds: Vec<JobKind> = mine.iter().map(|j| j.kind).collect();
        kinds.sort_by_key(|k| k.as_str());
        assert_eq!(kinds, vec![JobKind::Purge, JobKind::Unban]);
        assert_eq!(
            zero.next_job_due().await.unwrap(),
            None,
            "another shard's job never wakes this process by itself"
        );
        assert!(
            !zero
                .takeover_due(reminder + lease - Duration::seconds(1))
                .await
                .unwrap()
        );
        assert!(
            zero.takeover_due(reminder + lease).await.unwrap(),
            "the check once a lease finds it overdue"
        );
        assert_eq!(one.next_job_due().await.unwrap(), Some(reminder));
        assert!(
            zero.claim_due_jobs(reminder + lease - Duration::seconds(1), 10)
                .await
                .unwrap()
                .is_empty()
        );
        // Shard 1's process is gone: once overdue by a lease, shard 0's
        // process sends it.
        let taken = zero.claim_due_jobs(reminder + lease, 10).await.unwrap();
        assert_eq!(taken.len(), 1);
        assert_eq!(taken[0].kind, JobKind::Reminder);
        assert_eq!(taken[0].meeting, Some(m.id));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn processes_claiming_at_once_never_take_the_same_job() {
        let dir = tempfile::tempdir().unwrap();
        let url = url(&dir).await;
        let first = Db::open(&url).await.unwrap();
        jobs(&first, 400).await;
        let mut takers = Vec::new();
        for _ in 0..4 {
            let db = Db::open(&url).await.unwrap();
            takers.push(tokio::spawn(async move {
                let mut mine = Vec::new();
                loop {
                    let batch = db.claim_due_jobs(t0(), 7).await.unwrap();
                    if batch.is_empty() {
                        return mine;
                    }
                    mine.extend(batch.into_iter().map(|j| j.id));
                }
            }));
        }
        let mut all: Vec<i64> = Vec::new();
        for taker in takers {
            all.extend(taker.await.unwrap());
        }
        let claimed = all.len();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), claimed, "no job claimed twice");
        assert_eq!(claimed, 400, "every job claimed");
    }
}

/// Web sessions: only a hash of the cookie's id is kept; a session stays
/// open while used and ends after 12 hours idle, at logout and at forget;
/// a login comes back once, with its own state, within ten minutes.
#[tokio::test]
async fn web_sessions_end_when_idle_at_logout_and_at_forget() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(&dir);
    let db = Db::open(&url).await.unwrap();
    let alice = haven::domain::UserId(1_500_000_000_000_000_003);
    let (id, session) = db.create_web_session(alice, t0()).await.unwrap();
    assert_eq!(session.user, alice);
    let hours = chrono::Duration::hours;
    assert_eq!(
        db.web_session(&id, t0() + hours(11)).await.unwrap(),
        Some(session.clone())
    );
    assert_eq!(
        db.web_session(&id, t0() + hours(22)).await.unwrap(),
        Some(session.clone()),
        "used at 11 h: open until 23 h"
    );
    assert_eq!(
        db.web_session(&id, t0() + hours(35)).await.unwrap(),
        None,
        "idle 13 h"
    );
    assert_eq!(db.web_session("another", t0()).await.unwrap(), None);

    let (id, _) = db.create_web_session(alice, t0()).await.unwrap();
    db.end_web_session(&id).await.unwrap();
    assert_eq!(db.web_session(&id, t0()).await.unwrap(), None, "logged out");
    let (id, _) = db.create_web_session(alice, t0()).await.unwrap();
    db.forget_member(alice).await.unwrap();
    assert_eq!(db.web_session(&id, t0()).await.unwrap(), None, "forgotten");
    // The cookie's id itself is nowhere on disk.
    let (id, _) = db.create_web_session(alice, t0()).await.unwrap();
    db.close().await;
    for file in ["haven.db", "haven.db-wal"] {
        if let Ok(bytes) = std::fs::read(dir.path().join(file)) {
            assert!(
                !bytes.windows(id.len()).any(|w| w == id.as_bytes()),
                "{file}"
            );
        }
    }

    let db = Db::open(&url).await.unwrap();
    let login = db.start_web_login(t0()).await.unwrap();
    assert_eq!(
        db.take_web_login(&login.cookie, "forged", t0())
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        db.take_web_login(&login.cookie, &login.state, t0())
            .await
            .unwrap(),
        None,
        "a wrong state spends the login"
    );
    let login = db.start_web_login(t0()).await.unwrap();
    assert_eq!(
        db.take_web_login(
            &login.cookie,
            &login.state,
            t0() + chrono::Duration::minutes(11)
        )
        .await
        .unwrap(),
        None,
        "too late"
    );
    let login = db.start_web_login(t0()).await.unwrap();
    assert_eq!(
        db.take_web_login(&login.cookie, &login.state, t0())
            .await
            .unwrap(),
        Some(login.verifier.clone())
    );
    assert_eq!(
        db.take_web_login(&login.cookie, &login.state, t0())
            .await
            .unwrap(),
        None,
        "once"
    );
}
