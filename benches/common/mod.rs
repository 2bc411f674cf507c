//! What the benchmarks share: the real bot booted against a fake Discord on
//! the real clock, and percentiles.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use haven::clock::{Clock, SystemClock};
use haven::config::Config;
use haven::sim::Sim;

/// The `p` percentile of sorted values.
pub fn pct(sorted: &[f64], p: f64) -> f64 {
    sorted[(((sorted.len() - 1) as f64) * p).round() as usize]
}

/// Haven running against `sim` on the database at `url`; stop it by
/// sending on the returned channel.
pub async fn boot(
    sim: &Sim,
    url: &str,
) -> (
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<anyhow::Result<()>>,
) {
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let config = Config {
        log_filter: "error".into(),
        ..Config::against(sim.base_url(), url.to_owned(), "bench.token")
    };
    let clock: Arc<dyn Clock> = SystemClock::shared();
    let task = tokio::spawn(haven::app::run(config, clock, async {
        let _ = stopped.await;
    }));
    sim.wait_registered(Duration::from_secs(30)).await;
    sim.wait_connected(Duration::from_secs(30)).await;
    (stop, task)
}
