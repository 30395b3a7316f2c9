//! [`Clock`]: wall-clock time that follows tokio's clock, so tests that pause and advance
//! tokio time (`tokio::time::advance`) move flow deadlines too.

use chrono::{DateTime, Utc};
use tokio::time::Instant;

/// The orchestrator's notion of "now".
///
/// It reads the wall clock once, then advances with `tokio::time::Instant`: in production
/// that is the monotonic clock; under `#[tokio::test(start_paused = true)]` it is the
/// test's virtual clock.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let clock = orchestrator_runtime::Clock::new();
/// assert!(clock.now() <= chrono::Utc::now() + chrono::Duration::seconds(1));
/// # }
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    wall: DateTime<Utc>,
    instant: Instant,
}

impl Clock {
    /// A clock anchored at the current wall time.
    pub fn new() -> Self {
        Clock {
            wall: Utc::now(),
            instant: Instant::now(),
        }
    }

    /// A clock that reads `wall` now and advances from there (with tokio's clock).
    pub fn at(wall: DateTime<Utc>) -> Self {
        Clock {
            wall,
            instant: Instant::now(),
        }
    }

    /// The current time.
    pub fn now(&self) -> DateTime<Utc> {
        let elapsed = Instant::now().saturating_duration_since(self.instant);
        self.wall + chrono::Duration::from_std(elapsed).unwrap_or(chrono::Duration::MAX)
    }
}

/// `now + by`, saturating at the end of time.
pub(crate) fn later(now: DateTime<Utc>, by: std::time::Duration) -> DateTime<Utc> {
    chrono::Duration::from_std(by)
        .ok()
        .and_then(|by| now.checked_add_signed(by))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

impl Default for Clock {
    fn default() -> Self {
        Clock::new()
    }
}
