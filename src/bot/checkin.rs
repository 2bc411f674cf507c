//! `/checkin`: a personal check-in, private or shared with the group.

use chrono::{DateTime, Utc};
use poise::serenity_prelude as serenity;

use super::reply::{Reply, View};
use super::{Context, Data, Error, render};
use crate::domain::custom_id::CustomId;
use crate::domain::mood::Mood;
use crate::domain::stats::Facet;
use crate::domain::{GuildId, UserId};
use crate::rest::RestError;

pub const MAX_NOTE: usize = 1000;

#[derive(Debug, Clone, Copy, poise::ChoiceParameter)]
pub enum ShareChoice {
    #[name = "private"]
    Private,
    #[name = "group"]
    Group,
}

/// How are you arriving today? (1 struggling … 5 great)
#[poise::command(slash_command, guild_only)]
pub async fn checkin(
    ctx: Context<'_>,
    #[description = "1 struggling, 2 low, 3 okay, 4 good, 5 great"]
    #[min = 1]
    #[max = 5]
    mood: i64,
    #[description = "Anything you'd like to add (up to 1000 characters)"] note: Option<String>,
    #[description = "private (default): only you see it; group: post it here under your name"]
    share: Option<ShareChoice>,
    #[description = "Shared with a mood of 1 or 2: hide it behind a spoiler with a content note (default true)"]
    spoiler: Option<bool>,
) -> Result<(), Error> {
    let Some(mood) = Mood::new(mood) else {
        return Err(Error::member(
            "Please choose a mood from 1 (struggling) to 5 (great).",
        ));
    };
    let note = note.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
    if let Some(n) = &note {
        let len = n.chars().count();
        if len > MAX_NOTE {
            return Err(Error::member(format!(
                "A note can be at most {MAX_NOTE} characters; yours has {len}. Please shorten it and check in again. Nothing was saved."
            )));
        }
    }
    let share = matches!(share, Some(ShareChoice::Group));
    if share && !super::can_post_here(ctx) {
        return Err(Error::member(
            "You can't post in this channel yourself, so I won't post your check-in here. Try it in a channel where you can write, or check in privately. Nothing was saved.",
        ));
    }
    let data = ctx.data();
    let now = data.clock.now();
    let guild = super::server(ctx)?;
    let user = UserId(ctx.author().id.get());
    if share {
        // Posting can wait on Discord: answer first. A private check-in is
        // one quick write (a read only, once the member is counted in every
        // open period), answered straight away.
        ctx.defer_ephemeral().await?;
    }
    let tz = data
        .db
        .guild_settings(guild)
        .await?
        .timezone
        .unwrap_or(chrono_tz::Tz::UTC);

    // Counted as a person (once per period, however often they check in),
    // never as a check-in.
    data.db
        .count_person(guild, tz, now, &[Facet::Any, Facet::Mood(mood)], user)
        .await?;
    let journaled = data.db.journal_active(user).await?;
    if journaled {
        data.db
            .add_journal_entry(user, mood, note.as_deref(), now)
            .await?;
    }

    let mut reply = format!("Thank you for checking in. {mood}.");
    if share {
        let name = ctx
            .author_member()
            .await
            .map(|m| m.display_name().to_owned())
            .unwrap_or_else(|| ctx.author().name.clone());
        // A hard day shared with the group is, unless they say otherwise,
        // behind a spoiler with a content note: others choose to read it.
        let hidden = mood.is_low() && spoiler.unwrap_or(true);
        let mut text = if hidden {
            format!(
                "**{}** checked in (content note: a hard day, tap to read): ||{mood}||",
                crate::domain::text::inert(&name)
            )
        } else {
            format!(
                "**{}** checked in: {mood}",
                crate::domain::text::inert(&name)
            )
        };
        if let Some(n) = &note {
            text = with_note(text, n, hidden);
        }
        let posted = data
            .rest
            .send(
                ctx.channel_id(),
                serenity::CreateMessage::new()
                    .content(text)
                    .allowed_mentions(serenity::CreateAllowedMentions::new()),
            )
            .await;
        match posted {
            Ok(_) => {}
            Err(RestError::Transient(why)) => {
                return Err(anyhow::anyhow!("posting a group check-in: {why}").into());
            }
            Err(e) => {
                tracing::info!(error = %e, "cannot post a group check-in");
                reply.push_str(" I couldn't post it in this channel, so it stayed private.");
            }
        }
    }
    if journaled {
        reply.push_str(" It's in your journal (`/journal show`).");
    }
    if mood.is_low() {
        reply.push_str(LOW_MOOD);
        let reach = serenity::CreateButton::new(
            CustomId::ReachOut {
                user: user.0,
                issued: now.timestamp(),
            }
            .encode(),
        )
        .label("Ask a facilitator to reach out")
        .style(serenity::ButtonStyle::Secondary);
        ctx.send(
            render::ephemeral(reply).components(vec![serenity::CreateActionRow::Buttons(vec![
                support_button(),
                reach,
            ])]),
        )
        .await?;
    } else {
        ctx.send(render::ephemeral(reply)).await?;
    }
    Ok(())
}

/// Discord's limit for a message's content.
const MESSAGE_MAX: usize = 2000;

/// A group check-in post with the member's note quoted below it, line by
/// line, each line behind its own spoiler when `hidden` (a spoiler cannot
/// span a quote's lines). Kept within Discord's limit by cutting the note,
/// never the markup: a cut line still closes its spoiler, and is cut
/// before it is escaped, so no stray backslash can undo the closing marks.
fn with_note(mut text: String, note: &str, hidden: bool) -> String {
    let piece = |line: &str| {
        let shown = crate::domain::text::inert(line);
        if hidden {
            format!("\n> ||{}||", shown.replace('|', "\u{2223}"))
        } else {
            format!("\n> {shown}")
        }
    };
    for line in note.split('\n') {
        let room = MESSAGE_MAX.saturating_sub(text.chars().count());
        let whole = piece(line);
        if whole.chars().count() <= room {
            text.push_str(&whole);
            continue;
        }
        // The longest start of the line that fits, marked as cut.
        let chars: Vec<char> = line.chars().collect();
        for keep in (0..chars.len()).rev() {
            let cut: String = chars[..keep].iter().collect::<String>() + "\u{2026}";
            let p = piece(&cut);
            if p.chars().count() <= room {
                text.push_str(&p);
                break;
            }
        }
        break;
    }
    text
}

/// What a member who checks in with a mood of 1 or 2 reads: warm, direct,
/// naming suicide and self-harm plainly (safe-messaging guidance: asking
/// directly does not put the idea in anyone's head), with the lines one
/// press away.
const LOW_MOOD: &str = "\n\nI'm sorry things are hard right now. If you are thinking about suicide or hurting yourself, \
     please talk to someone now: **Show support lines** lists people you can call or text, any time, and in an emergency \
     call your local emergency number. You don't have to carry this alone. If you'd like, a facilitator can also reach out to you privately.";

/// "Show support lines": the lines, one press away.
fn support_button() -> serenity::CreateButton {
    serenity::CreateButton::new(CustomId::SupportLines.encode())
        .label("Show support lines")
        .style(serenity::ButtonStyle::Primary)
}

/// A member asked, after a low check-in, for a facilitator to reach out.
/// Only their name goes to the facilitators: never their mood or note. By
/// DM, only to members who are facilitators at this moment.
pub async fn reach_out(
    ctx: &serenity::Context,
    data: &Data,
    press: &serenity::ComponentInteraction,
    user: UserId,
    issued: i64,
    now: DateTime<Utc>,
) -> Result<Reply, Error> {
    let issued = DateTime::<Utc>::from_timestamp(issued, 0).unwrap_or(DateTime::<Utc>::MIN_UTC);
    if now - issued > chrono::Duration::days(1) || issued > now + chrono::Duration::minutes(1) {
        return Err(Error::member(
            "This button has expired. If you'd still like someone to reach out, check in again or contact a facilitator directly.",
        ));
    }
    let Some(guild) = press.guild_id else {
        return Err(Error::member("This works inside a server."));
    };
    let guild_id = GuildId(guild.get());
    let settings = data.db.guild_settings(guild_id).await?;
    let name = press
        .member
        .as_ref()
        .map(|m| m.display_name().to_owned())
        .unwrap_or_else(|| press.user.name.clone());
    let notice = |in_log: bool| {
        let handover = if in_log { HANDOVER_LOG } else { HANDOVER_DM };
        format!(
            "**{name}** (<@{}>) would like a facilitator to reach out to them privately.\n{PROTOCOL} {handover}",
            user.0
        )
    };
    let quiet = |in_log: bool| {
        serenity::CreateMessage::new()
            .content(notice(in_log))
            .allowed_mentions(serenity::CreateAllowedMentions::new())
    };
    let told = match settings.log_channel {
        Some(channel) => match data
            .rest
            .send(serenity::ChannelId::new(channel.0), quiet(true))
            .await
        {
            Ok(_) => true,
            Err(RestError::Transient(why)) => {
                return Err(anyhow::anyhow!("posting a reach-out request: {why}").into());
            }
            Err(e) => {
                tracing::warn!(guild = guild_id.0, error = %e, "cannot post a reach-out request to the log channel");
                false
            }
        },
        None => {
            super::checks::dm_facilitators(ctx, data, guild_id, settings.facilitator_role, || {
                quiet(false)
            })
            .await?
        }
    };
    let said = if told { PASSED_ON } else { NOT_PASSED_ON };
    Ok(Reply::Update(View {
        content: Some(said.to_owned()),
        embeds: Vec::new(),
        components: vec![serenity::CreateActionRow::Buttons(vec![support_button()])],
    }))
}

/// What facilitators are asked to do with a reach-out request.
const PROTOCOL: &str = "If you can: message them privately, and soon. Listen more than you speak; give no advice or diagnosis. \
     Know your local emergency number; if they may be in danger, share it and `/crisis`, and tell an admin.";
/// In the log channel, every facilitator sees who takes it.
const HANDOVER_LOG: &str = "If you can't reach out, say so here so another facilitator can.";
/// By DM, each facilitator has their own copy.
const HANDOVER_DM: &str = "Every facilitator who takes these by DM got this too; if you can't reach out, tell another facilitator directly.";
/// The member's request reached the facilitators.
const PASSED_ON: &str = "I've passed your request to the facilitators. They are volunteers, so one may not see it or answer at once. \
     If you are in danger now, call your local emergency number, or press **Show support lines** for people you can talk to right away.";
/// Nowhere to pass it on: the lines are still one press away.
const NOT_PASSED_ON: &str = "This server hasn't set up a place for these requests yet, so I couldn't pass yours on. \
     Please message a facilitator directly if you can. If you are in danger now, call your local emergency number, \
     or press **Show support lines** for people you can talk to right away.";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::library::wording;

    /// What a member in a low moment reads is held to the same list as the
    /// library, and names suicide plainly with a way to reach the lines.
    #[test]
    fn the_low_mood_words_are_safe_and_direct() {
        for text in [
            LOW_MOOD,
            PROTOCOL,
            HANDOVER_LOG,
            HANDOVER_DM,
            PASSED_ON,
            NOT_PASSED_ON,
        ] {
            assert_eq!(wording("checkin", text), Vec::<String>::new());
        }
        assert!(LOW_MOOD.contains("suicide") && LOW_MOOD.contains("Show support lines"));
        assert!(PASSED_ON.contains("volunteers") && NOT_PASSED_ON.contains("Show support lines"));
    }

    /// Whatever the note (long, many lines, full of markup and pipes), the
    /// post fits Discord's limit and every spoiler opened is closed, with
    /// nothing of the note outside one.
    #[test]
    fn a_hidden_note_stays_hidden_at_any_length() {
        let head = "**Sam** checked in (content note: a hard day, tap to read): ||2||".to_owned();
        let notes = [
            "x\n".repeat(900),
            "*".repeat(1000),
            "\\".repeat(500),
            "a|b||c\n".repeat(140),
            format!("{}\n{}", "y".repeat(995), "z".repeat(4)),
            "short".to_owned(),
        ];
        for note in notes {
            let post = with_note(head.clone(), &note, true);
            assert!(
                post.chars().count() <= MESSAGE_MAX,
                "{} chars",
                post.chars().count()
            );
            for line in post.lines().skip(1) {
                let body = line.strip_prefix("> ").expect("quoted");
                assert!(body.starts_with("||") && body.ends_with("||"), "{line:?}");
                let inner = &body[2..body.len() - 2];
                // An odd run of backslashes would escape the closing marks.
                let trailing = inner.chars().rev().take_while(|c| *c == '\\').count();
                assert!(!inner.contains("||") && trailing % 2 == 0, "{line:?}");
            }
        }
        let open = with_note(head, "fine", false);
        assert!(open.ends_with("\n> fine"));
    }
}
