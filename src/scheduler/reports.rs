//! Getting a member's report to the people who should see it, and keeping
//! its copies true afterwards.
//!
//! A report is delivered by its job: the form's answer claims it at once,
//! and the scheduler takes it after a failure or a restart, with retries, so
//! a report is never lost between storing and posting and never delivered
//! twice. Where it goes is decided by whom it is about, never by its words
//! ([`route`]): a report about a facilitator or an admin goes by DM to those
//! who may receive it and never reaches its subject; any other goes to the
//! log channel, or by DM to the facilitators who asked for notices when
//! there is none or Discord refuses it.

use poise::serenity_prelude as serenity;

use super::facilitators::{self, Rank, Reach};
use crate::domain::moderation::REPORT_WINDOW_MINUTES;
use crate::domain::moderation::reports::{Delivery, route};
use crate::domain::settings::GuildSettings;
use crate::domain::{ChannelId, RoleId, UserId};
use crate::rest::RestError;
use crate::store::{DRAFT_MINUTES, Db, Job, Report};
use crate::views::{report_buttons, report_embed};

/// The scheduler's delivery job: `Ok(true)` when there is nothing (left) to
/// deliver, `Ok(false)` when it was delivered now, an error to retry.
pub async fn run(reach: Reach<'_>, job: &Job) -> Result<bool, String> {
    let Some(id) = job.target else {
        return Ok(true);
    };
    let Some(report) = reach
        .db
        .report(id as i64)
        .await
        .map_err(|e| e.to_string())?
    else {
        // Past its retention already.
        return Ok(true);
    };
    if report.delivered {
        return Ok(true);
    }
    match deliver(reach, &report).await?.1 {
        Delivery::Waiting => Err("nobody could be reached yet".to_owned()),
        _ => Ok(false),
    }
}

/// The scheduler's tidying of reports: anonymous reporters unlinked once
/// the rate window is past, drafts deleted once their hour is up.
pub async fn tidy(db: &Db, now: chrono::DateTime<chrono::Utc>) -> Result<(), String> {
    db.unlink_anonymous_reporters(now - chrono::Duration::minutes(REPORT_WINDOW_MINUTES))
        .await
        .map_err(|e| e.to_string())?;
    db.purge_report_drafts(now - chrono::Duration::minutes(DRAFT_MINUTES))
        .await
        .map_err(|e| e.to_string())?;
    Ok(())
}

/// Delivers a stored report and marks it delivered once someone has it.
/// Where it may go is decided by whom it is about (their rank read fresh
/// from Discord), never by its words: see [`route`]. Returns that rank and
/// where it went (`Waiting`: nobody can receive it yet); an error when
/// Discord failed in a way worth trying again.
pub async fn deliver(reach: Reach<'_>, report: &Report) -> Result<(Rank, Delivery), String> {
    let settings = reach
        .db
        .guild_settings(report.guild)
        .await
        .map_err(|e| e.to_string())?;
    let about = match report.author {
        Some(author) => {
            facilitators::rank_now(reach, report.guild, author, settings.facilitator_role).await?
        }
        // Who wrote it is unknown (a webhook's message): as if about an
        // admin, so it never reaches its real author by the log channel.
        None => Rank::Admin,
    };
    if report.about != Some(about) {
        reach
            .db
            .set_report_about(report.id, about)
            .await
            .map_err(|e| e.to_string())?;
    }
    let way = route(report.kind, about);
    let delivery = if way.log_channel {
        to_facilitators(reach, &settings, report, way.ping).await?
    } else {
        let heading = if way.dm_at_least == Rank::Admin {
            "A member reported a message by someone who helps run the group. It came only to the server's admins who asked for notices, \
             not to the log channel, and never to the person it is about."
        } else {
            "A member reported that someone who helps run the group may need support. It came by direct message to the admins and facilitators \
             who asked for notices, not to the log channel, and never to the person it is about."
        };
        by_dm(reach, &settings, report, way.dm_at_least, heading).await?
    };
    if delivery != Delivery::Waiting {
        reach
            .db
            .set_report_delivered(report.id)
            .await
            .map_err(|e| e.to_string())?;
        // The reporter asked to be forgotten while it was on its way: their
        // name comes off what was just sent.
        if let Ok(Some(now)) = reach.db.report(report.id).await
            && (now.named, now.reporter) != (report.named, report.reporter)
        {
            refresh(reach.db, reach.rest, &now).await;
        }
    }
    Ok((about, delivery))
}

/// A report about a plain member: the log channel, pinging the facilitator
/// role when someone may need support (`ping`); by DM where there is no log
/// channel or it refuses, and when nobody could be pinged.
async fn to_facilitators(
    reach: Reach<'_>,
    settings: &GuildSettings,
    report: &Report,
    ping: bool,
) -> Result<Delivery, String> {
    // One ping per message: later reports about it are cards without one.
    let pages = ping
        && !reach
            .db
            .paged_before(report)
            .await
            .map_err(|e| e.to_string())?;
    let role = settings
        .facilitator_role
        .filter(|role| mentionable(reach, report, *role));
    let mut failure = None;
    if report.log_message.is_some() {
        // Posted on an earlier try (only the mark was lost).
        return Ok(Delivery::LogChannel { pinged: false });
    }
    if let Some(log_channel) = settings.log_channel {
        match post_to_log(reach, report, log_channel, role.filter(|_| pages)).await {
            Ok(()) => {
                // Nobody was pinged: someone who may need support is told to
                // facilitators by DM too.
                if pages && role.is_none() {
                    let heading = format!(
                        "A member reported that someone may need support; it is in the log channel. {}",
                        if settings.facilitator_role.is_some() {
                            "The facilitator role could not be mentioned, so nobody was pinged: an admin can make it mentionable (or run `/settings facilitator-role` for how)."
                        } else {
                            "This server has no facilitator role to ping; an admin can set one with `/settings facilitator-role`."
                        }
                    );
                    if let Err(why) =
                        by_dm(reach, settings, report, Rank::Facilitator, &heading).await
                    {
                        tracing::warn!(report = report.id, %why, "cannot tell facilitators by DM that nobody was pinged");
                    }
                }
                return Ok(Delivery::LogChannel {
                    pinged: pages && role.is_some(),
                });
            }
            Err(e) => {
                tracing::warn!(guild = report.guild.0, report = report.id, error = %e, "cannot post a report to the log channel; trying facilitators' DMs");
                failure = Some(e);
            }
        }
    }
    let heading = format!(
        "A member reported a message{}. It came to you by direct message because {}; \
         set one with `/settings log-channel` to track reports with Acknowledge and Resolved.",
        if pages {
            ": someone may need support"
        } else {
            ""
        },
        if settings.log_channel.is_some() {
            "I couldn't post in the log channel"
        } else {
            "this server has no log channel"
        }
    );
    match by_dm(reach, settings, report, Rank::Facilitator, &heading).await? {
        Delivery::Waiting => match failure {
            Some(RestError::Transient(why)) => Err(why),
            _ => Ok(Delivery::Waiting),
        },
        reached => Ok(reached),
    }
}

/// Whether Discord will ping `role` for Haven: a role nobody may mention
/// is pinged only by those with Mention Everyone. What the cache does not
/// know is taken as mentionable.
fn mentionable(reach: Reach<'_>, report: &Report, role: RoleId) -> bool {
    let me = reach.cache.current_user().id;
    reach
        .cache
        .guild(serenity::GuildId::new(report.guild.0))
        .and_then(|g| {
            let everyone = g
                .members
                .get(&me)
                .is_some_and(|m| g.member_permissions(m).mention_everyone());
            g.roles
                .get(&serenity::RoleId::new(role.0))
                .map(|r| r.mentionable || everyone)
        })
        .unwrap_or(true)
}

async fn post_to_log(
    reach: Reach<'_>,
    report: &Report,
    channel: ChannelId,
    ping: Option<RoleId>,
) -> Result<(), RestError> {
    let mut post = serenity::CreateMessage::new()
        .embed(report_embed(report))
        .components(report_buttons(report.id, report.status))
        .allowed_mentions(serenity::CreateAllowedMentions::new());
    if let Some(role) = ping {
        post = post
            .content(format!("<@&{}> someone may need support.", role.0))
            .allowed_mentions(
                serenity::CreateAllowedMentions::new().roles(vec![serenity::RoleId::new(role.0)]),
            );
    }
    // The same post however often delivery is tried.
    let nonce = super::stable_nonce("rl", report.id.to_le_bytes(), &channel.0.to_le_bytes());
    let sent = reach
        .rest
        .send_nonced(serenity::ChannelId::new(channel.0), post, nonce)
        .await?;
    // A post Haven cannot find again could never be updated or removed:
    // tried again (the nonce keeps it one post).
    reach
        .db
        .set_report_log_message(report.id, channel, sent.id.get())
        .await
        .map_err(|e| RestError::Transient(format!("cannot remember a report's log post: {e}")))
}

/// Sends the report by DM to those who asked for notices and stand at
/// least `needed`, except the person it is about and anyone who has it
/// already. Returns how many have it now (`Waiting`: nobody).
async fn by_dm(
    reach: Reach<'_>,
    settings: &GuildSettings,
    report: &Report,
    needed: Rank,
    heading: &str,
) -> Result<Delivery, String> {
    let copies = reach
        .db
        .report_copies(report.id)
        .await
        .map_err(|e| e.to_string())?;
    let mut leaving_out: Vec<UserId> = copies.iter().filter_map(|(_, _, r)| *r).collect();
    leaving_out.extend(report.author);
    let told = facilitators::tell(
        reach,
        report.guild,
        settings.facilitator_role,
        needed,
        &leaving_out,
        |person| copy(report, heading, person),
    )
    .await
    .map_err(|e| e.to_string())?;
    for (person, sent) in &told {
        keep_copy(reach.db, report, *person, sent).await;
    }
    Ok(match told.len() + copies.len() {
        0 => Delivery::Waiting,
        people => Delivery::Direct {
            people,
            at_least: needed,
        },
    })
}

/// A report's copy for one person, the same message however often it is
/// tried (its nonce).
fn copy(report: &Report, heading: &str, person: UserId) -> serenity::CreateMessage {
    serenity::CreateMessage::new()
        .content(heading)
        .embed(report_embed(report))
        .components(report_buttons(report.id, report.status))
        .nonce(serenity::Nonce::String(super::stable_nonce(
            "rd",
            report.id.to_le_bytes(),
            &person.0.to_le_bytes(),
        )))
        .enforce_nonce(true)
}

async fn keep_copy(db: &Db, report: &Report, person: UserId, sent: &serenity::Message) {
    if let Err(e) = db
        .add_report_copy(
            report,
            person,
            ChannelId(sent.channel_id.get()),
            sent.id.get(),
        )
        .await
    {
        tracing::warn!(report = report.id, error = %e, "cannot remember a report's DM copy");
    }
}

/// Brings every post of a report up to date (its status, a reporter no
/// longer named): the log channel's card with its buttons, and each DM copy.
pub async fn refresh(db: &Db, rest: &crate::rest::Rest, report: &Report) {
    if let Some(message) = report.log_message {
        let edit = serenity::EditMessage::new()
            .embed(report_embed(report))
            .components(report_buttons(report.id, report.status));
        super::edit_in_log(
            db,
            rest,
            report.guild,
            report.log_channel,
            message,
            edit,
            "a report",
        )
        .await;
    }
    refresh_copies(db, rest, report).await;
}

/// Brings a report's DM copies up to date.
pub async fn refresh_copies(db: &Db, rest: &crate::rest::Rest, report: &Report) {
    let copies = match db.report_copies(report.id).await {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(report = report.id, error = %e, "cannot read a report's DM copies");
            return;
        }
    };
    for (channel, message, _) in copies {
        let edit = serenity::EditMessage::new()
            .embed(report_embed(report))
            .components(report_buttons(report.id, report.status));
        super::edit_in_log(
            db,
            rest,
            report.guild,
            Some(channel),
            message,
            edit,
            "a report's DM copy",
        )
        .await;
    }
}
