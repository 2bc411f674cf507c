//! Who may use what, declared once per command (`custom_data = "Access::…"`)
//! and checked here by one central pass before any command runs.

use poise::serenity_prelude as serenity;

use super::{Context, Error};
use crate::domain::settings::{Access, MemberStanding};
use crate::domain::{GuildId, RoleId};

/// The access a command declared; commands that declare none are for anyone.
pub fn declared(ctx: Context<'_>) -> Access {
    ctx.command()
        .custom_data
        .downcast_ref::<Access>()
        .copied()
        .unwrap_or(Access::Anyone)
}

/// The central check: lets the command run, or explains kindly why not.
pub async fn central(ctx: Context<'_>) -> Result<bool, Error> {
    let needed = declared(ctx);
    if needed == Access::Anyone {
        return Ok(true);
    }
    let Some(guild) = ctx.guild_id() else {
        return Err(Error::member(
            "This command works inside a server, not in direct messages.",
        ));
    };
    let Some(member) = ctx.author_member().await else {
        return Err(Error::member(
            "I couldn't see your roles in this server just now. Please try again in a moment.",
        ));
    };
    let permissions = member
        .permissions
        .unwrap_or_else(serenity::Permissions::empty);
    let settings = ctx.data().db.guild_settings(GuildId(guild.get())).await?;
    let standing = MemberStanding {
        manages_server: permissions.manage_guild() || permissions.administrator(),
        has_facilitator_role: settings
            .facilitator_role
            .is_some_and(|RoleId(role)| member.roles.iter().any(|r| r.get() == role)),
    };
    if standing.allows(needed) {
        return Ok(true);
    }
    Err(Error::member(match needed {
        Access::Admin => {
            "Only members with the Manage Server permission can change Haven's settings. Nothing was changed."
        }
        _ if settings.facilitator_role.is_none() => {
            "This is for facilitators. This server hasn't named a facilitator role yet; an admin can set one with `/settings facilitator-role`."
        }
        _ => {
            "This is for facilitators. If you help run this group, ask an admin to give you the facilitator role."
        }
    }))
}
