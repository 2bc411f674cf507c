//! The other actors of a real server: an admin acting by hand in Discord's
//! own UI, and AutoMod. Each changes the state exactly as Discord would and
//! tells the bot the way Discord does, with a gateway event sent only to a
//! session that asked for its intent (see [`intents`](super::intents)).
//! None goes through the bot, so none is in [`Sim::audit_log`]. The REST
//! routes make their changes through the same steps, so the bot's own calls
//! send the same events, as on Discord.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::moderation::SimBan;
use super::world::{SimMember, SimOverwrite, World};
use super::{Sim, State, payloads};

/// Discord's longest slowmode: six hours.
pub(super) const MAX_SLOWMODE: u32 = 21_600;

/// The user Discord sends for `id`: a member's name when the sim knows them.
pub(super) fn user_json(world: &World, id: u64) -> Value {
    match world.member_by_id(id) {
        Some(m) => payloads::user(m.id, &m.name, false),
        None if id == world.bot_id => payloads::user(id, &world.bot_name, true),
        None => payloads::user(id, "unknown", false),
    }
}

/// The server a channel belongs to; `None` for a direct message.
fn guild_of_channel(world: &World, channel: u64) -> Option<u64> {
    world
        .channels
        .iter()
        .find(|c| c.id == channel)
        .and_then(|c| c.guild_id)
}

impl State {
    /// Bans `user` (they leave the server) and sends `GUILD_BAN_ADD` from
    /// `guild` when they were not banned yet; a second ban replaces the
    /// first's record without an event.
    pub(super) fn ban(&mut self, world: &World, guild: u64, user: u64, ban: SimBan) {
        let new = self.bans.insert(user, ban).is_none();
        self.kicked.insert(user);
        if new {
            let payload = payloads::ban_event(guild, user_json(world, user));
            self.dispatch("GUILD_BAN_ADD", payload);
        }
    }

    /// Lifts `user`'s ban and sends `GUILD_BAN_REMOVE`; false when there was none.
    pub(super) fn unban(&mut self, world: &World, guild: u64, user: u64) -> bool {
        if self.bans.remove(&user).is_none() {
            return false;
        }
        let payload = payloads::ban_event(guild, user_json(world, user));
        self.dispatch("GUILD_BAN_REMOVE", payload);
        true
    }

    /// A server channel as Discord sends it now, with its overwrites and slowmode.
    pub(super) fn channel_json(&mut self, world: &World, channel: u64) -> Value {
        let mut c = world
            .channels
            .iter()
            .find(|c| c.id == channel)
            .cloned()
            .unwrap_or_else(|| world.channels[0].clone());
        c.overwrites = self.overwrites(world, channel).clone();
        let mut v = payloads::channel(&c);
        v["rate_limit_per_user"] = json!(self.slowmode.get(&channel).copied().unwrap_or(0));
        v
    }

    /// Sends `CHANNEL_UPDATE` with the channel as it is now.
    fn channel_changed(&mut self, world: &World, channel: u64) {
        let payload = self.channel_json(world, channel);
        self.dispatch("CHANNEL_UPDATE", payload);
    }

    /// Sets a channel's slowmode; `CHANNEL_UPDATE` when it changed.
    pub(super) fn set_slowmode(&mut self, world: &World, channel: u64, seconds: u32) {
        let before = self.slowmode.insert(channel, seconds).unwrap_or(0);
        if before != seconds {
            self.channel_changed(world, channel);
        }
    }

    /// Puts an overwrite in place of the target's; `CHANNEL_UPDATE` when it changed.
    pub(super) fn put_overwrite(&mut self, world: &World, channel: u64, overwrite: SimOverwrite) {
        let list = self.overwrites(world, channel);
        if list.contains(&overwrite) {
            return;
        }
        list.retain(|o| o.id != overwrite.id);
        list.push(overwrite);
        self.channel_changed(world, channel);
    }

    /// Removes the target's overwrite and sends `CHANNEL_UPDATE`; false
    /// when it had none.
    pub(super) fn remove_overwrite(&mut self, world: &World, channel: u64, target: u64) -> bool {
        let list = self.overwrites(world, channel);
        let before = list.len();
        list.retain(|o| o.id != target);
        if list.len() == before {
            return false;
        }
        self.channel_changed(world, channel);
        true
    }

    /// Deletes a message and sends `MESSAGE_DELETE` (not for an ephemeral
    /// one, which only its reader saw); false when it is unknown or gone.
    pub(super) fn delete_message(&mut self, world: &World, id: u64) -> bool {
        let Some(m) = self.message_mut(id).filter(|m| !m.deleted) else {
            return false;
        };
        m.deleted = true;
        let (channel, ephemeral) = (m.channel_id, m.ephemeral);
        if !ephemeral {
            let guild = guild_of_channel(world, channel);
            self.dispatch(
                "MESSAGE_DELETE",
                payloads::message_delete(id, channel, guild),
            );
        }
        true
    }

    /// Deletes messages of one channel at once and sends `MESSAGE_DELETE_BULK`.
    pub(super) fn delete_messages(&mut self, world: &World, channel: u64, ids: &[u64]) {
        for id in ids {
            if let Some(m) = self.message_mut(*id) {
                m.deleted = true;
            }
        }
        let guild = guild_of_channel(world, channel);
        self.dispatch(
            "MESSAGE_DELETE_BULK",
            payloads::message_delete_bulk(ids, channel, guild),
        );
    }
}

impl Sim {
    /// A server text channel that exists now: its server.
    fn live_channel(&self, channel: u64) -> Option<u64> {
        let guild = guild_of_channel(&self.inner.world, channel)?;
        (!self.inner.state().deleted_channels.contains(&channel)).then_some(guild)
    }

    /// Bans a user as an admin would in Discord's own UI: they leave the
    /// server (as with the bot's ban), the ban keeps `reason`, and
    /// `GUILD_BAN_ADD` goes to a bot with the Guild Moderation intent.
    /// False, changing nothing, for the owner, Haven itself or someone
    /// already banned (Discord's UI offers no ban there).
    pub fn ban_by_hand(&self, user_id: u64, reason: Option<&str>) -> bool {
        let world = &self.inner.world;
        if user_id == world.owner_id || user_id == world.bot_id {
            return false;
        }
        self.inner.update(|s| {
            if s.bans.contains_key(&user_id) {
                return false;
            }
            let ban = SimBan {
                reason: reason.map(str::to_owned),
                delete_message_seconds: 0,
            };
            s.ban(world, world.guild.id, user_id, ban);
            true
        })
    }

    /// Lifts a ban by hand in Discord's UI, with `GUILD_BAN_REMOVE` (Guild
    /// Moderation intent); false when the user was not banned. They stay
    /// out of the server until invited back, as on Discord.
    pub fn unban_by_hand(&self, user_id: u64) -> bool {
        let world = &self.inner.world;
        self.inner
            .update(|s| s.unban(world, world.guild.id, user_id))
    }

    /// Sets a channel's slowmode by hand (0 turns it off), with
    /// `CHANNEL_UPDATE` when it changed. False for an unknown or deleted
    /// channel, or more than Discord's six hours.
    pub fn set_slowmode_by_hand(&self, channel: u64, seconds: u32) -> bool {
        if seconds > MAX_SLOWMODE || self.live_channel(channel).is_none() {
            return false;
        }
        let world = &self.inner.world;
        self.inner
            .update(|s| s.set_slowmode(world, channel, seconds));
        true
    }

    /// Sets the channel's permission overwrite for a role (`kind` 0; the
    /// server's id is @everyone) or a member (`kind` 1) by hand, replacing
    /// the one it had, with `CHANNEL_UPDATE` when it changed. False for an
    /// unknown or deleted channel or another kind.
    pub fn set_overwrite_by_hand(
        &self,
        channel: u64,
        id: u64,
        kind: u8,
        allow: u64,
        deny: u64,
    ) -> bool {
        if kind > 1 || self.live_channel(channel).is_none() {
            return false;
        }
        let world = &self.inner.world;
        let overwrite = SimOverwrite {
            id,
            kind,
            allow,
            deny,
        };
        self.inner
            .update(|s| s.put_overwrite(world, channel, overwrite));
        true
    }

    /// Removes the channel's overwrite for `id` by hand, with
    /// `CHANNEL_UPDATE`; false when there was none.
    pub fn delete_overwrite_by_hand(&self, channel: u64, id: u64) -> bool {
        if self.live_channel(channel).is_none() {
            return false;
        }
        let world = &self.inner.world;
        self.inner
            .update(|s| s.remove_overwrite(world, channel, id))
    }

    /// Deletes a message by hand (its author, or a moderator in Discord's
    /// UI): later reads answer 404 Unknown Message, and `MESSAGE_DELETE`
    /// goes to a bot with the Guild Messages intent (Direct Messages for a
    /// DM). False when the message is unknown or already gone.
    pub fn delete_message_by_hand(&self, id: u64) -> bool {
        let world = &self.inner.world;
        self.inner.update(|s| s.delete_message(world, id))
    }

    /// AutoMod times a member out (a keyword rule's timeout action): the
    /// same state as [`Sim::time_out_by_hand`], and
    /// `AUTO_MODERATION_ACTION_EXECUTION` to a bot with the Auto Moderation
    /// Execution intent.
    pub fn automod_timeout(&self, member: &SimMember, until: DateTime<Utc>) {
        let guild = self.inner.world.guild.id;
        self.inner.update(|s| {
            let seconds = (until - s.now()).num_seconds().max(0) as u64;
            s.timeouts.insert(member.id, until);
            let payload = payloads::automod_timeout(guild, member.id, seconds);
            s.dispatch("AUTO_MODERATION_ACTION_EXECUTION", payload);
        });
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use serde_json::{Value, json};
    use serenity::all as s;
    use serenity::model::event::{
        AutoModActionExecutionEvent, ChannelUpdateEvent, Event, GuildBanAddEvent,
        GuildBanRemoveEvent, MessageDeleteBulkEvent, MessageDeleteEvent,
    };
    use tokio::sync::mpsc;

    use super::super::world::{GUILD_ID, VIEW_CHANNEL};
    use super::super::{Connection, Fault, FaultKind, GatewayCmd, Sim, World, intents, payloads};

    /// A session of shard 0 of 1 that identified with `asked`: the events
    /// Discord would send it arrive here.
    fn listen(sim: &Sim, asked: u64) -> mpsc::UnboundedReceiver<GatewayCmd> {
        let (tx, rx) = mpsc::unbounded_channel();
        sim.inner.update(|s| {
            s.next_connection += 1;
            let id = s.next_connection;
            s.connections.insert(
                id,
                Connection {
                    tx,
                    shard: Some([0, 1]),
                    caller: None,
                    intents: asked,
                },
            );
        });
        rx
    }

    /// The events sent so far, each checked to read as serenity's `Event`.
    fn events(rx: &mut mpsc::UnboundedReceiver<GatewayCmd>) -> Vec<(&'static str, Value)> {
        let mut out = Vec::new();
        while let Ok(cmd) = rx.try_recv() {
            if let GatewayCmd::Dispatch(name, d) = cmd {
                serde_json::from_value::<Event>(json!({"t": name, "d": d.clone()}))
                    .unwrap_or_else(|e| panic!("{name} does not read as serenity's: {e}\n{d}"));
                out.push((name, d));
            }
        }
        out
    }

    fn only(rx: &mut mpsc::UnboundedReceiver<GatewayCmd>, name: &str) -> Value {
        let sent = events(rx);
        assert_eq!(sent.len(), 1, "{sent:?}");
        assert_eq!(sent[0].0, name, "{sent:?}");
        sent[0].1.clone()
    }

    const ALL_INTENTS: u64 = intents::GUILDS
        | intents::GUILD_MODERATION
        | intents::GUILD_MESSAGES
        | intents::DIRECT_MESSAGES
        | intents::AUTO_MODERATION_EXECUTION;

    #[tokio::test]
    async fn an_admin_by_hand_and_automod_are_told_as_discord_tells_them() {
        let sim = Sim::start(World::sandbox()).await.unwrap();
        let mut rx = listen(&sim, ALL_INTENTS);
        let bob = sim.member("bob");
        let general = sim.channel_id("general");

        assert!(sim.ban_by_hand(bob.id, Some("spam")));
        let e: GuildBanAddEvent = serde_json::from_value(only(&mut rx, "GUILD_BAN_ADD")).unwrap();
        assert_eq!((e.guild_id.get(), e.user.id.get()), (GUILD_ID, bob.id));
        assert_eq!(e.user.name, "bob");
        assert_eq!(sim.ban_of(&bob).unwrap().reason.as_deref(), Some("spam"));
        assert!(sim.is_gone(&bob));
        assert!(!sim.ban_by_hand(bob.id, None), "already banned");
        assert!(!sim.ban_by_hand(sim.world().owner_id, None), "the owner");
        assert!(events(&mut rx).is_empty());

        assert!(sim.unban_by_hand(bob.id));
        let e: GuildBanRemoveEvent =
            serde_json::from_value(only(&mut rx, "GUILD_BAN_REMOVE")).unwrap();
        assert_eq!(e.user.id.get(), bob.id);
        assert!(sim.ban_of(&bob).is_none());
        assert!(!sim.unban_by_hand(bob.id));

        assert!(sim.set_slowmode_by_hand(general, 30));
        let e: ChannelUpdateEvent =
            serde_json::from_value(only(&mut rx, "CHANNEL_UPDATE")).unwrap();
        assert_eq!(e.channel.id.get(), general);
        assert_eq!(e.channel.rate_limit_per_user, Some(30));
        assert_eq!(sim.slowmode_of(general), 30);
        assert!(sim.set_slowmode_by_hand(general, 30));
        assert!(events(&mut rx).is_empty(), "no change, no event");
        assert!(!sim.set_slowmode_by_hand(general, 21_601));

        assert!(sim.set_overwrite_by_hand(general, GUILD_ID, 0, 0, VIEW_CHANNEL));
        let e: ChannelUpdateEvent =
            serde_json::from_value(only(&mut rx, "CHANNEL_UPDATE")).unwrap();
        let o = &e.channel.permission_overwrites;
        assert_eq!(o.len(), 1);
        assert_eq!(o[0].deny.bits(), VIEW_CHANNEL);
        assert_eq!(e.channel.rate_limit_per_user, Some(30), "the whole channel");
        assert!(sim.delete_overwrite_by_hand(general, GUILD_ID));
        let e: ChannelUpdateEvent =
            serde_json::from_value(only(&mut rx, "CHANNEL_UPDATE")).unwrap();
        assert!(e.channel.permission_overwrites.is_empty());
        assert!(!sim.delete_overwrite_by_hand(general, GUILD_ID));
        assert!(sim.overwrites_of(general).is_empty());

        let post = sim.post_as(&bob, general, "hello", chrono::Duration::zero());
        assert!(sim.delete_message_by_hand(post.id));
        let e: MessageDeleteEvent =
            serde_json::from_value(only(&mut rx, "MESSAGE_DELETE")).unwrap();
        assert_eq!(
            (
                e.message_id.get(),
                e.channel_id.get(),
                e.guild_id.map(|g| g.get())
            ),
            (post.id, general, Some(GUILD_ID))
        );
        assert!(!sim.delete_message_by_hand(post.id), "already gone");
        let again = sim.post_as(&bob, general, "again", chrono::Duration::zero());
        sim.delete_message(again.id);
        only(&mut rx, "MESSAGE_DELETE");

        let until = chrono::Utc::now() + chrono::Duration::minutes(10);
        sim.automod_timeout(&bob, until);
        let e: AutoModActionExecutionEvent =
            serde_json::from_value(only(&mut rx, "AUTO_MODERATION_ACTION_EXECUTION")).unwrap();
        assert_eq!(e.execution.user_id.get(), bob.id);
        match e.execution.action {
            s::automod::Action::Timeout(d) => {
                assert!((599..=600).contains(&d.as_secs()), "{d:?}")
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(sim.timeout_of(&bob), Some(until));
        assert!(
            sim.audit_log().is_empty(),
            "none of it went through the bot"
        );
    }

    #[tokio::test]
    async fn an_event_goes_only_to_a_session_that_asked_for_its_intent() {
        let sim = Sim::start(World::sandbox()).await.unwrap();
        let bob = sim.member("bob");
        let general = sim.channel_id("general");
        // Queued while no session is there: sorted when one identifies.
        sim.ban_by_hand(bob.id, None);
        sim.set_slowmode_by_hand(general, 5);
        let kept = sim
            .inner
            .update(|s| s.take_pending_for([0, 1], intents::GUILDS));
        let names: Vec<&str> = kept.iter().map(|(n, _)| *n).collect();
        assert_eq!(names, ["CHANNEL_UPDATE"]);

        // Haven's own intents today: GUILDS only.
        let mut rx = listen(&sim, intents::GUILDS);
        sim.unban_by_hand(bob.id);
        let post = sim.post_as(&bob, general, "hi", chrono::Duration::zero());
        sim.delete_message_by_hand(post.id);
        sim.automod_timeout(&bob, chrono::Utc::now() + chrono::Duration::minutes(1));
        sim.set_slowmode_by_hand(general, 0);
        let names: Vec<&str> = events(&mut rx).iter().map(|(n, _)| *n).collect();
        assert_eq!(names, ["CHANNEL_UPDATE"]);
        assert!(sim.inner.state().pending.is_empty(), "dropped, not queued");
    }

    /// People join, move between and leave voice channels as in Discord:
    /// one `VOICE_STATE_UPDATE` per change, only to a session with the
    /// Guild Voice States intent, reading as serenity's; a text channel is
    /// not joined; `GUILD_CREATE` carries who is in voice now.
    #[tokio::test]
    async fn voice_states_are_told_as_discord_tells_them() {
        let sim = Sim::start(World::sandbox()).await.unwrap();
        let (alice, bob) = (sim.member("alice"), sim.member("bob"));
        let room = sim.channel_id("Meeting room");
        let mut without = listen(&sim, intents::GUILDS);
        assert!(sim.voice_join(&alice, room));
        assert!(events(&mut without).is_empty(), "no intent, no event");
        assert!(sim.voice_leave(&alice));
        // That session ends; the next asks for the intent.
        sim.inner.update(|s| s.connections.clear());
        let mut rx = listen(&sim, intents::GUILDS | intents::GUILD_VOICE_STATES);
        assert!(!sim.voice_join(&bob, sim.channel_id("general")));
        assert!(sim.voice_join(&bob, room));
        assert!(sim.voice_join(&bob, room), "already there");
        let joined = only(&mut rx, "VOICE_STATE_UPDATE");
        assert_eq!(joined["channel_id"], json!(room.to_string()));
        assert_eq!(joined["user_id"], json!(bob.id.to_string()));
        assert_eq!(sim.voice_states(), [(bob.id, room)]);

        let w = sim.world().clone();
        let guild: serenity::all::Guild = serde_json::from_value(
            payloads::guild_create_with_voice(&w, &w.guild, &sim.voice_states()),
        )
        .unwrap();
        let state = guild.voice_states.values().next().expect("a voice state");
        assert_eq!(state.channel_id.map(|c| c.get()), Some(room));

        assert!(sim.voice_leave(&bob));
        assert!(!sim.voice_leave(&bob), "not in voice any more");
        let left = only(&mut rx, "VOICE_STATE_UPDATE");
        assert_eq!(left["channel_id"], Value::Null);
        assert!(sim.voice_states().is_empty());
    }

    #[test]
    fn intents_follow_discords_table() {
        use intents::*;
        assert_eq!(required_for("GUILD_BAN_ADD", true), GUILD_MODERATION);
        assert_eq!(required_for("MESSAGE_DELETE", true), GUILD_MESSAGES);
        assert_eq!(required_for("MESSAGE_DELETE", false), DIRECT_MESSAGES);
        assert_eq!(required_for("CHANNEL_UPDATE", true), GUILDS);
        assert_eq!(required_for("INTERACTION_CREATE", true), 0);
        let dm = payloads::message_delete(1, 2, None);
        serde_json::from_value::<MessageDeleteEvent>(dm).unwrap();
    }

    fn http(sim: &Sim, timeout: Duration) -> s::Http {
        let client = reqwest::Client::builder().timeout(timeout).build().unwrap();
        s::HttpBuilder::new("sim.token")
            .client(client)
            .proxy(sim.base_url())
            .ratelimiter_disabled(true)
            .build()
    }

    fn status(e: &serenity::Error) -> Option<(u16, isize)> {
        match e {
            serenity::Error::Http(serenity::all::HttpError::UnsuccessfulRequest(r)) => {
                Some((r.status_code.as_u16(), r.error.code))
            }
            _ => None,
        }
    }

    #[tokio::test]
    async fn the_bots_own_calls_send_the_same_events_and_a_ban_keeps_its_reason() {
        let sim = Sim::start(World::sandbox()).await.unwrap();
        let http = http(&sim, Duration::from_secs(10));
        let mut rx = listen(&sim, ALL_INTENTS);
        let (bob, casey) = (sim.member("bob"), sim.member("casey"));
        let guild = s::GuildId::new(GUILD_ID);
        let general = sim.channel_id("general");
        let channel = s::ChannelId::new(general);

        http.ban_user(guild, s::UserId::new(bob.id), 0, Some("Spamming – links"))
            .await
            .unwrap();
        only(&mut rx, "GUILD_BAN_ADD");
        let ban = http
            .get_ban(guild, s::UserId::new(bob.id))
            .await
            .unwrap()
            .expect("banned");
        assert_eq!(ban.reason.as_deref(), Some("Spamming – links"));
        assert_eq!(ban.user.name, "bob");
        sim.ban_by_hand(casey.id, None);
        only(&mut rx, "GUILD_BAN_ADD");
        let bans = http.get_bans(guild, None, None).await.unwrap();
        let users: Vec<u64> = bans.iter().map(|b| b.user.id.get()).collect();
        assert_eq!(users, [bob.id, casey.id]);
        http.remove_ban(guild, s::UserId::new(bob.id), None)
            .await
            .unwrap();
        only(&mut rx, "GUILD_BAN_REMOVE");
        assert!(
            http.get_ban(guild, s::UserId::new(bob.id))
                .await
                .unwrap()
                .is_none()
        );

        http.edit_channel(channel, &json!({"rate_limit_per_user": 60}), None)
            .await
            .unwrap();
        let e: ChannelUpdateEvent =
            serde_json::from_value(only(&mut rx, "CHANNEL_UPDATE")).unwrap();
        assert_eq!(e.channel.rate_limit_per_user, Some(60));
        let target = s::TargetId::new(GUILD_ID);
        let deny = json!({"allow": "0", "deny": VIEW_CHANNEL.to_string(), "type": 0});
        http.create_permission(channel, target, &deny, None)
            .await
            .unwrap();
        only(&mut rx, "CHANNEL_UPDATE");
        http.delete_permission(channel, target, None).await.unwrap();
        only(&mut rx, "CHANNEL_UPDATE");

        let dana = sim.member("dana");
        let post = sim.post_as(&dana, general, "mine", chrono::Duration::zero());
        let fetched = http
            .get_message(channel, s::MessageId::new(post.id))
            .await
            .unwrap();
        assert_eq!(fetched.author.id.get(), dana.id);
        http.delete_message(channel, s::MessageId::new(post.id), None)
            .await
            .unwrap();
        only(&mut rx, "MESSAGE_DELETE");
        let gone = http
            .get_message(channel, s::MessageId::new(post.id))
            .await
            .unwrap_err();
        assert_eq!(status(&gone), Some((404, 10008)));
        let unknown = http
            .get_message(channel, s::MessageId::new(12345))
            .await
            .unwrap_err();
        assert_eq!(status(&unknown), Some((404, 10008)));

        let ids: Vec<u64> = (0..2)
            .map(|i| {
                sim.post_as(&dana, general, &format!("{i}"), chrono::Duration::zero())
                    .id
            })
            .collect();
        let body = json!({"messages": ids.iter().map(u64::to_string).collect::<Vec<_>>()});
        http.delete_messages(channel, &body, None).await.unwrap();
        let e: MessageDeleteBulkEvent =
            serde_json::from_value(only(&mut rx, "MESSAGE_DELETE_BULK")).unwrap();
        assert_eq!(e.ids.iter().map(|i| i.get()).collect::<Vec<_>>(), ids);
    }

    #[tokio::test]
    async fn done_then_stall_does_the_work_then_outlasts_the_clients_timeout() {
        let sim = Sim::start(World::sandbox()).await.unwrap();
        let http = http(&sim, Duration::from_millis(300));
        let mut rx = listen(&sim, ALL_INTENTS);
        let guild = s::GuildId::new(GUILD_ID);
        let general = sim.channel_id("general");
        let channel = s::ChannelId::new(general);
        let (bob, casey, dana) = (sim.member("bob"), sim.member("casey"), sim.member("dana"));
        let stall = |method: &str, path: String| {
            sim.inject_fault(Fault {
                method: Some(method.into()),
                path_contains: path,
                kind: FaultKind::DoneThenStall(Duration::from_secs(3)),
                times: 1,
            });
        };
        let timed_out = |r: serenity::Result<()>| match r {
            Err(serenity::Error::Http(s::HttpError::Request(e))) => e.is_timeout(),
            _ => false,
        };

        stall("DELETE", format!("/guilds/{GUILD_ID}/members/{}", bob.id));
        let r = http.kick_member(guild, s::UserId::new(bob.id), None).await;
        assert!(timed_out(r));
        assert!(sim.is_gone(&bob), "kicked all the same");

        sim.ban_by_hand(casey.id, None);
        stall("DELETE", format!("/guilds/{GUILD_ID}/bans/{}", casey.id));
        let r = http.remove_ban(guild, s::UserId::new(casey.id), None).await;
        assert!(timed_out(r));
        assert!(sim.ban_of(&casey).is_none(), "unbanned all the same");

        let post = sim.post_as(&dana, general, "x", chrono::Duration::zero());
        stall(
            "DELETE",
            format!("/channels/{general}/messages/{}", post.id),
        );
        let r = http
            .delete_message(channel, s::MessageId::new(post.id), None)
            .await;
        assert!(timed_out(r));
        assert!(sim.message(post.id).unwrap().deleted);

        let ids: Vec<u64> = (0..2)
            .map(|i| {
                sim.post_as(&dana, general, &format!("{i}"), chrono::Duration::zero())
                    .id
            })
            .collect();
        stall("POST", format!("/channels/{general}/messages/bulk-delete"));
        let body = json!({"messages": ids.iter().map(u64::to_string).collect::<Vec<_>>()});
        let r = http.delete_messages(channel, &body, None).await;
        assert!(timed_out(r));
        assert!(ids.iter().all(|id| sim.message(*id).unwrap().deleted));

        // Discord told the bot of each all the same; the calls are logged.
        let names: Vec<&str> = events(&mut rx).iter().map(|(n, _)| *n).collect();
        assert_eq!(
            names,
            [
                "GUILD_BAN_ADD",
                "GUILD_BAN_REMOVE",
                "MESSAGE_DELETE",
                "MESSAGE_DELETE_BULK"
            ]
        );
        let statuses: Vec<u16> = sim.rest_log().iter().map(|c| c.status).collect();
        assert_eq!(statuses, [204, 204, 204, 204]);
        // Each fault was used once: the next call answers at once.
        let again = sim.post_as(&dana, general, "y", chrono::Duration::zero());
        http.delete_message(channel, s::MessageId::new(again.id), None)
            .await
            .unwrap();
    }
}
