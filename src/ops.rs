//! The operator's endpoints on `HAVEN_HTTP_ADDR`: `/healthz` (the database
//! answers) and `/metrics` (Prometheus text). Off unless configured; meant
//! for a private network, never for members.

use std::net::SocketAddr;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;

use crate::clock::SharedClock;
use crate::store::Db;

#[derive(Clone)]
struct Ops {
    db: Db,
    clock: SharedClock,
}

async fn healthz(State(ops): State<Ops>) -> impl IntoResponse {
    match ops.db.ping().await {
        Ok(()) => (StatusCode::OK, "ok\n"),
        Err(e) => {
            tracing::warn!(error = %e, "health check: the database does not answer");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n")
        }
    }
}

async fn metrics(State(ops): State<Ops>) -> impl IntoResponse {
    let due = match ops.db.jobs_due(ops.clock.now()).await {
        Ok(n) => n,
        Err(e) => {
            tracing::warn!(error = %e, "metrics: cannot count due jobs");
            -1
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
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| anyhow::anyhow!("HAVEN_HTTP_ADDR {addr}: cannot listen: {e}"))?;
    tracing::info!(%addr, "health and metrics endpoints listening");
    let app = axum::Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .with_state(Ops { db, clock });
    Ok(tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app)
            .with_graceful_shutdown(shutdown)
            .await
        {
            tracing::warn!(error = %e, "the health and metrics server stopped");
        }
    }))
}
