//! The gateway: HELLO, IDENTIFY → READY and GUILD_CREATE, heartbeats,
//! RESUME, and dispatching events such as INTERACTION_CREATE.

use std::sync::Arc;

use axum::extract::State as AxumState;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::{GatewayCmd, Inner, payloads};

pub(super) async fn upgrade(
    ws: WebSocketUpgrade,
    AxumState(inner): AxumState<Arc<Inner>>,
) -> Response {
    ws.on_upgrade(move |socket| session(socket, inner))
}

async fn session(mut socket: WebSocket, inner: Arc<Inner>) {
    let (tx, mut rx) = mpsc::unbounded_channel();
    inner.update(|s| {
        s.identified = false;
        s.gateway = Some(tx);
    });
    let mut seq: u64 = 0;
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
                        let resume = format!("ws://{}/ws", inner.addr);
                        seq += 1;
                        let ready = json!({"op": 0, "s": seq, "t": "READY", "d": payloads::ready(&inner.world, &resume)});
                        if send(&mut socket, ready).await.is_err() { break }
                        seq += 1;
                        let guild = json!({"op": 0, "s": seq, "t": "GUILD_CREATE", "d": payloads::guild_create(&inner.world)});
                        if send(&mut socket, guild).await.is_err() { break }
                        if !flush_pending(&mut socket, &inner, &mut seq, true).await { break }
                    }
                    Some(6) => {
                        seq += 1;
                        let resumed = json!({"op": 0, "s": seq, "t": "RESUMED", "d": {}});
                        if send(&mut socket, resumed).await.is_err() { break }
                        if !flush_pending(&mut socket, &inner, &mut seq, false).await { break }
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

/// Marks the session identified and sends what was queued while it was not.
async fn flush_pending(
    socket: &mut WebSocket,
    inner: &Inner,
    seq: &mut u64,
    identify: bool,
) -> bool {
    let pending = inner.update(|s| {
        s.identified = true;
        if identify {
            s.identify_count += 1;
        }
        std::mem::take(&mut s.pending)
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
