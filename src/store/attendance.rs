//! Anonymous attendance of voice meetings: while an occurrence is open, a
//! salt and each person's presence under a keyed hash; once it ends, one
//! count and nothing that could name anyone (see `domain::attendance`).

use chrono::{DateTime, Duration, Utc};
use rand::RngCore;

use super::{Db, StoreResult};
use crate::domain::attendance::{Attendance, Presence, Window, reconcile, tally};
use crate::domain::meeting::MeetingId;
use crate::domain::{GuildId, UserId};

/// A person's key in one occurrence: a keyed hash under its salt.
pub(super) fn person(salt: &[u8; 32], user: UserId) -> Vec<u8> {
    blake3::keyed_hash(salt, &user.0.to_le_bytes())
        .as_bytes()
        .to_vec()
}

fn presence(counted_ms: i64, since_ms: Option<i64>) -> Presence {
    Presence {
        counted: Duration::milliseconds(counted_ms),
        since: since_ms.and_then(DateTime::from_timestamp_millis),
    }
}

/// The occurrence's salt, made on first use; `None` once it is counted
/// (inside a transaction `$tx`, on either database).
macro_rules! open_salt {
    ($tx:expr, $meeting:expr, $occurrence:expr) => {{
        let counted: Option<i64> = sqlx::query_scalar(
            "SELECT came FROM attendance_counts WHERE meeting_id = $1 AND occurrence = $2",
        )
        .bind($meeting.0)
        .bind($occurrence.timestamp())
        .fetch_optional(&mut *$tx)
        .await?;
        if counted.is_some() {
            None
        } else {
            let mut fresh = [0u8; 32];
            rand::rng().fill_bytes(&mut fresh);
            sqlx::query(
                "INSERT INTO attendance_salts (meeting_id, occurrence, salt) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            )
            .bind($meeting.0)
            .bind($occurrence.timestamp())
            .bind(fresh.to_vec())
            .execute(&mut *$tx)
            .await?;
            let salt: Vec<u8> = sqlx::query_scalar(
                "SELECT salt FROM attendance_salts WHERE meeting_id = $1 AND occurrence = $2",
            )
            .bind($meeting.0)
            .bind($occurrence.timestamp())
            .fetch_one(&mut *$tx)
            .await?;
            <[u8; 32]>::try_from(salt.as_slice()).ok()
        }
    }};
}

/// Writes one presence (an upsert by occurrence and hash).
const SAVE_PRESENCE: &str = "INSERT INTO attendance_presence (meeting_id, occurrence, hash, counted_ms, since_ms) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (meeting_id, occurrence, hash) DO UPDATE SET counted_ms = excluded.counted_ms, since_ms = excluded.since_ms";
/// Whether a member said not to be counted.
const OPTED_OUT: &str = "SELECT user_id FROM attendance_optouts WHERE user_id = $1";
/// Every occurrence open now, with its salt.
pub(super) const OPEN_SALTS: &str = "SELECT meeting_id, occurrence, salt FROM attendance_salts";

impl Db {
    /// Whether `user` said not to be counted.
    pub async fn attendance_counted(&self, user: UserId) -> StoreResult<bool> {
        on_pool!(self, |pool| {
            let found: Option<i64> = sqlx::query_scalar(OPTED_OUT)
                .bind(user.as_db())
                .fetch_optional(pool)
                .await?;
            Ok(found.is_none())
        })
    }

    /// Counts `user` in attendance from now on, or not. Saying no also
    /// removes them from every occurrence open now.
    pub async fn set_attendance_counted(&self, user: UserId, counted: bool) -> StoreResult<()> {
        on_pool!(self, |pool| {
            let query = if counted {
                "DELETE FROM attendance_optouts WHERE user_id = $1"
            } else {
                "INSERT INTO attendance_optouts (user_id) VALUES ($1) ON CONFLICT DO NOTHING"
            };
            sqlx::query(query).bind(user.as_db()).execute(pool).await?;
            Ok::<(), super::StoreError>(())
        })?;
        if !counted {
            self.forget_attendance(user).await?;
        }
        Ok(())
    }

    /// `user` joined (`true`) or left the channel of the occurrence at
    /// `at`. Nothing once the occurrence is counted.
    pub async fn attendance_change(
        &self,
        meeting: MeetingId,
        occurrence: DateTime<Utc>,
        window: &Window,
        user: UserId,
        at: DateTime<Utc>,
        joined: bool,
    ) -> StoreResult<()> {
        on_pool!(self, |pool| {
            let mut tx = pool
                .begin_alone_in(super::alone::ATTENDANCE, meeting.0)
                .await?;
            let opted_out: Option<i64> = sqlx::query_scalar(OPTED_OUT)
                .bind(user.as_db())
                .fetch_optional(&mut *tx)
                .await?;
            if opted_out.is_some() {
                return Ok(());
            }
            let Some(salt) = open_salt!(tx, meeting, occurrence) else {
                return Ok(());
            };
            let hash = person(&salt, user);
            let row: Option<(i64, Option<i64>)> = sqlx::query_as(
                "SELECT counted_ms, since_ms FROM attendance_presence WHERE meeting_id = $1 AND occurrence = $2 AND hash = $3",
            )
            .bind(meeting.0)
            .bind(occurrence.timestamp())
            .bind(&hash)
            .fetch_optional(&mut *tx)
            .await?;
            // Leaving where they were never counted (forgotten, or before
            // the window) leaves nothing behind.
            if row.is_none() && !joined {
                return Ok(());
            }
            let mut p = row.map(|(c, s)| presence(c, s)).unwrap_or_default();
            if joined {
                p.join(at, window);
            } else {
                p.leave(at, window);
            }
            sqlx::query(SAVE_PRESENCE)
                .bind(meeting.0)
                .bind(occurrence.timestamp())
                .bind(&hash)
                .bind(p.counted.num_milliseconds())
                .bind(p.since.map(|s| s.timestamp_millis()))
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(())
        })
    }

    /// After a restart: who is in the occurrence's channel now is all that
    /// is known (see [`reconcile`]).
    pub async fn attendance_reconcile(
        &self,
        meeting: MeetingId,
        occurrence: DateTime<Utc>,
        window: &Window,
        here: &[UserId],
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        on_pool!(self, |pool| {
            let mut tx = pool
                .begin_alone_in(super::alone::ATTENDANCE, meeting.0)
                .await?;
            let Some(salt) = open_salt!(tx, meeting, occurrence) else {
                return Ok(());
            };
            let rows: Vec<(Vec<u8>, i64, Option<i64>)> = sqlx::query_as(
                "SELECT hash, counted_ms, since_ms FROM attendance_presence WHERE meeting_id = $1 AND occurrence = $2",
            )
            .bind(meeting.0)
            .bind(occurrence.timestamp())
            .fetch_all(&mut *tx)
            .await?;
            let mut presences: std::collections::HashMap<Vec<u8>, Presence> = rows
                .into_iter()
                .map(|(h, c, s)| (h, presence(c, s)))
                .collect();
            let mut counted = Vec::with_capacity(here.len());
            for u in here {
                let opted_out: Option<i64> = sqlx::query_scalar(OPTED_OUT)
                    .bind(u.as_db())
                    .fetch_optional(&mut *tx)
                    .await?;
                if opted_out.is_none() {
                    counted.push(person(&salt, *u));
                }
            }
            let here: std::collections::HashSet<Vec<u8>> = counted.into_iter().collect();
            reconcile(&mut presences, &here, at, window);
            for (hash, p) in presences {
                sqlx::query(SAVE_PRESENCE)
                    .bind(meeting.0)
                    .bind(occurrence.timestamp())
                    .bind(&hash)
                    .bind(p.counted.num_milliseconds())
                    .bind(p.since.map(|s| s.timestamp_millis()))
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }

    /// The occurrence ended: its presences become one count, and its salt
    /// and hashes are deleted. Run again, it returns the same count. An
    /// occurrence never tracked (no salt: not held in a voice channel)
    /// gets no count.
    pub async fn close_attendance(
        &self,
        meeting: MeetingId,
        guild: GuildId,
        occurrence: DateTime<Utc>,
        window: &Window,
        threshold: Duration,
    ) -> StoreResult<Attendance> {
        on_pool!(self, |pool| {
            let mut tx = pool
                .begin_alone_in(super::alone::ATTENDANCE, meeting.0)
                .await?;
            let rows: Vec<(i64, Option<i64>)> = sqlx::query_as(
                "SELECT counted_ms, since_ms FROM attendance_presence WHERE meeting_id = $1 AND occurrence = $2",
            )
            .bind(meeting.0)
            .bind(occurrence.timestamp())
            .fetch_all(&mut *tx)
            .await?;
            let presences: Vec<Presence> = rows.into_iter().map(|(c, s)| presence(c, s)).collect();
            let count = tally(&presences, window, threshold, window.close - occurrence);
            let tracked: Option<i64> = sqlx::query_scalar(
                "SELECT meeting_id FROM attendance_salts WHERE meeting_id = $1 AND occurrence = $2
                 UNION ALL SELECT meeting_id FROM attendance_counts WHERE meeting_id = $1 AND occurrence = $2",
            )
            .bind(meeting.0)
            .bind(occurrence.timestamp())
            .fetch_optional(&mut *tx)
            .await?;
            if tracked.is_none() {
                return Ok(Attendance::default());
            }
            // Beside it, how many had said they were going (their answers
            // are deleted as the occurrence rolls over, right after this).
            let going: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM rsvps WHERE meeting_id = $1 AND occurrence = $2 AND answer = 'going'",
            )
            .bind(meeting.0)
            .bind(occurrence.timestamp())
            .fetch_one(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO attendance_counts (meeting_id, guild_id, occurrence, came, stayed, going)
                 VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (meeting_id, occurrence) DO NOTHING",
            )
            .bind(meeting.0)
            .bind(guild.as_db())
            .bind(occurrence.timestamp())
            .bind(i64::from(count.came))
            .bind(i64::from(count.stayed))
            .bind(going)
            .execute(&mut *tx)
            .await?;
            // The salt goes, and its hashes with it.
            sqlx::query("DELETE FROM attendance_salts WHERE meeting_id = $1 AND occurrence = $2")
                .bind(meeting.0)
                .bind(occurrence.timestamp())
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "DELETE FROM attendance_presence WHERE meeting_id = $1 AND occurrence = $2",
            )
            .bind(meeting.0)
            .bind(occurrence.timestamp())
            .execute(&mut *tx)
            .await?;
            let kept: (i64, i64) = sqlx::query_as(
                "SELECT came, stayed FROM attendance_counts WHERE meeting_id = $1 AND occurrence = $2",
            )
            .bind(meeting.0)
            .bind(occurrence.timestamp())
            .fetch_one(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(Attendance {
                came: u32::try_from(kept.0).unwrap_or(0),
                stayed: u32::try_from(kept.1).unwrap_or(0),
            })
        })
    }

    /// What an occurrence came to, once counted.
    pub async fn attendance(
        &self,
        meeting: MeetingId,
        occurrence: DateTime<Utc>,
    ) -> StoreResult<Option<Attendance>> {
        on_pool!(self, |pool| {
            let row: Option<(i64, i64)> = sqlx::query_as(
                "SELECT came, stayed FROM attendance_counts WHERE meeting_id = $1 AND occurrence = $2",
            )
            .bind(meeting.0)
            .bind(occurrence.timestamp())
            .fetch_optional(pool)
            .await?;
            Ok(row.map(|(c, s)| Attendance {
                came: u32::try_from(c).unwrap_or(0),
                stayed: u32::try_from(s).unwrap_or(0),
            }))
        })
    }

    /// How many had said they were going to a counted occurrence (`None`
    /// when not counted, or counted before this was kept).
    pub async fn said_going(
        &self,
        meeting: MeetingId,
        occurrence: DateTime<Utc>,
    ) -> StoreResult<Option<u64>> {
        on_pool!(self, |pool| {
            let going: Option<Option<i64>> = sqlx::query_scalar(
                "SELECT going FROM attendance_counts WHERE meeting_id = $1 AND occurrence = $2",
            )
            .bind(meeting.0)
            .bind(occurrence.timestamp())
            .fetch_optional(pool)
            .await?;
            Ok(going.flatten().and_then(|g| u64::try_from(g).ok()))
        })
    }

    /// The meeting's latest `n` counted occurrences, latest first: who
    /// came and how many had said they were going (`None` when not kept).
    pub async fn recent_attendance(
        &self,
        meeting: MeetingId,
        n: i64,
    ) -> StoreResult<Vec<(DateTime<Utc>, Attendance, Option<u64>)>> {
        on_pool!(self, |pool| {
            let rows: Vec<(i64, i64, i64, Option<i64>)> = sqlx::query_as(
                "SELECT occurrence, came, stayed, going FROM attendance_counts WHERE meeting_id = $1
                 ORDER BY occurrence DESC LIMIT $2",
            )
            .bind(meeting.0)
            .bind(n)
            .fetch_all(pool)
            .await?;
            Ok(rows
                .into_iter()
                .filter_map(|(o, c, s, g)| {
                    Some((
                        DateTime::from_timestamp(o, 0)?,
                        Attendance {
                            came: u32::try_from(c).ok()?,
                            stayed: u32::try_from(s).ok()?,
                        },
                        g.and_then(|g| u64::try_from(g).ok()),
                    ))
                })
                .collect())
        })
    }

    /// The open occurrences `user` is being counted in now.
    pub async fn attendance_open_for(
        &self,
        user: UserId,
    ) -> StoreResult<Vec<(MeetingId, DateTime<Utc>)>> {
        on_pool!(self, |pool| {
            let salts: Vec<(i64, i64, Vec<u8>)> =
                sqlx::query_as(OPEN_SALTS).fetch_all(pool).await?;
            let mut out = Vec::new();
            for (m, o, salt) in salts {
                let Ok(salt) = <[u8; 32]>::try_from(salt.as_slice()) else {
                    continue;
                };
                let found: Option<i64> = sqlx::query_scalar(
                    "SELECT counted_ms FROM attendance_presence WHERE meeting_id = $1 AND occurrence = $2 AND hash = $3",
                )
                .bind(m)
                .bind(o)
                .bind(person(&salt, user))
                .fetch_optional(pool)
                .await?;
                if found.is_some()
                    && let Some(at) = DateTime::from_timestamp(o, 0)
                {
                    out.push((MeetingId(m), at));
                }
            }
            Ok(out)
        })
    }

    /// Every occurrence open now (its salt kept), for the sweep of those
    /// whose roll-over never came.
    pub async fn open_attendance(&self) -> StoreResult<Vec<(MeetingId, DateTime<Utc>)>> {
        on_pool!(self, |pool| {
            let rows: Vec<(i64, i64)> =
                sqlx::query_as("SELECT meeting_id, occurrence FROM attendance_salts")
                    .fetch_all(pool)
                    .await?;
            Ok(rows
                .into_iter()
                .filter_map(|(m, o)| Some((MeetingId(m), DateTime::from_timestamp(o, 0)?)))
                .collect())
        })
    }

    /// Whether the occurrence is being tracked (it has a salt).
    pub async fn attendance_tracked(
        &self,
        meeting: MeetingId,
        occurrence: DateTime<Utc>,
    ) -> StoreResult<bool> {
        on_pool!(self, |pool| {
            let found: Option<i64> = sqlx::query_scalar(
                "SELECT meeting_id FROM attendance_salts WHERE meeting_id = $1 AND occurrence = $2",
            )
            .bind(meeting.0)
            .bind(occurrence.timestamp())
            .fetch_optional(pool)
            .await?;
            Ok(found.is_some())
        })
    }

    /// Deletes an open occurrence's salt and hashes uncounted (its meeting
    /// is gone).
    pub async fn drop_attendance(
        &self,
        meeting: MeetingId,
        occurrence: DateTime<Utc>,
    ) -> StoreResult<()> {
        on_pool!(self, |pool| {
            let mut tx = pool
                .begin_alone_in(super::alone::ATTENDANCE, meeting.0)
                .await?;
            for table in ["attendance_presence", "attendance_salts"] {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DELETE FROM {table} WHERE meeting_id = $1 AND occurrence = $2"
                )))
                .bind(meeting.0)
                .bind(occurrence.timestamp())
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }

    /// Removes `user` from every occurrence open now.
    pub async fn forget_attendance(&self, user: UserId) -> StoreResult<u64> {
        on_pool!(self, |pool| {
            let salts: Vec<(i64, i64, Vec<u8>)> =
                sqlx::query_as(OPEN_SALTS).fetch_all(pool).await?;
            let mut removed = 0;
            for (m, o, salt) in salts {
                let Ok(salt) = <[u8; 32]>::try_from(salt.as_slice()) else {
                    continue;
                };
                // In turn with the meeting's voice changes: one in flight
                // cannot put the hash back after it is deleted.
                let mut tx = pool.begin_alone_in(super::alone::ATTENDANCE, m).await?;
                removed += sqlx::query(
                    "DELETE FROM attendance_presence WHERE meeting_id = $1 AND occurrence = $2 AND hash = $3",
                )
                .bind(m)
                .bind(o)
                .bind(person(&salt, user))
                .execute(&mut *tx)
                .await?
                .rows_affected();
                tx.commit().await?;
            }
            Ok(removed)
        })
    }
}
