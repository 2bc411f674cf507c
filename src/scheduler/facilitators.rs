//! Reaching a server's facilitators or admins by direct message, for the
//! bot's handlers and the scheduler's jobs alike: who they are is asked of
//! Discord at send time (roles change without Haven being told).

use poise::serenity_prelude as serenity;

use crate::domain::{GuildId, RoleId, UserId};
use crate::rest::Rest;
use crate::store::{Db, StoreResult};

/// What Haven needs to find and reach people: the database, paced REST
/// and the gateway's cache (for the server's owner and role permissions).
#[derive(Clone, Copy)]
pub struct Reach<'a> {
    pub db: &'a Db,
    pub rest: &'a Rest,
    pub cache: &'a serenity::Cache,
}

pub use crate::domain::settings::Tier as Rank;

/// A member's rank now. Someone no longer in the server is a plain member;
/// an error means Haven cannot tell yet (Discord failed, or the server is
/// not in the cache yet after a start), never a guess.
pub async fn rank_now(
    reach: Reach<'_>,
    guild: GuildId,
    user: UserId,
    facilitator_role: Option<RoleId>,
) -> Result<Rank, String> {
    let server = serenity::GuildId::new(guild.0);
    let member = match reach
        .rest
        .http()
        .get_member(server, serenity::UserId::new(user.0))
        .await
    {
        Ok(m) => m,
        Err(e) if crate::rest::discord_code(&e) == Some(UNKNOWN_MEMBER) => return Ok(Rank::Member),
        Err(e) => return Err(format!("cannot look a member up: {e}")),
    };
    let Some(admin) = reach.cache.guild(server).map(|g| {
        let p = g.member_permissions(&member);
        g.owner_id == member.user.id || p.manage_guild() || p.administrator()
    }) else {
        return Err("the server is not known yet".to_owned());
    };
    Ok(if admin {
        Rank::Admin
    } else if facilitator_role.is_some_and(|RoleId(r)| member.roles.iter().any(|m| m.get() == r)) {
        Rank::Facilitator
    } else {
        Rank::Member
    })
}

/// Discord's "Unknown Member".
const UNKNOWN_MEMBER: isize = 10007;

/// Tells, by direct message, those who asked for notices and are at least
/// `needed` right now, except those `leaving_out` (the one a report is
/// about, those who have it already).
/// Returns whom it reached, with the message each got.
pub async fn tell(
    reach: Reach<'_>,
    guild: GuildId,
    facilitator_role: Option<RoleId>,
    needed: Rank,
    leaving_out: &[UserId],
    message: impl Fn(UserId) -> serenity::CreateMessage,
) -> StoreResult<Vec<(UserId, serenity::Message)>> {
    let mut told = Vec::new();
    for person in reach.db.dm_notice_facilitators(guild).await? {
        if leaving_out.contains(&person) {
            continue;
        }
        // Any doubt counts as no: a notice never goes to someone who may
        // not be entitled to it.
        match rank_now(reach, guild, person, facilitator_role).await {
            Ok(rank) if rank >= needed => {}
            Ok(_) => {
                tracing::info!(
                    guild = guild.0,
                    "a member who asked for notices no longer has the standing for this one; skipped"
                );
                continue;
            }
            Err(why) => {
                tracing::info!(guild = guild.0, %why, "cannot check someone who asked for notices; skipped");
                continue;
            }
        }
        if let Some(sent) = dm(reach, person, message(person)).await {
            told.push((person, sent));
        }
    }
    Ok(told)
}

/// One direct message; a closed DM is logged and skipped.
pub async fn dm(
    reach: Reach<'_>,
    person: UserId,
    message: serenity::CreateMessage,
) -> Option<serenity::Message> {
    match reach
        .rest
        .dm(serenity::UserId::new(person.0), message)
        .await
    {
        Ok(sent) => Some(sent),
        Err(e) => {
            tracing::info!(error = %e, "a direct message could not be sent; skipped");
            None
        }
    }
}
