//! The one source of "now" for the bot and the scheduler: the system clock in
//! production, a virtual clock in tests and the sandbox.

use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Duration, Utc};
use tokio::sync::watch;

/// Tells the time.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;

    /// A receiver that changes whenever time jumps (a virtual clock advanced).
    /// The system clock never jumps, so its receiver never changes.
    fn jumps(&self) -> watch::Receiver<DateTime<Utc>>;
}

/// Shared handle to the clock.
pub type SharedClock = Arc<dyn Clock>;

/// Real time.
pub struct SystemClock {
    jumps: watch::Sender<DateTime<Utc>>,
}

impl SystemClock {
    pub fn shared() -> SharedClock {
        Arc::new(Self {
            jumps: watch::channel(Utc::now()).0,
        })
    }
}

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }

    fn jumps(&self) -> watch::Receiver<DateTime<Utc>> {
        self.jumps.subscribe()
    }
}

/// Time that moves only when told to.
pub struct VirtualClock {
    now: Mutex<DateTime<Utc>>,
    jumps: watch::Sender<DateTime<Utc>>,
}

impl VirtualClock {
    pub fn starting_at(start: DateTime<Utc>) -> Arc<Self> {
        Arc::new(Self {
            now: Mutex::new(start),
            jumps: watch::channel(start).0,
        })
    }

    /// Moves time forward by `by` (a negative duration is ignored: time does
    /// not go back) and returns the new now.
    pub fn advance(&self, by: Duration) -> DateTime<Utc> {
        let mut now = self.now.lock().unwrap_or_else(PoisonError::into_inner);
        if by > Duration::zero() {
            *now += by;
        }
        let new = *now;
        drop(now);
        self.jumps.send_replace(new);
        new
    }
}

impl VirtualClock {
    /// Moves time forward to `to` (never back) and returns the new now.
    pub fn advance_to(&self, to: DateTime<Utc>) -> DateTime<Utc> {
        let by = to - self.now();
        self.advance(by)
    }
}

impl Clock for VirtualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.now.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn jumps(&self) -> watch::Receiver<DateTime<Utc>> {
        self.jumps.subscribe()
    }
}

/// Waits until `clock` reads `at` or later: real time on the system clock;
/// on a virtual clock, until it is moved there.
pub async fn sleep_until(clock: &dyn Clock, at: DateTime<Utc>) {
    let mut jumps = clock.jumps();
    loop {
        let now = clock.now();
        if now >= at {
            return;
        }
        let wait = (at - now).to_std().unwrap_or_default();
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            changed = jumps.changed() => {
                if changed.is_err() {
                    // Nobody moves it any more: real time only.
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn virtual_clock_moves_only_forward_and_announces_jumps() {
        let start = Utc.with_ymd_and_hms(2027, 3, 9, 12, 0, 0).unwrap();
        let clock = VirtualClock::starting_at(start);
        let mut jumps = clock.jumps();
        assert_eq!(clock.now(), start);
        clock.advance(Duration::hours(2));
        assert_eq!(clock.now(), start + Duration::hours(2));
        assert!(jumps.has_changed().unwrap());
        assert_eq!(*jumps.borrow_and_update(), start + Duration::hours(2));
        clock.advance(Duration::hours(-5));
        assert_eq!(clock.now(), start + Duration::hours(2));
    }
}
