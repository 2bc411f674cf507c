//! The gateway: HELLO, IDENTIFY → READY and GUILD_CREATE, heartbeats,
//! RESUME, and dispatching events such as INTERACTION_CREATE, each only to
//! a session whose IDENTIFY asked for its intent.

use std::sync::Arc;

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, State as AxumState};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::{Connection, GatewayCmd, Inner, payloads, shard_for};

pub(super) async fn upgrade(
    ws: WebSocketUpgrade,
    AxumState(inner): AxumState<Arc<Inner>>,
) -> Response {
    ws.on_upgrade(move |socket| session(socket, inner, None))
}

/// A connection of the client that reaches the fake Discord at `/as/{caller}`.
pub(super) async fn upgrade_as(
    ws: WebSocketUpgrade,
    Path(caller): Path<String>,
    AxumState(inner): AxumState<Arc<Inner>>,
) -> Response {
    if !super::caller_name_ok(&caller) {
        return axum::http::StatusCode::NOT_FOUND.into_response();
    }
    ws.on_upgrade(move |socket| session(socket, inner, Some(caller)))
}

async fn session(socket: WebSocket, inner: Arc<Inner>, caller: Option<String>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let id = inner.update(|s| {
        s.next_connection += 1;
        let id = s.next_connection;
        s.connections.insert(
            id,
            Connection {
                tx,
                shard: None,
                caller: caller.clone(),
                intents: 0,
            },
        );
        id
    });
    connection(socket, &inner, id, caller.as_deref(), rx).await;
    // Events for its shard wait for the next connection of that shard.
    inner.update(|s| {
        s.connections.remove(&id);
    });
}

/// The shard an IDENTIFY asks for: `[id, total]`, `[0, 1]` when it names
/// none; `None` when Discord would refuse it (close code 4010).
fn requested_shard(payload: &Value) -> Option<[u32; 2]> {
    match &payload["d"]["shard"] {
        Value::Null => Some([0, 1]),
        Value::Array(pair) => {
            let id = u32::try_from(pair.first()?.as_u64()?).ok()?;
            let total = u32::try_from(pair.get(1)?.as_u64()?).ok()?;
            (total > 0 && id < total).then_some([id, total])
        }
        _ => None,
    }
}

async fn connection(
    mut socket: WebSocket,
    inner: &Inner,
    id: u64,
    caller: Option<&str>,
    mut rx: mpsc::UnboundedReceiver<GatewayCmd>,
) {
    let mut seq: u64 = 0;
    let mut shard = [0, 1];
    if send(
        &mut socket,
        json!({"op": 10, "d": {"heartbeat_interval": 41250}}),
    )
    .await
    .is_err()
    {
        return;
    }
    loop {
        tokio::select! {
            incoming = socket.recv() => {
                let Some(Ok(frame)) = incoming else { break };
                let text = match frame {
                    Message::Text(t) => t.to_string(),
                    Message::Binary(b) => String::from_utf8_lossy(&b).into_owned(),
                    Message::Close(_) => break,
                    _ => continue,
                };
                let Ok(payload) = serde_json::from_str::<Value>(&text) else { continue };
                match payload["op"].as_u64() {
                    Some(1) if send(&mut socket, json!({"op": 11})).await.is_err() => break,
                    Some(2) => {
                        let Some(asked) = requested_shard(&payload) else {
                            let _ = socket
                                .send(Message::Close(Some(CloseFrame { code: 4010, reason: "Invalid shard".into() })))
                                .await;
                            break;
                        };
                        shard = asked;
                        let resume = super::gateway_url(inner, caller);
                        let owned: Vec<_> = inner
                            .world
                            .guilds()
                            .filter(|g| shard_for(Some(g.id), shard[1]) == shard[0])
                            .collect();
                        seq += 1;
                        let ready = json!({"op": 0, "s": seq, "t": "READY", "d": payloads::ready(&inner.world, &resume, shard, &owned)});
                        if send(&mut socket, ready).await.is_err() { break }
                        let mut sent = true;
                        for g in owned {
                            seq += 1;
                            let voice = inner.state().voice_in(&inner.world, g.id);
                            let guild = json!({"op": 0, "s": seq, "t": "GUILD_CREATE", "d": payloads::guild_create_with_voice(&inner.world, g, &voice)});
                            if send(&mut socket, guild).await.is_err() { sent = false; break }
                        }
                        if !sent { break }
                        let intents = payload["d"]["intents"].as_u64().unwrap_or(0);
                        if !flush_pending(&mut socket, inner, id, shard, &mut seq, Some(intents)).await { break }
                    }
                    Some(6) => {
                        seq += 1;
                        let resumed = json!({"op": 0, "s": seq, "t": "RESUMED", "d": {}});
                        if send(&mut socket, resumed).await.is_err() { break }
                        if !flush_pending(&mut socket, inner, id, shard, &mut seq, None).await { break }
                    }
                    _ => {}
                }
            }
            cmd = rx.recv() => {
                match cmd {
                    Some(GatewayCmd::Dispatch(event, d)) => {
                        seq += 1;
                        if send(&mut socket, json!({"op": 0, "s": seq, "t": event, "d": d})).await.is_err() { break }
                    }
                    Some(GatewayCmd::Close) | None => {
                        let _ = socket
                            .send(Message::Close(Some(CloseFrame { code: 4000, reason: "sim: connection dropped".into() })))
                            .await;
                        break;
                    }
                }
            }
        }
    }
}

/// Marks the connection identified as its shard, with the intents it
/// identified with (`identify`), or for a RESUME those its shard's session
/// had; sends what was queued for that shard while none was.
async fn flush_pending(
    socket: &mut WebSocket,
    inner: &Inner,
    id: u64,
    shard: [u32; 2],
    seq: &mut u64,
    identify: Option<u64>,
) -> bool {
    let pending = inner.update(|s| {
        let intents = match identify {
            Some(intents) => {
                s.identify_count += 1;
                let caller = s.connections.get(&id).and_then(|c| c.caller.clone());
                s.identifies.push((shard, caller));
                s.shard_intents.insert(shard, intents);
                s.last_intents = Some(intents);
                intents
            }
            None => s
                .shard_intents
                .get(&shard)
                .copied()
                .or(s.last_intents)
                .unwrap_or(0),
        };
        if let Some(c) = s.connections.get_mut(&id) {
            c.shard = Some(shard);
            c.intents = intents;
        }
        s.take_pending_for(shard, intents)
    });
    for (event, d) in pending {
        *seq += 1;
        if send(socket, json!({"op": 0, "s": *seq, "t": event, "d": d}))
            .await
            .is_err()
        {
            return false;
        }
    }
    true
}

async fn send(socket: &mut WebSocket, payload: Value) -> Result<(), axum::Error> {
    socket.send(Message::Text(payload.to_string().into())).await
}
