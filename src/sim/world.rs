//! Who and what exists in the fake Discord: a server with its roles,
//! channels and members (and, for tests of several shards, sister servers
//! with the same people), and the bot.

/// Administrator: every permission, overwrites ignored.
pub const ADMINISTRATOR: u64 = 1 << 3;
/// Manage Server.
pub const MANAGE_GUILD: u64 = 1 << 5;
/// View Channel.
pub const VIEW_CHANNEL: u64 = 1 << 10;
/// Send Messages.
pub const SEND_MESSAGES: u64 = 1 << 11;
/// Create Public Threads.
pub const CREATE_PUBLIC_THREADS: u64 = 1 << 35;
/// Every permission bit Discord has today.
pub const ALL: u64 = (1 << 51) - 1;
/// What everyone may do in the sandbox server: view channels, send messages,
/// read history, use application commands.
pub const EVERYONE: u64 = (1 << 10) | (1 << 11) | (1 << 16) | (1 << 31);

#[derive(Debug, Clone)]
pub struct SimRole {
    pub id: u64,
    pub name: String,
    pub permissions: u64,
    /// Its rank: higher is above (Discord's role hierarchy; @everyone is 0).
    pub position: u16,
    /// Whether anyone may @mention it (else only with Mention Everyone).
    pub mentionable: bool,
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
    /// Permission overwrites, as Discord applies them.
    pub overwrites: Vec<SimOverwrite>,
}

/// A channel's permission overwrite for a role (kind 0) or a member (kind 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimOverwrite {
    pub id: u64,
    pub kind: u8,
    pub allow: u64,
    pub deny: u64,
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
    /// Another bot (a music bot, a logger), not a person.
    pub bot: bool,
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
    /// More servers Haven is in (see [`World::with_sister_guild`]).
    pub more_guilds: Vec<SimGuild>,
    /// The server's owner (a member).
    pub owner_id: u64,
    /// The bot's own roles in the server.
    pub bot_roles: Vec<u64>,
}

pub const APP_ID: u64 = 1_000_000_000_000_000_001;
pub const GUILD_ID: u64 = 1_300_000_000_000_000_001;
/// A second server for tests of several shards: on shard 1 of 2, where the
/// first is on shard 0 (see [`World::with_sister_guild`]).
pub const SISTER_GUILD_ID: u64 = GUILD_ID + (1 << 22);
pub const FACILITATOR_ROLE: u64 = 1_600_000_000_000_000_001;
pub const ADMIN_ROLE: u64 = 1_600_000_000_000_000_002;
pub const MEMBER_ROLE: u64 = 1_600_000_000_000_000_003;
/// Haven's own role, given when it was invited.
pub const HAVEN_ROLE: u64 = 1_600_000_000_000_000_004;
/// What Haven's role may do: what its invite link asks for (post, embed,
/// attach, read history, threads, mention roles) and moderation: Kick, Ban,
/// Manage Channels, Manage Messages, Manage Roles, Moderate Members,
/// Create Private Threads (a lock denies it, and Discord lets a bot deny
/// only what it holds), Create Events (the meetings' scheduled events,
/// which it may then edit and delete) and Connect (which a voice event
/// needs in its channel).
pub const HAVEN_PERMISSIONS: u64 = EVERYONE
    | (1 << 1)
    | (1 << 2)
    | (1 << 4)
    | (1 << 13)
    | (1 << 14)
    | (1 << 15)
    | (1 << 17)
    | (1 << 28)
    | CREATE_PUBLIC_THREADS
    | (1 << 36)
    | (1 << 38)
    | (1 << 40)
    | super::events::CONNECT
    | super::events::CREATE_EVENTS;

/// What the sandbox's facilitators may do in Discord itself: moderate
/// (time out, kick, ban, manage channels, roles and messages), not manage
/// the server. Haven lends no power beyond these.
pub const FACILITATOR_PERMISSIONS: u64 =
    (1 << 1) | (1 << 2) | (1 << 4) | (1 << 13) | (1 << 28) | (1 << 40);

impl World {
    /// The sandbox server: #general, #facilitators (facilitators only),
    /// #meetings and #announcements (everyone reads, facilitators post); roles
    /// Facilitator, Admin (Manage Server) and Member; members `admin`,
    /// `facilitator`, `alice`, `bob`, `casey`, `dana`, `eli`, `farah`; `admin`
    /// owns the server. Roles rank Haven > Admin > Facilitator > Member.
    pub fn sandbox() -> Self {
        let role = |id, name: &str, permissions, position| SimRole {
            id,
            name: name.to_owned(),
            permissions,
            position,
            mentionable: true,
        };
        let channel = |n: u64, name: &str| SimChannel {
            id: 1_400_000_000_000_000_000 + n,
            name: name.to_owned(),
            kind: 0,
            position: n as u16,
            guild_id: Some(GUILD_ID),
            recipient: None,
            overwrites: Vec::new(),
        };
        let overwrite = |id, allow, deny| SimOverwrite {
            id,
            kind: 0,
            allow,
            deny,
        };
        let member = |n: u64, name: &str, roles: &[u64]| SimMember {
            id: 1_500_000_000_000_000_000 + n,
            name: name.to_owned(),
            roles: roles.to_vec(),
            permissions_override: None,
            bot: false,
        };
        Self {
            app_id: APP_ID,
            bot_id: APP_ID,
            bot_name: "Haven".to_owned(),
            guild: SimGuild {
                id: GUILD_ID,
                name: "Haven Sandbox".to_owned(),
                roles: vec![
                    role(GUILD_ID, "@everyone", EVERYONE, 0),
                    role(FACILITATOR_ROLE, "Facilitator", FACILITATOR_PERMISSIONS, 2),
                    role(ADMIN_ROLE, "Admin", MANAGE_GUILD, 3),
                    role(MEMBER_ROLE, "Member", 0, 1),
                    role(HAVEN_ROLE, "Haven", HAVEN_PERMISSIONS, 4),
                ],
            },
            channels: vec![
                channel(1, "general"),
                // Only facilitators and admins can read it.
                SimChannel {
                    overwrites: vec![
                        overwrite(GUILD_ID, 0, VIEW_CHANNEL),
                        overwrite(FACILITATOR_ROLE, VIEW_CHANNEL | SEND_MESSAGES, 0),
                        overwrite(ADMIN_ROLE, VIEW_CHANNEL | SEND_MESSAGES, 0),
                    ],
                    ..channel(2, "facilitators")
                },
                channel(3, "meetings"),
                // Everyone reads, only facilitators post; no threads.
                SimChannel {
                    overwrites: vec![
                        overwrite(GUILD_ID, 0, SEND_MESSAGES | CREATE_PUBLIC_THREADS),
                        overwrite(FACILITATOR_ROLE, SEND_MESSAGES, 0),
                    ],
                    ..channel(4, "announcements")
                },
                // Where meetings happen.
                SimChannel {
                    kind: 2,
                    ..channel(5, "Meeting room")
                },
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
            more_guilds: Vec::new(),
            owner_id: 1_500_000_000_000_000_001,
            bot_roles: vec![HAVEN_ROLE],
        }
    }

    /// The same world with one more server, `id`, named `name`: the same
    /// people with the same roles and a copy of each of the first server's
    /// channels (ids offset by `id`'s low bits, names kept). Discord gives
    /// every role an id of its own; a sister shares the first server's role
    /// ids but for @everyone's, which Haven never mistakes for one another
    /// because it always asks by server and role. What moderation changes
    /// (roles, timeouts, bans) is kept per member, for both servers at
    /// once: tests moderate in the first. Which shard a server belongs to
    /// follows from its id: `(id >> 22) % shards`.
    pub fn with_sister_guild(mut self, id: u64, name: &str) -> Self {
        let first = self.guild.id;
        let offset = (self.more_guilds.len() as u64 + 1) * 1_000_000;
        let roles = self
            .guild
            .roles
            .iter()
            .map(|r| SimRole {
                id: if r.id == first { id } else { r.id },
                ..r.clone()
            })
            .collect();
        let copies: Vec<SimChannel> = self
            .channels
            .iter()
            .filter(|c| c.guild_id == Some(first))
            .map(|c| SimChannel {
                id: c.id + offset,
                guild_id: Some(id),
                overwrites: c
                    .overwrites
                    .iter()
                    .map(|o| SimOverwrite {
                        id: if o.kind == 0 && o.id == first {
                            id
                        } else {
                            o.id
                        },
                        ..o.clone()
                    })
                    .collect(),
                ..c.clone()
            })
            .collect();
        self.channels.extend(copies);
        self.more_guilds.push(SimGuild {
            id,
            name: name.to_owned(),
            roles,
        });
        self
    }

    /// Every server Haven is in, the first one first.
    pub fn guilds(&self) -> impl Iterator<Item = &SimGuild> {
        std::iter::once(&self.guild).chain(&self.more_guilds)
    }

    /// Whether Haven is in the server `id`.
    pub fn has_guild(&self, id: u64) -> bool {
        self.guilds().any(|g| g.id == id)
    }

    /// A channel's id by server and name.
    pub fn channel_in(&self, guild: u64, name: &str) -> Option<&SimChannel> {
        let name = name.trim_start_matches('#');
        self.channels
            .iter()
            .find(|c| c.guild_id == Some(guild) && c.name.eq_ignore_ascii_case(name))
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

    /// The member's permission bits in a channel, as Discord computes them:
    /// server permissions, then the @everyone overwrite, the role
    /// overwrites together, and the member's own.
    pub fn channel_permissions_of(&self, member: &SimMember, channel: &SimChannel) -> u64 {
        let base = self.permissions_of(member);
        if base & ADMINISTRATOR != 0 {
            return ALL;
        }
        if channel.guild_id.is_none() {
            return base;
        }
        // @everyone's id is its server's.
        let everyone = channel.guild_id.unwrap_or(self.guild.id);
        let mut bits = base;
        for o in channel
            .overwrites
            .iter()
            .filter(|o| o.kind == 0 && o.id == everyone)
        {
            bits = (bits & !o.deny) | o.allow;
        }
        let (mut allow, mut deny) = (0, 0);
        for o in channel
            .overwrites
            .iter()
            .filter(|o| o.kind == 0 && o.id != everyone && member.roles.contains(&o.id))
        {
            allow |= o.allow;
            deny |= o.deny;
        }
        bits = (bits & !deny) | allow;
        for o in channel
            .overwrites
            .iter()
            .filter(|o| o.kind == 1 && o.id == member.id)
        {
            bits = (bits & !o.deny) | o.allow;
        }
        if bits & VIEW_CHANNEL == 0 {
            return 0;
        }
        bits
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
            .find(|r| r.name.trim_start_matches('@').eq_ignore_ascii_case(name))
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
            overwrites: Vec::new(),
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

    #[test]
    fn channel_overwrites_apply_in_discords_order() {
        let w = World::sandbox();
        let alice = w.member("alice").unwrap();
        let facilitator = w.member("facilitator").unwrap();
        let private = w.channel("facilitators").unwrap();
        let announcements = w.channel("announcements").unwrap();
        assert_eq!(w.channel_permissions_of(alice, private), 0);
        assert_ne!(
            w.channel_permissions_of(facilitator, private) & VIEW_CHANNEL,
            0
        );
        assert_eq!(
            w.channel_permissions_of(alice, announcements) & SEND_MESSAGES,
            0
        );
        assert_ne!(
            w.channel_permissions_of(alice, announcements) & VIEW_CHANNEL,
            0
        );
        assert_ne!(
            w.channel_permissions_of(facilitator, announcements) & SEND_MESSAGES,
            0
        );
    }
}
