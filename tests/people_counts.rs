//! Counting people on a real database (SQLite files, or PostgreSQL when
//! `HAVEN_TEST_POSTGRES` is set): once per period and facet, across restarts
//! and concurrent members, and nothing left of who after a close.

mod common;

use chrono::{DateTime, Duration, TimeZone, Utc};
use chrono_tz::Tz;
use common::files_containing;
use haven::domain::mood::Mood;
use haven::domain::periods::{PeriodKind, closes_at, local_day, period_of};
use haven::domain::stats::Facet;
use haven::domain::{GuildId, UserId};
use haven::store::Db;

const GUILD: GuildId = GuildId(1_300_000_000_000_000_001);
const TZ: Tz = Tz::Europe__Berlin;

use common::backend::{sqlite_url, url};

/// Tuesday 9 March 2027, 12:00 UTC.
fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2027, 3, 9, 12, 0, 0).unwrap()
}

fn member(n: u64) -> UserId {
    UserId(1_500_000_000_000_000_000 + n)
}

fn mood(n: i64) -> Facet {
    Facet::Mood(Mood::new(n).unwrap())
}

/// The keys of every period containing `at` in the server's zone.
fn keys_at(at: DateTime<Utc>) -> Vec<String> {
    PeriodKind::ALL
        .iter()
        .map(|k| period_of(*k, local_day(at, TZ)).key)
        .collect()
}

use common::backend::{blobs, scalar};

#[tokio::test]
async fn one_member_checking_in_five_times_is_one_person() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&url(&dir).await).await.unwrap();
    for i in 0..5 {
        let at = t0() + Duration::hours(i * 20);
        db.count_person(GUILD, TZ, at, &[Facet::Any, mood(1)], member(1))
            .await
            .unwrap();
        db.count_person(GUILD, TZ, at, &[Facet::Going], member(1))
            .await
            .unwrap();
    }
    // Within one week, month, quarter and year: one person in each facet.
    for key in keys_at(t0()) {
        for facet in [Facet::Any, mood(1), Facet::Going] {
            assert_eq!(
                db.people_counted(GUILD, &key, facet).await.unwrap(),
                1,
                "{key} {facet:?}"
            );
        }
        assert_eq!(db.people_counted(GUILD, &key, mood(2)).await.unwrap(), 0);
    }
    // A second mood makes them one person in that mood too, still one in all.
    db.count_person(GUILD, TZ, t0(), &[Facet::Any, mood(4)], member(1))
        .await
        .unwrap();
    let people = db.period_people(GUILD, &keys_at(t0())).await.unwrap();
    for key in keys_at(t0()) {
        assert_eq!(people[&key].any, 1);
        assert_eq!(people[&key].moods, [1, 0, 0, 1, 0]);
    }
}

#[tokio::test]
async fn a_restart_between_check_ins_counts_nobody_twice() {
    let dir = tempfile::tempdir().unwrap();
    let url = url(&dir).await;
    let db = Db::open(&url).await.unwrap();
    for n in [1, 2] {
        db.count_person(GUILD, TZ, t0(), &[Facet::Any, mood(3)], member(n))
            .await
            .unwrap();
    }
    db.close().await;

    let db = Db::open(&url).await.unwrap();
    for n in [1, 2, 3] {
        db.count_person(
            GUILD,
            TZ,
            t0() + Duration::hours(1),
            &[Facet::Any, mood(3)],
            member(n),
        )
        .await
        .unwrap();
    }
    let people = db.period_people(GUILD, &keys_at(t0())).await.unwrap();
    for key in keys_at(t0()) {
        assert_eq!(people[&key].any, 3, "{key}");
        assert_eq!(people[&key].moods[2], 3, "{key}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn many_members_at_once_are_each_counted_once() {
    let dir = tempfile::tempdir().unwrap();
    let url = url(&dir).await;
    let db = Db::open(&url).await.unwrap();
    let tasks: Vec<_> = (0..40u64)
        .map(|n| {
            let db = db.clone();
            tokio::spawn(async move {
                for j in 0..5i64 {
                    let m = (n as i64 + j) % 2 + 1;
                    db.count_person(GUILD, TZ, t0(), &[Facet::Any, mood(m)], member(n))
                        .await
                        .unwrap();
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let people = db.period_people(GUILD, &keys_at(t0())).await.unwrap();
    for key in keys_at(t0()) {
        assert_eq!(people[&key].any, 40);
        assert_eq!(people[&key].moods, [40, 40, 0, 0, 0]);
    }
    assert_eq!(
        scalar(&url, "SELECT COUNT(*) FROM stats_periods").await,
        4,
        "one salt per period, however many came at once"
    );
}

#[tokio::test]
async fn closing_a_period_deletes_its_salt_and_hashes_and_keeps_the_counts() {
    let dir = tempfile::tempdir().unwrap();
    let url = url(&dir).await;
    let db = Db::open(&url).await.unwrap();
    for n in 0..6 {
        db.count_person(GUILD, TZ, t0(), &[Facet::Any, mood(2)], member(n))
            .await
            .unwrap();
    }
    let week = period_of(PeriodKind::Week, local_day(t0(), TZ));
    let month = period_of(PeriodKind::Month, local_day(t0(), TZ));
    let week_close = closes_at(&week, TZ);
    // Midnight in Berlin, which is 23:00 UTC in winter time.
    assert_eq!(
        week_close,
        Utc.with_ymd_and_hms(2027, 3, 14, 23, 0, 0).unwrap()
    );
    assert_eq!(db.next_period_close().await.unwrap(), Some(week_close));
    // March and the first quarter end at the same instant: one job for both.
    assert_eq!(
        scalar(
            &url,
            "SELECT COUNT(*) FROM jobs WHERE kind = 'period_close' AND state = 'pending'"
        )
        .await,
        3
    );
    let salts = blobs(&url, "SELECT salt FROM stats_periods").await;
    let hashes = blobs(&url, "SELECT hash FROM stats_period_people").await;
    assert_eq!((salts.len(), hashes.len()), (4, 4 * 2 * 6));

    assert_eq!(
        db.close_periods(week_close - Duration::seconds(1))
            .await
            .unwrap(),
        0
    );
    assert_eq!(db.close_periods(week_close).await.unwrap(), 1);
    assert_eq!(
        scalar(&url, "SELECT COUNT(*) FROM stats_period_people").await,
        3 * 2 * 6,
        "only the week's hashes are gone"
    );
    assert_eq!(
        db.next_period_close().await.unwrap(),
        Some(closes_at(&month, TZ))
    );
    // The week's counts stay, and a closed week takes nobody more: its
    // hashes are gone, so counting again could count someone twice.
    db.count_person(GUILD, TZ, t0(), &[Facet::Any], member(0))
        .await
        .unwrap();
    db.count_person(GUILD, TZ, t0(), &[Facet::Any], member(99))
        .await
        .unwrap();
    assert_eq!(
        db.people_counted(GUILD, &week.key, Facet::Any)
            .await
            .unwrap(),
        6
    );
    assert_eq!(
        db.people_counted(GUILD, &month.key, Facet::Any)
            .await
            .unwrap(),
        7,
        "the month is still open"
    );

    // Years later everything has closed: only counts are left.
    assert_eq!(
        db.close_periods(t0() + Duration::days(800)).await.unwrap(),
        3
    );
    assert_eq!(db.next_period_close().await.unwrap(), None);
    assert_eq!(
        scalar(&url, "SELECT COUNT(*) FROM stats_period_people").await,
        0
    );
    assert_eq!(
        scalar(
            &url,
            "SELECT COUNT(*) FROM stats_periods WHERE salt IS NOT NULL"
        )
        .await,
        0
    );
    let people = db.period_people(GUILD, &keys_at(t0())).await.unwrap();
    assert_eq!(people[&week.key].any, 6);
    assert_eq!(people[&month.key].any, 7);
    assert_eq!(people[&month.key].moods[1], 6);
    db.close().await;

    // On SQLite the close checkpointed the write-ahead log, and no salt,
    // no hash and no member id is left anywhere in the files. (PostgreSQL
    // keeps dead row versions until vacuum: see the README.)
    if url.starts_with("postgres") {
        return;
    }
    let wal = dir.path().join("haven.db-wal");
    assert_eq!(std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0), 0);
    for salt in &salts {
        assert!(
            common::files_with(dir.path(), salt).is_empty(),
            "a salt survived"
        );
    }
    for hash in &hashes {
        assert!(
            common::files_with(dir.path(), hash).is_empty(),
            "a hash survived"
        );
    }
    for n in [0, 1, 5, 99] {
        let hits = files_containing(dir.path(), member(n).0);
        assert!(hits.is_empty(), "{hits:?}");
    }
}

#[tokio::test]
async fn a_period_close_checkpoints_the_write_ahead_log() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&sqlite_url(&dir)).await.unwrap();
    db.count_person(GUILD, TZ, t0(), &[Facet::Any], member(1))
        .await
        .unwrap();
    let wal = dir.path().join("haven.db-wal");
    assert!(
        std::fs::metadata(&wal).unwrap().len() > 0,
        "writes went to the log"
    );
    assert_eq!(db.close_periods(t0() + Duration::days(7)).await.unwrap(), 1);
    assert_eq!(std::fs::metadata(&wal).unwrap().len(), 0);
}

#[tokio::test]
async fn forget_removes_the_members_hashes_in_every_server_at_once() {
    // Ten servers, four open periods each, seven facets: more hashes to
    // look for than one delete statement takes.
    let dir = tempfile::tempdir().unwrap();
    let url = url(&dir).await;
    let db = Db::open(&url).await.unwrap();
    for g in 1..=10 {
        for n in 0..2 {
            db.count_person(GuildId(g), TZ, t0(), &[Facet::Any, mood(4)], member(n))
                .await
                .unwrap();
        }
    }
    db.forget_member(member(0)).await.unwrap();
    assert_eq!(
        scalar(&url, "SELECT COUNT(*) FROM stats_period_people").await,
        10 * 4 * 2,
        "only the other member's hashes stay"
    );
    for g in 1..=10 {
        let people = db.period_people(GuildId(g), &keys_at(t0())).await.unwrap();
        assert!(people.values().all(|p| p.any == 2), "counts stay");
    }
}

#[tokio::test]
async fn forget_removes_the_members_hashes_and_keeps_the_counts() {
    let dir = tempfile::tempdir().unwrap();
    let url = url(&dir).await;
    let db = Db::open(&url).await.unwrap();
    for n in 0..5 {
        db.count_person(GUILD, TZ, t0(), &[Facet::Any, mood(4)], member(n))
            .await
            .unwrap();
    }
    db.forget_member(member(0)).await.unwrap();
    let people = db.period_people(GUILD, &keys_at(t0())).await.unwrap();
    for key in keys_at(t0()) {
        assert_eq!(people[&key].any, 5, "counts stay");
    }
    // Nothing left that the salt could link to them: 4 periods x 2 facets
    // for each of the other four members only.
    assert_eq!(
        scalar(&url, "SELECT COUNT(*) FROM stats_period_people").await,
        4 * 2 * 4
    );
    let salts = blobs(
        &url,
        "SELECT salt FROM stats_periods WHERE salt IS NOT NULL",
    )
    .await;
    assert_eq!(salts.len(), 4);
    let hashes = blobs(&url, "SELECT hash FROM stats_period_people").await;
    for salt in salts {
        let salt: [u8; 32] = salt.try_into().unwrap();
        for facet in Facet::ALL {
            let hash = haven::domain::stats::person_hash(&salt, facet, member(0));
            assert!(
                !hashes.iter().any(|h| h.as_slice() == hash.as_slice()),
                "{facet:?}"
            );
        }
    }
}
