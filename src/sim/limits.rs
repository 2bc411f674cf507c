//! Discord's rate limits, as the fake Discord enforces them: fixed windows
//! per route bucket (for example 5 messages per 5 s per channel, and message
//! edits likewise) and a global limit of 50 requests per second that
//! interaction endpoints are exempt from. Over a limit the answer is 429 with
//! `retry_after` in the body and the `X-RateLimit-*` headers.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// The limits the fake Discord holds the bot to.
#[derive(Debug, Clone, PartialEq)]
pub struct RateLimits {
    /// Messages created per channel per window.
    pub messages_per_channel: u32,
    /// Message edits (and deletes) per channel per window.
    pub edits_per_channel: u32,
    /// The window of the per-channel buckets.
    pub channel_window: Duration,
    /// Requests per second in all, interaction endpoints excluded.
    pub global_per_second: u32,
}

impl Default for RateLimits {
    /// Discord's published limits.
    fn default() -> Self {
        Self {
            messages_per_channel: 5,
            edits_per_channel: 5,
            channel_window: Duration::from_secs(5),
            global_per_second: 50,
        }
    }
}

impl RateLimits {
    /// No limits at all: only for benchmarks that measure something else and
    /// say so.
    pub fn unlimited() -> Self {
        Self {
            messages_per_channel: u32::MAX,
            edits_per_channel: u32::MAX,
            channel_window: Duration::from_secs(5),
            global_per_second: u32::MAX,
        }
    }
}

/// One fixed window.
#[derive(Debug, Clone, Copy)]
struct Window {
    resets: Instant,
    remaining: u32,
}

/// What the limiter says about one request.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Allowed; the bucket's state for the headers.
    Allowed(Option<BucketState>),
    /// Over a limit: wait this long. `global` when the global limit was hit.
    Limited {
        retry_after: Duration,
        global: bool,
        bucket: Option<BucketState>,
    },
}

/// A bucket's headers: its name, limit, what remains and when it resets.
#[derive(Debug, Clone, PartialEq)]
pub struct BucketState {
    pub name: String,
    pub limit: u32,
    pub remaining: u32,
    pub reset_after: Duration,
}

#[derive(Debug, Default)]
pub(super) struct Limiter {
    buckets: HashMap<String, Window>,
    global: Option<Window>,
}

/// The bucket a route falls in (`None`: no per-route limit), with its size
/// and window.
fn bucket_of(limits: &RateLimits, method: &str, segments: &[&str]) -> Option<(String, u32)> {
    match (method, segments) {
        ("POST", ["channels", channel, "messages"]) => {
            Some((format!("messages:{channel}"), limits.messages_per_channel))
        }
        ("PATCH" | "DELETE", ["channels", channel, "messages", _]) => {
            Some((format!("edits:{channel}"), limits.edits_per_channel))
        }
        _ => None,
    }
}

/// Interaction callbacks and the interaction webhooks are not bound to the
/// global limit.
fn exempt_from_global(segments: &[&str]) -> bool {
    matches!(segments.first(), Some(&"interactions") | Some(&"webhooks"))
}

impl Limiter {
    pub(super) fn check(
        &mut self,
        limits: &RateLimits,
        method: &str,
        path: &str,
        now: Instant,
    ) -> Verdict {
        let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
        if !exempt_from_global(&segments) {
            let global = self.global.get_or_insert(Window {
                resets: now + Duration::from_secs(1),
                remaining: limits.global_per_second,
            });
            if now >= global.resets {
                *global = Window {
                    resets: now + Duration::from_secs(1),
                    remaining: limits.global_per_second,
                };
            }
            if global.remaining == 0 {
                return Verdict::Limited {
                    retry_after: global.resets - now,
                    global: true,
                    bucket: None,
                };
            }
        }
        let bucket = match bucket_of(limits, method, &segments) {
            None => None,
            Some((name, limit)) => {
                let window = self.buckets.entry(name.clone()).or_insert(Window {
                    resets: now + limits.channel_window,
                    remaining: limit,
                });
                if now >= window.resets {
                    *window = Window {
                        resets: now + limits.channel_window,
                        remaining: limit,
                    };
                }
                if window.remaining == 0 {
                    return Verdict::Limited {
                        retry_after: window.resets - now,
                        global: false,
                        bucket: Some(BucketState {
                            name,
                            limit,
                            remaining: 0,
                            reset_after: window.resets - now,
                        }),
                    };
                }
                window.remaining -= 1;
                Some(BucketState {
                    name,
                    limit,
                    remaining: window.remaining,
                    reset_after: window.resets - now,
                })
            }
        };
        if !exempt_from_global(&segments)
            && let Some(global) = self.global.as_mut()
        {
            global.remaining = global.remaining.saturating_sub(1);
        }
        Verdict::Allowed(bucket)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_messages_per_channel_then_429_until_the_window_resets() {
        let limits = RateLimits::default();
        let mut l = Limiter::default();
        let t = Instant::now();
        for _ in 0..5 {
            assert!(matches!(
                l.check(&limits, "POST", "/channels/1/messages", t),
                Verdict::Allowed(Some(_))
            ));
        }
        match l.check(&limits, "POST", "/channels/1/messages", t) {
            Verdict::Limited {
                retry_after,
                global: false,
                ..
            } => assert_eq!(retry_after, Duration::from_secs(5)),
            other => panic!("{other:?}"),
        }
        // Another channel has its own bucket; edits have theirs.
        assert!(matches!(
            l.check(&limits, "POST", "/channels/2/messages", t),
            Verdict::Allowed(_)
        ));
        assert!(matches!(
            l.check(&limits, "PATCH", "/channels/1/messages/9", t),
            Verdict::Allowed(_)
        ));
        assert!(matches!(
            l.check(
                &limits,
                "POST",
                "/channels/1/messages",
                t + Duration::from_secs(5)
            ),
            Verdict::Allowed(_)
        ));
    }

    #[test]
    fn the_global_limit_spares_interactions() {
        let limits = RateLimits {
            global_per_second: 3,
            ..RateLimits::default()
        };
        let mut l = Limiter::default();
        let t = Instant::now();
        for c in 0..3 {
            assert!(matches!(
                l.check(&limits, "GET", &format!("/channels/{c}"), t),
                Verdict::Allowed(None)
            ));
        }
        assert!(matches!(
            l.check(&limits, "GET", "/channels/9", t),
            Verdict::Limited { global: true, .. }
        ));
        assert!(matches!(
            l.check(&limits, "POST", "/interactions/1/tok/callback", t),
            Verdict::Allowed(_)
        ));
        assert!(matches!(
            l.check(&limits, "POST", "/webhooks/1/tok", t),
            Verdict::Allowed(_)
        ));
    }
}
