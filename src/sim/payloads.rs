//! JSON payloads shaped as Discord's v10 API sends them, each checked against
//! serenity's own models in the tests below.

use serde_json::{Value, json};

use super::world::{SimChannel, SimGuild, SimMember, World};

pub(super) const TIMESTAMP: &str = "2024-01-01T00:00:00.000000+00:00";

pub fn user(id: u64, name: &str, bot: bool) -> Value {
    json!({
        "id": id.to_string(),
        "username": name,
        "global_name": name,
        "discriminator": "0",
        "avatar": null,
        "bot": bot,
    })
}

/// READY for one shard: it lists the guilds that shard owns.
pub fn ready(world: &World, resume_url: &str, shard: [u32; 2], owned: &[&SimGuild]) -> Value {
    let guilds: Vec<Value> = owned
        .iter()
        .map(|g| json!({"id": g.id.to_string(), "unavailable": true}))
        .collect();
    json!({
        "v": 10,
        "user": user(world.bot_id, &world.bot_name, true),
        "guilds": guilds,
        "shard": shard,
        "session_id": "sim-session",
        "resume_gateway_url": resume_url,
        "application": {"id": world.app_id.to_string(), "flags": 0},
    })
}

pub fn role(
    guild_id: u64,
    id: u64,
    name: &str,
    permissions: u64,
    position: u16,
    mentionable: bool,
) -> Value {
    json!({
        "id": id.to_string(),
        "guild_id": guild_id.to_string(),
        "name": name,
        "color": 0,
        "colors": {"primary_color": 0},
        "hoist": false,
        "icon": null,
        "unicode_emoji": null,
        "position": position,
        "permissions": permissions.to_string(),
        "managed": false,
        "mentionable": mentionable,
        "flags": 0,
    })
}

pub fn channel(channel: &SimChannel) -> Value {
    match channel.guild_id {
        Some(guild_id) => json!({
            "id": channel.id.to_string(),
            "guild_id": guild_id.to_string(),
            "type": channel.kind,
            "name": channel.name,
            "position": channel.position,
            "permission_overwrites": channel.overwrites.iter().map(|o| json!({
                "id": o.id.to_string(), "type": o.kind,
                "allow": o.allow.to_string(), "deny": o.deny.to_string(),
            })).collect::<Vec<_>>(),
            "nsfw": false,
            "topic": null,
            "parent_id": null,
            "last_message_id": null,
            "rate_limit_per_user": 0,
            "flags": 0,
        }),
        None => json!({
            "id": channel.id.to_string(),
            "type": 1,
            "last_message_id": null,
            "recipients": channel.recipient.iter().map(|(id, name)| user(*id, name, false)).collect::<Vec<_>>(),
            "flags": 0,
        }),
    }
}

/// `GUILD_BAN_ADD` and `GUILD_BAN_REMOVE`: the server and the user.
pub fn ban_event(guild_id: u64, user: Value) -> Value {
    json!({"guild_id": guild_id.to_string(), "user": user})
}

/// `MESSAGE_DELETE`: the message, its channel, and its server unless it
/// was a direct message.
pub fn message_delete(id: u64, channel_id: u64, guild_id: Option<u64>) -> Value {
    let mut v = json!({"id": id.to_string(), "channel_id": channel_id.to_string()});
    if let Some(g) = guild_id {
        v["guild_id"] = json!(g.to_string());
    }
    v
}

/// `MESSAGE_DELETE_BULK`: the messages, their channel and server.
pub fn message_delete_bulk(ids: &[u64], channel_id: u64, guild_id: Option<u64>) -> Value {
    let mut v = json!({
        "ids": ids.iter().map(u64::to_string).collect::<Vec<_>>(),
        "channel_id": channel_id.to_string(),
    });
    if let Some(g) = guild_id {
        v["guild_id"] = json!(g.to_string());
    }
    v
}

/// The id of the keyword rule AutoMod acts on in the fake Discord.
pub const AUTOMOD_RULE_ID: u64 = 1_800_000_000_000_000_001;

/// `AUTO_MODERATION_ACTION_EXECUTION` for a keyword rule's timeout (action
/// type 3) of `seconds`; the content fields stay empty, as for a bot
/// without the Message Content intent.
pub fn automod_timeout(guild_id: u64, user_id: u64, seconds: u64) -> Value {
    json!({
        "guild_id": guild_id.to_string(),
        "action": {"type": 3, "metadata": {"duration_seconds": seconds}},
        "rule_id": AUTOMOD_RULE_ID.to_string(),
        "rule_trigger_type": 1,
        "user_id": user_id.to_string(),
        "channel_id": null,
        "message_id": null,
        "alert_system_message_id": null,
        "content": "",
        "matched_keyword": null,
        "matched_content": null,
    })
}

pub fn member(world: &World, member: &SimMember) -> Value {
    json!({
        "user": user(member.id, &member.name, member.bot),
        "nick": null,
        "avatar": null,
        "roles": member.roles.iter().map(u64::to_string).collect::<Vec<_>>(),
        "joined_at": TIMESTAMP,
        "premium_since": null,
        "deaf": false,
        "mute": false,
        "flags": 0,
        "pending": false,
        "permissions": world.permissions_of(member).to_string(),
        "communication_disabled_until": null,
    })
}

/// A member's voice state as Discord sends it: in `channel`, or (with no
/// channel) having left voice.
pub fn voice_state(world: &World, guild: u64, user_id: u64, channel: Option<u64>) -> Value {
    let m = world.members.iter().find(|m| m.id == user_id);
    let mut member_json = m.map(|m| member(world, m));
    if let Some(v) = member_json.as_mut() {
        v["guild_id"] = json!(guild.to_string());
    }
    json!({
        "guild_id": guild.to_string(),
        "channel_id": channel.map(|c| c.to_string()),
        "user_id": user_id.to_string(),
        "member": member_json,
        "session_id": format!("voice-{user_id}"),
        "deaf": false, "mute": false, "self_deaf": false, "self_mute": false,
        "self_video": false, "self_stream": false, "suppress": false,
        "request_to_speak_timestamp": null,
    })
}

/// `GUILD_CREATE` for `g`, with who is in which voice channel now.
pub fn guild_create_with_voice(world: &World, g: &SimGuild, voice: &[(u64, u64)]) -> Value {
    let mut v = guild_create(world, g);
    v["voice_states"] = json!(
        voice
            .iter()
            .map(|(user, channel)| {
                let mut state = voice_state(world, g.id, *user, Some(*channel));
                // In GUILD_CREATE, voice states carry no guild id.
                if let Some(o) = state.as_object_mut() {
                    o.remove("guild_id");
                }
                state
            })
            .collect::<Vec<_>>()
    );
    v
}

pub fn guild_create(world: &World, g: &SimGuild) -> Value {
    let mut members: Vec<Value> = world.members.iter().map(|m| member(world, m)).collect();
    members.push(json!({
        "user": user(world.bot_id, &world.bot_name, true),
        "roles": world.bot_roles.iter().map(u64::to_string).collect::<Vec<_>>(), "joined_at": TIMESTAMP, "deaf": false, "mute": false, "flags": 0,
    }));
    json!({
        "id": g.id.to_string(),
        "name": g.name,
        "icon": null, "icon_hash": null, "splash": null, "discovery_splash": null,
        "owner_id": world.owner_id.to_string(),
        "afk_channel_id": null, "afk_timeout": 300,
        "verification_level": 0,
        "default_message_notifications": 0,
        "explicit_content_filter": 0,
        "roles": g.roles.iter().map(|r| role(g.id, r.id, &r.name, r.permissions, r.position, r.mentionable)).collect::<Vec<_>>(),
        "emojis": [],
        "features": [],
        "mfa_level": 0,
        "application_id": null,
        "system_channel_id": null,
        "system_channel_flags": 0,
        "rules_channel_id": null,
        "max_members": 500000,
        "vanity_url_code": null,
        "description": null,
        "banner": null,
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "preferred_locale": "en-US",
        "public_updates_channel_id": null,
        "nsfw_level": 0,
        "stickers": [],
        "premium_progress_bar_enabled": false,
        "safety_alerts_channel_id": null,
        "joined_at": TIMESTAMP,
        "large": false,
        "unavailable": false,
        "member_count": members.len(),
        "voice_states": [],
        "members": members,
        "channels": world.channels.iter().filter(|c| c.guild_id == Some(g.id)).map(channel).collect::<Vec<_>>(),
        "threads": [],
        "presences": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
    })
}

/// Where an interaction happens: a server channel or a member's DM channel.
pub struct Place<'a> {
    pub world: &'a World,
    pub channel: &'a SimChannel,
    pub member: &'a SimMember,
}

impl Place<'_> {
    fn base(&self, id: u64, token: &str, kind: u8, data: Value) -> Value {
        let mut v = json!({
            "id": id.to_string(),
            "application_id": self.world.app_id.to_string(),
            "type": kind,
            "data": data,
            "channel_id": self.channel.id.to_string(),
            "channel": {"id": self.channel.id.to_string(), "type": self.channel.kind},
            "token": token,
            "version": 1,
            "app_permissions": "2251799813685247",
            "locale": "en-US",
            "entitlements": [],
            "attachment_size_limit": 26214400,
        });
        let obj = v.as_object_mut().expect("object literal");
        match self.channel.guild_id {
            Some(guild_id) => {
                obj.insert("guild_id".into(), json!(guild_id.to_string()));
                obj.insert("guild_locale".into(), json!("en-US"));
                // An interaction's member carries their permissions in this
                // channel, overwrites included, as Discord sends them.
                let mut m = member(self.world, self.member);
                m["permissions"] = json!(
                    self.world
                        .channel_permissions_of(self.member, self.channel)
                        .to_string()
                );
                obj.insert("member".into(), m);
                obj.insert(
                    "authorizing_integration_owners".into(),
                    json!({"0": guild_id.to_string()}),
                );
                obj.insert("context".into(), json!(0));
            }
            None => {
                obj.insert(
                    "user".into(),
                    user(self.member.id, &self.member.name, false),
                );
                obj.insert(
                    "authorizing_integration_owners".into(),
                    json!({"0": self.world.guild.id.to_string()}),
                );
                obj.insert("context".into(), json!(1));
            }
        }
        v
    }

    /// A slash command (type 2) or its autocomplete (type 4).
    pub fn command(&self, id: u64, token: &str, kind: u8, command: CommandData) -> Value {
        let mut data = json!({
            "id": command.command_id.to_string(),
            "name": command.name,
            "type": 1,
            "options": command.options,
        });
        if !command.resolved.as_object().is_none_or(|o| o.is_empty()) {
            let mut resolved = command.resolved;
            // A resolved channel carries the member's permissions in it.
            if let Some(channels) = resolved.get_mut("channels").and_then(Value::as_object_mut) {
                for (id, c) in channels.iter_mut() {
                    let bits = id
                        .parse::<u64>()
                        .ok()
                        .and_then(|id| self.world.channels.iter().find(|c| c.id == id))
                        .map(|channel| self.world.channel_permissions_of(self.member, channel))
                        .unwrap_or(0);
                    c["permissions"] = json!(bits.to_string());
                }
            }
            data["resolved"] = resolved;
        }
        if let Some(guild_id) = self.channel.guild_id {
            data["guild_id"] = json!(guild_id.to_string());
        }
        self.base(id, token, kind, data)
    }

    /// A press of a button on `message`.
    pub fn button(&self, id: u64, token: &str, custom_id: &str, message: Value) -> Value {
        let mut v = self.base(
            id,
            token,
            3,
            json!({"custom_id": custom_id, "component_type": 2}),
        );
        v["message"] = message;
        v
    }

    /// A choice in a string select menu on a message.
    pub fn select(
        &self,
        id: u64,
        token: &str,
        custom_id: &str,
        values: &[&str],
        message: Value,
    ) -> Value {
        let mut v = self.base(
            id,
            token,
            3,
            json!({"custom_id": custom_id, "component_type": 3, "values": values}),
        );
        v["message"] = message;
        v
    }

    /// A submitted modal with its text fields.
    pub fn modal(&self, id: u64, token: &str, custom_id: &str, fields: &[(&str, &str)]) -> Value {
        let rows: Vec<Value> = fields
            .iter()
            .map(|(field, value)| {
                json!({"type": 1, "components": [{"type": 4, "custom_id": field, "value": value}]})
            })
            .collect();
        self.base(
            id,
            token,
            5,
            json!({"custom_id": custom_id, "components": rows}),
        )
    }
}

/// The `data` of a command interaction.
pub struct CommandData {
    pub command_id: u64,
    pub name: String,
    pub options: Value,
    pub resolved: Value,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serenity::all as s;

    fn world() -> World {
        World::sandbox()
    }

    #[test]
    fn ready_and_guild_create_deserialize() {
        let w = world();
        serde_json::from_value::<s::Ready>(ready(&w, "ws://127.0.0.1:1", [0, 1], &[&w.guild]))
            .unwrap();
        let guild: s::Guild = serde_json::from_value(guild_create(&w, &w.guild)).unwrap();
        assert_eq!(
            guild.channels.len(),
            w.channels.iter().filter(|c| c.guild_id.is_some()).count()
        );
        assert_eq!(guild.roles.len(), w.guild.roles.len());
        assert_eq!(guild.members.len(), w.members.len() + 1);
    }

    #[test]
    fn interactions_deserialize() {
        let w = world();
        let member = &w.members[0];
        let channel = &w.channels[0];
        let place = Place {
            world: &w,
            channel,
            member,
        };
        let cmd = CommandData {
            command_id: 1,
            name: "help".into(),
            options: json!([]),
            resolved: json!({}),
        };
        let i: s::Interaction = serde_json::from_value(place.command(5, "t", 2, cmd)).unwrap();
        let cmd = i.command().expect("a command");
        assert!(cmd.member.as_ref().unwrap().permissions.is_some());

        let msg = json!({
            "id": "7", "channel_id": channel.id.to_string(), "author": user(w.bot_id, "haven", true),
            "content": "", "timestamp": TIMESTAMP, "tts": false, "mention_everyone": false,
            "mentions": [], "mention_roles": [], "attachments": [], "embeds": [], "pinned": false, "type": 0,
        });
        serde_json::from_value::<s::Message>(msg.clone()).unwrap();
        let i: s::Interaction = serde_json::from_value(place.button(6, "t2", "x", msg)).unwrap();
        assert!(matches!(i, s::Interaction::Component(_)));
        let i: s::Interaction =
            serde_json::from_value(place.modal(8, "t3", "m", &[("a", "b")])).unwrap();
        assert!(matches!(i, s::Interaction::Modal(_)));

        let dm = w.dm_channel_for(member);
        let place = Place {
            world: &w,
            channel: &dm,
            member,
        };
        let cmd = CommandData {
            command_id: 1,
            name: "help".into(),
            options: json!([]),
            resolved: json!({}),
        };
        let i: s::Interaction = serde_json::from_value(place.command(9, "t4", 2, cmd)).unwrap();
        assert!(i.command().unwrap().guild_id.is_none());
    }
}
