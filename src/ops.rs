//! The operator's endpoints on `HAVEN_HTTP_ADDR`: `/healthz` (the database
//! answers, the scheduler's loop is turning and every shard is connected to
//! the gateway) and `/metrics` (Prometheus text, this process's figures).
//! Off unless configured; meant for a private network, never for members.

use std::net::SocketAddr;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;

use poise::serenity_prelude as serenity;

use crate::clock::SharedClock;
use crate::scheduler::SchedulerHandle;
use crate::store::Db;

/// What `/healthz` looks at besides the database.
#[derive(Clone)]
pub struct Watched {
    pub scheduler: SchedulerHandle,
    /// How long the scheduler's loop may go without turning (it turns at
    /// least once a lease).
    pub scheduler_bound: std::time::Duration,
    pub shards: std::sync::Arc<serenity::ShardManager>,
}

#[derive(Clone)]
struct Ops {
    db: Db,
    clock: SharedClock,
    watched: Watched,
}

async fn healthz(State(ops): State<Ops>) -> impl IntoResponse {
    let mut problems = Vec::new();
    if let Err(e) = ops.db.ping().await {
        tracing::warn!(error = %e, "health check: the database does not answer");
        problems.push("database unavailable");
    }
    let turned = ops.watched.scheduler.since_turned();
    if turned.is_none_or(|t| t > ops.watched.scheduler_bound) {
        tracing::warn!(since = ?turned, "health check: the scheduler's loop has not turned");
        problems.push("scheduler not turning");
    }
    let connected = {
        let runners = ops.watched.shards.runners.lock().await;
        !runners.is_empty()
            && runners
                .values()
                .all(|r| r.stage == serenity::ConnectionStage::Connected)
    };
    if !connected {
        problems.push("gateway not connected");
    }
    if problems.is_empty() {
        (StatusCode::OK, "ok\n".to_owned())
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("{}\n", problems.join("\n")),
        )
    }
}

async fn metrics(State(ops): State<Ops>) -> impl IntoResponse {
    let due = match ops.db.jobs_due(ops.clock.now()).await {
        Ok(n) => n,
        Err(e) => {
            tracing::warn!(error = %e, "metrics: cannot count due jobs");
            (-1, -1)
        }
    };
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        crate::metrics::encode(due),
    )
}

/// Binds `addr` and serves until `shutdown` resolves. Binding fails loudly
/// (a port in use is a configuration error, not something to run without).
pub async fn serve(
    addr: SocketAddr,
    db: Db,
    clock: SharedClock,
    watched: Watched,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| anyhow::anyhow!("HAVEN_HTTP_ADDR {addr}: cannot listen: {e}"))?;
    tracing::info!(%addr, "health and metrics endpoints listening");
    let app = axum::Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .with_state(Ops { db, clock, watched });
    Ok(tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app)
            .with_graceful_shutdown(shutdown)
            .await
        {
            tracing::warn!(error = %e, "the health and metrics server stopped");
        }
    }))
}
