//! Who and what exists in the fake Discord: one server with its roles,
//! channels and members, and the bot.

/// Manage Server.
pub const MANAGE_GUILD: u64 = 1 << 5;
/// What everyone may do in the sandbox server: view channels, send messages,
/// read history, use application commands.
pub const EVERYONE: u64 = (1 << 10) | (1 << 11) | (1 << 16) | (1 << 31);

#[derive(Debug, Clone)]
pub struct SimRole {
    pub id: u64,
    pub name: String,
    pub permissions: u64,
}

#[derive(Debug, Clone)]
pub struct SimChannel {
    pub id: u64,
    pub name: String,
    /// Discord's channel type: 0 text, 1 DM.
    pub kind: u8,
    pub position: u16,
    /// `None` for a DM channel.
    pub guild_id: Option<u64>,
    /// For a DM channel, the member on the other side.
    pub recipient: Option<(u64, String)>,
}

#[derive(Debug, Clone)]
pub struct SimGuild {
    pub id: u64,
    pub name: String,
    /// The first is @everyone, whose id is the server's.
    pub roles: Vec<SimRole>,
}

/// A member of the server, as the fake Discord sends them with interactions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimMember {
    pub id: u64,
    pub name: String,
    pub roles: Vec<u64>,
    /// Permission bits to send instead of those computed from the roles.
    pub permissions_override: Option<u64>,
}

impl SimMember {
    /// The same member, sent with exactly these permission bits.
    pub fn with_permissions(mut self, bits: u64) -> Self {
        self.permissions_override = Some(bits);
        self
    }

    /// The same member with these roles instead.
    pub fn with_roles(mut self, roles: Vec<u64>) -> Self {
        self.roles = roles;
        self
    }
}

#[derive(Debug, Clone)]
pub struct World {
    pub app_id: u64,
    pub bot_id: u64,
    pub bot_name: String,
    pub guild: SimGuild,
    pub channels: Vec<SimChannel>,
    pub members: Vec<SimMember>,
}

pub const APP_ID: u64 = 1_000_000_000_000_000_001;
pub const GUILD_ID: u64 = 1_300_000_000_000_000_001;
pub const FACILITATOR_ROLE: u64 = 1_600_000_000_000_000_001;
pub const ADMIN_ROLE: u64 = 1_600_000_000_000_000_002;
pub const MEMBER_ROLE: u64 = 1_600_000_000_000_000_003;

impl World {
    /// The sandbox server: #general, #facilitators and #meetings; roles
    /// Facilitator, Admin (Manage Server) and Member; members `admin`,
    /// `facilitator`, `alice`, `bob`, `casey`, `dana`, `eli`, `farah`.
    pub fn sandbox() -> Self {
        let role = |id, name: &str, permissions| SimRole {
            id,
            name: name.to_owned(),
            permissions,
        };
        let channel = |n: u64, name: &str| SimChannel {
            id: 1_400_000_000_000_000_000 + n,
            name: name.to_owned(),
            kind: 0,
            position: n as u16,
            guild_id: Some(GUILD_ID),
            recipient: None,
        };
        let member = |n: u64, name: &str, roles: &[u64]| SimMember {
            id: 1_500_000_000_000_000_000 + n,
            name: name.to_owned(),
            roles: roles.to_vec(),
            permissions_override: None,
        };
        Self {
            app_id: APP_ID,
            bot_id: APP_ID,
            bot_name: "Haven".to_owned(),
            guild: SimGuild {
                id: GUILD_ID,
                name: "Haven Sandbox".to_owned(),
                roles: vec![
                    role(GUILD_ID, "@everyone", EVERYONE),
                    role(FACILITATOR_ROLE, "Facilitator", 0),
                    role(ADMIN_ROLE, "Admin", MANAGE_GUILD),
                    role(MEMBER_ROLE, "Member", 0),
                ],
            },
            channels: vec![
                channel(1, "general"),
                channel(2, "facilitators"),
                channel(3, "meetings"),
            ],
            members: vec![
                member(1, "admin", &[ADMIN_ROLE]),
                member(2, "facilitator", &[FACILITATOR_ROLE, MEMBER_ROLE]),
                member(3, "alice", &[MEMBER_ROLE]),
                member(4, "bob", &[MEMBER_ROLE]),
                member(5, "casey", &[MEMBER_ROLE]),
                member(6, "dana", &[MEMBER_ROLE]),
                member(7, "eli", &[MEMBER_ROLE]),
                member(8, "farah", &[MEMBER_ROLE]),
            ],
        }
    }

    /// The member's permission bits in the server, as Discord computes them
    /// from @everyone and their roles.
    pub fn permissions_of(&self, member: &SimMember) -> u64 {
        if let Some(bits) = member.permissions_override {
            return bits;
        }
        self.guild
            .roles
            .iter()
            .filter(|r| r.id == self.guild.id || member.roles.contains(&r.id))
            .fold(0, |acc, r| acc | r.permissions)
    }

    pub fn member(&self, name: &str) -> Option<&SimMember> {
        self.members
            .iter()
            .find(|m| m.name.eq_ignore_ascii_case(name))
    }

    pub fn member_by_id(&self, id: u64) -> Option<&SimMember> {
        self.members.iter().find(|m| m.id == id)
    }

    pub fn channel(&self, name: &str) -> Option<&SimChannel> {
        let name = name.trim_start_matches('#');
        self.channels
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(name))
    }

    pub fn role(&self, name: &str) -> Option<&SimRole> {
        let name = name.trim_start_matches('@');
        self.guild
            .roles
            .iter()
            .find(|r| r.name.eq_ignore_ascii_case(name))
    }

    /// The member's DM channel with the bot; its id is derived from theirs.
    pub fn dm_channel_for(&self, member: &SimMember) -> SimChannel {
        SimChannel {
            id: member.id | (1 << 62),
            name: format!("dm-{}", member.name),
            kind: 1,
            position: 0,
            guild_id: None,
            recipient: Some((member.id, member.name.clone())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permissions_come_from_roles_unless_overridden() {
        let w = World::sandbox();
        let admin = w.member("admin").unwrap();
        let alice = w.member("alice").unwrap();
        assert_ne!(w.permissions_of(admin) & MANAGE_GUILD, 0);
        assert_eq!(w.permissions_of(alice) & MANAGE_GUILD, 0);
        assert_eq!(
            w.permissions_of(&alice.clone().with_permissions(MANAGE_GUILD)),
            MANAGE_GUILD
        );
    }
}
