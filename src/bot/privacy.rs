//! `/privacy show|export|forget`: everything Haven keeps about a member, a
//! copy of it, and its deletion.

use chrono::{DateTime, Utc};
use poise::CreateReply;
use poise::serenity_prelude as serenity;

use super::reply::Reply;
use super::{Context, Data, Error, render};
use crate::domain::UserId;
use crate::domain::custom_id::CustomId;
use crate::domain::privacy::{Export, MemberData, confirmation_valid};

/// See, export or delete what Haven keeps about you
#[poise::command(
    slash_command,
    subcommands("show", "export", "forget", "attendance"),
    subcommand_required
)]
pub async fn privacy(_ctx: Context<'_>) -> Result<(), Error> {
    Ok(())
}

/// See everything Haven stores about you
#[poise::command(slash_command)]
async fn show(ctx: Context<'_>) -> Result<(), Error> {
    let user = super::author(ctx);
    let data = ctx.data().db.member_data(user).await?;
    let (embed, complete) = data_embed(&data);
    let embed = embed.field(
        "Voice meetings",
        attendance_line(
            ctx.data().db.attendance_counted(user).await?,
            ctx.data().db.attendance_open_for(user).await?.len(),
        ),
        false,
    );
    let mut reply = render::ephemeral_embed(embed);
    if !complete {
        // Too much for one message: everything, in a file.
        let file = Export::new(&data, ctx.data().clock.now()).to_json();
        reply = reply
            .content(
                "That is more than fits in one message, so the full list is in the attached file.",
            )
            .attachment(serenity::CreateAttachment::bytes(
                file,
                "haven-my-data.json",
            ));
    }
    ctx.send(reply).await?;
    Ok(())
}

/// What `/privacy show` says of attendance.
fn attendance_line(counted: bool, open_now: usize) -> String {
    let now = match open_now {
        0 => "You are not being counted in any meeting right now.".to_owned(),
        n => format!(
            "You are being counted in {n} meeting{} under way now, as a scrambled code rather than your name; \
             when it ends it becomes part of one number and the code, and what made it, are deleted.",
            if n == 1 { "" } else { "s" }
        ),
    };
    if counted {
        format!(
            "Time in a meeting's voice channel counts you (anonymously) as attending. {now} `/privacy attendance counted:false` stops it."
        )
    } else {
        format!(
            "You asked not to be counted as attending voice meetings. {now} `/privacy attendance counted:true` counts you again."
        )
    }
}

/// Whether you are counted (anonymously) as attending voice meetings
#[poise::command(slash_command)]
async fn attendance(
    ctx: Context<'_>,
    #[description = "True to be counted (the default), false to never be"] counted: bool,
) -> Result<(), Error> {
    let user = super::author(ctx);
    ctx.data().db.set_attendance_counted(user, counted).await?;
    let text = if counted {
        "You'll be counted again as attending voice meetings: only as part of a number, never by name."
    } else {
        "You won't be counted as attending voice meetings from now on, and you've been taken out of any meeting under way."
    };
    ctx.send(render::ephemeral(text)).await?;
    Ok(())
}

/// Get a copy of your data as a file
#[poise::command(slash_command)]
async fn export(ctx: Context<'_>) -> Result<(), Error> {
    let data = ctx.data().db.member_data(super::author(ctx)).await?;
    let file = Export::new(&data, ctx.data().clock.now()).to_json();
    ctx.send(
        render::ephemeral("Here is everything Haven stores about you. Only you can see this.")
            .attachment(serenity::CreateAttachment::bytes(
                file,
                "haven-my-data.json",
            )),
    )
    .await?;
    Ok(())
}

/// Delete everything Haven stores about you
#[poise::command(slash_command)]
async fn forget(ctx: Context<'_>) -> Result<(), Error> {
    let user = ctx.author().id.get();
    let issued = ctx.data().clock.now().timestamp();
    let buttons = serenity::CreateActionRow::Buttons(vec![
        serenity::CreateButton::new(CustomId::ForgetConfirm { user, issued }.encode())
            .label("Delete my data")
            .style(serenity::ButtonStyle::Danger),
        serenity::CreateButton::new(CustomId::ForgetCancel { user }.encode())
            .label("Keep it")
            .style(serenity::ButtonStyle::Secondary),
    ]);
    ctx.send(
        CreateReply::default()
            .content(
                "This deletes everything Haven stores about you, in every server: your time zone, your meeting \
                 answers, direct-message reminders, your journal, your toolkit and strategies you shared (an approved one stays with the \
                 group, credited to \"a member\"), and your name on reports you made, and your `/cw` posts (deleted from their channels). Moderation cases and notes about you are kept \
                 for the group's safety until their retention ends. If you asked not to be counted at voice meetings, that goes too (it holds your id): \
                 ask again after with `/privacy attendance counted:false`. It can't be undone. Anonymous statistics never held your name, so the counts stay; \
                 the scrambled fingerprints that keep a running week, month, quarter or year from counting you twice are deleted now too.\n\n\
                 What you posted in channels yourself stays in Discord, because it is Discord's and the server's: your check-ins shared with \
                 `share:group` are messages under your name there. You can delete those messages in Discord.\n\n\
                 Delete it all?",
            )
            .components(vec![buttons])
            .ephemeral(true),
    )
    .await?;
    Ok(())
}

/// How many `/cw` posts `/privacy show` links (the export has them all).
const CW_POSTS_SHOWN: usize = 8;

/// What the member is told of `/cw` posts Discord would not delete.
fn cw_left(left: &[crate::store::CwPost]) -> String {
    if left.is_empty() {
        return String::new();
    }
    format!(
        "\n\nDiscord would not let me delete {} of your `/cw` posts (I may no longer see their channel). Haven no longer keeps that they are yours; a facilitator can remove them: {}",
        left.len(),
        left.iter()
            .take(10)
            .map(|p| format!(
                "https://discord.com/channels/{}/{}/{}",
                p.guild.0, p.channel.0, p.message
            ))
            .collect::<Vec<_>>()
            .join(" ")
    )
}

/// The member pressed "Delete my data".
pub async fn confirm_forget(
    data: &Data,
    user: UserId,
    issued: i64,
    now: DateTime<Utc>,
) -> Result<Reply, Error> {
    let issued = DateTime::<Utc>::from_timestamp(issued, 0).unwrap_or(DateTime::<Utc>::MIN_UTC);
    if !confirmation_valid(issued, now) {
        return Ok(Reply::Replace("That confirmation has expired, so nothing was deleted. Run `/privacy forget` again if you still want to.".to_owned()));
    }
    let cards = data.db.strategy_cards_by(user).await?;
    let named_reports = data.db.named_reports_by(user).await?;
    // Their `/cw` posts are theirs: deleted from Discord first (one that
    // cannot be deleted now is still forgotten with the rest below).
    let left = super::moderation::remove_cw_posts(data, user, None).await;
    let (deleted, clean) = data.db.forget_member(user).await?;
    super::moderation::unname_in_log(data, named_reports).await;
    // Their words and name leave the log channel's cards too.
    for (guild, message) in cards {
        super::strategies::edit_log_card(
            data,
            guild,
            message,
            "A strategy shared by a member who has since asked Haven to forget them.",
            None,
        )
        .await;
    }
    tracing::info!(records = deleted, clean, "a member's data was forgotten");
    let done: String = if data.db.is_postgres() {
        // PostgreSQL deletes the rows; its own storage keeps old versions
        // for a while, and its logs and backups for as long as they are kept.
        "Done. Everything Haven stored about you has been deleted from its database. One honest caveat: this Haven runs on a \
         database server that keeps deleted records in its own files, logs and backups until they are cleaned up or expire; \
         the people who run it can tell you for how long. Check-ins you shared in channels are messages in Discord; you can delete those there."
            .to_owned()
    } else if clean {
        "Done. Everything Haven stored about you has been deleted, and nothing of it is left in Haven's files. \
         Check-ins you shared in channels are messages in Discord; you can delete those there."
            .to_owned()
    } else {
        "Done. Everything Haven stored about you has been deleted. One honest caveat: the database was busy, so a copy of the deleted \
         records may stay in its write-ahead log until its next checkpoint, which happens within a day. \
         Check-ins you shared in channels are messages in Discord; you can delete those there."
            .to_owned()
    };
    Ok(Reply::Replace(format!("{done}{}", cw_left(&left))))
}

/// The member pressed "Keep it".
pub fn cancel_forget() -> Reply {
    Reply::Replace("Nothing was deleted. Your data stays as it was.".to_owned())
}

/// Everything stored about the member, and whether all of it fit.
fn data_embed(data: &MemberData) -> (serenity::CreateEmbed, bool) {
    let embed = render::embed("What Haven stores about you");
    let embed = if data.is_empty() {
        embed.description("Nothing at all. Haven keeps nothing about you until you choose to, for example with `/timezone set`.")
    } else {
        embed.description("This is everything; `/privacy export` gives you a copy and `/privacy forget` deletes it.")
    };
    let zone = match &data.timezone {
        Some(z) => format!("{} (set {})", z.zone, render::timestamp_date(z.set_at)),
        None => "Not set.".to_owned(),
    };
    let rsvp_lines: Vec<String> = data
        .rsvps
        .iter()
        .map(|r| {
            format!(
                "{} on {}: {}",
                render::inline_code(&r.meeting_title, 100),
                render::timestamp_date(r.occurrence),
                r.answer
            )
        })
        .collect();
    let rsvp_fields = render::chunk_lines(&rsvp_lines, render::FIELD_MAX);
    // Discord refuses an embed over 6,000 characters in all: beyond about
    // 3,000 characters of answers, the full list goes in a file instead.
    let mut shown_fields = 0;
    let mut budget = 2500usize;
    for f in &rsvp_fields {
        let n = f.chars().count();
        if n > budget {
            break;
        }
        budget -= n;
        shown_fields += 1;
    }
    let mut complete = shown_fields == rsvp_fields.len();
    let dms = if data.meeting_dms.is_empty() {
        "None.".to_owned()
    } else {
        data.meeting_dms
            .iter()
            .map(|d| format!("#{} {}", d.meeting_id, d.meeting_title))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let mut embed = embed.field("Time zone", zone, false);
    if rsvp_fields.is_empty() {
        embed = embed.field(
            "Meeting answers",
            "None. Answers are deleted once their meeting is over.",
            false,
        );
    }
    for (i, chunk) in rsvp_fields.iter().take(shown_fields).enumerate() {
        let name = if i == 0 {
            format!(
                "Meeting answers ({}; deleted once each meeting is over)",
                data.rsvps.len()
            )
        } else {
            "Meeting answers (continued)".to_owned()
        };
        embed = embed.field(name, chunk, false);
    }
    complete &= dms.chars().count() <= render::FIELD_MAX;
    let embed = embed
        .field("Reminders by direct message", render::field(dms), false)
        .field(
            "Reach-out requests by direct message",
            if data.dm_notice_servers.is_empty() {
                "Off.".to_owned()
            } else {
                format!("On in {} server(s) where you facilitate.", data.dm_notice_servers.len())
            },
            false,
        )
        .field(
            "Journal",
            match &data.journal {
                None => "Not kept.".to_owned(),
                Some(j) => format!(
                    "{} {} entries, each kept for {} days (`/journal show`).",
                    if j.active { "On:" } else { "Stopped:" },
                    j.entries.len(),
                    j.retention_days
                ),
            },
            false,
        )
        .field(
            "Coping toolkit",
            if data.toolkit.is_empty() {
                "Empty.".to_owned()
            } else {
                format!("{} saved strategies (`/toolkit`).", data.toolkit.len())
            },
            false,
        )
        .field(
            "Strategies you shared",
            if data.shared_strategies.is_empty() {
                "None.".to_owned()
            } else {
                render::field(
                    data.shared_strategies
                        .iter()
                        .map(|s| {
                            format!(
                                "{} ({}, {})",
                                render::inline_code(&s.text, 80),
                                s.category,
                                s.status
                            )
                        })
                        .collect::<Vec<_>>()
                        .join("\n"),
                )
            },
            false,
        )
        .field(
            "Moderation records",
            moderation_field(&data.moderation),
            false,
        )
        .field(
            "Your /cw posts",
            if data.cw_posts.is_empty() {
                "None.".to_owned()
            } else {
                render::field(format!(
                    "{}\nHaven posted these for you, so it keeps that they are yours. `/privacy forget` deletes them from Discord too.",
                    data.cw_posts
                        .iter()
                        .take(CW_POSTS_SHOWN)
                        .map(|p| format!(
                            "https://discord.com/channels/{}/{}/{} (<t:{}:d>)",
                            p.guild.0,
                            p.channel.0,
                            p.message,
                            p.posted_at.timestamp()
                        ))
                        .chain((data.cw_posts.len() > CW_POSTS_SHOWN).then(|| format!(
                            "…and {} more; `/privacy export` lists them all.",
                            data.cw_posts.len() - CW_POSTS_SHOWN
                        )))
                        .collect::<Vec<_>>()
                        .join("\n")
                ))
            },
            false,
        )
        .field(
        "Statistics",
        "Anonymous counts of people only: never your name, your id or anything you wrote. While a week, month, quarter \
         or year is running, a scrambled fingerprint made with a random key for that period keeps anyone from being \
         counted twice; the key and the fingerprints are deleted when the period ends, leaving only the counts, and yours \
         go at once with `/privacy forget`.",
        false,
    );
    (embed, complete)
}

/// Moderation records tied to the member: that they exist and how long they
/// are kept; what facilitators wrote stays with them.
fn moderation_field(records: &[crate::domain::privacy::StoredModeration]) -> String {
    if records.is_empty() {
        return "None.".to_owned();
    }
    let lines: Vec<String> = records
        .iter()
        .map(|r| {
            let mut parts = Vec::new();
            if r.cases_about > 0 {
                parts.push(format!("{} moderation case(s) about you", r.cases_about));
            }
            if r.notes_about > 0 {
                parts.push(format!("{} facilitator note(s) about you", r.notes_about));
            }
            if r.reports_made > 0 {
                parts.push(format!("{} report(s) you made", r.reports_made));
            }
            if r.reports_about > 0 {
                parts.push(format!(
                    "{} report(s) about messages you wrote, with a short excerpt",
                    r.reports_about
                ));
            }
            format!(
                "In server `{}`: {}; each kept for {} days, for the group's safety.",
                r.guild,
                parts.join(", "),
                r.retention_days
            )
        })
        .collect();
    render::field(format!(
        "{}\n`/privacy forget` removes your name from reports you made; cases and notes about you stay until their time is up.",
        lines.join("\n")
    ))
}
