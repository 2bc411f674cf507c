//! Moderation routes of the fake Discord, validating as Discord does:
//! hierarchy and owner refusals (403, 50013), the 28-day timeout limit
//! (400, 50035), bans, slowmode, permission overwrites and bulk delete (2 to
//! 100 ids, none older than 14 days: 50034). Every call's
//! `X-Audit-Log-Reason` is recorded for tests, and a ban keeps it as its
//! reason. Changes send Discord's gateway events through the same steps as
//! a human's changes (see `actors`).

use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;
use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

use super::actors::{MAX_SLOWMODE, user_json};
use super::rest::{error, message_json, no_content, ok};
use super::world::{ADMINISTRATOR, SimOverwrite};
use super::{Inner, State, payloads};

const KICK_MEMBERS: u64 = 1 << 1;
const BAN_MEMBERS: u64 = 1 << 2;
const MANAGE_CHANNELS: u64 = 1 << 4;
const MANAGE_MESSAGES: u64 = 1 << 13;
const MANAGE_ROLES: u64 = 1 << 28;
const MODERATE_MEMBERS: u64 = 1 << 40;

/// One moderation call as Discord's audit log would show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub method: String,
    pub path: String,
    /// The decoded `X-Audit-Log-Reason`, if the call carried one.
    pub reason: Option<String>,
    pub status: u16,
}

/// A ban as the fake Discord keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimBan {
    /// The decoded `X-Audit-Log-Reason` of the bot's ban, or the reason
    /// given by hand.
    pub reason: Option<String>,
    pub delete_message_seconds: u64,
}

/// Decodes a percent-encoded header value.
pub(super) fn audit_reason(headers: &HeaderMap) -> Option<String> {
    let raw = headers.get("x-audit-log-reason")?.to_str().ok()?;
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = raw.get(i + 1..i + 3).filter(|_| bytes[i] == b'%');
        if let Some(b) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).ok()
}

fn forbidden() -> Response {
    error(StatusCode::FORBIDDEN, 50013, "Missing Permissions")
}

/// Guild permissions of these roles (with @everyone) now, with the role
/// permissions a test changed.
fn guild_permissions(inner: &Inner, s: &State, roles: &[u64]) -> u64 {
    let w = &inner.world;
    w.guild
        .roles
        .iter()
        .filter(|r| r.id == w.guild.id || roles.contains(&r.id))
        .fold(0, |acc, r| acc | s.role_permissions(r.id, r.permissions))
}

/// The bot's guild permissions now.
fn bot_permissions(inner: &Inner, s: &State) -> u64 {
    guild_permissions(inner, s, &inner.world.bot_roles)
}

/// The bot's guild permissions now, for the other route families.
pub(super) fn bot_guild_permissions(inner: &Inner, s: &State) -> u64 {
    bot_permissions(inner, s)
}

fn member_permissions(inner: &Inner, s: &State, id: u64) -> u64 {
    guild_permissions(inner, s, &s.member_roles(&inner.world, id))
}

fn top_position(inner: &Inner, roles: &[u64]) -> u16 {
    inner
        .world
        .guild
        .roles
        .iter()
        .filter(|r| roles.contains(&r.id))
        .map(|r| r.position)
        .max()
        .unwrap_or(0)
}

fn has(bits: u64, perm: u64) -> bool {
    bits & ADMINISTRATOR != 0 || bits & perm != 0
}

/// Discord's rule for acting on a member: the bot holds `perm`, the target is
/// not the owner, and (for timeouts) not an admin; the bot's highest role is
/// above theirs.
fn may_act_on(inner: &Inner, s: &State, target: u64, perm: u64, timeout: bool) -> bool {
    let w = &inner.world;
    if !has(bot_permissions(inner, s), perm) || target == w.owner_id {
        return false;
    }
    if timeout && member_permissions(inner, s, target) & ADMINISTRATOR != 0 {
        return false;
    }
    let theirs = top_position(inner, &s.member_roles(w, target));
    theirs < top_position(inner, &w.bot_roles)
}

/// The value of `key` in a query string.
fn query_value<'a>(query: Option<&'a str>, key: &str) -> Option<&'a str> {
    query?
        .split('&')
        .find_map(|kv| kv.strip_prefix(key)?.strip_prefix('='))
}

/// A ban as Discord answers it: `{"reason", "user"}`.
fn ban_json(inner: &Inner, user: u64, ban: &SimBan) -> Value {
    json!({"reason": ban.reason, "user": user_json(&inner.world, user)})
}

/// `GET /guilds/{g}/bans`: by user id, `after`/`before` an id, at most
/// `limit` (1 to 1000, default 1000); Ban Members required.
fn list_bans(inner: &Inner, query: Option<&str>) -> Response {
    let id = |key| query_value(query, key).and_then(|v| v.parse::<u64>().ok());
    let limit = query_value(query, "limit").map_or(Some(1000), |v| v.parse::<usize>().ok());
    let Some(limit) = limit.filter(|l| (1..=1000).contains(l)) else {
        return error(StatusCode::BAD_REQUEST, 50035, "Invalid Form Body");
    };
    let s = inner.state();
    if !has(bot_permissions(inner, &s), BAN_MEMBERS) {
        return forbidden();
    }
    let mut users: Vec<u64> = s.bans.keys().copied().collect();
    users.sort_unstable();
    let (after, before) = (id("after"), id("before"));
    let list: Vec<Value> = users
        .into_iter()
        .filter(|u| after.is_none_or(|a| *u > a) && before.is_none_or(|b| *u < b))
        .take(limit)
        .map(|u| ban_json(inner, u, &s.bans[&u]))
        .collect();
    ok(json!(list))
}

/// Handles a moderation route, or returns `None` for any other.
pub(super) fn route(
    inner: &Inner,
    method: &Method,
    segments: &[&str],
    query: Option<&str>,
    headers: &HeaderMap,
    json: &Value,
) -> Option<Response> {
    let num = |s: &str| s.parse::<u64>().ok();
    let world = &inner.world;
    let guild_ok = |g: &str| num(g).is_some_and(|g| world.has_guild(g));
    let response = match (method.as_str(), segments) {
        ("GET", ["guilds", g, "roles"]) if guild_ok(g) => inner.update(|s| {
            let guild = world
                .guilds()
                .find(|x| Some(x.id) == num(g))
                .unwrap_or(&world.guild);
            ok(json!(
                guild
                    .roles
                    .iter()
                    .map(|r| payloads::role(
                        guild.id,
                        r.id,
                        &r.name,
                        s.role_permissions(r.id, r.permissions),
                        r.position,
                        r.mentionable
                    ))
                    .collect::<Vec<_>>()
            ))
        }),
        ("GET", ["guilds", g, "members", user])
            if guild_ok(g) && num(user) == Some(world.bot_id) =>
        {
            ok(json!({
                "user": payloads::user(world.bot_id, &world.bot_name, true),
                "roles": world.bot_roles.iter().map(u64::to_string).collect::<Vec<_>>(),
                "joined_at": payloads::TIMESTAMP, "deaf": false, "mute": false, "flags": 0,
            }))
        }
        ("GET", ["guilds", g, "members", user]) if guild_ok(g) => {
            let target = num(user)?;
            let s = inner.state();
            match world
                .member_by_id(target)
                .filter(|_| !s.kicked.contains(&target))
            {
                Some(m) => {
                    let mut m = m.clone();
                    m.roles = s.member_roles(world, target);
                    let mut v = payloads::member(world, &m);
                    v.as_object_mut().expect("object").remove("permissions");
                    v["communication_disabled_until"] = s
                        .timeouts
                        .get(&target)
                        .filter(|t| **t > s.now())
                        .map(|t| json!(t.to_rfc3339()))
                        .unwrap_or(Value::Null);
                    ok(v)
                }
                None => error(StatusCode::NOT_FOUND, 10007, "Unknown Member"),
            }
        }
        ("PATCH", ["guilds", g, "members", user]) if guild_ok(g) => {
            let target = num(user)?;
            inner.update(|s| {
                if world.member_by_id(target).is_none() || s.kicked.contains(&target) {
                    return error(StatusCode::NOT_FOUND, 10007, "Unknown Member");
                }
                let Some(field) = json.get("communication_disabled_until") else {
                    return error(StatusCode::BAD_REQUEST, 50035, "Invalid Form Body");
                };
                if !may_act_on(inner, s, target, MODERATE_MEMBERS, true) {
                    return forbidden();
                }
                match field {
                    Value::Null => {
                        s.timeouts.remove(&target);
                    }
                    Value::String(until) => {
                        let Ok(until) = DateTime::parse_from_rfc3339(until) else {
                            return error(StatusCode::BAD_REQUEST, 50035, "Invalid Form Body");
                        };
                        let until = until.with_timezone(&Utc);
                        if until > s.now() + Duration::days(28) {
                            return error(StatusCode::BAD_REQUEST, 50035, "Invalid Form Body: communication_disabled_until is more than 28 days ahead");
                        }
                        s.timeouts.insert(target, until);
                    }
                    _ => return error(StatusCode::BAD_REQUEST, 50035, "Invalid Form Body"),
                }
                let mut m = world.member_by_id(target).cloned().unwrap_or_else(|| world.members[0].clone());
                m.roles = s.member_roles(world, target);
                let mut v = payloads::member(world, &m);
                v["communication_disabled_until"] = s.timeouts.get(&target).map(|t| json!(t.to_rfc3339())).unwrap_or(Value::Null);
                ok(v)
            })
        }
        ("DELETE", ["guilds", g, "members", user]) if guild_ok(g) => {
            let target = num(user)?;
            inner.update(|s| {
                if world.member_by_id(target).is_none() || s.kicked.contains(&target) {
                    return error(StatusCode::NOT_FOUND, 10007, "Unknown Member");
                }
                if !may_act_on(inner, s, target, KICK_MEMBERS, false) {
                    return forbidden();
                }
                s.kicked.insert(target);
                no_content()
            })
        }
        ("PUT", ["guilds", g, "bans", user]) if guild_ok(g) => {
            let (guild, target) = (num(g)?, num(user)?);
            let seconds = query_value(query, "delete_message_seconds")
                .and_then(|v| v.parse::<u64>().ok())
                .or_else(|| json.get("delete_message_seconds").and_then(Value::as_u64))
                .unwrap_or(0);
            inner.update(|s| {
                if seconds > 604_800 {
                    return error(StatusCode::BAD_REQUEST, 50035, "Invalid Form Body");
                }
                let in_server = world.member_by_id(target).is_some() && !s.kicked.contains(&target);
                if !has(bot_permissions(inner, s), BAN_MEMBERS)
                    || target == world.owner_id
                    || (in_server && !may_act_on(inner, s, target, BAN_MEMBERS, false))
                {
                    return forbidden();
                }
                let ban = SimBan {
                    reason: audit_reason(headers),
                    delete_message_seconds: seconds,
                };
                s.ban(world, guild, target, ban);
                no_content()
            })
        }
        ("DELETE", ["guilds", g, "bans", user]) if guild_ok(g) => {
            let (guild, target) = (num(g)?, num(user)?);
            inner.update(|s| {
                if !has(bot_permissions(inner, s), BAN_MEMBERS) {
                    return forbidden();
                }
                if s.unban(world, guild, target) {
                    no_content()
                } else {
                    error(StatusCode::NOT_FOUND, 10026, "Unknown Ban")
                }
            })
        }
        ("GET", ["guilds", g, "bans"]) if guild_ok(g) => list_bans(inner, query),
        ("GET", ["guilds", g, "bans", user]) if guild_ok(g) => {
            let target = num(user)?;
            let s = inner.state();
            match s.bans.get(&target) {
                Some(b) => ok(ban_json(inner, target, b)),
                None => error(StatusCode::NOT_FOUND, 10026, "Unknown Ban"),
            }
        }
        ("PATCH", ["channels", channel]) => {
            let channel = num(channel).filter(|c| world.channels.iter().any(|x| x.id == *c))?;
            inner.update(|s| {
                if !has(bot_permissions(inner, s), MANAGE_CHANNELS) {
                    return forbidden();
                }
                match json.get("rate_limit_per_user").map(Value::as_u64) {
                    Some(Some(v)) if v <= u64::from(MAX_SLOWMODE) => {
                        s.set_slowmode(world, channel, v as u32);
                    }
                    Some(_) => return error(StatusCode::BAD_REQUEST, 50035, "Invalid Form Body"),
                    None => {}
                }
                ok(s.channel_json(world, channel))
            })
        }
        ("PUT", ["channels", channel, "permissions", target]) => {
            let channel = num(channel).filter(|c| world.channels.iter().any(|x| x.id == *c))?;
            let target = num(target)?;
            let bits = |k: &str| match json.get(k) {
                Some(Value::String(v)) => v.parse::<u64>().ok(),
                Some(Value::Number(n)) => n.as_u64(),
                None | Some(Value::Null) => Some(0),
                _ => None,
            };
            let (Some(allow), Some(deny), Some(kind)) = (
                bits("allow"),
                bits("deny"),
                json.get("type").and_then(Value::as_u64),
            ) else {
                return Some(error(StatusCode::BAD_REQUEST, 50035, "Invalid Form Body"));
            };
            inner.update(|s| {
                let mine = bot_permissions(inner, s);
                // Discord: Manage Roles, and only bits the bot holds itself.
                if !has(mine, MANAGE_ROLES)
                    || (mine & ADMINISTRATOR == 0 && (allow | deny) & !mine != 0)
                {
                    return forbidden();
                }
                let overwrite = SimOverwrite {
                    id: target,
                    kind: kind as u8,
                    allow,
                    deny,
                };
                s.put_overwrite(world, channel, overwrite);
                no_content()
            })
        }
        ("DELETE", ["channels", channel, "permissions", target]) => {
            let channel = num(channel).filter(|c| world.channels.iter().any(|x| x.id == *c))?;
            let target = num(target)?;
            inner.update(|s| {
                if !has(bot_permissions(inner, s), MANAGE_ROLES) {
                    return forbidden();
                }
                if !s.remove_overwrite(world, channel, target) {
                    return error(StatusCode::NOT_FOUND, 10009, "Unknown Overwrite");
                }
                no_content()
            })
        }
        ("POST", ["channels", channel, "messages", "bulk-delete"]) => {
            let channel = num(channel).filter(|c| world.channels.iter().any(|x| x.id == *c))?;
            let ids: Option<Vec<u64>> = json.get("messages").and_then(Value::as_array).map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().and_then(|s| s.parse().ok()))
                    .collect()
            });
            inner.update(|s| {
                if !has(bot_permissions(inner, s), MANAGE_MESSAGES) {
                    return forbidden();
                }
                let Some(ids) = ids.filter(|ids| (2..=100).contains(&ids.len())) else {
                    return error(
                        StatusCode::BAD_REQUEST,
                        50016,
                        "You must provide at least 2 and fewer than 100 messages to delete.",
                    );
                };
                let mut unique = ids.clone();
                unique.sort_unstable();
                unique.dedup();
                if unique.len() != ids.len() {
                    return error(
                        StatusCode::BAD_REQUEST,
                        50035,
                        "Invalid Form Body: duplicate messages",
                    );
                }
                let oldest = s.now() - Duration::days(14);
                for id in &ids {
                    match s.message(*id) {
                        Some(m) if m.channel_id == channel && !m.deleted => {
                            if m.created_at.is_some_and(|t| t < oldest) {
                                return error(
                                    StatusCode::BAD_REQUEST,
                                    50034,
                                    "You can only bulk delete messages that are under 14 days old.",
                                );
                            }
                        }
                        _ => return error(StatusCode::BAD_REQUEST, 10008, "Unknown Message"),
                    }
                }
                s.delete_messages(world, channel, &ids);
                no_content()
            })
        }
        ("GET", ["channels", channel])
            if num(channel).is_some_and(|c| world.channels.iter().any(|x| x.id == c)) =>
        {
            let channel = num(channel)?;
            if inner.state().deleted_channels.contains(&channel) {
                return None;
            }
            inner.update(|s| ok(s.channel_json(world, channel)))
        }
        ("GET", ["channels", channel, "messages"]) => {
            let channel = num(channel).filter(|c| world.channels.iter().any(|x| x.id == *c))?;
            let limit = query
                .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("limit=")))
                .and_then(|v| v.parse::<usize>().ok())
                .unwrap_or(50)
                .clamp(1, 100);
            let s = inner.state();
            let list: Vec<Value> = s
                .messages
                .iter()
                .rev()
                .filter(|m| m.channel_id == channel && !m.ephemeral && !m.deleted)
                .take(limit)
                .map(|m| message_json(world, m))
                .collect();
            ok(json!(list))
        }
        _ => return None,
    };
    Some(response)
}
