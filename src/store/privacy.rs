//! Everything tied to one member, gathered and deleted in one place.

use chrono::DateTime;

use super::{Db, StoreResult};
use crate::domain::UserId;
use crate::domain::privacy::{
    MemberData, StoredJournal, StoredJournalEntry, StoredMeetingDm, StoredRsvp,
};

/// How many of a member's held hashes one statement deletes.
const FORGET_BATCH: usize = 250;

impl Db {
    /// Everything stored about the member.
    pub async fn member_data(&self, user: UserId) -> StoreResult<MemberData> {
        on_pool!(self, |pool| {
            let rsvps: Vec<(i64, String, i64, String)> = sqlx::query_as(
            "SELECT r.meeting_id, m.title, r.occurrence, r.answer FROM rsvps r JOIN meetings m ON m.id = r.meeting_id
             WHERE r.user_id = $1 ORDER BY r.occurrence, r.meeting_id",
        )
        .bind(user.as_db())
        .fetch_all(pool)
        .await?;
            let dms: Vec<(i64, String)> = sqlx::query_as(
            "SELECT d.meeting_id, m.title FROM meeting_dms d JOIN meetings m ON m.id = d.meeting_id
             WHERE d.user_id = $1 ORDER BY d.meeting_id",
        )
        .bind(user.as_db())
        .fetch_all(pool)
        .await?;
            let journal = match sqlx::query_as::<_, (i64, i64)>(
                "SELECT active, retention_days FROM journal_members WHERE user_id = $1",
            )
            .bind(user.as_db())
            .fetch_optional(pool)
            .await?
            {
                None => None,
                Some((active, retention_days)) => {
                    let entries: Vec<(i64, i64, Option<String>)> = sqlx::query_as(
                    "SELECT created_ms, mood, note FROM journal_entries WHERE user_id = $1 ORDER BY created_ms, id",
                )
                .bind(user.as_db())
                .fetch_all(pool)
                .await?;
                    Some(StoredJournal {
                        active: active != 0,
                        retention_days,
                        entries: entries
                            .into_iter()
                            .map(|(ms, mood, note)| StoredJournalEntry {
                                at: DateTime::from_timestamp_millis(ms).unwrap_or_default(),
                                mood: mood.clamp(1, 5) as u8,
                                note,
                            })
                            .collect(),
                    })
                }
            };
            let dm_notice_servers: Vec<i64> = sqlx::query_scalar(
                "SELECT guild_id FROM facilitator_dm_notices WHERE user_id = $1 ORDER BY guild_id",
            )
            .bind(user.as_db())
            .fetch_all(pool)
            .await?;
            let mut toolkit = Vec::new();
            for key in self.toolkit(user).await? {
                toolkit.push(self.toolkit_item(key).await?);
            }
            let shared_strategies = self
                .strategies_by(user)
                .await?
                .into_iter()
                .map(|s| crate::domain::privacy::StoredStrategy {
                    id: s.id,
                    category: s.category.as_str().to_owned(),
                    text: s.text,
                    status: s.status.as_str().to_owned(),
                    credit: s.credit,
                })
                .collect();
            let moderation = self.moderation_records(user).await?;
            let cw_posts = self
                .cw_posts_by(user, None)
                .await?
                .into_iter()
                .map(|p| crate::domain::privacy::StoredCwPost {
                    guild: p.guild,
                    channel: p.channel,
                    message: p.message.to_string(),
                    posted_at: p.at,
                })
                .collect();
            Ok(MemberData {
                not_counted_at_voice_meetings: !self.attendance_counted(user).await?,
                counted_now_in_meetings: self.attendance_open_for(user).await?.len(),
                moderation,
                cw_posts,
                toolkit,
                shared_strategies,
                dm_notice_servers: dm_notice_servers
                    .into_iter()
                    .map(crate::domain::GuildId::from_db)
                    .collect(),
                journal,
                user_id: user,
                timezone: self.member_stored_zone(user).await?,
                rsvps: rsvps
                    .into_iter()
                    .map(
                        |(meeting_id, meeting_title, occurrence, answer)| StoredRsvp {
                            meeting_id,
                            meeting_title,
                            occurrence: DateTime::from_timestamp(occurrence, 0).unwrap_or_default(),
                            answer,
                        },
                    )
                    .collect(),
                meeting_dms: dms
                    .into_iter()
                    .map(|(meeting_id, meeting_title)| StoredMeetingDm {
                        meeting_id,
                        meeting_title,
                    })
                    .collect(),
            })
        })
    }

    /// Deletes every record tied to the member, then checkpoints and truncates
    /// the write-ahead log so that no copy of those records stays on disk
    /// (`secure_delete` has already zeroed the freed space). Returns how many
    /// records were deleted, and whether the checkpoint completed.
    pub async fn forget_member(&self, user: UserId) -> StoreResult<(u64, bool)> {
        on_pool!(self, |pool| {
            // Alone with counting: a count in another process cannot add a
            // hash of this member after their hashes were deleted.
            let mut tx = pool.begin_alone(super::alone::PEOPLE).await?;
            let mut deleted = 0;
            for table in [
                "DELETE FROM member_prefs WHERE user_id = $1",
                "DELETE FROM rsvps WHERE user_id = $1",
                "DELETE FROM meeting_dms WHERE user_id = $1",
                // Reminders by DM waiting for them, or sent within the week.
                "DELETE FROM jobs WHERE kind = 'reminder_dm' AND target_id = $1",
                "DELETE FROM journal_entries WHERE user_id = $1",
                "DELETE FROM journal_members WHERE user_id = $1",
                "DELETE FROM facilitator_dm_notices WHERE user_id = $1",
                "DELETE FROM toolkit WHERE user_id = $1",
                // Waiting or rejected: theirs alone. Approved: the group's now,
                // kept as from "a member" with no link to them.
                "DELETE FROM shared_strategies WHERE author_id = $1 AND status != 'approved'",
                "UPDATE shared_strategies SET author_id = NULL, credit = NULL WHERE author_id = $1",
                // Reports they made stay for the group's safety, without their
                // name; cases and notes about them stay until their retention.
                "UPDATE mod_reports SET reporter_id = NULL, named = 0 WHERE reporter_id = $1",
                // Copies of reports they received as a facilitator stay (so
                // retention can still delete them) without naming them.
                "UPDATE mod_report_copies SET recipient_id = NULL WHERE recipient_id = $1",
                // A report form they opened and never sent (a form about their
                // message stays: a member cannot cancel a report about them;
                // it is gone within the hour anyway).
                "DELETE FROM mod_report_drafts WHERE reporter_id = $1",
                // What they did as a facilitator: who acknowledged a report, who
                // corrected a case's reason (the case itself stays with the group).
                "UPDATE mod_reports SET handled_by = NULL WHERE handled_by = $1",
                "UPDATE mod_cases SET edited_by = NULL WHERE edited_by = $1",
                "UPDATE mod_case_amendments SET amended_by = NULL WHERE amended_by = $1",
                // Their /cw posts (deleted from Discord by the caller first).
                "DELETE FROM cw_posts WHERE author_id = $1",
                // Their "don't count me" (with the rest of their preferences).
                "DELETE FROM attendance_optouts WHERE user_id = $1",
                // Their web sessions: forgetting signs them out everywhere.
                "DELETE FROM web_sessions WHERE user_id = $1",
            ] {
                deleted += sqlx::query(table)
                    .bind(user.as_db())
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
            }
            // In a voice meeting open now, they are held as a keyed hash under
            // its salt: theirs goes (the count will not include them).
            let open_meetings: Vec<(i64, i64, Vec<u8>)> =
                sqlx::query_as(super::attendance::OPEN_SALTS)
                    .fetch_all(&mut *tx)
                    .await?;
            for (meeting, occurrence, salt) in open_meetings {
                let Ok(salt) = <[u8; 32]>::try_from(salt.as_slice()) else {
                    continue;
                };
                deleted += sqlx::query(
                    "DELETE FROM attendance_presence WHERE meeting_id = $1 AND occurrence = $2 AND hash = $3",
                )
                .bind(meeting)
                .bind(occurrence)
                .bind(super::attendance::person(&salt, user))
                .execute(&mut *tx)
                .await?
                .rows_affected();
            }
            // While a statistics period is open, the member is held there as a
            // keyed hash under its salt: delete theirs in every open period and
            // facet (the counts stay; if they come back they may count twice).
            let open_periods: Vec<(i64, String, Vec<u8>)> = sqlx::query_as(
                "SELECT guild_id, period, salt FROM stats_periods WHERE salt IS NOT NULL",
            )
            .fetch_all(&mut *tx)
            .await?;
            let mut held: Vec<(i64, String, &'static str, [u8; 32])> = Vec::new();
            for (guild, period, salt) in open_periods {
                let Ok(salt) = <[u8; 32]>::try_from(salt.as_slice()) else {
                    continue;
                };
                for facet in crate::domain::stats::Facet::ALL {
                    let hash = crate::domain::stats::person_hash(&salt, facet, user);
                    held.push((guild, period.clone(), facet.as_str(), hash));
                }
            }
            // In batches: one statement per few hundred, each row found by its
            // primary key (SQLite answers an OR of whole keys key by key).
            for batch in held.chunks(FORGET_BATCH) {
                let sql = (0..batch.len())
                    .map(|i| {
                        let n = 4 * i;
                        format!(
                            "(guild_id = ${} AND period = ${} AND facet = ${} AND hash = ${})",
                            n + 1,
                            n + 2,
                            n + 3,
                            n + 4
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(" OR ");
                let sql = format!("DELETE FROM stats_period_people WHERE {sql}");
                let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
                for (guild, period, facet, hash) in batch {
                    query = query
                        .bind(*guild)
                        .bind(period.as_str())
                        .bind(*facet)
                        .bind(hash.as_slice());
                }
                deleted += query.execute(&mut *tx).await?.rows_affected();
            }
            // Answers in rounds still open are held under each round's salt.
            let open: Vec<(i64, Vec<u8>)> =
                sqlx::query_as("SELECT id, salt FROM rounds WHERE closed = 0 AND salt IS NOT NULL")
                    .fetch_all(&mut *tx)
                    .await?;
            for (round, salt) in open {
                if let Ok(salt) = <[u8; 32]>::try_from(salt.as_slice()) {
                    let voter = crate::domain::anonymity::round_voter(&salt, user);
                    deleted +=
                        sqlx::query("DELETE FROM round_answers WHERE round_id = $1 AND voter = $2")
                            .bind(round)
                            .bind(voter.as_slice())
                            .execute(&mut *tx)
                            .await?
                            .rows_affected();
                }
            }
            tx.commit().await?;
            let clean = self.checkpoint().await?;
            Ok((deleted, clean))
        })
    }
}
