//! Keeping a received event while it is applied: the worker renews the event's lease every
//! third of it, so that a step slower than the lease (a slow Slack, a 429 to wait out, a
//! long wait for an earlier event of the conversation) is not taken over by another worker
//! or replica, which would run it a second time. A worker that dies stops renewing, and its
//! event is taken over once the lease ends, as before.

use crate::engine::clock::{later, Clock};
use orchestrator_core::Store;
use std::future::Future;
use std::time::Duration;

/// Runs `work` while renewing the lease on event `key` (`lease` long) in `store`; returns
/// what `work` returns. The renewals run beside the work, never in its way: a slow store
/// delays only the next renewal.
pub(crate) async fn holding<T>(
    store: &dyn Store,
    clock: &Clock,
    key: &str,
    lease: Duration,
    work: impl Future<Output = T>,
) -> T {
    let renewing = async {
        let every = lease / 3;
        loop {
            tokio::time::sleep(every).await;
            let now = clock.now();
            match store.renew_lease(key, now, later(now, lease)).await {
                Ok(true) => {}
                Ok(false) => {
                    // Settled meanwhile (the work's own write), or held too long without a
                    // renewal: another worker may apply it too; its write or this one will
                    // lose the compare-and-swap.
                    tracing::debug!(event = %key, "the event's lease is no longer this worker's");
                    break;
                }
                Err(error) => tracing::warn!(event = %key, %error, "cannot renew the event's lease; trying again"),
            }
        }
        std::future::pending::<()>().await;
    };
    tokio::select! {
        biased;
        done = work => done,
        () = renewing => unreachable!("renewing never ends"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use orchestrator_core::{Incoming, MemoryStore, Received};

    #[tokio::test(start_paused = true)]
    async fn a_worker_keeps_its_event_while_it_works_and_lets_go_when_done() {
        let (store, clock) = (MemoryStore::new(), Clock::new());
        let body = serde_json::json!({"type": "event_callback", "event_id": "Ev1", "team_id": "T1",
            "event": {"type": "message", "channel_type": "im", "user": "U1", "channel": "D1", "text": "hi", "ts": "1.1"}});
        let event = Received::new(Incoming::from_json(&body).unwrap().unwrap(), clock.now()).unwrap();
        let lease = Duration::from_secs(3);
        store.receive(&event, later(clock.now(), lease)).await.unwrap();

        let claimable = || async { store.claim_pending(clock.now(), clock.now(), 10).await.unwrap().len() };
        let work = async {
            tokio::time::sleep(Duration::from_secs(10)).await; // more than three leases
            claimable().await
        };
        assert_eq!(
            holding(&store, &clock, &event.key, lease, work).await,
            0,
            "kept while working"
        );
        tokio::time::sleep(lease).await;
        assert_eq!(
            claimable().await,
            1,
            "once done, the lease ends and the event can be taken over"
        );
    }
}
