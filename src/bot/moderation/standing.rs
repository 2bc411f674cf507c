//! Who is who, read fresh from Discord for each action: the roles' positions,
//! Haven's own roles and permissions, the target's roles, the caller's.

use poise::serenity_prelude as serenity;

use super::super::{Context, Error, checks};
use crate::domain::moderation::{Rank, Standing, bits};
use crate::domain::{GuildId, RoleId, UserId};
use crate::rest::RestError;

/// Haven's and the target's standing in the server, for the rule.
pub struct Situation {
    pub standing: Standing,
    /// Whether the target is a member of the server now.
    pub target_present: bool,
    pub haven_roles: Vec<RoleId>,
}

fn rank_of(
    user: UserId,
    roles: &[serenity::RoleId],
    all: &[serenity::Role],
    guild: GuildId,
    facilitator_role: Option<RoleId>,
    permissions_override: Option<u64>,
) -> Rank {
    let mine = all
        .iter()
        .filter(|r| r.id.get() == guild.0 || roles.contains(&r.id));
    let top = all
        .iter()
        .filter(|r| roles.contains(&r.id))
        .map(|r| i64::from(r.position))
        .max()
        .unwrap_or(0);
    let permissions =
        permissions_override.unwrap_or_else(|| mine.fold(0, |acc, r| acc | r.permissions.bits()));
    Rank {
        user,
        top_position: top,
        permissions,
        facilitator_role: facilitator_role
            .is_some_and(|RoleId(f)| roles.iter().any(|r| r.get() == f)),
    }
}

impl Situation {
    /// Whether the target helps run the group (a facilitator, an admin or
    /// the owner): records about them are for admins.
    pub fn about_staff(&self) -> bool {
        self.standing
            .target
            .is_some_and(|t| t.is_facilitator() || t.user == self.standing.owner)
    }
}

/// Reads the standing of the caller, Haven and (if given) the target.
pub async fn situation(ctx: Context<'_>, target: Option<UserId>) -> Result<Situation, Error> {
    let data = ctx.data();
    let guild = super::super::server(ctx)?;
    let g = serenity::GuildId::new(guild.0);
    let http = data.rest.http();
    let settings = super::super::settings(ctx).await?;
    let roles = http
        .get_guild_roles(g)
        .await
        .map_err(|e| Error::Internal(e.into()))?;
    let bot_id = ctx.framework().bot_id();
    let bot = http
        .get_member(g, bot_id)
        .await
        .map_err(|e| Error::Internal(e.into()))?;
    let haven = rank_of(UserId(bot_id.get()), &bot.roles, &roles, guild, None, None);
    let caller_member = ctx
        .author_member()
        .await
        .ok_or_else(|| Error::member("I couldn't see your roles just now. Please try again."))?;
    let caller_standing = checks::standing_of(&caller_member, settings.facilitator_role);
    // The caller's permissions as Discord sent them with the command (in
    // this channel, as its own UI would judge them); else from their roles.
    let mut caller = rank_of(
        super::super::author(ctx),
        &caller_member.roles,
        &roles,
        guild,
        settings.facilitator_role,
        caller_member.permissions.map(|p| p.bits()),
    );
    if caller_standing.manages_server {
        caller.permissions |= bits::MANAGE_GUILD;
    }
    let mut target_present = false;
    let target = match target {
        None => None,
        Some(user) => match http.get_member(g, serenity::UserId::new(user.0)).await {
            Ok(m) => {
                target_present = true;
                Some(rank_of(
                    user,
                    &m.roles,
                    &roles,
                    guild,
                    settings.facilitator_role,
                    None,
                ))
            }
            Err(e) if matches!(crate::rest::classify(&e), crate::rest::Failure::Gone) => {
                // Not in the server: still refuse the caller and Haven.
                Some(Rank {
                    user,
                    top_position: -1,
                    permissions: 0,
                    facilitator_role: false,
                })
            }
            Err(e) => return Err(Error::Internal(e.into())),
        },
    };
    // The owner from the cache, else from Discord: never "nobody", which
    // would let a nudge or a warning (that Discord does not check) reach them.
    let cached = ctx.guild().map(|g| UserId(g.owner_id.get()));
    let owner = match cached {
        Some(owner) => owner,
        None => {
            let g = ctx
                .http()
                .get_guild(serenity::GuildId::new(guild.0))
                .await
                .map_err(|e| Error::Internal(e.into()))?;
            UserId(g.owner_id.get())
        }
    };
    Ok(Situation {
        standing: Standing {
            owner,
            haven,
            caller,
            target,
        },
        target_present,
        haven_roles: bot.roles.iter().map(|r| RoleId(r.get())).collect(),
    })
}

/// Whether a DM reached the member, as the reply says it.
pub fn dm_note(outcome: &Result<serenity::Message, RestError>) -> &'static str {
    match outcome {
        Ok(_) => "They were told privately by direct message.",
        Err(RestError::ClosedDm) => {
            "Their direct messages are closed (Discord error 50007), so they weren't told by DM; that didn't stop the action."
        }
        Err(RestError::Transient(_)) => {
            "Discord didn't answer when I tried to tell them by direct message; that didn't stop the action."
        }
        Err(_) => {
            "Discord refused my direct message to them, so they weren't told by DM; that didn't stop the action."
        }
    }
}
