//! Guild scheduled events in the fake Discord, validated as Discord does:
//! a name of 1 to 100 characters, privacy level 2, a start in the future,
//! a stage or voice channel of the right type for those kinds, a location
//! (1 to 100 characters) and an end time for an external event, an end
//! after the start, a description of at most 1,000 characters, at most 100
//! scheduled or active events per server (30038), Create Events or Manage
//! Events (and Connect for a voice event), and only Discord's status
//! moves: scheduled to active or cancelled, active to completed. A live
//! event's start cannot move; a live external event completes by itself
//! at its end time; a completed or cancelled event can no longer be
//! edited. Events can also be deleted by hand (a human in
//! Discord's UI).

use axum::http::{Method, StatusCode};
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::rest::{error, no_content, ok};
use super::{Inner, State};

/// Manage Events.
pub const MANAGE_EVENTS: u64 = 1 << 33;
/// Create Events.
pub const CREATE_EVENTS: u64 = 1 << 44;
/// Connect: a voice event needs it in its channel.
pub const CONNECT: u64 = 1 << 20;
/// Discord's limit of scheduled or active events in one server.
pub const MAX_ACTIVE: usize = 100;

/// A scheduled event as the fake Discord keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimEvent {
    pub id: u64,
    pub guild_id: u64,
    pub name: String,
    pub description: Option<String>,
    pub start: DateTime<Utc>,
    pub end: Option<DateTime<Utc>>,
    /// 1 stage, 2 voice, 3 external.
    pub kind: u8,
    pub channel_id: Option<u64>,
    pub location: Option<String>,
    /// 1 scheduled, 2 active, 3 completed, 4 cancelled.
    pub status: u8,
}

impl SimEvent {
    pub fn is_open(&self) -> bool {
        matches!(self.status, 1 | 2)
    }

    fn to_json(&self, creator: u64) -> Value {
        json!({
            "id": self.id.to_string(),
            "guild_id": self.guild_id.to_string(),
            "channel_id": self.channel_id.map(|c| c.to_string()),
            "creator_id": creator.to_string(),
            "name": self.name,
            "description": self.description,
            "scheduled_start_time": self.start.to_rfc3339(),
            "scheduled_end_time": self.end.map(|e| e.to_rfc3339()),
            "privacy_level": 2,
            "status": self.status,
            "entity_type": self.kind,
            "entity_id": null,
            "entity_metadata": self.location.as_ref().map(|l| json!({"location": l})),
            "user_count": 0,
        })
    }
}

fn invalid(why: &str) -> Response {
    error(
        StatusCode::BAD_REQUEST,
        50035,
        &format!("Invalid Form Body ({why})"),
    )
}

fn unknown_event() -> Response {
    error(
        StatusCode::NOT_FOUND,
        10070,
        "Unknown Guild Scheduled Event",
    )
}

fn time(v: &Value) -> Option<Option<DateTime<Utc>>> {
    match v {
        Value::Null => Some(None),
        Value::String(s) => DateTime::parse_from_rfc3339(s)
            .ok()
            .map(|t| Some(t.with_timezone(&Utc))),
        _ => None,
    }
}

/// Applies the fields of `body` to `event` (all of them for a create),
/// then checks the result as Discord does.
fn apply(
    inner: &Inner,
    s: &State,
    event: &mut SimEvent,
    body: &Value,
    create: bool,
) -> Result<(), String> {
    let now = s.now();
    if let Some(name) = body.get("name") {
        let name = name.as_str().ok_or_else(|| "name".to_owned())?;
        event.name = name.to_owned();
    }
    if let Some(d) = body.get("description") {
        event.description = d.as_str().map(str::to_owned);
    }
    if let Some(p) = body.get("privacy_level")
        && p.as_u64() != Some(2)
    {
        return Err("privacy_level".to_owned());
    }
    if let Some(k) = body.get("entity_type") {
        event.kind = k
            .as_u64()
            .filter(|k| (1..=3).contains(k))
            .ok_or_else(|| "entity_type".to_owned())? as u8;
    }
    if let Some(c) = body.get("channel_id") {
        event.channel_id = match c {
            Value::Null => None,
            Value::String(s) => Some(s.parse().map_err(|_| "channel_id".to_owned())?),
            Value::Number(n) => Some(n.as_u64().ok_or_else(|| "channel_id".to_owned())?),
            _ => return Err("channel_id".to_owned()),
        };
    }
    if let Some(m) = body.get("entity_metadata") {
        event.location = m.get("location").and_then(Value::as_str).map(str::to_owned);
    }
    let start_given = body.get("scheduled_start_time").is_some();
    if let Some(t) = body.get("scheduled_start_time") {
        event.start = time(t)
            .flatten()
            .ok_or_else(|| "scheduled_start_time".to_owned())?;
    }
    if let Some(t) = body.get("scheduled_end_time") {
        event.end = time(t).ok_or_else(|| "scheduled_end_time".to_owned())?;
    }
    if event.name.is_empty() || event.name.chars().count() > 100 {
        return Err("name: 1 to 100 characters".to_owned());
    }
    if event
        .description
        .as_ref()
        .is_some_and(|d| d.chars().count() > 1000)
    {
        return Err("description: at most 1000 characters".to_owned());
    }
    if (create || start_given) && event.status == 1 && event.start <= now {
        return Err("scheduled_start_time: cannot be in the past".to_owned());
    }
    if event.end.is_some_and(|e| e <= event.start) {
        return Err("scheduled_end_time: before the start".to_owned());
    }
    match event.kind {
        3 => {
            if event.channel_id.is_some() {
                return Err("channel_id: must be null for an external event".to_owned());
            }
            if !event
                .location
                .as_ref()
                .is_some_and(|l| (1..=100).contains(&l.chars().count()))
            {
                return Err("entity_metadata.location: 1 to 100 characters".to_owned());
            }
            if event.end.is_none() {
                return Err("scheduled_end_time: required for an external event".to_owned());
            }
        }
        kind => {
            let wanted = if kind == 1 { 13 } else { 2 };
            let channel = event
                .channel_id
                .and_then(|c| inner.world.channels.iter().find(|x| x.id == c));
            if !channel.is_some_and(|c| c.kind == wanted && c.guild_id == Some(event.guild_id)) {
                return Err("channel_id: a stage or voice channel of this server".to_owned());
            }
            event.location = None;
        }
    }
    Ok(())
}

/// The scheduled-event routes, when `segments` names one.
pub(super) fn route(
    inner: &Inner,
    method: &Method,
    segments: &[&str],
    body: &Value,
) -> Option<Response> {
    let ["guilds", g, "scheduled-events", rest @ ..] = segments else {
        return None;
    };
    let guild: u64 = g.parse().ok()?;
    if !inner.world.has_guild(guild) {
        return None;
    }
    let event_id = rest.first().and_then(|e| e.parse::<u64>().ok());
    let bot = inner.world.bot_id;
    Some(inner.update(|s| {
        // Discord ends a live external event at its end time by itself.
        let now = s.now();
        for e in s.events.values_mut() {
            if e.kind == 3 && e.status == 2 && e.end.is_some_and(|end| end <= now) {
                e.status = 3;
            }
        }
        let may = super::moderation::bot_guild_permissions(inner, s);
        let may_connect = may & (CONNECT | super::world::ADMINISTRATOR) != 0;
        let allowed = may & (MANAGE_EVENTS | CREATE_EVENTS | super::world::ADMINISTRATOR) != 0;
        match (method.as_str(), event_id) {
            ("GET", None) => ok(json!(
                s.events
                    .values()
                    .filter(|e| e.guild_id == guild)
                    .map(|e| e.to_json(bot))
                    .collect::<Vec<_>>()
            )),
            ("GET", Some(id)) => match s.events.get(&id).filter(|e| e.guild_id == guild) {
                Some(e) => ok(e.to_json(bot)),
                None => unknown_event(),
            },
            ("POST", None) => {
                if !allowed {
                    return error(StatusCode::FORBIDDEN, 50013, "Missing Permissions");
                }
                let open = s
                    .events
                    .values()
                    .filter(|e| e.guild_id == guild && e.is_open())
                    .count();
                if open >= MAX_ACTIVE {
                    return error(
                        StatusCode::BAD_REQUEST,
                        30038,
                        "Maximum number of guild scheduled events reached (100)",
                    );
                }
                let mut event = SimEvent {
                    id: s.next_id(),
                    guild_id: guild,
                    name: String::new(),
                    description: None,
                    start: s.now(),
                    end: None,
                    kind: 0,
                    channel_id: None,
                    location: None,
                    status: 1,
                };
                if body.get("entity_type").is_none() || body.get("scheduled_start_time").is_none() {
                    return invalid("entity_type and scheduled_start_time are required");
                }
                if let Err(why) = apply(inner, s, &mut event, body, true) {
                    return invalid(&why);
                }
                if event.kind == 2 && !may_connect {
                    return error(StatusCode::FORBIDDEN, 50013, "Missing Permissions");
                }
                let json = event.to_json(bot);
                s.events.insert(event.id, event);
                ok(json)
            }
            ("PATCH", Some(id)) => {
                if !allowed {
                    return error(StatusCode::FORBIDDEN, 50013, "Missing Permissions");
                }
                let Some(mut event) = s.events.get(&id).filter(|e| e.guild_id == guild).cloned()
                else {
                    return unknown_event();
                };
                if !event.is_open() {
                    return invalid("a completed or cancelled event cannot be edited");
                }
                // A live event's start is history: it cannot move.
                if event.status == 2
                    && body
                        .get("scheduled_start_time")
                        .and_then(time)
                        .is_some_and(|t| t != Some(event.start))
                {
                    return invalid("scheduled_start_time: the event has started");
                }
                if let Some(status) = body.get("status") {
                    let to = status.as_u64().unwrap_or(0) as u8;
                    let allowed_move = matches!((event.status, to), (1, 2) | (1, 4) | (2, 3))
                        || to == event.status;
                    if !allowed_move {
                        return invalid("status: not a move Discord allows");
                    }
                    event.status = to;
                }
                if let Err(why) = apply(inner, s, &mut event, body, false) {
                    return invalid(&why);
                }
                if event.kind == 2 && !may_connect {
                    return error(StatusCode::FORBIDDEN, 50013, "Missing Permissions");
                }
                let json = event.to_json(bot);
                s.events.insert(id, event);
                ok(json)
            }
            ("DELETE", Some(id)) => {
                if !allowed {
                    return error(StatusCode::FORBIDDEN, 50013, "Missing Permissions");
                }
                if s.events.get(&id).is_none_or(|e| e.guild_id != guild) {
                    return unknown_event();
                }
                s.events.remove(&id);
                no_content()
            }
            _ => error(StatusCode::METHOD_NOT_ALLOWED, 0, "405: Method Not Allowed"),
        }
    }))
}
