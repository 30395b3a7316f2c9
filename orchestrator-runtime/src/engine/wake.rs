//! The timer engine's wake-up: when its loop will next wake, and the bell a commit rings
//! when it sets an earlier deadline. The loop (`timers`) sleeps on it; the one write path
//! (`commit`) rings it. Neither looks at the other's state.

use chrono::{DateTime, Utc};
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;
use tokio::sync::Notify;

/// When the timer loop sleeps until, and the bell that wakes it sooner.
pub(crate) struct Wake {
    bell: Notify,
    /// The time (ms since the epoch) the loop sleeps until; `i64::MIN` while it is awake.
    sleeping_until: AtomicI64,
}

impl Default for Wake {
    fn default() -> Self {
        Wake {
            bell: Notify::new(),
            sleeping_until: AtomicI64::new(i64::MIN),
        }
    }
}

impl Wake {
    /// A commit set `deadline`: ring only if the loop sleeps past it (O(1), no store access).
    pub(crate) fn deadline_set(&self, deadline: DateTime<Utc>) {
        if deadline.timestamp_millis() < self.sleeping_until.load(Ordering::Acquire) {
            self.bell.notify_one();
        }
    }

    /// Sleeps from `now` until `until`, or until a commit sets an earlier deadline.
    pub(crate) async fn sleep_until(&self, now: DateTime<Utc>, until: DateTime<Utc>) {
        self.sleeping_until.store(until.timestamp_millis(), Ordering::Release);
        let wait = (until - now).to_std().unwrap_or(Duration::ZERO);
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = self.bell.notified() => {}
        }
        self.sleeping_until.store(i64::MIN, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn an_earlier_deadline_wakes_the_loop_and_a_later_one_does_not() {
        let wake = std::sync::Arc::new(Wake::default());
        let now = Utc::now();
        let sleeper = {
            let wake = wake.clone();
            tokio::spawn(async move { wake.sleep_until(now, now + chrono::Duration::seconds(60)).await })
        };
        tokio::task::yield_now().await;
        wake.deadline_set(now + chrono::Duration::seconds(120));
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert!(
            !sleeper.is_finished(),
            "a deadline after the wake-up leaves the loop asleep"
        );
        wake.deadline_set(now + chrono::Duration::seconds(5));
        tokio::time::timeout(Duration::from_millis(10), sleeper)
            .await
            .expect("an earlier deadline wakes the loop at once")
            .unwrap();
    }
}
