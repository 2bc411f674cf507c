//! Moderation calls, each carrying its reason to Discord's audit log
//! (`X-Audit-Log-Reason`). A refusal keeps Discord's error code, so the
//! facilitator is told exactly what Discord said no to.

use chrono::{DateTime, Utc};
use poise::serenity_prelude as serenity;
use serenity::http::{LightMethod, Request, Route};

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use super::{Rest, RestError};
use crate::domain::moderation::Overwrite;

/// Discord's error codes moderation answers specifically.
pub mod codes {
    pub const MISSING_PERMISSIONS: isize = 50013;
    pub const MISSING_ACCESS: isize = 50001;
    pub const UNKNOWN_CHANNEL: isize = 10003;
    pub const UNKNOWN_MEMBER: isize = 10007;
    pub const UNKNOWN_OVERWRITE: isize = 10009;
    pub const UNKNOWN_ROLE: isize = 10011;
    pub const UNKNOWN_USER: isize = 10013;
    pub const UNKNOWN_BAN: isize = 10026;
    pub const UNKNOWN_MESSAGE: isize = 10008;
    pub const TOO_FEW_OR_MANY: isize = 50016;
    pub const TOO_OLD_TO_BULK_DELETE: isize = 50034;
    pub const INVALID_FORM_BODY: isize = 50035;
}

/// The `X-Audit-Log-Reason` header, percent-encoded as Discord wants it
/// (as serenity encodes it for the calls that take a reason).
fn reason_header(reason: &str) -> reqwest::header::HeaderMap {
    let encoded = percent_encoding::utf8_percent_encode(reason, percent_encoding::NON_ALPHANUMERIC)
        .to_string();
    let mut headers = reqwest::header::HeaderMap::new();
    if let Ok(value) = reqwest::header::HeaderValue::from_str(&encoded) {
        headers.insert("X-Audit-Log-Reason", value);
    }
    headers
}

/// How long after Haven's own change to a member or channel Discord's echo
/// of it may still arrive.
const ECHO_WINDOW: std::time::Duration = std::time::Duration::from_secs(3);

/// Haven's own moderation calls on one target (a member, a channel) that
/// are under way or just ended, so that Discord's echo of them
/// (`GUILD_BAN_*`, `CHANNEL_UPDATE`) is never taken for a human's decision.
/// Kept per process: a server's events reach the process of its shard,
/// which makes the server's own calls.
#[derive(Clone, Default)]
pub struct OwnChanges(Arc<Mutex<HashMap<u64, Own>>>);

#[derive(Default)]
struct Own {
    under_way: usize,
    ended: Option<Instant>,
}

/// One call under way; counted as ended when dropped, however it ends.
pub struct OwnChange {
    changes: OwnChanges,
    target: u64,
}

impl Drop for OwnChange {
    fn drop(&mut self) {
        let mut map = self
            .changes
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let own = map.entry(self.target).or_default();
        own.under_way = own.under_way.saturating_sub(1);
        own.ended = Some(Instant::now());
    }
}

impl OwnChanges {
    /// Haven starts changing `target`.
    pub fn begin(&self, target: u64) -> OwnChange {
        let mut map = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        // Old entries go once nothing is under way and their echoes are past.
        map.retain(|_, o| o.under_way > 0 || o.ended.is_some_and(|e| e.elapsed() < ECHO_WINDOW));
        map.entry(target).or_default().under_way += 1;
        OwnChange {
            changes: self.clone(),
            target,
        }
    }

    /// Whether nothing of Haven's on `target` is under way or recent enough
    /// for its echo to be still arriving.
    fn settled(&self, target: u64) -> bool {
        let map = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        map.get(&target)
            .is_none_or(|o| o.under_way == 0 && o.ended.is_none_or(|e| e.elapsed() >= ECHO_WINDOW))
    }

    /// Waits until Haven's own calls on `target` have settled (at most
    /// `max`), so what is read afterwards is what people left.
    pub async fn settle(&self, target: u64, max: std::time::Duration) {
        let start = Instant::now();
        while !self.settled(target) && start.elapsed() < max {
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }
}

/// A channel as moderation needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelState {
    pub guild: Option<u64>,
    pub slowmode: u32,
    /// Role overwrites (role id, bits); member overwrites are left out.
    pub role_overwrites: Vec<(u64, Overwrite)>,
}

impl ChannelState {
    /// A server channel's slowmode and role overwrites, as Discord sent it
    /// (read, or announced in `CHANNEL_UPDATE`).
    pub fn of(c: &serenity::GuildChannel) -> Self {
        Self {
            guild: Some(c.guild_id.get()),
            slowmode: u32::from(c.rate_limit_per_user.unwrap_or(0)),
            role_overwrites: c
                .permission_overwrites
                .iter()
                .filter_map(|o| match o.kind {
                    serenity::PermissionOverwriteType::Role(r) => Some((
                        r.get(),
                        Overwrite {
                            allow: o.allow.bits(),
                            deny: o.deny.bits(),
                        },
                    )),
                    _ => None,
                })
                .collect(),
        }
    }
}

impl Rest {
    /// The member's ban as Discord keeps it: `None` when they are not
    /// banned, else the ban's reason (as its audit-log reason was given).
    pub async fn ban_of(
        &self,
        guild: serenity::GuildId,
        user: serenity::UserId,
    ) -> Result<Option<Option<String>>, RestError> {
        let ban = self
            .run(None, &|| true, || self.http.get_ban(guild, user))
            .await?;
        Ok(ban.map(|b| b.reason))
    }

    /// Whether the member is in the server now (after a kick whose answer
    /// was lost, say).
    pub async fn is_member(
        &self,
        guild: serenity::GuildId,
        user: serenity::UserId,
    ) -> Result<bool, RestError> {
        match self
            .run(None, &|| true, || self.http.get_member(guild, user))
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if matches!(e.code(), Some(codes::UNKNOWN_MEMBER | codes::UNKNOWN_USER)) => {
                Ok(false)
            }
            Err(e) => Err(e),
        }
    }

    /// Whether the message is still there (after a delete whose answer was
    /// lost, say).
    pub async fn message_exists(
        &self,
        channel: serenity::ChannelId,
        message: serenity::MessageId,
    ) -> Result<bool, RestError> {
        match self
            .run(None, &|| true, || self.http.get_message(channel, message))
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if e.code() == Some(codes::UNKNOWN_MESSAGE) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Times a member out until `until`, or ends their timeout (`None`).
    pub async fn timeout(
        &self,
        guild: serenity::GuildId,
        user: serenity::UserId,
        until: Option<DateTime<Utc>>,
        reason: &str,
    ) -> Result<(), RestError> {
        let body = serde_json::json!({
            "communication_disabled_until": until.map(|u| u.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        });
        self.run(None, &|| true, || async {
            self.http
                .edit_member(guild, user, &body, Some(reason))
                .await
                .map(|_| ())
        })
        .await
    }

    pub async fn kick(
        &self,
        guild: serenity::GuildId,
        user: serenity::UserId,
        reason: &str,
    ) -> Result<(), RestError> {
        self.run(None, &|| true, || {
            self.http.kick_member(guild, user, Some(reason))
        })
        .await
    }

    /// Bans a member, deleting `delete_seconds` (0..=604800) of their messages.
    pub async fn ban(
        &self,
        guild: serenity::GuildId,
        user: serenity::UserId,
        delete_seconds: u32,
        reason: &str,
    ) -> Result<(), RestError> {
        let _own = self.own.begin(user.get());
        self.run(None, &|| true, || async {
            let request = Request::new(
                Route::GuildBan {
                    guild_id: guild,
                    user_id: user,
                },
                LightMethod::Put,
            )
            .params(Some(vec![(
                "delete_message_seconds",
                delete_seconds.min(604_800).to_string(),
            )]))
            .headers(Some(reason_header(reason)));
            self.http.request(request).await.map(|_| ())
        })
        .await
    }

    pub async fn unban(
        &self,
        guild: serenity::GuildId,
        user: serenity::UserId,
        reason: &str,
    ) -> Result<(), RestError> {
        let _own = self.own.begin(user.get());
        self.run(None, &|| true, || {
            self.http.remove_ban(guild, user, Some(reason))
        })
        .await
    }

    /// The channel's slowmode and role overwrites.
    pub async fn channel_state(
        &self,
        channel: serenity::ChannelId,
    ) -> Result<ChannelState, RestError> {
        let channel = self
            .run(None, &|| true, || self.http.get_channel(channel))
            .await?;
        let serenity::Channel::Guild(c) = channel else {
            return Err(RestError::Rejected {
                code: 0,
                message: "not a server channel".into(),
            });
        };
        Ok(ChannelState::of(&c))
    }

    pub async fn set_slowmode(
        &self,
        channel: serenity::ChannelId,
        seconds: u32,
        reason: &str,
    ) -> Result<(), RestError> {
        let body = serde_json::json!({ "rate_limit_per_user": seconds });
        let _own = self.own.begin(channel.get());
        self.run(None, &|| true, || async {
            self.http
                .edit_channel(channel, &body, Some(reason))
                .await
                .map(|_| ())
        })
        .await
    }

    /// Sets a role's overwrite on a channel to exactly `overwrite`.
    pub async fn put_role_overwrite(
        &self,
        channel: serenity::ChannelId,
        role: u64,
        overwrite: Overwrite,
        reason: &str,
    ) -> Result<(), RestError> {
        let body = serde_json::json!({
            "allow": overwrite.allow.to_string(),
            "deny": overwrite.deny.to_string(),
            "type": 0,
        });
        let _own = self.own.begin(channel.get());
        self.run(None, &|| true, || {
            self.http
                .create_permission(channel, serenity::TargetId::new(role), &body, Some(reason))
        })
        .await
    }

    /// Removes a role's overwrite from a channel.
    pub async fn delete_role_overwrite(
        &self,
        channel: serenity::ChannelId,
        role: u64,
        reason: &str,
    ) -> Result<(), RestError> {
        let _own = self.own.begin(channel.get());
        self.run(None, &|| true, || {
            self.http
                .delete_permission(channel, serenity::TargetId::new(role), Some(reason))
        })
        .await
    }

    /// The channel's most recent messages, newest first (at most 100).
    pub async fn recent_messages(
        &self,
        channel: serenity::ChannelId,
        limit: u8,
    ) -> Result<Vec<serenity::Message>, RestError> {
        self.run(None, &|| true, || {
            self.http
                .get_messages(channel, None, Some(limit.clamp(1, 100)))
        })
        .await
    }

    /// Deletes 2 to 100 messages at once.
    pub async fn bulk_delete(
        &self,
        channel: serenity::ChannelId,
        ids: &[u64],
        reason: &str,
    ) -> Result<(), RestError> {
        let body = serde_json::json!({
            "messages": ids.iter().map(u64::to_string).collect::<Vec<_>>(),
        });
        self.run(None, &|| true, || {
            self.http.delete_messages(channel, &body, Some(reason))
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_are_percent_encoded() {
        let h = reason_header("spam & more, ünïcode");
        assert_eq!(
            h.get("X-Audit-Log-Reason").unwrap(),
            "spam%20%26%20more%2C%20%C3%BCn%C3%AFcode"
        );
    }
}
