//! Who may use what, declared once per command (`custom_data = "Access::…"`)
//! and checked here by one central pass before any command runs.

use poise::serenity_prelude as serenity;

use super::{Context, Data, Error};
use crate::domain::settings::{Access, MemberStanding};
use crate::domain::{GuildId, RoleId};
use crate::scheduler::facilitators::{self, Rank};

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
    let settings = ctx.data().db.guild_settings(GuildId(guild.get())).await?;
    let standing = standing_of(&member, settings.facilitator_role);
    if standing.allows(needed) {
        // Kept for the handler (`bot::settings`), which needs them too.
        ctx.set_invocation_data(settings).await;
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

/// A member's standing from what Discord sent with their interaction: their
/// permissions (none sent: none assumed) and roles.
pub fn standing_of(member: &serenity::Member, facilitator_role: Option<RoleId>) -> MemberStanding {
    let permissions = member
        .permissions
        .unwrap_or_else(serenity::Permissions::empty);
    MemberStanding {
        manages_server: permissions.manage_guild() || permissions.administrator(),
        has_facilitator_role: facilitator_role
            .is_some_and(|RoleId(role)| member.roles.iter().any(|r| r.get() == role)),
    }
}

/// The caller's rank in this server, from what Discord sent with their
/// command (their roles and permissions at this moment).
pub async fn caller_tier(ctx: Context<'_>) -> Result<crate::domain::settings::Tier, Error> {
    let Some(guild) = ctx.guild_id() else {
        return Ok(crate::domain::settings::Tier::Member);
    };
    let Some(member) = ctx.author_member().await else {
        return Err(Error::member(
            "I couldn't see your roles in this server just now. Please try again in a moment.",
        ));
    };
    tier_of(ctx.data(), GuildId(guild.get()), Some(&member)).await
}

/// A member's rank in `guild` from what Discord sent with their command or
/// press (none sent: a plain member). The owner's permissions arrive as all
/// of them, so the owner is an admin.
pub async fn tier_of(
    data: &Data,
    guild: GuildId,
    member: Option<&serenity::Member>,
) -> Result<crate::domain::settings::Tier, Error> {
    let settings = data.db.guild_settings(guild).await?;
    Ok(member.map_or(crate::domain::settings::Tier::Member, |m| {
        standing_of(m, settings.facilitator_role).tier()
    }))
}

/// For buttons only facilitators may press (hiding a prompt, approving a
/// strategy): checked at the moment of the press, failing closed.
pub async fn require_facilitator(
    data: &Data,
    press: &serenity::ComponentInteraction,
) -> Result<GuildId, Error> {
    let (Some(guild), Some(member)) = (press.guild_id, press.member.as_ref()) else {
        return Err(Error::member("This works inside a server."));
    };
    let guild = GuildId(guild.get());
    let settings = data.db.guild_settings(guild).await?;
    if standing_of(member, settings.facilitator_role).allows(Access::Facilitator) {
        Ok(guild)
    } else {
        Err(Error::member(
            "Only facilitators can do that, so I've left it as it was.",
        ))
    }
}

/// Tells, by direct message, the facilitators who asked for notices and are
/// facilitators at this moment (asked of Discord, not the cache). Returns
/// whether anyone was told.
pub async fn dm_facilitators(
    ctx: &serenity::Context,
    data: &Data,
    guild: GuildId,
    facilitator_role: Option<RoleId>,
    message: impl Fn() -> serenity::CreateMessage,
) -> Result<bool, Error> {
    let reach = data.reach(ctx);
    let told = facilitators::tell(
        reach,
        guild,
        facilitator_role,
        Rank::Facilitator,
        &[],
        |_| message(),
    )
    .await?;
    Ok(!told.is_empty())
}
