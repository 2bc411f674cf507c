//! What an operator watches: interactions served, errors by tier, reminder
//! lateness, jobs due and 429s received, in Prometheus' text format
//! (through `prometheus-client`, the Prometheus project's Rust client).
//!
//! Counters are process-wide (one Haven per process), so any layer can
//! count without carrying a handle. Nothing here names a member, a server
//! or a channel: labels are fixed words only.

use std::sync::LazyLock;

use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

/// What a member did.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq, EncodeLabelValue)]
pub enum Interaction {
    Command,
    Button,
    Form,
}

/// The two tiers of errors.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq, EncodeLabelValue)]
pub enum Tier {
    /// A member's mistake, answered with how to fix it.
    Member,
    /// An internal failure, logged with a reference id.
    Internal,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabel {
    kind: Interaction,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TierLabel {
    tier: Tier,
}

pub struct Metrics {
    registry: Registry,
    served: Family<KindLabel, Counter>,
    errors: Family<TierLabel, Counter>,
    lateness: Histogram,
    jobs_due: Gauge,
    jobs_working: Gauge,
    rate_limited: Counter,
    rate_limit_waits: Counter,
}

/// Seconds after their due instant that reminders went out: 10 ms to ~82 s.
fn lateness_buckets() -> impl Iterator<Item = f64> {
    prometheus_client::metrics::histogram::exponential_buckets(0.01, 2.0, 14)
}

static METRICS: LazyLock<Metrics> = LazyLock::new(|| {
    let mut registry = Registry::with_prefix("haven");
    let served = Family::<KindLabel, Counter>::default();
    registry.register(
        "interactions_served",
        "Slash commands, button presses and forms handled",
        served.clone(),
    );
    let errors = Family::<TierLabel, Counter>::default();
    registry.register(
        "errors",
        "Errors answered: member mistakes and internal failures",
        errors.clone(),
    );
    let lateness = Histogram::new(lateness_buckets());
    registry.register(
        "reminder_lateness_seconds",
        "How long after its due instant each reminder was delivered",
        lateness.clone(),
    );
    let jobs_due = Gauge::default();
    registry.register(
        "jobs_due",
        "This process's scheduled jobs whose time has come and that wait to be worked, at the last scrape",
        jobs_due.clone(),
    );
    let jobs_working = Gauge::default();
    registry.register(
        "jobs_working",
        "Jobs this process is working on, at the last scrape",
        jobs_working.clone(),
    );
    let rate_limited = Counter::default();
    registry.register(
        "discord_rate_limited",
        "429 answers received from Discord",
        rate_limited.clone(),
    );
    let rate_limit_waits = Counter::default();
    registry.register(
        "discord_rate_limit_waits",
        "Waits of serenity's rate limiter talking to Discord directly: a bucket used up, or a 429 it answered itself",
        rate_limit_waits.clone(),
    );
    Metrics {
        registry,
        served,
        errors,
        lateness,
        jobs_due,
        jobs_working,
        rate_limited,
        rate_limit_waits,
    }
});

/// Counts one interaction handled.
pub fn served(kind: Interaction) {
    METRICS.served.get_or_create(&KindLabel { kind }).inc();
}

/// Counts one error answered.
pub fn error(tier: Tier) {
    METRICS.errors.get_or_create(&TierLabel { tier }).inc();
}

/// Records how late a reminder went out.
pub fn reminder_late_by(lateness: chrono::Duration) {
    let seconds = lateness.num_milliseconds().max(0) as f64 / 1000.0;
    METRICS.lateness.observe(seconds);
}

/// Counts one 429 answer from Discord that reached Haven's own pacer.
pub fn rate_limited() {
    METRICS.rate_limited.inc();
}

/// Counts one wait of serenity's rate limiter.
pub fn rate_limit_wait() {
    METRICS.rate_limit_waits.inc();
}

/// The backlog read at scrape time, then everything as Prometheus text.
/// The text of every figure, with this process's jobs due and being worked
/// on as just read.
pub fn encode((jobs_due, jobs_working): (i64, i64)) -> String {
    METRICS.jobs_due.set(jobs_due);
    METRICS.jobs_working.set(jobs_working);
    let mut text = String::new();
    if let Err(e) = prometheus_client::encoding::text::encode(&mut text, &METRICS.registry) {
        tracing::warn!(error = %e, "cannot encode metrics");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_names_every_figure_and_counts_what_happened() {
        served(Interaction::Command);
        served(Interaction::Button);
        error(Tier::Internal);
        reminder_late_by(chrono::Duration::milliseconds(30));
        for _ in 0..3 {
            rate_limited();
        }
        rate_limit_wait();
        let text = encode((7, 2));
        for name in [
            "haven_interactions_served_total{kind=\"Command\"}",
            "haven_interactions_served_total{kind=\"Button\"}",
            "haven_errors_total{tier=\"Internal\"}",
            "haven_reminder_lateness_seconds_bucket",
            "haven_jobs_due 7",
            "haven_jobs_working 2",
            "haven_discord_rate_limited_total 3",
            "haven_discord_rate_limit_waits_total 1",
        ] {
            assert!(text.contains(name), "{name} missing from:\n{text}");
        }
        // Reading again counts nothing twice.
        let again = encode((0, 0));
        assert!(
            again.contains("haven_discord_rate_limited_total 3"),
            "{again}"
        );
        assert!(again.contains("haven_jobs_due 0"));
    }
}
