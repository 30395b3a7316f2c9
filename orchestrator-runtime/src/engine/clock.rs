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
    ///
    /// ```
    /// use orchestrator_runtime::Clock;
    /// let clock = Clock::new();
    /// assert!((chrono::Utc::now() - clock.now()).num_seconds().abs() < 5);
    /// ```
    pub fn new() -> Self {
        Clock {
            wall: Utc::now(),
            instant: Instant::now(),
        }
    }

    /// A clock that reads `wall` now and advances from there (with tokio's clock).
    ///
    /// ```
    /// use orchestrator_runtime::Clock;
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
    /// let monday: chrono::DateTime<chrono::Utc> = "2026-11-30T08:59:00Z".parse().unwrap();
    /// let clock = Clock::at(monday);
    /// tokio::time::advance(std::time::Duration::from_secs(60)).await; // tokio's clock moves it
    /// assert_eq!(clock.now().to_rfc3339(), "2026-11-30T09:00:00+00:00");
    /// # }
    /// ```
    pub fn at(wall: DateTime<Utc>) -> Self {
        Clock {
            wall,
            instant: Instant::now(),
        }
    }

    /// The current time.
    ///
    /// ```
    /// use orchestrator_runtime::Clock;
    /// let clock = Clock::at("2030-01-01T00:00:00Z".parse().unwrap());
    /// assert_eq!(clock.now().format("%Y").to_string(), "2030");
    /// ```
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
