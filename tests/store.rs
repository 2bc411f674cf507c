//! Store tests on real SQLite files.

use chrono::{Duration, TimeZone, Utc};
use chrono_tz::Tz;
use haven::domain::settings::{GuildSettings, MinGroupSize};
use haven::domain::{ChannelId, GuildId, RoleId, UserId};
use haven::store::Db;

fn url(dir: &tempfile::TempDir) -> String {
    format!("sqlite://{}", dir.path().join("haven.db").display())
}

fn t0() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2027, 3, 9, 12, 0, 0).unwrap()
}

#[tokio::test]
async fn migrates_an_empty_file_and_reopens() {
    let dir = tempfile::tempdir().unwrap();
    assert!(!dir.path().join("haven.db").exists());
    let db = Db::open(&url(&dir)).await.unwrap();
    db.set_min_group_size(GuildId(1), MinGroupSize::new(9).unwrap(), t0())
        .await
        .unwrap();
    db.close().await;
    assert!(dir.path().join("haven.db").exists());

    // Opening again applies nothing twice and keeps the data.
    let db = Db::open(&url(&dir)).await.unwrap();
    assert_eq!(
        db.guild_settings(GuildId(1))
            .await
            .unwrap()
            .min_group_size
            .get(),
        9
    );

    let pool = sqlx::SqlitePool::connect(&url(&dir)).await.unwrap();
    let tables: Vec<String> =
        sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(
        tables,
        [
            "_sqlx_migrations",
            "facilitator_dm_notices",
            "guild_settings",
            "jobs",
            "journal_entries",
            "journal_members",
            "meeting_dms",
            "meeting_skips",
            "meetings",
            "member_prefs",
            "round_answers",
            "rounds",
            "rsvps",
            "stats_people",
            "stats_period_people",
            "stats_periods",
            "stats_rounds"
        ]
    );
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(mode, "wal");
}

#[tokio::test]
async fn a_server_that_changed_nothing_has_the_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&url(&dir)).await.unwrap();
    let settings = db.guild_settings(GuildId(42)).await.unwrap();
    assert_eq!(settings, GuildSettings::default());
    assert_eq!(settings.min_group_size.get(), 5);
}

#[tokio::test]
async fn each_setting_changes_alone() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&url(&dir)).await.unwrap();
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
        }
    );
    // Another server is untouched.
    assert_eq!(
        db.guild_settings(GuildId(2)).await.unwrap(),
        GuildSettings::default()
    );
}

#[tokio::test]
async fn the_database_refuses_an_out_of_range_group_size() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&url(&dir)).await.unwrap();
    drop(db);
    let pool = sqlx::SqlitePool::connect(&url(&dir)).await.unwrap();
    let result = sqlx::query("INSERT INTO guild_settings (guild_id, min_group_size, updated_at) VALUES (1, 2, '2027-01-01')")
        .execute(&pool)
        .await;
    assert!(result.is_err(), "the CHECK constraint holds");
}

#[tokio::test]
async fn member_time_zones() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&url(&dir)).await.unwrap();
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
    let db = Db::open(&url(&dir)).await.unwrap();
    let pool = sqlx::SqlitePool::connect(&url(&dir)).await.unwrap();
    sqlx::query("INSERT INTO member_prefs (user_id, timezone, updated_at) VALUES (7, 'Atlantis/Capital', '2027-01-01T00:00:00Z')")
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(db.member_timezone(UserId(7)).await.unwrap(), None);
}

#[tokio::test]
async fn forget_deletes_only_that_member_and_empties_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&url(&dir)).await.unwrap();
    let alice = UserId(1_500_000_000_000_000_003);
    let bob = UserId(1_500_000_000_000_000_004);
    db.set_member_timezone(alice, Tz::Europe__Berlin, t0())
        .await
        .unwrap();
    db.set_member_timezone(bob, Tz::Asia__Tokyo, t0())
        .await
        .unwrap();

    assert_eq!(db.forget_member(alice).await.unwrap(), 1);
    assert!(db.member_data(alice).await.unwrap().is_empty());
    assert_eq!(
        db.member_timezone(bob).await.unwrap(),
        Some(Tz::Asia__Tokyo)
    );
    assert_eq!(
        db.forget_member(alice).await.unwrap(),
        0,
        "forgetting twice is harmless"
    );

    let wal = dir.path().join("haven.db-wal");
    let wal_len = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
    assert_eq!(wal_len, 0, "the write-ahead log was truncated");
}
