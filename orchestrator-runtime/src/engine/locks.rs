//! The per-conversation serial executor: one lock per conversation key, so events of one
//! conversation run one at a time and in order of arrival (tokio's mutex is fair), while
//! different conversations run in parallel. Locks of idle conversations are dropped.

// hashbrown's map with its default hasher (foldhash), as in the memory store: every event
// looks its conversation up here, and SipHash's resistance to keys chosen to collide is
// not needed for ids that Slack assigns.
use hashbrown::HashMap;
use std::sync::{Arc, Mutex, Weak};
use tokio::sync::{Mutex as AsyncMutex, OwnedMutexGuard};

#[derive(Default)]
pub(crate) struct KeyLocks {
    map: Mutex<Locks>,
}

#[derive(Default)]
struct Locks {
    by_key: HashMap<String, Weak<AsyncMutex<()>>>,
    /// How many entries survived the last sweep: the next one runs when the map has doubled
    /// since (amortized O(1), and idle conversations never pile up).
    live_after_sweep: usize,
}

impl KeyLocks {
    /// Waits for the conversation `key` to be free and holds it until the guard drops.
    pub(crate) async fn lock(&self, key: &str) -> OwnedMutexGuard<()> {
        let lock = {
            let mut locks = self.map.lock().unwrap_or_else(|p| p.into_inner());
            if locks.by_key.len() >= (2 * locks.live_after_sweep).max(1024) {
                locks.by_key.retain(|_, weak| weak.strong_count() > 0);
                locks.live_after_sweep = locks.by_key.len();
            }
            match locks.by_key.get(key).and_then(Weak::upgrade) {
                Some(lock) => lock,
                None => {
                    let lock = Arc::new(AsyncMutex::new(()));
                    locks.by_key.insert(key.to_owned(), Arc::downgrade(&lock));
                    lock
                }
            }
        };
        lock.lock_owned().await
    }

    /// If the conversation `key` is held now, waits until it is free (without taking it)
    /// and answers `true`; `false` at once if nobody holds it.
    pub(crate) async fn wait_if_held(&self, key: &str) -> bool {
        let held = {
            let locks = self.map.lock().unwrap_or_else(|p| p.into_inner());
            locks.by_key.get(key).and_then(Weak::upgrade)
        };
        let Some(lock) = held else { return false };
        if lock.try_lock().is_ok() {
            return false;
        }
        drop(lock.lock().await);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test(start_paused = true)]
    async fn one_key_is_serial_and_two_keys_are_parallel() {
        let locks = Arc::new(KeyLocks::default());
        let a = locks.lock("a").await;
        let other = tokio::time::timeout(Duration::from_millis(10), locks.lock("b")).await;
        assert!(other.is_ok(), "another conversation is not blocked");
        let same = tokio::time::timeout(Duration::from_millis(10), locks.lock("a")).await;
        assert!(same.is_err(), "the same conversation waits");
        drop(a);
        assert!(tokio::time::timeout(Duration::from_millis(10), locks.lock("a"))
            .await
            .is_ok());
    }

    #[tokio::test(start_paused = true)]
    async fn a_waiter_wakes_when_the_holder_lets_go_and_does_not_wait_on_a_free_key() {
        let locks = Arc::new(KeyLocks::default());
        assert!(!locks.wait_if_held("a").await, "nobody holds it");
        let held = locks.lock("a").await;
        let waiter = {
            let locks = locks.clone();
            tokio::spawn(async move { locks.wait_if_held("a").await })
        };
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert!(!waiter.is_finished(), "it waits while the key is held");
        drop(held);
        assert!(waiter.await.unwrap(), "it waited for the holder");
        let free = tokio::time::timeout(Duration::from_millis(10), locks.lock("a")).await;
        assert!(free.is_ok(), "the waiter did not keep the key");
    }
}
