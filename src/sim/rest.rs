//! The REST API, routed by hand so that every call is logged and can be made
//! to fail on purpose.

use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::State as AxumState;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::limits::{BucketState, Verdict};
use super::message::{MessagePayload, SimMessage, Upload};
use super::{
    FaultKind, INTERACTION_DEADLINE, INTERACTION_TOKEN_LIFETIME, Inner, MAX_NONCE_LEN,
    NONCE_LIFETIME, RestCall, State, payloads,
};

const EPHEMERAL: u64 = 64;

pub(super) async fn handle(
    AxumState(inner): AxumState<Arc<Inner>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    // A client given `base_url_as` calls `/as/{caller}/api/v10/...`.
    let (caller, path) = match uri.path().strip_prefix("/as/") {
        Some(rest) => match rest.split_once('/') {
            Some((caller, path)) => (Some(caller.to_owned()), format!("/{path}")),
            None => (Some(rest.to_owned()), "/".to_owned()),
        },
        None => (None, uri.path().to_owned()),
    };
    if caller.as_deref().is_some_and(|c| !super::caller_name_ok(c)) {
        return error(StatusCode::NOT_FOUND, 0, "404: Not Found");
    }
    let short = path.strip_prefix("/api/v10").unwrap_or(&path).to_owned();

    let fault = take_fault(&inner, &method, &short);
    let stall = match fault {
        Some(Fault::Stall(delay)) => Some(delay),
        _ => None,
    };
    let response = match fault {
        Some(Fault::Fail(failure)) => *failure,
        fault => {
            if let Some(Fault::Slow(delay)) = fault {
                tokio::time::sleep(delay).await;
            }
            match rate_limit(&inner, &method, &short) {
                Err(limited) => *limited,
                Ok(bucket) => {
                    let oauth =
                        super::oauth::handle(&inner, &method, &short, uri.query(), &headers, &body);
                    let payload = match oauth {
                        Some(_) => Err(()),
                        None => read_payload(&headers, body).await,
                    };
                    let mut response = match (oauth, payload) {
                        (Some(answer), _) => answer,
                        (None, payload) => match payload {
                            Ok(payload) => route(
                                &inner,
                                Request {
                                    method: &method,
                                    path: &short,
                                    query: uri.query(),
                                    headers: &headers,
                                    caller: caller.as_deref(),
                                },
                                payload,
                            ),
                            Err(()) => error(StatusCode::BAD_REQUEST, 50035, "Invalid Form Body"),
                        },
                    };
                    if let Some(bucket) = bucket {
                        bucket_headers(response.headers_mut(), &bucket);
                    }
                    match fault {
                        Some(Fault::Lose(code)) => {
                            let status = StatusCode::from_u16(code)
                                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                            error(status, 0, &format!("{code}: sim fault after the work"))
                        }
                        _ => response,
                    }
                }
            }
        }
    };
    let audited = method != Method::GET
        && !short.starts_with("/interactions")
        && !short.starts_with("/webhooks")
        && !short.starts_with("/applications")
        && !short.ends_with("/messages")
        && short != "/users/@me/channels";
    let reason = super::moderation::audit_reason(&headers);
    inner.update(|s| {
        if audited || reason.is_some() {
            s.audit.push(super::moderation::AuditEntry {
                method: method.to_string(),
                path: short.clone(),
                reason,
                status: response.status().as_u16(),
            });
        }
        s.rest_log.push(RestCall {
            method: method.to_string(),
            path: short,
            caller,
            status: response.status().as_u16(),
            at: Instant::now(),
        })
    });
    if let Some(delay) = stall {
        tokio::time::sleep(delay).await;
    }
    response
}

/// Checks Discord's rate limits: the bucket's state for the headers, or the 429.
fn rate_limit(
    inner: &Inner,
    method: &Method,
    path: &str,
) -> Result<Option<BucketState>, Box<Response>> {
    // No waiter cares about a bucket's count: change the state without
    // waking every waiter (that made the sim itself slow under load).
    let verdict = {
        let mut guard = inner.state();
        let s = &mut *guard;
        let limits = s.limits.clone();
        let verdict = s
            .limiter
            .check(&limits, method.as_str(), path, Instant::now());
        if let Verdict::Limited {
            retry_after,
            global,
            ..
        } = &verdict
        {
            s.rate_limited += 1;
            s.warnings.push(format!(
                "429: {method} {path} went over Discord's {} rate limit; retry after {:.2} s",
                if *global { "global" } else { "per-route" },
                retry_after.as_secs_f64()
            ));
        }
        verdict
    };
    match verdict {
        Verdict::Allowed(bucket) => Ok(bucket),
        Verdict::Limited {
            retry_after,
            global,
            bucket,
        } => Err(Box::new(too_many(
            retry_after.as_secs_f64(),
            global,
            bucket.as_ref(),
        ))),
    }
}

fn bucket_headers(h: &mut HeaderMap, bucket: &BucketState) {
    let mut set = |name: &'static str, value: String| {
        if let Ok(v) = value.parse() {
            h.insert(name, v);
        }
    };
    set("x-ratelimit-bucket", bucket.name.clone());
    set("x-ratelimit-limit", bucket.limit.to_string());
    set("x-ratelimit-remaining", bucket.remaining.to_string());
    set(
        "x-ratelimit-reset-after",
        format!("{:.3}", bucket.reset_after.as_secs_f64()),
    );
}

/// Discord's 429: `{"message", "retry_after", "global"}` (no `code`) and the headers.
fn too_many(retry_after: f64, global: bool, bucket: Option<&BucketState>) -> Response {
    let mut r = (
        StatusCode::TOO_MANY_REQUESTS,
        axum::Json(json!({"message": "You are being rate limited.", "retry_after": retry_after, "global": global})),
    )
        .into_response();
    let h = r.headers_mut();
    if let Some(bucket) = bucket {
        bucket_headers(h, bucket);
    }
    let mut set = |name: &'static str, value: String| {
        if let Ok(v) = value.parse() {
            h.insert(name, v);
        }
    };
    set("retry-after", retry_after.ceil().max(1.0).to_string());
    set("x-ratelimit-remaining", "0".into());
    set("x-ratelimit-reset-after", format!("{retry_after:.3}"));
    if global {
        set("x-ratelimit-global", "true".into());
        set("x-ratelimit-scope", "global".into());
    } else {
        set("x-ratelimit-scope", "user".into());
    }
    r
}

/// What an injected fault does to one call.
enum Fault {
    /// Answer with this instead of doing the work.
    Fail(Box<Response>),
    /// Wait this long, then work and answer normally.
    Slow(std::time::Duration),
    /// Do the work, then answer with this status.
    Lose(u16),
    /// Do the work, then wait this long before answering.
    Stall(std::time::Duration),
}

/// The injected fault for this call, if any.
fn take_fault(inner: &Inner, method: &Method, path: &str) -> Option<Fault> {
    let kind = {
        let mut s = inner.state();
        let fault = s.faults.iter_mut().find(|f| {
            f.times > 0
                && path.contains(&f.path_contains)
                && f.method
                    .as_deref()
                    .is_none_or(|m| m.eq_ignore_ascii_case(method.as_str()))
        })?;
        fault.times -= 1;
        Some(fault.kind.clone())
    }?;
    Some(match kind {
        FaultKind::Status(code) => {
            let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            Fault::Fail(Box::new(error(status, 0, &format!("{code}: sim fault"))))
        }
        FaultKind::RateLimited { retry_after } => {
            Fault::Fail(Box::new(too_many(retry_after, false, None)))
        }
        FaultKind::Slow(delay) => Fault::Slow(delay),
        FaultKind::LostResponse(code) => Fault::Lose(code),
        FaultKind::DoneThenStall(delay) => Fault::Stall(delay),
    })
}

async fn read_payload(headers: &HeaderMap, body: Bytes) -> Result<MessagePayload, ()> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if content_type.starts_with("multipart/") {
        let boundary = multer::parse_boundary(content_type).map_err(|_| ())?;
        let stream = futures::stream::once(async move { Ok::<Bytes, std::io::Error>(body) });
        let mut multipart = multer::Multipart::new(stream, boundary);
        let mut payload = MessagePayload::default();
        while let Some(field) = multipart.next_field().await.map_err(|_| ())? {
            let name = field.name().unwrap_or_default().to_owned();
            let filename = field.file_name().map(str::to_owned);
            let bytes = field.bytes().await.map_err(|_| ())?;
            if name == "payload_json" {
                payload.json = serde_json::from_slice(&bytes).map_err(|_| ())?;
            } else if let Some(filename) = filename {
                payload.uploads.push(Upload {
                    filename,
                    bytes: bytes.to_vec(),
                });
            }
        }
        Ok(payload)
    } else if body.is_empty() {
        Ok(MessagePayload {
            json: Value::Null,
            uploads: Vec::new(),
        })
    } else {
        Ok(MessagePayload {
            json: serde_json::from_slice(&body).map_err(|_| ())?,
            uploads: Vec::new(),
        })
    }
}

pub(super) fn error(status: StatusCode, code: u32, message: &str) -> Response {
    (
        status,
        axum::Json(json!({"message": message, "code": code})),
    )
        .into_response()
}

pub(super) fn ok(v: Value) -> Response {
    axum::Json(v).into_response()
}

pub(super) fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

/// A message as the channel's routes answer it: its author (a member, or
/// the bot) and when it was posted.
pub(super) fn message_json(world: &super::World, m: &SimMessage) -> Value {
    let author = match world.member_by_id(m.author_id) {
        Some(a) if m.author_id != world.bot_id => payloads::user(a.id, &a.name, false),
        _ => payloads::user(world.bot_id, &world.bot_name, true),
    };
    let mut v = m.to_json(&author);
    if let Some(t) = m.created_at {
        v["timestamp"] = json!(t.to_rfc3339());
    }
    v
}

/// What routing needs of a call besides its body.
struct Request<'a> {
    method: &'a Method,
    /// After `/api/v10`.
    path: &'a str,
    query: Option<&'a str>,
    headers: &'a HeaderMap,
    caller: Option<&'a str>,
}

fn route(inner: &Inner, request: Request<'_>, payload: MessagePayload) -> Response {
    let Request {
        method,
        path,
        query,
        headers,
        caller,
    } = request;
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    if let Some(response) =
        super::moderation::route(inner, method, &segments, query, headers, &payload.json)
    {
        return response;
    }
    if let Some(response) = super::events::route(inner, method, &segments, &payload.json) {
        return response;
    }
    let world = &inner.world;
    let bot = payloads::user(world.bot_id, &world.bot_name, true);
    let num = |s: &str| s.parse::<u64>().ok();

    match (method.as_str(), segments.as_slice()) {
        ("GET", ["gateway"]) => ok(json!({"url": super::gateway_url(inner, caller)})),
        ("GET", ["gateway", "bot"]) => ok(json!({
            "url": super::gateway_url(inner, caller),
            "shards": 1,
            "session_start_limit": {"total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1},
        })),
        ("GET", ["oauth2", "applications", "@me"]) => ok(json!({
            "id": world.app_id.to_string(),
            "name": world.bot_name,
            "icon": null,
            "description": "",
            "bot_public": true,
            "bot_require_code_grant": false,
            "verify_key": "0",
            "owner": payloads::user(world.members.first().map(|m| m.id).unwrap_or(1), "owner", false),
            "team": null,
            "flags": 0,
        })),
        ("GET", ["users", "@me"]) => ok(bot),
        ("PUT", ["applications", _app, "commands"]) => register(inner, payload.json, None),
        ("PUT", ["applications", _app, "guilds", guild, "commands"]) => {
            register(inner, payload.json, num(guild))
        }
        ("GET", ["applications", _app, "commands"]) => ok(json!(inner.state().commands_global)),
        ("GET", ["applications", _app, "guilds", _g, "commands"]) => {
            ok(json!(inner.state().commands_guild))
        }
        ("POST", ["interactions", id, token, "callback"]) => {
            callback(inner, num(id), token, caller, payload)
        }
        ("GET", ["webhooks", _app, token, "messages", "@original"]) => {
            let s = inner.state();
            match s
                .interactions
                .get(*token)
                .and_then(|l| l.original)
                .and_then(|id| s.message(id))
            {
                Some(m) => ok(m.to_json(&bot)),
                None => error(StatusCode::NOT_FOUND, 10008, "Unknown Message"),
            }
        }
        ("PATCH", ["webhooks", _app, token, "messages", "@original"]) => {
            edit_original(inner, token, payload, &bot)
        }
        ("DELETE", ["webhooks", _app, token, "messages", "@original"]) => {
            inner.update(
                |s| match s.interactions.get(*token).and_then(|l| l.original) {
                    Some(id) => {
                        s.delete_message(world, id);
                        no_content()
                    }
                    None => error(StatusCode::NOT_FOUND, 10008, "Unknown Message"),
                },
            )
        }
        ("POST", ["webhooks", _app, token]) => followup(inner, token, payload, &bot),
        ("PATCH", ["webhooks", _app, token, "messages", id]) => inner.update(|s| {
            let known = s
                .interactions
                .get(*token)
                .is_some_and(|l| num(id).is_some_and(|id| l.followups.contains(&id)));
            edit_message(s, known.then(|| num(id)).flatten(), &payload, &bot)
        }),
        ("DELETE", ["webhooks", _app, _token, "messages", id]) => delete_message(inner, num(id)),
        ("GET", ["channels", channel]) => {
            match num(channel).filter(|c| channel_exists(inner, *c)) {
                Some(c) => ok(payloads::channel(&inner.channel(c).expect("exists"))),
                None => error(StatusCode::NOT_FOUND, 10003, "Unknown Channel"),
            }
        }
        ("POST", ["channels", channel, "messages"]) => {
            create_message(inner, num(channel), payload, &bot)
        }
        ("GET", ["channels", channel, "messages"]) => {
            match num(channel).filter(|c| channel_exists(inner, *c)) {
                Some(c) => {
                    let s = inner.state();
                    let list: Vec<Value> = s
                        .messages
                        .iter()
                        .rev()
                        .filter(|m| m.channel_id == c && !m.ephemeral && !m.deleted)
                        .take(50)
                        .map(|m| m.to_json(&bot))
                        .collect();
                    ok(json!(list))
                }
                None => error(StatusCode::NOT_FOUND, 10003, "Unknown Channel"),
            }
        }
        ("GET", ["channels", channel, "messages", id]) => {
            let Some(channel) = num(channel).filter(|c| channel_exists(inner, *c)) else {
                return error(StatusCode::NOT_FOUND, 10003, "Unknown Channel");
            };
            let s = inner.state();
            match num(id)
                .and_then(|id| s.message(id))
                .filter(|m| m.channel_id == channel && !m.deleted && !m.ephemeral)
            {
                Some(m) => ok(message_json(world, m)),
                None => error(StatusCode::NOT_FOUND, 10008, "Unknown Message"),
            }
        }
        ("PATCH", ["channels", channel, "messages", id]) => {
            if !num(channel).is_some_and(|c| channel_exists(inner, c)) {
                return error(StatusCode::NOT_FOUND, 10003, "Unknown Channel");
            }
            inner.update(|s| edit_message(s, num(id), &payload, &bot))
        }
        ("DELETE", ["channels", _channel, "messages", id]) => delete_message(inner, num(id)),
        ("POST", ["channels", channel, "messages", message, "threads"]) => {
            start_thread(inner, num(channel), num(message), &payload.json)
        }
        ("POST", ["users", "@me", "channels"]) => {
            let recipient = payload.json["recipient_id"]
                .as_str()
                .and_then(|s| s.parse().ok())
                .or_else(|| payload.json["recipient_id"].as_u64());
            match recipient.and_then(|id| world.member_by_id(id)) {
                Some(m) => ok(payloads::channel(&world.dm_channel_for(m))),
                None => error(StatusCode::BAD_REQUEST, 50033, "Invalid Recipient(s)"),
            }
        }
        _ => {
            tracing::debug!(%method, %path, "fake Discord has no such route");
            error(StatusCode::NOT_FOUND, 0, "404: Not Found")
        }
    }
}

fn channel_exists(inner: &Inner, channel: u64) -> bool {
    inner.channel(channel).is_some() && !inner.state().deleted_channels.contains(&channel)
}

fn register(inner: &Inner, commands: Value, guild: Option<u64>) -> Response {
    let Some(list) = commands.as_array() else {
        return error(StatusCode::BAD_REQUEST, 50035, "Invalid Form Body");
    };
    let app_id = inner.world.app_id;
    inner.update(|s| {
        let echoed: Vec<Value> = list
            .iter()
            .map(|c| {
                let mut c = c.clone();
                let id = s.next_id();
                let obj = c.as_object_mut().expect("command object");
                obj.insert("id".into(), json!(id.to_string()));
                obj.insert("application_id".into(), json!(app_id.to_string()));
                obj.insert("version".into(), json!(id.to_string()));
                obj.entry("type").or_insert(json!(1));
                // Discord echoes a context-menu command with an empty description.
                obj.entry("description").or_insert(json!(""));
                obj.entry("default_member_permissions")
                    .or_insert(Value::Null);
                if let Some(g) = guild {
                    obj.insert("guild_id".into(), json!(g.to_string()));
                }
                c
            })
            .collect();
        match guild {
            Some(_) => s.commands_guild = echoed.clone(),
            None => s.commands_global = echoed.clone(),
        }
        s.registered_at.get_or_insert_with(Instant::now);
        ok(json!(echoed))
    })
}

pub(super) fn new_message(
    s: &mut State,
    channel_id: u64,
    author_id: u64,
    payload: &MessagePayload,
    token: Option<&str>,
) -> SimMessage {
    let mut message = SimMessage {
        id: s.next_id(),
        channel_id,
        author_id,
        content: String::new(),
        embeds: Vec::new(),
        components: Vec::new(),
        ephemeral: payload.flags() & EPHEMERAL != 0,
        attachments: Vec::new(),
        allowed_mentions: None,
        nonce: payload.nonce(),
        edited: false,
        revision: 0,
        deleted: false,
        interaction_token: token.map(str::to_owned),
        received: Instant::now(),
        created_at: Some(s.now()),
    };
    let mut ids = s.upload_ids(payload.uploads.len());
    payload.apply(&mut message, || ids.next().unwrap_or(0));
    message
}

fn callback(
    inner: &Inner,
    id: Option<u64>,
    token: &str,
    caller: Option<&str>,
    payload: MessagePayload,
) -> Response {
    let author = inner.world.bot_id;
    inner.update(|s| {
        let known = id
            .and_then(|id| s.interaction_ids.get(&id))
            .is_some_and(|t| t == token);
        let Some(log) = s.interactions.get(token).cloned().filter(|_| known) else {
            return error(StatusCode::NOT_FOUND, 10062, "Unknown interaction");
        };
        let age = log.created.elapsed();
        if age > INTERACTION_DEADLINE {
            s.late_answers += 1;
            s.warnings.push(format!(
                "late: an interaction was answered after {:.1} s (Discord allows 3 s); the member saw \"This interaction failed\"",
                age.as_secs_f64()
            ));
            if let Some(l) = s.interactions.get_mut(token) {
                l.late = true;
            }
            return error(StatusCode::NOT_FOUND, 10062, "Unknown interaction");
        }
        if log.acknowledged {
            return error(
                StatusCode::BAD_REQUEST,
                40060,
                "Interaction has already been acknowledged.",
            );
        }
        let kind = payload.json["type"].as_u64().unwrap_or(0);
        let data = MessagePayload {
            json: payload.json["data"].clone(),
            uploads: payload.uploads,
        };
        let mut log = log;
        log.acknowledged = true;
        log.answered_by = caller.map(str::to_owned);
        log.callback_types.push(kind);
        match kind {
            4 => {
                let message = new_message(s, log.channel_id, author, &data, Some(token));
                log.original = Some(message.id);
                s.push_message(message);
            }
            5 => log.deferred_ephemeral = data.flags() & EPHEMERAL != 0,
            6 => {
                log.original = log.source_message;
                log.deferred_update = true;
            }
            7 => {
                let Some(source) = log.source_message else {
                    return error(StatusCode::BAD_REQUEST, 50035, "Invalid Form Body");
                };
                let mut ids = s.upload_ids(data.uploads.len());
                if let Some(m) = s.message_mut(source) {
                    data.apply(m, || ids.next().unwrap_or(0));
                    m.edited = true;
                    m.revision += 1;
                }
                log.original = Some(source);
            }
            8 => {
                let choices = data.json["choices"]
                    .as_array()
                    .map(|list| {
                        list.iter()
                            .map(|c| {
                                (
                                    c["name"].as_str().unwrap_or_default().to_owned(),
                                    c["value"].clone(),
                                )
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                log.choices = Some(choices);
            }
            9 => log.modal = Some(data.json.clone()),
            _ => return error(StatusCode::BAD_REQUEST, 50035, "Invalid Form Body"),
        }
        s.interactions.insert(token.to_owned(), log);
        no_content()
    })
}

fn edit_original(inner: &Inner, token: &str, payload: MessagePayload, bot: &Value) -> Response {
    let author = inner.world.bot_id;
    inner.update(|s| {
        let Some(log) = s
            .interactions
            .get(token)
            .cloned()
            .filter(|l| l.created.elapsed() <= INTERACTION_TOKEN_LIFETIME)
        else {
            return error(StatusCode::NOT_FOUND, 10015, "Unknown Webhook");
        };
        match log.original {
            Some(id) => edit_message(s, Some(id), &payload, bot),
            None if log.acknowledged => {
                // The reply to a deferred interaction.
                let mut message = new_message(s, log.channel_id, author, &payload, Some(token));
                message.ephemeral = log.deferred_ephemeral;
                let json = message.to_json(bot);
                if let Some(l) = s.interactions.get_mut(token) {
                    l.original = Some(message.id);
                }
                s.push_message(message);
                ok(json)
            }
            None => error(StatusCode::NOT_FOUND, 10008, "Unknown Message"),
        }
    })
}

fn followup(inner: &Inner, token: &str, payload: MessagePayload, bot: &Value) -> Response {
    let author = inner.world.bot_id;
    inner.update(|s| {
        let Some(log) = s
            .interactions
            .get(token)
            .cloned()
            .filter(|l| l.acknowledged && l.created.elapsed() <= INTERACTION_TOKEN_LIFETIME)
        else {
            return error(StatusCode::NOT_FOUND, 10015, "Unknown Webhook");
        };
        let message = new_message(s, log.channel_id, author, &payload, Some(token));
        let json = message.to_json(bot);
        if let Some(l) = s.interactions.get_mut(token) {
            l.followups.push(message.id);
        }
        s.push_message(message);
        ok(json)
    })
}

fn edit_message(s: &mut State, id: Option<u64>, payload: &MessagePayload, bot: &Value) -> Response {
    let mut ids = s.upload_ids(payload.uploads.len());
    match id.and_then(|id| s.message_mut(id)).filter(|m| !m.deleted) {
        Some(m) => {
            payload.apply(m, || ids.next().unwrap_or(0));
            m.edited = true;
            m.revision += 1;
            ok(m.to_json(bot))
        }
        None => error(StatusCode::NOT_FOUND, 10008, "Unknown Message"),
    }
}

fn delete_message(inner: &Inner, id: Option<u64>) -> Response {
    inner.update(|s| {
        if id.is_some_and(|id| s.delete_message(&inner.world, id)) {
            no_content()
        } else {
            error(StatusCode::NOT_FOUND, 10008, "Unknown Message")
        }
    })
}

fn create_message(
    inner: &Inner,
    channel: Option<u64>,
    payload: MessagePayload,
    bot: &Value,
) -> Response {
    let Some(channel) = channel.filter(|c| channel_exists(inner, *c)) else {
        return error(StatusCode::NOT_FOUND, 10003, "Unknown Channel");
    };
    let dm_recipient = inner
        .channel(channel)
        .and_then(|c| c.recipient)
        .map(|(id, _)| id);
    let author = inner.world.bot_id;
    inner.update(|s| {
        if dm_recipient.is_some_and(|id| s.closed_dms.contains(&id)) {
            return error(
                StatusCode::FORBIDDEN,
                50007,
                "Cannot send messages to this user",
            );
        }
        if payload
            .nonce()
            .is_some_and(|n| n.chars().count() > MAX_NONCE_LEN)
        {
            return error(StatusCode::BAD_REQUEST, 50035, "Invalid Form Body");
        }
        // Discord's nonce rule: with enforce_nonce, a nonce the same author
        // used in the last few minutes returns that first message (wherever
        // it was posted) instead of posting again.
        let nonce = payload.nonce().filter(|_| payload.enforce_nonce());
        if let Some(n) = &nonce {
            *s.nonce_posts.entry(n.clone()).or_insert(0) += 1;
        }
        let now = Instant::now();
        let lifetime = s.nonce_lifetime.unwrap_or(NONCE_LIFETIME);
        if s.nonces.len() >= 4096 && s.nonces.len().is_power_of_two() {
            s.nonces
                .retain(|_, (_, at)| now.duration_since(*at) <= lifetime);
        }
        if let Some(nonce) = &nonce
            && let Some(existing) = s
                .nonces
                .get(nonce)
                .filter(|(_, at)| now.duration_since(*at) <= lifetime)
                .and_then(|(id, _)| s.message(*id))
        {
            return ok(existing.to_json(bot));
        }
        let message = new_message(s, channel, author, &payload, None);
        if let Some(nonce) = nonce {
            s.nonces.insert(nonce, (message.id, now));
        }
        let json = message.to_json(bot);
        s.push_message(message);
        ok(json)
    })
}

/// A public thread on a message: refused where @everyone (the bot's own
/// standing in the sim) may not create public threads, as Discord does.
fn start_thread(
    inner: &Inner,
    channel: Option<u64>,
    message: Option<u64>,
    body: &Value,
) -> Response {
    let Some(parent) = channel
        .filter(|c| channel_exists(inner, *c))
        .and_then(|c| inner.channel(c))
    else {
        return error(StatusCode::NOT_FOUND, 10003, "Unknown Channel");
    };
    let guild = parent.guild_id.unwrap_or(inner.world.guild.id);
    let denied = parent
        .overwrites
        .iter()
        .any(|o| o.kind == 0 && o.id == guild && o.deny & super::world::CREATE_PUBLIC_THREADS != 0);
    if denied || parent.guild_id.is_none() {
        return error(StatusCode::FORBIDDEN, 50013, "Missing Permissions");
    }
    let name = body["name"].as_str().unwrap_or_default();
    if name.is_empty() || name.chars().count() > 100 {
        return error(StatusCode::BAD_REQUEST, 50035, "Invalid Form Body");
    }
    inner.update(|s| {
        let Some(message) = message.filter(|m| {
            s.message(*m)
                .is_some_and(|m| m.channel_id == parent.id && !m.deleted)
        }) else {
            return error(StatusCode::NOT_FOUND, 10008, "Unknown Message");
        };
        if s.threads.iter().any(|t| t.message == message) {
            return error(
                StatusCode::BAD_REQUEST,
                160004,
                "A thread has already been created for this message",
            );
        }
        let id = s.next_id();
        s.threads.push(super::SimThread {
            id,
            parent: parent.id,
            message,
            name: name.to_owned(),
        });
        ok(json!({
            "id": id.to_string(),
            "type": 11,
            "guild_id": guild.to_string(),
            "parent_id": parent.id.to_string(),
            "owner_id": inner.world.bot_id.to_string(),
            "name": name,
            "position": 0,
            "permission_overwrites": [],
            "nsfw": false,
            "rate_limit_per_user": 0,
            "flags": 0,
            "message_count": 0,
            "member_count": 1,
            "last_message_id": null,
            "thread_metadata": {
                "archived": false,
                "auto_archive_duration": 1440,
                "archive_timestamp": "2024-01-01T00:00:00.000000+00:00",
                "locked": false,
            },
        }))
    })
}
